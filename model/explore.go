package model

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"strings"
	"time"
)

// The explorer: every reachable state of initiator x responder x network,
// with the transitions of a Spec (by default Table, ChildTable and Guards),
// checked against the safety properties of RFC 7296 and against the
// published bug classes (CVE-2014-2338: CREATE_CHILD_SA before IKE_AUTH
// completed; CVE-2021-45079: EAP Success before the server authenticated).
//
// Each end is an abstract peer: its IKE SAs (the first one and the new
// ones of IKE SA rekeys, identified by small numbers both ends agree on, as
// SPIs would), its Child SAs, message IDs, outstanding request and cached
// response. Messages are abstract too: exchange, request or response,
// message ID, the key they are protected with and what they carry (Kind).
// The abstract peer decides what it observed in a message (Facts, with
// its checks of keys, message IDs, nonces and EAP progress); the Spec
// decides which rows apply, where they lead and what is sent. The network
// is two bounded multisets (so any delivery order is explored), and may
// lose or duplicate a bounded number of messages; timers (retransmission,
// give-up, liveness) and the operator's commands (rekey, delete) fire
// nondeterministically within budgets, so the state space is finite.

// Kind is what an abstract message carries.
type Kind uint8

const (
	KNone       Kind = iota
	KInit            // IKE_SA_INIT request: SA, KE, Ni (Arg: the attempt; Cookie: with N(COOKIE))
	KInitResp        // IKE_SA_INIT response: SA, KE, Nr
	KCookie          // IKE_SA_INIT response: N(COOKIE)
	KInvalidKE       // IKE_SA_INIT response: N(INVALID_KE_PAYLOAD)
	KAuth            // IKE_AUTH with AUTH (request: Arg 0 = IDi without AUTH, asking for EAP; Arg 1 = AUTH)
	KEAPReq          // IKE_AUTH response: the responder's AUTH and an EAP Request
	KEAPResp         // IKE_AUTH request: an EAP Response
	KEAPSuccess      // IKE_AUTH response: EAP Success
	KAuthFailed      // IKE_AUTH response: N(AUTHENTICATION_FAILED)
	KNewChild        // CREATE_CHILD_SA for another Child SA (New: its ID)
	KRekeyChild      // CREATE_CHILD_SA with N(REKEY_SA) (Arg: the old Child SA, New: the new one, Nonce)
	KRekeyIKE        // CREATE_CHILD_SA rekeying the IKE SA (New: the new IKE SA, Nonce)
	KTempFail        // CREATE_CHILD_SA response: N(TEMPORARY_FAILURE)
	KNotFound        // CREATE_CHILD_SA response: N(CHILD_SA_NOT_FOUND)
	KDelIKE          // INFORMATIONAL: Delete of the IKE SA
	KDelChild        // INFORMATIONAL: Delete of Child SA Arg
	KEmpty           // INFORMATIONAL: empty
	KRefused         // a response with an error Notify ending the exchange (NO_PROPOSAL_CHOSEN, INVALID_SYNTAX, ...)
	KInvalidSPI      // INFORMATIONAL request: N(INVALID_SPI), an error outside any request (2.21.4)
)

var kindNames = [...]string{"-", "SA,KE,Ni", "SA,KE,Nr", "N(COOKIE)", "N(INVALID_KE)", "AUTH", "AUTH,EAP(Request)",
	"EAP(Response)", "EAP(Success)", "N(AUTHENTICATION_FAILED)", "SA,Ni,TS", "N(REKEY_SA),SA,Ni,TS", "SA(IKE),Ni,KE",
	"N(TEMPORARY_FAILURE)", "N(CHILD_SA_NOT_FOUND)", "D(IKE)", "D(ESP)", "empty", "N(error)", "N(INVALID_SPI)"}

func (k Kind) String() string { return kindNames[k] }

// Msg is an abstract IKE message.
type Msg struct {
	SA     uint8 // the IKE SA (1: the first; 2, 3: born of a rekey by the initiator, the responder)
	X      Exchange
	Resp   bool
	MID    uint8
	Kind   Kind
	Key    uint8 // the keys protecting it (0: IKE_SA_INIT, in the clear)
	Arg    uint8
	New    uint8
	Nonce  uint8
	Cookie bool // IKE_SA_INIT with N(COOKIE); CREATE_CHILD_SA retried with the group INVALID_KE_PAYLOAD named
}

func (m Msg) String() string {
	if m.Kind == KNone {
		return "-"
	}
	dir := "request"
	if m.Resp {
		dir = "response"
	}
	kind := m.Kind.String()
	switch {
	case m.Kind == KAuth && !m.Resp && m.Arg == 0:
		kind = "IDi (no AUTH: EAP)"
	case m.Kind == KAuth && m.Resp && m.Arg == 2:
		kind = "AUTH,N(TS_UNACCEPTABLE)"
	}
	s := fmt.Sprintf("%v %s #%d [%s", m.X, dir, m.MID, kind)
	switch m.Kind {
	case KInit:
		s += fmt.Sprintf(" try %d", m.Arg)
		if m.Cookie {
			s += " +N(COOKIE)"
		}
	case KRekeyChild:
		s += fmt.Sprintf(" child %d->%d nonce %d", m.Arg, m.New, m.Nonce)
	case KRekeyIKE:
		s += fmt.Sprintf(" ike %d nonce %d", m.New, m.Nonce)
	case KDelChild:
		s += fmt.Sprintf(" child %d", m.Arg)
	case KNewChild:
		s += fmt.Sprintf(" child %d", m.New)
	}
	return s + fmt.Sprintf("] on IKE SA %d", m.SA)
}

const (
	nSA    = 4 // IKE SA IDs 1..3
	nChild = 4 // Child SA IDs 1..3: the first, rekeyed by the initiator, by the responder
	qCap   = 4 // messages in flight each way
)

type absSA struct {
	State     State
	Role      Role
	Key       uint8
	PeerAuth  bool  // the peer's AUTH verified (inherited by a rekey)
	EAP       uint8 // EAP progress: 1 = a round done, 2 = EAP Success (sent or received)
	Attempt   uint8 // IKE_SA_INIT attempt of the initiator
	Cookie    bool
	NextMID   uint8
	ExpMID    uint8
	SentMID   uint8 // 1 + the highest message ID of a new request under Key (0: none)
	Out       Msg   // our outstanding request
	Tries     uint8 // its retransmissions
	Resp      Msg   // the response to the last request, cached for duplicates
	Rekey     uint8 // our IKE SA rekey in flight: its nonce
	PeerRekey uint8 // the IKE SA born of the peer's rekey that we answered
	PeerNonce uint8
	Redundant bool // the loser of a collision, which its creator should delete; we do if it does not (2.8.2)
}

type absChild struct {
	State     ChildState
	Cfg       uint8 // which Child SA configuration: 1 the first; 2, 3 another one the initiator, the responder created; a rekey keeps it
	Owner     uint8 // the IKE SA
	Nonce     uint8 // our rekey of it in flight: its nonce
	PeerRekey uint8 // the Child SA born of the peer's rekey of it, answered in a collision
	PeerNonce uint8
	Redundant bool // the loser of a collision, which its creator should delete; we do if it does not (2.8.1)
}

type absPeer struct {
	SA   [nSA]absSA
	Ch   [nChild]absChild
	Cmds uint8
	// Stray counts the responder's half-open IKE SAs made by late
	// duplicates of the first IKE_SA_INIT request after its IKE SA left
	// INIT_DONE: a responder cannot tell them from new IKE SAs (SPIr is
	// zero); they time out (RFC 7296 section 2.6).
	Stray uint8
	Life  uint8 // lives of IKE SA 1 at the responder (a new one after it was deleted)
}

type queue struct {
	N uint8
	M [qCap]Msg
}

// World is one global state: both ends and the network.
type World struct {
	P    [2]absPeer // 0: the initiator, 1: the responder
	Q    [2]queue   // Q[d]: in flight towards P[d]
	Loss uint8
	Dup  uint8
	Live uint8
	Adv  uint8
	// Up: the first IKE SA was established; Closed: since then an SA was
	// closed by a failure, a give-up or the operator (not by a rekey), so
	// that no pair need survive.
	Up, Closed bool
}

