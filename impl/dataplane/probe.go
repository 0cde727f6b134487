package dataplane

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// Probes: UDP echo requests (RFC 862) sent through a Child SA, and their
// echoes counted.

// ProbeOptions say how to probe a Child SA.
type ProbeOptions struct {
	// Count is the number of requests (0: 3).
	Count int
	// Interval separates the requests (0: 200ms, and at most Timeout/Count).
	Interval time.Duration
	// Timeout bounds the whole probe, sending and waiting (0: 5s).
	Timeout time.Duration
	// Size is the UDP payload of each request in octets (0 or less than
	// the probe's own header: that header, probeHeaderLen octets).
	Size int
	// Src and Dst are the inner addresses of a tunnel-mode probe (zero:
	// the first address of the first local traffic selector and of the
	// first remote one of the same family; of a range wider than two
	// addresses, the one after the first, which is usually a network's
	// own). A transport-mode probe goes between the SA's outer addresses.
	Src, Dst netip.Addr
}

// ProbeResult is what a probe saw.
type ProbeResult struct {
	Sent, Received int
	// Src and Dst are the addresses and ports of the requests.
	Src, Dst netip.AddrPort
	// RTTs are the round-trip times of the echoes, in the order they came.
	RTTs []time.Duration
}

// probeMagic starts every request's payload, then an 8-octet probe nonce
// and a 4-octet sequence number.
var probeMagic = []byte("IKEV2REF")

const probeHeaderLen = 8 + 8 + 4

// probe is a probe in progress.
type probe struct {
	src, dst netip.AddrPort
	nonce    [8]byte
	sent     []time.Time // by sequence number; guarded by probeTable.mu
	got      []bool
	echoes   chan time.Duration
}

// probeTable holds the probes in progress by local port.
type probeTable struct {
	mu     sync.Mutex
	next   uint16
	byPort map[uint16]*probe
	n      atomic.Int32
}

func (t *probeTable) init() { t.byPort = map[uint16]*probe{} }

// add registers a probe on a free local port.
func (t *probeTable) add(pr *probe) (uint16, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for range probePorts {
		port := probePortBase + t.next%probePorts
		t.next++
		if t.byPort[port] == nil {
			t.byPort[port] = pr
			t.n.Add(1)
			return port, nil
		}
	}
	return 0, errors.New("dataplane: too many probes at once")
}

func (t *probeTable) remove(port uint16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byPort[port] != nil {
		delete(t.byPort, port)
		t.n.Add(-1)
	}
}

// deliver takes an echo (a UDP packet from port 7) if it answers a probe in
// progress, counting each sequence number once.
func (t *probeTable) deliver(p policy.Packet, payload []byte) bool {
	if t.n.Load() == 0 || len(payload) < probeHeaderLen || !bytes.HasPrefix(payload, probeMagic) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	pr := t.byPort[p.DstPort]
	if pr == nil || p.Src != pr.dst.Addr() || p.Dst != pr.src.Addr() || !bytes.Equal(payload[8:16], pr.nonce[:]) {
		return false
	}
	seq := binary.BigEndian.Uint32(payload[16:20])
	if int(seq) >= len(pr.sent) || pr.got[seq] || pr.sent[seq].IsZero() {
		return true // ours, but not new: taken and ignored
	}
	pr.got[seq] = true
	select {
	case pr.echoes <- time.Since(pr.sent[seq]):
	default:
	}
	return true
}

