package policy

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The Security Association Database (RFC 4301 section 4.4.2): ESP SAs in
// pairs, inbound ones found by SPI, outbound ones through the SPD entry that
// governs them, and the selector check of inbound traffic (section 5.2,
// step 4).

// SA is one ESP SA in the SAD. The caller fills in the exported fields and
// hands the SA to SAD.InstallPair; from then on they must not change.
type SA struct {
	// SPI is the Security Parameter Index: chosen by this end for an inbound
	// SA, by the peer for an outbound one.
	SPI  uint32
	Mode Mode
	// Selectors are the SA's traffic in local/remote terms: what was
	// negotiated (SelectorsFromTS). An inbound SA must have them: its
	// traffic is checked against them (RFC4301-4.4.2-2). For an outbound SA
	// they are optional: without them the SA takes all the traffic its SPD
	// entry sends to it (the seed's "spi2: —"); with them the SPD picks,
	// among the SAs of an entry, one whose selectors match the packet.
	Selectors []Selector
	// Local and Remote are the outer addresses: the tunnel endpoints in
	// tunnel mode, the two hosts in transport mode. A non-zero port means
	// UDP-encapsulated ESP (RFC 3948) between those ports; zero ports mean
	// ESP as IP protocol 50.
	Local, Remote netip.AddrPort
	// Data is the data plane's own state for this SA (impl/esp's inbound
	// or outbound SA with its keys and replay window). The SAD never looks
	// at it, so that policy does not depend on the data plane.
	Data any

	// Set by InstallPair.
	dir   Direction
	pair  *SA
	entry *spdEntry
	// held (on the inbound SA of a pair installed with
	// InstallPairOutboundLater) says that the pair's outbound SA waits for
	// ActivateOutbound. Changed under the SPD's lock.
	held atomic.Bool

	accepted, outside, mismatch atomic.Uint64
}

// Direction returns Inbound or Outbound once the SA is installed, and zero
// before.
func (sa *SA) Direction() Direction { return sa.dir }

// Pair returns the other SA of the pair (nil before InstallPair).
func (sa *SA) Pair() *SA { return sa.pair }

// Entry returns the name of the SPD entry that governs the SA ("" for none).
func (sa *SA) Entry() string {
	if sa.entry == nil {
		return ""
	}
	return sa.entry.Name
}

// SACounters count the inbound check's results on an inbound SA.
type SACounters struct {
	Accepted uint64 // passed CheckInbound
	Outside  uint64 // dropped: outside the SA's selectors (RFC4301-5.2-6)
	Mismatch uint64 // dropped: the ordered SPD search ends at another entry (RFC4301-4.4.1-15)
}

// Counters returns the SA's counters.
func (sa *SA) Counters() SACounters {
	return SACounters{Accepted: sa.accepted.Load(), Outside: sa.outside.Load(), Mismatch: sa.mismatch.Load()}
}

// String renders the SA as the seed's SAD does: "spi 0x00001001 inbound
// ESP tunnel 4.5.6.7 -> 2.3.4.5 [tcp 1.2.3.0/24 <-> 5.6.7.0/24]".
func (sa *SA) String() string {
	from, to := sa.Remote, sa.Local
	if sa.dir == Outbound {
		from, to = to, from
	}
	return fmt.Sprintf("spi %#08x %v ESP %v %v -> %v %s", sa.SPI, sa.dir, sa.Mode, outer(from), outer(to), selectorsString(sa.Selectors))
}

func outer(a netip.AddrPort) string {
	if a.Port() == 0 {
		return a.Addr().String()
	}
	return a.String()
}

// SAD is a Security Association Database. Inbound SAs are keyed by SPI
// alone (unicast SAs, RFC 4301 section 4.1 and RFC4303-2.1-1); outbound SAs
// are reached through the SPD entry that governs them, which points at the
// pairs installed for it (RFC 4301 section 5.1, step 3a: "a link from the
// SPD cache entry to the relevant SAD entry"). Outbound SPIs are chosen by
// peers and need not be unique, so nothing is keyed by them (RFC 4301
// section 4.4.2, Implementation Guidance).
//
// A SAD is safe for concurrent use: lookups take a read lock; installing
// and removing take the write locks of the SAD and then of its SPD, so a
// pair appears and disappears at once for every lookup.
type SAD struct {
	spd        *SPD
	mu         sync.RWMutex
	in         map[uint32]*SA
	unknownSPI atomic.Uint64
}

// Errors of the SAD.
var (
	ErrUnknownSPI = errors.New("unknown SPI")
	ErrSelectors  = errors.New("packet outside the SA's selectors")
	ErrPolicy     = errors.New("packet governed by another SPD entry")
)

// NewSAD returns an empty SAD whose SAs may be linked to entries of spd (nil:
// no SPD; SAs are then installed without an entry).
func NewSAD(spd *SPD) *SAD {
	return &SAD{spd: spd, in: map[uint32]*SA{}}
}

