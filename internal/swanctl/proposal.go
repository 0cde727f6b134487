package swanctl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// This file reads strongSwan's proposal notation: keywords joined by "-"
// form one proposal ("aes256-sha256-ecp256"), proposals are separated by
// commas, and "default" stands for the default list. Each keyword adds one
// transform; several of one type are alternatives in order of preference
// (RFC 7296 section 3.3: a proposal "MAY contain multiple transforms").

// defaultIKE is the "default" IKE proposal list: the MUST and SHOULD
// algorithms of RFC 8247 sections 2.1-2.4 (AES-GCM-16 and ChaCha20-Poly1305
// as AEAD, AES-CBC with HMAC-SHA2; PRF_HMAC_SHA2_256 and stronger; groups
// 19 and 14) with Curve25519 (RFC 8031) first and the 384-bit ECP and
// 3072-bit MODP groups as stronger options. SHA-1 (MUST-) is left out: a
// peer that needs it is configured explicitly.
const defaultIKE = "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp3072-modp2048, " +
	"aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072-modp2048"

// defaultESP is the "default" ESP proposal list: AES-GCM-16 (RFC 8221
// section 5: MUST), then AES-CBC with HMAC-SHA2-256-128 (both MUST, RFC 8221
// sections 5 and 6), no PFS, 32-bit sequence numbers.
const defaultESP = "aes128gcm16, aes128-sha256"

type kwKind uint8

const (
	kwEncr kwKind = iota + 1
	kwInteg
	kwPRF
	kwKE
	kwESN
)

// keyword is one transform named in strongSwan's notation.
type keyword struct {
	kind  kwKind
	encr  ike.EncrAlg
	integ wire.IntegID
	prf   wire.PRFID
	ke    wire.KEID
	esn   wire.ESNID
}

func (k keyword) String() string {
	switch k.kind {
	case kwEncr:
		if k.encr.KeyBits != 0 {
			return fmt.Sprintf("%v-%d", k.encr.ID, k.encr.KeyBits)
		}
		return k.encr.ID.String()
	case kwInteg:
		return k.integ.String()
	case kwPRF:
		return k.prf.String()
	case kwKE:
		return k.ke.String()
	}
	return k.esn.String()
}

