package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The INIT group (the IKE_SA_INIT exchange with the IUT as responder, RFC
// 7296 sections 1.2, 2.5, 2.6, 2.7, 3.1-3.4, 3.9, 3.10; RFC 8247; RFC 7383
// section 2.3) and the COOKIE group (RFC 7296 sections 2.6 and 2.6.1, for
// an IUT that demands cookies: profile feature "cookie-forced").

// iniSilence bounds the wait where silence is allowed or required.
const iniSilence = 2 * time.Second

// iniUnknownID is a transform ID no registry assigns (ENCR, PRF, INTEG and
// KE IDs 900 are all unassigned).
const iniUnknownID = 900

// iniUnknownPayload is an unassigned payload type (RFC 7296 section 3.2:
// 55-127 are unassigned).
const iniUnknownPayload wire.PayloadType = 100

func init() {
	Register(initCases()...)
	Register(cookieCases()...)
}

// ---- helpers ----

// iniInit sends an IKE_SA_INIT request and waits for the answer; when the
// IUT asks for a cookie, it retries once with it first, as RFC 7296
// section 2.6 asks an initiator to (an IUT may demand cookies at any time).
func iniInit(p *Peer, o InitOptions) *Msg {
	m := p.Init(o)
	if n := m.Notify(wire.COOKIE); n != nil && o.Cookie == nil && !m.Has(wire.PayloadSA) {
		p.t.Logf("the IUT asks for a cookie: retrying with it")
		o.Cookie = n.Data
		m = p.Init(o)
	}
	return m
}

// iniFull reports whether m is an IKE_SA_INIT response that makes an IKE
// SA (SA, KE and Nr).
func iniFull(m *Msg) bool {
	return m != nil && m.IsResponse() && m.Header.Exchange == wire.IKE_SA_INIT &&
		m.Has(wire.PayloadSA) && m.Has(wire.PayloadKE) && m.Has(wire.PayloadNonce)
}

const iniFullWant = "IKE_SA_INIT response 0 [ SA KE No ... ]"

// iniRefused reports whether m is silence or an answer without an SA that
// carries an error Notify (or N(COOKIE)): the request made no IKE SA.
func iniRefused(m *Msg) bool {
	if m == nil {
		return true
	}
	if m.Has(wire.PayloadSA) {
		return false
	}
	_, isErr := m.ErrorNotify()
	return isErr || m.Notify(wire.COOKIE) != nil
}

// iniProbe sends an IKE_SA_INIT request (answering one N(COOKIE)) and waits
// at most iniSilence for any message carrying the request's SPIi.
func iniProbe(p *Peer, o InitOptions) *Msg {
	p.SendInit(o)
	m := iniWaitAny(p)
	if n := m.Notify(wire.COOKIE); n != nil && o.Cookie == nil && !m.Has(wire.PayloadSA) {
		// All other payloads unchanged (RFC 7296 section 2.6), even when
		// the header mutation hides the SPIi from SendInit's own reuse.
		o.Cookie = n.Data
		if o.Nonce == nil {
			o.Nonce = p.pending.ni
		}
		if o.KEData == nil && p.pending.ke != nil {
			o.KEData = p.pending.ke.Public()
		}
		p.SendInit(o)
		m = iniWaitAny(p)
	}
	return m
}

func iniWaitAny(p *Peer) *Msg {
	spii := p.pending.header.SPIi
	return p.Recv(iniSilence, func(m *Msg) bool { return m.Header.SPIi == spii })
}

// iniAlive judges (step n) that the IUT still answers a fresh, correct
// IKE_SA_INIT request from a new tester socket.
func iniAlive(t *T, n int) {
	q := Dial(t)
	m := iniInit(q, InitOptions{})
	t.Check(n, "the IUT is still alive: a fresh IKE_SA_INIT request gets a full response", iniFull(m), iniFullWant, m.Summary())
	iniClose(q)
}

// iniClose finishes a half-open IKE SA (IKE_AUTH, then Delete) so that the
// cases do not pile up half-open SAs at the IUT; nothing is judged.
func iniClose(p *Peer) {
	if !p.Established() {
		return
	}
	old := p.Timeout
	p.Timeout = iniSilence
	defer func() { p.Timeout = old }()
	if a := p.Auth(AuthOptions{}); a != nil && a.AuthOK {
		p.DeleteIKE()
	}
}

// iniBase is the profile's first IKE proposal (the one offered by default).
func iniBase(t *T) wire.Proposal {
	ps, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals[0])
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	return ps[0]
}

// iniProp makes proposal number 1 of protocol IKE.
func iniProp(ts ...wire.Transform) wire.Proposal {
	return wire.Proposal{Number: 1, Protocol: wire.ProtoIKE, Transforms: ts}
}

func iniOfType(p wire.Proposal, typ wire.TransformType) []wire.Transform {
	var out []wire.Transform
	for _, tr := range p.Transforms {
		if tr.Type == typ {
			out = append(out, tr)
		}
	}
	return out
}

// iniKE is the first key exchange method of p.
func iniKE(t *T, p wire.Proposal) wire.KEID {
	g, ok := firstKE([]wire.Proposal{p})
	if !ok {
		t.Inconclusivef("conformance: the profile's proposal has no key exchange method")
	}
	return g
}

// iniWithSA replaces the SA payload of the encoded request by one with
// these proposals (the other payloads and their order stay).
func iniWithSA(props []wire.Proposal) func([]byte) []byte {
	return func(b []byte) []byte {
		m, err := wire.Decode(b)
		if err != nil {
			return b
		}
		for i, pl := range m.Payloads {
			if _, ok := pl.(*wire.SA); ok {
				m.Payloads[i] = &wire.SA{Proposals: props}
			}
		}
		out, err := m.Encode()
		if err != nil {
			return b
		}
		return out
	}
}

// iniWalk calls f with the offset of each generic payload header of an
// unprotected message.
func iniWalk(b []byte, f func(off int, typ wire.PayloadType)) {
	if len(b) < wire.HeaderLen {
		return
	}
	next, off := wire.PayloadType(b[16]), wire.HeaderLen
	for next != wire.PayloadNone && off+4 <= len(b) {
		typ := next
		n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		next = wire.PayloadType(b[off])
		f(off, typ)
		if n < 4 {
			return
		}
		off += n
	}
}

func iniTransformKey(tr wire.Transform) string {
	s := tr.String()
	for _, a := range tr.Attributes {
		s += fmt.Sprintf(" attr(%d,tv=%v,%x)", a.Type, a.TV, a.Value)
	}
	return s
}

func iniProposalLines(ps []wire.Proposal) string {
	var b strings.Builder
	for _, p := range ps {
		var ts []string
		for _, tr := range p.Transforms {
			ts = append(ts, iniTransformKey(tr))
		}
		fmt.Fprintf(&b, "proposal %d %v spi %d: %s\n", p.Number, p.Protocol, len(p.SPI), strings.Join(ts, " "))
	}
	return b.String()
}

// iniChoice checks the responder's SA payload against the offer (RFC 7296
// sections 2.7 and 3.3.6): one proposal, of protocol IKE, numbered as one
// offered, no SPI, exactly one transform of each type that proposal had,
// each one of those offered, attributes unmodified. It returns "" when the
// choice is good, else why not.
func iniChoice(offer []wire.Proposal, m *Msg) string {
	sa, ok := wire.Find[*wire.SA](m.Payloads)
	if !ok {
		return "no SA payload"
	}
	if len(sa.Proposals) != 1 {
		return fmt.Sprintf("%d proposals, want 1", len(sa.Proposals))
	}
	c := sa.Proposals[0]
	if c.Protocol != wire.ProtoIKE {
		return fmt.Sprintf("protocol %v, want IKE", c.Protocol)
	}
	if len(c.SPI) != 0 {
		return fmt.Sprintf("SPI size %d, want 0", len(c.SPI))
	}
	if int(c.Number) < 1 || int(c.Number) > len(offer) {
		return fmt.Sprintf("proposal number %d, the tester offered 1 to %d", c.Number, len(offer))
	}
	o := offer[c.Number-1]
	types := map[wire.TransformType]bool{}
	for _, tr := range o.Transforms {
		types[tr.Type] = true
	}
	for _, tr := range c.Transforms {
		if !types[tr.Type] {
			return fmt.Sprintf("transform type %v that proposal %d did not have", tr.Type, c.Number)
		}
	}
	for typ := range types {
		got := iniOfType(c, typ)
		if len(got) != 1 {
			return fmt.Sprintf("%d transforms of type %v, want 1", len(got), typ)
		}
		offered := false
		for _, tr := range iniOfType(o, typ) {
			if iniTransformKey(tr) == iniTransformKey(got[0]) {
				offered = true
			}
		}
		if !offered {
			return fmt.Sprintf("%s was not offered in proposal %d", iniTransformKey(got[0]), c.Number)
		}
	}
	return ""
}

func iniChosen(m *Msg) string {
	if sa, ok := wire.Find[*wire.SA](m.Payloads); ok {
		return iniProposalLines(sa.Proposals)
	}
	return m.Structure()
}

// iniOtherGroup is a key exchange method the tester can compute that the
// profile does not list (so the IUT does not accept it).
func iniOtherGroup(t *T) wire.KEID {
	for _, g := range []wire.KEID{wire.ECP_384, wire.ECP_521, wire.MODP_3072, wire.MODP_4096, wire.ECP_256, wire.MODP_2048, wire.CURVE25519} {
		if slices.Contains(t.Profile.Groups, int(g)) {
			continue
		}
		if _, err := crypto.LookupKE(g); err == nil {
			return g
		}
	}
	t.Inconclusivef("conformance: every group the tester can compute is in the profile's groups")
	return 0
}