// InstallPair installs a Child SA's two SAs at once, governed by the SPD
// PROTECT entry named entry ("" for none: a manually keyed SA or one no
// entry governs, RFC 4301 section 4.4.2). The entry then points at the pair,
// newest first, so that after a rekey the new outbound SA takes the traffic.
// Nothing is installed when an error is returned.
func (d *SAD) InstallPair(entry string, in, out *SA) error {
	return d.installPair(entry, in, out, false)
}

// InstallPairOutboundLater installs a pair as InstallPair does, but holds
// its outbound SA back: the inbound SA takes its packets at once, while the
// entry's outbound traffic keeps going to the pairs installed before it,
// until ActivateOutbound makes this pair the newest. This is the responder's
// side of a Child SA rekey (RFC 7296 section 2.8): it must accept traffic on
// the new SA before it answers (RFC7296-2.8-9), but its peer may not have
// installed the new inbound SA yet, so it defers sending on it
// (RFC7296-2.8-12, RFC7296-2.8-13) until the peer deletes the old pair or
// uses the new one.
//
// The entry keeps the pairs whose outbound SA is held after all the others,
// newest first among them, so a held outbound SA carries only what no other
// pair of its entry takes: when the entry has no other pair (the old one
// was removed first, or there never was one), it carries the entry's
// traffic at once, since nothing else could. Without an entry the hold is
// only recorded: nothing selects the outbound SA of such a pair.
func (d *SAD) InstallPairOutboundLater(entry string, in, out *SA) error {
	return d.installPair(entry, in, out, true)
}

func (d *SAD) installPair(entry string, in, out *SA, later bool) error {
	if err := checkPair(in, out); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.in[in.SPI]; dup {
		return fmt.Errorf("sad: inbound SPI %#08x: %w", in.SPI, ErrDuplicate)
	}
	if entry != "" {
		if d.spd == nil {
			return fmt.Errorf("sad: SA pair for entry %q: no SPD: %w", entry, ErrNoEntry)
		}
		d.spd.mu.Lock()
		defer d.spd.mu.Unlock()
		e := d.spd.byName(entry)
		switch {
		case e == nil:
			return fmt.Errorf("sad: SA pair for entry %q: %w", entry, ErrNoEntry)
		case e.Action != Protect:
			return fmt.Errorf("sad: SA pair for entry %q: a %v entry has no SAs: %w", entry, e.Action, ErrInvalid)
		case e.ESP.Mode != in.Mode:
			return fmt.Errorf("sad: SA pair for entry %q: %v SAs for a %v entry: %w", entry, in.Mode, e.ESP.Mode, ErrInvalid)
		}
		in.entry, out.entry = e, e
		pos := 0
		if later {
			// After the pairs that take outbound traffic now.
			pos = slices.IndexFunc(e.pairs, func(p *SA) bool { return p.held.Load() })
			if pos < 0 {
				pos = len(e.pairs)
			}
		}
		e.pairs = slices.Insert(e.pairs, pos, in)
	}
	in.held.Store(later)
	in.dir, out.dir = Inbound, Outbound
	in.pair, out.pair = out, in
	d.in[in.SPI] = in
	return nil
}

func checkPair(in, out *SA) error {
	switch {
	case in == nil || out == nil || in == out:
		return fmt.Errorf("sad: an SA pair needs two SAs: %w", ErrInvalid)
	case in.pair != nil || out.pair != nil:
		return fmt.Errorf("sad: SPI %#08x or %#08x is already installed: %w", in.SPI, out.SPI, ErrDuplicate)
	case in.Mode != out.Mode:
		return fmt.Errorf("sad: SA pair %#08x/%#08x: modes %v and %v: %w", in.SPI, out.SPI, in.Mode, out.Mode, ErrInvalid)
	case in.Mode > Transport:
		return fmt.Errorf("sad: SA %#08x: %v: %w", in.SPI, in.Mode, ErrInvalid)
	case len(in.Selectors) == 0:
		// RFC4301-4.4.2-2: the inbound SA is populated with the negotiated
		// selectors, for checking its traffic.
		return fmt.Errorf("sad: inbound SA %#08x has no selectors: %w", in.SPI, ErrInvalid)
	}
	for _, sa := range []*SA{in, out} {
		// RFC4303-2.1-6: SPI 0 is reserved for local use and never sent;
		// RFC 4303 section 2.1 also reserves 1-255 to IANA.
		if sa.SPI < 256 {
			return fmt.Errorf("sad: SPI %#08x is reserved: %w", sa.SPI, ErrInvalid)
		}
		for _, s := range sa.Selectors {
			if err := s.validate(); err != nil {
				return fmt.Errorf("sad: SA %#08x: %w", sa.SPI, err)
			}
		}
	}
	return nil
}

// RemovePair removes the pair whose inbound SA has SPI inSPI (a Child SA
// deleted or replaced after a rekey) and unlinks it from its SPD entry.
func (d *SAD) RemovePair(inSPI uint32) error {
	return d.withPair(inSPI, func(in *SA, pairs *[]*SA, i int) {
		if i >= 0 {
			*pairs = slices.Delete(*pairs, i, i+1)
		}
		delete(d.in, inSPI)
	})
}

