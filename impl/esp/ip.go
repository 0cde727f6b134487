package esp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Mode is the IPsec mode of an SA (RFC 4301 section 4.1; RFC 4303
// sections 3.1.1 and 3.1.2). The zero value is Tunnel, which IKEv2 sets up
// unless USE_TRANSPORT_MODE was agreed (RFC 7296 section 1.3.1). The
// values are those of impl/ike's and impl/policy's Mode, so a conversion,
// esp.Mode(child.Mode), carries a negotiated mode here.
type Mode uint8

const (
	// Tunnel: the Payload Data is a whole inner IP packet, Next Header 4
	// or 41 (RFC 4303 section 3.1.2).
	Tunnel Mode = iota
	// Transport: the Payload Data is the upper-layer segment of an IP
	// packet whose own header becomes the outer one, Next Header its
	// protocol (RFC 4303 section 3.1.1).
	Transport
)

func (m Mode) String() string {
	switch m {
	case Tunnel:
		return "tunnel"
	case Transport:
		return "transport"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// IP header facts (RFC 791 section 3.1, RFC 8200 section 3).
const (
	ipv4MinHeader = 20
	ipv6Header    = 40
	protoTCP      = 6
	protoUDP      = 17
	protoICMPv6   = 58
	defaultTTL    = 64
)

// ipVersionOf is the IP version that a Next Header value announces (4 for
// 4, 6 for 41), or 0.
func ipVersionOf(next uint8) byte {
	switch next {
	case NextHeaderIPv4:
		return 4
	case NextHeaderIPv6:
		return 6
	}
	return 0
}

// TunnelNextHeader is the Next Header that announces the inner packet of a
// tunnel-mode SA (RFC 4303 section 2.6): 4 when its version field says
// IPv4, 41 when it says IPv6. Any other version is an *Error matching
// ErrMalformed.
func TunnelNextHeader(inner []byte) (uint8, error) {
	if len(inner) == 0 {
		return 0, errAt(ErrMalformed, 0, "an empty inner packet has no IP version")
	}
	switch inner[0] >> 4 {
	case 4:
		return NextHeaderIPv4, nil
	case 6:
		return NextHeaderIPv6, nil
	}
	return 0, errAt(ErrMalformed, 0, "IP version %d is neither 4 nor 6", inner[0]>>4)
}

// IPPacketLen is the length of the IPv4 or IPv6 packet at the start of b
// as its own header says (IPv4 Total Length; 40 plus the IPv6 Payload
// Length), after checking that header: a known version, an IPv4 header
// length of at least 20 octets that fits in the Total Length, and a
// length that b holds. What follows that length in b is not the packet's:
// in an ESP payload it is TFC padding (RFC 4303 section 2.7), which
// RFC4303-2.7-2 forbids the sender to count in the length field. Failures
// are *Error values matching ErrMalformed, offsets counted from b[0].
func IPPacketLen(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, errAt(ErrMalformed, 0, "no IP header")
	}
	switch v := b[0] >> 4; v {
	case 4:
		if len(b) < ipv4MinHeader {
			return 0, errAt(ErrMalformed, 0, "%d octets, shorter than an IPv4 header", len(b))
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:4]))
		switch {
		case ihl < ipv4MinHeader:
			return 0, errAt(ErrMalformed, 0, "IPv4 header length %d octets, less than 20", ihl)
		case total < ihl:
			return 0, errAt(ErrMalformed, 2, "IPv4 total length %d, less than the %d-octet header", total, ihl)
		case total > len(b):
			return 0, errAt(ErrMalformed, 2, "IPv4 total length %d, but %d octets", total, len(b))
		}
		return total, nil
	case 6:
		if len(b) < ipv6Header {
			return 0, errAt(ErrMalformed, 0, "%d octets, shorter than an IPv6 header", len(b))
		}
		total := ipv6Header + int(binary.BigEndian.Uint16(b[4:6]))
		if total > len(b) {
			return 0, errAt(ErrMalformed, 4, "IPv6 payload length %d, but %d octets after the header", total-ipv6Header, len(b)-ipv6Header)
		}
		return total, nil
	default:
		return 0, errAt(ErrMalformed, 0, "IP version %d is neither 4 nor 6", v)
	}
}

// SplitTransport splits an outbound IP packet for a transport-mode SA
// (RFC 4303 section 3.1.1) into the protocol of its upper layer, which
// becomes the Next Header, and the upper-layer segment, which becomes the
// Payload Data. The header itself is not sealed: the outer header is the
// one the socket that sends the ESP packet writes, so IPv4 options are
// not carried. It refuses (an *Error matching ErrMalformed):
//
//   - a packet whose header IPPacketLen rejects;
//   - an IPv4 fragment: "transport mode ESP is applied only to whole IP
//     datagrams (not to IP fragments)" (RFC 4303 section 3.3.4);
//   - an IPv6 packet whose first extension header is hop-by-hop, routing
//     or fragment, which belong before ESP (RFC 4303 section 3.1.1) and
//     which this helper does not rebuild. A destination options header is
//     sealed with the segment, one of the two places that section allows.
func SplitTransport(pkt []byte) (next uint8, segment []byte, err error) {
	n, err := IPPacketLen(pkt)
	if err != nil {
		return 0, nil, err
	}
	if pkt[0]>>4 == 4 {
		if frag := binary.BigEndian.Uint16(pkt[6:8]); frag&0x3fff != 0 {
			return 0, nil, errAt(ErrMalformed, 6, "an IPv4 fragment (flags and offset 0x%04x) cannot take transport mode", frag)
		}
		return pkt[9], pkt[int(pkt[0]&0x0f)*4 : n], nil
	}
	switch next := pkt[6]; next {
	case 0, 43, 44:
		return 0, nil, errAt(ErrMalformed, 6, "IPv6 extension header %d goes before ESP; not supported in transport mode", next)
	}
	return pkt[6], pkt[ipv6Header:n], nil
}

