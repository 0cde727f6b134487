package ike

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The IKE_AUTH exchange (RFC 7296 sections 1.2, 2.15, 2.21.2): identities,
// the shared key MIC or signatures with certificates (pubkey.go),
// INITIAL_CONTACT (2.4), and the first Child SA (1.3, 2.9, 2.17) in
// child.go.

// findID returns the IDi (responder false) or IDr payload, if exactly one.
func findID(ps []wire.Payload, responder bool) (*wire.ID, error) {
	var found *wire.ID
	n := 0
	for _, p := range ps {
		if id, ok := p.(*wire.ID); ok && id.Responder == responder {
			found = id
			n++
		}
	}
	name := "IDi"
	if responder {
		name = "IDr"
	}
	if n > 1 {
		return nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "%d %s payloads", n, name)
	}
	return found, nil
}

func idBody(id *wire.ID) []byte {
	b, _ := wire.AppendPayloadBody(nil, id)
	return b
}

func idPayload(id Identity, responder bool) *wire.ID {
	return &wire.ID{Responder: responder, IDType: id.Type, Data: id.Data}
}

// psk finds the shared secret for a pair of identities the way strongSwan's
// credential sets rank them: an entry naming both identities first, then one
// naming either, then one naming none. RFC7296-1.2-3: the names in the ID
// payloads must correspond to the key.
func (e *Engine) psk(local, remote Identity) ([]byte, bool) {
	best, bestScore := []byte(nil), -1
	for _, s := range e.cfg.Secrets {
		score := 0
		for _, id := range s.IDs {
			if id.Equal(local) || (!remote.IsZero() && id.Equal(remote)) {
				score++
			}
		}
		if len(s.IDs) > 0 && score == 0 {
			continue
		}
		if score > bestScore {
			best, bestScore = s.Key, score
		}
	}
	return best, bestScore >= 0
}

// authRequest builds the initiator's IKE_AUTH request: IDi [CERT...]
// [N(INITIAL_CONTACT)] [CERTREQ] [IDr] AUTH [N(USE_TRANSPORT_MODE)] SA TSi
// TSr; without CERT and AUTH when we authenticate with EAP (eap.go).
func (sa *ikeSA) authRequest() (*queuedReq, error) {
	e := sa.e
	idi := idPayload(sa.localID, false)
	var authP *wire.Auth
	var certs []wire.Payload
	if !sa.conn.Local.Auth.isEAP() {
		// With EAP, message 3 has no AUTH (RFC 7296 section 2.16, eap.go).
		octets := auth.SignedOctets(sa.cs.PRF, sa.initReq, sa.nr, sa.keys.Pi, idBody(idi))
		var err error
		if authP, certs, err = sa.authPayload(sa.conn.Local, sa.localID, sa.conn.Remote.ID, octets); err != nil {
			return nil, err
		}
	}
	ps := append([]wire.Payload{idi}, certs...)
	// RFC7296-2.4-3: INITIAL_CONTACT goes in the first IKE_AUTH request; we
	// send it when we hold no other IKE SA of this connection.
	if len(e.sasOf(sa.conn)) <= 1 {
		ps = append(ps, &wire.Notify{Type: wire.INITIAL_CONTACT})
	}
	if sa.conn.Remote.Auth.isPubkey() {
		ps = append(ps, certReq(sa.conn.Remote.CACerts)...)
	}
	if !sa.conn.Remote.ID.IsZero() {
		ps = append(ps, idPayload(sa.conn.Remote.ID, true))
	}
	if sa.asksEAPOnly() {
		// RFC 5998 section 3: no signature from the responder, please.
		ps = append(ps, &wire.Notify{Type: wire.EAP_ONLY_AUTHENTICATION})
	}
	if authP != nil {
		ps = append(ps, authP)
	}
	if cp := sa.cpRequest(); cp != nil {
		ps = append(ps, cp) // RFC 7296 section 2.19: a virtual IP
	}
	if ch := sa.pendingChild; ch != nil {
		spi, err := e.newChildSPI()
		if err != nil {
			return nil, err
		}
		sa.pendingSPI = spi
		ps = append(ps, sa.childOffer(ch, spi)...)
	}
	return &queuedReq{exchange: wire.IKE_AUTH, kind: model.CmdInitiate, payloads: ps}, nil
}

