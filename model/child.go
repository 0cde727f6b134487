package model

import "fmt"

// ChildState is the life-cycle state of one Child SA pair (RFC 7296
// sections 1.3.1, 1.3.3, 1.4.1, 2.8, 2.25), the same for both roles: after
// IKE_AUTH either end may create, rekey or delete a Child SA.
type ChildState uint8

const (
	// ChildNone: not negotiated yet.
	ChildNone ChildState = iota
	// ChildInstalled: negotiated and installed; carries traffic.
	ChildInstalled
	// ChildRekeying: our CREATE_CHILD_SA with N(REKEY_SA) for it is
	// outstanding; it still carries traffic (RFC7296-2.8-9).
	ChildRekeying
	// ChildRekeyed: a new pair replaced it; it waits for its Delete (ours
	// or the peer's, RFC 7296 section 2.8) and carries no new traffic.
	ChildRekeyed
	// ChildDeleting: our Delete of it is outstanding (1.4.1).
	ChildDeleting
	// ChildDeleted: gone (terminal).
	ChildDeleted
)

var childStateNames = [...]string{"NONE", "INSTALLED", "REKEYING", "REKEYED", "DELETING", "DELETED"}

func (s ChildState) String() string {
	if int(s) < len(childStateNames) {
		return childStateNames[s]
	}
	return fmt.Sprintf("CHILD_STATE(%d)", s)
}

// Usable reports whether a Child SA in the state protects traffic.
func (s ChildState) Usable() bool { return s == ChildInstalled || s == ChildRekeying }

// ChildEvent drives a Child SA transition.
type ChildEvent uint8

const (
	ChildNegotiated  ChildEvent = iota + 1 // IKE_AUTH or CREATE_CHILD_SA (either side) negotiated it
	ChildRekeyStart                        // we sent CREATE_CHILD_SA with N(REKEY_SA) for it
	ChildRekeyFailed                       // our rekey was refused or abandoned
	ChildReplaced                          // a new pair replaced it: our rekey completed, the peer's was answered, or a collision settled
	ChildDeleteStart                       // we sent a Delete for it
	ChildRemoved                           // deleted: our Delete answered, the peer's Delete, or the IKE SA gone
)

var childEventNames = [...]string{"?", "negotiated", "rekey-start", "rekey-failed", "replaced", "delete-start", "removed"}

func (e ChildEvent) String() string {
	if int(e) < len(childEventNames) {
		return childEventNames[e]
	}
	return fmt.Sprintf("CHILD_EVENT(%d)", e)
}

// ChildTransition is one row of the Child SA table.
type ChildTransition struct {
	From      ChildState
	Event     ChildEvent
	To        ChildState
	Rationale string
}

func (t ChildTransition) String() string {
	return fmt.Sprintf("child %v: %v -> %v", t.From, t.Event, t.To)
}

// ChildTable is the life cycle of a Child SA. The engine moves every Child
// SA through it (impl/ike: ikeSA.childTo); an event with no row is refused.
var ChildTable = []ChildTransition{
	{ChildNone, ChildNegotiated, ChildInstalled,
		"1.3.1, 2.17: installed with its KEYMAT once its exchange completed (never before IKE_AUTH verified, RFC7296-1-1)"},
	{ChildInstalled, ChildRekeyStart, ChildRekeying,
		"1.3.3, 2.8: a CREATE_CHILD_SA request with N(REKEY_SA) naming it"},
	{ChildRekeying, ChildRekeyFailed, ChildInstalled,
		"2.21.3, 2.25: the rekey was refused (or TEMPORARY_FAILURE); the old pair stays"},
	{ChildRekeying, ChildReplaced, ChildRekeyed,
		"2.8: the new pair is up; the old one is deleted next"},
	{ChildInstalled, ChildReplaced, ChildRekeyed,
		"2.8: the peer rekeyed it and we answered; the peer deletes the old pair"},
	{ChildInstalled, ChildDeleteStart, ChildDeleting,
		"1.4.1: a Delete of it (operator, hard lifetime, or the redundant pair of a collision, 2.8.1)"},
	{ChildRekeying, ChildDeleteStart, ChildDeleting,
		"1.4.1: deleted while its rekey is under way (hard lifetime, operator)"},
	{ChildRekeyed, ChildDeleteStart, ChildDeleting,
		"2.8: the initiator of the rekey deletes the old pair (RFC7296-2.8-6)"},
	{ChildInstalled, ChildRemoved, ChildDeleted,
		"1.4.1: the peer deleted it, or its IKE SA is gone (2.4)"},
	{ChildRekeying, ChildRemoved, ChildDeleted,
		"2.25.1: the peer deleted it while we rekeyed it"},
	{ChildRekeyed, ChildRemoved, ChildDeleted,
		"2.8: the old pair of a rekey is deleted"},
	{ChildDeleting, ChildRemoved, ChildDeleted,
		"1.4.1: our Delete was answered (or crossed the peer's, 2.25.1)"},
}

var childIndex = func() map[[2]uint8]ChildTransition {
	m := make(map[[2]uint8]ChildTransition, len(ChildTable))
	for _, t := range ChildTable {
		k := [2]uint8{uint8(t.From), uint8(t.Event)}
		if _, dup := m[k]; dup {
			panic("model: duplicate child transition " + t.String())
		}
		m[k] = t
	}
	return m
}()

// ChildLookup returns the Child SA transition for the state and event, or
// false when the table has none.
func ChildLookup(from ChildState, ev ChildEvent) (ChildTransition, bool) {
	t, ok := childIndex[[2]uint8{uint8(from), uint8(ev)}]
	return t, ok
}
