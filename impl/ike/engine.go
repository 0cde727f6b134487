package ike

import (
	"cmp"
	"container/heap"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// Defaults (strongSwan's where it has one).
const (
	defaultRetransmitTimeout = 4 * time.Second
	defaultRetransmitBase    = 1.8
	defaultRetransmitTries   = 5
	defaultCookieThreshold   = 30
	defaultCookieLifetime    = 60 * time.Second
	defaultHalfOpenTimeout   = 30 * time.Second
	defaultNATKeepalive      = 20 * time.Second
	// Unauthenticated error responses (INVALID_MAJOR_VERSION, INVALID_IKE_SPI,
	// INVALID_SYNTAX to IKE_SA_INIT) per second: RFC7296-2.4-7 asks to limit
	// the rate of actions on unprotected messages.
	unauthErrorRate = 20
	// Initiator retries of IKE_SA_INIT after COOKIE and INVALID_KE_PAYLOAD.
	maxCookieRetries    = 3
	maxInvalidKERetries = 3
	nonceLen            = 32
)

// Engine is the sans-I/O IKEv2 engine: one value holds every IKE SA of a
// daemon. It is not safe for concurrent use; its driver calls it from one
// goroutine (or under a lock) and carries out the actions it returns. It
// never reads a clock, a socket or a random source other than Config.Rand:
// time comes in with every call.
type Engine struct {
	cfg  Config
	rand io.Reader
	log  hclog.Logger

	sas      map[uint64]*ikeSA   // by our SPI
	initReqs map[initKey]*ikeSA  // responder: half-open SAs by (SPIi, peer), for retransmitted IKE_SA_INIT
	childIn  map[uint32]*childSA // Child SAs by our inbound SPI
	halfOpen int

	cookies *cookieBaker
	timers  timerHeap
	nextID  uint64
	outSeq  uint64 // see childSA.outSeq
	stats   Stats

	// token bucket for unauthenticated error responses
	errTokens float64
	errAt     time.Time

	// deliberate faults (impair.go) and the datagrams delay holds back
	impair  []*impairState
	delayed []delayedSend
}

type initKey struct {
	spii uint64
	peer netip.Addr
}

// New checks the configuration and returns an engine.
func New(cfg Config) (*Engine, error) {
	if cfg.RetransmitTimeout <= 0 {
		cfg.RetransmitTimeout = defaultRetransmitTimeout
	}
	if cfg.RetransmitBase < 1 {
		cfg.RetransmitBase = defaultRetransmitBase
	}
	if cfg.RetransmitTries <= 0 {
		cfg.RetransmitTries = defaultRetransmitTries
	}
	if cfg.CookieThreshold <= 0 {
		cfg.CookieThreshold = defaultCookieThreshold
	}
	if cfg.CookieSecretLifetime <= 0 {
		cfg.CookieSecretLifetime = defaultCookieLifetime
	}
	if cfg.HalfOpenTimeout <= 0 {
		cfg.HalfOpenTimeout = defaultHalfOpenTimeout
	}
	if cfg.NATKeepalive <= 0 {
		cfg.NATKeepalive = defaultNATKeepalive
	}
	if err := setFragmentDefaults(&cfg); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, rand: cfg.Rand, log: cfg.Logger,
		sas: map[uint64]*ikeSA{}, initReqs: map[initKey]*ikeSA{}, childIn: map[uint32]*childSA{},
		errTokens: unauthErrorRate}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	if e.log == nil {
		e.log = hclog.NewNullLogger()
	}
	names := map[string]bool{}
	for _, c := range cfg.Connections {
		if err := checkConnection(c); err != nil {
			return nil, err
		}
		if names[c.Name] {
			return nil, fmt.Errorf("ike: connection %q defined twice", c.Name)
		}
		names[c.Name] = true
	}
	if err := e.SetImpairments(cfg.Impair); err != nil {
		return nil, err
	}
	return e, nil
}

