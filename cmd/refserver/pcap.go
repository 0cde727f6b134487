package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/netio"
)

// pcapSnaplen covers the largest UDP datagram with its IPv6 and UDP headers.
const pcapSnaplen = netio.MaxDatagram + 48

// pcapWriter writes every datagram the server sends and receives to a pcap
// file of link type raw IP (LINKTYPE_RAW: IPv4 and IPv6 in one file), with
// synthesized IP and UDP headers whose lengths and checksums are right, and
// the UDP payload as on the wire (the non-ESP marker of port 4500
// included). It is safe for concurrent use: netio calls it from its readers
// and from the engine's goroutine.
type pcapWriter struct {
	mu   sync.Mutex
	f    *os.File
	w    *pcapgo.Writer
	ipID uint16
	err  error // the first write error; later writes are skipped
}

func createPcap(path string) (*pcapWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("refserver: --pcap: %w", err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(pcapSnaplen, layers.LinkTypeRaw); err != nil {
		f.Close()
		return nil, fmt.Errorf("refserver: --pcap %s: %w", path, err)
	}
	return &pcapWriter{f: f, w: w}, nil
}

// tap is the netio.Config.Tap that writes to the capture and logs the
// first failure.
func (p *pcapWriter) tap(log hclog.Logger) func(netio.Packet) {
	return func(pk netio.Packet) {
		if err := p.write(pk); err != nil {
			log.Error("packet capture", "error", err)
		}
	}
}

// write adds one datagram; an error is returned once, then writes stop.
func (p *pcapWriter) write(pk netio.Packet) error {
	src, dst := pk.Remote, pk.Local
	if pk.Out {
		src, dst = pk.Local, pk.Remote
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil
	}
	p.ipID++
	b, err := ipUDP(src, dst, pk.Payload, p.ipID)
	if err != nil {
		// Not written, but the capture goes on.
		return fmt.Errorf("refserver: --pcap: %v -> %v: %w", src, dst, err)
	}
	ci := gopacket.CaptureInfo{Timestamp: pk.Time, CaptureLength: len(b), Length: len(b)}
	if err := p.w.WritePacket(ci, b); err != nil {
		p.err = fmt.Errorf("refserver: --pcap: %w", err)
		return p.err
	}
	return nil
}

// ipUDP builds an IPv4 or IPv6 packet with a UDP header around payload.
func ipUDP(src, dst netip.AddrPort, payload []byte, id uint16) ([]byte, error) {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if !s.IsValid() || !d.IsValid() || s.Is4() != d.Is4() {
		return nil, errors.New("addresses of different families")
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	var ip gopacket.SerializableLayer
	if s.Is4() {
		if len(payload) > 65535-20-8 {
			return nil, fmt.Errorf("%d octets do not fit in an IPv4 packet", len(payload))
		}
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: id, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolUDP, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		udp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	} else {
		if len(payload) > 65535-8 {
			return nil, fmt.Errorf("%d octets do not fit in an IPv6 packet", len(payload))
		}
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
			SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		udp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, udp, gopacket.Payload(payload)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Close closes the file.
func (p *pcapWriter) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = errors.New("refserver: --pcap: closed")
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("refserver: --pcap: %w", err)
	}
	return nil
}
