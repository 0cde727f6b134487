package ike

import (
	"bytes"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The reassembler on its own (RFC 7383 section 2.6): a unit test of its
// rules and a fuzz target that feeds it any sequence of authentic, forged
// and arbitrary fragments.

// fragBench is a fixed SK and the fragment sets of two messages.
type fragBench struct {
	sk    *crypto.SK
	plain map[uint32][]byte // the SK payload's plaintext of message 1 and 2
	sets  map[uint32][][][]byte
	pool  [][]byte // every fragment of every set, then each forged
	t0    time.Time
	lim   fragLimits
}

func newFragBench(tb testing.TB) *fragBench {
	tb.Helper()
	s, err := crypto.NewSuite(wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.KE_NONE)
	if err != nil {
		tb.Fatal(err)
	}
	l := s.KeyLengths()
	sk, err := crypto.NewSK(s, bytes.Repeat([]byte{1}, l.E), bytes.Repeat([]byte{2}, l.A))
	if err != nil {
		tb.Fatal(err)
	}
	b := &fragBench{sk: sk, plain: map[uint32][]byte{}, sets: map[uint32][][][]byte{},
		t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), lim: fragLimits{count: 8, bytes: 1000, timeout: 10 * time.Second}}
	rand := bytes.NewReader(bytes.Repeat([]byte{0x33}, 1<<16))
	for id, sizes := range map[uint32][]int{1: {200, 150, 100}, 2: {200}} {
		inner := []wire.Payload{&wire.VendorID{Data: bytes.Repeat([]byte{byte(id)}, 300)}, &wire.Notify{Type: wire.INITIAL_CONTACT}}
		_, pt, err := wire.AppendPayloads(nil, inner)
		if err != nil {
			tb.Fatal(err)
		}
		b.plain[id] = pt
		h := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: id}
		for _, size := range sizes {
			frags, err := sk.SealFragments(h, inner, size, rand)
			if err != nil {
				tb.Fatal(err)
			}
			b.sets[id] = append(b.sets[id], frags)
			b.pool = append(b.pool, frags...)
		}
	}
	for _, f := range b.pool[:len(b.pool):len(b.pool)] {
		bad := bytes.Clone(f)
		bad[len(bad)-1] ^= 1
		b.pool = append(b.pool, bad)
	}
	return b
}

// feed gives one datagram to r as openMessage would, and checks the
// reassembler's invariants; it reports the verdict (ok false: the datagram
// is not a well-formed fragment and never reaches the reassembler).
func (b *fragBench) feed(t *testing.T, r *reassembler, now time.Time, msg []byte, authentic bool) (fragOutcome, bool) {
	t.Helper()
	h, _, _, err := wire.DecodeHeader(msg)
	if err != nil {
		return fragOutcome{}, false
	}
	f, isFrag, err := crypto.ParseFragment(msg)
	if !isFrag || err != nil {
		return fragOutcome{}, false
	}
	before, have := r.cur, 0
	if before != nil {
		have = before.have
	}
	o := r.add(now, b.lim, h, f, msg, b.sk)
	if c := r.cur; c != nil {
		n, size := 0, 0
		for _, p := range c.chunks {
			if p != nil {
				n++
				size += len(p)
			}
		}
		if n != c.have || size != c.size || c.have >= int(c.total) || int(c.total) > b.lim.count || c.size > b.lim.bytes ||
			len(c.chunks) != int(c.total) || c.id != h.MessageID {
			t.Fatalf("reassembly state %+v (%d chunks, %d octets)", c, n, size)
		}
	}
	switch o.verdict {
	case fragWhole:
		want, ok := b.plain[h.MessageID]
		if !authentic || !ok || !bytes.Equal(o.plain, want) || o.inner != wire.PayloadVendorID {
			t.Fatalf("message %d reassembled into %d octets (first %v), not the original %d", h.MessageID, len(o.plain), o.inner, len(want))
		}
	case fragHeld, fragOverLimit:
		if !authentic {
			t.Fatalf("a fragment that does not authenticate was %v", o.verdict)
		}
	case fragDropped:
		// Nothing unauthenticated changes what is stored, except that a
		// timed-out or stale set goes (o.reset).
		if o.reset == "" && (r.cur != before || before != nil && before.have != have) {
			t.Fatalf("a dropped fragment changed the reassembly")
		}
	}
	return o, true
}