// Scenario bounds one exploration.
type Scenario struct {
	Name      string
	EAP       bool  // IKE_AUTH with one EAP round (2.16) instead of PSK
	Cookie    bool  // the responder demands a cookie (2.6)
	InvalidKE bool  // the initiator's first KE group is not the responder's (1.2)
	Losses    uint8 // messages the network may lose
	Dups      uint8 // messages the network may duplicate
	Retries   uint8 // retransmissions of a request before giving up (2.4)
	Liveness  uint8 // liveness checks (1.4)
	Cmds      uint8 // operator commands per end among the enabled ones
	// The operator commands enabled after IKE_AUTH.
	RekeyChild, RekeyIKE, DeleteChild, Terminate, CreateChild bool
	// DeleteAnyChild lets the operator delete any installed Child SA, not
	// only the first one (the race this opens is in docs/model.md).
	DeleteAnyChild bool
	// TerminateAny lets the operator terminate an IKE SA in any state
	// (Faults does too).
	TerminateAny bool
	// LateInit: a late duplicate of the first IKE_SA_INIT request reaches
	// the responder after its IKE SA left INIT_DONE; the responder takes it
	// for a new IKE SA (a stray half-open SA, or a new life of a deleted
	// one). Off: such requests are dropped.
	LateInit bool
	// Faults: the peers' checks may fail where the RFC allows it: the
	// responder refuses IKE_SA_INIT (NO_PROPOSAL_CHOSEN) or IKE_AUTH
	// (AUTHENTICATION_FAILED, INVALID_SYNTAX, TS_UNACCEPTABLE for the Child
	// SA), the initiator refuses the responder's AUTH, CREATE_CHILD_SA gets
	// INVALID_KE_PAYLOAD for its PFS group, an INFORMATIONAL request gets an
	// error, an end reports an error (INVALID_SPI); the operator may also
	// terminate an IKE SA that is not established.
	Faults bool
	// Adversaries (the peer misbehaves once): an initiator that sends
	// CREATE_CHILD_SA instead of IKE_AUTH (CVE-2014-2338); a responder
	// that answers the first IKE_AUTH with EAP Success (CVE-2021-45079).
	EarlyCreateChild, EarlyEAPSuccess bool
	MaxStates                         int // 0: 2,000,000
}

// Spec is the set of tables the explorer judges.
type Spec struct {
	IKE    []Transition
	Child  []ChildTransition
	Guards map[RowKey]Guard
}

// DefaultSpec is the model: Table, ChildTable and Guards (copies, so that a
// test may mutate them).
func DefaultSpec() Spec {
	g := make(map[RowKey]Guard, len(Guards))
	for k, v := range Guards {
		g[k] = v
	}
	return Spec{IKE: append([]Transition(nil), Table...), Child: append([]ChildTransition(nil), ChildTable...), Guards: g}
}

// Result is the outcome of an exploration.
type Result struct {
	Scenario    string
	States      int
	Transitions int
	Depth       int
	Quiescent   int // states with nothing in flight or outstanding
	Elapsed     time.Duration
	Violation   *Violation
	// Rows and ChildRows count how often each row was taken.
	Rows      map[RowKey]int
	ChildRows map[[2]uint8]int
}

func (r Result) String() string {
	s := fmt.Sprintf("%s: %d states, %d transitions, depth %d, %d quiescent, %v", r.Scenario, r.States, r.Transitions,
		r.Depth, r.Quiescent, r.Elapsed.Round(time.Millisecond))
	if r.Violation != nil {
		s += "; VIOLATION " + r.Violation.Property
	}
	return s
}

// Violation is a property that failed, with the path that leads there.
type Violation struct {
	Property string
	Detail   string
	Steps    []Step
}

// Step is one move of a counterexample.
type Step struct {
	Move  string
	After string // both ends' states after it
	Peer  int    // the end that acted (-1: the network)
	Msg   Msg    // the message delivered or sent (KNone if none)
	Send  []Msg  // messages the move put on the network
}

// Ladder renders the counterexample as a message ladder.
func (v *Violation) Ladder() string {
	var b strings.Builder
	fmt.Fprintf(&b, "property violated: %s\n%s\n", v.Property, v.Detail)
	fmt.Fprintf(&b, "%4s  %-34s %-46s %s\n", "step", "initiator", "", "responder")
	for i, s := range v.Steps {
		line := ""
		switch s.Peer {
		case 0:
			line = fmt.Sprintf("%-34s %-46s", s.Move, "")
		case 1:
			line = fmt.Sprintf("%-34s %46s", "", s.Move)
		default:
			line = fmt.Sprintf("%-34s %-46s", "", "network: "+s.Move)
		}
		fmt.Fprintf(&b, "%4d  %s\n", i+1, strings.TrimRight(line, " "))
		for _, m := range s.Send {
			if s.Peer == 0 {
				fmt.Fprintf(&b, "      %34s --- %s --->\n", "", m)
			} else {
				fmt.Fprintf(&b, "      %34s <--- %s ---\n", "", m)
			}
		}
		fmt.Fprintf(&b, "      = %s\n", s.After)
	}
	return b.String()
}

// Explore walks every state reachable under spec in scenario sc and checks
// the properties; it stops at the first violation.
func Explore(spec Spec, sc Scenario) Result {
	// The exploration allocates much and keeps most of it: collect less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	x := newExplorer(spec, sc)
	return x.run()
}

type explorer struct {
	verbose   bool // build the move descriptions (for a counterexample's ladder)
	used      map[RowKey]int
	childUsed map[[2]uint8]int
	sc        Scenario
	spec      Spec
	rows      map[[4]uint8][]Transition
	child     map[[2]uint8]ChildTransition
	seed      maphash.Seed
}

func newExplorer(spec Spec, sc Scenario) *explorer {
	x := &explorer{sc: sc, spec: spec, rows: map[[4]uint8][]Transition{}, child: map[[2]uint8]ChildTransition{}, seed: maphash.MakeSeed()}
	for _, t := range spec.IKE {
		k := [4]uint8{uint8(t.From), uint8(t.Role), uint8(t.Exchange), uint8(t.Event)}
		x.rows[k] = append(x.rows[k], t)
	}
	for _, t := range spec.Child {
		x.child[[2]uint8{uint8(t.From), uint8(t.Event)}] = t
	}
	if x.sc.MaxStates == 0 {
		x.sc.MaxStates = 2_000_000
	}
	return x
}

func (x *explorer) initial() World {
	var w World
	w.Loss, w.Dup, w.Live = x.sc.Losses, x.sc.Dups, x.sc.Liveness
	if x.sc.EarlyCreateChild || x.sc.EarlyEAPSuccess {
		w.Adv = 1
	}
	for p := range w.P {
		w.P[p].Cmds = x.sc.Cmds
		for s := range w.P[p].SA {
			w.P[p].SA[s].Role = Role(p)
		}
	}
	return w
}

// MoveKind classifies a move (for System's users).
type MoveKind uint8

const (
	MoveDeliver MoveKind = iota + 1
	MoveLose
	MoveDuplicate
	MoveRetransmit
	MoveTimer   // give-up, liveness, the expiry of a redundant SA
	MoveCommand // the operator (initiate, rekey, delete, terminate, another Child SA, an error report)
	MoveAdversary
)

// move is one successor of a state, with what the ladder says of it.
type move struct {
	kind MoveKind
	ev   Event // for MoveCommand and MoveTimer
	w    World
	peer int
	desc string
	msg  Msg
	send []Msg
	viol string // a property broken by the move itself
}

// branch is a successor in the making.
type branch struct {
	w    World
	send []Msg
	note []string
	viol string
}

func (x *explorer) hash(w *World) uint64 {
	var buf [512]byte
	b := buf[:0]
	b = appendWorld(b, w)
	return maphash.Bytes(x.seed, b)
}

func appendMsg(b []byte, m Msg) []byte {
	e := encMsg(m)
	return append(b, e[:]...)
}

func encMsg(m Msg) [9]byte {
	c := byte(0)
	if m.Resp {
		c |= 1
	}
	if m.Cookie {
		c |= 2
	}
	return [9]byte{m.SA, byte(m.X), c, m.MID, byte(m.Kind), m.Key, m.Arg, m.New, m.Nonce}
}

func appendWorld(b []byte, w *World) []byte {
	for p := range w.P {
		for _, s := range w.P[p].SA {
			f := byte(s.Role)
			if s.PeerAuth {
				f |= 2
			}
			if s.Cookie {
				f |= 4
			}
			if s.Redundant {
				f |= 8
			}
			b = append(b, byte(s.State), f, s.Key, s.EAP, s.Attempt, s.NextMID, s.ExpMID, s.SentMID, s.Tries, s.Rekey, s.PeerRekey, s.PeerNonce)
			b = appendMsg(b, s.Out)
			b = appendMsg(b, s.Resp)
		}
		for _, c := range w.P[p].Ch {
			r := byte(0)
			if c.Redundant {
				r = 1
			}
			b = append(b, byte(c.State), c.Cfg, c.Owner, c.Nonce, c.PeerRekey, c.PeerNonce, r)
		}
		b = append(b, w.P[p].Cmds, w.P[p].Stray, w.P[p].Life)
	}
	for d := range w.Q {
		// A multiset: sorted, so that arrival order does not make states differ.
		var enc [qCap][9]byte
		n := int(w.Q[d].N)
		for i := 0; i < n; i++ {
			enc[i] = encMsg(w.Q[d].M[i])
			for j := i; j > 0 && string(enc[j][:]) < string(enc[j-1][:]); j-- {
				enc[j], enc[j-1] = enc[j-1], enc[j]
			}
		}
		b = append(b, byte(n))
		for i := 0; i < n; i++ {
			b = append(b, enc[i][:]...)
		}
	}
	f := byte(0)
	if w.Up {
		f |= 1
	}
	if w.Closed {
		f |= 2
	}
	return append(b, w.Loss, w.Dup, w.Live, w.Adv, f)
}

