package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Signature authentication: the AUTH payload of the RSA Digital Signature
// method (RFC 7296 section 3.8), the ECDSA methods of RFC 4754 and the
// Digital Signature method of RFC 7427 (section 3), with the
// SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 section 4). All of them sign
// the octets of RFC 7296 section 2.15 (SignedOctets).

// HashAlg is a Hash Algorithm Identifier of the IANA IKEv2 registry (RFC
// 7427 section 7; Identity is RFC 8420's, for EdDSA, which hashes nothing
// before signing).
type HashAlg uint16

const (
	HashSHA1     HashAlg = 1
	HashSHA256   HashAlg = 2
	HashSHA384   HashAlg = 3
	HashSHA512   HashAlg = 4
	HashIdentity HashAlg = 5
)

func (h HashAlg) String() string {
	switch h {
	case HashSHA1:
		return "SHA1"
	case HashSHA256:
		return "SHA2_256"
	case HashSHA384:
		return "SHA2_384"
	case HashSHA512:
		return "SHA2_512"
	case HashIdentity:
		return "IDENTITY"
	}
	return fmt.Sprintf("HASH(%d)", uint16(h))
}

// crypto returns the Go hash, or 0 for Identity and unknown values.
func (h HashAlg) crypto() crypto.Hash {
	switch h {
	case HashSHA1:
		return crypto.SHA1
	case HashSHA256:
		return crypto.SHA256
	case HashSHA384:
		return crypto.SHA384
	case HashSHA512:
		return crypto.SHA512
	}
	return 0
}

// SupportedHashes is what we announce in SIGNATURE_HASH_ALGORITHMS and
// accept in Digital Signature AUTH payloads: the SHA-2 hashes and Identity.
// SHA-1 is left out: RFC 8247 section 3.2 puts it at MUST NOT for the
// Digital Signature method.
var SupportedHashes = []HashAlg{HashSHA256, HashSHA384, HashSHA512, HashIdentity}

// EncodeHashAlgorithms builds the Notification Data of
// SIGNATURE_HASH_ALGORITHMS: 16-bit identifiers without padding (RFC 7427
// section 4).
func EncodeHashAlgorithms(hs []HashAlg) []byte {
	b := make([]byte, 0, 2*len(hs))
	for _, h := range hs {
		b = binary.BigEndian.AppendUint16(b, uint16(h))
	}
	return b
}

// DecodeHashAlgorithms reads SIGNATURE_HASH_ALGORITHMS Notification Data.
// Unknown identifiers are kept (they are never chosen); an odd length is an
// error.
func DecodeHashAlgorithms(data []byte) ([]HashAlg, error) {
	if len(data)%2 != 0 {
		return nil, fmt.Errorf("%w: SIGNATURE_HASH_ALGORITHMS data of %d octets is not a list of 16-bit identifiers", ErrMalformed, len(data))
	}
	hs := make([]HashAlg, 0, len(data)/2)
	for i := 0; i+1 < len(data); i += 2 {
		hs = append(hs, HashAlg(binary.BigEndian.Uint16(data[i:])))
	}
	return hs, nil
}

// Errors of signature authentication. Every failure wraps one of these (or
// ErrAuthFailed when the signature itself is wrong).
var (
	// ErrMalformed: the AUTH data (or a notify) cannot be parsed.
	ErrMalformed = errors.New("auth: malformed authentication data")
	// ErrAlgorithm: the signature algorithm does not fit the key, is not
	// supported, or uses a hash that was not negotiated.
	ErrAlgorithm = errors.New("auth: signature algorithm refused")
)

// KeyType is the kind of a public key.
type KeyType uint8

const (
	KeyRSA KeyType = iota + 1
	KeyECDSA
	KeyEd25519
)

func (k KeyType) String() string {
	switch k {
	case KeyRSA:
		return "RSA"
	case KeyECDSA:
		return "ECDSA"
	case KeyEd25519:
		return "ED25519"
	}
	return fmt.Sprintf("KEY(%d)", uint8(k))
}

// KeyTypeOf returns the type of a public key, or an error for a type
// that cannot sign AUTH payloads here.
func KeyTypeOf(pub crypto.PublicKey) (KeyType, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return KeyRSA, nil
	case *ecdsa.PublicKey:
		if curveHash(k.Curve) == 0 {
			return 0, fmt.Errorf("%w: ECDSA curve %s", ErrAlgorithm, k.Curve.Params().Name)
		}
		return KeyECDSA, nil
	case ed25519.PublicKey:
		return KeyEd25519, nil
	}
	return 0, fmt.Errorf("%w: public key of type %T", ErrAlgorithm, pub)
}

