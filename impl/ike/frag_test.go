package ike_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// IKE fragmentation (RFC 7383) in the two-peer harness: IKE_AUTH carries
// many traffic selectors and the fragment size is small, so that both of
// its messages are split; fragments are lost, reordered, duplicated and
// forged on the way.

const fragTestSize = 256 // octets of IP datagram: IKE messages of at most 228

// Long identities make the IKE_AUTH response (whose selectors the
// responder narrows to one pair) exceed the fragment size too.
const (
	longIDL = "left.with-an-identity-long-enough-to-make-the-ike-auth-response-large@lab.example"
	longIDR = "right.with-an-identity-long-enough-to-make-the-ike-auth-response-large@lab.example"
)

// fragSide is one end's fragmentation settings.
type fragSide struct {
	mode     ike.Fragmentation
	size     int
	maxFrags int
	maxBytes int
	timeout  time.Duration
}

func (f fragSide) apply(cfg *ike.Config) {
	cfg.FragmentSize, cfg.MaxFragments, cfg.MaxReassembly, cfg.FragmentTimeout = f.size, f.maxFrags, f.maxBytes, f.timeout
	cfg.Connections[0].Fragmentation = f.mode
}

// subnets returns n /24 selectors 10.<b>.<i>.0/24.
func subnets(t testing.TB, b, n int) []ike.TrafficSelector {
	var out []ike.TrafficSelector
	for i := range n {
		out = append(out, ts(t, fmt.Sprintf("10.%d.%d.0/24", b, i)))
	}
	return out
}

// newFragPair is newPair with fragmentation settings and nTS subnets on
// each side of the child (10.1.x.0/24 left, 10.2.x.0/24 right).
func newFragPair(t testing.TB, l, r side, fl, fr fragSide, nTS int) *pairT {
	l.id, l.peerID, r.id, r.peerID = longIDL, longIDR, longIDR, longIDL
	l.cfgTweak = func(c *ike.Config) {
		fl.apply(c)
		if nTS > 0 {
			c.Connections[0].Children[0].LocalTS, c.Connections[0].Children[0].RemoteTS = subnets(t, 1, nTS), subnets(t, 2, nTS)
		}
	}
	r.cfgTweak = func(c *ike.Config) {
		fr.apply(c)
		if nTS > 0 {
			c.Connections[0].Children[0].LocalTS, c.Connections[0].Children[0].RemoteTS = subnets(t, 2, nTS), subnets(t, 1, nTS)
		}
	}
	return newPair(t, l, r)
}

func small() fragSide { return fragSide{size: fragTestSize} }

// pktFrag reads a datagram in flight: its header and, if it is an IKE
// Fragment message, its SKF fields.
func pktFrag(t testing.TB, pk iketest.Packet) (wire.Header, crypto.FragmentHeader, bool) {
	t.Helper()
	h, _, _, err := wire.DecodeHeader(pk.Data)
	if err != nil {
		t.Fatalf("in flight: %v", err)
	}
	f, ok, _ := crypto.ParseFragment(pk.Data)
	return h, f, ok
}

// inFlightFrags checks that the datagrams in flight are the whole fragment
// set of one message of exchange x (response or not), in order, each within
// the fragment size, and returns how many there are.
func inFlightFrags(t testing.TB, p *pairT, x wire.ExchangeType, response bool, size int) int {
	t.Helper()
	n := len(p.net.InFlight)
	if n < 2 {
		t.Fatalf("%d datagrams in flight, want the fragments of %v", n, x)
	}
	for i, pk := range p.net.InFlight {
		h, f, ok := pktFrag(t, pk)
		if !ok || h.Exchange != x || h.IsResponse() != response || int(f.Number) != i+1 || int(f.Total) != n {
			t.Fatalf("datagram %d: %v fragment %v %d/%d, want %v response=%v %d/%d", i, h.Exchange, ok, f.Number, f.Total, x, response, i+1, n)
		}
		// The IP datagram: IPv4 and UDP headers, no non-ESP marker on 500.
		if l := 20 + 8 + len(pk.Data); l > size {
			t.Errorf("fragment %d makes a datagram of %d octets, more than %d", i+1, l, size)
		}
	}
	return n
}

