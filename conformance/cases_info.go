package conformance

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The REKEY, INFO, NATT, FRAG and ESP groups: rekeying of Child and IKE SAs
// (RFC 7296 sections 1.3.2, 1.3.3, 2.8, 2.18, 2.25), INFORMATIONAL
// exchanges and message ID handling (1.4, 1.4.1, 2.1-2.3, 2.21.4, 3.10.1),
// NAT traversal (2.23, RFC 3948), IKE fragmentation (RFC 7383) and what a
// tester without a data plane can see of ESP (RFC 4303).

// infQuiet is how long a case waits where the RFC requires silence.
const infQuiet = 2 * time.Second

// Unassigned notify types (IANA "IKEv2 Notify Message Types").
const (
	infUnknownError  wire.NotifyType = 8000  // error range 0-8191, unassigned
	infUnknownStatus wire.NotifyType = 40000 // status range 16384-40959, unassigned
)

// ---- helpers (all prefixed inf: the package is shared with other groups) ----

// infUp dials and establishes an IKE SA; with a Child SA when the case
// needs "child" (inconclusive if not).
func infUp(t *T) (*Peer, *Msg, *Msg) {
	p := Dial(t)
	init, auth := p.Establish()
	// Establish accepts an IKE SA without a Child SA (an IUT that refuses
	// the Child SA, e.g. with TS_UNACCEPTABLE, still establishes the IKE
	// SA: RFC 7296 2.21.3); only the cases that need the Child SA
	// (feature "child") are inconclusive without one.
	if len(p.Children) == 0 && slices.Contains(t.Case.Needs, "child") {
		t.Inconclusivef("IKE_AUTH made no Child SA: %s", auth.Summary())
	}
	return p, init, auth
}

// infBye deletes the IKE SA, without judging, when the tester still has one.
func infBye(p *Peer) {
	if p.sa == nil {
		return
	}
	p.Timeout = infQuiet
	p.DeleteIKE()
}

// infAlive judges (step n) that the IUT still answers a new IKE_SA_INIT
// request from a new tester SA: the robustness check after a drop.
func infAlive(t *T, n int) {
	q := Dial(t)
	m := q.Init(InitOptions{})
	t.Check(n, "the IUT still answers a fresh IKE_SA_INIT request", m != nil && m.IsResponse(),
		"IKE_SA_INIT response 0", m.Summary())
}

// infResp matches the response with message ID mid on the IKE SA with SPIi.
func infResp(spii uint64, mid uint32) func(*Msg) bool {
	return func(m *Msg) bool { return m.Header.SPIi == spii && m.IsResponse() && m.Header.MessageID == mid }
}

// infGone reports whether m (what came after a request on an IKE SA the IUT
// no longer has) is acceptable: nothing, or an unprotected N(INVALID_IKE_SPI)
// with the request's SPIs and message ID (RFC 7296 section 2.21.4).
func infGone(m *Msg, spii, spir uint64, mid uint32) bool {
	return m == nil || (m.Err == nil && !m.Has(wire.PayloadSK) && m.Notify(wire.INVALID_IKE_SPI) != nil &&
		m.Header.SPIi == spii && m.Header.SPIr == spir && m.Header.MessageID == mid)
}

// infGoneWant is the expectation infGone checks.
func infGoneWant(mid uint32) string {
	return fmt.Sprintf("no message, or unprotected INFORMATIONAL response %d [ N(INVALID_IKE_SPI) ]", mid)
}

// infSendRaw sends data as it is (no non-ESP marker added) to dst.
func infSendRaw(p *Peer, dst netip.AddrPort, data []byte, what string) {
	p.t.Logf("T -> IUT %v: %s", dst, what)
	p.t.RecordPacket(Packet{Time: time.Now(), Src: p.tr.local, Dst: dst, Data: data})
	if _, err := p.tr.conn.WriteToUDPAddrPort(data, dst); err != nil {
		p.t.Inconclusivef("send to %v: %v", dst, err)
	}
}

// infTS renders the TSi and TSr payloads of m.
func infTS(m *Msg) string {
	var b strings.Builder
	for _, pl := range m.Payloads {
		if pl.PayloadType() == wire.PayloadTSi || pl.PayloadType() == wire.PayloadTSr {
			b.WriteString(strings.Join(payloadStructure(pl), "\n") + "\n")
		}
	}
	return b.String()
}

// infChildSA returns the SPI (4 octets) of the response's SA payload, or 0.
func infChildSPI(m *Msg) uint32 {
	sa, ok := wire.Find[*wire.SA](m.Payloads)
	if !ok || len(sa.Proposals) == 0 || len(sa.Proposals[0].SPI) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(sa.Proposals[0].SPI)
}

// infDeleteSPIs lists the SPIs of the ESP Delete payloads of m, sorted.
func infDeleteSPIs(m *Msg) []string {
	var out []string
	if m == nil {
		return out
	}
	for _, pl := range m.Payloads {
		if d, ok := pl.(*wire.Delete); ok {
			for _, s := range d.SPIs {
				out = append(out, fmt.Sprintf("%v %x", d.Protocol, s))
			}
		}
	}
	sort.Strings(out)
	return out
}

func infSPIList(spis ...uint32) []string {
	var out []string
	for _, s := range spis {
		out = append(out, fmt.Sprintf("%v %08x", wire.ProtoESP, s))
	}
	sort.Strings(out)
	return out
}

// infChildRequest sends CREATE_CHILD_SA with pre (e.g. N(REKEY_SA)) before
// SA Ni TSi TSr of the profile's first ESP proposal; ni is the nonce.
func infChildRequest(p *Peer, pre []wire.Payload, ni []byte) *Msg {
	ps := append(slices.Clone(pre), p.childPayloads(nil, randUint32(), &childExtra{ni: ni}, "", "")...)
	return p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
}

func infRekeyNotify(proto wire.ProtocolID, spi uint32) *wire.Notify {
	return &wire.Notify{Type: wire.REKEY_SA, Protocol: proto, SPI: binary.BigEndian.AppendUint32(nil, spi)}
}

// infErr renders the first error notify of m ("none" without).
func infErr(m *Msg) string {
	if n, ok := m.ErrorNotify(); ok {
		return "N(" + n.String() + ")"
	}
	return "none"
}

// infChosenOK checks a responder's SA payload against the offered
// proposals: exactly one proposal, with the number of an offered one, of
// its protocol, and exactly one transform of each type the offer had, each
// among those offered (RFC 7296 sections 2.7 and 3.3.6).
func infChosenOK(offered []wire.Proposal, resp *wire.SA) (bool, string) {
	if resp == nil || len(resp.Proposals) != 1 {
		return false, "not exactly one proposal"
	}
	got := resp.Proposals[0]
	for _, o := range offered {
		if o.Number != got.Number {
			continue
		}
		if o.Protocol != got.Protocol {
			return false, fmt.Sprintf("protocol %v for proposal %d of %v", got.Protocol, o.Number, o.Protocol)
		}
		types := map[wire.TransformType]int{}
		for _, tr := range got.Transforms {
			types[tr.Type]++
			if !slices.ContainsFunc(o.Transforms, func(x wire.Transform) bool { return x.Type == tr.Type && x.ID == tr.ID }) {
				return false, "transform " + tr.String() + " was not offered in proposal " + fmt.Sprint(o.Number)
			}
		}
		for _, tr := range o.Transforms {
			if types[tr.Type] != 1 {
				return false, fmt.Sprintf("%d transforms of type %v", types[tr.Type], tr.Type)
			}
		}
		return true, ""
	}
	return false, fmt.Sprintf("proposal number %d was not offered", got.Number)
}

// ---- fragmentation (RFC 7383): the tester's sender and reassembler ----

// infFragAuth is an IKE_AUTH request sealed as IKE Fragment messages.
type infFragAuth struct {
	h   wire.Header
	ps  []wire.Payload
	psk []byte
}

// infNewFragAuth builds the default IKE_AUTH request (PSK, the profile's
// identity, a Child SA) and takes its message ID; nothing is sent.
func infNewFragAuth(p *Peer) *infFragAuth {
	sa := p.need()
	idi := idPayload(p.t.Profile.TesterID, false)
	idiBody, err := wire.AppendPayloadBody(nil, idi)
	if err != nil {
		p.t.Inconclusivef("IDi: %v", err)
	}
	psk := []byte(p.t.Profile.PSK)
	prf := sa.suite.PRF
	data := prf.Sum(prf.Sum(psk, []byte(keyPad)), sa.initReq, sa.nr, prf.Sum(sa.keys.Pi, idiBody))
	ps := []wire.Payload{idi, &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: data}}
	ps = append(ps, p.childPayloads(nil, randUint32(), nil, "", "")...)
	h := wire.Header{SPIi: sa.spii, SPIr: sa.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: wire.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: sa.nextMID}
	sa.nextMID++
	return &infFragAuth{h: h, ps: ps, psk: psk}
}

// seal cuts the request into exactly total fragments (the largest
// fragment size that gives that many).
func (f *infFragAuth) seal(p *Peer, total int) [][]byte {
	for maxLen := 1400; maxLen >= 48; maxLen-- {
		frags, err := p.sa.out.SealFragments(f.h, f.ps, maxLen, nil)
		if err != nil {
			break
		}
		if len(frags) == total {
			return frags
		}
	}
	p.t.Inconclusivef("cannot cut the IKE_AUTH request into %d fragments", total)
	return nil
}

func infSendFrag(p *Peer, frags [][]byte, i int) {
	h, _, _, _ := wire.DecodeHeader(frags[i])
	p.send(frags[i], fmt.Sprintf("%v request %d [ EF(%d/%d) ]", h.Exchange, h.MessageID, i+1, len(frags)))
}

