package policy_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/internal/proptest"
)

func TestParsePacket(t *testing.T) {
	v4frag := tcp("1.2.3.4", 1, "5.6.7.8", 2)
	v4frag.more = true
	v6first := tcp("2001:db8::1", 1024, "2001:db8::2", 443)
	v6first.ext, v6first.more = []uint8{0, 44, 60}, true
	for _, c := range []struct {
		name string
		s    spec
		want policy.Packet
	}{
		{"IPv4 TCP", tcp("1.2.3.101", 1024, "1.2.4.10", 443),
			policy.Packet{Src: addr("1.2.3.101"), Dst: addr("1.2.4.10"), Protocol: 6, SrcPort: 1024, DstPort: 443}},
		{"IPv4 UDP", udp("2.3.4.5", 500, "4.5.6.7", 500),
			policy.Packet{Src: addr("2.3.4.5"), Dst: addr("4.5.6.7"), Protocol: 17, SrcPort: 500, DstPort: 500}},
		{"IPv4 ICMP: type*256+code on the sender's side", icmp("1.2.3.101", "8.8.8.8", 3, 4),
			policy.Packet{Src: addr("1.2.3.101"), Dst: addr("8.8.8.8"), Protocol: 1, SrcPort: 3<<8 | 4, PortState: policy.PortsSender}},
		{"IPv4 SCTP", spec{src: "1.1.1.1", dst: "2.2.2.2", proto: policy.ProtoSCTP, sport: 7, dport: 9},
			policy.Packet{Src: addr("1.1.1.1"), Dst: addr("2.2.2.2"), Protocol: 132, SrcPort: 7, DstPort: 9}},
		{"IPv4 ESP: no ports", spec{src: "1.1.1.1", dst: "2.2.2.2", proto: policy.ProtoESP},
			policy.Packet{Src: addr("1.1.1.1"), Dst: addr("2.2.2.2"), Protocol: 50, PortState: policy.PortsOpaque}},
		{"IPv4 initial fragment keeps its ports", v4frag,
			policy.Packet{Src: addr("1.2.3.4"), Dst: addr("5.6.7.8"), Protocol: 6, SrcPort: 1, DstPort: 2, Fragment: true}},
		{"IPv4 non-initial fragment: OPAQUE", tcp("1.2.3.4", 1, "5.6.7.8", 2).nonInitial(),
			policy.Packet{Src: addr("1.2.3.4"), Dst: addr("5.6.7.8"), Protocol: 6, PortState: policy.PortsOpaque, Fragment: true, NonInitial: true}},
		{"IPv6 TCP", tcp("2001:db8::1", 40000, "2001:db8::2", 80),
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 6, SrcPort: 40000, DstPort: 80}},
		{"IPv6 ICMPv6", icmp("2001:db8::1", "2001:db8::2", 128, 0),
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 58, SrcPort: 128 << 8, PortState: policy.PortsSender}},
		{"IPv6 extension headers skipped (RFC4301-4.4.1.1-3)", spec{src: "2001:db8::1", dst: "2001:db8::2", proto: 17, sport: 500, dport: 4500, ext: []uint8{0, 43, 60}},
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 17, SrcPort: 500, DstPort: 4500}},
		{"IPv6 initial fragment", v6first,
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 6, SrcPort: 1024, DstPort: 443, Fragment: true}},
		{"IPv6 non-initial fragment: OPAQUE", tcp("2001:db8::1", 1, "2001:db8::2", 2).nonInitial(),
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 6, PortState: policy.PortsOpaque, Fragment: true, NonInitial: true}},
		{"IPv6 AH is a next layer protocol", spec{src: "2001:db8::1", dst: "2001:db8::2", proto: 17, ext: []uint8{51}},
			policy.Packet{Src: addr("2001:db8::1"), Dst: addr("2001:db8::2"), Protocol: 51, PortState: policy.PortsOpaque}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := parse(t, c.s); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParserSkipIPv6(t *testing.T) {
	s := spec{src: "2001:db8::1", dst: "2001:db8::2", proto: 6, sport: 1, dport: 2, ext: []uint8{60}}
	// RFC4301-4.4.1.1-2: which extension headers are skipped is configurable.
	p, err := policy.Parser{SkipIPv6: []uint8{0}}.Parse(s.bytes(t))
	if err != nil || p.Protocol != 60 || p.PortState != policy.PortsOpaque {
		t.Errorf("not skipping 60: %+v, %v", p, err)
	}
	// AH skipped on request, with its own length unit.
	ah := []byte{6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	b := append(append(spec{src: "2001:db8::1", dst: "2001:db8::2", proto: 51}.bytes(t)[:40:40], ah...),
		tcp("1.1.1.1", 7, "2.2.2.2", 8).l4(t)...)
	b[4], b[5] = 0, byte(len(b)-40)
	p, err = policy.Parser{SkipIPv6: []uint8{51}}.Parse(b)
	if err != nil || p.Protocol != 6 || p.SrcPort != 7 || p.DstPort != 8 {
		t.Errorf("skipping AH: %+v, %v", p, err)
	}
}

func TestParsePacketMalformed(t *testing.T) {
	good4 := tcp("1.2.3.4", 1, "5.6.7.8", 2).bytes(t)
	good6 := tcp("2001:db8::1", 1, "2001:db8::2", 2).bytes(t)
	mod := func(b []byte, f func([]byte)) []byte {
		b = append([]byte(nil), b...)
		f(b)
		return b
	}
	tiny := spec{src: "1.2.3.4", dst: "5.6.7.8", proto: 6, more: true}.bytes(t)
	tiny = mod(tiny[:22], func(b []byte) { b[3] = 22 }) // a first fragment with 2 octets of TCP
	for name, b := range map[string][]byte{
		"empty":                    nil,
		"version 5":                {0x50},
		"IPv4 cut":                 good4[:19],
		"IPv4 IHL 4":               mod(good4, func(b []byte) { b[0] = 0x44 }),
		"IPv4 total below IHL":     mod(good4, func(b []byte) { b[2], b[3] = 0, 19 }),
		"IPv4 total beyond bytes":  good4[:len(good4)-1],
		"IPv4 TCP header cut":      mod(good4[:23], func(b []byte) { b[2], b[3] = 0, 23 }),
		"IPv6 cut":                 good6[:39],
		"IPv6 payload beyond":      good6[:len(good6)-1],
		"IPv6 ext header cut":      mod(spec{src: "::1", dst: "::2", proto: 6, ext: []uint8{60}}.bytes(t)[:46], func(b []byte) { b[5] = 6 }),
		"IPv6 ext header too long": mod(spec{src: "::1", dst: "::2", proto: 59, ext: []uint8{60}}.bytes(t), func(b []byte) { b[41] = 9 }),
	} {
		if p, err := policy.ParsePacket(b); !errors.Is(err, policy.ErrMalformed) {
			t.Errorf("%s: %+v, %v; want ErrMalformed", name, p, err)
		}
	}
	// A first fragment cut before its ports has them OPAQUE (RFC 4301
	// section 7), it is not an error.
	if p, err := policy.ParsePacket(tiny); err != nil || p.PortState != policy.PortsOpaque || !p.Fragment || p.NonInitial {
		t.Errorf("tiny first fragment: %+v, %v", p, err)
	}
	// Octets after the IP datagram (link-layer padding) are ignored.
	if p, err := policy.ParsePacket(append(good4, 0, 0, 0)); err != nil || p.DstPort != 2 {
		t.Errorf("padded: %+v, %v", p, err)
	}
}

// genSpec generates packets of every shape ParsePacket distinguishes.
func genSpec() gopter.Gen {
	return gopter.CombineGens(
		gen.OneConstOf("1.2.3.101", "5.6.7.8", "2001:db8::1", "::ffff:1.2.3.4"),
		gen.OneConstOf("1.2.4.10", "8.8.8.8", "2001:db8::2", "fe80::1"),
		gen.OneConstOf(uint8(policy.ProtoTCP), uint8(policy.ProtoUDP), uint8(policy.ProtoICMP), uint8(policy.ProtoICMPv6),
			uint8(policy.ProtoSCTP), uint8(policy.ProtoDCCP), uint8(policy.ProtoUDPLite), uint8(policy.ProtoESP), uint8(47)),
		gen.UInt16(), gen.UInt16(), gen.UInt16(),
		gen.OneConstOf(uint16(0), uint16(0), uint16(1), uint16(8191)),
		gen.Bool(),
		gen.OneConstOf([]uint8(nil), []uint8{0}, []uint8{44}, []uint8{0, 43, 60}, []uint8{60, 44}),
	).Map(func(v []any) spec {
		s := spec{src: v[0].(string), dst: v[1].(string), proto: v[2].(uint8), sport: v[3].(uint16),
			dport: v[4].(uint16), icmp: v[5].(uint16), fragOff: v[6].(uint16), more: v[7].(bool), ext: v[8].([]uint8)}
		if v6(s.src) != v6(s.dst) { // one family
			s.src, s.dst = "9.9.9.9", "7.7.7.7"
		}
		if !v6(s.src) {
			s.ext = nil
		} else if (s.fragOff != 0 || s.more) && indexOf(s.ext, 44) < 0 {
			s.ext = append(append([]uint8(nil), s.ext...), 44)
		}
		return s
	})
}

func v6(a string) bool { return strings.Contains(a, ":") }

// expected computes from a spec what ParsePacket must return.
func (s spec) expected() policy.Packet {
	frag := s.fragOff != 0 || s.more
	if v6(s.src) {
		frag = indexOf(s.ext, 44) >= 0
	}
	p := policy.Packet{Src: addr(s.src), Dst: addr(s.dst), Protocol: s.proto, Fragment: frag, NonInitial: frag && s.fragOff != 0}
	switch {
	case p.NonInitial:
		p.PortState = policy.PortsOpaque
	case s.proto == policy.ProtoICMP || s.proto == policy.ProtoICMPv6:
		p.SrcPort, p.PortState = s.icmp, policy.PortsSender
	case s.proto == policy.ProtoESP || s.proto == 47:
		p.PortState = policy.PortsOpaque
	default:
		p.SrcPort, p.DstPort = s.sport, s.dport
	}
	return p
}

func TestParsePacketProperties(t *testing.T) {
	props := proptest.Properties(t)
	props.Property("packets built by gopacket parse to their fields", prop.ForAll(
		func(s spec) string {
			got, err := policy.ParsePacket(s.bytes(t))
			if want := s.expected(); err != nil || got != want {
				return fmt.Sprintf("%+v:\ngot  %+v, %v\nwant %+v", s, got, err, want)
			}
			return ""
		}, genSpec()))
	props.Property("no strict prefix of a packet parses", prop.ForAll(
		func(s spec, cut int) string {
			b := s.bytes(t)
			cut %= len(b)
			if p, err := policy.ParsePacket(b[:cut]); !errors.Is(err, policy.ErrMalformed) {
				return fmt.Sprintf("%+v cut to %d: %+v, %v", s, cut, p, err)
			}
			return ""
		}, genSpec(), gen.IntRange(0, 1<<16)))
	props.Property("random bytes never panic", prop.ForAll(
		func(b []byte, v6 bool) bool {
			if len(b) > 0 {
				b[0] = b[0]&0x0f | 0x40
				if v6 {
					b[0] = b[0]&0x0f | 0x60
				}
			}
			p, err := policy.ParsePacket(b)
			return err != nil || p.Src.IsValid() && p.Src.BitLen() == p.Dst.BitLen()
		}, gen.SliceOf(gen.UInt8()), gen.Bool()))
	props.TestingRun(t)
}

// FuzzParsePacket: no input panics, and what parses is consistent.
func FuzzParsePacket(f *testing.F) {
	for _, s := range []spec{
		tcp("1.2.3.101", 1024, "1.2.4.10", 443), udp("2001:db8::1", 500, "2001:db8::2", 500),
		icmp("1.2.3.101", "8.8.8.8", 8, 0), tcp("1.2.3.4", 1, "5.6.7.8", 2).nonInitial(),
		tcp("2001:db8::1", 1, "2001:db8::2", 2).nonInitial(),
		{src: "2001:db8::1", dst: "2001:db8::2", proto: 17, ext: []uint8{0, 43, 60}},
	} {
		f.Add(s.bytes(f))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.ParsePacket(b)
		if err != nil {
			if !errors.Is(err, policy.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !p.Src.IsValid() || p.Src.BitLen() != p.Dst.BitLen() || (p.NonInitial && p.PortState != policy.PortsOpaque) {
			t.Fatalf("inconsistent %+v", p)
		}
		_ = p.String()
	})
}
