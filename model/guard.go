package model

// Guards of the table (RFC 7296 sections 1.2, 2.8.2, 2.16): the condition
// under which a row applies. The engine decides a row's outcome from the
// message with its keys and policy; the explorer decides it from the
// abstract facts below. A row without a guard here applies when the
// outcome's own condition holds (the facts yield that outcome); a guarded
// row applies exactly when its guard holds, whatever else the facts say.
// Mutating a guard is how the seeded-bug tests break the model.

// Guard names a condition over the facts of one received message.
type Guard uint8

const (
	GuardOutcome    Guard = iota // the outcome's own condition (default)
	GuardPeerAuth                // the peer's AUTH verified (for EAP: the final AUTH, after EAP Success)
	GuardEAPSuccess              // the message carries EAP Success
	GuardRekeyWon                // our IKE rekey completed and ours does not hold the lowest nonce of a collision (2.8.2)
	GuardRekeyLost               // in a collision, ours holds the lowest nonce, or failed while the peer's stands (2.8.2)
	GuardRekeyDone               // our IKE rekey completed (nonces not compared)
	GuardAlways                  // no condition
)

var guardNames = [...]string{"outcome", "peer-auth-verified", "eap-success", "rekey-won", "rekey-lost", "rekey-done", "always"}

func (g Guard) String() string { return guardNames[g] }

// Facts are what the explorer's abstract peer observed in a message and
// its state: the inputs of the guards.
type Facts struct {
	Outcomes   []Outcome // the outcomes whose own condition holds
	PeerAuth   bool      // the message's AUTH verifies (for EAP: after EAP Success with the MSK)
	EAPSuccess bool
	RekeyOK    bool // the response completes our IKE rekey
	Collision  bool // the peer's IKE rekey of the same SA was answered meanwhile
	Lowest     bool // ours holds the lowest nonce of the collision
}

// Holds evaluates the guard g of a row with outcome o.
func (g Guard) Holds(o Outcome, f Facts) bool {
	switch g {
	case GuardOutcome:
		for _, x := range f.Outcomes {
			if x == o {
				return true
			}
		}
		return false
	case GuardPeerAuth:
		return f.PeerAuth && GuardOutcome.Holds(o, f)
	case GuardEAPSuccess:
		return f.EAPSuccess
	case GuardRekeyWon:
		return f.RekeyOK && !(f.Collision && f.Lowest)
	case GuardRekeyLost:
		return f.Collision && (f.Lowest || !f.RekeyOK)
	case GuardRekeyDone:
		return f.RekeyOK
	case GuardAlways:
		return true
	}
	return false
}

// RowKey names a row of the IKE SA table (the role is ignored for rows that
// bothRoles duplicates when Role is matched by AnyRole).
type RowKey struct {
	From     State
	Role     Role
	Exchange Exchange
	Event    Event
	Outcome  Outcome
}

// KeyOf is the row key of t.
func KeyOf(t Transition) RowKey { return RowKey{t.From, t.Role, t.Exchange, t.Event, t.Outcome} }

// Guards are the explicit guards of the table's rows.
var Guards = func() map[RowKey]Guard {
	m := map[RowKey]Guard{
		// 1.2, 2.15, 2.16: IKE_AUTH establishes the IKE SA only when the
		// peer's AUTH verifies; with EAP, that is the AUTH computed from the
		// MSK after EAP Success (RFC7296-2.16-10), never EAP Success alone.
		{AuthSent, Initiator, IKE_AUTH, RecvResponse, OK}: GuardPeerAuth,
		{InitDone, Responder, IKE_AUTH, RecvRequest, OK}:  GuardPeerAuth,
	}
	// 2.8.2: of two simultaneous IKE SA rekeys, the one with the lowest
	// nonce is redundant.
	for _, r := range []Role{Initiator, Responder} {
		m[RowKey{Established, r, CREATE_CHILD_SA, RecvResponse, IKERekeyed}] = GuardRekeyWon
		m[RowKey{Established, r, CREATE_CHILD_SA, RecvResponse, LostCollision}] = GuardRekeyLost
	}
	return m
}()
