package swanctl

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Credentials for signature authentication (RFC 7296 sections 2.15 and 3.6,
// RFC 7427), read as swanctl --load-all reads them: files named by
// local.certs (relative to x509/), remote.cacerts (x509ca/) and
// remote.pubkeys (pubkey/), or absolute paths; our private key is the one
// among private/, rsa/, ecdsa/ and pkcs8/ (PEM or DER: PKCS#1, SEC 1,
// PKCS#8) that belongs to our certificate; our chain is completed with the
// intermediate CAs of x509ca/; a remote end without cacerts trusts every
// certificate in x509ca/. All of these directories are next to the
// swanctl.conf given to Load.

// credDirs are the swanctl directories of private keys.
var credDirs = []string{"private", "rsa", "ecdsa", "pkcs8"}

// creds reads the credential files of one configuration.
type creds struct {
	dir string // the swanctl directory; "" for Parse
	// x509ca/ and the private keys, read once.
	cas      []namedCert
	casErr   error
	keys     []namedKey
	keysRead bool
	bad      []string // key files that could not be read, for errors
}

type namedCert struct {
	path string
	cert *x509.Certificate
}

type namedKey struct {
	path string
	key  crypto.Signer
}

// resolveCredentials fills the signature settings of every connection from
// its local and remote sections' certs, cacerts and pubkeys.
func resolveCredentials(root *section, cfg *ike.Config, dir string) error {
	cr := &creds{dir: dir}
	conns := map[string]*ike.Connection{}
	for _, c := range cfg.Connections {
		conns[c.Name] = c
	}
	for _, s := range root.sections {
		if s.name != "connections" {
			continue
		}
		for _, cs := range s.sections {
			c := conns[cs.name]
			if c == nil {
				continue
			}
			for _, sub := range cs.sections {
				var err error
				switch {
				case strings.HasPrefix(sub.name, "local"):
					err = cr.local(sub, &c.Local)
				case strings.HasPrefix(sub.name, "remote"):
					err = cr.remote(sub, &c.Remote)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// signing reports whether an auth value asks for signatures.
func signing(a ike.AuthMethod) bool { return a != ike.AuthPSK && a != 0 && !isEAP(a) }

// fileKeys returns the section's certs, cacerts and pubkeys settings.
func fileKeys(s *section) map[string]*setting {
	m := map[string]*setting{}
	for _, k := range s.keys {
		switch k.name {
		case "certs", "cacerts", "pubkeys":
			if k.isSet && strings.TrimSpace(k.value) != "" {
				m[k.name] = k
			}
		}
	}
	return m
}

// notWithPSK refuses credential files where no signature is made or checked.
func notWithPSK(s *section, a ike.AuthMethod, files map[string]*setting) error {
	if signing(a) {
		return nil
	}
	for _, n := range []string{"certs", "cacerts", "pubkeys"} {
		if k := files[n]; k != nil {
			return valueErr(k, fmt.Errorf("%s are for signature authentication, and %s has auth = %v", n, s.name, a))
		}
	}
	return nil
}

// local reads local.certs: our certificate, its private key and its
// intermediates.
func (cr *creds) local(s *section, a *ike.AuthConfig) error {
	files := fileKeys(s)
	if err := notWithPSK(s, a.Auth, files); err != nil {
		return err
	}
	for _, n := range []string{"cacerts", "pubkeys"} {
		if k := files[n]; k != nil {
			return valueErr(k, fmt.Errorf("%s belongs in a remote section (local signatures need certs and a private key)", n))
		}
	}
	if !signing(a.Auth) {
		return nil
	}
	k := files["certs"]
	if k == nil {
		return errAt(s.pos, s.path, "auth = %v needs certs = FILE (a certificate in x509/ whose private key is in private/, rsa/, ecdsa/ or pkcs8/)", a.Auth)
	}
	if cr.dir == "" {
		return valueErr(k, errors.New("certificates and keys are read from files: use swanctl.Load"))
	}
	var certs []namedCert
	for _, name := range splitList(k.value) {
		c, err := cr.readCerts(cr.path("x509", name))
		if err != nil {
			return valueErr(k, err)
		}
		certs = append(certs, c...)
	}
	// strongSwan takes the first certificate (no CERTREQ steers the choice
	// here); the others may be intermediates.
	ee := certs[0]
	key, err := cr.keyFor(ee)
	if err != nil {
		return valueErr(k, err)
	}
	if err := a.Auth.AllowsKey(key.Public()); err != nil {
		return valueErr(k, fmt.Errorf("%s: %w", ee.path, err))
	}
	a.PrivateKey = key
	chain, err := cr.chain(ee, certs[1:])
	if err != nil {
		return valueErr(k, err)
	}
	for _, c := range chain {
		a.Certs = append(a.Certs, c.Raw)
	}
	// strongSwan's default identity is the certificate's subject.
	if a.ID.IsZero() {
		a.ID = ike.Identity{Type: wire.ID_DER_ASN1_DN, Data: ee.cert.RawSubject}
	} else if err := auth.BindIdentity(ee.cert, a.ID.Type, a.ID.Data); err != nil {
		idKey := s.key("id")
		if idKey == nil {
			idKey = k
		}
		return valueErr(idKey, fmt.Errorf("identity %v is not in certificate %s: %w", a.ID, ee.path, err))
	}
	return nil
}

// remote reads remote.cacerts and remote.pubkeys: what the peer's
// signature is checked against.
func (cr *creds) remote(s *section, a *ike.AuthConfig) error {
	files := fileKeys(s)
	if err := notWithPSK(s, a.Auth, files); err != nil {
		return err
	}
	if k := files["certs"]; k != nil {
		return valueErr(k, errors.New("a remote certificate to accept as such is not supported: give its CA in cacerts, or its key in pubkeys"))
	}
	if !signing(a.Auth) {
		return nil
	}
	if (files["cacerts"] != nil || files["pubkeys"] != nil) && cr.dir == "" {
		k := files["cacerts"]
		if k == nil {
			k = files["pubkeys"]
		}
		return valueErr(k, errors.New("certificates and keys are read from files: use swanctl.Load"))
	}
	if k := files["cacerts"]; k != nil {
		for _, name := range splitList(k.value) {
			cs, err := cr.readCerts(cr.path("x509ca", name))
			if err != nil {
				return valueErr(k, err)
			}
			for _, c := range cs {
				if !c.cert.IsCA {
					return valueErr(k, fmt.Errorf("%s: %q is not a CA certificate", c.path, auth.FormatDN(c.cert.RawSubject)))
				}
				a.CACerts = append(a.CACerts, c.cert.Raw)
			}
		}
	}
	if k := files["pubkeys"]; k != nil {
		for _, name := range splitList(k.value) {
			pub, err := readPublicKey(cr.path("pubkey", name))
			if err != nil {
				return valueErr(k, err)
			}
			if err := a.Auth.AllowsKey(pub); err != nil {
				return valueErr(k, fmt.Errorf("%s: %w", name, err))
			}
			a.Pubkeys = append(a.Pubkeys, pub)
		}
	}
	if files["cacerts"] == nil && files["pubkeys"] == nil {
		// As strongSwan: every CA certificate loaded from x509ca/.
		cas, err := cr.caDir()
		if err != nil {
			return errAt(s.pos, s.path, "%v", err)
		}
		for _, c := range cas {
			if c.cert.IsCA {
				a.CACerts = append(a.CACerts, c.cert.Raw)
			}
		}
		if len(a.CACerts) == 0 {
			where := "no CA certificate in " + filepath.Join(cr.dir, "x509ca")
			if cr.dir == "" {
				where = "no files are read by swanctl.Parse: use swanctl.Load"
			}
			return errAt(s.pos, s.path, "auth = %v needs trust anchors: cacerts = FILE, pubkeys = FILE, or CA certificates in x509ca/ (%s)", a.Auth, where)
		}
	}
	return nil
}

// path resolves a file name as swanctl does: absolute, or relative to a
// subdirectory of the swanctl directory.
func (cr *creds) path(sub, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(cr.dir, sub, name)
}

// readCerts reads the certificates of one file: PEM (one or more
// CERTIFICATE blocks) or DER.
func (cr *creds) readCerts(path string) ([]namedCert, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []namedCert
	rest := b
	for range 64 {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, namedCert{path, c})
	}
	if len(out) == 0 {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, fmt.Errorf("%s: neither a PEM CERTIFICATE nor a DER certificate: %w", path, err)
		}
		out = append(out, namedCert{path, c})
	}
	return out, nil
}

// caDir reads every certificate in x509ca/ (a missing directory is empty).
func (cr *creds) caDir() ([]namedCert, error) {
	if cr.cas != nil || cr.casErr != nil || cr.dir == "" {
		return cr.cas, cr.casErr
	}
	cr.cas = []namedCert{}
	for _, p := range dirFiles(filepath.Join(cr.dir, "x509ca")) {
		cs, err := cr.readCerts(p)
		if err != nil {
			cr.casErr = fmt.Errorf("x509ca/: %w", err)
			return nil, cr.casErr
		}
		cr.cas = append(cr.cas, cs...)
	}
	return cr.cas, nil
}

// dirFiles lists the regular files of a directory, sorted.
func dirFiles(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// keyFor finds the private key of a certificate in the key directories.
func (cr *creds) keyFor(c namedCert) (crypto.Signer, error) {
	if !cr.keysRead {
		cr.keysRead = true
		for _, d := range credDirs {
			for _, p := range dirFiles(filepath.Join(cr.dir, d)) {
				k, err := readPrivateKey(p)
				if err != nil {
					cr.bad = append(cr.bad, err.Error())
					continue
				}
				cr.keys = append(cr.keys, namedKey{p, k})
			}
		}
	}
	pub, ok := c.cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	for _, k := range cr.keys {
		if ok && pub.Equal(k.key.Public()) {
			return k.key, nil
		}
	}
	msg := fmt.Sprintf("no private key for certificate %s (%q) in %s/{%s}", c.path, auth.FormatDN(c.cert.RawSubject), cr.dir, strings.Join(credDirs, ","))
	if len(cr.keys) > 0 {
		var names []string
		for _, k := range cr.keys {
			names = append(names, filepath.Base(k.path))
		}
		msg += "; the keys there (" + strings.Join(names, ", ") + ") belong to other certificates"
	}
	if len(cr.bad) > 0 {
		msg += "; unreadable: " + strings.Join(cr.bad, "; ")
	}
	return nil, errors.New(msg)
}

// chain completes our chain with the intermediates: from the other certs
// given and x509ca/, each certificate's issuer until a self-signed root,
// which is not sent (the peer has it).
func (cr *creds) chain(ee namedCert, extra []namedCert) ([]*x509.Certificate, error) {
	pool := append([]namedCert(nil), extra...)
	cas, err := cr.caDir()
	if err != nil {
		return nil, err
	}
	pool = append(pool, cas...)
	out := []*x509.Certificate{ee.cert}
	cur := ee.cert
	for len(out) < auth.MaxChain {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			break
		}
		var next *x509.Certificate
		for _, c := range pool {
			if bytes.Equal(c.cert.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c.cert) == nil {
				next = c.cert
				break
			}
		}
		if next == nil || bytes.Equal(next.RawSubject, next.RawIssuer) {
			break
		}
		out = append(out, next)
		cur = next
	}
	return out, nil
}

// readPrivateKey reads a PEM or DER private key: PKCS#1 (RSA), SEC 1 (EC)
// or PKCS#8.
func readPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		if _, enc := blk.Headers["DEK-Info"]; enc || blk.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%s: encrypted private keys are not supported", path)
		}
		der = blk.Bytes
	}
	var k any
	if k, err = x509.ParsePKCS8PrivateKey(der); err != nil {
		if k, err = x509.ParsePKCS1PrivateKey(der); err != nil {
			if k, err = x509.ParseECPrivateKey(der); err != nil {
				return nil, fmt.Errorf("%s: not a PKCS#8, PKCS#1 or SEC 1 private key", path)
			}
		}
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: a %T cannot sign", path, k)
	}
	return s, nil
}

// readPublicKey reads a raw public key (PEM PUBLIC KEY or RSA PUBLIC KEY,
// or DER), or the key of a certificate.
func readPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der := b
	if blk, _ := pem.Decode(b); blk != nil {
		der = blk.Bytes
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return c.PublicKey, nil
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(der)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return k, nil
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: not a public key: %w", path, err)
	}
	return k, nil
}
