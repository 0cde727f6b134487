package ike_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/pool"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

var (
	addrL = netip.MustParseAddr("192.0.2.1")
	addrR = netip.MustParseAddr("192.0.2.2")
)

// Suites of the interop scenarios, built by hand (no config parser here).
var (
	ikeGCMX25519 = ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}},
		PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.CURVE25519}}
	ikeCBCECP = ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
		PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
		KE: []wire.KEID{wire.ECP_256}}
	ikeCBCMODP = ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 128}},
		PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
		KE: []wire.KEID{wire.MODP_2048}}
	espGCM = ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}}
	espCBC = ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
		Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}}
)

func mustID(t testing.TB, s string) ike.Identity {
	id, err := ike.ParseIdentity(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ts(t testing.TB, s string) ike.TrafficSelector {
	if s == "dynamic" {
		return ike.TrafficSelector{Dynamic: true}
	}
	p := netip.MustParsePrefix(s)
	return ike.TrafficSelector{Start: p.Addr(), End: wire.LastAddr(p), EndPort: 0xffff}
}

// side describes one end of a test connection.
type side struct {
	addr       netip.Addr
	id, peerID string
	ike, esp   []ike.Proposal
	lts, rts   string
	psk        string
	mode       ike.Mode
	dpd        time.Duration
	cookies    bool
	anyPeer    bool // remote_addrs = %any (a server that does not know its clients' addresses)
	seed       uint64
	vips       []netip.Addr
	pools      []*pool.Pool
	// Lifetimes (zero: none).
	ikeRekey, ikeRand                time.Duration
	childRekey, childLife, childRand time.Duration
	// tweak changes the connection after it is built (pubkey_test.go).
	tweak func(*ike.Connection)
	// cfgTweak changes the whole engine configuration (frag_test.go).
	cfgTweak func(*ike.Config)
}

func left() side {
	return side{addr: addrL, id: "left@lab.example", peerID: "right@lab.example",
		ike: []ike.Proposal{ikeCBCECP}, esp: []ike.Proposal{espCBC},
		lts: "198.51.100.1/32", rts: "198.51.100.2/32", psk: "a-long-random-psk"}
}

func right() side {
	s := left()
	s.addr, s.id, s.peerID, s.lts, s.rts = addrR, "right@lab.example", "left@lab.example", "198.51.100.2/32", "198.51.100.1/32"
	return s
}

// config builds an engine configuration with one connection "lab" and its
// child "net" toward peer, logging into log.
func (s side) config(t testing.TB, peer netip.Addr, seed uint64, log *bytes.Buffer) ike.Config {
	var logger hclog.Logger
	if log != nil {
		logger = hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug, Name: "ike"})
	}
	remote := []netip.Prefix{netip.PrefixFrom(peer, peer.BitLen())}
	if s.anyPeer {
		remote = nil
	}
	c := &ike.Connection{Name: "lab",
		LocalAddrs:  []netip.Prefix{netip.PrefixFrom(s.addr, s.addr.BitLen())},
		RemoteAddrs: remote,
		Proposals:   s.ike, DPDDelay: s.dpd, RekeyTime: s.ikeRekey, RandTime: s.ikeRand, OverTime: s.ikeRekey / 10,
		VIPs: s.vips, Pools: s.pools,
		Local:  ike.AuthConfig{Auth: ike.AuthPSK, ID: mustID(t, s.id)},
		Remote: ike.AuthConfig{Auth: ike.AuthPSK, ID: mustID(t, s.peerID)},
		Children: []*ike.Child{{Name: "net", Mode: s.mode, ESPProposals: s.esp,
			RekeyTime: s.childRekey, LifeTime: s.childLife, RandTime: s.childRand,
			LocalTS: []ike.TrafficSelector{ts(t, s.lts)}, RemoteTS: []ike.TrafficSelector{ts(t, s.rts)}}},
	}
	if s.tweak != nil {
		s.tweak(c)
	}
	cfg := ike.Config{Connections: []*ike.Connection{c},
		Secrets:      []ike.Secret{{IDs: []ike.Identity{mustID(t, s.id), mustID(t, s.peerID)}, Key: []byte(s.psk)}},
		ForceCookies: s.cookies, Rand: iketest.Rand(seed),
		Logger: logger}
	if s.cfgTweak != nil {
		s.cfgTweak(&cfg)
	}
	return cfg
}

// pair puts two engines on a network: l initiates toward r.
type pairT struct {
	net        *iketest.Net
	l, r       *iketest.Node
	logL, logR *bytes.Buffer
}

