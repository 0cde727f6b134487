package ike_test

import (
	gocrypto "crypto"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// pki is a root CA with an intermediate, and end-entity certificates for
// left@lab.example and right@lab.example under the intermediate.
type pki struct {
	root, inter *authtest.CA
	leftKey     gocrypto.Signer
	rightKey    gocrypto.Signer
	left, right *x509.Certificate
}

// newPKI issues the two ends' certificates with keys of the given kinds
// (authtest.Key); the names are in every form the tests use as IDs.
func newPKI(t *testing.T, leftKind, rightKind string) *pki {
	p := &pki{root: authtest.NewRoot(t, "Lab Root CA", authtest.Key(t, "p256", 100))}
	p.inter = p.root.Intermediate(t, "Lab Intermediate CA", authtest.Key(t, "p256", 101))
	p.leftKey, p.rightKey = authtest.Key(t, leftKind, 0), authtest.Key(t, rightKind, 1)
	p.left = p.inter.Issue(t, authtest.Leaf{CN: "left", Emails: []string{"left@lab.example"},
		DNS: []string{"left.lab.example"}, IPs: []net.IP{net.IP(addrL.AsSlice())}, Key: p.leftKey})
	p.right = p.inter.Issue(t, authtest.Leaf{CN: "right", Emails: []string{"right@lab.example"},
		DNS: []string{"right.lab.example"}, IPs: []net.IP{net.IP(addrR.AsSlice())}, Key: p.rightKey})
	return p
}

// sides returns left and right configured for certificates: each sends its
// chain (end entity, intermediate) and trusts the root.
func (p *pki) sides(auth ike.AuthMethod) (side, side) {
	l, r := left(), right()
	l.tweak = pubkeyTweak(auth, p.leftKey, authtest.DER(p.left, p.inter.Cert), authtest.DER(p.root.Cert))
	r.tweak = pubkeyTweak(auth, p.rightKey, authtest.DER(p.right, p.inter.Cert), authtest.DER(p.root.Cert))
	return l, r
}

func pubkeyTweak(a ike.AuthMethod, key gocrypto.Signer, certs, cas [][]byte) func(*ike.Connection) {
	return func(c *ike.Connection) {
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = a, key, certs
		c.Remote.Auth, c.Remote.CACerts = a, cas
	}
}

func logLine(log, prefix string) string {
	for _, l := range strings.Split(log, "\n") {
		if i := strings.Index(l, prefix); i >= 0 {
			return l[i:]
		}
	}
	return ""
}

// TestPubkeyHandshake runs IKE_AUTH with certificates under an intermediate
// CA: each end sends its chain, and both sent SIGNATURE_HASH_ALGORITHMS, so
// both sign with the Digital Signature method (RFC7427-3-2) and a hash from
// the other's list (RFC7427-4-1).
func TestPubkeyHandshake(t *testing.T) {
	tests := []struct {
		name                string
		leftKey, rightKey   string
		auth                ike.AuthMethod
		lid, rid            string
		wantLeft, wantRight string // the schemes the peer verified
	}{
		{"RSA PKCS#1", "rsa2048", "rsa2048", ike.AuthPubkey, "left@lab.example", "right@lab.example",
			"RSA_EMSA_PKCS1_SHA2_256", "RSA_EMSA_PKCS1_SHA2_256"},
		{"RSA PSS", "rsa2048", "rsa2048", ike.AuthRSAPSS, "left@lab.example", "right@lab.example",
			"RSA_EMSA_PSS_SHA2_256", "RSA_EMSA_PSS_SHA2_256"},
		{"ECDSA P-256", "p256", "p256", ike.AuthECDSA, "left@lab.example", "right@lab.example",
			"ECDSA_WITH_SHA256_DER", "ECDSA_WITH_SHA256_DER"},
		{"ECDSA P-384 and P-521, FQDN", "p384", "p521", ike.AuthPubkey, "@left.lab.example", "@right.lab.example",
			"ECDSA_WITH_SHA384_DER", "ECDSA_WITH_SHA512_DER"},
		{"Ed25519, IP addresses", "ed25519", "ed25519", ike.AuthEd25519, "192.0.2.1", "192.0.2.2", "ED25519", "ED25519"},
		{"RSA and ECDSA, DN", "rsa2048", "p256", ike.AuthPubkey, "C=CH, O=ikev2ref, CN=left", "C=CH, O=ikev2ref, CN=right",
			"RSA_EMSA_PKCS1_SHA2_256", "ECDSA_WITH_SHA256_DER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk := newPKI(t, tt.leftKey, tt.rightKey)
			l, r := pk.sides(tt.auth)
			l.id, l.peerID, r.id, r.peerID = tt.lid, tt.rid, tt.rid, tt.lid
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			a, b := agree(t, p)
			if want := mustID(t, tt.lid).String(); a.LocalID != want || b.RemoteID != want {
				t.Errorf("identities %s / %s, want %s", a.LocalID, b.RemoteID, want)
			}
			for _, c := range []struct {
				log, prefix string
			}{
				{p.logL.String(), "sending IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)"},
				{p.logR.String(), "sending IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)"},
				{p.logL.String(), "sending IKE_AUTH request 1 [ IDi CERT CERT N(INITIAL_CONTACT) CERTREQ IDr AUTH SA TSi TSr ]"},
				{p.logR.String(), "sending IKE_AUTH response 1 [ IDr CERT CERT AUTH SA TSi TSr ]"},
			} {
				line := logLine(c.log, c.prefix)
				if line == "" {
					t.Errorf("no log line %q", c.prefix)
				}
				if strings.Contains(c.prefix, "IKE_SA_INIT") && !strings.Contains(line, "N(HASH_ALG)") {
					t.Errorf("no N(SIGNATURE_HASH_ALGORITHMS): %s", line)
				}
				if strings.Contains(c.prefix, "IKE_SA_INIT response") && !strings.Contains(line, "CERTREQ") {
					t.Errorf("no CERTREQ in the IKE_SA_INIT response: %s", line)
				}
			}
			for _, c := range []struct {
				log, who, scheme string
			}{{p.logR.String(), "left", tt.wantLeft}, {p.logL.String(), "right", tt.wantRight}} {
				line := logLine(c.log, "authentication of peer successful with")
				if !strings.Contains(line, c.scheme+" (DIGITAL_SIGNATURE), certificate") || !strings.Contains(line, `issued by "C=CH, O=ikev2ref, CN=Lab Intermediate CA"`) {
					t.Errorf("%s: %q, want %s", c.who, line, c.scheme)
				}
			}
		})
	}
}

