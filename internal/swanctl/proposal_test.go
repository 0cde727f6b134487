package swanctl

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// TestEncryptionKeywords checks every encryption keyword in an IKE proposal
// (where the registry allows it) and in an ESP proposal.
func TestEncryptionKeywords(t *testing.T) {
	want := map[string]ike.EncrAlg{"chacha20poly1305": {ID: wire.ENCR_CHACHA20_POLY1305}}
	for _, bits := range []uint16{128, 192, 256} {
		for suffix, id := range map[string]wire.EncrID{
			"":     wire.ENCR_AES_CBC,
			"gcm8": wire.ENCR_AES_GCM_8, "gcm64": wire.ENCR_AES_GCM_8,
			"gcm12": wire.ENCR_AES_GCM_12, "gcm96": wire.ENCR_AES_GCM_12,
			"gcm16": wire.ENCR_AES_GCM_16, "gcm128": wire.ENCR_AES_GCM_16, "gcm": wire.ENCR_AES_GCM_16,
			"ccm8": wire.ENCR_AES_CCM_8, "ccm64": wire.ENCR_AES_CCM_8,
			"ccm12": wire.ENCR_AES_CCM_12, "ccm96": wire.ENCR_AES_CCM_12,
			"ccm16": wire.ENCR_AES_CCM_16, "ccm128": wire.ENCR_AES_CCM_16, "ccm": wire.ENCR_AES_CCM_16,
		} {
			want[fmt.Sprintf("aes%d%s", bits, suffix)] = ike.EncrAlg{ID: id, KeyBits: bits}
		}
	}
	for kw, e := range want {
		aead := e.ID != wire.ENCR_AES_CBC
		t.Run(kw, func(t *testing.T) {
			ikeProp, espProp := kw+"-sha256-x25519", kw+"-sha256"
			wantIKE := ike.Proposal{Encr: []ike.EncrAlg{e}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256},
				Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, KE: []wire.KEID{wire.CURVE25519}}
			wantESP := ike.Proposal{Encr: []ike.EncrAlg{e}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}}
			if aead {
				ikeProp, espProp = kw+"-prfsha256-x25519", kw
				wantIKE.Integ, wantESP.Integ = nil, nil
			}
			if e.ID == wire.ENCR_AES_GCM_12 || e.ID == wire.ENCR_AES_CCM_12 {
				// RFC 5282 section 7.2: 12-octet ICVs are NOT RECOMMENDED
				// for IKE; RFC 8221 leaves them at MAY for ESP.
				_, err := parseProposal(ikeProp, false)
				if err == nil || !strings.Contains(err.Error(), "is refused for IKE: RFC 5282 section 7.2: NOT RECOMMENDED") {
					t.Errorf("IKE %s: got %v, want a refusal", ikeProp, err)
				}
			} else {
				checkProposal(t, ikeProp, false, wantIKE)
			}
			checkProposal(t, espProp, true, wantESP)
		})
	}
}

