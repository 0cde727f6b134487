// Command refserver is the IKEv2 reference server (RFC 7296): the sans-I/O
// engine of impl/ike driven over real UDP sockets on ports 500 and 4500
// (impl/netio, RFC 7296 section 2 and RFC 3948), with a userspace ESP data
// plane (impl/dataplane: RFC 4301 section 5, RFC 4303, RFC 3948) that makes
// the negotiated Child SAs carry traffic, configured with a swanctl.conf,
// controlled over a local unix socket, and able to write a pcap and
// Wireshark key tables of everything it does, so that other IKEv2 stacks
// can be tested against it and every exchange opened in Wireshark.
//
// Usage:
//
//	refserver [--config FILE] [--listen ADDR,...] [--ike-port N] [--natt-port N]
//	          [--ctl SOCKET] [--log-format text|json] [--log-level LEVEL]
//	          [--keylog DIR] [--pcap FILE] [--force-cookies] [--cookie-threshold N]
//	          [--retransmit-timeout D] [--retransmit-tries N] [--retransmit-base F]
//	          [--fragment-size N] [--tun NAME] [--mtu N] [--force-encap] [--tunnel-echo] [--no-dataplane]
//	          [--impair SPEC ...]
//	refserver --check-config FILE
//	refserver ctl [--ctl SOCKET] COMMAND [ARGS]
//
// Without --config the embedded default configuration is used
// (internal/swanctl's Default, with its documented test secret), and the
// server prints how to reach it: an ike-scan probe and a swanctl.conf for a
// strongSwan peer.
//
// One goroutine owns the engine: it takes the datagrams from impl/netio,
// the control commands and the expiry of a single timer (Engine.NextTimeout,
// Engine.Tick), calls the engine with the current time and carries out the
// returned actions in order: Send goes to the sockets, IKEKeys and ChildUp
// go to the key tables (--keylog), ChildUp and ChildDown install and remove
// Child SA pairs in the data plane (a ChildUp with OutboundLater, the
// responder's side of a Child SA rekey, keeps its outbound SA back until a
// ChildOutbound action, RFC 7296 section 2.8), and they and IKEDown become
// log lines. The data plane's reports (unknown SPIs, sequence numbers and
// volume limits reached) come back to the same goroutine for the engine
// (Engine.UnknownESP, ChildExhausted, ChildLimit).
// SIGINT and SIGTERM stop the server, which first sends a Delete for every
// established IKE SA.
//
// # Data plane
//
// Unless --no-dataplane is given (the IKE-only server of before), every
// Child SA is installed in the data plane (see impl/dataplane): ESP as IP
// protocol 50 on raw sockets bound to the --listen addresses (CAP_NET_RAW;
// without it only UDP-encapsulated ESP flows), or in UDP on the NAT-T port
// when the IKE SA uses NAT traversal or --force-encap is given (then to the
// peer's port 4500, or to this server's own NAT-T port number when that is
// not 4500). The tunnel device --tun (default ikev2ref0, MTU --mtu, default
// 1400) is created when the first tunnel-mode Child SA is installed, so a
// server that never has one needs no CAP_NET_ADMIN; the remote traffic
// selectors of each tunnel-mode Child SA are routed into it for as long as
// the Child SA exists. --tun "" runs without a device: tunnel-mode packets
// are opened, counted and dropped. Transport-mode traffic ends in the data
// plane's UDP echo service (port 7, RFC 862); --tunnel-echo lets that
// service answer UDP echo inside tunnel-mode SAs too, so that another
// refserver's `ctl probe` over a tunnel gets its echoes. ESP for an unknown
// SPI goes to the engine, which answers INVALID_SPI.
//
// # Control
//
// The control socket (default /run/refserver.ctl for root, else
// $XDG_RUNTIME_DIR/refserver.ctl or ./refserver.ctl; mode 0600) takes one
// JSON request per connection, one line, and answers with one JSON line:
//
//	request:  {"command": "initiate"|"terminate"|"rekey"|"list-sas"|"stats"|"probe"|"impair",
//	           "name": CONNECTION, "child": CHILD, "ike": true, "timeout": "20s",
//	           "count": 3, "impair": SPEC, "list": true, "clear": true}
//	response: {"ok": true|false, "error": "...", "message": "...",
//	           "sas": [SA...], "stats": {"ike": {...}, "netio": {...},
//	           "dataplane": {..., "spd": [...]}},
//	           "probe": {"spi_in", "src", "dst", "sent", "received", "rtt_ms"},
//	           "impairments": [{"spec", "kind", "arg", "exchange", "direction", "nth"}]}
//
// initiate and terminate wait (at most "timeout", default 20s and 10s)
// until the IKE SA is ESTABLISHED or has failed, or is gone. When the
// connection already has an IKE SA, the engine adds the Child SA to it
// (CREATE_CHILD_SA, RFC 7296 section 1.3.1) and initiate waits instead for
// that new CHILD_SA to be INSTALLED (or deleted, or its IKE SA gone). rekey
// asks the engine to rekey the connection's IKE SA ("ike") or its Child SAs
// named "child" (RFC 7296 sections 1.3.2, 1.3.3) and answers at once, as
// swanctl --rekey does; it takes no timeout. probe sends
// "count" UDP echo requests (default 3) through an installed Child SA of
// the connection (the named child, else the first) and waits at most
// "timeout" (default 5s) for the echoes; it succeeds when one came back.
// An SA is:
//
//	{"name", "unique_id", "state", "initiator", "spi_i", "spi_r" (16 hex
//	 digits), "local_host", "local_port", "remote_host", "remote_port",
//	 "local_id", "remote_id", "encr", "integ", "prf", "ke" (strongSwan's
//	 names), "nat_local", "nat_remote", "established" (RFC 3339),
//	 "children": [{"name", "unique_id", "state", "mode", "protocol",
//	 "udp_encap", "spi_in", "spi_out" (8 hex digits), "encr", "integ",
//	 "ke", "esn", "local_ts", "remote_ts", "established", "dataplane",
//	 "bytes_in", "packets_in", "bytes_out", "packets_out", "replay_drops",
//	 "icv_failures", "selector_drops", "malformed", "dummies_in",
//	 "undeliverable", "send_errors", "seq_exhausted", "outbound_held",
//	 "expired"}]}
//
// (the counters are the data plane's, when "dataplane" is true). "state"
// is the engine's: INSTALLED, and during a rekey REKEYED, DELETING and the
// like, shown as they come.
// `refserver ctl list-sas` prints them as `swanctl --list-sas` does.
//
// # Impairments
//
// For conformance suites that must see their judges fail, the server can
// break the protocol on purpose in what it sends, as libreswan's impair
// does (impl/ike/impair.go): `--impair SPEC` at startup (repeatable) and
// `ctl impair SPEC` (adds one; `ctl impair --list [--json]`, `ctl impair
// --clear`) take
//
//	KIND[=ARG] [--exchange IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL] [--request|--response] [--nth N]
//
// with the kinds drop, duplicate, delay=DURATION, no-retransmit,
// omit-payload=TYPE, duplicate-payload=TYPE, corrupt-payload=TYPE (TYPE:
// SA, KE, No, IDi, IDr, AUTH, TSi, TSr, N, D, CERT, CERTREQ, V, CP, EAP),
// bogus-cookie, reserved-bits, version-bump, minor-version,
// unknown-critical-payload and zero-ke; --nth N impairs only the Nth
// matching message (from 1; 0, the default: every one). Every fault is
// logged at WARN level: "IMPAIRED: KIND on EXCHANGE request|response ID".
//
// Exit status: 0 success; 1 failure (a server that could not start or
// failed, a control command that failed, an invalid configuration); 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: refserver [--config FILE] [--listen ADDR,...] [--ike-port N] [--natt-port N]
                 [--ctl SOCKET] [--log-format text|json] [--log-level LEVEL]
                 [--keylog DIR] [--pcap FILE] [--force-cookies] [--cookie-threshold N]
                 [--retransmit-timeout D] [--retransmit-tries N] [--retransmit-base F]
                 [--fragment-size N] [--tun NAME] [--mtu N] [--force-encap] [--tunnel-echo] [--no-dataplane]
                 [--impair SPEC ...]
       refserver --check-config FILE
       refserver ctl [--ctl SOCKET] COMMAND [ARGS]

