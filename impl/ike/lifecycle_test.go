package ike_test

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The two-peer harness under loss, duplication and reordering: the whole
// INIT/AUTH/INFORMATIONAL flow, deterministic (fixed seeds, fake clock).

// TestLossOfEachMessage drops each of the four handshake messages once; the
// initiator's retransmission (RFC 7296 section 2.1) recovers, and a lost
// response is answered from the responder's cache (RFC7296-2.3-8).
func TestLossOfEachMessage(t *testing.T) {
	for lost := 1; lost <= 4; lost++ {
		t.Run(map[int]string{1: "IKE_SA_INIT request", 2: "IKE_SA_INIT response",
			3: "IKE_AUTH request", 4: "IKE_AUTH response"}[lost], func(t *testing.T) {
			p := newPair(t, left(), right())
			p.initiate(t)
			for n := 1; len(p.net.InFlight) > 0 && n < 20; n++ {
				if n == lost {
					p.net.Drop(0)
					p.net.Advance(4 * time.Second) // the first retransmission is due
					continue
				}
				p.net.Deliver(0)
			}
			agree(t, p)
			st := p.l.Engine.Stats()
			if st.Retransmits != 1 {
				t.Errorf("initiator retransmissions %d, want 1", st.Retransmits)
			}
			if cached := p.r.Engine.Stats().CachedResponses; (lost%2 == 0) != (cached == 1) {
				t.Errorf("responder answered %d requests from its cache", cached)
			}
		})
	}
}

// TestDuplicateAndReorder duplicates every request, so that each reaches
// the responder twice, and reorders the two responses that come back; the
// duplicates are answered from the cache without being processed again
// (RFC7296-2.3-8), and the initiator drops the extra responses.
func TestDuplicateAndReorder(t *testing.T) {
	p := newPair(t, left(), right())
	p.initiate(t)
	for _, x := range []string{"IKE_SA_INIT", "IKE_AUTH"} {
		if len(p.net.InFlight) != 1 || !strings.Contains(p.net.InFlight[0].String(), x+" request") {
			t.Fatalf("want one %s request in flight: %v", x, p.net.InFlight)
		}
		p.net.Duplicate(0)
		p.net.Deliver(0)
		p.net.Deliver(0)
		if len(p.net.InFlight) != 2 {
			t.Fatalf("%s: %d responses, want 2", x, len(p.net.InFlight))
		}
		p.net.Swap(0, 1)
		p.net.Deliver(0)
		p.net.Deliver(0)
	}
	p.flush(t)
	agree(t, p)
	if c := p.r.Engine.Stats().CachedResponses; c != 2 {
		t.Errorf("responder cache hits %d, want 2", c)
	}
	if d := p.l.Engine.Stats().Dropped; d != 2 {
		t.Errorf("initiator dropped %d duplicate responses, want 2", d)
	}
}

// TestGiveUp: a peer that never answers is given up after the configured
// retransmissions, with exponentially growing intervals (RFC7296-2.4-8).
func TestGiveUp(t *testing.T) {
	p := newPair(t, left(), right())
	p.initiate(t)
	var sent []time.Time
	for range 600 {
		for len(p.net.InFlight) > 0 {
			sent = append(sent, p.net.Now)
			p.net.Drop(0)
		}
		p.net.Advance(time.Second)
	}
	if n := len(p.l.Engine.SAs()); n != 0 {
		t.Fatalf("%d IKE SAs left", n)
	}
	if len(sent) != 6 { // the request and 5 retransmissions (the default)
		t.Fatalf("sent %d times, want 6", len(sent))
	}
	for i := 2; i < len(sent); i++ {
		if sent[i].Sub(sent[i-1]) <= sent[i-1].Sub(sent[i-2]) {
			t.Errorf("interval %d (%v) does not grow", i, sent[i].Sub(sent[i-1]))
		}
	}
	downs := iketest.Find[ike.IKEDown](p.l)
	if len(downs) != 1 || !strings.Contains(downs[0].Reason, "no response") {
		t.Errorf("IKEDown %+v", downs)
	}
}

