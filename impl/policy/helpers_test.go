package policy_test

// Test helpers: packets built with gopacket (an implementation of IPv4,
// IPv6, TCP, UDP and ICMP other than ours), address ranges and ports in the
// seed tables' notation, and gopter parameters.

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// spec describes a packet to build.
type spec struct {
	src, dst     string
	proto        uint8
	sport, dport uint16 // TCP, UDP, SCTP, DCCP, UDP-Lite
	icmp         uint16 // ICMP or ICMPv6 type*256 + code
	fragOff      uint16 // fragment offset in 8-octet units
	more         bool   // More Fragments
	ext          []uint8
	extFirst     bool // IPv6: a Fragment header (44) in ext is a first fragment
}

func serialize(t testing.TB, fix bool, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: fix, ComputeChecksums: fix}, ls...); err != nil {
		t.Fatalf("gopacket: %v", err)
	}
	return buf.Bytes()
}

// l4 returns the next layer protocol's header (and a little payload).
func (s spec) l4(t testing.TB) []byte {
	payload := gopacket.Payload("ikev2ref")
	switch s.proto {
	case policy.ProtoTCP:
		return serialize(t, false, &layers.TCP{SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport), DataOffset: 5, SYN: true, Window: 1024}, payload)
	case policy.ProtoUDP:
		return serialize(t, false, &layers.UDP{SrcPort: layers.UDPPort(s.sport), DstPort: layers.UDPPort(s.dport), Length: 16}, payload)
	case policy.ProtoICMP:
		return serialize(t, false, &layers.ICMPv4{TypeCode: layers.ICMPv4TypeCode(s.icmp), Id: 1, Seq: 1}, payload)
	case policy.ProtoICMPv6:
		return serialize(t, false, &layers.ICMPv6{TypeCode: layers.ICMPv6TypeCode(s.icmp)}, gopacket.Payload("\x00\x01\x00\x01ikev2ref"))
	case policy.ProtoSCTP, policy.ProtoDCCP, policy.ProtoUDPLite:
		b := []byte{byte(s.sport >> 8), byte(s.sport), byte(s.dport >> 8), byte(s.dport), 0, 0, 0, 0}
		return append(b, payload...)
	}
	return []byte("ikev2ref")
}

func (s spec) bytes(t testing.TB) []byte {
	t.Helper()
	src, dst := netip.MustParseAddr(s.src), netip.MustParseAddr(s.dst)
	body := s.l4(t)
	if s.fragOff != 0 {
		body = []byte("middle of a datagram")
	}
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocol(s.proto),
			SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), FragOffset: s.fragOff}
		if s.more {
			ip.Flags = layers.IPv4MoreFragments
		}
		return serialize(t, true, ip, gopacket.Payload(body))
	}
	// IPv6: extension headers written by hand (gopacket cannot serialize a
	// Fragment header), then the next layer.
	next := s.proto
	var ext []byte
	for i := len(s.ext) - 1; i >= 0; i-- {
		h := []byte{next, 0, 1, 4, 0, 0, 0, 0} // PadN of 4 octets
		if s.ext[i] == 44 {
			off := s.fragOff << 3
			if s.more {
				off |= 1
			}
			h = []byte{next, 0, byte(off >> 8), byte(off), 0, 0, 0, 7}
		}
		ext, next = append(h, ext...), s.ext[i]
	}
	if len(s.ext) > 0 && s.fragOff != 0 {
		// The fragmentable part after the Fragment header is not a header.
		ext = ext[:8*indexOf(s.ext, 44)+8]
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocol(next), SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	return serialize(t, true, ip, gopacket.Payload(append(ext, body...)))
}

func indexOf(hs []uint8, h uint8) int {
	for i, x := range hs {
		if x == h {
			return i
		}
	}
	return -1
}

func tcp(src string, sport uint16, dst string, dport uint16) spec {
	return spec{src: src, dst: dst, proto: policy.ProtoTCP, sport: sport, dport: dport}
}

func udp(src string, sport uint16, dst string, dport uint16) spec {
	return spec{src: src, dst: dst, proto: policy.ProtoUDP, sport: sport, dport: dport}
}

func icmp(src, dst string, typ, code uint8) spec {
	proto := uint8(policy.ProtoICMP)
	if strings.Contains(src, ":") {
		proto = policy.ProtoICMPv6
	}
	return spec{src: src, dst: dst, proto: proto, icmp: uint16(typ)<<8 | uint16(code)}
}

// nonInitial turns s into a non-initial fragment of its datagram.
func (s spec) nonInitial() spec {
	s.fragOff, s.more = 185, true
	if strings.Contains(s.src, ":") {
		s.ext = []uint8{44}
	}
	return s
}

func parse(t testing.TB, s spec) policy.Packet {
	t.Helper()
	p, err := policy.ParsePacket(s.bytes(t))
	if err != nil {
		t.Fatalf("ParsePacket(%+v): %v", s, err)
	}
	return p
}

// rng reads the seed's address notation: "*" (ANY), a prefix or an address.
func rng(s string) []policy.AddrRange {
	switch {
	case s == "*":
		return policy.AnyAddrs()
	case strings.Contains(s, "/"):
		return []policy.AddrRange{policy.RangeOf(netip.MustParsePrefix(s))}
	}
	return []policy.AddrRange{policy.Host(netip.MustParseAddr(s))}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func netipAP(a string, port uint16) netip.AddrPort { return netip.AddrPortFrom(addr(a), port) }

// reverse is the reply to s: addresses and ports swapped.
func (s spec) reverse() spec {
	s.src, s.dst, s.sport, s.dport = s.dst, s.src, s.dport, s.sport
	return s
}
