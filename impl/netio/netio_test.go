package netio

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

const wait = 5 * time.Second

var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.MustParseAddr("::1")
)

// ikeMsg is a stand-in IKE message: netio never parses IKE.
var ikeMsg = []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x00\x00\x00\x00\x00\x21\x20\x22\x08\x00\x00\x00\x00\x00\x00\x00\x1c")

func TestClassify(t *testing.T) {
	esp := []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0xaa}
	for _, tc := range []struct {
		name string
		in   []byte
		kind Kind
		body []byte
	}{
		// RFC7296-2-3 (RFC 3948 section 2.2): the non-ESP marker is four
		// zero octets.
		{"ike after marker", append([]byte{0, 0, 0, 0}, ikeMsg...), KindIKE, ikeMsg},
		{"marker only", []byte{0, 0, 0, 0}, KindIKE, []byte{}},
		// RFC3948-2.3-4: a NAT keepalive is a single 0xFF octet.
		{"keepalive", []byte{0xff}, KindKeepalive, nil},
		{"esp", esp, KindESP, esp},
		{"esp, shortest", esp[:8], KindESP, esp[:8]},
		{"two octets 0xff", []byte{0xff, 0xff}, KindMalformed, nil},
		{"one octet 0", []byte{0}, KindMalformed, nil},
		{"empty", nil, KindMalformed, nil},
		{"seven octets", esp[:7], KindMalformed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, body := Classify(tc.in)
			if k != tc.kind || !bytes.Equal(body, tc.body) {
				t.Errorf("Classify(%x) = %v, %x; want %v, %x", tc.in, k, body, tc.kind, tc.body)
			}
		})
	}
}

