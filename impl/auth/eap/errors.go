package eap

import (
	"errors"
	"fmt"
)

// The sentinels every error of the package matches (errors.Is). Each error
// starts with "eap:" and says which rule the input broke.
var (
	// ErrMalformed is matched by every decoding failure (*DecodeError).
	ErrMalformed = errors.New("eap: malformed packet")
	// ErrUnexpected: a well-formed packet that the state machine does not
	// accept now (wrong Code, Type or OpCode for the state).
	ErrUnexpected = errors.New("eap: unexpected packet")
	// ErrIdentifier: an Identifier or MS-CHAPv2-ID that does not answer the
	// outstanding Request, or a new Request reusing the last Identifier.
	ErrIdentifier = errors.New("eap: identifier mismatch")
	// ErrEarlySuccess: an EAP-Success before the method finished and, for
	// MSCHAPv2, before the authenticator response verified.
	ErrEarlySuccess = errors.New("eap: EAP-Success before the method finished")
	// ErrAuthFailed: the peer's proof (MD5 response, NT-Response) does not
	// verify, or its identity is unknown (the two are not told apart).
	ErrAuthFailed = errors.New("eap: authentication failed")
	// ErrServerAuth: the authenticator response of an MSCHAPv2 Success
	// Request does not verify (RFC 2759 section 5: the peer MUST end the
	// session).
	ErrServerAuth = errors.New("eap: authenticator response does not verify")
	// ErrRejected: the other end ended the run with a failure (EAP-Failure,
	// MSCHAPv2 Failure).
	ErrRejected = errors.New("eap: rejected by the other end")
	// ErrNoMethod: no method both ends accept (Nak, RFC 3748 section 5.3).
	ErrNoMethod = errors.New("eap: no acceptable method")
	// ErrTooManyRounds: the run exceeded its bound of rounds.
	ErrTooManyRounds = errors.New("eap: too many rounds")
	// ErrFinished: Step called after the run ended.
	ErrFinished = errors.New("eap: run already finished")
	// ErrConfig: a configuration or argument the package cannot use.
	ErrConfig = errors.New("eap: bad configuration")
)

// DecodeError is a decoding failure: the octet offset from the start of the
// EAP packet where the rule broke, and the rule.
type DecodeError struct {
	Offset int
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("eap: malformed packet at offset %d: %s", e.Offset, e.Reason)
}

// Unwrap makes every DecodeError match ErrMalformed.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

func errAt(off int, format string, args ...any) *DecodeError {
	return &DecodeError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// refused turns the decoding error of something Encode or a Marshal
// method built into the caller's error: what it asked for would not decode.
func refused(err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		return fmt.Errorf("eap: refusing to encode, the result would not decode (offset %d: %s): %w", de.Offset, de.Reason, ErrConfig)
	}
	return err
}

// wrapf returns an error matching sentinel, its message the sentinel's
// followed by the detail.
func wrapf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
