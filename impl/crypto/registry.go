package crypto

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// This file is the transform registry: one map per Transform Type from the
// wire ID to the implementation, as x/crypto/ssh keys kexAlgoMap by
// algorithm name. The maps are filled once, at package initialisation, and
// never written again, so lookups need no lock.

// ErrUnsupported is matched (errors.Is) by every lookup of a transform ID
// that the registry does not hold.
var ErrUnsupported = errors.New("ike: unsupported transform")

// UnsupportedError names the transform a lookup did not find.
type UnsupportedError struct {
	Type wire.TransformType
	ID   uint16
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("ike: unsupported %v transform %s", e.Type, wire.TransformIDName(e.Type, e.ID))
}

// Unwrap lets errors.Is match ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// Requirement records an algorithm's requirement level in the RFC that sets
// it (RFC 8247 for IKE, RFC 8221 for ESP) and whether ikev2ref negotiates it.
type Requirement struct {
	// Level is the keyword as the RFC's table (or text) gives it: "MUST",
	// "MUST-", "SHOULD+", "SHOULD", "MAY", "SHOULD NOT", "MUST NOT", or
	// "NOT RECOMMENDED". Algorithms a table does not list have "MAY"; the
	// Source then says so.
	Level string
	// Source is where Level is stated.
	Source string
	// Negotiable reports whether ikev2ref may offer or accept the transform
	// in an SA payload. Transforms that are not negotiable may still be
	// implemented, to decrypt recorded traffic.
	Negotiable bool
	// Note explains a Negotiable that Level alone does not imply.
	Note string
}

// req applies the policy for levels without a Note: whatever the RFC does not
// discourage may be negotiated.
func req(level, source string) Requirement {
	switch level {
	case "MUST", "MUST-", "SHOULD+", "SHOULD", "MAY":
		return Requirement{Level: level, Source: source, Negotiable: true}
	}
	return Requirement{Level: level, Source: source}
}

const (
	rfc8247ENCR  = "RFC 8247 section 2.1"
	rfc8247PRF   = "RFC 8247 section 2.2"
	rfc8247INTEG = "RFC 8247 section 2.3"
	rfc8247KE    = "RFC 8247 section 2.4"
	rfc8221ENCR  = "RFC 8221 section 5"
	rfc8221INTEG = "RFC 8221 section 6"
	notListed    = " (not in the table: MAY by default, as RFC 8247 section 2.5 note (*) reads)"
)

var (
	encrs  = map[wire.EncrID]*Encr{}
	prfs   = map[wire.PRFID]*PRF{}
	integs = map[wire.IntegID]*Integ{}
	kes    = map[wire.KEID]*KE{}
)

func registerEncr(e *Encr)   { encrs[e.ID] = e }
func registerPRF(p *PRF)     { prfs[p.ID] = p }
func registerInteg(i *Integ) { integs[i.ID] = i }
func registerKE(k *KE)       { kes[k.ID] = k }

// LookupEncr returns the encryption transform with the given ID.
func LookupEncr(id wire.EncrID) (*Encr, error) {
	if e, ok := encrs[id]; ok {
		return e, nil
	}
	return nil, &UnsupportedError{Type: wire.TransformENCR, ID: uint16(id)}
}

// LookupPRF returns the pseudorandom function with the given ID.
func LookupPRF(id wire.PRFID) (*PRF, error) {
	if p, ok := prfs[id]; ok {
		return p, nil
	}
	return nil, &UnsupportedError{Type: wire.TransformPRF, ID: uint16(id)}
}

// LookupInteg returns the integrity transform with the given ID. AUTH_NONE
// is not in the registry: it is the absence of an integrity transform, which
// only an AEAD suite may have (see NewSuite).
func LookupInteg(id wire.IntegID) (*Integ, error) {
	if i, ok := integs[id]; ok {
		return i, nil
	}
	return nil, &UnsupportedError{Type: wire.TransformINTEG, ID: uint16(id)}
}

// LookupKE returns the key exchange method with the given ID.
func LookupKE(id wire.KEID) (*KE, error) {
	if k, ok := kes[id]; ok {
		return k, nil
	}
	return nil, &UnsupportedError{Type: wire.TransformKE, ID: uint16(id)}
}

func sortedValues[K ~uint16, V any](m map[K]V) []V {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// EncrTransforms lists the registered encryption transforms by ID.
func EncrTransforms() []*Encr { return sortedValues(encrs) }

// PRFTransforms lists the registered PRFs by ID.
func PRFTransforms() []*PRF { return sortedValues(prfs) }

// IntegTransforms lists the registered integrity transforms by ID.
func IntegTransforms() []*Integ { return sortedValues(integs) }

// Groups lists the registered key exchange methods by ID, with the lengths
// of their KE payload data (KE.PublicLen, KE.ResponseLen).
func Groups() []*KE { return sortedValues(kes) }
