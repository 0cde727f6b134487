// Package replay implements the anti-replay window of RFC 4303 section
// 3.4.3 and Appendix A (A2.1: the sliding window; A2.2: inferring the
// high-order 32 bits of an Extended Sequence Number from the 32 low-order
// bits that a packet carries), kept as a ring of 64-bit blocks as in
// RFC 6479, so that moving the window costs one cleared word per 64
// sequence numbers instead of a shift of the whole bitmap.
//
// The RFC splits the check in two (section 3.4.3, "ESP permits two-stage
// verification"), and so does a Window:
//
//   - Check, before the ICV is verified: is the received number new? With
//     ESN it also tells which 64-bit number the packet claims, whose high
//     bits then enter the ICV. The window does not move.
//   - Accept, after the ICV verified: the window moves to the number (and
//     re-checks it, because another packet with the same number may have
//     been accepted in between). "The receive window is updated only if
//     the integrity verification succeeds" (section 3.4.3).
//
// # Semantics
//
// With T the highest number accepted so far (0 before the first packet:
// RFC4303-3.4.3-4, the counter starts at zero) and W the window's size, a
// number s is acceptable iff s >= 1, s has not been accepted before
// (RFC4303-3.4.3-5), and s > T - W, i.e. it lies right of the window's left
// edge B = T - W + 1 (RFC 4303 Appendix A2.1). A number right of T is
// always acceptable and moves the window when accepted. This is exact: the
// bitmap keeps one bit for each of the W numbers B..T, whatever W is.
//
// With ESN, Check maps the 32 received bits to the one number in
// [B, B + 2^32 - 1] that ends with them: that is what the two cases of
// Appendix A2.2 compute. The window thus tolerates a gap of up to
// 2^32 - W numbers ahead of T; beyond that the high bits are lost, and the
// re-synchronization of Appendix A3 (RFC4303-A3-1, a SHOULD for ESN
// implementations) is not implemented here. Inference never yields 0 or a
// number below 1 (the subspace "Th - 1" when Th = 0 does not exist), and
// never wraps past 2^64 - 1. Without ESN a number is its 32 bits, and
// Accept refuses anything above 2^32 - 1.
//
// # Size
//
// DefaultSize is 1024. RFC4303-3.4.3-10 requires at least 32 with 32-bit
// sequence numbers and makes 64 the default that implementations SHOULD
// use; RFC4303-3.4.3-11 lets a receiver choose a larger one, and the
// section adds that the window "should be increased for higher-speed
// environments" (Appendix A2 likewise for ESN). This package deviates
// from the 64 default on purpose: it serves a userspace data plane in
// which several reader goroutines decrypt packets of one SA in parallel
// and hand them back out of order, and a 64-packet window there drops
// valid packets under load. A caller that wants the RFC's default passes
// 64. Sizes from MinSize (64) to MaxSize (2^20, well under the 2^31 that
// Appendix A2 assumes) are accepted; the bitmap costs one bit per number
// rounded up to a power-of-two number of 64-bit blocks (1024: 32 blocks,
// 256 octets).
//
// A Window is not safe for concurrent use: the caller serializes Check and
// Accept (impl/esp's Inbound holds a mutex around them, not around the
// cryptography in between). No input makes a method panic.
package replay

import (
	"fmt"
	"math"
	"math/bits"
)

// Window sizes (implementation constants; see the package documentation
// for the RFC's).
const (
	DefaultSize = 1024
	MinSize     = 64
	MaxSize     = 1 << 20
)

const (
	blockBits = 64
	blockLog  = 6 // log2(blockBits)
)

// Window is the anti-replay window of one inbound SA.
type Window struct {
	size uint64 // W
	esn  bool
	top  uint64 // T: the highest number accepted; 0 before the first
	// ring holds the bit of sequence number s at bit s%64 of block
	// (s/64) & mask. Its length is a power of two greater than the number
	// of blocks that W numbers can touch, so the blocks of B..T never
	// share a slot.
	ring []uint64
	mask uint64
}

