package eap

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
)

// OpCode is the first octet of EAP-MSCHAPv2 Type-Data
// (draft-kamath-pppext-eap-mschapv2-02 section 2).
type OpCode uint8

// The OpCodes of draft-kamath-pppext-eap-mschapv2-02 section 2.
const (
	OpChallenge      OpCode = 1
	OpResponse       OpCode = 2
	OpSuccess        OpCode = 3
	OpFailure        OpCode = 4
	OpChangePassword OpCode = 7
)

func (o OpCode) String() string {
	switch o {
	case OpChallenge:
		return "Challenge"
	case OpResponse:
		return "Response"
	case OpSuccess:
		return "Success"
	case OpFailure:
		return "Failure"
	case OpChangePassword:
		return "Change-Password"
	}
	return fmt.Sprintf("OpCode(%d)", uint8(o))
}

// Field sizes of RFC 2759 sections 3 to 6.
const (
	ChallengeLen     = 16 // authenticator and peer challenges
	NTResponseLen    = 24
	responseValueLen = 49 // Peer-Challenge 16, Reserved 8, NT-Response 24, Flags 1
	authStringLen    = 40 // the hex of the 20-octet authenticator response
	msHeaderLen      = 4  // OpCode, MS-CHAPv2-ID, MS-Length
	msBodyOff        = dataOff + msHeaderLen
)

// MSCHAPv2 is the Type-Data of an EAP-MSCHAPv2 packet
// (draft-kamath-pppext-eap-mschapv2-02 section 2). Which fields carry
// meaning depends on the OpCode and on whether the packet is a Request or a
// Response:
//
//	Challenge Request (2.1): ID, Challenge, Name (the authenticator's)
//	Response Response (2.2): ID, PeerChallenge, NTResponse, Name (the user's)
//	Success Request (2.3):   ID, Message "S=<auth string> M=<text>"
//	Failure Request (2.5):   ID, Message "E=e R=r C=c V=v M=<text>"
//	Success and Failure Responses (2.4, 2.6): the OpCode alone
type MSCHAPv2 struct {
	OpCode        OpCode
	ID            uint8 // MS-CHAPv2-ID
	Challenge     [ChallengeLen]byte
	PeerChallenge [ChallengeLen]byte
	NTResponse    [NTResponseLen]byte
	Name          []byte
	Message       []byte
}

// ParseMSCHAPv2 reads EAP-MSCHAPv2 Type-Data of a Request or a Response.
// MS-Length must equal the Type-Data length (the EAP Length minus 5), the
// Value-Size must be 16 (Challenge) or 49 (Response), the Response's
// Reserved octets and Flags must be zero (RFC 2759 section 4), and the
// Success and Failure messages must have the syntax of RFC 2759 sections 5
// and 6. Change-Password (OpCode 7) is not supported.
func ParseMSCHAPv2(code Code, data []byte) (*MSCHAPv2, error) {
	if len(data) < 1 {
		return nil, errAt(dataOff, "MSCHAPv2 without an OpCode")
	}
	m := &MSCHAPv2{OpCode: OpCode(data[0])}
	switch {
	case code == CodeResponse && (m.OpCode == OpSuccess || m.OpCode == OpFailure):
		// Sections 2.4 and 2.6: the OpCode alone.
		if len(data) != 1 {
			return nil, errAt(dataOff+1, "MSCHAPv2 %v Response with %d octets after the OpCode; it is the OpCode alone", m.OpCode, len(data)-1)
		}
		return m, nil
	case code == CodeRequest && (m.OpCode == OpChallenge || m.OpCode == OpSuccess || m.OpCode == OpFailure):
	case code == CodeResponse && m.OpCode == OpResponse:
	case code == CodeResponse && m.OpCode == OpChangePassword:
		return nil, errAt(dataOff, "MSCHAPv2 Change-Password is not supported")
	default:
		return nil, errAt(dataOff, "MSCHAPv2 OpCode %v is not valid in a %v", m.OpCode, code)
	}
	if len(data) < msHeaderLen {
		return nil, errAt(dataOff, "MSCHAPv2 %v of %d octets, shorter than OpCode, MS-CHAPv2-ID and MS-Length", m.OpCode, len(data))
	}
	m.ID = data[1]
	if msLen := int(binary.BigEndian.Uint16(data[2:4])); msLen != len(data) {
		return nil, errAt(dataOff+2, "MS-Length %d, but the MSCHAPv2 data has %d octets (the EAP Length minus 5)", msLen, len(data))
	}
	body := data[msHeaderLen:]
	switch m.OpCode {
	case OpChallenge:
		if len(body) < 1+ChallengeLen {
			return nil, errAt(msBodyOff, "MSCHAPv2 Challenge with %d octets, shorter than Value-Size and a 16-octet challenge", len(body))
		}
		if body[0] != ChallengeLen {
			return nil, errAt(msBodyOff, "MSCHAPv2 Challenge Value-Size %d, not %d (RFC 2759 section 3)", body[0], ChallengeLen)
		}
		copy(m.Challenge[:], body[1:])
		m.Name = append([]byte{}, body[1+ChallengeLen:]...)
	case OpResponse:
		if len(body) < 1+responseValueLen {
			return nil, errAt(msBodyOff, "MSCHAPv2 Response with %d octets, shorter than Value-Size and the 49-octet value", len(body))
		}
		if body[0] != responseValueLen {
			return nil, errAt(msBodyOff, "MSCHAPv2 Response Value-Size %d, not %d (RFC 2759 section 4)", body[0], responseValueLen)
		}
		v := body[1 : 1+responseValueLen]
		copy(m.PeerChallenge[:], v[0:16])
		for i, r := range v[16:24] {
			if r != 0 {
				return nil, errAt(msBodyOff+1+16+i, "MSCHAPv2 Response Reserved octet is %#x; it must be zero (RFC 2759 section 4)", r)
			}
		}
		copy(m.NTResponse[:], v[24:48])
		if v[48] != 0 {
			return nil, errAt(msBodyOff+1+48, "MSCHAPv2 Response Flags %#x; they must be zero (RFC 2759 section 4)", v[48])
		}
		m.Name = append([]byte{}, body[1+responseValueLen:]...)
	case OpSuccess:
		if _, _, err := parseSuccessMessage(body, msBodyOff); err != nil {
			return nil, err
		}
		m.Message = append([]byte{}, body...)
	case OpFailure:
		if _, err := parseFailureMessage(body, msBodyOff); err != nil {
			return nil, err
		}
		m.Message = append([]byte{}, body...)
	}
	return m, nil
}

