package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Payload is one IKEv2 payload: the generic header's critical bit and the
// body of its type. The Next Payload and Payload Length fields of the generic
// header are derived when a chain is encoded.
type Payload interface {
	// PayloadType is the type code of this payload (the Next Payload value
	// that announces it).
	PayloadType() PayloadType
	// Header gives access to the generic header's critical bit.
	Header() *PayloadHeader
	appendBody(b []byte) ([]byte, error)
	decodeBody(r *reader) error
}

// PayloadHeader is what a sender chooses in the generic payload header
// (RFC 7296 section 3.2). Critical is kept as received: the engine needs it
// to answer UNSUPPORTED_CRITICAL_PAYLOAD for unknown types (RFC7296-2.5-8,
// RFC7296-3.2-2), and captures from other stacks set it on known payloads.
type PayloadHeader struct {
	Critical bool
}

// Header returns h itself.
func (h *PayloadHeader) Header() *PayloadHeader { return h }

// SA is the Security Association payload (RFC 7296 section 3.3).
type SA struct {
	PayloadHeader
	Proposals []Proposal
}

// Proposal is a Proposal substructure (RFC 7296 section 3.3.1).
type Proposal struct {
	Number     uint8
	Protocol   ProtocolID
	SPI        []byte
	Transforms []Transform
}

// Transform is a Transform substructure (RFC 7296 section 3.3.2).
type Transform struct {
	Type       TransformType
	ID         uint16
	Attributes []Attribute
}

// Attribute is a Data Attribute (RFC 7296 section 3.3.5). TV attributes
// (AF = 1) carry exactly two octets of Value; TLV attributes any number.
type Attribute struct {
	Type  uint16 // without the AF bit
	TV    bool
	Value []byte
}

// NewTransform builds a transform, with a Key Length attribute when keyBits
// is not zero (RFC 7296 section 3.3.5).
func NewTransform(t TransformType, id uint16, keyBits uint16) Transform {
	tr := Transform{Type: t, ID: id}
	if keyBits != 0 {
		tr.Attributes = []Attribute{{Type: AttrKeyLength, TV: true, Value: binary.BigEndian.AppendUint16(nil, keyBits)}}
	}
	return tr
}

// KeyLength returns the value of the Key Length attribute, if present in TV
// form (RFC 7296 section 3.3.5: the Key Length attribute is fixed-length, so
// RFC7296-3.3.5-1 requires the TV format).
func (t *Transform) KeyLength() (bits uint16, ok bool) {
	for _, a := range t.Attributes {
		if a.Type == AttrKeyLength && a.TV && len(a.Value) == 2 {
			return binary.BigEndian.Uint16(a.Value), true
		}
	}
	return 0, false
}

// String renders a transform as "ENCR_AES_CBC/256".
func (t *Transform) String() string {
	s := TransformIDName(t.Type, t.ID)
	if kl, ok := t.KeyLength(); ok {
		s += fmt.Sprintf("/%d", kl)
	}
	return s
}

// KE is the Key Exchange payload (RFC 7296 section 3.4).
type KE struct {
	PayloadHeader
	Group KEID
	Data  []byte
}

// ID is an Identification payload: IDi, or IDr when Responder is set
// (RFC 7296 section 3.5).
type ID struct {
	PayloadHeader
	Responder bool
	IDType    IDType
	Data      []byte
}

// Cert is the Certificate payload (RFC 7296 section 3.6).
type Cert struct {
	PayloadHeader
	Encoding CertEncoding
	Data     []byte
}

// CertReq is the Certificate Request payload (RFC 7296 section 3.7). For
// X.509 encodings Data is a concatenation of 20-octet SHA-1 hashes of CA
// public keys; see Authorities.
type CertReq struct {
	PayloadHeader
	Encoding CertEncoding
	Data     []byte
}

// Authorities splits an X.509 certificate request into its SHA-1 hashes of
// trust anchors' Subject Public Key Info (RFC 7296 section 3.7). It fails
// when the length is not a multiple of 20.
func (c *CertReq) Authorities() ([][]byte, error) {
	if len(c.Data)%20 != 0 {
		return nil, fmt.Errorf("ike: CERTREQ authority data of %d octets is not a list of SHA-1 hashes", len(c.Data))
	}
	var out [][]byte
	for i := 0; i < len(c.Data); i += 20 {
		out = append(out, c.Data[i:i+20])
	}
	return out, nil
}

