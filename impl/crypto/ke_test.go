package crypto

import (
	"bytes"
	"crypto/mlkem"
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// seeded is a deterministic random source for tests.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// For every key exchange method, the initiator and responder agree, and the
// lengths are those the registry announces.
func TestKEAgreement(t *testing.T) {
	for _, ke := range Groups() {
		t.Run(ke.ID.String(), func(t *testing.T) {
			for i := range 3 {
				st, kei, err := ke.Start(seeded(uint64(10 + i)))
				if err != nil {
					t.Fatal(err)
				}
				ker, sharedR, err := ke.Respond(seeded(uint64(20+i)), kei)
				if err != nil {
					t.Fatal(err)
				}
				sharedI, err := st.Finish(ker)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sharedI, sharedR) {
					t.Fatalf("initiator %x, responder %x", sharedI, sharedR)
				}
				if len(kei) != ke.PublicLen || len(ker) != ke.ResponseLen || len(sharedI) != ke.SharedLen {
					t.Errorf("lengths %d/%d/%d, registry %d/%d/%d", len(kei), len(ker), len(sharedI),
						ke.PublicLen, ke.ResponseLen, ke.SharedLen)
				}
				if !bytes.Equal(st.Public(), kei) {
					t.Error("Public() differs from what Start returned")
				}
			}
		})
	}
}

// The private values come from the rand passed in: the same seed gives the
// same Key Exchange Data (what a deterministic engine test relies on).
func TestKEDeterministicStart(t *testing.T) {
	for _, ke := range Groups() {
		_, a, err := ke.Start(seeded(7))
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := ke.Start(seeded(7))
		if err != nil {
			t.Fatal(err)
		}
		_, c, err := ke.Start(seeded(8))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) || bytes.Equal(a, c) {
			t.Errorf("%v: Start is not a function of its random source", ke.ID)
		}
	}
}

// invalidPublics lists, per method, Key Exchange Data that must be refused
// (RFC6989-2.1-1, RFC6989-2.3-1, RFC7296-3.4-1, RFC5903-7-1, RFC 8031
// section 3.1, RFC 7748 section 6.1, FIPS 203 section 7.2).
func invalidPublics(t *testing.T, ke *KE) map[string][]byte {
	t.Helper()
	_, good, err := ke.Start(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":      {},
		"one short":  good[:len(good)-1],
		"one longer": append(bytes.Clone(good), 0),
	}
	switch m := ke.impl.(type) {
	case *modpGroup:
		fixed := func(x *big.Int) []byte { return x.FillBytes(make([]byte, m.size)) }
		one := big.NewInt(1)
		bad["0"] = fixed(big.NewInt(0))
		bad["1"] = fixed(one)
		bad["p-1"] = fixed(m.pm1)
		bad["p"] = fixed(m.p)
		bad["p+1"] = fixed(new(big.Int).Add(m.p, one))
		bad["all ones"] = bytes.Repeat([]byte{0xff}, m.size)
		bad["2 without leading zeros"] = []byte{2}
	case *ecpGroup:
		bad["identity (zeros)"] = make([]byte, 2*m.coord)
		off := bytes.Clone(good)
		off[len(off)-1] ^= 1 // y changed: not on the curve
		bad["not on the curve"] = off
		bad["coordinates not below p"] = bytes.Repeat([]byte{0xff}, 2*m.coord)
		swapped := append(bytes.Clone(good[m.coord:]), good[:m.coord]...)
		bad["y | x"] = swapped
	case x25519Group:
		// Points of small order give the all-zero shared secret.
		bad["u = 0"] = make([]byte, 32)
		u1 := make([]byte, 32)
		u1[0] = 1
		bad["u = 1"] = u1
	case *mlkemMethod:
		// Coefficients of 0xfff are not below q = 3329: the encapsulation
		// key fails the modulus check (only Respond reads it).
		ek := bytes.Clone(good)
		for i := range 3 {
			ek[i] = 0xff
		}
		bad["ek not reduced mod q"] = ek
	}
	return bad
}

