package conformance

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Msg is one IKE message the tester received (or, for LastRequest users,
// the bytes it sent), decoded.
type Msg struct {
	Header wire.Header
	// Payloads are the message's payloads; for a protected message that
	// opened, the payloads inside the Encrypted payload.
	Payloads []wire.Payload
	// Raw is the whole message as received, without the non-ESP marker.
	Raw []byte
	// Encrypted reports that the message carried an SK payload that the
	// tester opened with the IKE SA's keys.
	Encrypted bool
	// Err is a decoding or integrity failure (or, on an IKE_SA_INIT
	// response, a failure to derive the keys from it); Header is then as
	// far as it could be read.
	Err error
	// AuthOK reports, on an IKE_AUTH response, that the IUT's AUTH payload
	// verified.
	AuthOK bool
	From   netip.AddrPort
	Time   time.Time

	plain []byte           // the opened SK payload's plaintext
	first wire.PayloadType // the type of its first payload
}

// Summary renders the message in strongSwan's one-line notation:
// "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]". A nil
// message is "no message".
func (m *Msg) Summary() string {
	if m == nil {
		return "no message"
	}
	s := wire.Summary(m.Header, m.Payloads)
	if m.Err != nil {
		s += " (" + m.Err.Error() + ")"
	}
	return s
}

// IsResponse reports whether the R flag is set.
func (m *Msg) IsResponse() bool { return m != nil && m.Header.IsResponse() }

// Notify returns the first Notify of type nt, or nil.
func (m *Msg) Notify(nt wire.NotifyType) *wire.Notify {
	if m == nil {
		return nil
	}
	n, _ := wire.FindNotify(m.Payloads, nt)
	return n
}

// Has reports whether the message has a payload of type pt.
func (m *Msg) Has(pt wire.PayloadType) bool {
	if m == nil {
		return false
	}
	for _, p := range m.Payloads {
		if p.PayloadType() == pt {
			return true
		}
	}
	return false
}

// ErrorNotify returns the type of the first error Notify (type below 16384).
func (m *Msg) ErrorNotify() (wire.NotifyType, bool) {
	if m == nil {
		return 0, false
	}
	for _, p := range m.Payloads {
		if n, ok := p.(*wire.Notify); ok && n.Type.IsError() {
			return n.Type, true
		}
	}
	return 0, false
}

// Structure renders the message one element per line, without the values
// that change from run to run (SPIs, nonces, key exchange data, keys), so
// that expected and seen structures diff well in a FAIL report:
//
//	IKE_SA_INIT response 0 flags R
//	SA
//	  proposal 1 IKE spi 0: ENCR_AES_GCM_16/128 PRF_HMAC_SHA2_256 CURVE25519
//	KE CURVE25519
//	No
//	N(NATD_S_IP) protocol NONE spi 0
func (m *Msg) Structure() string {
	if m == nil {
		return "no message\n"
	}
	var b strings.Builder
	kind := "request"
	if m.Header.IsResponse() {
		kind = "response"
	}
	fmt.Fprintf(&b, "%v %s %d flags %v", m.Header.Exchange, kind, m.Header.MessageID, m.Header.Flags)
	if m.Header.Major != wire.MajorVersion || m.Header.Minor != wire.MinorVersion {
		fmt.Fprintf(&b, " version %d.%d", m.Header.Major, m.Header.Minor)
	}
	b.WriteByte('\n')
	if m.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", m.Err)
	}
	if m.Encrypted {
		b.WriteString("SK {\n")
	}
	indent := ""
	if m.Encrypted {
		indent = "  "
	}
	for _, p := range m.Payloads {
		for _, l := range payloadStructure(p) {
			b.WriteString(indent + l + "\n")
		}
	}
	if m.Encrypted {
		b.WriteString("}\n")
	}
	return b.String()
}

func payloadStructure(p wire.Payload) []string {
	crit := ""
	if p.Header().Critical {
		crit = " critical"
	}
	name := wire.PayloadName(p)
	switch q := p.(type) {
	case *wire.SA:
		out := []string{name + crit}
		for _, pr := range q.Proposals {
			var ts []string
			for i := range pr.Transforms {
				ts = append(ts, transformName(&pr.Transforms[i]))
			}
			out = append(out, fmt.Sprintf("  proposal %d %v spi %d: %s", pr.Number, pr.Protocol, len(pr.SPI), strings.Join(ts, " ")))
		}
		return out
	case *wire.KE:
		return []string{fmt.Sprintf("%s%s %v", name, crit, q.Group)}
	case *wire.Notify:
		s := fmt.Sprintf("%s%s protocol %v spi %d", name, crit, q.Protocol, len(q.SPI))
		switch q.Type {
		case wire.INVALID_KE_PAYLOAD:
			if len(q.Data) == 2 {
				s += fmt.Sprintf(" group %v", wire.KEID(uint16(q.Data[0])<<8|uint16(q.Data[1])))
			}
		case wire.NAT_DETECTION_SOURCE_IP, wire.NAT_DETECTION_DESTINATION_IP, wire.COOKIE:
			// values change from run to run
		default:
			if len(q.Data) > 0 {
				s += fmt.Sprintf(" data %d", len(q.Data))
			}
		}
		return []string{s}
	case *wire.ID:
		s := fmt.Sprintf("%s%s %v", name, crit, q.IDType)
		switch q.IDType {
		case wire.ID_FQDN, wire.ID_RFC822_ADDR:
			if utf8.Valid(q.Data) {
				s += " " + string(q.Data)
			}
		case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
			if a, ok := netip.AddrFromSlice(q.Data); ok {
				s += " " + a.String()
			}
		}
		return []string{s}
	case *wire.Auth:
		return []string{fmt.Sprintf("%s%s %v", name, crit, q.Method)}
	case *wire.TS:
		out := []string{name + crit}
		for i := range q.Selectors {
			out = append(out, "  "+q.Selectors[i].String())
		}
		return out
	case *wire.Delete:
		return []string{fmt.Sprintf("%s%s protocol %v spi %d count %d", name, crit, q.Protocol, q.SPISize, len(q.SPIs))}
	case *wire.CP:
		out := []string{name + crit}
		for _, a := range q.Attributes {
			out = append(out, fmt.Sprintf("  %v %d", a.Type, len(a.Value)))
		}
		return out
	case *wire.Unknown:
		return []string{fmt.Sprintf("%s%s length %d", name, crit, len(q.Body))}
	}
	return []string{name + crit}
}

func transformName(t *wire.Transform) string { return t.String() }
