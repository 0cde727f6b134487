package interop

import (
	"testing"
)

// TestEAPOnly: charon, as the EAP-MSCHAPv2 client, sends
// N(EAP_ONLY_AUTHENTICATION) (RFC 5998). EAP-MSCHAPv2 is not safe for
// EAP-only authentication (RFC 5998 section 4: it is not resistant to
// dictionary attacks), so the refserver ignores the notification, says so,
// and signs message 4 as RFC 7296 section 2.16 asks; the SA comes up.
func TestEAPOnly(t *testing.T) {
	requireInterop(t)
	pki := newCertPKI(t, "p256")
	p := newPair(t, pairOpts{ike: "aes256-sha256-ecp256", esp: "aes256-sha256",
		setup: func(l *lab, ch, rs *Conn) {
			pki.write(t, l)
			eapConns("eap-mschapv2", false, eapPassword, eapPassword, ch, rs)
		}})
	c, r := p.establish(t, directions[1])
	p.verifyEstablished(t, directions[1], c, r, proposalCases[1].want)
	logHas(t, p.ch, `generating IKE_AUTH request 1 \[ .*N\(EAP_ONLY\)`)
	logHas(t, p.rs, `ignoring N\(EAP_ONLY_AUTHENTICATION\): no method of eap-mschapv2 is safe for EAP-only authentication \(RFC 5998 section 4\)`)
	logHas(t, p.rs, `sending IKE_AUTH response 1 \[ IDr CERT CERT AUTH EAP/REQ/1 \]`)
	logHas(t, p.ch, `authentication of 'right@lab.example' with ECDSA`)
	pcap := p.capt.stop(t)
	checkTsharkClean(t, pcap)
}
