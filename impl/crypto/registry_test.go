package crypto

import (
	"errors"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

func TestLookupUnsupported(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(LookupEncr(wire.ENCR_RC5)), "ike: unsupported ENCR transform ENCR_RC5"},
		{second(LookupEncr(wire.ENCR_DES)), "ike: unsupported ENCR transform ENCR_DES"},
		{second(LookupEncr(999)), "ike: unsupported ENCR transform ENCR(999)"},
		{second(LookupPRF(wire.PRF_HMAC_MD5)), "ike: unsupported PRF transform PRF_HMAC_MD5"},
		{second(LookupInteg(wire.AUTH_HMAC_MD5_96)), "ike: unsupported INTEG transform AUTH_HMAC_MD5_96"},
		{second(LookupInteg(wire.AUTH_NONE)), "ike: unsupported INTEG transform AUTH_NONE"},
		{second(LookupKE(wire.MODP_1024)), "ike: unsupported KE transform MODP_1024"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
		if !errors.Is(c.err, ErrUnsupported) {
			t.Errorf("%v does not match ErrUnsupported", c.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// The registry holds what the package promises, and each entry's
// Requirement is consistent: it names its source, and an entry is
// negotiable exactly when its level allows it, unless a Note says why not.
func TestRegistryContents(t *testing.T) {
	wantEncr := []wire.EncrID{wire.ENCR_3DES, wire.ENCR_NULL, wire.ENCR_AES_CBC, wire.ENCR_AES_CCM_8,
		wire.ENCR_AES_CCM_12, wire.ENCR_AES_CCM_16, wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12,
		wire.ENCR_AES_GCM_16, wire.ENCR_CHACHA20_POLY1305}
	var got []wire.EncrID
	for _, e := range EncrTransforms() {
		got = append(got, e.ID)
	}
	if len(got) != len(wantEncr) {
		t.Errorf("ENCR transforms %v, want %v", got, wantEncr)
	}
	wantKE := []wire.KEID{wire.MODP_2048, wire.MODP_3072, wire.MODP_4096, wire.ECP_256, wire.ECP_384,
		wire.ECP_521, wire.CURVE25519, wire.ML_KEM_768, wire.ML_KEM_1024}
	for i, k := range Groups() {
		if i >= len(wantKE) || k.ID != wantKE[i] {
			t.Errorf("Groups()[%d] = %v", i, k.ID)
		}
	}
	check := func(name string, r Requirement) {
		t.Helper()
		if r.Level == "" || r.Source == "" {
			t.Errorf("%s: incomplete requirement %+v", name, r)
		}
		allowed := map[string]bool{"MUST": true, "MUST-": true, "SHOULD+": true, "SHOULD": true, "MAY": true}[r.Level]
		if r.Negotiable != allowed && r.Note == "" {
			t.Errorf("%s: level %s but Negotiable=%v and no Note", name, r.Level, r.Negotiable)
		}
	}
	for _, e := range EncrTransforms() {
		check(e.ID.String()+" IKE", e.IKE)
		check(e.ID.String()+" ESP", e.ESP)
	}
	for _, p := range PRFTransforms() {
		check(p.ID.String(), p.IKE)
	}
	for _, i := range IntegTransforms() {
		check(i.ID.String()+" IKE", i.IKE)
		check(i.ID.String()+" ESP", i.ESP)
	}
	for _, k := range Groups() {
		check(k.ID.String(), k.IKE)
	}
}

// 3DES is there to decrypt old captures and is never negotiated: RFC 8247
// section 2.1 lowers it to MAY for IKE ("no need to keep support for the
// much slower ENCR_3DES", RFC8247-2.1-12) and RFC 8221 section 5 to SHOULD
// NOT for ESP (RFC8221-5-7). ENCR_NULL is MUST NOT for IKE
// (RFC8247-2.1-15) and MUST for ESP (RFC8221-5-9). A suite without a key
// exchange method is not negotiable for an IKE SA (RFC7296-2.18-2).
func TestNegotiationPolicy(t *testing.T) {
	des, err := LookupEncr(wire.ENCR_3DES)
	if err != nil {
		t.Fatal(err)
	}
	if des.IKE.Negotiable || des.ESP.Negotiable || des.IKE.Level != "MAY" || des.ESP.Level != "SHOULD NOT" {
		t.Errorf("3DES: %+v / %+v", des.IKE, des.ESP)
	}
	null, _ := LookupEncr(wire.ENCR_NULL)
	if null.IKE.Negotiable || !null.ESP.Negotiable {
		t.Errorf("ENCR_NULL: %+v / %+v", null.IKE, null.ESP)
	}
	s := mustSuite(t, wire.ENCR_3DES, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.MODP_2048)
	if err := s.Negotiable(); err == nil || !strings.Contains(err.Error(), "ENCR_3DES") {
		t.Errorf("3DES suite: %v", err)
	}
	for _, c := range []struct {
		s  Suite
		ok bool
	}{
		{mustSuite(t, wire.ENCR_AES_CBC, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.MODP_2048), true},
		{mustSuite(t, wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_512, wire.AUTH_NONE, wire.CURVE25519), true},
		{mustSuite(t, wire.ENCR_CHACHA20_POLY1305, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256), true},
		{mustSuite(t, wire.ENCR_AES_GCM_12, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256), false},
		{mustSuite(t, wire.ENCR_AES_CBC, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.KE_NONE), false},
	} {
		if err := c.s.Negotiable(); (err == nil) != c.ok {
			t.Errorf("%v: Negotiable() = %v", c.s, err)
		}
	}
}

// RFC5282-8-1 (no INTEG with AEAD), RFC8247-2.1-1 (INTEG without AEAD),
// RFC7296-3.3.5-4 and RFC7296-3.3.5-5 (the Key Length attribute).
func TestNewSuiteChecks(t *testing.T) {
	for _, c := range []struct {
		encr  wire.EncrID
		bits  int
		prf   wire.PRFID
		integ wire.IntegID
		ke    wire.KEID
		want  string
	}{
		{wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.ECP_256, "takes no integrity"},
		{wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256, "needs an integrity"},
		{wire.ENCR_AES_CBC, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.ECP_256, "needs a Key Length"},
		{wire.ENCR_AES_CBC, 512, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.ECP_256, "512-bit"},
		{wire.ENCR_CHACHA20_POLY1305, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256, "fixed key length"},
		{wire.ENCR_3DES, 192, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA1_96, wire.ECP_256, "fixed key length"},
		{wire.ENCR_NULL, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA1_96, wire.ECP_256, "ENCR_NULL"},
		{wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_MD5, wire.AUTH_HMAC_SHA1_96, wire.ECP_256, "unsupported PRF"},
		{wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA1, wire.AUTH_HMAC_SHA1_96, wire.MODP_1536, "unsupported KE"},
	} {
		_, err := NewSuite(c.encr, c.bits, c.prf, c.integ, c.ke)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ike: ") {
			t.Errorf("NewSuite(%v, %d, %v, %v, %v) = %v, want %q", c.encr, c.bits, c.prf, c.integ, c.ke, err, c.want)
		}
	}
}

// Every AEAD works through NewAEAD with an explicit-IV nonce, and every
// CBC transform through NewBlock; the wrong constructor is refused.
func TestEncrConstructors(t *testing.T) {
	for _, e := range EncrTransforms() {
		bits := 0
		if len(e.KeyBits) > 0 {
			bits = e.KeyBits[len(e.KeyBits)-1]
		}
		n, err := e.KeyLen(bits)
		if err != nil {
			t.Fatal(err)
		}
		key := make([]byte, n)
		switch e.Kind {
		case KindAEAD:
			a, err := e.NewAEAD(key)
			if err != nil {
				t.Fatalf("%v: %v", e.ID, err)
			}
			if a.NonceSize() != e.IVLen || a.Overhead() != e.ICVLen {
				t.Errorf("%v: nonce %d overhead %d", e.ID, a.NonceSize(), a.Overhead())
			}
			if _, err := e.NewBlock(key); err == nil {
				t.Errorf("%v: NewBlock accepted an AEAD", e.ID)
			}
			if _, err := e.NewAEAD(key[:n-1]); err == nil {
				t.Errorf("%v: NewAEAD accepted %d octets", e.ID, n-1)
			}
		case KindCBC:
			b, err := e.NewBlock(key)
			if err != nil {
				t.Fatalf("%v: %v", e.ID, err)
			}
			if b.BlockSize() != e.BlockSize || e.IVLen != e.BlockSize {
				t.Errorf("%v: block %d", e.ID, b.BlockSize())
			}
			if _, err := e.NewAEAD(key); err == nil {
				t.Errorf("%v: NewAEAD accepted a CBC cipher", e.ID)
			}
		}
	}
}

// AES-GCM with an 8-octet ICV (not in the standard library) is AES-GCM
// with the tag truncated (NIST SP 800-38D section 5.2.1.2).
func TestGCMShortTag(t *testing.T) {
	g8, _ := LookupEncr(wire.ENCR_AES_GCM_8)
	g16, _ := LookupEncr(wire.ENCR_AES_GCM_16)
	keymat := h("000102030405060708090a0b0c0d0e0f 10111213")
	a8, err := g8.NewAEAD(keymat)
	if err != nil {
		t.Fatal(err)
	}
	a16, _ := g16.NewAEAD(keymat)
	iv, aad := h("0102030405060708"), []byte("header")
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		pt := make([]byte, n)
		full := a16.Seal(nil, iv, pt, aad)
		short := a8.Seal(nil, iv, pt, aad)
		if string(short) != string(full[:n+8]) {
			t.Fatalf("n=%d: GCM-8 is not GCM-16 truncated", n)
		}
		if got, err := a8.Open(nil, iv, short, aad); err != nil || len(got) != n {
			t.Fatalf("n=%d: Open: %v", n, err)
		}
		for i := range short {
			bad := []byte(string(short))
			bad[i] ^= 4
			if _, err := a8.Open(nil, iv, bad, aad); err == nil {
				t.Fatalf("n=%d: flipped octet %d accepted", n, i)
			}
		}
		if _, err := a8.Open(nil, iv, short[:7], aad); err == nil {
			t.Fatal("7 octets accepted")
		}
	}
}
