package conformance

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// The ROBUST group: one case per published class of IKEv2 implementation
// bugs (crashes, state confusion, authentication bypass found in
// strongSwan, libreswan and others). Each case sends the message that the
// bug class is about, judges the answer RFC 7296 (or RFC 6989) gives for
// it, and ends with a survival check: a fresh tester Peer's IKE_SA_INIT
// still gets a response, so an IUT that crashed or wedged FAILs.
//
// Most messages are built with impl/wire and then corrupted: unprotected
// ones through InitOptions.Raw, protected ones with sendCorrupted below,
// which encodes the inner payloads, lets the case patch their octets and
// only then seals them (so that the corruption passes the integrity check
// and reaches the IUT's parser).

// robustSilence bounds the wait where the RFC allows (or asks for) silence.
const robustSilence = 2 * time.Second

func init() {
	Register(
		robustCreateChildHalfOpen(),
		robustInformationalHalfOpen(),
		robustKEUnknownGroup(),
		robustKEHugeGroup(),
		robustKEZero("ROBUST-005", wire.CURVE25519, "X25519", "RFC 8031 2"),
		robustKEZero("ROBUST-006", wire.ECP_256, "ECP-256", "RFC 6989 2.3"),
		robustKEZero("ROBUST-007", wire.MODP_2048, "MODP-2048", "RFC 6989 2.1"),
		robustKEModpEdge("ROBUST-008", false),
		robustKEModpEdge("ROBUST-009", true),
		robustKEOffCurve(),
		robustKELength("ROBUST-011", false),
		robustKELength("ROBUST-012", true),
		robustAuthMissing("ROBUST-013", wire.PayloadAUTH, "AUTH"),
		robustAuthMissing("ROBUST-014", wire.PayloadIDi, "IDi"),
		robustAuthNoTS(),
		robustChildKEWithoutTransform(),
		robustTS("ROBUST-017", tsZeroSelectors),
		robustTS("ROBUST-018", tsBadSelectorLength),
		robustTS("ROBUST-019", tsStartAfterEnd),
		robustTS("ROBUST-020", tsPortsReversed),
		robustTS("ROBUST-021", tsUnknownType),
		robustTS("ROBUST-022", tsTruncated),
		robustInitCorrupt("ROBUST-023", corruptLengthBeyondEnd),
		robustInitCorrupt("ROBUST-024", corruptLengthBelow4),
		robustInitCorrupt("ROBUST-025", corruptHeaderOnly),
		robustInitCorrupt("ROBUST-026", corruptProposalLength),
		robustInitCorrupt("ROBUST-027", corruptTransformLength),
		robustInitCorrupt("ROBUST-028", corruptAttributeLength),
		robustInfoCorrupt("ROBUST-029", infoNotifySPISize),
		robustInfoCorrupt("ROBUST-030", infoDeleteCount),
		robustAuthEmptyID(),
		robustInitCorrupt("ROBUST-032", corruptEmptyNonce),
		robustInitCorrupt("ROBUST-033", corruptIKELengthLarger),
		robustInitCorrupt("ROBUST-034", corruptIKELengthSmaller),
		robustUnknownPayloadInChain(),
		robustManyNotifies(),
		robustEAPSuccessEarly(),
	)
}

// ---- shared judgements and helpers ----

// robustAlive is the survival check every ROBUST case ends with: a fresh
// Peer (new socket, new SPIi) sends a default IKE_SA_INIT request and any
// response (SA KE Nr, N(COOKIE), N(INVALID_KE_PAYLOAD), an error) shows
// that the IUT still runs and still answers.
func robustAlive(t *T, n int) {
	q := Dial(t)
	m := q.Init(InitOptions{})
	t.Check(n, "the IUT still answers a fresh IKE_SA_INIT request (it did not crash or wedge)",
		m != nil && m.IsResponse() && m.Header.Exchange == wire.IKE_SA_INIT,
		"IKE_SA_INIT response 0 (any)", m.Summary())
}

// noIKESA is the judgement of an IKE_SA_INIT request the IUT must refuse:
// no response at all, or a response without SA and KE that carries one of
// the error notifies in allowed (any error notify when allowed is empty).
func noIKESA(t *T, n int, what string, m *Msg, allowed ...wire.NotifyType) bool {
	exp := "no message, or an IKE_SA_INIT response with " + notifyList(allowed) + " and no SA/KE"
	if m == nil {
		return t.Check(n, what, true, exp, "no message")
	}
	e, ok := m.ErrorNotify()
	good := !m.Has(wire.PayloadSA) && !m.Has(wire.PayloadKE) && ok && (len(allowed) == 0 || slices.Contains(allowed, e))
	return t.Check(n, what, good, exp, m.Structure())
}

// errorAnswer judges a response that must carry an error notify from
// allowed (any when empty) and no SA payload (no Child SA).
func errorAnswer(t *T, n int, what string, m *Msg, allowSilence bool, allowed ...wire.NotifyType) bool {
	exp := "a protected response with " + notifyList(allowed) + " and no SA"
	if allowSilence {
		exp = "no message, or " + exp
	}
	if m == nil {
		return t.Check(n, what, allowSilence, exp, "no message")
	}
	e, ok := m.ErrorNotify()
	good := m.Err == nil && m.Encrypted && !m.Has(wire.PayloadSA) && ok && (len(allowed) == 0 || slices.Contains(allowed, e))
	return t.Check(n, what, good, exp, m.Structure())
}

func notifyList(ns []wire.NotifyType) string {
	if len(ns) == 0 {
		return "an error Notify"
	}
	var s []string
	for _, n := range ns {
		s = append(s, "N("+n.String()+")")
	}
	return strings.Join(s, " or ")
}

// ikeSAUsable judges that the IKE SA still works after a request that got
// resp (nil: the IUT dropped it, and its message ID mid is still the one it
// expects): an empty INFORMATIONAL request gets an empty protected
// response, or, when resp carried N(INVALID_SYNTAX), the IKE SA may be
// gone instead (see saAfter). The IKE SA is then deleted.
func ikeSAUsable(t *T, n int, p *Peer, resp *Msg, mid uint32) {
	o := ReqOptions{}
	if resp == nil {
		o = ReqOptions{ForceMID: true, MID: mid}
	}
	m := p.Request(wire.INFORMATIONAL, nil, o)
	if resp == nil && m != nil {
		p.sa.nextMID = mid + 1
	}
	if !saAfter(t, n, p, resp, m, "the IKE SA survives (RFC 7296 1.4), or, after N(INVALID_SYNTAX), is torn down (RFC 7296 2.21.2, RFC 8229 6)") {
		p.Timeout = robustSilence
	}
	p.DeleteIKE()
}

// saAfterWant is the expectation of saAfter.
const saAfterWant = "INFORMATIONAL response (protected)\nor, if the IUT answered N(INVALID_SYNTAX): no response, N(INVALID_IKE_SPI) or the IUT's Delete of the IKE SA"

// answeredInvalidSyntax reports whether resp, the IUT's protected answer
// to a request, carries N(INVALID_SYNTAX).
func answeredInvalidSyntax(resp *Msg) bool {
	if resp == nil || !resp.Encrypted || resp.Err != nil {
		return false
	}
	return resp.Notify(wire.INVALID_SYNTAX) != nil
}

// saAfter judges (n) the IKE SA after a request the IUT answered with resp
// (nil: no answer): live is the answer to the empty INFORMATIONAL request
// sent after it. The IKE SA must still answer; but INVALID_SYNTAX is
// followed by tearing down the IKE SA "as usual" (RFC 8229 section 6, RFC
// 9329 section 6.1), which RFC 7296 section 2.21 allows: when resp carried
// N(INVALID_SYNTAX), an IKE SA that is then gone (no answer, an
// unprotected N(INVALID_IKE_SPI), or the IUT's own Delete) passes too. An
// IKE SA gone after any other answer (or none) still fails, and a crash is
// caught by the fresh IKE_SA_INIT of the survival check. It reports
// whether the IKE SA still stands.
func saAfter(t *T, n int, p *Peer, resp, live *Msg, what string) bool {
	if live != nil && live.Encrypted && live.Err == nil && live.IsResponse() {
		t.Check(n, what, true, saAfterWant, live.Summary())
		return true
	}
	gone := live == nil || (!live.Encrypted && live.Notify(wire.INVALID_IKE_SPI) != nil)
	if answeredInvalidSyntax(resp) && gone {
		how := "no answer to the INFORMATIONAL request"
		if live != nil {
			how = live.Summary()
		}
		del := p.Recv(200*time.Millisecond, func(m *Msg) bool {
			return m.Encrypted && !m.IsResponse() && m.Header.Exchange == wire.INFORMATIONAL && m.Has(wire.PayloadDelete)
		})
		if del != nil {
			how += "; the IUT deleted the IKE SA: " + del.Summary()
			p.Answer(del, nil)
		}
		t.Logf("the IUT answered N(INVALID_SYNTAX) and then tore the IKE SA down (%s): allowed by RFC 7296 2.21.2 and RFC 8229 6 / RFC 9329 6.1", how)
		t.Check(n, what, true, saAfterWant, "N(INVALID_SYNTAX), then the IKE SA is gone ("+how+")")
		return false
	}
	seen := live.Summary()
	if resp != nil && !answeredInvalidSyntax(resp) && gone {
		seen += " (the IKE SA is gone after " + resp.Summary() + ", which is not N(INVALID_SYNTAX))"
	}
	t.Check(n, what, false, saAfterWant, seen)
	return false
}

