package conformance

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// Peer is the tester's IKEv2 initiator toward the IUT: it builds requests
// with impl/wire, protects them with impl/crypto, and keeps the state of one
// IKE SA (and its Child SAs) so that a case is a short sequence of calls:
//
//	p := conformance.Dial(t)
//	init, auth := p.Establish()
//	resp := p.Liveness()
//	t.Judge(1, "the IUT answers an empty INFORMATIONAL request", "INFORMATIONAL response 2 [ ]", resp.Summary())
//
// Every wait is bounded by Timeout and by the case's deadline; a method that
// waits returns nil when nothing matching came. Every datagram goes to the
// case's pcap, every IKE SA's keys to its Wireshark key table. A Peer is
// used from the case's goroutine only.
type Peer struct {
	// Timeout bounds each wait for a response (default 5 s).
	Timeout time.Duration

	// Children are the Child SAs negotiated so far, oldest first;
	// ChildSPIIn (the tester's SPI, which the IUT sends to) and ChildSPIOut
	// (the IUT's) are those of the newest.
	Children                []*ChildSA
	ChildSPIIn, ChildSPIOut uint32

	t       *T
	tr      *transport
	spii    uint64       // the SPIi of IKE_SA_INIT, kept for retries
	pending *pendingInit // the last IKE_SA_INIT sent
	sa      *ikeSA       // the current IKE SA
	old     *ikeSA       // the IKE SA that RekeyIKE replaced
	lastReq []byte
}

// ChildSA is a Child SA the tester negotiated.
type ChildSA struct {
	SPIIn     uint32 // the tester's SPI (inbound to the tester)
	SPIOut    uint32 // the IUT's SPI
	Protocol  wire.ProtocolID
	Encr      wire.EncrID
	KeyBits   int
	Integ     wire.IntegID
	ESN       bool
	Transport bool // the IUT accepted USE_TRANSPORT_MODE
	// Keys: EncI/IntegI protect tester -> IUT (SPIOut), EncR/IntegR
	// IUT -> tester (SPIIn).
	Keys *crypto.ChildKeys
}

type pendingInit struct {
	header wire.Header
	req    []byte
	ni     []byte
	group  wire.KEID
	ke     crypto.KEState // nil when the KE data was overridden
}

type ikeSA struct {
	spii, spir       uint64
	suite            crypto.Suite
	keys             *crypto.IKEKeys
	out, in          *crypto.SK // SK_ei/SK_ai and SK_er/SK_ar
	ni, nr           []byte
	initReq, initRsp []byte // RealMessage1 and RealMessage2 (RFC 7296 section 2.15)
	nextMID          uint32
}

// Dial opens the tester's UDP socket (t.Local, or the address the system
// routes from, on an ephemeral port) toward t.Target.Addr:IKEPort. The
// socket is closed by t.Cleanup. On error the case is inconclusive.
func Dial(t *T) *Peer {
	tr, err := openTransport(t)
	if err != nil {
		t.Inconclusivef("%v", err)
	}
	t.Cleanup(tr.close)
	t.Logf("tester %v -> IUT %v", tr.local, tr.ike)
	return &Peer{Timeout: 5 * time.Second, t: t, tr: tr}
}

// Local is the tester's address and port.
func (p *Peer) Local() netip.AddrPort { return p.tr.local }

// Remote is where the tester's messages go now (the IKE port, or the NAT-T
// port after MoveToNATT).
func (p *Peer) Remote() netip.AddrPort { return p.tr.remote() }

// SPIs are the current IKE SA's SPIs (SPIr is 0 before an IKE_SA_INIT
// response with keys).
func (p *Peer) SPIs() (spii, spir uint64) {
	if p.sa != nil {
		return p.sa.spii, p.sa.spir
	}
	return p.spii, 0
}

// Established reports whether the tester has keys for an IKE SA.
func (p *Peer) Established() bool { return p.sa != nil }

// NextMID is the message ID of the tester's next request on the IKE SA.
func (p *Peer) NextMID() uint32 {
	if p.sa == nil {
		return 0
	}
	return p.sa.nextMID
}

// MoveToNATT sends the later messages to the IUT's NAT-T port, each after
// the 4-octet non-ESP marker (RFC 3948 section 2.2; RFC 7296 section
// 2.23). The tester's own port does not change.
func (p *Peer) MoveToNATT() {
	p.tr.useNATT = true
	p.t.Logf("moving to the IUT's NAT-T port %v", p.tr.natt)
}

// LastRequest is a copy of the last request sent (without non-ESP marker).
func (p *Peer) LastRequest() []byte { return slices.Clone(p.lastReq) }

// ---- IKE_SA_INIT ----

