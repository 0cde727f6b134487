package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The AUTH, CHILD and SPD groups: IKE_AUTH (PSK authentication, identities,
// protection of the exchange, retransmission), the Child SAs made in
// IKE_AUTH and CREATE_CHILD_SA (proposals, SPIs, PFS, transport mode,
// deletion) and the traffic selectors the IUT agrees to (RFC 7296 sections
// 1.2, 1.3, 1.4.1, 2.9, 2.15, 2.21; RFC 4301 section 4.4.1).
//
// Helpers of this file are prefixed "ac" so that they do not collide with
// the other groups' files of the package.

// acQuiet bounds a wait for a response that the RFC says must not come.
const acQuiet = 2 * time.Second

// acErr names the first error Notify of m ("no message", "no error notify").
func acErr(m *Msg) string {
	if m == nil {
		return "no message"
	}
	if n, ok := m.ErrorNotify(); ok {
		return n.String()
	}
	return "no error notify"
}

// acAuthWait is Peer.Auth with a wait of d instead of Peer.Timeout.
func acAuthWait(p *Peer, o AuthOptions, d time.Duration) *Msg {
	old := p.Timeout
	p.Timeout = d
	defer func() { p.Timeout = old }()
	return p.Auth(o)
}

// acMID forces the IKE header's message ID.
func acMID(mid uint32) func(*wire.Header) {
	return func(h *wire.Header) { h.MessageID = mid }
}

// acAlive judges (n) that the IUT still answers: a fresh IKE_SA_INIT from a
// new tester socket gets a response.
func acAlive(t *T, n int) {
	q := Dial(t)
	m := q.Init(InitOptions{})
	t.Check(n, "the IUT is still alive: a fresh IKE_SA_INIT is answered", m != nil && m.IsResponse(),
		"IKE_SA_INIT response", m.Summary())
}

// acSAUp judges (n) that the IKE SA stands after a request the IUT
// answered with resp: an empty INFORMATIONAL request with message ID mid
// is answered under its keys; after an answer with N(INVALID_SYNTAX) the
// IKE SA may instead be gone (saAfter: RFC 7296 2.21.2, RFC 8229 6).
func acSAUp(t *T, p *Peer, n int, mid uint32, resp *Msg) {
	m := p.Request(wire.INFORMATIONAL, nil, ReqOptions{MID: mid, ForceMID: true})
	saAfter(t, n, p, resp, m, "the IKE SA still stands: an empty INFORMATIONAL request is answered "+
		"(or, after N(INVALID_SYNTAX), the IKE SA is torn down)")
}

// acDelete deletes the IKE SA with message ID mid (best effort, not judged).
func acDelete(p *Peer, mid uint32) {
	old := p.Timeout
	p.Timeout = acQuiet
	p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}, ReqOptions{MID: mid, ForceMID: true})
	p.Timeout = old
}

// acFind returns the first payload of type T of m.
func acFind[P wire.Payload](m *Msg) (P, bool) {
	if m == nil {
		var zero P
		return zero, false
	}
	return wire.Find[P](m.Payloads)
}

// acTS returns m's TSi (responder false) or TSr payload.
func acTS(m *Msg, responder bool) *wire.TS {
	if m == nil {
		return nil
	}
	for _, p := range m.Payloads {
		if ts, ok := p.(*wire.TS); ok && ts.Responder == responder {
			return ts
		}
	}
	return nil
}

// acSels renders selectors one per line.
func acSels(label string, s []wire.Selector) string {
	var b strings.Builder
	b.WriteString(label + "\n")
	for i := range s {
		b.WriteString("  " + s[i].String() + "\n")
	}
	return b.String()
}

// acSelsOf is ts's selectors (nil for no payload).
func acSelsOf(ts *wire.TS) []wire.Selector {
	if ts == nil {
		return nil
	}
	return ts.Selectors
}

// acWithin reports whether selector s lies inside one of outer (addresses,
// protocol, ports).
func acWithin(s wire.Selector, outer []wire.Selector) bool {
	for _, o := range outer {
		if o.Type != s.Type || !s.Start.IsValid() || !o.Start.IsValid() {
			continue
		}
		if s.Start.Less(o.Start) || o.End.Less(s.End) || s.End.Less(s.Start) {
			continue
		}
		if o.IPProtocol != 0 && o.IPProtocol != s.IPProtocol {
			continue
		}
		if s.StartPort < o.StartPort || s.EndPort > o.EndPort {
			continue
		}
		return true
	}
	return false
}

// acAllWithin reports whether every selector of ts lies inside outer.
func acAllWithin(ts *wire.TS, outer []wire.Selector) bool {
	if ts == nil || len(ts.Selectors) == 0 {
		return false
	}
	for _, s := range ts.Selectors {
		if !acWithin(s, outer) {
			return false
		}
	}
	return true
}

// acSelectors reads a traffic selector string as the tester sends it.
func acSelectors(t *T, p *Peer, s string) []wire.Selector {
	sel, err := p.selectors(s)
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	return sel
}

// acProposalOK checks a responder's SA payload against the proposals
// offered: one proposal, whose number names an offered proposal of the same
// protocol, with exactly one transform of each type that proposal has, each
// one offered there (RFC 7296 sections 2.7, 3.3.1, 3.3.6).
func acProposalOK(offered []wire.Proposal, sa *wire.SA) (bool, string) {
	if sa == nil || len(sa.Proposals) != 1 {
		return false, "not exactly one proposal"
	}
	got := sa.Proposals[0]
	if int(got.Number) < 1 || int(got.Number) > len(offered) {
		return false, fmt.Sprintf("proposal number %d was not offered", got.Number)
	}
	off := offered[got.Number-1]
	if got.Protocol != off.Protocol {
		return false, fmt.Sprintf("protocol %v, offered %v", got.Protocol, off.Protocol)
	}
	types := map[wire.TransformType]int{}
	for _, tr := range got.Transforms {
		types[tr.Type]++
		found := false
		for _, o := range off.Transforms {
			if o.Type == tr.Type && o.ID == tr.ID && transformName(&o) == transformName(&tr) {
				found = true
			}
		}
		if !found {
			return false, fmt.Sprintf("transform %s was not offered in proposal %d", transformName(&tr), got.Number)
		}
	}
	for _, o := range off.Transforms {
		if types[o.Type] != 1 {
			return false, fmt.Sprintf("%d transforms of type %v, want 1", types[o.Type], o.Type)
		}
	}
	if len(types) != func() int {
		m := map[wire.TransformType]bool{}
		for _, o := range off.Transforms {
			m[o.Type] = true
		}
		return len(m)
	}() {
		return false, "transform types differ from the proposal's"
	}
	return true, ""
}

// acOffer renders proposals one per line, as Structure does.
func acOffer(ps []wire.Proposal) string {
	return strings.Join(payloadStructure(&wire.SA{Proposals: ps}), "\n") + "\n"
}

// acESP parses ESP proposals or ends the case as inconclusive.
func acESP(t *T, specs ...string) []wire.Proposal {
	ps, err := ParseProposals(wire.ProtoESP, specs...)
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	return ps
}

// acChildReq builds SA Ni [KEi] TSi TSr for a CREATE_CHILD_SA request that
// makes a new Child SA: ESP proposals esp (with a KE transform of group
// when not 0), a nonce (nil: none), an optional KE payload.
func acChildReq(t *T, p *Peer, esp []string, group wire.KEID, nonce []byte, ke *wire.KE, tsi, tsr string) []wire.Payload {
	if len(esp) == 0 {
		esp = t.Profile.ESPProposals[:1]
	}
	props := acESP(t, esp...)
	spi := randUint32()
	for i := range props {
		props[i].SPI = binary.BigEndian.AppendUint32(nil, spi)
		if group != 0 {
			props[i].Transforms = withKE(props[i].Transforms, group)
		}
	}
	if tsi == "" {
		tsi = t.Profile.TesterTS
	}
	if tsr == "" {
		tsr = t.Profile.IUTTS
	}
	ps := []wire.Payload{&wire.SA{Proposals: props}}
	if nonce != nil {
		ps = append(ps, &wire.Nonce{Data: nonce})
	}
	if ke != nil {
		ps = append(ps, ke)
	}
	return append(ps, &wire.TS{Selectors: acSelectors(t, p, tsi)}, &wire.TS{Responder: true, Selectors: acSelectors(t, p, tsr)})
}

// acKE makes a valid KE payload of group g.
func acKE(t *T, g wire.KEID) *wire.KE {
	ke, err := crypto.LookupKE(g)
	if err != nil {
		t.Inconclusivef("KE group %v: %v", g, err)
	}
	_, pub, err := ke.Start(nil)
	if err != nil {
		t.Inconclusivef("KE group %v: %v", g, err)
	}
	return &wire.KE{Group: g, Data: slices.Clone(pub)}
}

// acIKEGroup is the KE group of the IKE SA (from the IKE_SA_INIT response).
func acIKEGroup(t *T, init *Msg) wire.KEID {
	ke, ok := acFind[*wire.KE](init)
	if !ok {
		t.Inconclusivef("the IKE_SA_INIT response has no KE payload")
	}
	return ke.Group
}