// checkConnection refuses what cannot work: no proposals, a transform the
// registry does not negotiate, PSK without a secret for the local identity.
func checkConnection(c *Connection) error {
	if c.Name == "" {
		return errors.New("ike: a connection without a name")
	}
	if len(c.Proposals) == 0 {
		return fmt.Errorf("ike: connection %q: proposals: none", c.Name)
	}
	for _, p := range c.Proposals {
		for _, w := range offer([]Proposal{p}, wire.ProtoIKE, nil, true) {
			if len(p.Encr) == 0 || len(p.PRF) == 0 || len(p.KE) == 0 {
				return fmt.Errorf("ike: connection %q: proposals: %s lacks an encryption, PRF or KE transform", c.Name, proposalString(&w))
			}
		}
		for _, en := range p.Encr {
			for _, in := range append([]wire.IntegID{wire.AUTH_NONE}, p.Integ...) {
				enc, err := crypto.LookupEncr(en.ID)
				if err != nil {
					return fmt.Errorf("ike: connection %q: proposals: %w", c.Name, err)
				}
				if enc.IsAEAD() != (in == wire.AUTH_NONE) {
					continue
				}
				for _, f := range p.PRF {
					for _, k := range p.KE {
						s, err := crypto.NewSuite(en.ID, int(en.KeyBits), f, in, k)
						if err == nil {
							err = s.Negotiable()
						}
						if err != nil {
							return fmt.Errorf("ike: connection %q: proposals: %w", c.Name, err)
						}
					}
				}
			}
		}
	}
	if err := checkAuth(c); err != nil { // pubkey.go
		return err
	}
	for _, ch := range c.Children {
		if len(ch.ESPProposals) == 0 {
			return fmt.Errorf("ike: connection %q: child %q: esp_proposals: none", c.Name, ch.Name)
		}
		for _, p := range ch.ESPProposals {
			for _, en := range p.Encr {
				enc, err := crypto.LookupEncr(en.ID)
				if err != nil {
					return fmt.Errorf("ike: connection %q: child %q: esp_proposals: %w", c.Name, ch.Name, err)
				}
				if !enc.ESP.Negotiable {
					return fmt.Errorf("ike: connection %q: child %q: esp_proposals: %v is not negotiated (%s: %s)",
						c.Name, ch.Name, en.ID, enc.ESP.Source, enc.ESP.Level)
				}
				// The seed: ESP with encryption and no integrity is refused.
				if !enc.IsAEAD() && len(p.Integ) == 0 {
					return fmt.Errorf("ike: connection %q: child %q: esp_proposals: %v without an integrity algorithm",
						c.Name, ch.Name, en.ID)
				}
			}
		}
	}
	return nil
}

// ---- events in ----

// Start returns the actions of connections whose children have
// start_action = start.
func (e *Engine) Start(now time.Time) []Action {
	var acts []Action
	for _, c := range e.cfg.Connections {
		for _, ch := range c.Children {
			if ch.StartAction == StartStart {
				a, err := e.Initiate(now, c.Name, ch.Name)
				if err != nil {
					e.log.Error("start_action = start failed", "connection", c.Name, "child", ch.Name, "error", err)
				}
				acts = append(acts, a...)
			}
		}
	}
	return acts
}

// Receive processes one IKE datagram (RFC 7296 sections 2.1-2.3 for message
// IDs and retransmissions, 2.21 for errors).
func (e *Engine) Receive(now time.Time, d Datagram) []Action {
	h, _, _, err := wire.DecodeHeader(d.Data)
	if err != nil {
		return e.drop("shorter than an IKE header", d, err)
	}
	// RFC7296-3.1-6, RFC7296-2.5-2: a higher major version is rejected with
	// INVALID_MAJOR_VERSION; IKEv1 (major 1) is not ours to answer.
	if h.Major != wire.MajorVersion {
		if h.Major > wire.MajorVersion && !h.IsResponse() {
			e.stats.Dropped++
			e.log.Info("rejecting message with major version", "version", h.Major, "remote", d.Remote.String())
			return e.unauthError(now, d, h, wire.INVALID_MAJOR_VERSION, nil)
		}
		return e.drop(fmt.Sprintf("IKE major version %d", h.Major), d, nil)
	}
	if h.Flags.Initiator() {
		// From the original initiator: we are (or become) the responder.
		if h.SPIr == 0 {
			if h.Exchange != wire.IKE_SA_INIT || h.IsResponse() || h.MessageID != 0 {
				return e.drop("zero responder SPI outside an IKE_SA_INIT request", d, nil)
			}
			// RFC7296-3.1-2: the initiator's SPI is never zero; an IKE SA
			// without one could not be named (RFC7296-2.6-1).
			if h.SPIi == 0 {
				return e.drop("IKE_SA_INIT request with a zero initiator SPI", d, nil)
			}
			if sa := e.initReqs[initKey{h.SPIi, d.Remote.Addr()}]; sa != nil {
				return sa.receive(now, d, h)
			}
			return e.respondInit(now, d, h)
		}
		if sa := e.sas[h.SPIr]; sa != nil && sa.role == model.Responder && sa.spiI == h.SPIi {
			return sa.receive(now, d, h)
		}
	} else if sa := e.sas[h.SPIi]; sa != nil && sa.role == model.Initiator && (sa.spiR == h.SPIr || sa.spiR == 0) {
		return sa.receive(now, d, h)
	}
	// RFC7296-2.21.4-1/2: an unknown SPI: responses are dropped, requests
	// MAY get an unprotected INVALID_IKE_SPI (rate-limited, RFC7296-2.21.4-6).
	e.stats.Dropped++
	e.log.Debug("message for an unknown IKE SA", "spi_i", fmt.Sprintf("%016x", h.SPIi),
		"spi_r", fmt.Sprintf("%016x", h.SPIr), "remote", d.Remote.String())
	if !h.IsResponse() && h.Exchange != wire.IKE_SA_INIT {
		return e.unauthError(now, d, h, wire.INVALID_IKE_SPI, nil)
	}
	return nil
}

