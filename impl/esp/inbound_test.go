package esp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// sealN seals n tunnel-mode packets, each an ICMP packet whose last octet
// is its index.
func sealN(t testing.TB, out *Outbound, n int) [][]byte {
	t.Helper()
	pkts := make([][]byte, n)
	for i := range pkts {
		p := ipv4(1, "192.0.2.1", "198.51.100.2", []byte{8, 0, 0, 0, 0, 0, 0, byte(i)})
		s, err := out.SealPacket(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = s.Packet
	}
	return pkts
}

// offer opens a copy of pkt (Open decrypts in place).
func offer(in *Inbound, pkt []byte) (Received, error) { return in.Open(bytes.Clone(pkt)) }

// TestInboundReplay walks RFC 4303 section 3.4.3 through an Inbound with
// a 64-packet window: duplicates and packets left of the window are
// dropped, reordered ones inside it are accepted, and the replay check
// comes before the ICV (RFC4303-3.4.3-6).
func TestInboundReplay(t *testing.T) {
	for _, c := range []Config{gcmConfig, cbcConfig, with(cbcConfig, func(c *Config) { c.ESN = true })} {
		out, in := pair(t, c, OutboundOptions{}, InboundOptions{ReplayWindow: 64})
		pkts := sealN(t, out, 200)
		// Left of the window, a packet is a replay without ESN; with ESN
		// the inference of Appendix A2.2 reads it as 2^32 ahead, where its
		// ICV fails.
		tooOld, tooOldSeq := ErrReplay, uint64(0)
		if c.ESN {
			tooOld, tooOldSeq = ErrIntegrity, 1<<32
		}
		type step struct {
			seq uint64 // the packet with this number
			err error
		}
		steps := []step{
			{1, nil}, {1, ErrReplay}, {3, nil}, {2, nil}, {3, ErrReplay}, {2, ErrReplay},
			{100, nil}, {37, nil}, {36, tooOld}, {38, nil}, {99, nil}, {38, ErrReplay},
			{200, nil}, {137, nil}, {136, tooOld}, {100, tooOld}, {199, nil}, {199, ErrReplay},
		}
		for i, s := range steps {
			r, err := offer(in, pkts[s.seq-1])
			if !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
				t.Errorf("%v: step %d (packet %d): %v, want %v", in.SA(), i, s.seq, err, s.err)
			}
			if want := s.seq; r.Seq != want && !(s.err == tooOld && r.Seq == want+tooOldSeq) {
				t.Errorf("%v: step %d: Received.Seq %d, want %d (also on errors)", in.SA(), i, r.Seq, want)
			}
			if err == nil && r.Payload[len(r.Payload)-1] != byte(s.seq-1) {
				t.Errorf("%v: step %d: delivered the wrong packet", in.SA(), i)
			}
		}
		// A replay with a broken ICV is a replay: no ICV is computed for it.
		bad := bytes.Clone(pkts[198])
		bad[len(bad)-1] ^= 1
		if _, err := offer(in, bad); !errors.Is(err, ErrReplay) {
			t.Errorf("%v: a replayed packet with a bad ICV: %v, want ErrReplay", in.SA(), err)
		}
		st := in.Stats()
		if st.Packets != 10 || st.ReplayDrops+st.ICVFailures != 9 || st.Top != 200 || st.Octets != 10*uint64(len(icmpPacket)) {
			t.Errorf("%v: stats %+v", in.SA(), st)
		}
	}
}

