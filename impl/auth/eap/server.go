package eap

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
)

// MaxRetriesLimit bounds ServerConfig.MaxRetries.
const MaxRetriesLimit = 3

// ServerConfig configures an authenticator.
type ServerConfig struct {
	// Methods are the methods the server proposes, most preferred first
	// (empty: MSCHAPv2 alone). The first is requested; a peer's Nak may
	// pick another from the list (RFC 3748 section 5.3.1).
	Methods []Type
	// Password returns the password of an EAP identity (RFC 3748 section
	// 5.1); ok is false for an unknown identity. The run then goes on
	// with a random password and fails like a wrong password, so that
	// the wire does not tell which identities exist.
	Password func(identity []byte) (password []byte, ok bool)
	// Name is the authenticator's name in MD5-Challenge and MSCHAPv2
	// Challenge Requests (empty: "ikev2ref").
	Name string
	// MaxRetries is how many more MSCHAPv2 Responses the server accepts
	// after a wrong one, each after a Failure Request with R=1 and a new
	// challenge (RFC 2759 section 6); zero allows none. At most
	// MaxRetriesLimit.
	MaxRetries int
	// Rand is the source of identifiers and challenges (nil:
	// crypto/rand). Tests inject a deterministic reader.
	Rand io.Reader
}

type serverState int

const (
	srvIdle      serverState = iota
	srvIdentity              // Identity Request sent
	srvMethod                // first Request of a method sent; a Nak may answer it
	srvMSRetry               // MSCHAPv2 Failure Request with R=1 sent
	srvMSSuccess             // MSCHAPv2 Success Request sent
	srvMSFailure             // MSCHAPv2 Failure Request with R=0 sent
	srvDone
)

func (s serverState) String() string {
	switch s {
	case srvIdle:
		return "nothing sent"
	case srvIdentity:
		return "Identity Request sent"
	case srvMethod:
		return "method Request sent"
	case srvMSRetry:
		return "MSCHAPv2 Failure Request (retry) sent"
	case srvMSSuccess:
		return "MSCHAPv2 Success Request sent"
	case srvMSFailure:
		return "MSCHAPv2 Failure Request sent"
	case srvDone:
		return "finished"
	}
	return fmt.Sprintf("serverState(%d)", int(s))
}

// Server is the authenticator's state machine. The zero value is not
// usable; use NewServer.
type Server struct {
	cfg     ServerConfig
	methods []Type
	rand    io.Reader
	name    []byte

	state    serverState
	result   Status
	id       uint8 // Identifier of the outstanding Request
	rounds   int
	maxRound int

	identity []byte
	password []byte
	known    bool
	method   Type
	offered  []Type // methods requested so far

	challenge []byte // MD5 challenge or MSCHAPv2 authenticator challenge
	msID      uint8  // MS-CHAPv2-ID of the outstanding MSCHAPv2 Request
	retries   int
	msk       []byte
}

// NewServer checks the configuration and returns a server that has sent
// nothing yet: its first Step, with nil, yields the Identity Request.
func NewServer(cfg ServerConfig) (*Server, error) {
	methods, err := methodList(cfg.Methods)
	if err != nil {
		return nil, err
	}
	if cfg.Password == nil {
		return nil, wrapf(ErrConfig, "server without a Password lookup")
	}
	if cfg.MaxRetries < 0 || cfg.MaxRetries > MaxRetriesLimit {
		return nil, wrapf(ErrConfig, "MaxRetries %d outside 0 to %d", cfg.MaxRetries, MaxRetriesLimit)
	}
	name := []byte(cfg.Name)
	if len(name) == 0 {
		name = []byte("ikev2ref")
	}
	if len(name) > 255 {
		return nil, wrapf(ErrConfig, "authenticator name of %d octets", len(name))
	}
	s := &Server{cfg: cfg, methods: methods, rand: randReader(cfg.Rand), name: name}
	// Identity, one Request per method (Naks), the retries, the
	// MSCHAPv2 Success or Failure acknowledgement.
	s.maxRound = 1 + len(methods) + cfg.MaxRetries + 1
	var b [1]byte
	if err := readRand(s.rand, b[:]); err != nil {
		return nil, err
	}
	s.id = b[0]
	return s, nil
}

// Identity is the EAP identity the peer gave (nil before).
func (s *Server) Identity() []byte { return bytes.Clone(s.identity) }

// Method is the method the run uses (zero before one was requested).
func (s *Server) Method() Type { return s.method }

// MSK is the master session key of a successful MSCHAPv2 run (RFC 3748
// section 7.10, laid out as MSCHAPv2MSK says); nil otherwise, and always
// nil for MD5, which derives none (RFC7296-2.16-6).
func (s *Server) MSK() []byte {
	if s.state != srvDone || s.result != Success {
		return nil
	}
	return bytes.Clone(s.msk)
}