// Probe sends UDP echo requests through the Child SA whose inbound SPI is
// spiIn (through the SPD, like any outbound packet: the newest SA of its
// entry carries them) and counts the echoes that come back on it, until
// every request is answered, Timeout passes or ctx ends. See the package
// documentation for which peers answer. The error is for a probe that could
// not be sent at all; a probe that got no echo has Received 0.
func (d *DataPlane) Probe(ctx context.Context, spiIn uint32, o ProbeOptions) (ProbeResult, error) {
	var res ProbeResult
	if o.Count <= 0 {
		o.Count = 3
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
	}
	o.Interval = min(o.Interval, o.Timeout/time.Duration(o.Count))
	o.Size = max(o.Size, probeHeaderLen)
	if o.Size > maxPacket-60-udpHeaderLen {
		return res, fmt.Errorf("dataplane: probe size %d is too large", o.Size)
	}
	d.mu.Lock()
	ch := d.children[spiIn]
	d.mu.Unlock()
	if ch == nil {
		return res, fmt.Errorf("dataplane: probe: inbound SPI %08x: %w", spiIn, ErrNotInstalled)
	}
	src, dst, err := probeAddrs(ch, o)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	pr := &probe{sent: make([]time.Time, o.Count), got: make([]bool, o.Count), echoes: make(chan time.Duration, o.Count)}
	if _, err := rand.Read(pr.nonce[:]); err != nil {
		return res, err
	}
	port, err := d.probes.add(pr)
	if err != nil {
		return res, err
	}
	defer d.probes.remove(port)
	d.probes.mu.Lock()
	pr.src, pr.dst = netip.AddrPortFrom(src, port), netip.AddrPortFrom(dst, EchoPort)
	d.probes.mu.Unlock()
	res.Src, res.Dst = pr.src, pr.dst

	var lastErr error
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for seq := 0; seq < o.Count; seq++ {
		if seq > 0 {
			if !d.probeWait(ctx, tick.C, pr, &res) {
				break
			}
		}
		pkt, err := probePacket(pr, uint32(seq), o.Size)
		if err != nil {
			return res, err
		}
		d.probes.mu.Lock()
		pr.sent[seq] = time.Now()
		d.probes.mu.Unlock()
		if err := d.output(pkt, false); err != nil {
			lastErr = err
			d.probes.mu.Lock()
			pr.sent[seq] = time.Time{}
			d.probes.mu.Unlock()
			continue
		}
		res.Sent++
	}
	for res.Received < res.Sent && d.probeWait(ctx, nil, pr, &res) {
	}
	if res.Sent == 0 && lastErr != nil {
		return res, fmt.Errorf("dataplane: probe %s: %w", ch, lastErr)
	}
	return res, nil
}

// probeWait collects echoes until next fires (nil: until one echo comes);
// false when ctx ends or the data plane closes.
func (d *DataPlane) probeWait(ctx context.Context, next <-chan time.Time, pr *probe, res *ProbeResult) bool {
	for {
		select {
		case rtt := <-pr.echoes:
			res.Received++
			res.RTTs = append(res.RTTs, rtt)
			if next == nil {
				return true
			}
		case <-next:
			return true
		case <-ctx.Done():
			return false
		case <-d.done:
			return false
		}
	}
}

// probeAddrs picks the request's addresses.
func probeAddrs(ch *child, o ProbeOptions) (src, dst netip.Addr, err error) {
	if ch.mode == esp.Transport {
		return ch.inSA.Local.Addr(), ch.inSA.Remote.Addr(), nil
	}
	src, dst = o.Src.Unmap(), o.Dst.Unmap()
	if !src.IsValid() {
		for _, t := range ch.localTS {
			if src = probeAddr(t); src.IsValid() {
				break
			}
		}
	}
	if !dst.IsValid() {
		for _, t := range ch.remoteTS {
			if a := probeAddr(t); a.IsValid() && a.Is4() == src.Is4() {
				dst = a
				break
			}
		}
	}
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return src, dst, fmt.Errorf("dataplane: probe %s: no inner addresses of one family (%v, %v)", ch, src, dst)
	}
	return src, dst, nil
}

// probeAddr is a traffic selector's address for a probe.
func probeAddr(t policy.TS) netip.Addr {
	a, b := t.Start.Unmap(), t.End.Unmap()
	if !a.IsValid() || !b.IsValid() || b.Less(a) {
		return netip.Addr{}
	}
	if n := a.Next(); n.IsValid() && n.Less(b) {
		return n
	}
	return a
}

// probePacket builds request seq: an IPv4 or IPv6 packet with a UDP
// datagram to port 7 (its checksum computed).
func probePacket(pr *probe, seq uint32, size int) ([]byte, error) {
	seg := make([]byte, udpHeaderLen+size)
	binary.BigEndian.PutUint16(seg[0:2], pr.src.Port())
	binary.BigEndian.PutUint16(seg[2:4], EchoPort)
	binary.BigEndian.PutUint16(seg[4:6], uint16(len(seg)))
	binary.BigEndian.PutUint16(seg[6:8], 0xffff) // computed below
	pl := seg[udpHeaderLen:]
	copy(pl, probeMagic)
	copy(pl[8:16], pr.nonce[:])
	binary.BigEndian.PutUint32(pl[16:20], seq)
	return esp.AppendTransportPacket(nil, pr.src.Addr(), pr.dst.Addr(), protoUDP, seg)
}