// TestPubkeyPinned: a peer authenticated by a configured public key, with
// no CA (swanctl's pubkeys), and a PSK end facing a certificate end.
func TestPubkeyPinned(t *testing.T) {
	pk := newPKI(t, "p256", "ed25519")
	l, r := pk.sides(ike.AuthPubkey)
	r.tweak = func(c *ike.Connection) {
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = ike.AuthPubkey, pk.rightKey, nil
		c.Remote.Auth, c.Remote.Pubkeys = ike.AuthPubkey, []gocrypto.PublicKey{pk.leftKey.Public()}
	}
	l.tweak = func(c *ike.Connection) {
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = ike.AuthPubkey, pk.leftKey, authtest.DER(pk.left)
		c.Remote.Auth, c.Remote.Pubkeys = ike.AuthEd25519, []gocrypto.PublicKey{pk.rightKey.Public()}
	}
	p := newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	agree(t, p)
	if !strings.Contains(logLine(p.logL.String(), "authentication of peer successful"), "a configured public key") {
		t.Errorf("left log:\n%s", p.logL)
	}

	// Mixed: the initiator proves itself with a PSK, the responder with
	// its certificate (RFC 7296 section 2.15: each end its own method).
	pk2 := newPKI(t, "p256", "p256")
	l, r = left(), right()
	l.tweak = func(c *ike.Connection) { c.Remote.Auth, c.Remote.CACerts = ike.AuthPubkey, authtest.DER(pk2.root.Cert) }
	r.tweak = func(c *ike.Connection) {
		c.Local.Auth, c.Local.PrivateKey, c.Local.Certs = ike.AuthECDSA, pk2.rightKey, authtest.DER(pk2.right, pk2.inter.Cert)
	}
	p = newPair(t, l, r)
	p.initiate(t)
	p.flush(t)
	agree(t, p)
	if !strings.Contains(logLine(p.logR.String(), "authentication of peer successful"), "shared key MIC") ||
		!strings.Contains(logLine(p.logL.String(), "authentication of peer successful"), "ECDSA_WITH_SHA256_DER") {
		t.Errorf("logs:\n%s\n%s", p.logL, p.logR)
	}
}

