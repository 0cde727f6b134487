package swanctl

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// credDir is a swanctl directory: a root and an intermediate CA in x509ca/,
// certificates for left (ECDSA, SEC 1 key in ecdsa/), right (RSA, PKCS#1
// key in rsa/) and edge (Ed25519, PKCS#8 key in pkcs8/) in x509/.
func credDir(t *testing.T) (string, *authtest.CA, *authtest.CA) {
	dir := t.TempDir()
	root := authtest.NewRoot(t, "Lab Root CA", authtest.Key(t, "p256", 100))
	inter := root.Intermediate(t, "Lab Intermediate CA", authtest.Key(t, "p256", 101))
	authtest.WriteFile(t, dir, "x509ca", "root.pem", authtest.CertPEM(root.Cert))
	authtest.WriteFile(t, dir, "x509ca", "inter.pem", authtest.CertPEM(inter.Cert))
	for _, e := range []struct{ name, kind, sub string }{{"left", "p256", "ecdsa"}, {"right", "rsa2048", "rsa"}, {"edge", "ed25519", "pkcs8"}} {
		k := authtest.Key(t, e.kind, 0)
		c := inter.Issue(t, authtest.Leaf{CN: e.name, Emails: []string{e.name + "@lab.example"}, Key: k})
		authtest.WriteFile(t, dir, "x509", e.name+".pem", authtest.CertPEM(c))
		authtest.WriteFile(t, dir, e.sub, e.name+".key", authtest.KeyPEM(t, k, e.sub == "pkcs8"))
	}
	return dir, root, inter
}