// InitOptions shape an IKE_SA_INIT request; the zero value is the
// profile's first IKE proposal with correct KE, nonce and NAT detection.
type InitOptions struct {
	// Proposals in strongSwan's notation; default the profile's first.
	Proposals []string
	// KEGroup of the KE payload; default the first group of the proposals.
	KEGroup wire.KEID
	// KEData replaces the Key Exchange Data (e.g. zeros, a wrong length);
	// no keys can then be derived from the response.
	KEData []byte
	// Nonce replaces the 32 random octets of Ni.
	Nonce []byte
	// Cookie puts N(COOKIE) with this data first (RFC 7296 section 2.6).
	Cookie []byte
	// NoNATD leaves out N(NAT_DETECTION_SOURCE_IP) and
	// N(NAT_DETECTION_DESTINATION_IP).
	NoNATD bool
	// Fragmentation adds N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383).
	Fragmentation bool
	// Omit removes the payloads of these types the tester would send.
	Omit []wire.PayloadType
	// Extra payloads go at the end (after Omit applies).
	Extra []wire.Payload
	// Header mutates the IKE header (version, flags, SPIs, message ID)
	// before the NAT detection hashes are computed.
	Header func(*wire.Header)
	// Raw mutates the encoded message before it is sent.
	Raw func([]byte) []byte
}

// SendInit sends an IKE_SA_INIT request without waiting and returns its
// octets. The SPIi is drawn on first use and kept for retries (COOKIE,
// INVALID_KE_PAYLOAD); once an IKE SA is established, a new one is drawn.
// With a Cookie, the nonce and KE data of the previous request are sent
// again (RFC 7296 section 2.6: "all other payloads unchanged").
func (p *Peer) SendInit(o InitOptions) []byte {
	if p.spii == 0 || p.sa != nil {
		p.spii = randUint64()
	}
	specs := o.Proposals
	if len(specs) == 0 {
		specs = p.t.Profile.IKEProposals[:1]
	}
	props, err := ParseProposals(wire.ProtoIKE, specs...)
	if err != nil {
		p.t.Inconclusivef("%v", err)
	}
	group := o.KEGroup
	if group == 0 {
		group, _ = firstKE(props)
	}
	pi := &pendingInit{group: group, ni: o.Nonce}
	keData := o.KEData
	// A retry with a cookie repeats the other payloads unchanged (RFC 7296
	// section 2.6): the responder may have computed the cookie over Ni.
	if prev := p.pending; o.Cookie != nil && prev != nil && prev.header.SPIi == p.spii && prev.group == group {
		if pi.ni == nil {
			pi.ni = prev.ni
		}
		if keData == nil && prev.ke != nil {
			pi.ke, keData = prev.ke, prev.ke.Public()
		}
	}
	if pi.ni == nil {
		pi.ni = randBytes(32)
	}
	if keData == nil {
		ke, err := crypto.LookupKE(group)
		if err != nil {
			p.t.Inconclusivef("conformance: KE group %v: %v (give KEData)", group, err)
		}
		st, pub, err := ke.Start(nil)
		if err != nil {
			p.t.Inconclusivef("conformance: KE group %v: %v", group, err)
		}
		pi.ke, keData = st, pub
	}
	h := wire.Header{SPIi: p.spii, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: wire.IKE_SA_INIT, Flags: wire.FlagInitiator}
	if o.Header != nil {
		o.Header(&h)
	}
	var ps []wire.Payload
	if o.Cookie != nil {
		ps = append(ps, &wire.Notify{Type: wire.COOKIE, Data: o.Cookie})
	}
	ps = append(ps, &wire.SA{Proposals: props}, &wire.KE{Group: group, Data: keData}, &wire.Nonce{Data: pi.ni})
	if !o.NoNATD {
		ps = append(ps,
			&wire.Notify{Type: wire.NAT_DETECTION_SOURCE_IP, Data: natdHash(h.SPIi, h.SPIr, p.tr.local)},
			&wire.Notify{Type: wire.NAT_DETECTION_DESTINATION_IP, Data: natdHash(h.SPIi, h.SPIr, p.tr.remote())})
	}
	if o.Fragmentation {
		ps = append(ps, &wire.Notify{Type: wire.IKEV2_FRAGMENTATION_SUPPORTED})
	}
	ps = append(omit(ps, o.Omit), o.Extra...)
	raw, err := (&wire.Message{Header: h, Payloads: ps}).Encode()
	if err != nil {
		p.t.Inconclusivef("conformance: encoding IKE_SA_INIT: %v", err)
	}
	if o.Raw != nil {
		raw = o.Raw(raw)
	}
	pi.header, pi.req = h, raw
	p.pending = pi
	p.send(raw, wire.Summary(h, ps))
	return raw
}

// Init sends an IKE_SA_INIT request and waits for the response (same SPIi
// and message ID, R set). When the response carries SA, KE and Nr the
// tester derives the IKE SA's keys (RFC 7296 section 2.14) and records them
// in the case's key table; a failure to do so is in the Msg's Err. It
// returns nil when no response came in time.
func (p *Peer) Init(o InitOptions) *Msg {
	p.SendInit(o)
	h := p.pending.header
	m := p.wait(p.Timeout, func(m *Msg) bool {
		return m.Header.SPIi == h.SPIi && m.Header.IsResponse() && m.Header.MessageID == h.MessageID
	}, false)
	if m == nil || m.Err != nil || !m.Has(wire.PayloadSA) || !m.Has(wire.PayloadKE) || !m.Has(wire.PayloadNonce) {
		return m
	}
	if err := p.keysFromInit(m); err != nil {
		m.Err = err
		p.t.Logf("%v", err)
	}
	return m
}

