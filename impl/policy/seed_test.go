package policy_test

// The seed's SPD and SAD examples (gateway A in the local/remote
// convention and again in the source/destination convention with the
// mirror flag, and host 1.2.3.101), each with packets in both directions
// and the decision RFC 4301 sections 5.1 and 5.2 give for them. The
// addresses are the seed's; they are data, no traffic is sent.

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

const (
	spi1 = 0x00001001 // gateway A inbound: TCP, 1.2.3.0/24, 5.6.7.0/24, ESP tunnel from 4.5.6.7
	spi2 = 0x00002002 // gateway A outbound: ESP tunnel to 4.5.6.7

	spiIntranetIn  = 0x00003001 // host: transport SA pair with intranet host 1.2.3.7
	spiIntranetOut = 0x00003002
	spiServerIn    = 0x00004001 // host: transport SA pair with the DMZ server, TCP port 80
	spiServerOut   = 0x00004002
)

// decision is what a lookup should return: the action, why a packet is
// dropped, the entry that matched ("" for none) and, for an outbound
// PROTECT decision, the SPI of the SA to use (0: none yet).
type decision struct {
	action policy.Action
	reason policy.Reason
	entry  string
	spi    uint32
}

func bypass(entry string) decision { return decision{policy.Bypass, policy.NotDropped, entry, 0} }
func discard(entry string) decision {
	return decision{policy.Discard, policy.DiscardEntry, entry, 0}
}
func protect(entry string, spi uint32) decision {
	return decision{policy.Protect, policy.NotDropped, entry, spi}
}
func clearProtected(entry string) decision {
	return decision{policy.Discard, policy.ClearProtected, entry, 0}
}

var noMatch = decision{policy.Discard, policy.NoMatch, "", 0}

type lookupCase struct {
	name string
	dir  policy.Direction
	pkt  spec
	want decision
}

// checkCase is a packet that arrived on an inbound SA, after decryption.
type checkCase struct {
	name string
	spi  uint32
	pkt  spec
	err  error // nil: accepted
}

const (
	vpn      = "Protect VPN traffic"
	ike      = "IKE"
	otherGWs = "All other peers"
)

