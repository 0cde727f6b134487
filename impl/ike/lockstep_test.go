package ike_test

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/proptest"
	"github.com/ikev2ref/ikev2ref/model"
)

// TestLockstep holds the engine to the model (model.System): gopter
// generates traces of moves — deliver, lose or duplicate a message in
// flight (in any order), let a timer fire, or an operator's command (rekey
// a Child SA or the IKE SA, delete a Child SA or the IKE SA) at either end
// — and after every move on the two engines over the in-memory network the
// model must be able to make the same move with the same observable
// outcome: the kinds of the messages sent (exchange, request or response,
// what they carry) and both ends' abstract states (each IKE SA's state with
// its Child SAs' states). The model is nondeterministic (it does not know
// the engines' nonces), so it keeps every state consistent with what it saw;
// the trace fails when none is left, and the failure shows the step, the
// engine's view and the model's candidates.
//
// Not compared: unauthenticated error answers (INVALID_IKE_SPI and the
// like, which the abstract peers do not send) are taken off the network;
// timers fire only when nothing is in flight (the model's assumption that
// long deadlines outlast any message in the network).
func TestLockstep(t *testing.T) {
	params := proptest.Parameters(t)
	if os.Getenv("IKEV2REF_PROP_TESTS") == "" {
		params.MinSuccessfulTests = 500
		if testing.Short() {
			params.MinSuccessfulTests = 50
		}
	}
	var st lockStats
	props := gopter.NewProperties(params)
	props.Property("engine and model in lockstep", prop.ForAll(
		func(ops []uint16) string { return lockstep(&st, ops) },
		gen.SliceOfN(80, gen.UInt16()),
	))
	props.TestingRun(t)
	t.Logf("%d traces, %d steps judged; %d traces established the IKE SA; moves seen: %v", st.traces, st.steps, st.established, st.seen)
	// The traces must exercise the protocol, not only lose packets.
	for _, w := range []string{"CREATE_CHILD_SA request REKEY_CHILD", "CREATE_CHILD_SA request REKEY_IKE",
		"INFORMATIONAL request DELETE", "CREATE_CHILD_SA response TEMPORARY_FAILURE", "IKE_AUTH response AUTH"} {
		if st.seen[w] == 0 {
			t.Errorf("no trace sent %s", w)
		}
	}
	if st.established*2 < st.traces {
		t.Errorf("only %d of %d traces established the IKE SA", st.established, st.traces)
	}
}

// lockStats count what the traces did.
type lockStats struct {
	traces, steps, established int
	seen                       map[string]int
}

// lockstepScenario is what the model may do; the engines are configured
// to match (PSK, retransmitTries retransmissions, no liveness checks, no
// lifetimes).
const retransmitTries = 2

var lockstepScenario = model.Scenario{Name: "lockstep", Losses: 255, Dups: 255, Retries: retransmitTries, Cmds: 255,
	RekeyChild: true, RekeyIKE: true, DeleteChild: true, DeleteAnyChild: true, Terminate: true, TerminateAny: true, LateInit: true}

type lockRun struct {
	p      *pairT
	sys    *model.System
	class  map[string]string // packet bytes -> class
	logPos [2]int
	seq    int // the highest packet Seq classified
	trace  []string
	stats  *lockStats
	up     bool
}

func lockstep(st *lockStats, ops []uint16) (fail string) {
	l, r := left(), right()
	for _, s := range []*side{&l, &r} {
		s.cfgTweak = func(c *ike.Config) { c.RetransmitTries = retransmitTries }
	}
	tt := &testing.T{}
	x := &lockRun{p: newPair(tt, l, r), sys: model.NewSystem(model.DefaultSpec(), lockstepScenario), class: map[string]string{}}
	if st.seen == nil {
		st.seen = map[string]int{}
	}
	x.stats = st
	st.traces++
	defer func() {
		if fail != "" {
			fail += "\ntrace:\n  " + strings.Join(x.trace, "\n  ")
			if os.Getenv("IKEV2REF_LOCKSTEP_LOGS") != "" {
				fail += "\nleft log:\n" + x.p.logL.String() + "\nright log:\n" + x.p.logR.String()
			}
		}
	}()
	nodes := [2]*iketest.Node{x.p.l, x.p.r}
	// The first move: the initiator starts.
	if f := x.step("left initiates", model.MoveCommand, model.CmdInitiate, 0, func() {
		acts, err := x.p.l.Engine.Initiate(x.p.net.Now, "lab", "net")
		if err != nil {
			panic(err)
		}
		x.p.net.Do(x.p.l, acts)
	}); f != "" {
		return f
	}
	for _, op := range ops {
		n := len(x.p.net.InFlight)
		k := int(op % 8)
		if n == 0 && k < 6 {
			k = 6 + int(op/8)%2
		}
		if n >= 3 && k >= 5 || n > 0 && k == 6 {
			// A bounded network: deliver or lose. Timers fire only with
			// nothing in flight (the model's assumption that deadlines
			// outlast messages in the network).
			k = int(op/8) % 5
		}
		var f string
		switch {
		case k <= 3:
			f = x.packet(int(op/8)%n, model.MoveDeliver)
		case k == 4:
			f = x.packet(int(op/8)%n, model.MoveLose)
		case k == 5:
			f = x.packet(int(op/8)%n, model.MoveDuplicate)
		case k == 6:
			f = x.timer(nodes)
		default:
			f = x.command(nodes, int(op/8)%2, int(op/16)%4)
		}
		if f != "" {
			return f
		}
	}
	// Let it settle: everything delivered, every timer run out.
	for range 200 {
		if len(x.p.net.InFlight) > 0 {
			if f := x.packet(0, model.MoveDeliver); f != "" {
				return f
			}
			continue
		}
		if _, ok := nextDeadline(nodes); !ok {
			break
		}
		if f := x.timer(nodes); f != "" {
			return f
		}
	}
	return ""
}