func (p *Peer) keysFromInit(m *Msg) error {
	pi := p.pending
	if pi.ke == nil {
		return nil // KE data overridden: no keys
	}
	saP, _ := wire.Find[*wire.SA](m.Payloads)
	keP, _ := wire.Find[*wire.KE](m.Payloads)
	nr, _ := wire.Find[*wire.Nonce](m.Payloads)
	c, err := chosenOf(saP)
	if err != nil {
		return err
	}
	if keP.Group != pi.group {
		return fmt.Errorf("conformance: the IUT's KE payload is for group %v, the tester's for %v", keP.Group, pi.group)
	}
	suite, err := crypto.NewSuite(c.Encr, c.KeyBits, c.PRF, c.Integ, c.KE)
	if err != nil {
		return fmt.Errorf("conformance: the IUT's choice: %w", err)
	}
	shared, err := pi.ke.Finish(keP.Data)
	if err != nil {
		return fmt.Errorf("conformance: the IUT's KE data: %w", err)
	}
	skeyseed, err := crypto.SKEYSEED(suite.PRF, pi.ni, nr.Data, shared)
	if err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	sa, err := p.newIKESA(suite, skeyseed, pi.ni, nr.Data, m.Header.SPIi, m.Header.SPIr)
	if err != nil {
		return err
	}
	sa.initReq, sa.initRsp, sa.nextMID = pi.req, m.Raw, 1
	p.sa = sa
	return nil
}

func (p *Peer) newIKESA(suite crypto.Suite, skeyseed, ni, nr []byte, spii, spir uint64) (*ikeSA, error) {
	keys, err := suite.IKEKeys(skeyseed, ni, nr, spii, spir)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	out, err := crypto.NewSK(suite, keys.Ei, keys.Ai)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	in, err := crypto.NewSK(suite, keys.Er, keys.Ar)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	row := keytable.IKESA{SPIi: spii, SPIr: spir, Encr: suite.Encr.ID, EncrKeyBits: suite.KeyBits,
		SKei: keys.Ei, SKer: keys.Er}
	if suite.Integ != nil {
		row.Integ = keytable.Integrity{ID: suite.Integ.ID}
		row.SKai, row.SKar = keys.Ai, keys.Ar
	}
	p.t.RecordKeys(row)
	p.t.Logf("IKE SA %016x_i %016x_r: %v", spii, spir, suite)
	return &ikeSA{spii: spii, spir: spir, suite: suite, keys: keys, out: out, in: in, ni: ni, nr: nr}, nil
}

// ---- IKE_AUTH ----

// AuthOptions shape an IKE_AUTH request; the zero value authenticates with
// the profile's identity and PSK and asks for a Child SA with the profile's
// first ESP proposal and traffic selectors.
type AuthOptions struct {
	// IDi: default the profile's tester_id (ID_RFC822_ADDR if it holds
	// '@', ID_IPV4_ADDR/ID_IPV6_ADDR for an address, else ID_FQDN).
	IDi *wire.ID
	// IDr, if set, is sent as the identity the tester wants.
	IDr *wire.ID
	// PSK replaces the profile's pre-shared key (a wrong key, say).
	PSK []byte
	// Auth replaces the computed AUTH payload.
	Auth *wire.Auth
	// ESP proposals in strongSwan's notation; default the profile's first.
	ESP []string
	// TSi and TSr are prefixes, comma-separated ("dynamic": the tester's
	// address); default the profile's tester_ts and iut_ts.
	TSi, TSr string
	// InitialContact adds N(INITIAL_CONTACT); Transport adds
	// N(USE_TRANSPORT_MODE).
	InitialContact, Transport bool
	Omit                      []wire.PayloadType
	Extra                     []wire.Payload
	Header                    func(*wire.Header)
	Raw                       func([]byte) []byte
}

// keyPad is the pad of the shared key MIC (RFC 7296 section 2.15).
const keyPad = "Key Pad for IKEv2"