// keywords maps strongSwan's proposal keywords (proposal_keywords_static.txt)
// to transforms. It holds the ones ikev2ref negotiates and, so that they are
// refused with a reason rather than as unknown words, the ones it does not.
var keywords = func() map[string]keyword {
	m := map[string]keyword{}
	encr := func(name string, id wire.EncrID, bits uint16) {
		m[name] = keyword{kind: kwEncr, encr: ike.EncrAlg{ID: id, KeyBits: bits}}
	}
	for _, bits := range []uint16{128, 192, 256} {
		p := fmt.Sprintf("aes%d", bits)
		encr(p, wire.ENCR_AES_CBC, bits)
		encr(p+"ctr", wire.ENCR_AES_CTR, bits)
		for _, mode := range []struct {
			name            string
			id8, id12, id16 wire.EncrID
		}{
			{"gcm", wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12, wire.ENCR_AES_GCM_16},
			{"ccm", wire.ENCR_AES_CCM_8, wire.ENCR_AES_CCM_12, wire.ENCR_AES_CCM_16},
		} {
			// The ICV length in octets, or in bits as strongSwan also
			// accepts; no suffix means 16 octets.
			encr(p+mode.name+"8", mode.id8, bits)
			encr(p+mode.name+"64", mode.id8, bits)
			encr(p+mode.name+"12", mode.id12, bits)
			encr(p+mode.name+"96", mode.id12, bits)
			encr(p+mode.name+"16", mode.id16, bits)
			encr(p+mode.name+"128", mode.id16, bits)
			encr(p+mode.name, mode.id16, bits)
		}
		encr(fmt.Sprintf("camellia%d", bits), wire.ENCR_CAMELLIA_CBC, bits)
	}
	encr("chacha20poly1305", wire.ENCR_CHACHA20_POLY1305, 0)
	encr("null", wire.ENCR_NULL, 0)
	encr("3des", wire.ENCR_3DES, 0)
	encr("des", wire.ENCR_DES, 0)
	encr("cast128", wire.ENCR_CAST, 128)
	encr("blowfish", wire.ENCR_BLOWFISH, 128)

	add := func(k keyword, names ...string) {
		for _, n := range names {
			m[n] = k
		}
	}
	integ := func(id wire.IntegID) keyword { return keyword{kind: kwInteg, integ: id} }
	add(integ(wire.AUTH_HMAC_SHA1_96), "sha1", "sha")
	add(integ(wire.AUTH_HMAC_SHA2_256_128), "sha256", "sha2_256")
	add(integ(wire.AUTH_HMAC_SHA2_384_192), "sha384", "sha2_384")
	add(integ(wire.AUTH_HMAC_SHA2_512_256), "sha512", "sha2_512")
	add(integ(wire.AUTH_AES_XCBC_96), "aesxcbc")
	add(integ(wire.AUTH_AES_CMAC_96), "aescmac")
	add(integ(wire.AUTH_HMAC_MD5_96), "md5")
	add(integ(wire.AUTH_HMAC_MD5_128), "md5_128")
	add(integ(wire.AUTH_HMAC_SHA1_160), "sha1_160")

	prf := func(id wire.PRFID) keyword { return keyword{kind: kwPRF, prf: id} }
	add(prf(wire.PRF_HMAC_SHA1), "prfsha1")
	add(prf(wire.PRF_HMAC_SHA2_256), "prfsha256")
	add(prf(wire.PRF_HMAC_SHA2_384), "prfsha384")
	add(prf(wire.PRF_HMAC_SHA2_512), "prfsha512")
	add(prf(wire.PRF_AES128_XCBC), "prfaesxcbc")
	add(prf(wire.PRF_AES128_CMAC), "prfaescmac")
	add(prf(wire.PRF_HMAC_MD5), "prfmd5")

	ke := func(id wire.KEID) keyword { return keyword{kind: kwKE, ke: id} }
	add(ke(wire.MODP_2048), "modp2048")
	add(ke(wire.MODP_3072), "modp3072")
	add(ke(wire.MODP_4096), "modp4096")
	add(ke(wire.ECP_256), "ecp256")
	add(ke(wire.ECP_384), "ecp384")
	add(ke(wire.ECP_521), "ecp521")
	add(ke(wire.CURVE25519), "x25519", "curve25519")
	add(ke(wire.ML_KEM_768), "mlkem768")
	add(ke(wire.ML_KEM_1024), "mlkem1024")
	add(ke(wire.MODP_768), "modp768")
	add(ke(wire.MODP_1024), "modp1024")
	add(ke(wire.MODP_1536), "modp1536")
	add(ke(wire.MODP_6144), "modp6144")
	add(ke(wire.MODP_8192), "modp8192")
	add(ke(wire.MODP_1024_S160), "modp1024s160")
	add(ke(wire.MODP_2048_S224), "modp2048s224")
	add(ke(wire.MODP_2048_S256), "modp2048s256")
	add(ke(wire.ECP_192), "ecp192")
	add(ke(wire.ECP_224), "ecp224")
	add(ke(wire.CURVE448), "x448", "curve448")
	add(ke(wire.ML_KEM_512), "mlkem512")

	m["esn"] = keyword{kind: kwESN, esn: wire.ESN}
	m["noesn"] = keyword{kind: kwESN, esn: wire.NoESN}
	return m
}()

// integPRF is the PRF strongSwan takes for an IKE proposal that names an
// integrity algorithm but no PRF.
var integPRF = map[wire.IntegID]wire.PRFID{
	wire.AUTH_HMAC_SHA1_96:      wire.PRF_HMAC_SHA1,
	wire.AUTH_HMAC_SHA2_256_128: wire.PRF_HMAC_SHA2_256,
	wire.AUTH_HMAC_SHA2_384_192: wire.PRF_HMAC_SHA2_384,
	wire.AUTH_HMAC_SHA2_512_256: wire.PRF_HMAC_SHA2_512,
	wire.AUTH_AES_XCBC_96:       wire.PRF_AES128_XCBC,
}

