package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// prf+ is T1 | T2 | ... with T1 = prf(K, S | 0x01) and Tn = prf(K, Tn-1 | S
// | n) (RFC 7296 section 2.13), built here by hand from Sum.
func TestPRFPlusStructure(t *testing.T) {
	key, seed := []byte("a key of some length"), []byte("the seed S")
	for _, p := range PRFTransforms() {
		var manual, prev []byte
		for i := 1; i <= 255; i++ {
			prev = p.Sum(key, prev, seed, []byte{byte(i)})
			manual = append(manual, prev...)
		}
		for _, n := range []int{0, 1, p.Size - 1, p.Size, p.Size + 1, 3*p.Size + 5, 255 * p.Size} {
			got, err := p.Plus(key, seed, n)
			if err != nil {
				t.Fatalf("%v: Plus(%d): %v", p.ID, n, err)
			}
			if !bytes.Equal(got, manual[:n]) {
				t.Errorf("%v: Plus(%d) is not T1 | T2 | ... with counter octets", p.ID, n)
			}
		}
		// "The prf+ function is not defined beyond 255 times the size of
		// the prf function output."
		for _, n := range []int{255*p.Size + 1, 256 * p.Size, -1} {
			if _, err := p.Plus(key, seed, n); !errors.Is(err, ErrPRFPlusLimit) {
				t.Errorf("%v: Plus(%d): %v, want ErrPRFPlusLimit", p.ID, n, err)
			}
		}
	}
}

