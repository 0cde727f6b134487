package wire

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Header is the IKE header (RFC 7296 section 3.1) less the fields derived at
// encoding time: Next Payload (the first payload's type) and Length.
type Header struct {
	SPIi, SPIr uint64
	Major      uint8 // 2 for IKEv2; kept as received
	Minor      uint8 // RFC7296-3.1-8: ignored on receipt; kept as received
	Exchange   ExchangeType
	Flags      Flags
	MessageID  uint32
}

// Append appends the 28-octet IKE header with the given Next Payload and
// Length fields.
func (h Header) Append(b []byte, next PayloadType, length int) []byte {
	b = binary.BigEndian.AppendUint64(b, h.SPIi)
	b = binary.BigEndian.AppendUint64(b, h.SPIr)
	b = append(b, byte(next), h.Major<<4|h.Minor&0x0f, byte(h.Exchange), byte(h.Flags))
	b = binary.BigEndian.AppendUint32(b, h.MessageID)
	return binary.BigEndian.AppendUint32(b, uint32(length))
}

// IsResponse reports whether the R flag is set.
func (h Header) IsResponse() bool { return h.Flags.Response() }

// Message is an IKEv2 message: the header and its payload chain. An
// Encrypted (SK) or EncryptedFragment (SKF) payload, if present, is last.
type Message struct {
	Header
	Payloads []Payload
}

// DecodeHeader reads the IKE header at the start of b and returns it with
// the first payload's type and the Length field. It checks only that 28
// octets are there: the engine reads the SPIs, version and message ID of a
// message it must answer with an error before anything else is checked.
func DecodeHeader(b []byte) (h Header, next PayloadType, length uint32, err error) {
	if len(b) < HeaderLen {
		return h, 0, 0, errAt(0, PayloadNone, "%d octets, shorter than the %d-octet IKE header", len(b), HeaderLen)
	}
	h.SPIi = binary.BigEndian.Uint64(b[0:8])
	h.SPIr = binary.BigEndian.Uint64(b[8:16])
	next = PayloadType(b[16])
	h.Major, h.Minor = b[17]>>4, b[17]&0x0f
	h.Exchange = ExchangeType(b[18])
	h.Flags = Flags(b[19])
	h.MessageID = binary.BigEndian.Uint32(b[20:24])
	length = binary.BigEndian.Uint32(b[24:28])
	return h, next, length, nil
}

// Decode parses one whole IKE message (one UDP payload, without the non-ESP
// marker). The result never aliases b. When the major version is not 2 the
// error matches ErrMajorVersion and the returned message carries the header.
func Decode(b []byte) (*Message, error) {
	h, next, length, err := DecodeHeader(b)
	if err != nil {
		return nil, err
	}
	m := &Message{Header: h}
	// RFC7296-3.1-6, RFC7296-2.5-2: messages with a major version above 2 are
	// rejected (INVALID_MAJOR_VERSION) and IKEv1 ones ignored; the payloads
	// are not parsed.
	if h.Major != MajorVersion {
		return m, &Error{Offset: 17, Reason: fmt.Sprintf("major version %d", h.Major), err: ErrMajorVersion}
	}
	if int64(length) != int64(len(b)) {
		return m, errAt(24, PayloadNone, "Length field says %d octets, the datagram has %d", length, len(b))
	}
	buf := append([]byte(nil), b...) // own the memory: payloads alias buf
	m.Payloads, err = decodeChain(buf, HeaderLen, next, true)
	if err != nil {
		return m, err
	}
	return m, nil
}

// DecodePayloads parses a payload chain that starts with a payload of type
// first: the plaintext of an SK payload, or a reassembled SKF message. SK and
// SKF may not appear in it (RFC7296-3.1-1: an Encrypted payload MUST NOT
// contain another Encrypted payload). Offsets in errors count from b[0].
func DecodePayloads(first PayloadType, b []byte) ([]Payload, error) {
	buf := append([]byte(nil), b...)
	return decodeChain(buf, 0, first, false)
}