// Auth sends the IKE_AUTH request (PSK authentication, RFC 7296 section
// 2.15) on the IKE SA that Init made and waits for the response. It opens
// the response, verifies the IUT's AUTH payload (shared key MIC) and sets
// AuthOK, and when SA, TSi and TSr came back derives the Child SA's keys
// (RFC 7296 section 2.17) into Children. nil: no response in time.
func (p *Peer) Auth(o AuthOptions) *Msg {
	sa := p.need()
	idi := o.IDi
	if idi == nil {
		idi = idPayload(p.t.Profile.TesterID, false)
	}
	idiBody, err := wire.AppendPayloadBody(nil, idi)
	if err != nil {
		p.t.Inconclusivef("conformance: IDi: %v", err)
	}
	psk := o.PSK
	if psk == nil {
		psk = []byte(p.t.Profile.PSK)
	}
	auth := o.Auth
	if auth == nil {
		prf := sa.suite.PRF
		data := prf.Sum(prf.Sum(psk, []byte(keyPad)), sa.initReq, sa.nr, prf.Sum(sa.keys.Pi, idiBody))
		auth = &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: data}
	}
	ps := []wire.Payload{idi}
	if o.IDr != nil {
		ps = append(ps, o.IDr)
	}
	ps = append(ps, auth)
	if o.InitialContact {
		ps = append(ps, &wire.Notify{Type: wire.INITIAL_CONTACT})
	}
	if o.Transport {
		ps = append(ps, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
	}
	spiIn := randUint32()
	ps = append(ps, p.childPayloads(o.ESP, spiIn, nil, o.TSi, o.TSr)...)
	ps = append(omit(ps, o.Omit), o.Extra...)
	m := p.request(sa, wire.IKE_AUTH, ps, ReqOptions{Header: o.Header, Raw: o.Raw})
	if m == nil || m.Err != nil || !m.Encrypted {
		return m
	}
	if a, ok := wire.Find[*wire.Auth](m.Payloads); ok {
		if idr := rawBody(m, wire.PayloadIDr); idr != nil && a.Method == wire.AuthSharedKeyMIC {
			prf := sa.suite.PRF
			want := prf.Sum(prf.Sum(psk, []byte(keyPad)), sa.initRsp, sa.ni, prf.Sum(sa.keys.Pr, idr))
			m.AuthOK = hmac.Equal(want, a.Data)
		}
		if !m.AuthOK {
			p.t.Logf("the IUT's AUTH payload does not verify")
		}
	}
	if m.Has(wire.PayloadSA) && m.Has(wire.PayloadTSi) && m.Has(wire.PayloadTSr) {
		if _, err := p.addChild(m, spiIn, sa.ni, sa.nr, nil); err != nil {
			p.t.Logf("%v", err)
		}
	}
	return m
}

// InitSA runs IKE_SA_INIT with o and answers N(COOKIE) and
// N(INVALID_KE_PAYLOAD) as RFC 7296 sections 2.6 and 1.2 ask (the retry
// after INVALID_KE_PAYLOAD offers the profile's proposals with the group
// asked for, and drops the cookie, which a responder may have bound to the
// old KE payload: RFC 7296 2.6.1). A case that needs the IKE SA and cannot
// get one is inconclusive: InitSA then ends it with the reason.
func (p *Peer) InitSA(o InitOptions) *Msg {
	var m *Msg
	for try := 0; try < 4; try++ {
		m = p.Init(o)
		if m == nil {
			p.t.Inconclusivef("conformance: no IKE_SA_INIT response from %v within %v", p.tr.remote(), p.Timeout)
		}
		if m.Has(wire.PayloadSA) {
			break
		}
		if n := m.Notify(wire.COOKIE); n != nil && !bytes.Equal(o.Cookie, n.Data) {
			o.Cookie = n.Data
			continue
		}
		if n := m.Notify(wire.INVALID_KE_PAYLOAD); n != nil && len(n.Data) == 2 && o.KEGroup == 0 {
			o.KEGroup, o.Proposals, o.Cookie = wire.KEID(binary.BigEndian.Uint16(n.Data)), nil, nil
			for _, s := range p.t.Profile.IKEProposals {
				if ps, err := ParseProposals(wire.ProtoIKE, s); err == nil && proposalsHaveKE(ps, o.KEGroup) {
					o.Proposals = append(o.Proposals, s)
				}
			}
			if o.Proposals == nil {
				p.t.Inconclusivef("conformance: the IUT asks for group %v, which no profile proposal has", o.KEGroup)
			}
			continue
		}
		break
	}
	if p.sa == nil || !m.Has(wire.PayloadSA) {
		p.t.Inconclusivef("conformance: IKE_SA_INIT did not make an IKE SA: %s", m.Summary())
	}
	return m
}

// Establish runs InitSA with the defaults and IKE_AUTH; a case that needs
// an SA and cannot get one is inconclusive: Establish then ends it with the
// reason.
func (p *Peer) Establish() (init, auth *Msg) {
	init = p.InitSA(InitOptions{})
	auth = p.Auth(AuthOptions{})
	switch {
	case auth == nil:
		p.t.Inconclusivef("conformance: no IKE_AUTH response within %v", p.Timeout)
	case !auth.AuthOK:
		p.t.Inconclusivef("conformance: IKE_AUTH did not authenticate the IUT: %s", auth.Summary())
	}
	return init, auth
}

// ---- requests on the IKE SA ----

// ReqOptions shape a protected request.
type ReqOptions struct {
	// MID is the message ID when ForceMID is set; otherwise the next one
	// is used (and counted).
	MID      uint32
	ForceMID bool
	// Header mutates the IKE header before sealing; Raw the sealed octets.
	Header func(*wire.Header)
	Raw    func([]byte) []byte
	// NoWait sends without waiting (Request returns nil).
	NoWait bool
	// Timeout replaces Peer.Timeout for this wait.
	Timeout time.Duration
}

// Request sends payloads in a protected request of exchange x on the IKE
// SA and waits for the response (same SPIi and message ID, R set). The
// case is inconclusive when there is no IKE SA.
func (p *Peer) Request(x wire.ExchangeType, payloads []wire.Payload, o ReqOptions) *Msg {
	return p.request(p.need(), x, payloads, o)
}

