package esp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
)

// ErrSeqExhausted is matched when an Outbound has sent its last sequence
// number: 2^32 - 1 without ESN, 2^64 - 1 with it. RFC4303-3.3.3-1: "the
// sender MUST NOT send a packet on an SA if doing so would cause the
// sequence number to cycle"; RFC4303-2.2-5: the SA must be replaced before
// the 2^32nd packet. The packet is not sent; the SA must be rekeyed.
var ErrSeqExhausted = errors.New("esp: sequence number counter exhausted: the SA must be rekeyed")

// OutboundOptions are what an Outbound adds to its SA's Config.
type OutboundOptions struct {
	// SoftLimit is the first sequence number from which Seal reports that
	// a rekey is due (Sealed.RekeyDue). 0 selects DefaultSoftLimit. It
	// must not exceed the hard limit (2^32 - 1, or 2^64 - 1 with ESN).
	SoftLimit uint64
	// TFCPadTo, when not zero, pads the Payload Data of every packet that
	// carries an IP packet (Next Header 4 or 41) to at least this many
	// octets with TFC padding (RFC 4303 section 2.7, RFC4303-2.7-1), which
	// the receiver removes by the inner packet's own length field. It is
	// a per-SA control (RFC4303-2.7-4), and RFC4303-2.7-3 requires the
	// peer's consent: set it only if the peer did not send
	// ESP_TFC_PADDING_NOT_SUPPORTED (RFC 7296 section 3.10.1). Packets of
	// other Next Headers (transport mode) are not padded: their length is
	// not known to be recoverable. At most 65535.
	TFCPadTo int
	// Rand is where CBC IVs come from (nil: crypto/rand). Tests only.
	Rand io.Reader
}

// DefaultSoftLimit is the soft limit of an Outbound when none is given:
// 1/16 of the sequence space before the hard limit (about 2^28 packets
// without ESN, which leaves minutes at a million packets a second for the
// rekey to finish), so that the counter never has to stop (RFC 4303
// section 3.3.3: the sender establishes a new SA "in anticipation of this
// value cycling").
func DefaultSoftLimit(esn bool) uint64 {
	hard := hardLimit(esn)
	return hard - hard/16
}

func hardLimit(esn bool) uint64 {
	if esn {
		return math.MaxUint64
	}
	return math.MaxUint32
}

// Outbound is the sending half of an ESP SA: its SA and the sequence
// number counter (RFC 4303 section 3.3.3), with its statistics.
//
// All methods are safe for concurrent use. Each Seal takes the next number
// with an atomic operation, so numbers are unique and increase in the
// order Seal calls take them; packets sealed on several goroutines may
// leave in another order, which the receiver's window absorbs (keep the
// spread below its size: one sealing goroutine per SA is simplest).
type Outbound struct {
	sa   *SA
	mode Mode
	soft uint64
	hard uint64
	tfc  int
	rand io.Reader

	last        atomic.Uint64 // the last sequence number taken; 0 before the first
	rekeyTold   atomic.Bool
	packets     atomic.Uint64
	octets      atomic.Uint64
	dummies     atomic.Uint64
	exhaustions atomic.Uint64
}

// NewOutbound keys the SA that c describes (see NewSA) for sending, its
// counter at 0 so that the first packet is 1 (RFC 4303 section 3.3.3).
// The Outbound owns that SA: no other counter may seal under its keys
// (a combined-mode IV is the sequence number, and must never repeat). It
// refuses what checkStateful does (an unchecked ICV: it cannot seal).
func NewOutbound(c Config, opt OutboundOptions) (*Outbound, error) {
	if err := c.checkStateful(); err != nil {
		return nil, err
	}
	hard := hardLimit(c.ESN)
	soft := opt.SoftLimit
	if soft == 0 {
		soft = DefaultSoftLimit(c.ESN)
	}
	if soft > hard {
		return nil, fmt.Errorf("esp: soft limit %d beyond the last sequence number %d", soft, hard)
	}
	if opt.TFCPadTo < 0 || opt.TFCPadTo > 0xffff {
		return nil, fmt.Errorf("esp: TFC padding to %d octets", opt.TFCPadTo)
	}
	sa, err := NewSA(c)
	if err != nil {
		return nil, err
	}
	return &Outbound{sa: sa, mode: c.Mode, soft: soft, hard: hard, tfc: opt.TFCPadTo, rand: opt.Rand}, nil
}

// SA is the Outbound's SA (for its SPI, String and lengths; sealing
// through it directly would bypass the counter).
func (o *Outbound) SA() *SA { return o.sa }

// Mode is the SA's mode, which SealPacket follows.
func (o *Outbound) Mode() Mode { return o.mode }

// Sealed is a packet that Outbound sealed.
type Sealed struct {
	// Packet is dst with the ESP packet appended: from the SPI on, the
	// payload of IP protocol 50 or, as it is, of a UDP datagram to the
	// peer's NAT-T port (RFC 3948 section 2.1).
	Packet []byte
	// Seq is the packet's sequence number.
	Seq uint64
	// RekeyDue is set on the first packet that reaches the soft limit, and
	// on that one only: tell the key exchange to rekey the SA (RFC 7296
	// section 2.8). Outbound.RekeyDue tells the state at any time.
	RekeyDue bool
}

