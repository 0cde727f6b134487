package ike_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// EAP in IKE_AUTH (RFC 7296 section 2.16): left is the EAP client
// (initiator), right the EAP server that signs with an ECDSA certificate.

// eapSides configures left as an EAP client with EAP identity "carol" and
// password clientPW, right as the EAP server knowing carol's password
// serverPW; method is the auth value of both (left's local, right's remote).
func eapSides(t *testing.T, method ike.AuthMethod, clientPW, serverPW string) (side, side) {
	pk := newPKI(t, "p256", "p256")
	l, r := left(), right()
	l.tweak = func(c *ike.Connection) {
		c.Local.Auth, c.Local.EAPID = method, "carol"
		c.Remote.Auth, c.Remote.CACerts = ike.AuthPubkey, authtest.DER(pk.root.Cert)
	}
	l.cfgTweak = func(cfg *ike.Config) {
		cfg.Secrets = nil
		cfg.EAPSecrets = []ike.EAPSecret{{IDs: []string{"carol"}, Secret: []byte(clientPW)}}
	}
	r.tweak = func(c *ike.Connection) {
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = ike.AuthECDSA, pk.rightKey, authtest.DER(pk.right, pk.inter.Cert)
		c.Remote.Auth = method
	}
	r.cfgTweak = func(cfg *ike.Config) {
		cfg.Secrets = nil
		cfg.EAPSecrets = []ike.EAPSecret{{IDs: []string{"carol"}, Secret: []byte(serverPW)}}
	}
	return l, r
}

