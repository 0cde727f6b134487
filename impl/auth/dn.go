package auth

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Distinguished names for ID_DER_ASN1_DN identities (RFC 7296 section 3.5:
// the DER encoding of an ASN.1 X.500 Distinguished Name), written and read
// the way strongSwan does in swanctl.conf and its logs:
// "C=CH, O=strongSwan, CN=moon.strongswan.org", RDNs in the order of the
// encoding.

type rdnName struct {
	name string
	oid  asn1.ObjectIdentifier
	ia5  bool // IA5String instead of PrintableString
}

// rdnNames are strongSwan's names for the attribute types (the first name of
// an OID is the one FormatDN writes; ParseDN reads all, without regard to
// case).
var rdnNames = []rdnName{
	{"C", asn1.ObjectIdentifier{2, 5, 4, 6}, false},
	{"ST", asn1.ObjectIdentifier{2, 5, 4, 8}, false},
	{"L", asn1.ObjectIdentifier{2, 5, 4, 7}, false},
	{"O", asn1.ObjectIdentifier{2, 5, 4, 10}, false},
	{"OU", asn1.ObjectIdentifier{2, 5, 4, 11}, false},
	{"CN", asn1.ObjectIdentifier{2, 5, 4, 3}, false},
	{"SN", asn1.ObjectIdentifier{2, 5, 4, 5}, false},
	{"serialNumber", asn1.ObjectIdentifier{2, 5, 4, 5}, false},
	{"S", asn1.ObjectIdentifier{2, 5, 4, 4}, false},
	{"T", asn1.ObjectIdentifier{2, 5, 4, 12}, false},
	{"D", asn1.ObjectIdentifier{2, 5, 4, 13}, false},
	{"N", asn1.ObjectIdentifier{2, 5, 4, 41}, false},
	{"G", asn1.ObjectIdentifier{2, 5, 4, 42}, false},
	{"I", asn1.ObjectIdentifier{2, 5, 4, 43}, false},
	{"ID", asn1.ObjectIdentifier{2, 5, 4, 45}, false},
	{"dnQualifier", asn1.ObjectIdentifier{2, 5, 4, 46}, false},
	{"DC", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, false},
	{"UID", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, false},
	{"E", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, true},
	{"Email", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, true},
	{"emailAddress", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, true},
	{"UN", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 2}, true},
	{"unstructuredName", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 2}, true},
	{"EN", asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 3, 1, 3}, false},
	{"employeeNumber", asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 3, 1, 3}, false},
}

// maxRDNs bounds the attributes of a DN read or written.
const maxRDNs = 32

// ParseDN reads "C=CH, O=strongSwan, CN=moon" (or "/C=CH/O=strongSwan/CN=moon")
// into the DER of a Name: one RDN per attribute, in the order written,
// values as PrintableString when they fit, else UTF8String, e-mail
// addresses as IA5String (strongSwan's encoding, which certificates made
// from the same text share).
func ParseDN(s string) ([]byte, error) {
	sep := ","
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "/") {
		sep, t = "/", t[1:]
	}
	if t == "" {
		return nil, fmt.Errorf("auth: distinguished name %q is empty", s)
	}
	parts := strings.Split(t, sep)
	if len(parts) > maxRDNs {
		return nil, fmt.Errorf("auth: distinguished name %q has more than %d attributes", s, maxRDNs)
	}
	var rdns []byte
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("auth: distinguished name %q: %q is not TYPE=value", s, p)
		}
		var rn *rdnName
		for i := range rdnNames {
			if strings.EqualFold(rdnNames[i].name, k) {
				rn = &rdnNames[i]
				break
			}
		}
		if rn == nil {
			return nil, fmt.Errorf("auth: distinguished name %q: unknown attribute type %q", s, k)
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("auth: distinguished name %q: value of %s is not UTF-8", s, k)
		}
		tag := asn1.TagPrintableString
		switch {
		case rn.ia5 && isIA5(v):
			tag = asn1.TagIA5String
		case rn.ia5 || !isPrintable(v):
			tag = asn1.TagUTF8String
		}
		atv, err := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}{rn.oid, asn1.RawValue{Tag: tag, Bytes: []byte(v)}})
		if err != nil {
			return nil, fmt.Errorf("auth: distinguished name %q: %w", s, err)
		}
		set, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: atv})
		if err != nil {
			return nil, fmt.Errorf("auth: distinguished name %q: %w", s, err)
		}
		rdns = append(rdns, set...)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: rdns})
}

// isPrintable: the PrintableString alphabet (X.680 41.4).
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(" '()+,-./:=?", c) >= 0) {
			return false
		}
	}
	return true
}

func isIA5(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// atv is one attribute of a parsed DN.
type atv struct {
	oid   asn1.ObjectIdentifier
	tag   int
	value []byte
}

// parseName splits the DER of a Name into its attributes, in order.
func parseName(der []byte) ([]atv, bool) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil || len(rest) != 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, false
	}
	var out []atv
	sets := seq.Bytes
	for len(sets) > 0 {
		var set asn1.RawValue
		if sets, err = asn1.Unmarshal(sets, &set); err != nil || set.Tag != asn1.TagSet || !set.IsCompound {
			return nil, false
		}
		attrs := set.Bytes
		for len(attrs) > 0 {
			var a struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}
			if attrs, err = asn1.Unmarshal(attrs, &a); err != nil {
				return nil, false
			}
			if len(out) == maxRDNs {
				return nil, false
			}
			out = append(out, atv{a.Type, a.Value.Tag, a.Value.Bytes})
		}
	}
	return out, true
}

// FormatDN renders the DER of a Name as strongSwan does: "C=CH, O=...,
// CN=...", unknown attribute types as their dotted OID, non-printable
// octets as '?'. What does not parse is shown as hex.
func FormatDN(der []byte) string {
	as, ok := parseName(der)
	if !ok {
		return "(invalid ID_DER_ASN1_DN " + hex.EncodeToString(der) + ")"
	}
	parts := make([]string, 0, len(as))
	for _, a := range as {
		name := a.oid.String()
		for _, rn := range rdnNames {
			if rn.oid.Equal(a.oid) {
				name = rn.name
				break
			}
		}
		v := []byte(string(a.value))
		if !utf8.Valid(v) {
			for i, c := range v {
				if c < 0x20 || c >= 0x7f {
					v[i] = '?'
				}
			}
		}
		parts = append(parts, name+"="+string(v))
	}
	return strings.Join(parts, ", ")
}

// EqualDN compares two DER Names: equal encodings, or the same attribute
// types in the same order with the same values whatever their string types,
// PrintableString and e-mail values without regard to ASCII case (as
// strongSwan compares them, so that a DN typed into swanctl.conf matches
// the subject of a certificate that encodes its strings differently).
func EqualDN(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	as, ok1 := parseName(a)
	bs, ok2 := parseName(b)
	if !ok1 || !ok2 || len(as) != len(bs) || len(as) == 0 {
		return false
	}
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	for i := range as {
		x, y := as[i], bs[i]
		if !x.oid.Equal(y.oid) || len(x.value) != len(y.value) {
			return false
		}
		fold := (x.tag == y.tag && x.tag == asn1.TagPrintableString) || x.oid.Equal(email)
		if fold && !strings.EqualFold(string(x.value), string(y.value)) || !fold && !bytes.Equal(x.value, y.value) {
			return false
		}
	}
	return true
}
