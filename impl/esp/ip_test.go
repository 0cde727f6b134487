package esp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// ipv4 builds an IPv4 packet (header checksum included) around payload.
func ipv4(proto uint8, src, dst string, payload []byte) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	total := 20 + len(payload)
	h := []byte{0x45, 0, byte(total >> 8), byte(total), 0x12, 0x34, 0x40, 0, 64, proto, 0, 0}
	h = append(append(h, s[:]...), d[:]...)
	binary.BigEndian.PutUint16(h[10:], ^uint16(onesSum(0, h)))
	return append(h, payload...)
}

// ipv6 builds an IPv6 packet around payload.
func ipv6(next uint8, src, dst string, payload []byte) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	h := []byte{0x60, 0, 0, 0, byte(len(payload) >> 8), byte(len(payload)), next, 64}
	h = append(append(h, s[:]...), d[:]...)
	return append(h, payload...)
}

func TestIPPacketLen(t *testing.T) {
	v4 := ipv4(17, "192.0.2.1", "198.51.100.2", make([]byte, 12))
	withOpts := bytes.Clone(v4)
	withOpts[0] = 0x46 // 24-octet header: still within the 32 octets
	v6 := ipv6(59, "2001:db8::1", "2001:db8::2", make([]byte, 10))
	mod := func(b []byte, i int, v byte) []byte { b = bytes.Clone(b); b[i] = v; return b }
	tests := []struct {
		name string
		b    []byte
		n    int
		off  int // of the error; -1: none
	}{
		{"IPv4", v4, 32, -1},
		{"IPv4 with TFC padding", append(bytes.Clone(v4), 0, 0, 0, 0), 32, -1},
		{"IPv4 with options", withOpts, 32, -1},
		{"IPv6", v6, 50, -1},
		{"IPv6 with TFC padding", append(bytes.Clone(v6), 9, 9), 50, -1},
		{"IPv6 header only", ipv6(59, "::1", "::1", nil), 40, -1},
		{"empty", nil, 0, 0},
		{"IPv4 too short", v4[:19], 0, 0},
		{"IPv4 IHL 4", mod(v4, 0, 0x44), 0, 0},
		{"IPv4 total length below the header", mod(mod(v4, 2, 0), 3, 19), 0, 2},
		{"IPv4 total length beyond the octets", mod(v4, 3, 33), 0, 2},
		{"IPv4 header beyond the total length", mod(v4, 0, 0x4f), 0, 2},
		{"IPv4 truncated", v4[:31], 0, 2},
		{"IPv6 too short", v6[:39], 0, 0},
		{"IPv6 payload length beyond the octets", v6[:49], 0, 4},
		{"version 5", mod(v4, 0, 0x55), 0, 0},
	}
	for _, tc := range tests {
		n, err := IPPacketLen(tc.b)
		var e *Error
		switch {
		case tc.off < 0 && (err != nil || n != tc.n):
			t.Errorf("%s: %d, %v; want %d", tc.name, n, err, tc.n)
		case tc.off >= 0 && (!errors.As(err, &e) || !errors.Is(err, ErrMalformed) || e.Offset != tc.off):
			t.Errorf("%s: %d, %v; want ErrMalformed at offset %d", tc.name, n, err, tc.off)
		}
	}
	for _, b := range [][]byte{v4, v6} {
		next, err := TunnelNextHeader(b)
		want := map[byte]uint8{4: NextHeaderIPv4, 6: NextHeaderIPv6}[b[0]>>4]
		if err != nil || next != want {
			t.Errorf("TunnelNextHeader(IPv%d) = %d, %v", b[0]>>4, next, err)
		}
	}
	for _, b := range [][]byte{nil, {0x50}, {0x00}} {
		if _, err := TunnelNextHeader(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("TunnelNextHeader(%x): %v", b, err)
		}
	}
}

