package auth_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/auth/authtest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAlgorithmIdentifiers: the ASN.1 objects of RFC 7427 Appendix A
// (A.1.2-A.1.4, A.3.2-A.3.4, A.4.3) are what we send for each scheme and
// parse back to it; the others of the appendix (SHA-1, DSA, PSS with empty
// or default parameters) parse to schemes the policy refuses (RFC 8247
// section 3.2: MUST NOT) or are not supported.
func TestAlgorithmIdentifiers(t *testing.T) {
	all := auth.Policy{Hashes: auth.SupportedHashes}
	for _, tc := range []struct {
		section string
		hex     string
		scheme  auth.Scheme // zero: not produced by us
		refused error       // for those we do not send: how Verify refuses them
	}{
		{"A.1.1 sha1WithRSAEncryption", "300d 0609 2a86 4886 f70d 0101 0505 00", auth.Scheme{}, auth.ErrAlgorithm},
		{"A.1.2 sha256WithRSAEncryption", "300d 0609 2a86 4886 f70d 0101 0b05 00", auth.Scheme{Key: auth.KeyRSA, Hash: auth.HashSHA256}, nil},
		{"A.1.3 sha384WithRSAEncryption", "300d 0609 2a86 4886 f70d 0101 0c05 00", auth.Scheme{Key: auth.KeyRSA, Hash: auth.HashSHA384}, nil},
		{"A.1.4 sha512WithRSAEncryption", "300d 0609 2a86 4886 f70d 0101 0d05 00", auth.Scheme{Key: auth.KeyRSA, Hash: auth.HashSHA512}, nil},
		{"A.2.1 dsa-with-sha1", "3009 0607 2a86 48ce 3804 03", auth.Scheme{}, auth.ErrAlgorithm},
		{"A.2.2 dsa-with-sha256", "300b 0609 6086 4801 6503 0403 02", auth.Scheme{}, auth.ErrAlgorithm},
		{"A.3.1 ecdsa-with-sha1", "3009 0607 2a86 48ce 3d04 01", auth.Scheme{}, auth.ErrAlgorithm},
		{"A.3.2 ecdsa-with-sha256", "300a 0608 2a86 48ce 3d04 0302", auth.Scheme{Key: auth.KeyECDSA, Hash: auth.HashSHA256}, nil},
		{"A.3.3 ecdsa-with-sha384", "300a 0608 2a86 48ce 3d04 0303", auth.Scheme{Key: auth.KeyECDSA, Hash: auth.HashSHA384}, nil},
		{"A.3.4 ecdsa-with-sha512", "300a 0608 2a86 48ce 3d04 0304", auth.Scheme{Key: auth.KeyECDSA, Hash: auth.HashSHA512}, nil},
		{"A.4.1 RSASSA-PSS with empty parameters", "300d 0609 2a86 4886 f70d 0101 0a30 00", auth.Scheme{}, auth.ErrAlgorithm},
		{"A.4.2 RSASSA-PSS with default parameters", `303e 0609 2a86 4886 f70d 0101 0a30 31a0
			0b30 0906 052b 0e03 021a 0500 a118 3016 0609 2a86 4886 f70d 0101 0830 0906 052b
			0e03 021a 0500 a203 0201 14a3 0302 0101`, auth.Scheme{}, auth.ErrAlgorithm},
		{"A.4.3 RSASSA-PSS with SHA-256", `3046 0609 2a86 4886 f70d 0101 0a30 39a0
			0f30 0d06 0960 8648 0165 0304 0201 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830
			0d06 0960 8648 0165 0304 0201 0500 a203 0201 20a3 0302 0101`, auth.Scheme{Key: auth.KeyRSA, Hash: auth.HashSHA256, PSS: true}, nil},
		// RFC 8410 section 3 (id-Ed25519, parameters absent), with RFC
		// 8420's Identity hash.
		{"RFC 8410 id-Ed25519", "3005 0603 2b65 70", auth.Scheme{Key: auth.KeyEd25519, Hash: auth.HashIdentity}, nil},
	} {
		t.Run(tc.section, func(t *testing.T) {
			der := unhex(t, tc.hex)
			if tc.scheme.Key != 0 {
				got, err := auth.AlgorithmIdentifier(tc.scheme)
				if err != nil || !bytes.Equal(got, der) {
					t.Errorf("AlgorithmIdentifier(%v) = %x, %v; RFC 7427 Appendix %s: %x", tc.scheme, got, err, tc.section, der)
				}
				back, err := auth.ParseAlgorithmIdentifier(der)
				if err != nil || back.Key != tc.scheme.Key || back.Hash != tc.scheme.Hash || back.PSS != tc.scheme.PSS {
					t.Errorf("ParseAlgorithmIdentifier = %v, %v", back, err)
				}
				return
			}
			// An AUTH payload with this object and a dummy signature is
			// refused before any signature check.
			data := append(append([]byte{byte(len(der))}, der...), make([]byte, 256)...)
			pub := authtest.Key(t, "rsa2048", 0).Public()
			if strings.Contains(tc.section, "ecdsa") {
				pub = authtest.Key(t, "p256", 0).Public()
			}
			_, err := auth.Verify(pub, wire.AuthDigitalSig, data, []byte("octets"), all)
			if !errors.Is(err, tc.refused) {
				t.Errorf("Verify: %v, want %v", err, tc.refused)
			}
		})
	}
}

