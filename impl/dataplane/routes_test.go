package dataplane

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

func TestRangePrefixes(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"10.0.0.1", "10.0.0.1", []string{"10.0.0.1/32"}},
		{"10.0.0.0", "10.0.0.255", []string{"10.0.0.0/24"}},
		{"10.0.0.1", "10.0.0.6", []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}},
		{"0.0.0.0", "255.255.255.255", []string{"0.0.0.0/0"}},
		{"255.255.255.254", "255.255.255.255", []string{"255.255.255.254/31"}},
		{"2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", []string{"2001:db8::/64"}},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", []string{"::/0"}},
		{"2001:db8::1", "2001:db8::2", []string{"2001:db8::1/128", "2001:db8::2/128"}},
	} {
		var got []string
		for _, p := range rangePrefixes(a(tc.from), a(tc.to)) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s-%s: %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestRouteExcludesPeer: a remote selector that covers the IKE peer's
// address is routed without it.
func TestRouteExcludesPeer(t *testing.T) {
	ps := rangePrefixes(netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("192.0.2.1"))
	ps = append(ps, rangePrefixes(netip.MustParseAddr("192.0.2.3"), netip.MustParseAddr("255.255.255.255"))...)
	peer := netip.MustParseAddr("192.0.2.2")
	covered := 0.0
	for _, p := range ps {
		if p.Contains(peer) {
			t.Errorf("%v covers the peer", p)
		}
		covered += addrCount([]policy.AddrRange{policy.RangeOf(p)})
	}
	if covered != 1<<32-1 {
		t.Errorf("the prefixes cover %v addresses, want 2^32 - 1", covered)
	}
}

func TestSpecificity(t *testing.T) {
	r := func(s string) []policy.AddrRange { return []policy.AddrRange{policy.RangeOf(netip.MustParsePrefix(s))} }
	host := policy.Selector{Local: r("10.0.0.1/32"), Remote: r("10.1.0.1/32")}
	net := policy.Selector{Local: r("10.0.0.1/32"), Remote: r("10.1.0.0/24")}
	wideLocal := policy.Selector{Local: r("10.0.0.0/24"), Remote: r("10.1.0.1/32")}
	udp := host
	udp.Protocol = 17
	v6 := policy.Selector{Local: r("2001:db8::/64"), Remote: r("2001:db8:1::/64")}
	for _, tc := range []struct {
		a, b policy.Selector
		less bool
	}{
		{host, net, true}, {net, host, false}, {host, wideLocal, true}, {wideLocal, net, true},
		{udp, host, true}, {host, udp, false}, {host, host, false}, {net, v6, true},
	} {
		if got := specificityOf(tc.a).less(specificityOf(tc.b)); got != tc.less {
			t.Errorf("%v < %v: %v, want %v", tc.a, tc.b, got, tc.less)
		}
	}
}

func TestGroupSelectors(t *testing.T) {
	h := func(s string) policy.TS {
		a := netip.MustParseAddr(s)
		return policy.TS{Start: a, End: a, EndPort: 0xffff}
	}
	tcp80 := h("10.0.0.1")
	tcp80.Protocol, tcp80.StartPort, tcp80.EndPort = 6, 80, 80
	sels := policy.SelectorsFromTS([]policy.TS{h("10.0.0.1"), h("2001:db8::1"), tcp80},
		[]policy.TS{h("10.1.0.1"), h("2001:db8:1::1")})
	g := groupSelectors(sels)
	if len(g) != 2 {
		t.Fatalf("%d groups: %v", len(g), g)
	}
	if len(g[0].Local) != 2 || len(g[0].Remote) != 2 || g[0].Protocol != 0 {
		t.Errorf("first group %v", g[0])
	}
	if g[1].Protocol != 6 {
		t.Errorf("second group %v", g[1])
	}
}