// drop discards input silently and counts it (RFC 7296 section 2.21:
// unauthenticated garbage gets no answer).
func (e *Engine) drop(why string, d Datagram, err error) []Action {
	e.stats.Dropped++
	if err != nil {
		e.log.Info("dropping datagram: "+why, "remote", d.Remote.String(), "error", err)
	} else {
		e.log.Info("dropping datagram: "+why, "remote", d.Remote.String())
	}
	return nil
}

// unauthError answers a request with an unprotected Notify, sent back to
// where it came from with the SPIs and message ID copied (RFC7296-2.21.4-3,
// RFC7296-2.21.4-4), within the rate limit.
func (e *Engine) unauthError(now time.Time, d Datagram, h wire.Header, t wire.NotifyType, data []byte) []Action {
	if !e.allowUnauth(now) {
		return nil
	}
	r := wire.Header{SPIi: h.SPIi, SPIr: h.SPIr, Major: wire.MajorVersion, Exchange: h.Exchange,
		Flags: wire.FlagResponse | (h.Flags &^ wire.FlagInitiator &^ wire.FlagResponse & wire.FlagVersion), MessageID: h.MessageID}
	// The I bit is the sender's role: the opposite of the request's.
	if !h.Flags.Initiator() {
		r.Flags |= wire.FlagInitiator
	}
	r.Flags &^= wire.FlagVersion
	m := wire.Message{Header: r, Payloads: []wire.Payload{&wire.Notify{Type: t, Data: data}}}
	b, err := m.Encode()
	if err != nil {
		return nil
	}
	e.log.Info("sending "+m.String(), "remote", d.Remote.String())
	return []Action{Send{Local: d.Local, Remote: d.Remote, Data: b, NonESPMarker: d.NonESPMarker}}
}

func (e *Engine) allowUnauth(now time.Time) bool {
	if !e.errAt.IsZero() {
		e.errTokens = min(unauthErrorRate, e.errTokens+now.Sub(e.errAt).Seconds()*unauthErrorRate)
	}
	e.errAt = now
	if e.errTokens < 1 {
		return false
	}
	e.errTokens--
	return true
}

