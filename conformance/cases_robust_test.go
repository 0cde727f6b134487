package conformance

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// robustExpected is what each ROBUST case gives against refserver: PASS,
// except the SKIPs listed with their reason.
var robustExpected = map[string]Verdict{
	// IUT-as-initiator case: refserver's profile claims neither the
	// initiator role nor EAP nor an operator trigger.
	"ROBUST-037": Skip,
}

func TestRobustCasesAgainstRefserver(t *testing.T) {
	cases, err := Select("ROBUST-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("%d ROBUST cases, want at least 30", len(cases))
	}
	target, _ := startRefserver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Config{Target: target, Profile: refserverProfile(t), Cases: cases, CaseTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		want, ok := robustExpected[r.ID]
		if !ok {
			want = Pass
		}
		t.Logf("%s %-5s %5.1fs %s", r.ID, r.Verdict, r.Duration.Seconds(), r.Title)
		if testing.Verbose() {
			t.Logf("%s", strings.Join(r.Log, "\n"))
		}
		if r.Verdict != want {
			t.Errorf("%s: %s, want %s: %s\n%s\n%s", r.ID, r.Verdict, want, r.Reason, r.Diff, strings.Join(r.Log, "\n"))
		}
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the ROBUST group took %v, want well under 60 s", d)
	}
}

// TestRobustResponderAgainstPeer checks the tester's minimal responder of
// ROBUST-037 (which refserver, a responder only, cannot exercise) against
// the tester's own initiator: the IKE_SA_INIT answer gives both sides the
// same keys, and a protected request is opened and answered.
func TestRobustResponderAgainstPeer(t *testing.T) {
	port := freeUDPPorts(t, 1)[0]
	target := Target{Addr: netip.MustParseAddr("127.0.0.1"), IKEPort: port, NATTPort: port}
	c := &Case{ID: "TEST-R01", Title: "robust responder", Role: IUTResponder,
		Run: func(t *T) {
			r := listenResponder(t)
			done := make(chan string, 1)
			go func() {
				defer func() { done <- "responder ended early" }()
				req := r.recv(time.Now().Add(5*time.Second), func(m *Msg) bool {
					return m.Err == nil && m.Header.Exchange == wire.IKE_SA_INIT && !m.IsResponse()
				})
				if req == nil {
					return
				}
				r.answerInit(req)
				info := r.recv(time.Now().Add(5*time.Second), func(m *Msg) bool {
					return m.Encrypted && m.Header.Exchange == wire.INFORMATIONAL && !m.IsResponse()
				})
				if info == nil {
					return
				}
				r.seal(wire.INFORMATIONAL, wire.FlagResponse, info.Header.MessageID, nil)
				done <- "ok"
			}()
			p := Dial(t)
			m := p.Init(InitOptions{})
			t.Require(1, "the responder's IKE_SA_INIT answer gives the initiator keys", m != nil && m.Err == nil && p.Established(), "SA KE No", m.Summary())
			m = p.Liveness()
			t.Check(2, "a protected request is opened and answered", m != nil && m.Encrypted && m.Err == nil, "INFORMATIONAL response 1 [ ]", m.Summary())
			t.Judge(3, "the responder finished", "ok", <-done)
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{Target: target, Profile: refserverProfile(t), Cases: []*Case{c}, CaseTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Verdict != Pass {
		t.Errorf("%s: %s\n%s", res[0].Verdict, res[0].Reason, strings.Join(res[0].Log, "\n"))
	}
}