func (p *Peer) request(sa *ikeSA, x wire.ExchangeType, payloads []wire.Payload, o ReqOptions) *Msg {
	h := wire.Header{SPIi: sa.spii, SPIr: sa.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: x, Flags: wire.FlagInitiator, MessageID: sa.nextMID}
	if o.ForceMID {
		h.MessageID = o.MID
	} else {
		sa.nextMID++
	}
	if o.Header != nil {
		o.Header(&h)
	}
	raw, err := sa.out.SealMessage(h, payloads, nil)
	if err != nil {
		p.t.Inconclusivef("conformance: sealing %v: %v", x, err)
	}
	if o.Raw != nil {
		raw = o.Raw(raw)
	}
	p.send(raw, wire.Summary(h, payloads))
	if o.NoWait {
		return nil
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = p.Timeout
	}
	return p.waitResponse(h, timeout)
}

// Resend sends raw again (a retransmission, RFC 7296 section 2.1) and
// waits for the response to it.
func (p *Peer) Resend(raw []byte) *Msg {
	h, _, _, err := wire.DecodeHeader(raw)
	if err != nil {
		p.t.Inconclusivef("conformance: resend: %v", err)
	}
	p.send(raw, "retransmission of "+h.Exchange.String()+" request "+fmt.Sprint(h.MessageID))
	return p.waitResponse(h, p.Timeout)
}

// Recv waits up to timeout for a message that match accepts (nil: any),
// such as a request the IUT initiates; messages kept from earlier waits
// are looked at first. Protected messages are opened with the IKE SA's
// keys. nil: nothing matching came.
func (p *Peer) Recv(timeout time.Duration, match func(*Msg) bool) *Msg {
	if match == nil {
		match = func(*Msg) bool { return true }
	}
	return p.wait(timeout, match, true)
}

// Answer sends a protected response to the IUT's request req, on the IKE
// SA whose SPIs it carries.
func (p *Peer) Answer(req *Msg, payloads []wire.Payload) {
	sa := p.saFor(req.Header.SPIi, req.Header.SPIr)
	if sa == nil {
		p.t.Inconclusivef("conformance: no keys to answer %s", req.Summary())
	}
	h := wire.Header{SPIi: sa.spii, SPIr: sa.spir, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: req.Header.Exchange, Flags: wire.FlagInitiator | wire.FlagResponse, MessageID: req.Header.MessageID}
	raw, err := sa.out.SealMessage(h, payloads, nil)
	if err != nil {
		p.t.Inconclusivef("conformance: sealing the answer: %v", err)
	}
	p.send(raw, wire.Summary(h, payloads))
}

// Liveness sends an empty INFORMATIONAL request (RFC 7296 section 1.4).
func (p *Peer) Liveness() *Msg { return p.Request(wire.INFORMATIONAL, nil, ReqOptions{}) }

// DeleteIKE deletes the IKE SA (RFC 7296 section 1.4.1).
func (p *Peer) DeleteIKE() *Msg {
	return p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}, ReqOptions{})
}

// DeleteOldIKE deletes, on itself, the IKE SA that RekeyIKE replaced.
func (p *Peer) DeleteOldIKE() *Msg {
	if p.old == nil {
		p.t.Inconclusivef("conformance: no rekeyed IKE SA to delete")
	}
	return p.request(p.old, wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}, ReqOptions{})
}

// DeleteChild deletes the ESP Child SA with the tester's inbound SPI spi.
func (p *Peer) DeleteChild(spi uint32) *Msg {
	return p.Request(wire.INFORMATIONAL, []wire.Payload{&wire.Delete{Protocol: wire.ProtoESP, SPISize: 4,
		SPIs: [][]byte{binary.BigEndian.AppendUint32(nil, spi)}}}, ReqOptions{})
}

