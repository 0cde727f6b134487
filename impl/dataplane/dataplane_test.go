package dataplane_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/dataplane/dptest"
	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The fakes satisfy the data plane's interfaces.
var (
	_ dataplane.Device    = (*dptest.Device)(nil)
	_ dataplane.UDPSender = (*dptest.Host)(nil)
	_ dataplane.RawConn   = (*dptest.RawConn)(nil)
)

// wait bounds every wait of these tests.
const wait = 5 * time.Second

var (
	outerA  = netip.MustParseAddr("192.0.2.1")
	outerB  = netip.MustParseAddr("192.0.2.2")
	innerA4 = netip.MustParseAddr("198.51.100.1")
	innerB4 = netip.MustParseAddr("198.51.100.2")
	innerA6 = netip.MustParseAddr("2001:db8:a::1")
	innerB6 = netip.MustParseAddr("2001:db8:b::1")
)

// suite is an ESP transform with fixed keys for both directions.
type suite struct {
	name       string
	encr       wire.EncrID
	integ      wire.IntegID
	encAB      []byte // A -> B
	intAB      []byte
	encBA      []byte // B -> A
	intBA      []byte
	esn        bool
	spiA, spiB uint32 // inbound SPIs of A and B
}

func fill(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

var (
	cbc = suite{name: "aes256-sha256", encr: wire.ENCR_AES_CBC, integ: wire.AUTH_HMAC_SHA2_256_128,
		encAB: fill(32, 0x11), intAB: fill(32, 0x22), encBA: fill(32, 0x33), intBA: fill(32, 0x44),
		spiA: 0xa0000001, spiB: 0xb0000001}
	gcm = suite{name: "aes128gcm16-esn", encr: wire.ENCR_AES_GCM_16, integ: wire.AUTH_NONE,
		encAB: fill(20, 0x55), encBA: fill(20, 0x66), esn: true, spiA: 0xa0000002, spiB: 0xb0000002}
)

// end is one data plane with its fakes.
type end struct {
	dp       *dataplane.DataPlane
	dev      *dptest.Device
	host     *dptest.Host
	opened   bool
	mu       sync.Mutex
	unknown  []uint32
	exhaust  []bool
	limits   []limitCall
	child    dataplane.Child
	openedMu sync.Mutex
}

// limitCall is one Config.Limit call.
type limitCall struct {
	spiIn uint32
	hard  bool
}

func (e *end) limitCalls() []limitCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.limits)
}

func (e *end) unknownSPIs() []uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.unknown)
}

// lab is two data planes, A (192.0.2.1) and B (192.0.2.2), back to back.
type lab struct {
	t    *testing.T
	net  *dptest.Net
	a, b *end
	mu   sync.Mutex
	wire []dptest.Packet // what crossed the network
}

type labOptions struct {
	suite   suite
	mode    esp.Mode
	encap   bool // UDP-encapsulated (the IKE SA uses NAT-T)
	force   bool // ForceEncap on both
	echoB   bool // TunnelEcho on B
	entries []policy.Entry
	soft    uint64 // SoftLimit
	noDevB  bool   // B's device cannot be opened
	// limitsA are the volume limits of A's pair: soft and hard bytes,
	// soft and hard packets.
	limitsA [4]uint64
}

func newLab(t *testing.T, o labOptions) *lab {
	t.Helper()
	before := runtime.NumGoroutine()
	l := &lab{t: t, net: dptest.NewNet()}
	l.net.Tap(func(p dptest.Packet) {
		l.mu.Lock()
		l.wire = append(l.wire, p)
		l.mu.Unlock()
	})
	l.a = l.newEnd("tunA", outerA, o, false, false)
	l.b = l.newEnd("tunB", outerB, o, o.echoB, o.noDevB)
	t.Cleanup(func() {
		for _, e := range []*end{l.a, l.b} {
			if err := e.dp.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			e.host.Close()
			if e.dp.Device() != "" {
				t.Errorf("device %q still open after Close", e.dp.Device())
			}
		}
		// Close stopped every goroutine the data planes started.
		deadline := time.Now().Add(wait)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before", n, before)
		}
	})
	// The Child SA pair, from each end's point of view.
	s := o.suite
	var ts4A, ts4B, ts6A, ts6B policy.TS
	if o.mode == esp.Tunnel {
		ts4A, ts4B = host(innerA4), host(innerB4)
		ts6A, ts6B = host(innerA6), host(innerB6)
	} else {
		ts4A, ts4B = host(outerA), host(outerB)
	}
	port := uint16(500)
	if o.encap {
		port = 4500
	}
	l.a.child = dataplane.Child{Connection: "lab", Name: "net", UniqueID: 1, SPIIn: s.spiA, SPIOut: s.spiB, Mode: o.mode,
		Local: netip.AddrPortFrom(outerA, port), Remote: netip.AddrPortFrom(outerB, port), UDPEncap: o.encap,
		Encr: s.encr, Integ: s.integ, ESN: s.esn, InEnc: s.encBA, InInteg: s.intBA, OutEnc: s.encAB, OutInteg: s.intAB,
		LocalTS: []policy.TS{ts4A}, RemoteTS: []policy.TS{ts4B}}
	l.b.child = dataplane.Child{Connection: "lab", Name: "net", UniqueID: 2, SPIIn: s.spiB, SPIOut: s.spiA, Mode: o.mode,
		Local: netip.AddrPortFrom(outerB, port), Remote: netip.AddrPortFrom(outerA, port), UDPEncap: o.encap,
		Encr: s.encr, Integ: s.integ, ESN: s.esn, InEnc: s.encAB, InInteg: s.intAB, OutEnc: s.encBA, OutInteg: s.intBA,
		LocalTS: []policy.TS{ts4B}, RemoteTS: []policy.TS{ts4A}}
	l.a.child.SoftBytes, l.a.child.HardBytes, l.a.child.SoftPackets, l.a.child.HardPackets =
		o.limitsA[0], o.limitsA[1], o.limitsA[2], o.limitsA[3]
	if o.mode == esp.Tunnel {
		l.a.child.LocalTS = append(l.a.child.LocalTS, ts6A)
		l.a.child.RemoteTS = append(l.a.child.RemoteTS, ts6B)
		l.b.child.LocalTS = append(l.b.child.LocalTS, ts6B)
		l.b.child.RemoteTS = append(l.b.child.RemoteTS, ts6A)
	}
	for _, e := range []*end{l.a, l.b} {
		if err := e.dp.Install(e.child); err != nil {
			t.Fatalf("Install: %v", err)
		}
	}
	return l
}

