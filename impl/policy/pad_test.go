package policy_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/proptest"
)

func dn(t testing.TB, n pkix.Name) []byte {
	t.Helper()
	b, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIDMatch(t *testing.T) {
	fqdn := func(s string) policy.Identity { return policy.Identity{Type: wire.ID_FQDN, Data: []byte(s)} }
	email := func(s string) policy.Identity { return policy.Identity{Type: wire.ID_RFC822_ADDR, Data: []byte(s)} }
	ipv4 := func(s string) policy.Identity {
		return policy.Identity{Type: wire.ID_IPV4_ADDR, Data: addr(s).AsSlice()}
	}
	dnID := func(n pkix.Name) policy.Identity { return policy.Identity{Type: wire.ID_DER_ASN1_DN, Data: dn(t, n)} }
	kent := pkix.Name{Country: []string{"US"}, Province: []string{"MA"}, Organization: []string{"BBN Technologies"}, CommonName: "Stephen"}
	usMA := policy.IDMatch{Type: wire.ID_DER_ASN1_DN, Data: dn(t, pkix.Name{Country: []string{"US"}, Province: []string{"MA"}})}
	for _, c := range []struct {
		m    policy.IDMatch
		id   policy.Identity
		want bool
	}{
		{policy.IDMatch{Type: wire.ID_FQDN, Name: "gw.example.com"}, fqdn("GW.Example.com."), true},
		{policy.IDMatch{Type: wire.ID_FQDN, Name: "gw.example.com"}, fqdn("x.gw.example.com"), false},
		// RFC4301-4.4.3.1-1: sub-tree matching.
		{policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.com"}, fqdn("gw.example.com"), true},
		{policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.com"}, fqdn("a.b.example.com"), true},
		{policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.com"}, fqdn("example.com"), false},
		{policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.com"}, fqdn("badexample.com"), false},
		{policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.com"}, email("gw@x.example.com"), false},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "foo@example.com"}, email("foo@EXAMPLE.com"), true},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "foo@example.com"}, email("Foo@example.com"), false},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "@example.com"}, email("anyone@example.com"), true},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "@example.com"}, email("a@mail.example.com"), false},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "@.example.com"}, email("a@mail.example.com"), true},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "@.example.com"}, email("a@example.com"), false},
		{policy.IDMatch{Type: wire.ID_RFC822_ADDR, Name: "@example.com"}, email("no-at-sign"), false},
		{usMA, dnID(kent), true},
		{usMA, dnID(pkix.Name{Country: []string{"US"}, Province: []string{"CA"}, CommonName: "Stephen"}), false},
		{usMA, dnID(pkix.Name{Country: []string{"US"}}), false},
		{usMA, policy.Identity{Type: wire.ID_DER_ASN1_DN, Data: []byte{0x30, 0x80}}, false},
		// RFC4301-4.4.3.1-3: address ranges as in the SPD.
		{policy.IDMatch{Type: wire.ID_IPV4_ADDR, Addrs: rng("4.5.6.0/24")}, ipv4("4.5.6.7"), true},
		{policy.IDMatch{Type: wire.ID_IPV4_ADDR, Addrs: rng("4.5.6.0/24")}, ipv4("4.5.7.1"), false},
		{policy.IDMatch{Type: wire.ID_IPV4_ADDR, Addrs: rng("4.5.6.0/24")}, policy.Identity{Type: wire.ID_IPV4_ADDR, Data: []byte{4, 5, 6}}, false},
		// RFC4301-4.4.3.1-4: KEY_ID matches exactly.
		{policy.IDMatch{Type: wire.ID_KEY_ID, Data: []byte("key-1")}, policy.Identity{Type: wire.ID_KEY_ID, Data: []byte("key-1")}, true},
		{policy.IDMatch{Type: wire.ID_KEY_ID, Data: []byte("key-1")}, policy.Identity{Type: wire.ID_KEY_ID, Data: []byte("key-10")}, false},
		{policy.IDMatch{Any: true}, policy.Identity{Type: wire.ID_NULL}, true},
	} {
		if got := c.m.Matches(c.id); got != c.want {
			t.Errorf("%v matches %v: %v", c.m, c.id, got)
		}
	}
}

func TestPADValidation(t *testing.T) {
	ok := policy.PADEntry{Name: "x", ID: policy.IDMatch{Any: true}, Auth: []wire.AuthMethod{wire.AuthSharedKeyMIC}, PeerAddrs: rng("*")}
	for name, f := range map[string]func(e *policy.PADEntry){
		"no name":                func(e *policy.PADEntry) { e.Name = "" },
		"no ID":                  func(e *policy.PADEntry) { e.ID = policy.IDMatch{} },
		"Any with a type":        func(e *policy.PADEntry) { e.ID.Type = wire.ID_FQDN },
		"FQDN without name":      func(e *policy.PADEntry) { e.ID = policy.IDMatch{Type: wire.ID_FQDN, Name: "."} },
		"IPv4 with IPv6 ranges":  func(e *policy.PADEntry) { e.ID = policy.IDMatch{Type: wire.ID_IPV4_ADDR, Addrs: rng("::/0")} },
		"DN that is not DER":     func(e *policy.PADEntry) { e.ID = policy.IDMatch{Type: wire.ID_DER_ASN1_DN, Data: []byte{1}} },
		"KEY_ID without data":    func(e *policy.PADEntry) { e.ID = policy.IDMatch{Type: wire.ID_KEY_ID} },
		"no auth method":         func(e *policy.PADEntry) { e.Auth = nil },
		"no peer addresses":      func(e *policy.PADEntry) { e.PeerAddrs = nil },
		"children, no addresses": func(e *policy.PADEntry) { e.Children = []string{vpn} },
	} {
		e := ok
		f(&e)
		if _, err := policy.NewPAD(e); !errors.Is(err, policy.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := policy.NewPAD(ok); err != nil {
		t.Error(err)
	}
}

var (
	peerB      = policy.Identity{Type: wire.ID_IPV4_ADDR, Data: []byte{4, 5, 6, 7}}
	branch     = policy.Identity{Type: wire.ID_FQDN, Data: []byte("branch.example.net")}
	ikeOnly    = policy.Identity{Type: wire.ID_FQDN, Data: []byte("monitor.example.net")}
	intranetID = policy.Identity{Type: wire.ID_FQDN, Data: []byte("h7.intranet.example")}
	serverID   = policy.Identity{Type: wire.ID_FQDN, Data: []byte("server.dmz.example")}
)

// gatewayAConfig is gateway A's policy: the seed's SPD and a PAD for gateway
// B (4.5.6.7), a branch that may stand for the upper half of 5.6.7.0/24
// only, and a monitor that may set up IKE SAs but no Child SAs.
func gatewayAConfig() policy.Config {
	psk := []wire.AuthMethod{wire.AuthSharedKeyMIC}
	return policy.Config{SPD: gatewayALocalRemote(), PAD: []policy.PADEntry{
		{Name: "gateway B", ID: policy.IDMatch{Type: wire.ID_IPV4_ADDR, Addrs: rng("4.5.6.7")}, Auth: psk,
			PeerAddrs: rng("4.5.6.7"), Children: []string{vpn}, RemoteAddrs: rng("5.6.7.0/24")},
		{Name: "branch", ID: policy.IDMatch{Type: wire.ID_FQDN, Name: "branch.example.net"}, Auth: psk,
			PeerAddrs: rng("*"), Children: []string{vpn}, RemoteAddrs: rng("5.6.7.128/25")},
		{Name: "monitor", ID: policy.IDMatch{Type: wire.ID_FQDN, Name: ".example.net"}, Auth: psk, PeerAddrs: rng("*")},
	}}
}

func hostConfig() policy.Config {
	sig := []wire.AuthMethod{wire.AuthRSASig, wire.AuthECDSA256}
	return policy.Config{SPD: hostSPD(), PAD: []policy.PADEntry{
		{Name: "DMZ server", ID: policy.IDMatch{Type: wire.ID_FQDN, Name: "server.dmz.example"}, Auth: sig,
			PeerAddrs: rng("1.2.4.10"), Children: []string{hostServer}, RemoteAddrs: rng("1.2.4.10")},
		{Name: "intranet hosts", ID: policy.IDMatch{Type: wire.ID_FQDN, Name: ".intranet.example"}, Auth: sig,
			PeerAddrs: rng("1.2.3.0/24"), Children: []string{hostIntranet}, RemoteAddrs: rng("1.2.3.0/24")},
	}}
}

func TestAuthorize(t *testing.T) {
	db, err := policy.New(gatewayAConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		id     policy.Identity
		method wire.AuthMethod
		from   string
		entry  string
		err    error
	}{
		{"gateway B", peerB, wire.AuthSharedKeyMIC, "4.5.6.7", "gateway B", nil},
		{"gateway B over a dual-stack socket", peerB, wire.AuthSharedKeyMIC, "::ffff:4.5.6.7", "gateway B", nil},
		{"gateway B's identity from elsewhere", peerB, wire.AuthSharedKeyMIC, "4.5.6.8", "", policy.ErrPeerAddress},
		{"gateway B with a signature", peerB, wire.AuthRSASig, "4.5.6.7", "", policy.ErrAuthMethod},
		{"branch, first match before the .example.net entry", branch, wire.AuthSharedKeyMIC, "198.51.100.1", "branch", nil},
		{"monitor", ikeOnly, wire.AuthSharedKeyMIC, "198.51.100.2", "monitor", nil},
		{"unknown", policy.Identity{Type: wire.ID_FQDN, Data: []byte("evil.example.org")}, wire.AuthSharedKeyMIC, "4.5.6.7", "", policy.ErrUnknownPeer},
	} {
		e, err := db.PAD.Authorize(c.id, c.method, addr(c.from))
		if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) || e.Name != c.entry {
			t.Errorf("%s: entry %q, %v; want %q, %v", c.name, e.Name, err, c.entry, c.err)
		}
	}
}

func ts(proto uint8, r string, ports ...uint16) policy.TS {
	t := policy.TS{Protocol: proto, EndPort: 0xffff}
	if len(ports) == 2 {
		t.StartPort, t.EndPort = ports[0], ports[1]
	}
	ar := rng(r)[0]
	t.Start, t.End = ar.From, ar.To
	return t
}

func tsl(t ...policy.TS) []policy.TS { return t }

func TestNarrow(t *testing.T) {
	gw, err := policy.New(gatewayAConfig())
	if err != nil {
		t.Fatal(err)
	}
	host, err := policy.New(hostConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name                  string
		db                    *policy.Databases
		peer                  policy.Identity
		local, remote         []policy.TS // proposal, this end's terms (responder: TSr, TSi)
		entry                 string
		wantLocal, wantRemote []policy.TS
		wantSelectors         string
		wantMode              policy.Mode
		err                   error
	}{
		{name: "exactly the SPD entry", db: gw, peer: peerB,
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "5.6.7.0/24")), entry: vpn,
			wantLocal: tsl(ts(0, "1.2.3.0/24")), wantRemote: tsl(ts(0, "5.6.7.0/24")),
			wantSelectors: "[* 1.2.3.0/24 <-> 5.6.7.0/24]"},
		{name: "wider: narrowed to the entry (RFC7296-2.9-4)", db: gw, peer: peerB,
			local: tsl(ts(0, "1.2.0.0/16")), remote: tsl(ts(0, "0.0.0.0/0")), entry: vpn,
			wantLocal: tsl(ts(0, "1.2.3.0/24")), wantRemote: tsl(ts(0, "5.6.7.0/24"))},
		{name: "first TS from a packet kept (RFC7296-2.9-2)", db: gw, peer: peerB,
			local:  tsl(ts(6, "1.2.3.5", 80, 80), ts(0, "1.2.0.0/16")),
			remote: tsl(ts(6, "5.6.7.8", 40000, 40000), ts(0, "5.6.0.0/16")), entry: vpn,
			wantLocal:  tsl(ts(6, "1.2.3.5", 80, 80), ts(0, "1.2.3.0/24")),
			wantRemote: tsl(ts(6, "5.6.7.8", 40000, 40000), ts(0, "5.6.7.0/24"))},
		{name: "the PAD limits what a peer stands for (RFC 4301 section 4.4.3.4)", db: gw, peer: branch,
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "5.6.7.0/24")), entry: vpn,
			wantLocal: tsl(ts(0, "1.2.3.0/24")), wantRemote: tsl(ts(0, "5.6.7.128/25"))},
		{name: "branch asking for gateway B's half", db: gw, peer: branch,
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "5.6.7.0/25")), err: policy.ErrTSUnacceptable},
		{name: "outside the SPD entry", db: gw, peer: peerB,
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "9.9.9.0/24")), err: policy.ErrTSUnacceptable},
		{name: "our side swapped with theirs", db: gw, peer: peerB,
			local: tsl(ts(0, "5.6.7.0/24")), remote: tsl(ts(0, "1.2.3.0/24")), err: policy.ErrTSUnacceptable},
		{name: "IKE-only peer", db: gw, peer: ikeOnly,
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "5.6.7.0/24")), err: policy.ErrTSUnacceptable},
		{name: "unknown peer", db: gw, peer: policy.Identity{Type: wire.ID_KEY_ID, Data: []byte{1}},
			local: tsl(ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "5.6.7.0/24")), err: policy.ErrUnknownPeer},
		{name: "ports with protocol 0 are ignored (RFC7296-3.13.1-1)", db: gw, peer: peerB,
			local: tsl(ts(0, "1.2.3.0/24", 80, 80)), remote: tsl(ts(0, "5.6.7.0/24")), err: policy.ErrTSUnacceptable},
		{name: "IPv6 selectors dropped, IPv4 kept", db: gw, peer: peerB,
			local: tsl(ts(0, "2001:db8::/32"), ts(0, "1.2.3.0/24")), remote: tsl(ts(0, "::/0"), ts(17, "5.6.7.0/24")), entry: vpn,
			wantLocal: tsl(ts(0, "1.2.3.0/24")), wantRemote: tsl(ts(17, "5.6.7.0/24")),
			wantSelectors: "[udp 1.2.3.0/24 <-> 5.6.7.0/24]"},
		{name: "DMZ server: narrowed to TCP port 80 on its side", db: host, peer: serverID,
			local: tsl(ts(0, "1.2.3.101")), remote: tsl(ts(0, "1.2.4.10")), entry: hostServer,
			wantLocal: tsl(ts(6, "1.2.3.101")), wantRemote: tsl(ts(6, "1.2.4.10", 80, 80)),
			wantSelectors: "[tcp 1.2.3.101 <-> 1.2.4.10[80]]", wantMode: policy.Transport},
		{name: "DMZ server may not ask for the intranet", db: host, peer: serverID,
			local: tsl(ts(0, "1.2.3.101")), remote: tsl(ts(0, "1.2.3.7")), err: policy.ErrTSUnacceptable},
		{name: "intranet host 1.2.3.7", db: host, peer: intranetID,
			local: tsl(ts(0, "1.2.3.101")), remote: tsl(ts(0, "1.2.3.7")), entry: hostIntranet,
			wantLocal: tsl(ts(0, "1.2.3.101")), wantRemote: tsl(ts(0, "1.2.3.7")), wantMode: policy.Transport},
	} {
		n, err := c.db.PAD.Narrow(c.db.SPD, c.peer, c.local, c.remote)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %+v, %v; want %v", c.name, n, err, c.err)
			}
			continue
		}
		if err != nil || n.Entry != c.entry || n.ESP.Mode != c.wantMode || !slices.Equal(n.Local, c.wantLocal) || !slices.Equal(n.Remote, c.wantRemote) {
			t.Errorf("%s: %+v, %v\nwant entry %q local %v remote %v", c.name, n, err, c.entry, c.wantLocal, c.wantRemote)
			continue
		}
		if c.wantSelectors != "" && fmt.Sprint(n.Selectors) != c.wantSelectors {
			t.Errorf("%s: selectors %v, want %s", c.name, n.Selectors, c.wantSelectors)
		}
		// The initiator's check of this answer: Narrow leaves it unchanged.
		again, err := c.db.PAD.Narrow(c.db.SPD, c.peer, n.Local, n.Remote)
		if err != nil || !slices.Equal(again.Local, n.Local) || !slices.Equal(again.Remote, n.Remote) {
			t.Errorf("%s: narrowing the answer again: %+v, %v", c.name, again, err)
		}
	}
}