// iniTwoGroups is the base proposal with the key exchange methods [x, g]:
// x unacceptable to the IUT, g its own.
func iniTwoGroups(t *T) (props []wire.Proposal, x, g wire.KEID) {
	base := iniBase(t)
	g, x = iniKE(t, base), iniOtherGroup(t)
	var ts []wire.Transform
	for _, tr := range base.Transforms {
		if tr.Type != wire.TransformKE {
			ts = append(ts, tr)
		}
	}
	ts = append(ts, wire.NewTransform(wire.TransformKE, uint16(x), 0), wire.NewTransform(wire.TransformKE, uint16(g), 0))
	return []wire.Proposal{iniProp(ts...)}, x, g
}

func iniNotifyGroup(m *Msg) (wire.KEID, bool) {
	n := m.Notify(wire.INVALID_KE_PAYLOAD)
	if n == nil || len(n.Data) != 2 {
		return 0, false
	}
	return wire.KEID(binary.BigEndian.Uint16(n.Data)), true
}

// iniRefusedCase: a request that must make no IKE SA; silence or an error
// Notify are the acceptable answers; then the IUT must still be alive.
func iniRefusedCase(o InitOptions, what string) func(t *T) {
	return func(t *T) {
		p := Dial(t)
		p.Timeout = iniSilence
		m := iniInit(p, o)
		t.Check(1, what+": no IKE SA is made (silence or an error Notify, never SA KE Nr)", iniRefused(m),
			"no message, or IKE_SA_INIT response 0 [ N(error) ]", m.Summary())
		iniAlive(t, 2)
	}
}

// iniNoProposalCase: the only proposal offered must be refused with
// NO_PROPOSAL_CHOSEN (RFC 7296 section 2.7: "reject them all and return an
// error").
func iniNoProposalCase(props func(t *T) []wire.Proposal, kedata int) func(t *T) {
	return func(t *T) {
		ps := props(t)
		p := Dial(t)
		o := InitOptions{KEGroup: iniKE(t, ps[0]), Raw: iniWithSA(ps)}
		if kedata > 0 {
			o.KEData = randBytes(kedata)
		}
		m := iniInit(p, o)
		t.Logf("offered:\n%s", iniProposalLines(ps))
		t.Check(1, "the IUT makes no IKE SA from the proposal", m == nil || !m.Has(wire.PayloadSA), "no SA", m.Summary())
		n, _ := m.ErrorNotify()
		t.Judge(2, "the IUT answers NO_PROPOSAL_CHOSEN", "IKE_SA_INIT response 0 [ N(NO_PROPOSAL_CHOSEN) ]",
			fmt.Sprintf("IKE_SA_INIT response 0 [ N(%v) ]", n))
		iniClose(p)
	}
}

// iniAcceptCase: the request (o) must get a full response; extra judges
// more from step 2 on.
func iniAcceptCase(o InitOptions, what string, extra func(t *T, p *Peer, m *Msg)) func(t *T) {
	return func(t *T) {
		p := Dial(t)
		m := iniInit(p, o)
		t.Check(1, what, iniFull(m), iniFullWant, m.Summary())
		if extra != nil && iniFull(m) {
			extra(t, p, m)
		}
		iniClose(p)
	}
}

// iniAuthJudge judges step n: IKE_AUTH on the IKE SA authenticates, i.e.
// both ends signed the IKE_SA_INIT messages as sent and received.
func iniAuthJudge(n int) func(t *T, p *Peer, m *Msg) {
	return func(t *T, p *Peer, m *Msg) {
		if !p.Established() {
			t.Failf(n, "the tester could not derive keys from the response: %v", m.Err)
		}
		a := p.Auth(AuthOptions{})
		ok := a != nil && a.AuthOK
		t.Check(n, "IKE_AUTH over this IKE SA authenticates both ends (the AUTH payloads cover the IKE_SA_INIT messages as sent)",
			ok, "IKE_AUTH response 1 [ IDr AUTH ... ] with a valid AUTH", a.Summary())
		if ok {
			p.DeleteIKE()
		}
		p.sa = nil // done with it: iniClose has nothing left to close
	}
}

func iniRawFlip(f func(b []byte)) func([]byte) []byte {
	return func(b []byte) []byte {
		b = slices.Clone(b)
		f(b)
		return b
	}
}

// ---- INIT ----

