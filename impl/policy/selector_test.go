package policy_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/internal/proptest"
)

func pkt(proto uint8, src string, sport uint16, dst string, dport uint16) policy.Packet {
	return policy.Packet{Src: addr(src), Dst: addr(dst), Protocol: proto, SrcPort: sport, DstPort: dport}
}

func icmpPkt(src, dst string, typ, code uint8) policy.Packet {
	return policy.Packet{Src: addr(src), Dst: addr(dst), Protocol: policy.ProtoICMP, SrcPort: uint16(typ)<<8 | uint16(code), PortState: policy.PortsSender}
}

func opaque(p policy.Packet) policy.Packet {
	p.SrcPort, p.DstPort, p.PortState, p.Fragment, p.NonInitial = 0, 0, policy.PortsOpaque, true, true
	return p
}

func TestPortsMatch(t *testing.T) {
	tcpSel := func(local, remote policy.Ports) policy.Selector {
		return policy.Selector{Protocol: policy.ProtoTCP, Local: rng("*"), Remote: rng("*"), LocalPorts: local, RemotePorts: remote}
	}
	out := pkt(policy.ProtoTCP, "1.1.1.1", 1024, "2.2.2.2", 443)
	for _, c := range []struct {
		name string
		sel  policy.Selector
		p    policy.Packet
		want bool
	}{
		{"ANY matches a port", tcpSel(policy.AnyPorts(), policy.AnyPorts()), out, true},
		{"ANY matches OPAQUE (RFC 4301 section 7.1)", tcpSel(policy.AnyPorts(), policy.AnyPorts()), opaque(out), true},
		{"0-65535 is ANY (RFC7296-3.13.1-3)", tcpSel(policy.PortRange(0, 65535), policy.AnyPorts()), opaque(out), true},
		{"range lower edge", tcpSel(policy.PortRange(1024, 65535), policy.Port(443)), out, true},
		{"range below", tcpSel(policy.PortRange(1025, 65535), policy.Port(443)), out, false},
		{"range does not match OPAQUE (RFC4301-4.4.1.1-5)", tcpSel(policy.PortRange(1, 65535), policy.AnyPorts()), opaque(out), false},
		{"OPAQUE matches OPAQUE", tcpSel(policy.OpaquePorts(), policy.OpaquePorts()), opaque(out), true},
		{"OPAQUE does not match a port", tcpSel(policy.OpaquePorts(), policy.AnyPorts()), out, false},
		{"other protocol", tcpSel(policy.AnyPorts(), policy.AnyPorts()), pkt(policy.ProtoUDP, "1.1.1.1", 1, "2.2.2.2", 2), false},
		{"other family", tcpSel(policy.AnyPorts(), policy.AnyPorts()), pkt(policy.ProtoTCP, "::1", 1, "::2", 2), true},
		{"IPv4 ranges only", policy.Selector{Local: rng("0.0.0.0/0"), Remote: rng("0.0.0.0/0")}, pkt(policy.ProtoTCP, "::1", 1, "::2", 2), false},
	} {
		if got := c.sel.Matches(c.p, policy.Outbound); got != c.want {
			t.Errorf("%s: %v matches outbound %v = %v", c.name, c.sel, c.p, got)
		}
	}
}