func newPair(t testing.TB, l, r side) *pairT {
	p := &pairT{net: iketest.New(), logL: &bytes.Buffer{}, logR: &bytes.Buffer{}}
	var err error
	seedL, seedR := l.seed, r.seed
	if seedL == 0 && seedR == 0 {
		seedL, seedR = 1, 2
	}
	if p.l, err = p.net.Add("left", l.addr, l.config(t, r.addr, seedL, p.logL)); err != nil {
		t.Fatal(err)
	}
	if p.r, err = p.net.Add("right", r.addr, r.config(t, l.addr, seedR, p.logR)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every state change of both engines, IKE SA and Child SA, is a row
		// of the model's tables (model.Table, model.ChildTable).
		for name, lg := range map[string]*bytes.Buffer{"left": p.logL, "right": p.logR} {
			for _, l := range strings.Split(lg.String(), "\n") {
				if strings.Contains(l, "in the model table") {
					t.Errorf("%s engine left the model: %s", name, l)
				}
			}
		}
		if t.Failed() {
			t.Logf("network:\n%s", p.net.Dump())
			t.Logf("left log:\n%s", p.logL)
			t.Logf("right log:\n%s", p.logR)
		}
	})
	return p
}

func (p *pairT) initiate(t testing.TB) {
	acts, err := p.l.Engine.Initiate(p.net.Now, "lab", "net")
	if err != nil {
		t.Fatal(err)
	}
	p.net.Do(p.l, acts)
}

func (p *pairT) flush(t testing.TB) {
	if err := p.net.Flush(100); err != nil {
		t.Fatal(err)
	}
}

func onlySA(t testing.TB, nd *iketest.Node) ike.SAInfo {
	t.Helper()
	sas := nd.Engine.SAs()
	if len(sas) != 1 {
		t.Fatalf("%s has %d IKE SAs, want 1: %+v", nd.Name, len(sas), sas)
	}
	return sas[0]
}

// agree checks the interop verdict in memory: both ends ESTABLISHED with the
// same SPIs and algorithms, the Child SA SPIs crossed, and the keys of each
// direction equal at both ends.
func agree(t testing.TB, p *pairT) (ike.SAInfo, ike.SAInfo) {
	t.Helper()
	a, b := onlySA(t, p.l), onlySA(t, p.r)
	if a.State != "ESTABLISHED" || b.State != "ESTABLISHED" {
		t.Fatalf("states %s / %s", a.State, b.State)
	}
	if a.SPIi != b.SPIi || a.SPIr != b.SPIr || !a.Initiator || b.Initiator {
		t.Errorf("SPIs %016x/%016x vs %016x/%016x", a.SPIi, a.SPIr, b.SPIi, b.SPIr)
	}
	if a.Encr != b.Encr || a.Integ != b.Integ || a.PRF != b.PRF || a.KE != b.KE {
		t.Errorf("algorithms %s/%s/%s/%s vs %s/%s/%s/%s", a.Encr, a.Integ, a.PRF, a.KE, b.Encr, b.Integ, b.PRF, b.KE)
	}
	if a.LocalID != b.RemoteID || a.RemoteID != b.LocalID {
		t.Errorf("identities %s-%s vs %s-%s", a.LocalID, a.RemoteID, b.LocalID, b.RemoteID)
	}
	if len(a.Children) != 1 || len(b.Children) != 1 {
		t.Fatalf("children %d / %d", len(a.Children), len(b.Children))
	}
	ca, cb := a.Children[0], b.Children[0]
	if ca.SPIIn != cb.SPIOut || ca.SPIOut != cb.SPIIn || ca.Encr != cb.Encr || ca.Integ != cb.Integ || ca.Mode != cb.Mode {
		t.Errorf("children %+v vs %+v", ca, cb)
	}
	if strings.Join(ca.LocalTS, ",") != strings.Join(cb.RemoteTS, ",") || strings.Join(ca.RemoteTS, ",") != strings.Join(cb.LocalTS, ",") {
		t.Errorf("selectors %v/%v vs %v/%v", ca.LocalTS, ca.RemoteTS, cb.LocalTS, cb.RemoteTS)
	}
	ua, ub := iketest.Find[ike.ChildUp](p.l), iketest.Find[ike.ChildUp](p.r)
	if len(ua) != 1 || len(ub) != 1 {
		t.Fatalf("ChildUp actions %d / %d", len(ua), len(ub))
	}
	if !bytes.Equal(ua[0].OutEnc, ub[0].InEnc) || !bytes.Equal(ua[0].InEnc, ub[0].OutEnc) ||
		!bytes.Equal(ua[0].OutInteg, ub[0].InInteg) || !bytes.Equal(ua[0].InInteg, ub[0].OutInteg) || len(ua[0].OutEnc) == 0 {
		t.Errorf("Child SA keys do not pair up")
	}
	if bytes.Equal(ua[0].OutEnc, ua[0].InEnc) {
		t.Errorf("both directions have the same key")
	}
	return a, b
}

func netipPort(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }
