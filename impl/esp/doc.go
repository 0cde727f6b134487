// Package esp implements ESP (RFC 4303) for a userspace data plane: the
// packet format of section 2 (SPI, Sequence Number, Payload Data with its
// IV, TFC padding of section 2.7, Padding, Pad Length, Next Header, ICV),
// outbound processing of section 3.3 (sequence number generation 3.3.3,
// encryption and ICV 3.3.2), inbound processing of section 3.4 (the
// anti-replay window of 3.4.3 and Appendix A, in package replay; ICV
// verification and decryption 3.4.4), dummy packets (section 2.6), the
// Extended Sequence Numbers of section 2.2.1, tunnel and transport mode
// (sections 3.1.1 and 3.1.2) and the transport-mode checksum fix of RFC
// 3948 section 3.1.2. The combined-mode transforms follow RFC 4106
// (AES-GCM), RFC 4309 (AES-CCM) and RFC 7634 (ChaCha20-Poly1305), whose
// associated data is the ESP header (RFC 4106 section 5).
//
// # Layers
//
//   - SA (NewSA): the keys of one SA, no state. Seal and Open/OpenESN
//     protect and open single packets for a caller that manages sequence
//     numbers itself: tests, and cmd/ikedump, which opens recorded
//     traffic (possibly with an unchecked ICV, Config.UncheckedICVLen).
//   - Outbound (NewOutbound): an SA and its sequence number counter. Seal
//     numbers packets from 1, reports once (Sealed.RekeyDue) when the soft
//     limit is reached so that the key exchange can rekey, and refuses
//     with ErrSeqExhausted past 2^32 - 1 (2^64 - 1 with ESN): the counter
//     never cycles (RFC4303-3.3.3-1). SealPacket takes an IP packet and
//     follows the SA's Mode; SealDummy sends Next Header 59.
//   - Inbound (NewInbound): an SA and its anti-replay window. Open checks
//     the window before the ICV and moves it only after, drops dummy
//     packets with a nil error (Received.Dummy), and cuts TFC padding by
//     the inner packet's length field.
//   - Mode helpers: TunnelNextHeader, IPPacketLen, SplitTransport,
//     AppendTransportPacket and FixTransportChecksum.
//
// A data plane holds one Outbound and one Inbound per Child SA, found by
// SPI, and runs, for a tunnel-mode SA:
//
//	// TUN -> peer
//	s, err := out.SealPacket(buf[:0], innerPacket)
//	if errors.Is(err, esp.ErrSeqExhausted) { /* drop; the SA is dead: rekey */ }
//	if s.RekeyDue { /* tell the engine, once */ }
//	conn.WriteToUDPAddrPort(s.Packet, peer) // port 4500: the ESP packet is the payload
//
//	// peer -> TUN
//	r, err := in.Open(esppkt) // decrypts in place
//	switch {
//	case err != nil: // drop; counted in in.Stats(); log SPI, r.Seq, addresses
//	case r.Dummy: // drop silently
//	default: // check r.Payload against the SA's selectors, then write it to the TUN
//	}
//
// and for a transport-mode SA the same with esp.AppendTransportPacket(dst,
// peerAddr, localAddr, r.NextHeader, r.Payload) before the TUN write.
//
// # Concurrency
//
// An SA is immutable once made and safe for concurrent use. An Outbound is
// safe for concurrent use: its counter is atomic, so sequence numbers are
// unique whichever goroutine seals (one sealing goroutine per SA keeps the
// packets in order on the wire). An Inbound is safe for concurrent use:
// several reader goroutines may Open packets of one SA at once; a mutex
// guards the window only for its check and its update, not for the
// cryptography in between. Stats of either may be read at any time from
// any goroutine (atomic counters). A replay.Window alone is not safe for
// concurrent use.
//
// # UDP encapsulation
//
// On a NAT-T port (RFC 3948 section 2.1) the ESP packet is the UDP payload
// as it is, from the SPI on: Sealed.Packet is written to the socket
// unchanged and a received ESP datagram is passed to Inbound.Open
// unchanged. Telling ESP from IKE (the four-zero-octet non-ESP marker) and
// from a NAT keepalive (one octet 0xFF) is impl/netio's job (Classify),
// which hands this package only the ESP; the marker never reaches here,
// and a zero SPI never leaves (NewOutbound refuses SPI 0, RFC3948-2.1-4).
// The outer UDP checksum is the socket's (RFC3948-2.1-3: receivers must
// not depend on its being zero).
//
// # Not here
//
//   - AH (RFC 4302) is not offered and not implemented: RFC4301-3.2-1
//     makes it a MAY, and ESP with ENCR_NULL gives integrity-only
//     protection that crosses NATs (RFC8221-5-9). No type or
//     configuration here can describe an AH SA.
//   - Encryption without integrity: NewSA refuses it (RFC8221-6-1,
//     RFC8221-6-3), except for opening recorded traffic whose ICV is
//     unchecked; Outbound and Inbound refuse that too.
//   - The selector check of a decrypted packet (RFC 4301 section 5.2) is
//     the caller's, with its SPD entry (impl/policy); so are the SAD
//     lookup by SPI (section 3.4.2) and the audit log of the events that
//     RFC 4303 section 4 names: the errors and counters carry what it
//     needs (SPI, sequence number; the caller adds time and addresses).
//   - Re-synchronization after a loss of 2^32 packets (RFC 4303 Appendix
//     A3, RFC4303-A3-1): not implemented; such an SA fails its ICVs
//     until rekeyed.
//   - Fragmentation and reassembly (section 3.3.4), multicast and
//     multi-sender SAs, and a sender counter that may cycle (for a peer
//     without anti-replay): not supported.
//
// Every cipher and MAC comes from impl/crypto's transform registry
// (crypto.Encr, crypto.Integ); this package only frames them, running the
// block cipher of a CBC transform in crypto/cipher's CBC mode as
// impl/crypto's own SK code does. Errors start with "esp: " and wrap
// ErrMalformed, ErrIntegrity, ErrPadding, ErrReplay or ErrSeqExhausted;
// the *Error form carries the octet offset in the ESP packet. No input
// makes Parse, Open or Inbound.Open panic.
package esp