// curveHash is the hash of the curve's size: the classic ECDSA method's
// (RFC 4754 section 3) and our first choice with RFC 7427.
func curveHash(c elliptic.Curve) HashAlg {
	switch c {
	case elliptic.P256():
		return HashSHA256
	case elliptic.P384():
		return HashSHA384
	case elliptic.P521():
		return HashSHA512
	}
	return 0
}

// Scheme is how an AUTH payload is signed: the method, the key type, the
// hash and, for RSA, the padding.
type Scheme struct {
	Method wire.AuthMethod
	Key    KeyType
	Hash   HashAlg
	PSS    bool
	// salt is a received RSASSA-PSS salt length (0: the hash's size,
	// which is what we sign with).
	salt int
}

// String names the scheme as strongSwan's logs do (RSA_EMSA_PKCS1_SHA2_256,
// ECDSA_WITH_SHA256_DER, ECDSA-256, ED25519), with the method.
func (s Scheme) String() string {
	var n string
	switch {
	case s.Key == KeyRSA && s.PSS:
		n = "RSA_EMSA_PSS_" + s.Hash.String()
	case s.Key == KeyRSA:
		n = "RSA_EMSA_PKCS1_" + s.Hash.String()
	case s.Key == KeyECDSA && s.Method == wire.AuthDigitalSig:
		n = fmt.Sprintf("ECDSA_WITH_%s_DER", map[HashAlg]string{HashSHA1: "SHA1", HashSHA256: "SHA256", HashSHA384: "SHA384", HashSHA512: "SHA512"}[s.Hash])
	case s.Key == KeyECDSA:
		n = map[wire.AuthMethod]string{wire.AuthECDSA256: "ECDSA-256", wire.AuthECDSA384: "ECDSA-384", wire.AuthECDSA521: "ECDSA-521"}[s.Method]
	case s.Key == KeyEd25519:
		n = "ED25519"
	default:
		n = "?"
	}
	return n + " (" + s.Method.String() + ")"
}

// ChooseScheme picks how to sign with a key. With RFC 7427 (both ends sent
// SIGNATURE_HASH_ALGORITHMS; peerHashes is what the peer sent) it is the
// Digital Signature method with a hash from the peer's list
// (RFC7427-3-2, RFC7427-4-1): Identity for Ed25519; for ECDSA the hash of
// the curve's size first; for RSA SHA-256 first, then SHA-384, SHA-512;
// RSASSA-PSS when pss is set. Without it, the key's classic method: RSA
// Digital Signature (SHA-1, RFC 7296 section 3.8) or the ECDSA method of
// its curve (RFC 4754); Ed25519 and RSASSA-PSS have none.
func ChooseScheme(pub crypto.PublicKey, rfc7427 bool, peerHashes []HashAlg, pss bool) (Scheme, error) {
	kt, err := KeyTypeOf(pub)
	if err != nil {
		return Scheme{}, err
	}
	s := Scheme{Key: kt, PSS: pss && kt == KeyRSA}
	if !rfc7427 {
		switch kt {
		case KeyRSA:
			if s.PSS {
				return s, fmt.Errorf("%w: RSASSA-PSS needs the Digital Signature method, and the peer sent no SIGNATURE_HASH_ALGORITHMS", ErrAlgorithm)
			}
			s.Method, s.Hash = wire.AuthRSASig, HashSHA1
		case KeyECDSA:
			s.Hash = curveHash(pub.(*ecdsa.PublicKey).Curve)
			s.Method = map[HashAlg]wire.AuthMethod{HashSHA256: wire.AuthECDSA256, HashSHA384: wire.AuthECDSA384, HashSHA512: wire.AuthECDSA521}[s.Hash]
		default:
			return s, fmt.Errorf("%w: %v keys need the Digital Signature method, and the peer sent no SIGNATURE_HASH_ALGORITHMS", ErrAlgorithm, kt)
		}
		return s, nil
	}
	s.Method = wire.AuthDigitalSig
	var prefs []HashAlg
	switch kt {
	case KeyEd25519:
		prefs = []HashAlg{HashIdentity}
	case KeyECDSA:
		prefs = []HashAlg{curveHash(pub.(*ecdsa.PublicKey).Curve), HashSHA256, HashSHA384, HashSHA512}
	default:
		prefs = []HashAlg{HashSHA256, HashSHA384, HashSHA512}
	}
	for _, h := range prefs {
		if slices.Contains(peerHashes, h) {
			s.Hash = h
			return s, nil
		}
	}
	return s, fmt.Errorf("%w: no hash for a %v signature among the peer's %v", ErrAlgorithm, kt, peerHashes)
}