// TestInboundICVFailure: a packet whose ICV fails is dropped and the
// window does not move (RFC 4303 section 3.4.3: "The receive window is
// updated only if the integrity verification succeeds"): the genuine
// packet of the same number is accepted afterwards.
func TestInboundICVFailure(t *testing.T) {
	for _, c := range suites() {
		out, in := pair(t, with(c, func(c *Config) { c.Mode = Transport }), OutboundOptions{}, InboundOptions{})
		s, err := out.Seal(nil, 17, []byte{1, 2, 3, 4, 0, 8, 0, 0})
		if err != nil {
			t.Fatal(err)
		}
		for i := HeaderLen; i < len(s.Packet); i += 3 {
			bad := bytes.Clone(s.Packet)
			bad[i] ^= 0x80
			if _, err := in.Open(bad); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%v: octet %d flipped: %v, want ErrIntegrity", in.SA(), i, err)
			}
			if in.Stats().Top != 0 {
				t.Fatalf("%v: the window moved for a forged packet", in.SA())
			}
		}
		r, err := in.Open(s.Packet)
		if err != nil || r.Seq != 1 || r.NextHeader != 17 {
			t.Errorf("%v: the genuine packet after forgeries: %+v, %v", in.SA(), r, err)
		}
		if st := in.Stats(); st.ICVFailures == 0 || st.Packets != 1 || st.Top != 1 {
			t.Errorf("%v: stats %+v", in.SA(), st)
		}
	}
}

// TestInboundESNWrap: with ESN, packets around the 2^32 boundary, in any
// order, are opened with the right high-order bits (RFC 4303 Appendix
// A2.2), which the ICV proves.
func TestInboundESNWrap(t *testing.T) {
	for _, c := range []Config{gcmConfig, cbcConfig, {SPI: 0x77, Encr: wire.ENCR_CHACHA20_POLY1305, EncrKey: make([]byte, 36)}} {
		c.ESN = true
		out, in := pair(t, c, OutboundOptions{}, InboundOptions{ReplayWindow: 128})
		start := uint64(1)<<32 - 50
		out.last.Store(start - 1)
		in.win.Accept(start - 1) // as if the packets before had arrived
		pkts := sealN(t, out, 100)
		rng := rand.New(rand.NewPCG(4, 4303))
		order := rng.Perm(len(pkts))
		for _, i := range order {
			r, err := offer(in, pkts[i])
			if err != nil || r.Seq != start+uint64(i) {
				t.Fatalf("%v: packet %d: seq %d, %v", in.SA(), start+uint64(i), r.Seq, err)
			}
		}
		for _, i := range order[:10] {
			if _, err := offer(in, pkts[i]); !errors.Is(err, ErrReplay) {
				t.Errorf("%v: replay of %d: %v", in.SA(), start+uint64(i), err)
			}
		}
		if st := in.Stats(); st.Top != start+99 || st.Packets != 100 {
			t.Errorf("%v: stats %+v", in.SA(), st)
		}
		// A packet from the old subspace, far left of the window, is read
		// as one 2^32 ahead: its ICV fails and the window stays.
		if _, err := offer(in, pkts[0]); !errors.Is(err, ErrReplay) {
			t.Errorf("%v: %v", in.SA(), err)
		}
	}
}