// TestNarrowThenInstall walks the responder's path on gateway A: PAD
// check, narrowing, then the SA pair installed for the narrowed entry, whose
// traffic then flows.
func TestNarrowThenInstall(t *testing.T) {
	db, err := policy.New(gatewayAConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PAD.Authorize(peerB, wire.AuthSharedKeyMIC, addr("4.5.6.7")); err != nil {
		t.Fatal(err)
	}
	n, err := db.PAD.Narrow(db.SPD, peerB, tsl(ts(6, "1.2.3.0/24")), tsl(ts(6, "5.6.7.0/24")))
	if err != nil {
		t.Fatal(err)
	}
	in := &policy.SA{SPI: spi1, Mode: n.ESP.Mode, Selectors: n.Selectors, Local: netipAP("2.3.4.5", 0), Remote: netip.AddrPortFrom(n.ESP.Peer, 0)}
	out := &policy.SA{SPI: spi2, Mode: n.ESP.Mode, Selectors: n.Selectors, Local: netipAP("2.3.4.5", 0), Remote: netip.AddrPortFrom(n.ESP.Peer, 0)}
	if err := db.SAD.InstallPair(n.Entry, in, out); err != nil {
		t.Fatal(err)
	}
	if d := db.SPD.Outbound(parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))); d.SA != out {
		t.Errorf("TCP: %+v", d)
	}
	if d := db.SPD.Outbound(parse(t, udp("1.2.3.5", 53, "5.6.7.8", 53))); d.Action != policy.Protect || d.SA != nil {
		t.Errorf("UDP needs another SA: %+v", d)
	}
	if err := db.SAD.CheckInbound(db.SAD.Inbound(spi1), parse(t, tcp("5.6.7.8", 80, "1.2.3.5", 40000))); err != nil {
		t.Error(err)
	}
}

