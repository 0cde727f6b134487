package model

import (
	"fmt"
	"sort"
	"strings"
)

// System runs the explorer's abstract peers step by step, for a test that
// holds an implementation in lockstep with the model (impl/ike's
// TestLockstep): the test performs a move on the implementation, offers the
// model every move of the same kind, and keeps the model states whose
// observable outcome — the kinds of messages sent and both ends' abstract
// states — equals the implementation's. Because the model is
// nondeterministic (nonces, outcomes), a System holds a set of states.
type System struct {
	x      *explorer
	worlds []World
}

// NewSystem starts the abstract peers of scenario sc under spec.
func NewSystem(spec Spec, sc Scenario) *System {
	x := newExplorer(spec, sc)
	x.used, x.childUsed = map[RowKey]int{}, map[[2]uint8]int{}
	x.verbose = true
	return &System{x: x, worlds: []World{x.initial()}}
}

// Candidate is one move the model can make from one of its states.
type Candidate struct {
	Kind  MoveKind
	Event Event // for MoveCommand and MoveTimer
	Peer  int   // the end that acts (-1: the network)
	Msg   Msg   // the message delivered, lost or duplicated
	Sends []Msg // the messages the move sends
	Desc  string
	Viol  string // a property the move breaks
	next  World
}

// View is the observable state of end p after the move: see (*System).View.
func (c Candidate) View(p int) string { return view(&c.next, p) }

// Candidates lists the moves of every state the System holds.
func (s *System) Candidates() []Candidate {
	var out []Candidate
	for i := range s.worlds {
		for _, m := range s.x.successors(&s.worlds[i]) {
			out = append(out, Candidate{Kind: m.kind, Event: m.ev, Peer: m.peer, Msg: m.msg, Sends: m.send,
				Desc: m.desc, Viol: m.viol, next: m.w})
		}
	}
	return out
}

// Then lists the moves that can follow candidate c (for an implementation
// step that the model makes in two moves, such as a command that closes
// every IKE SA of a connection); their Sends include c's.
func (s *System) Then(c Candidate) []Candidate {
	var out []Candidate
	for _, m := range s.x.successors(&c.next) {
		out = append(out, Candidate{Kind: m.kind, Event: m.ev, Peer: m.peer, Msg: m.msg,
			Sends: append(append([]Msg(nil), c.Sends...), m.send...), Desc: c.Desc + "; then " + m.desc,
			Viol: c.Viol + m.viol, next: m.w})
	}
	return out
}

// Keep replaces the System's states by those the chosen candidates lead to
// (deduplicated); it reports how many states it holds.
func (s *System) Keep(cs []Candidate) int {
	seen := map[uint64]bool{}
	s.worlds = s.worlds[:0]
	for _, c := range cs {
		h := s.x.hash(&c.next)
		if !seen[h] {
			seen[h] = true
			s.worlds = append(s.worlds, c.next)
		}
	}
	return len(s.worlds)
}

// Stutter keeps the states whose views are v0 and v1: for a step of the
// implementation that sends nothing and changes nothing the model observes
// (a timer that finds nothing to do). It reports how many remain.
func (s *System) Stutter(v0, v1 string) int {
	keep := s.worlds[:0]
	for _, w := range s.worlds {
		if view(&w, 0) == v0 && view(&w, 1) == v1 {
			keep = append(keep, w)
		}
	}
	s.worlds = keep
	return len(keep)
}

// Views are the observable states of end p in every state held.
func (s *System) Views(p int) []string {
	var out []string
	for i := range s.worlds {
		out = append(out, view(&s.worlds[i], p))
	}
	sort.Strings(out)
	return out
}

// Check evaluates the state properties in every state held.
func (s *System) Check() string {
	for i := range s.worlds {
		if p, d := s.x.check(&s.worlds[i]); p != "" {
			return p + ": " + d
		}
	}
	return ""
}

// view is end p's IKE SAs, each as its state and its Child SAs' states, in
// a canonical form: "ESTABLISHED[INSTALLED,REKEYED] INIT_DONE[]", sorted.
// IKE SAs that are idle or deleted, and Child SAs not negotiated or
// deleted, do not appear.
func view(w *World, p int) string {
	var sas []string
	for id := uint8(1); id < nSA; id++ {
		s := w.P[p].SA[id]
		if s.State == Idle || s.State == Deleted {
			continue
		}
		var ch []string
		for c := 1; c < nChild; c++ {
			x := w.P[p].Ch[c]
			if x.Owner == id && x.State != ChildNone && x.State != ChildDeleted {
				ch = append(ch, x.State.String())
			}
		}
		sort.Strings(ch)
		sas = append(sas, fmt.Sprintf("%v[%s]", s.State, strings.Join(ch, ",")))
	}
	for i := 0; i < int(w.P[p].Stray); i++ {
		sas = append(sas, InitDone.String()+"[]")
	}
	sort.Strings(sas)
	return strings.Join(sas, " ")
}

// Class is the kind of an abstract message at the level an observer of
// the wire sees it (exchange, request or response, and what it carries):
// "CREATE_CHILD_SA request REKEY_CHILD".
func (m Msg) Class() string {
	dir := "request"
	if m.Resp {
		dir = "response"
	}
	var c string
	switch m.Kind {
	case KInit:
		c = "INIT"
	case KInitResp:
		c = "INIT"
	case KCookie:
		c = "COOKIE"
	case KInvalidKE:
		c = "INVALID_KE"
	case KAuth, KEAPReq, KEAPResp, KEAPSuccess:
		c = "AUTH"
		if m.Resp && m.Arg == 2 {
			c = "AUTH_NO_CHILD"
		}
	case KAuthFailed:
		c = "AUTH_FAILED"
	case KNewChild:
		c = "NEW_CHILD"
		if m.Resp {
			c = "CHILD"
		}
	case KRekeyChild:
		c = "REKEY_CHILD"
		if m.Resp {
			c = "CHILD"
		}
	case KRekeyIKE:
		c = "REKEY_IKE"
	case KTempFail:
		c = "TEMPORARY_FAILURE"
	case KNotFound:
		c = "CHILD_SA_NOT_FOUND"
	case KDelIKE, KDelChild:
		c = "DELETE" // of the IKE SA or of Child SAs: the same payload type on the wire
	case KEmpty:
		c = "EMPTY"
	case KRefused:
		c = "ERROR"
	case KInvalidSPI:
		c = "INVALID_SPI"
	}
	return fmt.Sprintf("%v %s %s", m.X, dir, c)
}