// rfc4754Vectors are the AUTH payloads of RFC 4754 section 8 (8.1, 8.2,
// 8.3): signatures of the message "abc" by the key (gwx, gwy).
var rfc4754Vectors = []struct {
	section  string
	method   wire.AuthMethod
	curve    elliptic.Curve
	gwx, gwy string
	payload  string
}{
	{"8.1 ECDSA-256", wire.AuthECDSA256, elliptic.P256(),
		"2442A5CC 0ECD015F A3CA31DC 8E2BBC70 BF42D60C BCA20085 E0822CB0 4235E970",
		"6FC98BD7 E50211A4 A27102FA 3549DF79 EBCB4BF2 46B80945 CDDFE7D5 09BBFD7D",
		`00000048 00090000 CB28E099 9B9C7715 FD0A80D8 E47A7707 9716CBBF 917DD72E
		 97566EA1 C066957C 86FA3BB4 E26CAD5B F90B7F81 899256CE 7594BB1E A0C89212
		 748BFF3B 3D5B0315`},
	{"8.2 ECDSA-384", wire.AuthECDSA384, elliptic.P384(),
		`96281BF8 DD5E0525 CA049C04 8D345D30 82968D10 FEDF5C5A CA0C64E6 465A97EA
		 5CE10C9D FEC21797 41571072 1F437922`,
		`447688BA 94708EB6 E2E4D59F 6AB6D7ED FF9301D2 49FE49C3 3096655F 5D502FAD
		 3D383B91 C5E7EDAA 2B714CC9 9D5743CA`,
		`00000068 000A0000 FB017B91 4E291494 32D8BAC2 9A514640 B46F53DD AB2C6994
		 8084E293 0F1C8F7E 08E07C9C 63F2D21A 07DCB56A 6AF56EB3 B263A130 5E057F98
		 4D38726A 1B468741 09F417BC A112674C 528262A4 0A629AF1 CBB9F516 CE0FA7D2
		 FF630863 A00E8B9F`},
	{"8.3 ECDSA-521", wire.AuthECDSA521, elliptic.P521(),
		`0151518F 1AF0F563 517EDD54 85190DF9 5A4BF57B 5CBA4CF2 A9A3F647 4725A35F
		 7AFE0A6D DEB8BEDB CD6A197E 592D4018 8901CECD 650699C9 B5E456AE A5ADD190
		 52A8`,
		`006F3B14 2EA1BFFF 7E2837AD 44C9E4FF 6D2D34C7 3184BBAD 90026DD5 E6E85317
		 D9DF45CA D7803C6C 20035B2F 3FF63AFF 4E1BA64D 1C077577 DA3F4286 C58F0AEA
		 E643`,
		`0000008C 000B0000 0154FD38 36AF92D0 DCA57DD5 341D3053 988534FD E8318FC6
		 AAAAB68E 2E6F4339 B19F2F28 1A7E0B22 C269D93C F8794A92 78880ED7 DBB8D936
		 2CAEACEE 54432055 22510177 05A70302 90D1CEB6 05A9A1BB 03FF9CDD 521E87A6
		 96EC926C 8C10C836 2DF49753 67101F67 D1CF9BCC BF2F3D23 9534FA50 9E70AAC8
		 51AE01AA C68D62F8 66472660`},
}