// acDisjoint returns a prefix that overlaps none of the profile's sel.
func acDisjoint(t *T, p *Peer, sels ...string) string {
	var all []wire.Selector
	for _, s := range sels {
		all = append(all, acSelectors(t, p, s)...)
	}
	for _, c := range []string{"203.0.113.0/24", "192.0.2.0/24", "10.254.253.0/24", "172.31.254.0/24"} {
		pfx := netip.MustParsePrefix(c)
		lo, hi := pfx.Addr(), wire.LastAddr(pfx)
		clash := false
		for _, s := range all {
			if s.Type == wire.TS_IPV4_ADDR_RANGE && !(hi.Less(s.Start) || s.End.Less(lo)) {
				clash = true
			}
		}
		if !clash {
			return c
		}
	}
	t.Inconclusivef("no IPv4 prefix outside the profile's traffic selectors")
	return ""
}

// acIDLine renders an ID payload as Structure does.
func acIDLine(id *wire.ID) string { return payloadStructure(id)[0] }

func init() {
	Register(authCases()...)
	Register(childCases()...)
	Register(spdCases()...)
}

// ---- AUTH ----

func authCases() []*Case {
	return []*Case{
		{
			ID: "AUTH-001", Title: "PSK authentication: the IUT's IKE_AUTH response authenticates it",
			Purpose: "The tester establishes an IKE SA with the profile's pre-shared key. The IUT must answer IKE_AUTH " +
				"with IDr and an AUTH payload whose shared-key MIC verifies over its IKE_SA_INIT response, the initiator's " +
				"nonce and its IDr (RFC 7296 section 2.15), and, when the profile claims \"child\", make the first Child SA " +
				"(without it, a refusal of the Child SA with an error Notify leaves the IKE SA up: RFC 7296 section 2.21.3).",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.15"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-1.2-3", "RFC7296-4-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile's first IKE proposal), KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
				"IUT -> T  IKE_SA_INIT response: SA, KE, Nr",
				"T -> IUT  IKE_AUTH request: SK{IDi(tester_id), AUTH(PSK), SA(ESP), TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response SK{IDr, AUTH, SA, TSi, TSr} (profile without \"child\": SK{IDr, AUTH, ...})",
				"J2: the IUT's AUTH (shared key MIC) verifies",
				"J3: a Child SA with keys results (only when the profile claims \"child\")",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{})
				if t.Profile.Has("child") {
					t.Require(1, "the IUT answers IKE_AUTH with IDr, AUTH, SA, TSi and TSr",
						m != nil && m.Encrypted && m.Has(wire.PayloadIDr) && m.Has(wire.PayloadAUTH) && m.Has(wire.PayloadSA) &&
							m.Has(wire.PayloadTSi) && m.Has(wire.PayloadTSr),
						"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				} else {
					t.Require(1, "the IUT answers IKE_AUTH with IDr and AUTH",
						m != nil && m.Encrypted && m.Has(wire.PayloadIDr) && m.Has(wire.PayloadAUTH),
						"IKE_AUTH response 1 [ IDr AUTH ... ]", m.Summary())
				}
				t.Check(2, "the IUT's AUTH payload verifies with the shared key", m.AuthOK, "AUTH verifies", "AUTH does not verify")
				if t.Profile.Has("child") {
					t.Check(3, "a Child SA with keys", len(p.Children) == 1 && p.Children[0].Keys != nil, "1 Child SA", m.Structure())
				} else {
					t.Logf("the profile does not claim \"child\": the Child SA is not judged (%s)", m.Summary())
				}
				acDelete(p, 2)
			},
		},
		{
			ID: "AUTH-002", Title: "the IKE_AUTH response has the R flag, the same message ID and SPIs",
			Purpose: "A response must have the Response flag set, the Initiator flag clear (it comes from the original " +
				"responder), the message ID of the request and the IKE SA's SPIs, and be protected (SK). The tester " +
				"checks the header of the IUT's IKE_AUTH response.",
			RFC:  []string{"RFC 7296 3.1", "RFC 7296 2.2"},
			Reqs: []string{"RFC7296-3.1-10", "RFC7296-3.1-13", "RFC7296-2.2-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH request 1 (Establish)",
				"J1: the IKE_AUTH response has flags R (no I), message ID 1",
				"J2: its SPIs are the IKE SA's",
				"J3: its payloads are inside SK",
			},
			Run: func(t *T) {
				p := Dial(t)
				_, m := p.Establish()
				spii, spir := p.SPIs()
				t.Judge(1, "flags R without I, message ID 1", "IKE_AUTH response 1 flags R",
					fmt.Sprintf("%v %s %d flags %v", m.Header.Exchange, map[bool]string{true: "response", false: "request"}[m.IsResponse()], m.Header.MessageID, m.Header.Flags))
				t.Judge(2, "the IKE SA's SPIs", fmt.Sprintf("%016x %016x", spii, spir), fmt.Sprintf("%016x %016x", m.Header.SPIi, m.Header.SPIr))
				t.Check(3, "the payloads are protected (SK)", m.Encrypted, "SK { ... }", m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "AUTH-003", Title: "a wrong pre-shared key: AUTHENTICATION_FAILED and no IKE SA",
			Purpose: "The tester computes its AUTH with a wrong key. The IUT must refuse with AUTHENTICATION_FAILED " +
				"(RFC 7296 section 2.21.2), send neither IDr nor AUTH, and keep no IKE SA: a later INFORMATIONAL " +
				"request under the keys gets no protected answer (section 2.21: an authentication failure deletes " +
				"the IKE SA).",
			RFC:  []string{"RFC 7296 2.15", "RFC 7296 2.21", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-2.21.2-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request; IUT -> T response",
				"T -> IUT  IKE_AUTH request 1: SK{IDi, AUTH(PSK with a wrong key), SA, TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response 1 SK{N(AUTHENTICATION_FAILED)}",
				"J2: the response carries no IDr and no AUTH",
				"T -> IUT  INFORMATIONAL request 2: SK{}",
				"J3: no protected response within 2 s (the IKE SA is gone)",
				"J4: the IUT still answers a fresh IKE_SA_INIT",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{PSK: []byte("not-the-" + t.Profile.PSK)})
				t.Judge(1, "AUTHENTICATION_FAILED", wire.AUTHENTICATION_FAILED.String(), acErr(m))
				t.Check(2, "no IDr, no AUTH", m != nil && !m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH),
					"IKE_AUTH response 1 [ N(AUTHENTICATION_FAILED) ]", m.Summary())
				r := p.Request(wire.INFORMATIONAL, nil, ReqOptions{Timeout: acQuiet})
				t.Check(3, "no protected answer on the failed IKE SA", r == nil || !r.Encrypted, "no message", r.Summary())
				acAlive(t, 4)
			},
		},
		{
			ID: "AUTH-004", Title: "IDr naming the IUT's own identity is accepted",
			Purpose: "The initiator may say which of the responder's identities it wants with IDr (RFC 7296 section " +
				"1.2). When it names the IUT's configured identity, the IUT must complete the exchange and answer " +
				"with that identity in its IDr.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 3.5"},
			Reqs: []string{"RFC7296-1.2-3", "RFC7296-3.5-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, IDr(iut_id), AUTH, SA, TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response with AUTH that verifies",
				"J2: its IDr is iut_id",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				want := IDPayload(t.Profile.IUTID, true)
				m := p.Auth(AuthOptions{IDr: want})
				t.Require(1, "the IUT authenticates", m != nil && m.AuthOK, "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", m.Summary())
				idr, _ := acFind[*wire.ID](m)
				t.Judge(2, "IDr is the profile's iut_id", acIDLine(want), func() string {
					if idr == nil {
						return "no IDr"
					}
					return acIDLine(idr)
				}())
				acDelete(p, 2)
			},
		},
		{
			ID: "AUTH-005", Title: "IDr naming someone else: AUTHENTICATION_FAILED or the IUT's own identity",
			Purpose: "When the initiator's IDr is not an identity of the responder, the responder may refuse or " +
				"finish with some other IDr (RFC 7296 section 1.2); it must never claim the identity asked for. " +
				"The tester accepts AUTHENTICATION_FAILED, or a response whose IDr is the IUT's iut_id with an AUTH " +
				"that verifies over that IDr.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.15", "RFC 7296 3.5"},
			Reqs: []string{"RFC7296-1.2-3", "RFC7296-2.21.2-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, IDr(nobody@unknown.invalid), AUTH, SA, TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response: N(AUTHENTICATION_FAILED), or IDr(iut_id) with AUTH that verifies",
				"J2: the IUT does not claim the identity asked for",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				other := IDPayload("nobody@unknown.invalid", true)
				m := p.Auth(AuthOptions{IDr: other})
				idr, _ := acFind[*wire.ID](m)
				own := IDPayload(t.Profile.IUTID, true)
				refused := acErr(m) == wire.AUTHENTICATION_FAILED.String() && idr == nil
				asSelf := idr != nil && idr.IDType == own.IDType && bytes.Equal(idr.Data, own.Data) && m.AuthOK
				t.Check(1, "AUTHENTICATION_FAILED, or the IUT's own identity", refused || asSelf,
					"N(AUTHENTICATION_FAILED)\nor\n"+acIDLine(own)+" (AUTH verifies)", m.Structure())
				t.Check(2, "the IUT does not claim the other identity",
					idr == nil || idr.IDType != other.IDType || !bytes.Equal(idr.Data, other.Data),
					"IDr other than "+acIDLine(other), m.Structure())
				if asSelf {
					acDelete(p, 2)
				}
			},
		},
		{
			ID: "AUTH-006", Title: "IKE_AUTH without AUTH (PSK policy): refused with an error",
			Purpose: "An IKE_AUTH request without an AUTH payload asks for EAP (RFC 7296 section 2.16); an IUT " +
				"configured for a pre-shared key from the tester must not authenticate it: the response carries an " +
				"error Notify (AUTHENTICATION_FAILED, section 2.21.2) and no Child SA.",
			RFC:  []string{"RFC 7296 2.16", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-1", "RFC7296-1.2-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, SA, TSi, TSr} (no AUTH)",
				"J1: IUT -> T  IKE_AUTH response with an error Notify (AUTHENTICATION_FAILED expected)",
				"J2: no Child SA (no SA, TSi, TSr) in the response",
			},
			Run: func(t *T) {
				if t.Profile.HasAuth("eap") {
					t.Skipf("the profile claims EAP: an IKE_AUTH without AUTH starts EAP there")
				}
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{Omit: []wire.PayloadType{wire.PayloadAUTH}})
				_, isErr := m.ErrorNotify()
				t.Check(1, "an error Notify", isErr, "IKE_AUTH response 1 [ N(AUTHENTICATION_FAILED) ]", m.Summary())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA) && !m.Has(wire.PayloadAUTH), "no SA, no AUTH", m.Summary())
			},
		},
		{
			ID: "AUTH-007", Title: "IKE_AUTH without IDi: INVALID_SYNTAX or AUTHENTICATION_FAILED",
			Purpose: "IDi is mandatory in the first IKE_AUTH request (RFC 7296 section 1.2). Without it the IUT " +
				"cannot find the key or verify AUTH: it must refuse with INVALID_SYNTAX or AUTHENTICATION_FAILED and " +
				"authenticate nothing.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-1", "RFC7296-2.21.2-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{AUTH, SA, TSi, TSr} (no IDi)",
				"J1: IUT -> T  IKE_AUTH response with N(INVALID_SYNTAX) or N(AUTHENTICATION_FAILED)",
				"J2: no IDr, no AUTH in the response",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{Omit: []wire.PayloadType{wire.PayloadIDi}})
				e := acErr(m)
				t.Check(1, "INVALID_SYNTAX or AUTHENTICATION_FAILED",
					e == wire.INVALID_SYNTAX.String() || e == wire.AUTHENTICATION_FAILED.String(),
					"INVALID_SYNTAX or AUTHENTICATION_FAILED", e)
				t.Check(2, "no IDr, no AUTH", m != nil && !m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH), "no IDr, no AUTH", m.Summary())
			},
		},
		{
			ID: "AUTH-008", Title: "IKE_AUTH with message ID 2 is not answered; message ID 1 then succeeds",
			Purpose: "The first IKE_AUTH request must have message ID 1; a request outside the responder's window " +
				"must not be acknowledged (RFC 7296 section 2.3). The tester sends IKE_AUTH with message ID 2 and " +
				"expects silence, then the correct request with message ID 1, which must succeed.",
			RFC:  []string{"RFC 7296 2.2", "RFC 7296 2.3"},
			Reqs: []string{"RFC7296-2.3-9"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request; IUT -> T response",
				"T -> IUT  IKE_AUTH request 2: SK{IDi, AUTH, SA, TSi, TSr}",
				"J1: no response within 2 s",
				"T -> IUT  IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi, TSr}",
				"J2: IUT -> T  IKE_AUTH response 1 with AUTH that verifies",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := acAuthWait(p, AuthOptions{Header: acMID(2)}, acQuiet)
				t.Check(1, "no answer to message ID 2", m == nil, "no message", m.Summary())
				m = p.Auth(AuthOptions{Header: acMID(1)})
				t.Check(2, "message ID 1 then authenticates", m != nil && m.AuthOK && m.Header.MessageID == 1,
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", m.Summary())
				if m != nil && m.AuthOK {
					acDelete(p, 2)
				}
			},
		},
		{
			ID: "AUTH-009", Title: "IKE_AUTH with a corrupted ICV is dropped; the intact request then succeeds",
			Purpose: "Both ends must verify the integrity of every protected message (RFC 7296 sections 1.2 and " +
				"3.14); a message whose ICV fails is not from the peer and must be dropped without a response. The " +
				"half-open IKE SA must survive it: the intact IKE_AUTH request then succeeds.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2", "RFC 7296 3.14"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-3.14-6"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request; IUT -> T response",
				"T -> IUT  IKE_AUTH request 1 with the last octet of the ICV flipped",
				"J1: no response within 2 s",
				"T -> IUT  IKE_AUTH request 1 (intact)",
				"J2: IUT -> T  IKE_AUTH response 1 with AUTH that verifies",
				"J3: the IUT still answers a fresh IKE_SA_INIT",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				flip := func(b []byte) []byte { c := slices.Clone(b); c[len(c)-1] ^= 0xff; return c }
				m := acAuthWait(p, AuthOptions{Raw: flip}, acQuiet)
				t.Check(1, "no answer to a corrupted ICV", m == nil, "no message", m.Summary())
				m = p.Auth(AuthOptions{Header: acMID(1)})
				t.Check(2, "the intact request authenticates", m != nil && m.AuthOK,
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", m.Summary())
				if m != nil && m.AuthOK {
					acDelete(p, 2)
				}
				acAlive(t, 3)
			},
		},
		{
			ID: "AUTH-010", Title: "an unprotected IKE_AUTH request (no SK) authenticates nothing",
			Purpose: "IKE_AUTH payloads travel inside the Encrypted payload (RFC 7296 section 1.2); the IUT must " +
				"verify every MAC and so cannot act on an unprotected IKE_AUTH. The tester sends IDi, AUTH, SA, TSi " +
				"and TSr in clear: the IUT must not answer with IDr or AUTH; when it stays silent, the half-open IKE " +
				"SA must survive and the protected request succeed.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2", "RFC 7296 3.14"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-2.21.2-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request; IUT -> T response",
				"T -> IUT  IKE_AUTH request 1: IDi, AUTH, SA, TSi, TSr (no SK)",
				"J1: no response within 2 s, or one without IDr and AUTH (an error Notify only)",
				"T -> IUT  IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi, TSr} (when J1 was silence)",
				"J2: IUT -> T  IKE_AUTH response 1 with AUTH that verifies (or, after an error, the IUT still answers a fresh IKE_SA_INIT)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				spii, spir := p.SPIs()
				h := wire.Header{SPIi: spii, SPIr: spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
					Exchange: wire.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: 1}
				ps := append([]wire.Payload{IDPayload(t.Profile.TesterID, false), &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: randBytes(32)}},
					acChildReq(t, p, nil, 0, nil, nil, "", "")...)
				raw, err := (&wire.Message{Header: h, Payloads: ps}).Encode()
				if err != nil {
					t.Inconclusivef("encoding: %v", err)
				}
				old := p.Timeout
				p.Timeout = acQuiet
				m := p.Resend(raw)
				p.Timeout = old
				t.Check(1, "no IDr, no AUTH for an unprotected request",
					m == nil || (!m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH)), "no message (or an error Notify only)", m.Summary())
				if m != nil {
					t.Logf("the IUT answered the unprotected request: %s", m.Summary())
					acAlive(t, 2)
					return
				}
				a := p.Auth(AuthOptions{Header: acMID(1)})
				t.Check(2, "the protected request then authenticates", a != nil && a.AuthOK,
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", a.Summary())
				if a != nil && a.AuthOK {
					acDelete(p, 2)
				}
			},
		},
		{
			ID: "AUTH-011", Title: "a retransmitted IKE_AUTH request gets the same response octets",
			Purpose: "The responder must answer a retransmitted request by retransmitting its response, not by " +
				"processing the request again (RFC 7296 section 2.1). The tester sends its IKE_AUTH request twice: " +
				"the second response must be bitwise the first.",
			RFC:  []string{"RFC 7296 2.1"},
			Reqs: []string{"RFC7296-2.1-2", "RFC7296-2.1-4", "RFC7296-2.1-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1; IUT -> T IKE_AUTH response 1",
				"T -> IUT  the same IKE_AUTH request 1 again (bitwise identical)",
				"J1: IUT -> T  an IKE_AUTH response 1",
				"J2: it is bitwise identical to the first response",
				"J3: the IKE SA stands (INFORMATIONAL request 2 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				_, first := p.Establish()
				again := p.Resend(p.LastRequest())
				t.Require(1, "the retransmission is answered", again != nil, first.Summary(), again.Summary())
				t.Check(2, "the same response octets", bytes.Equal(again.Raw, first.Raw),
					fmt.Sprintf("%d octets: %s", len(first.Raw), first.Summary()), fmt.Sprintf("%d octets: %s", len(again.Raw), again.Summary()))
				acSAUp(t, p, 3, 2, again)
				acDelete(p, 3)
			},
		},
		{
			ID: "AUTH-012", Title: "N(INITIAL_CONTACT) in IKE_AUTH is accepted",
			Purpose: "INITIAL_CONTACT goes in the first IKE_AUTH request (RFC 7296 section 2.4); the IUT may use it " +
				"to delete older IKE SAs of the same identity, but must complete the new one. The tester establishes " +
				"an IKE SA, then a second one with INITIAL_CONTACT: the second must authenticate and stand.",
			RFC:  []string{"RFC 7296 2.4"},
			Reqs: []string{"RFC7296-2.4-3", "RFC7296-2.4-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk", "initial-contact"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (first IKE SA, from socket A)",
				"T -> IUT  IKE_SA_INIT, IKE_AUTH request: SK{IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr} (socket B)",
				"J1: IUT -> T  IKE_AUTH response with AUTH that verifies and a Child SA (the Child SA only when the profile claims \"child\")",
				"J2: the new IKE SA stands (INFORMATIONAL request 2 answered)",
			},
			Run: func(t *T) {
				a := Dial(t)
				a.Establish()
				b := Dial(t)
				b.InitSA(InitOptions{})
				m := b.Auth(AuthOptions{InitialContact: true})
				child := !t.Profile.Has("child") || m.Has(wire.PayloadSA)
				t.Check(1, "the IUT authenticates with INITIAL_CONTACT", m != nil && m.AuthOK && child,
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", m.Summary())
				acSAUp(t, b, 2, 2, m)
				acDelete(b, 3)
			},
		},
		{
			ID: "AUTH-013", Title: "an RSA signature AUTH where the policy is a PSK: AUTHENTICATION_FAILED",
			Purpose: "The IUT's policy authenticates the tester with a pre-shared key. An AUTH payload of method 1 " +
				"(RSA Digital Signature) with arbitrary data does not authenticate the tester; the IUT must refuse " +
				"with AUTHENTICATION_FAILED (RFC 7296 section 2.21.2) and send no AUTH of its own.",
			RFC:  []string{"RFC 7296 2.15", "RFC 7296 2.21.2", "RFC 7296 3.8"},
			Reqs: []string{"RFC7296-2.21.2-1", "RFC7296-1.2-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH(method RSA_SIG, 256 random octets), SA, TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response 1 SK{N(AUTHENTICATION_FAILED)}",
				"J2: no IDr, no AUTH",
			},
			Run: func(t *T) {
				if t.Profile.HasAuth("pubkey") {
					t.Skipf("the profile claims public key authentication")
				}
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{Auth: &wire.Auth{Method: wire.AuthRSASig, Data: randBytes(256)}})
				t.Judge(1, "AUTHENTICATION_FAILED", wire.AUTHENTICATION_FAILED.String(), acErr(m))
				t.Check(2, "no IDr, no AUTH", m != nil && !m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH), "no IDr, no AUTH", m.Summary())
			},
		},
		{
			ID: "AUTH-014", Title: "IKE_AUTH on an unknown SPI pair: silence or an unprotected INVALID_IKE_SPI",
			Purpose: "A request for an IKE SA the IUT does not have may be answered only with an unprotected " +
				"INVALID_IKE_SPI to the sender, SPIs and message ID copied (RFC 7296 section 2.21.4), or not at " +
				"all. The tester sends IKE_AUTH with a wrong SPIr; the real half-open SA must be unaffected.",
			RFC:  []string{"RFC 7296 2.21.4"},
			Reqs: []string{"RFC7296-2.21.4-2", "RFC7296-2.21.4-3", "RFC7296-2.21.4-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request; IUT -> T response",
				"T -> IUT  IKE_AUTH request 1 with SPIr replaced by a random value",
				"J1: no response within 2 s, or an unprotected response [ N(INVALID_IKE_SPI) ] with message ID 1",
				"T -> IUT  IKE_AUTH request 1 with the right SPIs",
				"J2: IUT -> T  IKE_AUTH response 1 with AUTH that verifies",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				bogus := randUint64()
				m := acAuthWait(p, AuthOptions{Header: func(h *wire.Header) { h.SPIr = bogus }}, acQuiet)
				ok := m == nil || (!m.Encrypted && m.Notify(wire.INVALID_IKE_SPI) != nil && m.Header.MessageID == 1 && m.Header.SPIr == bogus)
				t.Check(1, "silence or an unprotected INVALID_IKE_SPI", ok,
					"no message\nor\nIKE_AUTH response 1 [ N(INVALID_IKE_SPI) ] (unprotected)", m.Structure())
				a := p.Auth(AuthOptions{Header: acMID(1)})
				t.Check(2, "the right SPIs then authenticate", a != nil && a.AuthOK,
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", a.Summary())
				if a != nil && a.AuthOK {
					acDelete(p, 2)
				}
			},
		},
		{
			ID: "AUTH-015", Title: "a second IKE_AUTH on an established IKE SA is not accepted",
			Purpose: "IKE_AUTH happens once per IKE SA (RFC 7296 section 1.2). A second IKE_AUTH request after " +
				"establishment must not re-authenticate or make a Child SA; an error response or silence is " +
				"acceptable, and the IKE SA must stand.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-2.21.3-1", "RFC7296-1.3.1-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  IKE_AUTH request 2: SK{IDi, AUTH, SA, TSi, TSr}",
				"J1: no response within 2 s, or a response without IDr, AUTH and SA",
				"T -> IUT  INFORMATIONAL request (message ID 2 after silence, else 3): SK{}",
				"J2: IUT -> T  INFORMATIONAL response (the IKE SA stands)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				m := acAuthWait(p, AuthOptions{}, acQuiet)
				t.Check(1, "the second IKE_AUTH is not accepted",
					m == nil || (!m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH) && !m.Has(wire.PayloadSA)),
					"no message, or an error Notify only", m.Summary())
				mid := uint32(2)
				if m != nil {
					mid = 3
				}
				acSAUp(t, p, 2, mid, m)
				acDelete(p, mid+1)
			},
		},
		{
			ID: "AUTH-016", Title: "the IUT's AUTH is a shared key MIC of the PRF's output length",
			Purpose: "With a pre-shared key the responder's AUTH is prf(prf(Shared Secret, \"Key Pad for IKEv2\"), " +
				"<ResponderSignedOctets>) with method 2 (RFC 7296 sections 2.15 and 3.8): its length is the PRF's " +
				"output and it verifies over the IUT's own IKE_SA_INIT response, Ni and IDr.",
			RFC:  []string{"RFC 7296 2.15", "RFC 7296 3.8"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-1.2-3", "RFC7296-3.8-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"J1: the AUTH payload has method 2 (Shared Key Message Integrity Code)",
				"J2: its data has the negotiated PRF's output length",
				"J3: it verifies",
			},
			Run: func(t *T) {
				p := Dial(t)
				_, m := p.Establish()
				a, _ := acFind[*wire.Auth](m)
				if a == nil {
					t.Failf(1, "no AUTH payload in %s", m.Summary())
				}
				t.Judge(1, "AUTH method shared key MIC", wire.AuthSharedKeyMIC.String(), a.Method.String())
				want := len(p.sa.suite.PRF.Sum([]byte("k"), []byte("x")))
				t.Judge(2, "AUTH data length is the PRF output length", fmt.Sprint(want), fmt.Sprint(len(a.Data)))
				t.Check(3, "AUTH verifies", m.AuthOK, "AUTH verifies", "AUTH does not verify")
				acDelete(p, 2)
			},
		},
		{
			ID: "AUTH-017", Title: "no payload of the IKE_AUTH response has the critical flag",
			Purpose: "Payloads sent in IKE responses must not have the critical flag set, and payloads defined in " +
				"RFC 7296 are sent with it clear (sections 2.5 and 3.2). The tester checks every payload of the " +
				"IUT's IKE_AUTH response, inside SK.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.2"},
			Reqs: []string{"RFC7296-2.5-10", "RFC7296-3.2-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"J1: no payload of the IKE_AUTH response is marked critical",
			},
			Run: func(t *T) {
				p := Dial(t)
				_, m := p.Establish()
				var crit []string
				for _, q := range m.Payloads {
					if q.Header().Critical {
						crit = append(crit, wire.PayloadName(q))
					}
				}
				t.Check(1, "no critical payload", len(crit) == 0, strings.ReplaceAll(m.Structure(), " critical", ""), m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "AUTH-018", Title: "AUTH computed over another IDi than the one sent: AUTHENTICATION_FAILED",
			Purpose: "The AUTH payload covers prf(SK_pi, IDi') (RFC 7296 section 2.15), and the names in the ID " +
				"payload must correspond to the key (section 1.2). The tester computes AUTH over a different IDi " +
				"than the one it sends: the IUT must refuse with AUTHENTICATION_FAILED.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.15"},
			Reqs: []string{"RFC7296-1.2-2", "RFC7296-1.2-3", "RFC7296-2.21.2-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{AUTH(over IDi of another identity), SA, TSi, TSr, IDi(tester_id)}",
				"J1: IUT -> T  IKE_AUTH response 1 SK{N(AUTHENTICATION_FAILED)}",
				"J2: no IDr, no AUTH",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{IDi: IDPayload("someone-else@unknown.invalid", false),
					Omit: []wire.PayloadType{wire.PayloadIDi}, Extra: []wire.Payload{IDPayload(t.Profile.TesterID, false)}})
				t.Judge(1, "AUTHENTICATION_FAILED", wire.AUTHENTICATION_FAILED.String(), acErr(m))
				t.Check(2, "no IDr, no AUTH", m != nil && !m.Has(wire.PayloadIDr) && !m.Has(wire.PayloadAUTH), "no IDr, no AUTH", m.Summary())
			},
		},
		{
			ID: "AUTH-019", Title: "IKE_AUTH with its payloads in another order is accepted",
			Purpose: "Implementations must not reject messages whose payloads are not in the order shown in RFC " +
				"7296 (section 1.7). The tester sends IDi last, after AUTH, SA, TSi and TSr: the IUT must " +
				"authenticate it as usual.",
			RFC:  []string{"RFC 7296 1.7", "RFC 7296 2.5"},
			Reqs: []string{"RFC7296-1.7-5"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{AUTH, SA, TSi, TSr, IDi}",
				"J1: IUT -> T  IKE_AUTH response with AUTH that verifies",
				"J2: a Child SA results (only when the profile claims \"child\")",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				idi := IDPayload(t.Profile.TesterID, false)
				m := p.Auth(AuthOptions{IDi: idi, Omit: []wire.PayloadType{wire.PayloadIDi}, Extra: []wire.Payload{idi}})
				t.Check(1, "the IUT authenticates", m != nil && m.AuthOK, "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)", m.Summary())
				if t.Profile.Has("child") {
					t.Check(2, "a Child SA", len(p.Children) == 1, "1 Child SA", m.Summary())
				}
				if m != nil && m.AuthOK {
					acDelete(p, 2)
				}
			},
		},
	}
}