func loadConf(t *testing.T, dir, local, remote string) (*ike.Config, error) {
	t.Helper()
	p := filepath.Join(dir, "swanctl.conf")
	src := "connections {\n  lab {\n    local {\n" + local + "\n    }\n    remote {\n" + remote + "\n    }\n  }\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

// TestCredentials: certs, cacerts, pubkeys and the private keys read from a
// swanctl directory, as swanctl --load-all reads them.
func TestCredentials(t *testing.T) {
	dir, root, inter := credDir(t)
	for _, tc := range []struct {
		name, local, remote string
		key                 string
		cas                 int
		id                  string
	}{
		{"ECDSA, SEC 1 key, every CA of x509ca/", "      auth = ecdsa\n      certs = left.pem\n      id = left@lab.example", "      auth = pubkey", "p256", 2, "left@lab.example"},
		{"RSA, PKCS#1 key, cacerts", "      auth = rsa/pss\n      certs = right.pem\n      id = right@lab.example", "      auth = pubkey\n      cacerts = root.pem", "rsa2048", 1, "right@lab.example"},
		{"Ed25519, PKCS#8 key, the subject as the identity", "      auth = pubkey\n      certs = " + filepath.Join(dir, "x509", "edge.pem"), "      auth = ed25519\n      cacerts = root.pem, inter.pem", "ed25519", 2, "C=CH, O=ikev2ref, CN=edge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConf(t, dir, tc.local, tc.remote)
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Connections[0]
			l := c.Local
			if len(l.Certs) != 2 || !bytes.Equal(l.Certs[1], inter.Cert.Raw) {
				t.Fatalf("local chain of %d certificates, want the end entity and the intermediate", len(l.Certs))
			}
			ee, _ := x509.ParseCertificate(l.Certs[0])
			if pub, ok := ee.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(authtest.Key(t, tc.key, 0).Public()) || l.PrivateKey == nil {
				t.Errorf("private key not the certificate's")
			}
			if l.ID.String() != tc.id {
				t.Errorf("local id %s, want %s", l.ID, tc.id)
			}
			if len(c.Remote.CACerts) != tc.cas || !bytes.Equal(c.Remote.CACerts[0], root.Cert.Raw) && !bytes.Equal(c.Remote.CACerts[1], root.Cert.Raw) {
				t.Errorf("%d CA certificates, want %d with the root", len(c.Remote.CACerts), tc.cas)
			}
			if _, err := ike.New(*cfg); err != nil {
				t.Errorf("ike.New: %v", err)
			}
		})
	}
	// A DN identity written as strongSwan writes it.
	cfg, err := loadConf(t, dir, "      auth = pubkey\n      certs = left.pem\n      id = \"C=CH, O=ikev2ref, CN=left\"", "      auth = psk\n      id = C=CH, O=ikev2ref, CN=right")
	if err != nil {
		t.Fatal(err)
	}
	if l, r := cfg.Connections[0].Local.ID, cfg.Connections[0].Remote.ID; l.Type != wire.ID_DER_ASN1_DN || r.String() != "C=CH, O=ikev2ref, CN=right" {
		t.Errorf("identities %v %v", l, r)
	}
	// Pinned public keys: PEM PUBLIC KEY, and a certificate's.
	der, _ := x509.MarshalPKIXPublicKey(authtest.Key(t, "ed25519", 0).Public())
	authtest.WriteFile(t, dir, "pubkey", "edge.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	authtest.WriteFile(t, dir, "pubkey", "right.pem", authtest.CertPEM(inter.Cert))
	cfg, err = loadConf(t, dir, "      auth = psk", "      auth = pubkey\n      pubkeys = edge.pub, right.pem")
	if err != nil {
		t.Fatal(err)
	}
	if ks := cfg.Connections[0].Remote.Pubkeys; len(ks) != 2 || !ks[0].(ed25519.PublicKey).Equal(authtest.Key(t, "ed25519", 0).Public()) {
		t.Errorf("pubkeys %v", ks)
	}
}

// TestCredentialErrors: every unreadable or mismatched file is an error
// naming the file, the line and the key.
func TestCredentialErrors(t *testing.T) {
	dir, _, _ := credDir(t)
	authtest.WriteFile(t, dir, "x509", "garbage.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	authtest.WriteFile(t, dir, "x509", "text.pem", []byte("not a certificate"))
	orphan := authtest.NewRoot(t, "Orphan", authtest.Key(t, "p384", 5)).Issue(t, authtest.Leaf{CN: "orphan", Key: authtest.Key(t, "p384", 6)})
	authtest.WriteFile(t, dir, "x509", "orphan.pem", authtest.CertPEM(orphan))
	conf := filepath.Join(dir, "swanctl.conf")
	for _, tc := range []struct {
		name, local, remote, want string
	}{
		{"missing certificate", "      auth = pubkey\n      certs = nothere.pem", "      auth = psk",
			conf + ":5: connections.lab.local.certs: open " + filepath.Join(dir, "x509", "nothere.pem") + ": no such file or directory"},
		{"garbage certificate", "      auth = pubkey\n      certs = garbage.pem", "      auth = psk",
			conf + ":5: connections.lab.local.certs: " + filepath.Join(dir, "x509", "garbage.pem") + ": x509: malformed certificate"},
		{"not a certificate", "      auth = pubkey\n      certs = text.pem", "      auth = psk",
			conf + ":5: connections.lab.local.certs: " + filepath.Join(dir, "x509", "text.pem") + ": neither a PEM CERTIFICATE nor a DER certificate"},
		{"no private key", "      auth = pubkey\n      certs = orphan.pem", "      auth = psk",
			conf + `:5: connections.lab.local.certs: no private key for certificate ` + filepath.Join(dir, "x509", "orphan.pem") + ` ("C=CH, O=ikev2ref, CN=orphan") in ` + dir + `/{private,rsa,ecdsa,pkcs8}; the keys there (right.key, left.key, edge.key) belong to other certificates`},
		{"identity not in the certificate", "      auth = pubkey\n      certs = left.pem\n      id = right@lab.example", "      auth = psk",
			conf + `:6: connections.lab.local.id: identity right@lab.example is not in certificate ` + filepath.Join(dir, "x509", "left.pem") + `: auth: identity not bound to the certificate: "right@lab.example" is not among the email addresses ["left@lab.example"] of "C=CH, O=ikev2ref, CN=left"`},
		{"rsa with an ECDSA certificate", "      auth = rsa\n      certs = left.pem", "      auth = psk",
			conf + ":5: connections.lab.local.certs: " + filepath.Join(dir, "x509", "left.pem") + ": auth = rsa, and the key is ECDSA"},
		{"cacerts not a CA", "      auth = psk", "      auth = pubkey\n      cacerts = ../x509/left.pem",
			conf + `:8: connections.lab.remote.cacerts: ` + filepath.Join(dir, "x509ca", "../x509/left.pem") + `: "C=CH, O=ikev2ref, CN=left" is not a CA certificate`},
		{"pubkeys missing", "      auth = psk", "      auth = pubkey\n      pubkeys = none.pub",
			conf + ":8: connections.lab.remote.pubkeys: open " + filepath.Join(dir, "pubkey", "none.pub") + ": no such file or directory"},
		{"certs with psk", "      auth = psk\n      certs = left.pem", "      auth = psk",
			conf + ":5: connections.lab.local.certs: certs are for signature authentication, and local has auth = psk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConf(t, dir, tc.local, tc.remote)
			if err == nil || !strings.HasPrefix(err.Error(), "swanctl: "+tc.want) {
				t.Errorf("error:\n got %v\nwant swanctl: %s", err, tc.want)
			}
		})
	}
	// An unreadable key file is named when no key fits.
	authtest.WriteFile(t, dir, "private", "broken.key", []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	_, err := loadConf(t, dir, "      auth = pubkey\n      certs = orphan.pem", "      auth = psk")
	if err == nil || !strings.Contains(err.Error(), "unreadable: "+filepath.Join(dir, "private", "broken.key")+": not a PKCS#8, PKCS#1 or SEC 1 private key") {
		t.Errorf("broken key: %v", err)
	}
	// Without any CA in x509ca/, a remote pubkey end has nothing to trust.
	empty := t.TempDir()
	if _, err := loadConf(t, empty, "      auth = psk", "      auth = pubkey"); err == nil ||
		!strings.Contains(err.Error(), "connections.lab.remote: auth = pubkey needs trust anchors: cacerts = FILE, pubkeys = FILE, or CA certificates in x509ca/ (no CA certificate in "+filepath.Join(empty, "x509ca")+")") {
		t.Errorf("no CA: %v", err)
	}
}

// TestEAP: auth = eap-* with eap_id, and secrets.eap* sections (RFC 7296
// section 2.16): an EAP client facing a certificate, an EAP server with
// its certificate.
func TestEAP(t *testing.T) {
	dir, _, _ := credDir(t)
	p := filepath.Join(dir, "swanctl.conf")
	src := `connections {
  client {
    local {
      auth = eap-mschapv2
      id = carol@lab.example
      eap_id = carol
    }
    remote {
      auth = pubkey
      cacerts = root.pem
    }
  }
  server {
    local {
      auth = ecdsa
      certs = left.pem
      id = left@lab.example
    }
    remote {
      auth = eap
      eap_id = %any
    }
  }
  md5 {
    local {
      auth = eap-md5
    }
    remote {
      auth = pubkey
    }
  }
}
secrets {
  eap-carol {
    id = carol
    secret = "Secret#1"
  }
  eap-any {
    secret = 0x414243
  }
}
`
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	c, s, m := cfg.Connections[0], cfg.Connections[1], cfg.Connections[2]
	if c.Local.Auth != ike.AuthEAPMSCHAPv2 || c.Local.EAPID != "carol" || c.Remote.Auth != ike.AuthPubkey {
		t.Errorf("client: %v %q %v", c.Local.Auth, c.Local.EAPID, c.Remote.Auth)
	}
	if s.Remote.Auth != ike.AuthEAP || s.Remote.EAPID != "%any" || s.Local.PrivateKey == nil {
		t.Errorf("server: %v %q", s.Remote.Auth, s.Remote.EAPID)
	}
	if m.Local.Auth != ike.AuthEAPMD5 || m.Local.EAPID != "" {
		t.Errorf("md5: %v %q", m.Local.Auth, m.Local.EAPID)
	}
	want := []ike.EAPSecret{{IDs: []string{"carol"}, Secret: []byte("Secret#1")}, {Secret: []byte("ABC")}}
	if len(cfg.EAPSecrets) != 2 || len(cfg.Secrets) != 0 {
		t.Fatalf("%d EAP secrets, %d PSKs", len(cfg.EAPSecrets), len(cfg.Secrets))
	}
	for i, w := range want {
		g := cfg.EAPSecrets[i]
		if strings.Join(g.IDs, ",") != strings.Join(w.IDs, ",") || !bytes.Equal(g.Secret, w.Secret) {
			t.Errorf("EAP secret %d: %+v, want %+v", i, g, w)
		}
	}
	if _, err := ike.New(*cfg); err != nil {
		t.Errorf("the engine refuses the configuration: %v", err)
	}
}