// TestICMPSelectors: the ICMP type and code are the sender's "port"
// (RFC 4301 section 4.4.1.3): LocalPorts lists what this end may send,
// RemotePorts what it may receive.
func TestICMPSelectors(t *testing.T) {
	sel := func(local, remote policy.Ports) policy.Selector {
		return policy.Selector{Protocol: policy.ProtoICMP, Local: rng("10.0.0.0/8"), Remote: rng("*"), LocalPorts: local, RemotePorts: remote}
	}
	echoOut := icmpPkt("10.0.0.1", "8.8.8.8", 8, 0)
	echoIn := icmpPkt("8.8.8.8", "10.0.0.1", 8, 0)
	echo := policy.ICMPType(8)
	for _, c := range []struct {
		name    string
		sel     policy.Selector
		out, in bool
	}{
		{"B: send and receive", sel(echo, echo), true, true},
		{"C: send, not receive", sel(echo, policy.OpaquePorts()), true, false},
		{"D: receive, not send", sel(policy.OpaquePorts(), echo), false, true},
		{"traceroute example of section 4.4.1.3", sel(policy.ICMPType(30), policy.OpaquePorts()), false, false},
		{"ANY", sel(policy.AnyPorts(), policy.AnyPorts()), true, true},
	} {
		if got := c.sel.Matches(echoOut, policy.Outbound); got != c.out {
			t.Errorf("%s: outbound echo: %v", c.name, got)
		}
		if got := c.sel.Matches(echoIn, policy.Inbound); got != c.in {
			t.Errorf("%s: inbound echo: %v", c.name, got)
		}
	}
	// RFC4301-4.4.1.1-6: (T-start*256)+C-start <= t*256+c <= (T-end*256)+C-end.
	r := sel(policy.PortRange(3<<8|2, 5<<8|1), policy.AnyPorts())
	for _, c := range []struct {
		typ, code uint8
		want      bool
	}{{3, 1, false}, {3, 2, true}, {4, 200, true}, {5, 1, true}, {5, 2, false}} {
		if got := r.Matches(icmpPkt("10.0.0.1", "8.8.8.8", c.typ, c.code), policy.Outbound); got != c.want {
			t.Errorf("type %d code %d in 3/2-5/1: %v", c.typ, c.code, got)
		}
	}
	if s := fmt.Sprint(sel(policy.ICMPTypeCode(3, 4), policy.ICMPType(0))); s != "icmp 10.0.0.0/8[type 3 code 4] <-> *[type 0]" {
		t.Errorf("String: %s", s)
	}
}

func TestPortsFromTS(t *testing.T) {
	for _, c := range []struct {
		start, end uint16
		want       string
		ok         bool
	}{{0, 65535, "*", true}, {65535, 0, "OPAQUE", true}, {80, 80, "80", true}, {1024, 65535, ">=1024", true}, {10, 5, "", false}} {
		p, ok := policy.PortsFromTS(c.start, c.end)
		if ok != c.ok || ok && p.String() != c.want {
			t.Errorf("PortsFromTS(%d, %d) = %v, %v", c.start, c.end, p, ok)
		}
		if s, e := p.TSRange(); ok && (s != c.start || e != c.end) {
			t.Errorf("%v.TSRange() = %d-%d", p, s, e)
		}
	}
}

