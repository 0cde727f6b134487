package ike_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// impaired is a side whose engine starts with the impairments of specs.
func impaired(t *testing.T, s side, specs ...string) side {
	t.Helper()
	var list []ike.Impairment
	for _, sp := range specs {
		i, err := ike.ParseImpairment(sp)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, i)
	}
	s.cfgTweak = func(c *ike.Config) { c.Impair = list }
	return s
}

func wantLog(t *testing.T, log interface{ String() string }, who, s string) {
	t.Helper()
	if !strings.Contains(log.String(), s) {
		t.Errorf("the %s's log lacks %q", who, s)
	}
}

func countLog(log interface{ String() string }, s string) int { return strings.Count(log.String(), s) }

// failedInit checks that the initiator gave the IKE SA up and neither end
// holds one.
func failedInit(t *testing.T, p *pairT) {
	t.Helper()
	if n := len(iketest.Find[ike.IKEDown](p.l)); n != 1 {
		t.Errorf("initiator: %d IKEDown actions, want 1", n)
	}
	if n := len(iketest.Find[ike.ChildUp](p.l)); n != 0 {
		t.Errorf("initiator: %d ChildUp actions, want 0", n)
	}
	if sas := p.l.Engine.SAs(); len(sas) != 0 {
		t.Errorf("initiator still holds %+v", sas)
	}
}

