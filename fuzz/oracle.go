package fuzz

import (
	"errors"
	"fmt"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// CheckDecodeError says what is wrong with an error from a wire decoder
// (Decode, DecodePayloads, DecodePayloadBody, DecodeHeader, FindEncrypted):
// it must be a *wire.Error matching wire.ErrMalformed or wire.ErrMajorVersion.
// It returns nil for a nil error.
func CheckDecodeError(err error) error {
	var we *wire.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &we):
		return fmt.Errorf("error %q is a %T, not a *wire.Error", err, err)
	case !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrMajorVersion):
		return fmt.Errorf("error %q matches neither wire.ErrMalformed nor wire.ErrMajorVersion", err)
	}
	return nil
}

// ReservedMask returns, for each octet of the encoding of m, the bits that
// RFC 7296 section 3 marks RESERVED: they "MUST be sent as zero" and "MUST be
// ignored on receipt" (RFC7296-3.2-6, -3.3.1-1, -3.3.2-1, -3.5-1, -3.8-2,
// -3.13-1, -3.15-1, -3.15.1-1), so the decoder drops them and the
// encoder writes zero (impl/wire's doc.go). It walks the structure of m, not
// the encoder's output, so that it is an independent reading of the figures:
//
//	3.2    generic payload header: the 7 bits after the C bit
//	3.3.1  proposal: octet 1;  3.3.2 transform: octets 1 and 5
//	3.4    KE: octets 2 and 3 of the body
//	3.5    ID, 3.8 AUTH, 3.13 TS, 3.15 CP: octets 1 to 3 of the body
//	3.15.1 configuration attribute: the R bit
//
// The IKE header has none: its Flags octet and minor version are kept.
func ReservedMask(m *wire.Message) ([]byte, error) {
	mask := make([]byte, wire.HeaderLen)
	for _, p := range m.Payloads {
		bm, err := BodyReservedMask(p)
		if err != nil {
			return nil, err
		}
		mask = append(mask, 0, 0x7f, 0, 0)
		mask = append(mask, bm...)
	}
	return mask, nil
}

// BodyReservedMask is ReservedMask for the body of one payload (the octets
// AppendPayloadBody writes).
func BodyReservedMask(p wire.Payload) ([]byte, error) {
	body, err := wire.AppendPayloadBody(nil, p)
	if err != nil {
		return nil, err
	}
	mask := make([]byte, len(body))
	switch q := p.(type) {
	case *wire.SA:
		pos := 0
		for _, pr := range q.Proposals {
			mask[pos+1] = 0xff
			pos += 8 + len(pr.SPI)
			for _, tr := range pr.Transforms {
				mask[pos+1], mask[pos+5] = 0xff, 0xff
				tlen := 8
				for _, a := range tr.Attributes {
					tlen += 4 // AF + type, then length or value
					if !a.TV {
						tlen += len(a.Value)
					}
				}
				pos += tlen
			}
		}
	case *wire.KE:
		mask[2], mask[3] = 0xff, 0xff
	case *wire.ID, *wire.Auth, *wire.TS:
		mask[1], mask[2], mask[3] = 0xff, 0xff, 0xff
	case *wire.CP:
		mask[1], mask[2], mask[3] = 0xff, 0xff, 0xff
		pos := 4
		for _, a := range q.Attributes {
			mask[pos] |= 0x80
			pos += 4 + len(a.Value)
		}
	}
	return mask, nil
}

// Canonical checks that b, which decoded to m, is m's encoding but for its
// reserved bits: Encode(m) == b &^ ReservedMask(m). Decoding is strict
// (impl/wire's doc.go), so nothing else may be lost or normalised.
func Canonical(b []byte, m *wire.Message) error {
	enc, err := m.Encode()
	if err != nil {
		return fmt.Errorf("a decoded message does not encode: %w", err)
	}
	mask, err := ReservedMask(m)
	if err != nil {
		return err
	}
	return sameButReserved(b, enc, mask)
}

// CanonicalBody is Canonical for one payload body that decoded to p.
func CanonicalBody(body []byte, p wire.Payload) error {
	enc, err := wire.AppendPayloadBody(nil, p)
	if err != nil {
		return fmt.Errorf("a decoded %v payload does not encode: %w", p.PayloadType(), err)
	}
	mask, err := BodyReservedMask(p)
	if err != nil {
		return err
	}
	return sameButReserved(body, enc, mask)
}

func sameButReserved(in, enc, mask []byte) error {
	if len(enc) != len(in) || len(mask) != len(in) {
		return fmt.Errorf("re-encoding has %d octets (reserved mask %d), the input %d", len(enc), len(mask), len(in))
	}
	for i := range in {
		if enc[i] != in[i]&^mask[i] {
			return fmt.Errorf("octet %d: input %#02x, re-encoded %#02x, reserved bits %#02x", i, in[i], enc[i], mask[i])
		}
	}
	return nil
}
