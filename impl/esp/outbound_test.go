package esp

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// pair makes the two ends of one SA: what one peer seals, the other opens.
func pair(t testing.TB, c Config, oo OutboundOptions, io InboundOptions) (*Outbound, *Inbound) {
	t.Helper()
	out, err := NewOutbound(c, oo)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInbound(c, io)
	if err != nil {
		t.Fatal(err)
	}
	return out, in
}

var (
	gcmConfig  = Config{SPI: 0xc0ffee01, Encr: wire.ENCR_AES_GCM_16, EncrKey: bytes.Repeat([]byte{7}, 20)}
	cbcConfig  = Config{SPI: 0xc0ffee02, Encr: wire.ENCR_AES_CBC, EncrKey: bytes.Repeat([]byte{8}, 32), Integ: wire.AUTH_HMAC_SHA2_256_128, IntegKey: bytes.Repeat([]byte{9}, 32)}
	icmpPacket = ipv4(1, "192.0.2.1", "198.51.100.2", []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})
)

func with(c Config, f func(*Config)) Config { f(&c); return c }

// TestOutboundSequence: the first packet is 1 and each Seal takes the next
// number (RFC 4303 section 3.3.3), the packet carries its low 32 bits.
func TestOutboundSequence(t *testing.T) {
	for _, c := range []Config{gcmConfig, with(cbcConfig, func(c *Config) { c.ESN = true })} {
		out, in := pair(t, c, OutboundOptions{}, InboundOptions{})
		for want := uint64(1); want <= 5; want++ {
			s, err := out.SealPacket(nil, icmpPacket)
			if err != nil {
				t.Fatal(err)
			}
			if s.Seq != want || s.RekeyDue || out.Seq() != want {
				t.Errorf("%v: packet %d: seq %d, rekey %v, Seq() %d", out.SA(), want, s.Seq, s.RekeyDue, out.Seq())
			}
			p, _ := Parse(s.Packet)
			if p.Seq != uint32(want) || p.SPI != c.SPI {
				t.Errorf("%v: header SPI 0x%x seq %d", out.SA(), p.SPI, p.Seq)
			}
			r, err := in.Open(s.Packet)
			if err != nil || r.Seq != want || !bytes.Equal(r.Payload, icmpPacket) || r.NextHeader != NextHeaderIPv4 {
				t.Errorf("%v: open: %+v, %v", out.SA(), r, err)
			}
		}
		if st := out.Stats(); st.Packets != 5 || st.Octets != 5*uint64(len(icmpPacket)) || st.Seq != 5 || st.Dummies != 0 {
			t.Errorf("%v: stats %+v", out.SA(), st)
		}
	}
}

