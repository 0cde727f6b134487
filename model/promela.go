package model

import (
	"fmt"
	"sort"
	"strings"
)

// PromelaBudget is how many operator commands, timer expiries and
// retransmissions each end may fire in the Promela model: the bound that
// keeps its state space finite and small.
const PromelaBudget = 3

// PromelaChannel is the capacity of each direction of the model's network.
const PromelaChannel = 2

// PromelaProperty is one safety property the Promela model asserts on every
// transition it takes. Expr is a Promela expression over the taken row:
// pr (role), pf (from), px (exchange), pe (event), po (outcome), pt (to),
// ps (send), psx (exchange of the request sent) and ptm (timer left).
type PromelaProperty struct {
	ID   string
	Text string
	Expr string
}

const (
	afterAuth = "(pf == S_ESTABLISHED || pf == S_REKEYED || pf == S_DELETING)"
	setupFrom = "(pf == S_IDLE || pf == S_INIT_SENT || pf == S_INIT_DONE || pf == S_AUTH_SENT)"
	recvEvent = "(pe == E_RECV_REQUEST || pe == E_RECV_RESPONSE)"
)

// PromelaProperties are the assertions of the Promela model, in the order
// they are checked. Besides these, spin's default check of a safety run
// finds invalid end states: every process must be at its end label (the
// head of its event loop) when nothing can move any more.
var PromelaProperties = []PromelaProperty{
	{"a", "the responder enters ESTABLISHED only from INIT_DONE on an IKE_AUTH request, or from IDLE by inheriting a rekeyed IKE SA (1.2, 2.8)",
		"!(pr == R_RESPONDER && pt == S_ESTABLISHED && pf != S_ESTABLISHED) || (pf == S_INIT_DONE && px == X_IKE_AUTH && pe == E_RECV_REQUEST) || (pf == S_IDLE && pe == E_INHERIT)"},
	{"a'", "the initiator enters ESTABLISHED only from AUTH_SENT on an IKE_AUTH response, or from IDLE by inheriting a rekeyed IKE SA (1.2, 2.8)",
		"!(pr == R_INITIATOR && pt == S_ESTABLISHED && pf != S_ESTABLISHED) || (pf == S_AUTH_SENT && px == X_IKE_AUTH && pe == E_RECV_RESPONSE) || (pf == S_IDLE && pe == E_INHERIT)"},
	{"b", "no CREATE_CHILD_SA request or response is processed, and no CREATE_CHILD_SA request sent, outside ESTABLISHED, REKEYED and DELETING (1.3)",
		"!((px == X_CREATE_CHILD_SA && " + recvEvent + ") || (ps == SEND_REQUEST && psx == X_CREATE_CHILD_SA)) || " + afterAuth},
	{"c", "DELETED is terminal: no transition leaves it", "pf != S_DELETED"},
	{"e", "a response is sent exactly when a request is processed: every request taken is answered, nothing else is (2.21.3, 3.1)",
		"(ps == SEND_RESPONSE) == (pe == E_RECV_REQUEST)"},
	{"f", "IKE_SA_INIT and IKE_AUTH messages are processed only before the IKE SA is established (1.2)",
		"!(" + recvEvent + " && (px == X_IKE_SA_INIT || px == X_IKE_AUTH)) || " + setupFrom},
	{"g", "the initiator never holds a half-open INIT_DONE SA; the responder is never in INIT_SENT or AUTH_SENT (2.2)",
		"!(pr == R_INITIATOR && pt == S_INIT_DONE) && !(pr == R_RESPONDER && (pt == S_INIT_SENT || pt == S_AUTH_SENT))"},
	{"h", "before ESTABLISHED only the initiator sends requests, and only IKE_SA_INIT and IKE_AUTH; after it, never those two (1.2, 2.2)",
		"ps != SEND_REQUEST || (" + afterAuth + " && psx != X_IKE_SA_INIT && psx != X_IKE_AUTH) || (pr == R_INITIATOR && !" + afterAuth + " && (psx == X_IKE_SA_INIT || psx == X_IKE_AUTH))"},
	{"i", "a transition into DELETED leaves no timer running", "pt != S_DELETED || ptm == T_NONE"},
}