// Marshal lays out the Type-Data for a Request or a Response. It refuses
// what ParseMSCHAPv2 would refuse.
func (m *MSCHAPv2) Marshal(code Code) ([]byte, error) {
	var body []byte
	switch {
	case code == CodeResponse && (m.OpCode == OpSuccess || m.OpCode == OpFailure):
		return []byte{byte(m.OpCode)}, nil
	case m.OpCode == OpChallenge:
		body = append([]byte{ChallengeLen}, m.Challenge[:]...)
		body = append(body, m.Name...)
	case m.OpCode == OpResponse:
		body = make([]byte, 1+responseValueLen, 1+responseValueLen+len(m.Name))
		body[0] = responseValueLen
		copy(body[1:], m.PeerChallenge[:])
		copy(body[1+24:], m.NTResponse[:])
		body = append(body, m.Name...)
	default:
		body = m.Message
	}
	n := msHeaderLen + len(body)
	if n > maxLen-dataOff {
		return nil, wrapf(ErrConfig, "MSCHAPv2 data of %d octets exceeds the Length field", n)
	}
	out := make([]byte, msHeaderLen, n)
	out[0], out[1] = byte(m.OpCode), m.ID
	binary.BigEndian.PutUint16(out[2:], uint16(n))
	out = append(out, body...)
	if _, err := ParseMSCHAPv2(code, out); err != nil {
		return nil, refused(err)
	}
	return out, nil
}

// ParseSuccessMessage reads the message of an MSCHAPv2 Success Request,
// "S=<auth_string> M=<message>" (RFC 2759 section 5): the authenticator
// response as 40 uppercase hexadecimal digits, then optionally " M=" and a
// text.
func ParseSuccessMessage(msg []byte) (auth [20]byte, text []byte, err error) {
	return parseSuccessMessage(msg, 0)
}

func parseSuccessMessage(msg []byte, base int) (auth [20]byte, text []byte, err error) {
	if !bytes.HasPrefix(msg, []byte("S=")) {
		return auth, nil, errAt(base, "MSCHAPv2 Success message does not start with \"S=\" (RFC 2759 section 5)")
	}
	if len(msg) < 2+authStringLen {
		return auth, nil, errAt(base+2, "MSCHAPv2 Success authenticator response of %d characters, not %d (RFC 2759 section 5)", len(msg)-2, authStringLen)
	}
	for i, c := range msg[2 : 2+authStringLen] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return auth, nil, errAt(base+2+i, "MSCHAPv2 Success authenticator response has %q, not an uppercase hexadecimal digit (RFC 2759 section 5)", c)
		}
	}
	if _, err := hex.Decode(auth[:], msg[2:2+authStringLen]); err != nil {
		return auth, nil, errAt(base+2, "MSCHAPv2 Success authenticator response: %v", err)
	}
	rest := msg[2+authStringLen:]
	switch {
	case len(rest) == 0:
		return auth, nil, nil
	case bytes.HasPrefix(rest, []byte(" M=")):
		return auth, append([]byte{}, rest[3:]...), nil
	}
	return auth, nil, errAt(base+2+authStringLen, "MSCHAPv2 Success message continues after the authenticator response with something other than \" M=\" (RFC 2759 section 5)")
}

