package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The vectors in this file are typed from the RFCs (and NIST SP 800-38C)
// into the tables below; no test here reads a file.

// h decodes hex as the RFCs print it: spaces and line breaks between groups
// are ignored.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func mustKE(t testing.TB, id wire.KEID) *KE {
	t.Helper()
	k, err := LookupKE(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// RFC 5903 section 8.1, 8.2 and 8.3: private keys, public values, the KEi
// and KEr payloads (generic header, group number, reserved, x | y) and the
// shared secret girx.
var rfc5903Vectors = []struct {
	section                                  string
	id                                       wire.KEID
	i, gix, giy, kei, r, grx, gry, ker, girx string
}{
	{"8.1", wire.ECP_256,
		"C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
		"DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
		"5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
		"00000048 00130000 DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180 5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
		"C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
		"D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
		"56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
		"00000048 00130000 D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63 56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
		"D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
	},
	{"8.2", wire.ECP_384,
		"099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
		"667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA",
		"9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
		"00000068 00140000 667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA 9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
		"41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942 E0308312 916B8ED2 960E4BD5 5A7448FC",
		"E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
		"DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
		"00000068 00140000 E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571 DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
		"11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746",
	},
	{"8.3", wire.ECP_521,
		"0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
		"0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
		"017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
		"0000008C 00150000 0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E017C AE20B664 1D2EEB69 5786D8C9 46146239 D099E18E 1D5A514C 739D7CB4 A10AD8A7 88015AC4 05D7799D C75E7B7D 5B6CF226 1A6A7F15 07438BF0 1BEB6CA3 926F9582",
		"0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E 9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
		"00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
		"015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
		"0000008c 00150000 00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F015C 68226383 956E3BD0 66E797B6 23C27CE0 EAC2F551 A10C2C72 4D985207 7B87220B 6536C5C4 08A1D2AE BB8E86D6 78AE49CB 57091F47 32296579 AB44FCD1 7F0FC56A",
		"01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA",
	},
}

func TestRFC5903(t *testing.T) {
	for _, v := range rfc5903Vectors {
		t.Run(v.section, func(t *testing.T) {
			ke := mustKE(t, v.id)
			si, err := ke.NewKEState(h(v.i))
			if err != nil {
				t.Fatal(err)
			}
			sr, err := ke.NewKEState(h(v.r))
			if err != nil {
				t.Fatal(err)
			}
			// RFC 5903 section 7: the KE data is x | y.
			gi, gr := si.Public(), sr.Public()
			if want := append(h(v.gix), h(v.giy)...); !bytes.Equal(gi, want) {
				t.Errorf("g^i = %x, want %x", gi, want)
			}
			if want := append(h(v.grx), h(v.gry)...); !bytes.Equal(gr, want) {
				t.Errorf("g^r = %x, want %x", gr, want)
			}
			// The KE payloads: generic header, Diffie-Hellman Group Num,
			// RESERVED, then the data (RFC 7296 section 3.4).
			for _, p := range []struct {
				name       string
				data, want []byte
			}{{"KEi", gi, h(v.kei)}, {"KEr", gr, h(v.ker)}} {
				n := 8 + len(p.data)
				got := append([]byte{0, 0, byte(n >> 8), byte(n), byte(v.id >> 8), byte(v.id), 0, 0}, p.data...)
				if !bytes.Equal(got, p.want) {
					t.Errorf("%s payload = %x, want %x", p.name, got, p.want)
				}
			}
			// "The Diffie-Hellman shared secret value is girx."
			for _, side := range []struct {
				s    KEState
				peer []byte
			}{{si, gr}, {sr, gi}} {
				z, err := side.s.Finish(side.peer)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(z, h(v.girx)) {
					t.Errorf("shared = %x, want %x", z, h(v.girx))
				}
			}
			if ke.PublicLen != len(gi) || ke.SharedLen != len(h(v.girx)) {
				t.Errorf("registry lengths %d/%d, vectors %d/%d", ke.PublicLen, ke.SharedLen, len(gi), len(h(v.girx)))
			}
		})
	}
}

// RFC 8031 appendix A: Curve25519 in IKEv2. The 32 random octets are the
// private keys (X25519 does the clamping the appendix shows as fixed_i and
// fixed_r).
func TestRFC8031AppendixA(t *testing.T) {
	ke := mustKE(t, wire.CURVE25519)
	randomI := h("75 1f b4 30 86 55 b4 76 b6 78 9b 73 25 f9 ea 8c dd d1 6a 58 53 3f f6 d9 e6 00 09 46 4a 5f 9d 94")
	randomR := h("0a 54 64 52 53 29 0d 60 dd ad d0 e0 30 ba cd 9e 55 01 ef dc 22 07 55 a1 e9 78 f1 b8 39 a0 56 88")
	fixedI := h("70 1f b4 30 86 55 b4 76 b6 78 9b 73 25 f9 ea 8c dd d1 6a 58 53 3f f6 d9 e6 00 09 46 4a 5f 9d 54")
	pubI := h("48 d5 dd d4 06 12 57 ba 16 6f a3 f9 bb db 74 f1 a4 e8 1c 08 93 84 fa 77 f7 90 70 9f 0d fb c7 66")
	pubR := h("0b e7 c1 f5 aa d8 7d 7e 44 86 62 67 32 98 a4 43 47 8b 85 97 45 17 9e af 56 4c 79 c0 ef 6e ee 25")
	shared := h("c7 49 50 60 7a 12 32 7f 32 04 d9 4b 68 25 bf b0 68 b7 f8 31 9a 9e 37 08 ed 3d 43 ce 81 30 c9 50")
	for _, c := range []struct {
		name            string
		priv, pub, peer []byte
	}{
		{"initiator", randomI, pubI, pubR},
		{"initiator, fixed_i", fixedI, pubI, pubR},
		{"responder", randomR, pubR, pubI},
	} {
		s, err := ke.NewKEState(c.priv)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Public(); !bytes.Equal(got, c.pub) {
			t.Errorf("%s: public %x, want %x", c.name, got, c.pub)
		}
		z, err := s.Finish(c.peer)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(z, shared) {
			t.Errorf("%s: SHARED_SECRET %x, want %x", c.name, z, shared)
		}
	}
}

// RFC 7748 section 5.2 (X25519 function vectors, one and 1000 iterations)
// and section 6.1 (Alice and Bob).
func TestRFC7748(t *testing.T) {
	ke := mustKE(t, wire.CURVE25519)
	x25519 := func(k, u []byte) []byte {
		t.Helper()
		s, err := ke.NewKEState(k)
		if err != nil {
			t.Fatal(err)
		}
		z, err := s.Finish(u)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	for _, v := range []struct{ k, u, want string }{
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
			"e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
			"c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		// The u-coordinate's top bit is set: it must be masked (RFC 7748
		// section 5, RFC 8031 section 3.2).
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
			"e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
			"95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	} {
		if got := x25519(h(v.k), h(v.u)); !bytes.Equal(got, h(v.want)) {
			t.Errorf("X25519(%s...) = %x, want %s", v.k[:8], got, v.want)
		}
	}
	k := h("0900000000000000000000000000000000000000000000000000000000000000")
	u := bytes.Clone(k)
	for i := 1; i <= 1000; i++ {
		k, u = x25519(k, u), k
		if i == 1 && !bytes.Equal(k, h("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")) {
			t.Errorf("after one iteration: %x", k)
		}
	}
	if !bytes.Equal(k, h("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")) {
		t.Errorf("after 1000 iterations: %x", k)
	}

	alice := h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	alicePub := h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	bob := h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	bobPub := h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	shared := h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
	for _, c := range []struct{ priv, pub, peer []byte }{{alice, alicePub, bobPub}, {bob, bobPub, alicePub}} {
		s, err := ke.NewKEState(c.priv)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Public(), c.pub) {
			t.Errorf("public %x, want %x", s.Public(), c.pub)
		}
		if z, err := s.Finish(c.peer); err != nil || !bytes.Equal(z, shared) {
			t.Errorf("shared %x (%v), want %x", z, err, shared)
		}
	}
}

// RFC 4868 section 2.7: PRF test vectors (2.7.1, from RFC 4231) and the
// authenticator vectors of 2.7.2.1 to 2.7.2.3, truncated to half the hash
// (RFC4868-2.3-1) with keys of the hash's size (RFC4868-2.1.1-1). Two misprints of the RFC are corrected: AUTH384-1 labels its
// 192-bit value "HMAC-SHA-384-128", and AUTH512-4 prints an extra first
// line (0a0b...19) in a key it calls 64 bytes long; the value printed is
// that of the 64 bytes 0102...40.
var rfc4868Vectors = []struct {
	case_           string // RFC 4868 section 2.7.1 (PRF-n) or 2.7.2.x (AUTHnnn-n)
	prf             wire.PRFID
	integ           wire.IntegID // 0 for a PRF row
	key, data, want string
}{
	{"PRF-1", wire.PRF_HMAC_SHA2_256, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"PRF-1", wire.PRF_HMAC_SHA2_384, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
	{"PRF-1", wire.PRF_HMAC_SHA2_512, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
	{"PRF-2", wire.PRF_HMAC_SHA2_256, 0,
		"4a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"PRF-2", wire.PRF_HMAC_SHA2_384, 0,
		"4a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
	{"PRF-2", wire.PRF_HMAC_SHA2_512, 0,
		"4a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	{"PRF-3", wire.PRF_HMAC_SHA2_256, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"PRF-3", wire.PRF_HMAC_SHA2_384, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
	{"PRF-3", wire.PRF_HMAC_SHA2_512, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
	{"PRF-4", wire.PRF_HMAC_SHA2_256, 0,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{"PRF-4", wire.PRF_HMAC_SHA2_384, 0,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb"},
	{"PRF-4", wire.PRF_HMAC_SHA2_512, 0,
		"0102030405060708090a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
	{"PRF-5", wire.PRF_HMAC_SHA2_256, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{"PRF-5", wire.PRF_HMAC_SHA2_384, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		"4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"},
	{"PRF-5", wire.PRF_HMAC_SHA2_512, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
		"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
	{"PRF-6", wire.PRF_HMAC_SHA2_256, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
		"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	{"PRF-6", wire.PRF_HMAC_SHA2_384, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
		"6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e"},
	{"PRF-6", wire.PRF_HMAC_SHA2_512, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
		"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
	{"AUTH256-1", wire.PRF_HMAC_SHA2_256, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"},
	{"AUTH256-1", wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"198a607eb44bfbc69903a0f1cf2bbdc5"},
	{"AUTH256-2", wire.PRF_HMAC_SHA2_256, 0,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6"},
	{"AUTH256-2", wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"167f928588c5cc2eef8e3093caa0e87c"},
	{"AUTH256-3", wire.PRF_HMAC_SHA2_256, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0"},
	{"AUTH256-3", wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"cdcb1220d1ecccea91e53aba3092f962"},
	{"AUTH256-4", wire.PRF_HMAC_SHA2_256, 0,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"372efcf9b40b35c2115b1346903d2ef42fced46f0846e7257bb156d3d7b30d3f"},
	{"AUTH256-4", wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"372efcf9b40b35c2115b1346903d2ef4"},
	{"AUTH384-1", wire.PRF_HMAC_SHA2_384, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee9737a959796489bddbc4c5df61d5b3297b4fb68dab9f1b582c2"},
	{"AUTH384-1", wire.PRF_HMAC_SHA2_384, wire.AUTH_HMAC_SHA2_384_192,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
	{"AUTH384-2", wire.PRF_HMAC_SHA2_384, 0,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"2c7353974f1842fd66d53c452ca42122b28c0b594cfb184da86a368e9b8e16f5349524ca4e82400cbde0686d403371c9"},
	{"AUTH384-2", wire.PRF_HMAC_SHA2_384, wire.AUTH_HMAC_SHA2_384_192,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
	{"AUTH384-3", wire.PRF_HMAC_SHA2_384, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"809f439be00274321d4a538652164b53554a508184a0c3160353e3428597003d35914a18770f9443987054944b7c4b4a"},
	{"AUTH384-3", wire.PRF_HMAC_SHA2_384, wire.AUTH_HMAC_SHA2_384_192,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"809f439be00274321d4a538652164b53554a508184a0c316"},
	{"AUTH384-4", wire.PRF_HMAC_SHA2_384, 0,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"5b540085c6e6358096532b2493609ed1cb298f774f87bb5c2ebf182c83cc7428707fb92eab2536a5812258228bc96687"},
	{"AUTH384-4", wire.PRF_HMAC_SHA2_384, wire.AUTH_HMAC_SHA2_384_192,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200a0b0c0d0e0f10111213141516171819",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"5b540085c6e6358096532b2493609ed1cb298f774f87bb5c"},
	{"AUTH512-1", wire.PRF_HMAC_SHA2_512, 0,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b"},
	{"AUTH512-1", wire.PRF_HMAC_SHA2_512, wire.AUTH_HMAC_SHA2_512_256,
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		"4869205468657265",
		"637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
	{"AUTH512-2", wire.PRF_HMAC_SHA2_512, 0,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b154546aa334ae9fb9afc2184932d8695e397bfa0ffb93466cfcceaae38c833b7dba38"},
	{"AUTH512-2", wire.PRF_HMAC_SHA2_512, wire.AUTH_HMAC_SHA2_512_256,
		"4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
		"7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		"cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"},
	{"AUTH512-3", wire.PRF_HMAC_SHA2_512, 0,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8623c7b55cebefccf02d5581acc1c9d5fb1ff68a1de45509fbe4da9a433922655"},
	{"AUTH512-3", wire.PRF_HMAC_SHA2_512, wire.AUTH_HMAC_SHA2_512_256,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		"2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"},
	{"AUTH512-4", wire.PRF_HMAC_SHA2_512, 0,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"5e6688e5a3daec826ca32eaea224eff5e700628947470e13ad01302561bab108b8c48cbc6b807dcfbd850521a685babc7eae4a2a2e660dc0e86b931d65503fd2"},
	{"AUTH512-4", wire.PRF_HMAC_SHA2_512, wire.AUTH_HMAC_SHA2_512_256,
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40",
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"5e6688e5a3daec826ca32eaea224eff5e700628947470e13ad01302561bab108"},
}

func TestRFC4868(t *testing.T) {
	for _, v := range rfc4868Vectors {
		if v.integ == 0 {
			p, err := LookupPRF(v.prf)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Sum(h(v.key), h(v.data)); !bytes.Equal(got, h(v.want)) {
				t.Errorf("%s %v = %x, want %s", v.case_, v.prf, got, v.want)
			}
			continue
		}
		i, err := LookupInteg(v.integ)
		if err != nil {
			t.Fatal(err)
		}
		m, err := i.New(h(v.key))
		if err != nil {
			t.Fatalf("%s: %v", v.case_, err)
		}
		m.Write(h(v.data))
		if got := m.Sum(nil); !bytes.Equal(got, h(v.want)) || len(got) != i.ICVLen {
			t.Errorf("%s %v = %x, want %s", v.case_, v.integ, got, v.want)
		}
	}
}

// RFC 3602 section 4, cases #1 to #4: AES-CBC-128 on raw blocks.
func TestRFC3602(t *testing.T) {
	e, err := LookupEncr(wire.ENCR_AES_CBC)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		name                  string
		key, iv, plain, ciphr []byte
	}{
		{"#1", h("06a9214036b8a15b512e03d534120006"), h("3dafba429d9eb430b422da802c9fac41"),
			[]byte("Single block msg"), h("e353779c1079aeb82708942dbe77181a")},
		{"#2", h("c286696d887c9aa0611bbb3e2025a45a"), h("562e17996d093d28ddb3ba695a2e6f58"),
			h("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f"),
			h("d296cd94c2cccf8a3a863028b5e1dc0a 7586602d253cfff91b8266bea6d61ab1")},
		{"#3", h("6c3ea0477630ce21a2ce334aa746c2cd"), h("c782dc4c098c66cbd9cd27d825682c81"),
			[]byte("This is a 48-byte message (exactly 3 AES blocks)"),
			h("d0a02b3836451753d493665d33f0e886 2dea54cdb293abc7506939276772f8d5 021c19216bad525c8579695d83ba2684")},
		{"#4", h("56e47a38c5598974bc46903dba290349"), h("8ce82eefbea0da3c44699ed7db51b7d9"),
			h("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf b0b1b2b3b4b5b6b7b8b9babbbcbdbebf c0c1c2c3c4c5c6c7c8c9cacbcccdcecf d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"),
			h("c30e32ffedc0774e6aff6af0869f71aa 0f3af07a9a31a9c684db207eb0ef8e4e 35907aa632c3ffdf868bb7b29d3d46ad 83ce9f9a102ee99d49a53e87f4c3da55")},
	} {
		b, err := e.NewBlock(v.key)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(v.plain))
		cipher.NewCBCEncrypter(b, v.iv).CryptBlocks(got, v.plain)
		if !bytes.Equal(got, v.ciphr) {
			t.Errorf("case %s: %x, want %x", v.name, got, v.ciphr)
		}
		cipher.NewCBCDecrypter(b, v.iv).CryptBlocks(got, got)
		if !bytes.Equal(got, v.plain) {
			t.Errorf("case %s: decrypts to %x", v.name, got)
		}
	}
}

// RFC 4434 section 2.1 (AES-XCBC-PRF-128 with 16, 10 and 18-octet keys) and
// RFC 3566 section 4.6, test cases #1 to #6 (AES-XCBC-MAC-96).
func TestXCBC(t *testing.T) {
	p, err := LookupPRF(wire.PRF_AES128_XCBC)
	if err != nil {
		t.Fatal(err)
	}
	msg := h("000102030405060708090a0b0c0d0e0f10111213")
	for _, v := range []struct{ key, want string }{
		{"000102030405060708090a0b0c0d0e0f", "47f51b4564966215b8985c63055ed308"},
		{"00010203040506070809", "0fa087af7d866e7653434e602fdde835"},
		{"000102030405060708090a0b0c0d0e0fedcb", "8cd3c93ae598a9803006ffb67c40e9e4"},
	} {
		if got := p.Sum(h(v.key), msg); !bytes.Equal(got, h(v.want)) {
			t.Errorf("RFC 4434 key %s: %x, want %s", v.key, got, v.want)
		}
	}
	in, err := LookupInteg(wire.AUTH_AES_XCBC_96)
	if err != nil {
		t.Fatal(err)
	}
	key := h("000102030405060708090a0b0c0d0e0f")
	for _, v := range []struct{ name, msg, mac string }{
		{"#1", "", "75f0251d528ac01c4573dfd584d79f29"},
		{"#2", "000102", "5b376580ae2f19afe7219ceef172756f"},
		{"#3", "000102030405060708090a0b0c0d0e0f", "d2a246fa349b68a79998a4394ff7a263"},
		{"#4", "000102030405060708090a0b0c0d0e0f10111213", "47f51b4564966215b8985c63055ed308"},
		{"#5", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "f54f0ec8d2b9f3d36807734bd5283fd4"},
		{"#6", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021", "becbb3bccdb518a30677d5481fb6b4d8"},
	} {
		m, err := in.New(key)
		if err != nil {
			t.Fatal(err)
		}
		// Write one octet at a time: the held-back last block must work.
		for _, b := range h(v.msg) {
			m.Write([]byte{b})
		}
		if got := m.Sum(nil); !bytes.Equal(got, h(v.mac)[:12]) {
			t.Errorf("RFC 3566 %s: %x, want %s", v.name, got, v.mac[:24])
		}
		if got := p.Sum(key, h(v.msg)); !bytes.Equal(got, h(v.mac)) {
			t.Errorf("RFC 3566 %s untruncated: %x, want %s", v.name, got, v.mac)
		}
	}
}

// CCM: RFC 3610 section 8, packet vectors #1 to #3 (13-octet nonce, 8-octet
// header as associated data, 8-octet tag) and NIST SP 800-38C appendix C,
// examples 1 to 3 (4, 6 and 8-octet tags; 7, 8 and 12-octet nonces).
func TestCCMVectors(t *testing.T) {
	for _, v := range []struct {
		name                       string
		key, nonce, aad, plain, ct string
		tagLen                     int
	}{
		{"RFC 3610 #1", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5", "0001020304050607",
			"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
			"588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0", 8},
		{"RFC 3610 #2", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000004030201a0a1a2a3a4a5", "0001020304050607",
			"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			"72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916", 8},
		{"RFC 3610 #3", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000005040302a0a1a2a3a4a5", "0001020304050607",
			"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
			"51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da8596574adaa76fbd9fb0c5", 8},
		{"SP 800-38C C.1", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
			"20212223", "7162015b4dac255d", 4},
		{"SP 800-38C C.2", "404142434445464748494a4b4c4d4e4f", "1011121314151617", "000102030405060708090a0b0c0d0e0f",
			"202122232425262728292a2b2c2d2e2f", "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd", 6},
		{"SP 800-38C C.3", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b", "000102030405060708090a0b0c0d0e0f10111213",
			"202122232425262728292a2b2c2d2e2f3031323334353637",
			"e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", 8},
	} {
		b, err := aes.NewCipher(h(v.key))
		if err != nil {
			t.Fatal(err)
		}
		a, err := NewCCM(b, len(h(v.nonce)), v.tagLen)
		if err != nil {
			t.Fatal(err)
		}
		got := a.Seal(nil, h(v.nonce), h(v.plain), h(v.aad))
		if !bytes.Equal(got, h(v.ct)) {
			t.Errorf("%s: Seal = %x, want %s", v.name, got, v.ct)
		}
		pt, err := a.Open(nil, h(v.nonce), h(v.ct), h(v.aad))
		if err != nil || !bytes.Equal(pt, h(v.plain)) {
			t.Errorf("%s: Open = %x, %v", v.name, pt, err)
		}
		for i := range len(h(v.ct)) {
			bad := h(v.ct)
			bad[i] ^= 0x01
			if _, err := a.Open(nil, h(v.nonce), bad, h(v.aad)); err == nil {
				t.Errorf("%s: Open accepts a flipped bit in octet %d", v.name, i)
			}
		}
		if _, err := a.Open(nil, h(v.nonce), h(v.ct), append(h(v.aad), 0)); err == nil {
			t.Errorf("%s: Open accepts other associated data", v.name)
		}
	}
}

// RFC 7634 appendix A: the ESP example, checked at the AEAD: nonce = salt |
// IV, the AAD of SPI | sequence number, ciphertext and tag.
func TestRFC7634AppendixA(t *testing.T) {
	e, err := LookupEncr(wire.ENCR_CHACHA20_POLY1305)
	if err != nil {
		t.Fatal(err)
	}
	keymat := h(`80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
	             90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f
	             a0 a1 a2 a3`)
	if n, _ := e.KeyLen(0); n != len(keymat) {
		t.Fatalf("KeyLen = %d, the KEYMAT is %d", n, len(keymat))
	}
	a, err := e.NewAEAD(keymat)
	if err != nil {
		t.Fatal(err)
	}
	iv := h("10 11 12 13 14 15 16 17")
	if got, want := a.(*saltedAEAD).nonce(iv), h("a0 a1 a2 a3 10 11 12 13 14 15 16 17"); !bytes.Equal(got, want) {
		t.Errorf("nonce %x, want %x", got, want)
	}
	plain := h(`45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05
	            c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10
	            00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13
	            14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23
	            24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33
	            34 35 36 37 01 02 02 04`)
	aad := h("01 02 03 04 00 00 00 05")
	ciphertext := h(`24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b
	                 67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef 40 7a e5 c6
	                 14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7
	                 2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac c6 38 e8 f3
	                 cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da
	                 91 65 b8 28 29 f6 41 e0`)
	tag := h("76 aa a8 26 6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43")
	got := a.Seal(nil, iv, plain, aad)
	if want := append(bytes.Clone(ciphertext), tag...); !bytes.Equal(got, want) {
		t.Errorf("Seal = %x\nwant   %x", got, want)
	}
	if pt, err := a.Open(nil, iv, got, aad); err != nil || !bytes.Equal(pt, plain) {
		t.Errorf("Open = %x, %v", pt, err)
	}
}

// RFC 7634 appendix B: the IKEv2 INFORMATIONAL request with one Notify
// (SET_WINDOW_SIZE 10), sealed with key 0x80..0x9f, salt a0a1a2a3 and IV
// 1011121314151617, must give the RFC's "IKE Message" octet for octet, and
// opening that message must give the Notify payload back.
func TestRFC7634AppendixB(t *testing.T) {
	suite, err := NewSuite(wire.ENCR_CHACHA20_POLY1305, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE)
	if err != nil {
		t.Fatal(err)
	}
	key := h(`80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
	          90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2 a3`)
	sk, err := NewSK(suite, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	notify := h("00 00 00 0c 00 00 40 01 00 00 00 0a")
	aad := h(`c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7
	          2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29`)
	message := h(`c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7
	              2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29
	              10 11 12 13 14 15 16 17 61 03 94 70 1f 8d 01 7f
	              7c 12 92 48 89 6b 71 bf e2 52 36 ef d7 cd c6 70
	              66 90 63 15 b2`)

	// The AAD is the IKE header and the SK payload header; build it from
	// the example's fields with impl/wire and the computed lengths.
	total := wire.HeaderLen + wire.GenericHeaderLen + len(notify) + sk.Overhead(len(notify))
	hdr := wire.Header{SPIi: 0xc0c1c2c3c4c5c6c7, SPIr: 0xd0d1d2d3d4d5d6d7, Major: 2, Minor: 0,
		Exchange: wire.INFORMATIONAL, MessageID: 9}
	prefix := hdr.Append(nil, wire.PayloadSK, total)
	prefix = append(prefix, byte(wire.PayloadNotify), 0, 0, byte(total-wire.HeaderLen))
	if !bytes.Equal(prefix, aad) {
		t.Fatalf("prefix %x, want the RFC's AAD %x", prefix, aad)
	}
	got, err := sk.Seal(prefix, notify, bytes.NewReader(h("10 11 12 13 14 15 16 17")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, message) {
		t.Errorf("Seal:\n got %x\nwant %x", got, message)
	}
	pt, err := sk.Open(message, wire.HeaderLen)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pt, notify) {
		t.Errorf("Open = %x, want %x", pt, notify)
	}
}