func (l *lab) newEnd(dev string, addr netip.Addr, o labOptions, echo, failDev bool) *end {
	e := &end{dev: dptest.NewDevice(dev), host: l.net.Host(addr)}
	dp, err := dataplane.New(dataplane.Config{
		OpenDevice: func() (dataplane.Device, error) {
			e.openedMu.Lock()
			e.opened = true
			e.openedMu.Unlock()
			if failDev {
				return nil, errors.New("no such device (test)")
			}
			return e.dev, nil
		},
		SoftLimit:  o.soft,
		UDP:        e.host,
		Raw:        []dataplane.RawConn{e.host.Raw()},
		ForceEncap: o.force,
		TunnelEcho: echo,
		Entries:    o.entries,
		UnknownSPI: func(remote netip.AddrPort, spi uint32) {
			e.mu.Lock()
			e.unknown = append(e.unknown, spi)
			e.mu.Unlock()
		},
		Exhausted: func(spi uint32, hard bool) {
			e.mu.Lock()
			e.exhaust = append(e.exhaust, hard)
			e.mu.Unlock()
		},
		Limit: func(spiIn uint32, hard bool) {
			e.mu.Lock()
			e.limits = append(e.limits, limitCall{spiIn, hard})
			e.mu.Unlock()
		},
	})
	if err != nil {
		l.t.Fatalf("New: %v", err)
	}
	e.dp = dp
	e.host.ServeUDP(dp.HandleESP)
	return e
}

// sent returns copies of the packets that crossed the network.
func (l *lab) sent() []dptest.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.wire)
}

func host(a netip.Addr) policy.TS {
	return policy.TS{Start: a, End: a, EndPort: 0xffff}
}