func mustSuite(t testing.TB, e wire.EncrID, bits int, p wire.PRFID, i wire.IntegID, k wire.KEID) Suite {
	t.Helper()
	s, err := NewSuite(e, bits, p, i, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SKEYSEED = prf(Ni | Nr, g^ir), except that AES-XCBC-PRF-128 is keyed with
// the first 64 bits of each nonce (RFC 7296 section 2.14).
func TestSKEYSEED(t *testing.T) {
	ni, nr, gir := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 24), []byte("g^ir")
	for _, p := range PRFTransforms() {
		got, err := SKEYSEED(p, ni, nr, gir)
		if err != nil {
			t.Fatal(err)
		}
		key := append(bytes.Clone(ni), nr...)
		if p.FixedKey {
			key = append(bytes.Clone(ni[:8]), nr[:8]...)
		}
		if want := p.Sum(key, gir); !bytes.Equal(got, want) {
			t.Errorf("%v: SKEYSEED keyed wrongly", p.ID)
		}
	}
	xcbc, _ := LookupPRF(wire.PRF_AES128_XCBC)
	if _, err := SKEYSEED(xcbc, ni[:7], nr, gir); err == nil {
		t.Error("AES-XCBC SKEYSEED with a 7-octet nonce succeeded")
	}
}

// The seven keys are taken in order from prf+(SKEYSEED, Ni | Nr | SPIi |
// SPIr), with the lengths of the suite (RFC 7296 section 2.14,
// RFC7296-2.14-1, RFC5282-7.1-1, RFC5282-7.1-2, RFC 7634 section 3).
func TestIKEKeys(t *testing.T) {
	ni, nr := bytes.Repeat([]byte{0xa1}, 32), bytes.Repeat([]byte{0xb2}, 32)
	spii, spir := uint64(0x0102030405060708), uint64(0x1112131415161718)
	for _, c := range []struct {
		suite         Suite
		d, a, e, p, s int
	}{
		{mustSuite(t, wire.ENCR_AES_CBC, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.MODP_2048), 32, 32, 32, 32, 0},
		{mustSuite(t, wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA1, wire.AUTH_HMAC_SHA1_96, wire.MODP_2048), 20, 20, 16, 20, 0},
		{mustSuite(t, wire.ENCR_AES_CBC, 192, wire.PRF_HMAC_SHA2_512, wire.AUTH_HMAC_SHA2_384_192, wire.ECP_384), 64, 48, 24, 64, 0},
		{mustSuite(t, wire.ENCR_AES_GCM_16, 256, wire.PRF_HMAC_SHA2_384, wire.AUTH_NONE, wire.ECP_256), 48, 0, 36, 48, 4},
		{mustSuite(t, wire.ENCR_AES_CCM_8, 128, wire.PRF_AES128_XCBC, wire.AUTH_NONE, wire.CURVE25519), 16, 0, 19, 16, 3},
		{mustSuite(t, wire.ENCR_CHACHA20_POLY1305, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.CURVE25519), 32, 0, 36, 32, 4},
		{mustSuite(t, wire.ENCR_3DES, 0, wire.PRF_HMAC_SHA1, wire.AUTH_HMAC_SHA1_96, wire.KE_NONE), 20, 20, 24, 20, 0},
	} {
		l := c.suite.KeyLengths()
		if l.D != c.d || l.A != c.a || l.E != c.e || l.P != c.p || l.Salt != c.s {
			t.Errorf("%v: lengths %+v, want d=%d a=%d e=%d p=%d salt=%d", c.suite, l, c.d, c.a, c.e, c.p, c.s)
		}
		skeyseed := bytes.Repeat([]byte{0x5e}, c.suite.PRF.Size)
		k, err := c.suite.IKEKeys(skeyseed, ni, nr, spii, spir)
		if err != nil {
			t.Fatal(err)
		}
		seed := append(append(bytes.Clone(ni), nr...), h("0102030405060708 1112131415161718")...)
		km, _ := c.suite.PRF.Plus(skeyseed, seed, l.Total())
		got := bytes.Join([][]byte{k.D, k.Ai, k.Ar, k.Ei, k.Er, k.Pi, k.Pr}, nil)
		if !bytes.Equal(got, km) {
			t.Errorf("%v: keys are not prf+ in the order SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr", c.suite)
		}
		if len(k.D) != c.d || len(k.Ai) != c.a || len(k.Er) != c.e || len(k.Pr) != c.p {
			t.Errorf("%v: %v", c.suite, k)
		}
		// Every key works with NewSK.
		if _, err := NewSK(c.suite, k.Ei, k.Ai); err != nil {
			t.Errorf("%v: NewSK: %v", c.suite, err)
		}
		if bytes.Contains([]byte(k.String()+k.GoString()), k.D[:4]) {
			t.Error("IKEKeys.String shows key material")
		}
	}
}

// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), and with RFC 9370 SK(0) | Ni
// | Nr | SK(1) | ... SK(n); keys for initiator-to-responder traffic first,
// encryption key before integrity key (RFC7296-2.17-1, RFC7296-2.17-2).
func TestDeriveChildKeys(t *testing.T) {
	p, _ := LookupPRF(wire.PRF_HMAC_SHA2_256)
	skd := bytes.Repeat([]byte{0xd0}, 32)
	ni, nr := []byte("Ni-Ni-Ni-Ni-Ni-Ni"), []byte("Nr-Nr-Nr-Nr-Nr-Nr")
	g, sk1, sk2 := []byte("g^ir(new)"), []byte("SK(1)"), []byte("SK(2)")
	for _, c := range []struct {
		name             string
		shared           [][]byte
		seed             []byte
		encLen, integLen int
	}{
		{"no KE, AES-CBC-256 + SHA2-256", nil, concat(ni, nr), 32, 32},
		{"PFS, AES-GCM-16-128 (salt)", [][]byte{g}, concat(g, ni, nr), 20, 0},
		{"RFC 9370, two additional", [][]byte{g, sk1, sk2}, concat(g, ni, nr, sk1, sk2), 36, 0},
	} {
		k, err := DeriveChildKeys(p, skd, ni, nr, c.encLen, c.integLen, c.shared...)
		if err != nil {
			t.Fatal(err)
		}
		km, _ := p.Plus(skd, c.seed, 2*(c.encLen+c.integLen))
		if got := bytes.Join([][]byte{k.EncI, k.IntegI, k.EncR, k.IntegR}, nil); !bytes.Equal(got, km) {
			t.Errorf("%s: not EncI | IntegI | EncR | IntegR from prf+(SK_d, %q)", c.name, c.seed)
		}
		if len(k.EncI) != c.encLen || len(k.IntegR) != c.integLen {
			t.Errorf("%s: %v", c.name, k)
		}
	}
	if _, err := DeriveChildKeys(p, skd, ni, nr, 255*32, 32); !errors.Is(err, ErrPRFPlusLimit) {
		t.Errorf("oversized KEYMAT: %v", err)
	}
}

// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF
// (RFC 7296 section 2.18); with RFC 9370 section 2.2.4 the additional
// secrets follow Nr. RFC 9370 section 2.2.2: SKEYSEED(n) = prf(SK_d(n-1),
// SK(n) | Ni | Nr).
func TestRekeyAndIntermediateSKEYSEED(t *testing.T) {
	old, _ := LookupPRF(wire.PRF_HMAC_SHA2_512)
	skd, g, ni, nr := []byte("old SK_d"), []byte("g^ir"), []byte("Ni"), []byte("Nr")
	if got, want := RekeySKEYSEED(old, skd, g, ni, nr), old.Sum(skd, concat(g, ni, nr)); !bytes.Equal(got, want) {
		t.Error("rekey SKEYSEED")
	}
	if got, want := RekeySKEYSEED(old, skd, g, ni, nr, []byte("SK1"), []byte("SK2")),
		old.Sum(skd, concat(g, ni, nr, []byte("SK1SK2"))); !bytes.Equal(got, want) {
		t.Error("rekey SKEYSEED with additional key exchanges")
	}
	if got, want := IntermediateSKEYSEED(old, skd, []byte("SK(n)"), ni, nr),
		old.Sum(skd, []byte("SK(n)NiNr")); !bytes.Equal(got, want) {
		t.Error("SKEYSEED(n)")
	}
}

// A whole IKE SA key schedule between two parties: both ends derive the
// same keys, and what one seals with SK_ei the other opens.
func TestKeyScheduleEndToEnd(t *testing.T) {
	suite := mustSuite(t, wire.ENCR_AES_GCM_16, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256)
	st, kei, err := suite.KE.Start(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	ker, girR, err := suite.KE.Respond(seeded(2), kei)
	if err != nil {
		t.Fatal(err)
	}
	girI, err := st.Finish(ker)
	if err != nil {
		t.Fatal(err)
	}
	ni, nr := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	derive := func(gir []byte) *IKEKeys {
		s, err := SKEYSEED(suite.PRF, ni, nr, gir)
		if err != nil {
			t.Fatal(err)
		}
		k, err := suite.IKEKeys(s, ni, nr, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ki, kr := derive(girI), derive(girR)
	if !bytes.Equal(ki.Ei, kr.Ei) || !bytes.Equal(ki.D, kr.D) || !bytes.Equal(ki.Pr, kr.Pr) {
		t.Fatal("the two ends derive different keys")
	}
	send, _ := NewSK(suite, ki.Ei, ki.Ai)
	recv, _ := NewSK(suite, kr.Ei, kr.Ai)
	pt := []byte("inner payloads")
	prefix := testPrefix(send, len(pt), encSK, false)
	msg, err := send.Seal(prefix, pt, seeded(3))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := recv.Open(msg, wire.HeaderLen); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open: %q, %v", got, err)
	}
	// The responder's direction uses other keys.
	back, _ := NewSK(suite, kr.Er, kr.Ar)
	if _, err := back.Open(msg, wire.HeaderLen); !errors.Is(err, ErrIntegrity) {
		t.Errorf("SK_er opened a message sealed with SK_ei: %v", err)
	}
}

// Formatting key holders, by pointer or by value, never shows key octets.
func TestKeysDoNotFormat(t *testing.T) {
	secret := bytes.Repeat([]byte{0x5a}, 32) // "Z"; %x shows 5a5a, %v 90 90
	ik := &IKEKeys{D: secret, Ai: secret, Ar: secret, Ei: secret, Er: secret, Pi: secret, Pr: secret}
	ck := &ChildKeys{EncI: secret, IntegI: secret, EncR: secret, IntegR: secret}
	for _, v := range []any{ik, *ik, ck, *ck} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, "5a5a") || strings.Contains(s, "90 90") ||
				strings.Contains(s, "ZZ") || strings.Contains(s, "0x5a") {
				t.Errorf("%s of %T shows key material: %s", verb, v, s)
			}
		}
	}
}
