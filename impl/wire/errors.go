package wire

import (
	"errors"
	"fmt"
)

// ErrMalformed is matched (errors.Is) by every decoding failure. The engine
// answers an authenticated malformed message with INVALID_SYNTAX
// (RFC 7296 section 2.21.1) and drops an unauthenticated one silently.
var ErrMalformed = errors.New("ike: malformed message")

// ErrMajorVersion is matched by the error Decode returns for a header whose
// major version is not 2. The header is still returned so that the engine
// can answer INVALID_MAJOR_VERSION (RFC 7296 sections 1.5 and 2.5).
var ErrMajorVersion = errors.New("ike: unsupported major version")

// Error is a decoding failure: where it happened and why.
type Error struct {
	Offset  int         // octet offset from the start of the decoded buffer
	Payload PayloadType // the payload being read; PayloadNone for the IKE header
	Reason  string
	err     error // the sentinel this error matches
}

func (e *Error) Error() string {
	where := "IKE header"
	if e.Payload != PayloadNone {
		where = e.Payload.String() + " payload"
	}
	return fmt.Sprintf("ike: malformed %s at offset %d: %s", where, e.Offset, e.Reason)
}

// Unwrap lets errors.Is match ErrMalformed or ErrMajorVersion.
func (e *Error) Unwrap() error {
	if e.err == nil {
		return ErrMalformed
	}
	return e.err
}

func errAt(off int, p PayloadType, format string, args ...any) *Error {
	return &Error{Offset: off, Payload: p, Reason: fmt.Sprintf(format, args...)}
}