// udpPacket builds an IPv4 or IPv6 packet holding a UDP datagram.
func udpPacket(t *testing.T, src, dst netip.Addr, sport, dport uint16, payload string) []byte {
	t.Helper()
	seg := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], dport)
	binary.BigEndian.PutUint16(seg[4:], uint16(8+len(payload)))
	binary.BigEndian.PutUint16(seg[6:], 0xffff)
	seg = append(seg, payload...)
	p, err := esp.AppendTransportPacket(nil, src, dst, 17, seg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// icmp6Echo builds an ICMPv6 echo request (RFC 4443 section 4.1).
func icmp6Echo(t *testing.T, src, dst netip.Addr, id, seq uint16) []byte {
	t.Helper()
	seg := []byte{128, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'p', 'i', 'n', 'g'}
	p, err := esp.AppendTransportPacket(nil, src, dst, 58, seg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls cond until it holds or wait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func childStats(t *testing.T, e *end) dataplane.ChildStats {
	t.Helper()
	st, ok := e.dp.ChildStats(e.child.SPIIn)
	if !ok {
		t.Fatalf("no Child SA %08x", e.child.SPIIn)
	}
	return st
}

// recvExactly expects the device to deliver want, and nothing else.
func recvExactly(t *testing.T, dev *dptest.Device, want []byte) {
	t.Helper()
	got, ok := dev.Recv(wait)
	if !ok {
		t.Fatalf("%s: nothing delivered", dev.Name())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s delivered\n%x\nwant\n%x", dev.Name(), got, want)
	}
}

// expectNothing checks that the device delivers nothing (more).
func expectNothing(t *testing.T, dev *dptest.Device) {
	t.Helper()
	if p, ok := dev.Recv(50 * time.Millisecond); ok {
		t.Fatalf("%s delivered %x, want nothing", dev.Name(), p)
	}
}

// TestTunnelBothWays sends an IPv4 and an IPv6 packet each way through a
// tunnel-mode pair: over raw ESP, over UDP because the IKE SA uses NAT-T,
// and over UDP because encapsulation is forced; with CBC+HMAC and with
// AES-GCM and ESN.
func TestTunnelBothWays(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     labOptions
		udp   bool
		ports [2]uint16 // src, dst port of A's packets on the wire
	}{
		{"raw-cbc", labOptions{suite: cbc}, false, [2]uint16{0, 0}},
		{"natt-gcm", labOptions{suite: gcm, encap: true}, true, [2]uint16{4500, 4500}},
		{"forced-cbc", labOptions{suite: cbc, force: true}, true, [2]uint16{4500, 4500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, tc.o)
			// Routes: the remote selectors into each device, preferring the
			// local selector as the source.
			wantRoutes := map[netip.Prefix]netip.Addr{
				netip.PrefixFrom(innerB4, 32): innerA4, netip.PrefixFrom(innerB6, 128): innerA6}
			if got := l.a.dev.Routes(); !mapsEqual(got, wantRoutes) {
				t.Errorf("A's routes %v, want %v", got, wantRoutes)
			}
			p4 := udpPacket(t, innerA4, innerB4, 12345, 9, "over IPv4")
			p6 := icmp6Echo(t, innerA6, innerB6, 7, 1)
			l.a.dev.Inject(p4)
			recvExactly(t, l.b.dev, p4)
			l.a.dev.Inject(p6)
			recvExactly(t, l.b.dev, p6)
			r4 := udpPacket(t, innerB4, innerA4, 9, 12345, "and back")
			r6 := icmp6Echo(t, innerB6, innerA6, 7, 2)
			l.b.dev.Inject(r4)
			recvExactly(t, l.a.dev, r4)
			l.b.dev.Inject(r6)
			recvExactly(t, l.a.dev, r6)

			sa, sb := childStats(t, l.a), childStats(t, l.b)
			if sa.PacketsOut != 2 || sa.PacketsIn != 2 || sb.PacketsOut != 2 || sb.PacketsIn != 2 {
				t.Errorf("packets: A in %d out %d, B in %d out %d; want 2 each", sa.PacketsIn, sa.PacketsOut, sb.PacketsIn, sb.PacketsOut)
			}
			if want := uint64(len(p4) + len(p6)); sa.BytesOut != want || sb.BytesIn != want {
				t.Errorf("bytes A->B: out %d, in %d; want %d", sa.BytesOut, sb.BytesIn, want)
			}
			if sa.UDPEncap != tc.udp {
				t.Errorf("UDPEncap %v, want %v", sa.UDPEncap, tc.udp)
			}
			// On the wire: ESP, never the inner packets.
			for _, p := range l.sent() {
				if p.UDP != tc.udp || p.Src.Port() != tc.ports[0] && p.Src.Addr() == outerA || p.Dst.Port() != tc.ports[1] && p.Dst.Addr() == outerB {
					t.Errorf("on the wire: %+v, want udp=%v ports %v", p, tc.udp, tc.ports)
				}
				if bytes.Contains(p.Data, []byte("over IPv4")) {
					t.Errorf("the inner packet crossed the network in the clear: %x", p.Data)
				}
			}
			// (Counted after the write or send returns: the packet may
			// arrive first.)
			eventually(t, "B's stats", func() bool {
				st := l.b.dp.Stats()
				return st.DeviceWritten == 2 && st.InDelivered == 2 && st.DeviceRead == 2 && st.OutSent == 2 && st.Device == "tunB"
			})
			// Remove takes the pair, its entry and its routes away.
			if err := l.a.dp.Remove(l.a.child.SPIIn); err != nil {
				t.Fatal(err)
			}
			if r := l.a.dev.Routes(); len(r) != 0 {
				t.Errorf("routes after Remove: %v", r)
			}
			if e := l.a.dp.SPD(); len(e) != 1 || e[0].Action != policy.Discard {
				t.Errorf("SPD after Remove: %v", e)
			}
			l.b.dev.Inject(r4) // now to an SPI A no longer has
			eventually(t, "A reports the unknown SPI", func() bool { return len(l.a.unknownSPIs()) == 1 })
			expectNothing(t, l.a.dev)
		})
	}
}

func mapsEqual(a, b map[netip.Prefix]netip.Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTransportEcho probes a transport-mode pair: B's built-in UDP echo
// service answers A's requests through the same SA; no device is opened.
func TestTransportEcho(t *testing.T) {
	for _, s := range []suite{cbc, gcm} {
		t.Run(s.name, func(t *testing.T) {
			l := newLab(t, labOptions{suite: s, mode: esp.Transport, force: true})
			res, err := l.a.dp.Probe(context.Background(), l.a.child.SPIIn, dataplane.ProbeOptions{Count: 3, Timeout: wait})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 3 || res.Received != 3 || len(res.RTTs) != 3 {
				t.Fatalf("probe: %+v", res)
			}
			if res.Src.Addr() != outerA || res.Dst != netip.AddrPortFrom(outerB, dataplane.EchoPort) {
				t.Errorf("probe addresses %v -> %v", res.Src, res.Dst)
			}
			eventually(t, "B counts its replies", func() bool { return l.b.dp.Stats().EchoReplies == 3 })
			sb := childStats(t, l.b)
			if sb.PacketsIn != 3 || sb.PacketsOut != 3 || l.b.dp.Stats().EchoReplies != 3 {
				t.Errorf("B: %+v, %+v", sb, l.b.dp.Stats())
			}
			l.a.openedMu.Lock()
			opened := l.a.opened || l.b.opened
			l.a.openedMu.Unlock()
			if opened || l.a.dp.Device() != "" {
				t.Error("a device was opened for transport mode")
			}
			// Something else than UDP echo has no receiver in transport mode.
			res, err = l.a.dp.Probe(context.Background(), 0x12345678, dataplane.ProbeOptions{})
			if err == nil {
				t.Errorf("probe of an unknown SPI: %+v", res)
			}
		})
	}
}

// TestTunnelProbe probes a tunnel-mode pair: answered by B's echo service
// with TunnelEcho, and without it by B's local stack (the test, reading
// B's device) when it answers UDP echo.
func TestTunnelProbe(t *testing.T) {
	t.Run("tunnel-echo", func(t *testing.T) {
		l := newLab(t, labOptions{suite: gcm, echoB: true})
		res, err := l.a.dp.Probe(context.Background(), l.a.child.SPIIn, dataplane.ProbeOptions{Count: 2, Timeout: wait})
		if err != nil || res.Received != 2 {
			t.Fatalf("probe: %+v, %v", res, err)
		}
		if res.Src.Addr() != innerA4 || res.Dst.Addr() != innerB4 {
			t.Errorf("probe addresses %v -> %v", res.Src, res.Dst)
		}
		expectNothing(t, l.b.dev) // the echo service took them
	})
	t.Run("local-stack", func(t *testing.T) {
		l := newLab(t, labOptions{suite: cbc})
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // B's local stack: an echo service on port 7
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, ok := l.b.dev.Recv(20 * time.Millisecond)
				if !ok {
					continue
				}
				pp, err := policy.ParsePacket(p)
				if err != nil || pp.DstPort != dataplane.EchoPort {
					continue
				}
				l.b.dev.Inject(udpPacket(t, pp.Dst, pp.Src, pp.DstPort, pp.SrcPort, string(p[28:])))
			}
		}()
		defer func() { close(stop); <-done }()
		res, err := l.a.dp.Probe(context.Background(), l.a.child.SPIIn, dataplane.ProbeOptions{Count: 3, Timeout: wait})
		if err != nil || res.Received != 3 {
			t.Fatalf("probe: %+v, %v", res, err)
		}
	})
}

