package crypto

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Integ is one integrity transform (Transform Type 3): a MAC truncated to
// ICVLen octets.
type Integ struct {
	ID wire.IntegID
	// KeyLen is the key size in octets: for HMAC, the hash's output size
	// (RFC 7296 section 2.13, RFC4868-2.1.1-1, RFC 2404 section 3).
	KeyLen int
	// ICVLen is the length of the truncated output that is sent.
	ICVLen int
	// IKE and ESP record the requirement levels of RFC 8247 and RFC 8221.
	IKE, ESP Requirement

	new func(key []byte) hash.Hash // untruncated
}

func (i *Integ) String() string { return i.ID.String() }

// New returns the MAC keyed with key; its Sum appends the ICVLen-octet ICV.
func (i *Integ) New(key []byte) (hash.Hash, error) {
	if len(key) != i.KeyLen {
		return nil, fmt.Errorf("ike: %v takes a %d-octet key, got %d", i.ID, i.KeyLen, len(key))
	}
	return &truncated{Hash: i.new(key), n: i.ICVLen}, nil
}

// truncated keeps the leftmost n octets of the MAC (RFC4868-2.3-1, RFC 2404
// section 2, RFC 3566 section 4 step 5).
type truncated struct {
	hash.Hash
	n int
}

func (t *truncated) Size() int { return t.n }

func (t *truncated) Sum(b []byte) []byte {
	full := t.Hash.Sum(nil)
	return append(b, full[:t.n]...)
}

func hmacInteg(h func() hash.Hash) func(key []byte) hash.Hash {
	return func(key []byte) hash.Hash { return hmac.New(h, key) }
}

func init() {
	registerInteg(&Integ{ID: wire.AUTH_HMAC_SHA1_96, KeyLen: sha1.Size, ICVLen: 12, // RFC 2404
		IKE: req("MUST-", rfc8247INTEG), ESP: req("MUST-", rfc8221INTEG), new: hmacInteg(sha1.New)})
	// RFC4868-2.3-1: truncation to half the hash output; RFC4868-2.1.1-1:
	// the key is the hash's output size.
	registerInteg(&Integ{ID: wire.AUTH_HMAC_SHA2_256_128, KeyLen: sha256.Size, ICVLen: 16,
		IKE: req("MUST", rfc8247INTEG), ESP: req("MUST", rfc8221INTEG), new: hmacInteg(sha256.New)})
	registerInteg(&Integ{ID: wire.AUTH_HMAC_SHA2_384_192, KeyLen: sha512.Size384, ICVLen: 24,
		IKE: req("MAY", rfc8247INTEG+notListed), ESP: req("MAY", rfc8221INTEG+notListed), new: hmacInteg(sha512.New384)})
	registerInteg(&Integ{ID: wire.AUTH_HMAC_SHA2_512_256, KeyLen: sha512.Size, ICVLen: 32,
		IKE: req("SHOULD", rfc8247INTEG), ESP: req("SHOULD", rfc8221INTEG), new: hmacInteg(sha512.New)})
	// RFC 3566 sections 4 and 5: a 128-bit key, the leftmost 96 bits.
	registerInteg(&Integ{ID: wire.AUTH_AES_XCBC_96, KeyLen: 16, ICVLen: 12,
		IKE: req("SHOULD", rfc8247INTEG+" (IoT; otherwise MAY)"), ESP: req("SHOULD", rfc8221INTEG+" (IoT; otherwise MAY)"),
		new: func(key []byte) hash.Hash { return newXCBC(key, 16) }})
}
