package ike

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The CREATE_CHILD_SA exchange (RFC 7296 sections 1.3, 2.8, 2.17, 2.18,
// 2.25): another Child SA, the rekey of a Child SA (N(REKEY_SA)), the rekey
// of the IKE SA (an IKE proposal), each with an optional key exchange, and
// the collisions of two such exchanges.
//
// A Child SA moves through the model's Child SA table (model.ChildTable)
// by ikeSA.childTo: INSTALLED; REKEYING while our rekey of it is
// outstanding; REKEYED once a new pair replaced it and it waits for its
// Delete; DELETING while our Delete of it is outstanding.

// Timing of the retries (RFC7296-2.25-2: after TEMPORARY_FAILURE, "wait so
// that the sender may complete whatever operation caused the temporary
// condition") and of a replaced IKE SA whose Delete never comes.
const (
	tempFailureRetry   = 10 * time.Second // plus up to as much again, random
	rekeyedIKETimeout  = 60 * time.Second
	maxCreateKERetries = 3
)

// createCtx is our CREATE_CHILD_SA request in flight: what the response
// completes.
type createCtx struct {
	cfg     *Child   // the Child SA's configuration (child create and rekey)
	old     *childSA // the Child SA being rekeyed (rekey)
	ike     bool     // an IKE SA rekey
	spiIn   uint32   // our new inbound ESP SPI (child)
	spiIKE  uint64   // our new IKE SPI (IKE rekey)
	ni      []byte
	keGroup wire.KEID // KE_NONE: no key exchange
	keState crypto.KEState
	keTry   int
}

func (c *createCtx) what() string {
	switch {
	case c.ike:
		return "IKE SA rekey"
	case c.old != nil:
		return fmt.Sprintf("rekey of Child SA %s{%d}", c.cfg.Name, c.old.id)
	}
	return fmt.Sprintf("Child SA %s", c.cfg.Name)
}

// lowestNonce reports whether the lowest of the four nonces of two
// colliding exchanges is one of ours (RFC7296-2.8.1-3: "an octet-by-octet
// comparison"; a nonce that ends first is the lower).
func lowestNonce(ours, theirs [2][]byte) bool {
	lo := func(a, b []byte) []byte {
		if bytes.Compare(a, b) <= 0 {
			return a
		}
		return b
	}
	return bytes.Compare(lo(ours[0], ours[1]), lo(theirs[0], theirs[1])) < 0
}

// jitter is a random duration in [0, d).
func (e *Engine) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	var b [8]byte
	if _, err := e.rand.Read(b[:]); err != nil {
		return 0
	}
	return time.Duration(binary.BigEndian.Uint64(b[:]) % uint64(d))
}

// ---- starting an exchange ----

// startKE begins the key exchange of a CREATE_CHILD_SA request, if any.
func (sa *ikeSA) startKE(c *createCtx) ([]wire.Payload, error) {
	if c.keGroup == wire.KE_NONE {
		return nil, nil
	}
	k, err := crypto.LookupKE(c.keGroup)
	if err != nil {
		return nil, err
	}
	st, pub, err := k.Start(sa.e.rand)
	if err != nil {
		return nil, err
	}
	c.keState = st
	return []wire.Payload{&wire.KE{Group: c.keGroup, Data: pub}}, nil
}

// firstKE is the group of the KE payload sent with an offer: the first
// one of the first proposal that has one (or none).
func firstKE(ps []Proposal) wire.KEID {
	for _, p := range ps {
		for _, k := range p.KE {
			return k
		}
	}
	return wire.KE_NONE
}