// Step advances the run. The first Step takes nil and returns the Identity
// Request; each later one takes the peer's Response and returns the next
// Request, or the EAP-Success or EAP-Failure that ends the run. On an
// error the run has ended: the status is Failure and out is the
// EAP-Failure to send (RFC7296-2.16-9). After the end, Step returns
// ErrFinished and nothing to send.
func (s *Server) Step(in []byte) (out []byte, st Status, err error) {
	switch s.state {
	case srvDone:
		return nil, s.result, wrapf(ErrFinished, "the server run ended with %v", s.result)
	case srvIdle:
		if in != nil {
			return s.fail(wrapf(ErrUnexpected, "server received a packet before its Identity Request"))
		}
		s.state = srvIdentity
		s.next()
		return s.send(TypeIdentity, nil)
	}
	s.rounds++
	if s.rounds > s.maxRound {
		return s.fail(wrapf(ErrTooManyRounds, "server past its %d rounds", s.maxRound))
	}
	p, err := Decode(in)
	if err != nil {
		return s.fail(err)
	}
	if p.Code != CodeResponse {
		return s.fail(wrapf(ErrUnexpected, "server received a %v; a peer sends Responses (RFC 3748 section 4)", p.Code))
	}
	if p.Identifier != s.id {
		return s.fail(wrapf(ErrIdentifier, "Response Identifier %d, but the outstanding Request has %d (RFC 3748 section 4.1)", p.Identifier, s.id))
	}
	switch s.state {
	case srvIdentity:
		return s.onIdentity(p)
	case srvMethod:
		if p.Type == TypeNak {
			return s.onNak(p)
		}
	}
	if p.Type != s.method {
		return s.fail(wrapf(ErrUnexpected, "%v Response to a %v Request (RFC 3748 section 5.3.1)", p.Type, s.method))
	}
	if s.method == TypeMD5Challenge {
		return s.onMD5(p)
	}
	return s.onMSCHAPv2(p)
}

func (s *Server) onIdentity(p *Packet) ([]byte, Status, error) {
	if p.Type != TypeIdentity {
		// A Nak answers only a Request for an authentication method.
		return s.fail(wrapf(ErrUnexpected, "%v Response to the Identity Request (RFC 3748 sections 5.1, 5.3.1)", p.Type))
	}
	if len(p.Data) == 0 {
		return s.fail(wrapf(ErrUnexpected, "empty identity: no password to look up"))
	}
	s.identity = bytes.Clone(p.Data)
	pw, ok := s.cfg.Password(s.identity)
	s.known = ok
	if ok {
		s.password = bytes.Clone(pw)
	} else {
		// A random password, as text so that MSCHAPv2 can hash it.
		r := make([]byte, 16)
		if err := readRand(s.rand, r); err != nil {
			return s.fail(err)
		}
		s.password = []byte(hex.EncodeToString(r))
	}
	return s.startMethod(s.methods[0])
}

// onNak handles a Nak to the first Request of a method: another method of
// the configured list that the peer proposes and that was not tried yet,
// or the end.
func (s *Server) onNak(p *Packet) ([]byte, Status, error) {
	want, err := ParseNak(p.Data)
	if err != nil {
		return s.fail(err)
	}
	for _, m := range s.methods {
		if slices.Contains(want, m) && !slices.Contains(s.offered, m) {
			return s.startMethod(m)
		}
	}
	return s.fail(wrapf(ErrNoMethod, "peer refused %v and proposes %v; the server offers %v", s.method, want, s.methods))
}

func (s *Server) startMethod(m Type) ([]byte, Status, error) {
	s.method = m
	s.offered = append(s.offered, m)
	s.state = srvMethod
	s.challenge = make([]byte, ChallengeLen)
	if err := readRand(s.rand, s.challenge); err != nil {
		return s.fail(err)
	}
	s.next()
	if m == TypeMD5Challenge {
		data, err := (&MD5Challenge{Value: s.challenge, Name: s.name}).Marshal()
		if err != nil {
			return s.fail(err)
		}
		return s.send(TypeMD5Challenge, data)
	}
	s.msID = s.id // MS-CHAPv2-ID: typically the EAP Identifier (draft section 2)
	c := &MSCHAPv2{OpCode: OpChallenge, ID: s.msID, Name: s.name}
	copy(c.Challenge[:], s.challenge)
	return s.sendMSCHAPv2(c)
}