// TestPubkeyFailures: the responder checks the initiator's chain, identity
// and signature before it sends anything of its own, and answers only
// N(AUTHENTICATION_FAILED) (RFC7296-2.21.2-1), saying why in its log; the
// initiator checks the responder the same way and gives up.
func TestPubkeyFailures(t *testing.T) {
	type fix func(t *testing.T, pk *pki, l, r *side)
	other := func(t *testing.T) *authtest.CA {
		return authtest.NewRoot(t, "Other Root CA", authtest.Key(t, "p256", 102))
	}
	tests := []struct {
		name          string
		fix           fix
		responderSays string // "": the initiator refuses the responder
		initiatorSays string
	}{
		{"wrong CA", func(t *testing.T, pk *pki, l, r *side) {
			r.tweak = chainTweak(r.tweak, func(c *ike.Connection) { c.Remote.CACerts = authtest.DER(other(t).Cert) })
		}, "unknown CA", ""},
		{"intermediate not sent", func(t *testing.T, pk *pki, l, r *side) {
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.Certs = c.Local.Certs[:1] })
		}, "unknown CA", ""},
		{"expired", func(t *testing.T, pk *pki, l, r *side) {
			old := pk.inter.Issue(t, authtest.Leaf{CN: "left", Emails: []string{"left@lab.example"}, Key: pk.leftKey,
				NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.Certs[0] = old.Raw })
		}, "certificate expired", ""},
		{"ID not in the certificate", func(t *testing.T, pk *pki, l, r *side) {
			bare := pk.inter.Issue(t, authtest.Leaf{CN: "left", Key: pk.leftKey})
			// Its address is its identity, which the certificate does not
			// name; the responder accepts any identity.
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.Certs[0], c.Local.ID = bare.Raw, ike.Identity{} })
			r.peerID = "%any"
		}, "identity not bound to the certificate", ""},
		{"key usage without digitalSignature", func(t *testing.T, pk *pki, l, r *side) {
			ku := pk.inter.Issue(t, authtest.Leaf{CN: "left", Emails: []string{"left@lab.example"}, Key: pk.leftKey, KeyUsage: x509.KeyUsageKeyAgreement})
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.Certs[0] = ku.Raw })
		}, "certificate key usage", ""},
		{"signature by another key", func(t *testing.T, pk *pki, l, r *side) {
			// The certificate is left's, the signature is made with another
			// key: configured through the back door of a certificate-less
			// config, the right end pins left's real key.
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.PrivateKey, c.Local.Certs = authtest.Key(t, "p256", 7), nil })
			r.tweak = chainTweak(r.tweak, func(c *ike.Connection) { c.Remote.Pubkeys = []gocrypto.PublicKey{pk.leftKey.Public()} })
		}, "bad signature", ""},
		{"RSA required, ECDSA sent", func(t *testing.T, pk *pki, l, r *side) {
			r.tweak = chainTweak(r.tweak, func(c *ike.Connection) { c.Remote.Auth = ike.AuthRSA })
		}, "signature algorithm refused", ""},
		{"PSK where a signature is expected", func(t *testing.T, pk *pki, l, r *side) {
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Local.Auth = ike.AuthPSK })
		}, "no connection matches", ""},
		{"the responder's CA is unknown to the initiator", func(t *testing.T, pk *pki, l, r *side) {
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Remote.CACerts = authtest.DER(other(t).Cert) })
		}, "", "unknown CA"},
		{"the responder's identity is not the expected one", func(t *testing.T, pk *pki, l, r *side) {
			r.tweak = chainTweak(r.tweak, func(c *ike.Connection) { c.Local.ID = ike.Identity{} }) // its address
			l.peerID = "%any"
			l.tweak = chainTweak(l.tweak, func(c *ike.Connection) { c.Remote.ID = ike.Identity{} })
		}, "", "identity not bound to the certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk := newPKI(t, "p256", "p256")
			l, r := pk.sides(ike.AuthPubkey)
			tt.fix(t, pk, &l, &r)
			if tt.name == "the responder's identity is not the expected one" {
				// The right end's certificate does not name 192.0.2.2.
				bare := pk.inter.Issue(t, authtest.Leaf{CN: "right", Emails: []string{"right@lab.example"}, Key: pk.rightKey})
				r.tweak = chainTweak(r.tweak, func(c *ike.Connection) { c.Local.Certs[0] = bare.Raw })
			}
			p := newPair(t, l, r)
			p.initiate(t)
			p.flush(t)
			if n := len(p.l.Engine.SAs()); n != 0 {
				t.Errorf("the initiator keeps %d IKE SAs", n)
			}
			if tt.responderSays != "" {
				if line := logLine(p.logR.String(), "sending IKE_AUTH response 1"); !strings.Contains(line, "[ N(AUTHENTICATION_FAILED) ]") {
					t.Errorf("the responder sent %q, want only N(AUTHENTICATION_FAILED)", line)
				}
				if line := logLine(p.logR.String(), tt.responderSays); line == "" {
					t.Errorf("the responder's log does not say %q:\n%s", tt.responderSays, p.logR)
				} else {
					t.Logf("responder: %s", line)
				}
				if n := len(p.r.Engine.SAs()); n != 0 {
					t.Errorf("the responder keeps %d IKE SAs", n)
				}
				if !strings.Contains(p.logL.String(), "received AUTHENTICATION_FAILED") {
					t.Errorf("the initiator did not see AUTHENTICATION_FAILED")
				}
				return
			}
			if line := logLine(p.logL.String(), "failed ("); !strings.Contains(line, tt.initiatorSays) {
				t.Errorf("the initiator's log does not say %q:\n%s", tt.initiatorSays, p.logL)
			} else {
				t.Logf("initiator: %s", line)
			}
		})
	}
}