The IKEv2 reference server. Without --config it runs the embedded default
configuration and prints how to reach it.

ctl commands:
  initiate NAME [--child CHILD] [--timeout 20s]   start an IKE SA (or a Child SA on the existing one),
                                                  wait until ESTABLISHED (INSTALLED) or failed
  terminate NAME [--child CHILD] [--timeout 10s]  delete the IKE SAs (or the Child SAs) of NAME
  rekey NAME [--child CHILD | --ike]              start a rekey of the IKE SA or the Child SAs of NAME
  list-sas [--json]                               list the IKE SAs as swanctl --list-sas does
  stats [--json]                                  engine, socket and data plane counters, the SPD
  probe NAME [--child CHILD] [--count 3] [--timeout 5s] [--json]
                                                  UDP echo through a Child SA (exit 0: an echo came back)
  impair KIND[=ARG] [--exchange X] [--request|--response] [--nth N] [--json]
  impair --list [--json] | impair --clear         add, list or clear deliberate protocol faults (testing only):
                                                  drop duplicate delay=D no-retransmit omit-payload=T
                                                  duplicate-payload=T corrupt-payload=T bogus-cookie reserved-bits
                                                  version-bump minor-version unknown-critical-payload zero-ke

Exit status: 0 success, 1 failure, 2 usage.