// proposalWith returns the profile's first IKE proposal with key exchange
// method g; the case is SKIP when the profile has none.
func proposalWith(t *T, g wire.KEID) string {
	for _, s := range t.Profile.IKEProposals {
		if ps, err := ParseProposals(wire.ProtoIKE, s); err == nil && proposalsHaveKE(ps, g) {
			return s
		}
	}
	t.Skipf("the profile offers no IKE proposal with %v", g)
	return ""
}

// initCookie is p.Init that answers one N(COOKIE) (RFC 7296 2.6) so
// that an IUT under cookie pressure still gets to parse the request.
func initCookie(p *Peer, o InitOptions) *Msg {
	m := p.Init(o)
	if n := m.Notify(wire.COOKIE); n != nil && o.Cookie == nil {
		o.Cookie = n.Data
		m = p.Init(o)
	}
	return m
}

// rawInit sends an IKE_SA_INIT request made of exactly ps (no NAT
// detection) with the tester's SPIi, after mutate (nil: none) changed its
// octets, and waits up to timeout for the response.
func rawInit(p *Peer, ps []wire.Payload, mutate func([]byte) []byte, timeout time.Duration) *Msg {
	old := p.Timeout
	p.Timeout = timeout
	defer func() { p.Timeout = old }()
	return initCookie(p, InitOptions{NoNATD: true, KEData: []byte{0}, Omit: []wire.PayloadType{wire.PayloadSA, wire.PayloadKE, wire.PayloadNonce},
		Extra: ps, Raw: mutate})
}

// defaultInitPayloads are SA, KE and Ni of a correct IKE_SA_INIT request
// with the profile's first proposal (a real public value of its group).
func defaultInitPayloads(t *T) []wire.Payload {
	props, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals[0])
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	g, _ := firstKE(props)
	ke, err := crypto.LookupKE(g)
	if err != nil {
		t.Inconclusivef("KE group %v: %v", g, err)
	}
	_, pub, err := ke.Start(nil)
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	return []wire.Payload{&wire.SA{Proposals: props}, &wire.KE{Group: g, Data: pub}, &wire.Nonce{Data: randBytes(32)}}
}

// payloadAt returns the offset of the generic header of the nth (from 0)
// payload of type pt in a chain that starts at off with type first, or -1.
func payloadAt(b []byte, off int, first, pt wire.PayloadType, nth int) int {
	for next := first; next != wire.PayloadNone && off+4 <= len(b); {
		if next == pt {
			if nth == 0 {
				return off
			}
			nth--
		}
		l := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if l < 4 {
			return -1
		}
		next, off = wire.PayloadType(b[off]), off+l
	}
	return -1
}

// sendCorrupted sends a protected request of exchange x whose inner
// payloads, once encoded, patch may change (octets and the type of the
// first payload), then seals them with the IKE SA's keys as
// crypto.SK.SealMessage does, so that the corruption passes the integrity
// check. It waits up to timeout and returns the response (nil: none) and
// the message ID used.
func (p *Peer) sendCorrupted(x wire.ExchangeType, inner []wire.Payload, patch func(first wire.PayloadType, pt []byte) (wire.PayloadType, []byte), timeout time.Duration) (*Msg, uint32) {
	sa := p.need()
	h := wire.Header{SPIi: sa.spii, SPIr: sa.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: x, Flags: wire.FlagInitiator, MessageID: sa.nextMID}
	sa.nextMID++
	first, pt, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		p.t.Inconclusivef("encoding %v: %v", x, err)
	}
	if patch != nil {
		first, pt = patch(first, pt)
	}
	skLen := wire.GenericHeaderLen + len(pt) + sa.out.Overhead(len(pt))
	prefix := h.Append(nil, wire.PayloadSK, wire.HeaderLen+skLen)
	prefix = append(prefix, byte(first), 0, byte(skLen>>8), byte(skLen))
	raw, err := sa.out.Seal(prefix, pt, nil)
	if err != nil {
		p.t.Inconclusivef("sealing %v: %v", x, err)
	}
	p.send(raw, wire.Summary(h, inner)+" (inner octets corrupted)")
	return p.waitResponse(h, timeout), h.MessageID
}

// ---- 001, 002: exchanges on a half-open IKE SA ----

func robustCreateChildHalfOpen() *Case {
	return &Case{
		ID:    "ROBUST-001",
		Title: "CREATE_CHILD_SA on a half-open IKE SA (before IKE_AUTH) makes no Child SA",
		Purpose: "strongSwan CVE-2014-2338 class: a responder that processed CREATE_CHILD_SA (or completed an IKE SA) " +
			"before IKE_AUTH let an unauthenticated peer get keys. IKE_AUTH must complete before any other exchange; the IUT " +
			"must not create a Child SA, and a later IKE_AUTH must still work or the half-open SA be gone.",
		RFC:  []string{"RFC 7296 1", "RFC 7296 1.2", "RFC 7296 2.21.1"},
		Reqs: []string{"RFC7296-1-1"},
		Tag:  Advanced, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
			"IUT -> T  IKE_SA_INIT response: SA, KE, Nr (the IKE SA is half-open: no IKE_AUTH yet)",
			"T -> IUT  CREATE_CHILD_SA request 1: SK { SA(ESP), Ni, TSi, TSr }",
			"J1: the IUT creates no Child SA: no response, or a response with an error Notify and no SA",
			"T -> IUT  IKE_AUTH request (message ID 1 if the CREATE_CHILD_SA was dropped, else 2): SK { IDi, AUTH, SA, TSi, TSr }",
			"J2: IKE_AUTH still authenticates (AUTH verifies), or the IUT dropped the half-open SA (no response or an error Notify)",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.InitSA(InitOptions{})
			ni := randBytes(32)
			ps := p.childPayloads(nil, randUint32(), &childExtra{ni: ni}, "", "")
			m := p.request(p.sa, wire.CREATE_CHILD_SA, ps, ReqOptions{Timeout: robustSilence})
			errorAnswer(t, 1, "no Child SA on a half-open IKE SA (RFC 7296 section 1: IKE_AUTH completes first)", m, true)
			if m == nil {
				p.sa.nextMID = 1
			}
			auth := p.Auth(AuthOptions{})
			ok := auth == nil || auth.AuthOK && auth.Err == nil
			if auth != nil && !auth.AuthOK {
				_, isErr := auth.ErrorNotify()
				ok = isErr && !auth.Has(wire.PayloadAUTH)
			}
			t.Check(2, "a later IKE_AUTH authenticates, or the half-open SA is gone", ok,
				"IKE_AUTH response with a verifying AUTH, or no message, or an error Notify", auth.Summary())
			if auth != nil && auth.AuthOK {
				p.DeleteIKE()
			}
			robustAlive(t, 3)
		},
	}
}

func robustInformationalHalfOpen() *Case {
	return &Case{
		ID:    "ROBUST-002",
		Title: "INFORMATIONAL (Delete of the IKE SA) on a half-open IKE SA is not processed as on an established one",
		Purpose: "INFORMATIONAL exchanges only occur after the initial exchanges (RFC 7296 1.4). Implementations have crashed " +
			"or torn down state when a Delete or an empty INFORMATIONAL came on a half-open IKE SA. The IUT must ignore it " +
			"or answer with an error, and IKE_AUTH must still work afterwards (or the half-open SA be dropped).",
		RFC:  []string{"RFC 7296 1.4", "RFC 7296 1", "RFC 7296 2.21.1"},
		Reqs: []string{"RFC7296-1.4-1", "RFC7296-1-1"},
		Tag:  Advanced, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, KE, Ni",
			"IUT -> T  IKE_SA_INIT response: SA, KE, Nr (half-open)",
			"T -> IUT  INFORMATIONAL request 1: SK { D(IKE) }",
			"J1: no response, or a protected response with an error Notify (the exchange is not allowed yet)",
			"T -> IUT  IKE_AUTH request: SK { IDi, AUTH, SA, TSi, TSr }",
			"J2: IKE_AUTH authenticates, or the IUT dropped the half-open SA (no response or an error Notify)",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.InitSA(InitOptions{})
			m := p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}, ReqOptions{Timeout: robustSilence})
			errorAnswer(t, 1, "an INFORMATIONAL exchange before IKE_AUTH is not carried out (RFC7296-1.4-1)", m, true)
			if m == nil {
				p.sa.nextMID = 1
			}
			auth := p.Auth(AuthOptions{})
			ok := auth == nil || auth.AuthOK && auth.Err == nil
			if auth != nil && !auth.AuthOK {
				_, isErr := auth.ErrorNotify()
				ok = isErr && !auth.Has(wire.PayloadAUTH)
			}
			t.Check(2, "a later IKE_AUTH authenticates, or the half-open SA is gone", ok,
				"IKE_AUTH response with a verifying AUTH, or no message, or an error Notify", auth.Summary())
			if auth != nil && auth.AuthOK {
				p.DeleteIKE()
			}
			robustAlive(t, 3)
		},
	}
}

