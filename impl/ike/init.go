package ike

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The IKE_SA_INIT exchange (RFC 7296 sections 1.2, 2.6, 2.7, 2.23), in three
// concerns: the init task (SA, KE, Ni/Nr, keys), cookies (2.6) and NAT
// detection (2.23).

const (
	portIKE  = 500
	portNATT = 4500
)

// protoError is an error that the peer is told about with a Notify. It is
// turned into a payload in exactly one place (refuse).
type protoError struct {
	notify  wire.NotifyType
	data    []byte
	outcome model.Outcome
	reason  string
}

func (p *protoError) Error() string { return "ike: " + p.reason + " (" + p.notify.String() + ")" }

func errNotify(t wire.NotifyType, out model.Outcome, format string, args ...any) *protoError {
	return &protoError{notify: t, outcome: out, reason: fmt.Sprintf(format, args...)}
}

// refuse turns a protoError into the result that answers with its Notify.
func refuse(err error) result {
	var p *protoError
	if !errors.As(err, &p) {
		p = errNotify(wire.INVALID_SYNTAX, model.Refused, "%v", err)
	}
	return result{outcome: p.outcome, reason: p.reason,
		resp: []wire.Payload{&wire.Notify{Type: p.notify, Data: p.data}}}
}

// checkRequest applies the rules every request is held to before its
// exchange looks at it: it must decode (RFC7296-2.21.2-3: a malformed
// message gets INVALID_SYNTAX), and no payload of a type we do not know may
// be critical (RFC7296-2.5-8: UNSUPPORTED_CRITICAL_PAYLOAD, naming it).
func checkRequest(in *inMsg) error {
	if in.err != nil {
		return errNotify(wire.INVALID_SYNTAX, model.Refused, "malformed %v request: %v", in.h.Exchange, in.err)
	}
	if u := unknownCritical(in.payloads); u != nil {
		e := errNotify(wire.UNSUPPORTED_CRITICAL_PAYLOAD, model.Refused, "unsupported critical payload %v", u.Kind)
		e.data = []byte{byte(u.Kind)}
		return e
	}
	return nil
}

// unknownCritical returns the first payload of a type we do not know whose
// critical bit is set (RFC7296-2.5-8, RFC7296-4-3), or nil.
func unknownCritical(ps []wire.Payload) *wire.Unknown {
	for _, p := range ps {
		if u, ok := p.(*wire.Unknown); ok && u.Critical {
			return u
		}
	}
	return nil
}

// one returns the only payload of type T, or an INVALID_SYNTAX error.
func one[T wire.Payload](ps []wire.Payload, name string) (T, error) {
	var zero, found T
	n := 0
	for _, p := range ps {
		if q, ok := p.(T); ok {
			found = q
			n++
		}
	}
	if n != 1 {
		return zero, errNotify(wire.INVALID_SYNTAX, model.Refused, "%d %s payloads, want 1", n, name)
	}
	return found, nil
}

func singleAddr(ps []netip.Prefix) (netip.Addr, bool) {
	if len(ps) == 0 || !ps[0].IsSingleIP() {
		return netip.Addr{}, false
	}
	return ps[0].Addr(), true
}

func portOr(p, def uint16) uint16 {
	if p == 0 {
		return def
	}
	return p
}