// timerNames name the Timer values in the Promela model.
var timerNames = [...]string{"NONE", "RETRANSMIT", "HALF_OPEN", "LIVENESS"}

func timerIdent(t Timer) string {
	if int(t) < len(timerNames) {
		return "T_" + timerNames[t]
	}
	return fmt.Sprintf("T_%d", t)
}

func stateIdent(s State) string { return "S_" + ident(s.String()) }
func exchangeIdent(x Exchange) string {
	if x == 0 {
		return "X_NONE"
	}
	return "X_" + ident(x.String())
}
func eventIdent(e Event) string {
	if int(e) < len(eventNames) {
		return "E_" + ident(e.String())
	}
	return fmt.Sprintf("E_%d", e)
}
func outcomeIdent(o Outcome) string {
	if int(o) < len(outcomeNames) {
		return "O_" + ident(o.String())
	}
	return fmt.Sprintf("O_%d", o)
}

var sendIdents = [...]string{"SEND_NOTHING", "SEND_REQUEST", "SEND_RESPONSE"}

// roleProc names the proctype and the inbound channel of a role.
func roleProc(r Role) (proc, in, out string) {
	if r == Initiator {
		return "initiator", "toI", "toR"
	}
	return "responder", "toR", "toI"
}

// message is an abstract IKE message on the model's network: an exchange
// and whether it is a request or a response.
type message struct {
	x        Exchange
	response bool
}

func (m message) kind() string {
	if m.response {
		return "K_RSP"
	}
	return "K_REQ"
}