// ---- 003 - 012: Key Exchange payloads ----

func robustKEUnknownGroup() *Case {
	return &Case{
		ID:    "ROBUST-003",
		Title: "IKE_SA_INIT with a KE payload of an unknown group (1234)",
		Purpose: "Group numbers index tables in many implementations; an unknown one must not be looked up blindly. The KE " +
			"group does not match the offered proposal, so the IUT must answer INVALID_KE_PAYLOAD naming a group it accepts " +
			"(or refuse with NO_PROPOSAL_CHOSEN), and keep running.",
		RFC:  []string{"RFC 7296 1.2", "RFC 7296 3.4", "RFC 7296 2.21.1"},
		Reqs: []string{"RFC7296-3.4-2", "RFC7296-3.4-4", "RFC7296-1.2-4"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(profile's first proposal), KE(group 1234, 64 octets), Ni",
			"J1: IUT -> T  IKE_SA_INIT response with N(INVALID_KE_PAYLOAD) or N(NO_PROPOSAL_CHOSEN), no SA/KE",
			"J2: an INVALID_KE_PAYLOAD names a group of the tester's proposal",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			props, _ := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals[0])
			m := initCookie(p, InitOptions{KEGroup: 1234, KEData: randBytes(64)})
			e, _ := m.ErrorNotify()
			t.Check(1, "INVALID_KE_PAYLOAD or NO_PROPOSAL_CHOSEN for the unknown group", m != nil && !m.Has(wire.PayloadSA) &&
				(e == wire.INVALID_KE_PAYLOAD || e == wire.NO_PROPOSAL_CHOSEN),
				"IKE_SA_INIT response with N(INVALID_KE_PAYLOAD) or N(NO_PROPOSAL_CHOSEN)", m.Structure())
			if n := m.Notify(wire.INVALID_KE_PAYLOAD); n != nil {
				ok := len(n.Data) == 2 && proposalsHaveKE(props, wire.KEID(binary.BigEndian.Uint16(n.Data)))
				g, _ := firstKE(props)
				t.Check(2, "INVALID_KE_PAYLOAD names a group the tester offered (RFC 7296 1.2)", ok, "group "+g.String(), m.Structure())
			} else {
				t.Check(2, "no INVALID_KE_PAYLOAD to check (NO_PROPOSAL_CHOSEN)", true, "", "")
			}
			robustAlive(t, 3)
		},
	}
}

func robustKEHugeGroup() *Case {
	return &Case{
		ID:    "ROBUST-004",
		Title: "IKE_SA_INIT proposing and using key exchange method 65535",
		Purpose: "strongSwan CVE-2014-9221: a DH group number of 1025 or more in a KE payload crashed charon (an out-of-bounds " +
			"table read). The only proposal names the unknown method 65535 and so does the KE payload; the IUT must refuse " +
			"(NO_PROPOSAL_CHOSEN, or INVALID_KE_PAYLOAD) and keep running.",
		RFC:  []string{"RFC 7296 3.3.6", "RFC 7296 3.4", "RFC 7296 2.21.1"},
		Reqs: []string{"RFC7296-3.3.6-7", "RFC7296-3.3.6-6", "RFC7296-3.4-4"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(ENCR, PRF, INTEG of the profile's first proposal, KE 65535), KE(65535, 256 octets), Ni",
			"J1: IUT -> T  IKE_SA_INIT response with N(NO_PROPOSAL_CHOSEN) or N(INVALID_KE_PAYLOAD), no SA/KE",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			ps := defaultInitPayloads(t)
			sa := ps[0].(*wire.SA)
			for i := range sa.Proposals {
				for j := range sa.Proposals[i].Transforms {
					if sa.Proposals[i].Transforms[j].Type == wire.TransformKE {
						sa.Proposals[i].Transforms[j].ID = 65535
					}
				}
			}
			ps[1] = &wire.KE{Group: 65535, Data: randBytes(256)}
			m := rawInit(p, ps, nil, p.Timeout)
			e, _ := m.ErrorNotify()
			t.Check(1, "NO_PROPOSAL_CHOSEN or INVALID_KE_PAYLOAD for method 65535", m != nil && !m.Has(wire.PayloadSA) &&
				(e == wire.INVALID_KE_PAYLOAD || e == wire.NO_PROPOSAL_CHOSEN),
				"IKE_SA_INIT response with N(NO_PROPOSAL_CHOSEN) or N(INVALID_KE_PAYLOAD)", m.Structure())
			robustAlive(t, 2)
		},
	}
}

// keRefused is the judgement of an invalid public value in IKE_SA_INIT:
// RFC 6989 section 2.5 drops the message (or, without DoS resistance,
// answers INVALID_SYNTAX); NO_PROPOSAL_CHOSEN and INVALID_KE_PAYLOAD are
// tolerated refusals. Never SA, KE, Nr.
func keRefused(t *T, n int, m *Msg) {
	noIKESA(t, n, "the invalid public value is refused: no IKE SA (RFC 6989 2.5: drop, or INVALID_SYNTAX)", m,
		wire.INVALID_SYNTAX, wire.NO_PROPOSAL_CHOSEN, wire.INVALID_KE_PAYLOAD)
}

func robustKEZero(id string, g wire.KEID, name, sec string) *Case {
	reqs := []string{"RFC6989-2.5-1", "RFC6989-2.5-2"}
	purpose := "libreswan CVE-2015-3240 class: a zero Diffie-Hellman public value gives a predictable (zero) shared secret or " +
		"crashes the computation. RFC 6989 requires checking the peer's value; the IUT must drop the request or answer " +
		"INVALID_SYNTAX (NO_PROPOSAL_CHOSEN tolerated), never complete IKE_SA_INIT, and keep running."
	j1 := "J1: no response, or a response with N(INVALID_SYNTAX) / N(NO_PROPOSAL_CHOSEN) / N(INVALID_KE_PAYLOAD) and no SA/KE"
	switch g {
	case wire.ECP_256:
		reqs = append(reqs, "RFC6989-2.3-1")
	case wire.MODP_2048:
		reqs = append(reqs, "RFC6989-2.1-1")
	case wire.CURVE25519:
		// RFC 6989 covers MODP and ECP groups only; RFC 8031 (Curve25519
		// in IKEv2) has no check of the peer's value, and RFC 7748
		// section 6.1 makes the all-zero shared secret check optional
		// ("MAY check"). Refusing and answering are both conforming.
		reqs = []string{"RFC8031-2-1", "RFC8031-3.2-2"}
		purpose = "libreswan CVE-2015-3240 class: a zero public value gives a predictable (zero) shared secret or crashes " +
			"the computation. For X25519 no RFC requires a check: RFC 6989 covers MODP and ECP groups, RFC 8031 has no " +
			"recipient test, and RFC 7748 section 6.1 lets the recipient check for the all-zero shared secret (MAY). The " +
			"IUT may refuse the request (drop, or an error Notify) or answer it with SA, KE, Nr; any response must be " +
			"well formed, and the IUT must keep running."
		j1 = "J1: no response, a response with an error Notify and no SA/KE, or a full response (SA, KE, Nr) with a well-formed X25519 KE"
	}
	return &Case{
		ID:      id,
		Title:   "IKE_SA_INIT with an all-zero " + name + " public value",
		Purpose: purpose,
		RFC:     []string{"RFC 6989 2.5", sec, "RFC 7296 2.21.1"},
		Reqs:    reqs,
		Tag:     Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(profile proposal with " + g.String() + "), KE(" + g.String() + ", all zero), Ni, N(NATD_S_IP), N(NATD_D_IP)",
			j1,
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			spec := proposalWith(t, g)
			k, err := crypto.LookupKE(g)
			if err != nil {
				t.Skipf("the tester lacks %v: %v", g, err)
			}
			p := Dial(t)
			p.Timeout = robustSilence
			m := initCookie(p, InitOptions{Proposals: []string{spec}, KEGroup: g, KEData: make([]byte, k.PublicLen)})
			if g == wire.CURVE25519 && m != nil && m.Has(wire.PayloadSA) {
				ke, _ := wire.Find[*wire.KE](m.Payloads)
				ok := m.Err == nil && m.IsResponse() && m.Has(wire.PayloadNonce) && ke != nil && ke.Group == g && len(ke.Data) == k.ResponseLen
				t.Logf("the IUT accepted the all-zero X25519 value (no RFC requires the check)")
				t.Check(1, "the all-zero X25519 value is refused, or answered with a well-formed SA, KE, Nr (RFC 7748 6.1: the check is a MAY)",
					ok, "IKE_SA_INIT response [ SA KE(CURVE25519, 32 octets) No ... ]", m.Structure())
			} else if g == wire.CURVE25519 {
				noIKESA(t, 1, "the all-zero X25519 value is refused, or answered with a well-formed SA, KE, Nr (RFC 7748 6.1: the check is a MAY)", m)
			} else {
				keRefused(t, 1, m)
			}
			robustAlive(t, 2)
		},
	}
}

