package ike

import (
	"fmt"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// suite is one accepted proposal: a single transform of each type (RFC 7296
// section 2.7), the proposal number it answers and the SPI it carried.
type suite struct {
	Num   uint8
	Encr  EncrAlg
	PRF   wire.PRFID
	Integ wire.IntegID
	KE    wire.KEID
	ESN   wire.ESNID
	// hasX records which transform types the accepted proposal carries, so
	// that the answer carries exactly those (RFC7296-2.7-4).
	hasPRF, hasInteg, hasKE, hasESN bool
	SPI                             []byte
}

// offer builds the SA payload's proposals from the configuration, numbered
// from 1 (RFC7296-3.3-6) in order of preference (RFC7296-3.3-2). withKE
// leaves out the KE transforms (the first Child SA, negotiated in IKE_AUTH,
// has no key exchange of its own: RFC 7296 section 1.2).
func offer(ps []Proposal, proto wire.ProtocolID, spi []byte, withKE bool) []wire.Proposal {
	out := make([]wire.Proposal, 0, len(ps))
	for i, p := range ps {
		wp := wire.Proposal{Number: uint8(i + 1), Protocol: proto, SPI: spi}
		for _, e := range p.Encr {
			wp.Transforms = append(wp.Transforms, wire.NewTransform(wire.TransformENCR, uint16(e.ID), e.KeyBits))
		}
		for _, f := range p.PRF {
			wp.Transforms = append(wp.Transforms, wire.NewTransform(wire.TransformPRF, uint16(f), 0))
		}
		for _, a := range p.Integ {
			wp.Transforms = append(wp.Transforms, wire.NewTransform(wire.TransformINTEG, uint16(a), 0))
		}
		if withKE {
			for _, k := range p.KE {
				wp.Transforms = append(wp.Transforms, wire.NewTransform(wire.TransformKE, uint16(k), 0))
			}
		}
		if proto != wire.ProtoIKE {
			esn := p.ESN
			if len(esn) == 0 {
				esn = []wire.ESNID{wire.NoESN}
			}
			for _, e := range esn {
				wp.Transforms = append(wp.Transforms, wire.NewTransform(wire.TransformESN, uint16(e), 0))
			}
		}
		out = append(out, wp)
	}
	return out
}

// answer is the accepted suite as the responder's SA payload carries it: the
// initiator's proposal number and exactly one transform of each type the
// accepted proposal had (RFC7296-2.7-2, RFC7296-2.7-4).
func (s *suite) answer(proto wire.ProtocolID, spi []byte) wire.Proposal {
	p := wire.Proposal{Number: s.Num, Protocol: proto, SPI: spi}
	p.Transforms = append(p.Transforms, wire.NewTransform(wire.TransformENCR, uint16(s.Encr.ID), s.Encr.KeyBits))
	if s.hasPRF {
		p.Transforms = append(p.Transforms, wire.NewTransform(wire.TransformPRF, uint16(s.PRF), 0))
	}
	if s.hasInteg {
		p.Transforms = append(p.Transforms, wire.NewTransform(wire.TransformINTEG, uint16(s.Integ), 0))
	}
	if s.hasKE {
		p.Transforms = append(p.Transforms, wire.NewTransform(wire.TransformKE, uint16(s.KE), 0))
	}
	if s.hasESN {
		p.Transforms = append(p.Transforms, wire.NewTransform(wire.TransformESN, uint16(s.ESN), 0))
	}
	return p
}

// offered groups one received proposal's transforms by type.
type offered struct {
	encr  []EncrAlg
	prf   []wire.PRFID
	integ []wire.IntegID
	ke    []wire.KEID
	esn   []wire.ESNID
	other []wire.TransformType // types we do not negotiate (e.g. ADDKE)
	bad   string               // a malformed transform (attribute misuse)
}

func groupTransforms(p *wire.Proposal) offered {
	var o offered
	for i := range p.Transforms {
		t := &p.Transforms[i]
		// RFC7296-3.3.6-7: a transform with an attribute we do not
		// understand is unacceptable; the others of its type are
		// processed as usual. RFC7296-3.3-9: two attributes of one type
		// make the proposal malformed.
		unknown, seen := false, map[uint16]bool{}
		for _, a := range t.Attributes {
			if seen[a.Type] {
				o.bad = fmt.Sprintf("transform %v %d carries attribute %d twice", t.Type, t.ID, a.Type)
			}
			seen[a.Type] = true
			unknown = unknown || a.Type != wire.AttrKeyLength || t.Type != wire.TransformENCR
		}
		if unknown {
			continue
		}
		switch t.Type {
		case wire.TransformENCR:
			kl, _ := t.KeyLength()
			o.encr = append(o.encr, EncrAlg{ID: wire.EncrID(t.ID), KeyBits: kl})
		case wire.TransformPRF:
			o.prf = append(o.prf, wire.PRFID(t.ID))
		case wire.TransformINTEG:
			o.integ = append(o.integ, wire.IntegID(t.ID))
		case wire.TransformKE:
			o.ke = append(o.ke, wire.KEID(t.ID))
		case wire.TransformESN:
			o.esn = append(o.esn, wire.ESNID(t.ID))
		default:
			o.other = append(o.other, t.Type)
		}
	}
	return o
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// propKind says which negotiation a proposal belongs to.
type propKind uint8

const (
	propIKE       propKind = iota // an IKE SA (IKE_SA_INIT, or its rekey)
	propAuthChild                 // the first Child SA, in IKE_AUTH: no key exchange (RFC 7296 section 1.2)
	propChildKE                   // a Child SA of CREATE_CHILD_SA: a key exchange if the proposal has one (PFS, 1.3.1)
)

// choose picks, for the local proposal l and one received proposal, one
// transform of each type, preferring the local order; never anything the
// peer did not offer (RFC7296-2.7-1). kind selects the rules: IKE, the
// first Child SA (ESP, no key exchange), or a Child SA of CREATE_CHILD_SA
// (ESP, with the key exchange the local proposal asks for). It returns a
// reason when they do not match.
//
// For IKE, keHint is the group of the initiator's KE payload: when the
// proposal allows it, it is chosen, which spares an INVALID_KE_PAYLOAD
// round trip (as strongSwan does).
func choose(l *Proposal, p *wire.Proposal, kind propKind, keHint wire.KEID) (suite, string) {
	child := kind != propIKE
	o := groupTransforms(p)
	s := suite{Num: p.Number, SPI: p.SPI}
	if o.bad != "" {
		return s, o.bad
	}
	if len(o.other) > 0 {
		return s, fmt.Sprintf("transform type %v is not negotiated", o.other[0])
	}
	// Encryption, with an integrity transform that suits it.
	var reason string
	found := false
	for _, e := range l.Encr {
		if !contains(o.encr, e) {
			continue
		}
		enc, err := crypto.LookupEncr(e.ID)
		if err != nil {
			continue
		}
		s.Encr = e
		if enc.IsAEAD() {
			// RFC7296-3.3-7: with a combined-mode cipher, no integrity
			// algorithm or a single "NONE".
			switch {
			case len(o.integ) == 0:
				s.hasInteg, found = false, true
			case contains(o.integ, wire.AUTH_NONE):
				s.Integ, s.hasInteg, found = wire.AUTH_NONE, true, true
			default:
				reason = fmt.Sprintf("%s offered with integrity algorithms but no NONE", encrName(e))
			}
		} else {
			for _, a := range l.Integ {
				if a != wire.AUTH_NONE && contains(o.integ, a) {
					s.Integ, s.hasInteg, found = a, true, true
					break
				}
			}
			if !found {
				reason = fmt.Sprintf("no common integrity algorithm for %s", encrName(e))
			}
		}
		if found {
			break
		}
	}
	if !found {
		if reason == "" {
			reason = "no common encryption algorithm"
		}
		return s, reason
	}
	if child {
		if len(o.prf) > 0 {
			return s, "a PRF in an ESP proposal"
		}
		if kind == propChildKE && len(l.KE) > 0 {
			// PFS (RFC 7296 section 1.3.1): one of our groups, the
			// initiator's KE payload's group when we allow it.
			ok := false
			if keHint != wire.KE_NONE && contains(l.KE, keHint) && contains(o.ke, keHint) {
				s.KE, s.hasKE, ok = keHint, true, true
			}
			for _, k := range l.KE {
				if !ok && k != wire.KE_NONE && contains(o.ke, k) {
					s.KE, s.hasKE, ok = k, true, true
				}
			}
			if !ok && contains(l.KE, wire.KE_NONE) && (len(o.ke) == 0 || contains(o.ke, wire.KE_NONE)) {
				s.KE, s.hasKE, ok = wire.KE_NONE, len(o.ke) > 0, true
			}
			if !ok {
				return s, "no common key exchange method for PFS"
			}
		} else if len(o.ke) > 0 {
			// The first Child SA has no key exchange (RFC 7296 section 1.2),
			// nor one without PFS configured: KE transforms, if the peer
			// sent any, must allow NONE.
			if !contains(o.ke, wire.KE_NONE) {
				if kind == propAuthChild {
					return s, "a key exchange in the IKE_AUTH Child SA proposal without NONE"
				}
				return s, "the peer requires PFS (a key exchange), which we do not configure"
			}
			s.KE, s.hasKE = wire.KE_NONE, true
		}
		esn := l.ESN
		if len(esn) == 0 {
			esn = []wire.ESNID{wire.NoESN}
		}
		if len(o.esn) == 0 {
			// No ESN transform offered: plain 32-bit sequence numbers.
			s.ESN = wire.NoESN
		} else {
			ok := false
			for _, e := range esn {
				if contains(o.esn, e) {
					s.ESN, s.hasESN, ok = e, true, true
					break
				}
			}
			if !ok {
				return s, "no common extended sequence numbers setting"
			}
		}
		return s, ""
	}
	// IKE: a PRF and a key exchange method are required.
	ok := false
	for _, f := range l.PRF {
		if contains(o.prf, f) {
			s.PRF, s.hasPRF, ok = f, true, true
			break
		}
	}
	if !ok {
		return s, "no common PRF"
	}
	ok = false
	if keHint != wire.KE_NONE && contains(l.KE, keHint) && contains(o.ke, keHint) {
		s.KE, s.hasKE, ok = keHint, true, true
	}
	for _, k := range l.KE {
		if ok {
			break
		}
		if k != wire.KE_NONE && contains(o.ke, k) {
			s.KE, s.hasKE, ok = k, true, true
		}
	}
	if !ok {
		return s, "no common key exchange method"
	}
	if len(o.esn) > 0 {
		return s, "an ESN transform in an IKE proposal"
	}
	return s, ""
}

// selectProposal is the responder's choice (RFC 7296 section 2.7): one
// proposal of the given protocol, our preference first. When nothing
// matches, the reason lists what was offered and what is configured.
func selectProposal(local []Proposal, received []wire.Proposal, proto wire.ProtocolID, kind propKind, keHint wire.KEID) (suite, error) {
	for i := range local {
		for j := range received {
			if received[j].Protocol != proto {
				continue
			}
			if s, why := choose(&local[i], &received[j], kind, keHint); why == "" {
				return s, nil
			}
		}
	}
	var got, want []string
	for i := range received {
		got = append(got, proposalString(&received[i]))
	}
	for _, w := range offer(local, proto, nil, kind != propAuthChild) {
		want = append(want, proposalString(&w))
	}
	return suite{}, fmt.Errorf("no acceptable proposal: received %s, configured %s",
		strings.Join(got, ", "), strings.Join(want, ", "))
}

// checkAnswer verifies the responder's choice against our offer: exactly one
// proposal, of our protocol, answering one of our proposal numbers, with a
// single transform of each type, each one we offered in that proposal
// (RFC7296-2.7-3, RFC7296-2.7-4).
func checkAnswer(sa *wire.SA, ours []Proposal, proto wire.ProtocolID, kind propKind) (suite, error) {
	if len(sa.Proposals) != 1 {
		return suite{}, fmt.Errorf("the SA payload of the response has %d proposals, want 1", len(sa.Proposals))
	}
	p := &sa.Proposals[0]
	if p.Protocol != proto {
		return suite{}, fmt.Errorf("the response chose protocol %v, we offered %v", p.Protocol, proto)
	}
	if p.Number == 0 || int(p.Number) > len(ours) {
		return suite{}, fmt.Errorf("the response chose proposal %d, we offered 1 to %d", p.Number, len(ours))
	}
	o := groupTransforms(p)
	if len(o.encr) != 1 || len(o.prf) > 1 || len(o.integ) > 1 || len(o.ke) > 1 || len(o.esn) > 1 || len(o.other) > 0 {
		return suite{}, fmt.Errorf("the response's proposal %s is not a single suite", proposalString(p))
	}
	l := ours[p.Number-1]
	if kind == propIKE {
		l.ESN = nil
	}
	var hint wire.KEID
	if len(o.ke) == 1 {
		hint = o.ke[0]
	}
	s, why := choose(&l, p, kind, hint)
	if why != "" {
		return suite{}, fmt.Errorf("the response chose %s, which we did not offer: %s", proposalString(p), why)
	}
	return s, nil
}

// ikeSuite builds the crypto suite of an IKE SA.
func (s *suite) ikeSuite() (crypto.Suite, error) {
	integ := s.Integ
	if !s.hasInteg {
		integ = wire.AUTH_NONE
	}
	return crypto.NewSuite(s.Encr.ID, int(s.Encr.KeyBits), s.PRF, integ, s.KE)
}

// String renders a suite as strongSwan logs it.
func (s *suite) String() string {
	parts := []string{encrName(s.Encr)}
	if s.hasInteg && s.Integ != wire.AUTH_NONE {
		parts = append(parts, integName(s.Integ))
	}
	if s.hasPRF {
		parts = append(parts, prfName(s.PRF))
	}
	if s.hasKE && s.KE != wire.KE_NONE {
		parts = append(parts, keName(s.KE))
	}
	if s.hasESN {
		parts = append(parts, esnName(s.ESN))
	}
	return strings.Join(parts, "/")
}