func nextDeadline(nodes [2]*iketest.Node) (int, bool) {
	best, ok := -1, false
	var at time.Time
	for i, nd := range nodes {
		if d, has := nd.Engine.NextTimeout(); has && (!ok || d.Before(at)) {
			best, at, ok = i, d, true
		}
	}
	return best, ok
}

// packet delivers, loses or duplicates the i-th message in flight.
func (x *lockRun) packet(i int, kind model.MoveKind) string {
	pk := x.p.net.InFlight[i]
	cls := x.class[string(pk.Data)]
	from := 0
	if pk.From.Addr() == x.p.r.Addr {
		from = 1
	}
	what := map[model.MoveKind]string{model.MoveDeliver: "deliver", model.MoveLose: "lose", model.MoveDuplicate: "duplicate"}[kind]
	return x.stepMsg(fmt.Sprintf("%s %s -> %s", what, []string{"left", "right"}[from], cls), kind, 1-from, cls, func() {
		switch kind {
		case model.MoveDeliver:
			x.p.net.Deliver(i)
		case model.MoveLose:
			x.p.net.Drop(i)
		default:
			x.p.net.Duplicate(i)
		}
	})
}

// timer lets the earliest timer of either engine fire.
func (x *lockRun) timer(nodes [2]*iketest.Node) string {
	i, ok := nextDeadline(nodes)
	if !ok {
		return ""
	}
	at, _ := nodes[i].Engine.NextTimeout()
	return x.step(fmt.Sprintf("%s's timer fires", nodes[i].Name), model.MoveTimer, 0, i, func() {
		if at.After(x.p.net.Now) {
			x.p.net.Now = at
		}
		x.p.net.Do(nodes[i], nodes[i].Engine.Tick(x.p.net.Now))
	})
}

// command is an operator's command at end i; one the model does not allow
// there (or the engine refuses) is skipped.
func (x *lockRun) command(nodes [2]*iketest.Node, i, c int) string {
	nd := nodes[i]
	now := x.p.net.Now
	var ev model.Event
	var f func() ([]ike.Action, error)
	switch c {
	case 0:
		ev, f = model.RekeyChild, func() ([]ike.Action, error) { return nd.Engine.Rekey(now, "lab", "net", false) }
	case 1:
		ev, f = model.RekeyIKE, func() ([]ike.Action, error) { return nd.Engine.Rekey(now, "lab", "", true) }
	case 2:
		// The engine deletes every installed pair of the Child SA in one
		// Delete; the model one pair per Delete: only with one pair.
		n := 0
		for _, sa := range nd.Engine.SAs() {
			for _, c := range sa.Children {
				if c.State == model.ChildInstalled.String() {
					n++
				}
			}
		}
		if n != 1 {
			return ""
		}
		ev, f = model.CmdChildDelete, func() ([]ike.Action, error) { return nd.Engine.TerminateChild(now, "lab", "net") }
	default:
		ev, f = model.CmdTerminate, func() ([]ike.Action, error) { return nd.Engine.Terminate(now, "lab") }
	}
	allowed := false
	for _, c := range x.sys.Candidates() {
		allowed = allowed || (c.Kind == model.MoveCommand && c.Event == ev && c.Peer == i)
	}
	if !allowed {
		return ""
	}
	var acts []ike.Action
	var err error
	snap := x.p.net.Now
	_ = snap
	acts, err = f()
	if err != nil || len(acts) == 0 {
		// The engine refuses (or defers) what the model would do now: the
		// model's move must then also be one that sends nothing and
		// changes no view; skip it rather than guess.
		return ""
	}
	return x.step(fmt.Sprintf("%s: %v", nd.Name, ev), model.MoveCommand, ev, i, func() { x.p.net.Do(nd, acts) })
}