// AppendTransportPacket appends to b the IP packet that a transport-mode
// SA delivers: a header from src to dst (the outer addresses the ESP
// packet came with, both IPv4 or both IPv6) whose protocol is the Next
// Header next, followed by segment, the Payload Data that Inbound.Open
// returned. The new header has TTL (Hop Limit) 64, no options, IPv4
// identification 0 and no flags; only the addresses, protocol and length
// of the original survive the outer header's trip.
//
// The TCP, UDP or ICMPv6 checksum of the copy is then recomputed with
// FixTransportChecksum: RFC 3948 section 3.1.2, option 2. A NAT between
// the peers changed the addresses the peer's checksum was computed with,
// and RFC3948-3.1.2-1 requires one of its three fixes; without a NAT the
// recomputed checksum is the one sent. Recomputing hides a checksum that
// the peer got wrong: the ESP ICV already vouches for the contents
// (RFC 3948 section 3.1.2, option 3 makes the same argument).
func AppendTransportPacket(b []byte, src, dst netip.Addr, next uint8, segment []byte) ([]byte, error) {
	src, dst = src.Unmap(), dst.Unmap()
	start := len(b)
	switch {
	case src.Is4() && dst.Is4():
		total := ipv4MinHeader + len(segment)
		if total > 0xffff {
			return nil, fmt.Errorf("esp: a %d-octet segment does not fit in an IPv4 packet: %w", len(segment), ErrMalformed)
		}
		s, d := src.As4(), dst.As4()
		b = append(b, 0x45, 0, byte(total>>8), byte(total), 0, 0, 0, 0, defaultTTL, next, 0, 0)
		b = append(append(b, s[:]...), d[:]...)
		binary.BigEndian.PutUint16(b[start+10:], ^uint16(onesSum(0, b[start:start+ipv4MinHeader])))
	case src.Is6() && dst.Is6():
		if len(segment) > 0xffff {
			return nil, fmt.Errorf("esp: a %d-octet segment does not fit in an IPv6 packet without a jumbogram: %w", len(segment), ErrMalformed)
		}
		s, d := src.As16(), dst.As16()
		b = append(b, 0x60, 0, 0, 0, byte(len(segment)>>8), byte(len(segment)), next, defaultTTL)
		b = append(append(b, s[:]...), d[:]...)
	default:
		return nil, fmt.Errorf("esp: transport-mode addresses %v and %v are not of one IP version", src, dst)
	}
	hl := len(b) - start
	b = append(b, segment...)
	if err := FixTransportChecksum(src, dst, next, b[start+hl:]); err != nil {
		return nil, err
	}
	return b, nil
}

// FixTransportChecksum recomputes, in place, the checksum of a TCP, UDP or
// (over IPv6) ICMPv6 segment for the pseudo-header of src and dst (RFC 793
// section 3.1, RFC 768, RFC 8200 section 8.1, RFC 4443 section 2.3): RFC
// 3948 section 3.1.2 option 2, "recompute the checksum field in the
// TCP/UDP header", for a transport-mode packet that came through a NAT.
// The addresses are those of the header the segment will be delivered
// with. An IPv4 UDP checksum of zero ("no checksum", RFC 768) is left
// zero. Other protocols are left alone (an ICMPv4 checksum covers no
// addresses). A segment too short for its header or whose UDP length
// exceeds it is an error matching ErrMalformed.
func FixTransportChecksum(src, dst netip.Addr, proto uint8, segment []byte) error {
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() || !src.IsValid() || !dst.IsValid() {
		return fmt.Errorf("esp: addresses %v and %v are not of one IP version", src, dst)
	}
	var off, minLen int
	n := len(segment)
	switch {
	case proto == protoTCP:
		off, minLen = 16, 20
	case proto == protoUDP:
		off, minLen = 6, 8
		if n >= minLen {
			n = int(binary.BigEndian.Uint16(segment[4:6]))
			if n < minLen || n > len(segment) {
				return fmt.Errorf("esp: UDP length %d in a %d-octet segment: %w", n, len(segment), ErrMalformed)
			}
			if src.Is4() && segment[6] == 0 && segment[7] == 0 {
				return nil
			}
		}
	case proto == protoICMPv6 && src.Is6():
		off, minLen = 2, 4
	default:
		return nil
	}
	if len(segment) < minLen {
		return fmt.Errorf("esp: a %d-octet segment is too short for protocol %d: %w", len(segment), proto, ErrMalformed)
	}
	seg := segment[:n]
	seg[off], seg[off+1] = 0, 0
	// The pseudo-header: addresses, protocol, length.
	var sum uint32
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = onesSum(onesSum(0, s[:]), d[:])
	} else {
		s, d := src.As16(), dst.As16()
		sum = onesSum(onesSum(0, s[:]), d[:])
	}
	sum += uint32(proto) + uint32(n>>16) + uint32(n&0xffff)
	c := ^uint16(onesSum(sum, seg))
	if c == 0 && proto == protoUDP {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(seg[off:], c)
	return nil
}

// onesSum adds b to the one's-complement sum acc (RFC 1071) and returns
// it folded to 16 bits; an odd final octet is padded with zero. Adding
// 32-bit words and folding gives the sum of the 16-bit words, since
// 2^16 = 1 modulo 2^16 - 1.
func onesSum(acc uint32, b []byte) uint32 {
	s := uint64(acc)
	for len(b) >= 8 {
		s += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint32(s)
}