func chainTweak(first, then func(*ike.Connection)) func(*ike.Connection) {
	return func(c *ike.Connection) {
		if first != nil {
			first(c)
		}
		then(c)
	}
}

// TestPubkeyGarbageAuth: an IKE_AUTH request whose AUTH data is truncated,
// garbage, or of a method that does not fit the key, protected with the
// right keys: AUTHENTICATION_FAILED, never a panic.
func TestPubkeyGarbageAuth(t *testing.T) {
	pk := newPKI(t, "p256", "p256")
	mutations := []struct {
		name string
		f    func(a *wire.Auth)
	}{
		{"empty", func(a *wire.Auth) { a.Data = nil }},
		{"one octet", func(a *wire.Auth) { a.Data = a.Data[:1] }},
		{"ASN.1 length past the end", func(a *wire.Auth) { a.Data = []byte{200, 0x30, 0x0a} }},
		{"AlgorithmIdentifier only", func(a *wire.Auth) { a.Data = a.Data[:1+int(a.Data[0])] }},
		{"truncated signature", func(a *wire.Auth) { a.Data = a.Data[:len(a.Data)-5] }},
		{"garbage AlgorithmIdentifier", func(a *wire.Auth) {
			for i := 1; i <= int(a.Data[0]); i++ {
				a.Data[i] ^= 0x5a
			}
		}},
		{"ECDSA-256 method with DER data", func(a *wire.Auth) { a.Method = wire.AuthECDSA256 }},
		{"RSA method", func(a *wire.Auth) { a.Method = wire.AuthRSASig }},
		{"unknown method", func(a *wire.Auth) { a.Method = 201 }},
		{"shared key MIC", func(a *wire.Auth) { a.Method = wire.AuthSharedKeyMIC }},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			l, r := pk.sides(ike.AuthPubkey)
			// Without the intermediate the request fits one datagram.
			l.tweak = pubkeyTweak(ike.AuthPubkey, pk.leftKey, authtest.DER(pk.left), authtest.DER(pk.root.Cert))
			r.tweak = pubkeyTweak(ike.AuthPubkey, pk.rightKey, authtest.DER(pk.right), authtest.DER(pk.inter.Cert))
			p := newPair(t, l, r)
			skI, _ := toAuth(t, p)
			data := reseal(t, skI, append([]byte(nil), p.net.InFlight[0].Data...), func(_ *wire.Header, ps []wire.Payload) []wire.Payload {
				a, ok := wire.Find[*wire.Auth](ps)
				if !ok {
					t.Fatalf("no AUTH in %v", ps)
				}
				m.f(a)
				return ps
			})
			p.net.Drop(0)
			ans := answer(t, p, inject(p, data))
			if ans == nil {
				t.Fatal("no answer")
			}
			_, skR := sks(t, findKeys(p.r.Actions)[0])
			inner, err := skR.OpenMessage(encode(t, ans))
			if err != nil {
				t.Fatal(err)
			}
			if len(inner) != 1 {
				t.Errorf("the response holds %v, want only N(AUTHENTICATION_FAILED)", wire.Summary(ans.Header, inner))
			}
			if _, ok := wire.FindNotify(inner, wire.AUTHENTICATION_FAILED); !ok {
				t.Errorf("the response holds %v", wire.Summary(ans.Header, inner))
			}
			if n := len(p.r.Engine.SAs()); n != 0 {
				t.Errorf("the responder keeps %d IKE SAs", n)
			}
		})
	}
}

