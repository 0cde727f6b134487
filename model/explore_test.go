package model

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The explorer's full run: every scenario, every reachable state, every
// property (TestExplore), then the proof that the checker can fail: the
// seeded bugs (TestSeededBugs), each found with a counterexample ladder.

var (
	fullOnce sync.Once
	fullRes  []Result
)

// fullRun explores every scenario once per test binary, two at a time.
func fullRun() []Result {
	fullOnce.Do(func() {
		fullRes = make([]Result, len(Scenarios))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		for i, sc := range Scenarios {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				fullRes[i] = Explore(DefaultSpec(), sc)
			}()
		}
		wg.Wait()
	})
	return fullRes
}

// TestExplore: no property fails in any scenario, and together the
// scenarios take every row of the tables the abstract peers can reach.
func TestExplore(t *testing.T) {
	total := 0
	for _, r := range fullRun() {
		t.Log(r)
		total += r.States
		if r.Violation != nil {
			t.Errorf("%s:\n%s", r.Scenario, r.Violation.Ladder())
		}
		if r.States < 100 || r.Quiescent == 0 {
			t.Errorf("%s: %d states, %d quiescent: the scenario explores nothing", r.Scenario, r.States, r.Quiescent)
		}
	}
	t.Logf("%d states in %d scenarios", total, len(Scenarios))
}

// notExplored are the rows the abstract peers never take, each with why.
// The abstract peers send one request at a time per IKE SA and keep no
// queue of requests (the engine queues them behind its window of one).
var notExplored = func() map[RowKey]string {
	m := map[RowKey]string{}
	for _, r := range []Role{Initiator, Responder} {
		for _, o := range []Outcome{OK, ChildFailed} {
			m[RowKey{Deleting, r, CREATE_CHILD_SA, RecvResponse, o}] =
				"needs a CREATE_CHILD_SA request outstanding behind the Delete; the abstract peers' Delete is their only request then"
		}
		for _, o := range []Outcome{Empty, DeleteChild, Refused} {
			m[RowKey{Rekeyed, r, INFORMATIONAL, RecvRequest, o}] =
				"needs a peer that sends other requests on an IKE SA it rekeyed; ours (and the engine) send only the Delete (RFC7296-2.8-6)"
		}
		m[RowKey{Rekeyed, r, CREATE_CHILD_SA, RecvRequest, Refused}] =
			"needs a peer that sends CREATE_CHILD_SA on an IKE SA it rekeyed; ours send only the Delete (RFC7296-2.8-6)"
	}
	for _, r := range []Role{Initiator, Responder} {
		for _, o := range []Outcome{OK, ChildFailed} {
			m[RowKey{Rekeyed, r, CREATE_CHILD_SA, RecvResponse, o}] =
				"an IKE SA becomes REKEYED only with no CREATE_CHILD_SA of its own outstanding: a Child SA exchange in flight makes the peer's IKE SA rekey get TEMPORARY_FAILURE (RFC7296-2.25.1-7), as the lockstep test confirms of the engine"
		}
	}
	m[RowKey{InitDone, Responder, INFORMATIONAL, RecvRequest, AuthFailed}] =
		"the abstract EAP initiator that refuses the server deletes its SA without the INFORMATIONAL N(AUTHENTICATION_FAILED)"
	return m
}()

// childNotExplored are the Child SA rows the abstract peers never take.
var childNotExplored = map[[2]uint8]string{
	{uint8(ChildRekeying), uint8(ChildDeleteStart)}: "a Delete while the rekey is outstanding is queued behind it (hard lifetime); the abstract peers keep no queue",
}

