// Package netio is the only package that touches the OS: it owns the UDP
// sockets of IKE on port 500 and of NAT traversal on port 4500 (RFC 7296
// section 2 and section 2.23), tells apart what arrives on port 4500 by the
// non-ESP marker (RFC 3948 section 2.2: four zero octets before an IKE
// message, a single 0xFF octet for a NAT keepalive, anything else
// UDP-encapsulated ESP), and sends what the engine asks for (ike.Send) from
// the right socket and source address.
//
// A Conn reports the local address every datagram arrived on (IP_PKTINFO,
// IPV6_RECVPKTINFO), even on wildcard sockets: the engine needs the real
// address for the NAT detection hashes (RFC 7296 section 2.23).
package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

// Specification constants.
const (
	// PortIKE is IKE's UDP port (RFC 7296 section 2).
	PortIKE = 500
	// PortNATT is the UDP port of IKE and ESP after NAT traversal has
	// started (RFC 7296 section 2.23, RFC 3948 section 2).
	PortNATT = 4500
	// MarkerLen is the length of the non-ESP marker: four zero octets in
	// place of an ESP SPI, which is never zero (RFC 3948 section 2.2).
	MarkerLen = 4
	// Keepalive is the one octet of a NAT keepalive (RFC 3948 section 2.3).
	Keepalive = 0xFF
)

// Implementation constants.
const (
	// MaxDatagram is the largest UDP payload read or sent; RFC7296-2-1: far
	// above the 1280 octets that MUST and the 3000 that SHOULD be handled.
	MaxDatagram = 65535
	// DefaultQueue is the capacity of the channel of received datagrams.
	DefaultQueue = 1024
	// maxSourceCache bounds the cache of source addresses the OS picks for
	// unspecified local addresses (used only to report sent packets).
	maxSourceCache = 256
)

// Role says which of the two sockets a packet used.
type Role uint8

const (
	RoleIKE  Role = iota // port 500: IKE only, no marker
	RoleNATT             // port 4500: IKE after the marker, keepalives, ESP-in-UDP
)

func (r Role) String() string { return [...]string{"ike", "natt"}[r] }

// Config says which sockets to open.
type Config struct {
	// Addrs are the local addresses to bind. Empty means the wildcard
	// addresses 0.0.0.0 and :: (IPv6 is skipped with a warning when the
	// host has none); the local address of each datagram is then taken from
	// its packet information.
	Addrs []netip.Addr
	// IKEPort and NATTPort are the ports to bind; zero lets the OS choose
	// one (for tests and unprivileged runs). Callers normally pass PortIKE
	// and PortNATT.
	IKEPort, NATTPort uint16
	// Queue is the capacity of the Datagrams channel (0: DefaultQueue).
	// When it is full, readers wait and the OS socket buffer drops.
	Queue int
	// ESP receives UDP-encapsulated ESP packets (RFC 3948 section 2.1),
	// from the SPI on, on the reader's goroutine; packet is valid only
	// during the call, and the callee may modify it (a data plane decrypts
	// it in place). Nil: they are counted and dropped.
	ESP func(local, remote netip.AddrPort, packet []byte)
	// Tap sees every datagram received and sent, as on the wire (for
	// refserver --pcap); a datagram to send is shown to it just before it
	// is handed to the OS. It is called on reader goroutines and on the
	// sender's, so it must be safe for concurrent use; p.Payload is valid
	// only during the call.
	Tap func(p Packet)
	// Logger receives socket and error messages (nil: none).
	Logger hclog.Logger
}

// Packet is a datagram as Config.Tap sees it.
type Packet struct {
	Time time.Time
	Out  bool // sent by us
	Role Role
	// Local and Remote are the two ends; for a sent packet whose source
	// address the OS chose, Local holds the address the route lookup gives.
	Local, Remote netip.AddrPort
	// Payload is the UDP payload, the non-ESP marker included.
	Payload []byte
}

// Stats counts datagrams by kind.
type Stats struct {
	IKEReceived uint64 // IKE messages handed to the engine
	IKESent     uint64
	Keepalives  uint64 // NAT keepalives received and dropped
	ESPInUDP    uint64 // UDP-encapsulated ESP packets received
	ESPSent     uint64 // UDP-encapsulated ESP packets sent (SendESP)
	Malformed   uint64 // too short for any kind on port 4500
	Overruns    uint64 // datagrams larger than MaxDatagram, dropped
	ReadErrors  uint64
	SendErrors  uint64
}

