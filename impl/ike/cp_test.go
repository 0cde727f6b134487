package ike_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/pool"
)

// TestVirtualIP: the initiator asks for a virtual IP in IKE_AUTH
// (CFG_REQUEST), the responder leases one from its pool (CFG_REPLY, RFC
// 7296 sections 2.19, 3.15) and narrows the initiator's TSi to it; both
// ends' Child SA selectors are the VIP, the initiator's data plane is told
// to use it; the lease survives an IKE SA rekey and is freed with the IKE
// SA; an empty pool refuses the Child SA with INTERNAL_ADDRESS_FAILURE but
// keeps the IKE SA.
func TestVirtualIP(t *testing.T) {
	build := func(t *testing.T, spec string) (*run, *pool.Pool) {
		p, err := pool.New("vpn", spec)
		if err != nil {
			t.Fatal(err)
		}
		l, r := left(), right()
		l.lts, l.vips = "dynamic", []netip.Addr{netip.IPv4Unspecified()}
		r.rts, r.pools = "dynamic", []*pool.Pool{p}
		return newRun(t, l, r), p
	}
	t.Run("lease", func(t *testing.T) {
		x, p := build(t, "203.0.113.16/28")
		a, b := x.converged(1)
		if got := a.Children[0].LocalTS; len(got) != 1 || got[0] != "203.0.113.17/32" {
			t.Errorf("initiator's local TS %v, want the VIP 203.0.113.17/32", got)
		}
		if got := b.Children[0].RemoteTS; len(got) != 1 || got[0] != "203.0.113.17/32" {
			t.Errorf("responder's remote TS %v", got)
		}
		ups := iketest.Find[ike.ChildUp](x.p.l)
		if len(ups) != 1 || ups[0].VirtualIP.String() != "203.0.113.17" {
			t.Errorf("ChildUp VirtualIP: %+v", ups)
		}
		if !strings.Contains(x.p.logL.String(), "CP(CFG_REQUEST)") || !strings.Contains(x.p.logR.String(), "CP(CFG_REPLY)") {
			t.Errorf("no CP payloads in the logs")
		}
		x.rekeyIKE(x.p.l)
		x.flush()
		x.rekeyChild(x.p.r)
		x.flush()
		a, _ = x.converged(1)
		if got := a.Children[0].LocalTS; len(got) != 1 || got[0] != "203.0.113.17/32" || p.Leases() != 1 {
			t.Errorf("after the rekeys: TS %v, %d leases", got, p.Leases())
		}
		x.terminate(x.p.l)
		x.flush()
		x.gone()
		if p.Leases() != 0 {
			t.Errorf("%d leases after the IKE SA was deleted", p.Leases())
		}
	})
	t.Run("exhausted", func(t *testing.T) {
		p, _ := pool.New("vpn", "203.0.113.9/32")
		if _, err := p.Acquire("someone-else", netip.Addr{}); err != nil {
			t.Fatal(err)
		}
		l, r := left(), right()
		l.lts, l.vips = "dynamic", []netip.Addr{netip.IPv4Unspecified()}
		r.rts, r.pools = "dynamic", []*pool.Pool{p}
		pr := newPair(t, l, r)
		pr.initiate(t)
		pr.flush(t)
		for _, nd := range []*iketest.Node{pr.l, pr.r} {
			if s := onlySA(t, nd); s.State != "ESTABLISHED" || len(s.Children) != 0 {
				t.Errorf("%s: %s with %d Child SAs; want the IKE SA without a Child SA", nd.Name, s.State, len(s.Children))
			}
		}
		if !strings.Contains(pr.logR.String(), "N(INTERNAL_ADDRESS_FAILURE)") {
			t.Errorf("no INTERNAL_ADDRESS_FAILURE sent")
		}
	})
}

// TestVirtualIPv6: an IPv6 virtual IP over an IPv4 IKE SA (CFG_REQUEST with
// an empty INTERNAL_IP6_ADDRESS; the reply carries address and prefix
// length, RFC 7296 section 3.15.1), and the IPv6 selectors narrowed to it.
func TestVirtualIPv6(t *testing.T) {
	p, err := pool.New("vpn6", "2001:db8:1::/120")
	if err != nil {
		t.Fatal(err)
	}
	l, r := left(), right()
	l.lts, l.rts, l.vips = "dynamic", "2001:db8:2::/64", []netip.Addr{netip.IPv6Unspecified()}
	r.lts, r.rts, r.pools = "2001:db8:2::/64", "dynamic", []*pool.Pool{p}
	x := newRun(t, l, r)
	a, b := x.converged(1)
	if got := a.Children[0].LocalTS; len(got) != 1 || got[0] != "2001:db8:1::1/128" {
		t.Errorf("initiator's local TS %v, want the VIP 2001:db8:1::1/128", got)
	}
	if got := b.Children[0].RemoteTS; len(got) != 1 || got[0] != "2001:db8:1::1/128" {
		t.Errorf("responder's remote TS %v", got)
	}
	if ups := iketest.Find[ike.ChildUp](x.p.l); len(ups) != 1 || ups[0].VirtualIP.String() != "2001:db8:1::1" {
		t.Errorf("ChildUp VirtualIP: %+v", ups)
	}
}
