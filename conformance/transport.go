package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// The tester's UDP transport: one socket on an ephemeral port, from which
// the tester reaches the IUT's IKE port and, after MoveToNATT, its NAT-T
// port with the non-ESP marker (RFC 3948 section 2.2). Every datagram is
// recorded in the case's pcap. Reading happens only in the case's
// goroutine: datagrams that arrive while the tester waits for something
// else are kept (backlog) for Recv.

// maxBacklog bounds the datagrams kept for a later Recv.
const maxBacklog = 64

type transport struct {
	t       *T
	conn    *net.UDPConn
	local   netip.AddrPort
	ike     netip.AddrPort // the IUT's IKE port
	natt    netip.AddrPort // the IUT's NAT-T port
	useNATT bool
	backlog []*Msg
}

// openTransport opens the socket. The local address is t.Local, or the one
// the system routes toward the target (so that NAT detection hashes and the
// pcap carry the real source address).
func openTransport(t *T) (*transport, error) {
	dst := netip.AddrPortFrom(t.Target.Addr, t.Target.IKEPort)
	local := t.Local
	if !local.IsValid() {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return nil, fmt.Errorf("conformance: no route to %v: %w", dst, err)
		}
		local = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		c.Close()
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil, fmt.Errorf("conformance: UDP socket on %v: %w", local, err)
	}
	la := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return &transport{
		t: t, conn: conn,
		local: netip.AddrPortFrom(la.Addr().Unmap(), la.Port()),
		ike:   dst,
		natt:  netip.AddrPortFrom(t.Target.Addr, t.Target.NATTPort),
	}, nil
}

// remote is where messages go now.
func (tr *transport) remote() netip.AddrPort {
	if tr.useNATT {
		return tr.natt
	}
	return tr.ike
}

// send sends one IKE message (without marker; it is added on the NAT-T
// port) and records it.
func (tr *transport) send(msg []byte) error {
	data := msg
	if tr.useNATT {
		data = append(make([]byte, 4, 4+len(msg)), msg...)
	}
	dst := tr.remote()
	tr.t.RecordPacket(Packet{Time: time.Now(), Src: tr.local, Dst: dst, Data: data})
	if _, err := tr.conn.WriteToUDPAddrPort(data, dst); err != nil {
		return fmt.Errorf("conformance: send to %v: %w", dst, err)
	}
	return nil
}

// readOne reads one datagram until deadline; it returns nil, nil on timeout.
// The datagram is recorded; IKE on the NAT-T port loses its marker, and
// ESP (no marker) and NAT keepalives come back as nil data with ok false.
func (tr *transport) readOne(deadline time.Time) (data []byte, from netip.AddrPort, ok bool, err error) {
	buf := make([]byte, 65536)
	if err := tr.conn.SetReadDeadline(deadline); err != nil {
		return nil, from, false, fmt.Errorf("conformance: %w", err)
	}
	n, from, err := tr.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, from, false, nil
		}
		return nil, from, false, fmt.Errorf("conformance: receive: %w", err)
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	data = buf[:n:n]
	tr.t.RecordPacket(Packet{Time: time.Now(), Src: from, Dst: tr.local, Data: data})
	if from.Port() == tr.natt.Port() && tr.natt.Port() != tr.ike.Port() {
		if len(data) < 4 || !bytes.Equal(data[:4], []byte{0, 0, 0, 0}) {
			return nil, from, false, nil // ESP or a keepalive
		}
		data = data[4:]
	}
	return data, from, true, nil
}

func (tr *transport) close() { tr.conn.Close() }
