package eap

import (
	"encoding/binary"
	"fmt"
)

// Code is the Code field of an EAP packet (RFC 3748 section 4).
type Code uint8

// The four Codes of RFC 3748 section 4.
const (
	CodeRequest  Code = 1
	CodeResponse Code = 2
	CodeSuccess  Code = 3
	CodeFailure  Code = 4
)

func (c Code) String() string {
	switch c {
	case CodeRequest:
		return "Request"
	case CodeResponse:
		return "Response"
	case CodeSuccess:
		return "Success"
	case CodeFailure:
		return "Failure"
	}
	return fmt.Sprintf("Code(%d)", uint8(c))
}

// Type is the Type field of a Request or Response (RFC 3748 section 5).
type Type uint8

// The Types this package knows (RFC 3748 sections 5.1 to 5.4 and 5.7; 26 is
// EAP-MSCHAPv2 in the IANA registry, draft-kamath-pppext-eap-mschapv2-02).
const (
	TypeIdentity     Type = 1
	TypeNotification Type = 2
	TypeNak          Type = 3
	TypeMD5Challenge Type = 4
	TypeMSCHAPv2     Type = 26
	TypeExpanded     Type = 254
	TypeExperimental Type = 255
)

func (t Type) String() string {
	switch t {
	case TypeIdentity:
		return "Identity"
	case TypeNotification:
		return "Notification"
	case TypeNak:
		return "Nak"
	case TypeMD5Challenge:
		return "MD5-Challenge"
	case TypeMSCHAPv2:
		return "MSCHAPv2"
	case TypeExpanded:
		return "Expanded"
	case TypeExperimental:
		return "Experimental"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

const (
	headerLen = 4      // Code, Identifier, Length (RFC 3748 section 4)
	typeOff   = 4      // offset of the Type field
	dataOff   = 5      // offset of Type-Data
	maxLen    = 0xffff // the Length field is two octets
)

// Packet is one EAP packet (RFC 3748 section 4). Type and Data are the Type
// field and the Type-Data of a Request or Response; a Success or Failure
// has neither (zero Type, nil Data). A decoded Packet owns its memory.
type Packet struct {
	Code       Code
	Identifier uint8
	Type       Type
	Data       []byte
}

// Decode parses one EAP packet, the whole of b. It checks the header
// (RFC 3748 section 4: a known Code, Length equal to len(b), no data in
// Success and Failure, a Type in Requests and Responses) and the Type-Data
// of every Type this package knows (Identity, Notification, Nak,
// MD5-Challenge, MSCHAPv2, Expanded). The Type-Data of other Types is kept
// as it is, so that a peer can answer them with a Nak.
func Decode(b []byte) (*Packet, error) {
	if len(b) < headerLen {
		return nil, errAt(0, "%d octets, shorter than the %d-octet header", len(b), headerLen)
	}
	code := Code(b[0])
	length := int(binary.BigEndian.Uint16(b[2:4]))
	if length != len(b) {
		return nil, errAt(2, "Length %d, but the packet has %d octets", length, len(b))
	}
	p := &Packet{Code: code, Identifier: b[1]}
	switch code {
	case CodeSuccess, CodeFailure:
		// RFC 3748 section 4.2: the packet is Code, Identifier, Length.
		if length != headerLen {
			return nil, errAt(headerLen, "%v with %d octets of data; it has none (RFC 3748 section 4.2)", code, length-headerLen)
		}
		return p, nil
	case CodeRequest, CodeResponse:
	default:
		return nil, errAt(0, "unknown Code %d (RFC 3748 section 4)", uint8(code))
	}
	if length < dataOff {
		return nil, errAt(headerLen, "%v without a Type field (RFC 3748 section 4.1)", code)
	}
	p.Type = Type(b[typeOff])
	p.Data = append([]byte{}, b[dataOff:]...)
	if err := checkTypeData(code, p.Type, p.Data); err != nil {
		return nil, err
	}
	return p, nil
}

// Encode lays the packet out, computing Length. It refuses any packet that
// Decode would refuse, so what it returns decodes to p.
func (p *Packet) Encode() ([]byte, error) {
	var b []byte
	switch p.Code {
	case CodeSuccess, CodeFailure:
		if p.Type != 0 || len(p.Data) != 0 {
			return nil, wrapf(ErrConfig, "%v packet with a Type or data", p.Code)
		}
		b = []byte{byte(p.Code), p.Identifier, 0, headerLen}
	default:
		n := dataOff + len(p.Data)
		if n > maxLen {
			return nil, wrapf(ErrConfig, "packet of %d octets exceeds the Length field", n)
		}
		b = make([]byte, dataOff, n)
		b[0], b[1], b[typeOff] = byte(p.Code), p.Identifier, byte(p.Type)
		binary.BigEndian.PutUint16(b[2:4], uint16(n))
		b = append(b, p.Data...)
	}
	if _, err := Decode(b); err != nil {
		return nil, refused(err)
	}
	return b, nil
}

// checkTypeData applies the rules of the known Types to a Request's or a
// Response's Type-Data.
func checkTypeData(code Code, t Type, data []byte) error {
	switch t {
	case 0:
		return errAt(typeOff, "Type 0 is not assigned (RFC 3748 section 5)")
	case TypeIdentity:
		// RFC 3748 section 5.1: the Identity Response MUST NOT be null
		// terminated. A Request may hold a null and options after it.
		if code == CodeResponse && len(data) > 0 && data[len(data)-1] == 0 {
			return errAt(dataOff+len(data)-1, "Identity Response is null terminated (RFC 3748 section 5.1)")
		}
	case TypeNotification:
		// RFC 3748 section 5.2: a non-empty message in the Request, nothing
		// in the Response.
		if code == CodeRequest && len(data) == 0 {
			return errAt(dataOff, "Notification Request without a message (RFC 3748 section 5.2)")
		}
		if code == CodeResponse && len(data) != 0 {
			return errAt(dataOff, "Notification Response with %d octets of data; it has none (RFC 3748 section 5.2)", len(data))
		}
	case TypeNak:
		if code == CodeRequest {
			return errAt(typeOff, "Nak in a Request; it is valid only in a Response (RFC 3748 section 5.3.1)")
		}
		_, err := ParseNak(data)
		return err
	case TypeMD5Challenge:
		_, err := ParseMD5Challenge(code, data)
		return err
	case TypeMSCHAPv2:
		_, err := ParseMSCHAPv2(code, data)
		return err
	case TypeExpanded:
		// RFC 3748 section 5.7: Vendor-Id (3 octets), Vendor-Type (4).
		if len(data) < 7 {
			return errAt(dataOff, "Expanded Type with %d octets, shorter than Vendor-Id and Vendor-Type (RFC 3748 section 5.7)", len(data))
		}
	}
	return nil
}

// ParseNak reads the Type-Data of a legacy Nak Response (RFC 3748 section
// 5.3.1): one octet per desired authentication Type, or the single value 0
// for "no alternative". Types 1 to 3 are not authentication Types.
func ParseNak(data []byte) ([]Type, error) {
	if len(data) == 0 {
		return nil, errAt(dataOff, "Nak without a desired Type (RFC 3748 section 5.3.1)")
	}
	out := make([]Type, 0, len(data))
	for i, v := range data {
		switch {
		case v == 0 && len(data) != 1:
			return nil, errAt(dataOff+i, "Nak lists 0 (no alternative) beside other Types (RFC 3748 section 5.3.1)")
		case v >= 1 && v <= 3:
			return nil, errAt(dataOff+i, "Nak proposes %v, not an authentication Type (RFC 3748 section 5.3.1)", Type(v))
		}
		out = append(out, Type(v))
	}
	return out, nil
}

// MD5Challenge is the Type-Data of an MD5-Challenge Request or Response
// (RFC 3748 section 5.4, laid out as a CHAP packet's data, RFC 1994
// section 4.1): Value-Size, Value, Name.
type MD5Challenge struct {
	Value []byte // the challenge (Request) or the 16-octet MD5 response
	Name  []byte // the sender's name; may be empty
}

// ParseMD5Challenge reads MD5-Challenge Type-Data. Value-Size is at least
// one (RFC 1994 section 4.1) and, in a Response, the 16 octets of an MD5
// digest.
func ParseMD5Challenge(code Code, data []byte) (*MD5Challenge, error) {
	if len(data) < 1 {
		return nil, errAt(dataOff, "MD5-Challenge without Value-Size (RFC 3748 section 5.4)")
	}
	size := int(data[0])
	if size == 0 {
		return nil, errAt(dataOff, "MD5-Challenge Value-Size 0; the Value is at least one octet (RFC 1994 section 4.1)")
	}
	if code == CodeResponse && size != md5Size {
		return nil, errAt(dataOff, "MD5-Challenge Response Value-Size %d, not the %d octets of MD5 (RFC 1994 section 4.1)", size, md5Size)
	}
	if 1+size > len(data) {
		return nil, errAt(dataOff, "MD5-Challenge Value-Size %d exceeds the %d octets that follow", size, len(data)-1)
	}
	return &MD5Challenge{
		Value: append([]byte{}, data[1:1+size]...),
		Name:  append([]byte{}, data[1+size:]...),
	}, nil
}

// Marshal lays out the Type-Data; the Value has 1 to 255 octets.
func (m *MD5Challenge) Marshal() ([]byte, error) {
	if len(m.Value) < 1 || len(m.Value) > 255 {
		return nil, wrapf(ErrConfig, "MD5-Challenge Value of %d octets; Value-Size holds 1 to 255", len(m.Value))
	}
	out := make([]byte, 0, 1+len(m.Value)+len(m.Name))
	out = append(out, byte(len(m.Value)))
	out = append(out, m.Value...)
	return append(out, m.Name...), nil
}
