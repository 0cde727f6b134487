package ike

import (
	"fmt"
	"slices"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/auth/eap"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// EAP in IKE_AUTH (RFC 7296 section 2.16), with impl/auth/eap's state
// machines for the methods:
//
//	3  HDR, SK {IDi, [CERTREQ,] [IDr,] SAi2, TSi, TSr}  -->
//	4                  <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
//	5  HDR, SK {EAP}  -->
//	6                  <--  HDR, SK {EAP (Request)}   (repeated as the method needs)
//	7  HDR, SK {EAP (Response)}  -->
//	8                  <--  HDR, SK {EAP (Success)}
//	9  HDR, SK {AUTH}  -->
//	10                 <--  HDR, SK {AUTH, SAr2, TSi, TSr}
//
// The initiator authenticates with EAP, the responder with a signature
// (RFC7296-2.16-1). Each round is an IKE_AUTH exchange of its own (message
// IDs 1, 2, 3, ...) that the model table keeps in AUTH_SENT (initiator)
// and INIT_DONE (responder, still half-open) with the outcome EAPContinue;
// only the final AUTH establishes the IKE SA (RFC7296-2.16-2). The AUTH
// payloads of messages 9 and 10 use the MSK as the shared secret of section
// 2.15 (RFC7296-2.16-3), or SK_pi and SK_pr for a method without one, EAP-MD5
// (RFC7296-2.16-6). Retransmissions are IKE's: a lost round is resent whole
// and the response cache answers a repeated request.

// isEAP reports whether an end authenticates with EAP.
func (a AuthMethod) isEAP() bool { return a >= AuthEAP && a <= AuthEAPMSCHAPv2 }

// eapMethods are the EAP methods an auth value allows, most preferred
// first.
func eapMethods(a AuthMethod) []eap.Type {
	switch a {
	case AuthEAPMD5:
		return []eap.Type{eap.TypeMD5Challenge}
	case AuthEAPMSCHAPv2:
		return []eap.Type{eap.TypeMSCHAPv2}
	}
	return []eap.Type{eap.TypeMSCHAPv2, eap.TypeMD5Challenge}
}

// checkEAP refuses EAP settings that cannot work: EAP is the initiator's
// method only, and the other end must sign (RFC7296-2.16-1).
func checkEAP(c *Connection) error {
	l, r := c.Local.Auth, c.Remote.Auth
	if l.isEAP() && r.isEAP() {
		// An initiator asking for EAP-only authentication (RFC 5998): the
		// method must be mutual and make a shared key.
		if !eapOnlyMethods(l) || !eapOnlyMethods(r) {
			return fmt.Errorf("ike: connection %q: local auth = %v with remote auth = %v asks for EAP-only authentication (RFC 5998), which needs a mutual, key-generating method resistant to dictionary attacks (RFC 5998 section 4): neither EAP-MSCHAPv2 nor EAP-MD5 is one; use remote auth = pubkey", c.Name, l, r)
		}
		return nil
	}
	if l.isEAP() && !r.isPubkey() {
		return fmt.Errorf("ike: connection %q: local auth = %v needs remote auth = pubkey (or a key type): an EAP server must authenticate with a signature (RFC 7296 section 2.16)", c.Name, l)
	}
	if r.isEAP() && !l.isPubkey() {
		return fmt.Errorf("ike: connection %q: remote auth = %v needs local auth = pubkey (or a key type): as an EAP server we authenticate with a signature (RFC 7296 section 2.16)", c.Name, r)
	}
	return nil
}

// eapState is an IKE SA's EAP run in IKE_AUTH.
type eapState struct {
	client *eap.Client // initiator
	server *eap.Server // responder
	done   bool        // EAP Success sent (responder) or received (initiator)
	msk    []byte      // the method's MSK; nil for EAP-MD5

	// The ID payloads of message 3 and 4, which the final AUTH payloads
	// sign (RFC 7296 section 2.15).
	idi, idr *wire.ID
	// Responder: the identities, and the payloads of message 3 (SAi2, TSi,
	// TSr, CP, INITIAL_CONTACT), answered in message 10.
	localID, remoteID Identity
	first             []wire.Payload
	// eapOnly: the responder authenticates by the EAP method alone (RFC
	// 5998): no signature in message 4, so the method must be mutual and
	// make an MSK.
	eapOnly bool
}

// eapOnlySafe are the EAP methods RFC 5998 section 4 admits for EAP-only
// authentication: mutual, key-generating and resistant to dictionary
// attacks. Neither of ours is: EAP-MD5 is none of the three, EAP-MSCHAPv2
// falls to a dictionary attack on a captured exchange (strongSwan refuses it
// too: "EAP-only authentication requires a mutual and MSK deriving EAP
// method"). The set is empty until such a method (EAP-pwd, EAP-TLS, ...)
// is built; the EAP-only path below is ready for it.
var eapOnlySafe = map[eap.Type]bool{}

// eapOnlyMethods reports whether every method an auth value allows is safe
// for EAP-only authentication.
func eapOnlyMethods(a AuthMethod) bool {
	for _, m := range eapMethods(a) {
		if !eapOnlySafe[m] {
			return false
		}
	}
	return true
}

// asksEAPOnly reports whether we, the initiator, ask the responder for
// EAP-only authentication (RFC 5998): our remote auth is itself an EAP
// method (swanctl: remote { auth = eap-mschapv2 }), which only a mutual,
// key-making method can serve.
func (sa *ikeSA) asksEAPOnly() bool {
	return sa.conn != nil && sa.conn.Local.Auth.isEAP() && sa.conn.Remote.Auth.isEAP()
}

// eapOnlyCheck refuses, at the EAP Success, an EAP-only run whose method
// made no MSK (RFC 5998 section 3: "Both the initiator and responder MUST
// verify that the EAP method actually used provided mutual authentication
// and established a shared secret key").
func eapOnlyCheck(st *eapState) error {
	if st.eapOnly && len(st.msk) == 0 {
		return fmt.Errorf("ike: EAP-only authentication (RFC 5998) with a method that made no shared key")
	}
	return nil
}

// eapIdentity is the EAP identity of the local (client) end.
func (sa *ikeSA) eapIdentity() string {
	if id := sa.conn.Local.EAPID; id != "" {
		return id
	}
	return sa.localID.String()
}

// eapPassword finds the EAP secret of an identity: an entry naming it, or
// else one naming no identity.
func (e *Engine) eapPassword(identity string) ([]byte, bool) {
	var any []byte
	found := false
	for _, s := range e.cfg.EAPSecrets {
		if slices.Contains(s.IDs, identity) {
			return s.Secret, true
		}
		if len(s.IDs) == 0 && !found {
			any, found = s.Secret, true
		}
	}
	return any, found
}

// eapBytes is the EAP message an EAP payload carries (RFC 7296 section
// 3.16).
func eapBytes(p *wire.EAP) []byte {
	b, err := wire.AppendPayloadBody(nil, p)
	if err != nil {
		return nil // the EAP machine refuses it as malformed
	}
	return b
}

// eapPayload wraps an EAP message (as the EAP machines encode it) in an EAP
// payload.
func eapPayload(b []byte) *wire.EAP {
	p := &wire.EAP{}
	if len(b) >= 4 {
		p.Code, p.Identifier = wire.EAPCode(b[0]), b[1]
		if len(b) >= 5 && p.Code != wire.EAPSuccess && p.Code != wire.EAPFailure {
			p.Type, p.Data = b[4], b[5:]
		}
	}
	return p
}

// eapAuthKey is the shared secret of the final AUTH payloads: the MSK
// (RFC7296-2.16-3), or SK_pi for the initiator's and SK_pr for the
// responder's when the method made none (RFC7296-2.16-6).
func (sa *ikeSA) eapAuthKey(st *eapState, initiators bool) []byte {
	switch {
	case len(st.msk) > 0:
		return st.msk
	case initiators:
		return sa.keys.Pi
	}
	return sa.keys.Pr
}

// initiatorOctets and responderOctets are what the AUTH payloads of the
// initiator and of the responder sign (RFC 7296 section 2.15).
func (sa *ikeSA) initiatorOctets(idi *wire.ID) []byte {
	return auth.SignedOctets(sa.cs.PRF, sa.initReq, sa.nr, sa.keys.Pi, idBody(idi))
}

func (sa *ikeSA) responderOctets(idr *wire.ID) []byte {
	return auth.SignedOctets(sa.cs.PRF, sa.initResp, sa.ni, sa.keys.Pr, idBody(idr))
}

// ---- responder: the EAP server ----

// startEAPServer answers message 3 of a connection whose peer
// authenticates with EAP: IDr, our certificates and signature, and the
// first EAP Request (the Identity Request).
func (sa *ikeSA) startEAPServer(c *Connection, localID, remoteID Identity, idi *wire.ID, ps []wire.Payload) result {
	e := sa.e
	idrP := idPayload(localID, true)
	// RFC 5998: an initiator that asks for EAP-only authentication gets
	// message 4 without our CERT and AUTH, if every method we would run is
	// mutual and makes a shared key; the AUTH after EAP then authenticates
	// us. Otherwise (RFC7296-2.16-1) we sign.
	_, asked := wire.FindNotify(ps, wire.EAP_ONLY_AUTHENTICATION)
	eapOnly := asked && eapOnlyMethods(c.Remote.Auth)
	if asked && !eapOnly {
		// RFC 5998 section 3: a responder that does not wish to use it
		// ignores the notification and signs.
		e.log.Info("ignoring N(EAP_ONLY_AUTHENTICATION): no method of "+c.Remote.Auth.String()+
			" is safe for EAP-only authentication (RFC 5998 section 4); signing message 4", "ike", sa.String())
	}
	var ourAuth *wire.Auth
	var certs []wire.Payload
	if !eapOnly {
		var err error
		ourAuth, certs, err = sa.authPayload(c.Local, localID, remoteID, sa.responderOctets(idrP))
		if err != nil {
			return eapAuthFailed(nil, "cannot authenticate to EAP peer %v: %v", remoteID, err)
		}
	}
	want := c.Remote.EAPID
	srv, err := eap.NewServer(eap.ServerConfig{
		Methods: eapMethods(c.Remote.Auth),
		Password: func(identity []byte) ([]byte, bool) {
			if want != "" && want != "%any" && want != string(identity) {
				return nil, false
			}
			return e.eapPassword(string(identity))
		},
		Rand: e.rand,
	})
	if err != nil {
		return eapAuthFailed(nil, "EAP server for %v: %v", remoteID, err)
	}
	out, _, err := srv.Step(nil)
	if err != nil {
		return eapAuthFailed(nil, "EAP server for %v: %v", remoteID, err)
	}
	sa.conn = c
	sa.eap = &eapState{server: srv, idi: idi, idr: idrP, localID: localID, remoteID: remoteID, first: ps, eapOnly: eapOnly}
	e.log.Info("initiating EAP authentication", "ike", sa.String(), "remote_id", remoteID.String(),
		"methods", fmt.Sprint(eapMethods(c.Remote.Auth)), "eap_only", eapOnly)
	resp := append([]wire.Payload{idrP}, certs...)
	if ourAuth != nil {
		resp = append(resp, ourAuth)
	}
	resp = append(resp, eapPayload(out))
	return result{outcome: model.EAPContinue, resp: resp}
}

// eapAuthFailed refuses with AUTHENTICATION_FAILED (RFC7296-2.21.2-1),
// after the EAP Failure when there is one (RFC7296-2.16-8).
func eapAuthFailed(failure []byte, format string, args ...any) result {
	var resp []wire.Payload
	if failure != nil {
		resp = append(resp, eapPayload(failure))
	}
	resp = append(resp, &wire.Notify{Type: wire.AUTHENTICATION_FAILED})
	return result{outcome: model.AuthFailed, reason: fmt.Sprintf(format, args...), resp: resp}
}

// eapRequest processes an IKE_AUTH request after message 3: an EAP
// Response for the server, or, after the EAP Success, the initiator's AUTH.
func (sa *ikeSA) eapRequest(now time.Time, in *inMsg) result {
	e := sa.e
	st := sa.eap
	ps := in.payloads
	authP, hasAuth := wire.Find[*wire.Auth](ps)
	eapP, hasEAP := wire.Find[*wire.EAP](ps)
	if !st.done {
		if hasAuth {
			// RFC7296-2.16-10: the AUTH payload follows the EAP Success.
			return eapAuthFailed(nil, "AUTH from %v before EAP finished (RFC 7296 section 2.16)", st.remoteID)
		}
		if !hasEAP {
			return eapAuthFailed(nil, "IKE_AUTH request of %v without an EAP payload during EAP", st.remoteID)
		}
		out, status, err := st.server.Step(eapBytes(eapP))
		switch status {
		case eap.Continue:
			if msFailureRequest(out) {
				// The peer's password is wrong (or the identity
				// unknown): it answers the Failure Request, or refuses
				// us in an INFORMATIONAL (RFC7296-2.21.2-2).
				e.log.Info(fmt.Sprintf("EAP-MSCHAPv2: the NT-Response of %q does not verify (wrong password or unknown EAP identity); sending the MSCHAPv2 Failure Request",
					st.server.Identity()), "ike", sa.String(), "remote_id", st.remoteID.String())
			}
			return result{outcome: model.EAPContinue, resp: []wire.Payload{eapPayload(out)}}
		case eap.Success:
			// RFC7296-2.16-7: the EAP Success ends the method.
			st.done, st.msk = true, st.server.MSK()
			if err := eapOnlyCheck(st); err != nil {
				return eapAuthFailed(nil, "%v", err)
			}
			e.log.Info("EAP method "+st.server.Method().String()+" succeeded", "ike", sa.String(),
				"eap_id", string(st.server.Identity()), "msk", len(st.msk) > 0)
			return result{outcome: model.EAPContinue, resp: []wire.Payload{eapPayload(out)}}
		}
		// RFC7296-2.16-8: the EAP Failure, and the IKE SA ends.
		return eapAuthFailed(out, "EAP authentication of %v (EAP identity %q) failed: %v", st.remoteID, st.server.Identity(), err)
	}
	if hasEAP {
		return eapAuthFailed(nil, "EAP payload from %v after the EAP Success", st.remoteID)
	}
	if !hasAuth {
		return eapAuthFailed(nil, "no AUTH from %v after the EAP Success (RFC7296-2.16-10)", st.remoteID)
	}
	if authP.Method != wire.AuthSharedKeyMIC {
		return eapAuthFailed(nil, "AUTH method %v from %v after EAP; a shared key MIC is expected (RFC7296-2.16-3)", authP.Method, st.remoteID)
	}
	if err := auth.VerifyPSK(sa.cs.PRF, sa.eapAuthKey(st, true), sa.initiatorOctets(st.idi), authP.Data); err != nil {
		return eapAuthFailed(nil, "AUTH of %v after EAP does not verify with %s", st.remoteID, sa.eapKeyName(st))
	}
	ourAuth := &wire.Auth{Method: wire.AuthSharedKeyMIC,
		Data: auth.PSK(sa.cs.PRF, sa.eapAuthKey(st, false), sa.responderOctets(st.idr))}
	sa.localID, sa.remoteID = st.localID, st.remoteID
	e.log.Info("authentication of peer successful with EAP-"+st.server.Method().String()+" and "+sa.eapKeyName(st),
		"ike", sa.String(), "remote_id", sa.remoteID.String(), "eap_id", string(st.server.Identity()))
	first := st.first
	sa.eap = &eapState{done: true} // the MSK is for the AUTH payloads only (RFC7296-2.16-4)
	return sa.authDone(now, first, []wire.Payload{ourAuth})
}

func (sa *ikeSA) eapKeyName(st *eapState) string {
	if len(st.msk) > 0 {
		return "the MSK"
	}
	return "SK_pi/SK_pr (the method has no MSK)"
}

// ---- initiator: the EAP client ----

// eapResponse processes an IKE_AUTH response of an initiator that
// authenticates with EAP: message 4 (the responder's signature and the
// first EAP Request), the EAP rounds, and the final AUTH.
func (sa *ikeSA) eapResponse(now time.Time, in *inMsg) result {
	e := sa.e
	ps := in.payloads
	fail := func(out model.Outcome, format string, args ...any) result {
		return result{outcome: out, reason: fmt.Sprintf(format, args...)}
	}
	authP, hasAuth := wire.Find[*wire.Auth](ps)
	eapP, hasEAP := wire.Find[*wire.EAP](ps)
	st := sa.eap
	if st == nil {
		idr, err := findID(ps, true)
		authOne, aerr := one[*wire.Auth](ps, "AUTH")
		// RFC 5998: having asked for EAP-only authentication, we take a
		// message 4 without AUTH; the AUTH after EAP authenticates the
		// responder.
		eapOnly := aerr != nil && !hasAuth && sa.asksEAPOnly() && idr != nil && hasEAP
		if eapOnly {
			aerr = nil
		}
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
		// RFC7296-2.16-1: the responder signs; verifyAuth refuses a shared
		// key MIC or NULL when the remote end is pubkey (checkEAP).
		how := "EAP only (RFC 5998): the responder is authenticated by the AUTH after EAP"
		if !eapOnly {
			if !sa.conn.Remote.Auth.isPubkey() {
				// We asked for EAP-only and the responder signed anyway: a
				// signature we have no trust anchors to check (RFC 5998
				// section 3: the initiator MUST verify it).
				return fail(model.AuthFailed, "%v signed message 4, but remote auth = %v gives us nothing to verify it with", remoteID, sa.conn.Remote.Auth)
			}
			how, err = sa.verifyAuth(now, sa.conn.Remote, sa.localID, remoteID, authOne, ps, sa.responderOctets(idr))
			if err != nil {
				return fail(model.AuthFailed, "authentication of %v failed (%s): %v", remoteID, failureReason(err), err)
			}
		}
		if !hasEAP {
			return fail(model.AuthFailed, "IKE_AUTH response of %v without an EAP payload, and we authenticate with %v (RFC 7296 section 2.16)", remoteID, sa.conn.Local.Auth)
		}
		id := sa.eapIdentity()
		pw, ok := e.eapPassword(id)
		if !ok {
			return fail(model.AuthFailed, "no EAP secret for EAP identity %q", id)
		}
		cl, err := eap.NewClient(eap.ClientConfig{Identity: []byte(id), Password: pw, Methods: eapMethods(sa.conn.Local.Auth), Rand: e.rand})
		if err != nil {
			return fail(model.AuthFailed, "EAP client: %v", err)
		}
		sa.remoteID = remoteID
		sa.eap = &eapState{client: cl, idi: idPayload(sa.localID, false), idr: idr, eapOnly: eapOnly}
		e.log.Info("authentication of peer successful with "+how, "ike", sa.String(), "remote_id", remoteID.String())
		return sa.eapClientStep(eapP)
	}
	if !st.done {
		if hasAuth {
			return fail(model.AuthFailed, "AUTH from %v before the EAP Success (RFC7296-2.16-10)", sa.remoteID)
		}
		if !hasEAP {
			return fail(model.AuthFailed, "IKE_AUTH response of %v without an EAP payload during EAP", sa.remoteID)
		}
		return sa.eapClientStep(eapP)
	}
	if !hasAuth {
		return fail(model.AuthFailed, "no AUTH from %v after the EAP Success (RFC7296-2.16-10)", sa.remoteID)
	}
	if authP.Method != wire.AuthSharedKeyMIC {
		return fail(model.AuthFailed, "AUTH method %v from %v after EAP; a shared key MIC is expected (RFC7296-2.16-3)", authP.Method, sa.remoteID)
	}
	if err := auth.VerifyPSK(sa.cs.PRF, sa.eapAuthKey(st, false), sa.responderOctets(st.idr), authP.Data); err != nil {
		return fail(model.AuthFailed, "AUTH of %v after EAP does not verify with %s", sa.remoteID, sa.eapKeyName(st))
	}
	e.log.Info("EAP authentication complete: the responder's AUTH verifies with "+sa.eapKeyName(st), "ike", sa.String())
	sa.eap = &eapState{done: true} // RFC7296-2.16-4
	return sa.authResponseDone(now, ps)
}

// eapClientStep gives the responder's EAP message to the client and
// builds the next request: the EAP Response, or after the EAP Success our
// AUTH (RFC7296-2.16-10).
func (sa *ikeSA) eapClientStep(p *wire.EAP) result {
	e := sa.e
	st := sa.eap
	out, status, err := st.client.Step(eapBytes(p))
	switch status {
	case eap.Continue:
		return result{outcome: model.EAPContinue,
			req: &queuedReq{exchange: wire.IKE_AUTH, kind: model.CmdInitiate, payloads: []wire.Payload{eapPayload(out)}}}
	case eap.Success:
		st.done, st.msk = true, st.client.MSK()
		if err := eapOnlyCheck(st); err != nil {
			return result{outcome: model.AuthFailed, reason: err.Error()}
		}
		e.log.Info("EAP method "+st.client.Method().String()+" succeeded", "ike", sa.String(), "msk", len(st.msk) > 0)
		a := &wire.Auth{Method: wire.AuthSharedKeyMIC,
			Data: auth.PSK(sa.cs.PRF, sa.eapAuthKey(st, true), sa.initiatorOctets(st.idi))}
		e.log.Info("authentication of "+sa.localID.String()+" (myself) with EAP and "+sa.eapKeyName(st), "ike", sa.String())
		return result{outcome: model.EAPContinue,
			req: &queuedReq{exchange: wire.IKE_AUTH, kind: model.CmdInitiate, payloads: []wire.Payload{a}}}
	}
	return result{outcome: model.AuthFailed, reason: fmt.Sprintf("EAP authentication failed: %v", err)}
}

// msFailureRequest reports whether an EAP message is an MSCHAPv2 Failure
// Request (RFC 2759 section 6), for the log.
func msFailureRequest(b []byte) bool {
	p, err := eap.Decode(b)
	if err != nil || p.Code != eap.CodeRequest || p.Type != eap.TypeMSCHAPv2 {
		return false
	}
	m, err := eap.ParseMSCHAPv2(eap.CodeRequest, p.Data)
	return err == nil && m.OpCode == eap.OpFailure
}