func (x *explorer) run() Result {
	start := time.Now()
	res := Result{Scenario: x.sc.Name}
	x.used, x.childUsed = map[RowKey]int{}, map[[2]uint8]int{}
	type node struct {
		parent uint32
		move   uint16
		depth  uint16
	}
	init := x.initial()
	seen := map[uint64]uint32{x.hash(&init): 0}
	nodes := []node{{parent: ^uint32(0)}}
	var edgeFrom, edgeTo []uint32
	var good []bool
	frontier := []World{init}
	ids := []uint32{0}
	fail := func(id uint32, extra *move, prop, detail string) {
		var path []uint16
		for n := id; n != 0; n = nodes[n].parent {
			path = append(path, nodes[n].move)
		}
		v := &Violation{Property: prop, Detail: detail}
		x.verbose = true
		w := init
		for i := len(path) - 1; i >= 0; i-- {
			ms := x.successors(&w)
			m := ms[path[i]]
			v.Steps = append(v.Steps, Step{Move: m.desc, After: describe(&m.w), Peer: m.peer, Msg: m.msg, Send: m.send})
			w = m.w
		}
		if extra != nil {
			v.Steps = append(v.Steps, Step{Move: extra.desc, After: describe(&extra.w), Peer: extra.peer, Msg: extra.msg, Send: extra.send})
		}
		res.Violation = v
	}
	if p, d := x.check(&init); p != "" {
		fail(0, nil, p, d)
	}
	for len(frontier) > 0 && res.Violation == nil {
		w, id := frontier[0], ids[0]
		frontier, ids = frontier[1:], ids[1:]
		ms := x.successors(&w)
		q := quiescent(&w)
		for len(good) <= int(id) {
			good = append(good, false)
		}
		good[id] = q
		if q {
			res.Quiescent++
			if p, d := x.checkQuiescent(&w); p != "" {
				fail(id, nil, p, d)
				break
			}
		}
		if len(ms) == 0 && !q {
			fail(id, nil, "no deadlock", "no move is possible, yet a request is outstanding or a message in flight:\n"+describe(&w))
			break
		}
		for i := range ms {
			m := &ms[i]
			res.Transitions++
			if m.viol != "" {
				p, d, _ := strings.Cut(m.viol, ": ")
				fail(id, m, p, d)
				break
			}
			h := x.hash(&m.w)
			nid, ok := seen[h]
			if !ok {
				nid = uint32(len(nodes))
				seen[h] = nid
				nodes = append(nodes, node{parent: id, move: uint16(i), depth: nodes[id].depth + 1})
				if int(nodes[nid].depth) > res.Depth {
					res.Depth = int(nodes[nid].depth)
				}
				if p, d := x.check(&m.w); p != "" {
					fail(nid, nil, p, d)
					break
				}
				if len(nodes) > x.sc.MaxStates {
					res.Violation = &Violation{Property: "bounded state space", Detail: fmt.Sprintf("more than %d states", x.sc.MaxStates)}
					break
				}
				frontier = append(frontier, m.w)
				ids = append(ids, nid)
			}
			edgeFrom, edgeTo = append(edgeFrom, id), append(edgeTo, nid)
		}
	}
	res.States = len(nodes)
	if res.Violation == nil {
		// From every state a quiescent state (established or all closed,
		// nothing in flight) is reachable: backwards from the quiescent ones.
		rev := make([][]uint32, len(nodes))
		for i := range edgeFrom {
			rev[edgeTo[i]] = append(rev[edgeTo[i]], edgeFrom[i])
		}
		ok := make([]bool, len(nodes))
		var stack []uint32
		for i, g := range good {
			if g {
				ok[i] = true
				stack = append(stack, uint32(i))
			}
		}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, p := range rev[n] {
				if !ok[p] {
					ok[p] = true
					stack = append(stack, p)
				}
			}
		}
		for i := range ok {
			if !ok[i] {
				fail(uint32(i), nil, "progress", "no established or closed quiescent state is reachable from here")
				break
			}
		}
	}
	res.Elapsed = time.Since(start)
	res.Rows, res.ChildRows = x.used, x.childUsed
	return res
}

func quiescent(w *World) bool {
	if w.Q[0].N != 0 || w.Q[1].N != 0 {
		return false
	}
	for p := range w.P {
		for _, s := range w.P[p].SA {
			if s.Out.Kind != KNone || s.Redundant && s.State == Established {
				return false // a request or the expiry of a redundant SA pending
			}
			switch s.State {
			case Idle, Deleted, Established:
			default:
				return false
			}
		}
		if w.P[p].Stray > 0 {
			return false
		}
		for _, c := range w.P[p].Ch {
			if c.Redundant && c.State == ChildInstalled {
				return false
			}
		}
	}
	return true
}

// describe is both ends' state in one line.
func describe(w *World) string {
	var parts []string
	for p, name := range []string{"I", "R"} {
		var sas []string
		for id := 1; id < nSA; id++ {
			s := w.P[p].SA[id]
			if s.State == Idle && id > 1 {
				continue
			}
			t := fmt.Sprintf("ike%d=%v", id, s.State)
			if s.Key != 0 {
				t += fmt.Sprintf("/k%d", s.Key)
			}
			if s.PeerAuth {
				t += "/auth"
			}
			sas = append(sas, t)
		}
		for id := 1; id < nChild; id++ {
			c := w.P[p].Ch[id]
			if c.State != ChildNone {
				sas = append(sas, fmt.Sprintf("child%d@%d=%v", id, c.Owner, c.State))
			}
		}
		parts = append(parts, name+": "+strings.Join(sas, " "))
	}
	return strings.Join(parts, " | ") + fmt.Sprintf(" | in flight I->R %d, R->I %d", w.Q[1].N, w.Q[0].N)
}

// ---- properties ----

// check is evaluated in every state.
func (x *explorer) check(w *World) (string, string) {
	for p := range w.P {
		name := [...]string{"initiator", "responder"}[p]
		for id := 1; id < nSA; id++ {
			s := w.P[p].SA[id]
			// No ESTABLISHED without the peer authenticated: the
			// CVE-2021-45079 class (EAP Success taken for authentication).
			if s.State == Established && !s.PeerAuth {
				return "established only after the peer's AUTH verified",
					fmt.Sprintf("the %s holds IKE SA %d ESTABLISHED but never verified the peer's AUTH", name, id)
			}
		}
		for id := 1; id < nChild; id++ {
			c := w.P[p].Ch[id]
			if !c.State.Usable() {
				continue
			}
			o := w.P[p].SA[c.Owner]
			// No Child SA usable before AUTH verified: the CVE-2014-2338 class.
			if !o.PeerAuth {
				return "no Child SA before AUTH",
					fmt.Sprintf("the %s installed Child SA %d on IKE SA %d (%v) without the peer's AUTH verified", name, id, c.Owner, o.State)
			}
			if o.State == Idle || o.State == Deleted {
				return "no Child SA without its IKE SA",
					fmt.Sprintf("the %s's Child SA %d outlives IKE SA %d", name, id, c.Owner)
			}
		}
	}
	// Agreement: when both ends hold an IKE SA ESTABLISHED, they agree on
	// its keys (and with them the SPIs and algorithms) and are in opposite roles.
	for id := 1; id < nSA; id++ {
		a, b := w.P[0].SA[id], w.P[1].SA[id]
		if a.State == Established && b.State == Established && (a.Key != b.Key || a.Role == b.Role) {
			return "agreement", fmt.Sprintf("IKE SA %d: initiator k%d/%v, responder k%d/%v", id, a.Key, a.Role, b.Key, b.Role)
		}
	}
	return "", ""
}

