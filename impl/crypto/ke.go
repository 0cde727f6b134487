package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// KE is one key exchange method (Transform Type 4 and the ADDKE types of
// RFC 9370): a Diffie-Hellman group or a KEM. Both fit one shape:
//
//	initiator:  state, KEi, err := ke.Start(rand)      // send KEi
//	responder:  KEr, shared, err := ke.Respond(rand, KEi) // send KEr
//	initiator:  shared, err := state.Finish(KEr)
//
// For a Diffie-Hellman group KEi and KEr are both public values and the
// responder's side is a Start followed by a Finish; for a KEM the
// initiator sends its encapsulation key and the responder the ciphertext.
// Every value received is checked before use (RFC 6989; FIPS 203 section
// 7.2 for ML-KEM); a failure matches ErrInvalidPublic.
type KE struct {
	ID wire.KEID
	// PublicLen is the length of the initiator's Key Exchange Data;
	// ResponseLen that of the responder's (equal for Diffie-Hellman).
	PublicLen, ResponseLen int
	// SharedLen is the length of the shared secret (g^ir, or the KEM's
	// shared key).
	SharedLen int
	// KEM marks key encapsulation mechanisms.
	KEM bool
	// IKE is the requirement level of RFC 8247 section 2.4.
	IKE Requirement

	impl keMethod
}

func (k *KE) String() string { return k.ID.String() }

// KEState is the initiator's secret between sending its Key Exchange Data
// and receiving the peer's. A responder of a Diffie-Hellman group may use
// one too (NewKEState, for fixed test keys).
type KEState interface {
	// Public returns the Key Exchange Data this side sends.
	Public() []byte
	// Finish checks the peer's Key Exchange Data and returns the shared
	// secret, as an octet string of the group's fixed length (RFC 7296
	// section 2.14: "padded with zeros if necessary to make it the length
	// of the modulus").
	Finish(peer []byte) (shared []byte, err error)
}

type keMethod interface {
	generate(rand io.Reader) (KEState, error)
	fromPrivate(priv []byte) (KEState, error)
	respond(rand io.Reader, peer []byte) (public, shared []byte, err error)
}

// ErrInvalidPublic is matched by the error for Key Exchange Data that fails
// its checks. RFC 6989 section 2.5 says what the engine does about it
// (drop the message, or INVALID_SYNTAX); this package only reports it.
var ErrInvalidPublic = errors.New("ike: invalid key exchange data")

// PublicValueError says which check Key Exchange Data failed.
type PublicValueError struct {
	Method wire.KEID
	Reason string
}

func (e *PublicValueError) Error() string {
	return fmt.Sprintf("ike: %v key exchange data rejected: %s", e.Method, e.Reason)
}

// Unwrap lets errors.Is match ErrInvalidPublic.
func (e *PublicValueError) Unwrap() error { return ErrInvalidPublic }

func reject(id wire.KEID, format string, args ...any) error {
	return &PublicValueError{Method: id, Reason: fmt.Sprintf(format, args...)}
}

func orDefault(r io.Reader) io.Reader {
	if r == nil {
		return cryptorand.Reader
	}
	return r
}

// Start generates a fresh private value from rand (nil: crypto/rand) and
// returns it with the Key Exchange Data to send. Private values are never
// reused (RFC6989-2.2-4), the option of RFC 6989 section 2.2 that needs no
// subgroup test, and the one that makes the checks of Finish sufficient.
func (k *KE) Start(rand io.Reader) (KEState, []byte, error) {
	s, err := k.impl.generate(orDefault(rand))
	if err != nil {
		return nil, nil, fmt.Errorf("ike: %v: generating a private value: %w", k.ID, err)
	}
	return s, s.Public(), nil
}

// Respond answers the initiator's Key Exchange Data: it checks peer, and
// returns the responder's Key Exchange Data and the shared secret. For
// ML-KEM the encapsulation randomness comes from crypto/rand whatever rand
// is: crypto/mlkem takes no other source (use
// testing/cryptotest.SetGlobalRandom to fix it in tests).
func (k *KE) Respond(rand io.Reader, peer []byte) (public, shared []byte, err error) {
	public, shared, err = k.impl.respond(orDefault(rand), peer)
	if err != nil && !errors.Is(err, ErrInvalidPublic) {
		return nil, nil, fmt.Errorf("ike: %v: %w", k.ID, err)
	}
	return public, shared, err
}