func initCases() []*Case {
	resp := IUTResponder
	return []*Case{
		{
			ID: "INIT-001", Title: "IKE_SA_INIT response: SA, KE, Nr, SPIr, message ID 0, flags R, version 2.0",
			Purpose: "The basic answer to a correct IKE_SA_INIT request: the IUT responds with SA, KE and Nr, echoes SPIi and " +
				"chooses a non-zero SPIr, uses message ID 0, sets R and clears I (it is the original responder), sends version 2.0, " +
				"and sets the critical bit on none of its payloads.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.5", "RFC 7296 2.6", "RFC 7296 3.1"},
			Reqs: []string{"RFC7296-3.1-3", "RFC7296-3.1-4", "RFC7296-3.1-7", "RFC7296-3.1-10", "RFC7296-3.1-13", "RFC7296-2.5-10", "RFC7296-2.6-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1), KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response echoes SPIi and has a non-zero SPIr",
				"J3: its message ID is 0",
				"J4: its flags have R set and I clear",
				"J5: its version is 2.0",
				"J6: none of its payloads has the critical bit set",
				"J7: exactly one SA, one KE and one Nonce payload (the response of section 1.2: HDR, SAr1, KEr, Nr)",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := iniInit(p, InitOptions{})
				t.Require(1, "the IUT answers with SA, KE, Nr", iniFull(m), iniFullWant, m.Summary())
				spii, _ := p.SPIs()
				t.Check(2, "SPIi echoed, SPIr non-zero", m.Header.SPIi == spii && m.Header.SPIr != 0,
					fmt.Sprintf("SPIi %016x SPIr non-zero", spii), fmt.Sprintf("SPIi %016x SPIr %016x", m.Header.SPIi, m.Header.SPIr))
				t.Judge(3, "message ID 0", "0", fmt.Sprint(m.Header.MessageID))
				t.Check(4, "R set, I clear", m.Header.Flags.Response() && !m.Header.Flags.Initiator(), "flags R", "flags "+m.Header.Flags.String())
				t.Judge(5, "version 2.0", "2.0", fmt.Sprintf("%d.%d", m.Header.Major, m.Header.Minor))
				var crit []string
				for _, pl := range m.Payloads {
					if pl.Header().Critical {
						crit = append(crit, wire.PayloadName(pl))
					}
				}
				t.Judge(6, "no critical payload in the response", "", strings.Join(crit, " "))
				count := map[wire.PayloadType]int{}
				for _, pl := range m.Payloads {
					count[pl.PayloadType()]++
				}
				t.Judge(7, "one SA, one KE, one Nonce", "SA 1\nKE 1\nNo 1",
					fmt.Sprintf("SA %d\nKE %d\nNo %d", count[wire.PayloadSA], count[wire.PayloadKE], count[wire.PayloadNonce]))
				iniClose(p)
			},
		},
		{
			ID: "INIT-002", Title: "the chosen proposal is the one offered, attributes unmodified",
			Purpose: "With a single proposal offered, the IUT's SA payload must hold exactly one proposal: number 1, protocol IKE, " +
				"no SPI (initial IKE SA), and exactly the offered transforms with their attributes (key lengths) returned unmodified.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.1", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-2", "RFC7296-2.7-3", "RFC7296-3.3.1-3", "RFC7296-3.3.1-4", "RFC7296-3.3.6-4"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1), KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: SA holds one proposal, number 1, IKE, SPI size 0, one of each offered transform, attributes unmodified",
			},
			Run: iniAcceptCase(InitOptions{}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				offer := []wire.Proposal{iniBase(t)}
				why := iniChoice(offer, m)
				t.Check(2, "the chosen proposal is the offered one: "+why, why == "", iniProposalLines(offer), iniChosen(m))
			}),
		},
		{
			ID: "INIT-003", Title: "several transforms of each type in one proposal: exactly one of each chosen",
			Purpose: "A proposal may offer alternatives of the same transform type (an OR). The IUT must accept a single suite with " +
				"exactly one transform of each type of the proposal, each one of those offered.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-1", "RFC7296-2.7-4", "RFC7296-3.3.6-1", "RFC7296-3.3.6-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(one proposal: profile proposal 1 plus an alternative ENCR key length, PRF and INTEG), KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the chosen proposal has exactly one transform of each type, each offered",
			},
			Run: func(t *T) {
				offer := []wire.Proposal{iniMulti(t)}
				iniAcceptCase(InitOptions{KEGroup: iniKE(t, offer[0]), Raw: iniWithSA(offer)}, "the IUT answers with SA, KE, Nr",
					func(t *T, p *Peer, m *Msg) {
						why := iniChoice(offer, m)
						t.Check(2, "one transform of each type, each offered: "+why, why == "", iniProposalLines(offer), iniChosen(m))
					})(t)
			},
		},
		{
			ID: "INIT-004", Title: "the response's KE payload is of the request's group and yields the shared secret",
			Purpose: "The IUT's KE payload must be of the group of the tester's KE payload, which is the group of the chosen proposal, " +
				"and its public value must be valid for it: the tester derives the IKE SA's keys from it.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 3.4"},
			Reqs: []string{"RFC7296-3.4-1", "RFC7296-3.4-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1), KE(its group), Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: KEr is of the group of KEi",
				"J3: the chosen proposal's key exchange method is that group",
				"J4: the tester computes the shared secret and the keys from KEr",
			},
			Run: iniAcceptCase(InitOptions{}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				want := iniKE(t, iniBase(t))
				ke, _ := wire.Find[*wire.KE](m.Payloads)
				t.Judge(2, "KEr group", want.String(), ke.Group.String())
				sa, _ := wire.Find[*wire.SA](m.Payloads)
				c, _ := chosenOf(sa)
				t.Judge(3, "the chosen key exchange method", want.String(), c.KE.String())
				errs := "keys derived"
				if m.Err != nil || !p.Established() {
					errs = fmt.Sprintf("no keys: %v", m.Err)
				}
				t.Judge(4, "keys from KEr", "keys derived", errs)
			}),
		},
		{
			ID: "INIT-005", Title: "Nr is 16 to 256 octets and at least half the PRF's key size",
			Purpose: "The responder's nonce must be between 16 and 256 octets and at least half the key size of the negotiated PRF, " +
				"so that the IKE SA's keys have the entropy the PRF needs.",
			RFC:  []string{"RFC 7296 2.10", "RFC 7296 3.9"},
			Reqs: []string{"RFC7296-2.10-1", "RFC7296-3.9-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1), KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: 16 <= |Nr| <= 256",
				"J3: |Nr| >= half the chosen PRF's preferred key size",
			},
			Run: iniAcceptCase(InitOptions{}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				nr, _ := wire.Find[*wire.Nonce](m.Payloads)
				n := len(nr.Data)
				t.Check(2, "Nr length", n >= 16 && n <= 256, "16..256 octets", fmt.Sprintf("%d octets", n))
				sa, _ := wire.Find[*wire.SA](m.Payloads)
				c, _ := chosenOf(sa)
				prf, err := crypto.LookupPRF(c.PRF)
				if err != nil {
					t.Failf(3, "the chosen PRF %v is unknown to the tester: %v", c.PRF, err)
				}
				t.Check(3, "Nr is at least half the PRF key", n*2 >= prf.KeyLen,
					fmt.Sprintf(">= %d octets (%v)", (prf.KeyLen+1)/2, c.PRF), fmt.Sprintf("%d octets", n))
			}),
		},
		{
			ID: "INIT-006", Title: "NAT detection notifies in the response when the request had them",
			Purpose: "An implementation supporting NAT traversal includes N(NAT_DETECTION_SOURCE_IP) and N(NAT_DETECTION_DESTINATION_IP) " +
				"in its IKE_SA_INIT messages; each carries a SHA-1 hash (20 octets).",
			RFC:  []string{"RFC 7296 2.23"},
			Reqs: []string{"RFC7296-2.23-7"},
			Tag:  "natt", Role: resp, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response has N(NATD_S_IP) and N(NATD_D_IP)",
				"J3: each NAT detection notify carries 20 octets, protocol 0, no SPI",
			},
			Run: iniAcceptCase(InitOptions{}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				s, d := m.Notify(wire.NAT_DETECTION_SOURCE_IP), m.Notify(wire.NAT_DETECTION_DESTINATION_IP)
				t.Check(2, "NAT detection notifies present", s != nil && d != nil, "N(NATD_S_IP) N(NATD_D_IP)", m.Summary())
				var seen []string
				ok := s != nil && d != nil
				for _, n := range []*wire.Notify{s, d} {
					if n == nil {
						continue
					}
					seen = append(seen, fmt.Sprintf("N(%v) protocol %v spi %d data %d", n.Type, n.Protocol, len(n.SPI), len(n.Data)))
					ok = ok && len(n.Data) == 20 && n.Protocol == 0 && len(n.SPI) == 0
				}
				t.Check(3, "20-octet hashes", ok, "N(NATD_S_IP) protocol NONE spi 0 data 20\nN(NATD_D_IP) protocol NONE spi 0 data 20", strings.Join(seen, "\n"))
			}),
		},
		{
			ID: "INIT-007", Title: "several proposals: the IUT picks one of them and says which",
			Purpose: "The tester offers all the profile's IKE proposals. The IUT must choose a single proposal, return its number, " +
				"and one transform of each of its types (after INVALID_KE_PAYLOAD the tester retries with the group asked for and " +
				"the full set of proposals).",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.1", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-3", "RFC7296-3.3.1-3", "RFC7296-3.3.6-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(all profile proposals, numbered 1..n), KE(group of proposal 1), Ni, N(NATD_*)",
				"[IUT -> T  N(INVALID_KE_PAYLOAD(g)); T -> IUT  the same proposals, KE(g)]",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the SA payload holds one of the offered proposals, with its number, one transform per type",
			},
			Run: func(t *T) {
				offer, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals...)
				if err != nil {
					t.Inconclusivef("%v", err)
				}
				p := Dial(t)
				o := InitOptions{Proposals: t.Profile.IKEProposals}
				m := iniInit(p, o)
				if g, ok := iniNotifyGroup(m); ok {
					o.KEGroup = g
					m = iniInit(p, o)
				}
				t.Require(1, "the IUT answers with SA, KE, Nr", iniFull(m), iniFullWant, m.Summary())
				why := iniChoice(offer, m)
				t.Check(2, "one of the offered proposals: "+why, why == "", iniProposalLines(offer), iniChosen(m))
				iniClose(p)
			},
		},
		{
			ID: "INIT-008", Title: "a proposal with an unknown transform type is skipped; the next one is chosen",
			Purpose: "Proposal 1 holds a transform of a type the IUT cannot understand (type 200), which makes that proposal " +
				"unacceptable; proposal 2 is the profile's. The IUT must process the other proposals as usual and choose number 2.",
			RFC:  []string{"RFC 7296 3.3.6", "RFC 7296 3.3.1"},
			Reqs: []string{"RFC7296-3.3.6-6", "RFC7296-3.3.1-3"},
			Tag:  Advanced, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(#1: proposal 1 + transform type 200, #2: profile proposal 1), KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the chosen proposal is number 2, as offered",
			},
			Run: func(t *T) {
				base := iniBase(t)
				p1 := iniProp(append(slices.Clone(base.Transforms), wire.Transform{Type: 200, ID: 1})...)
				p2 := base
				p2.Number = 2
				offer := []wire.Proposal{p1, p2}
				iniAcceptCase(InitOptions{KEGroup: iniKE(t, base), Raw: iniWithSA(offer)}, "the IUT answers with SA, KE, Nr",
					func(t *T, p *Peer, m *Msg) {
						why := iniChoice(offer, m)
						sa, _ := wire.Find[*wire.SA](m.Payloads)
						if why == "" && sa.Proposals[0].Number != 2 {
							why = "proposal 1 has a transform type the IUT cannot know"
						}
						t.Check(2, "proposal 2 chosen: "+why, why == "", iniProposalLines(offer[1:]), iniChosen(m))
					})(t)
			},
		},
		{
			ID: "INIT-009", Title: "only unknown transform IDs: NO_PROPOSAL_CHOSEN",
			Purpose: "A proposal whose encryption, PRF and integrity transforms all carry unassigned IDs has no acceptable transform " +
				"of mandatory types; the IUT must reject the proposal and answer NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 7296 2.7", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-2.7-3", "RFC7296-3.3.6-7", "RFC7296-3.3.4-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(ENCR 900, PRF 900, INTEG 900, profile group), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				g := iniKE(t, iniBase(t))
				return []wire.Proposal{iniProp(wire.NewTransform(wire.TransformENCR, iniUnknownID, 0), wire.NewTransform(wire.TransformPRF, iniUnknownID, 0),
					wire.NewTransform(wire.TransformINTEG, iniUnknownID, 0), wire.NewTransform(wire.TransformKE, uint16(g), 0))}
			}, 0),
		},
		{
			ID: "INIT-010", Title: "major version 3: dropped, INVALID_MAJOR_VERSION with version 2",
			Purpose: "A message with a higher major version must be dropped (no IKE SA) and the IUT should answer with an " +
				"unauthenticated N(INVALID_MAJOR_VERSION) carrying the highest version it supports (2) in the header. J2 judges that SHOULD.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.1"},
			Reqs: []string{"RFC7296-2.5-2", "RFC7296-3.1-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, version 3.0: SA, KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(INVALID_MAJOR_VERSION)",
				"J3: that response's version is 2.0",
				"J4: a fresh IKE_SA_INIT (version 2.0) still gets a full response",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.Timeout = iniSilence
				m := p.Init(InitOptions{Header: func(h *wire.Header) { h.Major = 3 }})
				t.Check(1, "no IKE SA", m == nil || !m.Has(wire.PayloadSA), "no SA", m.Summary())
				n, _ := m.ErrorNotify()
				t.Judge(2, "INVALID_MAJOR_VERSION", "N(INVALID_MAJOR_VERSION)", fmt.Sprintf("N(%v)", n))
				v := "no message"
				if m != nil {
					v = fmt.Sprintf("%d.%d", m.Header.Major, m.Header.Minor)
				}
				t.Judge(3, "the version the IUT supports", "2.0", v)
				iniAlive(t, 4)
			},
		},
		{
			ID: "INIT-011", Title: "a higher minor version is ignored; the response says 2.0",
			Purpose: "The minor version must be ignored on receipt: a request with version 2.1 is processed like 2.0, and the " +
				"IUT's response carries minor version 0.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.1"},
			Reqs: []string{"RFC7296-2.5-1", "RFC7296-3.1-7", "RFC7296-3.1-8", "RFC7296-2.5-4"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, version 2.1: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response's version is 2.0",
			},
			Run: iniAcceptCase(InitOptions{Header: func(h *wire.Header) { h.Minor = 1 }}, "the IUT answers with SA, KE, Nr",
				func(t *T, p *Peer, m *Msg) {
					t.Judge(2, "version 2.0", "2.0", fmt.Sprintf("%d.%d", m.Header.Major, m.Header.Minor))
				}),
		},
		{
			ID: "INIT-012", Title: "an unknown non-critical payload is skipped",
			Purpose: "A payload of an unassigned type (100) without the critical bit must be skipped and ignored: the IUT answers " +
				"as usual, and IKE_AUTH (whose AUTH covers the request as sent, unknown payload included) succeeds.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.2"},
			Reqs: []string{"RFC7296-2.5-7", "RFC7296-2.5-9", "RFC7296-3.2-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), PAYLOAD-100 (not critical)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  IKE_AUTH request: SK{IDi, AUTH, SA, TSi, TSr}",
				"J2: IUT -> T  IKE_AUTH response whose AUTH verifies",
			},
			Run: iniAcceptCase(InitOptions{Extra: []wire.Payload{&wire.Unknown{Kind: iniUnknownPayload, Body: []byte("unknown payload body")}}},
				"the IUT answers with SA, KE, Nr", iniAuthJudge(2)),
		},
		{
			ID: "INIT-013", Title: "an unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD naming its type",
			Purpose: "A payload of an unassigned type with the critical bit set makes the whole message rejected; the response " +
				"must carry N(UNSUPPORTED_CRITICAL_PAYLOAD) whose data is the one-octet type of that payload.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.2", "RFC 7296 3.10.1"},
			Reqs: []string{"RFC7296-2.5-8", "RFC7296-3.2-2", "RFC7296-2.21.2-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), PAYLOAD-100 (critical)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(UNSUPPORTED_CRITICAL_PAYLOAD)",
				"J3: the notification data is the octet 100",
			},
			Run: func(t *T) {
				u := &wire.Unknown{Kind: iniUnknownPayload, Body: []byte("critical unknown")}
				u.Critical = true
				p := Dial(t)
				m := iniInit(p, InitOptions{Extra: []wire.Payload{u}})
				t.Check(1, "no IKE SA", m == nil || !m.Has(wire.PayloadSA), "no SA", m.Summary())
				n := m.Notify(wire.UNSUPPORTED_CRITICAL_PAYLOAD)
				t.Check(2, "UNSUPPORTED_CRITICAL_PAYLOAD", n != nil, "IKE_SA_INIT response 0 [ N(UNSUPPORTED_CRITICAL_PAYLOAD) ]", m.Summary())
				data := "no notify"
				if n != nil {
					data = fmt.Sprintf("%x", n.Data)
				}
				t.Judge(3, "the unsupported payload type", fmt.Sprintf("%x", []byte{byte(iniUnknownPayload)}), data)
				iniClose(p)
			},
		},
		{
			ID: "INIT-014", Title: "reserved (X) flag bits set in the request are ignored and clear in the response",
			Purpose: "The X bits of the header flags must be ignored on receipt and cleared when sending: a request with all five " +
				"set is processed as usual and the response has none set.",
			RFC:  []string{"RFC 7296 3.1"},
			Reqs: []string{"RFC7296-3.1-9"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, flags I+X(0xc7): SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response's flags are exactly R",
			},
			Run: iniAcceptCase(InitOptions{Header: func(h *wire.Header) { h.Flags |= 0xc7 }}, "the IUT answers with SA, KE, Nr",
				func(t *T, p *Peer, m *Msg) {
					t.Judge(2, "response flags", "R", m.Header.Flags.String())
				}),
		},
		{
			ID: "INIT-015", Title: "the Version flag set in the request is ignored and clear in the response",
			Purpose: "IKEv2 implementations must clear the V(ersion) bit when sending and ignore it in incoming messages.",
			RFC:     []string{"RFC 7296 3.1"},
			Reqs:    []string{"RFC7296-3.1-12"},
			Tag:     Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, flags I+V: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response's V flag is clear",
			},
			Run: iniAcceptCase(InitOptions{Header: func(h *wire.Header) { h.Flags |= wire.FlagVersion }}, "the IUT answers with SA, KE, Nr",
				func(t *T, p *Peer, m *Msg) {
					t.Check(2, "V clear", !m.Header.Flags.Version(), "flags R", "flags "+m.Header.Flags.String())
				}),
		},
		{
			ID: "INIT-016", Title: "reserved bits of the generic payload headers are ignored",
			Purpose: "The 7 RESERVED bits after the critical bit of every generic payload header must be ignored on receipt: a " +
				"request with all of them set is processed as usual, and IKE_AUTH (whose AUTH covers the request as sent) succeeds.",
			RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.2"},
			Reqs: []string{"RFC7296-3.2-6", "RFC7296-2.5-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), each generic header with RESERVED = 0x7f",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  IKE_AUTH request: SK{IDi, AUTH, SA, TSi, TSr}",
				"J2: IUT -> T  IKE_AUTH response whose AUTH verifies",
			},
			Run: iniAcceptCase(InitOptions{Raw: iniRawFlip(func(b []byte) {
				iniWalk(b, func(off int, _ wire.PayloadType) { b[off+1] |= 0x7f })
			})}, "the IUT answers with SA, KE, Nr", iniAuthJudge(2)),
		},
		{
			ID: "INIT-017", Title: "the critical bit on known payloads is ignored",
			Purpose: "The critical bit must be ignored by a recipient that understands the payload type: SA, KE, Nonce and the " +
				"notifies of a request, all marked critical, are processed as usual.",
			RFC:  []string{"RFC 7296 3.2"},
			Reqs: []string{"RFC7296-3.2-3", "RFC7296-3.2-5"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), each with the critical bit set",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: iniAcceptCase(InitOptions{Raw: iniRawFlip(func(b []byte) {
				iniWalk(b, func(off int, _ wire.PayloadType) { b[off+1] |= 0x80 })
			})}, "the IUT answers with SA, KE, Nr (the critical bits ignored)", nil),
		},
		{
			ID: "INIT-018", Title: "KE of a group the IUT does not accept: INVALID_KE_PAYLOAD naming an offered group",
			Purpose: "The proposal offers two groups: first one the profile does not list, with the KE payload of that group, then " +
				"the profile's. The IUT must choose the proposal with its own group and reject the request with " +
				"N(INVALID_KE_PAYLOAD) naming that group (2 octets).",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 3.4", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-3.4-4", "RFC7296-3.3.6-9"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1 with groups [x, g]), KE(x), Ni, N(NATD_*) (x not in the profile)",
				"J1: IUT -> T  IKE_SA_INIT response N(INVALID_KE_PAYLOAD), no SA",
				"J2: the notify names an offered group the profile lists",
			},
			Run: func(t *T) {
				offer, x, _ := iniTwoGroups(t)
				p := Dial(t)
				m := iniInit(p, InitOptions{KEGroup: x, Raw: iniWithSA(offer)})
				t.Check(1, "INVALID_KE_PAYLOAD", m != nil && !m.Has(wire.PayloadSA) && m.Notify(wire.INVALID_KE_PAYLOAD) != nil,
					"IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]", m.Summary())
				g, ok := iniNotifyGroup(m)
				t.Check(2, "the group named", ok && g != x && proposalsHaveKE(offer, g) && slices.Contains(t.Profile.Groups, int(g)),
					fmt.Sprintf("one of the offered groups the profile lists (not %v)", x), m.Structure())
				iniClose(p)
			},
		},
		{
			ID: "INIT-019", Title: "after INVALID_KE_PAYLOAD the retry with the named group succeeds",
			Purpose: "After N(INVALID_KE_PAYLOAD) the initiator retries with the same SPIi, the full set of proposals and a KE " +
				"payload of the named group; the IUT must then make the IKE SA with that group.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-1.2-4", "RFC7296-1.2-5", "RFC7296-3.3.6-9"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(groups [x, g]), KE(x), Ni, N(NATD_*)",
				"J1: IUT -> T  N(INVALID_KE_PAYLOAD(g))",
				"T -> IUT  IKE_SA_INIT request (same SPIi): SA(groups [x, g]), KE(g), Ni, N(NATD_*)",
				"J2: IUT -> T  IKE_SA_INIT response with SA, KE(g), Nr",
				"J3: the chosen proposal's group and KEr are g, and the tester derives the keys",
			},
			Run: func(t *T) {
				offer, x, _ := iniTwoGroups(t)
				p := Dial(t)
				o := InitOptions{KEGroup: x, Raw: iniWithSA(offer)}
				m := iniInit(p, o)
				g, ok := iniNotifyGroup(m)
				t.Require(1, "INVALID_KE_PAYLOAD naming a group", ok, "IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]", m.Summary())
				o.KEGroup = g
				m = iniInit(p, o)
				t.Require(2, "the retry makes the IKE SA", iniFull(m), iniFullWant, m.Summary())
				sa, _ := wire.Find[*wire.SA](m.Payloads)
				c, _ := chosenOf(sa)
				ke, _ := wire.Find[*wire.KE](m.Payloads)
				seen := fmt.Sprintf("chosen %v, KEr %v, keys %v", c.KE, ke.Group, p.Established())
				t.Judge(3, "group g", fmt.Sprintf("chosen %v, KEr %v, keys true", g, g), seen)
				iniClose(p)
			},
		},
		{
			ID: "INIT-020", Title: "no KE payload: no IKE SA",
			Purpose: "An IKE_SA_INIT request without KE payload cannot make an IKE SA: the IUT answers with an error Notify " +
				"(INVALID_SYNTAX, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN) or not at all, never with SA, KE, Nr; and it stays alive.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, Ni, N(NATD_*) (no KE)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniRefusedCase(InitOptions{Omit: []wire.PayloadType{wire.PayloadKE}}, "no KE"),
		},
		{
			ID: "INIT-021", Title: "no Nonce payload: no IKE SA",
			Purpose: "An IKE_SA_INIT request without Nonce payload cannot make an IKE SA: the IUT answers with an error Notify " +
				"or not at all, never with SA, KE, Nr; and it stays alive.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, N(NATD_*) (no Nonce)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniRefusedCase(InitOptions{Omit: []wire.PayloadType{wire.PayloadNonce}}, "no Nonce"),
		},
		{
			ID: "INIT-022", Title: "no SA payload: no IKE SA",
			Purpose: "An IKE_SA_INIT request without SA payload cannot make an IKE SA: the IUT answers with an error Notify " +
				"(INVALID_SYNTAX or NO_PROPOSAL_CHOSEN) or not at all, never with SA, KE, Nr; and it stays alive.",
			RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-3", "RFC7296-2.7-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: KE, Ni, N(NATD_*) (no SA)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniRefusedCase(InitOptions{Omit: []wire.PayloadType{wire.PayloadSA}}, "no SA"),
		},
		{
			ID: "INIT-023", Title: "a 15-octet nonce is refused",
			Purpose: "Nonces must be at least 128 bits (16 to 256 octets). A request whose Ni has 15 octets must not make an " +
				"IKE SA (the keys would lack the nonce entropy the protocol relies on); the IUT stays alive.",
			RFC:  []string{"RFC 7296 2.10", "RFC 7296 3.9"},
			Reqs: []string{"RFC7296-3.9-1", "RFC7296-2.10-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni(15 octets), N(NATD_*)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniRefusedCase(InitOptions{Nonce: bytes.Repeat([]byte{0x5a}, 15)}, "a 15-octet nonce"),
		},
		{
			ID: "INIT-024", Title: "nonces of the smallest and largest allowed sizes are accepted",
			Purpose: "An Ni of the smallest size allowed (16 octets, or half the PRF's key size if more) and one of 256 octets " +
				"are valid and must be accepted.",
			RFC:  []string{"RFC 7296 2.10", "RFC 7296 3.9"},
			Reqs: []string{"RFC7296-3.9-1", "RFC7296-2.10-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni(max(16, PRF key/2) octets), N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  (new SPIi) IKE_SA_INIT request: SA, KE, Ni(256 octets), N(NATD_*)",
				"J2: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: func(t *T) {
				minLen := 16
				if prf, err := crypto.LookupPRF(wire.PRFID(iniOfType(iniBase(t), wire.TransformPRF)[0].ID)); err == nil && (prf.KeyLen+1)/2 > minLen {
					minLen = (prf.KeyLen + 1) / 2
				}
				for i, n := range []int{minLen, 256} {
					p := Dial(t)
					m := iniInit(p, InitOptions{Nonce: randBytes(n)})
					t.Check(i+1, fmt.Sprintf("a %d-octet nonce is accepted", n), iniFull(m), iniFullWant, m.Summary())
					iniClose(p)
				}
			},
		},
		{
			ID: "INIT-025", Title: "SPIi zero: no IKE SA",
			Purpose: "The initiator's SPI must not be zero (zero means \"not yet known\"). A request with SPIi 0 must not make an " +
				"IKE SA: silence (or an error Notify) within 2 s, and the IUT stays alive.",
			RFC:  []string{"RFC 7296 2.6", "RFC 7296 3.1"},
			Reqs: []string{"RFC7296-3.1-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, SPIi 0: SA, KE, Ni, N(NATD_*)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniProbeCase(InitOptions{Header: func(h *wire.Header) { h.SPIi = 0 }}, "SPIi 0"),
		},
		{
			ID: "INIT-026", Title: "a non-zero SPIr in the first IKE_SA_INIT request: no IKE SA",
			Purpose: "SPIr must be zero in the first message of an IKE initial exchange; a request with a non-zero SPIr names an " +
				"IKE SA the IUT does not have and must not make one (silence, or INVALID_IKE_SPI), and the IUT stays alive.",
			RFC:  []string{"RFC 7296 2.6", "RFC 7296 3.1", "RFC 7296 2.21.4"},
			Reqs: []string{"RFC7296-3.1-3", "RFC7296-2.21.4-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, SPIr 0x0102030405060708: SA, KE, Ni, N(NATD_*)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniProbeCase(InitOptions{Header: func(h *wire.Header) { h.SPIr = 0x0102030405060708 }}, "SPIr non-zero"),
		},
		{
			ID: "INIT-027", Title: "a non-zero message ID in IKE_SA_INIT: no IKE SA",
			Purpose: "The message ID of the first message of the initial exchange must be zero; a request with message ID 1 must " +
				"not make an IKE SA (silence or an error Notify), and the IUT stays alive.",
			RFC:  []string{"RFC 7296 3.1", "RFC 7296 2.2"},
			Reqs: []string{"RFC7296-3.1-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request, message ID 1: SA, KE, Ni, N(NATD_*)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniProbeCase(InitOptions{Header: func(h *wire.Header) { h.MessageID = 1 }}, "message ID 1"),
		},
		{
			ID: "INIT-028", Title: "a retransmitted IKE_SA_INIT request gets the same response",
			Purpose: "A responder must answer a retransmitted request by retransmitting its response, and otherwise ignore it: " +
				"the second answer must be octet for octet the first (same SPIr, same Nr, same KEr), not a second IKE SA.",
			RFC:  []string{"RFC 7296 2.1"},
			Reqs: []string{"RFC7296-2.1-1", "RFC7296-2.1-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  the same request again, octet for octet",
				"J2: IUT -> T  a response",
				"J3: that response is the first one, octet for octet",
			},
			Run: iniAcceptCase(InitOptions{}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				again := p.Resend(p.LastRequest())
				t.Check(2, "the retransmission is answered", again != nil, "IKE_SA_INIT response 0 [ SA KE No ... ]", again.Summary())
				if again == nil {
					return
				}
				seen := "identical"
				if !bytes.Equal(again.Raw, m.Raw) {
					seen = fmt.Sprintf("different: SPIr %016x then %016x\n%s", m.Header.SPIr, again.Header.SPIr, again.Structure())
				}
				t.Judge(3, "the same response", "identical", seen)
			}),
		},
		{
			ID: "INIT-029", Title: "a truncated IKE_SA_INIT request (Length beyond the datagram): no IKE SA",
			Purpose: "A datagram shorter than its header's Length field is malformed: the IUT must not make an IKE SA from it " +
				"(silence, or INVALID_SYNTAX) and must stay alive.",
			RFC:  []string{"RFC 7296 3.1", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request with its last 8 octets cut (Length unchanged)",
				"J1: no IKE SA: silence or an error Notify within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: iniProbeCase(InitOptions{Raw: func(b []byte) []byte { return slices.Clone(b[:len(b)-8]) }}, "a truncated request"),
		},
		{
			ID: "INIT-030", Title: "octets after the last payload (Length shorter than the datagram): a well-formed answer or none",
			Purpose: "A datagram with 8 octets beyond its header's Length field. RFC 7296 (section 3.1: Length is the length of " +
				"the total message, header and payloads) does not make trailing octets a malformed message: the IUT may " +
				"process the message of Length octets and answer it normally (SA, KE, Nr), or refuse it (silence, or an " +
				"error Notify). Any response must be a well-formed IKE_SA_INIT response, and the IUT must stay alive.",
			RFC:  []string{"RFC 7296 3.1", "RFC 7296 2.21.2"},
			Reqs: []string{"RFC7296-2.21.2-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request followed by 8 zero octets (Length unchanged)",
				"J1: within 2 s: silence, an error Notify without SA, or a full response (SA, KE, Nr) as to the message of Length octets; any response well formed",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := iniProbe(p, InitOptions{Raw: func(b []byte) []byte { return append(slices.Clone(b), make([]byte, 8)...) }})
				wellFormed := m == nil || (m.Err == nil && m.IsResponse() && m.Header.Exchange == wire.IKE_SA_INIT)
				switch {
				case m == nil:
					t.Logf("the IUT did not answer the request with trailing octets")
				case iniFull(m):
					t.Logf("the IUT answered the message of Length octets normally")
				}
				t.Check(1, "trailing octets: silence, a refusal, or a full response; any response well formed",
					wellFormed && (iniRefused(m) || iniFull(m)),
					"no message, or IKE_SA_INIT response [ N(error) ], or IKE_SA_INIT response [ SA KE No ... ]", m.Summary())
				iniAlive(t, 2)
			},
		},
		{
			ID: "INIT-031", Title: "AES without the Key Length attribute: NO_PROPOSAL_CHOSEN",
			Purpose: "For AES the Key Length attribute must always be included, and proposals without it must be rejected: the " +
				"profile's proposal with the attribute stripped from its AES transform gets NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 7296 3.3.5", "RFC 7296 2.7"},
			Reqs: []string{"RFC7296-3.3.5-5", "RFC7296-2.7-3"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(a profile proposal with AES, no Key Length attribute), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				ps, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals...)
				if err != nil {
					t.Inconclusivef("%v", err)
				}
				for _, p := range ps {
					for i, tr := range p.Transforms {
						if _, ok := tr.KeyLength(); ok && tr.Type == wire.TransformENCR {
							p.Transforms = slices.Clone(p.Transforms)
							p.Transforms[i].Attributes = nil
							p.Number = 1
							return []wire.Proposal{p}
						}
					}
				}
				t.Skipf("no profile IKE proposal has a cipher with a Key Length attribute")
				return nil
			}, 0),
		},
		{
			ID: "INIT-032", Title: "RFC 8247 MUST NOT: ENCR_DES only: NO_PROPOSAL_CHOSEN",
			Purpose: "ENCR_DES provides no meaningful security and must not be implemented; a proposal whose only cipher is " +
				"DES (with SHA-256 PRF and integrity) must get NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 8247 2.1", "RFC 7296 2.7"},
			Reqs: []string{"RFC8247-2.1-13", "RFC7296-3.3.4-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(ENCR_DES, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, profile group), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				return []wire.Proposal{iniProp(wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_DES), 0),
					wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_SHA2_256), 0),
					wire.NewTransform(wire.TransformINTEG, uint16(wire.AUTH_HMAC_SHA2_256_128), 0),
					wire.NewTransform(wire.TransformKE, uint16(iniKE(t, iniBase(t))), 0))}
			}, 0),
		},
		{
			ID: "INIT-033", Title: "RFC 8247 MUST NOT: ENCR_NULL for IKE: NO_PROPOSAL_CHOSEN",
			Purpose: "ENCR_NULL must not be used for IKE; a proposal whose only cipher is NULL must get NO_PROPOSAL_CHOSEN.",
			RFC:     []string{"RFC 8247 2.1", "RFC 7296 5"},
			Reqs:    []string{"RFC8247-2.1-14", "RFC8247-2.1-15"},
			Tag:     Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(ENCR_NULL, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, profile group), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				return []wire.Proposal{iniProp(wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_NULL), 0),
					wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_SHA2_256), 0),
					wire.NewTransform(wire.TransformINTEG, uint16(wire.AUTH_HMAC_SHA2_256_128), 0),
					wire.NewTransform(wire.TransformKE, uint16(iniKE(t, iniBase(t))), 0))}
			}, 0),
		},
		{
			ID: "INIT-034", Title: "RFC 8247 MUST NOT: PRF_HMAC_MD5 and AUTH_HMAC_MD5_96 only: NO_PROPOSAL_CHOSEN",
			Purpose: "PRF_HMAC_MD5 and AUTH_HMAC_MD5_96 are MUST NOT; a proposal with AES-CBC-256 whose only PRF and integrity " +
				"algorithms are MD5-based must get NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 8247 2.2", "RFC 8247 2.3"},
			Reqs: []string{"RFC8247-2.2-5", "RFC8247-2.3-7"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(ENCR_AES_CBC/256, PRF_HMAC_MD5, AUTH_HMAC_MD5_96, profile group), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				return []wire.Proposal{iniProp(wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_CBC), 256),
					wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_MD5), 0),
					wire.NewTransform(wire.TransformINTEG, uint16(wire.AUTH_HMAC_MD5_96), 0),
					wire.NewTransform(wire.TransformKE, uint16(iniKE(t, iniBase(t))), 0))}
			}, 0),
		},
		{
			ID: "INIT-035", Title: "RFC 8247 MUST NOT: the 768-bit MODP group only: NO_PROPOSAL_CHOSEN",
			Purpose: "Group 1 (768-bit MODP) is MUST NOT; the profile's proposal with MODP_768 as its only group (and a 96-octet " +
				"KE payload of that group) must get NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 8247 2.4"},
			Reqs: []string{"RFC8247-2.4-7"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(profile proposal 1 with MODP_768 only), KE(MODP_768, 96 octets), Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				base := iniBase(t)
				var ts []wire.Transform
				for _, tr := range base.Transforms {
					if tr.Type != wire.TransformKE {
						ts = append(ts, tr)
					}
				}
				return []wire.Proposal{iniProp(append(ts, wire.NewTransform(wire.TransformKE, uint16(wire.MODP_768), 0))...)}
			}, 96),
		},
		{
			ID: "INIT-036", Title: "a non-AEAD cipher without integrity algorithm: NO_PROPOSAL_CHOSEN",
			Purpose: "Ciphers that are not AEAD must be used with an integrity algorithm; an IKE proposal with AES-CBC-256 and " +
				"no integrity transform lacks a mandatory transform type and must get NO_PROPOSAL_CHOSEN.",
			RFC:  []string{"RFC 8247 2.1", "RFC 7296 3.3.3", "RFC 7296 3.3.6"},
			Reqs: []string{"RFC8247-2.1-1", "RFC7296-3.3.6-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(ENCR_AES_CBC/256, PRF_HMAC_SHA2_256, profile group; no INTEG), KE, Ni, N(NATD_*)",
				"J1: the IUT makes no IKE SA",
				"J2: IUT -> T  IKE_SA_INIT response N(NO_PROPOSAL_CHOSEN)",
			},
			Run: iniNoProposalCase(func(t *T) []wire.Proposal {
				return []wire.Proposal{iniProp(wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_CBC), 256),
					wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_SHA2_256), 0),
					wire.NewTransform(wire.TransformKE, uint16(iniKE(t, iniBase(t))), 0))}
			}, 0),
		},
		{
			ID: "INIT-037", Title: "unknown transform IDs among known ones: a known one of each type is chosen",
			Purpose: "A transform the responder does not understand is unacceptable, but other transforms of the same type are " +
				"processed as usual: with an unassigned ID (900) before each known transform, the IUT chooses the known ones.",
			RFC:  []string{"RFC 7296 3.3.6"},
			Reqs: []string{"RFC7296-3.3.6-7", "RFC7296-3.3.3-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(one proposal: ENCR 900, profile ENCR, PRF 900, profile PRF, [INTEG 900, profile INTEG,] KE 900, profile group), KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the chosen transforms are the known ones, one of each type",
			},
			Run: func(t *T) {
				base := iniBase(t)
				var ts []wire.Transform
				for _, typ := range []wire.TransformType{wire.TransformENCR, wire.TransformPRF, wire.TransformINTEG, wire.TransformKE} {
					known := iniOfType(base, typ)
					if len(known) == 0 {
						continue
					}
					ts = append(ts, wire.NewTransform(typ, iniUnknownID, 0))
					ts = append(ts, known...)
				}
				offer := []wire.Proposal{iniProp(ts...)}
				iniAcceptCase(InitOptions{KEGroup: iniKE(t, base), Raw: iniWithSA(offer)}, "the IUT answers with SA, KE, Nr",
					func(t *T, p *Peer, m *Msg) {
						why := iniChoice([]wire.Proposal{base}, m)
						t.Check(2, "the known transforms: "+why, why == "", iniProposalLines([]wire.Proposal{base}), iniChosen(m))
					})(t)
			},
		},
		{
			ID: "INIT-038", Title: "a transform with an unknown attribute is unacceptable; its plain twin is chosen",
			Purpose: "A transform that contains an attribute the responder does not understand must be considered unacceptable, " +
				"other transforms of the type processed as usual: the profile's cipher offered first with an extra attribute " +
				"(type 1000), then plain; the IUT must choose the plain one (and return its attributes unmodified).",
			RFC:  []string{"RFC 7296 3.3.6", "RFC 7296 3.3.5"},
			Reqs: []string{"RFC7296-3.3.6-7", "RFC7296-3.3.6-4"},
			Tag:  Advanced, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(one proposal: ENCR+attr(1000), ENCR, profile PRF/INTEG/KE), KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the chosen cipher is the plain one",
			},
			Run: func(t *T) {
				base := iniBase(t)
				encr := iniOfType(base, wire.TransformENCR)[0]
				odd := encr
				odd.Attributes = append(slices.Clone(encr.Attributes), wire.Attribute{Type: 1000, TV: true, Value: []byte{0, 1}})
				ts := []wire.Transform{odd}
				ts = append(ts, base.Transforms...)
				offer := []wire.Proposal{iniProp(ts...)}
				iniAcceptCase(InitOptions{KEGroup: iniKE(t, base), Raw: iniWithSA(offer)}, "the IUT answers with SA, KE, Nr",
					func(t *T, p *Peer, m *Msg) {
						why := iniChoice([]wire.Proposal{base}, m)
						t.Check(2, "the plain cipher: "+why, why == "", iniProposalLines([]wire.Proposal{base}), iniChosen(m))
					})(t)
			},
		},
		{
			ID: "INIT-039", Title: "N(SIGNATURE_HASH_ALGORITHMS) in the request is accepted",
			Purpose: "An initiator announces the hash algorithms it supports for signatures (RFC 7427) in IKE_SA_INIT; the IUT " +
				"must accept the request (a status notify it does not know is ignored), and if it answers in kind, its list is " +
				"a non-empty sequence of 2-octet identifiers.",
			RFC:  []string{"RFC 7427 4", "RFC 7296 3.10.1"},
			Reqs: []string{"RFC7296-3.10.1-3", "RFC7427-4-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), N(SIGNATURE_HASH_ALGORITHMS(SHA2-256, SHA2-384, SHA2-512))",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: an N(SIGNATURE_HASH_ALGORITHMS) in the response, if any, holds a non-empty list of 2-octet IDs",
			},
			Run: iniAcceptCase(InitOptions{Extra: []wire.Payload{&wire.Notify{Type: wire.SIGNATURE_HASH_ALGORITHMS, Data: []byte{0, 2, 0, 3, 0, 4}}}},
				"the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
					n := m.Notify(wire.SIGNATURE_HASH_ALGORITHMS)
					seen := "absent"
					ok := true
					if n != nil {
						seen = fmt.Sprintf("%d octets", len(n.Data))
						ok = len(n.Data) > 0 && len(n.Data)%2 == 0 && len(n.SPI) == 0
					}
					t.Check(2, "the IUT's hash algorithm list", ok, "absent, or an even non-zero number of octets", seen)
				}),
		},
		{
			ID: "INIT-040", Title: "N(IKEV2_FRAGMENTATION_SUPPORTED) is answered in kind",
			Purpose: "An IUT that implements IKE fragmentation answers an initiator's N(IKEV2_FRAGMENTATION_SUPPORTED) with its " +
				"own, protocol 0, SPI size 0 and no data.",
			RFC:  []string{"RFC 7383 2.3"},
			Reqs: []string{"RFC7383-2.3-1", "RFC7383-2.3-2", "RFC7383-2.3-3"},
			Tag:  "frag", Role: resp, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), N(IKEV2_FRAGMENTATION_SUPPORTED)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J2: the response has N(IKEV2_FRAGMENTATION_SUPPORTED)",
				"J3: that notify has protocol 0, no SPI, no data",
			},
			Run: iniAcceptCase(InitOptions{Fragmentation: true}, "the IUT answers with SA, KE, Nr", func(t *T, p *Peer, m *Msg) {
				n := m.Notify(wire.IKEV2_FRAGMENTATION_SUPPORTED)
				t.Check(2, "N(IKEV2_FRAGMENTATION_SUPPORTED)", n != nil, "... N(FRAG_SUP) ...", m.Summary())
				seen := "absent"
				if n != nil {
					seen = fmt.Sprintf("protocol %d spi %d data %d", n.Protocol, len(n.SPI), len(n.Data))
				}
				t.Judge(3, "its format", "protocol 0 spi 0 data 0", seen)
			}),
		},
		{
			ID: "INIT-041", Title: "an unknown status notify in the request is ignored",
			Purpose: "Notify payloads with status types may be added to any message and must be ignored if not recognized: a " +
				"request with N(40000) gets the usual response.",
			RFC:  []string{"RFC 7296 3.10.1"},
			Reqs: []string{"RFC7296-3.10.1-3", "RFC7296-3.10.1-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), N(40000)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: iniAcceptCase(InitOptions{Extra: []wire.Payload{&wire.Notify{Type: 40000, Data: []byte("status")}}},
				"the IUT ignores the unknown status notify and answers with SA, KE, Nr", nil),
		},
		{
			ID: "INIT-042", Title: "an unknown error notify in a request is ignored",
			Purpose: "Unrecognized error types in a request must be ignored: a request with N(8000) (an unassigned error type) " +
				"gets the usual response.",
			RFC:  []string{"RFC 7296 3.10.1"},
			Reqs: []string{"RFC7296-3.10.1-2"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), N(8000)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: iniAcceptCase(InitOptions{Extra: []wire.Payload{&wire.Notify{Type: 8000}}},
				"the IUT ignores the unknown error notify and answers with SA, KE, Nr", nil),
		},
		{
			ID: "INIT-043", Title: "an IKE_SA_INIT marked as a response is not answered",
			Purpose: "An IKE endpoint must not generate a response to a message marked as a response: an IKE_SA_INIT with the R " +
				"flag set, for no exchange of the IUT, gets silence; the IUT stays alive.",
			RFC:  []string{"RFC 7296 3.1", "RFC 7296 2.21.4"},
			Reqs: []string{"RFC7296-3.1-11", "RFC7296-2.21.4-1"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, flags I+R: SA, KE, Ni, N(NATD_*)",
				"J1: no message from the IUT within 2 s",
				"J2: a fresh correct IKE_SA_INIT gets a full response",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.SendInit(InitOptions{Header: func(h *wire.Header) { h.Flags |= wire.FlagResponse }})
				m := iniWaitAny(p)
				t.Check(1, "silence", m == nil, "no message", m.Summary())
				iniAlive(t, 2)
			},
		},
		{
			ID: "INIT-044", Title: "a request without NAT detection notifies is answered",
			Purpose: "NAT detection is an option of the initiator (only implementations supporting NAT traversal send the " +
				"notifies): a request without N(NATD_*) must still make the IKE SA, and IKE_AUTH on it succeeds.",
			RFC:  []string{"RFC 7296 2.23"},
			Reqs: []string{"RFC7296-2.23-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni (no N(NATD_*))",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  IKE_AUTH request: SK{IDi, AUTH, SA, TSi, TSr}",
				"J2: IUT -> T  IKE_AUTH response whose AUTH verifies",
			},
			Run: iniAcceptCase(InitOptions{NoNATD: true}, "the IUT answers with SA, KE, Nr", iniAuthJudge(2)),
		},
		{
			ID: "INIT-045", Title: "an unexpected COOKIE is ignored",
			Purpose: "A cookie whose contents do not match what the responder expects (here: one it never sent) must be ignored " +
				"and the message processed as if it had none: the IUT answers with SA, KE, Nr, or asks for a cookie; never an error.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-6"},
			Tag:  Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: N(COOKIE(16 random octets)), SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  a response",
				"J2: the response has SA, KE, Nr, or is N(COOKIE): no error Notify",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := p.Init(InitOptions{Cookie: randBytes(16)})
				t.Require(1, "an answer", m != nil, "IKE_SA_INIT response", m.Summary())
				_, isErr := m.ErrorNotify()
				t.Check(2, "SA KE Nr or N(COOKIE)", !isErr && (iniFull(m) || m.Notify(wire.COOKIE) != nil),
					"IKE_SA_INIT response 0 [ SA KE No ... ] or [ N(COOKIE) ]", m.Summary())
				iniClose(p)
			},
		},
		{
			ID: "INIT-046", Title: "an unfamiliar Vendor ID is ignored",
			Purpose: "Unfamiliar Vendor ID payloads must be ignored: a request with a random Vendor ID gets the usual response.",
			RFC:     []string{"RFC 7296 3.12"},
			Reqs:    []string{"RFC7296-3.12-4"},
			Tag:     Basic, Role: resp,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), V(16 random octets)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: func(t *T) {
				iniAcceptCase(InitOptions{Extra: []wire.Payload{&wire.VendorID{Data: randBytes(16)}}},
					"the IUT ignores the Vendor ID and answers with SA, KE, Nr", nil)(t)
			},
		},
	}
}

