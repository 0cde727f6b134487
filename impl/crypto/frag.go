package crypto

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// IKE fragmentation (RFC 7383) on top of Seal and Open. Seal and Open
// already protect an SKF payload exactly as an SK payload (RFC 7383
// section 2.5: "The cryptographic processing of the Encrypted Fragment
// payload is identical to that described in Section 3.14 of [RFC7296]"):
// for AEAD the associated data runs through the SKF payload's header,
// Fragment Number and Total Fragments included (RFC 5282 section 5.1: "the
// last octet of the Payload Header of the Encrypted Payload"), and for CBC
// the ICV covers them like every octet before it. What this file adds is
// the message framing: splitting a plaintext into fragments, sealing each
// as a whole IKE Fragment message, and reading a received one's fields.

// skfHeaderLen is the SKF payload's header: the generic header, Fragment
// Number and Total Fragments (RFC 7383 section 2.5).
const skfHeaderLen = wire.GenericHeaderLen + 4

// FragmentChunk returns the largest plaintext chunk that an IKE Fragment
// message of at most maxLen octets (IKE header through ICV, without the
// non-ESP marker) carries with this SK: the IKE header, the SKF header, the
// IV, Padding, Pad Length and ICV come off. It returns 0 if not even one
// octet fits.
func (sk *SK) FragmentChunk(maxLen int) int {
	// c + Overhead(c) never decreases with c, and exceeds c by at most
	// IV + block + ICV octets: the loop stops within that many steps.
	for c := maxLen - wire.HeaderLen - skfHeaderLen; c > 0; c-- {
		if wire.HeaderLen+skfHeaderLen+c+sk.Overhead(c) <= maxLen {
			return c
		}
	}
	return 0
}

// SealFragments encodes the message HDR, SK {inner} as IKE Fragment
// messages of at most maxLen octets each (RFC 7383 section 2.5): the
// plaintext of the SK payload is cut into chunks regardless of payload
// boundaries, and each chunk is sealed on its own in an SKF payload whose
// Fragment Number counts from 1 and whose Total Fragments is the number of
// chunks (RFC7383-2.5-4, RFC7383-2.5-5, RFC7383-2.5-6). The IKE header is h
// in every fragment, with only Next Payload (SKF) and Length adjusted
// (RFC7383-2.5-7); the first SKF payload's Next Payload names the first
// inner payload, the others' are zero (RFC7383-2.5-2, RFC7383-2.5-3).
// Each fragment draws its own IV (RFC7296-3.14-3).
func (sk *SK) SealFragments(h wire.Header, inner []wire.Payload, maxLen int, rand io.Reader) ([][]byte, error) {
	for _, p := range inner {
		if t := p.PayloadType(); t == wire.PayloadSK || t == wire.PayloadSKF {
			return nil, fmt.Errorf("ike: SealFragments: a %v payload cannot be inside SKF", t)
		}
	}
	first, pt, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		return nil, fmt.Errorf("ike: SealFragments: %w", err)
	}
	chunk := min(sk.FragmentChunk(maxLen), 0xffff-skfHeaderLen-sk.Overhead(0xffff))
	if chunk <= 0 {
		return nil, fmt.Errorf("ike: SealFragments: an IKE Fragment message of %d octets has no room for content", maxLen)
	}
	total := max(1, (len(pt)+chunk-1)/chunk)
	if total > 0xffff {
		return nil, fmt.Errorf("ike: SealFragments: %d octets in chunks of %d make %d fragments, more than Total Fragments counts", len(pt), chunk, total)
	}
	out := make([][]byte, 0, total)
	for n := 1; n <= total; n++ {
		c := pt[(n-1)*chunk : min(n*chunk, len(pt))]
		next := wire.PayloadNone
		if n == 1 {
			next = first
		}
		plen := skfHeaderLen + len(c) + sk.Overhead(len(c))
		prefix := h.Append(nil, wire.PayloadSKF, wire.HeaderLen+plen)
		prefix = append(prefix, byte(next), 0)
		prefix = binary.BigEndian.AppendUint16(prefix, uint16(plen))
		prefix = binary.BigEndian.AppendUint16(prefix, uint16(n))
		prefix = binary.BigEndian.AppendUint16(prefix, uint16(total))
		msg, err := sk.Seal(prefix, c, rand)
		if err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	clear(pt)
	return out, nil
}

// FragmentHeader is what a received IKE Fragment message says in the
// clear: where its SKF payload is, its Fragment Number and Total Fragments,
// and its Next Payload (the type of the first inner payload in fragment 1).
type FragmentHeader struct {
	Off           int // offset of the SKF payload's generic header
	Number, Total uint16
	Inner         wire.PayloadType
}

// ParseFragment reads the framing of a message (as received, without the
// non-ESP marker) that ends in an Encrypted or Encrypted Fragment payload,
// without keys. For an SK payload it returns ok false and no error. For an
// SKF payload it checks the tests of RFC 7383 section 2.6 that need no
// state: Fragment Number and Total Fragments are not zero, and the Number
// is at most the Total (RFC7383-2.6-1: otherwise the message is discarded).
// Errors match ErrSKMalformed.
func ParseFragment(msg []byte) (f FragmentHeader, ok bool, err error) {
	off, err := wire.FindEncrypted(msg)
	if err != nil {
		return f, false, fmt.Errorf("%w: %w", ErrSKMalformed, err)
	}
	if _, typ, err := encryptedBody(msg, off); err != nil {
		return f, false, err
	} else if typ != wire.PayloadSKF {
		return f, false, nil
	}
	f = FragmentHeader{Off: off, Inner: wire.PayloadType(msg[off]),
		Number: binary.BigEndian.Uint16(msg[off+4:]), Total: binary.BigEndian.Uint16(msg[off+6:])}
	if f.Number == 0 || f.Total == 0 || f.Number > f.Total {
		return f, true, malformed("fragment %d of %d", f.Number, f.Total)
	}
	return f, true, nil
}
