package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// EncrKind tells how an encryption transform protects data.
type EncrKind uint8

const (
	// KindCBC is a block cipher in CBC mode; integrity comes from a separate
	// Transform Type 3 (RFC 7296 section 3.14, RFC 4303 section 3.2).
	KindCBC EncrKind = iota + 1
	// KindAEAD is an authenticated encryption algorithm (RFC 5282); no
	// integrity transform may be negotiated with it (RFC5282-8-1).
	KindAEAD
	// KindNull is ENCR_NULL (RFC 2410): ESP with integrity only
	// (RFC8221-5-9). It never protects an IKE SA (RFC8247-2.1-15).
	KindNull
)

// Encr is one encryption transform (Transform Type 1). The same value serves
// the IKE SK payload (sk.go) and ESP: it says how much keying material the
// transform takes, what travels on the wire (IV, ICV) and how the plaintext
// is aligned, and it builds the cipher.
type Encr struct {
	ID   wire.EncrID
	Kind EncrKind
	// KeyBits lists the Key Length attribute values the transform accepts.
	// It is empty for transforms with a fixed key, which MUST NOT carry the
	// attribute (RFC7296-3.3.5-4); the others MUST carry it (RFC7296-2.13-1,
	// RFC7296-3.3.5-5, RFC5282-7.3-1, RFC5282-7.3-2). FixedKeyLen is then
	// the key size in octets.
	KeyBits     []int
	FixedKeyLen int
	// SaltLen is the number of salt octets that follow the cipher key in
	// the keying material of an AEAD transform (RFC5282-7.1-2: the
	// "KEYMAT requested" of RFC 4106 section 8.1 and RFC 4309 section 7.1;
	// RFC 7634 sections 2 and 3).
	SaltLen int
	// IVLen is the length of the IV carried in each message or packet.
	IVLen int
	// BlockSize is the unit to which payloads, Padding and Pad Length are
	// aligned: the cipher's block for CBC, 1 for AEAD and NULL ("no
	// alignment requirements", RFC5282-3-2). ESP adds its own 4-octet
	// alignment of the trailer (RFC 4303 section 2.4) on top of this.
	BlockSize int
	// ICVLen is the length of an AEAD transform's tag; 0 otherwise (the
	// ICV then comes from the integrity transform).
	ICVLen int
	// IKE and ESP record the requirement levels of RFC 8247 and RFC 8221.
	IKE, ESP Requirement

	newBlock func(key []byte) (cipher.Block, error)
	newAEAD  func(key []byte, icvLen int) (cipher.AEAD, error)
}

func (e *Encr) String() string { return e.ID.String() }

// IsAEAD reports whether e is an authenticated encryption algorithm.
func (e *Encr) IsAEAD() bool { return e.Kind == KindAEAD }

// KeyLen returns the octets of keying material the transform takes with the
// given Key Length attribute (0 when the attribute is absent): the cipher
// key, followed by the salt for AEAD transforms (RFC5282-7.1-2:
// "The size of each of the SK_ei and SK_er encryption keys includes
// additional salt bytes").
func (e *Encr) KeyLen(keyBits int) (int, error) {
	if len(e.KeyBits) == 0 {
		if keyBits != 0 {
			// RFC7296-3.3.5-4: "The Key Length attribute MUST NOT be used
			// with transforms that use a fixed-length key."
			return 0, fmt.Errorf("ike: %v has a fixed key length and takes no Key Length attribute (got %d)", e.ID, keyBits)
		}
		return e.FixedKeyLen + e.SaltLen, nil
	}
	if keyBits == 0 {
		// RFC7296-3.3.5-5: for ENCR_AES_CBC the attribute "MUST be always
		// included"; RFC5282-7.3-1 says the same for AES GCM and CCM, and
		// RFC3602-5.3-1 for AES-CBC.
		return 0, fmt.Errorf("ike: %v needs a Key Length attribute", e.ID)
	}
	if !slices.Contains(e.KeyBits, keyBits) {
		return 0, fmt.Errorf("ike: %v does not take a %d-bit key (allowed: %v)", e.ID, keyBits, e.KeyBits)
	}
	return keyBits/8 + e.SaltLen, nil
}