`

// run is the command: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ctl" {
		return runCtl(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.configPath, "config", "", "swanctl.conf `FILE` (default: the embedded default configuration)")
	checkConfig := fs.String("check-config", "", "parse `FILE`, print a summary and exit")
	listen := fs.String("listen", "", "local `ADDR`esses to bind, comma-separated (default: all, IPv4 and IPv6)")
	fs.IntVar(&o.ikePort, "ike-port", 500, "IKE UDP port `N` (0: any free port)")
	fs.IntVar(&o.nattPort, "natt-port", 4500, "NAT-T UDP port `N` (0: any free port)")
	fs.StringVar(&o.ctlPath, "ctl", defaultCtlPath(), "control `SOCKET`")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `LEVEL`: trace, debug, info, warn, error")
	fs.StringVar(&o.keylogDir, "keylog", "", "write Wireshark key tables (SECRETS) to `DIR`")
	fs.StringVar(&o.pcapPath, "pcap", "", "write every datagram sent and received to the pcap `FILE`")
	fs.BoolVar(&o.forceCookies, "force-cookies", false, "answer every IKE_SA_INIT without a valid cookie with N(COOKIE) (RFC 7296 section 2.6)")
	fs.IntVar(&o.cookieThreshold, "cookie-threshold", 30, "half-open IKE SAs above which cookies are required")
	fs.DurationVar(&o.retransmitTimeout, "retransmit-timeout", 4*time.Second, "first retransmission interval")
	fs.IntVar(&o.retransmitTries, "retransmit-tries", 5, "retransmissions before an IKE SA is given up")
	fs.Float64Var(&o.retransmitBase, "retransmit-base", 1.8, "factor by which each retransmission interval grows")
	fs.IntVar(&o.fragmentSize, "fragment-size", 1280, "largest IP datagram `N` of an IKE message sent: larger ones go in fragments (RFC 7383) where both ends support them (0: 576 for IPv4, 1280 for IPv6, as strongSwan's charon.fragment_size = 0)")
	fs.StringVar(&o.tunName, "tun", "ikev2ref0", "tunnel-mode device `NAME`, created with the first tunnel-mode Child SA (\"\": none)")
	fs.IntVar(&o.mtu, "mtu", 1400, "MTU of the tunnel device")
	fs.BoolVar(&o.noDataplane, "no-dataplane", false, "negotiate only: no ESP processing, no tunnel device, no raw sockets")
	fs.BoolVar(&o.forceEncap, "force-encap", false, "UDP-encapsulate ESP (RFC 3948) even when no NAT was detected")
	fs.BoolVar(&o.tunnelEcho, "tunnel-echo", false, "answer UDP echo (port 7) inside tunnel-mode Child SAs instead of handing it to the device")
	fs.Var(impairFlag{&o.impairs}, "impair", "deliberate protocol fault `SPEC` in what the server sends, for conformance tests (repeatable): KIND[=ARG] [--exchange X] [--request|--response] [--nth N], as ctl impair")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "refserver: unexpected argument %q (control commands go after \"ctl\")\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *checkConfig != "" {
		return runCheckConfig(*checkConfig, stdout, stderr)
	}
	for _, s := range strings.Split(*listen, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			fmt.Fprintf(stderr, "refserver: --listen: %v\n", err)
			return 2
		}
		o.listen = append(o.listen, a)
	}
	if o.ikePort < 0 || o.ikePort > 65535 || o.nattPort < 0 || o.nattPort > 65535 {
		fmt.Fprintln(stderr, "refserver: --ike-port and --natt-port take 0 to 65535")
		return 2
	}
	if o.ikePort != 0 && o.ikePort == o.nattPort {
		fmt.Fprintln(stderr, "refserver: --ike-port and --natt-port must differ")
		return 2
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		fmt.Fprintf(stderr, "refserver: --log-format %q: want text or json\n", o.logFormat)
		return 2
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		fmt.Fprintf(stderr, "refserver: %v\n", err)
		return 2
	}
	if o.fragmentSize != 0 && (o.fragmentSize < 256 || o.fragmentSize > 65535) {
		fmt.Fprintf(stderr, "refserver: --fragment-size %d: want 0, or 256 to 65535\n", o.fragmentSize)
		return 2
	}
	if o.mtu < 576 || o.mtu > 65535 {
		fmt.Fprintf(stderr, "refserver: --mtu %d: want 576 to 65535\n", o.mtu)
		return 2
	}
	s, err := newServer(o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	if err := s.serve(ctx); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	return 0
}

// defaultCtlPath is /run/refserver.ctl for root, else a per-user place.
func defaultCtlPath() string {
	if os.Geteuid() == 0 {
		return "/run/refserver.ctl"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d + "/refserver.ctl"
	}
	return "refserver.ctl"
}

// runCheckConfig parses a swanctl.conf and prints its summary.
func runCheckConfig(path string, stdout, stderr io.Writer) int {
	cfg, err := swanctl.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "refserver: %v\n", err)
		return 1
	}
	// The engine refuses what the parser lets through but cannot work.
	if _, err := ike.New(*cfg); err != nil {
		fmt.Fprintf(stderr, "refserver: %s: %v\n", path, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK\n", path)
	writeSummary(stdout, cfg)
	return 0
}