// modp2048Prime is the 2048-bit MODP prime of RFC 3526 section 3 (group 14).
var modp2048Prime = func() *big.Int {
	s := "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
		"15728E5A8AACAA68FFFFFFFFFFFFFFFF"
	b, _ := hex.DecodeString(s)
	return new(big.Int).SetBytes(b)
}()

func robustKEModpEdge(id string, pMinus1 bool) *Case {
	what, value := "1", "00..01"
	if pMinus1 {
		what, value = "p-1", "p-1"
	}
	return &Case{
		ID:    id,
		Title: "IKE_SA_INIT with the MODP-2048 public value " + what,
		Purpose: "RFC 6989 2.1: a MODP public value r must satisfy 1 < r < p-1; r = 1 and r = p-1 confine the shared secret " +
			"to {1, p-1} (small-subgroup attack). The IUT must drop the request or answer INVALID_SYNTAX, never complete " +
			"IKE_SA_INIT with it, and keep running.",
		RFC:  []string{"RFC 6989 2.1", "RFC 6989 2.5"},
		Reqs: []string{"RFC6989-2.1-1", "RFC6989-2.5-1", "RFC6989-2.5-2"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(profile proposal with MODP_2048), KE(MODP_2048, " + value + ", 256 octets), Ni, N(NATD_S_IP), N(NATD_D_IP)",
			"J1: no response, or a response with N(INVALID_SYNTAX) / N(NO_PROPOSAL_CHOSEN) / N(INVALID_KE_PAYLOAD) and no SA/KE",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			spec := proposalWith(t, wire.MODP_2048)
			r := big.NewInt(1)
			if pMinus1 {
				r = new(big.Int).Sub(modp2048Prime, big.NewInt(1))
			}
			p := Dial(t)
			p.Timeout = robustSilence
			m := initCookie(p, InitOptions{Proposals: []string{spec}, KEGroup: wire.MODP_2048, KEData: r.FillBytes(make([]byte, 256))})
			keRefused(t, 1, m)
			robustAlive(t, 2)
		},
	}
}

func robustKEOffCurve() *Case {
	return &Case{
		ID:    "ROBUST-010",
		Title: "IKE_SA_INIT with an ECP-256 point that is not on the curve",
		Purpose: "Invalid-curve attacks (RFC 6989 2.3): a point off the curve lets a peer learn the private key bit by bit, " +
			"and unchecked points crashed implementations. The point (1, 1) is not on P-256; the IUT must drop the request or " +
			"answer INVALID_SYNTAX and keep running.",
		RFC:  []string{"RFC 6989 2.3", "RFC 6989 2.5"},
		Reqs: []string{"RFC6989-2.3-1", "RFC6989-2.5-1", "RFC6989-2.5-2"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(profile proposal with ECP_256), KE(ECP_256, x = 1, y = 1), Ni, N(NATD_S_IP), N(NATD_D_IP)",
			"J1: no response, or a response with N(INVALID_SYNTAX) / N(NO_PROPOSAL_CHOSEN) / N(INVALID_KE_PAYLOAD) and no SA/KE",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			spec := proposalWith(t, wire.ECP_256)
			pt := make([]byte, 64)
			pt[31], pt[63] = 1, 1
			p := Dial(t)
			p.Timeout = robustSilence
			m := initCookie(p, InitOptions{Proposals: []string{spec}, KEGroup: wire.ECP_256, KEData: pt})
			keRefused(t, 1, m)
			robustAlive(t, 2)
		},
	}
}

func robustKELength(id string, long bool) *Case {
	g, title, detail := wire.CURVE25519, "too short", "31 octets instead of 32"
	reqs := []string{"RFC6989-2.5-1", "RFC6989-2.5-2"}
	if long {
		g, title, detail = wire.MODP_2048, "too long", "257 octets instead of 256"
		reqs = append(reqs, "RFC7296-3.4-1")
	}
	return &Case{
		ID:    id,
		Title: "IKE_SA_INIT with a " + g.String() + " public value " + title,
		Purpose: "Key Exchange Data of the wrong length has overrun buffers in several implementations (a copy sized by the " +
			"payload into a buffer sized by the group). The length is fixed by the group (RFC 7296 3.4; RFC 8031); the IUT must " +
			"refuse the request (drop, INVALID_SYNTAX, or a refusal notify), never complete IKE_SA_INIT, and keep running.",
		RFC:  []string{"RFC 7296 3.4", "RFC 6989 2.5", "RFC 8031 2"},
		Reqs: reqs,
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA(profile proposal with " + g.String() + "), KE(" + g.String() + ", " + detail + "), Ni, N(NATD_S_IP), N(NATD_D_IP)",
			"J1: no response, or a response with N(INVALID_SYNTAX) / N(NO_PROPOSAL_CHOSEN) / N(INVALID_KE_PAYLOAD) and no SA/KE",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			spec := proposalWith(t, g)
			k, err := crypto.LookupKE(g)
			if err != nil {
				t.Skipf("the tester lacks %v: %v", g, err)
			}
			_, pub, err := k.Start(nil)
			if err != nil {
				t.Inconclusivef("%v", err)
			}
			data := pub[:len(pub)-1]
			if long {
				data = append([]byte{0}, pub...)
			}
			p := Dial(t)
			p.Timeout = robustSilence
			m := initCookie(p, InitOptions{Proposals: []string{spec}, KEGroup: g, KEData: data})
			keRefused(t, 1, m)
			robustAlive(t, 2)
		},
	}
}

// ---- 013 - 015, 031: IKE_AUTH with missing or empty mandatory payloads ----

// authFailure judges an IKE_AUTH request the IUT must refuse: a protected
// response with an error Notify, no AUTH, no SA (RFC 7296 2.21.2).
func authFailure(t *T, n int, what string, m *Msg) {
	exp := "IKE_AUTH response SK { N(AUTHENTICATION_FAILED) or N(INVALID_SYNTAX) or another error Notify } without AUTH and SA"
	if m == nil {
		t.Check(n, what, false, exp, "no message")
		return
	}
	_, isErr := m.ErrorNotify()
	t.Check(n, what, m.Encrypted && m.Err == nil && isErr && !m.Has(wire.PayloadAUTH) && !m.Has(wire.PayloadSA), exp, m.Structure())
}

func robustAuthMissing(id string, omitted wire.PayloadType, name string) *Case {
	return &Case{
		ID:    id,
		Title: "IKE_AUTH request without " + name,
		Purpose: "strongSwan CVE-2013-6467 class: an IKE_AUTH request that lacks a mandatory payload (the peer's identity, " +
			"its AUTH) dereferenced a missing object. IDi and AUTH are mandatory in the initiator's IKE_AUTH (RFC 7296 1.2); the " +
			"IUT must refuse authentication with an error Notify in a protected response (RFC 7296 2.21.2) and keep running.",
		RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2", "RFC 7296 3.10.1"},
		Reqs: []string{"RFC7296-2.21.2-1", "RFC7296-1.2-2"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, KE, Ni",
			"IUT -> T  IKE_SA_INIT response: SA, KE, Nr",
			"T -> IUT  IKE_AUTH request: SK { IDi, AUTH, SA, TSi, TSr } without " + name,
			"J1: IUT -> T  IKE_AUTH response: SK { error Notify (AUTHENTICATION_FAILED, INVALID_SYNTAX ...) }, no AUTH, no SA",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.InitSA(InitOptions{})
			m := p.Auth(AuthOptions{Omit: []wire.PayloadType{omitted}})
			authFailure(t, 1, "IKE_AUTH without "+name+" is refused with an error Notify", m)
			robustAlive(t, 2)
		},
	}
}

func robustAuthEmptyID() *Case {
	return &Case{
		ID:    "ROBUST-031",
		Title: "IKE_AUTH request with an empty IDi (ID_FQDN, no identification data)",
		Purpose: "Empty identities have crashed identity parsers (a zero-length copy, a missing terminator) and matched " +
			"wildcard policies by accident. The IUT must give a well-formed protected answer: refuse with an error Notify " +
			"(AUTHENTICATION_FAILED, INVALID_SYNTAX), or, if its policy accepts any identity, a complete IKE_AUTH response " +
			"whose AUTH verifies; and keep running.",
		RFC:  []string{"RFC 7296 3.5", "RFC 7296 2.21.2", "RFC 7296 1.2"},
		Reqs: []string{"RFC7296-2.21.2-1", "RFC7296-1.2-3"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, KE, Ni",
			"IUT -> T  IKE_SA_INIT response: SA, KE, Nr",
			"T -> IUT  IKE_AUTH request: SK { IDi(ID_FQDN, empty), AUTH (computed over the empty IDi), SA, TSi, TSr }",
			"J1: IUT -> T  IKE_AUTH response: SK { error Notify } without AUTH and SA, or SK { IDr AUTH ... } whose AUTH verifies",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.InitSA(InitOptions{})
			m := p.Auth(AuthOptions{IDi: &wire.ID{IDType: wire.ID_FQDN}})
			if m != nil && m.AuthOK {
				t.Logf("the IUT accepted the empty identity (its policy accepts any IDi)")
				t.Check(1, "a complete, verifying IKE_AUTH response for the empty IDi", m.Encrypted && m.Err == nil,
					"IKE_AUTH response SK { IDr AUTH ... }", m.Structure())
				p.DeleteIKE()
			} else {
				authFailure(t, 1, "IKE_AUTH with an empty IDi is refused with an error Notify", m)
			}
			robustAlive(t, 2)
		},
	}
}