// TestPubkeyConfig: ike.New refuses signature settings that cannot work.
func TestPubkeyConfig(t *testing.T) {
	pk := newPKI(t, "p256", "rsa2048")
	tests := []struct {
		name  string
		tweak func(*ike.Connection)
		want  string
	}{
		{"no private key", func(c *ike.Connection) { c.Local.PrivateKey = nil }, "without a private key"},
		{"another key", func(c *ike.Connection) { c.Local.PrivateKey = authtest.Key(t, "p256", 9) }, "is not the one of certificate"},
		{"ID not in the certificate", func(c *ike.Connection) { c.Local.ID = mustID(t, "sun@lab.example") }, "is not among the email addresses"},
		{"rsa with an ECDSA key", func(c *ike.Connection) { c.Local.Auth = ike.AuthRSA }, "auth = rsa, and the key is ECDSA"},
		{"nothing to trust", func(c *ike.Connection) { c.Remote.CACerts = nil }, "without CA certificates or public keys"},
		{"CA certificate garbage", func(c *ike.Connection) { c.Remote.CACerts = [][]byte{{0x30, 0x00}} }, "remote CA certificates"},
		{"unknown method", func(c *ike.Connection) { c.Remote.Auth = 77 }, "unsupported authentication auth(77)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := pk.sides(ike.AuthPubkey)
			l.tweak = chainTweak(l.tweak, tt.tweak)
			_, err := ike.New(l.config(t, addrR, 1, nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}
	l, _ := pk.sides(ike.AuthPubkey)
	if _, err := ike.New(l.config(t, addrR, 1, nil)); err != nil {
		t.Errorf("the good configuration: %v", err)
	}
}