// NewKEState builds a state from a fixed private value, for test vectors:
// the exponent (big-endian) of a MODP group, the scalar of an ECP group
// (big-endian, the order's length), the 32-octet X25519 private key, or the
// 64-octet seed d|z of an ML-KEM decapsulation key (FIPS 203 section 7.1).
func (k *KE) NewKEState(priv []byte) (KEState, error) {
	s, err := k.impl.fromPrivate(priv)
	if err != nil {
		return nil, fmt.Errorf("ike: %v: private value: %w", k.ID, err)
	}
	return s, nil
}

// dhRespond is the responder's side of a Diffie-Hellman group: check the
// peer's value first (so that a bad one costs no exponentiation), then a
// fresh private value and the same computation as the initiator's Finish.
func dhRespond(m keMethod, check func([]byte) error, rand io.Reader, peer []byte) (public, shared []byte, err error) {
	if err := check(peer); err != nil {
		return nil, nil, err
	}
	s, err := m.generate(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("generating a private value: %w", err)
	}
	shared, err = s.Finish(peer)
	if err != nil {
		return nil, nil, err
	}
	return s.Public(), shared, nil
}

// ---- MODP groups (RFC 3526; RFC 7296 sections 2.14 and 3.4) ----

type modpGroup struct {
	id     wire.KEID
	p, pm1 *big.Int // p and p-1
	g      *big.Int
	size   int      // octets of p
	limit3 *big.Int // p-3
}

func newMODP(id wire.KEID, hexText string) *modpGroup {
	p, ok := new(big.Int).SetString(strings.Join(strings.Fields(hexText), ""), 16)
	if !ok {
		panic("ike: bad MODP prime text")
	}
	return &modpGroup{
		id: id, p: p, pm1: new(big.Int).Sub(p, big.NewInt(1)), g: big.NewInt(2),
		size: (p.BitLen() + 7) / 8, limit3: new(big.Int).Sub(p, big.NewInt(3)),
	}
}

type modpState struct {
	m   *modpGroup
	x   *big.Int
	pub []byte
}

func (m *modpGroup) newState(x *big.Int) *modpState {
	y := new(big.Int).Exp(m.g, x, m.p)
	// RFC7296-3.4-1: "The length of the Diffie-Hellman public value
	// for MODP groups MUST be equal to the length of the prime modulus over
	// which the exponentiation was performed, prepending zero bits to the
	// value if necessary."
	return &modpState{m: m, x: x, pub: y.FillBytes(make([]byte, m.size))}
}

// generate picks x uniformly in [2, p-2], a full-length exponent: no
// assumption about short exponents is needed.
func (m *modpGroup) generate(rand io.Reader) (KEState, error) {
	x, err := cryptorand.Int(rand, m.limit3) // [0, p-4]
	if err != nil {
		return nil, err
	}
	return m.newState(x.Add(x, big.NewInt(2))), nil
}

func (m *modpGroup) fromPrivate(priv []byte) (KEState, error) {
	x := new(big.Int).SetBytes(priv)
	if x.Cmp(big.NewInt(2)) < 0 || x.Cmp(m.pm1) >= 0 {
		return nil, errors.New("exponent out of [2, p-2]")
	}
	return m.newState(x), nil
}

func (m *modpGroup) respond(rand io.Reader, peer []byte) ([]byte, []byte, error) {
	return dhRespond(m, func(b []byte) error { _, err := m.parsePeer(b); return err }, rand, peer)
}

func (s *modpState) Public() []byte { return bytes.Clone(s.pub) }

func (s *modpState) Finish(peer []byte) ([]byte, error) {
	y, err := s.m.parsePeer(peer)
	if err != nil {
		return nil, err
	}
	z := new(big.Int).Exp(y, s.x, s.m.p)
	// RFC 7296 section 2.14: g^ir "padded with zeros if necessary to make
	// it the length of the modulus".
	return z.FillBytes(make([]byte, s.m.size)), nil
}