// Promela renders rows as a Promela model of an initiator, a responder and
// the network between them, for spin to check the safety properties listed
// in PromelaProperties over every interleaving (RFC 7296 sections 1.2-1.4,
// 2.1-2.8, 2.21, 2.25).
//
// Each role is a proctype whose state is an IKE SA state and whose
// transitions are the role's rows. The engine's outcome is nondeterministic:
// every row matching the state, role, exchange and event may be taken. A
// row that sends puts an abstract message {exchange, request|response} into
// the peer's bounded channel; the network may lose any message and delivers
// them in any order (random receive ??). A response is taken only while a
// request of its exchange is outstanding (the message ID check of 2.2); a
// message no row accepts is dropped. Operator commands, timers (give-up,
// liveness) and retransmissions of outstanding requests fire
// nondeterministically, at most PromelaBudget times per end.
func Promela(rows []Transition) string {
	rows = sortedRows(rows)
	var b strings.Builder
	b.WriteString("/*\n * IKEv2 (RFC 7296) IKE SA life cycle: initiator x responder x network, generated from\n")
	b.WriteString(" * the transition table of package model by model.Promela. Regenerate: " + ExportCommand + "\n")
	b.WriteString(" * Check: spin -a ikev2.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan\n *\n")
	b.WriteString(" * Safety properties, asserted on every transition taken (inline check):\n")
	for _, p := range PromelaProperties {
		fmt.Fprintf(&b, " *  (%s) %s\n", p.ID, p.Text)
	}
	b.WriteString(" *  (d) no invalid end state: spin's default check; each process waits at end_loop\n */\n\n")

	// Constants: every known value of each enum, and any other the rows use.
	states := map[State]bool{}
	for s := Idle; s <= Deleted; s++ {
		states[s] = true
	}
	exchanges := map[Exchange]bool{0: true, IKE_SA_INIT: true, IKE_AUTH: true, CREATE_CHILD_SA: true, INFORMATIONAL: true}
	events := map[Event]bool{}
	for e := 1; e < len(eventNames); e++ {
		events[Event(e)] = true
	}
	outcomes := map[Outcome]bool{}
	for o := 1; o < len(outcomeNames); o++ {
		outcomes[Outcome(o)] = true
	}
	timers := map[Timer]bool{NoTimer: true, Retransmit: true, HalfOpen: true, Liveness: true}
	for _, t := range rows {
		states[t.From], states[t.To] = true, true
		exchanges[t.Exchange] = true
		events[t.Event], outcomes[t.Outcome], timers[t.Timer] = true, true, true
	}
	defines := func(comment string, vals []int, name func(int) string) {
		sort.Ints(vals)
		fmt.Fprintf(&b, "/* %s */\n", comment)
		for _, v := range vals {
			fmt.Fprintf(&b, "#define %s %d\n", name(v), v)
		}
		b.WriteString("\n")
	}
	defines("IKE SA states", keys(states), func(v int) string { return stateIdent(State(v)) })
	defines("exchanges (X_NONE: the row names none)", keys(exchanges), func(v int) string { return exchangeIdent(Exchange(v)) })
	defines("events", keys(events), func(v int) string { return eventIdent(Event(v)) })
	defines("outcomes", keys(outcomes), func(v int) string { return outcomeIdent(Outcome(v)) })
	defines("timers a transition leaves running", keys(timers), func(v int) string { return timerIdent(Timer(v)) })
	b.WriteString("/* what a transition sends */\n")
	for i, s := range sendIdents {
		fmt.Fprintf(&b, "#define %s %d\n", s, i)
	}
	fmt.Fprintf(&b, "\n/* roles, message kinds, bounds */\n#define R_INITIATOR %d\n#define R_RESPONDER %d\n", Initiator, Responder)
	fmt.Fprintf(&b, "#define K_REQ 1\n#define K_RSP 2\n#define BUDGET %d\n\n", PromelaBudget)

	fmt.Fprintf(&b, "/* the network: one bounded channel per direction, {exchange, kind} */\n")
	fmt.Fprintf(&b, "chan toI = [%d] of { byte, byte };\nchan toR = [%d] of { byte, byte };\n\n", PromelaChannel, PromelaChannel)

	b.WriteString("/* the state of each end, for the trail */\nbyte stI = S_IDLE;\nbyte stR = S_IDLE;\n\n")

	b.WriteString("/* a message into a channel, or lost by the network (always possible; forced when full) */\n")
	b.WriteString("inline send(c, sx, k) {\n\tif\n\t:: nfull(c) -> c ! sx, k\n\t:: true -> skip\n\tfi\n}\n\n")

	b.WriteString("/* the safety properties, on the row taken */\ninline check(pr, pf, px, pe, po, pt, ps, psx, ptm) {\n")
	for _, p := range PromelaProperties {
		fmt.Fprintf(&b, "\tassert(%s);\t/* (%s) */\n", p.Expr, p.ID)
	}
	b.WriteString("}\n\n")

	for _, role := range []Role{Initiator, Responder} {
		writeProc(&b, rows, role)
	}
	b.WriteString("init {\n\tatomic {\n\t\trun initiator();\n\t\trun responder()\n\t}\n}\n")
	return b.String()
}

func keys[K ~uint8](m map[K]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, int(k))
	}
	return out
}

