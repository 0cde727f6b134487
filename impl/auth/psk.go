// Package auth computes and checks the AUTH payload of IKE_AUTH (RFC 7296
// section 2.15): the shared key message integrity code (psk.go); the
// signature methods (sig.go): RSA Digital Signature (RFC 7296 section 3.8),
// ECDSA with SHA-256/384/512 on P-256/384/521 (RFC 4754) and the Digital
// Signature method with its SIGNATURE_HASH_ALGORITHMS notify (RFC 7427
// sections 3 and 4, with the recommendations of RFC 8247 section 3); the
// certificates behind them (cert.go): the CERT payload's X.509 chain (RFC
// 7296 section 3.6), CERTREQ authorities (section 3.7) and the binding of
// ID payloads to certificates (RFC 4301 section 4.4.3.2); and the
// distinguished names of ID_DER_ASN1_DN identities (dn.go). EAP (RFC 7296
// section 2.16) lives in impl/auth/eap.
package auth

import (
	"crypto/subtle"
	"errors"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
)

// keyPad is the 17 ASCII characters of RFC 7296 section 2.15, without a
// terminating null.
const keyPad = "Key Pad for IKEv2"

// ErrAuthFailed is matched when an AUTH payload does not verify.
var ErrAuthFailed = errors.New("ike: AUTH payload does not verify")

// SignedOctets builds the octets an end signs or MACs (RFC 7296 section
// 2.15): its own first message as sent (RealMessage1 for the initiator,
// RealMessage2 for the responder), the peer's nonce, and prf(SK_px, ID body)
// where the ID body is the end's own IDi/IDr payload after the generic
// header (ID Type, RESERVED, data).
func SignedOctets(prf *crypto.PRF, realMessage, peerNonce, skp, idBody []byte) []byte {
	out := make([]byte, 0, len(realMessage)+len(peerNonce)+prf.Size)
	out = append(out, realMessage...)
	out = append(out, peerNonce...)
	return append(out, prf.Sum(skp, idBody)...)
}

// PSK computes the shared key MIC:
//
//	AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
//
// (RFC 7296 section 2.15). The secret is used as given, without a null
// terminator (RFC7296-2.15-2).
func PSK(prf *crypto.PRF, secret, signedOctets []byte) []byte {
	return prf.Sum(prf.Sum(secret, []byte(keyPad)), signedOctets)
}

// VerifyPSK checks a received shared key MIC in constant time.
func VerifyPSK(prf *crypto.PRF, secret, signedOctets, got []byte) error {
	if subtle.ConstantTimeCompare(PSK(prf, secret, signedOctets), got) != 1 {
		return ErrAuthFailed
	}
	return nil
}