// await waits for the IKE_AUTH response, reassembles it if the IUT sent it
// in fragments, and verifies its AUTH payload (AuthOK). nil: no response.
func (f *infFragAuth) await(p *Peer, timeout time.Duration) *Msg {
	m := p.waitResponse(f.h, timeout)
	if m == nil || len(m.Payloads) == 0 {
		return m
	}
	if m.Encrypted {
		f.verify(p, m)
		return m
	}
	ef, ok := m.Payloads[len(m.Payloads)-1].(*wire.EncryptedFragment)
	if !ok {
		return m
	}
	parts := map[uint16][]byte{ef.Number: m.Raw}
	for len(parts) < int(ef.Total) {
		n := p.Recv(timeout, func(x *Msg) bool {
			if !infResp(f.h.SPIi, f.h.MessageID)(x) || len(x.Payloads) == 0 {
				return false
			}
			_, ok := x.Payloads[len(x.Payloads)-1].(*wire.EncryptedFragment)
			return ok
		})
		if n == nil {
			m.Err = fmt.Errorf("conformance: %d of %d response fragments came", len(parts), ef.Total)
			return m
		}
		e := n.Payloads[len(n.Payloads)-1].(*wire.EncryptedFragment)
		parts[e.Number] = n.Raw
	}
	var plain []byte
	var first wire.PayloadType
	for i := uint16(1); i <= ef.Total; i++ {
		raw := parts[i]
		fh, _, err := crypto.ParseFragment(raw)
		if err != nil || raw == nil {
			m.Err = fmt.Errorf("conformance: response fragment %d: %v", i, err)
			return m
		}
		pt, err := p.sa.in.Open(raw, fh.Off)
		if err != nil {
			m.Err = fmt.Errorf("conformance: response fragment %d: %w", i, err)
			return m
		}
		if i == 1 {
			first = fh.Inner
		}
		plain = append(plain, pt...)
	}
	inner, err := wire.DecodePayloads(first, plain)
	if err != nil {
		m.Err = err
		return m
	}
	out := &Msg{Header: m.Header, Payloads: inner, Raw: parts[1], Encrypted: true, From: m.From, Time: m.Time, plain: plain, first: first}
	p.t.Logf("reassembled %d response fragments: %s", ef.Total, out.Summary())
	f.verify(p, out)
	return out
}

// verify sets m.AuthOK when the IUT's AUTH (shared key MIC) verifies.
func (f *infFragAuth) verify(p *Peer, m *Msg) {
	if a, ok := wire.Find[*wire.Auth](m.Payloads); ok && a.Method == wire.AuthSharedKeyMIC {
		if idr := rawBody(m, wire.PayloadIDr); idr != nil {
			sa := p.sa
			prf := sa.suite.PRF
			want := prf.Sum(prf.Sum(f.psk, []byte(keyPad)), sa.initRsp, sa.ni, prf.Sum(sa.keys.Pr, idr))
			m.AuthOK = hmac.Equal(want, a.Data)
		}
	}
}

// infFragUp runs IKE_SA_INIT announcing fragmentation; inconclusive when
// the IUT does not announce it back (FRAG-001 judges that).
func infFragUp(t *T) *Peer {
	p := Dial(t)
	m := p.InitSA(InitOptions{Fragmentation: true})
	if m.Notify(wire.IKEV2_FRAGMENTATION_SUPPORTED) == nil {
		t.Inconclusivef("the IUT did not announce IKE fragmentation (RFC 7383 forbids fragments then): %s", m.Summary())
	}
	return p
}

func infAuthOK(m *Msg) bool {
	return m != nil && m.Err == nil && m.AuthOK && m.Has(wire.PayloadAUTH)
}

const infAuthWant = "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ] (AUTH verifies)"

func infAuthSeen(m *Msg) string {
	s := m.Summary()
	if m != nil && m.AuthOK {
		s += " (AUTH verifies)"
	}
	return s
}

// ---- the cases ----

func init() {
	Register(rekeyCases()...)
	Register(infoCases()...)
	Register(nattCases()...)
	Register(fragCases()...)
	Register(espCases()...)
}