func TestSPDValidation(t *testing.T) {
	ok := policy.Selector{Local: rng("*"), Remote: rng("*")}
	for name, e := range map[string]policy.Entry{
		"no name":              {Match: ok},
		"no selectors":         {Name: "x"},
		"empty local":          {Name: "x", Match: policy.Selector{Remote: rng("*")}},
		"empty flow dst":       {Name: "x", Match: policy.Flow{Src: rng("*")}},
		"reversed range":       {Name: "x", Match: policy.Selector{Local: []policy.AddrRange{{From: addr("1.0.0.2"), To: addr("1.0.0.1")}}, Remote: rng("*")}},
		"mixed-family range":   {Name: "x", Match: policy.Selector{Local: []policy.AddrRange{{From: addr("1.0.0.2"), To: addr("::1")}}, Remote: rng("*")}},
		"ports without proto":  {Name: "x", Match: policy.Selector{Local: rng("*"), Remote: rng("*"), LocalPorts: policy.Port(500)}},
		"empty port range":     {Name: "x", Match: policy.Selector{Protocol: 6, Local: rng("*"), Remote: rng("*"), LocalPorts: policy.PortRange(9, 8)}},
		"tunnel without peer":  {Name: "x", Match: ok, Action: policy.Protect},
		"ESP on a BYPASS":      {Name: "x", Match: ok, Action: policy.Bypass, ESP: policy.ESP{Mode: policy.Transport}},
		"unknown action":       {Name: "x", Match: ok, Action: 7},
		"unknown mode":         {Name: "x", Match: ok, Action: policy.Protect, ESP: policy.ESP{Mode: 9}},
		"selector with a zone": {Name: "x", Match: policy.Selector{Local: rng("fe80::1%eth0"), Remote: rng("*")}},
	} {
		if _, err := policy.NewSPD(e); !errors.Is(err, policy.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := policy.NewSPD(policy.Entry{Name: "x", Match: ok}, policy.Entry{Name: "x", Match: ok}); !errors.Is(err, policy.ErrDuplicate) {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestSPDOrder: the administrator's order decides (RFC4301-4.4.1-3,
// RFC4301-4.4.1-8) and changes keep it.
func TestSPDOrder(t *testing.T) {
	all := policy.Selector{Local: rng("*"), Remote: rng("*")}
	web := policy.Selector{Protocol: policy.ProtoTCP, Local: rng("*"), Remote: rng("*"), RemotePorts: policy.Port(80)}
	spd, err := policy.NewSPD(policy.Entry{Name: "web", Match: web, Action: policy.Bypass}, policy.Entry{Name: "rest", Match: all})
	if err != nil {
		t.Fatal(err)
	}
	p := pkt(policy.ProtoTCP, "1.1.1.1", 1024, "2.2.2.2", 80)
	step := func(what, want string) {
		t.Helper()
		if d := spd.Outbound(p); d.Entry.Name != want {
			t.Errorf("%s: %v decided by %q, want %q", what, p, d.Entry.Name, want)
		}
	}
	step("initially", "web")
	if err := spd.Insert(0, policy.Entry{Name: "block web", Match: web}); err != nil {
		t.Fatal(err)
	}
	step("after inserting at the front", "block web")
	if err := spd.Remove("block web"); err != nil {
		t.Fatal(err)
	}
	step("after removing it", "web")
	if err := spd.Remove("web"); err != nil {
		t.Fatal(err)
	}
	step("after removing web", "rest")
	if err := spd.Remove("web"); !errors.Is(err, policy.ErrNoEntry) {
		t.Errorf("removing twice: %v", err)
	}
	if err := spd.Insert(5, policy.Entry{Name: "late", Match: all}); !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("insert beyond the end: %v", err)
	}
}

// flowMatches is the source/destination convention by its definition,
// with no local/remote translation: the property below checks Views
// against it.
func flowMatches(f policy.Flow, p policy.Packet) bool {
	one := func(src, dst []policy.AddrRange, sp, dp policy.Ports, p policy.Packet) bool {
		sel := policy.Selector{Protocol: f.Protocol, Local: src, Remote: dst, LocalPorts: sp, RemotePorts: dp}
		return sel.Matches(p, policy.Outbound) // outbound: local is the source
	}
	return one(f.Src, f.Dst, f.SrcPorts, f.DstPorts, p) || f.Mirror && one(f.Dst, f.Src, f.DstPorts, f.SrcPorts, p)
}

func TestFlowViewsProperty(t *testing.T) {
	ranges := gen.OneConstOf(rng("*"), rng("10.0.0.0/24"), rng("10.0.0.7"), rng("10.0.1.0/24"), rng("2001:db8::/64"))
	ports := gen.OneConstOf(policy.AnyPorts(), policy.OpaquePorts(), policy.Port(500), policy.PortRange(1024, 65535), policy.ICMPType(8))
	addrs := gen.OneConstOf("10.0.0.7", "10.0.0.8", "10.0.1.1", "192.0.2.1", "2001:db8::1")
	props := proptest.Properties(t)
	props.Property("a Flow's views match exactly the packets its definition does, in either direction", prop.ForAll(
		func(v []any) string {
			proto := v[0].(uint8)
			f := policy.Flow{Mirror: v[1].(bool), Protocol: proto, Src: v[2].([]policy.AddrRange), Dst: v[3].([]policy.AddrRange)}
			if proto != 0 {
				f.SrcPorts, f.DstPorts = v[4].(policy.Ports), v[5].(policy.Ports)
			}
			p := policy.Packet{Src: addr(v[6].(string)), Dst: addr(v[7].(string)), Protocol: v[8].(uint8),
				SrcPort: v[9].(uint16), DstPort: v[10].(uint16), PortState: v[11].(policy.PortState)}
			dir := policy.Outbound
			if v[12].(bool) {
				dir = policy.Inbound
			}
			views := false
			for _, w := range f.Views() {
				views = views || w.Matches(p, dir)
			}
			if want := flowMatches(f, p); views != want {
				return fmt.Sprintf("%v, %v %v: views %v, definition %v", f, dir, p, views, want)
			}
			return ""
		},
		gopter.CombineGens(gen.OneConstOf(uint8(0), uint8(policy.ProtoUDP), uint8(policy.ProtoICMP)), gen.Bool(),
			ranges, ranges, ports, ports, addrs, addrs,
			gen.OneConstOf(uint8(policy.ProtoUDP), uint8(policy.ProtoICMP), uint8(policy.ProtoESP)),
			gen.OneConstOf(uint16(500), uint16(8<<8), uint16(4500)), gen.OneConstOf(uint16(500), uint16(1024)),
			gen.OneConstOf(policy.PortsPresent, policy.PortsSender, policy.PortsOpaque), gen.Bool())))
	props.TestingRun(t)
}