// ActivateOutbound lets the outbound SA of the pair whose inbound SA has SPI
// inSPI take its entry's traffic: the pair becomes the newest of its entry,
// whether or not it was installed with InstallPairOutboundLater (RFC 7296
// section 2.8: after a rekey the new SA replaces the old one). The other
// pairs stay in place, for the traffic the new one's selectors do not cover
// and for their inbound packets until they are removed.
func (d *SAD) ActivateOutbound(inSPI uint32) error {
	return d.withPair(inSPI, func(in *SA, pairs *[]*SA, i int) {
		if i >= 0 {
			*pairs = slices.Insert(slices.Delete(*pairs, i, i+1), 0, in)
		}
		in.held.Store(false)
	})
}

// withPair runs f on the installed pair whose inbound SA has SPI inSPI,
// with its entry's pairs and its index there (nil and -1 without an
// entry), holding the SAD's write lock and the SPD's.
func (d *SAD) withPair(inSPI uint32, f func(in *SA, pairs *[]*SA, i int)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.in[inSPI]
	if !ok {
		return fmt.Errorf("sad: inbound SPI %#08x: %w", inSPI, ErrUnknownSPI)
	}
	if e := in.entry; e != nil {
		d.spd.mu.Lock()
		defer d.spd.mu.Unlock()
		f(in, &e.pairs, slices.Index(e.pairs, in))
		return nil
	}
	f(in, nil, -1)
	return nil
}

// OutboundHeld reports whether the pair of an installed SA was installed
// with InstallPairOutboundLater and not yet activated.
func (sa *SA) OutboundHeld() bool {
	if sa.dir == Outbound {
		sa = sa.pair
	}
	return sa != nil && sa.held.Load()
}

// Inbound returns the inbound SA with this SPI, or nil: an ESP packet for an
// unknown SPI is discarded and counted (RFC 4301 section 5.2, step 3a).
func (d *SAD) Inbound(spi uint32) *SA {
	d.mu.RLock()
	sa := d.in[spi]
	d.mu.RUnlock()
	if sa == nil {
		d.unknownSPI.Add(1)
	}
	return sa
}

// UnknownSPI returns how many Inbound lookups found no SA.
func (d *SAD) UnknownSPI() uint64 { return d.unknownSPI.Load() }

// CheckInbound is the check of RFC 4301 section 5.2, step 4, of a packet p
// that arrived on inbound SA sa, after ESP processing (in tunnel mode the
// inner packet; in transport mode the packet as delivered). It returns nil
// when the packet may be delivered. Otherwise the packet must be discarded
// and the error, which names the SPI, the packet and the SA's selectors, is
// the audit record (RFC4301-5.2-7); the caller may also send
// INVALID_SELECTORS to the peer (RFC4301-5.2-8). Two checks:
//
//   - the packet must match one of the SA's selectors (RFC4301-5.2-6). A
//     fragment without ports therefore only passes an SA whose ports are
//     ANY or OPAQUE (RFC4301-4.4.1.1-5, RFC4301-7.3-5);
//   - if the SA is linked to an SPD entry, the ordered SPD search for the
//     packet (inbound) must end at that entry: the SPD is not decorrelated,
//     so an earlier entry may claim part of the SA's traffic
//     (RFC4301-4.4.1-15).
func (d *SAD) CheckInbound(sa *SA, p Packet) error {
	if sa == nil || sa.dir != Inbound {
		return fmt.Errorf("sad: CheckInbound needs an installed inbound SA: %w", ErrInvalid)
	}
	if !anyMatch(sa.Selectors, p, Inbound) {
		sa.outside.Add(1)
		return fmt.Errorf("sad: SPI %#08x: %v is outside the SA's selectors %s: %w",
			sa.SPI, p, selectorsString(sa.Selectors), ErrSelectors)
	}
	if sa.entry != nil && !d.spd.governs(sa.entry, p) {
		sa.mismatch.Add(1)
		return fmt.Errorf("sad: SPI %#08x: %v: the SPD does not reach entry %q for it: %w",
			sa.SPI, p, sa.entry.Name, ErrPolicy)
	}
	sa.accepted.Add(1)
	return nil
}

func selectorsString(sels []Selector) string {
	parts := make([]string, len(sels))
	for i, s := range sels {
		parts[i] = s.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// PairInfo describes an installed pair.
type PairInfo struct {
	Entry   string
	In, Out *SA
}

// Pairs lists the installed pairs by inbound SPI.
func (d *SAD) Pairs() []PairInfo {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]PairInfo, 0, len(d.in))
	for _, in := range d.in {
		out = append(out, PairInfo{Entry: in.Entry(), In: in, Out: in.pair})
	}
	slices.SortFunc(out, func(a, b PairInfo) int { return cmp.Compare(a.In.SPI, b.In.SPI) })
	return out
}