// Auth is the Authentication payload (RFC 7296 section 3.8).
type Auth struct {
	PayloadHeader
	Method AuthMethod
	Data   []byte
}

// Nonce is the Nonce payload (RFC 7296 section 3.9).
type Nonce struct {
	PayloadHeader
	Data []byte
}

// Nonce sizes (RFC7296-3.9-1: "between 16 and 256 octets, inclusive").
const (
	MinNonceLen = 16
	MaxNonceLen = 256
)

// Notify is the Notify payload (RFC 7296 section 3.10).
type Notify struct {
	PayloadHeader
	Protocol ProtocolID
	SPI      []byte
	Type     NotifyType
	Data     []byte
}

// Delete is the Delete payload (RFC 7296 section 3.11). SPISize is explicit
// because a Delete with no SPIs still states a size.
type Delete struct {
	PayloadHeader
	Protocol ProtocolID
	SPISize  uint8
	SPIs     [][]byte
}

// VendorID is the Vendor ID payload (RFC 7296 section 3.12).
type VendorID struct {
	PayloadHeader
	Data []byte
}

// TS is a Traffic Selector payload: TSi, or TSr when Responder is set
// (RFC 7296 section 3.13).
type TS struct {
	PayloadHeader
	Responder bool
	Selectors []Selector
}

// Selector is one Traffic Selector (RFC 7296 section 3.13.1). For the
// address-range types the addresses and ports are decoded; for any other
// type (TS_FC_ADDR_RANGE, TS_SECLABEL, unknown) the octets after the
// Selector Length field are kept in Raw and the second octet in IPProtocol.
type Selector struct {
	Type       TSType
	IPProtocol uint8
	StartPort  uint16
	EndPort    uint16
	Start, End netip.Addr
	Raw        []byte
}

// String renders an address-range selector as strongSwan does:
// "192.0.2.0..192.0.2.255[tcp/0-65535]" style, compact for common cases.
func (s *Selector) String() string {
	var addr string
	switch s.Type {
	case TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE:
		addr = rangeString(s.Start, s.End)
	default:
		return fmt.Sprintf("%s(%x)", s.Type, s.Raw)
	}
	if s.IPProtocol == 0 && s.StartPort == 0 && s.EndPort == 0xffff {
		return addr
	}
	ports := fmt.Sprintf("%d-%d", s.StartPort, s.EndPort)
	if s.StartPort == s.EndPort {
		ports = fmt.Sprintf("%d", s.StartPort)
	}
	return fmt.Sprintf("%s[%d/%s]", addr, s.IPProtocol, ports)
}

// rangeString gives the CIDR notation when [start, end] is a prefix.
func rangeString(start, end netip.Addr) string {
	for bits := 0; bits <= start.BitLen(); bits++ {
		p, err := start.Prefix(bits)
		if err != nil || p.Addr() != start {
			continue
		}
		if LastAddr(p) == end {
			return p.String()
		}
	}
	return start.String() + ".." + end.String()
}