// CreateChild creates a Child SA with the profile's first ESP proposal and
// traffic selectors (RFC 7296 section 1.3.1), or rekeys the one whose
// tester SPI is rekeySPI (not 0; section 1.3.3); pfs adds a KE payload of
// the IKE SA's group. A new Child SA is added to Children.
func (p *Peer) CreateChild(rekeySPI uint32, pfs bool) *Msg {
	sa := p.need()
	var ps []wire.Payload
	if rekeySPI != 0 {
		ps = append(ps, &wire.Notify{Type: wire.REKEY_SA, Protocol: wire.ProtoESP, SPI: binary.BigEndian.AppendUint32(nil, rekeySPI)})
		for _, c := range p.Children {
			if c.SPIIn == rekeySPI && c.Transport {
				ps = append(ps, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
			}
		}
	}
	var st crypto.KEState
	var pub []byte
	if pfs {
		var err error
		if sa.suite.KE == nil {
			p.t.Inconclusivef("conformance: the IKE SA has no key exchange method for PFS")
		}
		st, pub, err = sa.suite.KE.Start(nil)
		if err != nil {
			p.t.Inconclusivef("conformance: %v", err)
		}
		pub = slices.Clone(pub)
	}
	spiIn, ni := randUint32(), randBytes(32)
	var ke *wire.KE
	if pfs {
		ke = &wire.KE{Group: sa.suite.KE.ID, Data: pub}
	}
	ps = append(ps, p.childPayloads(nil, spiIn, &childExtra{ni: ni, ke: ke}, "", "")...)
	m := p.request(sa, wire.CREATE_CHILD_SA, ps, ReqOptions{})
	if m == nil || m.Err != nil || !m.Has(wire.PayloadSA) {
		return m
	}
	nr, ok := wire.Find[*wire.Nonce](m.Payloads)
	if !ok {
		return m
	}
	var shared [][]byte
	if pfs {
		kr, ok := wire.Find[*wire.KE](m.Payloads)
		if !ok {
			p.t.Logf("conformance: no KEr in the CREATE_CHILD_SA response")
			return m
		}
		s, err := st.Finish(kr.Data)
		if err != nil {
			p.t.Logf("conformance: the IUT's KE data: %v", err)
			return m
		}
		shared = append(shared, s)
	}
	if _, err := p.addChild(m, spiIn, ni, nr.Data, shared); err != nil {
		p.t.Logf("%v", err)
	}
	return m
}

// RekeyIKE rekeys the IKE SA (RFC 7296 section 1.3.2) with the profile's
// first IKE proposal and the current group. On success the new IKE SA
// becomes the current one (its keys recorded); the old one stays for
// DeleteOldIKE and for opening what still comes on it.
func (p *Peer) RekeyIKE() *Msg {
	sa := p.need()
	props, err := ParseProposals(wire.ProtoIKE, p.t.Profile.IKEProposals[0])
	if err != nil {
		p.t.Inconclusivef("%v", err)
	}
	if sa.suite.KE == nil {
		p.t.Inconclusivef("conformance: the IKE SA has no key exchange method")
	}
	newSPIi := randUint64()
	for i := range props {
		props[i].SPI = binary.BigEndian.AppendUint64(nil, newSPIi)
		props[i].Transforms = withKE(props[i].Transforms, sa.suite.KE.ID)
	}
	st, pub, err := sa.suite.KE.Start(nil)
	if err != nil {
		p.t.Inconclusivef("conformance: %v", err)
	}
	ni := randBytes(32)
	m := p.request(sa, wire.CREATE_CHILD_SA, []wire.Payload{&wire.SA{Proposals: props}, &wire.Nonce{Data: ni},
		&wire.KE{Group: sa.suite.KE.ID, Data: slices.Clone(pub)}}, ReqOptions{})
	if m == nil || m.Err != nil || !m.Has(wire.PayloadSA) {
		return m
	}
	if err := p.rekeyed(sa, m, st, ni, newSPIi); err != nil {
		m.Err = err
		p.t.Logf("%v", err)
	}
	return m
}

func (p *Peer) rekeyed(sa *ikeSA, m *Msg, st crypto.KEState, ni []byte, newSPIi uint64) error {
	saP, _ := wire.Find[*wire.SA](m.Payloads)
	nr, ok1 := wire.Find[*wire.Nonce](m.Payloads)
	kr, ok2 := wire.Find[*wire.KE](m.Payloads)
	if !ok1 || !ok2 {
		return fmt.Errorf("conformance: the IKE SA rekey response lacks Nr or KEr")
	}
	c, err := chosenOf(saP)
	if err != nil {
		return err
	}
	if len(c.SPI) != 8 {
		return fmt.Errorf("conformance: the IKE SA rekey response's SPI has %d octets", len(c.SPI))
	}
	suite, err := crypto.NewSuite(c.Encr, c.KeyBits, c.PRF, c.Integ, c.KE)
	if err != nil {
		return fmt.Errorf("conformance: the IUT's choice: %w", err)
	}
	shared, err := st.Finish(kr.Data)
	if err != nil {
		return fmt.Errorf("conformance: the IUT's KE data: %w", err)
	}
	skeyseed := crypto.RekeySKEYSEED(sa.suite.PRF, sa.keys.D, shared, ni, nr.Data)
	nsa, err := p.newIKESA(suite, skeyseed, ni, nr.Data, newSPIi, binary.BigEndian.Uint64(c.SPI))
	if err != nil {
		return err
	}
	p.old, p.sa = sa, nsa
	return nil
}

// ---- internals ----

type childExtra struct {
	ni []byte
	ke *wire.KE
}

// childPayloads builds SA [Ni [KEi]] TSi TSr for a Child SA.
func (p *Peer) childPayloads(esp []string, spiIn uint32, x *childExtra, tsi, tsr string) []wire.Payload {
	if len(esp) == 0 {
		esp = p.t.Profile.ESPProposals[:1]
	}
	props, err := ParseProposals(wire.ProtoESP, esp...)
	if err != nil {
		p.t.Inconclusivef("%v", err)
	}
	for i := range props {
		props[i].SPI = binary.BigEndian.AppendUint32(nil, spiIn)
		if x != nil && x.ke != nil {
			props[i].Transforms = withKE(props[i].Transforms, x.ke.Group)
		}
	}
	if tsi == "" {
		tsi = p.t.Profile.TesterTS
	}
	if tsr == "" {
		tsr = p.t.Profile.IUTTS
	}
	si, err := p.selectors(tsi)
	if err != nil {
		p.t.Inconclusivef("%v", err)
	}
	sr, err := p.selectors(tsr)
	if err != nil {
		p.t.Inconclusivef("%v", err)
	}
	ps := []wire.Payload{&wire.SA{Proposals: props}}
	if x != nil {
		ps = append(ps, &wire.Nonce{Data: x.ni})
		if x.ke != nil {
			ps = append(ps, x.ke)
		}
	}
	return append(ps, &wire.TS{Selectors: si}, &wire.TS{Responder: true, Selectors: sr})
}

// withKE puts a KE transform of group g in ts unless it has one.
func withKE(ts []wire.Transform, g wire.KEID) []wire.Transform {
	for _, t := range ts {
		if t.Type == wire.TransformKE {
			return ts
		}
	}
	return append(slices.Clone(ts), wire.NewTransform(wire.TransformKE, uint16(g), 0))
}

func proposalsHaveKE(ps []wire.Proposal, g wire.KEID) bool {
	for _, pr := range ps {
		for _, t := range pr.Transforms {
			if t.Type == wire.TransformKE && wire.KEID(t.ID) == g {
				return true
			}
		}
	}
	return false
}

// selectors reads comma-separated prefixes ("dynamic": the tester's
// address) as address-range selectors of all protocols and ports.
func (p *Peer) selectors(s string) ([]wire.Selector, error) {
	var out []wire.Selector
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var pfx netip.Prefix
		var err error
		switch {
		case f == "dynamic":
			a := p.tr.local.Addr()
			pfx = netip.PrefixFrom(a, a.BitLen())
		case strings.Contains(f, "/"):
			pfx, err = netip.ParsePrefix(f)
		default:
			var a netip.Addr
			a, err = netip.ParseAddr(f)
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("conformance: traffic selector %q: %w", f, err)
		}
		typ := wire.TS_IPV4_ADDR_RANGE
		if !pfx.Addr().Is4() {
			typ = wire.TS_IPV6_ADDR_RANGE
		}
		out = append(out, wire.Selector{Type: typ, EndPort: 65535, Start: pfx.Masked().Addr(), End: wire.LastAddr(pfx)})
	}
	return out, nil
}

