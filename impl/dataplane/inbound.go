package dataplane

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// Inbound processing (RFC 4301 section 5.2): ESP packets to this host, by
// SPI to their SA, opened, checked against the SA's selectors, and handed to
// the device or the built-in responders.

// readRaw is the reader goroutine of one raw ESP socket.
func (d *DataPlane) readRaw(r RawConn) {
	defer d.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, local, remote, err := r.ReadFrom(buf)
		if err != nil {
			if d.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			d.st.rawErrors.Add(1)
			d.auditf("reading a raw ESP socket", "addr", r.Addr().String(), "error", err)
			if !d.pause() {
				return
			}
			continue
		}
		d.HandleESP(netip.AddrPortFrom(local, 0), netip.AddrPortFrom(remote, 0), buf[:n])
	}
}

// HandleESP processes one ESP packet (from its SPI on) that arrived from
// remote to local: the payload of IP protocol 50 (ports 0) or of a UDP
// datagram on the NAT-T port (RFC 3948 section 2.1; netio's ESP callback
// passes it here). It decrypts packet in place and keeps no reference to it
// after it returns. It is safe for concurrent use.
func (d *DataPlane) HandleESP(local, remote netip.AddrPort, packet []byte) {
	if len(packet) < espHeaderLen {
		d.st.inShort.Add(1)
		return
	}
	spi := binary.BigEndian.Uint32(packet)
	// RFC 4301 section 5.2 step 3a, RFC4303-3.4.2-1: the SA by SPI (our
	// SPIs are unique, RFC4303-2.1-1); without one the packet is dropped,
	// an auditable event.
	sa := d.db.SAD.Inbound(spi)
	if sa == nil {
		d.st.inUnknownSPI.Add(1)
		// RFC4303-3.4.2-2: SPI, addresses and sequence number.
		d.auditf("ESP packet for an unknown SPI dropped", "spi", fmt.Sprintf("%08x", spi),
			"seq", binary.BigEndian.Uint32(packet[4:]), "src", remote.String(), "dst", local.String())
		// RFC7296-2.21.4-7: the key exchange may tell the peer
		// (INVALID_SPI); reported at most once a second per SPI.
		if d.cfg.UnknownSPI != nil && d.unk.report(spi, time.Now()) {
			d.cfg.UnknownSPI(remote, spi)
		}
		return
	}
	ch := sa.Data.(*child)
	if ch.limitHardTold.Load() {
		// RFC7296-2.8-1: an SA whose lifetime expired MUST NOT be used.
		ch.expired.Add(1)
		d.st.inExpired.Add(1)
		d.auditf("ESP packet dropped: the Child SA reached its hard volume limit", "child_sa", ch.String(),
			"src", remote.String(), "dst", local.String())
		return
	}
	// RFC 4303 section 3.4: the anti-replay check, the ICV, decryption;
	// esp counts each failure (replay drops, ICV failures, malformed).
	r, err := ch.in.Open(packet)
	if err != nil {
		d.st.inESPErrors.Add(1)
		// RFC4303-3.4.3-9: SPI, addresses, sequence number.
		d.auditf("ESP packet dropped", "child_sa", ch.String(), "seq", r.Seq,
			"src", remote.String(), "dst", local.String(), "error", err)
		return
	}
	if !ch.lim.none() {
		st := ch.in.Stats()
		d.checkLimits(ch, st.Octets, st.Packets)
	}
	// RFC4303-2.6-2: a dummy packet is discarded without an error.
	if r.Dummy {
		d.st.inDummies.Add(1)
		return
	}
	if ch.mode == esp.Tunnel {
		d.deliverTunnel(ch, sa, r.Payload)
		return
	}
	d.deliverTransport(ch, sa, r)
}

// deliverTunnel checks a tunnel-mode inner packet against its SA and writes
// it to the device.
func (d *DataPlane) deliverTunnel(ch *child, sa *policy.SA, inner []byte) {
	p, ok := d.checkInbound(ch, sa, inner)
	if !ok {
		return
	}
	if d.takeLocal(ch, p, inner, true) {
		return
	}
	b := d.device.Load()
	if b == nil {
		ch.undeliverable.Add(1)
		d.st.inUndeliverable.Add(1)
		d.auditf("tunnel-mode packet dropped: no device", "child_sa", ch.String(), "packet", p.String())
		return
	}
	if _, err := b.Write(inner); err != nil {
		d.st.deviceErrors.Add(1)
		d.auditf("writing to the tunnel device", "device", b.Name(), "error", err)
		return
	}
	d.st.deviceWritten.Add(1)
	d.st.inDelivered.Add(1)
}

