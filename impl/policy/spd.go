package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The Security Policy Database (RFC 4301 section 4.4.1) and its lookups for
// outbound (section 5.1) and inbound (section 5.2) packets.

// Action is an SPD entry's processing choice (RFC 4301 section 4.4.1). The
// zero Action is DISCARD.
type Action uint8

const (
	Discard Action = iota // the packet may not cross the boundary
	Bypass                // the packet crosses without IPsec
	Protect               // the packet crosses inside an ESP SA
)

func (a Action) String() string {
	switch a {
	case Discard:
		return "DISCARD"
	case Bypass:
		return "BYPASS"
	case Protect:
		return "PROTECT"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Mode is the IPsec mode of a PROTECT entry and its SAs. The values are
// impl/ike's (Tunnel is zero).
type Mode uint8

const (
	Tunnel Mode = iota
	Transport
)

func (m Mode) String() string {
	switch m {
	case Tunnel:
		return "tunnel"
	case Transport:
		return "transport"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ESP says how a PROTECT entry's traffic is protected and who negotiates its
// SAs. ESP is the only protocol: AH-only protection is refused (DESIGN.md).
type ESP struct {
	Mode Mode
	// Peer is the remote tunnel endpoint in tunnel mode (the IKE peer: "ESP
	// tunnel to 4.5.6.7"). In transport mode the packet's remote address is
	// the peer and Peer is left unset.
	Peer netip.Addr
	// Connection and Child name the IKE connection and Child SA
	// configuration that create the SAs of this entry (impl/ike's names).
	// They are informational here: SAD.InstallPair links a pair to the
	// entry named in the call, and the link stays with that entry (a new
	// entry of the same name, inserted after a Remove, is not linked).
	Connection, Child string
}

func (e ESP) String() string {
	s := "ESP " + e.Mode.String()
	if e.Peer.IsValid() {
		s += " to " + e.Peer.String()
	}
	if e.Connection != "" || e.Child != "" {
		s += fmt.Sprintf(" (%s/%s)", e.Connection, e.Child)
	}
	return s
}

// Entry is one SPD entry as an administrator writes it: a unique name, the
// selectors in either convention (a Selector or a Flow), and the action;
// ESP is set for PROTECT entries only.
type Entry struct {
	Name   string
	Match  Match
	Action Action
	ESP    ESP
}

func (e Entry) String() string {
	act := e.Action.String()
	if e.Action == Protect {
		act += " " + e.ESP.String()
	}
	return fmt.Sprintf("%s: %v %s", e.Name, e.Match, act)
}

func (e Entry) validate() error {
	switch {
	case e.Name == "":
		return fmt.Errorf("spd: entry without a name: %w", ErrInvalid)
	case e.Match == nil:
		return fmt.Errorf("spd: entry %q has no selectors: %w", e.Name, ErrInvalid)
	case e.Action > Protect:
		return fmt.Errorf("spd: entry %q: %v: %w", e.Name, e.Action, ErrInvalid)
	case e.Action != Protect && e.ESP != (ESP{}):
		return fmt.Errorf("spd: entry %q: ESP settings on a %v entry: %w", e.Name, e.Action, ErrInvalid)
	case e.Action == Protect && e.ESP.Mode > Transport:
		return fmt.Errorf("spd: entry %q: %v: %w", e.Name, e.ESP.Mode, ErrInvalid)
	case e.Action == Protect && e.ESP.Mode == Tunnel && !e.ESP.Peer.IsValid():
		return fmt.Errorf("spd: entry %q: tunnel mode needs the peer's address: %w", e.Name, ErrInvalid)
	}
	if err := e.Match.validate(); err != nil {
		return fmt.Errorf("spd: entry %q: %w", e.Name, err)
	}
	return nil
}

// Counters count the packets an SPD entry decided.
type Counters struct {
	// Outbound packets that matched the entry.
	Outbound uint64
	// NoSA: of those, the ones that matched a PROTECT entry with no SA for
	// them yet (RFC 4301 section 5.1 step 3b: key management is invoked).
	NoSA uint64
	// Inbound packets (not IPsec packets for this host) that matched.
	Inbound uint64
	// ClearDropped: of those, the ones dropped because the entry is PROTECT:
	// protected traffic that arrived in the clear (RFC 4301 section 5.2,
	// step 3b: only BYPASS or DISCARD apply to such packets).
	ClearDropped uint64
}

// spdEntry is an Entry inside an SPD, with its counters and the SA pairs it
// governs.
type spdEntry struct {
	Entry
	views                       []View
	out, noSA, in, clearDropped atomic.Uint64
	// pairs are the inbound SAs of the pairs installed for this entry, the
	// newest first; each points at its outbound SA. Guarded by SPD.mu.
	pairs []*SA
}

func (e *spdEntry) counters() Counters {
	return Counters{Outbound: e.out.Load(), NoSA: e.noSA.Load(), Inbound: e.in.Load(), ClearDropped: e.clearDropped.Load()}
}

// SPD is an ordered Security Policy Database (RFC 4301 section 4.4.1):
// lookups walk the entries in order and the first match decides
// (RFC4301-4.4.1-3: the administrator orders the entries). The entries are
// not decorrelated and there is no cache: every lookup is the ordered
// search.
//
// An SPD is safe for concurrent use. Lookups take a read lock and count
// with atomic adds, so packets are classified in parallel; changes (Insert,
// Remove, and the SAD linking SAs to entries) take the write lock and wait
// for the lookups in progress.
type SPD struct {
	mu        sync.RWMutex
	entries   []*spdEntry
	unmatched [2]atomic.Uint64 // by direction - 1
}

// Errors of the SPD and SAD; each is wrapped with the entry or SPI concerned.
var (
	ErrNoEntry   = errors.New("no such entry")
	ErrDuplicate = errors.New("already present")
)

// NewSPD returns an SPD holding entries in order.
func NewSPD(entries ...Entry) (*SPD, error) {
	s := &SPD{}
	for _, e := range entries {
		if err := s.Insert(len(s.entries), e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Insert puts e at position pos (0 is first; the current length appends),
// so that the entries keep a total order the administrator sets
// (RFC4301-4.4.1-8). Names are unique.
func (s *SPD) Insert(pos int, e Entry) error {
	if err := e.validate(); err != nil {
		return err
	}
	views := e.Match.Views()
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos < 0 || pos > len(s.entries) {
		return fmt.Errorf("spd: entry %q: position %d of %d: %w", e.Name, pos, len(s.entries), ErrInvalid)
	}
	if s.byName(e.Name) != nil {
		return fmt.Errorf("spd: entry %q: %w", e.Name, ErrDuplicate)
	}
	s.entries = slices.Insert(s.entries, pos, &spdEntry{Entry: e, views: views})
	return nil
}

// Remove deletes the entry named name. The SAs it governs stay in the SAD
// (RFC 4301 section 4.4.2 allows SAD entries without SPD entries), but
// outbound traffic no longer reaches them and inbound traffic on them fails
// the SPD check of SAD.CheckInbound: RFC4301-4.4.1-16 asks that such
// effects be considered; deleting those SAs is the caller's choice
// (RFC4301-4.4.1-17).
func (s *SPD) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.entries {
		if e.Name == name {
			s.entries = slices.Delete(s.entries, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("spd: entry %q: %w", name, ErrNoEntry)
}

func (s *SPD) byName(name string) *spdEntry {
	for _, e := range s.entries {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// EntryInfo is an SPD entry with its counters and the SA pairs it governs
// (inbound and outbound SPI, newest first).
type EntryInfo struct {
	Entry
	Counters Counters
	Pairs    [][2]uint32
}

// Entries lists the SPD in order.
func (s *SPD) Entries() []EntryInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]EntryInfo, len(s.entries))
	for i, e := range s.entries {
		out[i] = EntryInfo{Entry: e.Entry, Counters: e.counters()}
		for _, in := range e.pairs {
			out[i].Pairs = append(out[i].Pairs, [2]uint32{in.SPI, in.pair.SPI})
		}
	}
	return out
}

// Unmatched returns how many packets matched no entry and were discarded.
func (s *SPD) Unmatched() (outbound, inbound uint64) {
	return s.unmatched[0].Load(), s.unmatched[1].Load()
}

// String renders the SPD one entry a line, in order.
func (s *SPD) String() string {
	var b strings.Builder
	for i, e := range s.Entries() {
		fmt.Fprintf(&b, "%d. %v\n", i+1, e.Entry)
	}
	return b.String()
}

// Reason says why a packet is dropped.
type Reason uint8

const (
	NotDropped     Reason = iota
	NoMatch               // no SPD entry matched (RFC4301-5-2)
	DiscardEntry          // a DISCARD entry matched
	ClearProtected        // an inbound clear packet matched a PROTECT entry (RFC 4301 section 5.2, step 3b)
	OutsideSA             // a packet that arrived on an SA is outside its selectors (RFC4301-5.2-6)
	PolicyMismatch        // a packet that arrived on an SA is governed by another SPD entry (RFC4301-4.4.1-15)
)

func (r Reason) String() string {
	switch r {
	case NotDropped:
		return "not dropped"
	case NoMatch:
		return "no SPD entry matches"
	case DiscardEntry:
		return "DISCARD entry"
	case ClearProtected:
		return "PROTECT entry, packet arrived in the clear"
	case OutsideSA:
		return "outside the SA's selectors"
	case PolicyMismatch:
		return "SPD entry does not govern the SA"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Decision is the outcome of an SPD lookup.
type Decision struct {
	// Action is what to do with the packet: BYPASS, DISCARD (Reason says
	// why) or, outbound only, PROTECT.
	Action Action
	Reason Reason
	// Index is the position of the entry that matched, -1 if none did;
	// Entry is that entry and View its local/remote selector that matched
	// (for a PROTECT entry without SA: the traffic to negotiate).
	Index int
	Entry Entry
	View  View
	// SA is, for an outbound PROTECT decision, the outbound SA to send
	// on: the newest SA the entry points at whose selectors (if it has
	// any) match the packet. Nil means there is none yet: the caller asks
	// the IKE engine to create one and may drop the packet (RFC 4301
	// section 5.1, step 3b; RFC4301-5.1-2).
	SA *SA
}

// Outbound classifies a packet leaving the protected side (RFC 4301 section
// 5.1, steps 2 to 3b): the first matching entry decides; a packet that
// matches none is discarded (RFC4301-5-2).
func (s *SPD) Outbound(p Packet) Decision { return s.decide(p, Outbound) }

// Inbound classifies a packet arriving from the unprotected side that is
// not an IPsec packet addressed to this host (RFC 4301 section 5.2, steps
// 2 and 3b): IKE messages, other clear traffic for this host, and traffic
// to forward. ESP addressed to this host goes to the SAD instead. Only a
// BYPASS entry lets such a packet in (so IKE traffic needs an explicit
// BYPASS entry, RFC4301-5.2-3); a PROTECT entry means the packet should
// have arrived protected, and it is dropped and counted; no match is
// discarded (RFC4301-5-2, RFC4301-4.4.1-4).
func (s *SPD) Inbound(p Packet) Decision { return s.decide(p, Inbound) }

func (s *SPD) decide(p Packet, dir Direction) Decision {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, e, v := s.first(p, dir)
	if e == nil {
		s.unmatched[dir-1].Add(1)
		return Decision{Action: Discard, Reason: NoMatch, Index: -1}
	}
	d := Decision{Action: e.Action, Index: i, Entry: e.Entry, View: v}
	if dir == Outbound {
		e.out.Add(1)
	} else {
		e.in.Add(1)
	}
	switch {
	case e.Action == Discard:
		d.Reason = DiscardEntry
	case e.Action == Protect && dir == Outbound:
		if d.SA = e.outboundSA(p); d.SA == nil {
			e.noSA.Add(1)
		}
	case e.Action == Protect:
		e.clearDropped.Add(1)
		d.Action, d.Reason = Discard, ClearProtected
	}
	return d
}

// first is the ordered search; the caller holds s.mu.
func (s *SPD) first(p Packet, d Direction) (int, *spdEntry, View) {
	for i, e := range s.entries {
		for _, v := range e.views {
			if v.Matches(p, d) {
				return i, e, v
			}
		}
	}
	return -1, nil, View{}
}

// governs reports whether the ordered search for an inbound packet ends at
// entry e.
func (s *SPD) governs(e *spdEntry, p Packet) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, got, _ := s.first(p, Inbound)
	return got == e
}

// outboundSA picks the SA for an outbound packet; the caller holds the SPD
// lock.
func (e *spdEntry) outboundSA(p Packet) *SA {
	for _, in := range e.pairs {
		out := in.pair
		if len(out.Selectors) == 0 || anyMatch(out.Selectors, p, Outbound) {
			return out
		}
	}
	return nil
}

func anyMatch(sels []Selector, p Packet, d Direction) bool {
	for _, s := range sels {
		if s.Matches(p, d) {
			return true
		}
	}
	return false
}

// protectEntries returns the PROTECT entries named in names, in SPD order.
func (s *SPD) protectEntries(names []string) []Entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Entry
	for _, e := range s.entries {
		if e.Action == Protect && slices.Contains(names, e.Name) {
			out = append(out, e.Entry)
		}
	}
	return out
}