func TestSplitTransport(t *testing.T) {
	seg := []byte{0, 53, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4}
	v4 := ipv4(17, "192.0.2.1", "198.51.100.2", seg)
	opts := append([]byte{0x46}, v4[1:20]...)
	opts = append(append(opts, 1, 1, 1, 0), seg...) // NOP NOP NOP EOL
	opts[3] += 4
	frag := func(flags uint16) []byte {
		b := bytes.Clone(v4)
		binary.BigEndian.PutUint16(b[6:8], flags)
		return b
	}
	tests := []struct {
		name string
		pkt  []byte
		next uint8
		seg  []byte
		ok   bool
	}{
		{"IPv4 UDP", v4, 17, seg, true},
		{"IPv4 with options", opts, 17, seg, true},
		{"IPv4 with trailing octets", append(bytes.Clone(v4), 0xee), 17, seg, true},
		{"IPv4 DF", frag(0x4000), 17, seg, true},
		{"IPv4 first fragment", frag(0x2000), 0, nil, false},
		{"IPv4 later fragment", frag(0x0010), 0, nil, false},
		{"IPv6 TCP", ipv6(6, "2001:db8::1", "2001:db8::2", seg), 6, seg, true},
		{"IPv6 destination options", ipv6(60, "2001:db8::1", "2001:db8::2", seg), 60, seg, true},
		{"IPv6 hop-by-hop", ipv6(0, "2001:db8::1", "2001:db8::2", seg), 0, nil, false},
		{"IPv6 routing", ipv6(43, "2001:db8::1", "2001:db8::2", seg), 0, nil, false},
		{"IPv6 fragment", ipv6(44, "2001:db8::1", "2001:db8::2", seg), 0, nil, false},
		{"garbage", []byte{1, 2, 3}, 0, nil, false},
	}
	for _, tc := range tests {
		next, got, err := SplitTransport(tc.pkt)
		if tc.ok != (err == nil) || next != tc.next || !bytes.Equal(got, tc.seg) {
			t.Errorf("%s: %d %x %v; want %d %x ok=%v", tc.name, next, got, err, tc.next, tc.seg, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v does not match ErrMalformed", tc.name, err)
		}
	}
}

// gopacketSegment serializes a TCP or UDP segment with gopacket, which
// computes its checksum for the pseudo-header of src and dst: an
// independent implementation to compare with.
func gopacketSegment(t *testing.T, proto uint8, src, dst netip.Addr, payload []byte) []byte {
	t.Helper()
	var nl gopacket.NetworkLayer
	if src.Is4() {
		nl = &layers.IPv4{Version: 4, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()), Protocol: layers.IPProtocol(proto)}
	} else {
		nl = &layers.IPv6{Version: 6, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()), NextHeader: layers.IPProtocol(proto)}
	}
	var l gopacket.SerializableLayer
	switch proto {
	case protoTCP:
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 7, Ack: 9, ACK: true, PSH: true, Window: 512}
		tcp.SetNetworkLayerForChecksum(nl)
		l = tcp
	case protoUDP:
		udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
		udp.SetNetworkLayerForChecksum(nl)
		l = udp
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, l, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFixTransportChecksum: a segment checksummed by the peer for its
// private addresses (before a NAT) gets, after FixTransportChecksum with
// the addresses it arrives with, the checksum gopacket computes for those.
func TestFixTransportChecksum(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name                       string
		realSrc, realDst, src, dst netip.Addr
	}{
		{"IPv4 through a NAT", a("10.0.0.2"), a("198.51.100.7"), a("203.0.113.9"), a("198.51.100.7")},
		{"IPv4 without NAT", a("192.0.2.1"), a("192.0.2.2"), a("192.0.2.1"), a("192.0.2.2")},
		{"IPv6", a("2001:db8::1"), a("2001:db8::2"), a("2001:db8:1::1"), a("2001:db8::2")},
	} {
		for _, proto := range []uint8{protoTCP, protoUDP} {
			for _, n := range []int{0, 1, 7, 64, 1001} {
				payload := bytes.Repeat([]byte{0xa5, 0x3c, 0x01}, n)[:n]
				seg := gopacketSegment(t, proto, tc.realSrc, tc.realDst, payload)
				want := gopacketSegment(t, proto, tc.src, tc.dst, payload)
				if err := FixTransportChecksum(tc.src, tc.dst, proto, seg); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(seg, want) {
					t.Errorf("%s, protocol %d, %d octets: %x, want %x", tc.name, proto, n, seg[:20], want[:20])
				}
			}
		}
	}
	// An IPv4 UDP checksum of zero means none and stays so; over IPv6 it
	// is not allowed and is computed.
	udp := []byte{0, 53, 0, 53, 0, 9, 0, 0, 0x42}
	if err := FixTransportChecksum(a("192.0.2.1"), a("192.0.2.2"), protoUDP, udp); err != nil || udp[6] != 0 || udp[7] != 0 {
		t.Errorf("IPv4 UDP without checksum: %x, %v", udp, err)
	}
	if err := FixTransportChecksum(a("2001:db8::1"), a("2001:db8::2"), protoUDP, udp); err != nil || udp[6] == 0 && udp[7] == 0 {
		t.Errorf("IPv6 UDP: %x, %v", udp, err)
	}
	// Other protocols are left alone; broken segments are refused.
	icmp := []byte{8, 0, 0xaa, 0xbb, 1, 2, 3, 4}
	if err := FixTransportChecksum(a("192.0.2.1"), a("192.0.2.2"), 1, icmp); err != nil || icmp[2] != 0xaa {
		t.Errorf("ICMPv4: %x, %v", icmp, err)
	}
	for _, tc := range []struct {
		proto uint8
		seg   []byte
	}{
		{protoTCP, make([]byte, 19)}, {protoUDP, make([]byte, 7)}, {protoUDP, []byte{0, 1, 0, 2, 0, 20, 1, 1}},
		{protoUDP, []byte{0, 1, 0, 2, 0, 7, 1, 1}}, {protoICMPv6, []byte{1, 2, 3}},
	} {
		err := FixTransportChecksum(a("2001:db8::1"), a("2001:db8::2"), tc.proto, tc.seg)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("protocol %d segment %x: %v, want ErrMalformed", tc.proto, tc.seg, err)
		}
	}
	if err := FixTransportChecksum(a("192.0.2.1"), a("2001:db8::2"), protoTCP, make([]byte, 20)); err == nil {
		t.Errorf("mixed address families accepted")
	}
}

