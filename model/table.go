// Package model is the executable specification of the IKE SA life cycle of
// RFC 7296 sections 1.1-1.4 and 2.1-2.6: the states an IKE SA passes through
// in each role, which exchanges are acceptable in each state, and where each
// outcome of an exchange leads. It is data, not code: the engine's dispatcher
// (impl/ike) looks every transition up here, so that the model checker that
// explores this table and the running server walk one set of transitions.
//
// The package imports nothing of impl: exchanges, roles and outcomes are its
// own small enums, and the engine maps its wire values onto them.
package model

import "fmt"

// State is the life-cycle state of one IKE SA.
type State uint8

const (
	// Idle: no IKE SA yet (the responder before an acceptable IKE_SA_INIT
	// request, the initiator before it starts).
	Idle State = iota
	// InitSent: the initiator has sent IKE_SA_INIT and awaits the response.
	InitSent
	// InitDone: the responder has answered IKE_SA_INIT and holds a
	// half-open IKE SA awaiting IKE_AUTH (RFC 7296 section 2.6).
	InitDone
	// AuthSent: the initiator has sent IKE_AUTH and awaits the response.
	AuthSent
	// Established: both sides are authenticated; INFORMATIONAL (and later
	// CREATE_CHILD_SA) exchanges run under the IKE SA.
	Established
	// Deleting: we have sent a Delete of the IKE SA and await the response.
	Deleting
	// Rekeyed: a new IKE SA has replaced this one (RFC 7296 sections 1.3.2,
	// 2.8): its Child SAs have moved there, and it waits for the Delete
	// that the initiator of the surviving rekey sends (RFC7296-2.8-6).
	Rekeyed
	// Deleted: the IKE SA is gone (terminal); its state is removed.
	Deleted
)

var stateNames = [...]string{"IDLE", "INIT_SENT", "INIT_DONE", "AUTH_SENT", "ESTABLISHED", "DELETING", "REKEYED", "DELETED"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("STATE(%d)", s)
}

// Role is the IKE SA's role of the local end: the original initiator or
// responder (RFC 7296 section 2.2), not who sends a particular request.
type Role uint8

const (
	Initiator Role = iota
	Responder
)

func (r Role) String() string { return [...]string{"initiator", "responder"}[r] }

// Exchange is an IKEv2 exchange type, as far as the model knows them.
type Exchange uint8

const (
	IKE_SA_INIT Exchange = iota + 1
	IKE_AUTH
	CREATE_CHILD_SA
	INFORMATIONAL
)