// sent lists the summaries of the IKE_AUTH messages a node logged as sent.
func sent(log string) []string {
	re := regexp.MustCompile(`sending (IKE_AUTH (request|response) \d+ \[[^\]]*\])`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestEAPHandshake(t *testing.T) {
	tests := []struct {
		name      string
		method    ike.AuthMethod
		wantL     []string
		wantR     []string
		keyInLogs string
	}{
		{"MSCHAPv2", ike.AuthEAPMSCHAPv2, []string{
			"IKE_AUTH request 1 [ IDi N(INITIAL_CONTACT) CERTREQ IDr SA TSi TSr ]",
			"IKE_AUTH request 2 [ EAP/RES/1 ]",
			"IKE_AUTH request 3 [ EAP/RES/26 ]",
			"IKE_AUTH request 4 [ EAP/RES/26 ]",
			"IKE_AUTH request 5 [ AUTH ]",
		}, []string{
			"IKE_AUTH response 1 [ IDr CERT CERT AUTH EAP/REQ/1 ]",
			"IKE_AUTH response 2 [ EAP/REQ/26 ]",
			"IKE_AUTH response 3 [ EAP/REQ/26 ]",
			"IKE_AUTH response 4 [ EAP/SUCC ]",
			"IKE_AUTH response 5 [ AUTH SA TSi TSr ]",
		}, "the MSK"},
		{"MD5", ike.AuthEAPMD5, []string{
			"IKE_AUTH request 1 [ IDi N(INITIAL_CONTACT) CERTREQ IDr SA TSi TSr ]",
			"IKE_AUTH request 2 [ EAP/RES/1 ]",
			"IKE_AUTH request 3 [ EAP/RES/4 ]",
			"IKE_AUTH request 4 [ AUTH ]",
		}, []string{
			"IKE_AUTH response 1 [ IDr CERT CERT AUTH EAP/REQ/1 ]",
			"IKE_AUTH response 2 [ EAP/REQ/4 ]",
			"IKE_AUTH response 3 [ EAP/SUCC ]",
			"IKE_AUTH response 4 [ AUTH SA TSi TSr ]",
		}, "SK_pi/SK_pr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, r := eapSides(t, tt.method, "Secret#1", "Secret#1")
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			a, b := agree(t, p)
			if a.LocalID != "left@lab.example" || b.LocalID != "right@lab.example" {
				t.Errorf("identities %s / %s", a.LocalID, b.LocalID)
			}
			if got := sent(p.logL.String()); strings.Join(got, "\n") != strings.Join(tt.wantL, "\n") {
				t.Errorf("initiator sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantL, "\n"))
			}
			if got := sent(p.logR.String()); strings.Join(got, "\n") != strings.Join(tt.wantR, "\n") {
				t.Errorf("responder sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantR, "\n"))
			}
			if line := logLine(p.logR.String(), "authentication of peer successful with EAP-"); !strings.Contains(line, tt.keyInLogs) || !strings.Contains(line, "eap_id=carol") {
				t.Errorf("responder log: %q", line)
			}
			if line := logLine(p.logL.String(), "authentication of peer successful with"); !strings.Contains(line, "ECDSA") {
				t.Errorf("initiator log: %q", line)
			}
		})
	}
}

// failedBoth checks that neither end holds an IKE SA and that the
// initiator saw AUTHENTICATION_FAILED (or an EAP Failure) for the reason
// in the responder's log.
func failedBoth(t *testing.T, p *pairT, reason string) {
	t.Helper()
	if n := len(p.l.Engine.SAs()) + len(p.r.Engine.SAs()); n != 0 {
		t.Errorf("%d IKE SAs left", n)
	}
	if !strings.Contains(p.logR.String(), reason) {
		t.Errorf("responder log without %q", reason)
	}
	if !strings.Contains(p.logL.String(), "received AUTHENTICATION_FAILED") {
		t.Errorf("initiator log without AUTHENTICATION_FAILED")
	}
}

func TestEAPWrongPassword(t *testing.T) {
	for _, m := range []ike.AuthMethod{ike.AuthEAPMSCHAPv2, ike.AuthEAPMD5} {
		t.Run(m.String(), func(t *testing.T) {
			l, r := eapSides(t, m, "Secret#1", "Secret#2")
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			failedBoth(t, p, `EAP authentication of left@lab.example (EAP identity "carol") failed`)
			if !strings.Contains(p.logR.String(), "EAP/FAIL N(AUTHENTICATION_FAILED)") {
				t.Errorf("no EAP Failure with AUTHENTICATION_FAILED sent (RFC7296-2.16-8)")
			}
		})
	}
}

// eapRound runs the handshake until the initiator's IKE_AUTH request with
// message ID id is the only datagram in flight (after toAuth).
func eapRound(t *testing.T, p *pairT, id uint32) {
	t.Helper()
	for range 40 {
		if len(p.net.InFlight) != 1 {
			t.Fatalf("%d datagrams in flight", len(p.net.InFlight))
		}
		h, _, _, err := wire.DecodeHeader(p.net.InFlight[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		if h.Exchange == wire.IKE_AUTH && !h.IsResponse() && h.MessageID == id {
			return
		}
		p.net.Deliver(0)
	}
	t.Fatalf("no IKE_AUTH request %d", id)
}

func TestEAPRefusals(t *testing.T) {
	setup := func(t *testing.T) *pairT {
		l, r := eapSides(t, ike.AuthEAPMSCHAPv2, "Secret#1", "Secret#1")
		return newPair(t, l, r)
	}
	fakeAuth := &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: make([]byte, 32)}
	t.Run("AUTH in the first request of an EAP peer", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		p.net.InFlight[0].Data = reseal(t, skI, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return append(ps, fakeAuth)
		})
		p.flush(t)
		failedBoth(t, p, "no connection matches IDi left@lab.example (IDr right@lab.example) with AUTH method")
	})
	t.Run("AUTH with an EAP Response", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		eapRound(t, p, 3)
		p.net.InFlight[0].Data = reseal(t, skI, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return append(ps, fakeAuth)
		})
		p.flush(t)
		failedBoth(t, p, "AUTH from left@lab.example before EAP finished")
	})
	t.Run("final AUTH before the EAP Success", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		eapRound(t, p, 3)
		p.net.InFlight[0].Data = reseal(t, skI, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return []wire.Payload{fakeAuth}
		})
		p.flush(t)
		failedBoth(t, p, "AUTH from left@lab.example before EAP finished")
	})
	t.Run("wrong final AUTH", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		eapRound(t, p, 5)
		p.net.InFlight[0].Data = reseal(t, skI, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return []wire.Payload{fakeAuth}
		})
		p.flush(t)
		failedBoth(t, p, "AUTH of left@lab.example after EAP does not verify with the MSK")
	})
	t.Run("missing final AUTH", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		eapRound(t, p, 5)
		p.net.InFlight[0].Data = reseal(t, skI, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return nil
		})
		p.flush(t)
		failedBoth(t, p, "no AUTH from left@lab.example after the EAP Success")
	})
	t.Run("EAP Success before the method finished", func(t *testing.T) {
		p := setup(t)
		_, skR := toAuth(t, p)
		eapRound(t, p, 2)
		p.net.Deliver(0) // request 2 (EAP Identity Response); response 2 in flight
		p.net.InFlight[0].Data = reseal(t, skR, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			return []wire.Payload{&wire.EAP{Code: wire.EAPSuccess, Identifier: 1}}
		})
		p.flush(t)
		if n := len(p.l.Engine.SAs()); n != 0 {
			t.Errorf("initiator keeps %d IKE SAs", n)
		}
		if !strings.Contains(p.logL.String(), "EAP authentication failed") {
			t.Errorf("initiator log without the EAP failure")
		}
	})
	t.Run("INFORMATIONAL between EAP rounds", func(t *testing.T) {
		p := setup(t)
		skI, _ := toAuth(t, p)
		eapRound(t, p, 3)
		h, _, _, err := wire.DecodeHeader(p.net.InFlight[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		p.net.Drop(0)
		h.Exchange = wire.INFORMATIONAL
		empty, err := skI.SealMessage(h, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m := answer(t, p, inject(p, empty)); m != nil {
			t.Fatalf("an empty INFORMATIONAL before authentication answered: %v", m)
		}
		if s := onlySA(t, p.r); s.State != "INIT_DONE" {
			t.Fatalf("responder SA %s", s.State)
		}
		// RFC7296-2.21.2-2: the initiator's refusal, as charon sends it.
		refusal, err := skI.SealMessage(h, []wire.Payload{&wire.Notify{Type: wire.AUTHENTICATION_FAILED}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m := answer(t, p, inject(p, refusal)); m == nil || !m.Flags.Response() || m.Exchange != wire.INFORMATIONAL {
			t.Fatalf("the refusal was not answered: %v", m)
		}
		if n := len(p.r.Engine.SAs()); n != 0 {
			t.Errorf("responder keeps %d IKE SAs", n)
		}
		if !strings.Contains(p.logR.String(), "the initiator refused our authentication") {
			t.Errorf("responder log without the refusal")
		}
	})
	t.Run("responder AUTH is a shared key MIC", func(t *testing.T) {
		p := setup(t)
		_, skR := toAuth(t, p)
		p.net.Deliver(0) // request 1; response 1 in flight
		p.net.InFlight[0].Data = reseal(t, skR, p.net.InFlight[0].Data, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
			for i, q := range ps {
				if _, ok := q.(*wire.Auth); ok {
					ps[i] = fakeAuth
				}
			}
			return ps
		})
		p.flush(t)
		if n := len(p.l.Engine.SAs()); n != 0 {
			t.Errorf("initiator keeps %d IKE SAs", n)
		}
		if !strings.Contains(p.logL.String(), "a signature (auth = pubkey) is expected") {
			t.Errorf("initiator log without the refusal")
		}
	})
}

// TestEAPRetransmit: a lost EAP round (the request, or its response) is
// retransmitted whole, and the response cache answers the repeated
// request without running the EAP server again.
func TestEAPRetransmit(t *testing.T) {
	for _, lose := range []string{"request", "response"} {
		t.Run(lose, func(t *testing.T) {
			l, r := eapSides(t, ike.AuthEAPMSCHAPv2, "Secret#1", "Secret#1")
			p := newPair(t, l, r)
			toAuth(t, p)
			eapRound(t, p, 3)
			if lose == "response" {
				p.net.Deliver(0)
			}
			p.net.Drop(0)
			p.net.Advance(5 * 1e9) // past the first retransmission timeout (4 s)
			p.flush(t)
			agree(t, p)
			if c := p.l.Engine.Stats().Retransmits; c != 1 {
				t.Errorf("%d retransmissions, want 1", c)
			}
			want := "IKE_AUTH response 3 [ EAP/REQ/26 ]"
			if n := strings.Count(strings.Join(sent(p.logR.String()), "\n"), want); n != 1 {
				t.Errorf("%q sent %d times by the EAP server, want 1 (the cache answers the retransmission)", want, n)
			}
		})
	}
}

func TestEAPConfig(t *testing.T) {
	l, _ := eapSides(t, ike.AuthEAP, "x", "x")
	bad := l
	bad.tweak = func(c *ike.Connection) {
		l.tweak(c)
		c.Remote.Auth = ike.AuthPSK
	}
	cfg := bad.config(t, addrR, 1, nil)
	if _, err := ike.New(cfg); err == nil || !strings.Contains(err.Error(), "needs remote auth = pubkey") {
		t.Errorf("EAP client facing a PSK responder: %v", err)
	}
	// RFC7296-2.16-1: as the EAP server we sign.
	_, r := eapSides(t, ike.AuthEAP, "x", "x")
	bad = r
	bad.tweak = func(c *ike.Connection) {
		r.tweak(c)
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = ike.AuthPSK, nil, nil
	}
	cfg = bad.config(t, addrL, 1, nil)
	if _, err := ike.New(cfg); err == nil || !strings.Contains(err.Error(), "needs local auth = pubkey") {
		t.Errorf("EAP server with a PSK: %v", err)
	}
}

// TestEAPNegotiation: auth = eap takes either method; a client that only
// runs EAP-MD5 answers the server's MSCHAPv2 Request with a Nak (RFC 3748
// section 5.3.1) and the server falls back to MD5; a server whose remote
// eap_id names another identity refuses carol.
func TestEAPNegotiation(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server ike.AuthMethod
		serverEAPID    string
		want           string // the responder's log; empty: established
	}{
		{"eap client, MSCHAPv2 server", ike.AuthEAP, ike.AuthEAPMSCHAPv2, "", "authentication of peer successful with EAP-MSCHAPv2 and the MSK"},
		{"MD5 client, eap server: Nak", ike.AuthEAPMD5, ike.AuthEAP, "%any", "authentication of peer successful with EAP-MD5-Challenge and SK_pi/SK_pr"},
		{"eap_id names another identity", ike.AuthEAPMSCHAPv2, ike.AuthEAPMSCHAPv2, "dave", `(EAP identity "carol") failed`},
		{"eap_id names carol", ike.AuthEAPMSCHAPv2, ike.AuthEAPMSCHAPv2, "carol", "authentication of peer successful with EAP-MSCHAPv2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, r := eapSides(t, tc.client, "Secret#1", "Secret#1")
			tweak := r.tweak
			r.tweak = func(c *ike.Connection) {
				tweak(c)
				c.Remote.Auth, c.Remote.EAPID = tc.server, tc.serverEAPID
			}
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			if !strings.Contains(p.logR.String(), tc.want) {
				t.Errorf("responder log without %q", tc.want)
			}
			if strings.HasPrefix(tc.want, "authentication of peer successful") {
				agree(t, p)
			} else if n := len(p.l.Engine.SAs()) + len(p.r.Engine.SAs()); n != 0 {
				t.Errorf("%d IKE SAs left", n)
			}
		})
	}
}

// TestEAPOnly: EAP-only authentication (RFC 5998) needs a method that is
// mutual, key-generating and resistant to dictionary attacks (section 4):
// neither of ours is, so a configuration asking for it (an EAP client whose
// remote auth is EAP too) is refused, naming the section; a responder that
// gets N(EAP_ONLY_AUTHENTICATION) signs anyway (interop/eaponly_test.go,
// with charon, which sends it).
func TestEAPOnly(t *testing.T) {
	for _, m := range []ike.AuthMethod{ike.AuthEAPMSCHAPv2, ike.AuthEAPMD5, ike.AuthEAP} {
		t.Run(m.String(), func(t *testing.T) {
			l, _ := eapSides(t, m, "x", "x")
			l.tweak = func(c *ike.Connection) {
				c.Local.Auth, c.Local.EAPID, c.Remote.Auth = m, "carol", m
			}
			cfg := l.config(t, addrR, 1, nil)
			if _, err := ike.New(cfg); err == nil || !strings.Contains(err.Error(), "RFC 5998 section 4") {
				t.Errorf("EAP-only with %v accepted: %v", m, err)
			}
		})
	}
}
