// Package dptest holds fakes of the outside world of impl/dataplane, in the
// manner of wireguard-go's tun/tuntest: a Device whose packets pass through
// channels, and Net, an in-memory network of hosts that exchange ESP as IP
// protocol 50 (a RawConn per host) and in UDP (RFC 3948 section 2.1: a
// UDPSender per host, delivered to a handler such as DataPlane.HandleESP).
// Two data planes wired back to back over them run without privileges,
// in-process and deterministically.
package dptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// queue is the capacity of every channel here. A full queue drops (and
// counts) rather than block a data plane's goroutine.
const queue = 256

// Device is a fake tunnel device. The local stack's side of it is Inject
// (a packet the stack routes into the device, which the data plane reads)
// and Recv (a packet the data plane wrote, which the stack receives).
type Device struct {
	name    string
	toDP    chan []byte
	fromDP  chan []byte
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	routes  map[netip.Prefix]netip.Addr
	dropped int
}

// NewDevice returns an open device.
func NewDevice(name string) *Device {
	return &Device{name: name, toDP: make(chan []byte, queue), fromDP: make(chan []byte, queue),
		done: make(chan struct{}), routes: map[netip.Prefix]netip.Addr{}}
}

// Inject hands the data plane a packet (a copy) as if the local stack had
// routed it into the device.
func (d *Device) Inject(pkt []byte) {
	select {
	case d.toDP <- append([]byte(nil), pkt...):
	case <-d.done:
	}
}

// Recv returns the next packet the data plane wrote, waiting at most
// timeout.
func (d *Device) Recv(timeout time.Duration) ([]byte, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case p := <-d.fromDP:
		return p, true
	case <-t.C:
		return nil, false
	}
}

// Pending is the number of written packets not yet received.
func (d *Device) Pending() int { return len(d.fromDP) }

// Read returns the next injected packet; after Close, os.ErrClosed.
func (d *Device) Read(b []byte) (int, error) {
	select {
	case p := <-d.toDP:
		return copy(b, p), nil
	case <-d.done:
		return 0, os.ErrClosed
	}
}

// Write queues a copy of the packet for Recv (dropped when the queue is
// full).
func (d *Device) Write(b []byte) (int, error) {
	select {
	case <-d.done:
		return 0, os.ErrClosed
	default:
	}
	select {
	case d.fromDP <- append([]byte(nil), b...):
	default:
		d.mu.Lock()
		d.dropped++
		d.mu.Unlock()
	}
	return len(b), nil
}

// AddRoute records a route.
func (d *Device) AddRoute(dst netip.Prefix, src netip.Addr) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes[dst] = src
	return nil
}

// DelRoute removes a route.
func (d *Device) DelRoute(dst netip.Prefix) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.routes[dst]; !ok {
		return fmt.Errorf("dptest: no route to %v", dst)
	}
	delete(d.routes, dst)
	return nil
}

// Routes returns the routes into the device and their preferred sources.
func (d *Device) Routes() map[netip.Prefix]netip.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[netip.Prefix]netip.Addr, len(d.routes))
	for p, s := range d.routes {
		out[p] = s
	}
	return out
}

// Name is the device's name.
func (d *Device) Name() string { return d.name }

// Close makes Read return os.ErrClosed.
func (d *Device) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

// Closed reports whether Close was called.
func (d *Device) Closed() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Packet is an ESP packet on the fake network: protocol 50 between
// addresses (ports 0), or a UDP datagram between ports.
type Packet struct {
	Src, Dst netip.AddrPort
	UDP      bool
	Data     []byte
}

// Net is an in-memory network of hosts, one per address.
type Net struct {
	mu    sync.Mutex
	hosts map[netip.Addr]*Host
	taps  []func(Packet)
}

// NewNet returns an empty network.
func NewNet() *Net { return &Net{hosts: map[netip.Addr]*Host{}} }

// Tap adds a function that sees a copy of every packet sent, before it is
// delivered (on the sender's goroutine).
func (n *Net) Tap(f func(Packet)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.taps = append(n.taps, f)
}