func checkProposal(t *testing.T, s string, esp bool, want ike.Proposal) {
	t.Helper()
	got, err := parseProposal(s, esp)
	if err != nil {
		t.Errorf("%s (esp %v): %v", s, esp, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s (esp %v):\n got %+v\nwant %+v", s, esp, got, want)
	}
}

func TestProposalKeywords(t *testing.T) {
	cbc128 := []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 128}}
	gcm := []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}
	for _, tc := range []struct {
		proposal string
		esp      bool
		want     ike.Proposal
	}{
		// Integrity, and the PRF strongSwan derives from it for IKE.
		{"aes128-sha1-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha256-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha2_256-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha384-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_384_192}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_384}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha2_384-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_384_192}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_384}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha512-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_512_256}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_512}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha2_512-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_512_256}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_512}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-aesxcbc-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_AES_XCBC_96}, PRF: []wire.PRFID{wire.PRF_AES128_XCBC}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128-sha1", true, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96}}},
		{"aes128-sha384", true, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_384_192}}},
		{"aes128-sha512", true, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_512_256}}},
		{"aes128-aesxcbc", true, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_AES_XCBC_96}}},
		// An explicit PRF replaces the derived ones.
		{"aes128-sha256-prfsha512-modp2048", false, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_512}, KE: []wire.KEID{wire.MODP_2048}}},
		// PRFs.
		{"aes128gcm16-prfsha1-modp2048", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128gcm16-prfsha256-modp2048", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128gcm16-prfsha384-modp2048", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_384}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128gcm16-prfsha512-modp2048", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_512}, KE: []wire.KEID{wire.MODP_2048}}},
		{"aes128gcm16-prfaesxcbc-modp2048", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_AES128_XCBC}, KE: []wire.KEID{wire.MODP_2048}}},
		// Key exchange methods, in IKE and as PFS in ESP.
		{"aes128gcm16-prfsha256-modp3072", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.MODP_3072}}},
		{"aes128gcm16-prfsha256-modp4096", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.MODP_4096}}},
		{"aes128gcm16-prfsha256-ecp256", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.ECP_256}}},
		{"aes128gcm16-prfsha256-ecp384", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.ECP_384}}},
		{"aes128gcm16-prfsha256-ecp521", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.ECP_521}}},
		{"aes128gcm16-prfsha256-x25519", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.CURVE25519}}},
		{"aes128gcm16-prfsha256-curve25519", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.CURVE25519}}},
		{"aes128gcm16-prfsha256-mlkem768", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.ML_KEM_768}}},
		{"aes128gcm16-prfsha256-mlkem1024", false, ike.Proposal{Encr: gcm, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.ML_KEM_1024}}},
		{"aes128gcm16-ecp256", true, ike.Proposal{Encr: gcm, KE: []wire.KEID{wire.ECP_256}}},
		{"aes128-sha256-modp2048-x25519", true, ike.Proposal{Encr: cbc128, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, KE: []wire.KEID{wire.MODP_2048, wire.CURVE25519}}},
		// ESN.
		{"aes128gcm16", true, ike.Proposal{Encr: gcm}},
		{"aes128gcm16-esn", true, ike.Proposal{Encr: gcm, ESN: []wire.ESNID{wire.ESN}}},
		{"aes128gcm16-noesn", true, ike.Proposal{Encr: gcm, ESN: []wire.ESNID{wire.NoESN}}},
		{"aes128gcm16-esn-noesn", true, ike.Proposal{Encr: gcm, ESN: []wire.ESNID{wire.ESN, wire.NoESN}}},
		// ESP with integrity only protection (RFC 8221 section 5: ENCR_NULL MUST).
		{"null-sha256", true, ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_NULL}}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}}},
		// Several transforms of a type, in order; case does not matter.
		{"AES256-aes128-SHA256-sha1-ECP256-modp2048", false, ike.Proposal{
			Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}, {ID: wire.ENCR_AES_CBC, KeyBits: 128}},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128, wire.AUTH_HMAC_SHA1_96},
			PRF:   []wire.PRFID{wire.PRF_HMAC_SHA2_256, wire.PRF_HMAC_SHA1},
			KE:    []wire.KEID{wire.ECP_256, wire.MODP_2048}}},
	} {
		checkProposal(t, tc.proposal, tc.esp, tc.want)
	}
}