// createRequest builds the CREATE_CHILD_SA request of c (RFC 7296 section
// 1.3): for a Child SA [N(REKEY_SA)] [N(USE_TRANSPORT_MODE)] SA Ni [KEi]
// TSi TSr, for the IKE SA SA Ni KEi.
func (sa *ikeSA) createRequest(c *createCtx) (*queuedReq, error) {
	e := sa.e
	var err error
	if c.ni, err = e.nonce(); err != nil {
		return nil, err
	}
	kind := model.CmdChildCreate
	var ps []wire.Payload
	if c.ike {
		kind = model.RekeyIKE
		if c.spiIKE == 0 {
			if c.spiIKE, err = e.newSPI(); err != nil {
				return nil, err
			}
		}
		spi := binary.BigEndian.AppendUint64(nil, c.spiIKE)
		ps = append(ps, &wire.SA{Proposals: offer(sa.conn.Proposals, wire.ProtoIKE, spi, true)}, &wire.Nonce{Data: c.ni})
		if c.keGroup == wire.KE_NONE {
			c.keGroup = sa.suite.KE // RFC 7296 section 1.3.2: KEi is required
		}
		kes, err := sa.startKE(c)
		if err != nil {
			return nil, err
		}
		ps = append(ps, kes...)
		return &queuedReq{exchange: wire.CREATE_CHILD_SA, kind: kind, payloads: ps, create: c}, nil
	}
	if c.spiIn == 0 {
		if c.spiIn, err = e.newChildSPI(); err != nil {
			return nil, err
		}
		e.childIn[c.spiIn] = reservedChild // the SPI is ours from now on
	}
	local, remote := resolve(c.cfg.LocalTS, sa.localDyn()), resolve(c.cfg.RemoteTS, sa.remoteDyn())
	if c.old != nil {
		kind = model.RekeyChild
		// RFC 7296 section 1.3.3: N(REKEY_SA) names the SA being rekeyed by
		// the SPI we receive on (as a Delete would); the new SA keeps its
		// selectors (RFC7296-2.8-5).
		ps = append(ps, &wire.Notify{Protocol: wire.ProtoESP, Type: wire.REKEY_SA, SPI: spiBytes(c.old.spiIn)})
		local, remote = c.old.localTS, c.old.remoteTS
		if c.old.mode == Transport {
			ps = append(ps, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
		}
	} else if c.cfg.Mode == Transport {
		ps = append(ps, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
	}
	ps = append(ps, &wire.SA{Proposals: offer(c.cfg.ESPProposals, wire.ProtoESP, spiBytes(c.spiIn), true)},
		&wire.Nonce{Data: c.ni})
	kes, err := sa.startKE(c)
	if err != nil {
		return nil, err
	}
	ps = append(ps, kes...)
	ps = append(ps, &wire.TS{Selectors: toWire(local)}, &wire.TS{Responder: true, Selectors: toWire(remote)})
	return &queuedReq{exchange: wire.CREATE_CHILD_SA, kind: kind, payloads: ps, create: c}, nil
}

// reservedChild holds an inbound SPI we offered until its Child SA exists.
var reservedChild = &childSA{state: model.ChildNone}

// pendingCreates lists our CREATE_CHILD_SA requests in flight or queued.
func (sa *ikeSA) pendingCreates() []*createCtx {
	var out []*createCtx
	if sa.out != nil && sa.out.create != nil {
		out = append(out, sa.out.create)
	}
	for _, q := range sa.queue {
		if q.create != nil {
			out = append(out, q.create)
		}
	}
	return out
}

// startCreate sends (or queues) a CREATE_CHILD_SA request.
func (sa *ikeSA) startCreate(now time.Time, c *createCtx) []Action {
	if c.keGroup == wire.KE_NONE && !c.ike {
		c.keGroup = firstKE(c.cfg.ESPProposals)
	}
	req, err := sa.createRequest(c)
	if err != nil {
		sa.e.log.Error("cannot build the CREATE_CHILD_SA request", "ike", sa.String(), "what", c.what(), "error", err)
		return nil
	}
	if c.old != nil {
		sa.childTo(c.old, model.ChildRekeyStart)
	}
	if c.ike {
		sa.rekeying = c
	}
	return sa.apply(now, model.CREATE_CHILD_SA, req.kind, result{outcome: model.OK, req: req}, nil)
}

// rekeyChild starts the rekey of an installed Child SA.
func (sa *ikeSA) rekeyChild(now time.Time, c *childSA) []Action {
	if c.state != model.ChildInstalled || sa.state != model.Established {
		return nil
	}
	if c.outboundLater {
		// We answered the rekey that made this pair and the initiator may
		// not have it yet (RFC 7296 section 2.8): a rekey of it now could
		// overtake the response. Its Delete of the old pair comes first.
		c.rekeyAt = now.Add(time.Second + sa.e.jitter(time.Second))
		return nil
	}
	if sa.rekeying != nil {
		// RFC 7296 section 2.25.2: not while the IKE SA is being rekeyed;
		// the new IKE SA inherits the Child SA and its timers.
		c.rekeyAt = now.Add(tempFailureRetry + sa.e.jitter(tempFailureRetry))
		return nil
	}
	sa.e.log.Info("rekeying Child SA", "ike", sa.String(), "child", c.cfg.Name, "id", c.id,
		"spi_in", fmt.Sprintf("%08x", c.spiIn), "spi_out", fmt.Sprintf("%08x", c.spiOut))
	return sa.startCreate(now, &createCtx{cfg: c.cfg, old: c, keGroup: c.suite.pfsGroup()})
}

// pfsGroup is the key exchange a rekey of the Child SA uses: the group it
// was negotiated with, if any.
func (s *suite) pfsGroup() wire.KEID {
	if s.hasKE {
		return s.KE
	}
	return wire.KE_NONE
}

// rekeyIKE starts the rekey of the IKE SA.
func (sa *ikeSA) rekeyIKE(now time.Time) []Action {
	if sa.state != model.Established || sa.rekeying != nil {
		return nil
	}
	if sa.childBusy() {
		// RFC 7296 section 2.25.1: not while Child SAs are being created,
		// rekeyed or closed; try again a little later.
		sa.rekeyAt = now.Add(tempFailureRetry + sa.e.jitter(tempFailureRetry))
		sa.e.schedule(sa)
		return nil
	}
	sa.e.log.Info("rekeying IKE SA", "ike", sa.String())
	return sa.startCreate(now, &createCtx{ike: true, keGroup: sa.suite.KE})
}

// childBusy reports whether a Child SA exchange of ours is outstanding or
// queued, or a Child SA is being rekeyed or deleted.
func (sa *ikeSA) childBusy() bool {
	if sa.out != nil && (sa.out.kind == model.CmdChildCreate || sa.out.kind == model.RekeyChild || sa.out.kind == model.CmdChildDelete) {
		return true
	}
	for _, q := range sa.queue {
		if q.kind == model.CmdChildCreate || q.kind == model.RekeyChild || q.kind == model.CmdChildDelete {
			return true
		}
	}
	for _, c := range sa.children {
		if c.state != model.ChildInstalled {
			return true
		}
	}
	return false
}

// ---- the responder ----

// processCreateChild answers a CREATE_CHILD_SA request.
func (sa *ikeSA) processCreateChild(now time.Time, in *inMsg) result {
	e := sa.e
	ps := in.payloads
	if in.err != nil {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "CREATE_CHILD_SA request: %v", in.err))
	}
	tempFail := func(why string) result {
		return result{outcome: model.Refused, resp: []wire.Payload{&wire.Notify{Type: wire.TEMPORARY_FAILURE}},
			reason: "TEMPORARY_FAILURE: " + why}
	}
	if sa.state != model.Established {
		// RFC7296-2.25.2-2: an IKE SA being closed (or replaced).
		return tempFail(fmt.Sprintf("the IKE SA is %v", sa.state))
	}
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "CREATE_CHILD_SA request: %v", err))
	}
	nonce, err := one[*wire.Nonce](ps, "Nonce")
	if err != nil {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "CREATE_CHILD_SA request: %v", err))
	}
	var keP *wire.KE
	if k, ok := wire.Find[*wire.KE](ps); ok {
		keP = k
	}
	isIKE := len(saP.Proposals) > 0 && saP.Proposals[0].Protocol == wire.ProtoIKE
	if isIKE {
		return sa.respondIKERekey(now, saP, nonce.Data, keP)
	}
	if sa.rekeying != nil {
		// RFC7296-2.25.2-5: no Child SA is created or rekeyed while we
		// rekey the IKE SA.
		return tempFail("we are rekeying the IKE SA")
	}
	if o := sa.rekeyOf; o != nil && o.registered && o.rekeying != nil {
		// This IKE SA is the peer's rekey of one whose collision with our
		// own rekey is not settled yet: the Child SAs have not moved.
		return tempFail("the IKE SA rekey collision is not settled yet")
	}
	var old *childSA
	if n, ok := wire.FindNotify(ps, wire.REKEY_SA); ok {
		if len(n.SPI) != 4 || (n.Protocol != wire.ProtoESP && n.Protocol != wire.ProtoAH) {
			return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "REKEY_SA with protocol %v and a %d-octet SPI", n.Protocol, len(n.SPI)))
		}
		// Our Child SAs are all ESP: an AH SPI names none of them, even
		// if an ESP SA has the same number.
		if n.Protocol == wire.ProtoESP {
			old = sa.childByOut(binary.BigEndian.Uint32(n.SPI))
		}
		switch {
		case old == nil:
			// RFC7296-2.25-5, RFC7296-2.25.1-3: the SPI copied from REKEY_SA.
			return result{outcome: model.Refused, resp: []wire.Payload{&wire.Notify{Protocol: n.Protocol, Type: wire.CHILD_SA_NOT_FOUND, SPI: n.SPI}},
				reason: fmt.Sprintf("CHILD_SA_NOT_FOUND: REKEY_SA names SPI %x, which we do not have", n.SPI)}
		case old.state == model.ChildDeleting || old.state == model.ChildRekeyed:
			// RFC7296-2.25.1-1: a Child SA we are closing.
			return tempFail(fmt.Sprintf("Child SA %s{%d} is %s", old.cfg.Name, old.id, old.state))
		}
	}
	out, c, err := sa.answerChild(now, ps, nonce.Data, keP, old)
	if err != nil {
		return refuse(err)
	}
	res := result{outcome: model.OK, resp: out}
	if old != nil {
		// RFC7296-2.8-9, RFC7296-2.8-12: the new inbound SA takes packets
		// now; we keep sending on the old pair until the initiator deletes
		// it (RFC 7296 section 2.8: then it surely has the new one).
		c.outboundLater = true
		switch old.state {
		case model.ChildRekeying:
			// RFC7296-2.25.1-2: both ends rekey it; answer as usual and
			// settle the redundant pair when our exchange completes.
			old.peerRekey, old.peerNonces = c, [2][]byte{c.ni, c.nr}
			e.log.Info("simultaneous Child SA rekey: answered, to be settled by the nonces", "ike", sa.String(), "child", old.cfg.Name, "id", old.id)
		default:
			sa.childTo(old, model.ChildReplaced)
			old.successor = c
		}
	}
	res.extra = append(res.extra, sa.install(now, c))
	return res
}