// TestReplay re-sends an ESP packet that B has accepted: it is dropped and
// counted, never delivered (RFC4303-3.4.3-5).
func TestReplay(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	p := udpPacket(t, innerA4, innerB4, 1000, 2000, "once")
	l.a.dev.Inject(p)
	recvExactly(t, l.b.dev, p)
	var esp1 []byte
	for _, w := range l.sent() {
		if w.Dst.Addr() == outerB {
			esp1 = w.Data
		}
	}
	if esp1 == nil {
		t.Fatal("no ESP packet to B on the wire")
	}
	for range 2 {
		l.b.dp.HandleESP(netip.AddrPortFrom(outerB, 0), netip.AddrPortFrom(outerA, 0), slices.Clone(esp1))
	}
	expectNothing(t, l.b.dev)
	sb := childStats(t, l.b)
	if sb.ReplayDrops != 2 || sb.PacketsIn != 1 {
		t.Errorf("B: replay drops %d, packets in %d; want 2 and 1", sb.ReplayDrops, sb.PacketsIn)
	}
	// A corrupted copy fails its ICV (RFC4303-3.4.4.1-1).
	bad := slices.Clone(esp1)
	bad[len(bad)-1] ^= 1
	binary.BigEndian.PutUint32(bad[4:], 7) // a fresh sequence number
	l.b.dp.HandleESP(netip.AddrPortFrom(outerB, 0), netip.AddrPortFrom(outerA, 0), bad)
	expectNothing(t, l.b.dev)
	if sb := childStats(t, l.b); sb.ICVFailures != 1 {
		t.Errorf("ICV failures %d, want 1", sb.ICVFailures)
	}
}

