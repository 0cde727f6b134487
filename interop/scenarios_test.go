package interop

import (
	"strings"
	"testing"
	"time"
)

// The scenarios: the refserver against strongSwan's charon, each in both
// directions unless the scenario has only one.

// proposalCase is one IKE + ESP proposal and what both ends must list.
type proposalCase struct {
	ike, esp string
	want     Want
	aead     bool
}

var proposalCases = []proposalCase{
	{"aes128gcm16-prfsha256-x25519", "aes128gcm16",
		Want{Encr: "AES_GCM_16-128", PRF: "PRF_HMAC_SHA2_256", KE: "CURVE_25519", ChildEncr: "AES_GCM_16-128", NoInteg: true}, true},
	{"aes256-sha256-ecp256", "aes256-sha256",
		Want{Encr: "AES_CBC-256", Integ: "HMAC_SHA2_256_128", PRF: "PRF_HMAC_SHA2_256", KE: "ECP_256", ChildEncr: "AES_CBC-256", ChildInteg: "HMAC_SHA2_256_128"}, false},
	{"aes128-sha256-modp2048", "aes128-sha256",
		Want{Encr: "AES_CBC-128", Integ: "HMAC_SHA2_256_128", PRF: "PRF_HMAC_SHA2_256", KE: "MODP_2048", ChildEncr: "AES_CBC-128", ChildInteg: "HMAC_SHA2_256_128"}, false},
}

// TestEstablish: IKE_SA_INIT + IKE_AUTH with one Child SA, PSK, for each
// proposal and direction; the verdict compares both ends' listings and
// keys, and the capture goes through tshark and ikedump.
func TestEstablish(t *testing.T) {
	requireInterop(t)
	for _, pc := range proposalCases {
		for _, d := range directions {
			t.Run(pc.ike+"/"+d.name, func(t *testing.T) {
				p := newPair(t, pairOpts{ike: pc.ike, esp: pc.esp})
				c, r := p.establish(t, d)
				p.verifyEstablished(t, d, c, r, pc.want)
				p.checkWire(t, pc.aead)
			})
		}
	}
}

// TestInvalidKE: the initiator's first KE payload is for a group the
// responder does not accept (RFC 7296 section 1.3: INVALID_KE_PAYLOAD
// names the group it wants); the initiator retries with that group and the
// SA comes up.
func TestInvalidKE(t *testing.T) {
	requireInterop(t)
	const (
		initIKE = "aes128gcm16-prfsha256-x25519-ecp256" // KE for x25519 first
		respIKE = "aes128gcm16-prfsha256-ecp256"
	)
	want := Want{Encr: "AES_GCM_16-128", PRF: "PRF_HMAC_SHA2_256", KE: "ECP_256", ChildEncr: "AES_GCM_16-128", NoInteg: true}
	for _, d := range directions {
		t.Run(d.name, func(t *testing.T) {
			o := pairOpts{esp: "aes128gcm16", charonIKE: respIKE, refIKE: initIKE}
			if !d.refInitiates {
				o.charonIKE, o.refIKE = initIKE, respIKE
			}
			p := newPair(t, o)
			c, r := p.establish(t, d)
			p.verifyEstablished(t, d, c, r, want)
			if d.refInitiates {
				// charon, responding, asks for ECP_256.
				logHas(t, p.ch, `DH group CURVE_25519 unacceptable, requesting ECP_256`)
				logHas(t, p.ch, `generating IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]`)
				logHas(t, p.rs, `(?i)received INVALID_KE`)
			} else {
				logHas(t, p.ch, `parsed IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]`)
				logHas(t, p.ch, `peer didn't accept DH group CURVE_25519, it requested ECP_256`)
				logHas(t, p.rs, `(?i)IKE_SA_INIT response 0 \[ N\(INVALID_KE`)
			}
			t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `INVAL_KE|DH group|IKE_SA_INIT`))
			t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `(?i)invalid_ke|IKE_SA_INIT`))
			pcap := p.capt.stop(t)
			checkTsharkClean(t, pcap)
			out, code := ikedump(t, pcap)
			if code != 0 {
				t.Errorf("ikedump: exit status %d:\n%s", code, out)
			}
			if n := strings.Count(out, "IKE_SA_INIT request"); n < 2 {
				t.Errorf("ikedump shows %d IKE_SA_INIT requests, want 2 (the retry):\n%s", n, out)
			}
			if !strings.Contains(out, "INVAL_KE") && !strings.Contains(out, "INVALID_KE") {
				t.Errorf("ikedump shows no INVALID_KE_PAYLOAD notify:\n%s", out)
			}
		})
	}
}

