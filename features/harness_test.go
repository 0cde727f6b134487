package features

// The harness the step definitions drive: two real IKE engines (impl/ike)
// on the deterministic in-memory network of impl/ike/iketest, built through
// the engine's public API only, with a model of each end's data plane fed
// by the engine's actions (ChildUp, ChildOutbound, ChildDown) as
// impl/ike/rekey_test.go keeps one.

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

var (
	addrI = netip.MustParseAddr("192.0.2.1") // the initiator
	addrR = netip.MustParseAddr("192.0.2.2") // the responder
)

// Bounds of every loop the harness runs: deliveries per flush, and the
// seconds of fake time a settle may take.
const (
	maxDeliveries = 200
	settleSeconds = 120
)

// end is the configuration of one end before the engines are built.
type end struct {
	addr       netip.Addr
	id, peerID string
	ke         []wire.KEID
	psk        string
	cookies    bool
	anyPeer    bool
	seed       uint64
	lts, rts   string
	impair     []ike.Impairment // deliberate faults (impl/ike/impair.go)
}

func defaultEnds() (end, end) {
	i := end{addr: addrI, id: "initiator@lab.example", peerID: "responder@lab.example",
		ke: []wire.KEID{wire.ECP_256}, psk: "a-long-random-psk", seed: 1,
		lts: "198.51.100.1/32", rts: "198.51.100.2/32"}
	r := end{addr: addrR, id: "responder@lab.example", peerID: "initiator@lab.example",
		ke: []wire.KEID{wire.ECP_256}, psk: "a-long-random-psk", seed: 2,
		lts: "198.51.100.2/32", rts: "198.51.100.1/32"}
	return i, r
}

func selector(s string) ike.TrafficSelector {
	p := netip.MustParsePrefix(s)
	return ike.TrafficSelector{Start: p.Addr(), End: wire.LastAddr(p), EndPort: 0xffff}
}

// config builds an engine configuration with one connection "lab" and its
// child "net" toward peer.
func (e end) config(peer netip.Addr, log *bytes.Buffer) (ike.Config, error) {
	id, err := ike.ParseIdentity(e.id)
	if err != nil {
		return ike.Config{}, err
	}
	pid, err := ike.ParseIdentity(e.peerID)
	if err != nil {
		return ike.Config{}, err
	}
	remote := []netip.Prefix{netip.PrefixFrom(peer, peer.BitLen())}
	if e.anyPeer {
		remote = nil
	}
	ikeProp := ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
		PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, KE: e.ke}
	espProp := ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
		Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}}
	c := &ike.Connection{Name: "lab",
		LocalAddrs:  []netip.Prefix{netip.PrefixFrom(e.addr, e.addr.BitLen())},
		RemoteAddrs: remote,
		Proposals:   []ike.Proposal{ikeProp},
		Local:       ike.AuthConfig{Auth: ike.AuthPSK, ID: id},
		Remote:      ike.AuthConfig{Auth: ike.AuthPSK, ID: pid},
		Children: []*ike.Child{{Name: "net", Mode: ike.Tunnel, ESPProposals: []ike.Proposal{espProp},
			LocalTS: []ike.TrafficSelector{selector(e.lts)}, RemoteTS: []ike.TrafficSelector{selector(e.rts)}}},
	}
	return ike.Config{Connections: []*ike.Connection{c},
		Secrets:      []ike.Secret{{IDs: []ike.Identity{id, pid}, Key: []byte(e.psk)}},
		ForceCookies: e.cookies, Rand: iketest.Rand(e.seed), Impair: e.impair,
		Logger: hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug, Name: "ike"}),
	}, nil
}

// dataPlane models one end's installed Child SA pairs, newest first, as
// the driver contract of ike.ChildUp, ChildOutbound and ChildDown asks: the
// outbound SA is the newest active pair's (a pair installed with
// OutboundLater becomes active with its ChildOutbound), or the newest
// pair's when none is active.
type dataPlane struct {
	pairs  []ike.ChildUp
	active []bool // per pair
}

func (d *dataPlane) apply(a ike.Action) error {
	switch x := a.(type) {
	case ike.ChildUp:
		if d.index(x.Child.SPIIn) >= 0 {
			return fmt.Errorf("ChildUp for inbound SPI %08x, installed already", x.Child.SPIIn)
		}
		d.pairs = slices.Insert(d.pairs, 0, x)
		d.active = slices.Insert(d.active, 0, !x.OutboundLater)
	case ike.ChildOutbound:
		i := d.index(x.Child.SPIIn)
		if i < 0 {
			return fmt.Errorf("ChildOutbound for inbound SPI %08x, not installed", x.Child.SPIIn)
		}
		pair := d.pairs[i]
		d.pairs = slices.Insert(slices.Delete(d.pairs, i, i+1), 0, pair)
		d.active = slices.Insert(slices.Delete(d.active, i, i+1), 0, true)
	case ike.ChildDown:
		i := d.index(x.Child.SPIIn)
		if i < 0 {
			return fmt.Errorf("ChildDown for inbound SPI %08x, not installed", x.Child.SPIIn)
		}
		d.pairs = slices.Delete(d.pairs, i, i+1)
		d.active = slices.Delete(d.active, i, i+1)
	}
	return nil
}