// decodeChain walks the chain in buf[start:]. Payloads alias buf.
func decodeChain(buf []byte, start int, next PayloadType, outer bool) ([]Payload, error) {
	var out []Payload
	off := start
	for next != PayloadNone {
		if len(buf)-off < GenericHeaderLen {
			return nil, errAt(off, next, "%d octets left, shorter than a generic payload header", len(buf)-off)
		}
		t := next
		next = PayloadType(buf[off])
		critical := buf[off+1]&0x80 != 0
		plen := int(binary.BigEndian.Uint16(buf[off+2 : off+4]))
		if plen < GenericHeaderLen {
			return nil, errAt(off+2, t, "payload length %d is shorter than the generic header", plen)
		}
		if plen > len(buf)-off {
			return nil, errAt(off+2, t, "payload length %d overruns the message (%d octets left)", plen, len(buf)-off)
		}
		p, err := decodeBody(t, buf[off+GenericHeaderLen:off+plen], off+GenericHeaderLen)
		if err != nil {
			return nil, err
		}
		p.Header().Critical = critical
		off += plen
		switch q := p.(type) {
		case *Encrypted:
			// RFC 7296 section 3.14: the Next Payload field of SK names the
			// first inner payload; RFC7296-3.1-1, RFC7296-3.14-1: SK MUST be the
			// last payload.
			if !outer {
				return nil, errAt(off-plen, t, "an Encrypted payload inside an Encrypted payload")
			}
			q.Inner, next = next, PayloadNone
		case *EncryptedFragment:
			if !outer {
				return nil, errAt(off-plen, t, "an Encrypted Fragment payload inside an Encrypted payload")
			}
			q.Inner, next = next, PayloadNone
		}
		out = append(out, p)
	}
	if off != len(buf) {
		return nil, errAt(off, PayloadNone, "%d octets after the last payload", len(buf)-off)
	}
	return out, nil
}

// DecodePayloadBody parses the body of one payload of type t (the octets
// after its generic header). Offsets in errors count from body[0].
func DecodePayloadBody(t PayloadType, body []byte) (Payload, error) {
	return decodeBody(t, append([]byte(nil), body...), 0)
}

func decodeBody(t PayloadType, body []byte, base int) (Payload, error) {
	p, _ := newPayload(t)
	if err := p.decodeBody(newReader(body, base, t)); err != nil {
		return nil, err
	}
	return p, nil
}

// AppendPayloadBody appends the body of p (without the generic header).
func AppendPayloadBody(b []byte, p Payload) ([]byte, error) { return p.appendBody(b) }

