package auth

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Certificates: the CERT payloads' X.509 chain (RFC 7296 sections 3.6 and
// 2.15), the CERTREQ payload's authorities (section 3.7), and the binding of
// the peer's ID payload to its end-entity certificate (RFC 4301 section
// 4.4.3.2, RFC4301-4.4.3.2-2: the asserted ID must match the subject name
// or a subject alt name).

// Errors of certificate validation; every failure of VerifyChain and
// BindIdentity wraps one.
var (
	ErrUnknownCA = errors.New("auth: certificate not issued by a trusted CA")
	ErrExpired   = errors.New("auth: certificate expired or not yet valid")
	ErrKeyUsage  = errors.New("auth: certificate key usage does not allow digital signatures")
	ErrNotBound  = errors.New("auth: identity not bound to the certificate")
	ErrBadCert   = errors.New("auth: invalid certificate")
)

// MaxChain is how many certificates a peer's chain may hold (end entity
// and intermediates). RFC7296-3.6-2 asks for at least four.
const MaxChain = 8

// ParseChain parses CERT payload data (X.509 Certificate - Signature,
// encoding 4): the first certificate is the end entity's (RFC7296-3.6-3).
func ParseChain(ders [][]byte) ([]*x509.Certificate, error) {
	if len(ders) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrBadCert)
	}
	if len(ders) > MaxChain {
		return nil, fmt.Errorf("%w: %d certificates, at most %d are accepted", ErrBadCert, len(ders), MaxChain)
	}
	out := make([]*x509.Certificate, 0, len(ders))
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %w", ErrBadCert, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// VerifyChain validates the end-entity certificate chain[0] with the other
// certificates as intermediates up to one of roots, at now: signatures,
// validity periods, basic constraints (crypto/x509), any extended key usage,
// and a key usage that, if present, allows digitalSignature. It returns the
// end-entity certificate. An empty roots list trusts nothing.
func VerifyChain(chain []*x509.Certificate, roots []*x509.Certificate, now time.Time) (*x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrBadCert)
	}
	leaf := chain[0]
	rp, ip := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range roots {
		rp.AddCert(r)
	}
	for _, c := range chain[1:] {
		ip.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: rp, Intermediates: ip, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return nil, fmt.Errorf("%w: %q issued by %q: %w", ErrUnknownCA, FormatDN(leaf.RawSubject), FormatDN(leaf.RawIssuer), err)
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return nil, fmt.Errorf("%w: %q (valid %s to %s, now %s): %w", ErrExpired, FormatDN(ci.Cert.RawSubject),
				ci.Cert.NotBefore.UTC().Format(time.RFC3339), ci.Cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), err)
		case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
			return nil, fmt.Errorf("%w: %q: %w", ErrKeyUsage, FormatDN(ci.Cert.RawSubject), err)
		}
		return nil, fmt.Errorf("%w: %q: %w", ErrBadCert, FormatDN(leaf.RawSubject), err)
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: %q has key usage %#x without digitalSignature", ErrKeyUsage, FormatDN(leaf.RawSubject), int(leaf.KeyUsage))
	}
	return leaf, nil
}

// BindIdentity checks that an IKE identity (ID Type and data of an IDi/IDr
// payload, RFC 7296 section 3.5) is one the certificate names: ID_FQDN a
// subjectAltName dNSName, ID_RFC822_ADDR an rfc822Name (both without regard
// to case), ID_IPV4_ADDR and ID_IPV6_ADDR an iPAddress, ID_DER_ASN1_DN the
// subject (EqualDN). Other types are never bound.
func BindIdentity(cert *x509.Certificate, t wire.IDType, data []byte) error {
	switch t {
	case wire.ID_FQDN:
		for _, n := range cert.DNSNames {
			if strings.EqualFold(n, string(data)) {
				return nil
			}
		}
		return fmt.Errorf("%w: %q is not among the DNS names %q of %q", ErrNotBound, data, cert.DNSNames, FormatDN(cert.RawSubject))
	case wire.ID_RFC822_ADDR:
		for _, n := range cert.EmailAddresses {
			if strings.EqualFold(n, string(data)) {
				return nil
			}
		}
		return fmt.Errorf("%w: %q is not among the email addresses %q of %q", ErrNotBound, data, cert.EmailAddresses, FormatDN(cert.RawSubject))
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		if (t == wire.ID_IPV4_ADDR && len(data) != 4) || (t == wire.ID_IPV6_ADDR && len(data) != 16) {
			return fmt.Errorf("%w: %v of %d octets", ErrNotBound, t, len(data))
		}
		for _, a := range cert.IPAddresses {
			if a.Equal(net.IP(data)) {
				return nil
			}
		}
		return fmt.Errorf("%w: %v is not among the IP addresses %v of %q", ErrNotBound, net.IP(data), cert.IPAddresses, FormatDN(cert.RawSubject))
	case wire.ID_DER_ASN1_DN:
		if EqualDN(cert.RawSubject, data) {
			return nil
		}
		return fmt.Errorf("%w: %q is not the subject %q", ErrNotBound, FormatDN(data), FormatDN(cert.RawSubject))
	}
	return fmt.Errorf("%w: an identity of type %v cannot be bound to a certificate", ErrNotBound, t)
}

// CertReqData is the Certification Authority field of a CERTREQ payload
// for X.509 certificates: the SHA-1 hashes of the trust anchors' Subject
// Public Key Info, concatenated (RFC 7296 section 3.7). Duplicates are
// left out.
func CertReqData(cas []*x509.Certificate) []byte {
	var out []byte
	for _, c := range cas {
		h := KeyHash(c)
		dup := false
		for i := 0; i+sha1.Size <= len(out); i += sha1.Size {
			dup = dup || bytes.Equal(out[i:i+sha1.Size], h)
		}
		if !dup {
			out = append(out, h...)
		}
	}
	return out
}

// KeyHash is the SHA-1 hash of a certificate's SubjectPublicKeyInfo, as a
// CERTREQ names a trust anchor.
func KeyHash(c *x509.Certificate) []byte {
	h := sha1.Sum(c.RawSubjectPublicKeyInfo)
	return h[:]
}