func rekeyCases() []*Case {
	return []*Case{
		{
			ID: "REKEY-001", Title: "Child SA rekey with N(REKEY_SA) makes a new SA with a new SPI and the same TS",
			Purpose: "Rekeying a Child SA is a CREATE_CHILD_SA exchange naming the old SA in N(REKEY_SA). The IUT must answer with a new SA (SA, Nr, TSi, TSr) whose SPI is new, and the new Child SA should not differ in traffic selectors from the one it replaces.",
			RFC:     []string{"RFC 7296 1.3.3", "RFC 7296 2.8"},
			Reqs:    []string{"RFC7296-1.3.3-1", "RFC7296-2.8-5"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH: IKE SA and Child SA C1",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA ESP C1), SA, Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response with SA No TSi TSr, no error",
				"J2: the IUT's SPI of the new Child SA is not zero and differs from C1's",
				"J3: TSi and TSr of the response equal those of the IKE_AUTH response",
			},
			Run: func(t *T) {
				p, _, auth := infUp(t)
				c1 := p.Children[0]
				m := p.CreateChild(c1.SPIIn, false)
				t.Require(1, "the IUT rekeys the Child SA", m != nil && m.Has(wire.PayloadSA) && m.Has(wire.PayloadNonce) && m.Has(wire.PayloadTSi) && m.Has(wire.PayloadTSr) && infErr(m) == "none",
					"CREATE_CHILD_SA response 2 [ SA No TSi TSr ]", m.Summary())
				spi := infChildSPI(m)
				t.Check(2, "the new Child SA has a new nonzero SPI", spi != 0 && spi != c1.SPIOut,
					fmt.Sprintf("SPI not 0 and not %08x", c1.SPIOut), fmt.Sprintf("SPI %08x", spi))
				t.Judge(3, "the traffic selectors are those of the rekeyed SA", infTS(auth), infTS(m))
				infBye(p)
			},
		},
		{
			ID: "REKEY-002", Title: "after a Child SA rekey the old SA is deleted, answered with the IUT's old SPI",
			Purpose: "The initiator of a Child SA rekey deletes the old SA after the new one is up. The IUT must close its half and answer with a Delete naming its own SPI of the old pair, while the new Child SA lives on (a further rekey of it succeeds).",
			RFC:     []string{"RFC 7296 2.8", "RFC 7296 1.4.1"},
			Reqs:    []string{"RFC7296-1.4.1-1", "RFC7296-1.4.1-2", "RFC7296-1.4.1-3"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH: Child SA C1; CREATE_CHILD_SA N(REKEY_SA C1): Child SA C2",
				"T -> IUT  INFORMATIONAL request: D(ESP, C1's tester SPI)",
				"J1: IUT -> T  INFORMATIONAL response [ D ]",
				"J2: the Delete names exactly the IUT's SPI of C1",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA C2)",
				"J3: IUT -> T  CREATE_CHILD_SA response with SA: C2 survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				if m := p.CreateChild(c1.SPIIn, false); m == nil || !m.Has(wire.PayloadSA) {
					t.Inconclusivef("the Child SA rekey failed: %s", m.Summary())
				}
				c2 := p.Children[len(p.Children)-1]
				m := p.DeleteChild(c1.SPIIn)
				t.Require(1, "the IUT answers the Delete with a Delete", m != nil && m.Has(wire.PayloadDelete),
					"INFORMATIONAL response 3 [ D ]", m.Summary())
				t.Judge(2, "the Delete names the IUT's SPI of the old SA", strings.Join(infSPIList(c1.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				m = p.CreateChild(c2.SPIIn, false)
				t.Check(3, "the new Child SA still exists (it can be rekeyed)", m != nil && m.Has(wire.PayloadSA),
					"CREATE_CHILD_SA response 4 [ SA No TSi TSr ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-003", Title: "rekey of an unknown Child SA is answered with CHILD_SA_NOT_FOUND",
			Purpose: "A CREATE_CHILD_SA request whose N(REKEY_SA) names an SPI the IUT never negotiated cannot be completed. The IUT should answer CHILD_SA_NOT_FOUND, must not make a Child SA, and the failure must not tear down the IKE SA.",
			RFC:     []string{"RFC 7296 2.25", "RFC 7296 2.21.3", "RFC 7296 1.3.1"},
			Reqs:    []string{"RFC7296-2.25-5", "RFC7296-2.21.3-1", "RFC7296-1.3.1-4"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA ESP random SPI), SA, Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response (an answer is required)",
				"J2: the response is N(CHILD_SA_NOT_FOUND) without SA",
				"T -> IUT  INFORMATIONAL request [ ]",
				"J3: IUT -> T  INFORMATIONAL response [ ]: the IKE SA survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spi := randUint32()
				for slices.ContainsFunc(p.Children, func(c *ChildSA) bool { return c.SPIIn == spi }) {
					spi = randUint32()
				}
				m := p.CreateChild(spi, false)
				t.Require(1, "the IUT answers the rekey request", m != nil, "CREATE_CHILD_SA response 2", m.Summary())
				seen := infErr(m)
				if m.Has(wire.PayloadSA) {
					seen += " with SA"
				}
				t.Judge(2, "the IUT answers CHILD_SA_NOT_FOUND", "N(CHILD_SA_NOT_FOUND)", seen)
				m = p.Liveness()
				t.Judge(3, "the IKE SA still works", "INFORMATIONAL response 3 [ ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-004", Title: "N(REKEY_SA) with protocol AH naming an ESP SPI rekeys nothing",
			Purpose: "The REKEY_SA notification names the SA to replace by protocol and SPI; there is no AH SA with the SPI of the tester's ESP SA. The IUT must not rekey the ESP SA on a notification of another protocol: it answers with an error (CHILD_SA_NOT_FOUND fits) and the ESP SA remains rekeyable.",
			RFC:     []string{"RFC 7296 3.10", "RFC 7296 2.25", "RFC 7296 1.3.3"},
			Reqs:    []string{"RFC7296-3.10-1", "RFC7296-2.25-5", "RFC7296-2.21.3-1"},
			Tag:     Advanced, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH: ESP Child SA C1",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA protocol AH, SPI of C1), SA(ESP), Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response",
				"J2: the response is an error notify (CHILD_SA_NOT_FOUND expected) and has no SA",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA ESP C1)",
				"J3: IUT -> T  CREATE_CHILD_SA response with SA: C1 was untouched",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				m := infChildRequest(p, []wire.Payload{infRekeyNotify(wire.ProtoAH, c1.SPIIn)}, randBytes(32))
				t.Require(1, "the IUT answers", m != nil, "CREATE_CHILD_SA response 2", m.Summary())
				seen := infErr(m)
				if m.Has(wire.PayloadSA) {
					seen += " with SA"
				}
				t.Check(2, "no Child SA for a REKEY_SA of another protocol", seen != "none" && !m.Has(wire.PayloadSA),
					"N(CHILD_SA_NOT_FOUND)", seen)
				m = p.CreateChild(c1.SPIIn, false)
				t.Check(3, "the ESP Child SA is still there", m != nil && m.Has(wire.PayloadSA),
					"CREATE_CHILD_SA response 3 [ SA No TSi TSr ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-005", Title: "IKE SA rekey: new SPIs, and both IKE SAs work until the old is deleted",
			Purpose: "A CREATE_CHILD_SA with an IKE proposal, KEi and Ni rekeys the IKE SA. The IUT must answer with its new 8-octet SPI, Nr and KEr (a new Diffie-Hellman exchange), and until the initiator deletes the old IKE SA both answer requests.",
			RFC:     []string{"RFC 7296 1.3.2", "RFC 7296 2.18"},
			Reqs:    []string{"RFC7296-1.3.2-1", "RFC7296-2.18-1", "RFC7296-1.4-2"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"ike-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  CREATE_CHILD_SA request: SA(IKE, new SPIi), Ni, KEi",
				"J1: IUT -> T  CREATE_CHILD_SA response [ SA No KE ] from which the tester derives the new keys",
				"J2: the IUT's new SPI is nonzero and differs from the old SPIr",
				"T -> IUT  INFORMATIONAL request [ ] on the old IKE SA",
				"J3: IUT -> T  INFORMATIONAL response on the old IKE SA",
				"T -> IUT  INFORMATIONAL request 0 [ ] on the new IKE SA",
				"J4: IUT -> T  INFORMATIONAL response 0 on the new IKE SA",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				_, oldR := p.SPIs()
				m := p.RekeyIKE()
				t.Require(1, "the IUT rekeys the IKE SA", m != nil && m.Err == nil && m.Has(wire.PayloadSA) && m.Has(wire.PayloadKE) && m.Has(wire.PayloadNonce) && p.old != nil,
					"CREATE_CHILD_SA response 2 [ SA No KE ]", m.Summary())
				_, newR := p.SPIs()
				t.Check(2, "a new IKE SPI of the IUT", newR != 0 && newR != oldR, fmt.Sprintf("not 0, not %016x", oldR), fmt.Sprintf("%016x", newR))
				m = p.request(p.old, wire.INFORMATIONAL, nil, ReqOptions{})
				t.Check(3, "the old IKE SA still answers", m != nil && m.Encrypted && m.Err == nil && m.Header.SPIr == oldR,
					"INFORMATIONAL response 3 [ ] on the old SA", m.Summary())
				m = p.Liveness()
				t.Check(4, "the new IKE SA answers", m != nil && m.Encrypted && m.Err == nil && m.Header.SPIr == newR,
					"INFORMATIONAL response 0 [ ] on the new SA", m.Summary())
				p.Timeout = infQuiet
				p.DeleteOldIKE()
				infBye(p)
			},
		},
		{
			ID: "REKEY-006", Title: "the delete of the old IKE SA is answered on the old SA, which is then gone",
			Purpose: "After an IKE SA rekey the initiator deletes the old IKE SA on itself. The IUT must answer on the old SA (its SPIs and keys) with an empty INFORMATIONAL response, must then forget it (a later request on it gets no protected answer), and keep the new IKE SA.",
			RFC:     []string{"RFC 7296 2.8", "RFC 7296 1.4.1"},
			Reqs:    []string{"RFC7296-2.8-6", "RFC7296-1.4-2", "RFC7296-1.4.1-3", "RFC7296-2.21.4-4"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"ike-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA (IKE SA rekey)",
				"T -> IUT  INFORMATIONAL request [ D(IKE) ] on the old IKE SA",
				"J1: IUT -> T  INFORMATIONAL response [ ] on the old IKE SA (old SPIs, old keys)",
				"T -> IUT  INFORMATIONAL request [ ] on the old IKE SA",
				"J2: no protected response within 2 s (at most an unprotected N(INVALID_IKE_SPI)): the old IKE SA is gone",
				"T -> IUT  INFORMATIONAL request 0 [ ] on the new IKE SA",
				"J3: IUT -> T  INFORMATIONAL response 0 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				if m := p.RekeyIKE(); m == nil || m.Err != nil || p.old == nil {
					t.Inconclusivef("the IKE SA rekey failed: %s", m.Summary())
				}
				old := p.old
				mid := old.nextMID
				m := p.DeleteOldIKE()
				t.Check(1, "the delete is answered on the old IKE SA", m != nil && m.Encrypted && m.Err == nil && m.Header.SPIr == old.spir && len(m.Payloads) == 0,
					fmt.Sprintf("INFORMATIONAL response %d [ ] on SPIr %016x", mid, old.spir), m.Summary()+fmt.Sprintf(" on SPIr %016x", m.Header.SPIr))
				after := old.nextMID
				p.request(old, wire.INFORMATIONAL, nil, ReqOptions{NoWait: true})
				late := p.Recv(infQuiet, infResp(old.spii, after))
				t.Check(2, "the old IKE SA does not answer any more", infGone(late, old.spii, old.spir, after), infGoneWant(after), late.Summary())
				m = p.Liveness()
				t.Judge(3, "the new IKE SA answers", "INFORMATIONAL response 0 [ ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-007", Title: "the new IKE SA's message IDs start at 0",
			Purpose: "The IKE SA that a rekey makes resets its message counters: the tester's first request on it has message ID 0 and the IUT must take and answer it with ID 0, then 1, whatever IDs the old SA had reached.",
			RFC:     []string{"RFC 7296 2.18", "RFC 7296 2.2"},
			Reqs:    []string{"RFC7296-2.18-3"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"ike-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH, INFORMATIONAL x2, CREATE_CHILD_SA (IKE SA rekey, message ID 4)",
				"T -> IUT  INFORMATIONAL request 0 [ ] on the new IKE SA",
				"J1: IUT -> T  INFORMATIONAL response 0 [ ]",
				"T -> IUT  INFORMATIONAL request 1 [ ] on the new IKE SA",
				"J2: IUT -> T  INFORMATIONAL response 1 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				p.Liveness()
				p.Liveness()
				if m := p.RekeyIKE(); m == nil || m.Err != nil || p.old == nil {
					t.Inconclusivef("the IKE SA rekey failed: %s", m.Summary())
				}
				t.Judge(1, "message ID 0 on the new IKE SA", "INFORMATIONAL response 0 [ ]", p.Liveness().Summary())
				t.Judge(2, "message ID 1 on the new IKE SA", "INFORMATIONAL response 1 [ ]", p.Liveness().Summary())
				p.Timeout = infQuiet
				p.DeleteOldIKE()
				infBye(p)
			},
		},
		{
			ID: "REKEY-008", Title: "Child SAs move to the new IKE SA after an IKE SA rekey",
			Purpose: "Rekeying an IKE SA moves its Child SAs to the new one: they are controlled by the successor once the old IKE SA is deleted. The IUT must rekey and delete the Child SA of the old IKE SA through the new one.",
			RFC:     []string{"RFC 7296 1.4", "RFC 7296 1.3.2"},
			Reqs:    []string{"RFC7296-1.4-3", "RFC7296-1.4.1-3"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child", "ike-rekey", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1), CREATE_CHILD_SA (IKE SA rekey), D(IKE) on the old SA",
				"T -> IUT  CREATE_CHILD_SA request 0: N(REKEY_SA C1) on the new IKE SA",
				"J1: IUT -> T  CREATE_CHILD_SA response 0 [ SA No TSi TSr ]: C1 moved",
				"T -> IUT  INFORMATIONAL request 1: D(ESP, the new Child SA)",
				"J2: IUT -> T  INFORMATIONAL response 1 [ D ] naming the IUT's SPI of the new Child SA",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				if m := p.RekeyIKE(); m == nil || m.Err != nil || p.old == nil {
					t.Inconclusivef("the IKE SA rekey failed: %s", m.Summary())
				}
				if m := p.DeleteOldIKE(); m == nil {
					t.Inconclusivef("the old IKE SA's delete was not answered")
				}
				m := p.CreateChild(c1.SPIIn, false)
				t.Require(1, "the Child SA is rekeyed on the new IKE SA", m != nil && m.Has(wire.PayloadSA),
					"CREATE_CHILD_SA response 0 [ SA No TSi TSr ]", m.Summary())
				c2 := p.Children[len(p.Children)-1]
				m = p.DeleteChild(c2.SPIIn)
				t.Judge(2, "the new Child SA is deleted on the new IKE SA", strings.Join(infSPIList(c2.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				infBye(p)
			},
		},
		{
			ID: "REKEY-009", Title: "a second rekey of an already rekeyed Child SA is answered consistently",
			Purpose: "The tester rekeys the same Child SA twice in sequence without deleting it in between, as after a lost delete. The IUT must answer the second request: either a new Child SA with yet another SPI, or a refusal with TEMPORARY_FAILURE or CHILD_SA_NOT_FOUND; either way the IKE SA survives.",
			RFC:     []string{"RFC 7296 2.25", "RFC 7296 2.21.3"},
			Reqs:    []string{"RFC7296-2.25-1", "RFC7296-2.25-5", "RFC7296-2.21.3-1"},
			Tag:     Advanced, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1), CREATE_CHILD_SA N(REKEY_SA C1): C2",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA C1) again",
				"J1: IUT -> T  CREATE_CHILD_SA response",
				"J2: either SA with an SPI unlike C1's and C2's, or N(TEMPORARY_FAILURE) / N(CHILD_SA_NOT_FOUND)",
				"J3: IUT -> T  INFORMATIONAL response to an empty request: the IKE SA survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				if m := p.CreateChild(c1.SPIIn, false); m == nil || !m.Has(wire.PayloadSA) {
					t.Inconclusivef("the first rekey failed: %s", m.Summary())
				}
				c2 := p.Children[len(p.Children)-1]
				m := p.CreateChild(c1.SPIIn, false)
				t.Require(1, "the IUT answers the second rekey", m != nil, "CREATE_CHILD_SA response 3", m.Summary())
				spi := infChildSPI(m)
				e := infErr(m)
				ok := (m.Has(wire.PayloadSA) && e == "none" && spi != 0 && spi != c1.SPIOut && spi != c2.SPIOut) ||
					(!m.Has(wire.PayloadSA) && (e == "N(TEMPORARY_FAILURE)" || e == "N(CHILD_SA_NOT_FOUND)"))
				t.Check(2, "a new SA or TEMPORARY_FAILURE/CHILD_SA_NOT_FOUND", ok,
					"SA with a third SPI, or N(TEMPORARY_FAILURE), or N(CHILD_SA_NOT_FOUND)", fmt.Sprintf("%s (SPI %08x)", m.Summary(), spi))
				m = p.Liveness()
				t.Check(3, "the IKE SA still works", m != nil && m.Encrypted && len(m.Payloads) == 0, "INFORMATIONAL response 4 [ ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-010", Title: "IKE SA rekey whose KEi is of a group the IUT does not accept: INVALID_KE_PAYLOAD",
			Purpose: "The tester offers, for the IKE SA rekey, the current group and one the IUT does not accept, and sends KEi of the unaccepted one. The IUT, selecting the current group, must reject the request with INVALID_KE_PAYLOAD naming it; the IKE SA stays.",
			RFC:     []string{"RFC 7296 1.3", "RFC 7296 3.4", "RFC 7296 1.3.2"},
			Reqs:    []string{"RFC7296-1.3-6", "RFC7296-3.4-4"},
			Tag:     Advanced, Role: IUTResponder, Needs: []string{"ike-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (group G)",
				"T -> IUT  CREATE_CHILD_SA request: SA(IKE, KE transforms G' and G), Ni, KEi(G') where G' is not in the profile's groups",
				"J1: IUT -> T  CREATE_CHILD_SA response",
				"J2: the response is N(INVALID_KE_PAYLOAD) without SA",
				"J3: its data names group G",
				"J4: IUT -> T  INFORMATIONAL response to an empty request: the IKE SA survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				sa := p.sa
				if sa.suite.KE == nil {
					t.Inconclusivef("the IKE SA has no key exchange method")
				}
				g := sa.suite.KE.ID
				var bad wire.KEID
				for _, c := range []wire.KEID{wire.ECP_384, wire.ECP_521, wire.MODP_3072, wire.MODP_4096, wire.CURVE448, wire.ECP_256, wire.MODP_2048} {
					if c != g && !slices.Contains(t.Profile.Groups, int(c)) {
						bad = c
						break
					}
				}
				if bad == 0 {
					t.Inconclusivef("the profile accepts every group the tester knows")
				}
				keData := randBytes(64)
				if ke, err := crypto.LookupKE(bad); err == nil {
					if _, pub, err := ke.Start(nil); err == nil {
						keData = slices.Clone(pub)
					}
				}
				props, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals[0])
				if err != nil {
					t.Inconclusivef("%v", err)
				}
				spi := randUint64()
				for i := range props {
					props[i].SPI = binary.BigEndian.AppendUint64(nil, spi)
					var ts []wire.Transform
					for _, tr := range props[i].Transforms {
						if tr.Type != wire.TransformKE {
							ts = append(ts, tr)
						}
					}
					props[i].Transforms = append(ts, wire.NewTransform(wire.TransformKE, uint16(bad), 0), wire.NewTransform(wire.TransformKE, uint16(g), 0))
				}
				t.Logf("offering groups %v and %v, KEi of %v", bad, g, bad)
				m := p.Request(wire.CREATE_CHILD_SA, []wire.Payload{&wire.SA{Proposals: props}, &wire.Nonce{Data: randBytes(32)},
					&wire.KE{Group: bad, Data: keData}}, ReqOptions{})
				t.Require(1, "the IUT answers", m != nil, "CREATE_CHILD_SA response 2", m.Summary())
				seen := infErr(m)
				if m.Has(wire.PayloadSA) {
					seen += " with SA"
				}
				t.Judge(2, "INVALID_KE_PAYLOAD", "N(INVALID_KE_PAYLOAD)", seen)
				n := m.Notify(wire.INVALID_KE_PAYLOAD)
				got := "none"
				if n != nil && len(n.Data) == 2 {
					got = wire.KEID(binary.BigEndian.Uint16(n.Data)).String()
				}
				t.Judge(3, "the group asked for is the one selected", g.String(), got)
				m = p.Liveness()
				t.Check(4, "the IKE SA still works", m != nil && m.Encrypted && len(m.Payloads) == 0, "INFORMATIONAL response 3 [ ]", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "REKEY-011", Title: "Child SA rekey with a nonce of 8 octets is refused",
			Purpose: "Nonces must have 16 to 256 octets. A CREATE_CHILD_SA request with an 8-octet Ni is malformed: the IUT must answer it (an authenticated request with an error gets an error response) and must not make a Child SA from it.",
			RFC:     []string{"RFC 7296 3.9", "RFC 7296 2.21.3"},
			Reqs:    []string{"RFC7296-3.9-1", "RFC7296-2.21.3-1"},
			Tag:     Advanced, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"T -> IUT  CREATE_CHILD_SA request: N(REKEY_SA C1), SA, Ni (8 octets), TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response",
				"J2: the response carries an error notify (INVALID_SYNTAX expected) and no SA",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				m := infChildRequest(p, []wire.Payload{infRekeyNotify(wire.ProtoESP, p.Children[0].SPIIn)}, randBytes(8))
				t.Require(1, "the IUT answers", m != nil, "CREATE_CHILD_SA response 2", m.Summary())
				seen := infErr(m)
				if m.Has(wire.PayloadSA) {
					seen += " with SA"
				}
				t.Check(2, "an error, no Child SA", seen != "none" && !m.Has(wire.PayloadSA), "N(INVALID_SYNTAX)", seen)
				infBye(p)
			},
		},
	}
}

func infoCases() []*Case {
	return []*Case{
		{
			ID: "INFO-001", Title: "an empty INFORMATIONAL request gets an empty response with the same message ID",
			Purpose: "An INFORMATIONAL request with no payloads is the liveness check. The IUT must answer it, under the IKE SA, with a response of the same message ID, R set and I clear (the IUT is the original responder); the response may be empty.",
			RFC:     []string{"RFC 7296 1.4", "RFC 7296 3.1"},
			Reqs:    []string{"RFC7296-1.4-4", "RFC7296-1.4-6", "RFC7296-3.1-10", "RFC7296-3.1-13"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ ]",
				"J1: IUT -> T  INFORMATIONAL response 2, flags R (I clear), SK { } with no payloads",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				m := p.Liveness()
				t.Judge(1, "an empty response, same message ID", "INFORMATIONAL response 2 flags R\nSK {\n}\n", m.Structure())
				infBye(p)
			},
		},
		{
			ID: "INFO-002", Title: "a Delete of a Child SA is answered with the Delete of its partner SPI",
			Purpose: "Closing a Child SA closes both members of the pair: the IUT must answer a Delete naming the tester's inbound SPI with a Delete naming its own inbound SPI of that pair, and nothing else.",
			RFC:     []string{"RFC 7296 1.4.1", "RFC 7296 3.11"},
			Reqs:    []string{"RFC7296-1.4.1-1", "RFC7296-1.4.1-2", "RFC7296-1.4.1-3", "RFC7296-3.11-3"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"T -> IUT  INFORMATIONAL request 2 [ D(ESP, C1's tester SPI) ]",
				"J1: IUT -> T  INFORMATIONAL response 2 [ D ], D: protocol ESP, SPI size 4, one SPI",
				"J2: the SPI is the IUT's SPI of C1",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				m := p.DeleteChild(c1.SPIIn)
				t.Judge(1, "a response with one Delete", "INFORMATIONAL response 2 flags R\nSK {\n  D protocol ESP spi 4 count 1\n}\n", m.Structure())
				t.Judge(2, "the Delete names the partner SPI", strings.Join(infSPIList(c1.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				infBye(p)
			},
		},
		{
			ID: "INFO-003", Title: "a Delete of the IKE SA gets an empty response, then the SA is gone",
			Purpose: "Deleting the IKE SA is answered by an empty INFORMATIONAL response; from then on the IUT must not answer on that IKE SA (it was closed, with its Child SAs): at most an unprotected INVALID_IKE_SPI notification.",
			RFC:     []string{"RFC 7296 1.4.1"},
			Reqs:    []string{"RFC7296-1.4.1-3", "RFC7296-1.4-4", "RFC7296-2.21.4-4"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ D(IKE) ]",
				"J1: IUT -> T  INFORMATIONAL response 2 [ ]",
				"T -> IUT  INFORMATIONAL request 3 [ ]",
				"J2: no protected response within 2 s (an unprotected N(INVALID_IKE_SPI) with the same SPIs and message ID is allowed)",
				"J3: a fresh IKE_SA_INIT is answered (the IUT is alive)",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, spir := p.SPIs()
				t.Judge(1, "an empty response", "INFORMATIONAL response 2 [ ]", p.DeleteIKE().Summary())
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{NoWait: true})
				m := p.Recv(infQuiet, infResp(spii, 3))
				t.Check(2, "the deleted IKE SA does not answer", infGone(m, spii, spir, 3), infGoneWant(3), m.Summary())
				infAlive(t, 3)
			},
		},
		{
			ID: "INFO-004", Title: "a Delete naming an unknown Child SPI is answered without deleting anything",
			Purpose: "A Delete for an SPI the IUT does not have must still be answered (every INFORMATIONAL request gets a response); the response has no Delete payload for it, and the existing Child SA is not touched.",
			RFC:     []string{"RFC 7296 1.4.1", "RFC 7296 1.4"},
			Reqs:    []string{"RFC7296-1.4-4", "RFC7296-1.4-5"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"T -> IUT  INFORMATIONAL request 2 [ D(ESP, unknown SPI) ]",
				"J1: IUT -> T  INFORMATIONAL response 2 without a Delete payload",
				"T -> IUT  INFORMATIONAL request 3 [ D(ESP, C1) ]",
				"J2: IUT -> T  INFORMATIONAL response 3 [ D ] naming C1's IUT SPI: C1 was untouched",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				spi := randUint32()
				for spi == c1.SPIIn {
					spi = randUint32()
				}
				m := p.DeleteChild(spi)
				t.Check(1, "answered, with no Delete", m != nil && m.Encrypted && !m.Has(wire.PayloadDelete) && infErr(m) == "none",
					"INFORMATIONAL response 2 [ ]", m.Summary())
				m = p.DeleteChild(c1.SPIIn)
				t.Judge(2, "the real Child SA is still there", strings.Join(infSPIList(c1.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				infBye(p)
			},
		},
		{
			ID: "INFO-005", Title: "a retransmitted INFORMATIONAL request gets the identical cached response",
			Purpose: "A retransmission (bitwise identical request, same message ID) must be answered by retransmitting the response, not by processing the request again: the two responses must be identical octet for octet, and the next message ID still works.",
			RFC:     []string{"RFC 7296 2.1", "RFC 7296 2.2"},
			Reqs:    []string{"RFC7296-2.1-2", "RFC7296-2.1-4", "RFC7296-2.2-1"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ ]; IUT -> T response 2",
				"T -> IUT  the same request 2 again (bitwise identical)",
				"J1: IUT -> T  the same response 2, octet for octet",
				"T -> IUT  INFORMATIONAL request 3 [ ]",
				"J2: IUT -> T  INFORMATIONAL response 3 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				first := p.Liveness()
				if first == nil {
					t.Inconclusivef("no response to the first request")
				}
				again := p.Resend(p.LastRequest())
				t.Check(1, "the cached response, bitwise identical", again != nil && bytes.Equal(again.Raw, first.Raw),
					first.Summary()+fmt.Sprintf(" (%d octets, identical)", len(first.Raw)), again.Summary()+func() string {
						if again != nil && !bytes.Equal(again.Raw, first.Raw) {
							return " (different octets)"
						}
						return ""
					}())
				t.Judge(2, "the next message ID is answered", "INFORMATIONAL response 3 [ ]", p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-006", Title: "a request with a message ID one ahead of the window is not answered",
			Purpose: "With the window size 1 the IUT expects exactly the next message ID; a request with the one after it is outside the window and must be dropped, not acknowledged. The IKE SA must stay usable with the expected message ID.",
			RFC:     []string{"RFC 7296 2.3"},
			Reqs:    []string{"RFC7296-2.3-9", "RFC7296-2.3-2"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 3 [ ] (2 is expected)",
				"J1: no response 3 within 2 s",
				"T -> IUT  INFORMATIONAL request 2 [ ]",
				"J2: IUT -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, _ := p.SPIs()
				next := p.NextMID()
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{ForceMID: true, MID: next + 1, NoWait: true})
				m := p.Recv(infQuiet, infResp(spii, next+1))
				t.Check(1, "no response outside the window", m == nil, "no message", m.Summary())
				t.Judge(2, "the expected message ID is answered", fmt.Sprintf("INFORMATIONAL response %d [ ]", next), p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-007", Title: "a new request with an old, already answered message ID is ignored",
			Purpose: "A request whose message ID was answered before but is not the last one is not a retransmission the IUT can still answer (window 1): it must be ignored, not processed as new. An IUT that kept that response may only resend it unchanged.",
			RFC:     []string{"RFC 7296 2.1", "RFC 7296 2.3"},
			Reqs:    []string{"RFC7296-2.1-5", "RFC7296-2.1-2"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH, INFORMATIONAL 2 [ ], INFORMATIONAL 3 [ ]",
				"T -> IUT  INFORMATIONAL request 2 [ N(40000) ] (a new message with message ID 2)",
				"J1: no response within 2 s, or exactly the earlier response 2",
				"T -> IUT  INFORMATIONAL request 4 [ ]",
				"J2: IUT -> T  INFORMATIONAL response 4 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, _ := p.SPIs()
				r2 := p.Liveness()
				if r2 == nil || p.Liveness() == nil {
					t.Inconclusivef("the liveness requests were not answered")
				}
				mid := r2.Header.MessageID
				p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Notify{Type: infUnknownStatus}}, ReqOptions{ForceMID: true, MID: mid, NoWait: true})
				m := p.Recv(infQuiet, infResp(spii, mid))
				t.Check(1, "the old message ID is not processed again", m == nil || bytes.Equal(m.Raw, r2.Raw), "no message (or the old response)", m.Summary())
				t.Judge(2, "the next message ID is answered", fmt.Sprintf("INFORMATIONAL response %d [ ]", p.NextMID()), p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-008", Title: "an INFORMATIONAL request with N(INVALID_SPI) is answered and changes nothing",
			Purpose: "INVALID_SPI tells the peer that an ESP packet came for an SPI it does not know. The IUT must answer the request and must not change the state of any SA because of it: the Child SA it has stays.",
			RFC:     []string{"RFC 7296 1.5", "RFC 7296 2.21.4", "RFC 7296 1.4"},
			Reqs:    []string{"RFC7296-1.4-4", "RFC7296-2.21.4-9"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"T -> IUT  INFORMATIONAL request 2 [ N(INVALID_SPI, ESP, data: an SPI unknown to both) ]",
				"J1: IUT -> T  INFORMATIONAL response 2 without an error notify",
				"T -> IUT  INFORMATIONAL request 3 [ D(ESP, C1) ]",
				"J2: IUT -> T  INFORMATIONAL response 3 [ D ] naming C1: it still existed",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				m := p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Notify{Type: wire.INVALID_SPI, Protocol: wire.ProtoESP,
					Data: binary.BigEndian.AppendUint32(nil, randUint32())}}, ReqOptions{})
				t.Check(1, "answered without error", m != nil && m.Encrypted && infErr(m) == "none", "INFORMATIONAL response 2 [ ]", m.Summary())
				m = p.DeleteChild(c1.SPIIn)
				t.Judge(2, "the Child SA was not touched", strings.Join(infSPIList(c1.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				infBye(p)
			},
		},
		{
			ID: "INFO-009", Title: "an INFORMATIONAL request on an unknown IKE SPI: silence or an unprotected INVALID_IKE_SPI",
			Purpose: "A protected request for an IKE SA the IUT does not have (SPIr unknown) may be answered only by an unprotected notification INVALID_IKE_SPI with the same SPIs and message ID, or not at all; it must not disturb the real IKE SA.",
			RFC:     []string{"RFC 7296 2.21.4"},
			Reqs:    []string{"RFC7296-2.21.4-2", "RFC7296-2.21.4-3", "RFC7296-2.21.4-4", "RFC7296-2.21.4-9"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ ] with a random SPIr",
				"J1: within 2 s either nothing, or an unprotected message with the same SPIs and message ID carrying N(INVALID_IKE_SPI)",
				"T -> IUT  INFORMATIONAL request 2 [ ] on the real IKE SA",
				"J2: IUT -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, spir := p.SPIs()
				bogus := randUint64()
				mid := p.NextMID()
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{ForceMID: true, MID: mid, NoWait: true, Header: func(h *wire.Header) { h.SPIr = bogus }})
				m := p.Recv(infQuiet, func(m *Msg) bool { return m.Header.SPIi == spii && m.Header.SPIr != spir })
				ok := m == nil || (m.Err == nil && !m.Has(wire.PayloadSK) && m.Notify(wire.INVALID_IKE_SPI) != nil &&
					m.Header.SPIr == bogus && m.Header.MessageID == mid)
				seen := m.Summary()
				if m != nil {
					seen += fmt.Sprintf(" SPIr %016x", m.Header.SPIr)
				}
				t.Check(1, "silence or a well-formed INVALID_IKE_SPI", ok, fmt.Sprintf("no message, or INFORMATIONAL response %d [ N(INVALID_IKE_SPI) ] SPIr %016x unprotected", mid, bogus), seen)
				t.Judge(2, "the real IKE SA is unaffected", fmt.Sprintf("INFORMATIONAL response %d [ ]", mid), p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-010", Title: "an INFORMATIONAL request on a half-open IKE SA (before IKE_AUTH) is not answered",
			Purpose: "INFORMATIONAL exchanges may only occur after the initial exchanges. A request protected with the keys of an IKE SA whose IKE_AUTH has not happened must be dropped; IKE_AUTH must still complete on that SA afterwards.",
			RFC:     []string{"RFC 7296 1.4"},
			Reqs:    []string{"RFC7296-1.4-1"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT (keys derived; no IKE_AUTH)",
				"T -> IUT  INFORMATIONAL request 1 [ ]",
				"J1: no response 1 within 2 s",
				"T -> IUT  IKE_AUTH request 1",
				"J2: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.InitSA(InitOptions{})
				spii, _ := p.SPIs()
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{NoWait: true})
				m := p.Recv(infQuiet, infResp(spii, 1))
				t.Check(1, "no INFORMATIONAL before IKE_AUTH", m == nil, "no message", m.Summary())
				p.sa.nextMID = 1
				a := p.Auth(AuthOptions{})
				t.Check(2, "IKE_AUTH still completes", a != nil && a.AuthOK, infAuthWant, infAuthSeen(a))
				infBye(p)
			},
		},
		{
			ID: "INFO-011", Title: "a message marked as a response that answers nothing gets no response",
			Purpose: "An IKE endpoint must not answer a message with the R flag set. The tester sends an INFORMATIONAL message flagged as a response with the next message ID; the IUT must stay silent and still expect that message ID for the tester's next request.",
			RFC:     []string{"RFC 7296 3.1", "RFC 7296 2.21.4"},
			Reqs:    []string{"RFC7296-3.1-11"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL 2 [ ] with flags I and R",
				"J1: no response within 2 s",
				"T -> IUT  INFORMATIONAL request 2 [ ]",
				"J2: IUT -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, _ := p.SPIs()
				mid := p.NextMID()
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{ForceMID: true, MID: mid, NoWait: true, Header: func(h *wire.Header) { h.Flags |= wire.FlagResponse }})
				m := p.Recv(infQuiet, infResp(spii, mid))
				t.Check(1, "no response to a response", m == nil, "no message", m.Summary())
				t.Judge(2, "the message ID was not used up", fmt.Sprintf("INFORMATIONAL response %d [ ]", mid), p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-012", Title: "an INFORMATIONAL request with a corrupted ICV is dropped",
			Purpose: "INFORMATIONAL exchanges are protected by the IKE SA's keys; a request whose integrity check fails must be discarded without any response and without consuming its message ID: the same message ID with a correct ICV is answered next.",
			RFC:     []string{"RFC 7296 1.4", "RFC 7296 3.14"},
			Reqs:    []string{"RFC7296-1.4-1", "RFC7296-3.14-6"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ ] with the last octet of the ICV flipped",
				"J1: no response within 2 s",
				"T -> IUT  INFORMATIONAL request 2 [ ] intact",
				"J2: IUT -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, _ := p.SPIs()
				mid := p.NextMID()
				p.Request(wire.INFORMATIONAL, nil, ReqOptions{ForceMID: true, MID: mid, NoWait: true, Raw: func(b []byte) []byte {
					b = slices.Clone(b)
					b[len(b)-1] ^= 0xff
					return b
				}})
				m := p.Recv(infQuiet, func(m *Msg) bool { return m.Header.SPIi == spii })
				t.Check(1, "no response to a corrupted request", m == nil, "no message", m.Summary())
				t.Judge(2, "the intact request is answered", fmt.Sprintf("INFORMATIONAL response %d [ ]", mid), p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-013", Title: "an unknown status notify in an INFORMATIONAL request is ignored",
			Purpose: "Status notifications the IUT does not recognize must be ignored: an INFORMATIONAL request carrying only N(40000), an unassigned status type, is answered like an empty one, with no error.",
			RFC:     []string{"RFC 7296 3.10.1"},
			Reqs:    []string{"RFC7296-3.10.1-2", "RFC7296-3.10.1-3", "RFC7296-1.4-4"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ N(40000) data 3 ]",
				"J1: IUT -> T  INFORMATIONAL response 2 with no error notify",
				"J2: IUT -> T  INFORMATIONAL response 3 [ ] to an empty request: the SA survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				m := p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Notify{Type: infUnknownStatus, Data: []byte{1, 2, 3}}}, ReqOptions{})
				t.Check(1, "answered, no error", m != nil && m.Encrypted && infErr(m) == "none", "INFORMATIONAL response 2 [ ]", m.Summary())
				t.Judge(2, "the IKE SA still works", "INFORMATIONAL response 3 [ ]", p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-014", Title: "an unknown error notify in an INFORMATIONAL request is ignored but answered",
			Purpose: "Unrecognized error types in a request must be ignored (and may be logged): the IUT answers the INFORMATIONAL request carrying N(8000), an unassigned error type, and keeps the IKE SA.",
			RFC:     []string{"RFC 7296 3.10.1", "RFC 7296 1.4"},
			Reqs:    []string{"RFC7296-3.10.1-2", "RFC7296-1.4-4"},
			Tag:     Basic, Role: IUTResponder,
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  INFORMATIONAL request 2 [ N(ERR(8000)) ]",
				"J1: IUT -> T  INFORMATIONAL response 2 with no error notify",
				"J2: IUT -> T  INFORMATIONAL response 3 [ ] to an empty request: the SA survived",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				m := p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Notify{Type: infUnknownError}}, ReqOptions{})
				t.Check(1, "answered, no error", m != nil && m.Encrypted && infErr(m) == "none", "INFORMATIONAL response 2 [ ]", m.Summary())
				t.Judge(2, "the IKE SA still works", "INFORMATIONAL response 3 [ ]", p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "INFO-015", Title: "an INFORMATIONAL request the IUT initiates is well formed",
			Purpose: "When the IUT (the original responder) initiates an exchange, its request must have the I flag clear and the R flag clear, use its own message ID counter (0 for its first request) and be protected. The profile's trigger makes the IUT delete the IKE SA.",
			RFC:     []string{"RFC 7296 3.1", "RFC 7296 2.2", "RFC 7296 1.4"},
			Reqs:    []string{"RFC7296-3.1-10", "RFC7296-3.1-13", "RFC7296-1.4-2"},
			Tag:     Advanced, Role: IUTResponder, Needs: []string{"iut-trigger"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"the operator makes the IUT delete the IKE SA (profile trigger \"terminate\")",
				"J1: IUT -> T  an INFORMATIONAL request within 30 s",
				"J2: it is protected under the IKE SA, flags clear (no I, no R), message ID 0",
				"T -> IUT  INFORMATIONAL response 0 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, _ := p.SPIs()
				t.Trigger("terminate")
				req := p.Recv(30*time.Second, func(m *Msg) bool { return m.Header.SPIi == spii && !m.IsResponse() })
				t.Require(1, "the IUT initiates a request", req != nil, "INFORMATIONAL request 0", req.Summary())
				t.Judge(2, "the request's header and protection", "INFORMATIONAL request 0 flags -\nprotected",
					fmt.Sprintf("%v request %d flags %v\n%s", req.Header.Exchange, req.Header.MessageID, req.Header.Flags, map[bool]string{true: "protected", false: "not protected"}[req.Encrypted && req.Err == nil]))
				p.Answer(req, nil)
				if !req.Has(wire.PayloadDelete) {
					infBye(p)
				}
			},
		},
		{
			ID: "INFO-016", Title: "one Delete naming two Child SAs is answered with both partner SPIs",
			Purpose: "A Delete payload may carry several SPIs of one protocol. The IUT must close both pairs and answer with a Delete naming its SPIs of both Child SAs.",
			RFC:     []string{"RFC 7296 1.4.1", "RFC 7296 3.11"},
			Reqs:    []string{"RFC7296-1.4.1-1", "RFC7296-1.4.1-3", "RFC7296-3.11-1"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1), CREATE_CHILD_SA (Child SA C2)",
				"T -> IUT  INFORMATIONAL request 3 [ D(ESP, C1, C2) ]",
				"J1: IUT -> T  INFORMATIONAL response 3 [ D ] naming exactly the IUT's SPIs of C1 and C2",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				if m := p.CreateChild(0, false); m == nil || !m.Has(wire.PayloadSA) {
					t.Inconclusivef("no second Child SA: %s", m.Summary())
				}
				c2 := p.Children[len(p.Children)-1]
				m := p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{
					binary.BigEndian.AppendUint32(nil, c1.SPIIn), binary.BigEndian.AppendUint32(nil, c2.SPIIn)}}}, ReqOptions{})
				t.Judge(1, "both partner SPIs", strings.Join(infSPIList(c1.SPIOut, c2.SPIOut), "\n"), strings.Join(infDeleteSPIs(m), "\n"))
				infBye(p)
			},
		},
	}
}

func nattCases() []*Case {
	return []*Case{
		{
			ID: "NATT-001", Title: "the NAT detection hashes of the IKE_SA_INIT response match the addresses",
			Purpose: "An IUT supporting NAT traversal includes N(NAT_DETECTION_SOURCE_IP) and N(NAT_DETECTION_DESTINATION_IP) in its IKE_SA_INIT response, each SHA-1(SPIi | SPIr | IP | port). The tester computes them for the response's source (the IUT) and destination (the tester): they must match, since there is no NAT between them.",
			RFC:     []string{"RFC 7296 2.23"},
			Reqs:    []string{"RFC7296-2.23-7", "RFC7296-2.23-8"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP), N(NATD_D_IP)",
				"J1: IUT -> T  IKE_SA_INIT response with N(NATD_S_IP) and N(NATD_D_IP)",
				"J2: one N(NATD_S_IP) is SHA-1(SPIi | SPIr | IUT address | IUT port) of the response's source",
				"J3: N(NATD_D_IP) is SHA-1(SPIi | SPIr | tester address | tester port)",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := p.InitSA(InitOptions{})
				src, dst := m.Notify(wire.NAT_DETECTION_SOURCE_IP), m.Notify(wire.NAT_DETECTION_DESTINATION_IP)
				t.Require(1, "both NAT detection notifies", src != nil && dst != nil, "N(NATD_S_IP) N(NATD_D_IP)", m.Summary())
				h := m.Header
				want := natdHash(h.SPIi, h.SPIr, m.From)
				var seen []string
				ok := false
				for _, pl := range m.Payloads {
					if n, is := pl.(*wire.Notify); is && n.Type == wire.NAT_DETECTION_SOURCE_IP {
						seen = append(seen, fmt.Sprintf("%x", n.Data))
						ok = ok || bytes.Equal(n.Data, want)
					}
				}
				t.Check(2, "NATD_S_IP matches the IUT's address "+m.From.String(), ok, fmt.Sprintf("%x", want), strings.Join(seen, "\n"))
				t.Judge(3, "NATD_D_IP matches the tester's address "+p.Local().String(), fmt.Sprintf("%x", natdHash(h.SPIi, h.SPIr, p.Local())), fmt.Sprintf("%x", dst.Data))
			},
		},
		{
			ID: "NATT-002", Title: "after establishment the IKE SA works on the NAT-T port with the non-ESP marker",
			Purpose: "IKE messages may move to port 4500 with the four-octet non-ESP marker; the IUT must accept them there and answer to the port they came from, from its NAT-T port.",
			RFC:     []string{"RFC 7296 2.23", "RFC 3948 2.2"},
			Reqs:    []string{"RFC7296-2.23-1", "RFC7296-2.23-4"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH on the IKE port",
				"T -> IUT:4500  non-ESP marker + INFORMATIONAL request 2 [ ]",
				"J1: IUT:4500 -> T  INFORMATIONAL response 2 [ ]",
				"T -> IUT:4500  INFORMATIONAL request 3 [ D(IKE) ]",
				"J2: IUT:4500 -> T  INFORMATIONAL response 3 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				p.MoveToNATT()
				m := p.Liveness()
				t.Check(1, "answered from the NAT-T port", m != nil && m.Encrypted && m.From.Port() == t.Target.NATTPort,
					fmt.Sprintf("INFORMATIONAL response 2 [ ] from port %d", t.Target.NATTPort), m.Summary()+" from "+m.From.String())
				m = p.DeleteIKE()
				t.Check(2, "the delete is answered from the NAT-T port", m != nil && m.Encrypted && m.From.Port() == t.Target.NATTPort,
					fmt.Sprintf("INFORMATIONAL response 3 [ ] from port %d", t.Target.NATTPort), m.Summary()+" from "+m.From.String())
			},
		},
		{
			ID: "NATT-003", Title: "with a NAT claimed by the tester, the IKE SA continues on the NAT-T port",
			Purpose: "The tester sends a NAT_DETECTION_SOURCE_IP hash that cannot match, as if a NAT rewrote its address. The IUT must accept the IKE_SA_INIT, and the tester, now behind a 'NAT', moves to port 4500 for IKE_AUTH as required; the IUT must answer there.",
			RFC:     []string{"RFC 7296 2.23"},
			Reqs:    []string{"RFC7296-2.23-2", "RFC7296-2.23-1", "RFC7296-2.23-9"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP random), N(NATD_D_IP correct)",
				"J1: IUT -> T  IKE_SA_INIT response with SA KE Nr",
				"T -> IUT:4500  non-ESP marker + IKE_AUTH request 1",
				"J2: IUT:4500 -> T  IKE_AUTH response 1 whose AUTH verifies",
				"T -> IUT:4500  INFORMATIONAL request 2 [ ]",
				"J3: IUT:4500 -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p := Dial(t)
				p.spii = randUint64()
				m := p.Init(InitOptions{NoNATD: true, Extra: []wire.Payload{
					&wire.Notify{Type: wire.NAT_DETECTION_SOURCE_IP, Data: randBytes(20)},
					&wire.Notify{Type: wire.NAT_DETECTION_DESTINATION_IP, Data: natdHash(p.spii, 0, p.Remote())}}})
				if m != nil && m.Notify(wire.COOKIE) != nil {
					t.Inconclusivef("the IUT demands a cookie; this case sends its own NAT detection")
				}
				t.Require(1, "the IUT accepts the IKE_SA_INIT from behind a NAT", m != nil && m.Has(wire.PayloadSA) && p.Established(),
					"IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]", m.Summary())
				p.MoveToNATT()
				a := p.Auth(AuthOptions{})
				t.Check(2, "IKE_AUTH on the NAT-T port", a != nil && a.AuthOK && a.From.Port() == t.Target.NATTPort, infAuthWant+" from the NAT-T port", infAuthSeen(a)+" from "+a.From.String())
				m = p.Liveness()
				t.Check(3, "INFORMATIONAL on the NAT-T port", m != nil && m.Encrypted && m.From.Port() == t.Target.NATTPort,
					"INFORMATIONAL response 2 [ ] from the NAT-T port", m.Summary()+" from "+m.From.String())
				infBye(p)
			},
		},
		{
			ID: "NATT-004", Title: "a NAT-keepalive to the NAT-T port is ignored",
			Purpose: "A NAT-keepalive is a one-octet UDP payload 0xFF on the NAT-T port. The IUT should ignore it: no answer of any kind, and the IKE SA on the NAT-T port goes on.",
			RFC:     []string{"RFC 3948 2.3", "RFC 3948 4"},
			Reqs:    []string{"RFC3948-2.3-5", "RFC3948-4-1"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH; INFORMATIONAL 2 [ ] on the NAT-T port",
				"T -> IUT:4500  0xFF",
				"J1: nothing comes back within 2 s",
				"T -> IUT:4500  INFORMATIONAL request 3 [ ]",
				"J2: IUT:4500 -> T  INFORMATIONAL response 3 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				p.MoveToNATT()
				if p.Liveness() == nil {
					t.Inconclusivef("no answer on the NAT-T port")
				}
				infSendRaw(p, p.tr.natt, []byte{0xff}, "NAT-keepalive 0xFF")
				m := p.Recv(infQuiet, nil)
				t.Check(1, "the keepalive is ignored", m == nil, "no message", m.Summary())
				t.Judge(2, "the IKE SA still works", "INFORMATIONAL response 3 [ ]", p.Liveness().Summary())
				infBye(p)
			},
		},
		{
			ID: "NATT-005", Title: "an IKE message on the NAT-T port without the non-ESP marker is not taken as IKE",
			Purpose: "On port 4500 a datagram whose first four octets are not zero is ESP (its first octets, the SPIi, read as an SPI). The IUT must not process an IKE message sent there without the non-ESP marker; the same request with the marker is then answered.",
			RFC:     []string{"RFC 3948 2.2", "RFC 7296 2.23"},
			Reqs:    []string{"RFC7296-2.23-3", "RFC3948-2.1-4"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT:4500  INFORMATIONAL request 2 [ ] without the non-ESP marker",
				"J1: no INFORMATIONAL response 2 within 2 s (an IUT request with N(INVALID_SPI) for the 'ESP' packet is allowed, and answered)",
				"T -> IUT:4500  non-ESP marker + INFORMATIONAL request 2 [ ]",
				"J2: IUT:4500 -> T  INFORMATIONAL response 2 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				spii, spir := p.SPIs()
				mid := p.NextMID()
				raw, err := p.sa.out.SealMessage(wire.Header{SPIi: spii, SPIr: spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
					Exchange: wire.INFORMATIONAL, Flags: wire.FlagInitiator, MessageID: mid}, nil, nil)
				if err != nil {
					t.Inconclusivef("sealing: %v", err)
				}
				infSendRaw(p, p.tr.natt, raw, fmt.Sprintf("INFORMATIONAL request %d [ ] without non-ESP marker", mid))
				m := p.Recv(infQuiet, infResp(spii, mid))
				t.Check(1, "not processed as IKE", m == nil, "no message", m.Summary())
				// The IUT may report the "ESP" packet's unknown SPI in a
				// request of its own (RFC 7296 section 2.21.4): answer it.
				if req := p.Recv(10*time.Millisecond, func(m *Msg) bool { return m.Header.SPIi == spii && !m.IsResponse() && m.Encrypted }); req != nil {
					p.Answer(req, nil)
				}
				p.MoveToNATT()
				t.Judge(2, "with the marker it is answered", fmt.Sprintf("INFORMATIONAL response %d [ ]", mid), p.Liveness().Summary())
				infBye(p)
			},
		},
	}
}

func fragCases() []*Case {
	return []*Case{
		{
			ID: "FRAG-001", Title: "IKE_SA_INIT with N(IKEV2_FRAGMENTATION_SUPPORTED) is answered with it",
			Purpose: "An IUT implementing IKE fragmentation announces it in its IKE_SA_INIT response when the initiator did, with the notification IKEV2_FRAGMENTATION_SUPPORTED: protocol 0, no SPI, no data.",
			RFC:     []string{"RFC 7383 2.3"},
			Reqs:    []string{"RFC7383-2.3-1", "RFC7383-2.3-2", "RFC7383-2.3-3"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT request: SA, KE, Ni, N(NATD_S_IP), N(NATD_D_IP), N(FRAG_SUP)",
				"J1: IUT -> T  IKE_SA_INIT response with SA, KE, Nr and N(FRAG_SUP) protocol NONE spi 0 without data",
			},
			Run: func(t *T) {
				p := Dial(t)
				m := p.InitSA(InitOptions{Fragmentation: true})
				n := m.Notify(wire.IKEV2_FRAGMENTATION_SUPPORTED)
				seen := "no N(FRAG_SUP)"
				if n != nil {
					seen = strings.Join(payloadStructure(n), "\n")
				}
				t.Judge(1, "N(FRAG_SUP) as RFC 7383 defines it", "N(FRAG_SUP) protocol NONE spi 0", seen)
			},
		},
		{
			ID: "FRAG-002", Title: "a fragmented IKE_AUTH request is reassembled and answered",
			Purpose: "With fragmentation negotiated, the tester sends its IKE_AUTH request as three IKE Fragment messages (SKF payloads, each protected on its own). The IUT must reassemble them and answer IKE_AUTH (in fragments or not); its AUTH must verify.",
			RFC:     []string{"RFC 7383 2.5", "RFC 7383 2.6"},
			Reqs:    []string{"RFC7383-2.6-1", "RFC7383-2.4-5"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); IUT -> T with N(FRAG_SUP)",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/3) ], [ EF(2/3) ], [ EF(3/3) ]",
				"J1: IUT -> T  IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ], reassembled if fragmented, whose AUTH verifies",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				frags := f.seal(p, 3)
				for i := range frags {
					infSendFrag(p, frags, i)
				}
				m := f.await(p, p.Timeout)
				t.Check(1, "the reassembled IKE_AUTH is answered", infAuthOK(m), infAuthWant, infAuthSeen(m))
				infBye(p)
			},
		},
		{
			ID: "FRAG-003", Title: "IKE fragments arriving in reverse order are reassembled",
			Purpose: "IKE Fragment messages may arrive in any order; the Fragment Number places each one. The IUT must reassemble the IKE_AUTH request from fragments 3, 2, 1 and answer it.",
			RFC:     []string{"RFC 7383 2.6"},
			Reqs:    []string{"RFC7383-2.6-1", "RFC7383-2.6.1-1"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); IUT -> T with N(FRAG_SUP)",
				"T -> IUT  IKE_AUTH request 1 [ EF(3/3) ], [ EF(2/3) ], [ EF(1/3) ]",
				"J1: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				frags := f.seal(p, 3)
				for i := len(frags) - 1; i >= 0; i-- {
					infSendFrag(p, frags, i)
				}
				m := f.await(p, p.Timeout)
				t.Check(1, "the reassembled IKE_AUTH is answered", infAuthOK(m), infAuthWant, infAuthSeen(m))
				infBye(p)
			},
		},
		{
			ID: "FRAG-004", Title: "with one IKE fragment missing there is no answer until it comes",
			Purpose: "A message can only be processed once all its fragments are there. With fragment 2 of 3 held back the IUT must not answer; when the missing fragment follows (well within any reassembly timeout) the IUT must complete the message and answer.",
			RFC:     []string{"RFC 7383 2.6"},
			Reqs:    []string{"RFC7383-2.6-5", "RFC7383-2.6.1-1"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); IUT -> T with N(FRAG_SUP)",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/3) ], [ EF(3/3) ]",
				"J1: no response within 2 s",
				"T -> IUT  IKE_AUTH request 1 [ EF(2/3) ]",
				"J2: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				frags := f.seal(p, 3)
				infSendFrag(p, frags, 0)
				infSendFrag(p, frags, 2)
				m := p.Recv(infQuiet, infResp(f.h.SPIi, f.h.MessageID))
				t.Check(1, "no answer to an incomplete message", m == nil, "no message", m.Summary())
				infSendFrag(p, frags, 1)
				m = f.await(p, p.Timeout)
				t.Check(2, "the completed message is answered", infAuthOK(m), infAuthWant, infAuthSeen(m))
				infBye(p)
			},
		},
		{
			ID: "FRAG-005", Title: "fragments with an inconsistent Total Fragments are dropped",
			Purpose: "The tester cuts the same IKE_AUTH request once into 2 and once into 3 fragments (B and A). It sends B1, then A2 and A3 (a greater total: B1 must be discarded and reassembly restarts), then B2 (a smaller total: discarded). The IUT must not answer; once A1 arrives, A is complete and must be answered.",
			RFC:     []string{"RFC 7383 2.6"},
			Reqs:    []string{"RFC7383-2.6-4", "RFC7383-2.6-1"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); IUT -> T with N(FRAG_SUP)",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/2) ], [ EF(2/3) ], [ EF(3/3) ], [ EF(2/2) ]",
				"J1: no response within 2 s (B1 discarded by the greater total, B2 by its smaller total)",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/3) ]",
				"J2: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				a := f.seal(p, 3)
				b := f.seal(p, 2)
				infSendFrag(p, b, 0)
				infSendFrag(p, a, 1)
				infSendFrag(p, a, 2)
				infSendFrag(p, b, 1)
				m := p.Recv(infQuiet, infResp(f.h.SPIi, f.h.MessageID))
				t.Check(1, "no answer from inconsistent fragments", m == nil, "no message", m.Summary())
				infSendFrag(p, a, 0)
				m = f.await(p, p.Timeout)
				t.Check(2, "the consistent set is answered", infAuthOK(m), infAuthWant, infAuthSeen(m))
				infBye(p)
			},
		},
		{
			ID: "FRAG-006", Title: "a duplicated IKE fragment is discarded and reassembly completes once",
			Purpose: "An IKE Fragment message with the message ID, Fragment Number and Total Fragments of one already queued is a replay and must be silently discarded. Sending fragment 1 twice before 2 and 3, the IUT must answer exactly once.",
			RFC:     []string{"RFC 7383 2.6"},
			Reqs:    []string{"RFC7383-2.6-2"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); IUT -> T with N(FRAG_SUP)",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/3) ], [ EF(1/3) ], [ EF(2/3) ], [ EF(3/3) ]",
				"J1: IUT -> T  IKE_AUTH response 1 whose AUTH verifies",
				"J2: no second response within 2 s",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				frags := f.seal(p, 3)
				infSendFrag(p, frags, 0)
				infSendFrag(p, frags, 0)
				infSendFrag(p, frags, 1)
				infSendFrag(p, frags, 2)
				m := f.await(p, p.Timeout)
				t.Check(1, "answered once reassembled", infAuthOK(m), infAuthWant, infAuthSeen(m))
				m = p.Recv(infQuiet, infResp(f.h.SPIi, f.h.MessageID))
				t.Check(2, "no second response", m == nil, "no message", m.Summary())
				infBye(p)
			},
		},
		{
			ID: "FRAG-007", Title: "a retransmitted fragment triggers the response again only if it is fragment 1",
			Purpose: "After the IUT has answered a fragmented request, a retransmitted fragment must trigger a retransmission of the response only when its Fragment Number is 1; other fragments are ignored.",
			RFC:     []string{"RFC 7383 2.6.1"},
			Reqs:    []string{"RFC7383-2.6.1-2", "RFC7383-2.6.1-1"},
			Tag:     "FRAG", Role: IUTResponder, Needs: []string{"frag"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT with N(FRAG_SUP); fragmented IKE_AUTH request 1 (3 fragments); IUT -> T response 1",
				"T -> IUT  IKE_AUTH request 1 [ EF(2/3) ] again",
				"J1: no response within 2 s",
				"T -> IUT  IKE_AUTH request 1 [ EF(1/3) ] again",
				"J2: IUT -> T  the IKE_AUTH response 1 again, octet for octet",
			},
			Run: func(t *T) {
				p := infFragUp(t)
				f := infNewFragAuth(p)
				frags := f.seal(p, 3)
				for i := range frags {
					infSendFrag(p, frags, i)
				}
				first := f.await(p, p.Timeout)
				if !infAuthOK(first) {
					t.Inconclusivef("the fragmented IKE_AUTH failed: %s", first.Summary())
				}
				infSendFrag(p, frags, 1)
				m := p.Recv(infQuiet, infResp(f.h.SPIi, f.h.MessageID))
				t.Check(1, "fragment 2 does not trigger a retransmission", m == nil, "no message", m.Summary())
				infSendFrag(p, frags, 0)
				again := f.await(p, p.Timeout)
				t.Check(2, "fragment 1 triggers the same response", again != nil && bytes.Equal(again.Raw, first.Raw),
					first.Summary()+" (identical)", again.Summary())
				infBye(p)
			},
		},
	}
}

func espCases() []*Case {
	return []*Case{
		{
			ID: "ESP-001", Title: "the IUT's Child SA SPIs are four octets, nonzero and distinct",
			Purpose: "Inbound ESP traffic is mapped to an SA by its SPI; zero is reserved and must not be sent. The IUT's SPIs of the Child SA of IKE_AUTH and of a second Child SA must be 4-octet ESP SPIs, not zero, and different from each other.",
			RFC:     []string{"RFC 4303 2.1", "RFC 7296 3.3.1"},
			Reqs:    []string{"RFC4303-2.1-6", "RFC4303-2.1-1", "RFC3948-2.1-4"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"J1: the IKE_AUTH response's proposal is ESP with a 4-octet SPI that is not zero",
				"T -> IUT  CREATE_CHILD_SA request: SA, Ni, TSi, TSr (Child SA C2)",
				"J2: C2's IUT SPI is not zero and differs from C1's",
			},
			Run: func(t *T) {
				p, _, auth := infUp(t)
				sa, _ := wire.Find[*wire.SA](auth.Payloads)
				seen := "no SA"
				ok := false
				if sa != nil && len(sa.Proposals) > 0 {
					pr := sa.Proposals[0]
					seen = fmt.Sprintf("%v spi %d octets, zero %v", pr.Protocol, len(pr.SPI), len(pr.SPI) == 4 && binary.BigEndian.Uint32(pr.SPI) == 0)
					ok = pr.Protocol == wire.ProtoESP && len(pr.SPI) == 4 && binary.BigEndian.Uint32(pr.SPI) != 0
				}
				t.Check(1, "the Child SA's SPI", ok, "ESP spi 4 octets, zero false", seen)
				c1 := p.Children[0]
				m := p.CreateChild(0, false)
				if m == nil || !m.Has(wire.PayloadSA) {
					t.Inconclusivef("no second Child SA: %s", m.Summary())
				}
				spi := infChildSPI(m)
				t.Check(2, "a distinct SPI for the second Child SA", spi != 0 && spi != c1.SPIOut,
					fmt.Sprintf("not 0, not %08x", c1.SPIOut), fmt.Sprintf("%08x", spi))
				infBye(p)
			},
		},
		{
			ID: "ESP-002", Title: "a deleted Child SA is gone: rekeying it gets CHILD_SA_NOT_FOUND",
			Purpose: "The recipient of a Delete must close the designated SAs. After the tester deletes the Child SA, a CREATE_CHILD_SA naming it in N(REKEY_SA) must not succeed; the IUT should answer CHILD_SA_NOT_FOUND.",
			RFC:     []string{"RFC 7296 1.4.1", "RFC 7296 2.25"},
			Reqs:    []string{"RFC7296-1.4.1-3", "RFC7296-2.25-5"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child", "child-rekey"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1)",
				"T -> IUT  INFORMATIONAL request 2 [ D(ESP, C1) ]; IUT -> T response [ D ]",
				"T -> IUT  CREATE_CHILD_SA request 3: N(REKEY_SA C1), SA, Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response 3",
				"J2: it is N(CHILD_SA_NOT_FOUND) without SA",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c1 := p.Children[0]
				if m := p.DeleteChild(c1.SPIIn); m == nil {
					t.Inconclusivef("the Delete was not answered")
				}
				m := p.CreateChild(c1.SPIIn, false)
				t.Require(1, "the IUT answers", m != nil, "CREATE_CHILD_SA response 3", m.Summary())
				seen := infErr(m)
				if m.Has(wire.PayloadSA) {
					seen += " with SA"
				}
				t.Judge(2, "the deleted Child SA is not found", "N(CHILD_SA_NOT_FOUND)", seen)
				infBye(p)
			},
		},
		{
			ID: "ESP-003", Title: "ESN negotiation: offered both, exactly one ESN transform comes back",
			Purpose: "The use of extended sequence numbers is negotiated by the ESN transform. Offered both ESN and no ESN in one proposal, the IUT must select exactly one of them (one transform of each type offered), and the Child SA is made.",
			RFC:     []string{"RFC 7296 3.3.6", "RFC 7296 2.7", "RFC 4303 2.2.1"},
			Reqs:    []string{"RFC4303-2.2.1-2", "RFC7296-3.3.6-3", "RFC7296-2.7-4"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  CREATE_CHILD_SA request: SA(ESP: the profile's first proposal with ESN and NO_ESN), Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response with SA",
				"J2: one proposal, one transform of each offered type, each offered; exactly one ESN transform",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				ps := p.childPayloads(nil, randUint32(), &childExtra{ni: randBytes(32)}, "", "")
				sa := ps[0].(*wire.SA)
				for i := range sa.Proposals {
					var ts []wire.Transform
					for _, tr := range sa.Proposals[i].Transforms {
						if tr.Type != wire.TransformESN {
							ts = append(ts, tr)
						}
					}
					sa.Proposals[i].Transforms = append(ts, wire.NewTransform(wire.TransformESN, uint16(wire.ESN), 0),
						wire.NewTransform(wire.TransformESN, uint16(wire.NoESN), 0))
				}
				offered := slices.Clone(sa.Proposals)
				m := p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
				t.Require(1, "the Child SA is made", m != nil && m.Has(wire.PayloadSA), "CREATE_CHILD_SA response 2 [ SA No TSi TSr ]", m.Summary())
				rsa, _ := wire.Find[*wire.SA](m.Payloads)
				ok, why := infChosenOK(offered, rsa)
				t.Check(2, "a consistent selection with one ESN transform", ok, "one proposal, one transform per type (ESN or NO_ESN)",
					strings.Join(payloadStructure(rsa), "\n")+"\n"+why)
				infBye(p)
			},
		},
		{
			ID: "ESP-004", Title: "of several ESP proposals the IUT selects exactly one, unchanged",
			Purpose: "Offered all the profile's ESP proposals (numbered from 1), the IUT must pick a single proposal, answer with its number, protocol ESP and a 4-octet SPI, and one transform of each type from that proposal.",
			RFC:     []string{"RFC 7296 3.3.6", "RFC 7296 2.7"},
			Reqs:    []string{"RFC7296-3.3.6-1", "RFC7296-3.3.6-2", "RFC7296-3.3.6-3", "RFC7296-2.7-4"},
			Tag:     Basic, Role: IUTResponder, Needs: []string{"child"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH",
				"T -> IUT  CREATE_CHILD_SA request: SA(ESP: every profile proposal), Ni, TSi, TSr",
				"J1: IUT -> T  CREATE_CHILD_SA response with SA",
				"J2: one proposal, with an offered number, ESP, one transform of each type taken from it",
				"J3: its SPI has 4 octets and is not zero",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				ps := p.childPayloads(t.Profile.ESPProposals, randUint32(), &childExtra{ni: randBytes(32)}, "", "")
				offered := slices.Clone(ps[0].(*wire.SA).Proposals)
				m := p.Request(wire.CREATE_CHILD_SA, ps, ReqOptions{})
				t.Require(1, "the Child SA is made", m != nil && m.Has(wire.PayloadSA), "CREATE_CHILD_SA response 2 [ SA No TSi TSr ]", m.Summary())
				rsa, _ := wire.Find[*wire.SA](m.Payloads)
				ok, why := infChosenOK(offered, rsa)
				t.Check(2, "a single offered proposal", ok, "one offered proposal, one transform per type",
					strings.Join(payloadStructure(rsa), "\n")+"\n"+why)
				t.Check(3, "a 4-octet nonzero SPI", infChildSPI(m) != 0, "SPI of 4 octets, not 0", strings.Join(payloadStructure(rsa), "\n"))
				infBye(p)
			},
		},
		{
			ID: "ESP-005", Title: "a replayed UDP-encapsulated ESP packet causes no IKE reaction",
			Purpose: "The tester sends an ESP dummy packet (Next Header 59) under the Child SA's keys, UDP-encapsulated to the NAT-T port, and then the same packet again (a replay). The IUT must process UDP-encapsulated ESP and drop the replay; seen from IKE (the tester has no data plane) nothing may come back and the IKE SA must go on. A weak check of the ESP path.",
			RFC:     []string{"RFC 4303 3.4.3", "RFC 7296 2.23", "RFC 3948 2.1"},
			Reqs:    []string{"RFC7296-2.23-13", "RFC4303-3.4.3-5"},
			Tag:     "NATT", Role: IUTResponder, Needs: []string{"child", "natt"},
			Steps: []string{
				"T -> IUT  IKE_SA_INIT, IKE_AUTH (Child SA C1); INFORMATIONAL 2 [ ] on the NAT-T port",
				"T -> IUT:4500  ESP(SPI of C1, seq 1, dummy packet), twice",
				"J1: no IKE message comes back within 2 s",
				"T -> IUT:4500  INFORMATIONAL request 3 [ ]",
				"J2: IUT:4500 -> T  INFORMATIONAL response 3 [ ]",
			},
			Run: func(t *T) {
				p, _, _ := infUp(t)
				c := p.Children[0]
				p.MoveToNATT()
				if p.Liveness() == nil {
					t.Inconclusivef("no answer on the NAT-T port")
				}
				out, err := esp.NewOutbound(esp.Config{SPI: c.SPIOut, Encr: c.Encr, EncrKey: c.Keys.EncI, Integ: c.Integ,
					IntegKey: c.Keys.IntegI, ESN: c.ESN, Mode: esp.Tunnel}, esp.OutboundOptions{})
				if err != nil {
					t.Inconclusivef("the Child SA's keys: %v", err)
				}
				s, err := out.SealDummy(nil, 16)
				if err != nil {
					t.Inconclusivef("sealing ESP: %v", err)
				}
				infSendRaw(p, p.tr.natt, s.Packet, fmt.Sprintf("ESP spi %08x seq %d", c.SPIOut, s.Seq))
				infSendRaw(p, p.tr.natt, s.Packet, fmt.Sprintf("ESP spi %08x seq %d (replay)", c.SPIOut, s.Seq))
				m := p.Recv(infQuiet, nil)
				t.Check(1, "no IKE reaction to ESP", m == nil, "no message", m.Summary())
				t.Judge(2, "the IKE SA still works", "INFORMATIONAL response 3 [ ]", p.Liveness().Summary())
				infBye(p)
			},
		},
	}
}