// sealAsA seals packets with A's outbound keys and B's inbound SPI, as a
// peer that knows the keys would, outside the data plane: a fresh counter,
// so B has seen none of its numbers.
func sealAsA(t *testing.T, l *lab) *esp.Outbound {
	t.Helper()
	c := l.a.child
	out, err := esp.NewOutbound(esp.Config{SPI: c.SPIOut, Encr: c.Encr, EncrKey: c.OutEnc, Integ: c.Integ,
		IntegKey: c.OutInteg, ESN: c.ESN, Mode: c.Mode}, esp.OutboundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSelectorDrop sends B an inner packet sealed with the right keys whose
// addresses are outside the SA's selectors: B drops and counts it, and
// delivers a good one sealed the same way (RFC4301-5.2-6).
func TestSelectorDrop(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	out := sealAsA(t, l)
	from, to := netip.AddrPortFrom(outerA, 0), netip.AddrPortFrom(outerB, 0)
	for _, p := range [][]byte{
		udpPacket(t, netip.MustParseAddr("203.0.113.66"), innerB4, 1, 2, "spoofed source"),
		udpPacket(t, innerA4, netip.MustParseAddr("203.0.113.77"), 1, 2, "elsewhere"),
	} {
		s, err := out.SealPacket(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		l.b.dp.HandleESP(to, from, s.Packet)
	}
	expectNothing(t, l.b.dev)
	good := udpPacket(t, innerA4, innerB4, 1, 2, "inside")
	s, _ := out.SealPacket(nil, good)
	l.b.dp.HandleESP(to, from, s.Packet)
	recvExactly(t, l.b.dev, good)
	sb, st := childStats(t, l.b), l.b.dp.Stats()
	if sb.SelectorDrops != 2 || st.InSelectorDrops != 2 || sb.PacketsIn != 3 || st.InDelivered != 1 {
		t.Errorf("B: %+v\n%+v", sb, st)
	}
}

// TestDummy: a dummy packet (Next Header 59) is dropped silently
// (RFC4303-2.6-2): counted as a dummy, not as an error, not delivered.
func TestDummy(t *testing.T) {
	l := newLab(t, labOptions{suite: gcm})
	out := sealAsA(t, l)
	s, err := out.SealDummy(nil, 40)
	if err != nil {
		t.Fatal(err)
	}
	l.b.dp.HandleESP(netip.AddrPortFrom(outerB, 0), netip.AddrPortFrom(outerA, 0), s.Packet)
	expectNothing(t, l.b.dev)
	sb, st := childStats(t, l.b), l.b.dp.Stats()
	if sb.DummiesIn != 1 || st.InDummies != 1 || st.InESPErrors != 0 || sb.Malformed != 0 || sb.ICVFailures != 0 {
		t.Errorf("B: %+v\n%+v", sb, st)
	}
}

// TestUnknownSPI: ESP for an SPI no SA has is dropped, counted each time,
// and reported to the key exchange once (RFC4303-3.4.2-1,
// RFC7296-2.21.4-7).
func TestUnknownSPI(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	pkt := append(binary.BigEndian.AppendUint32(nil, 0xdeadbeef), make([]byte, 40)...)
	for range 3 {
		l.b.dp.HandleESP(netip.AddrPortFrom(outerB, 0), netip.AddrPortFrom(outerA, 0), slices.Clone(pkt))
	}
	l.b.dp.HandleESP(netip.AddrPortFrom(outerB, 0), netip.AddrPortFrom(outerA, 0), []byte{1, 2, 3})
	if got := l.b.unknownSPIs(); !slices.Equal(got, []uint32{0xdeadbeef}) {
		t.Errorf("reported %x, want deadbeef once", got)
	}
	if st := l.b.dp.Stats(); st.InUnknownSPI != 3 || st.InShort != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestOutboundDrops: packets from the device that the SPD does not send
// are dropped and counted by reason: no Child SA's entry (the final
// DISCARD, RFC4301-5-2), an administrator's DISCARD, BYPASS (nothing
// leaves the device in the clear) and PROTECT without an SA (no trap).
func TestOutboundDrops(t *testing.T) {
	trapNet := netip.MustParsePrefix("203.0.113.0/24")
	l := newLab(t, labOptions{suite: cbc, entries: []policy.Entry{
		{Name: "trap", Action: policy.Protect,
			Match: policy.Selector{Local: []policy.AddrRange{policy.Host(innerA4)}, Remote: []policy.AddrRange{policy.RangeOf(trapNet)}},
			ESP:   policy.ESP{Mode: policy.Tunnel, Peer: netip.MustParseAddr("192.0.2.99")}},
		{Name: "bypass", Action: policy.Bypass,
			Match: policy.Selector{Local: policy.AnyAddrs(), Remote: []policy.AddrRange{policy.RangeOf(netip.MustParsePrefix("10.0.0.0/8"))}}},
		{Name: "discard", Action: policy.Discard,
			Match: policy.Selector{Local: policy.AnyAddrs(), Remote: []policy.AddrRange{policy.RangeOf(netip.MustParsePrefix("172.16.0.0/12"))}}},
	}})
	for _, dst := range []string{"203.0.113.5", "10.1.2.3", "172.16.0.1", "192.0.2.200", "192.0.2.201"} {
		l.a.dev.Inject(udpPacket(t, innerA4, netip.MustParseAddr(dst), 1, 2, "x"))
	}
	l.a.dev.Inject([]byte{0x45, 0, 0}) // not a packet
	eventually(t, "six packets read", func() bool { return l.a.dp.Stats().DeviceRead == 6 })
	st := l.a.dp.Stats()
	if st.OutNoSA != 1 || st.OutBypassed != 1 || st.OutDiscarded != 3 || st.OutMalformed != 1 || st.OutSent != 0 {
		t.Errorf("stats %+v", st)
	}
	spd := l.a.dp.SPD()
	var names []string
	for _, e := range spd {
		names = append(names, e.Name)
	}
	// The Child SA's entry first, the administrator's next, the final
	// DISCARD last.
	if len(spd) != 5 || !strings.HasPrefix(names[0], "lab/net tunnel [") || names[1] != "trap" || names[4] != "final/discard" {
		t.Fatalf("SPD order %q", names)
	}
	if c := spd[4].Counters; c.Outbound != 2 {
		t.Errorf("final entry counted %d, want 2", c.Outbound)
	}
	if c := spd[1].Counters; c.Outbound != 1 || c.NoSA != 1 {
		t.Errorf("trap entry counters %+v", c)
	}
	if got := spd[0].Pairs; len(got) != 1 || got[0] != [2]uint32{cbc.spiA, cbc.spiB} {
		t.Errorf("child entry pairs %x", got)
	}
	expectNothing(t, l.b.dev)
}

// TestSPDOrder installs Child SAs of overlapping traffic, the wider first:
// the narrower one's entry goes before it, so each pair gets its traffic;
// a rekeyed pair of the same child shares the entry and takes the outbound
// traffic, while the old pair still accepts its inbound packets.
func TestSPDOrder(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	wide := l.a.child
	wide.Name, wide.SPIIn, wide.SPIOut = "wide", 0xa1000000, 0xb1000000
	wide.RemoteTS = []policy.TS{{Start: netip.MustParseAddr("198.51.100.0"), End: netip.MustParseAddr("198.51.100.255"), EndPort: 0xffff}}
	wide.LocalTS = []policy.TS{host(innerA4)}
	if err := l.a.dp.Install(wide); err != nil {
		t.Fatal(err)
	}
	// The wide one went after the narrow one installed before it.
	names := func() []string {
		var n []string
		for _, e := range l.a.dp.SPD() {
			n = append(n, e.Name)
		}
		return n
	}
	if n := names(); len(n) != 3 || !strings.HasPrefix(n[0], "lab/net ") || !strings.HasPrefix(n[1], "lab/wide ") {
		t.Fatalf("SPD %q", n)
	}
	// The device routes the wide range (without the peer's address, which
	// it does not cover here) and the narrow host.
	if r := l.a.dev.Routes(); len(r) != 3 {
		t.Errorf("routes %v", r)
	}
	// A rekey of the narrow child: same name and selectors, new SPIs.
	rekeyed := l.a.child
	rekeyed.SPIIn, rekeyed.SPIOut = 0xa2000000, 0xb2000000
	if err := l.a.dp.Install(rekeyed); err != nil {
		t.Fatal(err)
	}
	if n := names(); len(n) != 3 {
		t.Fatalf("SPD after the rekey %q", n)
	}
	if p := l.a.dp.SPD()[0].Pairs; len(p) != 2 || p[0][0] != 0xa2000000 {
		t.Errorf("pairs of the shared entry %x", p)
	}
	l.a.dev.Inject(udpPacket(t, innerA4, innerB4, 1, 2, "new SA"))
	eventually(t, "sent on the rekeyed SA", func() bool {
		st, _ := l.a.dp.ChildStats(0xa2000000)
		return st.PacketsOut == 1
	})
	l.a.dev.Inject(udpPacket(t, innerA4, netip.MustParseAddr("198.51.100.9"), 1, 2, "wide SA"))
	eventually(t, "sent on the wide SA", func() bool {
		st, _ := l.a.dp.ChildStats(0xa1000000)
		return st.PacketsOut == 1
	})
	// The old pair still takes B's packets (B still sends on it).
	p := udpPacket(t, innerB4, innerA4, 2, 1, "old SA")
	l.b.dev.Inject(p)
	recvExactly(t, l.a.dev, p)
	// Removing the rekeyed pair keeps the entry for the old one.
	if err := l.a.dp.Remove(0xa2000000); err != nil {
		t.Fatal(err)
	}
	if n := names(); len(n) != 3 {
		t.Fatalf("SPD after removing one pair %q", n)
	}
	if err := l.a.dp.Remove(0xa2000000); err == nil {
		t.Error("a second Remove succeeded")
	}
	if err := l.a.dp.Install(rekeyed); err != nil {
		t.Errorf("installing again after Remove: %v", err)
	}
	if err := l.a.dp.Install(rekeyed); err == nil {
		t.Error("a duplicate inbound SPI was installed")
	}
}

// TestInstallErrors: what Install refuses leaves nothing behind.
func TestInstallErrors(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	good := l.a.child
	good.SPIIn, good.SPIOut = 0xa3000000, 0xb3000000
	for _, tc := range []struct {
		name string
		edit func(c *dataplane.Child)
	}{
		{"zero SPI", func(c *dataplane.Child) { c.SPIOut = 0 }},
		{"bad key", func(c *dataplane.Child) { c.InEnc = c.InEnc[:5] }},
		{"no integrity", func(c *dataplane.Child) { c.Integ = wire.AUTH_NONE }},
		{"selectors of two families", func(c *dataplane.Child) {
			c.RemoteTS = []policy.TS{host(innerB6)}
			c.LocalTS = []policy.TS{host(innerA4)}
		}},
		{"no outer address", func(c *dataplane.Child) { c.Remote = netip.AddrPort{} }},
	} {
		c := good
		tc.edit(&c)
		if err := l.a.dp.Install(c); err == nil {
			t.Errorf("%s: installed", tc.name)
		}
	}
	if n := len(l.a.dp.SPD()); n != 2 {
		t.Errorf("SPD has %d entries after refused installs, want 2", n)
	}
	if n := len(l.a.dp.Children()); n != 1 {
		t.Errorf("%d Child SAs after refused installs, want 1", n)
	}
}

// TestRekeyDue: at the soft sequence number limit the key exchange is told
// once that a rekey is due (RFC 4303 section 3.3.3), and traffic goes on.
func TestRekeyDue(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc, soft: 2})
	for i := range 4 {
		p := udpPacket(t, innerA4, innerB4, 1, uint16(i), "count")
		l.a.dev.Inject(p)
		recvExactly(t, l.b.dev, p)
	}
	l.a.mu.Lock()
	got := slices.Clone(l.a.exhaust)
	l.a.mu.Unlock()
	if !slices.Equal(got, []bool{false}) {
		t.Errorf("Exhausted calls %v, want one soft", got)
	}
}

// TestNoDevice: a device that cannot be opened does not stop the install;
// what the tunnel delivers is counted as undeliverable.
func TestNoDevice(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc, noDevB: true})
	if l.b.dp.Device() != "" {
		t.Fatalf("device %q", l.b.dp.Device())
	}
	l.a.dev.Inject(udpPacket(t, innerA4, innerB4, 1, 2, "nowhere to go"))
	eventually(t, "undeliverable", func() bool { return l.b.dp.Stats().InUndeliverable == 1 })
	if sb := childStats(t, l.b); sb.Undeliverable != 1 || sb.PacketsIn != 1 {
		t.Errorf("B: %+v", sb)
	}
}

