package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// renderCtx is what the -v rendering of a payload may need from its
// message: the header and the datagram's addresses (for NAT-D).
type renderCtx struct {
	h        wire.Header
	src, dst netip.AddrPort
}

// renderPayload appends the -v lines of one payload (not SK or SKF, which
// openSK describes) to o.
func renderPayload(o *output, in int, p wire.Payload, ctx *renderCtx) {
	head := fmt.Sprintf("%s payload (critical: %s)", wire.PayloadName(p), yesNo(p.Header().Critical))
	switch q := p.(type) {
	case *wire.SA:
		o.detail(in, "%s: %d proposal(s)", head, len(q.Proposals))
		for _, pr := range q.Proposals {
			spi := "none"
			if len(pr.SPI) > 0 {
				spi = fmt.Sprintf("0x%x", pr.SPI)
			}
			o.detail(in+1, "proposal #%d: protocol %v (%d), SPI %s, %d transform(s)", pr.Number, pr.Protocol, pr.Protocol, spi, len(pr.Transforms))
			for _, tr := range pr.Transforms {
				s := fmt.Sprintf("%v (%d): %s (%d)", tr.Type, tr.Type, wire.TransformIDName(tr.Type, tr.ID), tr.ID)
				for _, a := range tr.Attributes {
					switch {
					case a.Type == wire.AttrKeyLength && a.TV && len(a.Value) == 2:
						s += fmt.Sprintf(", key length %d", binary.BigEndian.Uint16(a.Value))
					case a.TV:
						s += fmt.Sprintf(", attribute %d (TV) 0x%x", a.Type, a.Value)
					default:
						s += fmt.Sprintf(", attribute %d (TLV, %d octets) %x", a.Type, len(a.Value), a.Value)
					}
				}
				o.detail(in+2, "%s", s)
			}
		}
	case *wire.KE:
		o.detail(in, "%s: group %v (%d), %d octets of key exchange data: %x", head, q.Group, q.Group, len(q.Data), q.Data)
	case *wire.ID:
		o.detail(in, "%s: %v (%d), %d octets: %s", head, q.IDType, q.IDType, len(q.Data), renderID(q.IDType, q.Data))
	case *wire.Cert:
		o.detail(in, "%s: encoding %v (%d), %d octets", head, q.Encoding, q.Encoding, len(q.Data))
		if q.Encoding == wire.CertX509Sig {
			if c, err := x509.ParseCertificate(q.Data); err == nil {
				o.detail(in+1, "subject %q, issuer %q, serial %v, valid %s to %s", c.Subject.String(), c.Issuer.String(),
					c.SerialNumber, c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
			} else {
				o.detail(in+1, "not a parsable X.509 certificate: %v", err)
			}
		}
		o.detail(in+1, "data: %x", q.Data)
	case *wire.CertReq:
		o.detail(in, "%s: encoding %v (%d), %d octets", head, q.Encoding, q.Encoding, len(q.Data))
		if auths, err := q.Authorities(); err == nil && q.Encoding == wire.CertX509Sig {
			for _, a := range auths {
				o.detail(in+1, "certification authority (SHA-1 of its public key): %x", a)
			}
		} else {
			o.detail(in+1, "data: %x", q.Data)
		}
	case *wire.Auth:
		o.detail(in, "%s: method %v (%d), %d octets of authentication data: %x", head, q.Method, q.Method, len(q.Data), q.Data)
	case *wire.Nonce:
		o.detail(in, "%s: %d octets: %x", head, len(q.Data), q.Data)
	case *wire.Notify:
		spi := "none"
		if len(q.SPI) > 0 {
			spi = fmt.Sprintf("0x%x", q.SPI)
		}
		o.detail(in, "%s: type %s (%d), protocol %v (%d), SPI %s, %s",
			head, q.Type.FullName(), uint16(q.Type), q.Protocol, q.Protocol, spi, octets(q.Data, "data"))
		for _, l := range notifyData(q, ctx) {
			o.detail(in+1, "%s", l)
		}
	case *wire.Delete:
		spis := make([]string, len(q.SPIs))
		for i, s := range q.SPIs {
			spis[i] = fmt.Sprintf("0x%x", s)
		}
		o.detail(in, "%s: protocol %v (%d), SPI size %d, %d SPI(s): %s", head, q.Protocol, q.Protocol, q.SPISize, len(q.SPIs), strings.Join(spis, " "))
	case *wire.VendorID:
		o.detail(in, "%s: %d octets: %x%s", head, len(q.Data), q.Data, printable(q.Data))
	case *wire.TS:
		o.detail(in, "%s: %d traffic selector(s)", head, len(q.Selectors))
		for _, s := range q.Selectors {
			switch s.Type {
			case wire.TS_IPV4_ADDR_RANGE, wire.TS_IPV6_ADDR_RANGE:
				o.detail(in+1, "%v (%d): IP protocol %s, ports %d-%d, addresses %v-%v (%s)", s.Type, s.Type,
					tsProto(s.IPProtocol), s.StartPort, s.EndPort, s.Start, s.End, s.String())
			default:
				o.detail(in+1, "%v (%d): octet 2 = %d, %d octets: %x", s.Type, s.Type, s.IPProtocol, len(s.Raw), s.Raw)
			}
		}
	case *wire.CP:
		o.detail(in, "%s: %v (%d), %d attribute(s)", head, q.CFGType, q.CFGType, len(q.Attributes))
		for _, a := range q.Attributes {
			o.detail(in+1, "%v (%d), %d octets: %s", a.Type, uint16(a.Type), len(a.Value), cpValue(a))
		}
	case *wire.EAP:
		s := fmt.Sprintf("%s: code %v (%d), identifier %d", head, q.Code, q.Code, q.Identifier)
		if q.Code != wire.EAPSuccess && q.Code != wire.EAPFailure {
			s += fmt.Sprintf(", type %s (%d), %d octets of type data: %x", eapTypeName(q.Type), q.Type, len(q.Data), q.Data)
		}
		o.detail(in, "%s", s)
	case *wire.Unknown:
		o.detail(in, "%s: type %d, not parsed, %d octets: %x", head, uint8(q.Kind), len(q.Body), q.Body)
	default:
		o.detail(in, "%s", head)
	}
}

// renderID renders identification data by type (RFC 7296 section 3.5).
func renderID(t wire.IDType, b []byte) string {
	switch t {
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		if a, ok := netip.AddrFromSlice(b); ok && (a.Is4() == (t == wire.ID_IPV4_ADDR)) {
			return a.String()
		}
	case wire.ID_FQDN, wire.ID_RFC822_ADDR:
		return strconv.Quote(string(b))
	case wire.ID_DER_ASN1_DN:
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(b, &rdn); err == nil && len(rest) == 0 {
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			return strconv.Quote(n.String())
		}
		return fmt.Sprintf("%x (not a DER Name)", b)
	case wire.ID_NULL:
		if len(b) == 0 {
			return "(null identity)"
		}
	}
	return fmt.Sprintf("%x", b)
}

// printable appends the data as text when all of it is printable ASCII
// (Vendor IDs are often strings).
func printable(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return fmt.Sprintf(" (%q)", b)
}

// hashAlgorithms is the IANA "IKEv2 Hash Algorithms" registry (RFC 7427
// section 7, RFC 8420, RFC 9385).
var hashAlgorithms = map[uint16]string{
	0: "RESERVED", 1: "SHA1", 2: "SHA2_256", 3: "SHA2_384", 4: "SHA2_512", 5: "IDENTITY",
	6: "STREEBOG_256", 7: "STREEBOG_512",
}

// notifyData decodes the data of the notifies whose format is defined.
func notifyData(n *wire.Notify, ctx *renderCtx) []string {
	switch n.Type {
	case wire.NAT_DETECTION_SOURCE_IP, wire.NAT_DETECTION_DESTINATION_IP:
		// RFC 7296 section 2.23: SHA-1(SPIi | SPIr | IP address | port).
		who, ap := "source", ctx.src
		if n.Type == wire.NAT_DETECTION_DESTINATION_IP {
			who, ap = "destination", ctx.dst
		}
		if len(n.Data) != sha1.Size {
			return []string{fmt.Sprintf("NAT-D data of %d octets, not a SHA-1 hash", len(n.Data))}
		}
		h := sha1.New()
		binary.Write(h, binary.BigEndian, ctx.h.SPIi)
		binary.Write(h, binary.BigEndian, ctx.h.SPIr)
		h.Write(ap.Addr().Unmap().AsSlice())
		binary.Write(h, binary.BigEndian, ap.Port())
		if bytes.Equal(h.Sum(nil), n.Data) {
			return []string{fmt.Sprintf("NAT-D hash matches the packet's %s %v: no NAT seen on this side", who, ap)}
		}
		return []string{fmt.Sprintf("NAT-D hash does not match the packet's %s %v: a NAT, or a faked one", who, ap)}
	case wire.COOKIE:
		return []string{fmt.Sprintf("cookie of %d octets", len(n.Data))}
	case wire.SIGNATURE_HASH_ALGORITHMS:
		if len(n.Data)%2 != 0 {
			return []string{"odd length: not a list of 16-bit hash algorithm IDs"}
		}
		var hs []string
		for i := 0; i+1 < len(n.Data); i += 2 {
			id := binary.BigEndian.Uint16(n.Data[i:])
			name, ok := hashAlgorithms[id]
			if !ok {
				name = "unassigned"
			}
			hs = append(hs, fmt.Sprintf("%s (%d)", name, id))
		}
		return []string{"hash algorithms: " + strings.Join(hs, ", ")}
	case wire.SET_WINDOW_SIZE:
		if len(n.Data) == 4 {
			return []string{fmt.Sprintf("window size %d", binary.BigEndian.Uint32(n.Data))}
		}
	case wire.INVALID_KE_PAYLOAD:
		if len(n.Data) == 2 {
			g := wire.KEID(binary.BigEndian.Uint16(n.Data))
			return []string{fmt.Sprintf("accepted group %v (%d)", g, g)}
		}
	case wire.REKEY_SA:
		return []string{"rekeys the SA whose SPI is given"}
	case wire.AUTH_LIFETIME:
		// RFC 4478 section 3: the lifetime of the authentication, in seconds.
		if len(n.Data) == 4 {
			return []string{fmt.Sprintf("reauthenticate within %d seconds", binary.BigEndian.Uint32(n.Data))}
		}
	}
	return nil
}

// cpValue renders a configuration attribute value (RFC 7296 section
// 3.15.1).
func cpValue(a wire.CPAttribute) string {
	if len(a.Value) == 0 {
		return "(empty: requesting a value)"
	}
	switch a.Type {
	case wire.INTERNAL_IP4_ADDRESS, wire.INTERNAL_IP4_NETMASK, wire.INTERNAL_IP4_DNS,
		wire.INTERNAL_IP4_NBNS, wire.INTERNAL_IP4_DHCP, wire.P_CSCF_IP4_ADDRESS:
		if a4, ok := netip.AddrFromSlice(a.Value); ok && a4.Is4() {
			return a4.String()
		}
	case wire.INTERNAL_IP4_SUBNET:
		if len(a.Value) == 8 {
			addr, _ := netip.AddrFromSlice(a.Value[:4])
			mask, _ := netip.AddrFromSlice(a.Value[4:])
			return addr.String() + " mask " + mask.String()
		}
	case wire.INTERNAL_IP6_ADDRESS, wire.INTERNAL_IP6_SUBNET:
		if len(a.Value) == 17 {
			addr, _ := netip.AddrFromSlice(a.Value[:16])
			return fmt.Sprintf("%v/%d", addr, a.Value[16])
		}
	case wire.INTERNAL_IP6_DNS, wire.INTERNAL_IP6_DHCP, wire.P_CSCF_IP6_ADDRESS:
		if a6, ok := netip.AddrFromSlice(a.Value); ok && a6.Is6() {
			return a6.String()
		}
	case wire.APPLICATION_VERSION, wire.INTERNAL_DNS_DOMAIN:
		return strconv.Quote(string(a.Value))
	}
	return fmt.Sprintf("%x", a.Value)
}

// eapTypeName names the EAP method types (RFC 3748 section 5 and the IANA
// registry) that IKEv2 deployments use.
func eapTypeName(t uint8) string {
	switch t {
	case 1:
		return "Identity"
	case 2:
		return "Notification"
	case 3:
		return "Nak"
	case 4:
		return "MD5-Challenge"
	case 13:
		return "EAP-TLS"
	case 18:
		return "EAP-SIM"
	case 21:
		return "EAP-TTLS"
	case 23:
		return "EAP-AKA"
	case 25:
		return "PEAP"
	case 26:
		return "MS-CHAP-V2"
	case 50:
		return "AKA'"
	}
	return "unknown"
}

// tsProto names a traffic selector's IP protocol, where 0 means any
// (RFC 7296 section 3.13.1).
func tsProto(p uint8) string {
	if p == 0 {
		return "any (0)"
	}
	return fmt.Sprintf("%s (%d)", protoName(p), p)
}

// octets renders a length-prefixed hex field: "4 octets of data: 0000271b",
// or "no data".
func octets(b []byte, what string) string {
	if len(b) == 0 {
		return "no " + what
	}
	return fmt.Sprintf("%d octets of %s: %x", len(b), what, b)
}
