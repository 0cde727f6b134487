package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// innerDesc describes the packet an ESP packet carried.
type innerDesc struct {
	summary string   // for the line: "IPv4 192.0.2.1 -> 192.0.1.1 ICMP echo request id 1 seq 1 len 64"
	detail  []string // for -v: one line per layer
	// esp is the ESP packet inside (tunnel mode carrying ESP), with the
	// addresses of the IP header around it.
	esp      []byte
	src, dst netip.Addr
}

// describeInner decodes the payload of an ESP packet with gopacket's
// layers, starting from the layer the Next Header names (RFC 4303 section
// 2.6: 4 and 41 in tunnel mode, the transport protocol in transport mode).
func describeInner(next uint8, b []byte) innerDesc {
	var first gopacket.LayerType
	switch next {
	case 4:
		first = layers.LayerTypeIPv4
	case 41:
		first = layers.LayerTypeIPv6
	case 1:
		first = layers.LayerTypeICMPv4
	case 6:
		first = layers.LayerTypeTCP
	case 17:
		first = layers.LayerTypeUDP
	case 58:
		first = layers.LayerTypeICMPv6
	default:
		s := fmt.Sprintf("%s, %d octets", protoName(next), len(b))
		return innerDesc{summary: s, detail: []string{s + fmt.Sprintf(": %x", b)}}
	}
	var d innerDesc
	var parts []string
	pkt := gopacket.NewPacket(b, first, gopacket.DecodeOptions{NoCopy: true})
	for _, l := range pkt.Layers() {
		switch v := l.(type) {
		case *layers.IPv4:
			src, _ := netip.AddrFromSlice(v.SrcIP.To4())
			dst, _ := netip.AddrFromSlice(v.DstIP.To4())
			parts = append(parts, fmt.Sprintf("IPv4 %v -> %v", src, dst))
			flags := v.Flags.String()
			if flags == "" {
				flags = "none"
			}
			d.detail = append(d.detail, fmt.Sprintf("IPv4: %v -> %v, header %d octets, total length %d, TTL %d, protocol %s, identification 0x%04x, flags %s, fragment offset %d",
				src, dst, int(v.IHL)*4, v.Length, v.TTL, protoName(uint8(v.Protocol)), v.Id, flags, v.FragOffset))
			if int(v.Length) < len(b) && v.Length >= 20 && l == pkt.Layers()[0] {
				// RFC 4303 section 2.7: TFC padding follows the inner packet.
				d.detail = append(d.detail, fmt.Sprintf("%d octets after the IPv4 packet (TFC padding)", len(b)-int(v.Length)))
			}
			if v.Protocol == layers.IPProtocolESP {
				d.esp, d.src, d.dst = v.Payload, src, dst
			}
		case *layers.IPv6:
			src, _ := netip.AddrFromSlice(v.SrcIP)
			dst, _ := netip.AddrFromSlice(v.DstIP)
			parts = append(parts, fmt.Sprintf("IPv6 %v -> %v", src, dst))
			d.detail = append(d.detail, fmt.Sprintf("IPv6: %v -> %v, payload length %d, next header %s, hop limit %d, flow label 0x%05x",
				src, dst, v.Length, protoName(uint8(v.NextHeader)), v.HopLimit, v.FlowLabel))
			if v.NextHeader == layers.IPProtocolESP {
				d.esp, d.src, d.dst = v.Payload, src, dst
			}
		case *layers.ICMPv4:
			s := fmt.Sprintf("ICMP %s", icmp4Name(v.TypeCode))
			if t := v.TypeCode.Type(); t == layers.ICMPv4TypeEchoRequest || t == layers.ICMPv4TypeEchoReply {
				s += fmt.Sprintf(" id %d seq %d", v.Id, v.Seq)
			}
			s += fmt.Sprintf(" len %d", len(v.Contents)+len(v.Payload))
			parts = append(parts, s)
			d.detail = append(d.detail, fmt.Sprintf("ICMP: type %d code %d (%s), checksum 0x%04x, id %d, seq %d, %d octets",
				v.TypeCode.Type(), v.TypeCode.Code(), icmp4Name(v.TypeCode), v.Checksum, v.Id, v.Seq, len(v.Contents)+len(v.Payload)))
		case *layers.ICMPv6:
			parts = append(parts, fmt.Sprintf("ICMPv6 %v len %d", v.TypeCode, len(v.Contents)+len(v.Payload)))
			d.detail = append(d.detail, fmt.Sprintf("ICMPv6: type %d code %d (%v), checksum 0x%04x", v.TypeCode.Type(), v.TypeCode.Code(), v.TypeCode, v.Checksum))
		case *layers.ICMPv6Echo:
			parts = append(parts, fmt.Sprintf("id %d seq %d", v.Identifier, v.SeqNumber))
		case *layers.UDP:
			parts = append(parts, fmt.Sprintf("UDP %d -> %d len %d", v.SrcPort, v.DstPort, v.Length))
			d.detail = append(d.detail, fmt.Sprintf("UDP: port %d -> %d, length %d, checksum 0x%04x", v.SrcPort, v.DstPort, v.Length, v.Checksum))
		case *layers.TCP:
			parts = append(parts, fmt.Sprintf("TCP %d -> %d [%s] seq %d ack %d len %d", v.SrcPort, v.DstPort, tcpFlags(v), v.Seq, v.Ack, len(v.Payload)))
			d.detail = append(d.detail, fmt.Sprintf("TCP: port %d -> %d, flags [%s], seq %d, ack %d, window %d, %d octets of data",
				v.SrcPort, v.DstPort, tcpFlags(v), v.Seq, v.Ack, v.Window, len(v.Payload)))
		case *layers.IPSecESP:
			// Opened by the caller with the key table, if it has the SA.
		case *gopacket.DecodeFailure:
			parts = append(parts, fmt.Sprintf("(undecodable: %v)", v.Error()))
			d.detail = append(d.detail, fmt.Sprintf("undecodable: %v", v.Error()))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%s, %d octets", protoName(next), len(b)))
	}
	d.summary = strings.Join(parts, " ")
	return d
}

// icmp4Name names ICMP types as tcpdump does.
func icmp4Name(tc layers.ICMPv4TypeCode) string {
	switch tc.Type() {
	case layers.ICMPv4TypeEchoRequest:
		return "echo request"
	case layers.ICMPv4TypeEchoReply:
		return "echo reply"
	case layers.ICMPv4TypeDestinationUnreachable:
		return fmt.Sprintf("destination unreachable (code %d)", tc.Code())
	case layers.ICMPv4TypeTimeExceeded:
		return fmt.Sprintf("time exceeded (code %d)", tc.Code())
	}
	return fmt.Sprintf("type %d code %d", tc.Type(), tc.Code())
}

// tcpFlags renders TCP flags as tcpdump does: S, F, R, P, U, E, W, and "."
// for ACK.
func tcpFlags(t *layers.TCP) string {
	var s string
	for _, f := range []struct {
		on bool
		c  string
	}{{t.SYN, "S"}, {t.FIN, "F"}, {t.RST, "R"}, {t.PSH, "P"}, {t.URG, "U"}, {t.ECE, "E"}, {t.CWR, "W"}, {t.ACK, "."}} {
		if f.on {
			s += f.c
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// protoName names an IP protocol number (IANA "Assigned Internet Protocol
// Numbers"), falling back to tcpdump's "ip-proto-N".
func protoName(p uint8) string {
	switch p {
	case 1:
		return "ICMP"
	case 4:
		return "IPv4"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 41:
		return "IPv6"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 58:
		return "ICMPv6"
	case 59:
		return "no next header"
	case 132:
		return "SCTP"
	}
	return fmt.Sprintf("ip-proto-%d", p)
}