// cipherKeyOK checks a cipher key (without salt) against the allowed sizes.
func (e *Encr) cipherKeyOK(n int) error {
	if len(e.KeyBits) == 0 {
		if n != e.FixedKeyLen {
			return fmt.Errorf("ike: %v takes a %d-octet key, got %d", e.ID, e.FixedKeyLen, n)
		}
		return nil
	}
	if !slices.Contains(e.KeyBits, n*8) {
		return fmt.Errorf("ike: %v takes a key of %v bits, got %d octets", e.ID, e.KeyBits, n)
	}
	return nil
}

// NewBlock returns the block cipher of a CBC transform keyed with key.
func (e *Encr) NewBlock(key []byte) (cipher.Block, error) {
	if e.Kind != KindCBC {
		return nil, fmt.Errorf("ike: %v is not a CBC transform", e.ID)
	}
	if err := e.cipherKeyOK(len(key)); err != nil {
		return nil, err
	}
	return e.newBlock(key)
}

// NewAEAD returns the AEAD of an AEAD transform keyed with keymat, the
// cipher key followed by the salt. Its nonce is the IV that travels in the
// message or packet (NonceSize() == IVLen): it prepends the salt itself,
// which is the nonce format of RFC5282-4-2, RFC5282-4-3 and RFC 7634 section 2
// ("concatenating the salt with the IV, in that order").
func (e *Encr) NewAEAD(keymat []byte) (cipher.AEAD, error) {
	if e.Kind != KindAEAD {
		return nil, fmt.Errorf("ike: %v is not an AEAD transform", e.ID)
	}
	if len(keymat) < e.SaltLen {
		return nil, fmt.Errorf("ike: %v keying material of %d octets is shorter than its salt", e.ID, len(keymat))
	}
	key, salt := keymat[:len(keymat)-e.SaltLen], keymat[len(keymat)-e.SaltLen:]
	if err := e.cipherKeyOK(len(key)); err != nil {
		return nil, err
	}
	a, err := e.newAEAD(key, e.ICVLen)
	if err != nil {
		return nil, fmt.Errorf("ike: %v: %w", e.ID, err)
	}
	return &saltedAEAD{aead: a, salt: slices.Clone(salt), ivLen: e.IVLen}, nil
}

// saltedAEAD takes the explicit IV as its nonce and prepends the salt.
type saltedAEAD struct {
	aead  cipher.AEAD
	salt  []byte
	ivLen int
}

func (s *saltedAEAD) NonceSize() int { return s.ivLen }
func (s *saltedAEAD) Overhead() int  { return s.aead.Overhead() }

func (s *saltedAEAD) nonce(iv []byte) []byte {
	if len(iv) != s.ivLen {
		panic("ike: AEAD IV of the wrong length") // as cipher.AEAD does
	}
	n := make([]byte, 0, len(s.salt)+len(iv))
	return append(append(n, s.salt...), iv...)
}

func (s *saltedAEAD) Seal(dst, iv, plaintext, aad []byte) []byte {
	return s.aead.Seal(dst, s.nonce(iv), plaintext, aad)
}

func (s *saltedAEAD) Open(dst, iv, ciphertext, aad []byte) ([]byte, error) {
	return s.aead.Open(dst, s.nonce(iv), ciphertext, aad)
}

func newAESGCM(key []byte, icvLen int) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if icvLen == 8 {
		// The standard library's GCM refuses tags shorter than 12 octets.
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, err
		}
		return &gcmShortTag{gcm: g, block: b, tagLen: icvLen}, nil
	}
	return cipher.NewGCMWithTagSize(b, icvLen)
}