// fragToAuth runs IKE_SA_INIT and leaves the IKE_AUTH request in flight.
func fragToAuth(t testing.TB, p *pairT) {
	t.Helper()
	p.initiate(t)
	p.net.Deliver(0)
	p.net.Deliver(0)
}

// TestFragmentedHandshake: both ends announce support in IKE_SA_INIT
// (RFC 7383 section 2.3), both IKE_AUTH messages go out in fragments that
// fit the fragment size (section 2.5), each end reassembles (2.6), and the
// SA is the one an unfragmented exchange makes. Small messages stay whole
// (RFC7383-2.4-4).
func TestFragmentedHandshake(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ike, esp ike.Proposal
	}{{"AES-CBC+HMAC", ikeCBCECP, espCBC}, {"AES-GCM", ikeGCMX25519, espGCM}} {
		t.Run(tc.name, func(t *testing.T) {
			l, r := left(), right()
			l.ike, r.ike, l.esp, r.esp = []ike.Proposal{tc.ike}, []ike.Proposal{tc.ike}, []ike.Proposal{tc.esp}, []ike.Proposal{tc.esp}
			p := newFragPair(t, l, r, small(), small(), 20)
			p.initiate(t)
			for _, want := range []string{"sending IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP)"} {
				if !strings.Contains(p.logL.String(), want) {
					t.Errorf("left log lacks %q", want)
				}
			}
			p.net.Deliver(0)
			if !strings.Contains(p.logR.String(), "N(NATD_D_IP) N(FRAG_SUP)") {
				t.Errorf("the IKE_SA_INIT response does not announce fragmentation")
			}
			p.net.Deliver(0)
			nreq := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize)
			p.net.Flush(nreq)
			nresp := inFlightFrags(t, p, wire.IKE_AUTH, true, fragTestSize)
			p.flush(t)
			agree(t, p)
			for _, lg := range []string{p.logL.String(), p.logR.String()} {
				if !strings.Contains(lg, "splitting IKE message") || !strings.Contains(lg, "reassembled fragmented IKE message") {
					t.Errorf("a log lacks the splitting or the reassembly")
				}
			}
			for _, st := range []ike.Stats{p.l.Engine.Stats(), p.r.Engine.Stats()} {
				if st.Dropped != 0 || st.Retransmits != 0 {
					t.Errorf("stats %+v", st)
				}
			}
			t.Logf("IKE_AUTH request in %d fragments, response in %d", nreq, nresp)
			// A liveness check is small: whole (RFC7383-2.4-4).
			acts, err := p.l.Engine.Terminate(p.net.Now, "lab")
			if err != nil {
				t.Fatal(err)
			}
			p.net.Do(p.l, acts)
			if len(p.net.InFlight) != 1 {
				t.Fatalf("the Delete is %d datagrams", len(p.net.InFlight))
			}
			if _, _, ok := pktFrag(t, p.net.InFlight[0]); ok {
				t.Errorf("the Delete was fragmented")
			}
			p.flush(t)
		})
	}
}