// LastAddr returns the highest address of a prefix: the End of the address
// range that a Traffic Selector for the prefix carries (RFC 7296 section
// 3.13.1 ranges are inclusive).
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Encrypted is the Encrypted and Authenticated payload, SK (RFC 7296
// section 3.14). Inner is its Next Payload field: the type of the first
// payload inside. Body is IV | ciphertext | ICV, split by impl/crypto
// according to the negotiated suite.
type Encrypted struct {
	PayloadHeader
	Inner PayloadType
	Body  []byte
}

// EncryptedFragment is the Encrypted Fragment payload, SKF (RFC 7383
// section 2.5). Inner is the type of the first inner payload in fragment 1
// and zero in the others (RFC7383-2.5-2, RFC7383-2.5-3).
type EncryptedFragment struct {
	PayloadHeader
	Inner  PayloadType
	Number uint16
	Total  uint16
	Body   []byte
}

// CP is the Configuration payload (RFC 7296 section 3.15).
type CP struct {
	PayloadHeader
	CFGType    CFGType
	Attributes []CPAttribute
}

// CPAttribute is a Configuration Attribute (RFC 7296 section 3.15.1).
type CPAttribute struct {
	Type  CPAttrType // 15 bits; the R bit is reserved
	Value []byte
}

// EAP is the EAP payload (RFC 7296 section 3.16), carrying one EAP message
// (RFC 3748 section 4). Type is present for every code but Success and
// Failure.
type EAP struct {
	PayloadHeader
	Code       EAPCode
	Identifier uint8
	Type       uint8
	Data       []byte
}

// Unknown is a payload of a type this codec does not parse (RFC 7296
// section 3.2: skipped if not critical, UNSUPPORTED_CRITICAL_PAYLOAD if
// critical). Kind is its type code.
type Unknown struct {
	PayloadHeader
	Kind PayloadType
	Body []byte
}

func (*SA) PayloadType() PayloadType                { return PayloadSA }
func (*KE) PayloadType() PayloadType                { return PayloadKE }
func (*Cert) PayloadType() PayloadType              { return PayloadCERT }
func (*CertReq) PayloadType() PayloadType           { return PayloadCERTREQ }
func (*Auth) PayloadType() PayloadType              { return PayloadAUTH }
func (*Nonce) PayloadType() PayloadType             { return PayloadNonce }
func (*Notify) PayloadType() PayloadType            { return PayloadNotify }
func (*Delete) PayloadType() PayloadType            { return PayloadDelete }
func (*VendorID) PayloadType() PayloadType          { return PayloadVendorID }
func (*Encrypted) PayloadType() PayloadType         { return PayloadSK }
func (*EncryptedFragment) PayloadType() PayloadType { return PayloadSKF }
func (*CP) PayloadType() PayloadType                { return PayloadCP }
func (*EAP) PayloadType() PayloadType               { return PayloadEAP }
func (u *Unknown) PayloadType() PayloadType         { return u.Kind }

func (p *ID) PayloadType() PayloadType {
	if p.Responder {
		return PayloadIDr
	}
	return PayloadIDi
}

func (p *TS) PayloadType() PayloadType {
	if p.Responder {
		return PayloadTSr
	}
	return PayloadTSi
}

// newPayload returns an empty payload of type t, and false for types this
// codec keeps as Unknown.
func newPayload(t PayloadType) (Payload, bool) {
	switch t {
	case PayloadSA:
		return &SA{}, true
	case PayloadKE:
		return &KE{}, true
	case PayloadIDi:
		return &ID{}, true
	case PayloadIDr:
		return &ID{Responder: true}, true
	case PayloadCERT:
		return &Cert{}, true
	case PayloadCERTREQ:
		return &CertReq{}, true
	case PayloadAUTH:
		return &Auth{}, true
	case PayloadNonce:
		return &Nonce{}, true
	case PayloadNotify:
		return &Notify{}, true
	case PayloadDelete:
		return &Delete{}, true
	case PayloadVendorID:
		return &VendorID{}, true
	case PayloadTSi:
		return &TS{}, true
	case PayloadTSr:
		return &TS{Responder: true}, true
	case PayloadSK:
		return &Encrypted{}, true
	case PayloadSKF:
		return &EncryptedFragment{}, true
	case PayloadCP:
		return &CP{}, true
	case PayloadEAP:
		return &EAP{}, true
	}
	return &Unknown{Kind: t}, false
}

// SplitBody splits an SK or SKF body into IV, ciphertext and ICV for a suite
// with the given IV and ICV lengths (RFC 7296 section 3.14; RFC 5282 section
// 3 and RFC 7634 section 3 for AEAD). The results alias body.
func SplitBody(body []byte, ivLen, icvLen int) (iv, ciphertext, icv []byte, err error) {
	if ivLen < 0 || icvLen < 0 || len(body) < ivLen+icvLen {
		return nil, nil, nil, fmt.Errorf("ike: %d-octet encrypted body cannot hold a %d-octet IV and a %d-octet ICV: %w",
			len(body), ivLen, icvLen, ErrMalformed)
	}
	n := len(body)
	return body[:ivLen], body[ivLen : n-icvLen], body[n-icvLen:], nil
}
