// Package esp implements ESP (RFC 4303) packet processing: the packet
// format of section 2 (SPI, Sequence Number, Payload Data with its IV,
// Padding, Pad Length, Next Header, ICV), outbound encryption and ICV
// calculation (section 3.3.2) and inbound ICV verification and decryption
// (section 3.4.4), with the default padding scheme of section 2.4 and the
// Extended Sequence Numbers of section 2.2.1. The combined-mode transforms
// follow RFC 4106 (AES-GCM), RFC 4309 (AES-CCM) and RFC 7634
// (ChaCha20-Poly1305), whose associated data is the ESP header (RFC 4106
// section 5).
//
// This is the first slice of the data plane: an SA value that seals and
// opens single packets. It holds no sequence-number state, so the
// anti-replay window (section 3.4.3, Appendix A), tunnel and transport mode
// encapsulation, selector checks (RFC 4301 section 5.2) and UDP
// encapsulation (RFC 3948) are built on top of it by the caller: Open
// returns the Sequence Number for the replay check, which RFC 4303 section
// 3.4.3 places before the ICV check and after it the window update.
//
// Every cipher and MAC comes from impl/crypto's transform registry
// (crypto.Encr, crypto.Integ); this package only frames them, running the
// block cipher of a CBC transform in crypto/cipher's CBC mode as
// impl/crypto's own SK code does. Errors start
// with "esp: " and wrap ErrMalformed, ErrIntegrity or ErrPadding; their
// *Error form carries the octet offset in the ESP packet. No input makes
// Parse or Open panic.
package esp
