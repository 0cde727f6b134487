package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// PRF is one pseudorandom function (Transform Type 2).
type PRF struct {
	ID wire.PRFID
	// KeyLen is the preferred key size in octets, the length of SK_d, SK_pi
	// and SK_pr (RFC7296-2.13-3; RFC 7296 section 2.13: "For PRFs based on
	// the HMAC construction, the preferred key size is equal to the length
	// of the output of the underlying hash function"; RFC7296-2.13-4 for
	// the others).
	KeyLen int
	// Size is the length of the output in octets.
	Size int
	// FixedKey marks the PRFs that RFC 7296 section 2.14 treats specially
	// when computing SKEYSEED (AES-XCBC-PRF-128, AES-CMAC-PRF-128): only
	// the first 64 bits of each nonce form the key.
	FixedKey bool
	// IKE is the requirement level of RFC 8247 section 2.2.
	IKE Requirement

	new func(key []byte) hash.Hash
}

func (p *PRF) String() string { return p.ID.String() }

// Sum returns prf(key, data[0] | data[1] | ...).
func (p *PRF) Sum(key []byte, data ...[]byte) []byte {
	h := p.new(key)
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

// ErrPRFPlusLimit is matched by the error of a prf+ request beyond 255
// iterations.
var ErrPRFPlusLimit = errors.New("ike: prf+ output limit exceeded")

// Plus returns the first n octets of prf+(key, seed) (RFC 7296 section
// 2.13):
//
//	prf+ (K,S) = T1 | T2 | T3 | T4 | ...
//	T1 = prf (K, S | 0x01)
//	T2 = prf (K, T1 | S | 0x02)
//	...
//
// "The prf+ function is not defined beyond 255 times the size of the prf
// function output": asking for more is an error matching ErrPRFPlusLimit.
func (p *PRF) Plus(key, seed []byte, n int) ([]byte, error) {
	if n < 0 || n > 255*p.Size {
		return nil, fmt.Errorf("%w: %d octets asked of %v, which defines at most 255 x %d", ErrPRFPlusLimit, n, p.ID, p.Size)
	}
	out := make([]byte, 0, n+p.Size)
	h := p.new(key)
	var t []byte
	for i := 1; len(out) < n; i++ {
		h.Reset()
		h.Write(t) // empty for T1
		h.Write(seed)
		h.Write([]byte{byte(i)}) // "a single octet"
		t = h.Sum(t[:0])
		out = append(out, t...)
	}
	return out[:n], nil
}

func hmacPRF(h func() hash.Hash) func(key []byte) hash.Hash {
	return func(key []byte) hash.Hash { return hmac.New(h, key) }
}

// xcbc is AES-XCBC-MAC (RFC 3566 section 4) as a hash.Hash: it keeps the
// last block back until more data or Sum shows whether it is the final one.
type xcbc struct {
	k1     cipher.Block
	k2, k3 [16]byte
	e      [16]byte // E[i-1]
	buf    [16]byte // pending block
	n      int      // octets in buf
	size   int      // octets Sum returns (16 for the PRF, 12 for -96)
}

func newXCBC(key []byte, size int) *xcbc {
	k, err := aes.NewCipher(key) // 16 octets: callers guarantee it
	if err != nil {
		panic(err)
	}
	x := &xcbc{size: size}
	var k1 [16]byte
	for i := range 16 { // RFC 3566 section 4 step (1)
		k1[i], x.k2[i], x.k3[i] = 1, 2, 3
	}
	k.Encrypt(k1[:], k1[:])
	k.Encrypt(x.k2[:], x.k2[:])
	k.Encrypt(x.k3[:], x.k3[:])
	x.k1, _ = aes.NewCipher(k1[:])
	return x
}

func (x *xcbc) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if x.n == 16 { // step (3): a full block that is not the last one
			subtle.XORBytes(x.e[:], x.e[:], x.buf[:])
			x.k1.Encrypt(x.e[:], x.e[:])
			x.n = 0
		}
		c := copy(x.buf[x.n:], p)
		x.n += c
		p = p[c:]
	}
	return n, nil
}

func (x *xcbc) Sum(b []byte) []byte {
	e, last := x.e, x.buf
	if x.n == 16 { // step (4a)
		subtle.XORBytes(e[:], e[:], last[:])
		subtle.XORBytes(e[:], e[:], x.k2[:])
	} else { // step (4b), which NOTE1 applies to the empty message too
		last[x.n] = 0x80
		clear(last[x.n+1:])
		subtle.XORBytes(e[:], e[:], last[:])
		subtle.XORBytes(e[:], e[:], x.k3[:])
	}
	x.k1.Encrypt(e[:], e[:])
	return append(b, e[:x.size]...)
}

func (x *xcbc) Reset()         { x.e, x.n = [16]byte{}, 0 }
func (x *xcbc) Size() int      { return x.size }
func (x *xcbc) BlockSize() int { return 16 }

// newXCBCPRF is AES-XCBC-PRF-128 (RFC 4434 section 2): AES-XCBC-MAC without
// the truncation, with any key length: a shorter key is padded with zero
// bits, a longer one replaced by AES-XCBC-PRF-128(0^128, key).
func newXCBCPRF(key []byte) hash.Hash {
	var k [16]byte
	if len(key) <= 16 {
		copy(k[:], key)
	} else {
		z := newXCBC(k[:], 16)
		z.Write(key)
		z.Sum(k[:0])
	}
	return newXCBC(k[:], 16)
}

func init() {
	registerPRF(&PRF{ID: wire.PRF_HMAC_SHA1, KeyLen: sha1.Size, Size: sha1.Size,
		IKE: req("MUST-", rfc8247PRF), new: hmacPRF(sha1.New)})
	// RFC 4868 section 2.1.2: the PRF_HMAC_SHA2 key is the hash's output size.
	registerPRF(&PRF{ID: wire.PRF_HMAC_SHA2_256, KeyLen: sha256.Size, Size: sha256.Size,
		IKE: req("MUST", rfc8247PRF), new: hmacPRF(sha256.New)})
	registerPRF(&PRF{ID: wire.PRF_HMAC_SHA2_384, KeyLen: sha512.Size384, Size: sha512.Size384,
		IKE: req("MAY", rfc8247PRF+notListed), new: hmacPRF(sha512.New384)})
	registerPRF(&PRF{ID: wire.PRF_HMAC_SHA2_512, KeyLen: sha512.Size, Size: sha512.Size,
		IKE: req("SHOULD+", rfc8247PRF), new: hmacPRF(sha512.New)})
	// RFC 4434 section 2: 128-bit key and output (RFC7296-2.13-4: the
	// preferred key size of a non-HMAC PRF is its own specification's).
	registerPRF(&PRF{ID: wire.PRF_AES128_XCBC, KeyLen: 16, Size: 16, FixedKey: true,
		IKE: req("SHOULD", rfc8247PRF+" (IoT; otherwise MAY)"), new: newXCBCPRF})
}
