// Package policy implements the IPsec databases of RFC 4301 section 4.4:
// the Security Policy Database (SPD, section 4.4.1) with the selectors of
// section 4.4.1.1, the Security Association Database (SAD, section 4.4.2)
// and the Peer Authorization Database (PAD, section 4.4.3), together with
// the policy steps of IP traffic processing (section 5.1 outbound, section
// 5.2 inbound) and the selector values of fragments (section 7).
//
// # Selectors and packets
//
// A Selector holds selector values in RFC 4301's local/remote convention:
// an IP protocol or ANY (0), local and remote address ranges (IPv4 or IPv6,
// net/netip), and local and remote "ports" (Ports: ANY, a range or OPAQUE;
// for ICMP and ICMPv6 the type and code as one 16-bit value, section
// 4.4.1.1). It is direction-free: for an outbound packet the source is
// local, for an inbound packet the destination is.
//
// A Flow holds the same values in the source/destination convention with a
// mirror flag: it matches packets from Src to Dst whichever way they cross,
// and with Mirror also the reverse flow. Views translates either into
// local/remote selectors with the directions they apply to, which is what
// every lookup matches; a mirrored Flow {S -> D} is the Selector {S <-> D}
// plus its reverse {D <-> S}.
//
// ParsePacket (or a Parser, to choose the IPv6 extension headers to skip)
// reads a packet's selector values from its bytes: IPv4 or IPv6 addresses,
// the next layer protocol, TCP/UDP/SCTP/DCCP/UDP-Lite ports, the ICMP type
// and code. A non-initial fragment has OPAQUE ports, so only ANY or OPAQUE
// port selectors match it. ParsePacket never panics.
//
// # SPD
//
// An SPD is an ordered list of entries (Entry: a unique name, a Match in
// either convention, and BYPASS, DISCARD or PROTECT; a PROTECT entry's ESP
// says tunnel or transport mode, the tunnel peer and the IKE connection and
// child that negotiate its SAs). The first matching entry decides.
// SPD.Outbound classifies packets leaving the protected side and, for a
// PROTECT entry, returns the outbound SA to use (or none yet: ask the IKE
// engine). SPD.Inbound classifies clear packets arriving from the
// unprotected side: BYPASS lets them in, a PROTECT entry drops them (they
// should have arrived protected), as does DISCARD or no match. Each entry
// counts its decisions.
//
// # SAD
//
// A SAD holds ESP SAs in pairs (SAD.InstallPair, SAD.RemovePair): an IKE
// Child SA is one inbound and one outbound SA, installed and removed
// together. Inbound SAs are found by SPI (SAD.Inbound); outbound SAs are
// found through the SPD PROTECT entry the pair was installed for, which
// points at the pairs it governs. Each SA keeps its negotiated selectors,
// mode and outer addresses (with ports for UDP encapsulation), and an
// opaque Data field where the data plane keeps its impl/esp state: policy
// imports nothing of the data plane. After ESP processing,
// SAD.CheckInbound checks the packet against the SA's selectors and against
// the ordered SPD (section 5.2, step 4) and counts what it drops.
//
// # PAD
//
// A PAD is an ordered list of PADEntry values: an identity pattern
// (IDMatch: exact names, DNS and e-mail sub-trees, DN prefixes, address
// ranges, exact key IDs), the AUTH methods the peer may use, the IKE peer
// (gateway) addresses it may use, and the SPD PROTECT entries and remote
// address ranges its Child SAs may cover. PAD.Authorize checks an
// authenticated peer; PAD.Narrow intersects its proposed traffic selectors
// with what it is authorized for (RFC 7296 section 2.9).
//
// # Intended use
//
// impl/ike imports policy (never the reverse, DESIGN.md), so the
// configuration types here are policy's own and impl/ike converts its
// Config into a Config:
//
//   - for each connection, BYPASS entries for its IKE traffic (UDP 500 and
//     4500 between the IKE addresses) ahead of everything else: IKE
//     traffic needs an explicit BYPASS entry (RFC4301-5.2-3);
//   - for each child, a PROTECT entry (a Selector from its local and remote
//     traffic selectors, with ESP{Mode, Peer, Connection, Child}) named
//     uniquely, e.g. "connection/child";
//   - a final DISCARD entry for everything else (RFC4301-4.4.1-5; without
//     it unmatched packets are discarded anyway, RFC4301-5-2);
//   - for each connection, a PADEntry: the remote identity as an IDMatch,
//     the remote AUTH methods, the remote IKE addresses as PeerAddrs, the
//     connection's children as Children, and the children's remote traffic
//     selectors as RemoteAddrs.
//
// New builds the three databases. The engine then calls PAD.Authorize
// after verifying AUTH, PAD.Narrow when it answers (or receives the answer
// to) a Child SA request, converts the narrowed traffic selectors to its
// own, and reports the pair it created, whose SAs the driver installs with
// SAD.InstallPair(Narrowed.Entry, in, out) (Selectors from
// Narrowed.Selectors or SelectorsFromTS) and removes with SAD.RemovePair.
// The data plane (netio, cmd/refserver) calls ParsePacket, SPD.Outbound,
// SPD.Inbound, SAD.Inbound and SAD.CheckInbound per packet.
//
// # Concurrency
//
// The SPD and the SAD are safe for concurrent use by many packet-processing
// goroutines and an occasional writer: lookups take read locks
// (sync.RWMutex) and count with atomic adds; writers take the write locks
// (the SAD's, then its SPD's), so an SA pair is installed or removed at
// once for every reader. SAs must not be changed after InstallPair. A PAD
// never changes after NewPAD.
//
// # Errors
//
// Errors start with "spd: ", "sad: " or "pad: " and wrap a sentinel:
// ErrInvalid and ErrDuplicate (configuration), ErrNoEntry, ErrMalformed
// (ParsePacket), ErrUnknownSPI, ErrSelectors and ErrPolicy (CheckInbound),
// ErrUnknownPeer, ErrAuthMethod, ErrPeerAddress and ErrTSUnacceptable (PAD).
//
// # Not implemented
//
// The SPD is one correlated, ordered list: no decorrelation and no caches
// (section 4.4.1, section 5); one SPD per context (RFC4301-4.4.1-1), no SPD
// selection function. No populate-from-packet (PFP) flags (section
// 4.4.2.2), no named SPD entries beyond the PAD's Children (section
// 4.4.1.1, "Name"), no OPAQUE next layer protocol, no stateful fragment
// checking (section 7.3, RFC4301-7.4-2: non-initial fragments only match
// entries whose ports are ANY or OPAQUE), no AH, no multicast. SA lifetimes,
// sequence numbers and anti-replay state belong to impl/esp.
package policy