// answerChild selects the proposal, completes the key exchange, narrows
// the selectors and derives the keys of a Child SA a CREATE_CHILD_SA
// request asks for (old: the Child SA it rekeys).
func (sa *ikeSA) answerChild(now time.Time, ps []wire.Payload, ni []byte, keP *wire.KE, old *childSA) ([]wire.Payload, *childSA, error) {
	e := sa.e
	saP, _ := one[*wire.SA](ps, "SA")
	tsi, tsr := findTS(ps, false), findTS(ps, true)
	if tsi == nil || tsr == nil {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "a CREATE_CHILD_SA request without TSi and TSr")
	}
	if len(ni) < 16 || len(ni) > 256 {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "a nonce of %d octets", len(ni))
	}
	_, wantTransport := wire.FindNotify(ps, wire.USE_TRANSPORT_MODE)
	cfg, ti, tr, err := sa.narrowChild(fromWire(tsi.Selectors), fromWire(tsr.Selectors))
	if err != nil {
		return nil, nil, errNotify(wire.TS_UNACCEPTABLE, model.Refused, "TSi %v / TSr %v: %v",
			tsStrings(fromWire(tsi.Selectors)), tsStrings(fromWire(tsr.Selectors)), err)
	}
	if old != nil {
		cfg = old.cfg
	}
	var hint wire.KEID
	if keP != nil {
		hint = keP.Group
	}
	s, err := selectProposal(cfg.ESPProposals, saP.Proposals, wire.ProtoESP, propChildKE, hint)
	if err != nil {
		return nil, nil, errNotify(wire.NO_PROPOSAL_CHOSEN, model.Refused, "child %q: %v", cfg.Name, err)
	}
	if len(s.SPI) != 4 {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "ESP proposal with an SPI of %d octets", len(s.SPI))
	}
	var resp []wire.Payload
	var shared []byte
	if s.hasKE && s.KE != wire.KE_NONE {
		if keP == nil || keP.Group != s.KE {
			// RFC 7296 section 1.3: INVALID_KE_PAYLOAD names the group.
			return nil, nil, &protoError{notify: wire.INVALID_KE_PAYLOAD, outcome: model.InvalidKE,
				data: binary.BigEndian.AppendUint16(nil, uint16(s.KE)), reason: fmt.Sprintf("child %q: PFS with %v, the KE payload is for %v", cfg.Name, s.KE, hint)}
		}
		k, err := crypto.LookupKE(s.KE)
		if err != nil {
			return nil, nil, errNotify(wire.NO_PROPOSAL_CHOSEN, model.Refused, "%v", err)
		}
		pub, sh, err := k.Respond(e.rand, keP.Data)
		if err != nil {
			return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "KE payload: %v", err)
		}
		shared = sh
		resp = append(resp, &wire.KE{Group: s.KE, Data: pub})
	} else if keP != nil {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "a KE payload for a proposal without key exchange")
	}
	nr, err := e.nonce()
	if err != nil {
		return nil, nil, err
	}
	spiIn, err := e.newChildSPI()
	if err != nil {
		return nil, nil, err
	}
	c := &childSA{cfg: cfg, spiIn: spiIn, spiOut: binary.BigEndian.Uint32(s.SPI),
		suite: s, mode: Tunnel, localTS: tr, remoteTS: ti, established: now, ni: ni, nr: nr}
	sa.childTo(c, model.ChildNegotiated)
	var out []wire.Payload
	if wantTransport && cfg.Mode == Transport {
		c.mode = Transport
		out = append(out, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
	}
	if c.keys, err = sa.childKeysFor(&s, ni, nr, shared); err != nil {
		return nil, nil, err
	}
	e.nextID++
	c.id = e.nextID
	out = append(out, &wire.SA{Proposals: []wire.Proposal{s.answer(wire.ProtoESP, spiBytes(spiIn))}}, &wire.Nonce{Data: nr})
	out = append(out, resp...)
	out = append(out, &wire.TS{Selectors: toWire(ti)}, &wire.TS{Responder: true, Selectors: toWire(tr)})
	return out, c, nil
}