// iniProbeCase: a request that must make no IKE SA, judged on whatever
// carries its SPIi within 2 s; then the IUT must still be alive.
func iniProbeCase(o InitOptions, what string) func(t *T) {
	return func(t *T) {
		p := Dial(t)
		m := iniProbe(p, o)
		t.Check(1, what+": no IKE SA is made (silence or an error Notify)", iniRefused(m),
			"no message, or IKE_SA_INIT response [ N(error) ]", m.Summary())
		iniAlive(t, 2)
	}
}

// iniMulti is the profile's first proposal with an alternative of each of
// its ENCR (another key length, or another cipher), PRF and INTEG
// transforms after the profile's own.
func iniMulti(t *T) wire.Proposal {
	base := iniBase(t)
	var ts []wire.Transform
	for _, typ := range []wire.TransformType{wire.TransformENCR, wire.TransformPRF, wire.TransformINTEG, wire.TransformKE} {
		own := iniOfType(base, typ)
		ts = append(ts, own...)
		if len(own) == 0 {
			continue
		}
		first := own[0]
		switch typ {
		case wire.TransformENCR:
			if kl, ok := first.KeyLength(); ok {
				other := uint16(256)
				if kl == 256 {
					other = 128
				}
				ts = append(ts, wire.NewTransform(typ, first.ID, other))
			}
		case wire.TransformPRF:
			other := wire.PRF_HMAC_SHA2_512
			if wire.PRFID(first.ID) == other {
				other = wire.PRF_HMAC_SHA2_256
			}
			ts = append(ts, wire.NewTransform(typ, uint16(other), 0))
		case wire.TransformINTEG:
			other := wire.AUTH_HMAC_SHA2_512_256
			if wire.IntegID(first.ID) == other {
				other = wire.AUTH_HMAC_SHA2_256_128
			}
			ts = append(ts, wire.NewTransform(typ, uint16(other), 0))
		}
	}
	return iniProp(ts...)
}