// TestImpairParse: the command-line syntax, its canonical form and errors
// that name the field at fault.
func TestImpairParse(t *testing.T) {
	for in, want := range map[string]string{
		"drop": "drop",
		"drop --exchange IKE_AUTH --response --nth 1":   "drop --exchange IKE_AUTH --response --nth 1",
		"delay=1500ms --exchange=ike_sa_init --request": "delay=1500ms --exchange IKE_SA_INIT --request",
		"omit-payload=ke":                                   "omit-payload=KE",
		"corrupt-payload=No --nth=2":                        "corrupt-payload=No --nth 2",
		"  unknown-critical-payload   --exchange IKE_AUTH ": "unknown-critical-payload --exchange IKE_AUTH",
		"no-retransmit -request":                            "no-retransmit --request",
	} {
		i, err := ike.ParseImpairment(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := i.String(); got != want {
			t.Errorf("%q: String() = %q, want %q", in, got, want)
		}
		if j, err := ike.ParseImpairment(i.String()); err != nil || j.String() != want {
			t.Errorf("%q does not read back: %v %v", want, j, err)
		}
	}
	for in, field := range map[string]string{
		"":                                 "kind",
		"explode":                          `kind "explode"`,
		"delay":                            "argument",
		"delay=soon":                       `argument "soon"`,
		"omit-payload=XYZ":                 `argument "XYZ"`,
		"drop=3":                           "argument",
		"drop --exchange FOO":              `--exchange "FOO"`,
		"drop --exchange":                  "--exchange: missing value",
		"drop --nth x":                     `--nth "x"`,
		"drop --nth -1":                    "nth -1",
		"drop --request --response":        "direction",
		"drop --sideways":                  "--sideways",
		"drop IKE_AUTH":                    `unexpected "IKE_AUTH"`,
		"no-retransmit --response":         "direction",
		"bogus-cookie --exchange IKE_AUTH": "exchange",
	} {
		_, err := ike.ParseImpairment(in)
		if err == nil || !strings.HasPrefix(err.Error(), "ike: ") || !strings.Contains(err.Error(), field) {
			t.Errorf("%q: error %v, want one naming %s", in, err, field)
		}
	}
}

// TestImpairSet: SetImpairments between events replaces the list, keeps
// it on an error and restarts the counts; Config.Impair is checked by New.
func TestImpairSet(t *testing.T) {
	p := newPair(t, left(), right())
	e := p.l.Engine
	if len(e.Impairments()) != 0 {
		t.Fatal("impairments without asking")
	}
	drop, _ := ike.ParseImpairment("drop --nth 2")
	if err := e.SetImpairments([]ike.Impairment{drop}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetImpairments([]ike.Impairment{{Kind: "explode"}}); err == nil || !strings.Contains(err.Error(), "explode") {
		t.Errorf("bad kind: %v", err)
	}
	if l := e.Impairments(); len(l) != 1 || l[0].String() != "drop --nth 2" {
		t.Errorf("after a refused set: %v", l)
	}
	// A literal needs no parsing: SetImpairments checks and completes it.
	if err := e.SetImpairments([]ike.Impairment{{Kind: ike.ImpairDelay, Arg: "1s", Exchange: wire.IKE_AUTH}}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetImpairments(nil); err != nil || len(e.Impairments()) != 0 {
		t.Errorf("clear: %v %v", err, e.Impairments())
	}
	cfg := left().config(t, addrR, 1, nil)
	cfg.Impair = []ike.Impairment{{Kind: ike.ImpairOmitPayload, Arg: "nothing"}}
	if _, err := ike.New(cfg); err == nil || !strings.Contains(err.Error(), "nothing") {
		t.Errorf("New with a bad impairment: %v", err)
	}
}

// TestImpairDrop: the responder drops its first IKE_AUTH response; the
// initiator retransmits its request (RFC7296-2.4-8), the responder answers
// it from its cache (RFC7296-2.1-1) and the SA comes up.
func TestImpairDrop(t *testing.T) {
	p := newPair(t, left(), impaired(t, right(), "drop --exchange IKE_AUTH --response --nth 1"))
	p.initiate(t)
	p.flush(t)
	if a := onlySA(t, p.l); a.State == "ESTABLISHED" {
		t.Fatal("established without the IKE_AUTH response")
	}
	wantLog(t, p.logR, "responder", "IMPAIRED: drop on IKE_AUTH response 1")
	p.net.Advance(5 * time.Second)
	p.flush(t)
	agree(t, p)
	if n := p.l.Engine.Stats().Retransmits; n != 1 {
		t.Errorf("%d retransmissions, want 1", n)
	}
	wantLog(t, p.logR, "responder", "retransmitting response to request 1")
}

// TestImpairDuplicate: the IKE_SA_INIT response goes out twice; the
// initiator takes the first and drops the copy (RFC7296-3.1-11).
func TestImpairDuplicate(t *testing.T) {
	p := newPair(t, left(), impaired(t, right(), "duplicate --exchange IKE_SA_INIT --response"))
	p.initiate(t)
	p.net.Deliver(0)
	if n := len(p.net.InFlight); n != 2 {
		t.Fatalf("%d datagrams in flight, want the response twice", n)
	}
	p.flush(t)
	agree(t, p)
	wantLog(t, p.logR, "responder", "IMPAIRED: duplicate on IKE_SA_INIT response 0")
	wantLog(t, p.logL, "initiator", "dropping datagram: unexpected IKE_SA_INIT response 0")
}

// TestImpairDelay: a delayed request leaves on a Tick DURATION later;
// NextTimeout names that time.
func TestImpairDelay(t *testing.T) {
	p := newPair(t, impaired(t, left(), "delay=2s --exchange IKE_SA_INIT --request"), right())
	start := p.net.Now
	p.initiate(t)
	if n := len(p.net.InFlight); n != 0 {
		t.Fatalf("%d datagrams in flight before the delay", n)
	}
	if at, ok := p.l.Engine.NextTimeout(); !ok || !at.Equal(start.Add(2*time.Second)) {
		t.Fatalf("NextTimeout %v %v, want %v", at, ok, start.Add(2*time.Second))
	}
	p.net.Advance(1999 * time.Millisecond)
	if n := len(p.net.InFlight); n != 0 {
		t.Fatalf("%d datagrams in flight before the delay passed", n)
	}
	p.net.Advance(time.Millisecond)
	if n := len(p.net.InFlight); n != 1 {
		t.Fatalf("%d datagrams in flight after the delay, want 1", n)
	}
	p.flush(t)
	agree(t, p)
	wantLog(t, p.logL, "initiator", "IMPAIRED: delay=2s on IKE_SA_INIT request 0")
}

// TestImpairNoRetransmit: a lost request is never sent again; the
// initiator still gives the IKE SA up when its retransmissions run out.
func TestImpairNoRetransmit(t *testing.T) {
	p := newPair(t, impaired(t, left(), "no-retransmit"), right())
	p.initiate(t)
	p.net.Drop(0)
	p.net.Advance(10 * time.Second)
	if n := len(p.net.InFlight); n != 0 {
		t.Fatalf("%d datagrams in flight: retransmitted", n)
	}
	wantLog(t, p.logL, "initiator", "IMPAIRED: no-retransmit on IKE_SA_INIT request 0")
	p.net.Advance(10 * time.Minute)
	if n := len(p.net.InFlight); n != 0 {
		t.Fatalf("%d datagrams in flight: retransmitted", n)
	}
	failedInit(t, p)
}

// TestImpairOmitPayload: an IKE_SA_INIT response without KE is refused by
// the initiator (RFC 7296 section 1.2: KEr is part of the response).
func TestImpairOmitPayload(t *testing.T) {
	p := newPair(t, left(), impaired(t, right(), "omit-payload=KE --exchange IKE_SA_INIT --response"))
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logR, "responder", "IMPAIRED: omit-payload=KE on IKE_SA_INIT response 0")
	wantLog(t, p.logL, "initiator", "parsed IKE_SA_INIT response 0 [ SA No ")
	failedInit(t, p)
}

// TestImpairDuplicatePayload: two KE payloads in IKE_SA_INIT are refused
// with INVALID_SYNTAX.
func TestImpairDuplicatePayload(t *testing.T) {
	p := newPair(t, impaired(t, left(), "duplicate-payload=KE --exchange IKE_SA_INIT --request"), right())
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IMPAIRED: duplicate-payload=KE on IKE_SA_INIT request 0")
	wantLog(t, p.logR, "responder", "parsed IKE_SA_INIT request 0 [ SA KE KE No ")
	wantLog(t, p.logR, "responder", "sending IKE_SA_INIT response 0 [ N(INVALID_SYNTAX) ]")
	failedInit(t, p)
}

// TestImpairCorruptPayload: a corrupted AUTH inside a well-protected
// IKE_AUTH request fails authentication, not integrity.
func TestImpairCorruptPayload(t *testing.T) {
	p := newPair(t, impaired(t, left(), "corrupt-payload=AUTH --exchange IKE_AUTH"), right())
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IMPAIRED: corrupt-payload=AUTH on IKE_AUTH request 1")
	wantLog(t, p.logR, "responder", "sending IKE_AUTH response 1 [ N(AUTHENTICATION_FAILED) ]")
	failedInit(t, p)
}

// TestImpairBogusCookie: a wrong cookie gets a new N(COOKIE) each time
// (RFC7296-2.6-2); the initiator gives up after its retries.
func TestImpairBogusCookie(t *testing.T) {
	r := right()
	r.cookies = true
	p := newPair(t, impaired(t, left(), "bogus-cookie"), r)
	p.initiate(t)
	p.flush(t)
	if n := countLog(p.logL, "IMPAIRED: bogus-cookie on IKE_SA_INIT request 0"); n != 3 {
		t.Errorf("%d bogus cookies sent, want 3", n)
	}
	if n := countLog(p.logR, "sending IKE_SA_INIT response 0 [ N(COOKIE) ]"); n != 4 {
		t.Errorf("the responder sent %d cookies, want 4", n)
	}
	if sas := p.r.Engine.SAs(); len(sas) != 0 {
		t.Errorf("the responder keeps %+v", sas)
	}
	failedInit(t, p)
}

// TestImpairReservedBits: reserved bits set in the IKE header flags and in
// every generic payload header, inside SK too, are ignored on receipt
// (RFC7296-3.2-6, RFC7296-2.5-6): the exchange completes.
func TestImpairReservedBits(t *testing.T) {
	p := newPair(t, impaired(t, left(), "reserved-bits"), impaired(t, right(), "reserved-bits"))
	p.initiate(t)
	d := p.net.InFlight[0].Data
	if d[19]&0xc7 != 0xc7 || d[wire.HeaderLen+1]&0x7f != 0x7f {
		t.Errorf("flags %#02x, first payload header octet 1 %#02x: reserved bits not set", d[19], d[wire.HeaderLen+1])
	}
	if n := int(binary.BigEndian.Uint16(d[wire.HeaderLen+2:])); d[wire.HeaderLen+n+1]&0x7f != 0x7f {
		t.Errorf("second payload: reserved bits not set")
	}
	p.flush(t)
	agree(t, p)
	wantLog(t, p.logL, "initiator", "IMPAIRED: reserved-bits on IKE_AUTH request 1")
	wantLog(t, p.logR, "responder", "IMPAIRED: reserved-bits on IKE_AUTH response 1")
}

// TestImpairVersion: major version 3 gets INVALID_MAJOR_VERSION
// (RFC7296-3.1-6, RFC7296-2.5-2); minor version 1 is ignored
// (RFC7296-3.1-8).
func TestImpairVersion(t *testing.T) {
	p := newPair(t, impaired(t, left(), "version-bump --exchange IKE_SA_INIT"), right())
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IMPAIRED: version-bump on IKE_SA_INIT request 0")
	wantLog(t, p.logL, "initiator", "parsed IKE_SA_INIT response 0 [ N(INVALID_MAJOR_VERSION) ]")
	failedInit(t, p)

	p = newPair(t, impaired(t, left(), "minor-version"), impaired(t, right(), "minor-version"))
	p.initiate(t)
	if d := p.net.InFlight[0].Data; d[17] != 0x21 {
		t.Errorf("version octet %#02x, want 0x21", d[17])
	}
	p.flush(t)
	agree(t, p)
}

// TestImpairUnknownCritical: an unknown critical payload in a request is
// answered with UNSUPPORTED_CRITICAL_PAYLOAD (RFC7296-2.5-8); in an
// IKE_SA_INIT response it is rejected (RFC7296-4-3) and the initiator
// gives up after its retransmissions.
func TestImpairUnknownCritical(t *testing.T) {
	p := newPair(t, impaired(t, left(), "unknown-critical-payload --exchange IKE_AUTH --request"), right())
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IMPAIRED: unknown-critical-payload on IKE_AUTH request 1")
	wantLog(t, p.logR, "responder", "PAYLOAD(200) ]")
	wantLog(t, p.logR, "responder", "sending IKE_AUTH response 1 [ N(UNSUPPORTED_CRITICAL_PAYLOAD) ]")
	failedInit(t, p)

	p = newPair(t, left(), impaired(t, right(), "unknown-critical-payload --exchange IKE_SA_INIT --response"))
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IKE_SA_INIT response with an unsupported critical payload")
	if a := onlySA(t, p.l); a.State == "ESTABLISHED" {
		t.Fatal("established on a rejected response")
	}
	for range 10 {
		p.net.Advance(30 * time.Second)
		p.flush(t)
	}
	failedInit(t, p)
}

// TestImpairZeroKE: a KE payload of zeros (for ECP_256 the point at
// infinity, RFC 6989 section 2.3) is refused with INVALID_SYNTAX.
func TestImpairZeroKE(t *testing.T) {
	p := newPair(t, impaired(t, left(), "zero-ke"), right())
	p.initiate(t)
	p.flush(t)
	wantLog(t, p.logL, "initiator", "IMPAIRED: zero-ke on IKE_SA_INIT request 0")
	wantLog(t, p.logR, "responder", "the point at infinity")
	wantLog(t, p.logR, "responder", "sending IKE_SA_INIT response 0 [ N(INVALID_SYNTAX) ]")
	failedInit(t, p)
}

// TestImpairNth: --nth picks one matching message; the others go out
// unimpaired.
func TestImpairNth(t *testing.T) {
	p := newPair(t, impaired(t, left(), "drop --request --nth 2"), right())
	p.initiate(t)
	p.flush(t) // IKE_SA_INIT request: the first match, sent
	p.net.Advance(5 * time.Second)
	p.flush(t)
	agree(t, p)
	if n := countLog(p.logL, "IMPAIRED: "); n != 1 {
		t.Errorf("%d impairments applied, want 1", n)
	}
	wantLog(t, p.logL, "initiator", "IMPAIRED: drop on IKE_AUTH request 1")
}