// parsePeer checks a peer's public value and returns it as a number.
func (m *modpGroup) parsePeer(peer []byte) (*big.Int, error) {
	// RFC7296-3.4-1: fixed length, leading zeros included.
	if len(peer) != m.size {
		return nil, reject(m.id, "%d octets, the prime has %d (RFC 7296 section 3.4)", len(peer), m.size)
	}
	y := new(big.Int).SetBytes(peer)
	// RFC6989-2.1-1: "Each recipient MUST verify that the peer's
	// public value r is in the legal range (1 < r < p-1)."
	switch {
	case y.Sign() == 0:
		return nil, reject(m.id, "public value 0 (RFC 6989 section 2.1: 1 < r < p-1)")
	case y.Cmp(big.NewInt(1)) == 0:
		return nil, reject(m.id, "public value 1 (RFC 6989 section 2.1: 1 < r < p-1)")
	case y.Cmp(m.pm1) == 0:
		return nil, reject(m.id, "public value p-1 (RFC 6989 section 2.1: 1 < r < p-1)")
	case y.Cmp(m.p) >= 0:
		return nil, reject(m.id, "public value not below the prime (RFC 6989 section 2.1: 1 < r < p-1)")
	}
	return y, nil
}

// ---- ECP groups (RFC 5903) ----

type ecpGroup struct {
	id    wire.KEID
	curve ecdh.Curve
	coord int // octets of one coordinate, and of a scalar
	name  string
}

type ecdhState struct {
	id   wire.KEID
	priv *ecdh.PrivateKey
	pub  []byte
	peer func(b []byte) (*ecdh.PublicKey, error)
}

func (s *ecdhState) Public() []byte { return bytes.Clone(s.pub) }

func (s *ecdhState) Finish(peer []byte) ([]byte, error) {
	pk, err := s.peer(peer)
	if err != nil {
		return nil, err
	}
	z, err := s.priv.ECDH(pk)
	if err != nil {
		// Only X25519 fails here: the all-zero output of RFC 7748 section 6.1.
		return nil, reject(s.id, "the shared secret is all zero (RFC 7748 section 6.1)")
	}
	return z, nil
}

// ecpScalar draws a scalar in [1, n-1] by rejection sampling: read the
// order's length, clear the bits above the order's bit length (only P-521
// has any), and let ecdh.NewPrivateKey refuse 0 and values >= n.
func (e *ecpGroup) generate(rand io.Reader) (KEState, error) {
	b := make([]byte, e.coord)
	for range 100 {
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, err
		}
		if e.id == wire.ECP_521 {
			b[0] &= 0x01 // the order of P-521 has 521 bits
		}
		if s, err := e.fromPrivate(b); err == nil {
			return s, nil
		}
	}
	return nil, errors.New("no valid scalar in 100 draws: the random source is broken")
}

func (e *ecpGroup) fromPrivate(priv []byte) (KEState, error) {
	k, err := e.curve.NewPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	// RFC5903-7-1: the Key Exchange Data is x | y, each of the
	// field's length: the SEC 1 uncompressed encoding without its 0x04.
	return &ecdhState{id: e.id, priv: k, pub: k.PublicKey().Bytes()[1:], peer: e.peerKey}, nil
}

func (e *ecpGroup) peerKey(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != 2*e.coord {
		return nil, reject(e.id, "%d octets, x | y takes %d (RFC 5903 section 7)", len(b), 2*e.coord)
	}
	if bytes.Count(b, []byte{0}) == len(b) {
		// RFC 5903 section 7 has no encoding of the point at infinity; an
		// all-zero value is what one would send for it.
		return nil, reject(e.id, "the point at infinity (RFC 6989 section 2.3)")
	}
	pk, err := e.curve.NewPublicKey(append([]byte{4}, b...))
	if err != nil {
		// RFC6989-2.3-1: "A receiving peer MUST check that its peer's
		// public value is valid; that is, the x and y parameters from the
		// peer's public value satisfy the curve equation". crypto/ecdh also
		// refuses coordinates that are not below p.
		return nil, reject(e.id, "not a point on %s (RFC 6989 section 2.3)", e.name)
	}
	return pk, nil
}

