package ike_test

import (
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// TestHandshake runs IKE_SA_INIT and IKE_AUTH with PSK between two engines
// for the suites of the interop scenarios.
func TestHandshake(t *testing.T) {
	tests := []struct {
		name      string
		ike, esp  ike.Proposal
		encr, ke  string
		childEncr string
	}{
		{"aes128gcm16-prfsha256-x25519", ikeGCMX25519, espGCM, "AES_GCM_16-128", "CURVE_25519", "AES_GCM_16-128"},
		{"aes256-sha256-ecp256", ikeCBCECP, espCBC, "AES_CBC-256", "ECP_256", "AES_CBC-256"},
		{"aes128-sha256-modp2048", ikeCBCMODP, espCBC, "AES_CBC-128", "MODP_2048", "AES_CBC-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, r := left(), right()
			l.ike, r.ike = []ike.Proposal{tt.ike}, []ike.Proposal{tt.ike}
			l.esp, r.esp = []ike.Proposal{tt.esp}, []ike.Proposal{tt.esp}
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			a, _ := agree(t, p)
			if a.Encr != tt.encr || a.KE != tt.ke || a.Children[0].Encr != tt.childEncr {
				t.Errorf("negotiated %s/%s, child %s", a.Encr, a.KE, a.Children[0].Encr)
			}
			if a.LocalID != "left@lab.example" || a.RemoteID != "right@lab.example" {
				t.Errorf("identities %s - %s", a.LocalID, a.RemoteID)
			}
			for _, want := range []string{
				"sending IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP)",
				"sending IKE_AUTH request 1 [ IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr ]",
				"parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
			} {
				if !strings.Contains(p.logL.String(), want) {
					t.Errorf("left log lacks %q", want)
				}
			}
			keys := 0
			for _, nd := range []*ike.Engine{p.l.Engine, p.r.Engine} {
				_ = nd
				keys++
			}
			if k := len(findKeys(p.l.Actions)); k != 1 {
				t.Errorf("%d IKEKeys actions on the left", k)
			}
		})
	}
}

func findKeys(acts []ike.Action) []ike.IKEKeys {
	var out []ike.IKEKeys
	for _, a := range acts {
		if k, ok := a.(ike.IKEKeys); ok {
			out = append(out, k)
		}
	}
	return out
}

// TestInvalidKE: the initiator's first KE is not the responder's choice; the
// responder names its group and the initiator retries (RFC 7296 section 1.2).
func TestInvalidKE(t *testing.T) {
	l, r := left(), right()
	l.ike = []ike.Proposal{{Encr: ikeCBCECP.Encr, PRF: ikeCBCECP.PRF, Integ: ikeCBCECP.Integ,
		KE: []wire.KEID{wire.CURVE25519, wire.ECP_256}}}
	r.ike = []ike.Proposal{ikeCBCECP} // ECP_256 only
	p := newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	a, _ := agree(t, p)
	if a.KE != "ECP_256" {
		t.Errorf("KE %s", a.KE)
	}
	if !strings.Contains(p.logR.String(), "sending IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]") ||
		!strings.Contains(p.logL.String(), "received INVALID_KE_PAYLOAD, retrying with ECP_256") {
		t.Errorf("no INVALID_KE round trip in the logs")
	}
}

// TestCookie: a responder with cookies forced answers the first request
// with N(COOKIE) and keeps no state; the retry carries it first
// (RFC7296-2.6-4) and succeeds.
func TestCookie(t *testing.T) {
	l, r := left(), right()
	r.cookies = true
	p := newPair(t, l, r)
	p.initiate(t)
	p.net.Deliver(0) // the first request
	if st := p.r.Engine.Stats(); st.HalfOpen != 0 || st.CookiesSent != 1 || len(p.r.Engine.SAs()) != 0 {
		t.Fatalf("after the cookie response: %+v, %d SAs", st, len(p.r.Engine.SAs()))
	}
	p.flush(t)
	agree(t, p)
	if !strings.Contains(p.logL.String(), "sending IKE_SA_INIT request 0 [ N(COOKIE) SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP)") {
		t.Errorf("the retry does not carry the cookie first")
	}
}

// TestCookieAndInvalidKE: RFC 7296 section 2.7's case: cookie first, then a
// wrong group, then success; the cookie survives the group change.
func TestCookieAndInvalidKE(t *testing.T) {
	l, r := left(), right()
	l.ike = []ike.Proposal{{Encr: ikeCBCECP.Encr, PRF: ikeCBCECP.PRF, Integ: ikeCBCECP.Integ,
		KE: []wire.KEID{wire.CURVE25519, wire.ECP_256}}}
	r.cookies = true
	p := newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	agree(t, p)
	log := p.logR.String()
	if strings.Count(log, "[ N(COOKIE) ]") != 1 || strings.Count(log, "[ N(INVALID_KE_PAYLOAD) ]") != 1 {
		t.Errorf("want one COOKIE and one INVALID_KE_PAYLOAD response:\n%s", log)
	}
}

// TestIdentities runs IKE_AUTH with every ID type the PSK method uses (RFC
// 7296 section 3.5) and with the initiator leaving IDr out (RFC 7296
// section 1.2: IDr is optional in the request).
func TestIdentities(t *testing.T) {
	tests := []struct {
		name, l, r string
		noIDr      bool
		wantL      string
	}{
		{"IPv4", "192.0.2.1", "192.0.2.2", false, "192.0.2.1"},
		{"IPv6", "2001:db8::1", "2001:db8::2", false, "2001:db8::1"},
		{"FQDN", "@left.lab.example", "right.lab.example", false, "left.lab.example"},
		{"RFC822", "left@lab.example", "right@lab.example", false, "left@lab.example"},
		{"KEY_ID", "@#0102030405", "@#a0b0c0", false, "@#0102030405"},
		{"no IDr in the request", "left@lab.example", "right@lab.example", true, "left@lab.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, r := left(), right()
			l.id, l.peerID, r.id, r.peerID = tt.l, tt.r, tt.r, tt.l
			if tt.noIDr {
				l.peerID = "%any"
			}
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			a, b := agree(t, p)
			if a.LocalID != tt.wantL || b.RemoteID != tt.wantL {
				t.Errorf("IDs %s / %s, want %s", a.LocalID, b.RemoteID, tt.wantL)
			}
			wantReq := "IDi N(INITIAL_CONTACT) IDr AUTH"
			if tt.noIDr {
				wantReq = "IDi N(INITIAL_CONTACT) AUTH"
			}
			if !strings.Contains(p.logL.String(), "sending IKE_AUTH request 1 [ "+wantReq) {
				t.Errorf("request is not [ %s ... ]", wantReq)
			}
		})
	}
}

// TestWrongIdentity: a responder that expects another initiator identity
// answers AUTHENTICATION_FAILED (RFC7296-2.21.2-1), and so does one whose
// identity the initiator did not ask for.
func TestWrongIdentity(t *testing.T) {
	for _, tt := range []struct{ name, rPeer, lPeer string }{
		{"unexpected IDi", "someone@lab.example", "right@lab.example"},
		{"IDr names another responder", "left@lab.example", "other@lab.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, r := left(), right()
			r.peerID, l.peerID = tt.rPeer, tt.lPeer
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			if len(p.l.Engine.SAs())+len(p.r.Engine.SAs()) != 0 {
				t.Fatalf("SAs remain")
			}
			if !strings.Contains(p.logR.String(), "[ N(AUTHENTICATION_FAILED) ]") {
				t.Errorf("no AUTHENTICATION_FAILED")
			}
		})
	}
}