// ---- CHILD ----

// acChildRefused is the ladder of a case whose IKE_AUTH asks for a Child SA
// the IUT must refuse with the error want: J1 the IKE SA authenticates, J2
// the error, J3 no Child SA, J4 the IKE SA stands.
func acChildRefused(t *T, o AuthOptions, want ...wire.NotifyType) {
	p := Dial(t)
	p.InitSA(InitOptions{})
	m := p.Auth(o)
	t.Require(1, "the IKE SA authenticates", m != nil && m.AuthOK, "IKE_AUTH response 1 [ IDr AUTH N(...) ] (AUTH verifies)", m.Summary())
	e := acErr(m)
	var names []string
	ok := false
	for _, w := range want {
		names = append(names, w.String())
		ok = ok || e == w.String()
	}
	t.Check(2, "the Child SA is refused with "+strings.Join(names, " or "), ok, strings.Join(names, " or "), e)
	t.Check(3, "no Child SA", !m.Has(wire.PayloadSA) && len(p.Children) == 0, "no SA payload", m.Summary())
	acSAUp(t, p, 4, 2, m)
	acDelete(p, 3)
}

var acChildRefusedSteps = []string{
	"J1: IUT -> T  IKE_AUTH response 1 with IDr and AUTH that verifies",
	"J2: the response carries the error Notify",
	"J3: no SA payload (no Child SA)",
	"T -> IUT  INFORMATIONAL request 2: SK{}",
	"J4: IUT -> T  INFORMATIONAL response 2 (the IKE SA stands)",
}