// TestOutboundLimits: the counter stops at 2^32 - 1 without ESN and at
// 2^64 - 1 with it (RFC4303-3.3.3-1), refusing every later Seal with
// ErrSeqExhausted, and the soft limit is reported once.
func TestOutboundLimits(t *testing.T) {
	tests := []struct {
		name string
		esn  bool
		last uint64
	}{
		{"32-bit", false, math.MaxUint32},
		{"ESN", true, math.MaxUint64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := NewOutbound(with(gcmConfig, func(c *Config) { c.ESN = tc.esn }), OutboundOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out.last.Store(tc.last - 1)
			if !out.RekeyDue() {
				t.Errorf("not due for a rekey one packet before the end")
			}
			s, err := out.Seal([]byte("prefix"), 17, []byte("x"))
			if err != nil || s.Seq != tc.last || !s.RekeyDue || !bytes.HasPrefix(s.Packet, []byte("prefix")) {
				t.Fatalf("the last packet: seq %d rekey %v, %v", s.Seq, s.RekeyDue, err)
			}
			if p, _ := Parse(s.Packet[6:]); p.Seq != math.MaxUint32 {
				t.Errorf("the last packet carries %d", p.Seq)
			}
			for range 3 {
				s, err := out.Seal([]byte("prefix"), 17, []byte("x"))
				if !errors.Is(err, ErrSeqExhausted) || !strings.HasPrefix(err.Error(), "esp: ") || string(s.Packet) != "prefix" || s.Seq != 0 {
					t.Errorf("past the end: %q seq %d, %v", s.Packet, s.Seq, err)
				}
			}
			if _, err := out.SealDummy(nil, 10); !errors.Is(err, ErrSeqExhausted) {
				t.Errorf("a dummy past the end: %v", err)
			}
			if st := out.Stats(); st.SeqExhausted != 4 || st.Seq != tc.last || st.Packets != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}

	out, err := NewOutbound(gcmConfig, OutboundOptions{SoftLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 6; i++ {
		s, err := out.Seal(nil, 17, nil)
		if err != nil || s.RekeyDue != (i == 3) || out.RekeyDue() != (i >= 3) {
			t.Errorf("packet %d: RekeyDue %v/%v, %v", i, s.RekeyDue, out.RekeyDue(), err)
		}
	}
	if d := DefaultSoftLimit(false); d != math.MaxUint32-math.MaxUint32/16 {
		t.Errorf("DefaultSoftLimit(false) = %d", d)
	}
	if d := DefaultSoftLimit(true); d != math.MaxUint64-math.MaxUint64/16 || d < 1<<63 {
		t.Errorf("DefaultSoftLimit(true) = %d", d)
	}
}

func TestNewOutboundErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		o    OutboundOptions
		want string
	}{
		{"SPI 0", with(gcmConfig, func(c *Config) { c.SPI = 0 }), OutboundOptions{}, "SPI 0"},
		{"unchecked ICV", Config{SPI: 1, Encr: wire.ENCR_3DES, EncrKey: key02, UncheckedICVLen: 12}, OutboundOptions{}, "not checked"},
		{"soft limit beyond the hard one", gcmConfig, OutboundOptions{SoftLimit: 1 << 32}, "soft limit"},
		{"negative TFC", gcmConfig, OutboundOptions{TFCPadTo: -1}, "TFC"},
		{"huge TFC", gcmConfig, OutboundOptions{TFCPadTo: 1 << 16}, "TFC"},
		{"unknown mode", with(gcmConfig, func(c *Config) { c.Mode = 7 }), OutboundOptions{}, "mode(7)"},
		{"no integrity", Config{SPI: 1, Encr: wire.ENCR_AES_CBC, EncrKey: make([]byte, 16)}, OutboundOptions{}, "integrity"},
	}
	for _, tc := range tests {
		if _, err := NewOutbound(tc.c, tc.o); err == nil || !strings.HasPrefix(err.Error(), "esp: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestOutboundConcurrent: sealing from several goroutines gives every
// number once.
func TestOutboundConcurrent(t *testing.T) {
	out, err := NewOutbound(gcmConfig, OutboundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 300
	seqs := make(chan uint64, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				s, err := out.SealPacket(nil, icmpPacket)
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- s.Seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] || s < 1 || s > workers*each {
			t.Fatalf("sequence number %d twice or out of range", s)
		}
		seen[s] = true
	}
	if len(seen) != workers*each || out.Stats().Packets != workers*each {
		t.Errorf("%d numbers, stats %+v", len(seen), out.Stats())
	}
}

// TestSealPacketModes: tunnel mode seals the whole packet under 4 or 41,
// transport mode its segment under its protocol; packets the helpers
// refuse take no sequence number.
func TestSealPacketModes(t *testing.T) {
	udp := []byte{0x13, 0x88, 0, 53, 0, 10, 0, 0, 0xab, 0xcd}
	v4 := ipv4(17, "192.0.2.1", "198.51.100.2", udp)
	v6 := ipv6(17, "2001:db8::1", "2001:db8::2", udp)
	tests := []struct {
		mode    Mode
		pkt     []byte
		next    uint8
		payload []byte
	}{
		{Tunnel, v4, NextHeaderIPv4, v4},
		{Tunnel, append(bytes.Clone(v4), 1, 2, 3), NextHeaderIPv4, v4}, // octets past the length are not sent
		{Tunnel, v6, NextHeaderIPv6, v6},
		{Transport, v4, 17, udp},
		{Transport, v6, 17, udp},
	}
	for _, tc := range tests {
		c := with(cbcConfig, func(c *Config) { c.Mode = tc.mode })
		out, err := NewOutbound(c, OutboundOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := out.SealPacket(make([]byte, 0, 200), tc.pkt)
		if err != nil {
			t.Fatalf("%v: %v", tc.mode, err)
		}
		if len(s.Packet) != len(tc.payload)+out.Overhead(len(tc.payload)) {
			t.Errorf("%v: %d octets, Overhead says %d + %d", tc.mode, len(s.Packet), len(tc.payload), out.Overhead(len(tc.payload)))
		}
		o, err := out.SA().Open(s.Packet)
		if err != nil || o.NextHeader != tc.next || !bytes.Equal(o.Payload, tc.payload) {
			t.Errorf("%v: opened next %d payload %x, %v; want %d %x", tc.mode, o.NextHeader, o.Payload, err, tc.next, tc.payload)
		}
	}
	frag := bytes.Clone(v4)
	frag[6] = 0x20
	for _, tc := range []struct {
		mode Mode
		pkt  []byte
	}{{Transport, frag}, {Tunnel, []byte{0x45, 0, 0}}, {Tunnel, nil}, {Transport, []byte{0x70}}} {
		out, err := NewOutbound(with(gcmConfig, func(c *Config) { c.Mode = tc.mode }), OutboundOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s, err := out.SealPacket([]byte{1}, tc.pkt); !errors.Is(err, ErrMalformed) || len(s.Packet) != 1 || out.Seq() != 0 {
			t.Errorf("%v %x: %v, seq %d", tc.mode, tc.pkt, err, out.Seq())
		}
	}
}

// TestTFCAndDummies: TFC padding pads inner packets to the configured
// length and the receiver cuts it by the inner length (RFC 4303 section
// 2.7); transport-mode segments are not padded; dummy packets (Next
// Header 59) are counted and dropped without an error (RFC4303-2.6-2).
func TestTFCAndDummies(t *testing.T) {
	for _, c := range suites() {
		out, in := pair(t, c, OutboundOptions{TFCPadTo: 300}, InboundOptions{})
		s, err := out.SealPacket(nil, icmpPacket)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Packet) < 300+HeaderLen {
			t.Errorf("%v: %d octets with TFC padding to 300", out.SA(), len(s.Packet))
		}
		r, err := in.Open(s.Packet)
		if err != nil || !bytes.Equal(r.Payload, icmpPacket) || r.TFCPadLen != 300-len(icmpPacket) || r.Dummy {
			t.Errorf("%v: %+v, %v", out.SA(), r, err)
		}
		big := ipv4(17, "192.0.2.1", "198.51.100.2", make([]byte, 400))
		s, _ = out.SealPacket(nil, big)
		if r, err := in.Open(s.Packet); err != nil || r.TFCPadLen != 0 || !bytes.Equal(r.Payload, big) {
			t.Errorf("%v: a packet longer than the TFC length: %d padding, %v", out.SA(), r.TFCPadLen, err)
		}
		s, _ = out.Seal(nil, 17, []byte{1, 2, 3, 4, 0, 4, 0, 0})
		if len(s.Packet) != 8+out.Overhead(8) {
			t.Errorf("%v: a transport segment got TFC padding", out.SA())
		}
		if _, err := in.Open(s.Packet); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: next header 17 on a tunnel-mode SA: %v", out.SA(), err)
		}
		for _, n := range []int{0, 1, 100} {
			s, err := out.SealDummy(nil, n)
			if err != nil {
				t.Fatal(err)
			}
			r, err := in.Open(s.Packet)
			if err != nil || !r.Dummy || r.Payload != nil || r.Seq != s.Seq || r.NextHeader != NextHeaderDummy {
				t.Errorf("%v: dummy of %d octets: %+v, %v", out.SA(), n, r, err)
			}
		}
		if _, err := out.SealDummy(nil, -1); err == nil {
			t.Errorf("a dummy of -1 octets")
		}
		// The segment was not IP: a tunnel-mode receiver refuses it.
		st := in.Stats()
		if st.Dummies != 3 || st.Packets != 2 || st.Malformed != 1 || out.Stats().Dummies != 3 || out.Stats().Packets != 3 {
			t.Errorf("%v: stats in %+v out %+v", out.SA(), st, out.Stats())
		}
	}
}