// gcmShortTag is AES-GCM with its tag truncated to tagLen octets: NIST
// SP 800-38D section 5.2.1.2 defines a t-bit tag as the leftmost t bits of
// the full tag, which is what RFC 4106 section 6 uses for its 8-octet ICV.
// Open decrypts in counter mode (GCTR from inc32(J0), SP 800-38D section
// 7.2), recomputes the full tag by sealing the result again, and compares
// the leading tagLen octets in constant time; nothing is returned before
// that comparison succeeds.
type gcmShortTag struct {
	gcm    cipher.AEAD
	block  cipher.Block
	tagLen int
}

func (g *gcmShortTag) NonceSize() int { return g.gcm.NonceSize() }
func (g *gcmShortTag) Overhead() int  { return g.tagLen }

func (g *gcmShortTag) Seal(dst, nonce, plaintext, aad []byte) []byte {
	full := g.gcm.Seal(nil, nonce, plaintext, aad)
	return append(dst, full[:len(plaintext)+g.tagLen]...)
}

var errOpen = errors.New("cipher: message authentication failed")

func (g *gcmShortTag) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != 12 {
		panic("ike: GCM nonce of the wrong length")
	}
	if len(ciphertext) < g.tagLen {
		return nil, errOpen
	}
	ct, tag := ciphertext[:len(ciphertext)-g.tagLen], ciphertext[len(ciphertext)-g.tagLen:]
	if uint64(len(ct)) > (1<<32-2)*16 {
		return nil, errOpen // SP 800-38D section 5.2.1.1: beyond GCM's plaintext limit
	}
	// J0 = nonce | 0^31 | 1; the first counter block is inc32(J0).
	var ctr [16]byte
	copy(ctr[:], nonce)
	ctr[15] = 2
	pt := make([]byte, len(ct))
	cipher.NewCTR(g.block, ctr[:]).XORKeyStream(pt, ct)
	full := g.gcm.Seal(nil, nonce, pt, aad)
	if subtle.ConstantTimeCompare(full[len(pt):len(pt)+g.tagLen], tag) != 1 {
		clear(pt)
		return nil, errOpen
	}
	return append(dst, pt...), nil
}

func newAESCCM(key []byte, icvLen int) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return NewCCM(b, 11, icvLen)
}

func newChaCha20Poly1305(key []byte, icvLen int) (cipher.AEAD, error) {
	if icvLen != chacha20poly1305.Overhead {
		return nil, fmt.Errorf("ChaCha20-Poly1305 has a %d-octet tag", chacha20poly1305.Overhead)
	}
	return chacha20poly1305.New(key)
}

func newAES(key []byte) (cipher.Block, error) { return aes.NewCipher(key) }

// new3DES keys 3DES-EDE with the 24 octets as they come from the keying
// material: RFC7296-2.13-2 asks the transform to say how keys come from
// arbitrary octets, and RFC 2451 section 2.3 says the parity bits are
// ignored, which is what crypto/des does.
func new3DES(key []byte) (cipher.Block, error) { return des.NewTripleDESCipher(key) }

var aesKeyBits = []int{128, 192, 256}

