package ike

import (
	"fmt"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Algorithm names in strongSwan's notation (its proposal and list-sas
// output), so that ctl list-sas and swanctl --list-sas compare directly.

func encrName(e EncrAlg) string {
	var n string
	switch e.ID {
	case wire.ENCR_AES_CBC:
		n = "AES_CBC"
	case wire.ENCR_AES_CTR:
		n = "AES_CTR"
	case wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12, wire.ENCR_AES_GCM_16,
		wire.ENCR_AES_CCM_8, wire.ENCR_AES_CCM_12, wire.ENCR_AES_CCM_16:
		n = strings.TrimPrefix(e.ID.String(), "ENCR_")
	case wire.ENCR_CHACHA20_POLY1305:
		return "CHACHA20_POLY1305"
	case wire.ENCR_3DES:
		return "3DES_CBC"
	case wire.ENCR_NULL:
		return "NULL"
	default:
		n = strings.TrimPrefix(e.ID.String(), "ENCR_")
	}
	if e.KeyBits != 0 {
		return fmt.Sprintf("%s-%d", n, e.KeyBits)
	}
	return n
}

func integName(i wire.IntegID) string {
	if i == wire.AUTH_NONE {
		return ""
	}
	return strings.TrimPrefix(i.String(), "AUTH_")
}

func prfName(p wire.PRFID) string { return p.String() }

func keName(k wire.KEID) string { return k.String() }

func esnName(e wire.ESNID) string { return e.String() }

// proposalString renders a received or offered proposal the way strongSwan
// logs "received proposals": "IKE:AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256".
func proposalString(p *wire.Proposal) string {
	var parts []string
	for i := range p.Transforms {
		t := &p.Transforms[i]
		var n string
		switch t.Type {
		case wire.TransformENCR:
			kl, _ := t.KeyLength()
			n = encrName(EncrAlg{ID: wire.EncrID(t.ID), KeyBits: kl})
		case wire.TransformINTEG:
			n = integName(wire.IntegID(t.ID))
			if n == "" {
				n = "NONE"
			}
		case wire.TransformPRF:
			n = prfName(wire.PRFID(t.ID))
		case wire.TransformKE:
			n = keName(wire.KEID(t.ID))
		case wire.TransformESN:
			n = esnName(wire.ESNID(t.ID))
		default:
			n = fmt.Sprintf("%v:%d", t.Type, t.ID)
		}
		parts = append(parts, n)
	}
	return p.Protocol.String() + ":" + strings.Join(parts, "/")
}