func robustAuthNoTS() *Case {
	return &Case{
		ID:    "ROBUST-015",
		Title: "IKE_AUTH request with SA but without TSi and TSr",
		Purpose: "A Child SA proposal without traffic selectors has made implementations install a Child SA with unset (or " +
			"stale) selectors. SA, TSi and TSr come together (RFC 7296 1.2); the IUT must create no Child SA: it answers with " +
			"an error Notify (the IKE SA may still come up, RFC 7296 2.21.2) and keeps running.",
		RFC:  []string{"RFC 7296 1.2", "RFC 7296 2.21.2"},
		Reqs: []string{"RFC7296-2.21.2-4", "RFC7296-1.3.1-4"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, KE, Ni",
			"IUT -> T  IKE_SA_INIT response: SA, KE, Nr",
			"T -> IUT  IKE_AUTH request: SK { IDi, AUTH, SA } (no TSi, no TSr)",
			"J1: IUT -> T  IKE_AUTH response: SK { ... error Notify } without SA (no Child SA)",
			"J2: if the IKE SA came up (AUTH verifies), it is usable: an empty INFORMATIONAL gets a response",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.InitSA(InitOptions{})
			m := p.Auth(AuthOptions{Omit: []wire.PayloadType{wire.PayloadTSi, wire.PayloadTSr}})
			exp := "IKE_AUTH response SK { [IDr AUTH] error Notify } without SA"
			if m == nil {
				t.Check(1, "no Child SA without traffic selectors; an error Notify", false, exp, "no message")
			} else {
				_, isErr := m.ErrorNotify()
				t.Check(1, "no Child SA without traffic selectors; an error Notify", m.Encrypted && isErr && !m.Has(wire.PayloadSA), exp, m.Structure())
			}
			if m != nil && m.AuthOK {
				ikeSAUsable(t, 2, p, m, 0)
			} else {
				t.Check(2, "the IKE SA was not established (nothing to use)", true, "", "")
			}
			robustAlive(t, 3)
		},
	}
}

// ---- 016: CREATE_CHILD_SA with KE but no KE transform ----

func robustChildKEWithoutTransform() *Case {
	return &Case{
		ID:    "ROBUST-016",
		Title: "CREATE_CHILD_SA with a KE payload while no proposal has a KE transform",
		Purpose: "libreswan CVE-2016-5391 class: a KE payload that no proposal asked for (or the reverse) reached code that " +
			"assumed they agree. RFC 7296 3.4 forbids a KE payload when no proposal has a group; the IUT must refuse " +
			"(NO_PROPOSAL_CHOSEN, INVALID_SYNTAX, INVALID_KE_PAYLOAD), create no Child SA, and keep the IKE SA.",
		RFC:  []string{"RFC 7296 1.3", "RFC 7296 3.4", "RFC 7296 2.21.3"},
		Reqs: []string{"RFC7296-3.4-3", "RFC7296-1.3-4", "RFC7296-2.21.3-1", "RFC7296-1.3.1-4"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT, IKE_AUTH (established)",
			"T -> IUT  CREATE_CHILD_SA request: SK { SA(ESP, no KE transform), Ni, KEi(the IKE SA's group), TSi, TSr }",
			"J1: IUT -> T  CREATE_CHILD_SA response: SK { N(NO_PROPOSAL_CHOSEN) or N(INVALID_SYNTAX) or N(INVALID_KE_PAYLOAD) }, no SA",
			"J2: the IKE SA survives: an empty INFORMATIONAL request gets a response",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.Establish()
			g := p.sa.suite.KE
			if g == nil {
				t.Inconclusivef("the IKE SA has no key exchange method")
			}
			_, pub, err := g.Start(nil)
			if err != nil {
				t.Inconclusivef("%v", err)
			}
			ps := p.childPayloads(nil, randUint32(), &childExtra{ni: randBytes(32), ke: &wire.KE{Group: g.ID, Data: pub}}, "", "")
			// childPayloads added the KE transform: remove it again.
			sa := ps[0].(*wire.SA)
			for i := range sa.Proposals {
				sa.Proposals[i].Transforms = slices.DeleteFunc(sa.Proposals[i].Transforms, func(tr wire.Transform) bool { return tr.Type == wire.TransformKE })
			}
			mid := p.NextMID()
			m := p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
			errorAnswer(t, 1, "the stray KE payload is refused and no Child SA made", m, false,
				wire.NO_PROPOSAL_CHOSEN, wire.INVALID_SYNTAX, wire.INVALID_KE_PAYLOAD)
			ikeSAUsable(t, 2, p, m, mid)
			robustAlive(t, 3)
		},
	}
}

// ---- 017 - 022: malformed traffic selectors in CREATE_CHILD_SA ----

type tsFault struct {
	title, detail string
	syntax        bool // a framing error (INVALID_SYNTAX) rather than bad content
	// payload changes the TSi payload; patch, if set, the encoded octets
	// of the inner chain (off is where TSi's generic header starts).
	payload func(ts *wire.TS)
	patch   func(pt []byte, off int)
}

var (
	tsZeroSelectors = tsFault{title: "a TSi payload with zero selectors", detail: "TSi(number of TSs 0)",
		payload: func(ts *wire.TS) { ts.Selectors = nil }}
	tsBadSelectorLength = tsFault{title: "a TS_IPV4_ADDR_RANGE selector whose Selector Length is 24 (not 16)", syntax: true,
		detail: "TSi(1 TS_IPV4_ADDR_RANGE selector with Selector Length 24 while its 16 octets end the payload)",
		patch: func(pt []byte, off int) {
			// Selector Length at payload header 4 + TS header 4 + 2.
			binary.BigEndian.PutUint16(pt[off+10:], 24)
		}}
	tsStartAfterEnd = tsFault{title: "a selector whose starting address is above its ending address",
		detail: "TSi(127.0.0.9 .. 127.0.0.1)",
		payload: func(ts *wire.TS) {
			ts.Selectors[0].Start, ts.Selectors[0].End = netip.MustParseAddr("127.0.0.9"), netip.MustParseAddr("127.0.0.1")
		}}
	tsPortsReversed = tsFault{title: "a selector whose start port is above its end port",
		detail: "TSi(TCP, ports 2000-1000)",
		payload: func(ts *wire.TS) {
			ts.Selectors[0].IPProtocol, ts.Selectors[0].StartPort, ts.Selectors[0].EndPort = 6, 2000, 1000
		}}
	tsUnknownType = tsFault{title: "a selector of an unknown TS Type (200) as the only selector",
		detail: "TSi(TS Type 200, 12 octets)",
		payload: func(ts *wire.TS) {
			ts.Selectors = []wire.Selector{{Type: 200, Raw: randBytes(12)}}
		}}
	tsTruncated = tsFault{title: "a TSi payload announcing 2 selectors but holding 1 (truncated)", syntax: true,
		detail: "TSi(number of TSs 2, one selector present)",
		patch:  func(pt []byte, off int) { pt[off+4] = 2 }}
)

func robustTS(id string, f tsFault) *Case {
	reqs := []string{"RFC7296-2.21.3-1", "RFC7296-1.3.1-4"}
	if f.syntax {
		reqs = append(reqs, "RFC7296-2.21.2-3")
	}
	return &Case{
		ID:    id,
		Title: "CREATE_CHILD_SA with " + f.title,
		Purpose: "libreswan CVE-2023-23009 class: malformed traffic selectors (bad counts, lengths, reversed ranges, unknown " +
			"types) crashed the narrowing code. The IUT must refuse the Child SA with an error Notify (TS_UNACCEPTABLE, " +
			"INVALID_SYNTAX ...) or drop the request, create no Child SA, keep the IKE SA (RFC 7296 1.3.1: a failed Child SA " +
			"does not tear down the IKE SA) and keep running.",
		RFC:  []string{"RFC 7296 3.13", "RFC 7296 3.13.1", "RFC 7296 2.21.3", "RFC 7296 1.3.1"},
		Reqs: reqs,
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT, IKE_AUTH (established)",
			"T -> IUT  CREATE_CHILD_SA request: SK { SA(ESP), Ni, " + f.detail + ", TSr }",
			"J1: no Child SA: IUT -> T  CREATE_CHILD_SA response SK { error Notify } without SA, or no response",
			"J2: the IKE SA survives: an empty INFORMATIONAL request gets a response",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.Establish()
			ps := p.childPayloads(nil, randUint32(), &childExtra{ni: randBytes(32)}, "", "")
			tsi := ps[2].(*wire.TS)
			if f.payload != nil {
				f.payload(tsi)
			}
			var patch func(wire.PayloadType, []byte) (wire.PayloadType, []byte)
			if f.patch != nil {
				patch = func(first wire.PayloadType, pt []byte) (wire.PayloadType, []byte) {
					off := payloadAt(pt, 0, first, wire.PayloadTSi, 0)
					if off < 0 {
						t.Inconclusivef("no TSi in the encoded request")
					}
					f.patch(pt, off)
					return first, pt
				}
			}
			m, mid := p.sendCorrupted(wire.CREATE_CHILD_SA, ps, patch, p.Timeout)
			errorAnswer(t, 1, "no Child SA for "+f.title, m, true)
			ikeSAUsable(t, 2, p, m, mid)
			robustAlive(t, 3)
		},
	}
}