// connectionFor picks the connection for an IKE_AUTH request: the
// addresses admit it, its proposals accept the IKE SA's suite, its
// identities match IDi (and IDr, if the initiator named us), and it expects
// the kind of AUTH payload the initiator sent (a shared key MIC or a
// signature; method 0: no AUTH payload, EAP, RFC 7296 section 2.16). The
// connection IKE_SA_INIT chose is preferred.
func (sa *ikeSA) connectionFor(idi Identity, idr *wire.ID, method wire.AuthMethod) *Connection {
	cands := sa.e.candidates(sa.local.Addr(), sa.remote.Addr())
	if i := slices.Index(cands, sa.conn); i > 0 {
		cands[0], cands[i] = cands[i], cands[0]
	}
	chosen := sa.suite.answer(wire.ProtoIKE, nil)
	for _, c := range cands {
		if _, err := selectProposal(c.Proposals, []wire.Proposal{chosen}, wire.ProtoIKE, propIKE, sa.suite.KE); err != nil {
			continue
		}
		if !c.Remote.ID.IsZero() && !c.Remote.ID.Equal(idi) {
			continue
		}
		if idr != nil && !c.Local.ID.IsZero() && !c.Local.ID.Equal(Identity{idr.IDType, idr.Data}) {
			continue
		}
		if c.Local.Auth.isEAP() || c.Remote.Auth.isEAP() != (method == 0) {
			continue // we never answer as the EAP peer (RFC7296-2.16-1)
		}
		if method != 0 && (c.Remote.Auth == AuthPSK) != (method == wire.AuthSharedKeyMIC) {
			continue
		}
		return c
	}
	return nil
}

// processAuthRequest is the responder's side of IKE_AUTH.
func (sa *ikeSA) processAuthRequest(now time.Time, in *inMsg) result {
	if sa.eap != nil {
		return sa.eapRequest(now, in) // eap.go
	}
	e := sa.e
	ps := in.payloads
	idi, err := findID(ps, false)
	if err == nil && idi == nil {
		err = errNotify(wire.INVALID_SYNTAX, model.Refused, "IKE_AUTH request without IDi")
	}
	if err != nil {
		return refuse(err)
	}
	idr, err := findID(ps, true)
	if err != nil {
		return refuse(err)
	}
	var authP *wire.Auth
	var method wire.AuthMethod // 0: no AUTH, the initiator asks for EAP
	if _, ok := wire.Find[*wire.Auth](ps); ok {
		if authP, err = one[*wire.Auth](ps, "AUTH"); err != nil {
			return refuse(err)
		}
		method = authP.Method
	}
	remoteID := Identity{idi.IDType, idi.Data}
	authFailed := func(format string, args ...any) result {
		// RFC7296-2.21.2-1: authentication errors end in AUTHENTICATION_FAILED.
		return refuse(errNotify(wire.AUTHENTICATION_FAILED, model.AuthFailed, format, args...))
	}
	c := sa.connectionFor(remoteID, idr, method)
	if c == nil {
		wanted := "no IDr"
		if idr != nil {
			wanted = "IDr " + Identity{idr.IDType, idr.Data}.String()
		}
		how := "without AUTH (EAP)"
		if authP != nil {
			how = "with AUTH method " + authP.Method.String()
		}
		return authFailed("no connection matches IDi %v (%s) %s", remoteID, wanted, how)
	}
	localID := c.Local.ID
	if localID.IsZero() {
		localID = addrIdentity(sa.local.Addr())
	}
	if authP == nil {
		return sa.startEAPServer(c, localID, remoteID, idi, ps) // eap.go
	}
	// RFC7296-1.2-2: verify the MAC or the signature, before anything of
	// ours is sent (identity protection: a failure answers only
	// AUTHENTICATION_FAILED); RFC 7296 section 2.15: over RealMessage1 | Nr
	// | prf(SK_pi, IDi').
	octets := auth.SignedOctets(sa.cs.PRF, sa.initReq, sa.nr, sa.keys.Pi, idBody(idi))
	how, err := sa.verifyAuth(now, c.Remote, localID, remoteID, authP, ps, octets)
	if err != nil {
		return authFailed("authentication of %v failed (%s): %v", remoteID, failureReason(err), err)
	}
	idrP := idPayload(localID, true)
	octets = auth.SignedOctets(sa.cs.PRF, sa.initResp, sa.ni, sa.keys.Pr, idBody(idrP))
	ourAuth, certs, err := sa.authPayload(c.Local, localID, remoteID, octets)
	if err != nil {
		return authFailed("peer %v authenticated, but we cannot: %v", remoteID, err)
	}
	sa.conn, sa.localID, sa.remoteID = c, localID, remoteID
	e.log.Info("authentication of peer successful with "+how, "ike", sa.String(), "remote_id", remoteID.String())
	return sa.authDone(now, ps, append(append([]wire.Payload{idrP}, certs...), ourAuth))
}