// FailureMessage is the message of an MSCHAPv2 Failure Request,
// "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>"
// (RFC 2759 section 6). E, R and C are required, in that order; V and M are
// optional.
type FailureMessage struct {
	Error      uint32 // E: 691 is ERROR_AUTHENTICATION_FAILURE
	Retry      bool   // R: the authenticator accepts another Response
	Challenge  [ChallengeLen]byte
	HasVersion bool
	Version    uint32 // V: 3 for MS-CHAP-V2
	HasText    bool
	Text       []byte
}

// ParseFailureMessage reads the message of an MSCHAPv2 Failure Request.
func ParseFailureMessage(msg []byte) (*FailureMessage, error) {
	return parseFailureMessage(msg, 0)
}

func parseFailureMessage(msg []byte, base int) (*FailureMessage, error) {
	f := &FailureMessage{}
	pos := 0
	// field reads "<sep>X=" and returns the value up to the next space.
	field := func(prefix string) ([]byte, error) {
		if !bytes.HasPrefix(msg[pos:], []byte(prefix)) {
			return nil, errAt(base+pos, "MSCHAPv2 Failure message lacks %q here (RFC 2759 section 6)", prefix)
		}
		pos += len(prefix)
		end := bytes.IndexByte(msg[pos:], ' ')
		if end < 0 {
			end = len(msg) - pos
		}
		v := msg[pos : pos+end]
		pos += end
		return v, nil
	}
	v, err := field("E=")
	if err != nil {
		return nil, err
	}
	if f.Error, err = decimal(v, base+pos-len(v), "E"); err != nil {
		return nil, err
	}
	if v, err = field(" R="); err != nil {
		return nil, err
	}
	switch string(v) {
	case "0":
	case "1":
		f.Retry = true
	default:
		return nil, errAt(base+pos-len(v), "MSCHAPv2 Failure retry flag %q, not 0 or 1 (RFC 2759 section 6)", v)
	}
	if v, err = field(" C="); err != nil {
		return nil, err
	}
	if len(v) != 2*ChallengeLen {
		return nil, errAt(base+pos-len(v), "MSCHAPv2 Failure challenge of %d characters, not %d (RFC 2759 section 6)", len(v), 2*ChallengeLen)
	}
	if _, err := hex.Decode(f.Challenge[:], v); err != nil {
		return nil, errAt(base+pos-len(v), "MSCHAPv2 Failure challenge is not hexadecimal (RFC 2759 section 6)")
	}
	if bytes.HasPrefix(msg[pos:], []byte(" V=")) {
		if v, err = field(" V="); err != nil {
			return nil, err
		}
		f.HasVersion = true
		if f.Version, err = decimal(v, base+pos-len(v), "V"); err != nil {
			return nil, err
		}
	}
	if bytes.HasPrefix(msg[pos:], []byte(" M=")) {
		// The text is the rest and may hold spaces.
		f.HasText = true
		f.Text = append([]byte{}, msg[pos+3:]...)
		pos = len(msg)
	}
	if pos != len(msg) {
		return nil, errAt(base+pos, "MSCHAPv2 Failure message has unexpected text after its fields (RFC 2759 section 6)")
	}
	return f, nil
}

// Marshal lays the message out in the order of RFC 2759 section 6, the
// challenge in uppercase hexadecimal.
func (f *FailureMessage) Marshal() []byte {
	r := 0
	if f.Retry {
		r = 1
	}
	s := fmt.Sprintf("E=%d R=%d C=%X", f.Error, r, f.Challenge[:])
	if f.HasVersion {
		s += fmt.Sprintf(" V=%d", f.Version)
	}
	out := []byte(s)
	if f.HasText {
		out = append(out, " M="...)
		out = append(out, f.Text...)
	}
	return out
}

// decimal reads 1 to 10 ASCII digits that fit 32 bits.
func decimal(v []byte, off int, name string) (uint32, error) {
	if len(v) == 0 || len(v) > 10 {
		return 0, errAt(off, "MSCHAPv2 Failure %s= has %d digits, not 1 to 10 (RFC 2759 section 6)", name, len(v))
	}
	for i, c := range v {
		if c < '0' || c > '9' {
			return 0, errAt(off+i, "MSCHAPv2 Failure %s= has %q, not a decimal digit (RFC 2759 section 6)", name, c)
		}
	}
	n, err := strconv.ParseUint(string(v), 10, 32)
	if err != nil {
		return 0, errAt(off, "MSCHAPv2 Failure %s=%s does not fit 32 bits", name, v)
	}
	return uint32(n), nil
}
