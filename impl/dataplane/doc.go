// Package dataplane is a userspace IPsec data plane: the outbound and inbound
// IP traffic processing of RFC 4301 section 5 (5.1 outbound: SPD lookup,
// then DISCARD, BYPASS or PROTECT; 5.2 inbound: SAD lookup by SPI, ESP
// processing, then the selector check of the decrypted packet), over the ESP
// of RFC 4303 (impl/esp) carried as IP protocol 50 or encapsulated in UDP as
// RFC 3948 describes, with the databases of RFC 4301 section 4.4
// (impl/policy). It is what turns the Child SAs that the key exchange
// negotiates into packets that flow.
//
// # Where packets come from and go
//
// The data plane touches no socket and no device itself: it is given
//
//   - a Device, the packet device of tunnel mode (a TUN: netio.TUN), opened
//     by Config.OpenDevice when the first tunnel-mode Child SA is installed,
//     so that a server with transport-mode or no Child SAs never needs one.
//     Packets the local stack routes into it are protected (section 5.1);
//     decapsulated tunnel-mode packets are written to it (section 5.2);
//   - a UDPSender for UDP-encapsulated ESP (netio.Conn.SendESP) and
//     RawConns for ESP as IP protocol 50 (netio.RawESP), whose reader
//     goroutines the data plane runs. UDP-encapsulated ESP arrives through
//     HandleESP, which impl/netio's ESP callback calls.
//
// package dptest holds fakes of all three (a channel device and an
// in-memory network), so that two data planes run back to back in a test
// without privileges.
//
// # The SPD and the SAD
//
// The data plane keeps one SPD and one SAD (policy.Databases, RFC4301-4.4.1-1:
// one SPD). The SPD is ordered (RFC4301-4.4.1-3) in three parts:
//
//  1. one PROTECT entry per installed Child SA's traffic (Install), named
//     "connection/child mode [selector]"; Child SAs with the same name, mode
//     and selectors (a rekeyed Child SA, or a duplicate) share their entry,
//     whose newest SA pair takes the outbound traffic. These entries are kept
//     in order of specificity: an entry whose remote side, then local side,
//     covers fewer addresses comes first, so that a narrower Child SA is
//     not shadowed by a wider one (the SPD is not decorrelated, and
//     SAD.CheckInbound runs the ordered search for every inbound packet,
//     RFC4301-4.4.1-15); among equals, the older entry first;
//  2. the administrator's entries of Config.Entries, in their order: a
//     PROTECT entry there that no Child SA serves counts and drops what it
//     matches (no SA yet), a BYPASS entry drops too (a packet from the
//     device cannot leave in the clear: it was routed into the device to be
//     protected), a DISCARD entry drops;
//  3. a final DISCARD entry for everything else (RFC4301-4.4.1-5,
//     RFC4301-5.2-1).
//
// The SAD holds each Child SA as a pair (SAD.InstallPair) linked to its
// PROTECT entry; policy.SA.Data points at the pair's esp.Inbound and
// esp.Outbound. Remove takes the pair out again, and the entry with its last
// pair.
//
// # Rekeying (RFC 7296 section 2.8)
//
// A rekeyed Child SA is a new pair of the same entry: installed normally it
// takes the entry's outbound traffic at once (RFC7296-2.8-10, the
// initiator). Installed with Child.OutboundLater (the responder, which must
// accept traffic on the new SA at once, RFC7296-2.8-9, but may defer
// sending on it, RFC7296-2.8-12) its inbound SA works at once while the
// entry's outbound traffic stays on the older pairs until ActivateOutbound
// names it (SAD.InstallPairOutboundLater). A held pair with no older pair
// in its entry (the old one was removed first, or there was none) carries
// the traffic, since nothing else could. Removing the old pair leaves the
// new one as it is.
//
// Traffic selectors become an SPD entry through policy.SelectorsFromTS: the
// selectors of one Child SA that share a protocol and port ranges become one
// entry with their address ranges merged (a packet's addresses are of one
// family, so merging adds nothing to what the selectors allow). A Child SA
// whose selectors need several such groups (TS with different protocols or
// ports) gets an entry per group, but only the first group's entry points at
// the SA pair: the traffic of the others is dropped (outbound: a PROTECT
// entry without SA; inbound: SAD.CheckInbound finds another entry). Such
// narrow selectors are rare, and the failure is closed and counted.
//
// # Tunnel mode and routes
//
// For a tunnel-mode Child SA the data plane asks the device to route the
// remote traffic selectors into it (Device.AddRoute), with the local
// selector as the preferred source address when it is a single address of
// that family. An address range that is not a prefix is routed as the
// prefixes that cover it exactly (10.0.0.1-10.0.0.6 is 10.0.0.1/32,
// 10.0.0.2/31, 10.0.0.4/31 and 10.0.0.6/32). The IKE peer's own address is
// always left out of the routes: a remote selector covering it (a
// host-to-host tunnel, or 0.0.0.0/0) would otherwise route the ESP and IKE
// packets themselves into the tunnel. Routes are counted by prefix and
// removed with the last Child SA that needed them.
//
// # Outbound processing (RFC 4301 section 5.1)
//
// A packet read from the device, or made by the built-in responders, is
// parsed (policy.ParsePacket: its selector values) and looked up in the SPD
// (SPD.Outbound). DISCARD (or no match, RFC4301-5-2) and BYPASS drop it and
// count; PROTECT with an SA seals it with the pair's esp.Outbound
// (SealPacket: the whole packet in tunnel mode, the upper-layer segment in
// transport mode) and sends it to the SA's peer, in UDP when the SA is
// UDP-encapsulated, as protocol 50 otherwise. PROTECT without an SA drops
// and counts it: there is no trap policy here (swanctl's start_action =
// trap, RFC 4301 section 5.1 step 3b's "invoke key management" and
// RFC4301-5.1-2's choice, is out of scope: the packet is discarded). When
// the SA's sequence numbers reach the soft limit the key exchange is told
// once (Config.Exhausted, hard = false); past the hard limit every packet is
// refused and the key exchange is told once more (hard = true).
//
// # Volume limits (RFC 4301 section 4.4.2.1)
//
// A pair may carry soft and hard limits in octets and packets
// (Child.SoftBytes, HardBytes, SoftPackets, HardPackets; swanctl.conf's
// rekey_bytes, life_bytes, rekey_packets, life_packets). Each SA of the
// pair counts on its own, as strongSwan's kernel SAs do: the limit is
// reached when either the inbound or the outbound SA has carried that much.
// The octets are those ChildStats shows (the ESP payload: the IP packet in
// tunnel mode, the upper-layer segment in transport mode), which is what
// strongSwan counts, not the padded plaintext of RFC4301-4.4.2.1-4 (a
// SHOULD; RFC4301-4.4.2.1-5 expects both ends to count differently). The
// key exchange is told once at the soft limit (Config.Limit, hard = false:
// a rekey is due, RFC4301-4.4.2.1-6) and once at the hard one (hard =
// true); from then on the pair refuses every packet both ways
// (RFC7296-2.8-1: an expired SA MUST NOT be used), counted as expired.
//
// # Inbound processing (RFC 4301 section 5.2)
//
// An ESP packet (HandleESP, or a RawConn reader) is matched to its SA by SPI
// (SAD.Inbound). An unknown SPI is dropped and counted (RFC4303-3.4.2-1),
// and reported to the key exchange through Config.UnknownSPI at most once a
// second per SPI, so that it can send INVALID_SPI (RFC7296-2.21.4-7; the
// engine limits its answers too). Then esp.Inbound.Open checks the
// anti-replay window, the ICV and the framing (its counters: replay drops,
// ICV failures, malformed), and drops dummy packets silently
// (RFC4303-2.6-2). A tunnel-mode inner packet must then pass
// SAD.CheckInbound, the SA's selectors and the ordered SPD search
// (RFC4301-5.2-6, RFC4301-4.4.1-15): what fails is dropped and counted as a
// selector drop, never delivered. What passes is written to the device.
//
// A transport-mode packet is rebuilt with the SA's outer addresses
// (esp.AppendTransportPacket, whose checksum fix is RFC 3948 section 3.1.2
// option 2, RFC3948-3.1.2-1), checked the same way, and handed to the
// built-in responders: this host's kernel has no ESP, so transport-mode
// traffic ends in the data plane itself. They are a UDP echo service on
// port 7 (RFC 862), answering through the same Child SA, and the receiving
// end of Probe. Anything else is counted as undeliverable.
//
// # Probes
//
// Probe sends UDP echo requests through a Child SA and counts the echoes: in
// transport mode between the SA's outer addresses, in tunnel mode as an
// inner packet between the first addresses of the local and remote traffic
// selectors. Another refserver answers both: transport mode always, tunnel
// mode with Config.TunnelEcho, which lets the echo service take the inner
// UDP packets to port 7 that a tunnel-mode SA delivers instead of the
// device. A kernel behind a tunnel (strongSwan's peer, say) has no UDP echo
// service: ping it instead.
//
// # Concurrency and buffers
//
// Install, Remove and Close are meant for one goroutine (the key exchange's)
// but are safe from any. Packets are processed on the goroutines that bring
// them: the device reader (one goroutine, started with the device), the
// RawConn readers (one each) and HandleESP's callers; each owns its buffer,
// which Open decrypts in place and which is not kept after the call. Sealing
// uses a buffer from a pool. esp.Inbound and esp.Outbound, the SPD and the
// SAD are safe for concurrent use. Close stops every goroutine the data
// plane started and waits for them.
//
// # Not here
//
// Trap policies (acquires), SA lifetimes in time (the key exchange's),
// fragmentation and PMTU discovery (RFC 4301 section 8: the
// device's MTU should leave room for the ESP overhead), ICMP error
// processing (RFC 4301 section 6), DSCP and ECN handling, clear inbound
// traffic (the kernel handles it: this data plane sees only ESP), traffic
// flow confidentiality padding and dummy packets (esp supports both; no
// policy here sends them), transport mode through a NAT (the traffic
// selectors would carry the original addresses), and MOBIKE address
// changes.
package dataplane