// forbidden gives the RFC 8247 (IKE) and RFC 8221 (ESP) level of the
// transforms that the registry does not hold because those RFCs rule them
// out; the registry's Requirement speaks for the others.
var forbidden = map[keyword]struct{ ike, esp string }{
	{kind: kwEncr, encr: ike.EncrAlg{ID: wire.ENCR_DES}}: {"RFC 8247 section 2.1: MUST NOT", "RFC 8221 section 5: MUST NOT"},
	{kind: kwInteg, integ: wire.AUTH_HMAC_MD5_96}:        {"RFC 8247 section 2.3: MUST NOT", "RFC 8221 section 6: MUST NOT"},
	{kind: kwPRF, prf: wire.PRF_HMAC_MD5}:                {"RFC 8247 section 2.2: MUST NOT", ""},
	{kind: kwKE, ke: wire.MODP_768}:                      {"RFC 8247 section 2.4: MUST NOT", ""},
	{kind: kwKE, ke: wire.MODP_1024}:                     {"RFC 8247 section 2.4: SHOULD NOT", ""},
	{kind: kwKE, ke: wire.MODP_1536}:                     {"RFC 8247 section 2.4: SHOULD NOT", ""},
	{kind: kwKE, ke: wire.MODP_1024_S160}:                {"RFC 8247 section 2.4: MUST NOT", ""},
	{kind: kwKE, ke: wire.MODP_2048_S224}:                {"RFC 8247 section 2.4: SHOULD NOT", ""},
	{kind: kwKE, ke: wire.MODP_2048_S256}:                {"RFC 8247 section 2.4: SHOULD NOT", ""},
}

// requirement returns the registry's requirement for k in IKE or ESP.
func requirement(k keyword, esp bool) (crypto.Requirement, error) {
	switch k.kind {
	case kwEncr:
		e, err := crypto.LookupEncr(k.encr.ID)
		if err != nil {
			return crypto.Requirement{}, err
		}
		if esp {
			return e.ESP, nil
		}
		return e.IKE, nil
	case kwInteg:
		i, err := crypto.LookupInteg(k.integ)
		if err != nil {
			return crypto.Requirement{}, err
		}
		if esp {
			return i.ESP, nil
		}
		return i.IKE, nil
	case kwPRF:
		p, err := crypto.LookupPRF(k.prf)
		if err != nil {
			return crypto.Requirement{}, err
		}
		return p.IKE, nil
	case kwKE:
		// Also for PFS in ESP proposals: RFC 8247 section 2.4 rates the
		// groups for both (RFC 8221 has no table of its own).
		g, err := crypto.LookupKE(k.ke)
		if err != nil {
			return crypto.Requirement{}, err
		}
		return g.IKE, nil
	}
	return crypto.Requirement{Level: "MUST", Negotiable: true}, nil
}

// refuse explains why keyword w may not be negotiated, or returns nil.
func refuse(w string, k keyword, esp bool) error {
	proto := "IKE"
	if esp {
		proto = "ESP"
	}
	r, err := requirement(k, esp)
	if errors.Is(err, crypto.ErrUnsupported) {
		if f, ok := forbidden[k]; ok {
			why := f.ike
			if esp && f.esp != "" {
				why = f.esp
			}
			return fmt.Errorf("%q (%v) is refused: %s", w, k, why)
		}
		return fmt.Errorf("%q (%v) is not implemented by ikev2ref", w, k)
	}
	if err != nil {
		return err
	}
	if !r.Negotiable {
		why := r.Source + ": " + r.Level
		if r.Note != "" {
			why += " (" + r.Note + ")"
		}
		return fmt.Errorf("%q (%v) is refused for %s: %s", w, k, proto, why)
	}
	if k.kind == kwEncr {
		// Key lengths come from the table, but keep the registry the judge.
		e, _ := crypto.LookupEncr(k.encr.ID)
		if _, err := e.KeyLen(int(k.encr.KeyBits)); err != nil {
			return fmt.Errorf("%q: %w", w, err)
		}
	}
	return nil
}

