// Package crypto implements the IKEv2 transforms and key derivation of
// RFC 7296 sections 2.13-2.18 and 3.14, with the authenticated encryption of
// RFC 5282 and RFC 7634, the additional key exchanges of RFC 9370 and the
// algorithm requirements of RFC 8247 (IKE) and RFC 8221 (ESP).
//
// It holds:
//
//   - a transform registry (registry.go): maps from the wire IDs of
//     Transform Types 1-4 to small implementations, in the style of
//     x/crypto/ssh's kexAlgoMap, each entry saying whether it may be
//     negotiated and on what RFC text that rests;
//   - the encryption transforms (encr.go), including AES-CCM, which the
//     standard library lacks (ccm.go, RFC 3610 / NIST SP 800-38C);
//   - the PRFs and prf+ (prf.go), the integrity transforms (integ.go);
//   - the key exchange methods (ke.go): MODP (RFC 3526), ECP (RFC 5903),
//     Curve25519 (RFC 8031) and ML-KEM, with the public-value checks of
//     RFC 6989;
//   - SKEYSEED and the IKE SA and Child SA keys (keys.go);
//   - the protection of the Encrypted (SK) and Encrypted Fragment (SKF)
//     payloads (sk.go), and message-level wrappers over impl/wire
//     (message.go).
//
// The package never reads a clock, never logs and never prints key
// material (the types that hold keys format as lengths only). Randomness
// comes from the io.Reader the caller passes (nil means crypto/rand), with
// one exception imposed by the standard library: ML-KEM encapsulation
// (KE.Respond for ML-KEM) always draws from crypto/rand.
//
// Errors start with "ike: " and wrap a sentinel where a caller must tell
// cases apart (ErrUnsupported, ErrIntegrity, ErrSKMalformed,
// ErrInvalidPublic, ErrPRFPlusLimit). Mapping an error to a Notify (for
// example INVALID_SYNTAX for a bad KE payload, RFC 6989 section 2.5) is the
// engine's job, not this package's.
package crypto