// respondIKERekey answers a request to rekey the IKE SA (RFC 7296 sections
// 1.3.2, 2.18).
func (sa *ikeSA) respondIKERekey(now time.Time, saP *wire.SA, ni []byte, keP *wire.KE) result {
	e := sa.e
	tempFail := func(why string) result {
		return result{outcome: model.Refused, resp: []wire.Payload{&wire.Notify{Type: wire.TEMPORARY_FAILURE}},
			reason: "TEMPORARY_FAILURE: " + why}
	}
	if sa.childBusy() && sa.rekeying == nil {
		// RFC7296-2.25.1-7.
		return tempFail("a Child SA of the IKE SA is being created, rekeyed or closed")
	}
	if sa.peerRekey != nil {
		return tempFail("the IKE SA was rekeyed already")
	}
	if o := sa.rekeyOf; o != nil && o.registered && o.rekeying != nil {
		return tempFail("the previous IKE SA rekey collision is not settled yet")
	}
	if keP == nil {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "an IKE SA rekey without a KE payload"))
	}
	if len(ni) < 16 || len(ni) > 256 {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "a nonce of %d octets", len(ni)))
	}
	s, err := selectProposal(sa.conn.Proposals, saP.Proposals, wire.ProtoIKE, propIKE, keP.Group)
	if err != nil {
		return refuse(errNotify(wire.NO_PROPOSAL_CHOSEN, model.Refused, "IKE SA rekey: %v", err))
	}
	if s.KE != keP.Group {
		return refuse(&protoError{notify: wire.INVALID_KE_PAYLOAD, outcome: model.InvalidKE,
			data: binary.BigEndian.AppendUint16(nil, uint16(s.KE)), reason: fmt.Sprintf("IKE SA rekey with %v, the KE payload is for %v", s.KE, keP.Group)})
	}
	if len(s.SPI) != 8 || binary.BigEndian.Uint64(s.SPI) == 0 {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "IKE proposal with an SPI of %d octets", len(s.SPI)))
	}
	k, err := crypto.LookupKE(s.KE)
	if err != nil {
		return refuse(errNotify(wire.NO_PROPOSAL_CHOSEN, model.Refused, "%v", err))
	}
	pub, shared, err := k.Respond(e.rand, keP.Data)
	if err != nil {
		return refuse(errNotify(wire.INVALID_SYNTAX, model.Refused, "KE payload: %v", err))
	}
	nr, err := e.nonce()
	if err != nil {
		return refuse(err)
	}
	spiR, err := e.newSPI()
	if err != nil {
		return refuse(err)
	}
	// RFC 7296 section 2.18: the initiator of the rekey is the original
	// initiator of the new IKE SA.
	n, err := sa.successorSA(now, model.Responder, binary.BigEndian.Uint64(s.SPI), spiR, s, ni, nr, shared)
	if err != nil {
		return refuse(err)
	}
	resp := []wire.Payload{&wire.SA{Proposals: []wire.Proposal{s.answer(wire.ProtoIKE, binary.BigEndian.AppendUint64(nil, spiR))}},
		&wire.Nonce{Data: nr}, &wire.KE{Group: s.KE, Data: pub}}
	res := result{outcome: model.IKERekeyed, resp: resp, extra: []Action{n.keysAction()}}
	res.extra = append(res.extra, n.born(now)...)
	sa.peerRekey, n.rekeyOf = n, sa
	if sa.rekeying != nil {
		// RFC7296-2.25.2-1: both ends rekey the IKE SA; answer as usual,
		// settle it by the nonces when our exchange completes.
		res.outcome = model.OK
		res.reason = "simultaneous IKE SA rekey: answered, to be settled by the nonces"
		return res
	}
	sa.handOver(n)
	res.reason = fmt.Sprintf("IKE SA rekeyed by the peer: replaced by %s", n)
	return res
}