var sendingRE = regexp.MustCompile(`sending (\S+) (request|response) (\d+) \[ (.*?) ?\]`)

// classify gives every new packet in flight its class, from the sending
// engine's log line for it (a retransmission has the bytes of a packet
// classified before). Unauthenticated error answers are taken off the
// network (see TestLockstep).
func (x *lockRun) classify() ([]string, error) {
	logs := [2]*bytes.Buffer{x.p.logL, x.p.logR}
	var lines [2][]string
	for i, lg := range logs {
		s := lg.String()
		for _, l := range strings.Split(s[x.logPos[i]:], "\n") {
			if m := sendingRE.FindStringSubmatch(l); m != nil {
				lines[i] = append(lines[i], l)
			}
		}
		x.logPos[i] = len(s)
	}
	var sent []string
	keep := x.p.net.InFlight[:0]
	for _, pk := range x.p.net.InFlight {
		if pk.Seq <= x.seq {
			keep = append(keep, pk)
			continue
		}
		x.seq = pk.Seq
		cls, ok := x.class[string(pk.Data)] // a retransmission
		if !ok {
			h, _, _, err := wire.DecodeHeader(pk.Data)
			if err != nil {
				return nil, fmt.Errorf("undecodable packet %v: %v", pk, err)
			}
			from := 0
			if pk.From.Addr() == x.p.r.Addr {
				from = 1
			}
			dir := "request"
			if h.Flags.Response() {
				dir = "response"
			}
			for j, l := range lines[from] {
				m := sendingRE.FindStringSubmatch(l)
				if m[1] == h.Exchange.String() && m[2] == dir && m[3] == fmt.Sprint(h.MessageID) {
					cls = engineClass(m[1], m[2], m[4])
					lines[from] = append(lines[from][:j], lines[from][j+1:]...)
					break
				}
			}
			if cls == "" {
				return nil, fmt.Errorf("no log line for %v", pk)
			}
			x.class[string(pk.Data)] = cls
		}
		if strings.HasSuffix(cls, " UNAUTHENTICATED") {
			continue // not modelled: off the network
		}
		sent = append(sent, cls)
		keep = append(keep, pk)
	}
	x.p.net.InFlight = keep
	sort.Strings(sent)
	return sent, nil
}

// engineClass maps the engine's payload list to model.Msg.Class.
func engineClass(x, dir, pl string) string {
	has := func(s string) bool { return strings.Contains(" "+pl+" ", " "+s+" ") }
	c := "ERROR"
	switch x {
	case "IKE_SA_INIT":
		switch {
		case dir == "request":
			c = "INIT"
		case has("N(COOKIE)"):
			c = "COOKIE"
		case has("N(INVALID_KE_PAYLOAD)"):
			c = "INVALID_KE"
		case has("SA"):
			c = "INIT"
		}
	case "IKE_AUTH":
		switch {
		case has("N(AUTHENTICATION_FAILED)"):
			c = "AUTH_FAILED"
		case dir == "request" || has("AUTH") && has("SA"):
			c = "AUTH"
		case has("AUTH"):
			c = "AUTH_NO_CHILD"
		}
	case "CREATE_CHILD_SA":
		switch {
		case has("N(TEMPORARY_FAILURE)"):
			c = "TEMPORARY_FAILURE"
		case has("N(CHILD_SA_NOT_FOUND)"):
			c = "CHILD_SA_NOT_FOUND"
		case has("N(INVALID_KE_PAYLOAD)"):
			c = "INVALID_KE"
		case dir == "request" && has("N(REKEY_SA)"):
			c = "REKEY_CHILD"
		case dir == "request" && has("TSi"):
			c = "NEW_CHILD"
		case dir == "response" && has("TSi"):
			c = "CHILD"
		case has("SA"):
			c = "REKEY_IKE"
		}
	case "INFORMATIONAL":
		switch {
		case has("D"):
			c = "DELETE"
		case strings.TrimSpace(pl) == "":
			c = "EMPTY"
		case has("N(INVALID_SPI)"):
			c = "INVALID_SPI"
		}
	}
	if !has("SK") && x != "IKE_SA_INIT" && !has("SKF") && (has("N(INVALID_IKE_SPI)") || has("N(INVALID_SYNTAX)") || has("N(INVALID_MAJOR_VERSION)")) {
		c += " UNAUTHENTICATED"
	}
	return x + " " + dir + " " + c
}