// parseProposals reads a comma-separated list of proposals for IKE or, with
// esp set, for ESP Child SAs.
func parseProposals(v string, esp bool) ([]ike.Proposal, error) {
	var out []ike.Proposal
	for _, item := range splitList(v) {
		if strings.EqualFold(item, "default") {
			d := defaultIKE
			if esp {
				d = defaultESP
			}
			ps, err := parseProposals(d, esp)
			if err != nil {
				return nil, fmt.Errorf("default proposals: %w", err)
			}
			out = append(out, ps...)
			continue
		}
		p, err := parseProposal(item, esp)
		if err != nil {
			return nil, fmt.Errorf("proposal %q: %w", item, err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no proposal")
	}
	return out, nil
}

// parseProposal reads one proposal: keywords joined by "-".
func parseProposal(s string, esp bool) (ike.Proposal, error) {
	var p ike.Proposal
	var aead, classic string // the first keyword of each kind of cipher
	seen := map[keyword]string{}
	for _, w := range strings.Split(s, "-") {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" {
			return p, errors.New("empty keyword")
		}
		k, ok := keywords[w]
		if !ok {
			return p, fmt.Errorf("unknown keyword %q%s", w, suggest(w, keywordNames()))
		}
		if prev, dup := seen[k]; dup {
			return p, fmt.Errorf("%q repeats %q (%v)", w, prev, k)
		}
		seen[k] = w
		if err := refuse(w, k, esp); err != nil {
			return p, err
		}
		switch k.kind {
		case kwEncr:
			e, _ := crypto.LookupEncr(k.encr.ID)
			if e.IsAEAD() {
				if aead == "" {
					aead = w
				}
			} else if classic == "" {
				classic = w
			}
			p.Encr = append(p.Encr, k.encr)
		case kwInteg:
			p.Integ = append(p.Integ, k.integ)
		case kwPRF:
			if esp {
				return p, fmt.Errorf("%q: an ESP proposal has no PRF (RFC 7296 section 3.3.3)", w)
			}
			p.PRF = append(p.PRF, k.prf)
		case kwKE:
			p.KE = append(p.KE, k.ke)
		case kwESN:
			if !esp {
				return p, fmt.Errorf("%q: extended sequence numbers belong to ESP proposals (RFC 7296 section 3.3.3)", w)
			}
			p.ESN = append(p.ESN, k.esn)
		}
	}
	proto := "an IKE"
	if esp {
		proto = "an ESP"
	}
	switch {
	case len(p.Encr) == 0:
		return p, fmt.Errorf("%s proposal needs an encryption algorithm (RFC 7296 section 3.3.3)", proto)
	case aead != "" && classic != "":
		return p, fmt.Errorf("%q is AEAD and %q is not: write them as separate proposals (RFC 5282 section 8)", aead, classic)
	case aead != "" && len(p.Integ) > 0:
		// RFC5282-8-1: with an authenticated encryption algorithm "an
		// integrity algorithm MUST NOT be selected".
		return p, fmt.Errorf("%q is AEAD and takes no integrity algorithm, got %v (RFC 5282 section 8)", aead, p.Integ[0])
	case classic != "" && len(p.Integ) == 0:
		// RFC 8247 section 2.1, RFC8221-6-1: a non-AEAD cipher needs an
		// integrity algorithm.
		return p, fmt.Errorf("%q needs an integrity algorithm (RFC 8247 section 2.1, RFC 8221 section 6)", classic)
	}
	if esp {
		return p, nil
	}
	if len(p.PRF) == 0 {
		// As strongSwan does: the PRF that goes with each integrity algorithm.
		for _, i := range p.Integ {
			if f, ok := integPRF[i]; ok && !containsPRF(p.PRF, f) {
				p.PRF = append(p.PRF, f)
			}
		}
		if len(p.PRF) == 0 {
			return p, errors.New("an IKE proposal needs a PRF (RFC 7296 section 3.3.3): add one, for example prfsha256")
		}
	}
	if len(p.KE) == 0 {
		return p, errors.New("an IKE proposal needs a key exchange method (RFC 7296 section 3.3.3): add one, for example x25519 or modp2048")
	}
	return p, checkSuites(p)
}

func containsPRF(l []wire.PRFID, f wire.PRFID) bool {
	for _, x := range l {
		if x == f {
			return true
		}
	}
	return false
}

// checkSuites asks the crypto package whether every suite the IKE proposal
// allows fits together and may be negotiated: a backstop for the checks
// above.
func checkSuites(p ike.Proposal) error {
	integs := p.Integ
	if len(integs) == 0 {
		integs = []wire.IntegID{wire.AUTH_NONE}
	}
	for _, e := range p.Encr {
		for _, i := range integs {
			for _, f := range p.PRF {
				for _, k := range p.KE {
					s, err := crypto.NewSuite(e.ID, int(e.KeyBits), f, i, k)
					if err == nil {
						err = s.Negotiable()
					}
					if err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func keywordNames() []string {
	names := make([]string, 0, len(keywords)+1)
	for n := range keywords {
		names = append(names, n)
	}
	return append(names, "default")
}
