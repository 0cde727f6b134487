package crypto

import (
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// ErrIntegrity is matched by the error Open returns when the ICV (or AEAD
// tag) does not verify: the message must be dropped as if never received.
var ErrIntegrity = errors.New("ike: SK integrity check failed")

// ErrSKMalformed is matched by the error Open returns when the message's
// framing of the Encrypted payload is wrong (offsets, lengths, alignment)
// or, after a successful integrity check, the Pad Length is impossible.
var ErrSKMalformed = errors.New("ike: malformed SK payload")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSKMalformed, fmt.Sprintf(format, args...))
}

// SK protects the Encrypted payloads (SK, RFC 7296 section 3.14) and
// Encrypted Fragment payloads (SKF, RFC 7383 section 2.5) of one direction
// of an IKE SA: the messages the original initiator sends use SK_ei and
// SK_ai, the others SK_er and SK_ar (RFC 7296 section 2.14). It works on
// message bytes, not on decoded payloads, so that it serves SK and SKF
// alike.
//
// IVs: for CBC, Seal reads a fresh IV from its rand for every message
// (RFC7296-3.14-3: "Senders MUST select a new unpredictable IV for every
// message"; RFC3602-3-2, RFC3602-3-3). For AEAD transforms, whose 8-octet
// IV must be used "only once for a given key" (RFC5282-3.1-2,
// RFC7634-2-1), the IV is a counter (RFC5282-3.1-3; RFC7634-2-2
// recommends one): the first Seal reads its starting value from rand, and
// every Seal after it adds one; Seal refuses to run once the 2^64 values
// are spent. Two SK values must therefore never share a key. An SK value
// is safe for concurrent use.
type SK struct {
	encr     *Encr
	block    cipher.Block // KindCBC
	aead     cipher.AEAD  // KindAEAD; its nonce is the IV (salt prepended)
	integ    *Integ       // KindCBC
	integKey []byte
	icvLen   int

	mu     sync.Mutex
	ivSet  bool   // the AEAD counter has its starting value
	ivNext uint64 // the next AEAD IV
	sealed uint64 // AEAD messages sealed with this key
}

// NewSK returns the protection for one direction of an IKE SA with suite s:
// encKey is SK_ei or SK_er (salt included for AEAD), integKey SK_ai or
// SK_ar (empty for AEAD). The lengths must be those of s.KeyLengths().
func NewSK(s Suite, encKey, integKey []byte) (*SK, error) {
	if s.Encr == nil {
		return nil, errors.New("ike: NewSK: incomplete suite (use NewSuite)")
	}
	l := s.KeyLengths()
	if len(encKey) != l.E {
		return nil, fmt.Errorf("ike: %v SK_e of %d octets, the suite takes %d", s.Encr.ID, len(encKey), l.E)
	}
	if len(integKey) != l.A {
		return nil, fmt.Errorf("ike: SK_a of %d octets, the suite takes %d", len(integKey), l.A)
	}
	sk := &SK{encr: s.Encr}
	var err error
	switch s.Encr.Kind {
	case KindCBC:
		if s.Integ == nil {
			return nil, fmt.Errorf("ike: %v needs an integrity transform", s.Encr.ID)
		}
		if sk.block, err = s.Encr.NewBlock(encKey); err != nil {
			return nil, err
		}
		sk.integ, sk.integKey, sk.icvLen = s.Integ, slices.Clone(integKey), s.Integ.ICVLen
	case KindAEAD:
		if sk.aead, err = s.Encr.NewAEAD(encKey); err != nil {
			return nil, err
		}
		sk.icvLen = s.Encr.ICVLen
	default:
		return nil, fmt.Errorf("ike: %v cannot protect an SK payload (RFC 8247 section 2.1)", s.Encr.ID)
	}
	return sk, nil
}

func (sk *SK) String() string   { return "SK(" + sk.encr.ID.String() + ")" } // never the keys
func (sk *SK) GoString() string { return sk.String() }

// padLen is the Padding the sender puts before the Pad Length octet: for
// CBC "the minimum value that makes the combination of the payloads, the
// Padding, and the Pad Length a multiple of the block size" (RFC7296-3.14-5,
// a SHOULD; RFC7296-3.14-4); for AEAD none ("no alignment requirements",
// RFC5282-3-2; RFC7634-3-1: "The sender SHOULD include no padding and set
// the Pad Length field to zero").
func (sk *SK) padLen(n int) int {
	if sk.encr.Kind != KindCBC {
		return 0
	}
	bs := sk.encr.BlockSize
	return (bs - (n+1)%bs) % bs
}

// Overhead returns how many octets Seal adds to a plaintext of n octets: IV,
// Padding, Pad Length and ICV. A sender adds it to the lengths of the IKE
// header and of the SK or SKF payload header before sealing.
func (sk *SK) Overhead(n int) int {
	return sk.encr.IVLen + sk.padLen(n) + 1 + sk.icvLen
}