// writeProc writes the proctype of one role.
func writeProc(b *strings.Builder, rows []Transition, role Role) {
	proc, in, out := roleProc(role)
	stVar := "stI"
	if role == Responder {
		stVar = "stR"
	}
	peer := Responder
	if role == Responder {
		peer = Initiator
	}
	var mine []Transition
	inbound := map[message]bool{}
	pendable := map[Exchange]bool{}
	for _, t := range rows {
		switch {
		case t.Role == role:
			mine = append(mine, t)
			if t.Send == SendRequest {
				pendable[requestExchange(rows, t)] = true
			}
		case t.Role == peer && t.Send == SendRequest:
			inbound[message{requestExchange(rows, t), false}] = true
		case t.Role == peer && t.Send == SendResponse:
			inbound[message{t.Exchange, true}] = true
		}
	}

	fmt.Fprintf(b, "proctype %s() {\n", proc)
	b.WriteString("\tbyte tm = T_NONE;\t/* the timer the last transition left */\n")
	b.WriteString("\tbyte pend = 0;\t/* bit x set: our request of exchange x awaits its response */\n")
	b.WriteString("\tbyte budget = BUDGET;\t/* commands, timers and retransmissions left */\n")
	b.WriteString("end_loop:\n\tdo\n")

	b.WriteString("\t/* operator commands and timers */\n")
	for _, t := range mine {
		if t.Event == RecvRequest || t.Event == RecvResponse {
			continue
		}
		fmt.Fprintf(b, "\t:: atomic { budget > 0 && %s == %s -> budget--;\n", stVar, stateIdent(t.From))
		writeRow(b, rows, t, stVar, out, "\t\t")
		b.WriteString("\t   }\n")
	}

	b.WriteString("\t/* messages from the peer, in any order; no row: dropped */\n")
	msgs := make([]message, 0, len(inbound))
	for m := range inbound {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool {
		if msgs[i].x != msgs[j].x {
			return msgs[i].x < msgs[j].x
		}
		return !msgs[i].response && msgs[j].response
	})
	for _, m := range msgs {
		ev := RecvRequest
		if m.response {
			ev = RecvResponse
		}
		fmt.Fprintf(b, "\t:: atomic { %s ?? %s, %s ->\n\t\tif\n", in, exchangeIdent(m.x), m.kind())
		for _, t := range mine {
			if t.Event != ev || t.Exchange != m.x {
				continue
			}
			guard := fmt.Sprintf("%s == %s", stVar, stateIdent(t.From))
			if m.response {
				guard += fmt.Sprintf(" && (pend & %d) != 0", 1<<uint(m.x))
			}
			fmt.Fprintf(b, "\t\t:: %s ->\n", guard)
			writeRow(b, rows, t, stVar, out, "\t\t\t")
		}
		b.WriteString("\t\t:: else -> skip\n\t\tfi\n\t   }\n")
	}

	b.WriteString("\t/* retransmission of an outstanding request (2.1, 2.4) */\n")
	px := keys(pendable)
	sort.Ints(px)
	for _, x := range px {
		fmt.Fprintf(b, "\t:: atomic { budget > 0 && %s != S_DELETED && (pend & %d) != 0 -> budget--; send(%s, %s, K_REQ) }\n",
			stVar, 1<<uint(x), out, exchangeIdent(Exchange(x)))
	}
	b.WriteString("\tod\n}\n\n")
}

// writeRow writes the effect of taking row t: the check of the properties,
// the new state and timer, and the message sent.
func writeRow(b *strings.Builder, rows []Transition, t Transition, stVar, out, indent string) {
	sx := Exchange(0)
	if t.Send == SendRequest {
		sx = requestExchange(rows, t)
	}
	role := "R_INITIATOR"
	if t.Role == Responder {
		role = "R_RESPONDER"
	}
	fmt.Fprintf(b, "%s/* %v */\n", indent, t)
	fmt.Fprintf(b, "%scheck(%s, %s, %s, %s, %s, %s, %s, %s, %s);\n", indent, role, stateIdent(t.From), exchangeIdent(t.Exchange),
		eventIdent(t.Event), outcomeIdent(t.Outcome), stateIdent(t.To), sendIdents[t.Send], exchangeIdent(sx), timerIdent(t.Timer))
	if t.Event == RecvResponse {
		fmt.Fprintf(b, "%spend = pend & ~%d;\n", indent, 1<<uint(t.Exchange))
	}
	fmt.Fprintf(b, "%s%s = %s; tm = %s", indent, stVar, stateIdent(t.To), timerIdent(t.Timer))
	switch t.Send {
	case SendRequest:
		fmt.Fprintf(b, ";\n%spend = pend | %d; send(%s, %s, K_REQ)\n", indent, 1<<uint(sx), out, exchangeIdent(sx))
	case SendResponse:
		fmt.Fprintf(b, ";\n%ssend(%s, %s, K_RSP)\n", indent, out, exchangeIdent(t.Exchange))
	default:
		b.WriteString("\n")
	}
}
