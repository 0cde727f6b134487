package dataplane

import (
	"cmp"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/esp"
)

// counters are the data plane's own counters (the SAs' are in esp and
// policy).
type counters struct {
	deviceRead, deviceWritten, deviceErrors, rawErrors atomic.Uint64

	outMalformed, outDiscarded, outBypassed, outNoSA, outSeqExhausted, outExpired, outSendErrors, outSent atomic.Uint64

	inShort, inUnknownSPI, inExpired, inESPErrors, inDummies, inMalformedInner, inSelectorDrops atomic.Uint64
	inDelivered, inUndeliverable, echoReplies                                                   atomic.Uint64
}

// Stats are the data plane's counters. Each packet is counted once on its
// way: outbound in OutSent or one of the drops, inbound in InDelivered or
// one of the drops.
type Stats struct {
	// Device is the tunnel device's name ("" when none is open).
	Device string
	// Children is the number of installed Child SA pairs.
	Children int

	// DeviceRead counts the packets read from the device, DeviceWritten
	// those written to it; DeviceErrors and RawErrors count failed reads
	// and writes.
	DeviceRead, DeviceWritten, DeviceErrors, RawErrors uint64

	// Outbound (RFC 4301 section 5.1).
	OutSent         uint64 // sealed and sent
	OutMalformed    uint64 // unreadable, or refused by ESP
	OutDiscarded    uint64 // a DISCARD entry or no entry (RFC4301-5-2)
	OutBypassed     uint64 // a BYPASS entry: nothing leaves the device in the clear
	OutNoSA         uint64 // a PROTECT entry without SA (no trap: dropped)
	OutSeqExhausted uint64 // the SA's sequence numbers ran out
	OutExpired      uint64 // the pair reached its hard volume limit (RFC7296-2.8-1)
	OutSendErrors   uint64 // the socket refused the ESP packet

	// Inbound (RFC 4301 section 5.2).
	InShort          uint64 // shorter than an ESP header
	InUnknownSPI     uint64 // no SA has the SPI (RFC4303-3.4.2-1)
	InExpired        uint64 // the pair reached its hard volume limit (RFC7296-2.8-1)
	InESPErrors      uint64 // replayed, failed ICV, malformed: per SA in ChildStats
	InDummies        uint64 // dummy packets (Next Header 59), dropped silently
	InMalformedInner uint64 // the decrypted packet is unreadable
	InSelectorDrops  uint64 // outside the SA's selectors or its SPD entry (RFC4301-5.2-6)
	InDelivered      uint64 // to the device or a built-in receiver
	InUndeliverable  uint64 // no device (tunnel), no receiver (transport)
	EchoReplies      uint64 // UDP echo replies sent

	// SPDUnmatchedOut counts outbound packets that matched no SPD entry
	// (none should: the final entry matches everything).
	SPDUnmatchedOut uint64
}

// Stats reads the counters.
func (d *DataPlane) Stats() Stats {
	d.mu.Lock()
	n := len(d.children)
	d.mu.Unlock()
	s := &d.st
	unmatched, _ := d.db.SPD.Unmatched()
	return Stats{
		Device: d.Device(), Children: n,
		DeviceRead: s.deviceRead.Load(), DeviceWritten: s.deviceWritten.Load(),
		DeviceErrors: s.deviceErrors.Load(), RawErrors: s.rawErrors.Load(),
		OutSent: s.outSent.Load(), OutMalformed: s.outMalformed.Load(), OutDiscarded: s.outDiscarded.Load(),
		OutBypassed: s.outBypassed.Load(), OutNoSA: s.outNoSA.Load(), OutSeqExhausted: s.outSeqExhausted.Load(),
		OutExpired: s.outExpired.Load(), OutSendErrors: s.outSendErrors.Load(),
		InShort: s.inShort.Load(), InUnknownSPI: s.inUnknownSPI.Load(), InExpired: s.inExpired.Load(),
		InESPErrors: s.inESPErrors.Load(),
		InDummies:   s.inDummies.Load(), InMalformedInner: s.inMalformedInner.Load(),
		InSelectorDrops: s.inSelectorDrops.Load(), InDelivered: s.inDelivered.Load(),
		InUndeliverable: s.inUndeliverable.Load(), EchoReplies: s.echoReplies.Load(),
		SPDUnmatchedOut: unmatched,
	}
}