func TestProposalLists(t *testing.T) {
	got, err := parseProposals(" aes256-sha256-ecp256 ,aes128gcm16-prfsha256-x25519,", false)
	if err != nil || len(got) != 2 || got[0].Encr[0].KeyBits != 256 || got[1].Encr[0].ID != wire.ENCR_AES_GCM_16 {
		t.Errorf("got %+v, %v", got, err)
	}
	// "default" expands in place.
	def, err := parseProposals("default", false)
	if err != nil || len(def) != 2 {
		t.Fatalf("default: %+v, %v", def, err)
	}
	got, err = parseProposals("aes256-sha1-modp2048, default", false)
	if err != nil || len(got) != 3 || !reflect.DeepEqual(got[1:], def) {
		t.Errorf("got %+v, %v", got, err)
	}
	esp, err := parseProposals("default", true)
	want := []ike.Proposal{
		{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}},
		{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 128}}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}},
	}
	if err != nil || !reflect.DeepEqual(esp, want) {
		t.Errorf("ESP default: %+v, %v", esp, err)
	}
	// The IKE default: RFC 8247's MUST and SHOULD algorithms, no SHA-1.
	for _, p := range def {
		for _, f := range p.PRF {
			if f == wire.PRF_HMAC_SHA1 {
				t.Errorf("default IKE proposal %+v has SHA-1", p)
			}
		}
		if p.KE[0] != wire.CURVE25519 || p.KE[len(p.KE)-1] != wire.MODP_2048 {
			t.Errorf("default IKE proposal %+v: groups", p)
		}
	}
	for _, s := range []string{"", " , ,"} {
		if _, err := parseProposals(s, false); err == nil || err.Error() != "no proposal" {
			t.Errorf("%q: got %v", s, err)
		}
	}
}

