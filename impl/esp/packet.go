package esp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Packet layout constants (RFC 4303 section 2).
const (
	HeaderLen  = 8 // SPI (section 2.1) and Sequence Number (section 2.2)
	TrailerLen = 2 // Pad Length (section 2.5) and Next Header (section 2.6)
	MaxPadLen  = 255
	// Alignment is the boundary on which the ciphertext ends whatever the
	// cipher's block (RFC 4303 section 2.4: "the resulting ciphertext
	// terminates on a 4-byte boundary").
	Alignment = 4
)

// Next Header values this package treats specially (RFC 4303 section 2.6,
// IANA "Assigned Internet Protocol Numbers").
const (
	NextHeaderIPv4  = 4  // tunnel mode, IPv4 inside
	NextHeaderIPv6  = 41 // tunnel mode, IPv6 inside
	NextHeaderDummy = 59 // "no next header": a dummy packet (TFC)
)

// ErrMalformed is matched by every failure caused by the packet's framing:
// too short for its SA's IV and ICV, ciphertext not a whole number of
// blocks, an impossible Pad Length, a Next Header that contradicts the
// payload.
var ErrMalformed = errors.New("esp: malformed packet")

// ErrIntegrity is matched when the ICV (or the AEAD tag) does not verify:
// the packet must be dropped as if never received (RFC 4303 section
// 3.4.4.1, an auditable event).
var ErrIntegrity = errors.New("esp: integrity check failed")

// ErrPadding is matched when the decrypted Padding is not the default
// 1, 2, 3, ... sequence of RFC 4303 section 2.4 or the Pad Length does not
// fit the plaintext. It also matches ErrMalformed. On an SA whose ICV is
// not checked, this is what catches a wrong key.
var ErrPadding error = &sentinel{msg: "esp: padding check failed", parent: ErrMalformed}

type sentinel struct {
	msg    string
	parent error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.parent }

// Error is a failure to parse or open a packet: where and why.
type Error struct {
	Offset int    // octet offset in the ESP packet, counted from the SPI
	Reason string // what was found there
	Err    error  // ErrMalformed, ErrPadding or ErrIntegrity
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.Err, e.Offset, e.Reason)
}

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func errAt(sentinel error, off int, format string, args ...any) *Error {
	return &Error{Offset: off, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// Packet is an ESP packet split into its cleartext header and the rest.
type Packet struct {
	SPI uint32 // RFC 4303 section 2.1
	Seq uint32 // RFC 4303 section 2.2: the low-order 32 bits with ESN
	// Body is everything after the header: IV, ciphertext, ICV. It aliases
	// the parsed buffer; only an SA knows where its parts begin.
	Body []byte
}

// Parse splits an ESP packet (from the SPI on: the IP payload of protocol
// 50, or the UDP payload on port 4500 after RFC 3948's checks) into its
// header and body. It fails only on a packet shorter than the header.
func Parse(b []byte) (Packet, error) {
	if len(b) < HeaderLen {
		return Packet{}, errAt(ErrMalformed, 0, "%d octets, shorter than the %d-octet ESP header", len(b), HeaderLen)
	}
	return Packet{
		SPI:  binary.BigEndian.Uint32(b[0:4]),
		Seq:  binary.BigEndian.Uint32(b[4:8]),
		Body: b[HeaderLen:],
	}, nil
}