// addChild records the Child SA that response m made.
func (p *Peer) addChild(m *Msg, spiIn uint32, ni, nr []byte, shared [][]byte) (*ChildSA, error) {
	saP, _ := wire.Find[*wire.SA](m.Payloads)
	c, err := chosenOf(saP)
	if err != nil {
		return nil, err
	}
	if len(c.SPI) != 4 {
		return nil, fmt.Errorf("conformance: the IUT's Child SA SPI has %d octets", len(c.SPI))
	}
	encr, err := crypto.LookupEncr(c.Encr)
	if err != nil {
		return nil, fmt.Errorf("conformance: the IUT's Child SA: %w", err)
	}
	encLen, err := encr.KeyLen(c.KeyBits)
	if err != nil {
		return nil, fmt.Errorf("conformance: the IUT's Child SA: %w", err)
	}
	integLen := 0
	if c.Integ != wire.AUTH_NONE {
		in, err := crypto.LookupInteg(c.Integ)
		if err != nil {
			return nil, fmt.Errorf("conformance: the IUT's Child SA: %w", err)
		}
		integLen = in.KeyLen
	}
	keys, err := crypto.DeriveChildKeys(p.sa.suite.PRF, p.sa.keys.D, ni, nr, encLen, integLen, shared...)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	child := &ChildSA{SPIIn: spiIn, SPIOut: binary.BigEndian.Uint32(c.SPI), Protocol: saP.Proposals[0].Protocol,
		Encr: c.Encr, KeyBits: c.KeyBits, Integ: c.Integ, ESN: c.ESN == wire.ESN,
		Transport: m.Notify(wire.USE_TRANSPORT_MODE) != nil, Keys: keys}
	p.Children = append(p.Children, child)
	p.ChildSPIIn, p.ChildSPIOut = child.SPIIn, child.SPIOut
	p.t.Logf("Child SA %08x_i %08x_o", child.SPIIn, child.SPIOut)
	return child, nil
}

// need returns the current IKE SA or ends the case as inconclusive.
func (p *Peer) need() *ikeSA {
	if p.sa == nil {
		p.t.Inconclusivef("conformance: no IKE SA (Init first)")
	}
	return p.sa
}

func (p *Peer) saFor(spii, spir uint64) *ikeSA {
	for _, sa := range []*ikeSA{p.sa, p.old} {
		if sa != nil && sa.spii == spii && sa.spir == spir {
			return sa
		}
	}
	return nil
}

func (p *Peer) send(raw []byte, summary string) {
	p.lastReq = slices.Clone(raw)
	p.t.Logf("T -> IUT %v: %s", p.tr.remote(), summary)
	if err := p.tr.send(raw); err != nil {
		p.t.Inconclusivef("%v", err)
	}
}

func (p *Peer) waitResponse(h wire.Header, timeout time.Duration) *Msg {
	return p.wait(timeout, func(m *Msg) bool {
		return m.Header.SPIi == h.SPIi && m.Header.IsResponse() && m.Header.MessageID == h.MessageID
	}, false)
}