// TestDelete deletes the IKE SA from each side (RFC 7296 section 1.4.1).
func TestDelete(t *testing.T) {
	for _, from := range []string{"initiator", "responder"} {
		t.Run(from, func(t *testing.T) {
			p := newPair(t, left(), right())
			p.initiate(t)
			p.flush(t)
			agree(t, p)
			nd := p.l
			if from == "responder" {
				nd = p.r
			}
			acts, err := nd.Engine.Terminate(p.net.Now, "lab")
			if err != nil {
				t.Fatal(err)
			}
			p.net.Do(nd, acts)
			if s := onlySA(t, nd); s.State != "DELETING" {
				t.Errorf("state %s while the Delete is outstanding", s.State)
			}
			p.flush(t)
			for _, x := range []*iketest.Node{p.l, p.r} {
				if n := len(x.Engine.SAs()); n != 0 {
					t.Errorf("%s still has %d SAs", x.Name, n)
				}
				if len(iketest.Find[ike.ChildDown](x)) != 1 || len(iketest.Find[ike.IKEDown](x)) != 1 {
					t.Errorf("%s: ChildDown/IKEDown not reported", x.Name)
				}
			}
		})
	}
}

// TestDeleteChild deletes the Child SA from each side; the IKE SA stays.
func TestDeleteChild(t *testing.T) {
	for _, from := range []string{"initiator", "responder"} {
		t.Run(from, func(t *testing.T) {
			p := newPair(t, left(), right())
			p.initiate(t)
			p.flush(t)
			agree(t, p)
			nd := p.l
			if from == "responder" {
				nd = p.r
			}
			acts, err := nd.Engine.TerminateChild(p.net.Now, "lab", "net")
			if err != nil {
				t.Fatal(err)
			}
			p.net.Do(nd, acts)
			p.flush(t)
			for _, x := range []*iketest.Node{p.l, p.r} {
				s := onlySA(t, x)
				if s.State != "ESTABLISHED" || len(s.Children) != 0 {
					t.Errorf("%s: %s with %d children", x.Name, s.State, len(s.Children))
				}
			}
			if !regexp.MustCompile(`sending INFORMATIONAL response \d+ \[ D \]`).MatchString(p.logL.String() + p.logR.String()) {
				t.Errorf("the response does not carry the paired Delete")
			}
		})
	}
}

// TestLiveness: with dpd_delay, a quiet IKE SA sends an empty INFORMATIONAL
// request; the peer answers; when the peer is gone, the SA is given up.
func TestLiveness(t *testing.T) {
	l := left()
	l.dpd = 30 * time.Second
	p := newPair(t, l, right())
	p.initiate(t)
	p.flush(t)
	agree(t, p)
	p.net.Advance(31 * time.Second)
	if len(p.net.InFlight) != 1 || !strings.Contains(p.net.InFlight[0].String(), "INFORMATIONAL request 2") {
		t.Fatalf("no liveness check in flight: %v", p.net.InFlight)
	}
	p.flush(t)
	if !strings.Contains(p.logL.String(), "parsed INFORMATIONAL response 2 [ ]") {
		t.Errorf("no liveness response")
	}
	// The peer disappears: every datagram is lost from now on.
	for range 40 {
		for len(p.net.InFlight) > 0 {
			p.net.Drop(0)
		}
		p.net.Advance(10 * time.Second)
	}
	if n := len(p.l.Engine.SAs()); n != 0 {
		t.Fatalf("the dead peer's SA is still there")
	}
	if d := iketest.Find[ike.IKEDown](p.l); len(d) != 1 || !strings.Contains(d[0].Reason, "no response to INFORMATIONAL") {
		t.Errorf("IKEDown %+v", d)
	}
}

// TestNAT: the initiator behind a NAT; NAT detection (RFC 7296 section 2.23)
// moves IKE to port 4500 with the non-ESP marker, and the initiator sends
// keepalives.
func TestNAT(t *testing.T) {
	r := right()
	r.anyPeer = true
	p := newPair(t, left(), r)
	p.net.BehindNAT(p.l, netip.MustParseAddr("203.0.113.7"))
	p.initiate(t)
	p.flush(t)
	a, b := agree(t, p)
	if !a.NATLocal || a.NATRemote || !b.NATRemote || b.NATLocal {
		t.Errorf("NAT flags: left %v/%v right %v/%v", a.NATLocal, a.NATRemote, b.NATLocal, b.NATRemote)
	}
	if a.Remote.Port() != 4500 || b.Local.Port() != 4500 || !a.Children[0].UDPEncap || !b.Children[0].UDPEncap {
		t.Errorf("not on the NAT-T port: %v / %v", a.Remote, b.Local)
	}
	p.net.Advance(21 * time.Second)
	if len(p.net.InFlight) != 1 || !strings.Contains(p.net.InFlight[0].String(), "NAT-keepalive") {
		t.Errorf("no NAT keepalive: %v", p.net.InFlight)
	}
}