// ---- COOKIE ----

func cookieCases() []*Case {
	resp := IUTResponder
	need := []string{"cookie-forced"}
	const tag = "cookie-forced"
	getCookie := func(t *T, p *Peer, o InitOptions) []byte {
		m := p.Init(o)
		n := m.Notify(wire.COOKIE)
		t.Require(1, "the IUT asks for a cookie", n != nil && !m.Has(wire.PayloadSA), "IKE_SA_INIT response 0 [ N(COOKIE) ]", m.Summary())
		return n.Data
	}
	return []*Case{
		{
			ID: "COOKIE-001", Title: "N(COOKIE) alone, SPIr 0, 1 to 64 octets",
			Purpose: "An IUT that demands cookies answers a first IKE_SA_INIT request with N(COOKIE) alone, committing no state: " +
				"the responder SPI stays zero (no IKE SA), and the cookie data is 1 to 64 octets.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-2", "RFC7296-2.6-3"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  IKE_SA_INIT response 0 with N(COOKIE) and no other payload",
				"J2: its SPIr is 0",
				"J3: the cookie has 1 to 64 octets",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := p.Init(InitOptions{})
				t.Judge(1, "N(COOKIE) only", "IKE_SA_INIT response 0 [ N(COOKIE) ]", m.Summary())
				if m == nil {
					return
				}
				t.Judge(2, "SPIr", "0000000000000000", fmt.Sprintf("%016x", m.Header.SPIr))
				n := m.Notify(wire.COOKIE)
				l := -1
				if n != nil {
					l = len(n.Data)
				}
				t.Check(3, "cookie length", l >= 1 && l <= 64, "1..64 octets", fmt.Sprintf("%d octets", l))
			},
		},
		{
			ID: "COOKIE-002", Title: "the retry with the cookie first makes the IKE SA",
			Purpose: "The initiator retries with N(COOKIE) as the first payload and all other payloads unchanged (same SPIi, Ni, " +
				"KEi); the IUT must then answer with SA, KE, Nr, message ID 0 and a non-zero SPIr.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-4"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  IKE_SA_INIT request: N(COOKIE), SA, KE, Ni, N(NATD_*) (same SPIi, Ni, KEi)",
				"J2: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"J3: SPIi echoed, SPIr non-zero, message ID 0",
			},
			Run: func(t *T) {
				p := Dial(t)
				c := getCookie(t, p, InitOptions{})
				m := p.Init(InitOptions{Cookie: c})
				t.Require(2, "the retry makes the IKE SA", iniFull(m), iniFullWant, m.Summary())
				spii, _ := p.SPIs()
				t.Check(3, "SPIs and message ID", m.Header.SPIi == spii && m.Header.SPIr != 0 && m.Header.MessageID == 0,
					fmt.Sprintf("SPIi %016x, SPIr non-zero, message ID 0", spii),
					fmt.Sprintf("SPIi %016x, SPIr %016x, message ID %d", m.Header.SPIi, m.Header.SPIr, m.Header.MessageID))
				iniClose(p)
			},
		},
		{
			ID: "COOKIE-003", Title: "the cookie not first: not rejected as invalid, the matching cookie honoured",
			Purpose: "The initiator MUST put N(COOKIE) first (2.6), but a receiver MUST NOT reject as invalid a message whose " +
				"payloads come in another order (2.5), and only a cookie whose contents do not match is ignored (2.6). The tester " +
				"retries with the right cookie as the last payload: the IUT must not answer with an error, and must make the IKE SA.",
			RFC:  []string{"RFC 7296 2.6", "RFC 7296 2.5"},
			Reqs: []string{"RFC7296-2.6-4", "RFC7296-2.6-6", "RFC7296-2.5-11"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*), N(COOKIE) (same SPIi, Ni, KEi; cookie last)",
				"J2: IUT -> T  a response without error Notify",
				"J3: the response has SA, KE, Nr",
			},
			Run: func(t *T) {
				p := Dial(t)
				c := getCookie(t, p, InitOptions{})
				ni, ke := p.pending.ni, p.pending.ke.Public()
				m := p.Init(InitOptions{Nonce: ni, KEData: ke, Extra: []wire.Payload{&wire.Notify{Type: wire.COOKIE, Data: c}}})
				_, isErr := m.ErrorNotify()
				t.Check(2, "not rejected as invalid", m != nil && !isErr, "IKE_SA_INIT response without error Notify", m.Summary())
				t.Check(3, "the IKE SA is made", iniFull(m), iniFullWant, m.Summary())
			},
		},
		{
			ID: "COOKIE-004", Title: "a bogus cookie: a new COOKIE or silence, never the IKE SA",
			Purpose: "A cookie whose contents do not match must be ignored and the message processed as if it had none, which " +
				"for an IUT demanding cookies means another N(COOKIE): never SA, KE, Nr.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-6"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  IKE_SA_INIT request: N(COOKIE(every octet inverted)), SA, KE, Ni, N(NATD_*)",
				"J2: no IKE SA",
				"J3: the answer, if any, is N(COOKIE) alone",
			},
			Run: func(t *T) {
				p := Dial(t)
				c := slices.Clone(getCookie(t, p, InitOptions{}))
				for i := range c {
					c[i] ^= 0xff
				}
				p.Timeout = iniSilence
				m := p.Init(InitOptions{Cookie: c})
				t.Check(2, "no IKE SA", m == nil || !m.Has(wire.PayloadSA), "no SA", m.Summary())
				t.Check(3, "a new cookie or silence", m == nil || m.Summary() == "IKE_SA_INIT response 0 [ N(COOKIE) ]",
					"no message, or IKE_SA_INIT response 0 [ N(COOKIE) ]", m.Summary())
			},
		},
		{
			ID: "COOKIE-005", Title: "a cookie made for another SPIi is refused",
			Purpose: "A cookie binds the request it answers: RFC 7296 2.6 computes it over SPIi so that one cookie cannot be used " +
				"for other IKE SAs. A second initiator (new SPIi, same address, same Ni and KEi) returning the first one's cookie " +
				"sends contents that do not match, which must be ignored: no IKE SA.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-6"},
			Tag:  Advanced, Role: resp, Needs: need,
			Steps: []string{
				"T(A) -> IUT  IKE_SA_INIT request, SPIi A: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T(A)  N(COOKIE(c))",
				"T(B) -> IUT  IKE_SA_INIT request, SPIi B: N(COOKIE(c)), SA, KE, Ni, N(NATD_*) (A's Ni and KEi)",
				"J2: no IKE SA for B (N(COOKIE) or silence)",
			},
			Run: func(t *T) {
				a := Dial(t)
				c := getCookie(t, a, InitOptions{})
				ni, ke := a.pending.ni, a.pending.ke.Public()
				b := Dial(t)
				b.Timeout = iniSilence
				m := b.Init(InitOptions{Cookie: c, Nonce: ni, KEData: ke})
				t.Check(2, "no IKE SA for the other SPIi", m == nil || !m.Has(wire.PayloadSA), "no message, or IKE_SA_INIT response 0 [ N(COOKIE) ]", m.Summary())
			},
		},
		{
			ID: "COOKIE-006", Title: "COOKIE then INVALID_KE_PAYLOAD, then the IKE SA",
			Purpose: "The initiator offers groups [x, g] with KE(x), x unacceptable. After N(COOKIE) the retry with the cookie " +
				"gets N(INVALID_KE_PAYLOAD(g)) (or a new cookie, if the IUT's cookie covers KEi: 2.6.1), and the retry with the " +
				"cookie and KE(g) makes the IKE SA, after at most one more cookie round trip (2.6.1: MUST NOT fail either way).",
			RFC:  []string{"RFC 7296 2.6.1", "RFC 7296 1.2"},
			Reqs: []string{"RFC7296-2.6.1-1", "RFC7296-2.6-4", "RFC7296-3.4-4"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA(groups [x, g]), KE(x), Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  N(COOKIE), SA(groups [x, g]), KE(x), Ni, N(NATD_*)",
				"J2: IUT -> T  N(INVALID_KE_PAYLOAD(g)) (after at most one more N(COOKIE) round)",
				"T -> IUT  N(COOKIE), SA(groups [x, g]), KE(g), Ni, N(NATD_*)",
				"J3: IUT -> T  IKE_SA_INIT response with SA, KE(g), Nr (after at most one more N(COOKIE) round)",
			},
			Run: func(t *T) {
				offer, x, _ := iniTwoGroups(t)
				p := Dial(t)
				o := InitOptions{KEGroup: x, Nonce: randBytes(32), Raw: iniWithSA(offer)}
				o.Cookie = getCookie(t, p, o)
				m := p.Init(o)
				if n := m.Notify(wire.COOKIE); n != nil && !m.Has(wire.PayloadSA) {
					o.Cookie = n.Data
					m = p.Init(o)
				}
				g, ok := iniNotifyGroup(m)
				t.Require(2, "INVALID_KE_PAYLOAD naming an offered group", ok && g != x && proposalsHaveKE(offer, g),
					"IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]", m.Structure())
				o.KEGroup = g
				m = p.Init(o)
				if n := m.Notify(wire.COOKIE); n != nil && !m.Has(wire.PayloadSA) {
					o.Cookie = n.Data
					m = p.Init(o)
				}
				t.Check(3, "the IKE SA with group g", iniFull(m) && p.Established() && func() bool {
					ke, _ := wire.Find[*wire.KE](m.Payloads)
					return ke.Group == g
				}(), iniFullWant+" with KE "+g.String(), m.Structure())
				iniClose(p)
			},
		},
		{
			ID: "COOKIE-007", Title: "the responder keeps no state: the same request without cookie gets a cookie again",
			Purpose: "The COOKIE exchange must not affect the responder's state except for communicating the cookie: resending " +
				"the first request (no cookie) gets N(COOKIE) again, not an IKE SA; the retry with a cookie then works.",
			RFC:  []string{"RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.6-2", "RFC7296-2.6-4"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  the same request again, octet for octet",
				"J2: IUT -> T  N(COOKIE) again, no SA",
				"T -> IUT  N(COOKIE), SA, KE, Ni, N(NATD_*)",
				"J3: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
			},
			Run: func(t *T) {
				p := Dial(t)
				getCookie(t, p, InitOptions{})
				m := p.Resend(p.LastRequest())
				n := m.Notify(wire.COOKIE)
				t.Judge(2, "a cookie again", "IKE_SA_INIT response 0 [ N(COOKIE) ]", m.Summary())
				if n == nil {
					return
				}
				m = p.Init(InitOptions{Cookie: n.Data})
				t.Check(3, "the cookie works", iniFull(m), iniFullWant, m.Summary())
				iniClose(p)
			},
		},
		{
			ID: "COOKIE-008", Title: "IKE_AUTH after a cookie exchange: message ID 1, AUTH over the retried request",
			Purpose: "After the COOKIE round trip the message IDs of the four IKE_SA_INIT messages are all zero and IKE_AUTH uses " +
				"message ID 1; the AUTH payloads sign the request that made the IKE SA (the one with the cookie).",
			RFC:  []string{"RFC 7296 2.6", "RFC 7296 2.15"},
			Reqs: []string{"RFC7296-2.6-4", "RFC7296-1.2-2"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  N(COOKIE), SA, KE, Ni, N(NATD_*)",
				"J2: IUT -> T  IKE_SA_INIT response 0 with SA, KE, Nr",
				"T -> IUT  IKE_AUTH request 1: SK{IDi, AUTH, SA, TSi, TSr}",
				"J3: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
			},
			Run: func(t *T) {
				p := Dial(t)
				c := getCookie(t, p, InitOptions{})
				m := p.Init(InitOptions{Cookie: c})
				t.Require(2, "the IKE SA", iniFull(m) && m.Header.MessageID == 0 && p.Established(), iniFullWant, m.Summary())
				a := p.Auth(AuthOptions{})
				t.Check(3, "IKE_AUTH response 1 authenticates", a != nil && a.AuthOK && a.Header.MessageID == 1,
					"IKE_AUTH response 1 [ IDr AUTH ... ] with a valid AUTH", a.Summary())
				if a != nil && a.AuthOK {
					p.DeleteIKE()
				}
			},
		},
		{
			ID: "COOKIE-009", Title: "a retransmitted request with the cookie gets the same response",
			Purpose: "Once the request with the cookie made the IKE SA, a retransmission of it must only cause the response to " +
				"be retransmitted, octet for octet (not a second IKE SA, not a new cookie).",
			RFC:  []string{"RFC 7296 2.1", "RFC 7296 2.6"},
			Reqs: []string{"RFC7296-2.1-1", "RFC7296-2.1-2"},
			Tag:  tag, Role: resp, Needs: need,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_*)",
				"J1: IUT -> T  N(COOKIE)",
				"T -> IUT  N(COOKIE), SA, KE, Ni, N(NATD_*)",
				"J2: IUT -> T  IKE_SA_INIT response with SA, KE, Nr",
				"T -> IUT  the request with the cookie again, octet for octet",
				"J3: IUT -> T  the same response, octet for octet",
			},
			Run: func(t *T) {
				p := Dial(t)
				c := getCookie(t, p, InitOptions{})
				m := p.Init(InitOptions{Cookie: c})
				t.Require(2, "the IKE SA", iniFull(m), iniFullWant, m.Summary())
				again := p.Resend(p.LastRequest())
				seen := "no message"
				if again != nil {
					seen = "identical"
					if !bytes.Equal(again.Raw, m.Raw) {
						seen = "different:\n" + again.Structure()
					}
				}
				t.Judge(3, "the same response", "identical", seen)
				iniClose(p)
			},
		},
	}
}