// receive handles a message for an existing IKE SA: duplicate detection and
// the response cache (RFC 7296 section 2.1), decryption, then dispatch.
func (sa *ikeSA) receive(now time.Time, d Datagram, h wire.Header) []Action {
	e := sa.e
	if h.IsResponse() {
		// RFC7296-3.1-11: never answer a response. Only the response to our
		// outstanding request is taken.
		if sa.out == nil || h.MessageID != sa.out.id || h.Exchange != sa.out.exchange {
			return e.drop(fmt.Sprintf("unexpected %v response %d", h.Exchange, h.MessageID), d, nil)
		}
	} else {
		switch {
		case sa.hasResp && h.MessageID == sa.lastRespID:
			// RFC7296-2.3-8: a retransmitted request gets the same response,
			// without being processed again (frag.go: whole or in fragments).
			return sa.resendResponse(now, d, h)
		case h.MessageID != sa.nextPeerID:
			return e.drop(fmt.Sprintf("request with message ID %d, expected %d", h.MessageID, sa.nextPeerID), d, nil)
		}
	}
	var ps []wire.Payload
	var err error
	if h.Exchange == wire.IKE_SA_INIT {
		var m *wire.Message
		if m, err = wire.Decode(d.Data); err == nil {
			ps = m.Payloads
		}
	} else {
		if sa.skIn == nil {
			return e.drop(fmt.Sprintf("%v before keys exist", h.Exchange), d, nil)
		}
		// An SKF fragment is kept until its message is whole (frag.go).
		var held bool
		var acts []Action
		if ps, held, acts, err = sa.openMessage(now, d, h); held {
			return acts
		}
		if errors.Is(err, crypto.ErrIntegrity) || errors.Is(err, crypto.ErrSKMalformed) {
			// Not authenticated: drop silently (RFC 7296 section 2.21).
			return e.drop(fmt.Sprintf("%v %d that does not authenticate", h.Exchange, h.MessageID), d, err)
		}
	}
	sa.lastRecv = now
	// An authenticated message from a new address or port: follow the peer
	// (RFC7296-2.23-1: responses go where requests come from).
	if h.Exchange != wire.IKE_SA_INIT {
		sa.local, sa.remote, sa.natt = d.Local, d.Remote, d.NonESPMarker || sa.natt
	}
	if err == nil {
		sa.logMessage("parsed", h, ps)
	}
	in := &inMsg{h: h, payloads: ps, err: err, d: d}
	if h.IsResponse() {
		return sa.handleResponse(now, in)
	}
	return sa.handleRequest(now, in)
}

// inMsg is a received message after decryption.
type inMsg struct {
	h        wire.Header
	payloads []wire.Payload
	err      error // the inner payloads did not decode (authenticated but malformed)
	d        Datagram
}

func exchangeOf(x wire.ExchangeType) model.Exchange {
	switch x {
	case wire.IKE_SA_INIT:
		return model.IKE_SA_INIT
	case wire.IKE_AUTH:
		return model.IKE_AUTH
	case wire.CREATE_CHILD_SA:
		return model.CREATE_CHILD_SA
	case wire.INFORMATIONAL:
		return model.INFORMATIONAL
	}
	return 0
}

// result is how the processing of one event came out: the outcome the
// table looks up, and the message to send if the transition sends one.
type result struct {
	outcome model.Outcome
	resp    []wire.Payload // the response, when the transition answers a request
	req     *queuedReq     // the request, when the transition sends one
	reason  string         // why, for a refusal
	extra   []Action       // reported after the message (keys, Child SAs)
	// after: Child SAs to delete once the transition is taken (the old
	// pair of a rekey, or our redundant one); recreate: a Child SA to
	// create anew (after CHILD_SA_NOT_FOUND).
	after    []*childSA
	recreate *Child
}

func (sa *ikeSA) handleRequest(now time.Time, in *inMsg) []Action {
	x := exchangeOf(in.h.Exchange)
	if !model.Accepts(sa.state, sa.role, x, model.RecvRequest) {
		// RFC 7296 section 1.5 / 2.21: nothing we can act on in this state.
		return sa.e.drop(fmt.Sprintf("%v request in state %v", in.h.Exchange, sa.state), in.d, nil)
	}
	var res result
	if x == model.INFORMATIONAL && sa.state == model.InitDone {
		// Before authentication (between EAP rounds, eap.go) only the
		// initiator's refusal of us is taken.
		if _, ok := wire.FindNotify(in.payloads, wire.AUTHENTICATION_FAILED); !ok || in.err != nil {
			return sa.e.drop("INFORMATIONAL request before authentication", in.d, in.err)
		}
		res = result{outcome: model.AuthFailed,
			reason: "the initiator refused our authentication: N(AUTHENTICATION_FAILED) in an INFORMATIONAL request (RFC7296-2.21.2-2)"}
		return sa.apply(now, x, model.RecvRequest, res, in)
	}
	if err := checkRequest(in); err != nil {
		res = refuse(err)
	} else {
		switch in.h.Exchange {
		case wire.IKE_SA_INIT:
			// Retransmissions were answered from the cache in receive.
			return sa.e.drop("IKE_SA_INIT request for a known SA", in.d, nil)
		case wire.IKE_AUTH:
			res = sa.processAuthRequest(now, in)
		case wire.INFORMATIONAL:
			res = sa.processInformational(now, in)
		case wire.CREATE_CHILD_SA:
			res = sa.processCreateChild(now, in)
		}
	}
	return sa.apply(now, x, model.RecvRequest, res, in)
}

