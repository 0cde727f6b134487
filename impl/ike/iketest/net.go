// Package iketest is a deterministic, in-memory network for IKE engines
// (impl/ike): the fake of the outside world that lives next to the real
// thing, as wireguard-go's conn/bindtest does for its sockets. A test puts
// engines on it, decides for every datagram in flight whether it is
// delivered, dropped, duplicated or reordered, and moves a fake clock; the
// engines' timers fire when the clock passes them. Nothing here touches a
// socket, the real clock or the OS random source.
package iketest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Packet is a datagram in flight.
type Packet struct {
	Seq          int // order of sending, for messages in test failures
	From, To     netip.AddrPort
	Data         []byte
	NonESPMarker bool
}

func (p Packet) String() string {
	s := fmt.Sprintf("#%d %v -> %v", p.Seq, p.From, p.To)
	if len(p.Data) == 1 && p.Data[0] == 0xff {
		return s + " NAT-keepalive"
	}
	if m, err := wire.Decode(p.Data); err == nil {
		return s + " " + m.String()
	}
	return s + fmt.Sprintf(" (%d octets)", len(p.Data))
}

// Node is one engine on the network.
type Node struct {
	Name   string
	Addr   netip.Addr
	Engine *ike.Engine
	// Actions records everything but Send the engine asked for, in order.
	Actions []ike.Action
	// nat, when valid, is the public address a NAT in front of the node
	// maps it to (and ports are changed: 500 -> 40500, 4500 -> 44500).
	nat netip.Addr
}

// Net is the network and its clock.
type Net struct {
	Now      time.Time
	InFlight []Packet
	Nodes    []*Node
	seq      int
	// Trace lists every delivery, drop and timer firing, for failures.
	Trace []string
}

// New returns an empty network whose clock starts at a fixed time.
func New() *Net {
	return &Net{Now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
}

// Rand returns a deterministic random source for an engine's Config.Rand.
func Rand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (8 * (i % 8)))
		s[i] ^= byte(i)
	}
	return rand.NewChaCha8(s)
}

// Add puts an engine on the network at addr.
func (n *Net) Add(name string, addr netip.Addr, cfg ike.Config) (*Node, error) {
	e, err := ike.New(cfg)
	if err != nil {
		return nil, err
	}
	nd := &Node{Name: name, Addr: addr, Engine: e}
	n.Nodes = append(n.Nodes, nd)
	return nd, nil
}

// BehindNAT places node behind a NAT whose public address is public.
func (n *Net) BehindNAT(nd *Node, public netip.Addr) { nd.nat = public }

func natPort(p uint16) uint16 { return p + 40000 }

// Do carries out actions of node: Sends go in flight, the rest is recorded.
func (n *Net) Do(nd *Node, acts []ike.Action) {
	for _, a := range acts {
		s, ok := a.(ike.Send)
		if !ok {
			nd.Actions = append(nd.Actions, a)
			continue
		}
		from := s.Local
		if !from.Addr().IsValid() || from.Addr().IsUnspecified() {
			from = netip.AddrPortFrom(nd.Addr, s.Local.Port())
		}
		if nd.nat.IsValid() {
			from = netip.AddrPortFrom(nd.nat, natPort(from.Port()))
		}
		n.seq++
		n.InFlight = append(n.InFlight, Packet{Seq: n.seq, From: from, To: s.Remote,
			Data: append([]byte(nil), s.Data...), NonESPMarker: s.NonESPMarker})
	}
}

// node finds the node a packet to addr reaches, with the local port it
// arrives on (undoing a NAT's port mapping).
func (n *Net) node(to netip.AddrPort) (*Node, netip.AddrPort) {
	for _, nd := range n.Nodes {
		if nd.nat.IsValid() && nd.nat == to.Addr() {
			return nd, netip.AddrPortFrom(nd.Addr, to.Port()-40000)
		}
		if nd.Addr == to.Addr() {
			return nd, to
		}
	}
	return nil, to
}

// Deliver delivers the i-th datagram in flight (removing it).
func (n *Net) Deliver(i int) {
	p := n.InFlight[i]
	n.InFlight = append(n.InFlight[:i:i], n.InFlight[i+1:]...)
	nd, local := n.node(p.To)
	if nd == nil {
		n.Trace = append(n.Trace, "lost (no host) "+p.String())
		return
	}
	n.Trace = append(n.Trace, "deliver "+p.String())
	if len(p.Data) == 1 && p.Data[0] == 0xff {
		return // a NAT keepalive: the driver (netio) drops it
	}
	n.Do(nd, nd.Engine.Receive(n.Now, ike.Datagram{Local: local, Remote: p.From, Data: p.Data, NonESPMarker: p.NonESPMarker}))
}

// Drop discards the i-th datagram in flight.
func (n *Net) Drop(i int) {
	n.Trace = append(n.Trace, "drop "+n.InFlight[i].String())
	n.InFlight = append(n.InFlight[:i:i], n.InFlight[i+1:]...)
}

// Duplicate puts a copy of the i-th datagram at the end of the queue.
func (n *Net) Duplicate(i int) {
	p := n.InFlight[i]
	p.Data = append([]byte(nil), p.Data...)
	n.InFlight = append(n.InFlight, p)
}

// Swap exchanges two datagrams in flight (reordering).
func (n *Net) Swap(i, j int) { n.InFlight[i], n.InFlight[j] = n.InFlight[j], n.InFlight[i] }

// Flush delivers every datagram in order, including those that deliveries
// produce, at most max of them (a bound on every loop).
func (n *Net) Flush(max int) error {
	for k := 0; len(n.InFlight) > 0; k++ {
		if k >= max {
			return fmt.Errorf("iketest: still %d datagrams in flight after %d deliveries:\n%s", len(n.InFlight), max, n.Dump())
		}
		n.Deliver(0)
	}
	return nil
}

// Advance moves the clock by d, firing every engine timer that falls due on
// the way, in time order.
func (n *Net) Advance(d time.Duration) {
	end := n.Now.Add(d)
	for range 100000 {
		var next time.Time
		var who *Node
		for _, nd := range n.Nodes {
			if t, ok := nd.Engine.NextTimeout(); ok && !t.After(end) && (who == nil || t.Before(next)) {
				next, who = t, nd
			}
		}
		if who == nil {
			break
		}
		if next.After(n.Now) {
			n.Now = next
		}
		n.Trace = append(n.Trace, fmt.Sprintf("tick %s at %s", who.Name, n.Now.Format("15:04:05.000")))
		n.Do(who, who.Engine.Tick(n.Now))
	}
	n.Now = end
}

// Dump renders the datagrams in flight and the trace.
func (n *Net) Dump() string {
	var b strings.Builder
	for _, t := range n.Trace {
		b.WriteString("  " + t + "\n")
	}
	for _, p := range n.InFlight {
		b.WriteString("  in flight: " + p.String() + "\n")
	}
	return b.String()
}

// Find returns the recorded actions of type T.
func Find[T ike.Action](nd *Node) []T {
	var out []T
	for _, a := range nd.Actions {
		if t, ok := a.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