// Conn holds the sockets and their reader goroutines.
type Conn struct {
	cfg      Config
	log      hclog.Logger
	ikePort  uint16
	nattPort uint16
	socks    []*socket
	ch       chan ike.Datagram
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once

	srcMu  sync.Mutex
	srcFor map[netip.Addr]netip.Addr

	ikeIn, ikeOut, keepalives, espInUDP, espOut, malformed, overruns, readErrs, sendErrs atomic.Uint64
}

// socket is one bound UDP socket.
type socket struct {
	role     Role
	local    netip.AddrPort // bound address; unspecified for wildcard
	wildcard bool
	conn     *net.UDPConn
	p4       *ipv4.PacketConn // one of p4, p6
	p6       *ipv6.PacketConn
}

// Listen opens the sockets and starts one reader goroutine per socket.
func Listen(cfg Config) (*Conn, error) {
	if cfg.IKEPort != 0 && cfg.IKEPort == cfg.NATTPort {
		return nil, fmt.Errorf("netio: IKE and NAT-T ports are both %d", cfg.IKEPort)
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	q := cfg.Queue
	if q <= 0 {
		q = DefaultQueue
	}
	c := &Conn{
		cfg:    cfg,
		log:    log,
		ch:     make(chan ike.Datagram, q),
		done:   make(chan struct{}),
		srcFor: map[netip.Addr]netip.Addr{},
	}
	var addrs []netip.Addr
	for _, a := range cfg.Addrs {
		addrs = append(addrs, a.Unmap())
	}
	wildcard := len(addrs) == 0
	if wildcard {
		addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	var err error
	if c.ikePort, err = c.bindRole(RoleIKE, addrs, cfg.IKEPort, wildcard); err != nil {
		c.closeSockets()
		return nil, err
	}
	if c.nattPort, err = c.bindRole(RoleNATT, addrs, cfg.NATTPort, wildcard); err != nil {
		c.closeSockets()
		return nil, err
	}
	for _, s := range c.socks {
		c.wg.Add(1)
		go c.read(s)
	}
	return c, nil
}

// bindRole binds the role's port on every address. With port 0 the first
// socket's ephemeral port is taken for the others, retrying a few times when
// that port is taken on another address.
func (c *Conn) bindRole(role Role, addrs []netip.Addr, port uint16, wildcard bool) (uint16, error) {
	const tries = 8
	var lastErr error
	for try := 0; try < tries; try++ {
		p := port
		var bound []*socket
		ok := true
		for _, a := range addrs {
			s, err := bind(role, netip.AddrPortFrom(a, p), wildcard)
			if err != nil {
				if wildcard && a.Is6() && len(bound) > 0 {
					// A host without IPv6: serve IPv4 only.
					c.log.Warn("no IPv6 socket", "role", role.String(), "error", err)
					continue
				}
				lastErr = err
				ok = false
				break
			}
			if p == 0 {
				p = s.local.Port()
			}
			bound = append(bound, s)
		}
		if ok {
			c.socks = append(c.socks, bound...)
			return p, nil
		}
		for _, s := range bound {
			s.conn.Close()
		}
		if port != 0 {
			break // a fixed port: retrying does not help
		}
	}
	return 0, lastErr
}

func bind(role Role, ap netip.AddrPort, wildcard bool) (*socket, error) {
	network := "udp4"
	if ap.Addr().Is6() {
		network = "udp6" // Go sets IPV6_V6ONLY for udp6: IPv4 goes to the udp4 socket
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("netio: %s socket on %v: %w", role, ap, err)
	}
	s := &socket{role: role, conn: conn, wildcard: wildcard}
	s.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	s.local = netip.AddrPortFrom(s.local.Addr().Unmap(), s.local.Port())
	if ap.Addr().Is4() {
		s.p4 = ipv4.NewPacketConn(conn)
		err = s.p4.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	} else {
		s.p6 = ipv6.NewPacketConn(conn)
		err = s.p6.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netio: packet information on %v: %w", s.local, err)
	}
	return s, nil
}

// Datagrams delivers the IKE messages received on both ports, the non-ESP
// marker removed. It is closed after Close.
func (c *Conn) Datagrams() <-chan ike.Datagram { return c.ch }

// Ports returns the bound IKE and NAT-T ports.
func (c *Conn) Ports() (ikePort, nattPort uint16) { return c.ikePort, c.nattPort }

// Sockets lists the bound local addresses with their roles.
func (c *Conn) Sockets() []SocketInfo {
	out := make([]SocketInfo, len(c.socks))
	for i, s := range c.socks {
		out[i] = SocketInfo{Role: s.role, Local: s.local}
	}
	return out
}

// SocketInfo describes one bound socket.
type SocketInfo struct {
	Role  Role
	Local netip.AddrPort
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	return Stats{
		IKEReceived: c.ikeIn.Load(), IKESent: c.ikeOut.Load(),
		Keepalives: c.keepalives.Load(), ESPInUDP: c.espInUDP.Load(), ESPSent: c.espOut.Load(),
		Malformed: c.malformed.Load(), Overruns: c.overruns.Load(),
		ReadErrors: c.readErrs.Load(), SendErrors: c.sendErrs.Load(),
	}
}

// Close closes the sockets, waits for the readers to end and closes the
// Datagrams channel. It is safe to call more than once.
func (c *Conn) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.closeSockets()
		c.wg.Wait()
		close(c.ch)
	})
	return nil
}