func TestRefusedProposals(t *testing.T) {
	for _, tc := range []struct {
		proposal string
		esp      bool
		want     string
	}{
		// Transforms the registry holds but does not negotiate.
		{"3des-sha256-modp2048", false, `"3des" (ENCR_3DES) is refused for IKE: RFC 8247 section 2.1: MAY (implemented only to decrypt recorded traffic;`},
		{"3des-sha256", true, `"3des" (ENCR_3DES) is refused for ESP: RFC 8221 section 5: SHOULD NOT`},
		{"null-sha256-modp2048", false, `"null" (ENCR_NULL) is refused for IKE: RFC 8247 section 2.1; RFC 7296 section 5: MUST NOT`},
		{"aes128ccm12-prfsha256-modp2048", false, `"aes128ccm12" (ENCR_AES_CCM_12-128) is refused for IKE: RFC 5282 section 7.2: NOT RECOMMENDED`},
		// Transforms RFC 8247 and RFC 8221 rule out, which the registry
		// does not hold.
		{"des-sha256-modp2048", false, `"des" (ENCR_DES) is refused: RFC 8247 section 2.1: MUST NOT`},
		{"des-sha256", true, `"des" (ENCR_DES) is refused: RFC 8221 section 5: MUST NOT`},
		{"aes128-md5-modp2048", false, `"md5" (AUTH_HMAC_MD5_96) is refused: RFC 8247 section 2.3: MUST NOT`},
		{"aes128-md5", true, `"md5" (AUTH_HMAC_MD5_96) is refused: RFC 8221 section 6: MUST NOT`},
		{"aes128-sha256-prfmd5-modp2048", false, `"prfmd5" (PRF_HMAC_MD5) is refused: RFC 8247 section 2.2: MUST NOT`},
		{"aes128-sha256-modp768", false, `"modp768" (MODP_768) is refused: RFC 8247 section 2.4: MUST NOT`},
		{"aes128-sha256-modp1024", false, `"modp1024" (MODP_1024) is refused: RFC 8247 section 2.4: SHOULD NOT`},
		{"aes128-sha256-modp1536", false, `"modp1536" (MODP_1536) is refused: RFC 8247 section 2.4: SHOULD NOT`},
		{"aes128-sha256-modp1024s160", false, `"modp1024s160" (MODP_1024_S160) is refused: RFC 8247 section 2.4: MUST NOT`},
		{"aes128-sha256-modp2048s256", false, `"modp2048s256" (MODP_2048_S256) is refused: RFC 8247 section 2.4: SHOULD NOT`},
		{"aes128gcm16-modp1024", true, `"modp1024" (MODP_1024) is refused: RFC 8247 section 2.4: SHOULD NOT`},
		// strongSwan keywords ikev2ref does not implement.
		{"camellia128-sha256-modp2048", false, `"camellia128" (ENCR_CAMELLIA_CBC-128) is not implemented by ikev2ref`},
		{"aes128ctr-sha256", true, `"aes128ctr" (ENCR_AES_CTR-128) is not implemented by ikev2ref`},
		{"aes128-aescmac-modp2048", false, `"aescmac" (AUTH_AES_CMAC_96) is not implemented by ikev2ref`},
		{"aes128gcm16-prfsha256-curve448", false, `"curve448" (CURVE_448) is not implemented by ikev2ref`},
		{"aes128gcm16-prfsha256-mlkem512", false, `"mlkem512" (ML_KEM_512) is not implemented by ikev2ref`},
		// Unknown words.
		{"aes512-sha256-modp2048", false, `unknown keyword "aes512" (did you mean "aes128"?)`},
		{"rot13-sha256-modp2048", false, `unknown keyword "rot13"`},
		{"aes128--sha256-modp2048", false, `empty keyword`},
		// The shape of a proposal.
		{"aes128gcm16-sha256-prfsha256-x25519", false, `"aes128gcm16" is AEAD and takes no integrity algorithm, got AUTH_HMAC_SHA2_256_128 (RFC 5282 section 8)`},
		{"chacha20poly1305-sha256", true, `"chacha20poly1305" is AEAD and takes no integrity algorithm, got AUTH_HMAC_SHA2_256_128 (RFC 5282 section 8)`},
		{"aes128gcm16-aes128-sha256-modp2048", false, `"aes128gcm16" is AEAD and "aes128" is not: write them as separate proposals (RFC 5282 section 8)`},
		{"aes128-prfsha256-modp2048", false, `"aes128" needs an integrity algorithm (RFC 8247 section 2.1, RFC 8221 section 6)`},
		{"aes128", true, `"aes128" needs an integrity algorithm (RFC 8247 section 2.1, RFC 8221 section 6)`},
		{"null", true, `"null" needs an integrity algorithm (RFC 8247 section 2.1, RFC 8221 section 6)`},
		{"aes128gcm16-modp2048", false, `an IKE proposal needs a PRF (RFC 7296 section 3.3.3): add one, for example prfsha256`},
		{"aes128-sha256", false, `an IKE proposal needs a key exchange method (RFC 7296 section 3.3.3): add one, for example x25519 or modp2048`},
		{"sha256-modp2048", false, `an IKE proposal needs an encryption algorithm (RFC 7296 section 3.3.3)`},
		{"sha256", true, `an ESP proposal needs an encryption algorithm (RFC 7296 section 3.3.3)`},
		{"aes128-sha256-prfsha256", true, `"prfsha256": an ESP proposal has no PRF (RFC 7296 section 3.3.3)`},
		{"aes128-sha256-modp2048-esn", false, `"esn": extended sequence numbers belong to ESP proposals (RFC 7296 section 3.3.3)`},
		{"aes128gcm-aes128gcm16-prfsha256-x25519", false, `"aes128gcm16" repeats "aes128gcm" (ENCR_AES_GCM_16-128)`},
		{"aes128-sha1-sha-modp2048", false, `"sha" repeats "sha1" (AUTH_HMAC_SHA1_96)`},
	} {
		_, err := parseProposal(tc.proposal, tc.esp)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s (esp %v):\n got %v\nwant %s", tc.proposal, tc.esp, err, tc.want)
		}
	}
}

// TestKeywordTableNegotiable checks that the keyword table and the registry
// agree: every keyword either parses in some proposal or is refused with a
// reason, never with another error.
func TestKeywordTableNegotiable(t *testing.T) {
	for w, k := range keywords {
		for _, esp := range []bool{false, true} {
			err := refuse(w, k, esp)
			if err == nil {
				continue
			}
			if s := err.Error(); !strings.Contains(s, "is refused") && !strings.Contains(s, "is not implemented") {
				t.Errorf("%s (esp %v): %v", w, esp, err)
			}
		}
	}
}