// checkQuiescent is evaluated when nothing is in flight, outstanding or
// pending: every collision has converged to exactly one pair. An IKE SA that
// only one end holds (the other gave it up, or never saw the response that
// created it) is not a pair: it is the liveness check's to remove (2.4: its
// requests go unanswered and the SA is given up; TestOneSidedSAsEnd).
func (x *explorer) checkQuiescent(w *World) (string, string) {
	var pairs []int
	for id := 1; id < nSA; id++ {
		if w.P[0].SA[id].State == Established && w.P[1].SA[id].State == Established {
			pairs = append(pairs, id)
		}
	}
	if len(pairs) > 1 {
		return "collisions converge to one pair", fmt.Sprintf("IKE SAs established at both ends: %v\n%s", pairs, describe(w))
	}
	if len(pairs) == 0 {
		if w.Up && !w.Closed {
			return "collisions converge to one pair", "no IKE SA pair is left, yet none was closed by a failure, a give-up or the operator\n" + describe(w)
		}
		return "", ""
	}
	for cfg := uint8(1); cfg <= 3; cfg++ {
		var usable [2][]int
		for p := range w.P {
			for id := 1; id < nChild; id++ {
				if c := w.P[p].Ch[id]; c.State.Usable() && c.Cfg == cfg && int(c.Owner) == pairs[0] {
					usable[p] = append(usable[p], id)
				}
			}
		}
		if len(usable[0]) > 1 || len(usable[1]) > 1 || fmt.Sprint(usable[0]) != fmt.Sprint(usable[1]) {
			return "collisions converge to one pair", fmt.Sprintf("Child SAs of configuration %d usable on IKE SA %d: initiator %v, responder %v\n%s",
				cfg, pairs[0], usable[0], usable[1], describe(w))
		}
	}
	return "", ""
}

// ---- moves ----

func (x *explorer) successors(w *World) []move {
	out := make([]move, 0, 16)
	// The network: deliver any message (any order), lose or duplicate one.
	for d := 0; d < 2; d++ {
		q := w.Q[d]
		for i := 0; i < int(q.N); i++ {
			m := q.M[i]
			if dupBefore(&q, i) {
				continue
			}
			w2 := *w
			w2.Q[d] = removeAt(q, i)
			for _, b := range x.receive(w2, d, m) {
				mv := x.finish(b, d, MoveDeliver, 0, func() string { return "receive " + m.String() }, m)
				out = append(out, mv)
			}
			if w.Loss > 0 {
				w3 := *w
				w3.Q[d] = removeAt(q, i)
				w3.Loss--
				out = append(out, move{kind: MoveLose, w: w3, peer: -1, desc: x.say(func() string { return "lose " + m.String() }), msg: m})
			}
			if w.Dup > 0 && q.N < qCap {
				w3 := *w
				w3.Dup--
				w3.Q[d].M[w3.Q[d].N] = m
				w3.Q[d].N++
				out = append(out, move{kind: MoveDuplicate, w: w3, peer: -1, desc: x.say(func() string { return "duplicate " + m.String() }), msg: m})
			}
		}
	}
	// Each end: timers and commands.
	for p := 0; p < 2; p++ {
		for id := uint8(1); id < nSA; id++ {
			s := w.P[p].SA[id]
			if s.Out.Kind != KNone && s.Tries < x.sc.Retries {
				// Retransmission (2.1, 2.4): the same request again.
				w2 := *w
				w2.P[p].SA[id].Tries++
				b := branch{w: w2, send: []Msg{s.Out}}
				out = append(out, x.finish(b, p, MoveRetransmit, 0, func() string { return fmt.Sprintf("retransmit on IKE SA %d", id) }, Msg{}))
			}
			giveUp := (s.Out.Kind != KNone && s.Tries >= x.sc.Retries) || s.State == InitDone || s.State == Rekeyed
			if giveUp {
				for _, b := range x.event(*w, p, id, 0, TimerGiveUp, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
					out = append(out, x.finish(b, p, MoveTimer, TimerGiveUp, func() string { return fmt.Sprintf("timer: give up IKE SA %d", id) }, Msg{}))
				}
			}
			// The deadlines of redundant SAs (60 s) outlast any message's
			// life in the network: they fire only when nothing is in flight.
			quiet := w.Q[0].N == 0 && w.Q[1].N == 0
			if s.State == Established && s.Out.Kind == KNone && s.Redundant && quiet {
				// The redundant IKE SA of a collision outlived its
				// deadline: we delete it ourselves.
				for _, b := range x.event(*w, p, id, INFORMATIONAL, CmdTerminate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
					out = append(out, x.finish(b, p, MoveTimer, CmdTerminate, func() string { return fmt.Sprintf("timer: redundant IKE SA %d expires", id) }, Msg{}))
				}
			}
			for c := uint8(1); c < nChild; c++ {
				ch := w.P[p].Ch[c]
				if ch.Redundant && quiet && ch.Owner == id && ch.State == ChildInstalled && s.State == Established && s.Out.Kind == KNone {
					for _, b := range x.event(*w, p, id, INFORMATIONAL, CmdChildDelete, Facts{Outcomes: []Outcome{OK}}, Msg{Arg: c}) {
						out = append(out, x.finish(b, p, MoveTimer, CmdChildDelete, func() string { return fmt.Sprintf("timer: redundant Child SA %d expires", c) }, Msg{}))
					}
				}
			}
			if s.State == Established && s.Out.Kind == KNone && w.Live > 0 {
				for _, b := range x.event(*w, p, id, INFORMATIONAL, TimerLiveness, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
					b.w.Live--
					out = append(out, x.finish(b, p, MoveTimer, TimerLiveness, func() string { return fmt.Sprintf("timer: liveness check on IKE SA %d", id) }, Msg{}))
				}
			}
		}
		if p == 0 && w.P[0].SA[1].State == Idle {
			for _, b := range x.event(*w, 0, 1, IKE_SA_INIT, CmdInitiate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
				out = append(out, x.finish(b, 0, MoveCommand, CmdInitiate, func() string { return "initiate" }, Msg{}))
			}
		}
		if w.P[p].Stray > 0 {
			if _, ok := x.rows[[4]uint8{uint8(InitDone), uint8(Responder), 0, uint8(TimerGiveUp)}]; ok {
				w2 := *w
				w2.P[p].Stray--
				out = append(out, x.finish(branch{w: w2}, p, MoveTimer, TimerGiveUp, func() string { return "timer: a stray half-open IKE SA expires" }, Msg{}))
			}
		}
		out = append(out, x.commands(w, p)...)
	}
	// The adversary's moves.
	if w.Adv > 0 && x.sc.EarlyCreateChild {
		s := w.P[0].SA[1]
		if s.State == AuthSent && w.Q[1].N < qCap {
			// The initiator, holding the keys from IKE_SA_INIT, sends
			// CREATE_CHILD_SA instead of (or before) IKE_AUTH.
			w2 := *w
			w2.Adv--
			m := Msg{SA: 1, X: CREATE_CHILD_SA, MID: 1, Kind: KNewChild, Key: s.Key, New: 2}
			out = append(out, x.finish(branch{w: w2, send: []Msg{m}}, 0, MoveAdversary, 0, func() string { return "adversary: CREATE_CHILD_SA before IKE_AUTH" }, Msg{}))
		}
	}
	return out
}

func (x *explorer) say(f func() string) string {
	if x.verbose {
		return f()
	}
	return ""
}

// dupBefore: an identical message earlier in the queue gives the same successors.
func dupBefore(q *queue, i int) bool {
	for j := 0; j < i; j++ {
		if q.M[j] == q.M[i] {
			return true
		}
	}
	return false
}

func removeAt(q queue, i int) queue {
	copy(q.M[i:], q.M[i+1:])
	q.N--
	q.M[q.N] = Msg{}
	return q
}

// finish puts a branch's messages on the network (a full queue loses them:
// the queues are bounded) and makes it a move.
func (x *explorer) finish(b branch, p int, kind MoveKind, ev Event, desc func() string, in Msg) move {
	for _, m := range b.send {
		d := 1 - p
		if b.w.Q[d].N < qCap {
			b.w.Q[d].M[b.w.Q[d].N] = m
			b.w.Q[d].N++
		}
	}
	m := move{kind: kind, ev: ev, w: b.w, peer: p, msg: in, send: b.send, viol: b.viol}
	if x.verbose || b.viol != "" {
		m.desc = desc() + strings.Join(b.note, "")
	}
	return m
}

