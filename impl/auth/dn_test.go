package auth_test

import (
	"bytes"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
)

// TestDN: distinguished names as strongSwan writes them in swanctl.conf
// read into the DER a certificate's subject has, rendered back the same,
// and compared as strongSwan does.
func TestDN(t *testing.T) {
	c := authtest.NewRoot(t, "Root CA", authtest.Key(t, "p256", 10))
	for _, s := range []string{"C=CH, O=ikev2ref, CN=Root CA", "c=CH,o=ikev2ref,  cn=Root CA ", "/C=CH/O=ikev2ref/CN=Root CA"} {
		der, err := auth.ParseDN(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !bytes.Equal(der, c.Cert.RawSubject) {
			t.Errorf("%q: %x, the certificate's subject %x", s, der, c.Cert.RawSubject)
		}
		if got := auth.FormatDN(der); got != "C=CH, O=ikev2ref, CN=Root CA" {
			t.Errorf("FormatDN: %q", got)
		}
	}
	// strongSwan's types: E= as IA5String, non-printable values as UTF8String.
	der, err := auth.ParseDN("C=CH, O=Zürich Lab, CN=moon, E=moon@lab.example")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x30, 0x53,
		0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'H',
		0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0b, 'Z', 0xc3, 0xbc, 'r', 'i', 'c', 'h', ' ', 'L', 'a', 'b',
		0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x04, 'm', 'o', 'o', 'n',
		0x31, 0x1f, 0x30, 0x1d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01, 0x16, 0x10,
		'm', 'o', 'o', 'n', '@', 'l', 'a', 'b', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'}
	if !bytes.Equal(der, want) {
		t.Errorf("ParseDN: %x, want %x", der, want)
	}
	if got := auth.FormatDN(der); got != "C=CH, O=Zürich Lab, CN=moon, E=moon@lab.example" {
		t.Errorf("FormatDN: %q", got)
	}
	// The same names with other string types and case are equal; another
	// order, value or attribute is not.
	utf8, _ := auth.ParseDN("C=CH, O=Zürich Lab, CN=moon, E=moon@lab.example")
	utf8[46] = 0x0c // CN as UTF8String
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		{"C=CH, O=lab, CN=moon", "c=ch, o=LAB, cn=Moon", true},
		{"C=CH, O=lab, CN=moon", "O=lab, C=CH, CN=moon", false},
		{"C=CH, O=lab, CN=moon", "C=CH, O=lab, CN=sun", false},
		{"C=CH, O=lab, CN=moon", "C=CH, O=lab", false},
		{"C=CH, O=lab, CN=moon", "C=CH, OU=lab, CN=moon", false},
	} {
		a, _ := auth.ParseDN(tc.a)
		b, _ := auth.ParseDN(tc.b)
		if auth.EqualDN(a, b) != tc.equal {
			t.Errorf("EqualDN(%q, %q) = %v", tc.a, tc.b, !tc.equal)
		}
	}
	if !auth.EqualDN(der, utf8) {
		t.Errorf("a UTF8String CN differs from a PrintableString one")
	}
	for _, bad := range []string{"", "CN", "XY=1", "C=CH, =x", "C=CH,, CN=x"} {
		if _, err := auth.ParseDN(bad); err == nil {
			t.Errorf("ParseDN(%q) succeeds", bad)
		}
	}
	for _, junk := range [][]byte{nil, {0x30}, {0x30, 0x02, 0x31, 0x00, 0x00}, {0x04, 0x00}} {
		_ = auth.FormatDN(junk)
		if auth.EqualDN(junk, der) {
			t.Errorf("EqualDN(%x) is true", junk)
		}
	}
}