// FuzzReassembly feeds the reassembler a script: each octet delivers a
// fragment of the pool (authentic ones of three sets of message 1 with 3, 4
// and 10 fragments, one set of message 2, and a forged copy of each), a
// slice of raw as a datagram, or moves the clock. Whatever the order, the
// reassembler keeps within its limits, stores only authentic fragments,
// never mixes sets, and what it reassembles is the original plaintext.
//
//	go test ./impl/ike -run='^$' -fuzz='^FuzzReassembly$' -fuzztime=60s
func FuzzReassembly(f *testing.F) {
	b := newFragBench(f)
	f.Add([]byte{0, 1, 2}, []byte(nil))                         // set 1 (3 fragments) in order
	f.Add([]byte{2, 1, 0, 0}, []byte(nil))                      // reversed, duplicate after
	f.Add([]byte{0, 3, 4, 5, 6, 1, 2}, []byte(nil))             // a larger set replaces a smaller one
	f.Add([]byte{7, 8, 9, 10, 11, 12, 13, 14, 15}, []byte(nil)) // the 11-fragment set: over the limit
	f.Add([]byte{17, 0, 0xc5, 1, 2, 20, 21, 22}, []byte(nil))   // forged; a timeout; message 2
	f.Add([]byte{0x80, 0, 1, 2}, b.pool[0])                     // raw input
	f.Add([]byte{0x80, 0x81, 0x82}, append(b.pool[1][:40:40], b.pool[2]...))
	f.Fuzz(func(t *testing.T, script, raw []byte) {
		var r reassembler
		now := b.t0
		authentic := map[string]bool{}
		for _, set := range b.sets {
			for _, frags := range set {
				for _, m := range frags {
					authentic[string(m)] = true
				}
			}
		}
		for i, op := range script {
			if i >= 256 {
				break
			}
			switch op >> 6 {
			case 0, 1:
				m := b.pool[int(op)%len(b.pool)]
				b.feed(t, &r, now, m, authentic[string(m)])
			case 2:
				// A slice of raw: from op's low bits to the end.
				m := raw[min(int(op&0x3f), len(raw)):]
				b.feed(t, &r, now, m, authentic[string(m)])
			case 3:
				now = now.Add(time.Duration(op&0x3f) * time.Second)
			}
		}
	})
}

// TestReassemblerRules: the rules of RFC 7383 section 2.6 one by one.
func TestReassemblerRules(t *testing.T) {
	b := newFragBench(t)
	set3, set4, setBig := b.sets[1][0], b.sets[1][1], b.sets[1][2]
	if len(set3) != 3 || len(set4) != 4 || len(setBig) <= b.lim.count || len(b.sets[2][0]) != 3 {
		t.Fatalf("sets of %d, %d, %d fragments", len(set3), len(set4), len(setBig))
	}
	must := func(r *reassembler, now time.Time, m []byte, want fragVerdict) fragOutcome {
		t.Helper()
		o, ok := b.feed(t, r, now, m, true)
		if !ok || o.verdict != want {
			t.Fatalf("verdict %v (%s), want %v", o.verdict, o.why, want)
		}
		return o
	}
	forged := func(m []byte) []byte {
		m = bytes.Clone(m)
		m[len(m)-5] ^= 0x80
		return m
	}

	var r reassembler
	now := b.t0
	must(&r, now, set3[2], fragHeld)
	must(&r, now, set3[2], fragDropped) // RFC7383-2.6-2: a replay
	if o, _ := b.feed(t, &r, now, forged(set3[0]), false); o.verdict != fragDropped {
		t.Fatalf("a forged fragment: %v", o.verdict) // RFC7383-2.6-3
	}
	// RFC7383-2.6-4: a larger Total Fragments starts over.
	if o := must(&r, now, set4[3], fragHeld); o.reset == "" || r.cur.total != 4 || r.cur.have != 1 {
		t.Fatalf("after a larger set: %+v, %+v", o, r.cur)
	}
	// RFC7383-2.6-1: a smaller one is discarded.
	must(&r, now, set3[0], fragDropped)
	must(&r, now, set4[0], fragHeld)
	must(&r, now, set4[1], fragHeld)
	if o := must(&r, now, set4[2], fragWhole); r.cur != nil || o.inner != wire.PayloadVendorID {
		t.Fatalf("complete: %+v", r.cur)
	}

	// A newer message discards the incomplete set of the older one.
	must(&r, now, set3[0], fragHeld)
	if o := must(&r, now, b.sets[2][0][1], fragHeld); o.reset == "" || r.cur.id != 2 {
		t.Fatalf("message 2 did not replace message 1: %+v", r.cur)
	}
	// RFC7383-2.6-5: the timeout.
	if o := must(&r, now.Add(11*time.Second), b.sets[2][0][0], fragHeld); o.reset == "" || r.cur.have != 1 {
		t.Fatalf("the timed-out set was kept: %+v", r.cur)
	}
	// RFC7383-5-1: over the limits, nothing is kept.
	r = reassembler{}
	if o := must(&r, now, setBig[0], fragOverLimit); r.cur != nil || o.why == "" {
		t.Fatal("a set over the count limit was kept")
	}
	b.lim.bytes = 200 // the chunks of set3 have some 127 octets
	must(&r, now, set3[0], fragHeld)
	must(&r, now, set3[1], fragOverLimit)
	if r.cur != nil {
		t.Fatal("a set over the octet limit was kept")
	}
}