// commands are the operator's (and the lifetimes') requests of end p.
func (x *explorer) commands(w *World, p int) []move {
	if w.P[p].Cmds == 0 {
		return nil
	}
	var out []move
	pe := &w.P[p]
	if (x.sc.Faults || x.sc.TerminateAny) && x.sc.Terminate && pe.Stray > 0 {
		if _, ok := x.rows[[4]uint8{uint8(InitDone), uint8(Responder), 0, uint8(CmdTerminate)}]; ok {
			w2 := *w
			w2.P[p].Stray--
			out = append(out, x.finish(branch{w: w2}, p, MoveCommand, CmdTerminate, func() string { return "operator: terminate a stray half-open IKE SA" }, Msg{}))
		}
	}
	for id := uint8(1); id < nSA; id++ {
		s := pe.SA[id]
		if (x.sc.Faults || x.sc.TerminateAny) && x.sc.Terminate {
			switch s.State {
			case InitSent, AuthSent, InitDone, Deleting:
				// The operator gives up an IKE SA that is not established.
				for _, b := range x.event(*w, p, id, 0, CmdTerminate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
					b.w.P[p].Cmds--
					out = append(out, x.finish(b, p, MoveCommand, CmdTerminate, func() string { return fmt.Sprintf("operator: terminate IKE SA %d", id) }, Msg{}))
				}
			}
		}
		if s.State != Established && s.State != Rekeyed {
			continue
		}
		// A Delete of the IKE SA abandons an outstanding request (as the
		// engine does); every other command waits for the window.
		if x.sc.Terminate {
			for _, b := range x.event(*w, p, id, INFORMATIONAL, CmdTerminate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
				b.w.P[p].Cmds--
				out = append(out, x.finish(b, p, MoveCommand, CmdTerminate, func() string { return fmt.Sprintf("operator: delete IKE SA %d", id) }, Msg{}))
			}
		}
		if s.State != Established || s.Out.Kind != KNone {
			continue
		}
		if x.sc.CreateChild && pe.Ch[2+p].State == ChildNone {
			w2 := *w
			w2.P[p].Cmds--
			for _, b := range x.event(w2, p, id, CREATE_CHILD_SA, CmdChildCreate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
				out = append(out, x.finish(b, p, MoveCommand, CmdChildCreate, func() string { return fmt.Sprintf("operator: another Child SA %d", 2+p) }, Msg{}))
			}
		}
		if x.sc.Faults {
			// An ESP packet on an unknown SPI is reported (2.21.4).
			w2 := *w
			w2.P[p].Cmds--
			for _, b := range x.event(w2, p, id, INFORMATIONAL, ReportError, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
				out = append(out, x.finish(b, p, MoveCommand, ReportError, func() string { return "ESP on an unknown SPI: report INVALID_SPI" }, Msg{}))
			}
		}
		if x.sc.RekeyIKE && id == 1 && s.Rekey == 0 && pe.SA[2+p].State == Idle {
			for _, nonce := range nonces(p) {
				w2 := *w
				w2.P[p].Cmds--
				w2.P[p].SA[id].Rekey = nonce
				for _, b := range x.event(w2, p, id, CREATE_CHILD_SA, RekeyIKE, Facts{Outcomes: []Outcome{OK}}, Msg{Nonce: nonce}) {
					out = append(out, x.finish(b, p, MoveCommand, RekeyIKE, func() string { return fmt.Sprintf("operator: rekey IKE SA %d (nonce %d)", id, nonce) }, Msg{}))
				}
			}
		}
		for c := uint8(1); c < nChild; c++ {
			ch := pe.Ch[c]
			if ch.Owner != id || ch.State != ChildInstalled {
				continue
			}
			if x.sc.RekeyChild && c == 1 && pe.Ch[2+p].State == ChildNone {
				for _, nonce := range nonces(p) {
					w2 := *w
					w2.P[p].Cmds--
					for _, b := range x.event(w2, p, id, CREATE_CHILD_SA, RekeyChild, Facts{Outcomes: []Outcome{OK}}, Msg{Arg: c, Nonce: nonce}) {
						out = append(out, x.finish(b, p, MoveCommand, RekeyChild, func() string { return fmt.Sprintf("operator: rekey Child SA %d (nonce %d)", c, nonce) }, Msg{}))
					}
				}
			}
			// Only the first Child SA, which both ends installed in IKE_AUTH:
			// a Delete of a pair born of a rekey can overtake the
			// CREATE_CHILD_SA response that tells the rekey's initiator its
			// SPI, and leave a one-sided pair (docs/model.md).
			if x.sc.DeleteChild && (c == 1 || x.sc.DeleteAnyChild) {
				w2 := *w
				w2.P[p].Cmds--
				for _, b := range x.event(w2, p, id, INFORMATIONAL, CmdChildDelete, Facts{Outcomes: []Outcome{OK}}, Msg{Arg: c}) {
					out = append(out, x.finish(b, p, MoveCommand, CmdChildDelete, func() string { return fmt.Sprintf("operator: delete Child SA %d", c) }, Msg{}))
				}
			}
		}
	}
	return out
}

// nonces are the abstract nonces end p may pick for a rekey: the
// initiator's are odd, the responder's even, so both orders of a collision
// are explored and there are no ties.
func nonces(p int) []uint8 {
	if p == 0 {
		return []uint8{1, 3}
	}
	return []uint8{2}
}

// ---- receiving ----

// receive processes message m at end p.
func (x *explorer) receive(w World, p int, m Msg) []branch {
	pe := &w.P[p]
	s := &pe.SA[m.SA]
	if m.X == IKE_SA_INIT {
		if m.Resp {
			if p != 0 || s.State != InitSent || s.Out.Kind == KNone || m.Arg != s.Attempt {
				return drop(w, "stale or unexpected IKE_SA_INIT response")
			}
			f := Facts{}
			switch m.Kind {
			case KCookie:
				if !s.Cookie {
					f.Outcomes = []Outcome{Cookie}
				}
			case KInvalidKE:
				if s.Attempt == 1 {
					f.Outcomes = []Outcome{InvalidKE}
				}
			case KInitResp:
				f.Outcomes = []Outcome{OK}
			case KRefused:
				f.Outcomes = []Outcome{Refused}
			}
			return x.event(w, p, m.SA, IKE_SA_INIT, RecvResponse, f, m)
		}
		if p != 1 || m.SA != 1 {
			return drop(w, "")
		}
		if !x.sc.LateInit && s.State != Idle && s.State != InitDone {
			return drop(w, "a late IKE_SA_INIT request (LateInit off)")
		}
		if s.State == Deleted && w.P[p].Stray == 0 {
			// (A stray half-open SA answers the duplicates of its request.)
			// The responder closed the half-open SA (timeout, operator)
			// and the initiator's retransmission starts a new one: a new
			// life of IKE SA 1, with its own Child SA numbering.
			*s = absSA{Role: Responder}
			w.P[p].Life++ // its keys will differ from the old life's
			for c := range w.P[p].Ch {
				if w.P[p].Ch[c].Owner == 1 || w.P[p].Ch[c].State == ChildDeleted {
					w.P[p].Ch[c] = absChild{}
				}
			}
		}
		if s.State != Idle && s.State != InitDone {
			return x.strayInit(w, p, m)
		}
		f := Facts{}
		switch {
		case s.State == InitDone:
			f.Outcomes = []Outcome{OK}
		case x.sc.Cookie && !m.Cookie:
			f.Outcomes = []Outcome{Cookie}
		case x.sc.InvalidKE && m.Arg == 1:
			f.Outcomes = []Outcome{InvalidKE}
		default:
			f.Outcomes = []Outcome{OK}
			if x.sc.Faults {
				f.Outcomes = append(f.Outcomes, Refused) // no proposal acceptable
			}
		}
		return x.event(w, p, m.SA, IKE_SA_INIT, RecvRequest, f, m)
	}
	// Encrypted exchanges: unknown SA or wrong keys are dropped unanswered (RFC7296-2.21.2-1).
	if s.State == Idle || s.State == Deleted || m.Key != s.Key {
		return drop(w, "")
	}
	if m.Resp {
		if s.Out.Kind == KNone || m.MID != s.Out.MID || m.X != s.Out.X {
			return drop(w, "")
		}
		return x.event(w, p, m.SA, m.X, RecvResponse, x.responseFacts(&w, p, m), m)
	}
	switch {
	case m.MID+1 == s.ExpMID && s.Resp.Kind != KNone:
		// A retransmitted request: the cached response again (2.1).
		return []branch{{w: w, send: []Msg{s.Resp}, note: []string{": a duplicate, answered from the cache"}}}
	case m.MID != s.ExpMID:
		return drop(w, ": message ID outside the window")
	}
	return x.event(w, p, m.SA, m.X, RecvRequest, x.requestFacts(&w, p, m), m)
}

