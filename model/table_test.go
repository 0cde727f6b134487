package model

import "testing"

// Structural checks of the table; the exhaustive explorer of the model
// arrives with the model issue.

func TestTableShape(t *testing.T) {
	reach := map[State]bool{Idle: true}
	for changed := true; changed; {
		changed = false
		for _, tr := range Table {
			if reach[tr.From] && !reach[tr.To] {
				reach[tr.To], changed = true, true
			}
		}
	}
	for s := Idle; s <= Deleted; s++ {
		if !reach[s] {
			t.Errorf("state %v is unreachable", s)
		}
	}
	for _, tr := range Table {
		if tr.From == Deleted {
			t.Errorf("%v: DELETED is terminal", tr)
		}
		if tr.Send == SendResponse && tr.Event != RecvRequest {
			t.Errorf("%v: only a request is answered", tr)
		}
		if tr.Event == RecvRequest && tr.Send != SendResponse {
			t.Errorf("%v: every request processed gets a response (RFC7296-2.21.3-1)", tr)
		}
		if tr.Event == RecvResponse && tr.Send == SendResponse {
			t.Errorf("%v: a response is never answered (RFC7296-3.1-11)", tr)
		}
		if tr.Rationale == "" {
			t.Errorf("%v: no rationale", tr)
		}
		if tr.To == Deleted && tr.Timer != NoTimer {
			t.Errorf("%v: a timer on a deleted SA", tr)
		}
	}
}

// TestEveryStateEnds: from every live state, both roles can reach DELETED
// without the peer (a give-up or terminate row), so no SA can linger.
func TestEveryStateEnds(t *testing.T) {
	for _, tr := range Table {
		s, r := tr.From, tr.Role
		if s == Idle {
			continue
		}
		_, giveUp := Lookup(s, r, 0, TimerGiveUp, OK)
		if !giveUp && s != Established {
			t.Errorf("%v/%v: no give-up row", s, r)
		}
		if s == Established && !Accepts(s, r, INFORMATIONAL, CmdTerminate) {
			t.Errorf("%v/%v: cannot be terminated", s, r)
		}
	}
}

func TestLookup(t *testing.T) {
	tr, ok := Lookup(InitSent, Initiator, IKE_SA_INIT, RecvResponse, Cookie)
	if !ok || tr.To != InitSent || tr.Send != SendRequest {
		t.Errorf("cookie retry: %v %v", tr, ok)
	}
	if _, ok := Lookup(Idle, Initiator, IKE_AUTH, RecvRequest, OK); ok {
		t.Errorf("IKE_AUTH accepted without an IKE SA")
	}
	for _, o := range []Outcome{OK, Empty, DeleteIKE, DeleteChild, Refused} {
		if _, ok := Lookup(InitDone, Responder, INFORMATIONAL, RecvRequest, o); ok {
			t.Errorf("INFORMATIONAL %v before authentication", o)
		}
	}
}

// TestEAPRounds: the EAP rounds of IKE_AUTH (RFC 7296 section 2.16) keep
// the SA where it is, half-open for the responder, and only the final AUTH
// establishes it.
func TestEAPRounds(t *testing.T) {
	tr, ok := Lookup(InitDone, Responder, IKE_AUTH, RecvRequest, EAPContinue)
	if !ok || tr.To != InitDone || tr.Send != SendResponse || tr.Timer != HalfOpen {
		t.Errorf("responder EAP round: %v %v", tr, ok)
	}
	tr, ok = Lookup(AuthSent, Initiator, IKE_AUTH, RecvResponse, EAPContinue)
	if !ok || tr.To != AuthSent || tr.Send != SendRequest || tr.Timer != Retransmit {
		t.Errorf("initiator EAP round: %v %v", tr, ok)
	}
	if _, ok := Lookup(Established, Responder, IKE_AUTH, RecvRequest, EAPContinue); ok {
		t.Errorf("an EAP round on an established SA")
	}
}
