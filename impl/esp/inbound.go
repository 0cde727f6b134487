package esp

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ikev2ref/ikev2ref/impl/esp/replay"
)

// ErrReplay is matched when a packet's sequence number was already
// accepted or lies left of the anti-replay window (RFC4303-3.4.3-5): the
// packet is dropped before any cryptography, or, when a copy won the race
// between its check and its acceptance, after.
var ErrReplay = errors.New("esp: sequence number replayed or left of the anti-replay window")

// InboundOptions are what an Inbound adds to its SA's Config.
type InboundOptions struct {
	// ReplayWindow is the size of the anti-replay window in packets, from
	// replay.MinSize (64) to replay.MaxSize; 0 selects replay.DefaultSize
	// (1024: see package replay for why not RFC4303-3.4.3-10's 64).
	ReplayWindow int
	// NoReplay turns the anti-replay service off, which RFC4303-3.4.3-1
	// lets the receiver do per SA and RFC4303-3.3.3-3 recommends for
	// manually keyed SAs. It is refused with ESN: the window is what
	// infers the high-order bits (RFC4303-3.3.3-5).
	NoReplay bool
}

// Inbound is the receiving half of an ESP SA: its SA, its anti-replay
// window (RFC 4303 section 3.4.3) and its statistics.
//
// Open is safe for concurrent use: several reader goroutines may open
// packets of one SA at once. The window is guarded by a mutex held only
// for its check and its update, never during the cryptography between
// them, so the readers decrypt in parallel. Stats may be read from any
// goroutine.
type Inbound struct {
	sa   *SA
	mode Mode

	mu  sync.Mutex
	win *replay.Window // nil with NoReplay

	top         atomic.Uint64 // the window's T, for Stats
	packets     atomic.Uint64
	octets      atomic.Uint64
	dummies     atomic.Uint64
	replayDrops atomic.Uint64
	icvFailures atomic.Uint64
	malformed   atomic.Uint64
}