// Sign computes the Authentication Data of an AUTH payload with method
// s.Method over the signed octets (RFC 7296 section 2.15).
func Sign(rand io.Reader, key crypto.Signer, s Scheme, octets []byte) ([]byte, error) {
	kt, err := KeyTypeOf(key.Public())
	if err != nil {
		return nil, err
	}
	if kt != s.Key {
		return nil, fmt.Errorf("%w: a %v scheme with a %v key", ErrAlgorithm, s.Key, kt)
	}
	sig, err := signRaw(rand, key, s, octets)
	if err != nil {
		return nil, err
	}
	switch s.Method {
	case wire.AuthRSASig:
		return sig, nil
	case wire.AuthECDSA256, wire.AuthECDSA384, wire.AuthECDSA521:
		// RFC4754-7-1: r and s, each as long as the curve's order.
		return ecdsaFixed(sig, (key.Public().(*ecdsa.PublicKey).Curve.Params().BitSize+7)/8)
	case wire.AuthDigitalSig:
		id, err := algorithmIdentifier(s)
		if err != nil {
			return nil, err
		}
		out := append([]byte{byte(len(id))}, id...)
		return append(out, sig...), nil
	}
	return nil, fmt.Errorf("%w: method %v is not a signature method", ErrAlgorithm, s.Method)
}

// signRaw signs with the key's primitive: PKCS#1 v1.5 or PSS, ECDSA
// (ASN.1 DER), Ed25519.
func signRaw(rand io.Reader, key crypto.Signer, s Scheme, octets []byte) ([]byte, error) {
	if s.Key == KeyEd25519 {
		if s.Hash != HashIdentity {
			return nil, fmt.Errorf("%w: Ed25519 with %v", ErrAlgorithm, s.Hash)
		}
		return key.Sign(rand, octets, crypto.Hash(0))
	}
	h := s.Hash.crypto()
	if h == 0 || !h.Available() {
		return nil, fmt.Errorf("%w: hash %v for a %v signature", ErrAlgorithm, s.Hash, s.Key)
	}
	d := h.New()
	d.Write(octets)
	var opts crypto.SignerOpts = h
	if s.PSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := key.Sign(rand, d.Sum(nil), opts)
	if err != nil {
		return nil, fmt.Errorf("auth: signing with %v: %w", s, err)
	}
	return sig, nil
}

// Policy is what a verifier accepts.
type Policy struct {
	// Hashes are the hash algorithms we announced in our
	// SIGNATURE_HASH_ALGORITHMS; empty: we sent none, and the Digital
	// Signature method is refused (RFC 7427 section 3: only if the notify
	// was sent and received by each peer).
	Hashes []HashAlg
	// NoClassic refuses the classic methods (1, 9, 10, 11): once both ends
	// sent SIGNATURE_HASH_ALGORITHMS, the Digital Signature method MUST be
	// used (RFC7427-3-2).
	NoClassic bool
	// RequirePSS accepts RSA signatures only with RSASSA-PSS.
	RequirePSS bool
}