// TestRFC4754Vectors verifies the AUTH payloads of RFC 4754 section 8:
// their Authentication Data (r || s, methods 9, 10, 11) verifies
// over "abc" with the section's public key; one flipped bit, a shorter
// payload, the wrong curve or the Digital Signature method do not.
func TestRFC4754Vectors(t *testing.T) {
	for _, v := range rfc4754Vectors {
		t.Run(v.section, func(t *testing.T) {
			pub := &ecdsa.PublicKey{Curve: v.curve, X: new(big.Int).SetBytes(unhex(t, v.gwx)), Y: new(big.Int).SetBytes(unhex(t, v.gwy))}
			p := unhex(t, v.payload)
			// The generic payload header (RFC 7296 section 3.2): next
			// payload 0, length; then the AUTH body.
			if int(p[2])<<8|int(p[3]) != len(p) {
				t.Fatalf("payload length %d, %d octets", int(p[2])<<8|int(p[3]), len(p))
			}
			// The section's payloads write the Auth Method as 16 bits
			// ("0009"), where RFC 7296 section 3.8 has one octet followed
			// by three RESERVED: decoded as RFC 7296 lays it out, the
			// method would be 0. The method is read as the example writes
			// it; the Authentication Data (r || s) starts at octet 8 either
			// way.
			a := &wire.Auth{Method: wire.AuthMethod(int(p[4])<<8 | int(p[5])), Data: p[8:]}
			if a.Method != v.method {
				t.Fatalf("the example's method is %v, the section's %v", a.Method, v.method)
			}
			s, err := auth.Verify(pub, a.Method, a.Data, []byte("abc"), auth.Policy{})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			t.Logf("%s: %v verifies", v.section, s)
			bad := bytes.Clone(a.Data)
			bad[len(bad)-1] ^= 1
			if _, err := auth.Verify(pub, a.Method, bad, []byte("abc"), auth.Policy{}); !errors.Is(err, auth.ErrAuthFailed) {
				t.Errorf("a flipped bit: %v", err)
			}
			if _, err := auth.Verify(pub, a.Method, a.Data[1:], []byte("abc"), auth.Policy{}); !errors.Is(err, auth.ErrMalformed) {
				t.Errorf("one octet short: %v", err)
			}
			if _, err := auth.Verify(pub, a.Method, a.Data, []byte("abd"), auth.Policy{}); !errors.Is(err, auth.ErrAuthFailed) {
				t.Errorf("another message: %v", err)
			}
			if _, err := auth.Verify(pub, a.Method, a.Data, []byte("abc"), auth.Policy{NoClassic: true, Hashes: auth.SupportedHashes}); !errors.Is(err, auth.ErrAlgorithm) {
				t.Errorf("classic method after SIGNATURE_HASH_ALGORITHMS both ways (RFC7427-3-2): %v", err)
			}
			other := wire.AuthECDSA256
			if a.Method == other {
				other = wire.AuthECDSA384
			}
			if _, err := auth.Verify(pub, other, a.Data, []byte("abc"), auth.Policy{}); !errors.Is(err, auth.ErrAlgorithm) {
				t.Errorf("method %v with this curve: %v", other, err)
			}
		})
	}
	// The same vectors in the RFC's text, where it is at hand.
	if txt, err := os.ReadFile("../../../shared/rfc/rfc4754.txt"); err == nil {
		flat := strings.Join(strings.Fields(string(txt)), "")
		for _, v := range rfc4754Vectors {
			if !strings.Contains(flat, strings.Join(strings.Fields(v.payload), "")) {
				t.Errorf("%s: the payload is not in rfc4754.txt", v.section)
			}
		}
	}
}

