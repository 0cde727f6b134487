package eap

import (
	"crypto/rand"
	"fmt"
	"io"
)

// Status is where a run stands after a Step.
type Status int

const (
	// Continue: the run goes on; out holds the packet to send.
	Continue Status = iota
	// Success: the run ended and authenticated the peer (and, for
	// MSCHAPv2, the authenticator). A Server's out holds the EAP-Success
	// to send; a Client has nothing to send.
	Success
	// Failure: the run ended without authentication; the error says why.
	// A Server's out holds the EAP-Failure to send.
	Failure
)

func (s Status) String() string {
	switch s {
	case Continue:
		return "Continue"
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// supported reports whether this package implements method t.
func supported(t Type) bool { return t == TypeMD5Challenge || t == TypeMSCHAPv2 }

// methodList checks a configured list of methods: each supported, none
// twice; an empty list means MSCHAPv2 alone.
func methodList(ms []Type) ([]Type, error) {
	if len(ms) == 0 {
		return []Type{TypeMSCHAPv2}, nil
	}
	seen := map[Type]bool{}
	for _, m := range ms {
		if !supported(m) {
			return nil, wrapf(ErrConfig, "method %v is not implemented (MD5-Challenge and MSCHAPv2 are)", m)
		}
		if seen[m] {
			return nil, wrapf(ErrConfig, "method %v listed twice", m)
		}
		seen[m] = true
	}
	return append([]Type{}, ms...), nil
}

func randReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

func readRand(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("eap: reading randomness: %w", err)
	}
	return nil
}

// encodeTyped builds and encodes a Request or Response with Type-Data.
func encodeTyped(code Code, id uint8, t Type, data []byte) ([]byte, error) {
	return (&Packet{Code: code, Identifier: id, Type: t, Data: data}).Encode()
}