// views are both engines' abstract states, as model.System shows them.
func (x *lockRun) views() [2]string {
	var out [2]string
	for i, nd := range []*iketest.Node{x.p.l, x.p.r} {
		var sas []string
		for _, sa := range nd.Engine.SAs() {
			var ch []string
			for _, c := range sa.Children {
				ch = append(ch, c.State)
			}
			sort.Strings(ch)
			sas = append(sas, fmt.Sprintf("%s[%s]", sa.State, strings.Join(ch, ",")))
		}
		sort.Strings(sas)
		out[i] = strings.Join(sas, " ")
	}
	return out
}

func (x *lockRun) step(what string, kind model.MoveKind, ev model.Event, peer int, do func()) string {
	return x.judge(what, kind != model.MoveDeliver, do, func(c model.Candidate) bool {
		if c.Peer != peer {
			return false
		}
		if kind == model.MoveTimer {
			// The engine's timers: retransmission, give-up, expiry, and the
			// retry of a rekey refused with TEMPORARY_FAILURE
			// (RFC7296-2.25-2), which the model's operator makes.
			return c.Kind == model.MoveRetransmit || c.Kind == model.MoveTimer ||
				c.Kind == model.MoveCommand && (c.Event == model.RekeyIKE || c.Event == model.RekeyChild)
		}
		return c.Kind == kind && (ev == 0 || c.Event == ev)
	})
}

func (x *lockRun) stepMsg(what string, kind model.MoveKind, to int, cls string, do func()) string {
	return x.judge(what, false, do, func(c model.Candidate) bool {
		if c.Kind != kind || c.Msg.Class() != cls {
			return false
		}
		if kind == model.MoveDeliver {
			return c.Peer == to
		}
		return true
	})
}

// stutter keeps the model where it is if the engines' step changed
// nothing the model observes (a timer that finds nothing to do).
func (x *lockRun) stutter(v [2]string) bool {
	before := len(x.sys.Views(0))
	n := x.sys.Stutter(v[0], v[1])
	return n > 0 && n <= before
}

// judge performs the move on the engines and keeps the model states whose
// matching move has the same outcome.
func (x *lockRun) judge(what string, multi bool, do func(), match func(model.Candidate) bool) string {
	do()
	sent, err := x.classify()
	if err != nil {
		return what + ": " + err.Error()
	}
	v := x.views()
	x.trace = append(x.trace, fmt.Sprintf("%s => sent %v; left %q, right %q", what, sent, v[0], v[1]))
	x.stats.steps++
	for _, c := range sent {
		x.stats.seen[c]++
	}
	if !x.up && strings.Contains(v[0], "ESTABLISHED") && strings.Contains(v[1], "ESTABLISHED") {
		x.up = true
		x.stats.established++
	}
	var keep, tried []model.Candidate
	same := func(c model.Candidate) bool {
		var cs []string
		for _, m := range c.Sends {
			cs = append(cs, m.Class())
		}
		sort.Strings(cs)
		return strings.Join(cs, ";") == strings.Join(sent, ";") && c.View(0) == v[0] && c.View(1) == v[1]
	}
	for _, c := range x.sys.Candidates() {
		if !match(c) {
			continue
		}
		tried = append(tried, c)
		if same(c) {
			if c.Viol != "" {
				return fmt.Sprintf("%s: the model's matching move breaks a property: %s", what, c.Viol)
			}
			keep = append(keep, c)
		}
	}
	// One step of the engine may be up to three of the model: a command
	// that closes every IKE SA of the connection, timers due at once.
	for depth, layer := 2, tried; len(keep) == 0 && multi && depth <= 3; depth++ {
		var next []model.Candidate
		for _, c := range layer {
			for _, c2 := range x.sys.Then(c) {
				if !match(c2) || c2.Viol != "" {
					continue
				}
				next = append(next, c2)
				if same(c2) {
					keep = append(keep, c2)
				}
			}
		}
		layer = next
	}
	if len(keep) == 0 && len(sent) == 0 && x.stutter(v) {
		return "" // nothing observable happened, in the model too
	}
	if len(keep) == 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: the model cannot follow the engine\n  engine sent %v; left %q, right %q\n  model candidates (%d):", what, sent, v[0], v[1], len(tried))
		for _, c := range tried {
			var cs []string
			for _, m := range c.Sends {
				cs = append(cs, m.Class())
			}
			fmt.Fprintf(&b, "\n    %s => sent %v; left %q, right %q", c.Desc, cs, c.View(0), c.View(1))
		}
		return b.String()
	}
	x.sys.Keep(keep)
	if p := x.sys.Check(); p != "" {
		return what + ": " + p
	}
	return ""
}
