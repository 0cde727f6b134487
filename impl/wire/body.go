package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
)

// reader reads one payload body and knows where it stands in the message, so
// that every error names an offset.
type reader struct {
	s    cryptobyte.String
	base int // offset of the body in the decoded buffer
	n    int // length of the body
	p    PayloadType
}

func newReader(body []byte, base int, p PayloadType) *reader {
	return &reader{s: cryptobyte.String(body), base: base, n: len(body), p: p}
}

func (r *reader) off() int { return r.base + r.n - len(r.s) }

func (r *reader) errf(format string, args ...any) error {
	return errAt(r.off(), r.p, format, args...)
}

func (r *reader) u8(what string) (uint8, error) {
	var v uint8
	if !r.s.ReadUint8(&v) {
		return 0, r.errf("truncated before %s", what)
	}
	return v, nil
}

func (r *reader) u16(what string) (uint16, error) {
	var v uint16
	if !r.s.ReadUint16(&v) {
		return 0, r.errf("truncated before %s", what)
	}
	return v, nil
}

func (r *reader) bytes(n int, what string) ([]byte, error) {
	var v []byte
	if !r.s.ReadBytes(&v, n) {
		return nil, r.errf("%s of %d octets overruns the %d octets left", what, n, len(r.s))
	}
	if n == 0 {
		return nil, nil
	}
	// Cap the slice at its length: the payloads of a message share one
	// buffer, and an append to one field must not overwrite the next.
	return v[:n:n], nil
}

func (r *reader) skip(n int, what string) error {
	if !r.s.Skip(n) {
		return r.errf("truncated in %s", what)
	}
	return nil
}

// rest returns what is left of the body (nil when empty).
func (r *reader) rest() []byte {
	b, _ := r.bytes(len(r.s), "")
	return b
}

func (r *reader) end(what string) error {
	if !r.s.Empty() {
		return r.errf("%d octets left over after %s", len(r.s), what)
	}
	return nil
}

// ---- encoding helpers ----

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// putLen16 writes the length of b[start:] (plus extra) as a 16-bit value at
// b[at:], failing when it does not fit.
func putLen16(b []byte, at, start int, what string) error {
	n := len(b) - start
	if n > 0xffff {
		return fmt.Errorf("ike: cannot encode %s: length %d exceeds 65535", what, n)
	}
	binary.BigEndian.PutUint16(b[at:], uint16(n))
	return nil
}

func count8(n int, what string) (uint8, error) {
	if n > 0xff {
		return 0, fmt.Errorf("ike: cannot encode %s: %d exceeds 255", what, n)
	}
	return uint8(n), nil
}

// ---- SA (RFC 7296 section 3.3) ----

// Substructure markers (RFC 7296 sections 3.3.1 and 3.3.2).
const (
	lastSubstruc      = 0
	moreProposals     = 2
	moreTransforms    = 3
	proposalHeaderLen = 8
	transformHdrLen   = 8
	attrAFBit         = 0x8000
)