// New returns an empty window (T = 0) of size numbers (0: DefaultSize)
// for an SA with or without Extended Sequence Numbers (RFC 4303 section
// 2.2.1).
func New(size int, esn bool) (*Window, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("esp: anti-replay window of %d packets: the size must be between %d and %d", size, MinSize, MaxSize)
	}
	// W numbers touch at most ceil(W/64) + 1 blocks.
	need := (size+blockBits-1)/blockBits + 1
	n := 1 << bits.Len(uint(need-1)) // the next power of two >= need
	return &Window{size: uint64(size), esn: esn, ring: make([]uint64, n), mask: uint64(n - 1)}, nil
}

// Size is W, the number of sequence numbers the window spans.
func (w *Window) Size() int { return int(w.size) }

// ESN reports whether the window infers the high-order 32 bits.
func (w *Window) ESN() bool { return w.esn }

// Top is T, the highest sequence number accepted so far (0: none yet).
func (w *Window) Top() uint64 { return w.top }

// Check is the check before the ICV: it returns the full sequence number
// that a packet carrying the low-order 32 bits low claims (with ESN, the
// high-order bits inferred as RFC 4303 Appendix A2.2 says; without it,
// low itself) and whether that number is acceptable: not 0, not left of
// the window, not already accepted. It does not move the window. With
// ESN, the number is what the ICV must be computed with (RFC 4303 section
// 2.2.1); when ok is false, seq may be 0.
func (w *Window) Check(low uint32) (seq uint64, ok bool) {
	seq, ok = w.infer(low)
	if !ok {
		return 0, false
	}
	return seq, w.acceptable(seq)
}

// Accept records seq, a number that Check returned and whose packet's ICV
// then verified, moving the window right when seq is beyond T. It checks
// again and returns false, changing nothing, when seq is no longer
// acceptable (a packet with the same number was accepted since its Check)
// or never was (0, left of the window, above 2^32 - 1 without ESN).
func (w *Window) Accept(seq uint64) bool {
	if !w.acceptable(seq) {
		return false
	}
	if seq > w.top {
		// RFC 4303 Appendix A2.1: B and T move up by seq - T; the new bits
		// between T and seq say "not received". Only whole blocks are
		// cleared (RFC 6479 section 2): those that held numbers left of
		// the new window.
		oldBlock, newBlock := w.top>>blockLog, seq>>blockLog
		if d := newBlock - oldBlock; d > w.mask {
			clear(w.ring)
		} else {
			for b := oldBlock + 1; b <= newBlock; b++ {
				w.ring[b&w.mask] = 0
			}
		}
		w.top = seq
	}
	w.ring[(seq>>blockLog)&w.mask] |= 1 << (seq % blockBits)
	return true
}

// acceptable is the test of the package documentation.
func (w *Window) acceptable(seq uint64) bool {
	switch {
	case seq == 0:
		return false // RFC 4303 section 3.3.3: the first packet is 1
	case !w.esn && seq > math.MaxUint32:
		return false
	case seq > w.top:
		return true
	case w.top-seq >= w.size:
		return false // left of B = T - W + 1
	}
	return w.ring[(seq>>blockLog)&w.mask]&(1<<(seq%blockBits)) == 0
}

// infer is RFC 4303 Appendix A2.2 (Seqh from Seql, Tl, Th and W), in its
// two cases, with arithmetic on the 32-bit halves mod 2^32 as in A2.3.
// It fails where the equations name a subspace that does not exist: Th - 1
// when Th = 0, Th + 1 when Th = 2^32 - 1.
func (w *Window) infer(low uint32) (uint64, bool) {
	if !w.esn {
		return uint64(low), true
	}
	tl, th := uint32(w.top), uint32(w.top>>32)
	W := uint32(w.size)
	bl := tl - W + 1 // Bl, mod 2^32
	var seqh uint32
	if tl >= W-1 {
		// Case A: the window lies within subspace Th.
		if low >= bl {
			seqh = th
		} else {
			if th == math.MaxUint32 {
				return 0, false
			}
			seqh = th + 1
		}
	} else {
		// Case B: the window spans subspaces Th - 1 and Th.
		if low >= bl {
			if th == 0 {
				return 0, false
			}
			seqh = th - 1
		} else {
			seqh = th
		}
	}
	return uint64(seqh)<<32 | uint64(low), true
}