func childCases() []*Case {
	return []*Case{
		{
			ID: "CHILD-001", Title: "the first Child SA: an offered ESP proposal and a 4-octet SPI",
			Purpose: "The responder must accept a single proposal, answer with its proposal number and exactly one " +
				"of each offered transform type (RFC 7296 sections 2.7, 3.3.1, 3.3.6); an ESP SPI has 4 octets and " +
				"is not 0 (nor 1-255, reserved by RFC 4303). The tester offers all the profile's ESP proposals.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.1", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-3", "RFC7296-2.7-4", "RFC7296-3.3.1-3", "RFC7296-3.3.6-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA(all profile ESP proposals), TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response with SA, TSi, TSr",
				"J2: one proposal, an offered one, one transform of each type",
				"J3: the ESP SPI has 4 octets and is above 255",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{ESP: t.Profile.ESPProposals})
				t.Require(1, "a Child SA in the IKE_AUTH response", m != nil && m.AuthOK && m.Has(wire.PayloadSA),
					"IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				sa, _ := acFind[*wire.SA](m)
				offered := acESP(t, t.Profile.ESPProposals...)
				ok, why := acProposalOK(offered, sa)
				t.Check(2, "an offered proposal: "+why, ok, acOffer(offered), m.Structure())
				spi := sa.Proposals[0].SPI
				t.Check(3, "a 4-octet ESP SPI above 255", len(spi) == 4 && binary.BigEndian.Uint32(spi) > 255,
					"SPI of 4 octets > 255", fmt.Sprintf("SPI %x", spi))
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-002", Title: "narrowing keeps the initiator's first traffic selectors",
			Purpose: "When the initiator's first TSi and TSr selectors are the packet's (specific) ones, a responder " +
				"whose policy accepts them must narrow to a subset that includes them (RFC 7296 section 2.9). The " +
				"tester offers first one host of tester_ts and of iut_ts, then 0.0.0.0/0.",
			RFC:  []string{"RFC 7296 2.9"},
			Reqs: []string{"RFC7296-2.9-2", "RFC7296-2.9-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA, TSi(host of tester_ts, 0.0.0.0/0), TSr(host of iut_ts, 0.0.0.0/0)}",
				"J1: IUT -> T  IKE_AUTH response with a Child SA",
				"J2: the TSi answered includes the first TSi host",
				"J3: the TSr answered includes the first TSr host",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				ti, tr := acSelectors(t, p, t.Profile.TesterTS), acSelectors(t, p, t.Profile.IUTTS)
				if ti[0].Type != wire.TS_IPV4_ADDR_RANGE || tr[0].Type != wire.TS_IPV4_ADDR_RANGE {
					t.Skipf("the profile's first traffic selectors are not IPv4")
				}
				hi, hr := ti[0].Start, tr[0].Start.Next()
				if !acWithin(wire.Selector{Type: tr[0].Type, Start: hr, End: hr, EndPort: 65535}, tr[:1]) {
					hr = tr[0].Start
				}
				m := p.Auth(AuthOptions{TSi: hi.String() + ",0.0.0.0/0", TSr: hr.String() + ",0.0.0.0/0"})
				t.Require(1, "a Child SA", m != nil && m.AuthOK && m.Has(wire.PayloadSA), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				host := func(a netip.Addr) wire.Selector {
					return wire.Selector{Type: wire.TS_IPV4_ADDR_RANGE, Start: a, End: a, StartPort: 0, EndPort: 65535}
				}
				gi, gr := acTS(m, false), acTS(m, true)
				t.Check(2, "TSi includes "+hi.String(), gi != nil && acWithin(host(hi), gi.Selectors), "TSi ⊇ "+hi.String(), acSels("TSi", acSelsOf(gi)))
				t.Check(3, "TSr includes "+hr.String(), gr != nil && acWithin(host(hr), gr.Selectors), "TSr ⊇ "+hr.String(), acSels("TSr", acSelsOf(gr)))
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-003", Title: "traffic selectors outside the IUT's policy: TS_UNACCEPTABLE, the IKE SA stands",
			Purpose: "When no part of the proposed TSr is acceptable the responder refuses the Child SA with " +
				"TS_UNACCEPTABLE; a Child SA error in IKE_AUTH leaves the authenticated IKE SA up (RFC 7296 sections " +
				"1.3.1, 2.9, 2.21.2, 2.21.3).",
			RFC:  []string{"RFC 7296 2.9", "RFC 7296 2.21.2", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-1.3.1-4", "RFC7296-2.21.2-4", "RFC7296-2.21.3-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi(tester_ts), TSr(a prefix disjoint from iut_ts)}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				p := Dial(t)
				far := acDisjoint(t, p, t.Profile.IUTTS)
				p.tr.close()
				acChildRefused(t, AuthOptions{TSr: far}, wire.TS_UNACCEPTABLE)
			},
		},
		{
			ID: "CHILD-004", Title: "an ESP proposal the IUT does not accept: NO_PROPOSAL_CHOSEN, the IKE SA stands",
			Purpose: "A responder must reject proposals its policy does not authorize (RFC 7296 section 3.3.4) with " +
				"NO_PROPOSAL_CHOSEN; in IKE_AUTH the IKE SA is still created (sections 1.3.1 and 2.21.2). The tester " +
				"offers only CAST-128 with HMAC-MD5.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 2.21.2", "RFC 7296 3.3.4"},
			Reqs: []string{"RFC7296-3.3.4-6", "RFC7296-2.7-3", "RFC7296-1.3.1-4", "RFC7296-2.21.2-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA(ESP cast128-md5), TSi, TSr}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				if slices.Contains(t.Profile.ESPProposals, "cast128-md5") {
					t.Skipf("the profile accepts cast128-md5")
				}
				acChildRefused(t, AuthOptions{ESP: []string{"cast128-md5"}}, wire.NO_PROPOSAL_CHOSEN)
			},
		},
		{
			ID: "CHILD-005", Title: "encryption-only ESP (AES-CBC without integrity) is refused unless configured",
			Purpose: "ESP confidentiality without integrity is NOT RECOMMENDED (RFC 4301 section 3.2) and only a " +
				"MAY (RFC 4303); an IUT whose profile lists no such proposal must reject it as unauthorized by its " +
				"policy (RFC 7296 section 3.3.4) with NO_PROPOSAL_CHOSEN, keeping the IKE SA.",
			RFC:  []string{"RFC 7296 3.3.4", "RFC 4301 3.2", "RFC 4303 1"},
			Reqs: []string{"RFC7296-3.3.4-6", "RFC4301-3.2-3", "RFC4303-1-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA(ESP ENCR_AES_CBC/256, no INTEG), TSi, TSr}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				for _, s := range t.Profile.ESPProposals {
					ps, err := ParseProposals(wire.ProtoESP, s)
					if err != nil {
						continue
					}
					for _, pr := range ps {
						c, _ := chosenOf(&wire.SA{Proposals: []wire.Proposal{pr}})
						if c.Encr == wire.ENCR_AES_CBC && c.Integ == wire.AUTH_NONE {
							t.Skipf("the profile accepts AES-CBC without integrity (%s)", s)
						}
					}
				}
				acChildRefused(t, AuthOptions{ESP: []string{"aes256"}}, wire.NO_PROPOSAL_CHOSEN)
			},
		},
		{
			ID: "CHILD-006", Title: "ESP with NULL encryption and no integrity is refused",
			Purpose: "A compliant implementation must not instantiate an ESP SA with both NULL encryption and no " +
				"integrity algorithm (RFC 4301 section 4.2; RFC 4303 section 3.2). The tester offers only ENCR_NULL " +
				"without INTEG: the IUT must refuse the Child SA (NO_PROPOSAL_CHOSEN) and keep the IKE SA.",
			RFC:  []string{"RFC 4301 4.2", "RFC 4303 3.2", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC4301-4.2-1", "RFC4303-3.2-2", "RFC4303-5-6"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA(ESP ENCR_NULL, no INTEG), TSi, TSr}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				acChildRefused(t, AuthOptions{ESP: []string{"null"}}, wire.NO_PROPOSAL_CHOSEN)
			},
		},
		{
			ID: "CHILD-007", Title: "USE_TRANSPORT_MODE requested: transport accepted or the Child SA in tunnel mode",
			Purpose: "The initiator asks for transport mode with N(USE_TRANSPORT_MODE); if the responder accepts, its " +
				"response must carry the same notification, otherwise the Child SA is in tunnel mode (RFC 7296 " +
				"section 1.3.1). Either way the Child SA is made; the notification concerns no SA (protocol 0, no SPI).",
			RFC:  []string{"RFC 7296 1.3.1", "RFC 7296 3.10"},
			Reqs: []string{"RFC7296-1.3.1-1", "RFC7296-1.3.1-2", "RFC7296-3.10-2"},
			Tag:  "transport", Role: IUTResponder, Needs: []string{"child", "auth:psk", "transport"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, N(USE_TRANSPORT_MODE), SA, TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response with a Child SA (SA, TSi, TSr)",
				"J2: N(USE_TRANSPORT_MODE), if present, has protocol 0, no SPI and no data (transport); absent: tunnel",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{Transport: true})
				t.Require(1, "a Child SA", m != nil && m.AuthOK && m.Has(wire.PayloadSA) && len(p.Children) == 1,
					"IKE_AUTH response 1 [ IDr AUTH N(USE_TRANSP) SA TSi TSr ]", m.Summary())
				n := m.Notify(wire.USE_TRANSPORT_MODE)
				if n == nil {
					t.Logf("the IUT declined transport mode: the Child SA is in tunnel mode")
				} else {
					t.Logf("the IUT accepted transport mode")
				}
				t.Check(2, "USE_TRANSPORT_MODE well formed (or absent: tunnel)",
					n == nil || (n.Protocol == 0 && len(n.SPI) == 0 && len(n.Data) == 0),
					"N(USE_TRANSP) protocol NONE spi 0 (or none)", m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-008", Title: "no USE_TRANSPORT_MODE in the response unless the tester asked",
			Purpose: "Transport mode is negotiated only at the initiator's request: the response's " +
				"USE_TRANSPORT_MODE answers the request's (RFC 7296 section 1.3.1). Without it the Child SA is in " +
				"tunnel mode and the IUT's response must not carry USE_TRANSPORT_MODE.",
			RFC:  []string{"RFC 7296 1.3.1"},
			Reqs: []string{"RFC7296-1.3.1-1", "RFC7296-1.3.1-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH request without N(USE_TRANSPORT_MODE) (Establish)",
				"J1: the IKE_AUTH response has no N(USE_TRANSPORT_MODE)",
			},
			Run: func(t *T) {
				p := Dial(t)
				_, m := p.Establish()
				t.Check(1, "no USE_TRANSPORT_MODE", m.Notify(wire.USE_TRANSPORT_MODE) == nil, "no N(USE_TRANSP)", m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-009", Title: "ESN and no-ESN both offered: exactly one chosen",
			Purpose: "The accepted suite must contain exactly one transform of each type in the proposal (RFC 7296 " +
				"sections 2.7 and 3.3.6). The tester offers its ESP proposal with both Extended Sequence Numbers and " +
				"No Extended Sequence Numbers: the IUT must pick one.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-4", "RFC7296-3.3.6-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA(ESP ... EXT_SEQ NO_EXT_SEQ), TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response with a Child SA",
				"J2: the chosen proposal has exactly one ESN transform, and is an offered one",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				spec := t.Profile.ESPProposals[0] + "-esn-noesn"
				m := p.Auth(AuthOptions{ESP: []string{spec}})
				t.Require(1, "a Child SA", m != nil && m.AuthOK && m.Has(wire.PayloadSA), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				sa, _ := acFind[*wire.SA](m)
				ok, why := acProposalOK(acESP(t, spec), sa)
				t.Check(2, "one ESN transform: "+why, ok, acOffer(acESP(t, spec)), m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-010", Title: "CREATE_CHILD_SA for a new Child SA: SA, Nr, TSi, TSr (or NO_ADDITIONAL_SAS)",
			Purpose: "After the initial exchanges the initiator may create further Child SAs (RFC 7296 section " +
				"1.3.1). The IUT answers with SA, Nr, TSi and TSr; a minimal IUT may instead refuse with " +
				"NO_ADDITIONAL_SAS (section 4). The chosen proposal must be offered, the nonce 16-256 octets.",
			RFC:  []string{"RFC 7296 1.3.1", "RFC 7296 3.9", "RFC 7296 4"},
			Reqs: []string{"RFC7296-1.3-2", "RFC7296-4-7", "RFC7296-3.9-1", "RFC7296-3.3.1-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA, Ni, TSi, TSr}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2: SK{SA, Nr, TSi, TSr} or SK{N(NO_ADDITIONAL_SAS)}",
				"J2: an offered proposal with a 4-octet SPI (when SA)",
				"J3: Nr has 16 to 256 octets (when SA)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				m := p.CreateChild(0, false)
				made := m != nil && m.Has(wire.PayloadSA) && m.Has(wire.PayloadNonce) && m.Has(wire.PayloadTSi) && m.Has(wire.PayloadTSr)
				t.Require(1, "SA, Nr, TSi, TSr or NO_ADDITIONAL_SAS", made || acErr(m) == wire.NO_ADDITIONAL_SAS.String(),
					"CREATE_CHILD_SA response 2 [ SA No TSi TSr ]", m.Summary())
				if !made {
					t.Logf("the IUT refuses additional Child SAs")
					acDelete(p, 3)
					return
				}
				sa, _ := acFind[*wire.SA](m)
				offered := acESP(t, t.Profile.ESPProposals[0])
				ok, why := acProposalOK(offered, sa)
				t.Check(2, "an offered proposal with a 4-octet SPI "+why, ok && len(sa.Proposals[0].SPI) == 4, acOffer(offered), m.Structure())
				nr, _ := acFind[*wire.Nonce](m)
				t.Check(3, "Nr of 16 to 256 octets", len(nr.Data) >= 16 && len(nr.Data) <= 256, "16..256", fmt.Sprint(len(nr.Data)))
				acDelete(p, 3)
			},
		},
		{
			ID: "CHILD-011", Title: "CREATE_CHILD_SA with PFS (KEi): KEr of the same group, or NO_PROPOSAL_CHOSEN",
			Purpose: "A CREATE_CHILD_SA request may carry KEi for PFS, its group in the proposal (RFC 7296 section " +
				"1.3). The IUT either accepts the proposal with that KE transform and answers KEr of the same group, " +
				"or, if its policy has no PFS, refuses with NO_PROPOSAL_CHOSEN; the IKE SA stands either way.",
			RFC:  []string{"RFC 7296 1.3", "RFC 7296 1.3.1", "RFC 7296 3.4"},
			Reqs: []string{"RFC7296-1.3-3", "RFC7296-1.3-4", "RFC7296-3.4-2", "RFC7296-1.3.1-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA(ESP + KE group of the IKE SA), Ni, KEi, TSi, TSr}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2: SK{SA, Nr, KEr, TSi, TSr} or SK{N(NO_PROPOSAL_CHOSEN)}",
				"J2: with SA: the chosen proposal has the KE transform of KEi's group and KEr is of that group",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				init, _ := p.Establish()
				g := acIKEGroup(t, init)
				m := p.CreateChild(0, true)
				made := m != nil && m.Has(wire.PayloadSA)
				t.Check(1, "KEr with SA, or NO_PROPOSAL_CHOSEN", made || acErr(m) == wire.NO_PROPOSAL_CHOSEN.String(),
					"CREATE_CHILD_SA response 2 [ SA No KE TSi TSr ]\nor\nCREATE_CHILD_SA response 2 [ N(NO_PROP) ]", m.Summary())
				if made {
					sa, _ := acFind[*wire.SA](m)
					c, _ := chosenOf(sa)
					kr, _ := acFind[*wire.KE](m)
					t.Check(2, "the KE transform and KEr are of group "+g.String(), c.HasKE && c.KE == g && kr != nil && kr.Group == g,
						"KE "+g.String(), m.Structure())
				} else {
					t.Check(2, "no KEr without an SA", !m.Has(wire.PayloadKE), "no KE", m.Summary())
				}
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-012", Title: "CREATE_CHILD_SA whose KEi group differs from the proposal's: no Child SA",
			Purpose: "If the responder selects a proposal whose group differs from KEi's, it must reject the request " +
				"with INVALID_KE_PAYLOAD naming its group (RFC 7296 sections 1.3 and 3.4); an IUT without PFS refuses " +
				"with NO_PROPOSAL_CHOSEN. The tester proposes the IKE SA's group but sends KEi of another group: no " +
				"Child SA may result.",
			RFC:  []string{"RFC 7296 1.3", "RFC 7296 3.4"},
			Reqs: []string{"RFC7296-1.3-6", "RFC7296-3.4-4", "RFC7296-2.21.3-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA(ESP + KE group G of the IKE SA), Ni, KEi(other group), TSi, TSr}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2: SK{N(INVALID_KE_PAYLOAD, G)} or SK{N(NO_PROPOSAL_CHOSEN)}",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				init, _ := p.Establish()
				g := acIKEGroup(t, init)
				other := wire.ECP_256
				if g == wire.ECP_256 {
					other = wire.CURVE25519
				}
				m := p.Request(wire.CREATE_CHILD_SA, acChildReq(t, p, nil, g, randBytes(32), acKE(t, other), "", ""), ReqOptions{})
				e := acErr(m)
				okKE := e == wire.INVALID_KE_PAYLOAD.String()
				if n := m.Notify(wire.INVALID_KE_PAYLOAD); n != nil {
					okKE = len(n.Data) == 2 && wire.KEID(binary.BigEndian.Uint16(n.Data)) == g
				}
				t.Check(1, "INVALID_KE_PAYLOAD naming "+g.String()+", or NO_PROPOSAL_CHOSEN", okKE || e == wire.NO_PROPOSAL_CHOSEN.String(),
					"N(INVALID_KE_PAYLOAD) group "+g.String()+"\nor\nN(NO_PROPOSAL_CHOSEN)", m.Structure())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-013", Title: "CREATE_CHILD_SA without a nonce: an error, the IKE SA stands",
			Purpose: "A CREATE_CHILD_SA request carries Ni (RFC 7296 section 1.3.1); without it no keys can be " +
				"derived. After authentication every request with an error must be answered with an error Notify " +
				"(section 2.21.3); no Child SA results and the IKE SA stands.",
			RFC:  []string{"RFC 7296 1.3.1", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-2.21.3-1", "RFC7296-1.3.1-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA, TSi, TSr} (no Ni)",
				"J1: IUT -> T  CREATE_CHILD_SA response 2 with an error Notify (INVALID_SYNTAX expected)",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				m := p.Request(wire.CREATE_CHILD_SA, acChildReq(t, p, nil, 0, nil, nil, "", ""), ReqOptions{})
				_, isErr := m.ErrorNotify()
				t.Check(1, "an error Notify", isErr, "CREATE_CHILD_SA response 2 [ N(INVAL_SYN) ]", m.Summary())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-014", Title: "CREATE_CHILD_SA without traffic selectors: an error, the IKE SA stands",
			Purpose: "A request for a new Child SA carries TSi and TSr (RFC 7296 section 1.3.1). Without them the " +
				"IUT must answer with an error Notify (section 2.21.3: INVALID_SYNTAX or TS_UNACCEPTABLE), make no " +
				"Child SA and keep the IKE SA.",
			RFC:  []string{"RFC 7296 1.3.1", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-2.21.3-1", "RFC7296-1.3.1-4"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA, Ni} (no TSi, TSr)",
				"J1: IUT -> T  CREATE_CHILD_SA response 2 with an error Notify",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				ps := acChildReq(t, p, nil, 0, randBytes(32), nil, "", "")
				ps = omit(ps, []wire.PayloadType{wire.PayloadTSi, wire.PayloadTSr})
				m := p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
				_, isErr := m.ErrorNotify()
				t.Check(1, "an error Notify", isErr, "CREATE_CHILD_SA response 2 [ N(INVAL_SYN) ]", m.Summary())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-015", Title: "an ESP proposal with SPI size 0: an error, no Child SA",
			Purpose: "An ESP proposal carries the sender's 4-octet inbound SPI (RFC 7296 section 3.3.1); with SPI " +
				"size 0 the IUT has no SPI to send to. It must answer the CREATE_CHILD_SA request with an error " +
				"Notify (section 2.21.3) and make no Child SA.",
			RFC:  []string{"RFC 7296 3.3.1", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-2.21.3-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA(ESP proposal, SPI size 0), Ni, TSi, TSr}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2 with an error Notify",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				ps := acChildReq(t, p, nil, 0, randBytes(32), nil, "", "")
				sa := ps[0].(*wire.SA)
				for i := range sa.Proposals {
					sa.Proposals[i].SPI = nil
				}
				m := p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
				_, isErr := m.ErrorNotify()
				t.Check(1, "an error Notify", isErr, "CREATE_CHILD_SA response 2 [ N(INVAL_SYN) ]", m.Summary())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-016", Title: "deleting a Child SA: the response deletes the partner SA",
			Purpose: "When one SA of a Child SA pair is deleted, the recipient must close the designated SA and, in " +
				"its response, delete the other SA of the pair: a Delete payload with its own inbound SPI (RFC 7296 " +
				"section 1.4.1).",
			RFC:  []string{"RFC 7296 1.4.1", "RFC 7296 3.11"},
			Reqs: []string{"RFC7296-1.4.1-1", "RFC7296-1.4.1-3", "RFC7296-3.11-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish: Child SA, tester SPI a, IUT SPI b)",
				"T -> IUT  INFORMATIONAL request 2: SK{D(ESP, a)}",
				"J1: IUT -> T  INFORMATIONAL response 2: SK{D(ESP, b)}",
				"J2: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				if len(p.Children) == 0 {
					t.Inconclusivef("no Child SA from IKE_AUTH")
				}
				want := binary.BigEndian.AppendUint32(nil, p.ChildSPIOut)
				m := p.DeleteChild(p.ChildSPIIn)
				d, _ := acFind[*wire.Delete](m)
				ok := d != nil && d.Protocol == wire.ProtoESP && d.SPISize == 4 && len(d.SPIs) == 1 && bytes.Equal(d.SPIs[0], want)
				seen := m.Structure()
				if d != nil {
					seen += fmt.Sprintf("SPIs %x\n", d.SPIs)
				}
				t.Check(1, "the response deletes the IUT's SPI of the pair", ok,
					fmt.Sprintf("INFORMATIONAL response 2 flags R\nSK {\n  D protocol ESP spi 4 count 1\n}\nSPIs [%x]\n", want), seen)
				acSAUp(t, p, 2, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-017", Title: "deleting an unknown Child SA: an answer without Delete, the IKE SA stands",
			Purpose: "The recipient of an INFORMATIONAL request must answer it (RFC 7296 section 1.4). A Delete " +
				"naming an ESP SPI the IUT never negotiated deletes nothing: the response carries no Delete of an " +
				"SA, and the IKE SA and its Child SA stand.",
			RFC:  []string{"RFC 7296 1.4", "RFC 7296 1.4.1"},
			Reqs: []string{"RFC7296-1.4-4", "RFC7296-1.4.1-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  INFORMATIONAL request 2: SK{D(ESP, an unknown SPI)}",
				"J1: IUT -> T  INFORMATIONAL response 2",
				"J2: it deletes no SA (no Delete payload with SPIs)",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				unknown := randUint32()
				for _, c := range p.Children {
					if c.SPIIn == unknown {
						unknown++
					}
				}
				m := p.DeleteChild(unknown)
				t.Require(1, "an answer", m != nil && m.Encrypted && m.IsResponse(), "INFORMATIONAL response 2 [ ]", m.Summary())
				d, _ := acFind[*wire.Delete](m)
				t.Check(2, "no Delete of an SA", d == nil || len(d.SPIs) == 0, "INFORMATIONAL response 2 [ ]", m.Structure())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
		{
			ID: "CHILD-018", Title: "the accepted proposal number matches the offered proposal",
			Purpose: "When a proposal is accepted, the proposal number in the responder's SA payload must match the " +
				"number of the proposal accepted (RFC 7296 section 3.3.1). The tester offers an ESP proposal the " +
				"profile does not list first and the profile's first second: the answer must name the one whose " +
				"transforms it carries.",
			RFC:  []string{"RFC 7296 3.3.1", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-3.3.1-3", "RFC7296-3.3.6-2", "RFC7296-2.7-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA(1: cast128-md5, 2: profile's first ESP), TSi, TSr}",
				"J1: IUT -> T  IKE_AUTH response with a Child SA",
				"J2: the proposal number and transforms name the same offered proposal",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				specs := []string{"cast128-md5", t.Profile.ESPProposals[0]}
				m := p.Auth(AuthOptions{ESP: specs})
				t.Require(1, "a Child SA", m != nil && m.AuthOK && m.Has(wire.PayloadSA), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				sa, _ := acFind[*wire.SA](m)
				ok, why := acProposalOK(acESP(t, specs...), sa)
				t.Check(2, "the proposal number matches its transforms "+why, ok, acOffer(acESP(t, specs...)), m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "CHILD-019", Title: "CREATE_CHILD_SA with an 8-octet nonce: an error, no Child SA",
			Purpose: "Nonce data must be between 16 and 256 octets (RFC 7296 section 3.9). A CREATE_CHILD_SA request " +
				"with an 8-octet Ni is in error: the IUT must answer with an error Notify (section 2.21.3), make no " +
				"Child SA and keep the IKE SA.",
			RFC:  []string{"RFC 7296 3.9", "RFC 7296 2.21.3"},
			Reqs: []string{"RFC7296-3.9-1", "RFC7296-2.21.3-1"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA, Ni(8 octets), TSi, TSr}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2 with an error Notify",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				m := p.Request(wire.CREATE_CHILD_SA, acChildReq(t, p, nil, 0, randBytes(8), nil, "", ""), ReqOptions{})
				_, isErr := m.ErrorNotify()
				t.Check(1, "an error Notify", isErr, "CREATE_CHILD_SA response 2 [ N(INVAL_SYN) ]", m.Summary())
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
	}
}

// ---- SPD ----

func spdCases() []*Case {
	return []*Case{
		{
			ID: "SPD-001", Title: "wide traffic selectors are narrowed to the IUT's policy",
			Purpose: "Offered 0.0.0.0/0 both ways, a responder narrows to what its policy allows (RFC 7296 section " +
				"2.9; RFC 4301 section 4.4.1): the answered TSr must lie within the profile's iut_ts and the TSi " +
				"within tester_ts, both within what was offered.",
			RFC:  []string{"RFC 7296 2.9", "RFC 4301 4.4.1"},
			Reqs: []string{"RFC7296-2.9-4", "RFC4301-4.4.1-13"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"child", "auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA, TSi(0.0.0.0/0), TSr(0.0.0.0/0)}",
				"J1: IUT -> T  IKE_AUTH response with a Child SA (narrowed)",
				"J2: TSr lies within iut_ts",
				"J3: TSi lies within tester_ts",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				m := p.Auth(AuthOptions{TSi: "0.0.0.0/0", TSr: "0.0.0.0/0"})
				t.Require(1, "a narrowed Child SA", m != nil && m.AuthOK && m.Has(wire.PayloadSA), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]", m.Summary())
				iut, tester := acSelectors(t, p, t.Profile.IUTTS), acSelectors(t, p, t.Profile.TesterTS)
				gi, gr := acTS(m, false), acTS(m, true)
				t.Check(2, "TSr within iut_ts", acAllWithin(gr, iut), acSels("TSr within", iut), acSels("TSr", acSelsOf(gr)))
				t.Check(3, "TSi within tester_ts", acAllWithin(gi, tester), acSels("TSi within", tester), acSels("TSi", acSelsOf(gi)))
				acDelete(p, 2)
			},
		},
		{
			ID: "SPD-002", Title: "a protocol- and port-restricted selector is narrowed or refused, never widened",
			Purpose: "The responder may narrow the initiator's traffic selectors but never widen them (RFC 7296 " +
				"section 2.9). The tester asks for TCP to port 443 only: the IUT either refuses (TS_UNACCEPTABLE) " +
				"or answers selectors with protocol TCP and port 443 within the offered addresses.",
			RFC:  []string{"RFC 7296 2.9", "RFC 7296 3.13.1"},
			Reqs: []string{"RFC7296-2.9-4", "RFC7296-3.13.1-3"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request: SK{IDi, AUTH, SA, TSi(tester_ts, TCP, all ports), TSr(iut_ts, TCP, port 443)}",
				"J1: IUT -> T  IKE_AUTH response with AUTH that verifies",
				"J2: N(TS_UNACCEPTABLE), or TSi and TSr within the offered ones (TCP; TSr port 443)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				ti, tr := acSelectors(t, p, t.Profile.TesterTS), acSelectors(t, p, t.Profile.IUTTS)
				for i := range ti {
					ti[i].IPProtocol = 6
				}
				for i := range tr {
					tr[i].IPProtocol, tr[i].StartPort, tr[i].EndPort = 6, 443, 443
				}
				m := p.Auth(AuthOptions{Omit: []wire.PayloadType{wire.PayloadTSi, wire.PayloadTSr},
					Extra: []wire.Payload{&wire.TS{Selectors: ti}, &wire.TS{Responder: true, Selectors: tr}}})
				t.Require(1, "the IKE SA authenticates", m != nil && m.AuthOK, "IKE_AUTH response 1 [ IDr AUTH ... ]", m.Summary())
				gi, gr := acTS(m, false), acTS(m, true)
				refused := acErr(m) == wire.TS_UNACCEPTABLE.String() && !m.Has(wire.PayloadSA)
				narrowed := m.Has(wire.PayloadSA) && acAllWithin(gi, ti) && acAllWithin(gr, tr)
				t.Check(2, "refused or narrowed, never widened", refused || narrowed,
					"N(TS_UNACCEPTABLE)\nor\n"+acSels("TSi within", ti)+acSels("TSr within", tr), m.Structure())
				acDelete(p, 2)
			},
		},
		{
			ID: "SPD-003", Title: "IPv6 traffic selectors against an IPv4-only policy: TS_UNACCEPTABLE",
			Purpose: "When the IUT's policy (iut_ts) has IPv4 selectors only, IPv6 selectors cannot be narrowed to " +
				"anything it allows: the Child SA is refused with TS_UNACCEPTABLE and the IKE SA stands (RFC 7296 " +
				"sections 2.9 and 2.21.2).",
			RFC:  []string{"RFC 7296 2.9", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-4", "RFC7296-1.3.1-4", "RFC4301-5-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi(::/0), TSr(::/0)}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				for _, f := range strings.Split(t.Profile.IUTTS+","+t.Profile.TesterTS, ",") {
					if strings.Contains(f, ":") {
						t.Skipf("the profile's traffic selectors include IPv6 (%s)", f)
					}
				}
				acChildRefused(t, AuthOptions{TSi: "::/0", TSr: "::/0"}, wire.TS_UNACCEPTABLE)
			},
		},
		{
			ID: "SPD-004", Title: "TSi and TSr swapped: TS_UNACCEPTABLE",
			Purpose: "TSi describes the initiator's side, TSr the responder's (RFC 7296 section 2.9). Offered the " +
				"IUT's own selectors as TSi and the tester's as TSr, the IUT's policy matches nothing (the profile's " +
				"selectors do not overlap): it must refuse the Child SA with TS_UNACCEPTABLE and keep the IKE SA.",
			RFC:  []string{"RFC 7296 2.9", "RFC 4301 4.4.1"},
			Reqs: []string{"RFC7296-2.21.2-4", "RFC4301-5-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: append([]string{
				"T -> IUT  IKE_SA_INIT; IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi(iut_ts), TSr(tester_ts)}",
			}, acChildRefusedSteps...),
			Run: func(t *T) {
				p := Dial(t)
				ti, tr := acSelectors(t, p, t.Profile.TesterTS), acSelectors(t, p, t.Profile.IUTTS)
				p.tr.close()
				for _, a := range ti {
					for _, b := range tr {
						if a.Type == b.Type && !(a.End.Less(b.Start) || b.End.Less(a.Start)) {
							t.Skipf("tester_ts and iut_ts overlap: the swapped selectors may be acceptable")
						}
					}
				}
				acChildRefused(t, AuthOptions{TSi: t.Profile.IUTTS, TSr: t.Profile.TesterTS}, wire.TS_UNACCEPTABLE)
			},
		},
		{
			ID: "SPD-005", Title: "CREATE_CHILD_SA outside the policy: TS_UNACCEPTABLE, the IKE SA stands",
			Purpose: "A CREATE_CHILD_SA request whose TSr lies outside the IUT's policy must be refused with " +
				"TS_UNACCEPTABLE (RFC 7296 sections 2.9 and 2.21.3); a failed Child SA creation should not tear down " +
				"the IKE SA (section 1.3.1).",
			RFC:  []string{"RFC 7296 2.9", "RFC 7296 2.21.3", "RFC 7296 1.3.1"},
			Reqs: []string{"RFC7296-2.21.3-1", "RFC7296-1.3.1-4", "RFC4301-5-2"},
			Tag:  Basic, Role: IUTResponder, Needs: []string{"auth:psk"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Establish)",
				"T -> IUT  CREATE_CHILD_SA request 2: SK{SA, Ni, TSi(tester_ts), TSr(a prefix disjoint from iut_ts)}",
				"J1: IUT -> T  CREATE_CHILD_SA response 2: SK{N(TS_UNACCEPTABLE)}",
				"J2: no SA payload",
				"J3: the IKE SA stands (INFORMATIONAL request 3 answered)",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Establish()
				far := acDisjoint(t, p, t.Profile.IUTTS)
				m := p.Request(wire.CREATE_CHILD_SA, acChildReq(t, p, nil, 0, randBytes(32), nil, "", far), ReqOptions{})
				t.Judge(1, "TS_UNACCEPTABLE", wire.TS_UNACCEPTABLE.String(), acErr(m))
				t.Check(2, "no Child SA", m != nil && !m.Has(wire.PayloadSA), "no SA", m.Summary())
				acSAUp(t, p, 3, 3, m)
				acDelete(p, 4)
			},
		},
	}
}
