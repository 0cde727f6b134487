package auth_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// TestVerifyChain: an end-entity certificate under an intermediate under a
// trusted root verifies with the intermediate from the CERT payloads; the
// bad cases fail with the error that says why.
func TestVerifyChain(t *testing.T) {
	root := authtest.NewRoot(t, "Root CA", authtest.Key(t, "p256", 10))
	inter := root.Intermediate(t, "Intermediate CA", authtest.Key(t, "p256", 11))
	other := authtest.NewRoot(t, "Other CA", authtest.Key(t, "p256", 12))
	key := authtest.Key(t, "p256", 13)
	leaf := inter.Issue(t, authtest.Leaf{CN: "left", Emails: []string{"left@lab.example"}, Key: key})
	expired := inter.Issue(t, authtest.Leaf{CN: "old", Key: key, NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(-1, 0, 0)})
	future := inter.Issue(t, authtest.Leaf{CN: "new", Key: key, NotBefore: now.AddDate(1, 0, 0)})
	noSig := inter.Issue(t, authtest.Leaf{CN: "enc", Key: key, KeyUsage: x509.KeyUsageKeyAgreement})
	noKU := inter.Issue(t, authtest.Leaf{CN: "any", Key: key, NoKeyUsage: true})
	direct := root.Issue(t, authtest.Leaf{CN: "direct", Key: key})

	for _, tc := range []struct {
		name  string
		chain []*x509.Certificate
		roots []*x509.Certificate
		want  error
	}{
		{"leaf, intermediate, root trusted", []*x509.Certificate{leaf, inter.Cert}, []*x509.Certificate{root.Cert}, nil},
		{"intermediate trusted itself", []*x509.Certificate{leaf}, []*x509.Certificate{inter.Cert}, nil},
		{"issued by the root", []*x509.Certificate{direct}, []*x509.Certificate{other.Cert, root.Cert}, nil},
		{"no key usage extension", []*x509.Certificate{noKU, inter.Cert}, []*x509.Certificate{root.Cert}, nil},
		{"intermediate missing", []*x509.Certificate{leaf}, []*x509.Certificate{root.Cert}, auth.ErrUnknownCA},
		{"wrong CA", []*x509.Certificate{leaf, inter.Cert}, []*x509.Certificate{other.Cert}, auth.ErrUnknownCA},
		{"no trust anchors", []*x509.Certificate{leaf, inter.Cert}, nil, auth.ErrUnknownCA},
		{"expired", []*x509.Certificate{expired, inter.Cert}, []*x509.Certificate{root.Cert}, auth.ErrExpired},
		{"not yet valid", []*x509.Certificate{future, inter.Cert}, []*x509.Certificate{root.Cert}, auth.ErrExpired},
		{"key usage without digitalSignature", []*x509.Certificate{noSig, inter.Cert}, []*x509.Certificate{root.Cert}, auth.ErrKeyUsage},
		{"self-signed end entity", []*x509.Certificate{other.Cert}, []*x509.Certificate{root.Cert}, auth.ErrUnknownCA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.VerifyChain(tc.chain, tc.roots, now)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("VerifyChain: %v, want %v", err, tc.want)
			}
			if err == nil && got != tc.chain[0] {
				t.Errorf("returned %v, not the end entity", got.Subject)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}
}

// TestParseChain: CERT payload data that is not a certificate, or too many.
func TestParseChain(t *testing.T) {
	root := authtest.NewRoot(t, "Root CA", authtest.Key(t, "p256", 10))
	if _, err := auth.ParseChain(nil); !errors.Is(err, auth.ErrBadCert) {
		t.Errorf("no certificate: %v", err)
	}
	if _, err := auth.ParseChain([][]byte{root.Cert.Raw[:100]}); !errors.Is(err, auth.ErrBadCert) {
		t.Errorf("truncated: %v", err)
	}
	many := make([][]byte, auth.MaxChain+1)
	for i := range many {
		many[i] = root.Cert.Raw
	}
	if _, err := auth.ParseChain(many); !errors.Is(err, auth.ErrBadCert) {
		t.Errorf("%d certificates: %v", len(many), err)
	}
	if c, err := auth.ParseChain(many[:4]); err != nil || len(c) != 4 {
		t.Errorf("four certificates (RFC7296-3.6-2): %v", err)
	}
}

// TestBindIdentity: the ID payload's identity must be in the end-entity
// certificate (RFC4301-4.4.3.2-2): SAN dNSName, rfc822Name, iPAddress, or
// the subject DN.
func TestBindIdentity(t *testing.T) {
	root := authtest.NewRoot(t, "Root CA", authtest.Key(t, "p256", 10))
	c := root.Issue(t, authtest.Leaf{CN: "moon", DNS: []string{"moon.lab.example"}, Emails: []string{"moon@lab.example"},
		IPs: []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")}, Key: authtest.Key(t, "p256", 13)})
	dn, err := auth.ParseDN("C=CH, O=ikev2ref, CN=moon")
	if err != nil {
		t.Fatal(err)
	}
	otherDN, _ := auth.ParseDN("C=CH, O=ikev2ref, CN=sun")
	for _, tc := range []struct {
		t    wire.IDType
		data []byte
		ok   bool
	}{
		{wire.ID_FQDN, []byte("moon.lab.example"), true},
		{wire.ID_FQDN, []byte("MOON.lab.example"), true},
		{wire.ID_FQDN, []byte("sun.lab.example"), false},
		{wire.ID_FQDN, []byte("moon"), false}, // the CN is not a dNSName
		{wire.ID_RFC822_ADDR, []byte("moon@lab.example"), true},
		{wire.ID_RFC822_ADDR, []byte("sun@lab.example"), false},
		{wire.ID_IPV4_ADDR, net.ParseIP("192.0.2.1").To4(), true},
		{wire.ID_IPV4_ADDR, net.ParseIP("192.0.2.2").To4(), false},
		{wire.ID_IPV4_ADDR, []byte{192, 0, 2}, false},
		{wire.ID_IPV6_ADDR, net.ParseIP("2001:db8::1"), true},
		{wire.ID_IPV6_ADDR, net.ParseIP("2001:db8::2"), false},
		{wire.ID_DER_ASN1_DN, dn, true},
		{wire.ID_DER_ASN1_DN, c.RawSubject, true},
		{wire.ID_DER_ASN1_DN, otherDN, false},
		{wire.ID_DER_ASN1_DN, []byte{0x30, 0x03, 0x01}, false},
		{wire.ID_KEY_ID, []byte("moon"), false},
	} {
		err := auth.BindIdentity(c, tc.t, tc.data)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, auth.ErrNotBound)) {
			t.Errorf("%v %q: %v, want bound %v", tc.t, tc.data, err, tc.ok)
		}
	}
}

// TestCertReqData: the SHA-1 of each trust anchor's SubjectPublicKeyInfo,
// concatenated (RFC 7296 section 3.7), as wire.CertReq.Authorities splits
// them.
func TestCertReqData(t *testing.T) {
	a := authtest.NewRoot(t, "A", authtest.Key(t, "p256", 10))
	b := authtest.NewRoot(t, "B", authtest.Key(t, "rsa2048", 10))
	d := auth.CertReqData([]*x509.Certificate{a.Cert, b.Cert, a.Cert})
	ha, hb := sha1.Sum(a.Cert.RawSubjectPublicKeyInfo), sha1.Sum(b.Cert.RawSubjectPublicKeyInfo)
	if !bytes.Equal(d, append(ha[:], hb[:]...)) {
		t.Errorf("CERTREQ data %x", d)
	}
	cr := &wire.CertReq{Encoding: wire.CertX509Sig, Data: d}
	if as, err := cr.Authorities(); err != nil || len(as) != 2 || !bytes.Equal(as[1], auth.KeyHash(b.Cert)) {
		t.Errorf("Authorities: %x, %v", as, err)
	}
}