// strayInit answers a late duplicate of the first IKE_SA_INIT request as
// the request for a new IKE SA that it looks like (a half-open SA that
// times out), by the table's rows for an idle responder.
func (x *explorer) strayInit(w World, p int, m Msg) []branch {
	f := Facts{Outcomes: []Outcome{OK}}
	if x.sc.Cookie && !m.Cookie {
		f.Outcomes = []Outcome{Cookie}
	} else if x.sc.InvalidKE && m.Arg == 1 {
		f.Outcomes = []Outcome{InvalidKE}
	}
	from := Idle
	if w.P[p].Stray > 0 {
		// The stray SA answers the duplicates of the request that made it.
		from, f = InitDone, Facts{Outcomes: []Outcome{OK}}
	}
	var out []branch
	for _, t := range x.rows[[4]uint8{uint8(from), uint8(Responder), uint8(IKE_SA_INIT), uint8(RecvRequest)}] {
		if !x.spec.Guards[KeyOf(t)].Holds(t.Outcome, f) {
			continue
		}
		b := branch{w: w}
		resp := Msg{SA: m.SA, X: IKE_SA_INIT, Resp: true, Arg: m.Arg}
		switch t.Outcome {
		case Cookie:
			resp.Kind = KCookie
		case InvalidKE:
			resp.Kind = KInvalidKE
		case OK:
			resp.Kind = KInitResp
			if from == Idle && t.To == InitDone {
				b.w.P[p].Stray++
			}
		default:
			resp.Kind = KRefused
		}
		if !x.verbose {
			x.used[KeyOf(t)]++
		} else {
			b.note = append(b.note, ": a late duplicate, answered as a new IKE SA")
		}
		b.send = []Msg{resp}
		out = append(out, b)
	}
	return out
}

func drop(w World, why string) []branch {
	if why == "" {
		why = ": dropped"
	} else if !strings.HasPrefix(why, ":") {
		why = ": dropped, " + why
	}
	return []branch{{w: w, note: []string{why}}}
}

func (x *explorer) requestFacts(w *World, p int, m Msg) Facts {
	pe := &w.P[p]
	s := &pe.SA[m.SA]
	var f Facts
	one := func(o Outcome) { f.Outcomes = []Outcome{o} }
	// With faults, a well-formed request may still be refused for its PFS
	// group (once: the retry carries the group asked for).
	pfs := func(o Outcome) {
		one(o)
		if x.sc.Faults && !m.Cookie && o != Refused {
			f.Outcomes = append(f.Outcomes, InvalidKE)
		}
	}
	switch m.Kind {
	case KAuth:
		switch {
		case !x.sc.EAP:
			f.PeerAuth = true
			one(OK)
			if x.sc.Faults {
				f.Outcomes = append(f.Outcomes, AuthFailed, ChildFailed, Refused)
			}
		case m.Arg == 0:
			one(EAPContinue)
		case s.EAP == 2:
			f.PeerAuth = true // the AUTH from the MSK, after EAP Success
			one(OK)
		default:
			one(AuthFailed)
		}
	case KEAPResp:
		one(EAPContinue)
	case KNewChild:
		switch {
		case s.State == Established && (s.Rekey != 0 || unsettled(pe, m.SA)):
			one(Refused)
		case s.State == Established:
			pfs(OK)
		default:
			one(OK) // the adversary's, before IKE_AUTH: only a broken table takes it
		}
	case KRekeyChild:
		c := pe.Ch[m.Arg]
		switch {
		case s.State != Established || s.Rekey != 0 || unsettled(pe, m.SA):
			one(Refused) // TEMPORARY_FAILURE (RFC7296-2.25.2-5)
		case c.Owner != m.SA || c.State == ChildNone || c.State == ChildDeleted:
			one(Refused)
		case c.State == ChildDeleting || c.State == ChildRekeyed:
			one(Refused)
		default:
			pfs(OK)
		}
	case KRekeyIKE:
		switch {
		case s.State != Established || s.PeerRekey != 0 || (childBusy(pe, m.SA) || childOut(s.Out.Kind)) && s.Rekey == 0:
			one(Refused)
		case s.Rekey != 0:
			pfs(OK) // a collision: answered, settled by the nonces (RFC7296-2.25.2-1)
		default:
			pfs(IKERekeyed)
		}
	case KDelIKE:
		one(DeleteIKE)
	case KDelChild:
		one(DeleteChild)
	case KEmpty:
		one(Empty)
		if x.sc.Faults {
			f.Outcomes = append(f.Outcomes, Refused)
		}
	case KInvalidSPI:
		one(Empty)
	}
	return f
}

// unsettled: IKE SA id is the peer's rekey of IKE SA 1, whose collision
// with our own rekey of it is not settled: its Child SAs have not moved, and
// Child SA requests on it get TEMPORARY_FAILURE.
func unsettled(pe *absPeer, id uint8) bool {
	o := pe.SA[1]
	return id != 1 && o.PeerRekey == id && o.Rekey != 0 && o.State != Idle && o.State != Deleted
}

// childOut: our outstanding request creates, rekeys or deletes a Child SA
// (RFC7296-2.25.1-7: an IKE SA rekey meanwhile gets TEMPORARY_FAILURE).
func childOut(k Kind) bool { return k == KNewChild || k == KRekeyChild || k == KDelChild }

func childBusy(pe *absPeer, sa uint8) bool {
	for _, c := range pe.Ch {
		if c.Owner == sa && (c.State == ChildRekeying || c.State == ChildDeleting) {
			return true
		}
	}
	return false
}

func (x *explorer) responseFacts(w *World, p int, m Msg) Facts {
	s := &w.P[p].SA[m.SA]
	var f Facts
	one := func(o Outcome) { f.Outcomes = []Outcome{o} }
	switch m.X {
	case IKE_AUTH:
		switch m.Kind {
		case KAuth:
			if !x.sc.EAP || s.EAP == 2 {
				f.PeerAuth = true
				one(OK)
				if m.Arg == 2 {
					one(ChildFailed) // N(TS_UNACCEPTABLE): the IKE SA without its Child SA
				}
				if x.sc.Faults {
					f.Outcomes = append(f.Outcomes, AuthFailed) // the responder's AUTH does not verify
				}
			} else {
				one(AuthFailed)
			}
		case KEAPReq:
			if s.EAP == 0 {
				one(EAPContinue)
			} else {
				one(Refused)
			}
		case KEAPSuccess:
			f.EAPSuccess = true
			if s.EAP == 1 {
				one(EAPContinue)
			} else {
				one(AuthFailed) // EAP Success before any EAP round: CVE-2021-45079
			}
		case KAuthFailed:
			one(AuthFailed)
		default:
			one(Refused)
		}
	case IKE_SA_INIT:
		// (IKE_SA_INIT responses are judged in receive.)
	case CREATE_CHILD_SA:
		switch s.Out.Kind {
		case KRekeyIKE:
			if m.Kind == KInvalidKE {
				one(InvalidKE) // retried with the group named, the collision still open
				break
			}
			f.RekeyOK = m.Kind == KRekeyIKE
			// A collision only while the peer's new IKE SA lives here.
			f.Collision = s.PeerRekey != 0 && w.P[p].SA[s.PeerRekey].State != Idle && w.P[p].SA[s.PeerRekey].State != Deleted
			f.Lowest = s.Rekey < s.PeerNonce
			if !f.RekeyOK && !f.Collision {
				one(ChildFailed)
			}
		default:
			switch m.Kind {
			case s.Out.Kind:
				one(OK)
			case KInvalidKE:
				one(InvalidKE)
			default:
				one(ChildFailed)
			}
		}
	case INFORMATIONAL:
		one(OK)
	}
	return f
}

// ---- transitions ----

// event applies every row of the Spec that matches end p's IKE SA id in its
// state and whose guard holds: one branch per row (none: the event is not
// acceptable there and is dropped; for a message that is the RFC's
// silent drop, and the sender's retransmission or give-up follows).
func (x *explorer) event(w World, p int, id uint8, xch Exchange, ev Event, f Facts, m Msg) []branch {
	s := w.P[p].SA[id]
	var out []branch
	for _, t := range x.rows[[4]uint8{uint8(s.State), uint8(s.Role), uint8(xch), uint8(ev)}] {
		g := x.spec.Guards[KeyOf(t)]
		if !g.Holds(t.Outcome, f) {
			continue
		}
		b := branch{w: w}
		x.apply(&b, p, id, t, f, m)
		out = append(out, b)
	}
	if len(out) == 0 && (ev == RecvRequest || ev == RecvResponse) {
		return drop(w, fmt.Sprintf("no row for %v %v %v in %v", s.Role, xch, ev, s.State))
	}
	return out
}