// initiate creates an initiator IKE SA and sends IKE_SA_INIT.
func (e *Engine) initiate(now time.Time, c *Connection, ch *Child) ([]Action, error) {
	ra, ok := singleAddr(c.RemoteAddrs)
	if !ok {
		return nil, fmt.Errorf("ike: connection %q: remote_addrs: initiating needs one remote address first", c.Name)
	}
	la, ok := singleAddr(c.LocalAddrs)
	if !ok {
		return nil, fmt.Errorf("ike: connection %q: local_addrs: initiating needs one local address first (the NAT detection hashes name it)", c.Name)
	}
	spi, err := e.newSPI()
	if err != nil {
		return nil, err
	}
	ni, err := e.nonce()
	if err != nil {
		return nil, err
	}
	e.nextID++
	sa := &ikeSA{e: e, id: e.nextID, conn: c, role: model.Initiator, state: model.Idle, spiI: spi,
		local:  netip.AddrPortFrom(la, portOr(c.LocalPort, e.ikePort())),
		remote: netip.AddrPortFrom(ra, portOr(c.RemotePort, portIKE)),
		ni:     ni, pendingChild: ch, keGroup: c.Proposals[0].KE[0], localID: c.Local.ID}
	if sa.localID.IsZero() {
		sa.localID = addrIdentity(la)
	}
	req, err := sa.initRequest()
	if err != nil {
		return nil, err
	}
	e.register(sa)
	e.log.Info("initiating IKE SA", "ike", sa.String(), "remote", sa.remote.String())
	return sa.apply(now, model.IKE_SA_INIT, model.CmdInitiate, result{outcome: model.OK, req: req}, nil), nil
}

func (e *Engine) ikePort() uint16  { return portOr(e.cfg.IKEPort, portIKE) }
func (e *Engine) nattPort() uint16 { return portOr(e.cfg.NATTPort, portNATT) }

// initRequest builds IKE_SA_INIT: [N(COOKIE)] SA KE Ni N(NATD_S) N(NATD_D),
// with a fresh private value for the current group.
func (sa *ikeSA) initRequest() (*queuedReq, error) {
	ke, err := crypto.LookupKE(sa.keGroup)
	if err != nil {
		return nil, err
	}
	st, pub, err := ke.Start(sa.e.rand)
	if err != nil {
		return nil, err
	}
	sa.keState = st
	var ps []wire.Payload
	if sa.cookie != nil {
		// RFC7296-2.6-4: the cookie goes first, the rest unchanged.
		ps = append(ps, &wire.Notify{Type: wire.COOKIE, Data: sa.cookie})
	}
	// RFC7296-1.2-5: the full set of proposals, also after INVALID_KE.
	ps = append(ps,
		&wire.SA{Proposals: offer(sa.conn.Proposals, wire.ProtoIKE, nil, true)},
		&wire.KE{Group: sa.keGroup, Data: pub},
		&wire.Nonce{Data: sa.ni})
	ps = append(ps, natdPayloads(sa.spiI, 0, sa.local, sa.remote)...)
	ps = append(ps, sa.fragNotify(nil)...) // RFC 7383 section 2.3 (frag.go)
	// N(SIGNATURE_HASH_ALGORITHMS), RFC 7427 section 4 (pubkey.go).
	ps = append(ps, sa.initPubkeyPayloads()...)
	return &queuedReq{exchange: wire.IKE_SA_INIT, kind: model.CmdInitiate, payloads: ps}, nil
}