func (p *SA) appendBody(b []byte) ([]byte, error) {
	for i := range p.Proposals {
		pr := &p.Proposals[i]
		start := len(b)
		more := byte(moreProposals)
		if i == len(p.Proposals)-1 {
			more = lastSubstruc
		}
		spiSize, err := count8(len(pr.SPI), "proposal SPI size")
		if err != nil {
			return nil, err
		}
		nt, err := count8(len(pr.Transforms), "number of transforms")
		if err != nil {
			return nil, err
		}
		b = append(b, more, 0, 0, 0, pr.Number, byte(pr.Protocol), spiSize, nt)
		b = append(b, pr.SPI...)
		for j := range pr.Transforms {
			tr := &pr.Transforms[j]
			tstart := len(b)
			more := byte(moreTransforms)
			if j == len(pr.Transforms)-1 {
				more = lastSubstruc
			}
			b = append(b, more, 0, 0, 0, byte(tr.Type), 0)
			b = appendU16(b, tr.ID)
			for _, a := range tr.Attributes {
				if a.Type&attrAFBit != 0 {
					return nil, fmt.Errorf("ike: cannot encode attribute type %#x: more than 15 bits", a.Type)
				}
				if a.TV {
					if len(a.Value) != 2 {
						return nil, fmt.Errorf("ike: cannot encode TV attribute %d: value of %d octets, want 2", a.Type, len(a.Value))
					}
					b = appendU16(b, a.Type|attrAFBit)
					b = append(b, a.Value...)
					continue
				}
				if len(a.Value) > 0xffff {
					return nil, fmt.Errorf("ike: cannot encode TLV attribute %d: %d octets", a.Type, len(a.Value))
				}
				b = appendU16(b, a.Type)
				b = appendU16(b, uint16(len(a.Value)))
				b = append(b, a.Value...)
			}
			if err := putLen16(b, tstart+2, tstart, "transform"); err != nil {
				return nil, err
			}
		}
		if err := putLen16(b, start+2, start, "proposal"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (p *SA) decodeBody(r *reader) error {
	// RFC7296-3.3-4: the payload length must agree with the internal
	// lengths and counts. RFC 7296 section 3.3: an SA payload consists of
	// one or more Proposal substructures.
	if r.s.Empty() {
		return r.errf("no proposal")
	}
	for more := true; more; {
		pstart := r.off()
		last, err := r.u8("proposal Last Substruc")
		if err != nil {
			return err
		}
		switch last {
		case lastSubstruc:
			more = false
		case moreProposals:
		default:
			return r.errf("proposal Last Substruc is %d, want 0 or 2", last)
		}
		if err := r.skip(1, "proposal RESERVED"); err != nil {
			return err
		}
		plen, err := r.u16("proposal length")
		if err != nil {
			return err
		}
		if plen < proposalHeaderLen {
			return r.errf("proposal length %d is shorter than its %d-octet header", plen, proposalHeaderLen)
		}
		pbody, err := r.bytes(int(plen)-4, "proposal")
		if err != nil {
			return err
		}
		pr, err := decodeProposal(newReader(pbody, pstart+4, r.p))
		if err != nil {
			return err
		}
		p.Proposals = append(p.Proposals, pr)
	}
	return r.end("the last proposal (Last Substruc 0)")
}

func decodeProposal(r *reader) (Proposal, error) {
	var pr Proposal
	var err error
	if pr.Number, err = r.u8("proposal number"); err != nil {
		return pr, err
	}
	proto, err := r.u8("protocol ID")
	if err != nil {
		return pr, err
	}
	pr.Protocol = ProtocolID(proto)
	spiSize, err := r.u8("SPI size")
	if err != nil {
		return pr, err
	}
	nt, err := r.u8("number of transforms")
	if err != nil {
		return pr, err
	}
	if pr.SPI, err = r.bytes(int(spiSize), "proposal SPI"); err != nil {
		return pr, err
	}
	for i := 0; i < int(nt); i++ {
		tstart := r.off()
		last, err := r.u8("transform Last Substruc")
		if err != nil {
			return pr, err
		}
		want := byte(moreTransforms)
		if i == int(nt)-1 {
			want = lastSubstruc
		}
		if last != want {
			return pr, errAt(tstart, r.p, "transform %d of %d has Last Substruc %d, want %d", i+1, nt, last, want)
		}
		if err := r.skip(1, "transform RESERVED"); err != nil {
			return pr, err
		}
		tlen, err := r.u16("transform length")
		if err != nil {
			return pr, err
		}
		if tlen < transformHdrLen {
			return pr, r.errf("transform length %d is shorter than its %d-octet header", tlen, transformHdrLen)
		}
		tbody, err := r.bytes(int(tlen)-4, "transform")
		if err != nil {
			return pr, err
		}
		tr, err := decodeTransform(newReader(tbody, tstart+4, r.p))
		if err != nil {
			return pr, err
		}
		pr.Transforms = append(pr.Transforms, tr)
	}
	return pr, r.end(fmt.Sprintf("the %d transforms the proposal announces", nt))
}

func decodeTransform(r *reader) (Transform, error) {
	var tr Transform
	t, err := r.u8("transform type")
	if err != nil {
		return tr, err
	}
	tr.Type = TransformType(t)
	if err := r.skip(1, "transform RESERVED"); err != nil {
		return tr, err
	}
	if tr.ID, err = r.u16("transform ID"); err != nil {
		return tr, err
	}
	for !r.s.Empty() {
		at, err := r.u16("attribute type")
		if err != nil {
			return tr, err
		}
		a := Attribute{Type: at &^ attrAFBit, TV: at&attrAFBit != 0}
		if a.TV {
			if a.Value, err = r.bytes(2, "TV attribute value"); err != nil {
				return tr, err
			}
		} else {
			n, err := r.u16("attribute length")
			if err != nil {
				return tr, err
			}
			if a.Value, err = r.bytes(int(n), "TLV attribute value"); err != nil {
				return tr, err
			}
		}
		tr.Attributes = append(tr.Attributes, a)
	}
	return tr, nil
}

// ---- KE (3.4), ID (3.5), AUTH (3.8): type octet(s), reserved, data ----

func (p *KE) appendBody(b []byte) ([]byte, error) {
	b = appendU16(b, uint16(p.Group))
	b = append(b, 0, 0)
	return append(b, p.Data...), nil
}

func (p *KE) decodeBody(r *reader) error {
	g, err := r.u16("Diffie-Hellman group")
	if err != nil {
		return err
	}
	p.Group = KEID(g)
	if err := r.skip(2, "RESERVED"); err != nil {
		return err
	}
	p.Data = r.rest()
	return nil
}

// typedData reads the layout that ID, AUTH, CERT and CERTREQ share: one
// octet naming the type, `reserved` zero octets, and data to the end.
func typedData(r *reader, what string, reserved int) (uint8, []byte, error) {
	t, err := r.u8(what)
	if err != nil {
		return 0, nil, err
	}
	if err := r.skip(reserved, "RESERVED"); err != nil {
		return 0, nil, err
	}
	return t, r.rest(), nil
}

func appendTypedData(b []byte, t uint8, reserved int, data []byte) []byte {
	b = append(b, t)
	b = append(b, make([]byte, reserved)...)
	return append(b, data...)
}

func (p *ID) appendBody(b []byte) ([]byte, error) {
	return appendTypedData(b, uint8(p.IDType), 3, p.Data), nil
}

func (p *ID) decodeBody(r *reader) error {
	t, d, err := typedData(r, "ID type", 3)
	p.IDType, p.Data = IDType(t), d
	return err
}

func (p *Auth) appendBody(b []byte) ([]byte, error) {
	return appendTypedData(b, uint8(p.Method), 3, p.Data), nil
}

func (p *Auth) decodeBody(r *reader) error {
	t, d, err := typedData(r, "auth method", 3)
	p.Method, p.Data = AuthMethod(t), d
	return err
}

// ---- CERT (3.6), CERTREQ (3.7): encoding octet, data ----

func (p *Cert) appendBody(b []byte) ([]byte, error) {
	return appendTypedData(b, uint8(p.Encoding), 0, p.Data), nil
}

func (p *Cert) decodeBody(r *reader) error {
	t, d, err := typedData(r, "certificate encoding", 0)
	p.Encoding, p.Data = CertEncoding(t), d
	return err
}

func (p *CertReq) appendBody(b []byte) ([]byte, error) {
	return appendTypedData(b, uint8(p.Encoding), 0, p.Data), nil
}

func (p *CertReq) decodeBody(r *reader) error {
	t, d, err := typedData(r, "certificate encoding", 0)
	p.Encoding, p.Data = CertEncoding(t), d
	return err
}

// ---- Nonce (3.9), Vendor ID (3.12): data only ----

func (p *Nonce) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

func (p *Nonce) decodeBody(r *reader) error {
	// RFC7296-3.9-1: the size of the Nonce Data MUST be between 16 and 256
	// octets, inclusive.
	if n := len(r.s); n < MinNonceLen || n > MaxNonceLen {
		return r.errf("nonce of %d octets, want %d to %d", n, MinNonceLen, MaxNonceLen)
	}
	p.Data = r.rest()
	return nil
}

func (p *VendorID) appendBody(b []byte) ([]byte, error) { return append(b, p.Data...), nil }

func (p *VendorID) decodeBody(r *reader) error {
	p.Data = r.rest()
	return nil
}

// ---- Notify (3.10) ----

func (p *Notify) appendBody(b []byte) ([]byte, error) {
	n, err := count8(len(p.SPI), "notify SPI size")
	if err != nil {
		return nil, err
	}
	b = append(b, byte(p.Protocol), n)
	b = appendU16(b, uint16(p.Type))
	b = append(b, p.SPI...)
	return append(b, p.Data...), nil
}

func (p *Notify) decodeBody(r *reader) error {
	proto, err := r.u8("protocol ID")
	if err != nil {
		return err
	}
	p.Protocol = ProtocolID(proto)
	n, err := r.u8("SPI size")
	if err != nil {
		return err
	}
	t, err := r.u16("notify message type")
	if err != nil {
		return err
	}
	p.Type = NotifyType(t)
	if p.SPI, err = r.bytes(int(n), "notify SPI"); err != nil {
		return err
	}
	p.Data = r.rest()
	return nil
}

// ---- Delete (3.11) ----

func (p *Delete) appendBody(b []byte) ([]byte, error) {
	if len(p.SPIs) > 0xffff {
		return nil, fmt.Errorf("ike: cannot encode Delete: %d SPIs", len(p.SPIs))
	}
	b = append(b, byte(p.Protocol), p.SPISize)
	b = appendU16(b, uint16(len(p.SPIs)))
	for _, spi := range p.SPIs {
		if len(spi) != int(p.SPISize) {
			return nil, fmt.Errorf("ike: cannot encode Delete: SPI of %d octets with SPI size %d", len(spi), p.SPISize)
		}
		b = append(b, spi...)
	}
	return b, nil
}

func (p *Delete) decodeBody(r *reader) error {
	proto, err := r.u8("protocol ID")
	if err != nil {
		return err
	}
	p.Protocol = ProtocolID(proto)
	if p.SPISize, err = r.u8("SPI size"); err != nil {
		return err
	}
	n, err := r.u16("number of SPIs")
	if err != nil {
		return err
	}
	// A count of SPIs of size zero would describe nothing (and would let 4
	// octets announce 65535 entries): the IKE SA's Delete has no SPIs
	// (RFC 7296 section 3.11).
	if p.SPISize == 0 && n != 0 {
		return r.errf("%d SPIs of size 0", n)
	}
	if want := int(n) * int(p.SPISize); len(r.s) != want {
		return r.errf("%d SPIs of %d octets need %d octets, have %d", n, p.SPISize, want, len(r.s))
	}
	for i := 0; i < int(n); i++ {
		spi, err := r.bytes(int(p.SPISize), "SPI")
		if err != nil {
			return err
		}
		p.SPIs = append(p.SPIs, spi)
	}
	return nil
}

// ---- Traffic Selectors (3.13) ----

const (
	tsHeaderLen = 8 // type, protocol, length, start port, end port
	tsV4Len     = tsHeaderLen + 8
	tsV6Len     = tsHeaderLen + 32
)

func (p *TS) appendBody(b []byte) ([]byte, error) {
	n, err := count8(len(p.Selectors), "number of traffic selectors")
	if err != nil {
		return nil, err
	}
	b = append(b, n, 0, 0, 0)
	for i := range p.Selectors {
		s := &p.Selectors[i]
		start := len(b)
		b = append(b, byte(s.Type), s.IPProtocol, 0, 0)
		switch s.Type {
		case TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE:
			want := 4
			if s.Type == TS_IPV6_ADDR_RANGE {
				want = 16
			}
			if s.Start.BitLen() != want*8 || s.End.BitLen() != want*8 {
				return nil, fmt.Errorf("ike: cannot encode %s selector with addresses %v and %v", s.Type, s.Start, s.End)
			}
			b = appendU16(b, s.StartPort)
			b = appendU16(b, s.EndPort)
			b = append(b, s.Start.AsSlice()...)
			b = append(b, s.End.AsSlice()...)
		default:
			b = append(b, s.Raw...)
		}
		if err := putLen16(b, start+2, start, "traffic selector"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (p *TS) decodeBody(r *reader) error {
	n, err := r.u8("number of TSs")
	if err != nil {
		return err
	}
	if err := r.skip(3, "RESERVED"); err != nil {
		return err
	}
	for i := 0; i < int(n); i++ {
		sstart := r.off()
		var s Selector
		t, err := r.u8("TS type")
		if err != nil {
			return err
		}
		s.Type = TSType(t)
		if s.IPProtocol, err = r.u8("IP protocol ID"); err != nil {
			return err
		}
		slen, err := r.u16("selector length")
		if err != nil {
			return err
		}
		if slen < 4 {
			return errAt(sstart, r.p, "selector length %d is shorter than its header", slen)
		}
		body, err := r.bytes(int(slen)-4, "traffic selector")
		if err != nil {
			return err
		}
		sr := newReader(body, sstart+4, r.p)
		switch s.Type {
		case TS_IPV4_ADDR_RANGE, TS_IPV6_ADDR_RANGE:
			// RFC 7296 section 3.13.1: the selector length is 16 for IPv4
			// and 40 for IPv6.
			want := tsV4Len
			if s.Type == TS_IPV6_ADDR_RANGE {
				want = tsV6Len
			}
			if int(slen) != want {
				return errAt(sstart, r.p, "%s selector length %d, want %d", s.Type, slen, want)
			}
			s.StartPort, _ = sr.u16("start port")
			s.EndPort, _ = sr.u16("end port")
			alen := (want - tsHeaderLen) / 2
			a, _ := sr.bytes(alen, "start address")
			s.Start, _ = netip.AddrFromSlice(a)
			a, _ = sr.bytes(alen, "end address")
			s.End, _ = netip.AddrFromSlice(a)
		default:
			s.Raw = sr.rest()
		}
		p.Selectors = append(p.Selectors, s)
	}
	return r.end(fmt.Sprintf("the %d traffic selectors the payload announces", n))
}

// ---- Encrypted (3.14) and Encrypted Fragment (RFC 7383 2.5) ----

func (p *Encrypted) appendBody(b []byte) ([]byte, error) { return append(b, p.Body...), nil }

func (p *Encrypted) decodeBody(r *reader) error {
	p.Body = r.rest()
	return nil
}

func (p *EncryptedFragment) appendBody(b []byte) ([]byte, error) {
	b = appendU16(b, p.Number)
	b = appendU16(b, p.Total)
	return append(b, p.Body...), nil
}

func (p *EncryptedFragment) decodeBody(r *reader) error {
	var err error
	if p.Number, err = r.u16("fragment number"); err != nil {
		return err
	}
	if p.Total, err = r.u16("total fragments"); err != nil {
		return err
	}
	// RFC7383-2.5-4: the Fragment Number is at most Total Fragments;
	// RFC7383-2.5-5, RFC7383-2.5-6: neither is zero.
	if p.Number == 0 || p.Total == 0 || p.Number > p.Total {
		return r.errf("fragment %d of %d", p.Number, p.Total)
	}
	p.Body = r.rest()
	return nil
}

// ---- Configuration (3.15) ----

func (p *CP) appendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.CFGType), 0, 0, 0)
	for _, a := range p.Attributes {
		if a.Type&0x8000 != 0 {
			return nil, fmt.Errorf("ike: cannot encode configuration attribute type %#x: more than 15 bits", uint16(a.Type))
		}
		if len(a.Value) > 0xffff {
			return nil, fmt.Errorf("ike: cannot encode configuration attribute %s: %d octets", a.Type, len(a.Value))
		}
		b = appendU16(b, uint16(a.Type))
		b = appendU16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	return b, nil
}

func (p *CP) decodeBody(r *reader) error {
	t, err := r.u8("CFG type")
	if err != nil {
		return err
	}
	p.CFGType = CFGType(t)
	if err := r.skip(3, "RESERVED"); err != nil {
		return err
	}
	for !r.s.Empty() {
		at, err := r.u16("attribute type")
		if err != nil {
			return err
		}
		n, err := r.u16("attribute length")
		if err != nil {
			return err
		}
		v, err := r.bytes(int(n), "attribute value")
		if err != nil {
			return err
		}
		// RFC7296-3.15.1-1: the R bit is reserved and ignored on receipt.
		p.Attributes = append(p.Attributes, CPAttribute{Type: CPAttrType(at & 0x7fff), Value: v})
	}
	return nil
}

// ---- EAP (3.16, RFC 3748 section 4) ----

func (p *EAP) hasType() bool { return p.Code != EAPSuccess && p.Code != EAPFailure }

func (p *EAP) appendBody(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, byte(p.Code), p.Identifier, 0, 0)
	if p.hasType() {
		b = append(b, p.Type)
		b = append(b, p.Data...)
	} else if len(p.Data) > 0 || p.Type != 0 {
		return nil, fmt.Errorf("ike: cannot encode EAP %s with type or data", p.Code)
	}
	return b, putLen16(b, start+2, start, "EAP message")
}

func (p *EAP) decodeBody(r *reader) error {
	c, err := r.u8("EAP code")
	if err != nil {
		return err
	}
	p.Code = EAPCode(c)
	if p.Identifier, err = r.u8("EAP identifier"); err != nil {
		return err
	}
	n, err := r.u16("EAP length")
	if err != nil {
		return err
	}
	// RFC 3748 section 4: the Length covers Code, Identifier, Length, Type
	// and Type-Data; here it must cover exactly the payload body.
	if int(n) != r.n {
		return r.errf("EAP length %d, but the payload carries %d octets", n, r.n)
	}
	if !p.hasType() {
		return r.end("an EAP " + p.Code.String())
	}
	if p.Type, err = r.u8("EAP type"); err != nil {
		return err
	}
	p.Data = r.rest()
	return nil
}

// ---- Unknown ----

func (p *Unknown) appendBody(b []byte) ([]byte, error) { return append(b, p.Body...), nil }

func (p *Unknown) decodeBody(r *reader) error {
	p.Body = r.rest()
	return nil
}