// TestCookie: the refserver's responder demands a cookie (RFC 7296 section
// 2.6, forced with --force-cookies); charon initiates, receives N(COOKIE),
// repeats IKE_SA_INIT with it, and the SA comes up. In after-invalid-ke the
// repeated request also carries the wrong KE group, so the cookie must
// survive an INVALID_KE_PAYLOAD round as well (RFC 7296 section 2.6: the
// initiator keeps SPIi and Ni, so the cookie stays valid).
func TestCookie(t *testing.T) {
	requireInterop(t)
	requireRefserverFlags(t, "--force-cookies")
	for _, c := range []struct {
		name, charonIKE, refIKE string
		invalidKE               bool
	}{
		{"plain", "aes256-sha256-ecp256", "aes256-sha256-ecp256", false},
		{"after-invalid-ke", "aes256-sha256-x25519-ecp256", "aes256-sha256-ecp256", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t, pairOpts{charonIKE: c.charonIKE, refIKE: c.refIKE, esp: "aes256-sha256", refFlags: []string{"--force-cookies"}})
			d := direction{"charon-initiates", false}
			cs, rs := p.establish(t, d)
			p.verifyEstablished(t, d, cs, rs, proposalCases[1].want)
			logHas(t, p.ch, `parsed IKE_SA_INIT response 0 \[ N\(COOKIE\) \]`)
			logHas(t, p.ch, `generating IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE No`)
			if c.invalidKE {
				logHas(t, p.ch, `parsed IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]`)
			}
			t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `COOKIE|INVAL_KE|IKE_SA_INIT`))
			t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `(?i)COOKIE|INVALID_KE|IKE_SA_INIT`))
			if st := p.rs.statsJSON(t); st.IKE.CookiesSent < 1 {
				t.Errorf("refserver stats: cookies_sent %d, want 1 or more", st.IKE.CookiesSent)
			}
			p.checkWire(t, false)
		})
	}
}

// TestAuthFailure: the two ends hold different PSKs. The responder's AUTH
// check fails (RFC 7296 section 2.15), it answers IKE_AUTH with
// N(AUTHENTICATION_FAILED) (section 2.21.2), and neither end keeps an SA.
func TestAuthFailure(t *testing.T) {
	requireInterop(t)
	for _, d := range directions {
		t.Run(d.name, func(t *testing.T) {
			p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256", noCapture: true,
				refPSK: "not-the-psk-charon-has-0123456789"})
			init, _ := p.roles(d)
			if out, err := init.Initiate(); err == nil {
				t.Errorf("%s initiate succeeded with mismatched PSKs:\n%s", init.Name(), out)
			}
			waitGone(t, 15*time.Second, p.ch, p.rs)
			if d.refInitiates {
				logHas(t, p.ch, `but MAC mismatched`)
				logHas(t, p.ch, `generating IKE_AUTH response 1 \[ N\(AUTH_FAILED\) \]`)
				logHas(t, p.rs, `(?i)AUTHENTICATION_FAILED`)
			} else {
				logHas(t, p.ch, `received AUTHENTICATION_FAILED notify error`)
			}
			t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `AUTH|MAC`))
			t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `(?i)AUTH`))
		})
	}
}

// TestDelete: an established IKE SA is deleted from one end (INFORMATIONAL
// with a Delete payload, RFC 7296 section 1.4.1); both ends then list no
// SA. Every combination of initiator and deleting end.
func TestDelete(t *testing.T) {
	requireInterop(t)
	for _, d := range directions {
		for _, refDeletes := range []bool{true, false} {
			name := d.name + "/charon-deletes"
			if refDeletes {
				name = d.name + "/refserver-deletes"
			}
			t.Run(name, func(t *testing.T) {
				p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256", noCapture: true})
				c, r := p.establish(t, d)
				p.verifyEstablished(t, d, c, r, proposalCases[1].want)
				var del peer = p.ch
				if refDeletes {
					del = p.rs
				}
				if out, err := del.Terminate(); err != nil {
					t.Errorf("%s terminate: %v\n%s", del.Name(), err, out)
				}
				waitGone(t, 15*time.Second, p.ch, p.rs)
				if refDeletes {
					logHas(t, p.ch, `received DELETE for IKE_SA lab`)
				} else {
					logHas(t, p.ch, `sending DELETE for IKE_SA lab`)
					logHas(t, p.ch, `IKE_SA deleted`)
				}
				t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `DELETE|deleted|INFORMATIONAL`))
			})
		}
	}
}

