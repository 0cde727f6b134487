// Package interop runs the reference server (cmd/refserver) against real
// IKEv2 peers over real UDP, in network namespaces, and judges the result
// from both ends: RFC 7296 (IKE_SA_INIT, IKE_AUTH, COOKIE section 2.6,
// INVALID_KE_PAYLOAD section 1.3, Delete section 1.4.1, liveness section
// 2.4) and RFC 3948 (UDP encapsulation, which strongSwan's userspace ESP
// forces).
//
// The non-test part of the package is what needs no root and no daemon:
// one view of an IKE SA (IKESA, ChildSA) that both strongSwan's
// `swanctl --list-sas --pretty` output (ParseListSAs) and the refserver's
// `ctl list-sas --json` (ParseRefserverSAs) are read into, the comparison
// of the two ends (CompareEnds), the configuration files written for both
// (Conn.SwanctlConf, CharonOptions.StrongswanConf), and the extraction of
// Wireshark key tables from a charon log (CharonKeys), which the harness
// self-test uses to check the capture tools on a charon-to-charon run.
//
// The tests (*_test.go) build the topology, start charon and the refserver,
// capture the wire and run the scenarios; they run only as root with the
// packages of install-deps.sh present and skip loudly otherwise. README.md
// says how to run them and what each scenario checks.
package interop
