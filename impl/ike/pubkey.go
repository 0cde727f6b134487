package ike

import (
	gocrypto "crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// Signature authentication in IKE_AUTH (RFC 7296 sections 1.2, 2.15, 3.6,
// 3.7, 3.8; RFC 4754; RFC 7427): the SIGNATURE_HASH_ALGORITHMS notify and
// the CERTREQ of IKE_SA_INIT, the CERT, CERTREQ and AUTH payloads of
// IKE_AUTH, and the checks of the peer's: its certificate chain up to a
// configured CA, its identity in the end-entity certificate, its AUTH
// signature. The AUTH payloads themselves are impl/auth's.

// isPubkey reports whether an end authenticates with a signature.
func (a AuthMethod) isPubkey() bool { return a >= AuthPubkey && a <= AuthEd25519 }

// AllowsKey reports whether a public key is of a type the method accepts:
// any for pubkey, RSA for rsa and rsa/pss, and so on.
func (a AuthMethod) AllowsKey(pub gocrypto.PublicKey) error {
	kt, err := auth.KeyTypeOf(pub)
	if err != nil {
		return err
	}
	want := map[AuthMethod]auth.KeyType{AuthRSA: auth.KeyRSA, AuthRSAPSS: auth.KeyRSA, AuthECDSA: auth.KeyECDSA, AuthEd25519: auth.KeyEd25519}[a]
	if want != 0 && kt != want {
		return fmt.Errorf("auth = %v, and the key is %v", a, kt)
	}
	return nil
}

// usesPubkey reports whether a connection signs or verifies signatures.
func (c *Connection) usesPubkey() bool { return c.Local.Auth.isPubkey() || c.Remote.Auth.isPubkey() }

// checkAuth refuses authentication settings that cannot work: an unknown
// method; a local signature without a private key, with a certificate that
// is not the key's or does not name the local identity; a remote signature
// with nothing to trust.
func checkAuth(c *Connection) error {
	for _, a := range []AuthMethod{c.Local.Auth, c.Remote.Auth} {
		if a != AuthPSK && !a.isPubkey() && !a.isEAP() {
			return fmt.Errorf("ike: connection %q: unsupported authentication %v", c.Name, a)
		}
	}
	if err := checkEAP(c); err != nil { // eap.go
		return err
	}
	if l := c.Local; l.Auth.isPubkey() {
		if l.PrivateKey == nil {
			return fmt.Errorf("ike: connection %q: local auth = %v without a private key", c.Name, l.Auth)
		}
		if err := l.Auth.AllowsKey(l.PrivateKey.Public()); err != nil {
			return fmt.Errorf("ike: connection %q: local: %w", c.Name, err)
		}
		if len(l.Certs) > 0 {
			chain, err := auth.ParseChain(l.Certs)
			if err != nil {
				return fmt.Errorf("ike: connection %q: local certificates: %w", c.Name, err)
			}
			pub, ok := chain[0].PublicKey.(interface{ Equal(gocrypto.PublicKey) bool })
			if !ok || !pub.Equal(l.PrivateKey.Public()) {
				return fmt.Errorf("ike: connection %q: the private key is not the one of certificate %q", c.Name, auth.FormatDN(chain[0].RawSubject))
			}
			if !l.ID.IsZero() {
				if err := auth.BindIdentity(chain[0], l.ID.Type, l.ID.Data); err != nil {
					return fmt.Errorf("ike: connection %q: local id %v: %w", c.Name, l.ID, err)
				}
			}
		}
	}
	if r := c.Remote; r.Auth.isPubkey() {
		if len(r.CACerts) == 0 && len(r.Pubkeys) == 0 {
			return fmt.Errorf("ike: connection %q: remote auth = %v without CA certificates or public keys to trust", c.Name, r.Auth)
		}
		if _, err := parseCerts(r.CACerts); err != nil {
			return fmt.Errorf("ike: connection %q: remote CA certificates: %w", c.Name, err)
		}
		for _, k := range r.Pubkeys {
			if err := r.Auth.AllowsKey(k); err != nil {
				return fmt.Errorf("ike: connection %q: remote public key: %w", c.Name, err)
			}
		}
	}
	return nil
}

func parseCerts(ders [][]byte) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("ike: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// sigHashes reads SIGNATURE_HASH_ALGORITHMS from an IKE_SA_INIT message as
// sent or received (RFC 7427 section 4).
func sigHashes(msg []byte) ([]auth.HashAlg, bool) {
	if msg == nil {
		return nil, false
	}
	m, err := wire.Decode(msg)
	if err != nil {
		return nil, false
	}
	n, ok := wire.FindNotify(m.Payloads, wire.SIGNATURE_HASH_ALGORITHMS)
	if !ok {
		return nil, false
	}
	hs, err := auth.DecodeHashAlgorithms(n.Data)
	if err != nil {
		return nil, false
	}
	return hs, true
}

// hashNegotiation returns the hashes we announced and the peer's, each with
// whether it was sent at all.
func (sa *ikeSA) hashNegotiation() (ours []auth.HashAlg, weSent bool, theirs []auth.HashAlg, peerSent bool) {
	mine, peer := sa.initReq, sa.initResp
	if sa.role == model.Responder {
		mine, peer = peer, mine
	}
	ours, weSent = sigHashes(mine)
	theirs, peerSent = sigHashes(peer)
	return
}

// initPubkeyPayloads is what IKE_SA_INIT carries for signature
// authentication: N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 section 4) when
// the connection (for a responder: any connection for the addresses) uses
// signatures, and in a response a CERTREQ naming the CAs we trust (RFC 7296
// section 1.2: HDR, SAr1, KEr, Nr, [CERTREQ]), which peers such as
// strongSwan wait for before they send their certificate.
func (sa *ikeSA) initPubkeyPayloads() []wire.Payload {
	conns := []*Connection{sa.conn}
	if sa.role == model.Responder {
		conns = sa.e.candidates(sa.local.Addr(), sa.remote.Addr())
	}
	var cas [][]byte
	pubkey := false
	for _, c := range conns {
		if c == nil || !c.usesPubkey() {
			continue
		}
		pubkey = true
		if c.Remote.Auth.isPubkey() {
			cas = append(cas, c.Remote.CACerts...)
		}
	}
	if !pubkey {
		return nil
	}
	var ps []wire.Payload
	if sa.role == model.Responder {
		ps = append(ps, certReq(cas)...)
	}
	return append(ps, &wire.Notify{Type: wire.SIGNATURE_HASH_ALGORITHMS, Data: auth.EncodeHashAlgorithms(auth.SupportedHashes)})
}

// certReq is a CERTREQ payload naming trust anchors by the SHA-1 hashes of
// their public keys (RFC 7296 section 3.7), or nothing without any.
func certReq(cas [][]byte) []wire.Payload {
	certs, err := parseCerts(cas)
	if err != nil || len(certs) == 0 {
		return nil
	}
	return []wire.Payload{&wire.CertReq{Encoding: wire.CertX509Sig, Data: auth.CertReqData(certs)}}
}

// authPayload computes our AUTH payload over the signed octets, and the
// CERT payloads that go before it: the shared key MIC with the secret for
// the pair of identities, or a signature (RFC 7427's Digital Signature
// method when both ends sent SIGNATURE_HASH_ALGORITHMS, RFC7427-3-2, else
// the key's classic method) with our chain, end entity first
// (RFC7296-1.2-1, RFC7296-3.6-1).
func (sa *ikeSA) authPayload(local AuthConfig, localID, remoteID Identity, octets []byte) (*wire.Auth, []wire.Payload, error) {
	e := sa.e
	if local.Auth == AuthPSK {
		secret, ok := e.psk(localID, remoteID)
		if !ok {
			return nil, nil, fmt.Errorf("ike: %v: no shared secret for %v - %v", sa, localID, remoteID)
		}
		return &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: auth.PSK(sa.cs.PRF, secret, octets)}, nil, nil
	}
	_, weSent, theirs, peerSent := sa.hashNegotiation()
	s, err := auth.ChooseScheme(local.PrivateKey.Public(), weSent && peerSent, theirs, local.Auth == AuthRSAPSS)
	if err != nil {
		return nil, nil, fmt.Errorf("ike: %v: signing as %v: %w", sa, localID, err)
	}
	data, err := auth.Sign(e.rand, local.PrivateKey, s, octets)
	if err != nil {
		return nil, nil, fmt.Errorf("ike: %v: signing as %v: %w", sa, localID, err)
	}
	var certs []wire.Payload
	for _, d := range local.Certs {
		certs = append(certs, &wire.Cert{Encoding: wire.CertX509Sig, Data: d})
	}
	e.log.Info("authentication of "+localID.String()+" (myself) with "+s.String(), "ike", sa.String())
	return &wire.Auth{Method: s.Method, Data: data}, certs, nil
}

// verifyAuth checks the peer's AUTH payload (RFC7296-1.2-2) for the remote
// authentication settings: the shared key MIC, or a signature by the key of
// its end-entity certificate, which must chain to one of our CAs with the
// intermediates it sent, be valid now and name the peer's identity
// (RFC7296-2.21.2-1: every such failure is AUTHENTICATION_FAILED), or by
// one of the public keys configured for it. It returns how the peer was
// authenticated, for the log.
func (sa *ikeSA) verifyAuth(now time.Time, remote AuthConfig, localID, remoteID Identity, a *wire.Auth, ps []wire.Payload, octets []byte) (string, error) {
	if remote.Auth == AuthPSK {
		if a.Method != wire.AuthSharedKeyMIC {
			return "", fmt.Errorf("ike: AUTH method %v, a shared key MIC is expected", a.Method)
		}
		secret, ok := sa.e.psk(localID, remoteID)
		if !ok {
			return "", fmt.Errorf("ike: no shared secret for %v - %v", localID, remoteID)
		}
		if err := auth.VerifyPSK(sa.cs.PRF, secret, octets, a.Data); err != nil {
			return "", fmt.Errorf("ike: AUTH of %v does not verify with the shared secret", remoteID)
		}
		return "shared key MIC", nil
	}
	if a.Method == wire.AuthSharedKeyMIC || a.Method == wire.AuthNULL {
		return "", fmt.Errorf("ike: AUTH method %v, a signature (auth = %v) is expected", a.Method, remote.Auth)
	}
	var ders [][]byte
	for _, p := range ps {
		if c, ok := p.(*wire.Cert); ok {
			if c.Encoding != wire.CertX509Sig {
				if len(ders) == 0 {
					return "", fmt.Errorf("ike: the first CERT payload is of encoding %v, not X.509 (RFC7296-1.2-1)", c.Encoding)
				}
				continue
			}
			ders = append(ders, c.Data)
		}
	}
	var keys []gocrypto.PublicKey
	var who string
	switch {
	case len(ders) > 0 && len(remote.CACerts) > 0:
		chain, err := auth.ParseChain(ders)
		if err != nil {
			return "", err
		}
		roots, err := parseCerts(remote.CACerts)
		if err != nil {
			return "", err
		}
		leaf, err := auth.VerifyChain(chain, roots, now)
		if err != nil {
			return "", err
		}
		if err := auth.BindIdentity(leaf, remoteID.Type, remoteID.Data); err != nil {
			return "", err
		}
		keys = append(keys, leaf.PublicKey)
		who = fmt.Sprintf("certificate %q issued by %q", auth.FormatDN(leaf.RawSubject), auth.FormatDN(leaf.RawIssuer))
	case len(remote.Pubkeys) > 0:
		keys = remote.Pubkeys
		who = "a configured public key"
	case len(ders) == 0:
		return "", errNoCert
	default:
		return "", fmt.Errorf("%w: no CA certificates configured", auth.ErrUnknownCA)
	}
	ours, weSent, _, peerSent := sa.hashNegotiation()
	if !weSent {
		ours = nil
	}
	pol := auth.Policy{Hashes: ours, NoClassic: weSent && peerSent, RequirePSS: remote.Auth == AuthRSAPSS}
	var err error
	for _, k := range keys {
		if err = remote.Auth.AllowsKey(k); err != nil {
			err = fmt.Errorf("%w: %w", auth.ErrAlgorithm, err)
			continue
		}
		var s auth.Scheme
		if s, err = auth.Verify(k, a.Method, a.Data, octets, pol); err == nil {
			return fmt.Sprintf("%v, %s", s, who), nil
		}
	}
	return "", err
}

// errNoCert: a signature to check, no certificate from the peer and no
// public key configured for it.
var errNoCert = errors.New("ike: the peer sent no certificate, and no public key is configured for it")

// failureReason says in a few words why an authentication failed, before
// the details: the log line an operator greps for.
func failureReason(err error) string {
	switch {
	case errors.Is(err, auth.ErrUnknownCA):
		return "unknown CA"
	case errors.Is(err, auth.ErrExpired):
		return "certificate expired"
	case errors.Is(err, auth.ErrNotBound):
		return "identity not bound to the certificate"
	case errors.Is(err, auth.ErrKeyUsage):
		return "certificate key usage"
	case errors.Is(err, auth.ErrBadCert):
		return "invalid certificate"
	case errors.Is(err, auth.ErrAuthFailed):
		return "bad signature"
	case errors.Is(err, auth.ErrAlgorithm):
		return "signature algorithm refused"
	case errors.Is(err, auth.ErrMalformed):
		return "malformed AUTH payload"
	case errors.Is(err, errNoCert):
		return "no certificate"
	}
	return "AUTH does not verify"
}