// candidates lists the connections whose addresses admit an IKE SA between
// local and remote.
func (e *Engine) candidates(local, remote netip.Addr) []*Connection {
	in := func(ps []netip.Prefix, a netip.Addr) bool {
		if len(ps) == 0 {
			return true
		}
		for _, p := range ps {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	var out []*Connection
	for _, c := range e.cfg.Connections {
		if in(c.LocalAddrs, local) && in(c.RemoteAddrs, remote) {
			out = append(out, c)
		}
	}
	return out
}

// respondInit handles an IKE_SA_INIT request that starts a new IKE SA. The
// SA exists only if the table's transition leads to InitDone; every refusal
// (cookie, INVALID_KE, NO_PROPOSAL_CHOSEN) keeps no state.
func (e *Engine) respondInit(now time.Time, d Datagram, h wire.Header) []Action {
	m, err := wire.Decode(d.Data)
	in := &inMsg{h: h, err: err, d: d}
	if m != nil {
		in.payloads = m.Payloads
	}
	e.nextID++
	sa := &ikeSA{e: e, id: e.nextID, role: model.Responder, state: model.Idle, spiI: h.SPIi,
		local: d.Local, remote: d.Remote, natt: d.NonESPMarker}
	if err == nil {
		sa.logMessage("parsed", h, in.payloads)
	}
	res := sa.processInitRequest(now, in)
	// RFC7296-2.4-7: limit the rate of error answers to unauthenticated
	// input. COOKIE and INVALID_KE_PAYLOAD are the protocol's own stateless
	// steps (sections 2.6 and 1.2) and are always answered: rate-limiting
	// cookies would turn the DoS defence into a denial of service.
	if res.outcome == model.Refused && !e.allowUnauth(now) {
		return e.drop("IKE_SA_INIT refusal over the rate limit", d, nil)
	}
	return sa.apply(now, model.IKE_SA_INIT, model.RecvRequest, res, in)
}

func (sa *ikeSA) processInitRequest(now time.Time, in *inMsg) result {
	e := sa.e
	if err := checkRequest(in); err != nil {
		return refuse(err)
	}
	ps := in.payloads
	nonce, err := one[*wire.Nonce](ps, "Nonce")
	if err != nil {
		return refuse(err)
	}
	// Cookies (RFC 7296 section 2.6): above the half-open threshold, or
	// when forced, only a request that returns our cookie creates state.
	if e.cfg.ForceCookies || e.halfOpen >= e.cfg.CookieThreshold {
		if e.cookies == nil {
			if e.cookies, err = newCookieBaker(e.rand, e.cfg.CookieSecretLifetime, now); err != nil {
				return refuse(err)
			}
		}
		if err := e.cookies.rotate(now); err != nil {
			return refuse(err)
		}
		n, ok := wire.FindNotify(ps, wire.COOKIE)
		// RFC7296-2.6-6: a cookie that does not match is ignored, as if
		// none had been sent: a new cookie is the answer.
		if !ok || !e.cookies.check(n.Data, nonce.Data, in.d.Remote.Addr(), in.h.SPIi) {
			e.stats.CookiesSent++
			return result{outcome: model.Cookie, reason: "asking for a cookie (RFC 7296 section 2.6)",
				resp: []wire.Payload{&wire.Notify{Type: wire.COOKIE,
					Data: e.cookies.make(nonce.Data, in.d.Remote.Addr(), in.h.SPIi)}}}
		}
	}
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return refuse(err)
	}
	keP, err := one[*wire.KE](ps, "KE")
	if err != nil {
		return refuse(err)
	}
	// Choose a connection by addresses and proposals (RFC 7296 section 2.7).
	var why []string
	for _, c := range e.candidates(in.d.Local.Addr(), in.d.Remote.Addr()) {
		s, err := selectProposal(c.Proposals, saP.Proposals, wire.ProtoIKE, propIKE, keP.Group)
		if err != nil {
			why = append(why, c.Name+": "+err.Error())
			continue
		}
		sa.conn, sa.suite = c, s
		break
	}
	if sa.conn == nil {
		if len(why) == 0 {
			why = append(why, fmt.Sprintf("no connection for %v - %v", in.d.Local.Addr(), in.d.Remote.Addr()))
		}
		return refuse(errNotify(wire.NO_PROPOSAL_CHOSEN, model.Refused, "%v", why))
	}
	// RFC 7296 section 1.2: the KE payload must be of the chosen group, or
	// the initiator is told which group to use.
	if keP.Group != sa.suite.KE {
		p := errNotify(wire.INVALID_KE_PAYLOAD, model.InvalidKE, "KE payload of group %v, %v chosen", keP.Group, sa.suite.KE)
		p.data = binary.BigEndian.AppendUint16(nil, uint16(sa.suite.KE))
		return refuse(p)
	}
	ke, err := crypto.LookupKE(sa.suite.KE)
	if err != nil {
		return refuse(err)
	}
	pub, shared, err := ke.Respond(e.rand, keP.Data)
	if err != nil {
		// RFC6989-2.5-1/2: no SA from an invalid KE payload; INVALID_SYNTAX.
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "invalid KE payload: %v", err))
	}
	if sa.spiR, err = e.newSPI(); err != nil {
		return refuse(err)
	}
	if sa.nr, err = e.nonce(); err != nil {
		return refuse(err)
	}
	sa.ni = nonce.Data
	sa.initReq = slices.Clone(in.d.Data) // RealMessage1 (RFC 7296 section 2.15)
	if err := sa.deriveKeys(shared); err != nil {
		return refuse(err)
	}
	// RFC 7296 section 2.23: the request's hashes were made with SPIr = 0.
	supported, natRemote, natLocal := natd(ps, sa.spiI, 0, in.d.Local, in.d.Remote)
	sa.natRemote, sa.natLocal = natRemote, natLocal
	if natRemote || natLocal {
		e.log.Info("NAT detected", "ike", sa.String(), "peer_behind_nat", natRemote, "local_behind_nat", natLocal)
	}
	resp := []wire.Payload{
		&wire.SA{Proposals: []wire.Proposal{sa.suite.answer(wire.ProtoIKE, nil)}},
		&wire.KE{Group: sa.suite.KE, Data: pub},
		&wire.Nonce{Data: sa.nr},
	}
	if supported {
		resp = append(resp, natdPayloads(sa.spiI, sa.spiR, in.d.Local, in.d.Remote)...)
	}
	resp = append(resp, sa.fragNotify(ps)...) // RFC 7383 section 2.3 (frag.go)
	// CERTREQ, N(SIGNATURE_HASH_ALGORITHMS), RFC 7427 section 4 (pubkey.go).
	resp = append(resp, sa.initPubkeyPayloads()...)
	return result{outcome: model.OK, resp: resp, extra: []Action{sa.keysAction()}}
}