// ---- 023 - 028, 032 - 034: corrupted IKE_SA_INIT requests ----

type initFault struct {
	title, detail, purpose string
	rfc, reqs              []string
	// payloads changes the (default) SA, KE, Ni before encoding; mutate the
	// encoded request.
	payloads func(ps []wire.Payload) []wire.Payload
	mutate   func(b []byte) []byte
}

// initPayloadAt returns the offset of the nth payload of type pt of an
// encoded unprotected message.
func initPayloadAt(b []byte, pt wire.PayloadType) int {
	return payloadAt(b, wire.HeaderLen, wire.PayloadType(b[16]), pt, 0)
}

var (
	corruptLengthBeyondEnd = initFault{title: "the last payload's length runs beyond the end of the message",
		detail:  "SA, KE, Ni (Payload Length of Ni = its length + 100)",
		purpose: "strongSwan/libreswan CVE-2023-38710 class: payload lengths that run past the datagram made parsers read out of bounds.",
		reqs:    []string{"RFC7296-2.21.2-3", "RFC7296-3.3-4"},
		mutate: func(b []byte) []byte {
			off := initPayloadAt(b, wire.PayloadNonce)
			binary.BigEndian.PutUint16(b[off+2:], binary.BigEndian.Uint16(b[off+2:])+100)
			return b
		}}
	corruptLengthBelow4 = initFault{title: "a payload length below the 4-octet generic header",
		detail:  "SA, KE (Payload Length 2), Ni",
		purpose: "A Payload Length smaller than the generic header makes a naive parser loop forever or step backwards.",
		reqs:    []string{"RFC7296-2.21.2-3"},
		mutate: func(b []byte) []byte {
			off := initPayloadAt(b, wire.PayloadKE)
			binary.BigEndian.PutUint16(b[off+2:], 2)
			return b
		}}
	corruptHeaderOnly = initFault{title: "a KE payload that is only a generic header (length 4)",
		detail:  "SA, KE(generic header only, no group, no data), Ni",
		purpose: "A payload with no body at all made parsers read the fixed fields (the DH group) beyond the payload.",
		reqs:    []string{"RFC7296-2.21.2-3", "RFC7296-3.4-2"},
		payloads: func(ps []wire.Payload) []wire.Payload {
			ps[1] = &wire.Unknown{Kind: wire.PayloadKE}
			return ps
		}}
	corruptProposalLength = initFault{title: "an SA payload whose proposal length disagrees with the payload length",
		detail:  "SA(proposal length + 40), KE, Ni",
		purpose: "RFC 7296 3.3 requires the SA payload's internal lengths to be checked against its Payload Length; unchecked proposal lengths caused out-of-bounds reads.",
		reqs:    []string{"RFC7296-3.3-4", "RFC7296-2.21.2-3"},
		mutate: func(b []byte) []byte {
			off := initPayloadAt(b, wire.PayloadSA) + 4
			binary.BigEndian.PutUint16(b[off+2:], binary.BigEndian.Uint16(b[off+2:])+40)
			return b
		}}
	corruptTransformLength = initFault{title: "an SA payload with a transform length of 3 (below the 8-octet transform header)",
		detail:  "SA(first transform length 3), KE, Ni",
		purpose: "Transform lengths below the header size or beyond the proposal made SA parsers loop or overrun (RFC 7296 3.3.2).",
		reqs:    []string{"RFC7296-3.3-4", "RFC7296-2.21.2-3"},
		mutate: func(b []byte) []byte {
			off := initPayloadAt(b, wire.PayloadSA) + 4 // proposal
			spi := int(b[off+6])
			toff := off + 8 + spi
			binary.BigEndian.PutUint16(b[toff+2:], 3)
			return b
		}}
	corruptAttributeLength = initFault{title: "a transform with a TLV attribute whose length runs beyond the transform",
		detail:  "SA(ENCR transform with a TLV attribute type 15, length 1000, 4 octets present), KE, Ni",
		purpose: "Data attributes in TLV form carry their own length; an unchecked one read far beyond the transform (RFC 7296 3.3.5).",
		reqs:    []string{"RFC7296-3.3-4", "RFC7296-2.21.2-3"},
		payloads: func(ps []wire.Payload) []wire.Payload {
			sa := ps[0].(*wire.SA)
			tr := &sa.Proposals[0].Transforms[0]
			tr.Attributes = append(tr.Attributes, wire.Attribute{Type: 15, Value: []byte{1, 2, 3, 4}})
			return ps
		},
		mutate: func(b []byte) []byte {
			off := initPayloadAt(b, wire.PayloadSA) + 4
			spi := int(b[off+6])
			toff := off + 8 + spi
			tlen := int(binary.BigEndian.Uint16(b[toff+2:]))
			// The TLV attribute is the last 8 octets of the transform:
			// type(2) length(2) value(4).
			binary.BigEndian.PutUint16(b[toff+tlen-6:], 1000)
			return b
		}}
	corruptEmptyNonce = initFault{title: "an empty Nonce payload",
		detail:  "SA, KE, Ni(no data)",
		purpose: "An empty nonce gives no freshness and made key derivation read uninitialised memory. Nonces are 16 to 256 octets (RFC 7296 3.9).",
		reqs:    []string{"RFC7296-3.9-1", "RFC7296-2.10-1"},
		payloads: func(ps []wire.Payload) []wire.Payload {
			ps[2] = &wire.Nonce{}
			return ps
		}}
	corruptIKELengthLarger = initFault{title: "an IKE header Length larger than the datagram",
		detail:  "HDR(Length = datagram + 200), SA, KE, Ni",
		purpose: "The header's Length field has been trusted over the datagram size, reading past the received data.",
		reqs:    []string{"RFC7296-2.21.2-3"},
		mutate: func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[24:], uint32(len(b)+200))
			return b
		}}
	corruptIKELengthSmaller = initFault{title: "an IKE header Length smaller than the datagram",
		detail:  "HDR(Length = 40), SA, KE, Ni",
		purpose: "A Length field smaller than the datagram (but covering the header) has made parsers mix two views of the message.",
		reqs:    []string{"RFC7296-2.21.2-3"},
		mutate: func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[24:], 40)
			return b
		}}
)

func robustInitCorrupt(id string, f initFault) *Case {
	rfc := f.rfc
	if rfc == nil {
		rfc = []string{"RFC 7296 3.1", "RFC 7296 3.2", "RFC 7296 2.21.2", "RFC 7296 2.21.1"}
	}
	return &Case{
		ID:    id,
		Title: "IKE_SA_INIT request with " + f.title,
		Purpose: f.purpose + " A malformed IKE_SA_INIT request must be rejected in its entirety (RFC 7296 2.21.2): the IUT " +
			"drops it (or answers with an error Notify), makes no IKE SA, and keeps running.",
		RFC:  rfc,
		Reqs: f.reqs,
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: " + f.detail,
			"J1: no IKE SA: no response, or an IKE_SA_INIT response with an error Notify and no SA/KE",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			ps := defaultInitPayloads(t)
			if f.payloads != nil {
				ps = f.payloads(ps)
			}
			m := rawInit(p, ps, f.mutate, robustSilence)
			noIKESA(t, 1, "the malformed request makes no IKE SA", m)
			robustAlive(t, 2)
		},
	}
}

// ---- 029, 030: malformed payloads in INFORMATIONAL ----

type infoFault struct {
	title, detail, purpose string
	reqs                   []string
	payload                func(p *Peer) wire.Payload
	patch                  func(pt []byte, off int)
	pt                     wire.PayloadType
}

var (
	infoNotifySPISize = infoFault{title: "a Notify whose SPI Size runs beyond the payload",
		detail:  "N(type 40001 status, SPI Size 200, 4 octets of SPI)",
		purpose: "The Notify SPI Size is a length; read unchecked it overran the payload (RFC 7296 3.10).",
		reqs:    []string{"RFC7296-2.21.3-1", "RFC7296-2.21.2-3"},
		pt:      wire.PayloadNotify,
		payload: func(*Peer) wire.Payload {
			return &wire.Notify{Type: 40001, Protocol: wire.ProtoESP, SPI: []byte{1, 2, 3, 4}}
		},
		patch: func(pt []byte, off int) { pt[off+5] = 200 }}
	infoDeleteCount = infoFault{title: "a Delete whose Number of SPIs disagrees with the payload",
		detail:  "D(ESP, SPI Size 4, Number of SPIs 1000, one SPI present)",
		purpose: "The Delete payload's SPI count has been trusted over its length, reading far beyond it (RFC 7296 3.11).",
		reqs:    []string{"RFC7296-2.21.3-1", "RFC7296-2.21.2-3", "RFC7296-3.11-3"},
		pt:      wire.PayloadDelete,
		payload: func(p *Peer) wire.Payload {
			spi := randUint32()
			if len(p.Children) > 0 {
				spi = p.ChildSPIOut
			}
			return &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{binary.BigEndian.AppendUint32(nil, spi)}}
		},
		patch: func(pt []byte, off int) { binary.BigEndian.PutUint16(pt[off+6:], 1000) }}
)