// successorSA makes the new IKE SA of a rekey: SKEYSEED from the old SK_d
// (RFC 7296 section 2.18), the same peer, identities and addresses.
func (sa *ikeSA) successorSA(now time.Time, role model.Role, spiI, spiR uint64, s suite, ni, nr, shared []byte) (*ikeSA, error) {
	e := sa.e
	cs, err := s.ikeSuite()
	if err != nil {
		return nil, err
	}
	// RFC7296-2.18-1 (a new key exchange), section 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
	// with the old IKE SA's PRF.
	seed := crypto.RekeySKEYSEED(sa.cs.PRF, sa.keys.D, shared, ni, nr)
	keys, err := cs.IKEKeys(seed, ni, nr, spiI, spiR)
	if err != nil {
		return nil, err
	}
	skI, err := crypto.NewSK(cs, keys.Ei, keys.Ai)
	if err != nil {
		return nil, err
	}
	skR, err := crypto.NewSK(cs, keys.Er, keys.Ar)
	if err != nil {
		return nil, err
	}
	e.nextID++
	// RFC7296-2.18-3: the new IKE SA's message IDs start at 0 (the zero
	// values of nextReqID and nextPeerID).
	n := &ikeSA{e: e, id: e.nextID, conn: sa.conn, role: role, state: model.Idle, spiI: spiI, spiR: spiR,
		local: sa.local, remote: sa.remote, natLocal: sa.natLocal, natRemote: sa.natRemote, natt: sa.natt,
		suite: s, cs: cs, keys: keys, ni: ni, nr: nr, localID: sa.localID, remoteID: sa.remoteID, lastRecv: now,
		vipLocal: sa.vipLocal, vipRemote: sa.vipRemote}
	if sa.vipPool != nil {
		// The lease moves with the Child SAs (RFC 7296 section 2.8).
		n.vipPool = sa.vipPool
		sa.vipPool.Acquire(sa.remoteID.String(), sa.vipRemote)
	}
	if role == model.Initiator {
		n.skOut, n.skIn = skI, skR
	} else {
		n.skOut, n.skIn = skR, skI
	}
	// What IKE_SA_INIT said of fragmentation holds for the new IKE SA
	// (RFC 7383 section 2.3: it is negotiated once).
	n.frag.peer, n.frag.known = sa.peerFragments(), true
	return n, nil
}

// born registers a new IKE SA of a rekey and takes its first transition.
func (n *ikeSA) born(now time.Time) []Action {
	n.e.register(n)
	n.e.log.Info("IKE SA created by a rekey", "ike", n.String(), "spi_i", fmt.Sprintf("%016x", n.spiI), "spi_r", fmt.Sprintf("%016x", n.spiR))
	return n.apply(now, model.CREATE_CHILD_SA, model.Inherit, result{outcome: model.OK}, nil)
}

// liveSuccessor follows the peer's rekeys from this IKE SA to the one that
// is established now (nil: none).
func (sa *ikeSA) liveSuccessor() *ikeSA {
	n := sa.peerRekey
	for range 16 {
		if n == nil || !n.registered {
			return nil
		}
		if n.state == model.Established {
			return n
		}
		n = n.peerRekey
	}
	return nil
}

// handOver moves the Child SAs, and the Child SA requests not yet sent, to
// the IKE SA that replaces this one (RFC7296-2.8.2-1; section 2.8: it "inherits all of the
// original IKE SA's Child SAs").
func (sa *ikeSA) handOver(n *ikeSA) {
	if n == nil || n == sa {
		return
	}
	n.children = append(n.children, sa.children...)
	sa.children = nil
	var keep []queuedReq
	for _, q := range sa.queue {
		switch q.kind {
		case model.CmdChildCreate, model.RekeyChild, model.CmdChildDelete:
			n.queue = append(n.queue, q)
		default:
			keep = append(keep, q)
		}
	}
	sa.queue = keep
	sa.e.log.Info("Child SAs moved to the new IKE SA", "from", sa.String(), "to", n.String(), "children", len(n.children))
	sa.e.schedule(n)
}

// ---- the initiator: the response ----

// processCreateChildResponse completes our CREATE_CHILD_SA request.
func (sa *ikeSA) processCreateChildResponse(now time.Time, in *inMsg, out *outstanding) result {
	c := out.create
	if c == nil {
		return result{outcome: model.ChildFailed, reason: "a CREATE_CHILD_SA response without a request"}
	}
	fail := func(format string, args ...any) result {
		return sa.createFailed(now, c, fmt.Sprintf(format, args...), false)
	}
	if in.err != nil {
		return fail("malformed CREATE_CHILD_SA response: %v", in.err)
	}
	ps := in.payloads
	if n, ok := wire.FindNotify(ps, wire.INVALID_KE_PAYLOAD); ok {
		if len(n.Data) != 2 || c.keTry >= maxCreateKERetries {
			return fail("invalid or repeated INVALID_KE_PAYLOAD")
		}
		g := wire.KEID(binary.BigEndian.Uint16(n.Data))
		props := sa.conn.Proposals
		if !c.ike {
			props = c.cfg.ESPProposals
		}
		acceptable := false
		for _, p := range props {
			acceptable = acceptable || contains(p.KE, g)
		}
		if !acceptable || g == c.keGroup {
			return fail("INVALID_KE_PAYLOAD asks for %v, which we did not propose", g)
		}
		c.keTry++
		c.keGroup = g
		req, err := sa.createRequest(c)
		if err != nil {
			return fail("%v", err)
		}
		return result{outcome: model.InvalidKE, req: req, reason: fmt.Sprintf("%s: received INVALID_KE_PAYLOAD, retrying with %v", c.what(), g)}
	}
	if _, ok := wire.FindNotify(ps, wire.TEMPORARY_FAILURE); ok {
		return sa.createFailed(now, c, "received TEMPORARY_FAILURE", true)
	}
	if _, ok := wire.FindNotify(ps, wire.CHILD_SA_NOT_FOUND); ok && c.old != nil {
		return sa.childNotFound(now, c)
	}
	for _, p := range ps {
		if n, ok := p.(*wire.Notify); ok && n.Type.IsError() {
			return fail("received %v", n.Type)
		}
	}
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return fail("%v", err)
	}
	nonce, err := one[*wire.Nonce](ps, "Nonce")
	if err != nil {
		return fail("%v", err)
	}
	var keP *wire.KE
	if k, ok := wire.Find[*wire.KE](ps); ok {
		keP = k
	}
	if c.ike {
		return sa.completeIKERekey(now, c, saP, nonce.Data, keP)
	}
	return sa.completeChild(now, c, ps, saP, nonce.Data, keP)
}