// espTo returns the SPIs of the ESP packets that crossed the network to
// dst, in order.
func (l *lab) espTo(dst netip.Addr) []uint32 {
	var spis []uint32
	for _, p := range l.sent() {
		if p.Dst.Addr() == dst && len(p.Data) >= 4 {
			spis = append(spis, binary.BigEndian.Uint32(p.Data))
		}
	}
	return spis
}

// TestOutboundLater is a Child SA rekey as its responder sees it (RFC 7296
// section 2.8): A installs the new pair with its outbound SA held back, B
// (the initiator) installs its side normally. B's traffic arrives on A's new
// inbound SA at once; A keeps sending on the old SA until ActivateOutbound,
// then on the new one; removing the old pair leaves the new one working.
func TestOutboundLater(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc})
	const newA, newB = 0xa2000001, 0xb2000001
	na, nb := l.a.child, l.b.child
	na.SPIIn, na.SPIOut, na.UniqueID, na.OutboundLater = newA, newB, 3, true
	nb.SPIIn, nb.SPIOut, nb.UniqueID = newB, newA, 4
	if err := l.a.dp.Install(na); err != nil {
		t.Fatal(err)
	}
	if err := l.b.dp.Install(nb); err != nil {
		t.Fatal(err)
	}
	if st, _ := l.a.dp.ChildStats(newA); !st.OutboundHeld {
		t.Errorf("A's new pair: OutboundHeld false")
	}
	if p := l.a.dp.SPD()[0].Pairs; len(p) != 2 || p[0][0] != cbc.spiA || p[1][0] != newA {
		t.Errorf("A's entry pairs %x, want the old pair first", p)
	}

	fromA := func(what string, wantSPI uint32) {
		t.Helper()
		before := len(l.espTo(outerB))
		p := udpPacket(t, innerA4, innerB4, 1, 2, what)
		l.a.dev.Inject(p)
		recvExactly(t, l.b.dev, p)
		spis := l.espTo(outerB)
		if len(spis) != before+1 || spis[len(spis)-1] != wantSPI {
			t.Errorf("%s: A sent on %x, want %08x last", what, spis[before:], wantSPI)
		}
	}
	fromA("held back", cbc.spiB)
	// B sends on its newest pair: A's new inbound SA takes it.
	back := udpPacket(t, innerB4, innerA4, 2, 1, "to the new inbound SA")
	l.b.dev.Inject(back)
	recvExactly(t, l.a.dev, back)
	if st, _ := l.a.dp.ChildStats(newA); st.PacketsIn != 1 || st.PacketsOut != 0 {
		t.Errorf("A's new pair: %d in, %d out; want 1 and 0", st.PacketsIn, st.PacketsOut)
	}

	if err := l.a.dp.ActivateOutbound(newA); err != nil {
		t.Fatal(err)
	}
	if st, _ := l.a.dp.ChildStats(newA); st.OutboundHeld {
		t.Error("A's new pair still held after ActivateOutbound")
	}
	fromA("activated", newB)
	if err := l.a.dp.Remove(cbc.spiA); err != nil {
		t.Fatal(err)
	}
	fromA("old pair removed", newB)
	if st, _ := l.a.dp.ChildStats(newA); st.PacketsOut != 2 {
		t.Errorf("A's new pair sent %d, want 2", st.PacketsOut)
	}
	if err := l.a.dp.ActivateOutbound(cbc.spiA); !errors.Is(err, dataplane.ErrNotInstalled) {
		t.Errorf("ActivateOutbound of a removed pair: %v", err)
	}
}