// AppendPayloads encodes a payload chain: each generic header's Next Payload
// names the following payload, the last one's is zero, except that an SK or
// SKF payload's Next Payload is its Inner field. It returns the type of the
// first payload, to be written in the IKE header or in an SK payload.
func AppendPayloads(b []byte, ps []Payload) (first PayloadType, out []byte, err error) {
	for i, p := range ps {
		var next PayloadType
		switch q := p.(type) {
		case *Encrypted:
			if i != len(ps)-1 {
				return 0, nil, fmt.Errorf("ike: cannot encode: SK payload at position %d of %d is not last", i+1, len(ps))
			}
			next = q.Inner
		case *EncryptedFragment:
			if i != len(ps)-1 {
				return 0, nil, fmt.Errorf("ike: cannot encode: SKF payload at position %d of %d is not last", i+1, len(ps))
			}
			next = q.Inner
		default:
			if i+1 < len(ps) {
				next = ps[i+1].PayloadType()
			}
		}
		start := len(b)
		var c byte
		if p.Header().Critical {
			c = 0x80
		}
		b = append(b, byte(next), c, 0, 0)
		if b, err = p.appendBody(b); err != nil {
			return 0, nil, err
		}
		if n := len(b) - start; n > 0xffff {
			return 0, nil, fmt.Errorf("ike: cannot encode %s payload: length %d exceeds 65535", p.PayloadType(), n)
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	}
	if len(ps) > 0 {
		first = ps[0].PayloadType()
	}
	return first, b, nil
}

// Encode returns the message's octets, every derived field computed.
func (m *Message) Encode() ([]byte, error) { return m.Append(nil) }

// Append appends the encoded message to b.
func (m *Message) Append(b []byte) ([]byte, error) {
	start := len(b)
	b = m.Header.Append(b, PayloadNone, 0)
	first, b, err := AppendPayloads(b, m.Payloads)
	if err != nil {
		return nil, err
	}
	b[start+16] = byte(first)
	binary.BigEndian.PutUint32(b[start+24:], uint32(len(b)-start))
	return b, nil
}

// FindEncrypted walks the payload chain of a whole message (as received,
// without the non-ESP marker) and returns the offset of the SK or SKF
// payload's generic header, which is always the last payload. It checks the
// header Length and every generic header on the way. The AEAD's associated
// data is msg[:off+4] for SK (RFC 5282 section 5.1) and msg[:off+8] for SKF,
// whose Fragment Number and Total Fragments are not encrypted (RFC 7383
// section 2.5).
func FindEncrypted(msg []byte) (off int, err error) {
	_, next, length, err := DecodeHeader(msg)
	if err != nil {
		return 0, err
	}
	if int64(length) != int64(len(msg)) {
		return 0, errAt(24, PayloadNone, "Length field says %d octets, the datagram has %d", length, len(msg))
	}
	off = HeaderLen
	for next != PayloadNone {
		if len(msg)-off < GenericHeaderLen {
			return 0, errAt(off, next, "%d octets left, shorter than a generic payload header", len(msg)-off)
		}
		plen := int(binary.BigEndian.Uint16(msg[off+2 : off+4]))
		if plen < GenericHeaderLen || plen > len(msg)-off {
			return 0, errAt(off+2, next, "payload length %d invalid with %d octets left", plen, len(msg)-off)
		}
		if next == PayloadSK || next == PayloadSKF {
			if off+plen != len(msg) {
				return 0, errAt(off+plen, next, "%d octets after the Encrypted payload, which must be last", len(msg)-off-plen)
			}
			return off, nil
		}
		next = PayloadType(msg[off])
		off += plen
	}
	return 0, errAt(off, PayloadNone, "no Encrypted payload")
}

// Summary renders "IKE_AUTH request 1 [ IDi AUTH SA TSi TSr ]": the form of
// strongSwan's log lines and of ikedump's output. For a protected message,
// pass the inner payloads to show them instead of "SK".
func Summary(h Header, payloads []Payload) string {
	var sb strings.Builder
	sb.WriteString(h.Exchange.String())
	if h.IsResponse() {
		sb.WriteString(" response ")
	} else {
		sb.WriteString(" request ")
	}
	fmt.Fprintf(&sb, "%d [", h.MessageID)
	for _, p := range payloads {
		sb.WriteByte(' ')
		sb.WriteString(PayloadName(p))
	}
	sb.WriteString(" ]")
	return sb.String()
}

// String is Summary of the message as it stands.
func (m *Message) String() string { return Summary(m.Header, m.Payloads) }

// PayloadName is a payload's short notation in summaries: "N(COOKIE)",
// "EF(1/3)" for fragments, "PAYLOAD(99)" for unknown types.
func PayloadName(p Payload) string {
	switch q := p.(type) {
	case *Notify:
		return "N(" + q.Type.String() + ")"
	case *EncryptedFragment:
		return fmt.Sprintf("EF(%d/%d)", q.Number, q.Total)
	case *EAP:
		code := map[EAPCode]string{EAPRequest: "REQ", EAPResponse: "RES", EAPSuccess: "SUCC", EAPFailure: "FAIL"}[q.Code]
		if code == "" {
			code = fmt.Sprintf("CODE%d", q.Code)
		}
		if q.hasType() {
			return fmt.Sprintf("EAP/%s/%d", code, q.Type)
		}
		return "EAP/" + code
	case *CP:
		return "CP(" + q.CFGType.String() + ")"
	}
	return p.PayloadType().String()
}

// Find returns the first payload of type T in ps.
func Find[T Payload](ps []Payload) (T, bool) {
	for _, p := range ps {
		if q, ok := p.(T); ok {
			return q, true
		}
	}
	var zero T
	return zero, false
}

// FindNotify returns the first Notify of the given type in ps.
func FindNotify(ps []Payload, t NotifyType) (*Notify, bool) {
	for _, p := range ps {
		if n, ok := p.(*Notify); ok && n.Type == t {
			return n, true
		}
	}
	return nil, false
}
