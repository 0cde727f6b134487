package interop

import (
	"crypto/rsa"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
)

// TestFragmentationCertChain: what fragmentation is for (RFC 7383 section
// 1): each end authenticates with a chain of four certificates (RSA-3072
// keys: root, two intermediates, the end's certificate) over a path with a
// fragment size of 576, so every IKE_AUTH message carries three CERT
// payloads and several kilobytes in fragments. The refserver trusts only
// the root; both intermediates reach it in the CERT payloads.
func TestFragmentationCertChain(t *testing.T) {
	requireInterop(t)
	requireRefserverFlags(t, "--fragment-size")
	root := authtest.NewRoot(t, "Lab Root CA", authtest.Key(t, "rsa3072", 300))
	int1 := root.Intermediate(t, "Lab Intermediate CA 1", authtest.Key(t, "rsa3072", 301))
	int2 := int1.Intermediate(t, "Lab Intermediate CA 2", authtest.Key(t, "rsa3072", 302))
	keyL, keyR := authtest.Key(t, "rsa3072", 303), authtest.Key(t, "rsa3072", 304)
	left := int2.Issue(t, authtest.Leaf{CN: "left", Emails: []string{"left@lab.example"}, Key: keyL})
	right := int2.Issue(t, authtest.Leaf{CN: "right", Emails: []string{"right@lab.example"}, Key: keyR})
	for _, d := range directions {
		t.Run(d.name, func(t *testing.T) {
			p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256",
				charon:   CharonOptions{Extra: fragCharonExtra},
				refFlags: []string{"--fragment-size", "576"},
				setup: func(l *lab, cc, rc *Conn) {
					ch, rs := l.path("charon-"+l.left.label), l.path("refserver-"+l.right.label)
					for _, dir := range []string{ch, rs} {
						authtest.WriteFile(t, dir, "x509ca", "root.pem", authtest.CertPEM(root.Cert))
						authtest.WriteFile(t, dir, "x509ca", "int1.pem", authtest.CertPEM(int1.Cert))
						authtest.WriteFile(t, dir, "x509ca", "int2.pem", authtest.CertPEM(int2.Cert))
					}
					authtest.WriteFile(t, ch, "x509", "left.pem", authtest.CertPEM(left))
					authtest.WriteFile(t, ch, "private", "left.key", authtest.KeyPEM(t, keyL, true))
					authtest.WriteFile(t, rs, "x509", "right.pem", authtest.CertPEM(right))
					if _, ok := keyR.(*rsa.PrivateKey); !ok {
						t.Fatal("the right key is not RSA")
					}
					authtest.WriteFile(t, rs, "rsa", "right.key", authtest.KeyPEM(t, keyR, false))
					certConns("pubkey", cc, rc)
				}})
			c, r := p.establish(t, d)
			p.verifyEstablished(t, d, c, r, proposalCases[1].want)
			// Three CERT payloads each way, in fragments, reassembled at both ends.
			logHas(t, p.rs, `parsed IKE_AUTH (request|response) 1 \[ ID[ir] CERT CERT CERT `)
			logHas(t, p.rs, `reassembled fragmented IKE message`)
			logHas(t, p.rs, `splitting IKE message \(\d+ octets\) into \d+ fragments`)
			logHas(t, p.ch, `received fragment #\d+ of \d+, reassembled fragmented IKE message`)
			logHas(t, p.ch, `splitting IKE message .*into \d+ fragments`)
			logHas(t, p.rs, `certificate "C=CH, O=ikev2ref, CN=left" issued by "C=CH, O=ikev2ref, CN=Lab Intermediate CA 2"`)
			t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `fragment|EF\(|received (end entity|issuer) cert`))
			t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `fragment|authentication of peer`))
			pcap := p.capt.stop(t)
			checkTsharkClean(t, pcap)
		})
	}
}