// finishKE completes our side of the key exchange with the responder's KE
// payload, as the chosen suite requires.
func (c *createCtx) finishKE(s suite, keP *wire.KE) ([]byte, error) {
	if !s.hasKE || s.KE == wire.KE_NONE {
		if keP != nil {
			return nil, fmt.Errorf("a KE payload in the response, but no key exchange chosen")
		}
		return nil, nil
	}
	if c.keState == nil || s.KE != c.keGroup || keP == nil || keP.Group != c.keGroup {
		return nil, fmt.Errorf("the response chose %v (KE payload %v), we sent %v", s.KE, keGroupOf(keP), c.keGroup)
	}
	shared, err := c.keState.Finish(keP.Data)
	c.keState = nil
	if err != nil {
		return nil, fmt.Errorf("invalid KE payload in the response: %w", err)
	}
	return shared, nil
}

func keGroupOf(k *wire.KE) any {
	if k == nil {
		return "none"
	}
	return k.Group
}

// completeChild installs the Child SA our request created and, for a
// rekey, deletes the old one or settles a collision (RFC 7296 section
// 2.8.1).
func (sa *ikeSA) completeChild(now time.Time, c *createCtx, ps []wire.Payload, saP *wire.SA, nr []byte, keP *wire.KE) result {
	e := sa.e
	fail := func(format string, args ...any) result {
		return sa.createFailed(now, c, fmt.Sprintf(format, args...), false)
	}
	s, err := checkAnswer(saP, c.cfg.ESPProposals, wire.ProtoESP, propChildKE)
	if err != nil {
		return fail("%v", err)
	}
	if len(s.SPI) != 4 {
		return fail("the responder's SPI has %d octets", len(s.SPI))
	}
	shared, err := c.finishKE(s, keP)
	if err != nil {
		return fail("%v", err)
	}
	tsi, tsr := findTS(ps, false), findTS(ps, true)
	if tsi == nil || tsr == nil {
		return fail("the response lacks TSi or TSr")
	}
	ti, tr := fromWire(tsi.Selectors), fromWire(tsr.Selectors)
	if err := sa.acceptsAnswer(c.cfg, ti, tr); err != nil {
		return fail("%v", err)
	}
	mode := Tunnel
	if _, ok := wire.FindNotify(ps, wire.USE_TRANSPORT_MODE); ok {
		mode = Transport
	}
	want := c.cfg.Mode
	if c.old != nil {
		want = c.old.mode
	}
	if mode != want && mode == Transport {
		return fail("transport mode in the response, which we did not ask for")
	}
	n := &childSA{cfg: c.cfg, spiIn: c.spiIn, spiOut: binary.BigEndian.Uint32(s.SPI),
		suite: s, mode: mode, localTS: ti, remoteTS: tr, established: now, initiated: true, ni: c.ni, nr: nr}
	sa.childTo(n, model.ChildNegotiated)
	if n.keys, err = sa.childKeysFor(&s, c.ni, nr, shared); err != nil {
		return fail("%v", err)
	}
	e.nextID++
	n.id = e.nextID
	delete(e.childIn, c.spiIn) // the reservation; install records the pair
	res := result{outcome: model.OK, extra: []Action{sa.install(now, n)}}
	old := c.old
	if old == nil {
		return res
	}
	if p := old.peerRekey; p != nil {
		// RFC7296-2.8.1-3: the SA with the lowest of the four nonces is
		// closed by the end that created it; the end that initiated the
		// surviving SA deletes the old one (if the peer has not already).
		// The peer's pair may be gone already (rekeyed or deleted since):
		// its nonces still decide, as they do at the peer.
		if lowestNonce([2][]byte{n.ni, n.nr}, old.peerNonces) {
			e.log.Info("simultaneous Child SA rekey: ours holds the lowest nonce and is redundant; deleting it",
				"ike", sa.String(), "child", n.cfg.Name, "redundant", n.id, "surviving", p.id)
			if sa.hasChild(old) && sa.hasChild(p) {
				sa.childTo(old, model.ChildReplaced)
				old.successor = p
			}
			res.after = []*childSA{n}
			return res
		}
		e.log.Info("simultaneous Child SA rekey: the peer's holds the lowest nonce; it deletes that one, we delete the old",
			"ike", sa.String(), "child", n.cfg.Name, "surviving", n.id, "redundant", p.id)
		// Should the peer never complete its exchange (its response lost
		// and the IKE SA rekeyed meanwhile), we delete it ourselves.
		if sa.hasChild(p) {
			p.redundant = true
			if deadline := now.Add(rekeyedIKETimeout); p.lifeAt.IsZero() || deadline.Before(p.lifeAt) {
				p.lifeAt = deadline
			}
		}
	}
	if !sa.hasChild(old) {
		// Deleted by the peer meanwhile (RFC 7296 section 2.25.1): the new
		// pair stands on its own.
		e.log.Info("the rekeyed Child SA is gone; the new one stays", "ike", sa.String(), "child", n.cfg.Name, "id", n.id)
		return res
	}
	sa.childTo(old, model.ChildReplaced)
	old.successor = n
	res.after = []*childSA{old}
	return res
}