func (sa *ikeSA) handleResponse(now time.Time, in *inMsg) []Action {
	x := exchangeOf(in.h.Exchange)
	if !model.Accepts(sa.state, sa.role, x, model.RecvResponse) {
		return sa.e.drop(fmt.Sprintf("%v response in state %v", in.h.Exchange, sa.state), in.d, nil)
	}
	if in.err != nil && in.h.Exchange == wire.IKE_SA_INIT {
		// An unauthenticated response that does not even parse: keep
		// waiting for the real one (RFC7296-2.4-10).
		return sa.e.drop("malformed IKE_SA_INIT response", in.d, in.err)
	}
	if u := unknownCritical(in.payloads); u != nil && in.h.Exchange == wire.IKE_SA_INIT {
		// RFC7296-4-3: a message with an unsupported critical payload is
		// rejected; as an unauthenticated IKE_SA_INIT response it is
		// dropped like a malformed one, and the real one may still come.
		return sa.e.drop(fmt.Sprintf("IKE_SA_INIT response with an unsupported critical payload %v", u.Kind), in.d, nil)
	}
	out := sa.out
	sa.out = nil // the exchange is complete (RFC7296-2.3-7: the copy may go)
	sa.nextReqID = out.id + 1
	var res result
	switch in.h.Exchange {
	case wire.IKE_SA_INIT:
		res = sa.processInitResponse(now, in)
	case wire.IKE_AUTH:
		res = sa.processAuthResponse(now, in)
	case wire.INFORMATIONAL:
		res = sa.processInformationalResponse(now, in, out)
	case wire.CREATE_CHILD_SA:
		res = sa.processCreateChildResponse(now, in, out)
	}
	return sa.apply(now, x, model.RecvResponse, res, in)
}

// apply takes the transition that the model table gives for the event and
// its outcome: it sends what the row says, moves to its state and sets its
// timer. This is the only place where an IKE SA changes state.
func (sa *ikeSA) apply(now time.Time, x model.Exchange, ev model.Event, res result, in *inMsg) []Action {
	e := sa.e
	t, ok := model.Lookup(sa.state, sa.role, x, ev, res.outcome)
	if !ok {
		e.log.Error("no transition in the model table", "ike", sa.String(), "state", sa.state.String(),
			"exchange", x.String(), "event", ev.String(), "outcome", res.outcome.String())
		return nil
	}
	if res.reason != "" {
		e.log.Info(res.reason, "ike", sa.String(), "outcome", res.outcome.String())
	}
	var acts []Action
	switch t.Send {
	case model.SendResponse:
		acts = append(acts, sa.respond(now, in, res.resp)...)
	case model.SendRequest:
		if res.req == nil {
			e.log.Error("transition sends a request but none was built", "transition", t.String())
		} else {
			acts = append(acts, sa.request(now, *res.req)...)
		}
	}
	acts = append(acts, res.extra...)
	acts = append(acts, sa.setState(now, t)...)
	if sa.state == model.Established {
		var del []*childSA
		for _, c := range res.after {
			if sa.hasChild(c) && c.state != model.ChildDeleting {
				del = append(del, c)
			}
		}
		if len(del) > 0 {
			acts = append(acts, sa.deleteChildren(now, del)...)
		}
		if res.recreate != nil {
			acts = append(acts, sa.startCreate(now, &createCtx{cfg: res.recreate})...)
		}
	}
	return append(acts, sa.pump(now)...)
}