// authDone completes the responder's IKE_AUTH once the initiator is
// authenticated: INITIAL_CONTACT, the virtual IP and the first Child SA of
// the request ps, after the payloads resp.
func (sa *ikeSA) authDone(now time.Time, ps []wire.Payload, resp []wire.Payload) result {
	res := result{outcome: model.OK}
	if _, ok := wire.FindNotify(ps, wire.INITIAL_CONTACT); ok {
		res.extra = append(res.extra, sa.initialContact()...)
	}
	cpr, cpErr := sa.cpReply(ps)
	if cpr != nil {
		resp = append(resp, cpr)
	}
	if _, ok := wire.Find[*wire.SA](ps); ok && cpErr != nil {
		// No virtual IP: the Child SA is refused, the IKE SA stands.
		r := refuse(cpErr)
		res.outcome, res.reason = model.ChildFailed, r.reason
		resp = append(resp, r.resp...)
	} else if ok {
		cps, child, err := sa.respondChild(now, ps)
		if err != nil {
			// RFC 7296 section 2.21.3 (and 1.2): the IKE SA stands; the
			// Child SA error rides in the response.
			r := refuse(err)
			res.outcome, res.reason = model.ChildFailed, r.reason
			resp = append(resp, r.resp...)
		} else {
			resp = append(resp, cps...)
			res.extra = append(res.extra, sa.install(now, child))
		}
	}
	res.resp = resp
	return res
}

// processAuthResponse is the initiator's side of IKE_AUTH.
func (sa *ikeSA) processAuthResponse(now time.Time, in *inMsg) result {
	e := sa.e
	ps := in.payloads
	fail := func(out model.Outcome, format string, args ...any) result {
		return result{outcome: out, reason: fmt.Sprintf(format, args...)}
	}
	if in.err != nil {
		return fail(model.Refused, "malformed IKE_AUTH response: %v", in.err)
	}
	if _, ok := wire.FindNotify(ps, wire.AUTHENTICATION_FAILED); ok {
		return fail(model.AuthFailed, "received AUTHENTICATION_FAILED")
	}
	if sa.conn.Local.Auth.isEAP() {
		return sa.eapResponse(now, in) // eap.go
	}
	idr, err := findID(ps, true)
	authP, aerr := one[*wire.Auth](ps, "AUTH")
	if err != nil || idr == nil || aerr != nil {
		for _, p := range ps {
			if n, ok := p.(*wire.Notify); ok && n.Type.IsError() {
				return fail(model.Refused, "received %v", n.Type)
			}
		}
		return fail(model.Refused, "IKE_AUTH response without IDr and AUTH")
	}
	remoteID := Identity{idr.IDType, idr.Data}
	if want := sa.conn.Remote.ID; !want.IsZero() && !want.Equal(remoteID) {
		return fail(model.AuthFailed, "IDr %v is not the configured %v", remoteID, want)
	}
	// RFC7296-1.2-2; RFC 7296 section 2.15: RealMessage2 | Ni |
	// prf(SK_pr, IDr').
	octets := auth.SignedOctets(sa.cs.PRF, sa.initResp, sa.ni, sa.keys.Pr, idBody(idr))
	how, err := sa.verifyAuth(now, sa.conn.Remote, sa.localID, remoteID, authP, ps, octets)
	if err != nil {
		return fail(model.AuthFailed, "authentication of %v failed (%s): %v", remoteID, failureReason(err), err)
	}
	sa.remoteID = remoteID
	e.log.Info("authentication of peer successful with "+how, "ike", sa.String(), "remote_id", remoteID.String())
	return sa.authResponseDone(now, ps)
}