func robustInfoCorrupt(id string, f infoFault) *Case {
	return &Case{
		ID:    id,
		Title: "INFORMATIONAL request with " + f.title,
		Purpose: f.purpose + " Inside an authenticated IKE SA the IUT answers a malformed request with INVALID_SYNTAX " +
			"(RFC 7296 2.21.2, 2.21.3) or drops it; either way the IKE SA stays usable and the IUT keeps running.",
		RFC:  []string{"RFC 7296 2.21.2", "RFC 7296 2.21.3", "RFC 7296 3.10", "RFC 7296 3.11"},
		Reqs: f.reqs,
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT, IKE_AUTH (established)",
			"T -> IUT  INFORMATIONAL request: SK { " + f.detail + " } (corrupted before sealing)",
			"J1: IUT -> T  INFORMATIONAL response SK { N(INVALID_SYNTAX) or another error Notify }, or no response",
			"J2: the IKE SA survives: an empty INFORMATIONAL request gets a response",
			"J3: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			p.Establish()
			patch := func(first wire.PayloadType, pt []byte) (wire.PayloadType, []byte) {
				off := payloadAt(pt, 0, first, f.pt, 0)
				if off < 0 {
					t.Inconclusivef("no %v payload in the encoded request", f.pt)
				}
				f.patch(pt, off)
				return first, pt
			}
			m, mid := p.sendCorrupted(wire.INFORMATIONAL, []wire.Payload{f.payload(p)}, patch, p.Timeout)
			errorAnswer(t, 1, "the malformed INFORMATIONAL request is answered with an error Notify or dropped", m, true)
			ikeSAUsable(t, 2, p, m, mid)
			robustAlive(t, 3)
		},
	}
}

// ---- 035, 036: tolerated oddities that must not disturb ----

func robustUnknownPayloadInChain() *Case {
	return &Case{
		ID:    "ROBUST-035",
		Title: "IKE_SA_INIT with an unknown non-critical payload in the middle of the chain",
		Purpose: "Payload types that are not defined must be skipped when their critical bit is clear (RFC 7296 2.5, 3.2); " +
			"parsers that stopped at the unknown type lost the payloads after it, or crashed. The IUT must answer as if the " +
			"payload were not there: SA, KE, Nr.",
		RFC:  []string{"RFC 7296 2.5", "RFC 7296 3.2"},
		Reqs: []string{"RFC7296-2.5-7", "RFC7296-2.5-9", "RFC7296-3.2-1"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			"T -> IUT  IKE_SA_INIT request: SA, PAYLOAD(200, not critical, 16 octets), KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
			"J1: IUT -> T  IKE_SA_INIT response: SA, KE, Nr (the unknown payload ignored)",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			unknown := &wire.Unknown{Kind: 200, Body: randBytes(16)}
			m := initCookie(p, InitOptions{Raw: func(b []byte) []byte {
				return insertAfter(t, b, wire.PayloadSA, unknown)
			}})
			t.Check(1, "the unknown non-critical payload is ignored: SA, KE, Nr", m != nil && m.Has(wire.PayloadSA) && m.Has(wire.PayloadKE) &&
				m.Has(wire.PayloadNonce), "IKE_SA_INIT response 0 [ SA KE No ... ]", m.Structure())
			robustAlive(t, 2)
		},
	}
}

// insertAfter inserts payload u after the first payload of type after in
// the encoded unprotected message b, fixing the Next Payload fields and
// the header's Length.
func insertAfter(t *T, b []byte, after wire.PayloadType, u wire.Payload) []byte {
	off := initPayloadAt(b, after)
	if off < 0 {
		t.Inconclusivef("no %v payload to insert after", after)
	}
	plen := int(binary.BigEndian.Uint16(b[off+2:]))
	body, err := wire.AppendPayloadBody(nil, u)
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	crit := byte(0)
	if u.Header().Critical {
		crit = 0x80
	}
	ins := append([]byte{b[off], crit, 0, 0}, body...)
	binary.BigEndian.PutUint16(ins[2:], uint16(len(ins)))
	b[off] = byte(u.PayloadType())
	out := slices.Concat(b[:off+plen], ins, b[off+plen:])
	binary.BigEndian.PutUint32(out[24:], uint32(len(out)))
	return out
}

func robustManyNotifies() *Case {
	const count = 120
	return &Case{
		ID:    "ROBUST-036",
		Title: fmt.Sprintf("IKE_SA_INIT with %d unknown status notifies", count),
		Purpose: "Notify payloads are collected into lists and arrays whose bounds have been overrun by long chains. Unknown " +
			"status notifies must be ignored (RFC 7296 3.10.1) and the message stays under 1280 octets (RFC 7296 2); the IUT " +
			"must answer normally with SA, KE, Nr.",
		RFC:  []string{"RFC 7296 3.10.1", "RFC 7296 2"},
		Reqs: []string{"RFC7296-3.10.1-3", "RFC7296-3.10.1-2", "RFC7296-2-1"},
		Tag:  Basic, Role: IUTResponder,
		Steps: []string{
			fmt.Sprintf("T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP), N(NATD_D_IP), %d x N(40000 + i, status, no data)", count),
			"J1: IUT -> T  IKE_SA_INIT response: SA, KE, Nr",
			"J2: a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			p := Dial(t)
			var extra []wire.Payload
			for i := range count {
				extra = append(extra, &wire.Notify{Type: wire.NotifyType(40000 + i)})
			}
			m := initCookie(p, InitOptions{Extra: extra})
			t.Check(1, "the unknown status notifies are ignored: SA, KE, Nr", m != nil && m.Has(wire.PayloadSA) && m.Has(wire.PayloadKE) &&
				m.Has(wire.PayloadNonce), "IKE_SA_INIT response 0 [ SA KE No ... ]", m.Structure())
			robustAlive(t, 2)
		},
	}
}

// ---- 037: EAP-Success too early (the IUT initiates) ----

// robustResponder is the tester's minimal IKEv2 responder for the cases
// where the IUT initiates: one UDP socket on the tester's IKE port, the
// IKE_SA_INIT answer and the keys of one IKE SA.
type robustResponder struct {
	t       *T
	conn    *net.UDPConn
	local   netip.AddrPort
	peer    netip.AddrPort
	spii    uint64
	spir    uint64
	in, out *crypto.SK
}