// setState moves the SA to t.To and arranges t.Timer.
func (sa *ikeSA) setState(now time.Time, t model.Transition) []Action {
	e := sa.e
	from := sa.state
	sa.state = t.To
	if from != t.To {
		e.log.Debug("state change", "ike", sa.String(), "from", from.String(), "to", t.To.String())
	}
	if from == model.InitDone && t.To != model.InitDone {
		e.halfOpen--
		delete(e.initReqs, initKey{sa.spiI, sa.remote.Addr()})
	}
	var acts []Action
	switch t.To {
	case model.InitDone:
		if !sa.registered {
			e.register(sa)
			e.halfOpen++
			e.initReqs[initKey{sa.spiI, sa.remote.Addr()}] = sa
		}
	case model.Established:
		if from != model.Established {
			sa.established = now
			sa.armIKE(now)
			e.log.Info("IKE SA established", "ike", sa.String(), "local_id", sa.localID.String(),
				"remote_id", sa.remoteID.String(), "suite", sa.suite.String())
		}
	case model.Rekeyed:
		if from != model.Rekeyed {
			// Replaced: no more rekeys; removed if its Delete never comes.
			sa.rekeyAt, sa.expireAt = time.Time{}, now.Add(rekeyedIKETimeout)
		}
	case model.Deleted:
		return append(acts, e.remove(sa, t.Rationale)...)
	}
	sa.halfOpenAt, sa.livenessAt = time.Time{}, time.Time{}
	switch t.Timer {
	case model.HalfOpen:
		sa.halfOpenAt = now.Add(e.cfg.HalfOpenTimeout)
	case model.Liveness, model.Retransmit:
		if sa.conn != nil && sa.conn.DPDDelay > 0 && sa.state == model.Established {
			sa.livenessAt = now.Add(sa.conn.DPDDelay)
		}
	}
	if sa.natLocal && sa.natt && sa.keepaliveAt.IsZero() && sa.state == model.Established {
		sa.keepaliveAt = now.Add(e.cfg.NATKeepalive)
	}
	e.schedule(sa)
	return acts
}

// register makes the SA reachable by its SPI.
func (e *Engine) register(sa *ikeSA) {
	e.sas[sa.mySPI()] = sa
	sa.registered = true
}

// remove forgets the SA and its Child SAs.
func (e *Engine) remove(sa *ikeSA, reason string) []Action {
	var acts []Action
	if n := sa.liveSuccessor(); n != nil && len(sa.children) > 0 {
		// RFC 7296 section 2.8.2: the peer deleted the old IKE SA before
		// our rekey completed; its new IKE SA inherits the Child SAs.
		sa.handOver(n)
	}
	info := sa.info()
	for _, c := range sa.children {
		delete(e.childIn, c.spiIn)
		acts = append(acts, ChildDown{IKE: info, Child: c.info(sa)})
	}
	sa.children = nil
	if sa.registered {
		delete(e.sas, sa.mySPI())
		sa.registered = false
	}
	// SPIs reserved by CREATE_CHILD_SA requests that will never complete.
	for _, c := range sa.pendingCreates() {
		if e.childIn[c.spiIn] == reservedChild {
			delete(e.childIn, c.spiIn)
		}
	}
	sa.out, sa.queue = nil, nil
	sa.releaseVIP()
	sa.timerGen++ // stale heap entries are skipped
	e.log.Info("IKE SA deleted", "ike", sa.String(), "reason", reason)
	return append(acts, IKEDown{IKE: info, Reason: reason})
}

// newSPI picks a random, unused, non-zero IKE SPI (RFC7296-2.6-1: SPIs are
// unique identifiers; RFC7296-3.1-2: never zero).
func (e *Engine) newSPI() (uint64, error) {
	var b [8]byte
	for range 16 {
		if _, err := io.ReadFull(e.rand, b[:]); err != nil {
			return 0, fmt.Errorf("ike: random SPI: %w", err)
		}
		if s := binary.BigEndian.Uint64(b[:]); s != 0 && e.sas[s] == nil {
			return s, nil
		}
	}
	return 0, errors.New("ike: no unused SPI found")
}

// newChildSPI picks an unused inbound ESP SPI; values 1-255 are reserved by
// IANA (RFC 4303 section 2.1), 0 is never used.
func (e *Engine) newChildSPI() (uint32, error) {
	var b [4]byte
	for range 16 {
		if _, err := io.ReadFull(e.rand, b[:]); err != nil {
			return 0, fmt.Errorf("ike: random SPI: %w", err)
		}
		if s := binary.BigEndian.Uint32(b[:]); s > 255 && e.childIn[s] == nil {
			return s, nil
		}
	}
	return 0, errors.New("ike: no unused ESP SPI found")
}

func (e *Engine) nonce() ([]byte, error) {
	n := make([]byte, nonceLen)
	if _, err := io.ReadFull(e.rand, n); err != nil {
		return nil, fmt.Errorf("ike: random nonce: %w", err)
	}
	return n, nil
}

// ---- commands ----