// authResponseDone completes the initiator's IKE_AUTH once the responder
// is authenticated: INITIAL_CONTACT and the first Child SA.
func (sa *ikeSA) authResponseDone(now time.Time, ps []wire.Payload) result {
	res := result{outcome: model.OK}
	if _, ok := wire.FindNotify(ps, wire.INITIAL_CONTACT); ok {
		res.extra = append(res.extra, sa.initialContact()...)
	}
	if ch := sa.pendingChild; ch != nil {
		// The virtual IP first: it is what our "dynamic" selectors are.
		var child *childSA
		err := sa.takeCPReply(ps)
		if err == nil {
			child, err = sa.childAnswer(ch, ps)
		}
		if err != nil {
			res.outcome, res.reason = model.ChildFailed, err.Error()
		} else {
			child.initiated = true
			res.extra = append(res.extra, sa.install(now, child))
		}
		sa.pendingChild = nil
	}
	return res
}

// initialContact deletes the other IKE SAs between the same identities
// (RFC7296-2.4-1), without telling the peer: it has just said it lost them.
func (sa *ikeSA) initialContact() []Action {
	e := sa.e
	var acts []Action
	for _, o := range e.sasByIdentity(sa.localID, sa.remoteID) {
		if o != sa {
			acts = append(acts, e.remove(o, "replaced after INITIAL_CONTACT")...)
		}
	}
	return acts
}

// sasByIdentity lists the registered IKE SAs between two identities.
func (e *Engine) sasByIdentity(local, remote Identity) []*ikeSA {
	var out []*ikeSA
	for _, o := range e.sas {
		if o.localID.Equal(local) && o.remoteID.Equal(remote) {
			out = append(out, o)
		}
	}
	sortSAs(out)
	return out
}

// install records a Child SA, starts its lifetime and reports it to the
// driver.
func (sa *ikeSA) install(now time.Time, c *childSA) Action {
	sa.children = append(sa.children, c)
	sa.e.childIn[c.spiIn] = c
	sa.armChild(now, c)
	if !c.outboundLater {
		sa.e.outSeq++
		c.outSeq = sa.e.outSeq
	}
	sa.e.log.Info("CHILD_SA established", "ike", sa.String(), "child", c.cfg.Name,
		"spi_in", fmt.Sprintf("%08x", c.spiIn), "spi_out", fmt.Sprintf("%08x", c.spiOut),
		"suite", c.suite.String(), "local_ts", tsStrings(c.localTS), "remote_ts", tsStrings(c.remoteTS))
	up := ChildUp{IKE: sa.info(), Child: c.info(sa), Encr: c.suite.Encr, Integ: wire.AUTH_NONE,
		LocalSel: slices.Clone(c.localTS), RemoteSel: slices.Clone(c.remoteTS), OutboundLater: c.outboundLater,
		VirtualIP: sa.vipLocal}
	if c.suite.hasInteg {
		up.Integ = c.suite.Integ
	}
	if cfg := c.cfg; cfg != nil {
		up.SoftBytes, up.HardBytes, up.SoftPackets, up.HardPackets = cfg.RekeyBytes, cfg.LifeBytes, cfg.RekeyPackets, cfg.LifePackets
	}
	// RFC7296-2.17-2: the first keys are for the SA from the initiator of
	// the exchange that created the pair.
	if c.initiated {
		up.OutEnc, up.OutInteg, up.InEnc, up.InInteg = c.keys.EncI, c.keys.IntegI, c.keys.EncR, c.keys.IntegR
	} else {
		up.InEnc, up.InInteg, up.OutEnc, up.OutInteg = c.keys.EncI, c.keys.IntegI, c.keys.EncR, c.keys.IntegR
	}
	return up
}

// childKeys derives the Child SA's KEYMAT (RFC 7296 section 2.17; the
// first Child SA has no key exchange of its own).
func (sa *ikeSA) childKeys(s *suite) (*crypto.ChildKeys, error) {
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
	return crypto.DeriveChildKeys(sa.cs.PRF, sa.keys.D, sa.ni, sa.nr, encLen, integLen)
}

func spiBytes(spi uint32) []byte { return binary.BigEndian.AppendUint32(nil, spi) }