// deliverTransport rebuilds a transport-mode packet, checks it against its
// SA and hands it to the built-in responders.
func (d *DataPlane) deliverTransport(ch *child, sa *policy.SA, r esp.Received) {
	bp := getBuf()
	// The packet as delivered: the SA's outer addresses (the ones its
	// selectors were negotiated with) around the segment, its transport
	// checksum recomputed for them (RFC3948-3.1.2-1, option 2).
	pkt, err := esp.AppendTransportPacket((*bp)[:0], sa.Remote.Addr(), sa.Local.Addr(), r.NextHeader, r.Payload)
	defer putBuf(bp, pkt)
	if err != nil {
		d.st.inMalformedInner.Add(1)
		d.auditf("transport-mode packet dropped: unreadable", "child_sa", ch.String(), "error", err)
		return
	}
	p, ok := d.checkInbound(ch, sa, pkt)
	if !ok {
		return
	}
	if d.takeLocal(ch, p, pkt, false) {
		return
	}
	// This host's kernel has no ESP: transport-mode traffic ends here.
	ch.undeliverable.Add(1)
	d.st.inUndeliverable.Add(1)
	d.auditf("transport-mode packet dropped: no local receiver", "child_sa", ch.String(), "packet", p.String())
}

// checkInbound is RFC 4301 section 5.2 step 4: the decrypted packet must
// match the SA's selectors (RFC4301-5.2-6) and the ordered SPD search must
// end at the SA's entry (RFC4301-4.4.1-15). A packet that fails is dropped
// and counted (RFC4301-5.2-7: the audit names the SPI, the packet and the
// SA's selectors). INVALID_SELECTORS (RFC4301-5.2-8) is not sent.
func (d *DataPlane) checkInbound(ch *child, sa *policy.SA, pkt []byte) (policy.Packet, bool) {
	p, err := policy.ParsePacket(pkt)
	if err != nil {
		d.st.inMalformedInner.Add(1)
		d.auditf("inbound packet dropped: unreadable", "child_sa", ch.String(), "error", err)
		return p, false
	}
	if err := d.db.SAD.CheckInbound(sa, p); err != nil {
		d.st.inSelectorDrops.Add(1)
		d.auditf("inbound packet dropped: selectors", "child_sa", ch.String(), "error", err)
		return p, false
	}
	return p, true
}

// takeLocal hands a UDP packet to the built-in receivers: a probe's echo
// (any mode) or the echo service (transport mode, and tunnel mode with
// Config.TunnelEcho). It reports whether one took it.
func (d *DataPlane) takeLocal(ch *child, p policy.Packet, pkt []byte, tunnel bool) bool {
	if p.Protocol != protoUDP || p.PortState != policy.PortsPresent || p.Fragment {
		return false
	}
	seg, ok := udpSegment(pkt)
	if !ok {
		return false
	}
	switch {
	case p.SrcPort == EchoPort && p.DstPort != EchoPort:
		if d.probes.deliver(p, seg[udpHeaderLen:]) {
			d.st.inDelivered.Add(1)
			return true
		}
	case p.DstPort == EchoPort && p.SrcPort != EchoPort && (!tunnel || d.cfg.TunnelEcho):
		// (From port 7 to port 7 would be two echo services answering
		// each other forever: not answered.)
		d.st.inDelivered.Add(1)
		d.echo(ch, p, seg)
		return true
	}
	return false
}

// udpSegment returns the UDP segment of an IP packet whose header is
// followed directly by UDP (IPv4 with any options; IPv6 without extension
// headers), cut to the UDP length.
func udpSegment(pkt []byte) ([]byte, bool) {
	n, err := esp.IPPacketLen(pkt)
	if err != nil {
		return nil, false
	}
	var off int
	switch pkt[0] >> 4 {
	case 4:
		if pkt[9] != protoUDP {
			return nil, false
		}
		off = int(pkt[0]&0x0f) * 4
	case 6:
		if pkt[6] != protoUDP {
			return nil, false
		}
		off = 40
	}
	seg := pkt[off:n]
	if len(seg) < udpHeaderLen {
		return nil, false
	}
	l := int(binary.BigEndian.Uint16(seg[4:6]))
	if l < udpHeaderLen || l > len(seg) {
		return nil, false
	}
	return seg[:l], true
}

// echo answers a UDP echo request (RFC 862: "any data received is sent
// back") through the SPD, which finds the Child SA it came on (or a newer
// one of the same traffic).
func (d *DataPlane) echo(ch *child, p policy.Packet, req []byte) {
	bp := getBuf()
	seg := append((*bp)[:0], req...)
	binary.BigEndian.PutUint16(seg[0:2], EchoPort)
	binary.BigEndian.PutUint16(seg[2:4], p.SrcPort)
	// A non-zero placeholder: AppendTransportPacket then computes the
	// checksum (a zero IPv4 UDP checksum means none, and stays).
	binary.BigEndian.PutUint16(seg[6:8], 0xffff)
	reply, err := esp.AppendTransportPacket(seg[len(seg):], p.Dst, p.Src, protoUDP, seg)
	defer putBuf(bp, seg)
	if err != nil {
		d.auditf("echo reply not built", "child_sa", ch.String(), "error", err)
		return
	}
	if err := d.output(reply, false); err == nil {
		d.st.echoReplies.Add(1)
	}
}
