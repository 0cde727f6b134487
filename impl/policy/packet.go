package policy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Extraction of the selector values of an IP packet (RFC 4301 section
// 4.4.1.1): addresses, next layer protocol (after the IPv6 extension
// headers that are skipped) and the "ports" of that protocol, OPAQUE where
// fragmentation hides them (RFC 4301 section 7).

// PortState says which "port" values a packet carries.
type PortState uint8

const (
	// PortsPresent: SrcPort and DstPort hold the ports of a protocol with
	// two ports (TCP, UDP, DCCP, SCTP, UDP-Lite).
	PortsPresent PortState = iota
	// PortsSender: the protocol has one "port", on the sender's side
	// (RFC 4301 section 4.4.1.3): SrcPort holds type*256 + code for ICMP and
	// ICMPv6 (RFC4301-4.4.1.1-6) and type*256 for the Mobility Header;
	// DstPort is zero and unused.
	PortsSender
	// PortsOpaque: the "ports" are not available (RFC4301-4.4.1.1-4): a
	// non-initial fragment, an initial fragment too short to hold them, or a
	// protocol without port fields (ESP, AH, GRE, ...: RFC 4301 section
	// 4.4.1.3, case A). SrcPort and DstPort are zero.
	PortsOpaque
)

// Packet holds the selector values of one IP packet, in the packet's own
// terms (source and destination); SPD and SAD lookups are told its
// Direction.
type Packet struct {
	Src, Dst         netip.Addr
	Protocol         uint8 // next layer protocol (RFC 4301 section 4.4.1.1)
	SrcPort, DstPort uint16
	PortState        PortState
	// Fragment is set for any fragment of a datagram, NonInitial for one
	// whose fragment offset is not zero.
	Fragment, NonInitial bool
}

func (p Packet) srcValue() portValue {
	switch p.PortState {
	case PortsPresent, PortsSender:
		return portValue{valueNumber, p.SrcPort}
	}
	return portValue{kind: valueOpaque}
}

func (p Packet) dstValue() portValue {
	switch p.PortState {
	case PortsPresent:
		return portValue{valueNumber, p.DstPort}
	case PortsSender:
		return portValue{kind: valueNone}
	}
	return portValue{kind: valueOpaque}
}

// String renders the packet for logs and audit records:
// "tcp 1.2.3.101:1024 -> 1.2.4.10:443", "icmp 1.2.3.101 -> 8.8.8.8 type 8 code 0".
func (p Packet) String() string {
	proto := protoString(p.Protocol)
	if p.Protocol == 0 {
		proto = "proto(0)"
	}
	frag := ""
	if p.NonInitial {
		frag = " (non-initial fragment)"
	} else if p.Fragment {
		frag = " (initial fragment)"
	}
	switch p.PortState {
	case PortsPresent:
		return fmt.Sprintf("%s %v -> %v%s", proto, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort), frag)
	case PortsSender:
		return fmt.Sprintf("%s %v -> %v type %d code %d%s", proto, p.Src, p.Dst, p.SrcPort>>8, p.SrcPort&0xff, frag)
	}
	return fmt.Sprintf("%s %v -> %v ports OPAQUE%s", proto, p.Src, p.Dst, frag)
}

// DefaultIPv6Skip returns the IPv6 extension headers skipped to reach the
// next layer protocol unless a Parser says otherwise (RFC4301-4.4.1.1-3): 0
// (Hop-by-Hop Options), 43 (Routing), 44 (Fragment) and 60 (Destination
// Options). AH (51) and ESP (50) are next layer protocols.
func DefaultIPv6Skip() []uint8 { return slices.Clone(defaultIPv6Skip[:]) }

var defaultIPv6Skip = [...]uint8{0, 43, 44, 60}

// Parser extracts selector values from IP packets. The zero Parser skips
// DefaultIPv6Skip().
type Parser struct {
	// SkipIPv6 lists the IPv6 extension headers to skip (RFC4301-4.4.1.1-2);
	// nil means DefaultIPv6Skip(). A header type not in the list is the next
	// layer protocol. ESP (50) is never skipped (what follows it is
	// encrypted), nor is No Next Header (59).
	SkipIPv6 []uint8
}

// ErrMalformed is wrapped by the errors for bytes that are not an IP packet
// whose selector values can be read. The data plane discards such packets.
var ErrMalformed = errors.New("malformed packet")

func malformed(format string, args ...any) error {
	return fmt.Errorf("spd: "+format+": %w", append(args, ErrMalformed)...)
}

// ParsePacket extracts the selector values of an IPv4 or IPv6 packet with
// the zero Parser.
func ParsePacket(b []byte) (Packet, error) { return Parser{}.Parse(b) }

// Parse extracts the selector values of the IPv4 or IPv6 packet b. It reads
// b only, never panics, and fails (wrapping ErrMalformed) when b is not a
// whole packet: a header cut short, a length field that disagrees with b, a
// non-fragmented packet too short for its ports, or an IPv6 fragment whose
// next layer protocol cannot be found. Bytes after the length the IP header
// announces are ignored. Checksums are not verified.
func (ps Parser) Parse(b []byte) (Packet, error) {
	if len(b) < 1 {
		return Packet{}, malformed("empty packet")
	}
	switch b[0] >> 4 {
	case 4:
		return parseIPv4(b)
	case 6:
		return ps.parseIPv6(b)
	}
	return Packet{}, malformed("IP version %d", b[0]>>4)
}