// TestFragmentLoss: a lost fragment of the request leaves the responder
// waiting; the initiator's retransmission resends every fragment, and the
// ones the responder holds already are dropped as replays (RFC7383-2.6-2).
// A lost fragment of the response: the initiator retransmits its whole
// request, and only fragment 1 of it makes the responder resend its cached
// response, all of its fragments (RFC7383-2.6.1-2).
func TestFragmentLoss(t *testing.T) {
	p := newFragPair(t, left(), right(), small(), small(), 20)
	fragToAuth(t, p)
	nreq := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize)
	lost := nreq / 2
	for i := range nreq {
		if i == lost {
			p.net.Drop(0)
		} else {
			p.net.Deliver(0)
		}
	}
	if len(p.net.InFlight) != 0 || onlySA(t, p.r).State != "INIT_DONE" {
		t.Fatalf("with fragment %d lost: %d in flight, responder %s", lost+1, len(p.net.InFlight), onlySA(t, p.r).State)
	}
	p.net.Advance(4 * time.Second) // the first retransmission
	if n := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize); n != nreq {
		t.Fatalf("the retransmission is %d fragments, the request was %d", n, nreq)
	}
	p.net.Flush(nreq)
	if d := p.r.Engine.Stats().Dropped; d != uint64(nreq-1) {
		t.Errorf("the responder dropped %d fragments, want the %d it had", d, nreq-1)
	}
	nresp := inFlightFrags(t, p, wire.IKE_AUTH, true, fragTestSize)
	// Lose the last fragment of the response.
	for i := range nresp {
		if i == nresp-1 {
			p.net.Drop(0)
		} else {
			p.net.Deliver(0)
		}
	}
	if onlySA(t, p.l).State != "AUTH_SENT" {
		t.Fatalf("initiator %s with a fragment of the response lost", onlySA(t, p.l).State)
	}
	p.net.Advance(8 * time.Second) // the second retransmission
	if n := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize); n != nreq {
		t.Fatalf("the second retransmission is %d fragments", n)
	}
	// Fragment 1 asks for the response again; the others are ignored.
	for range nreq {
		p.net.Deliver(0)
	}
	if n := inFlightFrags(t, p, wire.IKE_AUTH, true, fragTestSize); n != nresp {
		t.Fatalf("the cached response is %d fragments, it was %d", n, nresp)
	}
	p.flush(t)
	agree(t, p)
	st := p.r.Engine.Stats()
	if st.CachedResponses != 1 {
		t.Errorf("the responder answered %d retransmissions from its cache, want 1 (fragment 1 only)", st.CachedResponses)
	}
	if lt := p.l.Engine.Stats(); lt.Retransmits != 2 {
		t.Errorf("initiator retransmissions %d, want 2", lt.Retransmits)
	}
	// The cache answered with every fragment of the response once.
	if got := strings.Count(p.net.Dump(), "IKE_AUTH response 1 [ EF(1/"); got != 2 {
		t.Errorf("fragment 1 of the response sent %d times, want 2", got)
	}
}

// TestFragmentReorderDuplicate: the fragments of both messages arrive out
// of order, each twice: fragment 1 first, then the others from the last
// down. The duplicates are dropped as replays (RFC7383-2.6-2,
// RFC7383-2.6.1-1); the one that comes after the request is complete is
// not fragment 1, and is ignored rather than answered from the cache
// (RFC7383-2.6.1-2).
func TestFragmentReorderDuplicate(t *testing.T) {
	p := newFragPair(t, left(), right(), small(), small(), 20)
	fragToAuth(t, p)
	total := 0
	for _, resp := range []bool{false, true} {
		n := inFlightFrags(t, p, wire.IKE_AUTH, resp, fragTestSize)
		total += n
		sent := p.net.InFlight
		order := []iketest.Packet{sent[0], sent[0]}
		for i := n - 1; i > 0; i-- {
			order = append(order, sent[i], sent[i])
		}
		p.net.InFlight = order
		for range 2 * n {
			p.net.Deliver(0)
		}
	}
	p.flush(t)
	agree(t, p)
	if d := p.l.Engine.Stats().Dropped + p.r.Engine.Stats().Dropped; d != uint64(total) {
		t.Errorf("%d datagrams dropped, want the %d duplicates", d, total)
	}
	if c := p.r.Engine.Stats().CachedResponses; c != 0 {
		t.Errorf("%d responses from the cache", c)
	}
}

// forge returns a copy of a fragment with its last octet (in the ICV)
// changed, optionally with other Fragment Number and Total Fragments.
func forge(pk iketest.Packet, number, total uint16) iketest.Packet {
	pk.Data = bytes.Clone(pk.Data)
	pk.Data[len(pk.Data)-1] ^= 0x5a
	if number != 0 {
		binary.BigEndian.PutUint16(pk.Data[wire.HeaderLen+4:], number)
		binary.BigEndian.PutUint16(pk.Data[wire.HeaderLen+6:], total)
	}
	return pk
}