// completeIKERekey makes the new IKE SA of our rekey and hands the Child
// SAs over (RFC 7296 sections 2.8, 2.8.2, 2.18).
func (sa *ikeSA) completeIKERekey(now time.Time, c *createCtx, saP *wire.SA, nr []byte, keP *wire.KE) result {
	e := sa.e
	sa.rekeying = nil
	fail := func(format string, args ...any) result {
		return sa.createFailed(now, c, fmt.Sprintf(format, args...), false)
	}
	s, err := checkAnswer(saP, sa.conn.Proposals, wire.ProtoIKE, propIKE)
	if err != nil {
		return fail("%v", err)
	}
	if len(s.SPI) != 8 || binary.BigEndian.Uint64(s.SPI) == 0 {
		return fail("the responder's IKE SPI has %d octets", len(s.SPI))
	}
	shared, err := c.finishKE(s, keP)
	if err != nil || shared == nil {
		return fail("IKE SA rekey: %v", err)
	}
	n, err := sa.successorSA(now, model.Initiator, c.spiIKE, binary.BigEndian.Uint64(s.SPI), s, c.ni, nr, shared)
	if err != nil {
		return fail("%v", err)
	}
	res := result{extra: []Action{n.keysAction()}}
	res.extra = append(res.extra, n.born(now)...)
	if p := sa.peerRekey; p != nil && p.registered {
		if lowestNonce([2][]byte{c.ni, nr}, [2][]byte{p.ni, p.nr}) {
			// RFC 7296 section 2.8.2: ours is redundant; the peer's new IKE
			// SA inherits, the peer deletes this one.
			e.log.Info("simultaneous IKE SA rekey: ours holds the lowest nonce and is redundant; deleting it",
				"ike", sa.String(), "redundant", n.String(), "surviving", p.String())
			sa.handOver(p)
			res.extra = append(res.extra, n.terminate(now)...)
			res.outcome, res.reason = model.LostCollision, "the peer's rekey of the IKE SA survives"
			return res
		}
		e.log.Info("simultaneous IKE SA rekey: the peer's holds the lowest nonce; it deletes that one",
			"ike", sa.String(), "surviving", n.String(), "redundant", p.String())
		// Should the peer never complete its exchange, we delete it.
		p.redundant = true
		p.rekeyAt = time.Time{}
		if deadline := now.Add(rekeyedIKETimeout); p.expireAt.IsZero() || deadline.Before(p.expireAt) {
			p.expireAt = deadline
		}
		e.schedule(p)
	}
	sa.handOver(n)
	res.outcome, res.reason = model.IKERekeyed, fmt.Sprintf("IKE SA rekeyed: replaced by %s", n)
	// RFC7296-2.8-6: the Delete is the last request on the old IKE SA.
	sa.queue = nil
	res.req = &queuedReq{exchange: wire.INFORMATIONAL, kind: model.CmdTerminate, payloads: []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}}
	return res
}

// createFailed ends a CREATE_CHILD_SA request that did not succeed. A
// rekey is tried again later (after TEMPORARY_FAILURE as RFC7296-2.25-2
// asks, otherwise at the next lifetime event); the old SAs stay.
func (sa *ikeSA) createFailed(now time.Time, c *createCtx, why string, temporary bool) result {
	e := sa.e
	if c.ike {
		sa.rekeying = nil
		if temporary {
			sa.rekeyAt = now.Add(tempFailureRetry + e.jitter(tempFailureRetry))
		}
		if p := sa.peerRekey; p != nil && p.registered {
			// The peer's rekey, answered meanwhile, stands alone.
			sa.handOver(p)
			return result{outcome: model.LostCollision, reason: c.what() + " failed (" + why + "); the peer's rekey stands"}
		}
	} else {
		delete(e.childIn, c.spiIn)
		if c.old != nil && sa.hasChild(c.old) && c.old.state == model.ChildRekeying {
			sa.childTo(c.old, model.ChildRekeyFailed)
			if p := c.old.peerRekey; p != nil && sa.hasChild(p) {
				// The peer's rekey of the same SA completed on our side.
				sa.childTo(c.old, model.ChildReplaced)
				c.old.successor = p
			} else if temporary {
				c.old.rekeyAt = now.Add(tempFailureRetry + e.jitter(tempFailureRetry))
			}
		}
	}
	return result{outcome: model.ChildFailed, reason: c.what() + " failed: " + why}
}

// childNotFound handles CHILD_SA_NOT_FOUND for our rekey (RFC7296-2.25-6):
// after a collision the peer already replaced the SA and the error is
// ignored; otherwise our Child SA is removed and created anew.
func (sa *ikeSA) childNotFound(now time.Time, c *createCtx) result {
	e := sa.e
	delete(e.childIn, c.spiIn)
	old := c.old
	if p := old.peerRekey; p != nil && sa.hasChild(p) {
		if sa.hasChild(old) { // the peer may have deleted it already
			sa.childTo(old, model.ChildReplaced)
			old.successor = p
		}
		return result{outcome: model.ChildFailed, reason: "CHILD_SA_NOT_FOUND after a simultaneous rekey: ignored (RFC 7296 section 2.8.1)"}
	}
	if !sa.hasChild(old) {
		// The peer deleted it while our rekey was under way (RFC 7296
		// section 2.25.1): it is gone by the peer's will; nothing to create.
		return result{outcome: model.ChildFailed, reason: fmt.Sprintf("CHILD_SA_NOT_FOUND for Child SA %s{%d}, which the peer deleted meanwhile", old.cfg.Name, old.id)}
	}
	res := result{outcome: model.ChildFailed, reason: fmt.Sprintf("CHILD_SA_NOT_FOUND for Child SA %s{%d}: removing it and creating it anew", old.cfg.Name, old.id)}
	res.extra = append(res.extra, sa.removeChild(old)...)
	for _, x := range sa.children {
		if x.cfg == old.cfg && x.state != model.ChildDeleting {
			// Another pair of the Child SA remains: nothing to create.
			return res
		}
	}
	res.recreate = old.cfg
	return res
}

