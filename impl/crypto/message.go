package crypto

import (
	"fmt"
	"io"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// SealMessage encodes a whole protected message, HDR, SK {inner}, with
// impl/wire: it computes the lengths of the IKE header and of the SK
// payload, puts the type of the first inner payload in the SK payload's
// Next Payload field (RFC 7296 section 3.14) and seals. The header's
// Next Payload is SK; inner may be empty (an INFORMATIONAL request with no
// payloads, RFC 7296 section 1.4). Messages that carry unprotected
// payloads before SK, or that are fragmented (RFC 7383), are built with
// Seal.
func (sk *SK) SealMessage(h wire.Header, inner []wire.Payload, rand io.Reader) ([]byte, error) {
	for _, p := range inner {
		if t := p.PayloadType(); t == wire.PayloadSK || t == wire.PayloadSKF {
			// RFC7296-3.14-1: an Encrypted payload is the last one of a
			// message; it is never inside another.
			return nil, fmt.Errorf("ike: SealMessage: a %v payload cannot be inside SK", t)
		}
	}
	first, pt, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		return nil, fmt.Errorf("ike: SealMessage: %w", err)
	}
	skLen := wire.GenericHeaderLen + len(pt) + sk.Overhead(len(pt))
	if skLen > 0xffff {
		return nil, fmt.Errorf("ike: SealMessage: an SK payload of %d octets does not fit its 16-bit length (fragment it, RFC 7383)", skLen)
	}
	prefix := h.Append(nil, wire.PayloadSK, wire.HeaderLen+skLen)
	prefix = append(prefix, byte(first), 0, byte(skLen>>8), byte(skLen))
	return sk.Seal(prefix, pt, rand)
}

// OpenMessage verifies and decrypts the SK payload of a whole message (as
// received, without the non-ESP marker) and decodes the payloads inside
// it. The SK payload is found with wire.FindEncrypted and the chain is
// decoded with wire.DecodePayloads; unprotected payloads before it, if
// any, are not returned (wire.Decode reads them).
//
// Errors: framing errors match ErrSKMalformed (and wire.ErrMalformed when
// wire.FindEncrypted found them), integrity failures ErrIntegrity: the
// message is then dropped. A message that authenticates but whose inner
// payloads do not decode gives an error matching wire.ErrMalformed: the
// peer is authenticated, and the engine may answer INVALID_SYNTAX (RFC 7296
// section 2.21.1). An SKF fragment is refused: fragments are opened one by
// one with Open and their contents joined before decoding (RFC 7383
// section 2.6).
func (sk *SK) OpenMessage(msg []byte) ([]wire.Payload, error) {
	off, err := wire.FindEncrypted(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSKMalformed, err)
	}
	if _, typ, err := encryptedBody(msg, off); err != nil {
		return nil, err
	} else if typ != wire.PayloadSK {
		return nil, fmt.Errorf("%w: OpenMessage: an %v fragment must be reassembled first (RFC 7383 section 2.6)", ErrSKMalformed, typ)
	}
	pt, err := sk.Open(msg, off)
	if err != nil {
		return nil, err
	}
	ps, err := wire.DecodePayloads(wire.PayloadType(msg[off]), pt)
	if err != nil {
		return nil, fmt.Errorf("ike: inside the SK payload: %w", err)
	}
	return ps, nil
}
