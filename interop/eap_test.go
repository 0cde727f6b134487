package interop

import (
	"fmt"
	"testing"
	"time"
)

// EAP in IKE_AUTH against charon (RFC 7296 section 2.16): the initiator
// authenticates with EAP-MSCHAPv2 (EAP identity "carol"), the responder
// with its ECDSA certificate (RFC7296-2.16-1). charon as the EAP client
// against the refserver as the EAP server (charon initiates), and the
// refserver as the EAP client against charon as the EAP server (the
// refserver initiates). The certificates are cert_test.go's: charon's
// (left) and the refserver's (right) under the intermediate CA.

const eapUser, eapPassword = "carol", "Carol's Secret#1"

// eapConns configures the ends: the initiator's local auth is
// eap-mschapv2 with eap_id carol and remote pubkey; the responder signs
// with its certificate and expects eap-mschapv2 (eap_id %any, as charon
// needs to start with an EAP Identity). clientPW and serverPW are the
// passwords the two ends hold for carol.
func eapConns(method string, refClient bool, clientPW, serverPW string, ch, rs *Conn) {
	ch.PSK, rs.PSK = "", ""
	client, server, serverCert := ch, rs, "right.pem"
	if refClient {
		client, server, serverCert = rs, ch, "left.pem"
	}
	client.LocalAuth, client.LocalEAPID, client.RemoteAuth = method, eapUser, "pubkey"
	client.LocalCert = ""
	client.EAPSecretID, client.EAPSecret = eapUser, clientPW
	server.LocalAuth, server.LocalCert, server.RemoteAuth, server.RemoteEAPID = "pubkey", serverCert, method, "%any"
	server.EAPSecretID, server.EAPSecret = eapUser, serverPW
	if refClient {
		rs.RemoteCACerts = "root.pem"
	} else {
		rs.LocalAuth = "ecdsa"
	}
}

// eapDirections: charon is the EAP client when it initiates.
var eapDirections = []struct {
	name      string
	d         direction
	refClient bool
}{
	{"charon-client", directions[1], false},
	{"refserver-client", directions[0], true},
}

// eapMethods are the methods run against charon, with the names charon and
// the refserver log them by and the key of the final AUTH payloads
// (RFC7296-2.16-3, RFC7296-2.16-6).
var eapMethods = []struct {
	name, auth, charon, ours, key string
	last                          int // the message ID of the final AUTH exchange
}{
	{"mschapv2", "eap-mschapv2", "EAP_MSCHAPV2", "MSCHAPv2", "the MSK", 5},
	{"md5", "eap-md5", "EAP_MD5", "MD5-Challenge", `SK_pi/SK_pr \(the method has no MSK\)`, 4},
}

// TestEAP: EAP-MSCHAPv2 and EAP-MD5 establish the IKE SA and its Child SA:
// both ends agree (CompareEnds, keys equal), charon and the refserver log
// the EAP method's success and the AUTH payloads made with the MSK (or
// SK_pi/SK_pr for MD5), and the exchanges are IKE_AUTH 1 to 5 (EAP
// Identity, MSCHAPv2 Challenge, Success Request, EAP Success, AUTH; MD5 has
// one round less).
func TestEAP(t *testing.T) {
	requireInterop(t)
	for _, m := range eapMethods {
		for _, ed := range eapDirections {
			t.Run(m.name+"/"+ed.name, func(t *testing.T) {
				pki := newCertPKI(t, "p256")
				p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256",
					setup: func(l *lab, ch, rs *Conn) {
						pki.write(t, l)
						eapConns(m.auth, ed.refClient, eapPassword, eapPassword, ch, rs)
					}})
				c, r := p.establish(t, ed.d)
				p.verifyEstablished(t, ed.d, c, r, proposalCases[1].want)
				logHas(t, p.ch, `EAP method `+m.charon+` succeeded, (MSK|no MSK) established`)
				if ed.refClient {
					logHas(t, p.ch, `authentication of 'left@lab.example' \(myself\) with ECDSA`)
					logHas(t, p.rs, `authentication of peer successful with ECDSA_WITH_SHA256_DER \(DIGITAL_SIGNATURE\), certificate "C=CH, O=ikev2ref, CN=left"`)
					logHas(t, p.rs, `EAP method `+m.ours+` succeeded`)
					logHas(t, p.rs, `EAP authentication complete: the responder's AUTH verifies with `+m.key)
					logHas(t, p.rs, fmt.Sprintf(`sending IKE_AUTH request %d \[ AUTH \]`, m.last))
				} else {
					logHas(t, p.ch, `authentication of 'right@lab.example' with ECDSA`)
					logHas(t, p.rs, `authentication of peer successful with EAP-`+m.ours+` and `+m.key)
					logHas(t, p.rs, `sending IKE_AUTH response 1 \[ IDr CERT CERT AUTH EAP/REQ/1 \]`)
					logHas(t, p.rs, fmt.Sprintf(`sending IKE_AUTH response %d \[ AUTH SA TSi TSr \]`, m.last))
				}
				t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `EAP|authentication of`))
				t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `EAP|IKE_AUTH|authentication`))
				pcap := p.capt.stop(t)
				checkTsharkClean(t, pcap)
				checkIkedump(t, pcap, p.rs.keylog)
			})
		}
	}
}

// TestEAPWrongPassword: the client's password is not the server's.
// MSCHAPv2 answers a wrong NT-Response with a Failure Request; charon as
// the client then refuses us with N(AUTHENTICATION_FAILED) in an
// INFORMATIONAL request (RFC7296-2.21.2-2), and as the server ends with an
// EAP Failure (RFC7296-2.16-8). The logs say why and neither end keeps an
// SA.
func TestEAPWrongPassword(t *testing.T) {
	requireInterop(t)
	for _, ed := range eapDirections {
		t.Run("mschapv2/"+ed.name, func(t *testing.T) {
			pki := newCertPKI(t, "p256")
			p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256", noCapture: true,
				setup: func(l *lab, ch, rs *Conn) {
					pki.write(t, l)
					eapConns("eap-mschapv2", ed.refClient, "Wrong password", eapPassword, ch, rs)
				}})
			init, _ := p.roles(ed.d)
			if out, err := init.Initiate(); err == nil {
				t.Errorf("%s initiate succeeded:\n%s", init.Name(), out)
			}
			waitGone(t, 15*time.Second, p.ch, p.rs)
			if ed.refClient {
				logHas(t, p.ch, `EAP method EAP_MSCHAPV2 failed for peer`)
				logHas(t, p.rs, `received AUTHENTICATION_FAILED|EAP authentication failed`)
			} else {
				// charon gives up at the MSCHAPv2 Failure Request and
				// refuses us in an INFORMATIONAL (RFC7296-2.21.2-2).
				logHas(t, p.rs, `EAP-MSCHAPv2: the NT-Response of .carol. does not verify \(wrong password`)
				logHas(t, p.ch, `EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE`)
				logHas(t, p.ch, `generating INFORMATIONAL request \d+ \[ N\(AUTH_FAILED\) \]`)
				logHas(t, p.rs, `the initiator refused our authentication: N\(AUTHENTICATION_FAILED\)`)
			}
			t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `EAP|AUTH_FAILED|IKE_AUTH`))
			t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `EAP|AUTH_FAILED|authentication`))
		})
	}
}