// childKeysFor derives a Child SA's KEYMAT (RFC 7296 section 2.17) from the
// nonces of the exchange that created it and its key exchange, if any.
func (sa *ikeSA) childKeysFor(s *suite, ni, nr, shared []byte) (*crypto.ChildKeys, error) {
	enc, err := crypto.LookupEncr(s.Encr.ID)
	if err != nil {
		return nil, err
	}
	encLen, err := enc.KeyLen(int(s.Encr.KeyBits))
	if err != nil {
		return nil, err
	}
	integLen := 0
	if s.hasInteg && s.Integ != wire.AUTH_NONE {
		in, err := crypto.LookupInteg(s.Integ)
		if err != nil {
			return nil, err
		}
		integLen = in.KeyLen
	}
	if shared != nil {
		return crypto.DeriveChildKeys(sa.cs.PRF, sa.keys.D, ni, nr, encLen, integLen, shared)
	}
	return crypto.DeriveChildKeys(sa.cs.PRF, sa.keys.D, ni, nr, encLen, integLen)
}

// ---- lifetimes and the operator ----

// armChild starts a Child SA's lifetime timers (RFC 7296 section 2.8, with
// the jitter of RFC7296-2.8.1-1).
func (sa *ikeSA) armChild(now time.Time, c *childSA) {
	cfg := c.cfg
	if cfg == nil {
		return
	}
	if cfg.RekeyTime > 0 {
		c.rekeyAt = now.Add(cfg.RekeyTime - sa.e.jitter(cfg.RandTime))
	}
	if cfg.LifeTime > 0 {
		c.lifeAt = now.Add(cfg.LifeTime)
	}
}

// armIKE starts the IKE SA's lifetime timers.
func (sa *ikeSA) armIKE(now time.Time) {
	if sa.conn == nil || sa.conn.RekeyTime <= 0 || !sa.rekeyAt.IsZero() {
		return
	}
	sa.rekeyAt = now.Add(sa.conn.RekeyTime - sa.e.jitter(sa.conn.RandTime))
	sa.expireAt = now.Add(sa.conn.RekeyTime + sa.conn.OverTime)
}

// lifetimes runs the IKE SA's and its Child SAs' lifetime timers due at now.
func (sa *ikeSA) lifetimes(now time.Time) []Action {
	var acts []Action
	if sa.state == model.Established && !sa.expireAt.IsZero() && !now.Before(sa.expireAt) {
		if sa.redundant {
			sa.e.log.Info("the redundant IKE SA of a rekey collision was not deleted by the peer: deleting it", "ike", sa.String())
		} else {
			sa.e.log.Info("IKE SA lifetime over without a rekey: deleting it", "ike", sa.String())
		}
		sa.expireAt = time.Time{}
		return sa.terminate(now)
	}
	if sa.state == model.Established && !sa.rekeyAt.IsZero() && !now.Before(sa.rekeyAt) {
		sa.rekeyAt = time.Time{}
		acts = append(acts, sa.rekeyIKE(now)...)
	}
	for _, c := range slices.Clone(sa.children) {
		if sa.state != model.Established || !sa.hasChild(c) {
			break
		}
		if !c.lifeAt.IsZero() && !now.Before(c.lifeAt) {
			c.lifeAt, c.rekeyAt = time.Time{}, time.Time{}
			if c.state == model.ChildInstalled || c.state == model.ChildRekeying {
				what := "Child SA lifetime over without a rekey: deleting it"
				if c.redundant {
					what = "the redundant Child SA of a rekey collision was not deleted by the peer: deleting it"
				}
				sa.e.log.Info(what, "ike", sa.String(), "child", c.cfg.Name, "id", c.id)
				acts = append(acts, sa.deleteChildren(now, []*childSA{c})...)
				// RFC7296-2.8-1: an expired SA is not used, not even until
				// the peer answers the Delete (which may wait behind an
				// outstanding request).
				if sa.hasChild(c) && !c.redundant {
					acts = append(acts, sa.removeChild(c)...)
				}
			}
			continue
		}
		if !c.rekeyAt.IsZero() && !now.Before(c.rekeyAt) {
			c.rekeyAt = time.Time{}
			acts = append(acts, sa.rekeyChild(now, c)...)
		}
	}
	return acts
}

// lifetimeDeadline is the earliest lifetime timer of the IKE SA and its
// Child SAs.
func (sa *ikeSA) lifetimeDeadline() time.Time {
	var d time.Time
	switch sa.state {
	case model.Rekeyed:
		return sa.expireAt
	case model.Established:
	default:
		return d // lifetimes run only while established
	}
	take := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	take(sa.rekeyAt)
	take(sa.expireAt)
	for _, c := range sa.children {
		take(c.rekeyAt)
		take(c.lifeAt)
	}
	return d
}

// childSAByIn finds the Child SA with our inbound SPI, and its IKE SA.
func (e *Engine) childSAByIn(spiIn uint32) (*ikeSA, *childSA) {
	for _, sa := range e.sasOrdered() {
		for _, c := range sa.children {
			if c.spiIn == spiIn {
				return sa, c
			}
		}
	}
	return nil, nil
}

// childLimit is the soft (rekey) or hard (delete) end of a Child SA.
func (sa *ikeSA) childLimit(now time.Time, c *childSA, hard bool, what string) []Action {
	if sa.state != model.Established {
		return nil
	}
	if hard {
		if c.state == model.ChildInstalled || c.state == model.ChildRekeying {
			sa.e.log.Warn("Child SA at its hard limit: deleting it", "ike", sa.String(), "child", c.cfg.Name, "id", c.id, "limit", what)
			return sa.deleteChildren(now, []*childSA{c})
		}
		return nil
	}
	sa.e.log.Info("Child SA at its soft limit: rekeying it", "ike", sa.String(), "child", c.cfg.Name, "id", c.id, "limit", what)
	c.rekeyAt = time.Time{}
	return sa.rekeyChild(now, c)
}