func (e Exchange) String() string {
	return [...]string{"?", "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "INFORMATIONAL"}[e]
}

// Event is what drives a transition: a message received (request or
// response), an operator command or a timer.
type Event uint8

const (
	RecvRequest    Event = iota + 1 // a request of the transition's exchange arrived
	RecvResponse                    // a response to our outstanding request arrived
	CmdInitiate                     // the operator (or start_action) asked for an IKE SA
	CmdTerminate                    // the operator asked to delete the IKE SA
	CmdChildDelete                  // the operator asked to delete a Child SA
	TimerLiveness                   // the liveness (DPD) timer fired
	TimerGiveUp                     // retransmissions exhausted, or the half-open timeout
	ReportError                     // an error outside any request (ESP on an unknown SPI) is reported
	CmdChildCreate                  // the operator asked for another Child SA on the IKE SA (1.3.1)
	RekeyChild                      // a Child SA's lifetime (or the operator) asks for its rekey (1.3.3)
	RekeyIKE                        // the IKE SA's lifetime (or the operator) asks for its rekey (1.3.2)
	Inherit                         // the IKE SA is born of a rekey and inherits the Child SAs (2.8)
)

var eventNames = [...]string{"?", "recv-request", "recv-response", "cmd-initiate", "cmd-terminate",
	"cmd-child-delete", "timer-liveness", "timer-give-up", "report-error", "cmd-child-create",
	"rekey-child", "rekey-ike", "inherit"}

func (e Event) String() string { return eventNames[e] }

// Outcome is how the processing of an event came out. The engine decides
// the outcome (it has the keys and the policy); the table decides where it
// leads.
type Outcome uint8

const (
	OK            Outcome = iota + 1
	Cookie                // the response asks for a cookie / the request lacks one (2.6)
	InvalidKE             // INVALID_KE_PAYLOAD, retry with the named group (1.2)
	Refused               // NO_PROPOSAL_CHOSEN or another error ending the IKE SA setup
	AuthFailed            // AUTHENTICATION_FAILED (2.21.2)
	ChildFailed           // IKE SA up, first Child SA refused (2.21.3: e.g. TS_UNACCEPTABLE)
	DeleteIKE             // the request deletes the IKE SA (1.4.1)
	DeleteChild           // the request deletes Child SAs (1.4.1)
	Empty                 // an empty INFORMATIONAL (liveness check, 1.4)
	IKERekeyed            // a CREATE_CHILD_SA exchange replaced the IKE SA by a new one (1.3.2, 2.8)
	LostCollision         // both ends rekeyed the IKE SA; ours holds the lowest nonce and is redundant (2.8.2)
	EAPContinue           // an EAP round of IKE_AUTH: another IKE_AUTH exchange follows (2.16)
)

var outcomeNames = [...]string{"?", "ok", "cookie", "invalid-ke", "refused", "auth-failed",
	"child-failed", "delete-ike", "delete-child", "empty", "ike-rekeyed", "lost-collision", "eap-continue"}

func (o Outcome) String() string { return outcomeNames[o] }

// Send says which message the transition sends.
type Send uint8

const (
	SendNothing  Send = iota
	SendRequest       // a new request (new message ID), or the same request again for Cookie/InvalidKE
	SendResponse      // the response to the request just received
)

// Timer is the timer a transition leaves running for the IKE SA.
type Timer uint8

const (
	NoTimer    Timer = iota
	Retransmit       // our request is outstanding: retransmit with backoff, then give up
	HalfOpen         // a responder's half-open SA expires if IKE_AUTH never comes
	Liveness         // an established SA checks its peer when it has been quiet
)

// Transition is one row of the table: in state From, for role Role, event
// Event of exchange Exchange with outcome Outcome leads to state To, sends
// Send and leaves timer Timer running. Rationale cites the RFC.
type Transition struct {
	From      State
	Role      Role
	Exchange  Exchange // zero for command and timer events that do not depend on one
	Event     Event
	Outcome   Outcome
	To        State
	Send      Send
	Timer     Timer
	Rationale string
}

func (t Transition) String() string {
	return fmt.Sprintf("%v/%v: %v %v %v -> %v", t.From, t.Role, t.Exchange, t.Event, t.Outcome, t.To)
}

// key identifies a row.
type key struct {
	from     State
	role     Role
	exchange Exchange
	event    Event
	outcome  Outcome
}

// Table is the whole transition relation of an IKE SA, as far as the engine
// has built it. Each exchange that lands adds its rows here first.
var Table = append(baseRows, bothRoles(createChildRows)...)

// bothRoles gives each row for the initiator and for the responder: after
// IKE_AUTH, what an IKE SA does depends on who sends a request, not on who
// created the SA (RFC 7296 section 2.2).
func bothRoles(rows []Transition) []Transition {
	out := make([]Transition, 0, 2*len(rows))
	for _, r := range rows {
		for _, role := range []Role{Initiator, Responder} {
			r.Role = role
			out = append(out, r)
		}
	}
	return out
}

// createChildRows are the CREATE_CHILD_SA exchange (RFC 7296 sections 1.3,
// 2.8, 2.25) and the life of a rekeyed IKE SA, for either role.
var createChildRows = []Transition{
	{Established, 0, CREATE_CHILD_SA, CmdChildCreate, OK, Established, SendRequest, Retransmit,
		"1.3.1: a CREATE_CHILD_SA request for another Child SA"},
	{Established, 0, CREATE_CHILD_SA, RekeyChild, OK, Established, SendRequest, Retransmit,
		"1.3.3: a CREATE_CHILD_SA request with N(REKEY_SA) rekeys a Child SA"},
	{Established, 0, CREATE_CHILD_SA, RekeyIKE, OK, Established, SendRequest, Retransmit,
		"1.3.2: a CREATE_CHILD_SA request with an IKE proposal rekeys the IKE SA"},
	{Established, 0, CREATE_CHILD_SA, RecvRequest, OK, Established, SendResponse, Liveness,
		"1.3.1, 1.3.3: the Child SA is created (or rekeyed) and the answer sent"},
	{Established, 0, CREATE_CHILD_SA, RecvRequest, Refused, Established, SendResponse, Liveness,
		"2.21.3, 2.25: the request is refused with an error Notify; the IKE SA stands"},
	{Established, 0, CREATE_CHILD_SA, RecvRequest, InvalidKE, Established, SendResponse, Liveness,
		"1.3: INVALID_KE_PAYLOAD names the group for the PFS key exchange"},
	{Established, 0, CREATE_CHILD_SA, RecvRequest, IKERekeyed, Rekeyed, SendResponse, Retransmit,
		"1.3.2, 2.8: the new IKE SA inherits the Child SAs; this one awaits the initiator's Delete (RFC7296-2.8-6)"},
	{Established, 0, CREATE_CHILD_SA, RecvResponse, OK, Established, SendNothing, Liveness,
		"1.3.1, 1.3.3: the new Child SA is up (a rekeyed one is then deleted, 2.8)"},
	{Established, 0, CREATE_CHILD_SA, RecvResponse, ChildFailed, Established, SendNothing, Liveness,
		"2.21.3, 2.25: the Child SA was refused (or TEMPORARY_FAILURE); the IKE SA stands"},
	{Established, 0, CREATE_CHILD_SA, RecvResponse, InvalidKE, Established, SendRequest, Retransmit,
		"1.3: retry the CREATE_CHILD_SA request with the group INVALID_KE_PAYLOAD names"},
	{Established, 0, CREATE_CHILD_SA, RecvResponse, IKERekeyed, Deleting, SendRequest, Retransmit,
		"2.8: the new IKE SA inherits the Child SAs; the initiator deletes the old one, the last request on it (RFC7296-2.8-6)"},
	{Established, 0, CREATE_CHILD_SA, RecvResponse, LostCollision, Rekeyed, SendNothing, Retransmit,
		"2.8.2: our new IKE SA holds the lowest nonce: we delete it, the peer's inherits, the peer deletes this one"},

	// A rekeyed IKE SA waits for its Delete; what still arrives is answered.
	{Rekeyed, 0, INFORMATIONAL, RecvRequest, DeleteIKE, Deleted, SendResponse, NoTimer,
		"2.8: the initiator of the rekey deletes the old IKE SA"},
	{Rekeyed, 0, INFORMATIONAL, RecvRequest, Empty, Rekeyed, SendResponse, Retransmit,
		"1.4: requests are still answered on the old IKE SA"},
	{Rekeyed, 0, INFORMATIONAL, RecvRequest, DeleteChild, Rekeyed, SendResponse, Retransmit,
		"2.25.2: a delete of a Child SA while rekeying the IKE SA is answered as usual"},
	{Rekeyed, 0, INFORMATIONAL, RecvRequest, Refused, Rekeyed, SendResponse, Retransmit,
		"2.21.3: after authentication, an erroneous request is answered with the error"},
	{Rekeyed, 0, INFORMATIONAL, RecvResponse, OK, Rekeyed, SendNothing, Retransmit,
		"1.4: the response to a request sent before the rekey"},
	{Rekeyed, 0, CREATE_CHILD_SA, RecvRequest, Refused, Rekeyed, SendResponse, Retransmit,
		"2.25.2: a request to rekey an IKE SA being closed gets TEMPORARY_FAILURE"},
	{Rekeyed, 0, CREATE_CHILD_SA, RecvResponse, OK, Rekeyed, SendNothing, Retransmit,
		"2.8.2: a late response on the replaced IKE SA (its result was moved or closed)"},
	{Rekeyed, 0, CREATE_CHILD_SA, RecvResponse, ChildFailed, Rekeyed, SendNothing, Retransmit,
		"2.8.1: a late error on the replaced IKE SA (CHILD_SA_NOT_FOUND after a collision) is ignored"},
	{Rekeyed, 0, INFORMATIONAL, CmdTerminate, OK, Deleting, SendRequest, Retransmit,
		"1.4.1: a Delete of the replaced IKE SA"},
	{Rekeyed, 0, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.8: the peer never deleted the replaced IKE SA (or did not answer): it is removed"},
	{Deleting, 0, CREATE_CHILD_SA, RecvRequest, Refused, Deleting, SendResponse, Retransmit,
		"2.25.2: a request on an IKE SA being closed gets TEMPORARY_FAILURE"},
	{Deleting, 0, CREATE_CHILD_SA, RecvResponse, OK, Deleting, SendNothing, Retransmit,
		"2.25.2: a response to a CREATE_CHILD_SA overtaken by the Delete"},
	{Deleting, 0, CREATE_CHILD_SA, RecvResponse, ChildFailed, Deleting, SendNothing, Retransmit,
		"2.25.2: a response to a CREATE_CHILD_SA overtaken by the Delete"},

	// An IKE SA born of a rekey (2.8): established at once, Child SAs inherited.
	{Idle, 0, CREATE_CHILD_SA, Inherit, OK, Established, SendNothing, Liveness,
		"1.3.2, 2.18: the new IKE SA of a rekey is established with the new keys"},
}

// baseRows are the exchanges of IKE SA setup, INFORMATIONAL and the
// operator's and timers' events.
var baseRows = []Transition{
	// ---- IKE_SA_INIT, initiator (RFC 7296 sections 1.2, 2.6, 1.3... 2.7) ----
	{Idle, Initiator, IKE_SA_INIT, CmdInitiate, OK, InitSent, SendRequest, Retransmit,
		"1.2: the initiator sends SA, KE, Ni (and NAT-D, 2.23)"},
	{InitSent, Initiator, IKE_SA_INIT, RecvResponse, OK, AuthSent, SendRequest, Retransmit,
		"1.2: with SAr1, KEr, Nr the keys are known; IKE_AUTH follows"},
	{InitSent, Initiator, IKE_SA_INIT, RecvResponse, Cookie, InitSent, SendRequest, Retransmit,
		"2.6: retry IKE_SA_INIT with N(COOKIE) first (RFC7296-2.6-4)"},
	{InitSent, Initiator, IKE_SA_INIT, RecvResponse, InvalidKE, InitSent, SendRequest, Retransmit,
		"1.2, 1.3: retry with the group INVALID_KE_PAYLOAD names"},
	{InitSent, Initiator, IKE_SA_INIT, RecvResponse, Refused, Deleted, SendNothing, NoTimer,
		"2.21.1: NO_PROPOSAL_CHOSEN or another error: the setup fails"},

	// ---- IKE_SA_INIT, responder ----
	{Idle, Responder, IKE_SA_INIT, RecvRequest, OK, InitDone, SendResponse, HalfOpen,
		"1.2: answer SAr1, KEr, Nr; the SA is half-open until IKE_AUTH (2.6)"},
	{Idle, Responder, IKE_SA_INIT, RecvRequest, Cookie, Idle, SendResponse, NoTimer,
		"2.6: stateless N(COOKIE) response (RFC7296-2.6-2)"},
	{Idle, Responder, IKE_SA_INIT, RecvRequest, InvalidKE, Idle, SendResponse, NoTimer,
		"1.3: INVALID_KE_PAYLOAD naming the wanted group; no state kept"},
	{Idle, Responder, IKE_SA_INIT, RecvRequest, Refused, Idle, SendResponse, NoTimer,
		"2.21.1: NO_PROPOSAL_CHOSEN (or INVALID_SYNTAX); no state kept"},
	{InitDone, Responder, IKE_SA_INIT, RecvRequest, OK, InitDone, SendResponse, HalfOpen,
		"2.1: a retransmitted IKE_SA_INIT request gets the same response"},

	// ---- IKE_AUTH, initiator ----
	{AuthSent, Initiator, IKE_AUTH, RecvResponse, OK, Established, SendNothing, Liveness,
		"1.2: the responder's AUTH verifies; IKE SA and first Child SA are up"},
	{AuthSent, Initiator, IKE_AUTH, RecvResponse, ChildFailed, Established, SendNothing, Liveness,
		"2.21.3: the IKE SA stands even though the Child SA was refused"},
	{AuthSent, Initiator, IKE_AUTH, RecvResponse, AuthFailed, Deleted, SendNothing, NoTimer,
		"2.21.2: AUTHENTICATION_FAILED or a bad responder AUTH ends the IKE SA"},
	{AuthSent, Initiator, IKE_AUTH, RecvResponse, Refused, Deleted, SendNothing, NoTimer,
		"2.21.1: another error in the IKE_AUTH response ends the IKE SA"},
	{AuthSent, Initiator, IKE_AUTH, RecvResponse, EAPContinue, AuthSent, SendRequest, Retransmit,
		"2.16: an EAP round (RFC7296-2.16-2): the next IKE_AUTH request carries the EAP Response, or the AUTH after EAP Success (RFC7296-2.16-10)"},

	// ---- IKE_AUTH, responder ----
	{InitDone, Responder, IKE_AUTH, RecvRequest, OK, Established, SendResponse, Liveness,
		"1.2: the initiator's AUTH verifies; IDr, AUTH, SAr2, TSi, TSr go back"},
	{InitDone, Responder, IKE_AUTH, RecvRequest, ChildFailed, Established, SendResponse, Liveness,
		"2.21.3: IKE SA up, the Child SA refused with a Notify in the response"},
	{InitDone, Responder, IKE_AUTH, RecvRequest, AuthFailed, Deleted, SendResponse, NoTimer,
		"2.21.2: AUTHENTICATION_FAILED in the response; the IKE SA is deleted"},
	{InitDone, Responder, IKE_AUTH, RecvRequest, Refused, Deleted, SendResponse, NoTimer,
		"2.21.2: an error in IKE_AUTH before authentication ends the IKE SA"},
	{InitDone, Responder, INFORMATIONAL, RecvRequest, AuthFailed, Deleted, SendResponse, NoTimer,
		"2.21.2: between EAP rounds the initiator refuses us with N(AUTHENTICATION_FAILED) in an INFORMATIONAL request (RFC7296-2.21.2-2); answered, the IKE SA ends"},
	{InitDone, Responder, IKE_AUTH, RecvRequest, EAPContinue, InitDone, SendResponse, HalfOpen,
		"2.16: an EAP round (RFC7296-2.16-2): the response carries the next EAP Request or the EAP Success (RFC7296-2.16-7); the SA stays half-open"},

	// ---- INFORMATIONAL, either role (RFC 7296 section 1.4) ----
	{Established, Initiator, INFORMATIONAL, RecvRequest, Empty, Established, SendResponse, Liveness,
		"1.4: an empty INFORMATIONAL request is a liveness check; answer it"},
	{Established, Responder, INFORMATIONAL, RecvRequest, Empty, Established, SendResponse, Liveness,
		"1.4: an empty INFORMATIONAL request is a liveness check; answer it"},
	{Established, Initiator, INFORMATIONAL, RecvRequest, DeleteChild, Established, SendResponse, Liveness,
		"1.4.1: delete the Child SAs named and answer with their partners' SPIs"},
	{Established, Responder, INFORMATIONAL, RecvRequest, DeleteChild, Established, SendResponse, Liveness,
		"1.4.1: delete the Child SAs named and answer with their partners' SPIs"},
	{Established, Initiator, INFORMATIONAL, RecvRequest, DeleteIKE, Deleted, SendResponse, NoTimer,
		"1.4.1: Delete of the IKE SA: answer with an empty INFORMATIONAL and close"},
	{Established, Responder, INFORMATIONAL, RecvRequest, DeleteIKE, Deleted, SendResponse, NoTimer,
		"1.4.1: Delete of the IKE SA: answer with an empty INFORMATIONAL and close"},
	{Established, Initiator, INFORMATIONAL, RecvResponse, OK, Established, SendNothing, Liveness,
		"1.4: the response to our INFORMATIONAL request"},
	{Established, Responder, INFORMATIONAL, RecvResponse, OK, Established, SendNothing, Liveness,
		"1.4: the response to our INFORMATIONAL request"},
	{Established, Initiator, INFORMATIONAL, TimerLiveness, OK, Established, SendRequest, Retransmit,
		"1.4, 2.4: an empty INFORMATIONAL request checks the peer is alive"},
	{Established, Responder, INFORMATIONAL, TimerLiveness, OK, Established, SendRequest, Retransmit,
		"1.4, 2.4: an empty INFORMATIONAL request checks the peer is alive"},
	{Established, Initiator, INFORMATIONAL, CmdChildDelete, OK, Established, SendRequest, Retransmit,
		"1.4.1: a Delete of our Child SA's inbound SPI"},
	{Established, Responder, INFORMATIONAL, CmdChildDelete, OK, Established, SendRequest, Retransmit,
		"1.4.1: a Delete of our Child SA's inbound SPI"},
	{Established, Initiator, INFORMATIONAL, CmdTerminate, OK, Deleting, SendRequest, Retransmit,
		"1.4.1: a Delete of the IKE SA"},
	{Established, Responder, INFORMATIONAL, CmdTerminate, OK, Deleting, SendRequest, Retransmit,
		"1.4.1: a Delete of the IKE SA"},
	{Deleting, Initiator, INFORMATIONAL, RecvResponse, OK, Deleted, SendNothing, NoTimer,
		"1.4.1: the peer acknowledged the Delete of the IKE SA"},
	{Deleting, Responder, INFORMATIONAL, RecvResponse, OK, Deleted, SendNothing, NoTimer,
		"1.4.1: the peer acknowledged the Delete of the IKE SA"},
	{Deleting, Initiator, INFORMATIONAL, RecvRequest, DeleteIKE, Deleted, SendResponse, NoTimer,
		"2.25: both ends deleted the IKE SA at once; answer and close"},
	{Deleting, Responder, INFORMATIONAL, RecvRequest, DeleteIKE, Deleted, SendResponse, NoTimer,
		"2.25: both ends deleted the IKE SA at once; answer and close"},
	{Deleting, Initiator, INFORMATIONAL, RecvRequest, Empty, Deleting, SendResponse, Retransmit,
		"1.4: requests are still answered while our Delete is outstanding"},
	{Deleting, Responder, INFORMATIONAL, RecvRequest, Empty, Deleting, SendResponse, Retransmit,
		"1.4: requests are still answered while our Delete is outstanding"},
	{Deleting, Initiator, INFORMATIONAL, RecvRequest, DeleteChild, Deleting, SendResponse, Retransmit,
		"1.4.1: Child SA deletes are still answered while our Delete is outstanding"},
	{Deleting, Responder, INFORMATIONAL, RecvRequest, DeleteChild, Deleting, SendResponse, Retransmit,
		"1.4.1: Child SA deletes are still answered while our Delete is outstanding"},

	{Established, Initiator, INFORMATIONAL, RecvRequest, Refused, Established, SendResponse, Liveness,
		"2.21.3: after authentication, an erroneous request is answered with the error"},
	{Established, Responder, INFORMATIONAL, RecvRequest, Refused, Established, SendResponse, Liveness,
		"2.21.3: after authentication, an erroneous request is answered with the error"},
	{Deleting, Initiator, INFORMATIONAL, RecvRequest, Refused, Deleting, SendResponse, Retransmit,
		"2.21.3: after authentication, an erroneous request is answered with the error"},
	{Deleting, Responder, INFORMATIONAL, RecvRequest, Refused, Deleting, SendResponse, Retransmit,
		"2.21.3: after authentication, an erroneous request is answered with the error"},

	{Established, Initiator, INFORMATIONAL, ReportError, OK, Established, SendRequest, Retransmit,
		"2.21.4: an error outside a request is reported in an INFORMATIONAL request (RFC7296-2.21.4-7)"},
	{Established, Responder, INFORMATIONAL, ReportError, OK, Established, SendRequest, Retransmit,
		"2.21.4: an error outside a request is reported in an INFORMATIONAL request (RFC7296-2.21.4-7)"},

	// ---- the operator ends an IKE SA that is not established ----
	{InitSent, Initiator, 0, CmdTerminate, OK, Deleted, SendNothing, NoTimer,
		"not established: nothing to tell the peer"},
	{AuthSent, Initiator, 0, CmdTerminate, OK, Deleted, SendNothing, NoTimer,
		"not established: nothing to tell the peer"},
	{InitDone, Responder, 0, CmdTerminate, OK, Deleted, SendNothing, NoTimer,
		"not established: nothing to tell the peer"},
	{Deleting, Initiator, 0, CmdTerminate, OK, Deleted, SendNothing, NoTimer,
		"a second terminate while the Delete is outstanding: close at once"},
	{Deleting, Responder, 0, CmdTerminate, OK, Deleted, SendNothing, NoTimer,
		"a second terminate while the Delete is outstanding: close at once"},

	// ---- giving up (RFC 7296 section 2.4; 2.6 for half-open SAs) ----
	{InitSent, Initiator, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: no answer after the retransmissions: the setup fails"},
	{AuthSent, Initiator, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: no answer after the retransmissions: the setup fails"},
	{InitDone, Responder, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.6: a half-open IKE SA times out"},
	{Established, Initiator, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: the peer did not answer: it is considered dead and the SAs deleted"},
	{Established, Responder, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: the peer did not answer: it is considered dead and the SAs deleted"},
	{Deleting, Initiator, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: the Delete went unanswered; the IKE SA is deleted anyway"},
	{Deleting, Responder, 0, TimerGiveUp, OK, Deleted, SendNothing, NoTimer,
		"2.4: the Delete went unanswered; the IKE SA is deleted anyway"},
}

var index = func() map[key]Transition {
	m := make(map[key]Transition, len(Table))
	for _, t := range Table {
		k := key{t.From, t.Role, t.Exchange, t.Event, t.Outcome}
		if _, dup := m[k]; dup {
			panic("model: duplicate transition " + t.String())
		}
		m[k] = t
	}
	return m
}()

// Lookup returns the transition for the given state, role, exchange, event
// and outcome, or false when the table has none: the event is then not
// acceptable in that state, and the engine drops it.
func Lookup(from State, role Role, x Exchange, ev Event, out Outcome) (Transition, bool) {
	t, ok := index[key{from, role, x, ev, out}]
	return t, ok
}

// Accepts reports whether any outcome of the event is defined in the state:
// the dispatcher's first question about a message, before it is processed.
func Accepts(from State, role Role, x Exchange, ev Event) bool {
	for _, t := range Table {
		if t.From == from && t.Role == role && t.Exchange == x && t.Event == ev {
			return true
		}
	}
	return false
}