// Verify checks the Authentication Data of an AUTH payload of a signature
// method against pub and the signed octets (RFC7296-1.2-2) and returns the
// scheme it used. It never panics on any input: truncated or garbage data
// is ErrMalformed, an algorithm that does not fit the key or the policy
// ErrAlgorithm, a wrong signature ErrAuthFailed.
func Verify(pub crypto.PublicKey, method wire.AuthMethod, data, octets []byte, pol Policy) (Scheme, error) {
	kt, err := KeyTypeOf(pub)
	if err != nil {
		return Scheme{}, err
	}
	s := Scheme{Method: method, Key: kt}
	sig := data
	switch method {
	case wire.AuthRSASig:
		if kt != KeyRSA {
			return s, fmt.Errorf("%w: RSA Digital Signature with a %v key", ErrAlgorithm, kt)
		}
		s.Hash = HashSHA1
	case wire.AuthECDSA256, wire.AuthECDSA384, wire.AuthECDSA521:
		want := map[wire.AuthMethod]HashAlg{wire.AuthECDSA256: HashSHA256, wire.AuthECDSA384: HashSHA384, wire.AuthECDSA521: HashSHA512}[method]
		if kt != KeyECDSA || curveHash(pub.(*ecdsa.PublicKey).Curve) != want {
			return s, fmt.Errorf("%w: %v with a %v key", ErrAlgorithm, method, keyName(pub))
		}
		s.Hash = want
		n := (pub.(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
		if len(data) != 2*n {
			return s, fmt.Errorf("%w: %v signature of %d octets, want %d (RFC 4754 section 7)", ErrMalformed, method, len(data), 2*n)
		}
		// RFC4754-7-1: r || s, each n octets; re-encoded for crypto/ecdsa.
		sig, err = asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(data[:n]), new(big.Int).SetBytes(data[n:])})
		if err != nil {
			return s, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	case wire.AuthDigitalSig:
		if len(pol.Hashes) == 0 {
			return s, fmt.Errorf("%w: Digital Signature method, but we sent no SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 3)", ErrAlgorithm)
		}
		if len(data) < 1 || len(data) < 1+int(data[0]) {
			return s, fmt.Errorf("%w: Digital Signature data of %d octets is shorter than its ASN.1 length", ErrMalformed, len(data))
		}
		id := data[1 : 1+int(data[0])]
		sig = data[1+int(data[0]):]
		ps, err := parseAlgorithmIdentifier(id)
		if err != nil {
			return s, err
		}
		ps.Method = method
		s = ps
		if s.Key != kt {
			return s, fmt.Errorf("%w: %v signature with a %v key", ErrAlgorithm, s, keyName(pub))
		}
		if !slices.Contains(pol.Hashes, s.Hash) {
			return s, fmt.Errorf("%w: hash %v was not negotiated (we sent %v)", ErrAlgorithm, s.Hash, pol.Hashes)
		}
	default:
		return s, fmt.Errorf("%w: method %v is not a signature method", ErrAlgorithm, method)
	}
	if method != wire.AuthDigitalSig && pol.NoClassic {
		return s, fmt.Errorf("%w: %v after both ends sent SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 3: the Digital Signature method MUST be used)", ErrAlgorithm, method)
	}
	if pol.RequirePSS && s.Key == KeyRSA && !s.PSS {
		return s, fmt.Errorf("%w: %v, and RSASSA-PSS is required", ErrAlgorithm, s)
	}
	if len(sig) == 0 {
		return s, fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	if err := verifyRaw(pub, s, octets, sig); err != nil {
		return s, err
	}
	return s, nil
}

func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

func verifyRaw(pub crypto.PublicKey, s Scheme, octets, sig []byte) error {
	var ok bool
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if s.Hash != HashIdentity {
			return fmt.Errorf("%w: Ed25519 with %v", ErrAlgorithm, s.Hash)
		}
		ok = len(sig) == ed25519.SignatureSize && ed25519.Verify(k, octets, sig)
	case *ecdsa.PublicKey:
		d, err := digest(s.Hash, octets)
		if err != nil {
			return err
		}
		ok = ecdsa.VerifyASN1(k, d, sig)
	case *rsa.PublicKey:
		d, err := digest(s.Hash, octets)
		if err != nil {
			return err
		}
		if s.PSS {
			ok = rsa.VerifyPSS(k, s.Hash.crypto(), d, sig, &rsa.PSSOptions{SaltLength: s.saltLen(), Hash: s.Hash.crypto()}) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(k, s.Hash.crypto(), d, sig) == nil
		}
	}
	if !ok {
		return fmt.Errorf("%w: %v signature", ErrAuthFailed, s)
	}
	return nil
}

func digest(h HashAlg, octets []byte) ([]byte, error) {
	ch := h.crypto()
	if ch == 0 || !ch.Available() {
		return nil, fmt.Errorf("%w: hash %v", ErrAlgorithm, h)
	}
	d := ch.New()
	d.Write(octets)
	return d.Sum(nil), nil
}

// ecdsaFixed turns an ASN.1 ECDSA signature into r || s of n octets each
// (RFC 4754 section 7).
func ecdsaFixed(der []byte, n int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || len(rs.R.Bytes()) > n || len(rs.S.Bytes()) > n {
		return nil, fmt.Errorf("auth: ECDSA signature is not an ASN.1 (r, s) pair of %d-octet integers", n)
	}
	out := make([]byte, 2*n)
	rs.R.FillBytes(out[:n])
	rs.S.FillBytes(out[n:])
	return out, nil
}

// ---- AlgorithmIdentifier (RFC 7427 section 3 and Appendix A) ----

var (
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSASSAPSS     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECDSASHA1     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSASHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSASHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112} // RFC 8410 section 3
	oidSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

// sigOIDs maps the algorithms without parameters (RSA PKCS#1 v1.5 with a
// NULL, ECDSA and Ed25519 without, RFC 7427 Appendix A.1 and A.3).
var sigOIDs = []struct {
	oid  asn1.ObjectIdentifier
	key  KeyType
	hash HashAlg
}{
	{oidSHA1WithRSA, KeyRSA, HashSHA1},
	{oidSHA256WithRSA, KeyRSA, HashSHA256},
	{oidSHA384WithRSA, KeyRSA, HashSHA384},
	{oidSHA512WithRSA, KeyRSA, HashSHA512},
	{oidECDSASHA1, KeyECDSA, HashSHA1},
	{oidECDSASHA256, KeyECDSA, HashSHA256},
	{oidECDSASHA384, KeyECDSA, HashSHA384},
	{oidECDSASHA512, KeyECDSA, HashSHA512},
	{oidEd25519, KeyEd25519, HashIdentity},
}

var hashOIDs = map[HashAlg]asn1.ObjectIdentifier{HashSHA1: oidSHA1, HashSHA256: oidSHA256, HashSHA384: oidSHA384, HashSHA512: oidSHA512}

// pssParams is RSASSA-PSS-params (RFC 4055 section 3.1). Every field is
// written, trailerField too, as RFC 7427 Appendix A.4.3 shows it (and as
// implementations that compare the object as a blob expect).
type pssParams struct {
	Hash    pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
	MGF     pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
	Salt    int                      `asn1:"explicit,tag:2"`
	Trailer int                      `asn1:"explicit,tag:3"`
}

// pssParamsIn reads RSASSA-PSS-params with the defaults of RFC 4055 (SHA-1,
// MGF1 with SHA-1, salt 20, trailer 1) for absent fields.
type pssParamsIn struct {
	Hash    pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF     pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	Salt    int                      `asn1:"optional,explicit,tag:2,default:20"`
	Trailer int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// AlgorithmIdentifier returns the DER AlgorithmIdentifier that a Digital
// Signature AUTH payload carries for s (RFC 7427 section 3): RSA PKCS#1
// v1.5 with NULL parameters, ECDSA and Ed25519 without (RFC7427-3-1: the
// preferred encoding), RSASSA-PSS with hash, MGF1 with the same hash, a
// salt as long as the hash and trailer field 1.
func AlgorithmIdentifier(s Scheme) ([]byte, error) { return algorithmIdentifier(s) }

func algorithmIdentifier(s Scheme) ([]byte, error) {
	if s.Key == KeyRSA && s.PSS {
		h, ok := hashOIDs[s.Hash]
		if !ok || s.Hash.crypto() == 0 {
			return nil, fmt.Errorf("%w: RSASSA-PSS with %v", ErrAlgorithm, s.Hash)
		}
		hashID := pkix.AlgorithmIdentifier{Algorithm: h, Parameters: asn1.NullRawValue}
		hashDER, err := asn1.Marshal(hashID)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		params, err := asn1.Marshal(pssParams{Hash: hashID,
			MGF:  pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: hashDER}},
			Salt: s.Hash.crypto().Size(), Trailer: 1})
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		return asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: oidRSASSAPSS, Parameters: asn1.RawValue{FullBytes: params}})
	}
	for _, o := range sigOIDs {
		if o.key == s.Key && o.hash == s.Hash {
			id := pkix.AlgorithmIdentifier{Algorithm: o.oid}
			if o.key == KeyRSA {
				id.Parameters = asn1.NullRawValue
			}
			return asn1.Marshal(id)
		}
	}
	return nil, fmt.Errorf("%w: no AlgorithmIdentifier for %v with %v", ErrAlgorithm, s.Key, s.Hash)
}