func (c *Conn) closeSockets() {
	for _, s := range c.socks {
		s.conn.Close()
	}
}

// read is the reader goroutine of one socket.
func (c *Conn) read(s *socket) {
	defer c.wg.Done()
	// One octet more than the largest datagram tells an overrun apart.
	buf := make([]byte, MaxDatagram+1)
	for {
		n, local, remote, err := s.readFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-c.done:
				return
			default:
			}
			c.readErrs.Add(1)
			c.log.Warn("read failed", "socket", s.local.String(), "error", err)
			continue
		}
		if n > MaxDatagram {
			c.overruns.Add(1)
			continue
		}
		if !c.deliver(s, local, remote, buf[:n]) {
			return
		}
	}
}

// readFrom reads one datagram with its local address.
func (s *socket) readFrom(buf []byte) (int, netip.AddrPort, netip.AddrPort, error) {
	var (
		n   int
		dst net.IP
		src net.Addr
		err error
	)
	if s.p4 != nil {
		var cm *ipv4.ControlMessage
		n, cm, src, err = s.p4.ReadFrom(buf)
		if cm != nil {
			dst = cm.Dst
		}
	} else {
		var cm *ipv6.ControlMessage
		n, cm, src, err = s.p6.ReadFrom(buf)
		if cm != nil {
			dst = cm.Dst
		}
	}
	if err != nil {
		return 0, netip.AddrPort{}, netip.AddrPort{}, err
	}
	local := s.local
	if a, ok := netip.AddrFromSlice(dst); ok {
		local = netip.AddrPortFrom(a.Unmap(), s.local.Port())
	}
	var remote netip.AddrPort
	if u, ok := src.(*net.UDPAddr); ok {
		remote = u.AddrPort()
		remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	}
	return n, local, remote, nil
}

// deliver classifies one datagram and passes it on; false when closing.
func (c *Conn) deliver(s *socket, local, remote netip.AddrPort, b []byte) bool {
	if c.cfg.Tap != nil {
		c.cfg.Tap(Packet{Time: time.Now(), Role: s.role, Local: local, Remote: remote, Payload: b})
	}
	d := ike.Datagram{Local: local, Remote: remote}
	if s.role == RoleNATT {
		kind, body := Classify(b)
		switch kind {
		case KindKeepalive:
			c.keepalives.Add(1)
			return true
		case KindESP:
			c.espInUDP.Add(1)
			if c.cfg.ESP != nil {
				c.cfg.ESP(local, remote, body)
			}
			return true
		case KindMalformed:
			c.malformed.Add(1)
			return true
		}
		b, d.NonESPMarker = body, true
	}
	d.Data = append([]byte(nil), b...)
	c.ikeIn.Add(1) // before the consumer can see it
	select {
	case c.ch <- d:
		return true
	case <-c.done:
		return false
	}
}

// Kind is what a datagram on port 4500 carries.
type Kind uint8

const (
	KindIKE       Kind = iota // after the non-ESP marker
	KindKeepalive             // a single 0xFF octet
	KindESP                   // UDP-encapsulated ESP
	KindMalformed             // too short to be any of them
)