func TestKERejectsInvalidPublic(t *testing.T) {
	for _, ke := range Groups() {
		t.Run(ke.ID.String(), func(t *testing.T) {
			st, _, err := ke.Start(seeded(2))
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range invalidPublics(t, ke) {
				var err error
				if ke.KEM {
					// The responder reads an encapsulation key, the
					// initiator a ciphertext.
					_, _, err = ke.Respond(seeded(2), v)
				} else {
					_, err = st.Finish(v)
					if _, _, rerr := ke.Respond(seeded(3), v); !errors.Is(rerr, ErrInvalidPublic) {
						t.Errorf("%s: Respond: %v", name, rerr)
					}
				}
				if !errors.Is(err, ErrInvalidPublic) {
					t.Errorf("%s: %v, want ErrInvalidPublic", name, err)
					continue
				}
				if !strings.HasPrefix(err.Error(), "ike: "+ke.ID.String()+" ") {
					t.Errorf("%s: %q does not name the method", name, err)
				}
			}
		})
	}
}

func TestMLKEMCiphertextLength(t *testing.T) {
	for _, id := range []wire.KEID{wire.ML_KEM_768, wire.ML_KEM_1024} {
		ke := mustKE(t, id)
		st, ek, err := ke.Start(nil)
		if err != nil {
			t.Fatal(err)
		}
		ct, shared, err := ke.Respond(nil, ek)
		if err != nil {
			t.Fatal(err)
		}
		if len(shared) != mlkem.SharedKeySize {
			t.Errorf("%v: shared key of %d octets", id, len(shared))
		}
		for _, bad := range [][]byte{nil, ct[:len(ct)-1], append(bytes.Clone(ct), 0), ek} {
			if len(bad) == len(ct) {
				continue
			}
			if _, err := st.Finish(bad); !errors.Is(err, ErrInvalidPublic) {
				t.Errorf("%v: ciphertext of %d octets: %v", id, len(bad), err)
			}
		}
		// A ciphertext of the right length but not the one sent yields a
		// different key (implicit rejection, FIPS 203 section 6.3), not an
		// error.
		other := bytes.Clone(ct)
		other[0] ^= 1
		if z, err := st.Finish(other); err != nil || bytes.Equal(z, shared) {
			t.Errorf("%v: altered ciphertext: %v", id, err)
		}
	}
}

func TestKENewStateRejectsBadPrivate(t *testing.T) {
	for _, c := range []struct {
		id   wire.KEID
		priv []byte
	}{
		{wire.MODP_2048, nil},
		{wire.MODP_2048, []byte{1}},
		{wire.MODP_2048, bytes.Repeat([]byte{0xff}, 256)},
		{wire.ECP_256, make([]byte, 32)},
		{wire.ECP_256, make([]byte, 31)},
		{wire.CURVE25519, make([]byte, 31)},
		{wire.ML_KEM_768, make([]byte, 32)},
	} {
		if _, err := mustKE(t, c.id).NewKEState(c.priv); err == nil {
			t.Errorf("%v: private value %x accepted", c.id, c.priv)
		}
	}
}

// Generating from a broken random source fails instead of looping.
func TestKEBrokenRandom(t *testing.T) {
	for _, ke := range Groups() {
		if _, _, err := ke.Start(bytes.NewReader(nil)); err == nil {
			t.Errorf("%v: Start with an empty random source succeeded", ke.ID)
		}
	}
	allOnes := readerFunc(func(p []byte) (int, error) {
		for i := range p {
			p[i] = 0xff
		}
		return len(p), nil
	})
	if _, _, err := mustKE(t, wire.ECP_256).Start(allOnes); err == nil {
		t.Error("ECP_256: a source of 0xff octets gave a scalar")
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
