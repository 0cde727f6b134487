package conformance

import (
	"fmt"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// writePCAP writes the case's datagrams as IPv4/IPv6 + UDP packets
// (link type RAW), so that tshark and ikedump read them with the key table.
func writePCAP(path string, pkts []Packet) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		f.Close()
		return fmt.Errorf("conformance: pcap: %w", err)
	}
	for _, p := range pkts {
		buf := gopacket.NewSerializeBuffer()
		udp := &layers.UDP{SrcPort: layers.UDPPort(p.Src.Port()), DstPort: layers.UDPPort(p.Dst.Port())}
		var ip gopacket.NetworkLayer
		var ipl gopacket.SerializableLayer
		if p.Src.Addr().Unmap().Is4() {
			v4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
				SrcIP: p.Src.Addr().Unmap().AsSlice(), DstIP: p.Dst.Addr().Unmap().AsSlice()}
			ip, ipl = v4, v4
		} else {
			v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
				SrcIP: p.Src.Addr().AsSlice(), DstIP: p.Dst.Addr().AsSlice()}
			ip, ipl = v6, v6
		}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			f.Close()
			return fmt.Errorf("conformance: pcap: %w", err)
		}
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, ipl, udp, gopacket.Payload(p.Data)); err != nil {
			f.Close()
			return fmt.Errorf("conformance: pcap: %w", err)
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			f.Close()
			return fmt.Errorf("conformance: pcap: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	return nil
}