// gatewayALocalRemote is the seed's "SPD of gateway A, interface 2".
func gatewayALocalRemote() []policy.Entry {
	return []policy.Entry{
		{Name: ike, Action: policy.Bypass, Match: policy.Selector{Protocol: policy.ProtoUDP,
			Local: rng("2.3.4.5"), LocalPorts: policy.Port(500), Remote: rng("4.5.6.7"), RemotePorts: policy.Port(500)}},
		{Name: vpn, Action: policy.Protect, ESP: policy.ESP{Mode: policy.Tunnel, Peer: addr("4.5.6.7")},
			Match: policy.Selector{Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24")}},
		{Name: otherGWs, Action: policy.Bypass, Match: policy.Selector{Local: rng("*"), Remote: rng("*")}},
	}
}

// gatewayAMirror is the same policy in the source/destination convention
// with the mirror flag set on every entry.
func gatewayAMirror() []policy.Entry {
	return []policy.Entry{
		{Name: ike, Action: policy.Bypass, Match: policy.Flow{Mirror: true, Protocol: policy.ProtoUDP,
			Src: rng("2.3.4.5"), SrcPorts: policy.Port(500), Dst: rng("4.5.6.7"), DstPorts: policy.Port(500)}},
		{Name: vpn, Action: policy.Protect, ESP: policy.ESP{Mode: policy.Tunnel, Peer: addr("4.5.6.7")},
			Match: policy.Flow{Mirror: true, Src: rng("1.2.3.0/24"), Dst: rng("5.6.7.0/24")}},
		{Name: otherGWs, Action: policy.Bypass, Match: policy.Flow{Mirror: true, Src: rng("*"), Dst: rng("*")}},
	}
}

// gatewayASAD installs the seed's "SAD of gateway A" for the VPN entry.
func gatewayASAD(t *testing.T, spd *policy.SPD) (*policy.SAD, *policy.SA, *policy.SA) {
	t.Helper()
	sad := policy.NewSAD(spd)
	in := &policy.SA{SPI: spi1, Mode: policy.Tunnel,
		Selectors: []policy.Selector{{Protocol: policy.ProtoTCP, Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24")}},
		Local:     netipAP("2.3.4.5", 0), Remote: netipAP("4.5.6.7", 0)}
	out := &policy.SA{SPI: spi2, Mode: policy.Tunnel, // the seed's "—": no selectors of its own
		Local: netipAP("2.3.4.5", 0), Remote: netipAP("4.5.6.7", 0)}
	if err := sad.InstallPair(vpn, in, out); err != nil {
		t.Fatal(err)
	}
	return sad, in, out
}

var gatewayACases = []lookupCase{
	// Outbound: from gateway A itself or the protected network 1.2.3.0/24.
	{"IKE request", policy.Outbound, udp("2.3.4.5", 500, "4.5.6.7", 500), bypass(ike)},
	{"VPN TCP", policy.Outbound, tcp("1.2.3.5", 40000, "5.6.7.8", 80), protect(vpn, spi2)},
	{"VPN TCP from port 1023", policy.Outbound, tcp("1.2.3.5", 1023, "5.6.7.8", 1024), protect(vpn, spi2)},
	{"VPN UDP (spi2 has no selectors)", policy.Outbound, udp("1.2.3.5", 53, "5.6.7.8", 53), protect(vpn, spi2)},
	{"VPN ICMP echo", policy.Outbound, icmp("1.2.3.5", "5.6.7.8", 8, 0), protect(vpn, spi2)},
	{"VPN non-initial fragment (ports ANY)", policy.Outbound, tcp("1.2.3.5", 40000, "5.6.7.8", 80).nonInitial(), protect(vpn, spi2)},
	{"to the Internet", policy.Outbound, tcp("1.2.3.5", 1024, "8.8.8.8", 443), bypass(otherGWs)},
	{"IKE to another gateway", policy.Outbound, udp("2.3.4.5", 500, "4.5.6.8", 500), bypass(otherGWs)},
	{"NAT-T port 4500 is not the IKE entry", policy.Outbound, udp("2.3.4.5", 4500, "4.5.6.7", 4500), bypass(otherGWs)},
	{"outside the VPN prefix", policy.Outbound, tcp("1.2.4.5", 40000, "5.6.7.8", 80), bypass(otherGWs)},
	// Inbound: clear packets from the unprotected side.
	{"IKE response", policy.Inbound, udp("4.5.6.7", 500, "2.3.4.5", 500), bypass(ike)},
	{"IKE from another port", policy.Inbound, udp("4.5.6.7", 1024, "2.3.4.5", 500), bypass(otherGWs)},
	{"VPN traffic in the clear", policy.Inbound, tcp("5.6.7.8", 80, "1.2.3.5", 40000), clearProtected(vpn)},
	{"VPN ICMP in the clear", policy.Inbound, icmp("5.6.7.8", "1.2.3.5", 0, 0), clearProtected(vpn)},
	{"Internet reply", policy.Inbound, tcp("8.8.8.8", 443, "1.2.3.5", 1024), bypass(otherGWs)},
	{"Internet ICMP", policy.Inbound, icmp("8.8.8.8", "1.2.3.5", 3, 4), bypass(otherGWs)},
	{"IPv6 (ANY covers both families)", policy.Inbound, tcp("2001:db8::1", 443, "2001:db8::2", 1024), bypass(otherGWs)},
}

var gatewayAChecks = []checkCase{
	{"TCP inside the SA", spi1, tcp("5.6.7.8", 80, "1.2.3.5", 40000), nil},
	{"TCP, low ports", spi1, tcp("5.6.7.1", 1023, "1.2.3.254", 1024), nil},
	{"TCP non-initial fragment (SA ports ANY)", spi1, tcp("5.6.7.8", 80, "1.2.3.5", 40000).nonInitial(), nil},
	{"UDP: spi1 carries TCP only", spi1, udp("5.6.7.8", 53, "1.2.3.5", 53), policy.ErrSelectors},
	{"inner source outside 5.6.7.0/24", spi1, tcp("9.9.9.9", 80, "1.2.3.5", 40000), policy.ErrSelectors},
	{"inner destination outside 1.2.3.0/24", spi1, tcp("5.6.7.8", 80, "1.2.4.5", 40000), policy.ErrSelectors},
	{"reversed: our side as the source", spi1, tcp("1.2.3.5", 40000, "5.6.7.8", 80), policy.ErrSelectors},
}

func TestSeedGatewayA(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []policy.Entry
	}{
		{"local/remote", gatewayALocalRemote()},
		{"source/destination with mirror", gatewayAMirror()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spd, err := policy.NewSPD(tc.entries...)
			if err != nil {
				t.Fatal(err)
			}
			sad, _, out := gatewayASAD(t, spd)
			runLookups(t, spd, gatewayACases)
			runChecks(t, sad, gatewayAChecks)
			if got := spd.Entries()[1].Pairs; len(got) != 1 || got[0] != [2]uint32{spi1, spi2} {
				t.Errorf("VPN entry points at %x, want the pair spi1/spi2", got)
			}
			if out.Pair().SPI != spi1 || out.Entry() != vpn {
				t.Errorf("spi2: pair %#x, entry %q", out.Pair().SPI, out.Entry())
			}
		})
	}
}

// TestSeedGatewayAConventionsAgree: both tables of gateway A give the same
// decision, entry and SA for every packet of the table and for its reply
// (the reversed packet, travelling the other way).
func TestSeedGatewayAConventionsAgree(t *testing.T) {
	lr, mi := gatewayABoth(t)
	for _, c := range gatewayACases {
		for _, s := range []struct {
			pkt spec
			dir policy.Direction
		}{{c.pkt, c.dir}, {c.pkt.reverse(), opposite(c.dir)}} {
			p := parse(t, s.pkt)
			if a, b := lookup(lr, p, s.dir), lookup(mi, p, s.dir); a != b {
				t.Errorf("%s: %v %v: local/remote %+v, mirrored %+v", c.name, s.dir, p, a, b)
			}
		}
	}
}

// TestSeedGatewayAConventionsDiffer pins where the two tables part: a
// mirrored entry cannot tell which end is local, so it also matches packets
// whose source is in its destination column. Gateway A sees such packets
// only if its protected side sends with the remote network's addresses
// (misrouting or spoofing): the local/remote table bypasses them, the
// mirrored one tunnels them to 4.5.6.7.
func TestSeedGatewayAConventionsDiffer(t *testing.T) {
	lr, mi := gatewayABoth(t)
	p := parse(t, tcp("5.6.7.8", 80, "1.2.3.5", 40000))
	if got := lookup(lr, p, policy.Outbound); got != bypass(otherGWs) {
		t.Errorf("local/remote: outbound %v: %+v", p, got)
	}
	if got := lookup(mi, p, policy.Outbound); got != protect(vpn, spi2) {
		t.Errorf("mirrored: outbound %v: %+v", p, got)
	}
	views := gatewayAMirror()[1].Match.Views()
	if len(views) != 2 || fmt.Sprint(views[1].Selector) != "* 5.6.7.0/24 <-> 1.2.3.0/24" {
		t.Errorf("mirrored VPN entry's views: %v", views)
	}
}

func gatewayABoth(t *testing.T) (lr, mirrored *policy.SPD) {
	t.Helper()
	lr, err := policy.NewSPD(gatewayALocalRemote()...)
	if err != nil {
		t.Fatal(err)
	}
	mirrored, err = policy.NewSPD(gatewayAMirror()...)
	if err != nil {
		t.Fatal(err)
	}
	gatewayASAD(t, lr)
	gatewayASAD(t, mirrored)
	return lr, mirrored
}

func opposite(d policy.Direction) policy.Direction {
	if d == policy.Outbound {
		return policy.Inbound
	}
	return policy.Outbound
}

const (
	hostIKE      = "IKE"
	hostICMP     = "Error messages"
	hostIntranet = "Encrypt intranet traffic"
	hostServer   = "Encrypt to server in DMZ"
	hostTLS      = "Allow TLS to server in DMZ"
	hostDMZ      = "Others in DMZ"
	hostInternet = "Internet"
)

// hostSPD is the seed's "SPD for host 1.2.3.101 in intranet 1.2.3.0/24,
// connecting to server 1.2.4.10 in network 1.2.4.0/24 (DMZ) and to the
// Internet". Its columns are Local and Remote: every entry applies to both
// directions.
func hostSPD() []policy.Entry {
	transport := policy.ESP{Mode: policy.Transport}
	return []policy.Entry{
		{Name: hostIKE, Action: policy.Bypass, Match: policy.Selector{Protocol: policy.ProtoUDP,
			Local: rng("1.2.3.101"), LocalPorts: policy.Port(500), Remote: rng("*"), RemotePorts: policy.Port(500)}},
		{Name: hostICMP, Action: policy.Bypass, Match: policy.Selector{Protocol: policy.ProtoICMP,
			Local: rng("1.2.3.101"), Remote: rng("*")}},
		{Name: hostIntranet, Action: policy.Protect, ESP: transport, Match: policy.Selector{
			Local: rng("1.2.3.101"), Remote: rng("1.2.3.0/24")}},
		{Name: hostServer, Action: policy.Protect, ESP: transport, Match: policy.Selector{Protocol: policy.ProtoTCP,
			Local: rng("1.2.3.101"), Remote: rng("1.2.4.10"), RemotePorts: policy.Port(80)}},
		{Name: hostTLS, Action: policy.Bypass, Match: policy.Selector{Protocol: policy.ProtoTCP,
			Local: rng("1.2.3.101"), LocalPorts: policy.PortRange(1024, 65535), Remote: rng("1.2.4.10"), RemotePorts: policy.Port(443)}},
		{Name: hostDMZ, Action: policy.Discard, Match: policy.Selector{Local: rng("1.2.3.101"), Remote: rng("1.2.4.0/24")}},
		{Name: hostInternet, Action: policy.Bypass, Match: policy.Selector{Local: rng("1.2.3.101"), Remote: rng("*")}},
	}
}

// hostSAD installs two pairs the host's IKE created: one with intranet
// host 1.2.3.7 (narrowed to that host) and one with the DMZ server (TCP
// port 80; its outbound SA carries the selectors too).
func hostSAD(t *testing.T, spd *policy.SPD) *policy.SAD {
	t.Helper()
	sad := policy.NewSAD(spd)
	intranet := []policy.Selector{{Local: rng("1.2.3.101"), Remote: rng("1.2.3.7")}}
	server := []policy.Selector{{Protocol: policy.ProtoTCP, Local: rng("1.2.3.101"), Remote: rng("1.2.4.10"), RemotePorts: policy.Port(80)}}
	for _, p := range []struct {
		entry   string
		in, out uint32
		sels    []policy.Selector
		peer    string
	}{
		{hostIntranet, spiIntranetIn, spiIntranetOut, intranet, "1.2.3.7"},
		{hostServer, spiServerIn, spiServerOut, server, "1.2.4.10"},
	} {
		in := &policy.SA{SPI: p.in, Mode: policy.Transport, Selectors: p.sels, Local: netipAP("1.2.3.101", 0), Remote: netipAP(p.peer, 0)}
		out := &policy.SA{SPI: p.out, Mode: policy.Transport, Selectors: p.sels, Local: netipAP("1.2.3.101", 0), Remote: netipAP(p.peer, 0)}
		if err := sad.InstallPair(p.entry, in, out); err != nil {
			t.Fatal(err)
		}
	}
	return sad
}

var hostCases = []lookupCase{
	// Outbound.
	{"IKE to the DMZ server", policy.Outbound, udp("1.2.3.101", 500, "1.2.4.10", 500), bypass(hostIKE)},
	{"IKE to the Internet", policy.Outbound, udp("1.2.3.101", 500, "8.8.8.8", 500), bypass(hostIKE)},
	{"IKE to an intranet host", policy.Outbound, udp("1.2.3.101", 500, "1.2.3.7", 500), bypass(hostIKE)},
	{"NAT-T port 4500 to an intranet host is protected", policy.Outbound, udp("1.2.3.101", 4500, "1.2.3.7", 4500), protect(hostIntranet, spiIntranetOut)},
	{"ICMP echo to an intranet host", policy.Outbound, icmp("1.2.3.101", "1.2.3.7", 8, 0), bypass(hostICMP)},
	{"ICMP unreachable into the DMZ", policy.Outbound, icmp("1.2.3.101", "1.2.4.99", 3, 3), bypass(hostICMP)},
	{"intranet TCP with an SA", policy.Outbound, tcp("1.2.3.101", 40000, "1.2.3.7", 22), protect(hostIntranet, spiIntranetOut)},
	{"intranet TCP without an SA yet", policy.Outbound, tcp("1.2.3.101", 40000, "1.2.3.9", 22), protect(hostIntranet, 0)},
	{"HTTP to the server", policy.Outbound, tcp("1.2.3.101", 40000, "1.2.4.10", 80), protect(hostServer, spiServerOut)},
	{"HTTP to the server from port 80", policy.Outbound, tcp("1.2.3.101", 80, "1.2.4.10", 80), protect(hostServer, spiServerOut)},
	{"TLS to the server from port 1024", policy.Outbound, tcp("1.2.3.101", 1024, "1.2.4.10", 443), bypass(hostTLS)},
	{"TLS to the server from port 1023", policy.Outbound, tcp("1.2.3.101", 1023, "1.2.4.10", 443), discard(hostDMZ)},
	{"TLS to the server from port 65535", policy.Outbound, tcp("1.2.3.101", 65535, "1.2.4.10", 443), bypass(hostTLS)},
	{"UDP 443 to the server is not TLS", policy.Outbound, udp("1.2.3.101", 1024, "1.2.4.10", 443), discard(hostDMZ)},
	{"other DMZ host 1.2.4.99", policy.Outbound, tcp("1.2.3.101", 40000, "1.2.4.99", 80), discard(hostDMZ)},
	{"non-initial fragment to the server (no ports)", policy.Outbound, tcp("1.2.3.101", 40000, "1.2.4.10", 80).nonInitial(), discard(hostDMZ)},
	{"TCP to 8.8.8.8", policy.Outbound, tcp("1.2.3.101", 40000, "8.8.8.8", 443), bypass(hostInternet)},
	{"DNS to 8.8.8.8", policy.Outbound, udp("1.2.3.101", 5353, "8.8.8.8", 53), bypass(hostInternet)},
	{"not from this host", policy.Outbound, tcp("1.2.3.50", 40000, "8.8.8.8", 80), noMatch},
	{"IPv6: no entry", policy.Outbound, tcp("2001:db8::1", 40000, "2001:db8::2", 80), noMatch},
	// Inbound.
	{"IKE from the DMZ server", policy.Inbound, udp("1.2.4.10", 500, "1.2.3.101", 500), bypass(hostIKE)},
	{"intranet TCP in the clear", policy.Inbound, tcp("1.2.3.7", 22, "1.2.3.101", 40000), clearProtected(hostIntranet)},
	{"HTTP from the server in the clear", policy.Inbound, tcp("1.2.4.10", 80, "1.2.3.101", 40000), clearProtected(hostServer)},
	{"TLS reply to port 1024", policy.Inbound, tcp("1.2.4.10", 443, "1.2.3.101", 1024), bypass(hostTLS)},
	{"TLS reply to port 1023", policy.Inbound, tcp("1.2.4.10", 443, "1.2.3.101", 1023), discard(hostDMZ)},
	{"from DMZ host 1.2.4.99", policy.Inbound, tcp("1.2.4.99", 80, "1.2.3.101", 40000), discard(hostDMZ)},
	{"ICMP echo reply from 8.8.8.8", policy.Inbound, icmp("8.8.8.8", "1.2.3.101", 0, 0), bypass(hostICMP)},
	{"TCP from 8.8.8.8", policy.Inbound, tcp("8.8.8.8", 443, "1.2.3.101", 40000), bypass(hostInternet)},
	{"for another host", policy.Inbound, tcp("8.8.8.8", 443, "1.2.3.102", 40000), noMatch},
}

var hostChecks = []checkCase{
	{"intranet TCP from 1.2.3.7", spiIntranetIn, tcp("1.2.3.7", 22, "1.2.3.101", 40000), nil},
	{"intranet TCP from 1.2.3.8 on 1.2.3.7's SA", spiIntranetIn, tcp("1.2.3.8", 22, "1.2.3.101", 40000), policy.ErrSelectors},
	{"ICMP on the intranet SA: the SPD bypasses it", spiIntranetIn, icmp("1.2.3.7", "1.2.3.101", 0, 0), policy.ErrPolicy},
	{"IKE on the intranet SA: the SPD bypasses it", spiIntranetIn, udp("1.2.3.7", 500, "1.2.3.101", 500), policy.ErrPolicy},
	{"HTTP from the server", spiServerIn, tcp("1.2.4.10", 80, "1.2.3.101", 40000), nil},
	{"TLS from the server on the HTTP SA", spiServerIn, tcp("1.2.4.10", 443, "1.2.3.101", 40000), policy.ErrSelectors},
	{"non-initial fragment on the HTTP SA (RFC4301-4.4.1.1-5)", spiServerIn, tcp("1.2.4.10", 80, "1.2.3.101", 40000).nonInitial(), policy.ErrSelectors},
	{"DMZ host 1.2.4.99 on the server's SA", spiServerIn, tcp("1.2.4.99", 80, "1.2.3.101", 40000), policy.ErrSelectors},
}

func TestSeedHost(t *testing.T) {
	spd, err := policy.NewSPD(hostSPD()...)
	if err != nil {
		t.Fatal(err)
	}
	sad := hostSAD(t, spd)
	runLookups(t, spd, hostCases)
	runChecks(t, sad, hostChecks)
}

func lookup(spd *policy.SPD, p policy.Packet, dir policy.Direction) decision {
	var d policy.Decision
	if dir == policy.Outbound {
		d = spd.Outbound(p)
	} else {
		d = spd.Inbound(p)
	}
	got := decision{d.Action, d.Reason, d.Entry.Name, 0}
	if d.SA != nil {
		got.spi = d.SA.SPI
	}
	return got
}

// runLookups checks every case's decision, then that each entry counted
// exactly the cases that named it.
func runLookups(t *testing.T, spd *policy.SPD, cases []lookupCase) {
	t.Helper()
	want := map[string]policy.Counters{}
	var unmatchedOut, unmatchedIn uint64
	for _, c := range cases {
		p := parse(t, c.pkt)
		if got := lookup(spd, p, c.dir); got != c.want {
			t.Errorf("%s: %v %v: got %+v, want %+v", c.name, c.dir, p, got, c.want)
		}
		n := want[c.want.entry]
		switch {
		case c.want.entry == "" && c.dir == policy.Outbound:
			unmatchedOut++
		case c.want.entry == "":
			unmatchedIn++
		case c.dir == policy.Outbound:
			n.Outbound++
			if c.want.action == policy.Protect && c.want.spi == 0 {
				n.NoSA++
			}
		default:
			n.Inbound++
			if c.want.reason == policy.ClearProtected {
				n.ClearDropped++
			}
		}
		want[c.want.entry] = n
	}
	for _, e := range spd.Entries() {
		if e.Counters != want[e.Name] {
			t.Errorf("entry %q counted %+v, want %+v", e.Name, e.Counters, want[e.Name])
		}
	}
	if o, i := spd.Unmatched(); o != unmatchedOut || i != unmatchedIn {
		t.Errorf("unmatched: %d outbound, %d inbound; want %d, %d", o, i, unmatchedOut, unmatchedIn)
	}
}

// runChecks checks the inbound SA check of every case, then the SAs'
// counters.
func runChecks(t *testing.T, sad *policy.SAD, cases []checkCase) {
	t.Helper()
	want := map[uint32]policy.SACounters{}
	for _, c := range cases {
		sa := sad.Inbound(c.spi)
		if sa == nil {
			t.Fatalf("%s: no inbound SA %#x", c.name, c.spi)
		}
		p := parse(t, c.pkt)
		err := sad.CheckInbound(sa, p)
		if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
			t.Errorf("%s: CheckInbound(%#x, %v) = %v, want %v", c.name, c.spi, p, err, c.err)
		}
		n := want[c.spi]
		switch c.err {
		case nil:
			n.Accepted++
		case policy.ErrSelectors:
			n.Outside++
		case policy.ErrPolicy:
			n.Mismatch++
		}
		want[c.spi] = n
	}
	for spi, n := range want {
		if got := sad.Inbound(spi).Counters(); got != n {
			t.Errorf("SA %#x counted %+v, want %+v", spi, got, n)
		}
	}
}

// TestSeedRendering prints the tables as the seed writes them, for the
// reader of `go test -v`, and pins the notation.
func TestSeedRendering(t *testing.T) {
	for _, tc := range []struct {
		entries []policy.Entry
		want    []string
	}{
		{gatewayALocalRemote(), []string{
			"IKE: udp 2.3.4.5[500] <-> 4.5.6.7[500] BYPASS",
			"Protect VPN traffic: * 1.2.3.0/24 <-> 5.6.7.0/24 PROTECT ESP tunnel to 4.5.6.7",
			"All other peers: * * <-> * BYPASS",
		}},
		{gatewayAMirror(), []string{
			"IKE: mirror udp 2.3.4.5[500] -> 4.5.6.7[500] BYPASS",
			"Protect VPN traffic: mirror * 1.2.3.0/24 -> 5.6.7.0/24 PROTECT ESP tunnel to 4.5.6.7",
			"All other peers: mirror * * -> * BYPASS",
		}},
		{hostSPD(), []string{
			"IKE: udp 1.2.3.101[500] <-> *[500] BYPASS",
			"Error messages: icmp 1.2.3.101 <-> * BYPASS",
			"Encrypt intranet traffic: * 1.2.3.101 <-> 1.2.3.0/24 PROTECT ESP transport",
			"Encrypt to server in DMZ: tcp 1.2.3.101 <-> 1.2.4.10[80] PROTECT ESP transport",
			"Allow TLS to server in DMZ: tcp 1.2.3.101[>=1024] <-> 1.2.4.10[443] BYPASS",
			"Others in DMZ: * 1.2.3.101 <-> 1.2.4.0/24 DISCARD",
			"Internet: * 1.2.3.101 <-> * BYPASS",
		}},
	} {
		spd, err := policy.NewSPD(tc.entries...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%v", spd)
		for i, e := range spd.Entries() {
			if got := fmt.Sprint(e.Entry); got != tc.want[i] {
				t.Errorf("entry %d: %q, want %q", i, got, tc.want[i])
			}
		}
	}
	spd, err := policy.NewSPD(gatewayALocalRemote()...)
	if err != nil {
		t.Fatal(err)
	}
	_, in, out := gatewayASAD(t, spd)
	for sa, want := range map[*policy.SA]string{
		in:  "spi 0x00001001 inbound ESP tunnel 4.5.6.7 -> 2.3.4.5 [tcp 1.2.3.0/24 <-> 5.6.7.0/24]",
		out: "spi 0x00002002 outbound ESP tunnel 2.3.4.5 -> 4.5.6.7 []",
	} {
		if got := sa.String(); got != want {
			t.Errorf("SA: %q, want %q", got, want)
		}
	}
}