func (k Kind) String() string { return [...]string{"IKE", "keepalive", "ESP", "malformed"}[k] }

// Classify tells apart what arrives on port 4500 (RFC 3948 section 2.2):
// four zero octets start an IKE message (the marker is stripped from the
// returned body); a single octet 0xFF is a NAT keepalive (RFC 3948 section
// 2.3); anything else of at least 8 octets (SPI and Sequence Number, RFC
// 4303 section 2) is ESP, returned from its SPI on.
func Classify(b []byte) (Kind, []byte) {
	switch {
	// RFC3948-2.3-4: a keepalive is one octet 0xFF; RFC3948-2.3-5: the
	// receiver ignores it (the caller counts and drops it).
	case len(b) == 1 && b[0] == Keepalive:
		return KindKeepalive, nil
	// RFC7296-2-3: IKE on port 4500 begins with four zero octets, which no
	// ESP packet does (RFC3948-2.1-4: its SPI is never zero).
	case len(b) >= MarkerLen && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return KindIKE, b[MarkerLen:]
	// RFC7296-2.23-13: UDP-encapsulated ESP is taken whether or not a NAT
	// was detected.
	case len(b) >= 8:
		return KindESP, b
	}
	return KindMalformed, nil
}

// Send sends one datagram as the engine asked: from the socket bound to
// s.Local's port (a Local port of 500 or 4500 selects the IKE or NAT-T
// socket whatever port it is bound to, so that an engine that knows only
// the standard ports works on other ports; port 0 selects the IKE socket),
// from s.Local's address when it is specified, with the non-ESP marker
// prepended when s.NonESPMarker. It is safe for concurrent use.
func (c *Conn) Send(s ike.Send) error {
	select {
	case <-c.done:
		return fmt.Errorf("netio: send to %v: %w", s.Remote, net.ErrClosed)
	default:
	}
	remote := netip.AddrPortFrom(s.Remote.Addr().Unmap(), s.Remote.Port())
	if !remote.IsValid() || remote.Port() == 0 {
		return fmt.Errorf("netio: send: invalid remote address %v", s.Remote)
	}
	role, err := c.roleOf(s.Local.Port())
	if err != nil {
		return err
	}
	src := s.Local.Addr().Unmap()
	sock := c.socketFor(role, src, remote.Addr())
	if sock == nil {
		return fmt.Errorf("netio: send from %v to %v: no %s socket for that address", s.Local, remote, role)
	}
	if len(s.Data)+MarkerLen > MaxDatagram {
		return fmt.Errorf("netio: send to %v: %d octets is more than a UDP datagram holds", remote, len(s.Data))
	}
	b := s.Data
	// RFC7296-2-3: the engine asks for the marker on port 4500.
	if s.NonESPMarker {
		b = make([]byte, MarkerLen+len(s.Data))
		copy(b[MarkerLen:], s.Data)
	}
	// The tap sees the datagram before it leaves, so that a capture never
	// shows the answer to it first.
	c.tapOut(sock, src, remote, b)
	if err := sock.writeTo(b, src, remote); err != nil {
		c.sendErrs.Add(1)
		return fmt.Errorf("netio: send from %v to %v: %w", s.Local, remote, err)
	}
	c.ikeOut.Add(1)
	return nil
}

