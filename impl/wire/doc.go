// Package wire encodes and decodes IKEv2 messages as RFC 7296 section 3 lays
// them out: the IKE header (3.1), the generic payload header with its critical
// bit (3.2), and every payload of sections 3.3 to 3.16, plus the Encrypted
// Fragment payload of RFC 7383 section 2.5 and the exchange and transform
// types added by RFC 9242 and RFC 9370.
//
// The package does no I/O and no cryptography. Decoding is strict and total:
// every length, count and nesting rule that section 3 states is checked, a
// failure is reported as an *Error naming the byte offset and the reason, and
// no input makes a decoder panic or read past its input. A decoded Message
// owns its memory: it never aliases the caller's buffer.
//
// Encoding computes every derived field (Next Payload chains, lengths,
// counts, "last substructure" markers) from the structure, so a Message holds
// only what a sender chooses. The encoder does not enforce the protocol's
// semantic rules (a nonce of 8 octets encodes); that is what lets the
// conformance suite craft invalid messages. Reserved fields are written as
// zero and ignored on receipt (RFC7296-3.2-6), so a message with non-zero
// reserved bits decodes and re-encodes with those bits cleared; the IKE
// header's Flags octet is the exception and is kept whole.
//
// The Encrypted payload (SK, section 3.14) is carried as its raw body
// (IV, ciphertext, ICV); impl/crypto opens and seals it, and DecodePayloads
// parses the plaintext chain it yields.
package wire
