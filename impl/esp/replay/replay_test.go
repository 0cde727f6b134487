package replay

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/internal/proptest"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

const two32 = uint64(1) << 32

func mustNew(t testing.TB, size int, esn bool) *Window {
	t.Helper()
	w, err := New(size, esn)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		size, want, blocks int
	}{
		{0, DefaultSize, 32}, {64, 64, 2}, {65, 65, 4}, {100, 100, 4}, {128, 128, 4}, {1024, 1024, 32},
		{1000, 1000, 32}, {MaxSize, MaxSize, MaxSize / 64 * 2},
	} {
		w := mustNew(t, tc.size, false)
		if w.Size() != tc.want || len(w.ring) != tc.blocks || w.Top() != 0 || w.ESN() {
			t.Errorf("New(%d): size %d, %d blocks, top %d; want %d, %d blocks", tc.size, w.Size(), len(w.ring), w.Top(), tc.want, tc.blocks)
		}
	}
	for _, size := range []int{-1, 1, 32, 63, MaxSize + 1, math.MaxInt} {
		if _, err := New(size, true); err == nil || !strings.HasPrefix(err.Error(), "esp: ") {
			t.Errorf("New(%d): %v, want an esp: error", size, err)
		}
	}
}

// step is one packet offered to a window: Check(low) must give (seq, ok);
// then, when accept is set (its ICV verified), Accept(seq) must give
// accepted.
type step struct {
	low      uint32
	seq      uint64
	ok       bool
	accept   bool
	accepted bool
	// acceptOnly skips Check: Accept(seq) is called directly.
	acceptOnly bool
}

// TestWindow walks the cases of RFC 4303 section 3.4.3 and Appendix A2
// (figures 1 and 2, the equations of A2.2) through a window of 64.
func TestWindow(t *testing.T) {
	chk := func(low uint32, seq uint64, ok bool) step { return step{low: low, seq: seq, ok: ok} }
	acc := func(low uint32, seq uint64) step {
		return step{low: low, seq: seq, ok: true, accept: true, accepted: true}
	}
	tests := []struct {
		name  string
		esn   bool
		start uint64 // accepted before the steps (0: none)
		steps []step
		top   uint64
	}{
		{name: "start of the window (RFC4303-3.4.3-4: T starts at 0)", steps: []step{
			chk(0, 0, false),                 // no packet carries 0
			chk(1, 1, true), chk(1, 1, true), // Check does not move the window
			acc(1, 1), chk(1, 1, false),
			acc(3, 3), acc(2, 2), chk(2, 2, false), chk(3, 3, false), chk(4, 4, true),
		}, top: 3},
		{name: "left edge", start: 100, steps: []step{
			chk(36, 36, false), // T - W = 36: left of B = 37
			acc(37, 37), chk(37, 37, false), acc(99, 99), acc(101, 101),
			chk(37, 37, false), // now left of B = 38
			chk(38, 38, true),
		}, top: 101},
		{name: "far ahead", start: 5, steps: []step{
			acc(1_000_000, 1_000_000), chk(5, 5, false), chk(999_937, 999_937, true), chk(999_936, 999_936, false),
			acc(math.MaxUint32, math.MaxUint32), chk(math.MaxUint32, math.MaxUint32, false), chk(0, 0, false),
		}, top: math.MaxUint32},
		{name: "duplicates in the window", start: 64, steps: []step{
			acc(10, 10), chk(10, 10, false), acc(11, 11), chk(64, 64, false), chk(12, 12, true),
			{low: 10, seq: 10, ok: false, accept: true, accepted: false},
		}, top: 64},
		{name: "a race: two packets of one number pass Check, one is accepted", start: 50, steps: []step{
			chk(40, 40, true), chk(40, 40, true),
			acc(40, 40), {low: 40, seq: 40, ok: false, accept: true, accepted: false},
		}, top: 50},
		{name: "ESN: figure 1 (case A), Seqh = Th and Th + 1", esn: true, start: 5*two32 + 1000, steps: []step{
			chk(937, 5*two32+937, true),   // Seql >= Bl = 937: Th
			chk(936, 6*two32+936, true),   // Seql < Bl: Th + 1
			chk(2000, 5*two32+2000, true), // ahead in Th
			chk(math.MaxUint32, 5*two32+math.MaxUint32, true),
			acc(950, 5*two32+950), chk(950, 5*two32+950, false),
		}, top: 5*two32 + 1000},
		{name: "ESN: wrap of the low 32 bits, forward", esn: true, start: two32 - 2, steps: []step{
			acc(math.MaxUint32, two32-1), acc(0, two32), acc(2, two32+2),
			chk(1, two32+1, true), chk(math.MaxUint32, two32-1, false),
			chk(math.MaxUint32-60, two32-61, true),   // Tl = 2 < W - 1: case B, Th - 1
			chk(math.MaxUint32-61, 2*two32-62, true), // left of B = 2^32 - 61: read as far ahead in Th; the ICV decides
		}, top: two32 + 2},
		{name: "ESN: wrap of the low 32 bits, backward (late packets of Th - 1)", esn: true, start: 3*two32 + 10, steps: []step{
			acc(math.MaxUint32, 3*two32-1), chk(math.MaxUint32, 3*two32-1, false),
			acc(math.MaxUint32-52, 3*two32-53),       // B = 3*2^32 - 53
			chk(math.MaxUint32-53, 4*two32-54, true), // Seql < Bl: read as subspace Th (far ahead); the ICV decides
			acc(9, 3*two32+9), chk(10, 3*two32+10, false),
		}, top: 3*two32 + 10},
		{name: "ESN: at the start, subspace -1 does not exist", esn: true, steps: []step{
			chk(math.MaxUint32, 0, false), chk(math.MaxUint32-62, 0, false),
			chk(math.MaxUint32-63, two32-64, true), // the farthest reachable, 2^32 - W
			acc(1, 1), chk(math.MaxUint32-62, two32-63, true),
		}, top: 1},
		{name: "ESN: the last subspace", esn: true, start: math.MaxUint64 - 1, steps: []step{
			chk(0, 0, false), // Th + 1 would wrap to 0
			acc(math.MaxUint32, math.MaxUint64), chk(math.MaxUint32, math.MaxUint64, false),
			chk(math.MaxUint32-1, math.MaxUint64-1, false), chk(math.MaxUint32-2, math.MaxUint64-2, true),
		}, top: math.MaxUint64},
		{name: "no ESN: nothing above 2^32 - 1", start: math.MaxUint32 - 1, steps: []step{
			chk(0, 0, false), {seq: two32, acceptOnly: true, accept: true, accepted: false},
			acc(math.MaxUint32, math.MaxUint32), chk(math.MaxUint32-63, math.MaxUint32-63, true),
		}, top: math.MaxUint32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := mustNew(t, 64, tc.esn)
			if tc.start != 0 && !w.Accept(tc.start) {
				t.Fatalf("Accept(%d) on a new window failed", tc.start)
			}
			for i, s := range tc.steps {
				if seq, ok := w.Check(s.low); !s.acceptOnly && (ok != s.ok || seq != s.seq) {
					t.Errorf("step %d: Check(%d) = %d, %v; want %d, %v (T = %d)", i, s.low, seq, ok, s.seq, s.ok, w.Top())
				}
				if s.accept {
					if got := w.Accept(s.seq); got != s.accepted {
						t.Errorf("step %d: Accept(%d) = %v, want %v", i, s.seq, got, s.accepted)
					}
				}
			}
			if w.Top() != tc.top {
				t.Errorf("T = %d, want %d", w.Top(), tc.top)
			}
		})
	}
}