// deriveKeys computes SKEYSEED and the seven keys (RFC 7296 section 2.14)
// and the SK contexts of both directions.
func (sa *ikeSA) deriveKeys(shared []byte) error {
	cs, err := sa.suite.ikeSuite()
	if err != nil {
		return err
	}
	seed, err := crypto.SKEYSEED(cs.PRF, sa.ni, sa.nr, shared)
	if err != nil {
		return err
	}
	keys, err := cs.IKEKeys(seed, sa.ni, sa.nr, sa.spiI, sa.spiR)
	if err != nil {
		return err
	}
	skI, err := crypto.NewSK(cs, keys.Ei, keys.Ai)
	if err != nil {
		return err
	}
	skR, err := crypto.NewSK(cs, keys.Er, keys.Ar)
	if err != nil {
		return err
	}
	sa.cs, sa.keys = cs, keys
	if sa.role == model.Initiator {
		sa.skOut, sa.skIn = skI, skR
	} else {
		sa.skOut, sa.skIn = skR, skI
	}
	return nil
}

// keysAction reports the keys for a Wireshark key table.
func (sa *ikeSA) keysAction() IKEKeys {
	integ := sa.suite.Integ
	if !sa.suite.hasInteg {
		integ = wire.AUTH_NONE
	}
	return IKEKeys{SPIi: sa.spiI, SPIr: sa.spiR, Encr: sa.suite.Encr, Integ: integ,
		EncI: sa.keys.Ei, EncR: sa.keys.Er, IntI: sa.keys.Ai, IntR: sa.keys.Ar}
}