// TestAppendTransportPacket rebuilds packets that gopacket then decodes
// and checks: header checksum, lengths, protocol, addresses and the
// recomputed transport checksum.
func TestAppendTransportPacket(t *testing.T) {
	a := netip.MustParseAddr
	seg := gopacketSegment(t, protoTCP, a("10.0.0.2"), a("198.51.100.7"), []byte("hello"))
	pkt, err := AppendTransportPacket([]byte{0xee}, a("203.0.113.9"), a("198.51.100.7"), protoTCP, seg)
	if err != nil {
		t.Fatal(err)
	}
	if pkt[0] != 0xee {
		t.Fatalf("the prefix was lost")
	}
	pkt = pkt[1:]
	if !ipv4HeaderChecksumOK(pkt[:20]) {
		t.Errorf("IPv4 header checksum does not verify: %x", pkt[:20])
	}
	if n, err := IPPacketLen(pkt); err != nil || n != len(pkt) || pkt[9] != protoTCP {
		t.Errorf("rebuilt packet: length %d of %d, protocol %d, %v", n, len(pkt), pkt[9], err)
	}
	if want := gopacketSegment(t, protoTCP, a("203.0.113.9"), a("198.51.100.7"), []byte("hello")); !bytes.Equal(pkt[20:], want) {
		t.Errorf("segment %x, want %x", pkt[20:], want)
	}
	if !bytes.Equal(seg, gopacketSegment(t, protoTCP, a("10.0.0.2"), a("198.51.100.7"), []byte("hello"))) {
		t.Errorf("the caller's segment was modified")
	}
	p6, err := AppendTransportPacket(nil, a("2001:db8::1"), a("::ffff:0:0").Next(), protoUDP, []byte{1, 2, 3, 4, 0, 8, 0, 0})
	if err == nil {
		t.Errorf("IPv6 and IPv4-mapped addresses: %x", p6)
	}
	p6, err = AppendTransportPacket(nil, a("2001:db8::1"), a("2001:db8::2"), protoUDP, []byte{1, 2, 3, 4, 0, 8, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	d := gopacket.NewPacket(p6, layers.LayerTypeIPv6, gopacket.Default)
	if d.ErrorLayer() != nil || d.Layer(layers.LayerTypeUDP) == nil {
		t.Errorf("rebuilt IPv6 packet does not decode: %v", d)
	}
	if n, err := IPPacketLen(p6); err != nil || n != 48 || p6[6] != protoUDP {
		t.Errorf("IPv6: length %d, next %d, %v", n, p6[6], err)
	}
	if _, err := AppendTransportPacket(nil, a("192.0.2.1"), a("192.0.2.2"), 1, make([]byte, 65516)); !errors.Is(err, ErrMalformed) {
		t.Errorf("an oversized IPv4 packet: %v", err)
	}
}