// TestChildRefused: the IKE SA comes up while the Child SA is refused with
// TS_UNACCEPTABLE or NO_PROPOSAL_CHOSEN (RFC 7296 section 2.21.2).
func TestChildRefused(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *side)
		notify string
	}{
		{"TS_UNACCEPTABLE", func(r *side) { r.rts = "198.51.100.99/32" }, "N(TS_UNACCEPTABLE)"},
		{"NO_PROPOSAL_CHOSEN", func(r *side) { r.esp = []ike.Proposal{espGCM} }, "N(NO_PROPOSAL_CHOSEN)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := right()
			tt.modify(&r)
			p := newPair(t, left(), r)
			p.initiate(t)
			p.flush(t)
			for _, x := range []*iketest.Node{p.l, p.r} {
				s := onlySA(t, x)
				if s.State != "ESTABLISHED" || len(s.Children) != 0 {
					t.Errorf("%s: %s with %d children", x.Name, s.State, len(s.Children))
				}
			}
			if !strings.Contains(p.logR.String(), "sending IKE_AUTH response 1 [ IDr AUTH "+tt.notify+" ]") {
				t.Errorf("no %s in the IKE_AUTH response", tt.notify)
			}
		})
	}
}

// TestAuthFailure: mismatched PSKs end the IKE SA on both sides with
// AUTHENTICATION_FAILED (RFC7296-2.21.2-1).
func TestAuthFailure(t *testing.T) {
	r := right()
	r.psk = "another-psk-entirely"
	p := newPair(t, left(), r)
	p.initiate(t)
	p.flush(t)
	if len(p.l.Engine.SAs())+len(p.r.Engine.SAs()) != 0 {
		t.Fatalf("SAs remain after an authentication failure")
	}
	if !strings.Contains(p.logR.String(), "sending IKE_AUTH response 1 [ N(AUTHENTICATION_FAILED) ]") {
		t.Errorf("no AUTHENTICATION_FAILED response")
	}
}

// TestNoProposalChosen: no common IKE proposal; the responder refuses and
// keeps nothing, the initiator gives up the SA.
func TestNoProposalChosen(t *testing.T) {
	r := right()
	r.ike = []ike.Proposal{ikeGCMX25519}
	p := newPair(t, left(), r)
	p.initiate(t)
	p.flush(t)
	if len(p.l.Engine.SAs())+len(p.r.Engine.SAs()) != 0 {
		t.Fatalf("SAs remain")
	}
	if !strings.Contains(p.logR.String(), "sending IKE_SA_INIT response 0 [ N(NO_PROPOSAL_CHOSEN) ]") ||
		!strings.Contains(p.logR.String(), "received IKE:AES_CBC-256/PRF_HMAC_SHA2_256/HMAC_SHA2_256_128/ECP_256") {
		t.Errorf("refusal not logged with its reason:\n%s", p.logR)
	}
}

// TestTransportMode: USE_TRANSPORT_MODE in both directions when both ends
// are configured for it (RFC 7296 section 1.3.1).
func TestTransportMode(t *testing.T) {
	l, r := left(), right()
	l.mode, r.mode = ike.Transport, ike.Transport
	l.lts, l.rts, r.lts, r.rts = "192.0.2.1/32", "192.0.2.2/32", "192.0.2.2/32", "192.0.2.1/32"
	p := newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	a, _ := agree(t, p)
	if a.Children[0].Mode != ike.Transport {
		t.Errorf("mode %v", a.Children[0].Mode)
	}
}

// TestESN: extended sequence numbers when both ends want them.
func TestESN(t *testing.T) {
	l, r := left(), right()
	esn := espCBC
	esn.ESN = []wire.ESNID{wire.ESN}
	l.esp, r.esp = []ike.Proposal{esn}, []ike.Proposal{esn}
	p := newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	a, b := agree(t, p)
	if !a.Children[0].ESN || !b.Children[0].ESN {
		t.Errorf("ESN not negotiated")
	}
}

// TestInitialContact: a second IKE SA between the same identities, from an
// initiator that lost its state, replaces the old one at the responder.
func TestInitialContact(t *testing.T) {
	p := newPair(t, left(), right())
	p.initiate(t)
	p.flush(t)
	agree(t, p)
	// The initiator restarts: a new engine with the same configuration.
	fresh, err := p.net.Add("left-again", addrL, left().config(t, addrR, 9, p.logL))
	if err != nil {
		t.Fatal(err)
	}
	p.net.Nodes = []*iketest.Node{fresh, p.r}
	acts, err := fresh.Engine.Initiate(p.net.Now, "lab", "net")
	if err != nil {
		t.Fatal(err)
	}
	p.net.Do(fresh, acts)
	p.flush(t)
	sas := p.r.Engine.SAs()
	if len(sas) != 1 || sas[0].SPIi != onlySA(t, fresh).SPIi {
		t.Errorf("responder SAs after INITIAL_CONTACT: %+v", sas)
	}
}