// Host returns the host of addr, creating it.
func (n *Net) Host(addr netip.Addr) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	if h := n.hosts[addr]; h != nil {
		return h
	}
	h := &Host{net: n, addr: addr, raw: make(chan Packet, queue), udp: make(chan Packet, queue), done: make(chan struct{})}
	h.rawConn = &RawConn{h: h, done: make(chan struct{})}
	n.hosts[addr] = h
	return h
}

// send delivers a copy of p to its destination host's queue.
func (n *Net) send(p Packet) error {
	p.Data = append([]byte(nil), p.Data...)
	n.mu.Lock()
	taps := n.taps
	h := n.hosts[p.Dst.Addr()]
	n.mu.Unlock()
	for _, f := range taps {
		f(Packet{Src: p.Src, Dst: p.Dst, UDP: p.UDP, Data: append([]byte(nil), p.Data...)})
	}
	if h == nil {
		return nil // into the void, as on a real network
	}
	q := h.raw
	if p.UDP {
		q = h.udp
	}
	select {
	case q <- p:
	default:
		h.mu.Lock()
		h.dropped++
		h.mu.Unlock()
	}
	return nil
}

// Host is one address on the network: a raw ESP socket (Raw) and a NAT-T
// UDP socket (SendESP and ServeUDP).
type Host struct {
	net     *Net
	addr    netip.Addr
	raw     chan Packet
	udp     chan Packet
	rawConn *RawConn
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	dropped int
}

// Addr is the host's address.
func (h *Host) Addr() netip.Addr { return h.addr }

// Raw is the host's raw ESP socket (one per host).
func (h *Host) Raw() *RawConn { return h.rawConn }

// SendESP sends a UDP-encapsulated ESP packet from local (which must be
// the host's address, or unspecified) to remote.
func (h *Host) SendESP(local, remote netip.AddrPort, packet []byte) error {
	if a := local.Addr(); a.IsValid() && !a.IsUnspecified() && a != h.addr {
		return fmt.Errorf("dptest: host %v cannot send from %v", h.addr, local)
	}
	select {
	case <-h.done:
		return net.ErrClosed
	default:
	}
	return h.net.send(Packet{Src: netip.AddrPortFrom(h.addr, local.Port()), Dst: remote, UDP: true, Data: packet})
}

// ServeUDP starts a goroutine that hands each UDP datagram to the host to
// handler, as netio's ESP callback does, until Close.
func (h *Host) ServeUDP(handler func(local, remote netip.AddrPort, packet []byte)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			select {
			case p := <-h.udp:
				handler(p.Dst, p.Src, p.Data)
			case <-h.done:
				return
			}
		}
	}()
}

// Close stops ServeUDP and waits for it.
func (h *Host) Close() {
	h.once.Do(func() { close(h.done) })
	h.wg.Wait()
}

// Dropped is how many packets to the host were dropped on full queues.
func (h *Host) Dropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// RawConn is a host's raw ESP socket.
type RawConn struct {
	h    *Host
	done chan struct{}
	once sync.Once
}

// ReadFrom returns the next ESP packet to the host; after Close,
// net.ErrClosed.
func (r *RawConn) ReadFrom(b []byte) (int, netip.Addr, netip.Addr, error) {
	select {
	case p := <-r.h.raw:
		return copy(b, p.Data), p.Dst.Addr(), p.Src.Addr(), nil
	case <-r.done:
		return 0, netip.Addr{}, netip.Addr{}, net.ErrClosed
	}
}

// WriteTo sends an ESP packet from local (the host's address, or invalid)
// to remote.
func (r *RawConn) WriteTo(packet []byte, local, remote netip.Addr) error {
	select {
	case <-r.done:
		return net.ErrClosed
	default:
	}
	if local.IsValid() && local != r.h.addr {
		return errors.New("dptest: raw socket: foreign source address")
	}
	return r.h.net.send(Packet{Src: netip.AddrPortFrom(r.h.addr, 0), Dst: netip.AddrPortFrom(remote, 0), Data: packet})
}

// Addr is the host's address.
func (r *RawConn) Addr() netip.Addr { return r.h.addr }

// Close makes ReadFrom return net.ErrClosed.
func (r *RawConn) Close() error {
	r.once.Do(func() { close(r.done) })
	return nil
}