// nextIV returns the IV for the next message.
func (sk *SK) nextIV(rand io.Reader) ([]byte, error) {
	iv := make([]byte, sk.encr.IVLen)
	if sk.encr.Kind == KindCBC {
		if _, err := io.ReadFull(orDefault(rand), iv); err != nil {
			return nil, fmt.Errorf("ike: reading a CBC IV: %w", err)
		}
		return iv, nil
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if !sk.ivSet {
		if _, err := io.ReadFull(orDefault(rand), iv); err != nil {
			return nil, fmt.Errorf("ike: reading the first AEAD IV: %w", err)
		}
		sk.ivNext, sk.ivSet = binary.BigEndian.Uint64(iv), true
	}
	if sk.sealed == math.MaxUint64 {
		return nil, errors.New("ike: every AEAD IV of this key is spent: rekey the IKE SA")
	}
	binary.BigEndian.PutUint64(iv, sk.ivNext)
	sk.ivNext++ // wraps; sealed counts how many values were used
	sk.sealed++
	return iv, nil
}

// Seal encrypts and authenticates plaintext, the inner payload chain, and
// returns a new slice holding prefix followed by the IV, the ciphertext of
// plaintext | Padding | Pad Length, and the ICV (RFC 7296 section 3.14; for
// AEAD, RFC 5282 section 3 and RFC 7634 section 3, the ICV being the tag).
//
// prefix is the message from the first octet of the IKE header through the
// SK payload's generic header (or the SKF payload's header with Fragment
// Number and Total Fragments), every length field already final. Seal
// checks that the IKE header's Length is len(prefix) + len(plaintext) +
// Overhead(len(plaintext)). For AEAD, prefix is the associated data
// (RFC5282-5.1-1: "starting from the first octet of the Fixed IKE Header
// through the last octet of the Payload Header of the Encrypted Payload";
// RFC5282-5.1-2: not the IV); for CBC, the ICV is the integrity transform
// over the whole message up to the ICV ("starting with the Fixed IKE header
// through the Pad Length", computed "over the encrypted message",
// RFC7296-3.14-6). Padding octets are zero (RFC7296-3.14-4, RFC5282-3-1:
// the Padding "MAY contain any value").
func (sk *SK) Seal(prefix, plaintext []byte, rand io.Reader) ([]byte, error) {
	if len(prefix) < wire.HeaderLen+wire.GenericHeaderLen {
		return nil, fmt.Errorf("ike: Seal: prefix of %d octets cannot hold the IKE header and a payload header", len(prefix))
	}
	pad := sk.padLen(len(plaintext))
	total := len(prefix) + len(plaintext) + sk.Overhead(len(plaintext))
	if got := binary.BigEndian.Uint32(prefix[24:28]); int64(got) != int64(total) {
		return nil, fmt.Errorf("ike: Seal: the IKE header's Length is %d, the sealed message has %d octets", got, total)
	}
	iv, err := sk.nextIV(rand)
	if err != nil {
		return nil, err
	}
	p := make([]byte, len(plaintext)+pad+1, len(plaintext)+pad+1+sk.icvLen)
	copy(p, plaintext)
	p[len(p)-1] = byte(pad)

	out := make([]byte, 0, total)
	out = append(out, prefix...)
	out = append(out, iv...)
	switch sk.encr.Kind {
	case KindCBC:
		cipher.NewCBCEncrypter(sk.block, iv).CryptBlocks(p, p)
		out = append(out, p...)
		mac, err := sk.integ.New(sk.integKey)
		if err != nil {
			return nil, err
		}
		mac.Write(out)
		out = mac.Sum(out)
	case KindAEAD:
		out = sk.aead.Seal(out, iv, p, prefix)
	}
	clear(p)
	return out, nil
}

// encryptedBody checks the framing of the SK or SKF payload whose generic
// header is at skOff and returns the offset of its IV. It walks the Next
// Payload chain from the IKE header to learn whether the payload there is
// SK (4-octet header) or SKF (8 octets: Fragment Number and Total
// Fragments follow, RFC 7383 section 2.5), which it also returns, and
// requires that it be the last payload (RFC7296-3.14-1, RFC7383-2.5-1).
func encryptedBody(msg []byte, skOff int) (int, wire.PayloadType, error) {
	if len(msg) < wire.HeaderLen+wire.GenericHeaderLen {
		return 0, 0, malformed("message of %d octets", len(msg))
	}
	if l := binary.BigEndian.Uint32(msg[24:28]); int64(l) != int64(len(msg)) {
		return 0, 0, malformed("the IKE header's Length is %d, the message has %d octets", l, len(msg))
	}
	if skOff < wire.HeaderLen || skOff > len(msg)-wire.GenericHeaderLen {
		return 0, 0, malformed("Encrypted payload offset %d outside a %d-octet message", skOff, len(msg))
	}
	next, off := wire.PayloadType(msg[16]), wire.HeaderLen
	for off < skOff {
		plen := int(binary.BigEndian.Uint16(msg[off+2 : off+4]))
		if plen < wire.GenericHeaderLen || plen > skOff-off {
			return 0, 0, malformed("payload at offset %d has length %d: no payload starts at offset %d", off, plen, skOff)
		}
		next, off = wire.PayloadType(msg[off]), off+plen
	}
	var hdr int
	switch next {
	case wire.PayloadSK:
		hdr = wire.GenericHeaderLen
	case wire.PayloadSKF:
		hdr = wire.GenericHeaderLen + 4
	default:
		return 0, 0, malformed("the payload at offset %d is %v, not SK or SKF", skOff, next)
	}
	plen := int(binary.BigEndian.Uint16(msg[skOff+2 : skOff+4]))
	if plen != len(msg)-skOff {
		return 0, 0, malformed("%v payload length %d, but %d octets remain: it must be the last payload", next, plen, len(msg)-skOff)
	}
	if plen < hdr {
		return 0, 0, malformed("%v payload length %d is shorter than its header", next, plen)
	}
	return skOff + hdr, next, nil
}

// Open verifies and decrypts the SK or SKF payload whose generic header is
// at msg[skOff] (wire.FindEncrypted finds it), and returns the inner
// payload chain without Padding and Pad Length, in a new slice. msg is the
// whole message as received, without the non-ESP marker of port 4500.
//
// The ICV is checked first, in constant time, over exactly what Seal
// covers; nothing is decrypted before it verifies. Then the Pad Length is
// checked: "the recipient MUST accept any length that results in proper
// alignment" (RFC7296-3.14-5; for AEAD "any amount of Padding up to 255
// octets", RFC5282-3-2, RFC7634-3-2), so only Pad Length + 1 > plaintext is
// refused. Any IV is accepted (RFC7296-3.14-3). Every failure matches ErrIntegrity or ErrSKMalformed; no input
// makes Open panic.
func (sk *SK) Open(msg []byte, skOff int) ([]byte, error) {
	return sk.open(msg, skOff, true)
}

// DecryptUnverified decrypts a CBC-protected SK or SKF payload without
// checking its ICV: for a dump tool showing recorded traffic whose ICV is
// known to be wrong, never for the engine. For AEAD transforms decryption
// and verification are one operation, and it is the same as Open.
func (sk *SK) DecryptUnverified(msg []byte, skOff int) ([]byte, error) {
	return sk.open(msg, skOff, false)
}

func (sk *SK) open(msg []byte, skOff int, verify bool) ([]byte, error) {
	dataOff, _, err := encryptedBody(msg, skOff)
	if err != nil {
		return nil, err
	}
	body := msg[dataOff:]
	ivLen := sk.encr.IVLen
	// IV, at least the Pad Length octet (a whole block for CBC), ICV.
	if len(body) < ivLen+1+sk.icvLen {
		return nil, malformed("%d octets of IV, ciphertext and ICV, fewer than %d", len(body), ivLen+1+sk.icvLen)
	}
	iv, ct := body[:ivLen], body[ivLen:len(body)-sk.icvLen]
	var p []byte
	switch sk.encr.Kind {
	case KindCBC:
		if bs := sk.encr.BlockSize; len(ct)%bs != 0 {
			return nil, malformed("%d octets of ciphertext, not a multiple of the %d-octet block", len(ct), bs)
		}
		if verify {
			mac, err := sk.integ.New(sk.integKey)
			if err != nil {
				return nil, err
			}
			mac.Write(msg[:len(msg)-sk.icvLen])
			if !hmac.Equal(mac.Sum(nil), msg[len(msg)-sk.icvLen:]) {
				return nil, fmt.Errorf("%w (%v)", ErrIntegrity, sk.integ.ID)
			}
		}
		p = make([]byte, len(ct))
		cipher.NewCBCDecrypter(sk.block, iv).CryptBlocks(p, ct)
	case KindAEAD:
		p, err = sk.aead.Open(nil, iv, body[ivLen:], msg[:dataOff])
		if err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrIntegrity, sk.encr.ID)
		}
	default:
		return nil, malformed("%v cannot protect an SK payload", sk.encr.ID)
	}
	padLen := int(p[len(p)-1])
	if padLen+1 > len(p) {
		clear(p)
		return nil, malformed("Pad Length %d with %d octets of plaintext", padLen, len(p))
	}
	return p[: len(p)-1-padLen : len(p)-1-padLen], nil
}
