#!/bin/bash
# install-deps.sh — install the Debian packages the interop suite (interop/, `make interop`)
# needs: strongSwan's charon with swanctl and the plugins for userspace ESP (kernel-libipsec),
# tshark, ike-scan, iproute2, ping, and iperf3 (the tunnel benchmark, `make bench-tunnel`);
# and for the model checks of package model (go test ./model): spin and gcc (the Promela
# model, docs/model/ikev2.pml) and graphviz (dot, the state graphs docs/model/*.dot).
#
# Idempotent: it installs only what is missing and runs `apt-get update` only when something
# is missing (or when an install fails on a stale package list). Never installs libreswan
# (it conflicts with strongswan-charon: apt would remove charon): it unpacks its package into
# /opt/ikev2ref/libreswan instead (with the libraries pluto needs), for the conformance run
# against pluto (interop/conformance_test.go, TestConformanceLibreswan).
#
# Usage: interop/install-deps.sh          (as root; exits 1 with a message otherwise)
#        interop/install-deps.sh --check  (any user: report what is missing; exit 1 if anything is)
set -u

PKGS=(
  strongswan-charon
  strongswan-swanctl
  strongswan-pki
  libcharon-extra-plugins
  libcharon-extauth-plugins
  libstrongswan-extra-plugins
  libstrongswan-standard-plugins
  tshark
  ike-scan
  iproute2
  iputils-ping
  iperf3
  spin
  graphviz
  gcc
  chromium
  libnss3-tools
  libevent-core-2.1-7
  libevent-pthreads-2.1-7
  libldns3
  libunbound8
  libcurl3-nss
  libcap-ng0
)

LIBRESWAN_DIR=/opt/ikev2ref/libreswan

# unpack_libreswan unpacks Debian's libreswan package into LIBRESWAN_DIR (not installed:
# see above). Idempotent.
unpack_libreswan() {
  [ -x "$LIBRESWAN_DIR/usr/libexec/ipsec/pluto" ] && return 0
  local tmp
  tmp=$(mktemp -d) || return 1
  if (cd "$tmp" && apt-get download libreswan >/dev/null 2>&1) || { apt-get update >/dev/null 2>&1 && (cd "$tmp" && apt-get download libreswan); }; then
    mkdir -p "$LIBRESWAN_DIR" && dpkg -x "$tmp"/libreswan_*.deb "$LIBRESWAN_DIR"
    echo "install-deps: libreswan unpacked into $LIBRESWAN_DIR"
  else
    echo "install-deps: WARNING: could not download libreswan; TestConformanceLibreswan will skip" >&2
  fi
  rm -rf "$tmp"
}

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done

if [ "${1:-}" = --check ]; then
  if [ ${#missing[@]} -eq 0 ]; then echo "install-deps: all interop packages present"; exit 0; fi
  echo "install-deps: missing: ${missing[*]}"; exit 1
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: ERROR: must run as root (missing: ${missing[*]:-none})" >&2
  echo "install-deps: run 'sudo $0', or '$0 --check' to only report (the interop tests skip without these packages)" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all interop packages present (${#PKGS[@]})"
  unpack_libreswan
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer in advance (no prompt).
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
# iperf3 asks whether to start a system iperf3 daemon; the tunnel benchmark starts its own.
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true

apt_install() {
  apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}

echo "install-deps: installing: ${missing[*]}"
# Update the package lists only when they are absent, or when an install attempt fails
# (a stale list names versions the mirror no longer has).
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  apt-get update || { echo "install-deps: ERROR: apt-get update failed" >&2; exit 1; }
  apt_install || { echo "install-deps: ERROR: apt-get install failed" >&2; exit 1; }
else
  if ! apt_install; then
    apt-get update || { echo "install-deps: ERROR: apt-get update failed" >&2; exit 1; }
    apt_install || { echo "install-deps: ERROR: apt-get install failed" >&2; exit 1; }
  fi
fi

# Debian's strongswan-charon package enables the system charon service; the suite starts its
# own instances in network namespaces and never uses it. Nothing to do here: no init runs.
still=()
for p in "${missing[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps: ERROR: still missing after install: ${still[*]}" >&2
  exit 1
fi
unpack_libreswan
echo "install-deps: done"
