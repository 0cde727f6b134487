// Package authtest makes the certificates and keys that the tests of
// signature authentication (RFC 7296 sections 2.15 and 3.6, RFC 7427)
// run on: a root CA, intermediates and end-entity certificates made with
// crypto/x509 in the test, and their PEM files for swanctl directories.
package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	keysMu sync.Mutex
	keys   = map[string]crypto.Signer{}
)

// Key returns the n-th key of a kind ("rsa2048", "rsa3072", "p256",
// "p384", "p521", "ed25519"), made once per test binary: RSA keys are slow
// to generate.
func Key(t testing.TB, kind string, n int) crypto.Signer {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	name := fmt.Sprintf("%s/%d", kind, n)
	if k, ok := keys[name]; ok {
		return k
	}
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa3072":
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	keys[name] = k
	return k
}

// CA is a certification authority: its certificate and key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

var serial struct {
	sync.Mutex
	n int64
}

func nextSerial() *big.Int {
	serial.Lock()
	defer serial.Unlock()
	serial.n++
	return big.NewInt(serial.n)
}

// Validity of the certificates made here unless a Leaf says otherwise:
// around the in-memory harness's clock (impl/ike/iketest) and today.
var (
	DefaultNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	DefaultNotAfter  = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

// NewRoot makes a self-signed root CA with subject "C=CH, O=ikev2ref, CN=name".
func NewRoot(t testing.TB, name string, key crypto.Signer) *CA {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: Name(name),
		NotBefore: DefaultNotBefore, NotAfter: DefaultNotAfter,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	return &CA{Cert: create(t, tmpl, tmpl, key.Public(), key), Key: key}
}

// Intermediate makes a CA certified by ca.
func (ca *CA) Intermediate(t testing.TB, name string, key crypto.Signer) *CA {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: Name(name),
		NotBefore: DefaultNotBefore, NotAfter: DefaultNotAfter,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	return &CA{Cert: create(t, tmpl, ca.Cert, key.Public(), ca.Key), Key: key}
}

// Name is the subject "C=CH, O=ikev2ref, CN=cn".
func Name(cn string) pkix.Name {
	return pkix.Name{Country: []string{"CH"}, Organization: []string{"ikev2ref"}, CommonName: cn}
}

// Leaf says what an end-entity certificate holds. Zero times take the
// defaults; a zero KeyUsage is digitalSignature (and keyEncipherment for
// RSA keys); NoKeyUsage leaves the extension out.
type Leaf struct {
	CN                  string
	DNS, Emails         []string
	IPs                 []net.IP
	Key                 crypto.Signer
	NotBefore, NotAfter time.Time
	KeyUsage            x509.KeyUsage
	NoKeyUsage          bool
}

// Issue makes an end-entity certificate signed by ca.
func (ca *CA) Issue(t testing.TB, l Leaf) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: Name(l.CN),
		NotBefore: l.NotBefore, NotAfter: l.NotAfter, DNSNames: l.DNS, EmailAddresses: l.Emails, IPAddresses: l.IPs,
		KeyUsage: l.KeyUsage, BasicConstraintsValid: true}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = DefaultNotBefore
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = DefaultNotAfter
	}
	if tmpl.KeyUsage == 0 && !l.NoKeyUsage {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := l.Key.(*rsa.PrivateKey); ok {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
	}
	return create(t, tmpl, ca.Cert, l.Key.Public(), ca.Key)
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	return c
}

// DER returns the certificates' encodings, in order.
func DER(certs ...*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM encodes a private key as strongSwan's tools write them: PKCS#1
// ("RSA PRIVATE KEY") for RSA, SEC 1 ("EC PRIVATE KEY") for ECDSA, PKCS#8
// ("PRIVATE KEY") for Ed25519 or when pkcs8 is set.
func KeyPEM(t testing.TB, k crypto.Signer, pkcs8 bool) []byte {
	t.Helper()
	var b *pem.Block
	switch key := k.(type) {
	case *rsa.PrivateKey:
		if !pkcs8 {
			b = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
		}
	case *ecdsa.PrivateKey:
		if !pkcs8 {
			der, err := x509.MarshalECPrivateKey(key)
			if err != nil {
				t.Fatalf("authtest: %v", err)
			}
			b = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
		}
	}
	if b == nil {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatalf("authtest: %v", err)
		}
		b = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return pem.EncodeToMemory(b)
}

// WriteFile writes data to dir/sub/name, making the directories.
func WriteFile(t testing.TB, dir, sub, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, sub, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatalf("authtest: %v", err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatalf("authtest: %v", err)
	}
	return p
}