func (s *Server) onMD5(p *Packet) ([]byte, Status, error) {
	r, err := ParseMD5Challenge(CodeResponse, p.Data)
	if err != nil {
		return s.fail(err)
	}
	want := MD5Response(p.Identifier, s.password, s.challenge)
	if subtle.ConstantTimeCompare(want[:], r.Value) != 1 || !s.known {
		return s.fail(wrapf(ErrAuthFailed, "MD5-Challenge response of %q does not verify (RFC 1994 section 4.1)", s.identity))
	}
	return s.end(Success, nil)
}

func (s *Server) onMSCHAPv2(p *Packet) ([]byte, Status, error) {
	m, err := ParseMSCHAPv2(CodeResponse, p.Data)
	if err != nil {
		return s.fail(err)
	}
	switch {
	case m.OpCode == OpResponse && (s.state == srvMethod || s.state == srvMSRetry):
		if m.ID != s.msID {
			return s.fail(wrapf(ErrIdentifier, "MS-CHAPv2-ID %d, but the outstanding Request has %d", m.ID, s.msID))
		}
		return s.verifyNTResponse(m)
	case m.OpCode == OpSuccess && s.state == srvMSSuccess:
		// The peer verified the authenticator response (draft section 2.4).
		return s.end(Success, nil)
	case m.OpCode == OpFailure && (s.state == srvMSFailure || s.state == srvMSRetry):
		return s.fail(wrapf(ErrAuthFailed, "MSCHAPv2 NT-Response of %q does not verify", s.identity))
	case m.OpCode == OpFailure && s.state == srvMSSuccess:
		return s.fail(wrapf(ErrRejected, "peer refused the MSCHAPv2 authenticator response"))
	}
	return s.fail(wrapf(ErrUnexpected, "MSCHAPv2 %v Response while %v", m.OpCode, s.state))
}

func (s *Server) verifyNTResponse(m *MSCHAPv2) ([]byte, Status, error) {
	var auth [ChallengeLen]byte
	copy(auth[:], s.challenge)
	ph, err := NTPasswordHash(s.password)
	if err != nil {
		return s.fail(err)
	}
	want := GenerateNTResponse(auth, m.PeerChallenge, m.Name, ph)
	ok := subtle.ConstantTimeCompare(want[:], m.NTResponse[:]) == 1
	// The Name enters ChallengeHash; it must name the identity whose
	// password was looked up (compared without the domain, which
	// ChallengeHash ignores).
	ok = ok && s.known && bytes.Equal(UserName(m.Name), UserName(s.identity))
	if ok {
		a := GenerateAuthenticatorResponse(ph, m.NTResponse, m.PeerChallenge, auth, m.Name)
		s.msk = MSCHAPv2MSK(ph, m.NTResponse)
		s.state = srvMSSuccess
		s.next()
		return s.sendMSCHAPv2(&MSCHAPv2{OpCode: OpSuccess, ID: s.msID, Message: []byte(AuthString(a) + " M=Welcome")})
	}
	f := &FailureMessage{Error: 691, HasVersion: true, Version: 3, HasText: true, Text: []byte("Authentication failed")}
	if err := readRand(s.rand, s.challenge); err != nil {
		return s.fail(err)
	}
	copy(f.Challenge[:], s.challenge)
	if s.retries < s.cfg.MaxRetries {
		s.retries++
		f.Retry = true
		s.state = srvMSRetry
	} else {
		s.state = srvMSFailure
	}
	// The Failure Request keeps the MS-CHAPv2-ID (it answers the
	// Response); a retry's Response echoes it.
	s.next()
	return s.sendMSCHAPv2(&MSCHAPv2{OpCode: OpFailure, ID: s.msID, Message: f.Marshal()})
}

// next moves to the Identifier of a new Request (RFC 3748 section 4.1:
// a new Request modifies the Identifier).
func (s *Server) next() { s.id++ }

// send encodes a Request under the current Identifier.
func (s *Server) send(t Type, data []byte) ([]byte, Status, error) {
	out, err := encodeTyped(CodeRequest, s.id, t, data)
	if err != nil {
		return s.fail(err)
	}
	return out, Continue, nil
}

func (s *Server) sendMSCHAPv2(m *MSCHAPv2) ([]byte, Status, error) {
	data, err := m.Marshal(CodeRequest)
	if err != nil {
		return s.fail(err)
	}
	return s.send(TypeMSCHAPv2, data)
}

// end finishes the run with EAP-Success or EAP-Failure, its Identifier that
// of the Response it answers (RFC 3748 section 4.2).
func (s *Server) end(st Status, err error) ([]byte, Status, error) {
	code := CodeSuccess
	if st != Success {
		code = CodeFailure
		s.msk = nil
	}
	s.state, s.result = srvDone, st
	out, _ := (&Packet{Code: code, Identifier: s.id}).Encode()
	return out, st, err
}

func (s *Server) fail(err error) ([]byte, Status, error) {
	return s.end(Failure, err)
}