func (e *ecpGroup) respond(rand io.Reader, peer []byte) ([]byte, []byte, error) {
	return dhRespond(e, func(b []byte) error { _, err := e.peerKey(b); return err }, rand, peer)
}

// ---- Curve25519 (RFC 8031) ----

type x25519Group struct{}

func (x25519Group) generate(rand io.Reader) (KEState, error) {
	// RFC8031-2-1, RFC 8031 section 2: "each party picks a secret key d
	// uniformly at random"; X25519 clamps it (RFC 7748 section 5).
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, err
	}
	return x25519Group{}.fromPrivate(b)
}

func (x25519Group) fromPrivate(priv []byte) (KEState, error) {
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &ecdhState{id: wire.CURVE25519, priv: k, pub: k.PublicKey().Bytes(), peer: x25519Peer}, nil
}

func x25519Peer(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != 32 {
		return nil, reject(wire.CURVE25519, "%d octets, the public key is 32 (RFC 8031 section 3.1)", len(b))
	}
	// RFC8031-3.2-2: the most significant bit is masked and non-canonical
	// values are accepted, which X25519 does.
	return ecdh.X25519().NewPublicKey(b)
}

func (x x25519Group) respond(rand io.Reader, peer []byte) ([]byte, []byte, error) {
	// The all-zero shared secret is found by Finish, after the computation.
	return dhRespond(x, func(b []byte) error { _, err := x25519Peer(b); return err }, rand, peer)
}

// ---- ML-KEM (FIPS 203; draft-ietf-ipsecme-ikev2-mlkem) ----

type mlkemMethod struct {
	id           wire.KEID
	ekLen, ctLen int
	newDK        func(seed []byte) (decapsulator, error)
	encapsulate  func(ek []byte) (shared, ct []byte, err error)
}

type decapsulator interface {
	Decapsulate(ciphertext []byte) ([]byte, error)
}

type mlkemState struct {
	m   *mlkemMethod
	dk  decapsulator
	pub []byte
}

func (m *mlkemMethod) generate(rand io.Reader) (KEState, error) {
	seed := make([]byte, mlkem.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, err
	}
	return m.fromPrivate(seed)
}

func (m *mlkemMethod) fromPrivate(seed []byte) (KEState, error) {
	if len(seed) != mlkem.SeedSize {
		return nil, fmt.Errorf("seed of %d octets, not %d", len(seed), mlkem.SeedSize)
	}
	dk, err := m.newDK(seed)
	if err != nil {
		return nil, err
	}
	var pub []byte
	switch d := dk.(type) {
	case *mlkem.DecapsulationKey768:
		pub = d.EncapsulationKey().Bytes()
	case *mlkem.DecapsulationKey1024:
		pub = d.EncapsulationKey().Bytes()
	}
	return &mlkemState{m: m, dk: dk, pub: pub}, nil
}

func (s *mlkemState) Public() []byte { return bytes.Clone(s.pub) }

func (s *mlkemState) Finish(ct []byte) ([]byte, error) {
	if len(ct) != s.m.ctLen {
		return nil, reject(s.m.id, "ciphertext of %d octets, not %d", len(ct), s.m.ctLen)
	}
	shared, err := s.dk.Decapsulate(ct)
	if err != nil {
		return nil, reject(s.m.id, "ciphertext refused: %v", err)
	}
	return shared, nil
}

// encapsulateWith parses an encapsulation key with newEK (which performs the
// FIPS 203 section 7.2 checks) and encapsulates to it.
func encapsulateWith[EK interface{ Encapsulate() (shared, ct []byte) }](newEK func([]byte) (EK, error)) func([]byte) ([]byte, []byte, error) {
	return func(b []byte) ([]byte, []byte, error) {
		ek, err := newEK(b)
		if err != nil {
			return nil, nil, err
		}
		shared, ct := ek.Encapsulate()
		return shared, ct, nil
	}
}