// TestSignVerify signs and verifies with every scheme and key type, and
// checks the refusals: another key, another key type, a hash we did not
// announce, PSS required, truncated and garbage data.
func TestSignVerify(t *testing.T) {
	octets := []byte("RealMessage1 | Nr | prf(SK_pi, IDi')")
	all := auth.Policy{Hashes: auth.SupportedHashes}
	for _, tc := range []struct {
		key     string
		rfc7427 bool
		peer    []auth.HashAlg
		pss     bool
		want    string
	}{
		{"rsa2048", false, nil, false, "RSA_EMSA_PKCS1_SHA1 (RSA_SIG)"},
		{"rsa2048", true, auth.SupportedHashes, false, "RSA_EMSA_PKCS1_SHA2_256 (DIGITAL_SIGNATURE)"},
		{"rsa2048", true, []auth.HashAlg{auth.HashSHA512}, false, "RSA_EMSA_PKCS1_SHA2_512 (DIGITAL_SIGNATURE)"},
		{"rsa2048", true, []auth.HashAlg{auth.HashSHA384, 99}, false, "RSA_EMSA_PKCS1_SHA2_384 (DIGITAL_SIGNATURE)"},
		{"rsa2048", true, auth.SupportedHashes, true, "RSA_EMSA_PSS_SHA2_256 (DIGITAL_SIGNATURE)"},
		{"rsa2048", true, []auth.HashAlg{auth.HashSHA384}, true, "RSA_EMSA_PSS_SHA2_384 (DIGITAL_SIGNATURE)"},
		{"rsa2048", true, []auth.HashAlg{auth.HashSHA512}, true, "RSA_EMSA_PSS_SHA2_512 (DIGITAL_SIGNATURE)"},
		{"p256", false, nil, false, "ECDSA-256 (ECDSA_256)"},
		{"p384", false, nil, false, "ECDSA-384 (ECDSA_384)"},
		{"p521", false, nil, false, "ECDSA-521 (ECDSA_521)"},
		{"p256", true, auth.SupportedHashes, false, "ECDSA_WITH_SHA256_DER (DIGITAL_SIGNATURE)"},
		{"p384", true, auth.SupportedHashes, false, "ECDSA_WITH_SHA384_DER (DIGITAL_SIGNATURE)"},
		{"p521", true, auth.SupportedHashes, false, "ECDSA_WITH_SHA512_DER (DIGITAL_SIGNATURE)"},
		{"p256", true, []auth.HashAlg{auth.HashSHA512}, false, "ECDSA_WITH_SHA512_DER (DIGITAL_SIGNATURE)"},
		{"ed25519", true, auth.SupportedHashes, false, "ED25519 (DIGITAL_SIGNATURE)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			key := authtest.Key(t, tc.key, 0)
			s, err := auth.ChooseScheme(key.Public(), tc.rfc7427, tc.peer, tc.pss)
			if err != nil {
				t.Fatal(err)
			}
			data, err := auth.Sign(rand.Reader, key, s, octets)
			if err != nil {
				t.Fatal(err)
			}
			pol := auth.Policy{}
			if tc.rfc7427 {
				pol = all
			}
			got, err := auth.Verify(key.Public(), s.Method, data, octets, pol)
			if err != nil || got.String() != tc.want {
				t.Fatalf("Verify: %v, %v; want %s", got, err, tc.want)
			}
			// Another key of the same type.
			if _, err := auth.Verify(authtest.Key(t, tc.key, 1).Public(), s.Method, data, octets, pol); !errors.Is(err, auth.ErrAuthFailed) {
				t.Errorf("another key: %v", err)
			}
			// Another key type.
			other := "p256"
			if tc.key[0] == 'p' {
				other = "rsa2048"
			}
			if _, err := auth.Verify(authtest.Key(t, other, 0).Public(), s.Method, data, octets, pol); !errors.Is(err, auth.ErrAlgorithm) {
				t.Errorf("a %s key: %v", other, err)
			}
			if tc.rfc7427 {
				// A hash we did not announce.
				narrow := auth.Policy{Hashes: []auth.HashAlg{auth.HashSHA1}}
				if _, err := auth.Verify(key.Public(), s.Method, data, octets, narrow); !errors.Is(err, auth.ErrAlgorithm) {
					t.Errorf("hash not negotiated: %v", err)
				}
				// We sent no SIGNATURE_HASH_ALGORITHMS.
				if _, err := auth.Verify(key.Public(), s.Method, data, octets, auth.Policy{}); !errors.Is(err, auth.ErrAlgorithm) {
					t.Errorf("method 14 without our notify: %v", err)
				}
			}
			if tc.key == "rsa2048" && !tc.pss {
				if _, err := auth.Verify(key.Public(), s.Method, data, octets, auth.Policy{Hashes: auth.SupportedHashes, RequirePSS: true}); !errors.Is(err, auth.ErrAlgorithm) {
					t.Errorf("PKCS#1 v1.5 where PSS is required: %v", err)
				}
			}
			// Every truncation and some garbage: an error, never a panic.
			for n := range len(data) {
				if _, err := auth.Verify(key.Public(), s.Method, data[:n], octets, pol); err == nil {
					t.Fatalf("truncated to %d octets: verifies", n)
				}
			}
			for i := range 64 {
				g := make([]byte, i*7)
				rand.Read(g)
				if i%2 == 0 && len(g) > 0 {
					g[0] = byte(len(g) / 3)
				}
				if _, err := auth.Verify(key.Public(), s.Method, g, octets, pol); err == nil {
					t.Fatalf("garbage %x verifies", g)
				}
			}
		})
	}
}