// TestCookieThreshold: below the threshold of half-open SAs no cookie is
// asked for; at it, the responder turns stateless (RFC7296-2.6-2).
func TestCookieThreshold(t *testing.T) {
	p := newPair(t, left(), right())
	cfg := right().config(t, addrL, 2, p.logR)
	cfg.CookieThreshold = 2
	cfg.Connections[0].RemoteAddrs = nil
	r, err := p.net.Add("right-2", addrR, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.net.Nodes = []*iketest.Node{p.l, r}
	// Three initiators' first messages (the left engine's request, resent
	// from three addresses, each a new half-open SA until the threshold).
	p.initiate(t)
	req := p.net.InFlight[0].Data
	p.net.InFlight = nil
	for i, src := range []string{"198.51.100.10", "198.51.100.11", "198.51.100.12"} {
		b := append([]byte(nil), req...)
		b[0] ^= byte(i + 1) // a different SPIi each time
		p.net.Do(r, r.Engine.Receive(p.net.Now, ike.Datagram{Local: netipPort(addrR, 500),
			Remote: netip.MustParseAddrPort(src + ":500"), Data: b}))
	}
	st := r.Engine.Stats()
	if st.HalfOpen != 2 || st.CookiesSent != 1 {
		t.Fatalf("half-open %d, cookies %d; want 2 and 1", st.HalfOpen, st.CookiesSent)
	}
}

// TestUnknownESP: ESP on an SPI we do not know is reported to the peer in
// an INFORMATIONAL request with N(INVALID_SPI) (RFC7296-2.21.4-7); a known
// SPI is not.
func TestUnknownESP(t *testing.T) {
	p := newPair(t, left(), right())
	p.initiate(t)
	p.flush(t)
	a, _ := agree(t, p)
	p.net.Do(p.l, p.l.Engine.UnknownESP(p.net.Now, netipPort(addrR, 4500), a.Children[0].SPIIn))
	if len(p.net.InFlight) != 0 {
		t.Fatalf("a known SPI was reported")
	}
	p.net.Do(p.l, p.l.Engine.UnknownESP(p.net.Now, netipPort(addrR, 4500), 0xdeadbeef))
	p.flush(t)
	if !strings.Contains(p.logL.String(), "sending INFORMATIONAL request 2 [ N(INVALID_SPI) ]") ||
		!strings.Contains(p.logR.String(), "peer reported an error in an INFORMATIONAL request") {
		t.Errorf("INVALID_SPI not reported")
	}
	agree(t, p) // nothing changed (RFC7296-2.21.4-9)
}

// TestChildExhausted: at the soft limit the Child SA is rekeyed; at the
// hard limit it is deleted on both sides.
func TestChildExhausted(t *testing.T) {
	p := newPair(t, left(), right())
	p.initiate(t)
	p.flush(t)
	a, _ := agree(t, p)
	p.net.Do(p.l, p.l.Engine.ChildExhausted(p.net.Now, a.Children[0].SPIOut, false))
	p.flush(t)
	b := onlySA(t, p.l)
	if len(b.Children) != 1 || b.Children[0].SPIOut == a.Children[0].SPIOut {
		t.Fatalf("soft limit: not rekeyed: %+v", b.Children)
	}
	p.net.Do(p.l, p.l.Engine.ChildExhausted(p.net.Now, b.Children[0].SPIOut, true))
	p.flush(t)
	for _, x := range []*iketest.Node{p.l, p.r} {
		if s := onlySA(t, x); s.State != "ESTABLISHED" || len(s.Children) != 0 {
			t.Errorf("%s: %s with %d children", x.Name, s.State, len(s.Children))
		}
	}
}

// TestNarrowing: the initiator proposes wider selectors than the responder's
// policy allows; the responder narrows them (RFC7296-2.9-4) and the
// initiator accepts the narrower answer; a responder that widened would be
// refused (checked through the initiator's policy).
func TestNarrowing(t *testing.T) {
	l := left()
	l.lts, l.rts = "198.51.100.0/24", "198.51.100.0/24"
	p := newPair(t, l, right())
	p.initiate(t)
	p.flush(t)
	a, b := agree(t, p)
	if got := a.Children[0].LocalTS; len(got) != 1 || got[0] != "198.51.100.1/32" {
		t.Errorf("initiator local TS %v, want the responder's narrowing to 198.51.100.1/32", got)
	}
	if got := b.Children[0].LocalTS; len(got) != 1 || got[0] != "198.51.100.2/32" {
		t.Errorf("responder local TS %v", got)
	}
}