func parseIPv4(b []byte) (Packet, error) {
	if len(b) < 20 {
		return Packet{}, malformed("IPv4 header needs 20 octets, have %d", len(b))
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	switch {
	case ihl < 20:
		return Packet{}, malformed("IPv4 header length %d is below 20", ihl)
	case total < ihl:
		return Packet{}, malformed("IPv4 total length %d is below the header length %d", total, ihl)
	case total > len(b):
		return Packet{}, malformed("IPv4 total length %d, have %d octets", total, len(b))
	}
	p := Packet{
		Src:      netip.AddrFrom4([4]byte(b[12:16])),
		Dst:      netip.AddrFrom4([4]byte(b[16:20])),
		Protocol: b[9],
	}
	more := b[6]&0x20 != 0
	offset := binary.BigEndian.Uint16(b[6:8]) & 0x1fff
	p.Fragment, p.NonInitial = more || offset != 0, offset != 0
	return p, p.ports(b[ihl:total])
}

func (ps Parser) skips(h uint8) bool {
	if h == ProtoESP || h == ProtoNoNextV6 {
		return false
	}
	if ps.SkipIPv6 == nil {
		return slices.Contains(defaultIPv6Skip[:], h)
	}
	return slices.Contains(ps.SkipIPv6, h)
}

func (ps Parser) parseIPv6(b []byte) (Packet, error) {
	if len(b) < 40 {
		return Packet{}, malformed("IPv6 header needs 40 octets, have %d", len(b))
	}
	end := 40 + int(binary.BigEndian.Uint16(b[4:6]))
	if end > len(b) {
		// A payload length of zero with a Jumbo Payload option (RFC 2675)
		// is not supported: it reads as an empty payload.
		return Packet{}, malformed("IPv6 payload length %d, have %d octets", end-40, len(b)-40)
	}
	p := Packet{
		Src: netip.AddrFrom16([16]byte(b[8:24])),
		Dst: netip.AddrFrom16([16]byte(b[24:40])),
	}
	next, rest := b[6], b[40:end]
	for ps.skips(next) {
		if len(rest) < 8 {
			if p.Fragment {
				// RFC 4301 section 7: the first fragment may lack the next
				// layer protocol; it cannot be classified.
				return Packet{}, malformed("IPv6 initial fragment ends inside extension header %d", next)
			}
			return Packet{}, malformed("IPv6 extension header %d cut short", next)
		}
		n := 8
		switch next {
		case 44: // Fragment header: fixed 8 octets
			off := binary.BigEndian.Uint16(rest[2:4])
			p.Fragment = true
			if off>>3 != 0 {
				// A non-initial fragment: what follows is the middle of the
				// datagram, the protocol is the one this header names.
				p.Protocol, p.NonInitial, p.PortState = rest[0], true, PortsOpaque
				return p, nil
			}
		case ProtoAH: // payload length in 4-octet units, minus 2
			n = (int(rest[1]) + 2) * 4
		default: // Hdr Ext Len in 8-octet units, not counting the first 8
			n = (int(rest[1]) + 1) * 8
		}
		if n > len(rest) {
			if p.Fragment {
				return Packet{}, malformed("IPv6 initial fragment ends inside extension header %d", next)
			}
			return Packet{}, malformed("IPv6 extension header %d of %d octets, have %d", next, n, len(rest))
		}
		next, rest = rest[0], rest[n:]
	}
	p.Protocol = next
	return p, p.ports(rest)
}

// ports reads the "ports" of the next layer protocol from its header l.
func (p *Packet) ports(l []byte) error {
	need := 0
	switch p.Protocol {
	case ProtoTCP, ProtoUDP, ProtoDCCP, ProtoSCTP, ProtoUDPLite:
		need = 4
	case ProtoICMP, ProtoICMPv6:
		need = 2
	case ProtoMH:
		need = 3
	}
	switch {
	case need == 0 || p.NonInitial:
		p.PortState = PortsOpaque
		return nil
	case len(l) < need:
		if p.Fragment {
			// A first fragment cut before the ports: they are not
			// available, as in a non-initial fragment (RFC 4301 section 7).
			p.PortState = PortsOpaque
			return nil
		}
		return malformed("%s header needs %d octets, have %d", protoString(p.Protocol), need, len(l))
	}
	switch p.Protocol {
	case ProtoICMP, ProtoICMPv6:
		p.SrcPort, p.PortState = binary.BigEndian.Uint16(l[0:2]), PortsSender
	case ProtoMH:
		p.SrcPort, p.PortState = uint16(l[2])<<8, PortsSender
	default:
		p.SrcPort, p.DstPort = binary.BigEndian.Uint16(l[0:2]), binary.BigEndian.Uint16(l[2:4])
		p.PortState = PortsPresent
	}
	return nil
}