// wait reads datagrams until match accepts one or timeout (or the case's
// deadline) passes; the others are kept for Recv.
func (p *Peer) wait(timeout time.Duration, match func(*Msg) bool, backlog bool) *Msg {
	if backlog {
		for i, m := range p.tr.backlog {
			if match(m) {
				p.tr.backlog = slices.Delete(p.tr.backlog, i, i+1)
				return m
			}
		}
	}
	deadline := time.Now().Add(timeout)
	if d, ok := p.t.Context().Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for time.Now().Before(deadline) {
		data, from, ok, err := p.tr.readOne(deadline)
		if err != nil {
			p.t.Logf("%v", err)
			return nil
		}
		if !ok {
			continue
		}
		m := p.decode(data, from)
		p.t.Logf("T <- IUT %v: %s", from, m.Summary())
		if match(m) {
			return m
		}
		if len(p.tr.backlog) < maxBacklog {
			p.tr.backlog = append(p.tr.backlog, m)
		}
	}
	return nil
}

// decode reads a received message and opens its SK payload when the tester
// has the keys of its IKE SA.
func (p *Peer) decode(data []byte, from netip.AddrPort) *Msg {
	m := &Msg{Raw: data, From: from, Time: time.Now()}
	wm, err := wire.Decode(data)
	if err != nil {
		m.Err = err
		if wm != nil {
			m.Header = wm.Header
		} else if h, _, _, herr := wire.DecodeHeader(data); herr == nil {
			m.Header = h
		}
		return m
	}
	m.Header, m.Payloads = wm.Header, wm.Payloads
	if len(wm.Payloads) == 0 {
		return m
	}
	if _, ok := wm.Payloads[len(wm.Payloads)-1].(*wire.Encrypted); !ok {
		return m
	}
	sa := p.saFor(m.Header.SPIi, m.Header.SPIr)
	if sa == nil {
		return m
	}
	off, err := wire.FindEncrypted(data)
	if err != nil {
		m.Err = err
		return m
	}
	plain, err := sa.in.Open(data, off)
	if err != nil {
		m.Err = err
		return m
	}
	first := wire.PayloadType(data[off])
	inner, err := wire.DecodePayloads(first, plain)
	if err != nil {
		m.Err = err
		return m
	}
	m.Payloads = append(wm.Payloads[:len(wm.Payloads)-1:len(wm.Payloads)-1], inner...)
	m.Encrypted, m.plain, m.first = true, plain, first
	return m
}

// rawBody returns the body (after the generic header) of the first inner
// payload of type pt of an opened message, as the IUT sent it.
func rawBody(m *Msg, pt wire.PayloadType) []byte {
	b, next := m.plain, m.first
	for next != wire.PayloadNone && len(b) >= 4 {
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if n < 4 || n > len(b) {
			return nil
		}
		if next == pt {
			return b[4:n]
		}
		next, b = wire.PayloadType(b[0]), b[n:]
	}
	return nil
}

// idPayload makes an identity as strongSwan reads one: an address, an
// RFC 822 address when it holds '@' ("@name" is an FQDN), else an FQDN.
func idPayload(s string, responder bool) *wire.ID {
	id := &wire.ID{Responder: responder}
	if a, err := netip.ParseAddr(s); err == nil {
		id.IDType, id.Data = wire.ID_IPV4_ADDR, a.AsSlice()
		if !a.Is4() {
			id.IDType = wire.ID_IPV6_ADDR
		}
		return id
	}
	switch {
	case strings.HasPrefix(s, "@"):
		id.IDType, id.Data = wire.ID_FQDN, []byte(s[1:])
	case strings.Contains(s, "@"):
		id.IDType, id.Data = wire.ID_RFC822_ADDR, []byte(s)
	default:
		id.IDType, id.Data = wire.ID_FQDN, []byte(s)
	}
	return id
}

// IDPayload is the ID payload the tester sends for identity s (IDr when
// responder is set), as strongSwan types identities.
func IDPayload(s string, responder bool) *wire.ID { return idPayload(s, responder) }

func omit(ps []wire.Payload, types []wire.PayloadType) []wire.Payload {
	if len(types) == 0 {
		return ps
	}
	return slices.DeleteFunc(ps, func(p wire.Payload) bool { return slices.Contains(types, p.PayloadType()) })
}

// natdHash is SHA-1(SPIi | SPIr | IP | Port) (RFC 7296 section 2.23).
func natdHash(spii, spir uint64, ap netip.AddrPort) []byte {
	h := sha1.New()
	var b []byte
	b = binary.BigEndian.AppendUint64(b, spii)
	b = binary.BigEndian.AppendUint64(b, spir)
	b = append(b, ap.Addr().Unmap().AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	h.Write(b)
	return h.Sum(nil)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("conformance: crypto/rand: " + err.Error())
	}
	return b
}

func randUint64() uint64 {
	for {
		if v := binary.BigEndian.Uint64(randBytes(8)); v != 0 {
			return v
		}
	}
}

func randUint32() uint32 {
	for {
		// SPIs 1-255 are reserved by IANA (RFC 4303 section 2.1).
		if v := binary.BigEndian.Uint32(randBytes(4)); v > 255 {
			return v
		}
	}
}