// ParseAlgorithmIdentifier reads the AlgorithmIdentifier of a Digital
// Signature AUTH payload into a scheme (Method left zero).
func ParseAlgorithmIdentifier(der []byte) (Scheme, error) { return parseAlgorithmIdentifier(der) }

func parseAlgorithmIdentifier(der []byte) (Scheme, error) {
	var id pkix.AlgorithmIdentifier
	rest, err := asn1.Unmarshal(der, &id)
	if err != nil {
		return Scheme{}, fmt.Errorf("%w: AlgorithmIdentifier: %w", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return Scheme{}, fmt.Errorf("%w: %d octets after the AlgorithmIdentifier", ErrMalformed, len(rest))
	}
	if id.Algorithm.Equal(oidRSASSAPSS) {
		return parsePSS(id.Parameters)
	}
	for _, o := range sigOIDs {
		if !id.Algorithm.Equal(o.oid) {
			continue
		}
		// Parameters absent or NULL (RFC 7427 section 3: "either NULL
		// or missing").
		if len(id.Parameters.FullBytes) != 0 && !bytes.Equal(id.Parameters.FullBytes, asn1.NullBytes) {
			return Scheme{}, fmt.Errorf("%w: %v with parameters", ErrMalformed, id.Algorithm)
		}
		return Scheme{Key: o.key, Hash: o.hash}, nil
	}
	return Scheme{}, fmt.Errorf("%w: signature algorithm %v is not supported", ErrAlgorithm, id.Algorithm)
}

func parsePSS(p asn1.RawValue) (Scheme, error) {
	s := Scheme{Key: KeyRSA, PSS: true, Hash: HashSHA1}
	if len(p.FullBytes) == 0 {
		return s, fmt.Errorf("%w: RSASSA-PSS without parameters", ErrMalformed)
	}
	var in pssParamsIn
	rest, err := asn1.Unmarshal(p.FullBytes, &in)
	if err != nil || len(rest) != 0 {
		return s, fmt.Errorf("%w: RSASSA-PSS parameters: %v", ErrMalformed, err)
	}
	hashOf := func(a pkix.AlgorithmIdentifier) (HashAlg, bool) {
		if len(a.Algorithm) == 0 {
			return HashSHA1, true // the default
		}
		for h, o := range hashOIDs {
			if a.Algorithm.Equal(o) {
				return h, true
			}
		}
		return 0, false
	}
	h, ok := hashOf(in.Hash)
	if !ok {
		return s, fmt.Errorf("%w: RSASSA-PSS with hash %v", ErrAlgorithm, in.Hash.Algorithm)
	}
	s.Hash = h
	mh := HashSHA1
	if len(in.MGF.Algorithm) != 0 {
		if !in.MGF.Algorithm.Equal(oidMGF1) {
			return s, fmt.Errorf("%w: RSASSA-PSS with mask generation %v", ErrAlgorithm, in.MGF.Algorithm)
		}
		var mgfHash pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(in.MGF.Parameters.FullBytes, &mgfHash); err != nil {
			return s, fmt.Errorf("%w: RSASSA-PSS MGF1 parameters: %w", ErrMalformed, err)
		}
		if mh, ok = hashOf(mgfHash); !ok {
			return s, fmt.Errorf("%w: MGF1 with hash %v", ErrAlgorithm, mgfHash.Algorithm)
		}
	}
	// crypto/rsa uses the signature hash for MGF1 too.
	if mh != h {
		return s, fmt.Errorf("%w: RSASSA-PSS with %v and MGF1 with %v", ErrAlgorithm, h, mh)
	}
	if in.Trailer != 1 {
		return s, fmt.Errorf("%w: RSASSA-PSS trailer field %d", ErrAlgorithm, in.Trailer)
	}
	if in.Salt < 0 || in.Salt > 1024 {
		return s, fmt.Errorf("%w: RSASSA-PSS salt length %d", ErrMalformed, in.Salt)
	}
	if in.Salt == 0 {
		// crypto/rsa reads a salt length of 0 as "any".
		return s, fmt.Errorf("%w: RSASSA-PSS without salt", ErrAlgorithm)
	}
	s.salt = in.Salt
	return s, nil
}

// saltLen is the PSS salt length to verify with: the one the parameters
// named, else the hash's size.
func (s Scheme) saltLen() int {
	if s.salt > 0 {
		return s.salt
	}
	if s.Hash.crypto() != 0 {
		return s.Hash.crypto().Size()
	}
	return rsa.PSSSaltLengthAuto
}