// listenResponder opens the tester's socket on its IKE port (the port
// number of the IUT's, 500 by default) on t.Local or all addresses.
func listenResponder(t *T) *robustResponder {
	local := t.Local
	if !local.IsValid() {
		local = netip.IPv4Unspecified()
		if t.Target.Addr.Is6() {
			local = netip.IPv6Unspecified()
		}
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, t.Target.IKEPort)))
	if err != nil {
		t.Inconclusivef("listening on the tester's IKE port: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	la := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return &robustResponder{t: t, conn: conn, local: netip.AddrPortFrom(la.Addr().Unmap(), la.Port())}
}

func (r *robustResponder) send(b []byte, summary string) {
	r.t.Logf("T -> IUT %v: %s", r.peer, summary)
	r.t.RecordPacket(Packet{Time: time.Now(), Src: r.local, Dst: r.peer, Data: b})
	if _, err := r.conn.WriteToUDPAddrPort(b, r.peer); err != nil {
		r.t.Inconclusivef("send: %v", err)
	}
}

// recv reads until deadline a datagram from the IUT's address that accept
// takes (decoded, and opened when it is protected and the keys are known).
func (r *robustResponder) recv(deadline time.Time, accept func(m *Msg) bool) *Msg {
	buf := make([]byte, 65536)
	for time.Now().Before(deadline) {
		r.conn.SetReadDeadline(deadline)
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		data := slices.Clone(buf[:n])
		r.t.RecordPacket(Packet{Time: time.Now(), Src: from, Dst: r.local, Data: data})
		if from.Addr() != r.t.Target.Addr {
			continue
		}
		m := &Msg{Raw: data, From: from, Time: time.Now()}
		wm, err := wire.Decode(data)
		if err != nil {
			m.Err = err
			if wm != nil {
				m.Header = wm.Header
			}
		} else {
			m.Header, m.Payloads = wm.Header, wm.Payloads
			if r.in != nil && m.Header.SPIi == r.spii && m.Header.SPIr == r.spir && m.Has(wire.PayloadSK) {
				if ps, err := r.in.OpenMessage(data); err != nil {
					m.Err = err
				} else {
					m.Payloads, m.Encrypted = ps, true
				}
			}
		}
		r.t.Logf("T <- IUT %v: %s", from, m.Summary())
		if accept(m) {
			r.peer = from
			return m
		}
	}
	return nil
}

// answerInit answers the IUT's IKE_SA_INIT request with the first of its
// proposals the tester can do, and derives the IKE SA's keys.
func (r *robustResponder) answerInit(req *Msg) {
	saP, ok1 := wire.Find[*wire.SA](req.Payloads)
	keP, ok2 := wire.Find[*wire.KE](req.Payloads)
	ni, ok3 := wire.Find[*wire.Nonce](req.Payloads)
	if !ok1 || !ok2 || !ok3 {
		r.t.Inconclusivef("the IUT's IKE_SA_INIT request lacks SA, KE or Ni: %s", req.Summary())
	}
	var suite crypto.Suite
	var prop *wire.Proposal
	for i := range saP.Proposals {
		pr := saP.Proposals[i]
		var pick []wire.Transform
		have := map[wire.TransformType]bool{}
		for _, tr := range pr.Transforms {
			if have[tr.Type] {
				continue
			}
			var err error
			switch tr.Type {
			case wire.TransformENCR:
				_, err = crypto.LookupEncr(wire.EncrID(tr.ID))
			case wire.TransformPRF:
				_, err = crypto.LookupPRF(wire.PRFID(tr.ID))
			case wire.TransformINTEG:
				_, err = crypto.LookupInteg(wire.IntegID(tr.ID))
			case wire.TransformKE:
				if wire.KEID(tr.ID) != keP.Group {
					continue
				}
			default:
				continue
			}
			if err == nil {
				have[tr.Type] = true
				pick = append(pick, tr)
			}
		}
		c, _ := chosenOf(&wire.SA{Proposals: []wire.Proposal{{Transforms: pick}}})
		s, err := crypto.NewSuite(c.Encr, c.KeyBits, c.PRF, c.Integ, c.KE)
		if err == nil && c.HasKE {
			suite, prop = s, &wire.Proposal{Number: pr.Number, Protocol: wire.ProtoIKE, Transforms: pick}
			break
		}
	}
	if prop == nil {
		r.t.Inconclusivef("no proposal of the IUT that the tester can answer with its KE group %v", keP.Group)
	}
	pub, shared, err := suite.KE.Respond(nil, keP.Data)
	if err != nil {
		r.t.Inconclusivef("the IUT's KE data: %v", err)
	}
	nr := randBytes(32)
	r.spii, r.spir = req.Header.SPIi, randUint64()
	h := wire.Header{SPIi: r.spii, SPIr: r.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: wire.IKE_SA_INIT, Flags: wire.FlagResponse}
	ps := []wire.Payload{&wire.SA{Proposals: []wire.Proposal{*prop}}, &wire.KE{Group: keP.Group, Data: pub}, &wire.Nonce{Data: nr}}
	raw, err := (&wire.Message{Header: h, Payloads: ps}).Encode()
	if err != nil {
		r.t.Inconclusivef("%v", err)
	}
	skeyseed, err := crypto.SKEYSEED(suite.PRF, ni.Data, nr, shared)
	if err != nil {
		r.t.Inconclusivef("%v", err)
	}
	keys, err := suite.IKEKeys(skeyseed, ni.Data, nr, r.spii, r.spir)
	if err != nil {
		r.t.Inconclusivef("%v", err)
	}
	if r.in, err = crypto.NewSK(suite, keys.Ei, keys.Ai); err == nil {
		r.out, err = crypto.NewSK(suite, keys.Er, keys.Ar)
	}
	if err != nil {
		r.t.Inconclusivef("%v", err)
	}
	row := keytable.IKESA{SPIi: r.spii, SPIr: r.spir, Encr: suite.Encr.ID, EncrKeyBits: suite.KeyBits, SKei: keys.Ei, SKer: keys.Er}
	if suite.Integ != nil {
		row.Integ = keytable.Integrity{ID: suite.Integ.ID}
		row.SKai, row.SKar = keys.Ai, keys.Ar
	}
	r.t.RecordKeys(row)
	r.send(raw, wire.Summary(h, ps))
}

// seal sends a protected message on the IKE SA (the tester is the
// original responder: the I flag is clear).
func (r *robustResponder) seal(x wire.ExchangeType, flags wire.Flags, mid uint32, ps []wire.Payload) {
	h := wire.Header{SPIi: r.spii, SPIr: r.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: x, Flags: flags, MessageID: mid}
	raw, err := r.out.SealMessage(h, ps, nil)
	if err != nil {
		r.t.Inconclusivef("%v", err)
	}
	r.send(raw, wire.Summary(h, ps))
}

func robustEAPSuccessEarly() *Case {
	return &Case{
		ID:    "ROBUST-037",
		Title: "The IUT as initiator gets EAP-Success in the first IKE_AUTH response, before any EAP method ran",
		Purpose: "strongSwan CVE-2021-45079: a malicious responder sent EAP-Success right away, without running an EAP " +
			"method (and without its own AUTH), and the client went on to complete the IKE SA, skipping authentication of " +
			"the server. An EAP-Success that ends no EAP method (RFC 7296 2.16) must make the IUT abandon the exchange: it " +
			"must not send its AUTH, nor install the IKE SA.",
		RFC:  []string{"RFC 7296 2.16", "RFC 7296 1.2", "RFC 7296 2.21.2"},
		Reqs: []string{"RFC7296-2.16-2", "RFC7296-2.16-7", "RFC7296-1.2-2"},
		Tag:  "EAP", Role: IUTInitiator,
		Needs: []string{"auth:eap", "iut-trigger"},
		Steps: []string{
			"(the operator makes the IUT initiate toward the tester's IKE port)",
			"IUT -> T  IKE_SA_INIT request: SA, KE, Ni",
			"T -> IUT  IKE_SA_INIT response: SA (the IUT's first proposal the tester can do), KE, Nr",
			"IUT -> T  IKE_AUTH request 1: SK { IDi, [IDr], SA, TSi, TSr } (no AUTH: the IUT asks for EAP)",
			"T -> IUT  IKE_AUTH response 1: SK { IDr, EAP(Success) } (no AUTH, no EAP method before)",
			"J1: the IUT sends no IKE_AUTH request with AUTH afterwards (it does not complete authentication)",
			"T -> IUT  INFORMATIONAL request 0 (from the tester as responder): SK { }",
			"J2: the IUT has no IKE SA: no protected response to the INFORMATIONAL request",
			"J3: when the IUT is also a responder, a fresh IKE_SA_INIT still gets a response",
		},
		Run: func(t *T) {
			r := listenResponder(t)
			t.Logf("waiting up to 30 s for the IUT to initiate toward %v", r.local)
			req := r.recv(time.Now().Add(30*time.Second), func(m *Msg) bool {
				return m.Err == nil && m.Header.Exchange == wire.IKE_SA_INIT && !m.IsResponse() && m.Header.SPIr == 0
			})
			if req == nil {
				t.Inconclusivef("the IUT did not initiate (no IKE_SA_INIT request within 30 s)")
			}
			r.answerInit(req)
			auth := r.recv(time.Now().Add(10*time.Second), func(m *Msg) bool {
				return m.Encrypted && m.Header.Exchange == wire.IKE_AUTH && !m.IsResponse() && m.Header.MessageID == 1
			})
			if auth == nil {
				t.Inconclusivef("no IKE_AUTH request from the IUT")
			}
			if auth.Has(wire.PayloadAUTH) {
				t.Inconclusivef("the IUT authenticates with AUTH in its first IKE_AUTH request, not with EAP: %s", auth.Summary())
			}
			r.seal(wire.IKE_AUTH, wire.FlagResponse, 1, []wire.Payload{IDPayload(t.Profile.TesterID, true),
				&wire.EAP{Code: wire.EAPSuccess, Identifier: 1}})
			next := r.recv(time.Now().Add(5*time.Second), func(m *Msg) bool {
				if m.Header.SPIi != r.spii || m.IsResponse() {
					return false
				}
				if m.Header.Exchange == wire.IKE_AUTH && m.Header.MessageID == 1 {
					return false // a retransmission: the IUT ignored the answer
				}
				return true
			})
			completed := next != nil && next.Header.Exchange == wire.IKE_AUTH && next.Has(wire.PayloadAUTH)
			t.Check(1, "the IUT does not complete IKE_AUTH after a premature EAP-Success", !completed,
				"no IKE_AUTH request with AUTH (silence, N(AUTHENTICATION_FAILED), or a Delete)", next.Structure())
			if next != nil && next.Encrypted && next.Header.Exchange == wire.INFORMATIONAL {
				r.seal(wire.INFORMATIONAL, wire.FlagResponse, next.Header.MessageID, nil)
			}
			r.seal(wire.INFORMATIONAL, 0, 0, nil)
			live := r.recv(time.Now().Add(robustSilence), func(m *Msg) bool {
				return m.Header.SPIi == r.spii && m.IsResponse() && m.Header.Exchange == wire.INFORMATIONAL
			})
			t.Check(2, "the IUT installed no IKE SA: no protected answer to a request on it", live == nil || !live.Encrypted,
				"no message (or an unprotected INVALID_IKE_SPI)", live.Structure())
			if t.Profile.HasRole(IUTResponder) {
				robustAlive(t, 3)
			} else {
				t.Logf("the IUT is not a responder: no IKE_SA_INIT survival check")
			}
		},
	}
}