// apply performs row t at end p on IKE SA id: the effects of its outcome,
// the message it sends and its next state.
func (x *explorer) apply(b *branch, p int, id uint8, t Transition, f Facts, m Msg) {
	w := &b.w
	pe := &w.P[p]
	s := &pe.SA[id]
	if !x.verbose {
		x.used[KeyOf(t)]++
	}
	if x.verbose {
		b.note = append(b.note, fmt.Sprintf(" -> %v (%s)", t.To, t.Outcome))
	}
	// Rekey and delete only of established SAs (CVE-2014-2338 class).
	if (t.Exchange == CREATE_CHILD_SA || t.Exchange == INFORMATIONAL) && t.Event != Inherit &&
		t.From != Established && t.From != Rekeyed && t.From != Deleting {
		b.viol = fmt.Sprintf("no CREATE_CHILD_SA or INFORMATIONAL before ESTABLISHED: the %v processed %v %v in %v",
			[...]string{"initiator", "responder"}[p], t.Exchange, t.Event, t.From)
	}
	// RFC7296-1.4.1: the IKE SA a Delete names is closed by its receiver.
	if t.Outcome == DeleteIKE && t.To != Deleted {
		b.viol = fmt.Sprintf("a Delete of the IKE SA closes it: the %v answered it and went to %v",
			[...]string{"initiator", "responder"}[p], t.To)
	}
	var req, resp Msg
	newReq := func(xch Exchange, k Kind) Msg {
		r := Msg{SA: id, X: xch, MID: s.NextMID, Kind: k, Key: s.Key}
		s.NextMID++
		return r
	}
	answer := func(k Kind) Msg { return Msg{SA: id, X: m.X, Resp: true, MID: m.MID, Kind: k, Key: s.Key} }
	sent := s.Out // the request a response answers
	if t.Event == RecvResponse {
		s.Out, s.Tries = Msg{}, 0
	}
	var after []func()
	switch t.Event {
	case CmdInitiate:
		s.Attempt = 1
		req = Msg{SA: id, X: IKE_SA_INIT, Kind: KInit, Arg: 1}
	case CmdTerminate:
		req = newReq(INFORMATIONAL, KDelIKE)
	case CmdChildDelete:
		x.childTo(b, p, m.Arg, ChildDeleteStart)
		req = newReq(INFORMATIONAL, KDelChild)
		req.Arg = m.Arg
	case TimerLiveness:
		req = newReq(INFORMATIONAL, KEmpty)
	case ReportError:
		req = newReq(INFORMATIONAL, KInvalidSPI)
	case CmdChildCreate:
		req = newReq(CREATE_CHILD_SA, KNewChild)
		req.New = uint8(2 + p)
	case RekeyIKE:
		req = newReq(CREATE_CHILD_SA, KRekeyIKE)
		req.New, req.Nonce = uint8(2+p), m.Nonce
	case RekeyChild:
		x.childTo(b, p, m.Arg, ChildRekeyStart)
		pe.Ch[m.Arg].Nonce = m.Nonce
		req = newReq(CREATE_CHILD_SA, KRekeyChild)
		req.Arg, req.New, req.Nonce = m.Arg, uint8(2+p), m.Nonce
	case TimerGiveUp:
	case RecvRequest:
		s.ExpMID = m.MID + 1
		switch m.X {
		case IKE_SA_INIT:
			switch t.Outcome {
			case Cookie:
				resp = Msg{SA: id, X: IKE_SA_INIT, Resp: true, Kind: KCookie, Arg: m.Arg}
			case InvalidKE:
				resp = Msg{SA: id, X: IKE_SA_INIT, Resp: true, Kind: KInvalidKE, Arg: m.Arg}
			case OK:
				if t.From == InitDone {
					resp = s.Resp // the same response again
				} else {
					s.Key = 10 + m.Arg + 4*w.P[p].Life
					s.ExpMID, s.NextMID = 1, 0
					resp = Msg{SA: id, X: IKE_SA_INIT, Resp: true, Kind: KInitResp, Arg: m.Arg, Key: 0}
					resp.New = s.Key // the keys the response lets the initiator derive
				}
			default:
				resp = Msg{SA: id, X: IKE_SA_INIT, Resp: true, Kind: KRefused, Arg: m.Arg}
			}
		case IKE_AUTH:
			switch t.Outcome {
			case OK, ChildFailed:
				s.PeerAuth = f.PeerAuth
				resp = answer(KAuth)
				resp.Arg = 2 // N(TS_UNACCEPTABLE) instead of the Child SA
				if t.Outcome == OK {
					x.newChild(b, p, 1, id, 1)
					resp.Arg = 1
				}
			case Refused:
				resp = answer(KRefused)
			case EAPContinue:
				if m.Kind == KEAPResp {
					s.EAP = 2
					resp = answer(KEAPSuccess)
				} else if x.sc.EarlyEAPSuccess && w.Adv > 0 {
					w.Adv--
					resp = answer(KEAPSuccess) // the adversary skips the method
				} else {
					s.EAP = 1
					resp = answer(KEAPReq)
				}
			default:
				resp = answer(KAuthFailed)
			}
		case CREATE_CHILD_SA:
			switch {
			case t.Outcome == InvalidKE:
				resp = answer(KInvalidKE)
			case t.Outcome == Refused:
				k := KTempFail // on an IKE SA being closed or rekeyed, whatever it asks (2.25.2)
				if m.Kind == KRekeyChild && t.From == Established && s.Rekey == 0 && !unsettled(pe, id) {
					if c := pe.Ch[m.Arg]; c.Owner != m.SA || c.State == ChildNone || c.State == ChildDeleted {
						k = KNotFound
					}
				}
				resp = answer(k)
			case m.Kind == KNewChild:
				x.newChild(b, p, m.New, id, m.New)
				resp = answer(KNewChild)
			case m.Kind == KRekeyChild:
				x.newChild(b, p, m.New, id, pe.Ch[m.Arg].Cfg)
				c := &pe.Ch[m.Arg]
				if c.State == ChildRekeying {
					c.PeerRekey, c.PeerNonce = m.New, m.Nonce // settled when ours completes (RFC7296-2.25.1-2)
				} else {
					x.childTo(b, p, m.Arg, ChildReplaced)
				}
				resp = answer(KRekeyChild)
				resp.Arg, resp.New = m.Arg, m.New
			case m.Kind == KRekeyIKE:
				x.bornOfRekey(b, p, m.New, Responder)
				s.PeerRekey, s.PeerNonce = m.New, m.Nonce
				if t.Outcome == IKERekeyed {
					handOver(pe, id, m.New)
				}
				resp = answer(KRekeyIKE)
				resp.New = m.New
			}
		case INFORMATIONAL:
			switch t.Outcome {
			case DeleteIKE:
				resp = answer(KEmpty)
			case DeleteChild:
				resp = answer(KDelChild)
				resp.Arg = m.Arg
				if c := pe.Ch[m.Arg]; c.Owner == id && c.State != ChildNone && c.State != ChildDeleted {
					if c.State == ChildDeleting {
						// Crossing deletes (RFC7296-1.4.1-4): no Delete
						// payload for an SA we are deleting ourselves. (The
						// pair is removed here, as the engine does; the RFC
						// keeps its inbound half until our response.)
						resp = answer(KEmpty)
					}
					x.childTo(b, p, m.Arg, ChildRemoved)
				} else {
					resp = answer(KEmpty) // an SA we do not have: nothing to pair
				}
			case Refused:
				resp = answer(KRefused)
			default:
				resp = answer(KEmpty)
			}
		}
	case RecvResponse:
		switch m.X {
		case IKE_SA_INIT:
			switch t.Outcome {
			case Cookie:
				s.Cookie = true
				req = Msg{SA: id, X: IKE_SA_INIT, Kind: KInit, Arg: s.Attempt, Cookie: true}
			case InvalidKE:
				s.Attempt++
				req = Msg{SA: id, X: IKE_SA_INIT, Kind: KInit, Arg: s.Attempt, Cookie: s.Cookie}
			case OK:
				s.Key, s.NextMID = m.New, 1
				k := KAuth
				req = newReq(IKE_AUTH, k)
				if !x.sc.EAP {
					req.Arg = 1
				}
			}
		case IKE_AUTH:
			switch t.Outcome {
			case OK, ChildFailed:
				s.PeerAuth = f.PeerAuth
				if t.Outcome == OK {
					x.newChild(b, p, 1, id, 1)
				}
			case EAPContinue:
				if m.Kind == KEAPReq {
					s.EAP = 1
					req = newReq(IKE_AUTH, KEAPResp)
				} else {
					s.EAP = 2
					req = newReq(IKE_AUTH, KAuth)
					req.Arg = 1
				}
			}
		case CREATE_CHILD_SA:
			switch {
			case t.Outcome == InvalidKE:
				// The same request again with the group asked for (1.3).
				req = sent
				req.MID, req.Cookie = s.NextMID, true
				s.NextMID++
			case sent.Kind == KNewChild && t.Outcome == OK:
				x.newChild(b, p, sent.New, id, sent.New)
			case sent.Kind == KRekeyIKE && (t.Outcome == IKERekeyed || t.Outcome == LostCollision):
				if f.RekeyOK {
					x.bornOfRekey(b, p, m.New, Initiator)
				}
				if t.Outcome == IKERekeyed {
					handOver(pe, id, m.New)
					if n := s.PeerRekey; n != 0 && f.Collision {
						pe.SA[n].Redundant = true // the peer deletes it; we do if it never does
					}
					req = newReq(INFORMATIONAL, KDelIKE) // RFC7296-2.8-6: the last request on the old SA
				} else {
					handOver(pe, id, s.PeerRekey)
					if f.RekeyOK {
						n := m.New
						after = append(after, func() {
							// Our redundant new IKE SA is deleted by us (2.8.2).
							b.w.P[p].SA[n].Redundant = true
							for _, b2 := range x.event(b.w, p, n, INFORMATIONAL, CmdTerminate, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
								b.w, b.send = b2.w, append(b.send, b2.send...)
								break
							}
						})
					}
				}
				s.Rekey = 0
			case sent.Kind == KRekeyIKE:
				s.Rekey = 0 // refused: the IKE SA stays as it is
			case sent.Kind == KRekeyChild && t.Outcome == OK:
				x.completeChildRekey(b, p, id, m, &after)
			case sent.Kind == KRekeyChild:
				x.childRekeyFailed(b, p, sent.Arg)
			}
		case INFORMATIONAL:
			// Our Delete of a Child SA is answered (with its partner's
			// Delete, or empty if the peer was deleting it too).
			if sent.Kind == KDelChild {
				if c := pe.Ch[sent.Arg]; c.Owner == id && c.State == ChildDeleting {
					x.childTo(b, p, sent.Arg, ChildRemoved)
				}
			}
		}
	case Inherit:
	}
	s.State = t.To
	switch t.Send {
	case SendRequest:
		if req.Kind == KNone {
			b.viol = "the table's sends match the exchange: " + t.String() + " sends a request the peer has none for"
			break
		}
		if req.Key != 0 {
			if req.MID+1 <= s.SentMID && req.MID != s.Out.MID {
				b.viol = fmt.Sprintf("message IDs never repeat under one key: %v sends #%d after #%d under k%d", t, req.MID, s.SentMID-1, req.Key)
			}
			if req.MID+1 > s.SentMID {
				s.SentMID = req.MID + 1
			}
		}
		s.Out, s.Tries = req, 0
		b.send = append(b.send, req)
	case SendResponse:
		if resp.Kind == KNone {
			b.viol = "the table's sends match the exchange: " + t.String() + " answers with nothing"
			break
		}
		if m.X != IKE_SA_INIT {
			s.Resp = resp
		} else if t.Outcome == OK {
			s.Resp = resp
		}
		b.send = append(b.send, resp)
	}
	switch {
	case t.To == Established && id == 1 && (t.Exchange == IKE_AUTH):
		w.Up = true
	case t.Event == TimerGiveUp || t.Outcome == AuthFailed || t.Outcome == Refused && (t.Exchange == IKE_SA_INIT || t.Exchange == IKE_AUTH):
		w.Closed = true
	case t.Event == CmdTerminate && !s.Redundant:
		w.Closed = true // the operator's (a redundant SA's delete is the rekey's)
	}
	if t.To == Deleted {
		// The peer deleted the old IKE SA before our rekey completed: the
		// new IKE SA of its rekey inherits the Child SAs (2.8.2).
		if n := s.PeerRekey; n != 0 && pe.SA[n].State == Established {
			handOver(pe, id, n)
		}
		// The IKE SA is gone, and its Child SAs with it.
		for c := uint8(1); c < nChild; c++ {
			if ch := pe.Ch[c]; ch.Owner == id && ch.State != ChildNone && ch.State != ChildDeleted {
				x.childTo(b, p, c, ChildRemoved)
			}
		}
		s.Out, s.Resp, s.Tries = Msg{}, Msg{}, 0
	}
	for _, f := range after {
		f()
	}
}