// TestInboundInner: the inner packet's header is checked after the ICV,
// TFC padding is cut by its length, and a packet refused there still
// moves the window (its number was authentically sent).
func TestInboundInner(t *testing.T) {
	out, in := pair(t, gcmConfig, OutboundOptions{}, InboundOptions{})
	v6 := ipv6(58, "2001:db8::1", "2001:db8::2", []byte{128, 0, 0, 0, 0, 1, 0, 1})
	bad := bytes.Clone(icmpPacket)
	bad[3] = 200 // total length beyond the payload
	ihl := bytes.Clone(icmpPacket)
	ihl[0] = 0x43
	tests := []struct {
		name    string
		next    uint8
		payload []byte
		want    []byte
		tfc     int
		err     string
	}{
		{"IPv4", 4, icmpPacket, icmpPacket, 0, ""},
		{"IPv4 and TFC padding", 4, append(bytes.Clone(icmpPacket), make([]byte, 33)...), icmpPacket, 33, ""},
		{"IPv6 and TFC padding", 41, append(bytes.Clone(v6), 1, 2, 3), v6, 3, ""},
		{"IPv4 total length beyond the payload", 4, bad, nil, 0, "inner packet: IPv4 total length 200"},
		{"IPv4 header length 12", 4, ihl, nil, 0, "inner packet: IPv4 header length 12"},
		{"IPv6 in a truncated header", 41, v6[:30], nil, 0, "inner packet: 30 octets, shorter"},
		{"Next Header 4, IPv6 inside", 4, v6, nil, 0, "says IPv4"},
		{"Next Header 6 in tunnel mode", 6, make([]byte, 20), nil, 0, "tunnel-mode SA"},
	}
	for _, tc := range tests {
		s, err := out.Seal(nil, tc.next, tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		r, err := offer(in, s.Packet)
		if tc.err == "" {
			if err != nil || !bytes.Equal(r.Payload, tc.want) || r.TFCPadLen != tc.tfc || r.NextHeader != tc.next {
				t.Errorf("%s: %+v, %v", tc.name, r, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.err) || e.Offset < HeaderLen || e.Offset >= len(s.Packet) {
			t.Errorf("%s: %v, want ErrMalformed with %q inside the packet", tc.name, err, tc.err)
		}
		if r.Seq != s.Seq || in.Stats().Top != s.Seq {
			t.Errorf("%s: seq %d, window top %d; want %d", tc.name, r.Seq, in.Stats().Top, s.Seq)
		}
		if _, err := offer(in, s.Packet); !errors.Is(err, ErrReplay) {
			t.Errorf("%s: the same packet again: %v, want ErrReplay", tc.name, err)
		}
	}
	if st := in.Stats(); st.Malformed != 5 || st.Packets != 3 || st.ReplayDrops != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestInboundTransport: a transport-mode SA delivers the segment and its
// protocol; AppendTransportPacket rebuilds the IP packet.
func TestInboundTransport(t *testing.T) {
	c := with(cbcConfig, func(c *Config) { c.Mode = Transport })
	out, in := pair(t, c, OutboundOptions{TFCPadTo: 500}, InboundOptions{})
	udp := []byte{0x13, 0x88, 0, 53, 0, 10, 0, 0, 0xab, 0xcd}
	orig := ipv4(17, "192.0.2.1", "198.51.100.2", udp)
	s, err := out.SealPacket(nil, orig)
	if err != nil {
		t.Fatal(err)
	}
	r, err := in.Open(s.Packet)
	if err != nil || r.NextHeader != 17 || !bytes.Equal(r.Payload, udp) || r.TFCPadLen != 0 {
		t.Fatalf("%+v, %v", r, err)
	}
	pkt, err := AppendTransportPacket(nil, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2"), r.NextHeader, r.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkt[20:], udp) || pkt[9] != 17 || !ipv4HeaderChecksumOK(pkt[:20]) {
		t.Errorf("rebuilt %x from %x", pkt, orig)
	}
	// IP in IP over a transport-mode SA: TFC padding applies, and the
	// inner length cuts it (and the three octets past it).
	s, _ = out.Seal(nil, NextHeaderIPv4, append(bytes.Clone(icmpPacket), 0, 0, 0))
	if r, err := in.Open(s.Packet); err != nil || !bytes.Equal(r.Payload, icmpPacket) || r.TFCPadLen != 500-len(icmpPacket) {
		t.Errorf("IPv4 in a transport-mode SA: %+v, %v", r, err)
	}
}

func TestNoReplay(t *testing.T) {
	out, in := pair(t, gcmConfig, OutboundOptions{}, InboundOptions{NoReplay: true})
	pkts := sealN(t, out, 2)
	for _, p := range [][]byte{pkts[1], pkts[0], pkts[0], pkts[1]} {
		if _, err := offer(in, p); err != nil {
			t.Errorf("without anti-replay: %v", err)
		}
	}
	if st := in.Stats(); st.Packets != 4 || st.ReplayDrops != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewInboundErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		o    InboundOptions
		want string
	}{
		{"SPI 0", with(gcmConfig, func(c *Config) { c.SPI = 0 }), InboundOptions{}, "SPI 0"},
		{"unchecked ICV", Config{SPI: 1, Encr: wire.ENCR_3DES, EncrKey: key02, UncheckedICVLen: 12}, InboundOptions{}, "checked"},
		{"no anti-replay with ESN", with(gcmConfig, func(c *Config) { c.ESN = true }), InboundOptions{NoReplay: true}, "Extended Sequence Numbers"},
		{"window of 32", gcmConfig, InboundOptions{ReplayWindow: 32}, "between 64"},
		{"unknown mode", with(gcmConfig, func(c *Config) { c.Mode = 2 }), InboundOptions{}, "mode(2)"},
		{"no integrity", Config{SPI: 1, Encr: wire.ENCR_NULL}, InboundOptions{}, "integrity"},
		{"a short key", Config{SPI: 1, Encr: wire.ENCR_AES_GCM_16, EncrKey: make([]byte, 5)}, InboundOptions{}, "esp: "},
	}
	for _, tc := range tests {
		if _, err := NewInbound(tc.c, tc.o); err == nil || !strings.HasPrefix(err.Error(), "esp: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestInboundConcurrent: readers on several goroutines open shuffled
// packets, each offered three times; each number is delivered exactly
// once, and the counters add up. Run with -race to check the locking.
func TestInboundConcurrent(t *testing.T) {
	out, in := pair(t, cbcConfig, OutboundOptions{}, InboundOptions{})
	const n, copies, readers = 600, 3, 6
	pkts := sealN(t, out, n)
	work := make(chan []byte, n*copies)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, i := range rng.Perm(n * copies) {
		work <- bytes.Clone(pkts[i%n])
	}
	close(work)
	var delivered [n]atomic.Int32
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for p := range work {
				r, err := in.Open(p)
				switch {
				case err == nil:
					delivered[r.Seq-1].Add(1)
				case !errors.Is(err, ErrReplay):
					t.Errorf("seq %d: %v", r.Seq, err)
				}
				_ = in.Stats()
			}
		})
	}
	wg.Wait()
	for i := range delivered {
		if d := delivered[i].Load(); d != 1 {
			t.Errorf("packet %d delivered %d times", i+1, d)
		}
	}
	st := in.Stats()
	if st.Packets != n || st.ReplayDrops != n*(copies-1) || st.Top != n {
		t.Errorf("stats %+v", st)
	}
}

// TestInboundNoPanic offers random octets and every prefix of a valid
// packet: every result is an *Error with a sentinel, each counted once.
func TestInboundNoPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range suites() {
		out, in := pair(t, c, OutboundOptions{}, InboundOptions{})
		valid := sealN(t, out, 1)[0]
		var inputs [][]byte
		for n := 0; n <= len(valid); n++ {
			inputs = append(inputs, bytes.Clone(valid[:n]))
		}
		for range 500 {
			b := make([]byte, rng.IntN(100))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if len(b) >= 8 {
				copy(b, valid[:4])
			}
			inputs = append(inputs, b)
		}
		for _, p := range inputs {
			_, err := in.Open(p)
			var e *Error
			if err != nil && (!errors.As(err, &e) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrIntegrity) || errors.Is(err, ErrReplay))) {
				t.Errorf("%v: %x: %v", in.SA(), p, err)
			}
		}
		st := in.Stats()
		if total := st.Packets + st.Dummies + st.ReplayDrops + st.ICVFailures + st.Malformed; total != uint64(len(inputs)) {
			t.Errorf("%v: counted %d of %d packets: %+v", in.SA(), total, len(inputs), st)
		}
		if st.Packets != 1 {
			t.Errorf("%v: %d packets delivered, want the one valid", in.SA(), st.Packets)
		}
	}
}
