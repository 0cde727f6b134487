package eap

import (
	"bytes"
	"fmt"
	"io"
	"slices"
)

// MaxClientRounds bounds the Requests a Client answers in one run
// (Identity, Notifications, Naks and the method's rounds together).
const MaxClientRounds = 16

// ClientConfig configures a peer.
type ClientConfig struct {
	// Identity is the EAP identity sent in the Identity Response (RFC 3748
	// section 5.1) and the Name of the MD5 and MSCHAPv2 Responses.
	Identity []byte
	// Password is the shared secret (MD5) or the user's password
	// (MSCHAPv2: UTF-8 text, at most 256 UTF-16 units).
	Password []byte
	// Methods are the methods the peer accepts, most preferred first
	// (empty: MSCHAPv2 alone). EAP-MD5 runs only when listed: it cannot
	// authenticate the server and derives no key (RFC7296-2.16-5).
	Methods []Type
	// Rand is the source of the MSCHAPv2 peer challenge (nil:
	// crypto/rand).
	Rand io.Reader
}

type clientState int

const (
	cliStart       clientState = iota // no method started: Identity, Notification, Nak
	cliMD5Done                        // answered the MD5 challenge
	cliMSResponded                    // sent the MSCHAPv2 Response
	cliMSVerified                     // verified the authenticator response, sent the Success Response
	cliMSFailed                       // answered a Failure Request
	cliDone
)

func (s clientState) String() string {
	switch s {
	case cliStart:
		return "no method started"
	case cliMD5Done:
		return "MD5 challenge answered"
	case cliMSResponded:
		return "MSCHAPv2 Response sent, authenticator not verified"
	case cliMSVerified:
		return "MSCHAPv2 authenticator verified"
	case cliMSFailed:
		return "MSCHAPv2 failed"
	case cliDone:
		return "finished"
	}
	return fmt.Sprintf("clientState(%d)", int(s))
}

// Client is the peer's state machine. The zero value is not usable; use
// NewClient.
type Client struct {
	cfg     ClientConfig
	methods []Type
	rand    io.Reader

	state  clientState
	result Status
	rounds int

	answered bool   // a Response was sent
	lastReq  []byte // the Request last answered, for duplicates
	lastID   uint8  // its Identifier
	lastResp []byte // the Response sent to it

	method       Type
	passwordHash [16]byte
	msID         uint8
	authResp     [20]byte
	msk          []byte
	failure      *FailureMessage
}