// childTo moves a Child SA through the Spec's Child table; an event it does
// not allow is a violation.
func (x *explorer) childTo(b *branch, p int, c uint8, ev ChildEvent) {
	ch := &b.w.P[p].Ch[c]
	t, ok := x.child[[2]uint8{uint8(ch.State), uint8(ev)}]
	if !ok {
		if b.viol == "" {
			b.viol = fmt.Sprintf("Child SA table complete: no row for Child SA %d %v in %v", c, ev, ch.State)
		}
		return
	}
	if !x.verbose {
		x.childUsed[[2]uint8{uint8(t.From), uint8(t.Event)}]++
	}
	ch.State = t.To
}

func (x *explorer) newChild(b *branch, p int, c, owner, cfg uint8) {
	ch := &b.w.P[p].Ch[c]
	if ch.State == ChildDeleted {
		b.viol = fmt.Sprintf("Child SA IDs never reused: Child SA %d again", c)
		return
	}
	ch.Owner, ch.Cfg = owner, cfg
	x.childTo(b, p, c, ChildNegotiated)
}

// bornOfRekey makes IKE SA id of a rekey at end p, ESTABLISHED by the
// table's Inherit row, with the old SA's authentication.
func (x *explorer) bornOfRekey(b *branch, p int, id uint8, role Role) {
	s := &b.w.P[p].SA[id]
	if s.State != Idle {
		b.viol = fmt.Sprintf("IKE SA IDs never reused: IKE SA %d again", id)
		return
	}
	*s = absSA{Role: role, Key: 100 + id, PeerAuth: true}
	for _, b2 := range x.event(b.w, p, id, CREATE_CHILD_SA, Inherit, Facts{Outcomes: []Outcome{OK}}, Msg{}) {
		b.w = b2.w
		break
	}
}

func handOver(pe *absPeer, from, to uint8) {
	if to == 0 {
		return
	}
	for c := range pe.Ch {
		if pe.Ch[c].Owner == from && pe.Ch[c].State != ChildNone && pe.Ch[c].State != ChildDeleted {
			pe.Ch[c].Owner = to
		}
	}
}

// completeChildRekey: our rekey of a Child SA was answered (2.8, 2.8.1).
func (x *explorer) completeChildRekey(b *branch, p int, id uint8, m Msg, after *[]func()) {
	pe := &b.w.P[p]
	x.newChild(b, p, m.New, id, pe.Ch[m.Arg].Cfg)
	old := &pe.Ch[m.Arg]
	gone := old.State == ChildNone || old.State == ChildDeleted
	del := m.Arg
	switch {
	case old.PeerRekey != 0 && old.Nonce < old.PeerNonce:
		// A collision and ours holds the lowest nonce: our new pair is
		// redundant and we delete it (2.8.1), whether or not the old one
		// is still there.
		del = m.New
		if old.State == ChildRekeying {
			x.childTo(b, p, m.Arg, ChildReplaced)
		}
	case gone:
		if old.PeerRekey != 0 {
			pe.Ch[old.PeerRekey].Redundant = true
		}
		return // the peer deleted it meanwhile: the new pair stands alone
	default:
		if old.PeerRekey != 0 {
			pe.Ch[old.PeerRekey].Redundant = true // the peer deletes it; we do if it never does
		}
		x.childTo(b, p, m.Arg, ChildReplaced)
	}
	*after = append(*after, func() {
		for _, b2 := range x.event(b.w, p, id, INFORMATIONAL, CmdChildDelete, Facts{Outcomes: []Outcome{OK}}, Msg{Arg: del}) {
			b.w, b.send = b2.w, append(b.send, b2.send...)
			if b2.viol != "" && b.viol == "" {
				b.viol = b2.viol
			}
			break
		}
	})
}

func (x *explorer) childRekeyFailed(b *branch, p int, c uint8) {
	pe := &b.w.P[p]
	ch := &pe.Ch[c]
	if ch.State != ChildRekeying {
		return // gone meanwhile
	}
	if ch.PeerRekey != 0 && pe.Ch[ch.PeerRekey].State.Usable() {
		x.childTo(b, p, c, ChildReplaced) // the peer's rekey of it stands (2.8.1)
	} else {
		x.childTo(b, p, c, ChildRekeyFailed)
	}
}

// Key returns a stable 64-bit fingerprint of w's encoding (for tests).
func (w *World) encode() []byte { return appendWorld(nil, w) }

var _ = binary.BigEndian