// outbound is the SPI the end sends its ESP traffic with (0: none).
func (d *dataPlane) outbound() uint32 {
	for i, p := range d.pairs {
		if d.active[i] {
			return p.Child.SPIOut
		}
	}
	if len(d.pairs) > 0 {
		return d.pairs[0].Child.SPIOut
	}
	return 0
}

func (d *dataPlane) index(in uint32) int {
	return slices.IndexFunc(d.pairs, func(p ike.ChildUp) bool { return p.Child.SPIIn == in })
}

// peers is the two-engine world of one scenario.
type peers struct {
	ends   [2]end // initiator, responder
	nat    netip.Addr
	net    *iketest.Net
	nodes  [2]*iketest.Node
	logs   [2]*bytes.Buffer
	dp     [2]*dataPlane
	seen   [2]int
	before [2]ike.SAInfo // the SAs when a step remembered them
	err    error         // of the last command
	// lost lists the ESP packets that an end sent on its outbound SA
	// just before an event and that found no inbound SA at the peer just
	// after it, while the peer still had Child SAs (RFC7296-2.8-9).
	lost []string
}

func newPeers() *peers {
	i, r := defaultEnds()
	return &peers{ends: [2]end{i, r}}
}

func roleIndex(role string) int {
	if role == "responder" {
		return 1
	}
	return 0
}

// build puts the engines on a network (once).
func (p *peers) build() error {
	if p.net != nil {
		return nil
	}
	p.net = iketest.New()
	names := [2]string{"initiator", "responder"}
	for i, e := range p.ends {
		p.logs[i], p.dp[i] = &bytes.Buffer{}, &dataPlane{}
		cfg, err := e.config(p.ends[1-i].addr, p.logs[i])
		if err != nil {
			return err
		}
		if p.nodes[i], err = p.net.Add(names[i], e.addr, cfg); err != nil {
			return err
		}
	}
	if p.nat.IsValid() {
		p.net.BehindNAT(p.nodes[0], p.nat)
	}
	return nil
}

// sync feeds the new actions of both engines to their data plane models.
func (p *peers) sync() error {
	for i, nd := range p.nodes {
		for ; p.seen[i] < len(nd.Actions); p.seen[i]++ {
			if err := p.dp[i].apply(nd.Actions[p.seen[i]]); err != nil {
				return fmt.Errorf("%s: %w", nd.Name, err)
			}
		}
	}
	return nil
}

// step runs one event (a command, a delivery, a clock tick) with an ESP
// packet of each end in flight across it.
func (p *peers) step(what string, f func()) error {
	if err := p.sync(); err != nil {
		return err
	}
	outs := [2]uint32{p.dp[0].outbound(), p.dp[1].outbound()}
	f()
	if err := p.sync(); err != nil {
		return err
	}
	for i, spi := range outs {
		peer := p.dp[1-i]
		if spi != 0 && len(peer.pairs) > 0 && peer.index(spi) < 0 {
			p.lost = append(p.lost, fmt.Sprintf("the %s sent ESP on SPI %08x before %s; the peer has no inbound SA %08x after it",
				p.nodes[i].Name, spi, what, spi))
		}
	}
	return nil
}

func (p *peers) do(i int, acts []ike.Action, err error) error {
	p.err = err
	if err != nil {
		return fmt.Errorf("%s: %w", p.nodes[i].Name, err)
	}
	return p.step("a command", func() { p.net.Do(p.nodes[i], acts) })
}

func (p *peers) initiate() error {
	if err := p.build(); err != nil {
		return err
	}
	acts, err := p.nodes[0].Engine.Initiate(p.net.Now, "lab", "net")
	return p.do(0, acts, err)
}

func (p *peers) deliver(i int) error {
	if i >= len(p.net.InFlight) {
		return fmt.Errorf("no message %d in flight (%d are)", i, len(p.net.InFlight))
	}
	what := "delivering " + p.net.InFlight[i].String()
	return p.step(what, func() { p.net.Deliver(i) })
}

func (p *peers) flush() error {
	for k := 0; len(p.net.InFlight) > 0; k++ {
		if k >= maxDeliveries {
			return fmt.Errorf("still %d datagrams in flight after %d deliveries:\n%s", len(p.net.InFlight), maxDeliveries, p.net.Dump())
		}
		if err := p.deliver(0); err != nil {
			return err
		}
	}
	return nil
}