// SendESP sends one UDP-encapsulated ESP packet (RFC 3948 section 2.1: the
// ESP packet from its SPI on is the UDP payload, without a marker) from the
// NAT-T socket to remote. local selects the socket as in Send, and its port
// must select the NAT-T socket (RFC3948-2.1-1: ESP uses the ports of IKE's
// NAT traversal). The packet is shown to the tap like any datagram and
// counted in Stats.ESPSent. It is safe for concurrent use.
func (c *Conn) SendESP(local, remote netip.AddrPort, packet []byte) error {
	select {
	case <-c.done:
		return fmt.Errorf("netio: send ESP to %v: %w", remote, net.ErrClosed)
	default:
	}
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	if !remote.IsValid() || remote.Port() == 0 {
		return fmt.Errorf("netio: send ESP: invalid remote address %v", remote)
	}
	role, err := c.roleOf(local.Port())
	if err != nil {
		return err
	}
	if role != RoleNATT {
		return fmt.Errorf("netio: send ESP from %v: port %d is not the NAT-T socket's", local, local.Port())
	}
	// RFC3948-2.1-4: the SPI, where the non-ESP marker would be, is never
	// zero, so that the receiver does not take the packet for IKE.
	if len(packet) < 8 || packet[0]|packet[1]|packet[2]|packet[3] == 0 {
		return fmt.Errorf("netio: send ESP to %v: not an ESP packet (%d octets)", remote, len(packet))
	}
	if len(packet) > MaxDatagram {
		return fmt.Errorf("netio: send ESP to %v: %d octets is more than a UDP datagram holds", remote, len(packet))
	}
	src := local.Addr().Unmap()
	sock := c.socketFor(role, src, remote.Addr())
	if sock == nil {
		return fmt.Errorf("netio: send ESP from %v to %v: no %s socket for that address", local, remote, role)
	}
	c.tapOut(sock, src, remote, packet)
	if err := sock.writeTo(packet, src, remote); err != nil {
		c.sendErrs.Add(1)
		return fmt.Errorf("netio: send ESP from %v to %v: %w", local, remote, err)
	}
	c.espOut.Add(1)
	return nil
}

// tapOut shows the tap a datagram about to leave sock from src to remote.
func (c *Conn) tapOut(sock *socket, src netip.Addr, remote netip.AddrPort, payload []byte) {
	if c.cfg.Tap == nil {
		return
	}
	local := netip.AddrPortFrom(src, sock.local.Port())
	if !src.IsValid() || src.IsUnspecified() {
		local = netip.AddrPortFrom(c.sourceFor(sock, remote.Addr()), sock.local.Port())
	}
	c.cfg.Tap(Packet{Time: time.Now(), Out: true, Role: sock.role, Local: local, Remote: remote, Payload: payload})
}

func (c *Conn) roleOf(port uint16) (Role, error) {
	switch port {
	case c.ikePort:
		return RoleIKE, nil
	case c.nattPort:
		return RoleNATT, nil
	case PortIKE, 0:
		return RoleIKE, nil
	case PortNATT:
		return RoleNATT, nil
	}
	return 0, fmt.Errorf("netio: send: no socket for local port %d (IKE %d, NAT-T %d)", port, c.ikePort, c.nattPort)
}

// socketFor picks the socket of the role bound to src, or else the
// wildcard socket of the remote's family.
func (c *Conn) socketFor(role Role, src, remote netip.Addr) *socket {
	var wild *socket
	for _, s := range c.socks {
		if s.role != role || s.local.Addr().Is4() != remote.Is4() {
			continue
		}
		if s.wildcard {
			wild = s
			continue
		}
		if !src.IsValid() || src.IsUnspecified() || s.local.Addr() == src {
			return s
		}
	}
	return wild
}

// writeTo sends b, choosing the source address with packet information on
// wildcard sockets.
func (s *socket) writeTo(b []byte, src netip.Addr, remote netip.AddrPort) error {
	dst := net.UDPAddrFromAddrPort(remote)
	setSrc := s.wildcard && src.IsValid() && !src.IsUnspecified()
	var err error
	if s.p4 != nil {
		var cm *ipv4.ControlMessage
		if setSrc {
			cm = &ipv4.ControlMessage{Src: src.AsSlice()}
		}
		_, err = s.p4.WriteTo(b, cm, dst)
	} else {
		var cm *ipv6.ControlMessage
		if setSrc {
			cm = &ipv6.ControlMessage{Src: src.AsSlice()}
		}
		_, err = s.p6.WriteTo(b, cm, dst)
	}
	return err
}

// sourceFor is the source address the OS picks towards remote (a route
// lookup through an unsent connected socket), cached; for Packet.Local.
func (c *Conn) sourceFor(s *socket, remote netip.Addr) netip.Addr {
	if !s.wildcard {
		return s.local.Addr()
	}
	c.srcMu.Lock()
	a, ok := c.srcFor[remote]
	c.srcMu.Unlock()
	if ok {
		return a
	}
	a = s.local.Addr()
	if u, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, PortIKE))); err == nil {
		a = u.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		u.Close()
	}
	c.srcMu.Lock()
	if len(c.srcFor) >= maxSourceCache {
		clear(c.srcFor)
	}
	c.srcFor[remote] = a
	c.srcMu.Unlock()
	return a
}