func TestNewCrossChecks(t *testing.T) {
	c := gatewayAConfig()
	c.PAD[0].Children = []string{ike}
	if _, err := policy.New(c); !errors.Is(err, policy.ErrNoEntry) {
		t.Errorf("PAD child naming a BYPASS entry: %v", err)
	}
	c = gatewayAConfig()
	c.SPD = append(c.SPD, c.SPD[0])
	if _, err := policy.New(c); !errors.Is(err, policy.ErrDuplicate) {
		t.Errorf("duplicate SPD entry: %v", err)
	}
}

// within reports whether every packet a accepts, b accepts.
func within(a, b policy.TS) bool {
	ap, _ := policy.PortsFromTS(a.StartPort, a.EndPort)
	bp, _ := policy.PortsFromTS(b.StartPort, b.EndPort)
	bf, bt, bRange := bp.Range()
	af, at, aRange := ap.Range()
	ports := bp.IsAny() || bp.IsOpaque() && ap.IsOpaque() || bRange && aRange && bf <= af && at <= bt
	return a.Start.BitLen() == b.Start.BitLen() && b.Start.Compare(a.Start) <= 0 && a.End.Compare(b.End) <= 0 &&
		(b.Protocol == 0 || a.Protocol == b.Protocol) && ports
}

func withinAny(a policy.TS, bs []policy.TS) bool {
	return slices.ContainsFunc(bs, func(b policy.TS) bool { return within(a, b) })
}

