package crypto

import (
	"bytes"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

var benchSuites = []struct {
	name  string
	encr  wire.EncrID
	bits  int
	integ wire.IntegID
}{
	{"AES-GCM-16-128", wire.ENCR_AES_GCM_16, 128, wire.AUTH_NONE},
	{"AES-CBC-256+HMAC-SHA2-256-128", wire.ENCR_AES_CBC, 256, wire.AUTH_HMAC_SHA2_256_128},
}

func BenchmarkSKSeal(b *testing.B) {
	for _, c := range benchSuites {
		b.Run(c.name, func(b *testing.B) {
			sk := newTestSK(b, mustSuite(b, c.encr, c.bits, wire.PRF_HMAC_SHA2_256, c.integ, wire.KE_NONE))
			pt := make([]byte, 1024)
			prefix := testPrefix(sk, len(pt), encSK, false)
			r := seeded(1)
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				if _, err := sk.Seal(prefix, pt, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSKOpen(b *testing.B) {
	for _, c := range benchSuites {
		b.Run(c.name, func(b *testing.B) {
			sk := newTestSK(b, mustSuite(b, c.encr, c.bits, wire.PRF_HMAC_SHA2_256, c.integ, wire.KE_NONE))
			pt := make([]byte, 1024)
			msg, err := sk.Seal(testPrefix(sk, len(pt), encSK, false), pt, seeded(1))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				if _, err := sk.Open(msg, wire.HeaderLen); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPRFPlusIKEKeys derives SKEYSEED and the seven keys of an
// AES-CBC-256 / HMAC-SHA2-256 / PRF-HMAC-SHA2-256 IKE SA.
func BenchmarkPRFPlusIKEKeys(b *testing.B) {
	s := mustSuite(b, wire.ENCR_AES_CBC, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.MODP_2048)
	ni, nr, gir := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 256)
	for b.Loop() {
		seed, err := SKEYSEED(s.PRF, ni, nr, gir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.IKEKeys(seed, ni, nr, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKE runs both sides of one key exchange: the initiator's Start
// and Finish, the responder's Respond.
func BenchmarkKE(b *testing.B) {
	for _, id := range []wire.KEID{wire.MODP_2048, wire.MODP_3072, wire.MODP_4096, wire.ECP_256, wire.ECP_384,
		wire.ECP_521, wire.CURVE25519, wire.ML_KEM_768, wire.ML_KEM_1024} {
		ke := mustKE(b, id)
		b.Run(id.String(), func(b *testing.B) {
			r := seeded(1)
			for b.Loop() {
				st, kei, err := ke.Start(r)
				if err != nil {
					b.Fatal(err)
				}
				ker, _, err := ke.Respond(r, kei)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := st.Finish(ker); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