// settle lets fake time pass second by second (retransmissions, retries,
// deferred deletes), delivering everything after each second.
func (p *peers) settle() error {
	for range settleSeconds {
		if err := p.step("a clock tick", func() { p.net.Advance(time.Second) }); err != nil {
			return err
		}
		if err := p.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (p *peers) sas(i int) []ike.SAInfo { return p.nodes[i].Engine.SAs() }

func (p *peers) onlySA(i int) (ike.SAInfo, error) {
	sas := p.sas(i)
	if len(sas) != 1 {
		return ike.SAInfo{}, fmt.Errorf("the %s has %d IKE SAs, want 1: %+v", p.nodes[i].Name, len(sas), sas)
	}
	return sas[0], nil
}

// established checks both ends hold the same ESTABLISHED IKE SA.
func (p *peers) established() (ike.SAInfo, ike.SAInfo, error) {
	a, err := p.onlySA(0)
	if err != nil {
		return a, a, err
	}
	b, err := p.onlySA(1)
	if err != nil {
		return a, b, err
	}
	switch {
	case a.State != "ESTABLISHED" || b.State != "ESTABLISHED":
		return a, b, fmt.Errorf("states %s / %s", a.State, b.State)
	case a.SPIi != b.SPIi || a.SPIr != b.SPIr:
		return a, b, fmt.Errorf("SPIs %016x/%016x vs %016x/%016x", a.SPIi, a.SPIr, b.SPIi, b.SPIr)
	case a.Initiator == b.Initiator:
		return a, b, fmt.Errorf("both ends think they are the initiator: %v", a.Initiator)
	case a.LocalID != b.RemoteID || a.RemoteID != b.LocalID:
		return a, b, fmt.Errorf("identities %s-%s vs %s-%s", a.LocalID, a.RemoteID, b.LocalID, b.RemoteID)
	}
	return a, b, nil
}

// childrenCrossed checks n Child SA pairs at each end whose SPIs cross,
// and that the data plane models hold exactly those pairs, with keys that
// pair up.
func (p *peers) childrenCrossed(n int) error {
	a, b, err := p.established()
	if err != nil {
		return err
	}
	if len(a.Children) != n || len(b.Children) != n {
		return fmt.Errorf("Child SAs: initiator %d, responder %d, want %d", len(a.Children), len(b.Children), n)
	}
	for _, ca := range a.Children {
		j := slices.IndexFunc(b.Children, func(cb ike.ChildInfo) bool { return cb.SPIIn == ca.SPIOut })
		if j < 0 || b.Children[j].SPIOut != ca.SPIIn || ca.State != "INSTALLED" || b.Children[j].State != "INSTALLED" {
			return fmt.Errorf("the initiator's Child SA %08x/%08x (%s) has no crossed partner: %+v", ca.SPIIn, ca.SPIOut, ca.State, b.Children)
		}
		ia, ib := p.dp[0].index(ca.SPIIn), p.dp[1].index(ca.SPIOut)
		if ia < 0 || ib < 0 {
			return fmt.Errorf("Child SA %08x/%08x is not installed in both data planes", ca.SPIIn, ca.SPIOut)
		}
		ua, ub := p.dp[0].pairs[ia], p.dp[1].pairs[ib]
		if !bytes.Equal(ua.OutEnc, ub.InEnc) || !bytes.Equal(ua.InEnc, ub.OutEnc) || !bytes.Equal(ua.OutInteg, ub.InInteg) ||
			!bytes.Equal(ua.InInteg, ub.OutInteg) || len(ua.OutEnc) == 0 || bytes.Equal(ua.InEnc, ua.OutEnc) {
			return fmt.Errorf("Child SA %08x/%08x: the keys do not pair up", ca.SPIIn, ca.SPIOut)
		}
	}
	for i := range p.dp {
		if len(p.dp[i].pairs) != n {
			return fmt.Errorf("the %s's data plane holds %d pairs, want %d", p.nodes[i].Name, len(p.dp[i].pairs), n)
		}
	}
	return nil
}

// logged reports whether the end's log holds s.
func (p *peers) logged(i int, s string) bool { return strings.Contains(p.logs[i].String(), s) }

// inFlight decodes the i-th datagram in flight with impl/wire.
func (p *peers) inFlight(i int) (*wire.Message, error) {
	if p.net == nil || i >= len(p.net.InFlight) {
		return nil, fmt.Errorf("no message %d in flight", i)
	}
	m, err := wire.Decode(p.net.InFlight[i].Data)
	if err != nil {
		return nil, fmt.Errorf("message in flight: %w", err)
	}
	return m, nil
}

// keID reads a group in the engine's notation (ECP_256, CURVE_25519).
func keID(s string) (wire.KEID, error) {
	s = strings.TrimSpace(s)
	for _, k := range []wire.KEID{wire.MODP_2048, wire.ECP_256, wire.ECP_384, wire.CURVE25519} {
		if k.String() == s || strings.ReplaceAll(k.String(), "_", "") == strings.ReplaceAll(s, "_", "") {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown group %q", s)
}

func keIDs(list string) ([]wire.KEID, error) {
	var out []wire.KEID
	for _, s := range strings.Split(list, ",") {
		k, err := keID(s)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}