// TestChooseSchemeRefusals: what cannot be signed.
func TestChooseSchemeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     string
		rfc7427 bool
		peer    []auth.HashAlg
		pss     bool
	}{
		{"Ed25519 without RFC 7427", "ed25519", false, nil, false},
		{"PSS without RFC 7427", "rsa2048", false, nil, true},
		{"Ed25519, peer without Identity", "ed25519", true, []auth.HashAlg{auth.HashSHA256}, false},
		{"RSA, peer with SHA-1 only", "rsa2048", true, []auth.HashAlg{auth.HashSHA1}, false},
		{"ECDSA, peer with nothing", "p256", true, nil, false},
	} {
		if _, err := auth.ChooseScheme(authtest.Key(t, tc.key, 0).Public(), tc.rfc7427, tc.peer, tc.pss); !errors.Is(err, auth.ErrAlgorithm) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestHashAlgorithmsNotify: SIGNATURE_HASH_ALGORITHMS data (RFC 7427
// section 4): 16-bit identifiers, no padding.
func TestHashAlgorithmsNotify(t *testing.T) {
	b := auth.EncodeHashAlgorithms(auth.SupportedHashes)
	if want := unhex(t, "0002 0003 0004 0005"); !bytes.Equal(b, want) {
		t.Errorf("encoded %x, want %x", b, want)
	}
	hs, err := auth.DecodeHashAlgorithms(unhex(t, "0001 0002 0003 0004 0005 1234"))
	if err != nil || len(hs) != 6 || hs[0] != auth.HashSHA1 || hs[5] != 0x1234 {
		t.Errorf("decoded %v, %v", hs, err)
	}
	if _, err := auth.DecodeHashAlgorithms([]byte{0, 2, 0}); !errors.Is(err, auth.ErrMalformed) {
		t.Errorf("odd length: %v", err)
	}
	if hs, err := auth.DecodeHashAlgorithms(nil); err != nil || len(hs) != 0 {
		t.Errorf("empty: %v, %v", hs, err)
	}
}

// FuzzVerify: no AUTH data, method or algorithm identifier panics Verify.
func FuzzVerify(f *testing.F) {
	f.Add(byte(14), unhex(f, "0f300d06092a864886f70d01010b0500"))
	f.Add(byte(14), unhex(f, "48 3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960 8648 0165 0304 0201 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201 20a3 0302 0101"))
	f.Add(byte(9), make([]byte, 64))
	f.Add(byte(1), make([]byte, 256))
	keys := []any{authtest.Key(f, "rsa2048", 0).Public(), authtest.Key(f, "p256", 0).Public(), authtest.Key(f, "ed25519", 0).Public()}
	f.Fuzz(func(t *testing.T, m byte, data []byte) {
		for _, k := range keys {
			if _, err := auth.Verify(k, wire.AuthMethod(m), data, []byte("x"), auth.Policy{Hashes: auth.SupportedHashes}); err == nil {
				t.Fatalf("method %d data %x verifies", m, data)
			}
		}
	})
}