// model is the reference the window is checked against: the set of
// accepted numbers and their maximum; a number is acceptable iff it is not
// 0, not in the set and greater than max - size.
type model struct {
	size uint64
	seen map[uint64]bool
	max  uint64
}

func (m *model) acceptable(s uint64) bool {
	return s != 0 && !m.seen[s] && s+m.size > m.max
}

// inReach says whether s is in [B, B + 2^32 - 1], B = max - size + 1,
// where RFC 4303 Appendix A2.2 places the numbers it infers.
func (m *model) inReach(s uint64) bool {
	if m.max+1 >= m.size {
		b := m.max + 1 - m.size
		return s >= b && s-b < two32
	}
	return s <= m.max+two32-m.size // B <= 0
}

func (m *model) accept(s uint64) {
	m.seen[s] = true
	m.max = max(m.max, s)
}

// run drives a window and the model with one random trace: ops are raw
// random words, read as "the next packet is a little ahead", "far ahead",
// "late (reordered or too old)", "a duplicate of an earlier one", "two
// copies racing" or "forged (its ICV fails)", from a window whose top
// starts at base. It returns "" or what went wrong.
func run(size int, esn bool, base uint64, ops []uint64) string {
	w, err := New(size, esn)
	if err != nil {
		return err.Error()
	}
	m := &model{size: uint64(size), seen: map[uint64]bool{}}
	if base != 0 {
		if !w.Accept(base) {
			return fmt.Sprintf("Accept(%d) on a new window failed", base)
		}
		m.accept(base)
	}
	limit := uint64(math.MaxUint64)
	if !esn {
		limit = math.MaxUint32
	}
	var history []uint64
	for i, op := range ops {
		kind, n := op%100, op>>8
		var s uint64
		switch {
		case kind < 40: // a little ahead
			s = m.max + 1 + n%8
		case kind < 43: // far ahead, yet within the reach of the inference
			s = m.max + 1 + n%(two32-uint64(size)-1)
		case kind < 73: // late: reordered, or left of the window
			d := n % (2 * uint64(size))
			if d >= m.max {
				continue
			}
			s = m.max - d
		default: // a duplicate of an earlier packet (or racing, or forged)
			if len(history) == 0 {
				continue
			}
			s = history[n%uint64(len(history))]
		}
		if s > limit {
			continue // the sender cannot send it
		}
		history = append(history, s)
		// The inference can place s only if s is in [B, B + 2^32 - 1].
		inReach := !esn || m.inReach(s)
		seq, ok := w.Check(uint32(s))
		want := m.acceptable(s)
		switch {
		case inReach && (seq != s && ok || ok != want):
			return fmt.Sprintf("op %d: Check(%d) for %d = %d, %v; the model says %v (max %d)", i, uint32(s), s, seq, ok, want, m.max)
		case !inReach && ok && seq == s:
			return fmt.Sprintf("op %d: %d is left of the window (max %d), yet Check(%d) placed it", i, s, m.max, uint32(s))
		case !ok:
			continue
		}
		// The ICV verifies only with the right high-order bits, and not
		// for a forged packet.
		if seq != s || (kind >= 90 && kind < 95) {
			continue
		}
		if kind >= 95 { // a copy that passed Check at the same time
			if _, ok2 := w.Check(uint32(s)); !ok2 {
				return fmt.Sprintf("op %d: the second Check(%d) failed before any Accept", i, s)
			}
			if !w.Accept(seq) {
				return fmt.Sprintf("op %d: Accept(%d) of the first copy failed", i, seq)
			}
			m.accept(s)
			if w.Accept(seq) {
				return fmt.Sprintf("op %d: Accept(%d) of the racing copy succeeded", i, seq)
			}
			continue
		}
		if !w.Accept(seq) {
			return fmt.Sprintf("op %d: Accept(%d) failed after Check succeeded", i, seq)
		}
		m.accept(s)
		if w.Top() != m.max {
			return fmt.Sprintf("op %d: T = %d, the model's max %d", i, w.Top(), m.max)
		}
	}
	// Finally every number near the top agrees with the model.
	for d := uint64(0); d < 2*uint64(size)+3 && d < m.max; d++ {
		s := m.max + 2 - d
		if s > limit {
			continue
		}
		if got := w.acceptable(s); got != m.acceptable(s) {
			return fmt.Sprintf("at the end: %d acceptable %v, the model says %v (max %d)", s, got, m.acceptable(s), m.max)
		}
	}
	return ""
}