// ChildStats are one Child SA pair's counters, in swanctl's terms where it
// has them.
type ChildStats struct {
	Connection, Name string
	UniqueID         uint64
	SPIIn, SPIOut    uint32
	Mode             esp.Mode
	// UDPEncap says whether the pair's ESP goes in UDP (RFC 3948), Local
	// and Remote are its outer addresses (ports 0 for protocol 50).
	UDPEncap      bool
	Local, Remote netip.AddrPort
	// Entry is the SPD entry that governs the pair.
	Entry     string
	Installed time.Time

	// BytesIn and PacketsIn count what the inbound SA opened (ESP
	// payload, TFC padding excluded), selector drops included;
	// BytesOut and PacketsOut what the outbound SA sealed.
	BytesIn, PacketsIn, BytesOut, PacketsOut uint64
	// Inbound drops: replayed (RFC4303-3.4.3-5), failed ICV
	// (RFC4303-3.4.4.1-1), malformed, dummy packets (not errors), outside
	// the selectors or the SA's SPD entry (RFC4301-5.2-6,
	// RFC4301-4.4.1-15), and with no receiver.
	ReplayDrops, ICVFailures, Malformed, DummiesIn, SelectorDrops, Undeliverable uint64
	// Outbound: socket errors, packets refused past the last sequence
	// number, and the last sequence number used.
	SendErrors, SeqExhausted, SeqOut uint64
	// OutboundHeld says that the pair was installed with OutboundLater and
	// its outbound SA does not take its entry's traffic yet (unless no
	// other pair can). SoftLimit and HardLimit say that a volume limit was
	// reached (and told); Expired counts the packets refused, both ways,
	// since the hard one.
	OutboundHeld         bool
	SoftLimit, HardLimit bool
	Expired              uint64
}

func (ch *child) stats() ChildStats {
	in, out := ch.in.Stats(), ch.out.Stats()
	sc := ch.inSA.Counters()
	return ChildStats{
		Connection: ch.conn, Name: ch.name, UniqueID: ch.id, SPIIn: ch.spiIn, SPIOut: ch.spiOut, Mode: ch.mode,
		UDPEncap: ch.encap(), Local: ch.inSA.Local, Remote: ch.inSA.Remote, Entry: ch.entries[0].name,
		Installed: ch.installed,
		BytesIn:   in.Octets, PacketsIn: in.Packets, BytesOut: out.Octets, PacketsOut: out.Packets,
		ReplayDrops: in.ReplayDrops, ICVFailures: in.ICVFailures, Malformed: in.Malformed, DummiesIn: in.Dummies,
		SelectorDrops: sc.Outside + sc.Mismatch, Undeliverable: ch.undeliverable.Load(),
		SendErrors: ch.sendErrors.Load(), SeqExhausted: out.SeqExhausted, SeqOut: out.Seq,
		OutboundHeld: ch.inSA.OutboundHeld(), SoftLimit: ch.limitSoftTold.Load(), HardLimit: ch.limitHardTold.Load(),
		Expired: ch.expired.Load(),
	}
}

// ChildStats returns the counters of the pair whose inbound SPI is spiIn.
func (d *DataPlane) ChildStats(spiIn uint32) (ChildStats, bool) {
	d.mu.Lock()
	ch := d.children[spiIn]
	d.mu.Unlock()
	if ch == nil {
		return ChildStats{}, false
	}
	return ch.stats(), true
}

// Children returns the counters of every installed pair, by inbound SPI.
func (d *DataPlane) Children() []ChildStats {
	d.mu.Lock()
	chs := make([]*child, 0, len(d.children))
	for _, ch := range d.children {
		chs = append(chs, ch)
	}
	d.mu.Unlock()
	out := make([]ChildStats, 0, len(chs))
	for _, ch := range chs {
		out = append(out, ch.stats())
	}
	slices.SortFunc(out, func(a, b ChildStats) int { return cmp.Compare(a.SPIIn, b.SPIIn) })
	return out
}
