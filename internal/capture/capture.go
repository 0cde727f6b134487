// Package capture reads pcap and pcapng files (with gopacket's pcapgo) and
// classifies the datagrams that matter to IKEv2 and ESP: IKE on UDP 500,
// IKE on UDP 4500 after the non-ESP marker, NAT keepalives and
// UDP-encapsulated ESP (RFC 3948 section 2), and raw ESP (IP protocol 50,
// RFC 4303). IPv4 fragments are reassembled (gopacket's ip4defrag).
//
// It is the one place that reads captures: the dump tool, the tests and the
// fuzz seeds all use it.
package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Well-known ports (RFC 7296 section 2; RFC 3948 section 2).
const (
	PortIKE  = 500
	PortNATT = 4500
)

// Kind says what a datagram carries.
type Kind int

const (
	KindOther     Kind = iota // not IKE or ESP
	KindIKE                   // an IKE message (non-ESP marker removed)
	KindESPInUDP              // UDP-encapsulated ESP (RFC 3948 section 2.1)
	KindKeepalive             // NAT keepalive: one octet 0xFF (RFC 3948 section 2.3)
	KindESP                   // raw ESP, IP protocol 50
	KindBroken                // a packet that could not be decoded; see Err
)

func (k Kind) String() string {
	return [...]string{"other", "IKE", "ESP-in-UDP", "NAT-keepalive", "ESP", "broken"}[k]
}

// Datagram is one classified packet of a capture.
type Datagram struct {
	Frame    int // 1-based frame number in the file
	Time     time.Time
	Kind     Kind
	Src, Dst netip.AddrPort // ports are zero for raw ESP
	// NonESPMarker is set for IKE on port 4500 (the four zero octets were
	// present and are not part of Payload).
	NonESPMarker bool
	// Payload is the IKE message, or the ESP packet from its SPI onwards.
	Payload []byte
	Err     error // for KindBroken
}

// ReadFile reads a pcap or pcapng file.
func ReadFile(path string) ([]Datagram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Read reads a pcap or pcapng stream, telling them apart by the magic number.
func Read(r io.Reader) ([]Datagram, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("capture: reading the file header: %w", err)
	}
	var src packetSource
	var link layers.LinkType
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("capture: pcapng: %w", err)
		}
		src, link = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("capture: pcap: %w", err)
		}
		src, link = pr, pr.LinkType()
	}
	defrag := ip4defrag.NewIPv4Defragmenter()
	var out []Datagram
	for frame := 1; ; frame++ {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("capture: frame %d: %w", frame, err)
		}
		d, ok := classify(data, link, defrag)
		if !ok {
			continue // a fragment waiting for the rest
		}
		d.Frame, d.Time = frame, ci.Timestamp
		out = append(out, d)
	}
	return out, nil
}

func classify(data []byte, link layers.LinkType, defrag *ip4defrag.IPv4Defragmenter) (Datagram, bool) {
	pkt := gopacket.NewPacket(data, link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	var proto layers.IPProtocol
	var ipPayload []byte
	switch {
	case pkt.Layer(layers.LayerTypeIPv4) != nil:
		ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			whole, err := defrag.DefragIPv4(ip)
			if err != nil {
				return Datagram{Kind: KindBroken, Err: fmt.Errorf("capture: IPv4 reassembly: %w", err)}, true
			}
			if whole == nil {
				return Datagram{}, false
			}
			ip = whole
		}
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		proto, ipPayload = ip.Protocol, ip.Payload
	case pkt.Layer(layers.LayerTypeIPv6) != nil:
		ip := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
		proto, ipPayload = ip.NextHeader, ip.Payload
	default:
		if el := pkt.ErrorLayer(); el != nil {
			return Datagram{Kind: KindBroken, Err: fmt.Errorf("capture: %w", el.Error())}, true
		}
		return Datagram{Kind: KindOther}, true
	}
	d := Datagram{Src: netip.AddrPortFrom(src, 0), Dst: netip.AddrPortFrom(dst, 0)}
	switch proto {
	case layers.IPProtocolESP:
		d.Kind, d.Payload = KindESP, ipPayload
		return d, true
	case layers.IPProtocolUDP:
	default:
		d.Kind = KindOther
		return d, true
	}
	if len(ipPayload) < 8 {
		return Datagram{Kind: KindBroken, Src: d.Src, Dst: d.Dst, Err: errors.New("capture: truncated UDP header")}, true
	}
	sport := uint16(ipPayload[0])<<8 | uint16(ipPayload[1])
	dport := uint16(ipPayload[2])<<8 | uint16(ipPayload[3])
	ulen := int(ipPayload[4])<<8 | int(ipPayload[5])
	payload := ipPayload[8:]
	if ulen >= 8 && ulen-8 <= len(payload) {
		payload = payload[:ulen-8]
	}
	d.Src, d.Dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	d.Payload = append([]byte(nil), payload...)
	switch {
	case sport == PortIKE || dport == PortIKE:
		d.Kind = KindIKE
	case sport == PortNATT || dport == PortNATT:
		switch {
		case len(payload) == 1 && payload[0] == 0xff:
			d.Kind = KindKeepalive
		case len(payload) >= 4 && bytes.Equal(payload[:4], []byte{0, 0, 0, 0}):
			d.Kind, d.NonESPMarker, d.Payload = KindIKE, true, d.Payload[4:]
		default:
			d.Kind = KindESPInUDP
		}
	default:
		d.Kind = KindOther
	}
	return d, true
}