// TestWindowModel checks the window against the model over random traces,
// with and without ESN, from the start, and across the 2^32 boundaries.
func TestWindowModel(t *testing.T) {
	params := proptest.Parameters(t)
	params.MinSuccessfulTests = 150
	props := gopter.NewProperties(params)
	sizes := gen.OneConstOf(64, 65, 100, 128, 1024)
	ops := gen.SliceOfN(300, gen.UInt64())
	props.Property("32-bit numbers from 1", prop.ForAll(
		func(size int, ops []uint64) string { return run(size, false, 0, ops) }, sizes, ops))
	props.Property("32-bit numbers up to 2^32 - 1", prop.ForAll(
		func(size int, back uint64, ops []uint64) string { return run(size, false, two32-back, ops) },
		sizes, gen.UInt64Range(1, 3000), ops))
	props.Property("ESN from 1", prop.ForAll(
		func(size int, ops []uint64) string { return run(size, true, 0, ops) }, sizes, ops))
	props.Property("ESN across 2^32", prop.ForAll(
		func(size int, back uint64, ops []uint64) string { return run(size, true, two32-back, ops) },
		sizes, gen.UInt64Range(1, 3000), ops))
	props.Property("ESN across k * 2^32", prop.ForAll(
		func(size int, k, back uint64, ops []uint64) string { return run(size, true, k*two32-back, ops) },
		sizes, gen.UInt64Range(2, 1<<31), gen.UInt64Range(1, 3000), ops))
	props.TestingRun(t)
}

// TestNoPanic offers every kind of value to windows in every state.
func TestNoPanic(t *testing.T) {
	vals := []uint64{0, 1, 2, 63, 64, 65, math.MaxUint32 - 1, math.MaxUint32, two32, two32 + 1, math.MaxUint64 - 1, math.MaxUint64}
	for _, esn := range []bool{false, true} {
		for _, start := range vals {
			w := mustNew(t, MinSize, esn)
			w.Accept(start)
			for _, v := range vals {
				w.Check(uint32(v))
				w.Accept(v)
			}
		}
	}
}

func BenchmarkWindow(b *testing.B) {
	w := mustNew(b, DefaultSize, true)
	var low uint32
	for b.Loop() {
		low++
		// Mostly in order, some late.
		l := low
		if low%8 == 0 {
			l -= 5
		}
		if seq, ok := w.Check(l); ok {
			w.Accept(seq)
		}
	}
}