// TestOutboundLaterAlone: a pair installed with OutboundLater whose entry
// has no other pair (the old one removed before it was activated) carries
// the traffic: nothing else could.
func TestOutboundLaterAlone(t *testing.T) {
	l := newLab(t, labOptions{suite: gcm})
	const newA, newB = 0xa2000002, 0xb2000002
	na, nb := l.a.child, l.b.child
	na.SPIIn, na.SPIOut, na.OutboundLater = newA, newB, true
	nb.SPIIn, nb.SPIOut = newB, newA
	for _, c := range []struct {
		e *end
		c dataplane.Child
	}{{l.a, na}, {l.b, nb}} {
		if err := c.e.dp.Install(c.c); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.a.dp.Remove(gcm.spiA); err != nil {
		t.Fatal(err)
	}
	p := udpPacket(t, innerA4, innerB4, 1, 2, "only the held pair is left")
	l.a.dev.Inject(p)
	recvExactly(t, l.b.dev, p)
	if spis := l.espTo(outerB); len(spis) != 1 || spis[0] != newB {
		t.Errorf("A sent on %x, want %08x", spis, newB)
	}
	if st, _ := l.a.dp.ChildStats(newA); !st.OutboundHeld || st.PacketsOut != 1 {
		t.Errorf("A's new pair: held %v, %d out", st.OutboundHeld, st.PacketsOut)
	}
}

// TestPacketLimits: A's pair has a soft limit of 2 packets and a hard one
// of 4. Its outbound SA reaches both: the key exchange is told once for
// each, and past the hard limit the pair refuses packets both ways
// (RFC7296-2.8-1).
func TestPacketLimits(t *testing.T) {
	l := newLab(t, labOptions{suite: cbc, limitsA: [4]uint64{0, 0, 2, 4}})
	for i := range 4 {
		p := udpPacket(t, innerA4, innerB4, 1, uint16(i), "counted")
		l.a.dev.Inject(p)
		recvExactly(t, l.b.dev, p)
		switch i {
		case 0:
			if got := l.a.limitCalls(); len(got) != 0 {
				t.Errorf("after 1 packet: %v", got)
			}
		case 1:
			if got := l.a.limitCalls(); !slices.Equal(got, []limitCall{{cbc.spiA, false}}) {
				t.Errorf("after 2 packets: %v, want one soft", got)
			}
		}
	}
	want := []limitCall{{cbc.spiA, false}, {cbc.spiA, true}}
	if got := l.a.limitCalls(); !slices.Equal(got, want) {
		t.Errorf("after 4 packets: %v, want %v", got, want)
	}
	for i := range 2 {
		l.a.dev.Inject(udpPacket(t, innerA4, innerB4, 1, uint16(10+i), "refused"))
	}
	eventually(t, "A refuses two packets out", func() bool { return l.a.dp.Stats().OutExpired == 2 })
	back := udpPacket(t, innerB4, innerA4, 2, 1, "refused in")
	l.b.dev.Inject(back)
	eventually(t, "A refuses one packet in", func() bool { return l.a.dp.Stats().InExpired == 1 })
	expectNothing(t, l.b.dev)
	expectNothing(t, l.a.dev)
	st := childStats(t, l.a)
	if st.PacketsOut != 4 || st.PacketsIn != 0 || st.Expired != 3 || !st.SoftLimit || !st.HardLimit {
		t.Errorf("A: %+v", st)
	}
	if got := l.a.limitCalls(); !slices.Equal(got, want) {
		t.Errorf("after the refused packets: %v, want %v", got, want)
	}
	if got := l.b.limitCalls(); len(got) != 0 {
		t.Errorf("B, without limits, told %v", got)
	}
}

// TestByteLimits: each SA counts on its own. A's pair has a soft limit of
// two packets' octets and a hard one just over three: its inbound SA
// reaches the soft one, and neither SA reaches the hard one although the
// two together carry more.
func TestByteLimits(t *testing.T) {
	size := uint64(len(udpPacket(t, innerB4, innerA4, 2, 1, "sized")))
	l := newLab(t, labOptions{suite: gcm, limitsA: [4]uint64{2 * size, 3*size + 1, 0, 0}})
	for i := range 3 {
		p := udpPacket(t, innerB4, innerA4, 2, 1, "sized")
		l.b.dev.Inject(p)
		recvExactly(t, l.a.dev, p)
		if got := l.a.limitCalls(); i < 1 && len(got) != 0 || i >= 1 && !slices.Equal(got, []limitCall{{gcm.spiA, false}}) {
			t.Errorf("after %d packets in: %v", i+1, got)
		}
	}
	p := udpPacket(t, innerA4, innerB4, 1, 2, "sized")
	l.a.dev.Inject(p)
	recvExactly(t, l.b.dev, p)
	st := childStats(t, l.a)
	if st.BytesIn != 3*size || st.BytesOut != size || st.HardLimit || st.Expired != 0 {
		t.Errorf("A: %+v", st)
	}
	if got := l.a.limitCalls(); !slices.Equal(got, []limitCall{{gcm.spiA, false}}) {
		t.Errorf("Limit calls %v, want one soft", got)
	}
}