func (e *Engine) connection(name string) (*Connection, error) {
	for _, c := range e.cfg.Connections {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("ike: no connection %q", name)
}

// Initiate starts an IKE SA for the connection, with its child (or its first
// child when child is empty).
func (e *Engine) Initiate(now time.Time, conn, child string) ([]Action, error) {
	c, err := e.connection(conn)
	if err != nil {
		return nil, err
	}
	var ch *Child
	for _, x := range c.Children {
		if x.Name == child || child == "" {
			ch = x
			break
		}
	}
	if ch == nil && child != "" {
		return nil, fmt.Errorf("ike: connection %q has no child %q", conn, child)
	}
	for _, sa := range e.sasOf(c) {
		switch sa.state {
		case model.Established:
			if ch == nil {
				return nil, fmt.Errorf("ike: connection %q has IKE SA %s already", conn, sa)
			}
			// RFC 7296 section 1.3.1: another Child SA on the IKE SA.
			return sa.startCreate(now, &createCtx{cfg: ch}), nil
		case model.Rekeyed, model.Deleting, model.Deleted:
			continue
		default:
			return nil, fmt.Errorf("ike: connection %q already has IKE SA %s (%v)", conn, sa, sa.state)
		}
	}
	return e.initiate(now, c, ch)
}

// Terminate deletes the connection's IKE SAs (with their Child SAs).
func (e *Engine) Terminate(now time.Time, conn string) ([]Action, error) {
	c, err := e.connection(conn)
	if err != nil {
		return nil, err
	}
	var acts []Action
	found := false
	for _, sa := range e.sasOf(c) {
		found = true
		acts = append(acts, sa.terminate(now)...)
	}
	if !found {
		return nil, fmt.Errorf("ike: connection %q has no IKE SA", conn)
	}
	return acts, nil
}

// TerminateAll deletes every IKE SA, as a daemon does when it stops: the
// established ones with a Delete (RFC7296-2.4-13), the others at once.
func (e *Engine) TerminateAll(now time.Time) []Action {
	var acts []Action
	for _, sa := range e.sasOrdered() {
		acts = append(acts, sa.terminate(now)...)
	}
	return acts
}

// TerminateChild deletes the named Child SAs of the connection.
func (e *Engine) TerminateChild(now time.Time, conn, child string) ([]Action, error) {
	c, err := e.connection(conn)
	if err != nil {
		return nil, err
	}
	var acts []Action
	found := false
	for _, sa := range e.sasOf(c) {
		var del []*childSA
		for _, ch := range sa.children {
			if ch.cfg != nil && ch.cfg.Name == child && ch.state == model.ChildInstalled {
				del = append(del, ch)
			}
		}
		if len(del) > 0 {
			found = true
			acts = append(acts, sa.deleteChildren(now, del)...)
		}
	}
	if !found {
		return nil, fmt.Errorf("ike: connection %q has no installed Child SA %q", conn, child)
	}
	return acts, nil
}

// sasOf lists the connection's IKE SAs in a stable order.
func (e *Engine) sasOf(c *Connection) []*ikeSA {
	var out []*ikeSA
	for _, sa := range e.sas {
		if sa.conn == c {
			out = append(out, sa)
		}
	}
	sortSAs(out)
	return out
}

// sasOrdered lists the registered IKE SAs, oldest first.
func (e *Engine) sasOrdered() []*ikeSA {
	all := make([]*ikeSA, 0, len(e.sas))
	for _, sa := range e.sas {
		all = append(all, sa)
	}
	sortSAs(all)
	return all
}

// SAs lists the IKE SAs and their Child SAs, oldest first.
func (e *Engine) SAs() []SAInfo {
	all := e.sasOrdered()
	out := make([]SAInfo, 0, len(all))
	for _, sa := range all {
		out = append(out, sa.info())
	}
	return out
}

func sortSAs(s []*ikeSA) {
	slices.SortFunc(s, func(a, b *ikeSA) int { return cmp.Compare(a.id, b.id) })
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.HalfOpen = e.halfOpen
	return s
}

// ---- timers ----

type timerEntry struct {
	at  time.Time
	sa  *ikeSA
	gen uint64
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// deadline is the SA's earliest timer.
func (sa *ikeSA) deadline() time.Time {
	var d time.Time
	for _, t := range []time.Time{sa.halfOpenAt, sa.livenessAt, sa.keepaliveAt, sa.lifetimeDeadline()} {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if sa.out != nil && (d.IsZero() || sa.out.next.Before(d)) {
		d = sa.out.next
	}
	return d
}

// schedule (re)arms the SA's entry in the timer heap.
func (e *Engine) schedule(sa *ikeSA) {
	sa.timerGen++
	if d := sa.deadline(); !d.IsZero() && (sa.registered || sa.state == model.InitSent) {
		heap.Push(&e.timers, timerEntry{at: d, sa: sa, gen: sa.timerGen})
	}
}

// NextTimeout is when Tick must next be called; false when no timer runs.
// Datagrams held back by a delay impairment (impair.go) count as timers.
func (e *Engine) NextTimeout() (time.Time, bool) {
	at, ok := e.nextDelayed()
	for e.timers.Len() > 0 {
		t := e.timers[0]
		if t.gen == t.sa.timerGen {
			if !ok || t.at.Before(at) {
				at, ok = t.at, true
			}
			break
		}
		heap.Pop(&e.timers)
	}
	return at, ok
}

// Tick runs every timer due at now: retransmissions, liveness checks,
// half-open expiry and NAT keepalives.
func (e *Engine) Tick(now time.Time) []Action {
	acts := e.releaseDelayed(now)
	for e.timers.Len() > 0 && !e.timers[0].at.After(now) {
		t := heap.Pop(&e.timers).(timerEntry)
		if t.gen != t.sa.timerGen {
			continue
		}
		acts = append(acts, t.sa.onTimer(now)...)
	}
	return acts
}

func (sa *ikeSA) onTimer(now time.Time) []Action {
	e := sa.e
	var acts []Action
	if !sa.halfOpenAt.IsZero() && !now.Before(sa.halfOpenAt) {
		return sa.giveUp(now, "half-open IKE SA timed out")
	}
	if sa.state == model.Rekeyed && !sa.expireAt.IsZero() && !now.Before(sa.expireAt) {
		return sa.giveUp(now, "the replaced IKE SA was never deleted by the peer")
	}
	if sa.state == model.Established {
		acts = append(acts, sa.lifetimes(now)...)
		if !sa.registered || sa.state != model.Established {
			return acts
		}
	}
	if o := sa.out; o != nil && !now.Before(o.next) {
		// RFC7296-2.4-8: retransmission intervals grow exponentially; the
		// peer is given up after the configured number of tries.
		if o.tries >= e.cfg.RetransmitTries {
			return sa.giveUp(now, fmt.Sprintf("no response to %v request %d after %d retransmissions", o.exchange, o.id, o.tries))
		}
		o.tries++
		o.interval = time.Duration(float64(o.interval) * e.cfg.RetransmitBase)
		o.next = now.Add(o.interval)
		e.stats.Retransmits++
		e.log.Info(fmt.Sprintf("retransmit %d of request with message ID %d", o.tries, o.id), "ike", sa.String())
		acts = append(acts, sa.impairSend(now, sa.header(o.exchange, o.id, false), sa.sendOut(o.data, o.frags), true)...)
	}
	if !sa.livenessAt.IsZero() && !now.Before(sa.livenessAt) {
		sa.livenessAt = time.Time{}
		if sa.out == nil && sa.state == model.Established {
			if now.Sub(sa.lastRecv) >= sa.conn.DPDDelay {
				res := result{outcome: model.OK, req: &queuedReq{exchange: wire.INFORMATIONAL, kind: model.TimerLiveness}}
				acts = append(acts, sa.apply(now, model.INFORMATIONAL, model.TimerLiveness, res, nil)...)
				return acts
			}
			sa.livenessAt = sa.lastRecv.Add(sa.conn.DPDDelay)
		}
	}
	if !sa.keepaliveAt.IsZero() && !now.Before(sa.keepaliveAt) {
		// RFC 3948 section 2.3: a NAT keepalive is one octet 0xFF.
		acts = append(acts, Send{Local: sa.local, Remote: sa.remote, Data: []byte{0xff}})
		sa.keepaliveAt = now.Add(e.cfg.NATKeepalive)
	}
	e.schedule(sa)
	return acts
}

// giveUp ends the SA through the table's TimerGiveUp row.
func (sa *ikeSA) giveUp(now time.Time, why string) []Action {
	t, ok := model.Lookup(sa.state, sa.role, 0, model.TimerGiveUp, model.OK)
	if !ok {
		sa.e.log.Error("no give-up transition", "ike", sa.String(), "state", sa.state.String())
		return nil
	}
	sa.e.log.Info("giving up: "+why, "ike", sa.String())
	t.Rationale = why
	return sa.setState(now, t)
}