// TestLiveness: one end checks liveness every 5 s (RFC 7296 section 2.4:
// an empty INFORMATIONAL request) and the other answers; then the answering
// end dies, and the checking end retransmits a few times, gives up and
// deletes the SA.
func TestLiveness(t *testing.T) {
	requireInterop(t)
	t.Run("charon-checks", func(t *testing.T) {
		p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256", noCapture: true,
			charonDPD: "5s", charon: CharonOptions{RetransmitTimeout: 1, RetransmitBase: 1.4, RetransmitTries: 2}})
		d := direction{"refserver-initiates", true}
		c, r := p.establish(t, d)
		p.verifyEstablished(t, d, c, r, proposalCases[1].want)
		// A liveness exchange: charon's empty request, the refserver's answer.
		if !waitLog(t, p.ch, `sending DPD request`, 15*time.Second) ||
			!waitLog(t, p.ch, `parsed INFORMATIONAL response \d+ \[ \]`, 10*time.Second) {
			t.Fatalf("no liveness exchange; charon log:\n%s", grepLines(p.ch.Log(), `DPD|INFORMATIONAL|retransmit`))
		}
		t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `DPD|INFORMATIONAL`))
		p.rs.Kill()
		start := time.Now()
		waitGone(t, 40*time.Second, p.ch)
		t.Logf("charon gave up %v after the refserver died", time.Since(start).Round(100*time.Millisecond))
		logHas(t, p.ch, `giving up after 2 retransmits`)
	})
	t.Run("refserver-checks", func(t *testing.T) {
		requireInterop(t)
		requireRefserverFlags(t, "--retransmit-timeout", "--retransmit-tries", "--retransmit-base")
		p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256", noCapture: true,
			refDPD: "5s", refFlags: []string{"--retransmit-timeout", "1s", "--retransmit-base", "1.4", "--retransmit-tries", "2"}})
		d := direction{"charon-initiates", false}
		c, r := p.establish(t, d)
		p.verifyEstablished(t, d, c, r, proposalCases[1].want)
		if !waitLog(t, p.ch, `parsed INFORMATIONAL request \d+ \[ \]`, 15*time.Second) ||
			!waitLog(t, p.ch, `generating INFORMATIONAL response \d+ \[ \]`, 5*time.Second) {
			t.Fatalf("no liveness exchange; charon log:\n%s", grepLines(p.ch.Log(), `INFORMATIONAL`))
		}
		t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `INFORMATIONAL`))
		p.ch.Kill()
		start := time.Now()
		waitGone(t, 40*time.Second, p.rs)
		t.Logf("refserver gave up %v after charon died", time.Since(start).Round(100*time.Millisecond))
		t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `(?i)INFORMATIONAL|retransmi|giving up|dead|delet`))
		if st := p.rs.statsJSON(t); st.IKE.Retransmits < 2 {
			t.Errorf("refserver stats: retransmits %d, want 2 or more (--retransmit-tries 2)", st.IKE.Retransmits)
		}
	})
}

// TestIkeScan: ike-scan's fixed IKE_SA_INIT (AES-CBC, SHA1, MODP groups,
// no NAT-D) gets an answer from the refserver's responder when it accepts
// aes256-sha1-modp2048, and INVALID_KE_PAYLOAD naming group 14 when the KE
// payload is for group 2.
func TestIkeScan(t *testing.T) {
	requireInterop(t)
	l := newLab(t)
	rs := startRefserver(l, l.right, l.right.conn("aes256-sha256-ecp256, aes256-sha1-modp2048", "aes256-sha256"))
	capt := l.startCapture(l.right, "ikescan")
	checkIkeScan(t, l, l.left, l.right.addr)
	pcap := capt.stop(t)
	checkTsharkClean(t, pcap)
	if out, code := ikedump(t, pcap); code != 0 {
		t.Errorf("ikedump: exit status %d:\n%s", code, out)
	}
	t.Logf("refserver stats:\n%s", rs.stats())
}

// checkIkeScan probes addr from side s with ike-scan: group 2 must be
// answered with INVALID_KE_PAYLOAD, group 14 with an IKE_SA_INIT response
// (in this order: the second leaves a half-open IKE SA behind).
func checkIkeScan(t *testing.T, l *lab, s side, addr string) {
	t.Helper()
	out, err := l.nsRun(s, 30*time.Second, "ike-scan", "--ikev2", "--sport=0", "--dhgroup=2", addr)
	t.Logf("ike-scan --dhgroup=2:\n%s", out)
	if err != nil || !strings.Contains(out, "Notify message 17 (INVALID_KE_PAYLOAD)") {
		t.Errorf("ike-scan --dhgroup=2 %s: no \"Notify message 17 (INVALID_KE_PAYLOAD)\" (err %v)", addr, err)
	}
	out, err = l.nsRun(s, 30*time.Second, "ike-scan", "--ikev2", "--sport=0", "--dhgroup=14", addr)
	t.Logf("ike-scan --dhgroup=14:\n%s", out)
	if err != nil || !strings.Contains(out, "IKEv2 SA_INIT Handshake returned") {
		t.Errorf("ike-scan --dhgroup=14 %s: no \"IKEv2 SA_INIT Handshake returned\" (err %v)", addr, err)
	}
}
