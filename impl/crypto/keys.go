package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Suite is the set of transforms negotiated for an IKE SA (RFC 7296 section
// 2.13: "an encryption algorithm, an integrity protection algorithm, a
// Diffie-Hellman group, and a pseudorandom function").
type Suite struct {
	Encr    *Encr
	KeyBits int    // the Key Length attribute; 0 when Encr takes none
	PRF     *PRF   //
	Integ   *Integ // nil for an AEAD Encr
	KE      *KE    // nil when unknown (for example when decrypting from a key table)
}

// NewSuite looks the transforms up and checks that they fit together: an
// AEAD cipher comes without an integrity transform (RFC5282-8-1: "an
// integrity algorithm MUST NOT be selected"; RFC7634-4-1), any other cipher
// with one (RFC8247-2.1-1: "Algorithms that are not AEAD MUST be used in
// conjunction with one of the integrity algorithms"), and the Key Length
// attribute is present exactly when the cipher needs it (RFC7296-3.3.5-4,
// RFC7296-3.3.5-5). Pass wire.AUTH_NONE for no integrity transform,
// wire.KE_NONE for an unknown key exchange method, and PRF ID 0 for a suite
// that only protects SK payloads with keys from elsewhere (a key table): such
// a suite has no PRF, and IKEKeys refuses it.
//
// NewSuite does not apply the negotiation policy, so that recorded traffic
// with, say, 3DES can still be decrypted; the engine calls Negotiable
// before it offers or accepts a suite.
func NewSuite(encr wire.EncrID, keyBits int, prf wire.PRFID, integ wire.IntegID, ke wire.KEID) (Suite, error) {
	var s Suite
	var err error
	if s.Encr, err = LookupEncr(encr); err != nil {
		return Suite{}, err
	}
	if s.Encr.Kind == KindNull {
		return Suite{}, errors.New("ike: ENCR_NULL cannot protect an IKE SA (RFC 8247 section 2.1: MUST NOT)")
	}
	if _, err := s.Encr.KeyLen(keyBits); err != nil {
		return Suite{}, err
	}
	s.KeyBits = keyBits
	if prf != 0 {
		if s.PRF, err = LookupPRF(prf); err != nil {
			return Suite{}, err
		}
	}
	switch {
	case s.Encr.IsAEAD() && integ != wire.AUTH_NONE:
		return Suite{}, fmt.Errorf("ike: %v is AEAD and takes no integrity transform, got %v (RFC 5282 section 8)", encr, integ)
	case !s.Encr.IsAEAD() && integ == wire.AUTH_NONE:
		return Suite{}, fmt.Errorf("ike: %v needs an integrity transform (RFC 8247 section 2.1)", encr)
	case !s.Encr.IsAEAD():
		if s.Integ, err = LookupInteg(integ); err != nil {
			return Suite{}, err
		}
	}
	if ke != wire.KE_NONE {
		if s.KE, err = LookupKE(ke); err != nil {
			return Suite{}, err
		}
	}
	return s, nil
}

// Negotiable reports, as an error, why the suite may not be offered or
// accepted for an IKE SA: a transform whose Requirement is not Negotiable,
// or a missing key exchange method (RFC7296-2.18-2: "an initiator
// MUST NOT propose the value "NONE" for the Diffie-Hellman transform").
func (s Suite) Negotiable() error {
	if s.Encr == nil || s.PRF == nil {
		return errors.New("ike: incomplete suite (use NewSuite)")
	}
	if !s.Encr.IKE.Negotiable {
		return fmt.Errorf("ike: %v is not negotiated for IKE (%s: %s)", s.Encr.ID, s.Encr.IKE.Source, s.Encr.IKE.Level)
	}
	if !s.PRF.IKE.Negotiable {
		return fmt.Errorf("ike: %v is not negotiated for IKE (%s: %s)", s.PRF.ID, s.PRF.IKE.Source, s.PRF.IKE.Level)
	}
	if s.Integ != nil && !s.Integ.IKE.Negotiable {
		return fmt.Errorf("ike: %v is not negotiated for IKE (%s: %s)", s.Integ.ID, s.Integ.IKE.Source, s.Integ.IKE.Level)
	}
	if s.KE == nil {
		return errors.New("ike: an IKE SA needs a key exchange method")
	}
	if !s.KE.IKE.Negotiable {
		return fmt.Errorf("ike: %v is not negotiated for IKE (%s: %s)", s.KE.ID, s.KE.IKE.Source, s.KE.IKE.Level)
	}
	return nil
}

func (s Suite) String() string {
	if s.Encr == nil || s.PRF == nil {
		return "Suite{}"
	}
	str := s.Encr.ID.String()
	if s.KeyBits != 0 {
		str += fmt.Sprintf("_%d", s.KeyBits)
	}
	if s.Integ != nil {
		str += "/" + s.Integ.ID.String()
	}
	str += "/" + s.PRF.ID.String()
	if s.KE != nil {
		str += "/" + s.KE.ID.String()
	}
	return str
}

// KeyLengths are the lengths in octets of the seven IKE SA keys.
type KeyLengths struct {
	D    int // SK_d
	A    int // SK_ai and SK_ar
	E    int // SK_ei and SK_er, salt included
	P    int // SK_pi and SK_pr
	Salt int // the salt at the end of SK_ei and SK_er (AEAD)
}

// Total is the number of octets prf+ must produce for the seven keys.
func (l KeyLengths) Total() int { return l.D + 2*l.A + 2*l.E + 2*l.P }

// KeyLengths returns the key lengths of the suite (which NewSuite made): SK_d, SK_pi and SK_pr
// take the PRF's preferred key size (RFC7296-2.14-1: "The lengths of
// SK_d, SK_pi, and SK_pr MUST be the preferred key length of the PRF
// agreed upon"); with an AEAD cipher SK_ai and SK_ar have "a size of zero
// (0) octets" (RFC5282-7.1-1) and SK_ei and SK_er include the salt
// (RFC5282-7.1-2, RFC 7634 section 3).
func (s Suite) KeyLengths() KeyLengths {
	e, _ := s.Encr.KeyLen(s.KeyBits) // checked by NewSuite
	l := KeyLengths{E: e, Salt: s.Encr.SaltLen}
	if s.PRF != nil {
		l.D, l.P = s.PRF.KeyLen, s.PRF.KeyLen
	}
	if s.Integ != nil {
		l.A = s.Integ.KeyLen
	}
	return l
}

// IKEKeys are the seven secrets of an IKE SA (RFC 7296 section 2.14).
type IKEKeys struct {
	D      []byte // SK_d: derives Child SA keys and the next IKE SA's SKEYSEED
	Ai, Ar []byte // SK_ai, SK_ar: integrity, initiator's and responder's messages
	Ei, Er []byte // SK_ei, SK_er: encryption (salt included for AEAD)
	Pi, Pr []byte // SK_pi, SK_pr: AUTH payload computation
}

// SKEYSEED computes SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 section 2.14).
// For the PRFs with a fixed key size (AES-XCBC-PRF-128, AES-CMAC-PRF-128),
// "only the first 64 bits of Ni and the first 64 bits of Nr are used in
// calculating SKEYSEED".
func SKEYSEED(prf *PRF, ni, nr, gir []byte) ([]byte, error) {
	if prf.FixedKey {
		if len(ni) < 8 || len(nr) < 8 {
			return nil, fmt.Errorf("ike: nonces of %d and %d octets, shorter than 64 bits", len(ni), len(nr))
		}
		return prf.Sum(concat(ni[:8], nr[:8]), gir), nil
	}
	return prf.Sum(concat(ni, nr), gir), nil
}

// IKEKeys derives {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), "taken in order from the
// generated bits of the prf+" (RFC 7296 section 2.14). After an IKE SA
// rekey the PRF is the new SA's (RFC 7296 section 2.18), which is this
// suite's.
func (s Suite) IKEKeys(skeyseed, ni, nr []byte, spii, spir uint64) (*IKEKeys, error) {
	if s.PRF == nil {
		return nil, errors.New("ike: IKEKeys: the suite has no PRF")
	}
	l := s.KeyLengths()
	seed := concat(ni, nr)
	seed = binary.BigEndian.AppendUint64(seed, spii)
	seed = binary.BigEndian.AppendUint64(seed, spir)
	km, err := s.PRF.Plus(skeyseed, seed, l.Total())
	if err != nil {
		return nil, err
	}
	k := &IKEKeys{}
	takeKeys(km, keySlot{&k.D, l.D}, keySlot{&k.Ai, l.A}, keySlot{&k.Ar, l.A},
		keySlot{&k.Ei, l.E}, keySlot{&k.Er, l.E}, keySlot{&k.Pi, l.P}, keySlot{&k.Pr, l.P})
	return k, nil
}

// RekeySKEYSEED computes the SKEYSEED of a new IKE SA made by a
// CREATE_CHILD_SA exchange, with the old IKE SA's PRF and SK_d (RFC 7296
// section 2.18: "it is the old IKE SA's PRF that is used to generate
// SKEYSEED"):
//
//	SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
//
// With the additional key exchanges of RFC 9370 section 2.2.4, pass their
// shared secrets in order as more:
//
//	SKEYSEED = prf(SK_d, SK(0) | Ni | Nr | SK(1) | ... SK(n))
func RekeySKEYSEED(oldPRF *PRF, oldSKd, gir, ni, nr []byte, more ...[]byte) []byte {
	parts := append([][]byte{gir, ni, nr}, more...)
	return oldPRF.Sum(oldSKd, parts...)
}

// IntermediateSKEYSEED computes the SKEYSEED after the n-th additional key
// exchange of an IKE SA's setup (RFC 9370 section 2.2.2):
//
//	SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
//
// where Ni and Nr are the IKE_SA_INIT nonces and SK_d(n-1) the last SK_d.
// The seven keys then follow from IKEKeys with the same SPIs and nonces.
func IntermediateSKEYSEED(prf *PRF, prevSKd, skn, ni, nr []byte) []byte {
	return prf.Sum(prevSKd, skn, ni, nr)
}

// ChildKeys are the keys of the pair of SAs a Child SA negotiation makes.
type ChildKeys struct {
	EncI, IntegI []byte // SA carrying data from the initiator to the responder
	EncR, IntegR []byte // SA carrying data from the responder to the initiator
}

// DeriveChildKeys takes the keys of one ESP or AH Child SA pair from
//
//	KEYMAT = prf+(SK_d, Ni | Nr)               no key exchange
//	KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)  one (RFC 7296 section 2.17)
//	KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... SK(n))
//	                                           several (RFC 9370 section 2.2.4)
//
// where shared holds g^ir and the RFC 9370 secrets in order, or nothing
// (RFC7296-2.17-1: the keys are "taken from the expanded KEYMAT"). encLen is Encr.KeyLen (salt included for AEAD) and
// integLen Integ.KeyLen (0 for AEAD). "All keys for SAs carrying data from
// the initiator to the responder are taken before SAs going from the
// responder to the initiator", and within an SA "the encryption key (if
// any) MUST be taken from the first bits and the integrity key (if any)
// MUST be taken from the remaining bits" (RFC7296-2.17-2).
func DeriveChildKeys(prf *PRF, skd, ni, nr []byte, encLen, integLen int, shared ...[]byte) (*ChildKeys, error) {
	if encLen < 0 || integLen < 0 {
		return nil, errors.New("ike: negative key length")
	}
	var seed []byte
	if len(shared) > 0 {
		seed = concat(shared[0], ni, nr)
		for _, s := range shared[1:] {
			seed = append(seed, s...)
		}
	} else {
		seed = concat(ni, nr)
	}
	km, err := prf.Plus(skd, seed, 2*(encLen+integLen))
	if err != nil {
		return nil, err
	}
	k := &ChildKeys{}
	takeKeys(km, keySlot{&k.EncI, encLen}, keySlot{&k.IntegI, integLen},
		keySlot{&k.EncR, encLen}, keySlot{&k.IntegR, integLen})
	return k, nil
}

// keySlot is one key to cut from keying material: where it goes, how long.
type keySlot struct {
	dst *[]byte
	n   int
}

// takeKeys cuts km into consecutive keys, "taken in order from the
// generated bits" (RFC 7296 sections 2.14 and 2.17). Each key's capacity
// ends with it, so that appending to one cannot overwrite the next.
func takeKeys(km []byte, slots ...keySlot) {
	for _, s := range slots {
		*s.dst, km = km[:s.n:s.n], km[s.n:]
	}
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// String and GoString show key lengths, never key material, so that a
// stray %v or %#v cannot print keys.
func (k IKEKeys) String() string {
	return fmt.Sprintf("IKEKeys{SK_d:%d SK_a:%d/%d SK_e:%d/%d SK_p:%d/%d octets}",
		len(k.D), len(k.Ai), len(k.Ar), len(k.Ei), len(k.Er), len(k.Pi), len(k.Pr))
}

func (k IKEKeys) GoString() string { return k.String() }

func (k ChildKeys) String() string {
	return fmt.Sprintf("ChildKeys{enc:%d/%d integ:%d/%d octets}", len(k.EncI), len(k.EncR), len(k.IntegI), len(k.IntegR))
}

func (k ChildKeys) GoString() string { return k.String() }