// processInitResponse is the initiator's side of IKE_SA_INIT.
func (sa *ikeSA) processInitResponse(now time.Time, in *inMsg) result {
	e := sa.e
	ps := in.payloads
	if n, ok := wire.FindNotify(ps, wire.COOKIE); ok {
		// RFC7296-2.6-4: retry with the cookie first.
		if sa.cookieTry >= maxCookieRetries || len(n.Data) < 1 || len(n.Data) > 64 {
			return result{outcome: model.Refused, reason: "giving up after repeated or invalid COOKIE responses"}
		}
		sa.cookieTry++
		sa.cookie = n.Data
		req, err := sa.initRequest()
		if err != nil {
			return result{outcome: model.Refused, reason: err.Error()}
		}
		return result{outcome: model.Cookie, req: req, reason: "received COOKIE, retrying with it"}
	}
	if n, ok := wire.FindNotify(ps, wire.INVALID_KE_PAYLOAD); ok {
		if len(n.Data) != 2 || sa.keTry >= maxInvalidKERetries {
			return result{outcome: model.Refused, reason: "invalid or repeated INVALID_KE_PAYLOAD"}
		}
		g := wire.KEID(binary.BigEndian.Uint16(n.Data))
		acceptable := false
		for _, p := range sa.conn.Proposals {
			acceptable = acceptable || contains(p.KE, g)
		}
		if !acceptable || g == sa.keGroup {
			return result{outcome: model.Refused, reason: fmt.Sprintf("INVALID_KE_PAYLOAD asks for %v, which we did not propose", g)}
		}
		sa.keTry++
		sa.keGroup = g
		req, err := sa.initRequest()
		if err != nil {
			return result{outcome: model.Refused, reason: err.Error()}
		}
		return result{outcome: model.InvalidKE, req: req, reason: fmt.Sprintf("received INVALID_KE_PAYLOAD, retrying with %v", g)}
	}
	for _, p := range ps {
		if n, ok := p.(*wire.Notify); ok && n.Type.IsError() {
			// RFC7296-3.10.1-1: an error in a response fails the request.
			return result{outcome: model.Refused, reason: "received " + n.Type.String()}
		}
	}
	fail := func(format string, args ...any) result {
		return result{outcome: model.Refused, reason: fmt.Sprintf(format, args...)}
	}
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return fail("IKE_SA_INIT response: %v", err)
	}
	keP, err := one[*wire.KE](ps, "KE")
	if err != nil {
		return fail("IKE_SA_INIT response: %v", err)
	}
	nonce, err := one[*wire.Nonce](ps, "Nonce")
	if err != nil {
		return fail("IKE_SA_INIT response: %v", err)
	}
	if in.h.SPIr == 0 {
		return fail("IKE_SA_INIT response without a responder SPI")
	}
	s, err := checkAnswer(saP, sa.conn.Proposals, wire.ProtoIKE, propIKE)
	if err != nil {
		return fail("%v", err)
	}
	if s.KE != sa.keGroup || keP.Group != sa.keGroup {
		return fail("the response chose group %v with a KE payload of %v, we sent %v", s.KE, keP.Group, sa.keGroup)
	}
	shared, err := sa.keState.Finish(keP.Data)
	if err != nil {
		return fail("invalid KE payload in the response: %v", err)
	}
	sa.keState = nil
	sa.suite, sa.spiR, sa.nr, sa.initResp = s, in.h.SPIr, nonce.Data, slices.Clone(in.d.Data)
	if err := sa.deriveKeys(shared); err != nil {
		return fail("%v", err)
	}
	supported, natRemote, natLocal := natd(ps, sa.spiI, sa.spiR, in.d.Local, in.d.Remote)
	sa.natRemote, sa.natLocal = natRemote, natLocal
	// RFC7296-2.23-2, RFC7296-2.23-12: with a NAT on the path, everything
	// moves to port 4500, IKE behind the non-ESP marker.
	if supported && (natRemote || natLocal) {
		e.log.Info("NAT detected, moving to the NAT-T port", "ike", sa.String(),
			"peer_behind_nat", natRemote, "local_behind_nat", natLocal)
		sa.natt = true
		sa.local = netip.AddrPortFrom(sa.local.Addr(), e.nattPort())
		if sa.remote.Port() == portIKE {
			sa.remote = netip.AddrPortFrom(sa.remote.Addr(), portNATT)
		}
	}
	req, err := sa.authRequest()
	if err != nil {
		return fail("%v", err)
	}
	return result{outcome: model.OK, req: req, extra: []Action{sa.keysAction()}}
}