func (m *mlkemMethod) respond(_ io.Reader, ek []byte) ([]byte, []byte, error) {
	if len(ek) != m.ekLen {
		return nil, nil, reject(m.id, "encapsulation key of %d octets, not %d", len(ek), m.ekLen)
	}
	shared, ct, err := m.encapsulate(ek)
	if err != nil {
		// FIPS 203 section 7.2: the modulus check of the encapsulation key.
		return nil, nil, reject(m.id, "encapsulation key fails the FIPS 203 section 7.2 input check")
	}
	return ct, shared, nil
}

func init() {
	for _, g := range []struct {
		id  wire.KEID
		hex string
		ike Requirement
	}{
		{wire.MODP_2048, modp2048Hex, req("MUST", rfc8247KE)},
		{wire.MODP_3072, modp3072Hex, req("MAY", rfc8247KE+notListed)},
		{wire.MODP_4096, modp4096Hex, req("MAY", rfc8247KE+notListed)},
	} {
		m := newMODP(g.id, g.hex)
		registerKE(&KE{ID: g.id, PublicLen: m.size, ResponseLen: m.size, SharedLen: m.size, IKE: g.ike, impl: m})
	}
	for _, e := range []struct {
		id    wire.KEID
		curve ecdh.Curve
		coord int
		name  string
		ike   Requirement
	}{
		{wire.ECP_256, ecdh.P256(), 32, "P-256", req("SHOULD", rfc8247KE)},
		{wire.ECP_384, ecdh.P384(), 48, "P-384", req("MAY", rfc8247KE+notListed)},
		{wire.ECP_521, ecdh.P521(), 66, "P-521", req("MAY", rfc8247KE+notListed)},
	} {
		// RFC 5903 section 7: the KE data is x | y; "The Diffie-Hellman
		// shared secret value consists of the x value" (section 9: this
		// replaced the x | y of RFC 4753).
		registerKE(&KE{ID: e.id, PublicLen: 2 * e.coord, ResponseLen: 2 * e.coord, SharedLen: e.coord,
			IKE: e.ike, impl: &ecpGroup{id: e.id, curve: e.curve, coord: e.coord, name: e.name}})
	}
	registerKE(&KE{ID: wire.CURVE25519, PublicLen: 32, ResponseLen: 32, SharedLen: 32,
		IKE: req("MAY", "RFC 8031 (after RFC 8247, which does not list it)"), impl: x25519Group{}})
	mlkemReq := req("MAY", "draft-ietf-ipsecme-ikev2-mlkem (not in RFC 8247); as an additional key exchange of RFC 9370")
	registerKE(&KE{ID: wire.ML_KEM_768, PublicLen: mlkem.EncapsulationKeySize768, ResponseLen: mlkem.CiphertextSize768,
		SharedLen: mlkem.SharedKeySize, KEM: true, IKE: mlkemReq, impl: &mlkemMethod{
			id: wire.ML_KEM_768, ekLen: mlkem.EncapsulationKeySize768, ctLen: mlkem.CiphertextSize768,
			newDK:       func(seed []byte) (decapsulator, error) { return mlkem.NewDecapsulationKey768(seed) },
			encapsulate: encapsulateWith(mlkem.NewEncapsulationKey768),
		}})
	registerKE(&KE{ID: wire.ML_KEM_1024, PublicLen: mlkem.EncapsulationKeySize1024, ResponseLen: mlkem.CiphertextSize1024,
		SharedLen: mlkem.SharedKeySize, KEM: true, IKE: mlkemReq, impl: &mlkemMethod{
			id: wire.ML_KEM_1024, ekLen: mlkem.EncapsulationKeySize1024, ctLen: mlkem.CiphertextSize1024,
			newDK:       func(seed []byte) (decapsulator, error) { return mlkem.NewDecapsulationKey1024(seed) },
			encapsulate: encapsulateWith(mlkem.NewEncapsulationKey1024),
		}})
}

// String and GoString never show the private value.
func (s *modpState) String() string    { return s.m.id.String() + " private state" }
func (s *modpState) GoString() string  { return s.String() }
func (s *ecdhState) String() string    { return s.id.String() + " private state" }
func (s *ecdhState) GoString() string  { return s.String() }
func (s *mlkemState) String() string   { return s.m.id.String() + " private state" }
func (s *mlkemState) GoString() string { return s.String() }