// Seal seals payload, under Next Header nextHeader, as the next packet,
// appending it to dst (which may be nil; give it room for
// Overhead(len(payload)) more octets to avoid an allocation). It is the
// general form: the payload is what RFC 4303 section 2.3 calls Payload
// Data, and the caller picks the Next Header; SealPacket and SealDummy
// are the usual callers. payload may share dst's spare capacity.
//
// Past the hard limit Seal returns an error matching ErrSeqExhausted and
// seals nothing, every time (an auditable event, RFC 4303 section 3.3.3:
// Stats counts it). Other errors (a CBC IV that rand could not give) use
// up a sequence number, which is harmless: numbers may have gaps.
func (o *Outbound) Seal(dst []byte, nextHeader uint8, payload []byte) (Sealed, error) {
	seq, err := o.next()
	if err != nil {
		return Sealed{Packet: dst}, err
	}
	tfc := 0
	if o.tfc > len(payload) && ipVersionOf(nextHeader) != 0 {
		tfc = o.tfc - len(payload)
	}
	pkt, err := o.sa.appendSeal(dst, seq, nextHeader, payload, tfc, o.rand)
	if err != nil {
		return Sealed{Packet: dst}, err
	}
	if nextHeader == NextHeaderDummy {
		o.dummies.Add(1)
	} else {
		o.packets.Add(1)
		o.octets.Add(uint64(len(payload)))
	}
	s := Sealed{Packet: pkt, Seq: seq}
	if seq >= o.soft && o.rekeyTold.CompareAndSwap(false, true) {
		s.RekeyDue = true
	}
	return s, nil
}

// next takes the next sequence number, never beyond the hard limit
// (RFC4303-3.3.3-1).
func (o *Outbound) next() (uint64, error) {
	for {
		last := o.last.Load()
		if last >= o.hard {
			o.exhaustions.Add(1)
			return 0, fmt.Errorf("esp: SPI 0x%08x: sequence number %d was the last (RFC4303-3.3.3-1): %w", o.sa.spi, last, ErrSeqExhausted)
		}
		if o.last.CompareAndSwap(last, last+1) {
			return last + 1, nil
		}
	}
}

// SealPacket seals an outbound IP packet as the SA's mode says:
//
//   - Tunnel: the whole packet is the Payload Data, Next Header 4 or 41
//     from its version (TunnelNextHeader), after IPPacketLen has checked
//     its header; octets after the header's length are not sent. With
//     TFCPadTo, TFC padding follows it.
//   - Transport: the packet's upper-layer segment is the Payload Data and
//     its protocol the Next Header (SplitTransport); the caller sends the
//     result from the packet's source to its destination, which the SPD
//     matched to this SA.
//
// A packet these helpers refuse is an error matching ErrMalformed, and
// takes no sequence number.
func (o *Outbound) SealPacket(dst, ipPacket []byte) (Sealed, error) {
	var (
		next    uint8
		payload []byte
	)
	if o.mode == Transport {
		var err error
		if next, payload, err = SplitTransport(ipPacket); err != nil {
			return Sealed{Packet: dst}, err
		}
	} else {
		n, err := IPPacketLen(ipPacket)
		if err != nil {
			return Sealed{Packet: dst}, err
		}
		payload = ipPacket[:n]
		next, _ = TunnelNextHeader(payload) // IPPacketLen checked the version
	}
	return o.Seal(dst, next, payload)
}

// SealDummy seals a dummy packet (RFC4303-2.6-2: "A transmitter MUST be
// capable of generating dummy packets"): Next Header 59 and n octets of
// zeros as Payload Data, which RFC4303-2.6-3 lets be anything. It takes a
// sequence number like any packet. When and how large to send them is the
// caller's traffic-flow policy (RFC4303-2.6-5); the receiver drops them
// silently (Inbound.Open).
func (o *Outbound) SealDummy(dst []byte, n int) (Sealed, error) {
	if n < 0 || n > 0xffff {
		return Sealed{Packet: dst}, fmt.Errorf("esp: a dummy packet of %d octets", n)
	}
	return o.Seal(dst, NextHeaderDummy, make([]byte, n))
}

// Overhead is how many octets Seal adds to a payload of n octets: header,
// IV, padding, trailer and ICV (TFC padding not counted).
func (o *Outbound) Overhead(n int) int {
	a := o.sa.align()
	return HeaderLen + o.sa.encr.IVLen + (a-(n+TrailerLen)%a)%a + TrailerLen + o.sa.icvLen
}

// Seq is the last sequence number taken (0 before the first packet).
func (o *Outbound) Seq() uint64 { return o.last.Load() }

// RekeyDue reports whether the counter has reached the soft limit.
func (o *Outbound) RekeyDue() bool { return o.last.Load() >= o.soft }

// OutboundStats are an Outbound's counters. Octets count Payload Data as
// given to Seal (the inner packet in tunnel mode, the segment in
// transport mode), without TFC padding or ESP overhead: the measure of an
// SA's byte lifetime.
type OutboundStats struct {
	Packets, Octets uint64 // sealed, dummy packets not included
	Dummies         uint64 // dummy packets sealed
	SeqExhausted    uint64 // Seal calls refused past the hard limit
	Seq             uint64 // the last sequence number taken
}

// Stats reads the counters; each is read atomically, the set is not a
// snapshot of one instant.
func (o *Outbound) Stats() OutboundStats {
	return OutboundStats{
		Packets: o.packets.Load(), Octets: o.octets.Load(), Dummies: o.dummies.Load(),
		SeqExhausted: o.exhaustions.Load(), Seq: o.last.Load(),
	}
}
