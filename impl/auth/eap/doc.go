// Package eap is the Extensible Authentication Protocol as IKEv2 carries it
// in its EAP payload (RFC 7296 sections 2.16 and 3.16): the packet codec of
// RFC 3748 section 4 and its basic Types (section 5), and the two methods
// EAP-MD5 (RFC 3748 section 5.4 with the CHAP computation of RFC 1994
// section 4.1) and EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02
// framing around RFC 2759's MS-CHAP-V2, with the master session key of
// RFC 3079 section 3 laid out as strongSwan lays it out), each as an
// authenticator (Server) and as a peer (Client).
//
// The package does no I/O and keeps no clock: a state machine consumes one
// EAP packet (the body of an EAP payload) and returns the packet to send
// back, Step(in) -> (out, Status, error). Randomness (challenges) is
// injected through the configuration. There are no EAP-level
// retransmissions: IKEv2 retransmits whole messages (RFC 7296 section 2.1)
// and its response cache answers a repeated request, so each EAP Request
// travels in exactly one IKE_AUTH response. A Client still answers an
// exact duplicate of its last Request with its last Response, without
// processing it again (RFC 3748 section 4.1).
//
// Decoding is strict and total: every field of the Types above is checked,
// a failure is a *DecodeError naming the octet offset and the reason, and
// no input makes anything panic. Encode refuses what Decode would refuse.
// The Length field must equal the packet's size: RFC 3748 section 4 has a
// link layer ignore octets past Length as padding, but an EAP payload
// (RFC 7296 section 3.16) holds exactly one EAP message and has no such
// padding; strongSwan's eap_payload.c refuses the mismatch as well.
//
// The state machines end at the first error: inside IKE_AUTH every EAP
// packet arrives authenticated and encrypted, so a malformed or unexpected
// one is the peer's protocol error, not an attacker's injection to be
// skipped. Status is Failure exactly when the error is non-nil; a Server
// that fails returns the EAP-Failure to send with the error
// (RFC7296-2.16-8, RFC7296-2.16-9).
//
// The safety rules that the CVE-2021-45079 class of bugs broke are the
// structure of the machines rather than checks added to them:
//
//   - a Client reports Success only for an EAP-Success that arrives after
//     its method finished: for MSCHAPv2 after it verified the authenticator
//     response "S=..." and answered with a Success Response; for MD5 after
//     it answered the challenge (EAP-MD5 cannot authenticate the server,
//     which is why RFC7296-2.16-5 discourages it and RFC7296-2.16-1 asks
//     the responder to authenticate with a signature in IKE);
//   - a Server reports Success only after its method verified the peer's
//     proof (MD5 response, NT-Response) and, for MSCHAPv2, the peer
//     acknowledged the authenticator response;
//   - Identifiers (and MS-CHAPv2-IDs) must answer the outstanding Request;
//     a Type the Client does not accept is answered with a Nak before a
//     method starts and refused after; every machine runs a bounded number
//     of rounds.
//
// The MSK (RFC 3748 section 7.10) of a successful MSCHAPv2 run is what the
// IKE AUTH payloads of messages 7 and 8 are computed with (RFC7296-2.16-3);
// EAP-MD5 derives no key, so those AUTH payloads use SK_pi and SK_pr
// (RFC7296-2.16-6).
package eap