func init() {
	registerEncr(&Encr{
		ID: wire.ENCR_AES_CBC, Kind: KindCBC, KeyBits: aesKeyBits,
		IVLen: aes.BlockSize, BlockSize: aes.BlockSize, // RFC3602-3-1, RFC3602-2.4-1
		IKE: req("MUST", rfc8247ENCR+" (192-bit keys: MAY)"), ESP: req("MUST", rfc8221ENCR+" (192-bit keys: MAY)"),
		newBlock: newAES,
	})
	registerEncr(&Encr{
		ID: wire.ENCR_3DES, Kind: KindCBC, FixedKeyLen: 24,
		IVLen: des.BlockSize, BlockSize: des.BlockSize, // RFC 2451 section 2.4
		IKE: Requirement{Level: "MAY", Source: rfc8247ENCR,
			// RFC8247-2.1-12, RFC8221-5-7.
			Note: "implemented only to decrypt recorded traffic; RFC 8247 section 2.1 downgrades it from MUST- to MAY " +
				"(\"no need to keep support for the much slower ENCR_3DES\") and RFC 8221 section 5 to SHOULD NOT for ESP; " +
				"ikev2ref never offers or accepts it"},
		ESP:      Requirement{Level: "SHOULD NOT", Source: rfc8221ENCR},
		newBlock: new3DES,
	})
	registerEncr(&Encr{
		ID: wire.ENCR_NULL, Kind: KindNull, BlockSize: 1, // RFC 2410 section 2: no IV, block size 1
		IKE: Requirement{Level: "MUST NOT", Source: rfc8247ENCR + "; RFC 7296 section 5"},
		ESP: Requirement{Level: "MUST", Source: rfc8221ENCR, Negotiable: true,
			Note: "only with an integrity transform (RFC 8221 section 4)"},
	})
	for _, g := range []struct {
		id       wire.EncrID
		icv      int
		ike, esp Requirement
	}{
		// RFC 8247 section 2.1: ENCR_AES_GCM_16 SHOULD; "the 8- and
		// 12-octet ICVs remain at the MAY level" (RFC8247-2.1-8).
		// RFC5282-7.2-2: "the use of 12-octet ICVs (values 15 and 19) is
		// NOT RECOMMENDED". RFC5282-3.2-1: 16, 12 and 8 octets, no other.
		{wire.ENCR_AES_GCM_8, 8, req("MAY", rfc8247ENCR), req("MAY", rfc8221ENCR+notListed)},
		{wire.ENCR_AES_GCM_12, 12, req("NOT RECOMMENDED", "RFC 5282 section 7.2"), req("MAY", rfc8221ENCR+notListed)},
		{wire.ENCR_AES_GCM_16, 16, req("SHOULD", rfc8247ENCR), req("MUST", rfc8221ENCR)},
	} {
		registerEncr(&Encr{
			ID: g.id, Kind: KindAEAD, KeyBits: aesKeyBits,
			SaltLen: 4, IVLen: 8, BlockSize: 1, ICVLen: g.icv, // RFC5282-3.1-1, RFC5282-4-2, RFC 4106 section 8.1
			IKE: g.ike, ESP: g.esp, newAEAD: newAESGCM,
		})
	}
	for _, c := range []struct {
		id       wire.EncrID
		icv      int
		ike, esp Requirement
	}{
		// RFC 8247 section 2.1: ENCR_AES_CCM_8 SHOULD (IoT, 128-bit keys).
		// RFC5282-3.2-2 and RFC5282-3.2-3: 8 and 16 octets, and 12.
		{wire.ENCR_AES_CCM_8, 8, req("SHOULD", rfc8247ENCR+" (IoT; 192- and 256-bit keys: MAY)"), req("SHOULD", rfc8221ENCR+" (IoT)")},
		{wire.ENCR_AES_CCM_12, 12, req("NOT RECOMMENDED", "RFC 5282 section 7.2"), req("MAY", rfc8221ENCR+notListed)},
		{wire.ENCR_AES_CCM_16, 16, req("MAY", rfc8247ENCR+notListed), req("MAY", rfc8221ENCR+notListed)},
	} {
		registerEncr(&Encr{
			ID: c.id, Kind: KindAEAD, KeyBits: aesKeyBits,
			SaltLen: 3, IVLen: 8, BlockSize: 1, ICVLen: c.icv, // RFC5282-3.1-1, RFC5282-4-3, RFC 4309 section 7.1
			IKE: c.ike, ESP: c.esp, newAEAD: newAESCCM,
		})
	}
	registerEncr(&Encr{
		ID: wire.ENCR_CHACHA20_POLY1305, Kind: KindAEAD, FixedKeyLen: chacha20poly1305.KeySize,
		SaltLen: 4, IVLen: 8, BlockSize: 1, ICVLen: chacha20poly1305.Overhead, // RFC 7634 sections 2 and 3
		IKE: req("SHOULD", rfc8247ENCR), ESP: req("SHOULD", rfc8221ENCR),
		newAEAD: newChaCha20Poly1305,
	})
}
