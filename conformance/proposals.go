package conformance

import (
	"fmt"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// This file reads strongSwan's proposal notation ("aes256-sha256-ecp256",
// "aes128gcm16-prfsha256-x25519", "aes128gcm16", "aes256-sha256-modp2048"
// for ESP with PFS) into SA payload proposals. It is the tester's own small
// parser: internal/swanctl depends on the engine, which the suite must not
// import. It encodes what it is told without judging it (a tester must be
// able to offer 3DES or MODP-1024), so every keyword strongSwan documents
// for the transforms below is accepted.

type propKeyword struct {
	typ  wire.TransformType
	id   uint16
	bits uint16
}

var propKeywords = func() map[string]propKeyword {
	m := map[string]propKeyword{}
	encr := func(name string, id wire.EncrID, bits uint16) {
		m[name] = propKeyword{wire.TransformENCR, uint16(id), bits}
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

	add := func(k propKeyword, names ...string) {
		for _, n := range names {
			m[n] = k
		}
	}
	integ := func(id wire.IntegID) propKeyword { return propKeyword{wire.TransformINTEG, uint16(id), 0} }
	add(integ(wire.AUTH_HMAC_SHA1_96), "sha1", "sha")
	add(integ(wire.AUTH_HMAC_SHA2_256_128), "sha256", "sha2_256")
	add(integ(wire.AUTH_HMAC_SHA2_384_192), "sha384", "sha2_384")
	add(integ(wire.AUTH_HMAC_SHA2_512_256), "sha512", "sha2_512")
	add(integ(wire.AUTH_AES_XCBC_96), "aesxcbc")
	add(integ(wire.AUTH_AES_CMAC_96), "aescmac")
	add(integ(wire.AUTH_HMAC_MD5_96), "md5")
	add(integ(wire.AUTH_HMAC_MD5_128), "md5_128")
	add(integ(wire.AUTH_HMAC_SHA1_160), "sha1_160")

	prf := func(id wire.PRFID) propKeyword { return propKeyword{wire.TransformPRF, uint16(id), 0} }
	add(prf(wire.PRF_HMAC_SHA1), "prfsha1")
	add(prf(wire.PRF_HMAC_SHA2_256), "prfsha256")
	add(prf(wire.PRF_HMAC_SHA2_384), "prfsha384")
	add(prf(wire.PRF_HMAC_SHA2_512), "prfsha512")
	add(prf(wire.PRF_AES128_XCBC), "prfaesxcbc")
	add(prf(wire.PRF_AES128_CMAC), "prfaescmac")
	add(prf(wire.PRF_HMAC_MD5), "prfmd5")

	ke := func(id wire.KEID) propKeyword { return propKeyword{wire.TransformKE, uint16(id), 0} }
	add(ke(wire.MODP_768), "modp768")
	add(ke(wire.MODP_1024), "modp1024")
	add(ke(wire.MODP_1536), "modp1536")
	add(ke(wire.MODP_2048), "modp2048")
	add(ke(wire.MODP_3072), "modp3072")
	add(ke(wire.MODP_4096), "modp4096")
	add(ke(wire.MODP_6144), "modp6144")
	add(ke(wire.MODP_8192), "modp8192")
	add(ke(wire.MODP_1024_S160), "modp1024s160")
	add(ke(wire.MODP_2048_S224), "modp2048s224")
	add(ke(wire.MODP_2048_S256), "modp2048s256")
	add(ke(wire.ECP_192), "ecp192")
	add(ke(wire.ECP_224), "ecp224")
	add(ke(wire.ECP_256), "ecp256")
	add(ke(wire.ECP_384), "ecp384")
	add(ke(wire.ECP_521), "ecp521")
	add(ke(wire.CURVE25519), "x25519", "curve25519")
	add(ke(wire.CURVE448), "x448", "curve448")
	add(ke(wire.ML_KEM_512), "mlkem512")
	add(ke(wire.ML_KEM_768), "mlkem768")
	add(ke(wire.ML_KEM_1024), "mlkem1024")

	m["esn"] = propKeyword{wire.TransformESN, uint16(wire.ESN), 0}
	m["noesn"] = propKeyword{wire.TransformESN, uint16(wire.NoESN), 0}
	return m
}()

// integToPRF is the PRF strongSwan adds to an IKE proposal that names an
// integrity algorithm but no PRF.
var integToPRF = map[uint16]wire.PRFID{
	uint16(wire.AUTH_HMAC_SHA1_96):      wire.PRF_HMAC_SHA1,
	uint16(wire.AUTH_HMAC_SHA2_256_128): wire.PRF_HMAC_SHA2_256,
	uint16(wire.AUTH_HMAC_SHA2_384_192): wire.PRF_HMAC_SHA2_384,
	uint16(wire.AUTH_HMAC_SHA2_512_256): wire.PRF_HMAC_SHA2_512,
	uint16(wire.AUTH_AES_XCBC_96):       wire.PRF_AES128_XCBC,
	uint16(wire.AUTH_AES_CMAC_96):       wire.PRF_AES128_CMAC,
}

// ParseProposals reads proposals in strongSwan's notation for protocol
// proto (wire.ProtoIKE or wire.ProtoESP). Each string may hold several
// proposals separated by commas; the result is numbered from 1 in order and
// has no SPI (the caller sets it). As strongSwan does, an IKE proposal
// without a PRF gets the PRF of its integrity algorithm, and an ESP proposal
// without an ESN keyword gets "noesn". The transforms are in the order
// ENCR, PRF, INTEG, KE, ESN, each type in the order written.
func ParseProposals(proto wire.ProtocolID, specs ...string) ([]wire.Proposal, error) {
	var out []wire.Proposal
	for _, spec := range specs {
		for _, item := range strings.Split(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			ts, err := parseProposal(proto, item)
			if err != nil {
				return nil, err
			}
			out = append(out, wire.Proposal{Number: uint8(len(out) + 1), Protocol: proto, Transforms: ts})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("conformance: no proposal in %q", strings.Join(specs, ", "))
	}
	return out, nil
}

func parseProposal(proto wire.ProtocolID, s string) ([]wire.Transform, error) {
	byType := map[wire.TransformType][]wire.Transform{}
	for _, w := range strings.Split(s, "-") {
		w = strings.ToLower(strings.TrimSpace(w))
		k, ok := propKeywords[w]
		if !ok {
			return nil, fmt.Errorf("conformance: proposal %q: unknown keyword %q", s, w)
		}
		if proto != wire.ProtoIKE && k.typ == wire.TransformPRF {
			return nil, fmt.Errorf("conformance: proposal %q: %q: a %v proposal has no PRF", s, w, proto)
		}
		byType[k.typ] = append(byType[k.typ], wire.NewTransform(k.typ, k.id, k.bits))
	}
	if len(byType[wire.TransformENCR]) == 0 {
		return nil, fmt.Errorf("conformance: proposal %q: no encryption algorithm", s)
	}
	if proto == wire.ProtoIKE {
		if len(byType[wire.TransformPRF]) == 0 {
			for _, i := range byType[wire.TransformINTEG] {
				if f, ok := integToPRF[i.ID]; ok {
					byType[wire.TransformPRF] = append(byType[wire.TransformPRF], wire.NewTransform(wire.TransformPRF, uint16(f), 0))
				}
			}
		}
		if len(byType[wire.TransformPRF]) == 0 {
			return nil, fmt.Errorf("conformance: proposal %q: no PRF", s)
		}
		if len(byType[wire.TransformKE]) == 0 {
			return nil, fmt.Errorf("conformance: proposal %q: no key exchange method", s)
		}
	} else if len(byType[wire.TransformESN]) == 0 {
		byType[wire.TransformESN] = []wire.Transform{wire.NewTransform(wire.TransformESN, uint16(wire.NoESN), 0)}
	}
	var out []wire.Transform
	for _, t := range []wire.TransformType{wire.TransformENCR, wire.TransformPRF, wire.TransformINTEG, wire.TransformKE, wire.TransformESN} {
		out = append(out, byType[t]...)
	}
	return out, nil
}

// firstKE returns the first key exchange method of the proposals.
func firstKE(ps []wire.Proposal) (wire.KEID, bool) {
	for _, p := range ps {
		for _, t := range p.Transforms {
			if t.Type == wire.TransformKE {
				return wire.KEID(t.ID), true
			}
		}
	}
	return 0, false
}

// chosen is what a responder's one-proposal SA payload selected.
type chosen struct {
	SPI     []byte
	Encr    wire.EncrID
	KeyBits int
	PRF     wire.PRFID
	Integ   wire.IntegID
	KE      wire.KEID
	ESN     wire.ESNID
	HasKE   bool
}

// chosenOf reads the transforms of an SA payload's first proposal (the
// responder's SA holds exactly one, RFC 7296 section 3.3).
func chosenOf(sa *wire.SA) (chosen, error) {
	var c chosen
	if sa == nil || len(sa.Proposals) == 0 {
		return c, fmt.Errorf("conformance: the SA payload has no proposal")
	}
	p := sa.Proposals[0]
	c.SPI = p.SPI
	for _, t := range p.Transforms {
		switch t.Type {
		case wire.TransformENCR:
			c.Encr = wire.EncrID(t.ID)
			if b, ok := t.KeyLength(); ok {
				c.KeyBits = int(b)
			}
		case wire.TransformPRF:
			c.PRF = wire.PRFID(t.ID)
		case wire.TransformINTEG:
			c.Integ = wire.IntegID(t.ID)
		case wire.TransformKE:
			c.KE, c.HasKE = wire.KEID(t.ID), true
		case wire.TransformESN:
			c.ESN = wire.ESNID(t.ID)
		}
	}
	return c, nil
}