// TestExploreCoverage: every row of Table and ChildTable is taken in some
// scenario, or listed in notExplored with the reason.
func TestExploreCoverage(t *testing.T) {
	used := map[RowKey]int{}
	childUsed := map[[2]uint8]int{}
	for _, r := range fullRun() {
		for k, n := range r.Rows {
			used[k] += n
		}
		for k, n := range r.ChildRows {
			childUsed[k] += n
		}
	}
	var missing []string
	for _, tr := range Table {
		if used[KeyOf(tr)] == 0 {
			if _, ok := notExplored[KeyOf(tr)]; !ok {
				missing = append(missing, tr.String())
			}
		}
	}
	for _, tr := range ChildTable {
		if childUsed[[2]uint8{uint8(tr.From), uint8(tr.Event)}] == 0 {
			if _, ok := childNotExplored[[2]uint8{uint8(tr.From), uint8(tr.Event)}]; !ok {
				missing = append(missing, tr.String())
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("row never taken by the explorer: %s", m)
	}
	nIKE := 0
	for _, tr := range Table {
		if used[KeyOf(tr)] > 0 {
			nIKE++
		}
	}
	t.Logf("%d of %d IKE SA rows and %d of %d Child SA rows taken; the others are listed with the reason", nIKE, len(Table), len(childUsed), len(ChildTable))
	for k := range notExplored {
		found := false
		for _, tr := range Table {
			found = found || KeyOf(tr) == k
		}
		if !found {
			t.Errorf("notExplored names a row that is not in the table: %+v", k)
		}
	}
}

// TestSeededBugs mutates the model and asserts that the explorer finds
// each bug, with a counterexample.
func TestSeededBugs(t *testing.T) {
	scenario := func(name string) Scenario {
		for _, sc := range Scenarios {
			if sc.Name == name {
				return sc
			}
		}
		t.Fatalf("no scenario %q", name)
		return Scenario{}
	}
	tests := []struct {
		name     string
		scenario string
		mutate   func(*Spec)
		want     []string // the property that fails (one of)
	}{
		{
			// CVE-2014-2338: strongSwan accepted CREATE_CHILD_SA on a
			// half-open IKE SA and installed a Child SA without AUTH.
			name:     "accept CREATE_CHILD_SA before AUTH completes",
			scenario: "adversary-create-child-before-auth",
			mutate: func(s *Spec) {
				s.IKE = append(s.IKE, Transition{InitDone, Responder, CREATE_CHILD_SA, RecvRequest, OK, InitDone, SendResponse, HalfOpen, "seeded bug"})
			},
			want: []string{"no CREATE_CHILD_SA or INFORMATIONAL before ESTABLISHED", "no Child SA before AUTH"},
		},
		{
			// CVE-2021-45079: strongSwan's client took an early EAP
			// Success for the server's authentication.
			name:     "accept EAP Success before AUTH",
			scenario: "adversary-early-eap-success",
			mutate: func(s *Spec) {
				s.Guards[RowKey{AuthSent, Initiator, IKE_AUTH, RecvResponse, OK}] = GuardEAPSuccess
			},
			want: []string{"established only after the peer's AUTH verified"},
		},
		{
			name:     "skip the nonce comparison in an IKE SA rekey collision",
			scenario: "ike-rekey-dup",
			mutate: func(s *Spec) {
				for _, r := range []Role{Initiator, Responder} {
					s.Guards[RowKey{Established, r, CREATE_CHILD_SA, RecvResponse, IKERekeyed}] = GuardRekeyDone
				}
			},
			want: []string{"collisions converge to one pair"},
		},
		{
			name:     "a Child SA rekey refused leaves the old one stuck in REKEYING",
			scenario: "ike-and-child-rekey",
			mutate: func(s *Spec) {
				var keep []ChildTransition
				for _, c := range s.Child {
					if c.Event != ChildRekeyFailed {
						keep = append(keep, c)
					}
				}
				s.Child = keep
			},
			want: []string{"Child SA table complete"},
		},
		{
			name:     "a Delete of the IKE SA answered without closing it",
			scenario: "delete",
			mutate: func(s *Spec) {
				for i, tr := range s.IKE {
					if tr.From == Established && tr.Exchange == INFORMATIONAL && tr.Event == RecvRequest && tr.Outcome == DeleteIKE {
						s.IKE[i].To = Established
					}
				}
			},
			want: []string{"a Delete of the IKE SA closes it"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := DefaultSpec()
			tc.mutate(&spec)
			r := Explore(spec, scenario(tc.scenario))
			t.Log(r)
			if r.Violation == nil {
				t.Fatalf("the explorer did not find the seeded bug in %s", tc.scenario)
			}
			ok := false
			for _, w := range tc.want {
				ok = ok || strings.HasPrefix(r.Violation.Property, w)
			}
			if !ok {
				t.Errorf("violated %q, want one of %q", r.Violation.Property, tc.want)
			}
			if len(r.Violation.Steps) == 0 {
				t.Errorf("no counterexample")
			}
			ladder := r.Violation.Ladder()
			if !strings.Contains(ladder, "--->") && !strings.Contains(ladder, "<---") {
				t.Errorf("the ladder shows no message:\n%s", ladder)
			}
			t.Logf("counterexample (%d steps):\n%s", len(r.Violation.Steps), ladder)
		})
	}
}

// TestOneSidedSAsEnd: an IKE SA that only one end holds is removed by the
// liveness check: its requests go unanswered, it is retransmitted and given
// up (RFC 7296 section 2.4), which the quiescent check relies on.
func TestOneSidedSAsEnd(t *testing.T) {
	for _, r := range []Role{Initiator, Responder} {
		tr, ok := Lookup(Established, r, INFORMATIONAL, TimerLiveness, OK)
		if !ok || tr.Send != SendRequest || tr.Timer != Retransmit {
			t.Fatalf("%v: liveness row %v %v", r, tr, ok)
		}
		tr, ok = Lookup(Established, r, 0, TimerGiveUp, OK)
		if !ok || tr.To != Deleted {
			t.Fatalf("%v: give-up row %v %v", r, tr, ok)
		}
	}
}

var _ = fmt.Sprint

// TestExploreOne explores one scenario, named by IKEV2REF_SCENARIO (for
// debugging the model: go test ./model -run TestExploreOne -v).
func TestExploreOne(t *testing.T) {
	name := os.Getenv("IKEV2REF_SCENARIO")
	if name == "" {
		t.Skip("set IKEV2REF_SCENARIO to a scenario name")
	}
	for _, sc := range Scenarios {
		if sc.Name == name {
			r := Explore(DefaultSpec(), sc)
			t.Log(r)
			if r.Violation != nil {
				t.Fatalf("%s", r.Violation.Ladder())
			}
			return
		}
	}
	t.Fatalf("no scenario %q", name)
}