// NewClient checks the configuration and returns a peer waiting for the
// authenticator's first Request.
func NewClient(cfg ClientConfig) (*Client, error) {
	methods, err := methodList(cfg.Methods)
	if err != nil {
		return nil, err
	}
	if len(cfg.Identity) == 0 || len(cfg.Identity) > 255 {
		return nil, wrapf(ErrConfig, "client identity of %d octets; 1 to 255 fit every Name field", len(cfg.Identity))
	}
	if cfg.Identity[len(cfg.Identity)-1] == 0 {
		return nil, wrapf(ErrConfig, "client identity is null terminated (RFC 3748 section 5.1)")
	}
	c := &Client{cfg: cfg, methods: methods, rand: randReader(cfg.Rand)}
	if slices.Contains(methods, TypeMSCHAPv2) {
		if c.passwordHash, err = NTPasswordHash(cfg.Password); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Method is the method the run uses (zero before one started).
func (c *Client) Method() Type { return c.method }

// MSK is the master session key of a successful MSCHAPv2 run (laid out as
// MSCHAPv2MSK says); nil otherwise, and always nil for MD5, which derives
// none (RFC7296-2.16-6).
func (c *Client) MSK() []byte {
	if c.state != cliDone || c.result != Success {
		return nil
	}
	return bytes.Clone(c.msk)
}

// Step takes one packet from the authenticator. A Request yields the
// Response to send and Continue; an EAP-Success that the run may accept
// yields Success, and an EAP-Failure yields Failure with ErrRejected, both
// with nothing to send. Any other input ends the run with Failure and an
// error saying why; after the end, Step returns ErrFinished.
func (c *Client) Step(in []byte) (out []byte, st Status, err error) {
	if c.state == cliDone {
		return nil, c.result, wrapf(ErrFinished, "the client run ended with %v", c.result)
	}
	c.rounds++
	if c.rounds > MaxClientRounds {
		return c.fail(wrapf(ErrTooManyRounds, "client past its %d rounds", MaxClientRounds))
	}
	p, err := Decode(in)
	if err != nil {
		return c.fail(err)
	}
	switch p.Code {
	case CodeSuccess:
		return c.onSuccess(p)
	case CodeFailure:
		return c.onFailure(p)
	case CodeResponse:
		return c.fail(wrapf(ErrUnexpected, "client received a Response; an authenticator sends Requests (RFC 3748 section 4)"))
	}
	if c.answered && p.Identifier == c.lastID {
		// RFC 3748 section 4.1: a retransmitted Request keeps its
		// Identifier and gets the same Response again; a new Request
		// modifies the Identifier.
		if bytes.Equal(in, c.lastReq) {
			return bytes.Clone(c.lastResp), Continue, nil
		}
		return c.fail(wrapf(ErrIdentifier, "a new Request reuses Identifier %d (RFC 3748 section 4.1)", p.Identifier))
	}
	switch p.Type {
	case TypeIdentity:
		if c.state != cliStart {
			return c.fail(wrapf(ErrUnexpected, "Identity Request while %v", c.state))
		}
		return c.respond(in, p, TypeIdentity, c.cfg.Identity)
	case TypeNotification:
		// RFC 3748 section 5.2: answered with an empty Notification.
		return c.respond(in, p, TypeNotification, nil)
	}
	if c.method == 0 {
		if !slices.Contains(c.methods, p.Type) {
			// RFC 3748 section 5.3.1: a Nak proposes the methods the
			// peer accepts.
			nak := make([]byte, len(c.methods))
			for i, m := range c.methods {
				nak[i] = byte(m)
			}
			return c.respond(in, p, TypeNak, nak)
		}
		c.method = p.Type
	} else if p.Type != c.method {
		// RFC 3748 section 2.1: no Request of another Type before the
		// method completes.
		return c.fail(wrapf(ErrUnexpected, "%v Request during %v", p.Type, c.method))
	}
	if c.method == TypeMD5Challenge {
		return c.onMD5(in, p)
	}
	return c.onMSCHAPv2(in, p)
}

func (c *Client) onMD5(in []byte, p *Packet) ([]byte, Status, error) {
	if c.state != cliStart {
		return c.fail(wrapf(ErrUnexpected, "MD5-Challenge Request while %v: EAP-MD5 is one round", c.state))
	}
	r, err := ParseMD5Challenge(CodeRequest, p.Data)
	if err != nil {
		return c.fail(err)
	}
	v := MD5Response(p.Identifier, c.cfg.Password, r.Value)
	data, err := (&MD5Challenge{Value: v[:], Name: c.cfg.Identity}).Marshal()
	if err != nil {
		return c.fail(err)
	}
	c.state = cliMD5Done
	return c.respond(in, p, TypeMD5Challenge, data)
}

func (c *Client) onMSCHAPv2(in []byte, p *Packet) ([]byte, Status, error) {
	m, err := ParseMSCHAPv2(CodeRequest, p.Data)
	if err != nil {
		return c.fail(err)
	}
	switch {
	case m.OpCode == OpChallenge && c.state == cliStart:
		r := &MSCHAPv2{OpCode: OpResponse, ID: m.ID, Name: c.cfg.Identity}
		if err := readRand(c.rand, r.PeerChallenge[:]); err != nil {
			return c.fail(err)
		}
		r.NTResponse = GenerateNTResponse(m.Challenge, r.PeerChallenge, c.cfg.Identity, c.passwordHash)
		c.authResp = GenerateAuthenticatorResponse(c.passwordHash, r.NTResponse, r.PeerChallenge, m.Challenge, c.cfg.Identity)
		c.msk = MSCHAPv2MSK(c.passwordHash, r.NTResponse)
		c.msID = m.ID
		c.state = cliMSResponded
		return c.respondMSCHAPv2(in, p, r)
	case (m.OpCode == OpSuccess || m.OpCode == OpFailure) && c.state == cliMSResponded:
		if m.ID != c.msID {
			return c.fail(wrapf(ErrIdentifier, "MSCHAPv2 %v Request with MS-CHAPv2-ID %d, but the Response had %d", m.OpCode, m.ID, c.msID))
		}
		if m.OpCode == OpFailure {
			f, err := ParseFailureMessage(m.Message)
			if err != nil {
				return c.fail(err)
			}
			// The peer has one password, so it does not retry; it
			// answers with a Failure Response (draft section 2.6).
			c.failure = f
			c.state = cliMSFailed
			return c.respondMSCHAPv2(in, p, &MSCHAPv2{OpCode: OpFailure})
		}
		auth, _, err := ParseSuccessMessage(m.Message)
		if err != nil {
			return c.fail(err)
		}
		if !CheckAuthenticatorResponse(c.authResp, auth) {
			// RFC 2759 section 5: the peer MUST end the session.
			return c.fail(wrapf(ErrServerAuth, "%s received, not the expected response (RFC 2759 sections 5, 8.8)", AuthString(auth)))
		}
		c.state = cliMSVerified
		return c.respondMSCHAPv2(in, p, &MSCHAPv2{OpCode: OpSuccess})
	}
	return c.fail(wrapf(ErrUnexpected, "MSCHAPv2 %v Request while %v", m.OpCode, c.state))
}

// onSuccess accepts an EAP-Success only once the method has finished: the
// MD5 challenge answered, or the MSCHAPv2 authenticator response verified
// and acknowledged. This is the rule whose absence was CVE-2021-45079.
func (c *Client) onSuccess(p *Packet) ([]byte, Status, error) {
	if c.state != cliMD5Done && c.state != cliMSVerified {
		return c.fail(wrapf(ErrEarlySuccess, "EAP-Success while %v", c.state))
	}
	if p.Identifier != c.lastID {
		return c.fail(wrapf(ErrIdentifier, "EAP-Success Identifier %d, but the last Response had %d (RFC 3748 section 4.2)", p.Identifier, c.lastID))
	}
	c.state, c.result = cliDone, Success
	return nil, Success, nil
}

func (c *Client) onFailure(p *Packet) ([]byte, Status, error) {
	why := "EAP-Failure"
	if c.failure != nil {
		why = fmt.Sprintf("MSCHAPv2 Failure E=%d, then EAP-Failure", c.failure.Error)
	}
	if c.answered && p.Identifier != c.lastID {
		why += fmt.Sprintf(" (Identifier %d, but the last Response had %d)", p.Identifier, c.lastID)
	}
	return c.fail(wrapf(ErrRejected, "%s while %v", why, c.state))
}

func (c *Client) respondMSCHAPv2(in []byte, p *Packet, m *MSCHAPv2) ([]byte, Status, error) {
	data, err := m.Marshal(CodeResponse)
	if err != nil {
		return c.fail(err)
	}
	return c.respond(in, p, TypeMSCHAPv2, data)
}

// respond sends a Response to Request p (its Identifier, RFC 3748 section
// 4.1) and remembers both for a duplicate.
func (c *Client) respond(in []byte, p *Packet, t Type, data []byte) ([]byte, Status, error) {
	out, err := encodeTyped(CodeResponse, p.Identifier, t, data)
	if err != nil {
		return c.fail(err)
	}
	c.answered = true
	c.lastReq, c.lastID, c.lastResp = bytes.Clone(in), p.Identifier, out
	return bytes.Clone(out), Continue, nil
}

func (c *Client) fail(err error) ([]byte, Status, error) {
	c.state, c.result = cliDone, Failure
	c.msk = nil
	return nil, Failure, err
}