// TestForgedFragment: fragments that do not authenticate are dropped
// before anything is kept (RFC7383-2.6-3): one that takes the place of a
// missing fragment does not block the real one, one with a larger Total
// Fragments does not restart the reassembly (RFC7383-2.6-4 applies to
// authentic fragments only), one with a smaller Total Fragments is invalid
// (RFC7383-2.6-1). The handshake completes without a retransmission.
func TestForgedFragment(t *testing.T) {
	p := newFragPair(t, left(), right(), small(), small(), 20)
	fragToAuth(t, p)
	n := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize)
	real := p.net.InFlight
	// The first fragment arrives, then the forgeries, then the rest.
	p.net.InFlight = nil
	p.net.InFlight = append(p.net.InFlight, real[0],
		forge(real[1], 0, 0),                     // fragment 2, bad ICV
		forge(real[1], uint16(n+1), uint16(n+1)), // a larger set
		forge(real[1], 1, uint16(n-1)),           // a smaller set
		forge(real[0], 1, uint16(n)))             // fragment 1 again, forged: a replay, dropped unopened
	p.net.InFlight = append(p.net.InFlight, real[1:]...)
	p.flush(t)
	agree(t, p)
	if d := p.r.Engine.Stats().Dropped; d != 4 {
		t.Errorf("the responder dropped %d datagrams, want the 4 forgeries", d)
	}
	if st := p.l.Engine.Stats(); st.Retransmits != 0 {
		t.Errorf("%d retransmissions", st.Retransmits)
	}
	if !strings.Contains(p.logR.String(), "does not authenticate") {
		t.Errorf("no forged fragment in the responder's log")
	}
}

// TestFragmentLimits: a peer that sends more fragments, or more octets in
// fragments, than the receiver reassembles loses its IKE SA, and nothing
// of the set is kept (RFC7383-5-1, RFC7383-5-2).
func TestFragmentLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  fragSide
		want string
	}{
		{"count", fragSide{size: fragTestSize, maxFrags: 2}, "more than the 2 we reassemble"},
		{"octets", fragSide{size: fragTestSize, maxBytes: 300}, "more than 300 octets in fragments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newFragPair(t, left(), right(), small(), tc.lim, 20)
			fragToAuth(t, p)
			inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize)
			p.flush(t)
			if n := len(p.r.Engine.SAs()); n != 0 {
				t.Fatalf("the responder kept %d IKE SAs", n)
			}
			downs := iketest.Find[ike.IKEDown](p.r)
			if len(downs) != 1 || !strings.Contains(downs[0].Reason, tc.want) {
				t.Errorf("IKEDown %+v, want %q", downs, tc.want)
			}
		})
	}
}

// TestFragmentTimeout: an incomplete set is discarded after the timeout
// (RFC7383-2.6-5); the fragment that comes late starts a set of its own,
// and the initiator's retransmission completes the message.
func TestFragmentTimeout(t *testing.T) {
	r := small()
	r.timeout = time.Second
	p := newFragPair(t, left(), right(), small(), r, 20)
	fragToAuth(t, p)
	n := inFlightFrags(t, p, wire.IKE_AUTH, false, fragTestSize)
	for range n - 1 {
		p.net.Deliver(0)
	}
	p.net.Advance(2 * time.Second) // past the timeout, before the retransmission
	p.net.Deliver(0)               // the last fragment, late
	if len(p.net.InFlight) != 0 || onlySA(t, p.r).State != "INIT_DONE" {
		t.Fatalf("the late fragment completed a timed-out set")
	}
	if !strings.Contains(p.logR.String(), "incomplete after 1s") {
		t.Errorf("the responder's log does not say the set timed out")
	}
	p.net.Advance(2 * time.Second) // the retransmission
	p.flush(t)
	agree(t, p)
}