// listen opens a Conn on the loopback addresses with ephemeral ports and
// closes it at the end of the test.
func listen(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// peer is a UDP socket playing the remote end.
func peer(t *testing.T, a netip.Addr) *net.UDPConn {
	t.Helper()
	u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
	if err != nil {
		t.Skipf("no socket on %v: %v", a, err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

func addrPort(u *net.UDPConn) netip.AddrPort {
	ap := u.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func sendTo(t *testing.T, u *net.UDPConn, to netip.AddrPort, b []byte) {
	t.Helper()
	if _, err := u.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

func recvDatagram(t *testing.T, c *Conn) ike.Datagram {
	t.Helper()
	select {
	case d, ok := <-c.Datagrams():
		if !ok {
			t.Fatal("Datagrams closed")
		}
		return d
	case <-time.After(wait):
		t.Fatal("no datagram within", wait)
	}
	return ike.Datagram{}
}

// recvPeer reads one datagram at the peer.
func recvPeer(t *testing.T, u *net.UDPConn) ([]byte, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, MaxDatagram)
	u.SetReadDeadline(time.Now().Add(wait))
	n, from, err := u.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
}

func TestReceiveIKEPort(t *testing.T) {
	c := listen(t, Config{Addrs: []netip.Addr{lo4}})
	ikePort, nattPort := c.Ports()
	if ikePort == 0 || nattPort == 0 || ikePort == nattPort {
		t.Fatalf("ports %d, %d", ikePort, nattPort)
	}
	p := peer(t, lo4)
	to := netip.AddrPortFrom(lo4, ikePort)
	// On port 500 there is no marker (RFC 7296 section 2.23): a message
	// that starts with four zero octets is passed on unchanged.
	zeroed := append([]byte{0, 0, 0, 0}, ikeMsg...)
	for _, msg := range [][]byte{ikeMsg, zeroed, {0xff}} {
		sendTo(t, p, to, msg)
		d := recvDatagram(t, c)
		if !bytes.Equal(d.Data, msg) || d.NonESPMarker {
			t.Errorf("got %x marker=%v, want %x without marker", d.Data, d.NonESPMarker, msg)
		}
		if d.Local != to || d.Remote != addrPort(p) {
			t.Errorf("got %v -> %v, want %v -> %v", d.Remote, d.Local, addrPort(p), to)
		}
	}
	if s := c.Stats(); s.IKEReceived != 3 || s.Keepalives != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestReceiveNATTPort(t *testing.T) {
	type espPkt struct {
		local, remote netip.AddrPort
		data          []byte
	}
	var mu sync.Mutex
	var espSeen []espPkt
	c := listen(t, Config{Addrs: []netip.Addr{lo4}, ESP: func(l, r netip.AddrPort, b []byte) {
		mu.Lock()
		espSeen = append(espSeen, espPkt{l, r, append([]byte(nil), b...)})
		mu.Unlock()
	}})
	_, nattPort := c.Ports()
	p := peer(t, lo4)
	to := netip.AddrPortFrom(lo4, nattPort)
	esp := []byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7, 1, 2, 3, 4}

	sendTo(t, p, to, []byte{0xff})                          // keepalive: dropped (RFC3948-2.3-5)
	sendTo(t, p, to, esp)                                   // ESP: to the callback
	sendTo(t, p, to, []byte{1, 2})                          // malformed: dropped
	sendTo(t, p, to, append([]byte{0, 0, 0, 0}, ikeMsg...)) // IKE
	d := recvDatagram(t, c)
	if !d.NonESPMarker || !bytes.Equal(d.Data, ikeMsg) {
		t.Errorf("got %x marker=%v, want %x after the marker", d.Data, d.NonESPMarker, ikeMsg)
	}
	if d.Local != to || d.Remote != addrPort(p) {
		t.Errorf("got %v -> %v, want %v -> %v", d.Remote, d.Local, addrPort(p), to)
	}
	// The datagrams are read in order on one socket: by the time the IKE
	// message arrived, the others were classified.
	s := c.Stats()
	if s.Keepalives != 1 || s.ESPInUDP != 1 || s.Malformed != 1 || s.IKEReceived != 1 {
		t.Errorf("stats %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(espSeen) != 1 || !bytes.Equal(espSeen[0].data, esp) || espSeen[0].local != to || espSeen[0].remote != addrPort(p) {
		t.Errorf("ESP callback saw %+v", espSeen)
	}
	select {
	case d := <-c.Datagrams():
		t.Errorf("unexpected datagram %x", d.Data)
	default:
	}
}

// TestWildcardLocalAddress checks that a wildcard socket reports the address
// each datagram was sent to (IP_PKTINFO / IPV6_RECVPKTINFO), which the NAT
// detection hashes need (RFC 7296 section 2.23).
func TestWildcardLocalAddress(t *testing.T) {
	c := listen(t, Config{})
	ikePort, nattPort := c.Ports()
	targets := []netip.Addr{lo4, netip.MustParseAddr("127.0.0.2")}
	if hasIPv6(c) {
		targets = append(targets, lo6)
	}
	for _, a := range targets {
		for _, port := range []uint16{ikePort, nattPort} {
			p := peer(t, a)
			to := netip.AddrPortFrom(a, port)
			msg := ikeMsg
			if port == nattPort {
				msg = append([]byte{0, 0, 0, 0}, ikeMsg...)
			}
			sendTo(t, p, to, msg)
			d := recvDatagram(t, c)
			if d.Local != to {
				t.Errorf("sent to %v, Local = %v", to, d.Local)
			}
			if d.Remote != addrPort(p) {
				t.Errorf("sent from %v, Remote = %v", addrPort(p), d.Remote)
			}
			if d.NonESPMarker != (port == nattPort) || !bytes.Equal(d.Data, ikeMsg) {
				t.Errorf("to %v: got %x marker=%v", to, d.Data, d.NonESPMarker)
			}
		}
	}
}

func hasIPv6(c *Conn) bool {
	for _, s := range c.Sockets() {
		if s.Local.Addr().Is6() {
			return true
		}
	}
	return false
}

func TestSend(t *testing.T) {
	var tapMu sync.Mutex
	var tapped []Packet
	tap := func(p Packet) {
		tapMu.Lock()
		p.Payload = append([]byte(nil), p.Payload...)
		tapped = append(tapped, p)
		tapMu.Unlock()
	}
	c := listen(t, Config{Tap: tap})
	ikePort, nattPort := c.Ports()
	lo4b := netip.MustParseAddr("127.0.0.2")
	type tc struct {
		name      string
		local     netip.AddrPort
		to        netip.Addr
		marker    bool
		wantFrom  netip.AddrPort
		wantBytes []byte
	}
	cases := []tc{
		{"ike port, OS picks source", netip.AddrPortFrom(netip.IPv4Unspecified(), ikePort), lo4, false,
			netip.AddrPortFrom(lo4, ikePort), ikeMsg},
		{"ike port, source 127.0.0.2", netip.AddrPortFrom(lo4b, ikePort), lo4, false,
			netip.AddrPortFrom(lo4b, ikePort), ikeMsg},
		{"natt port with marker", netip.AddrPortFrom(lo4, nattPort), lo4, true,
			netip.AddrPortFrom(lo4, nattPort), append([]byte{0, 0, 0, 0}, ikeMsg...)},
		{"natt port, keepalive", netip.AddrPortFrom(lo4, nattPort), lo4, false,
			netip.AddrPortFrom(lo4, nattPort), []byte{0xff}},
		// The standard ports select the sockets whatever they are bound to.
		{"alias 500", netip.AddrPortFrom(lo4, PortIKE), lo4, false,
			netip.AddrPortFrom(lo4, ikePort), ikeMsg},
		{"alias 4500", netip.AddrPortFrom(lo4, PortNATT), lo4, true,
			netip.AddrPortFrom(lo4, nattPort), append([]byte{0, 0, 0, 0}, ikeMsg...)},
		{"no local address at all", netip.AddrPort{}, lo4, false,
			netip.AddrPortFrom(lo4, ikePort), ikeMsg},
	}
	if hasIPv6(c) {
		cases = append(cases,
			tc{"ipv6 ike", netip.AddrPortFrom(lo6, ikePort), lo6, false, netip.AddrPortFrom(lo6, ikePort), ikeMsg},
			tc{"ipv6 natt, OS picks source", netip.AddrPortFrom(netip.IPv6Unspecified(), nattPort), lo6, true,
				netip.AddrPortFrom(lo6, nattPort), append([]byte{0, 0, 0, 0}, ikeMsg...)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := peer(t, tc.to)
			tapMu.Lock()
			tapped = nil
			tapMu.Unlock()
			data := ikeMsg
			if len(tc.wantBytes) == 1 {
				data = tc.wantBytes
			}
			err := c.Send(ike.Send{Local: tc.local, Remote: addrPort(p), Data: data, NonESPMarker: tc.marker})
			if err != nil {
				t.Fatal(err)
			}
			got, from := recvPeer(t, p)
			if !bytes.Equal(got, tc.wantBytes) {
				t.Errorf("peer got %x, want %x", got, tc.wantBytes)
			}
			if from != tc.wantFrom {
				t.Errorf("peer got it from %v, want %v", from, tc.wantFrom)
			}
			tapMu.Lock()
			defer tapMu.Unlock()
			if len(tapped) != 1 || !tapped[0].Out || tapped[0].Local != tc.wantFrom ||
				tapped[0].Remote != addrPort(p) || !bytes.Equal(tapped[0].Payload, tc.wantBytes) {
				t.Errorf("tap saw %+v", tapped)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	c := listen(t, Config{Addrs: []netip.Addr{lo4}})
	ikePort, _ := c.Ports()
	remote := netip.AddrPortFrom(lo4, 9)
	for _, tc := range []struct {
		name string
		s    ike.Send
	}{
		{"unknown local port", ike.Send{Local: netip.AddrPortFrom(lo4, 1), Remote: remote, Data: ikeMsg}},
		{"no remote", ike.Send{Local: netip.AddrPortFrom(lo4, ikePort), Data: ikeMsg}},
		{"no socket of the remote's family", ike.Send{Local: netip.AddrPortFrom(lo6, ikePort), Remote: netip.AddrPortFrom(lo6, 500), Data: ikeMsg}},
		{"other local address", ike.Send{Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), ikePort), Remote: remote, Data: ikeMsg}},
		{"too large", ike.Send{Local: netip.AddrPortFrom(lo4, ikePort), Remote: remote, Data: make([]byte, MaxDatagram)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Send(tc.s)
			if err == nil {
				t.Fatal("no error")
			}
			if !bytes.HasPrefix([]byte(err.Error()), []byte("netio: ")) {
				t.Errorf("error %q lacks the netio: prefix", err)
			}
		})
	}
	c.Close()
	err := c.Send(ike.Send{Local: netip.AddrPortFrom(lo4, ikePort), Remote: remote, Data: ikeMsg})
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("send after Close: %v", err)
	}
}

func TestListenErrors(t *testing.T) {
	c := listen(t, Config{Addrs: []netip.Addr{lo4}})
	ikePort, _ := c.Ports()
	if _, err := Listen(Config{Addrs: []netip.Addr{lo4}, IKEPort: ikePort}); err == nil {
		t.Error("binding a port in use succeeded")
	}
	if _, err := Listen(Config{IKEPort: 7000, NATTPort: 7000}); err == nil {
		t.Error("equal ports accepted")
	}
	if _, err := Listen(Config{Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.77")}}); err == nil {
		t.Error("binding an address the host does not have succeeded")
	}
}

// TestCloseUnblocks checks that Close ends readers blocked on a full queue
// and leaves no goroutine behind.
func TestCloseUnblocks(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Listen(Config{Addrs: []netip.Addr{lo4}, Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	ikePort, _ := c.Ports()
	p := peer(t, lo4)
	for range 5 {
		sendTo(t, p, netip.AddrPortFrom(lo4, ikePort), ikeMsg)
	}
	// Wait until the queue is full (the reader is then blocked on it).
	deadline := time.Now().Add(wait)
	for len(c.Datagrams()) < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("Close did not return")
	}
	// The channel is drained, then closed.
	for range c.Datagrams() {
	}
	c.Close() // idempotent
	for time.Now().Before(deadline) && runtime.NumGoroutine() > before {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

// TestSendESP sends UDP-encapsulated ESP from the NAT-T socket (RFC 3948
// section 2.1: no marker, the SPI first) to another Conn, whose ESP callback
// gets it; the tap sees it and Stats counts it.
func TestSendESP(t *testing.T) {
	got := make(chan []byte, 1)
	rx := listen(t, Config{Addrs: []netip.Addr{lo4}, ESP: func(local, remote netip.AddrPort, p []byte) {
		got <- append([]byte(nil), p...)
	}})
	var tapMu sync.Mutex
	var tapped []Packet
	tx := listen(t, Config{Addrs: []netip.Addr{lo4}, Tap: func(p Packet) {
		tapMu.Lock()
		tapped = append(tapped, p)
		tapMu.Unlock()
	}})
	_, rxNATT := rx.Ports()
	_, txNATT := tx.Ports()
	pkt := []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef}
	// Port 4500 stands for the NAT-T socket whatever it is bound to.
	if err := tx.SendESP(netip.AddrPortFrom(lo4, PortNATT), netip.AddrPortFrom(lo4, rxNATT), pkt); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if !bytes.Equal(p, pkt) {
			t.Errorf("received %x, want %x", p, pkt)
		}
	case <-time.After(wait):
		t.Fatal("nothing received")
	}
	if st := tx.Stats(); st.ESPSent != 1 || st.IKESent != 0 {
		t.Errorf("sender stats %+v", st)
	}
	if st := rx.Stats(); st.ESPInUDP != 1 {
		t.Errorf("receiver stats %+v", st)
	}
	tapMu.Lock()
	if len(tapped) != 1 || !tapped[0].Out || tapped[0].Role != RoleNATT || tapped[0].Local != netip.AddrPortFrom(lo4, txNATT) {
		t.Errorf("tap saw %+v", tapped)
	}
	tapMu.Unlock()

	ikePort, _ := tx.Ports()
	remote := netip.AddrPortFrom(lo4, rxNATT)
	for _, tc := range []struct {
		name          string
		local, remote netip.AddrPort
		pkt           []byte
	}{
		{"from the IKE socket", netip.AddrPortFrom(lo4, ikePort), remote, pkt},
		{"zero SPI", netip.AddrPortFrom(lo4, PortNATT), remote, append([]byte{0, 0, 0, 0}, pkt[4:]...)},
		{"too short", netip.AddrPortFrom(lo4, PortNATT), remote, pkt[:7]},
		{"no remote port", netip.AddrPortFrom(lo4, PortNATT), netip.AddrPortFrom(lo4, 0), pkt},
	} {
		if err := tx.SendESP(tc.local, tc.remote, tc.pkt); err == nil || !strings.HasPrefix(err.Error(), "netio: ") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	tx.Close()
	if err := tx.SendESP(netip.AddrPortFrom(lo4, PortNATT), remote, pkt); !errors.Is(err, net.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