func TestNarrowProperty(t *testing.T) {
	db, err := policy.New(gatewayAConfig())
	if err != nil {
		t.Fatal(err)
	}
	genTS := gopter.CombineGens(
		gen.OneConstOf(uint8(0), uint8(6), uint8(17)),
		gen.OneConstOf("1.2.3.5", "1.2.3.0/24", "1.2.0.0/16", "5.6.7.8", "5.6.7.0/24", "5.6.7.128/25", "0.0.0.0/0", "2001:db8::/32"),
		gen.OneConstOf([2]uint16{0, 0xffff}, [2]uint16{80, 80}, [2]uint16{1024, 0xffff}, [2]uint16{0xffff, 0}),
	).Map(func(v []any) policy.TS {
		p := v[2].([2]uint16)
		if v[0].(uint8) == 0 {
			p = [2]uint16{0, 0xffff}
		}
		return ts(v[0].(uint8), v[1].(string), p[0], p[1])
	})
	vpnTS := policy.Selector{Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24")}
	vpnLocal, vpnRemote := vpnTS.TS()
	props := proptest.Properties(t)
	props.Property("narrowed selectors lie within the proposal, the SPD entry and the PAD entry", prop.ForAll(
		func(local, remote []policy.TS, branchPeer bool) string {
			peer, allowed := peerB, ts(0, "5.6.7.0/24")
			if branchPeer {
				peer, allowed = branch, ts(0, "5.6.7.128/25")
			}
			n, err := db.PAD.Narrow(db.SPD, peer, local, remote)
			if err != nil {
				return ""
			}

			for _, l := range n.Local {
				if !withinAny(l, local) || !withinAny(l, vpnLocal) {
					return fmt.Sprintf("local %v outside the proposal %v or the entry", l, local)
				}
			}
			for _, r := range n.Remote {
				if !withinAny(r, remote) || !withinAny(r, vpnRemote) || !within(r, allowed) {
					return fmt.Sprintf("remote %v outside the proposal %v, the entry or the PAD", r, remote)
				}
			}
			if len(n.Selectors) == 0 {
				return "no selectors"
			}
			first, err := db.PAD.Narrow(db.SPD, peer, local[:1], remote[:1])
			if err == nil && slices.Equal(first.Local, local[:1]) && slices.Equal(first.Remote, remote[:1]) &&
				(!slices.Contains(n.Local, local[0]) || !slices.Contains(n.Remote, remote[0])) {
				return fmt.Sprintf("first choices %v, %v acceptable but not kept: %v, %v", local[0], remote[0], n.Local, n.Remote)
			}
			return ""
		},
		gen.SliceOfN(3, genTS).SuchThat(func(s []policy.TS) bool { return len(s) > 0 }),
		gen.SliceOfN(3, genTS).SuchThat(func(s []policy.TS) bool { return len(s) > 0 }),
		gen.Bool()))
	props.TestingRun(t)
}