// TestFragmentationNotNegotiated: RFC7383-2.4-1: no fragments unless both
// ends announced support. A responder with fragmentation = no does not
// announce it, and both IKE_AUTH messages go whole however large; with
// fragmentation = accept the end announces support and reassembles, but
// sends whole messages (strongSwan's meaning).
func TestFragmentationNotNegotiated(t *testing.T) {
	for _, tc := range []struct {
		name           string
		l, r           ike.Fragmentation
		fragL, fragR   bool // who sends fragments
		announcedByR   bool
		reassembledByL bool
	}{
		{"responder no", ike.FragmentationYes, ike.FragmentationNo, false, false, false, false},
		{"initiator no", ike.FragmentationNo, ike.FragmentationYes, false, false, false, false},
		{"initiator accept", ike.FragmentationAccept, ike.FragmentationYes, false, true, true, true},
		{"responder accept, initiator force", ike.FragmentationForce, ike.FragmentationAccept, true, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl, fr := small(), small()
			fl.mode, fr.mode = tc.l, tc.r
			p := newFragPair(t, left(), right(), fl, fr, 20)
			p.initiate(t)
			sentL, sentR := 0, 0
			for k := 0; len(p.net.InFlight) > 0 && k < 100; k++ {
				pk := p.net.InFlight[0]
				if _, _, ok := pktFrag(t, pk); ok {
					if pk.From.Addr() == addrL {
						sentL++
					} else {
						sentR++
					}
				}
				p.net.Deliver(0)
			}
			agree(t, p)
			if (sentL > 0) != tc.fragL || (sentR > 0) != tc.fragR {
				t.Errorf("fragments sent: left %d, right %d", sentL, sentR)
			}
			if got := strings.Contains(p.logR.String(), "sending IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP)"); got != tc.announcedByR {
				t.Errorf("responder announced support: %v", got)
			}
			if got := strings.Contains(p.logL.String(), "reassembled"); got != tc.reassembledByL {
				t.Errorf("initiator reassembled: %v", got)
			}
		})
	}
}

// TestFragmentationAfterIKERekey: the new IKE SA of a rekey keeps using
// fragmentation (as strongSwan's does): a CREATE_CHILD_SA with many
// selectors on it is fragmented in both directions.
func TestFragmentationAfterIKERekey(t *testing.T) {
	for _, by := range []string{"initiator", "responder"} {
		t.Run(by, func(t *testing.T) {
			p := newFragPair(t, left(), right(), small(), small(), 20)
			p.initiate(t)
			p.flush(t)
			old := onlySA(t, p.l)
			nd := p.l
			if by == "responder" {
				nd = p.r
			}
			acts, err := nd.Engine.Rekey(p.net.Now, "lab", "", true)
			if err != nil {
				t.Fatal(err)
			}
			p.net.Do(nd, acts)
			p.flush(t)
			a := onlySA(t, p.l)
			if a.SPIi == old.SPIi || a.State != "ESTABLISHED" {
				t.Fatalf("after the rekey: %+v", a)
			}
			// A new Child SA from each end: the request in fragments on the
			// new IKE SA.
			for i, from := range []*iketest.Node{p.l, p.r} {
				acts, err = from.Engine.Initiate(p.net.Now, "lab", "net")
				if err != nil {
					t.Fatal(err)
				}
				p.net.Do(from, acts)
				inFlightFrags(t, p, wire.CREATE_CHILD_SA, false, fragTestSize)
				h, _, _ := pktFrag(t, p.net.InFlight[0])
				// The I bit: the rekey's initiator is the new SA's
				// original initiator (RFC 7296 section 2.18).
				if h.SPIi != a.SPIi || h.Flags.Initiator() != (from == nd) {
					t.Errorf("the request is on IKE SA %016x (flags %v), not the new %016x", h.SPIi, h.Flags, a.SPIi)
				}
				p.flush(t)
				if c := onlySA(t, p.r).Children; len(c) != i+2 {
					t.Errorf("the responder has %d Child SAs, want %d", len(c), i+2)
				}
			}
		})
	}
}

// TestFragmentConfig: fragment sizes that cannot carry a fragment are
// refused.
func TestFragmentConfig(t *testing.T) {
	for _, size := range []int{1, 255, 70000} {
		cfg := left().config(t, addrR, 1, nil)
		cfg.FragmentSize = size
		if _, err := ike.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "ike: fragment size") {
			t.Errorf("fragment size %d: %v", size, err)
		}
	}
	cfg := left().config(t, addrR, 1, nil)
	cfg.FragmentSize = -1 // per address family
	if _, err := ike.New(cfg); err != nil {
		t.Error(err)
	}
}

// TestFragmentSizePerFamily: a negative fragment size takes RFC 7383
// section 2.5.1's 576 octets for IPv4: an IKE_AUTH of 40 selectors pairs
// is split into datagrams of at most 576 octets.
func TestFragmentSizePerFamily(t *testing.T) {
	p := newFragPair(t, left(), right(), fragSide{size: -1}, fragSide{size: -1}, 40)
	fragToAuth(t, p)
	inFlightFrags(t, p, wire.IKE_AUTH, false, 576)
	p.flush(t)
	agree(t, p)
}