// NewInbound keys the SA that c describes (see NewSA) for receiving, with
// an empty window (RFC4303-3.4.3-4: the receive counter starts at zero).
// It refuses what checkStateful does: with an unchecked ICV the window
// could not wait for the ICV to move (RFC4303-3.4.3-2 forbids anti-replay
// without integrity).
func NewInbound(c Config, opt InboundOptions) (*Inbound, error) {
	if err := c.checkStateful(); err != nil {
		return nil, err
	}
	if opt.NoReplay && c.ESN {
		return nil, errors.New("esp: Extended Sequence Numbers need the anti-replay window (RFC 4303 section 3.3.3)")
	}
	sa, err := NewSA(c)
	if err != nil {
		return nil, err
	}
	in := &Inbound{sa: sa, mode: c.Mode}
	if !opt.NoReplay {
		if in.win, err = replay.New(opt.ReplayWindow, c.ESN); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// SA is the Inbound's SA (for its SPI, String and lengths).
func (in *Inbound) SA() *SA { return in.sa }

// Mode is the SA's mode, which Open follows.
func (in *Inbound) Mode() Mode { return in.mode }

// Received is what Open delivers.
type Received struct {
	// Seq is the full sequence number, high-order bits inferred with ESN.
	// Open sets it also with most errors (whenever the packet got as far
	// as the window), for the audit log entry that RFC4303-3.4.3-9 and
	// RFC4303-3.4.4.1-2 describe.
	Seq uint64
	// Dummy is set for a dummy packet (Next Header 59), which the caller
	// drops without indicating an error (RFC4303-2.6-2); Payload is nil.
	Dummy bool
	// NextHeader is 4 or 41 in tunnel mode, the upper-layer protocol in
	// transport mode.
	NextHeader uint8
	// Payload is the inner IP packet (tunnel mode, or Next Header 4 or 41
	// in transport mode), cut to the length its header gives so that any
	// TFC padding is gone, or the upper-layer segment (transport mode; see
	// AppendTransportPacket). It aliases the packet given to Open.
	Payload []byte
	// TFCPadLen is the number of TFC padding octets removed (RFC 4303
	// section 2.7).
	TFCPadLen int
}

// Open processes one received ESP packet of this SA (from the SPI on: the
// payload of IP protocol 50, or the UDP payload that netio.Classify calls
// ESP), in the order of RFC 4303 section 3.4:
//
//  1. the SPI must be this SA's (the caller looked the SA up by it,
//     section 3.4.2; a mismatch is the caller's bug, reported as
//     ErrMalformed);
//  2. the anti-replay check (RFC4303-3.4.3-6: the first check after the SA
//     lookup), which with ESN also infers the high-order bits: a replay is
//     ErrReplay, and costs no cryptography. (With ESN, a packet left of
//     the window is read as one 2^32 further on, as Appendix A2.2 says,
//     and fails its ICV instead: ErrIntegrity.);
//  3. ICV verification, then decryption, padding and Next Header checks
//     (SA.OpenESN): a failed ICV is ErrIntegrity (RFC4303-3.4.3-8,
//     RFC4303-3.4.4.1-1: discarded, an auditable event), and the window
//     does not move;
//  4. the window moves only now that the ICV verified ("the receive
//     window is updated only if the integrity verification succeeds",
//     section 3.4.3), re-checking the number since another reader may
//     have accepted a copy meanwhile (then ErrReplay). It moves also when
//     a check after the ICV fails: the number was authentically sent;
//  5. a dummy packet (Next Header 59) is returned with Dummy set and a nil
//     error (RFC4303-2.6-2);
//  6. an inner IP packet (Next Header 4 or 41) must have a sound header
//     whose length fits the payload (IPPacketLen); what follows that
//     length is TFC padding and is cut off. In tunnel mode the Next
//     Header must be 4 or 41.
//
// Open decrypts in place: pkt's ciphertext is overwritten (also when
// Open fails after step 2) and Received.Payload aliases pkt. Errors are
// *Error values matching ErrMalformed (and ErrPadding), ErrIntegrity or
// ErrReplay, each counted in Stats. The selector check of RFC 4301
// section 5.2 on the inner packet is the caller's, with the SA's policy.
// No input makes Open panic.
func (in *Inbound) Open(pkt []byte) (Received, error) {
	p, err := Parse(pkt)
	if err != nil {
		in.malformed.Add(1)
		return Received{}, err
	}
	if p.SPI != in.sa.spi {
		in.malformed.Add(1)
		return Received{}, errAt(ErrMalformed, 0, "SPI 0x%08x, but the SA's is 0x%08x", p.SPI, in.sa.spi)
	}
	seq := uint64(p.Seq)
	if in.win != nil {
		in.mu.Lock()
		s, ok := in.win.Check(p.Seq)
		in.mu.Unlock()
		if !ok {
			in.replayDrops.Add(1)
			return Received{Seq: s}, in.replayErr(p.Seq, s)
		}
		seq = s
	}
	o, verified, err := in.sa.open(pkt, uint32(seq>>32), true)
	if verified && in.win != nil {
		in.mu.Lock()
		ok := in.win.Accept(seq)
		in.top.Store(in.win.Top())
		in.mu.Unlock()
		if !ok {
			in.replayDrops.Add(1)
			return Received{Seq: seq}, in.replayErr(p.Seq, seq)
		}
	}
	if err != nil {
		if errors.Is(err, ErrIntegrity) {
			in.icvFailures.Add(1)
		} else {
			in.malformed.Add(1)
		}
		return Received{Seq: seq}, err
	}
	if o.Dummy() {
		in.dummies.Add(1)
		return Received{Seq: seq, Dummy: true, NextHeader: NextHeaderDummy}, nil
	}
	r := Received{Seq: seq, NextHeader: o.NextHeader, Payload: o.Payload}
	if ipVersionOf(o.NextHeader) != 0 {
		n, err := IPPacketLen(o.Payload)
		if err != nil {
			in.malformed.Add(1)
			var e *Error
			if errors.As(err, &e) {
				err = errAt(ErrMalformed, HeaderLen+in.sa.encr.IVLen+e.Offset, "inner packet: %s", e.Reason)
			}
			return Received{Seq: seq}, err
		}
		// RFC4303-2.7-2: the inner length field does not count the TFC
		// padding, so it tells where the padding starts.
		r.Payload, r.TFCPadLen = o.Payload[:n:n], len(o.Payload)-n
	} else if in.mode == Tunnel {
		in.malformed.Add(1)
		return Received{Seq: seq}, errAt(ErrMalformed, len(pkt)-in.sa.icvLen-1, "Next Header %d on a tunnel-mode SA, which carries IP packets (4 or 41)", o.NextHeader)
	}
	in.packets.Add(1)
	in.octets.Add(uint64(len(r.Payload)))
	return r, nil
}

func (in *Inbound) replayErr(low uint32, seq uint64) error {
	if seq == 0 {
		return errAt(ErrReplay, 4, "sequence number %d: no acceptable number ends with it (window top %d, size %d)", low, in.top.Load(), in.win.Size())
	}
	return errAt(ErrReplay, 4, "sequence number %d is a replay or left of the window (top %d, size %d)", seq, in.top.Load(), in.win.Size())
}

// InboundStats are an Inbound's counters. Octets count the Payload
// delivered (TFC padding and ESP overhead excluded). Every packet given
// to Open is counted once: in Packets, Dummies, ReplayDrops, ICVFailures
// or Malformed.
type InboundStats struct {
	Packets, Octets uint64 // delivered
	Dummies         uint64 // dummy packets (Next Header 59) dropped
	ReplayDrops     uint64 // ErrReplay
	ICVFailures     uint64 // ErrIntegrity
	Malformed       uint64 // ErrMalformed: framing, padding, inner header, SPI
	Top             uint64 // the window's highest accepted number (0 with NoReplay)
}

// Stats reads the counters; each is read atomically, the set is not a
// snapshot of one instant.
func (in *Inbound) Stats() InboundStats {
	return InboundStats{
		Packets: in.packets.Load(), Octets: in.octets.Load(), Dummies: in.dummies.Load(),
		ReplayDrops: in.replayDrops.Load(), ICVFailures: in.icvFailures.Load(), Malformed: in.malformed.Load(),
		Top: in.top.Load(),
	}
}
