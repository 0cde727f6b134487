package pool

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

func TestPool(t *testing.T) {
	p, err := New("p", "203.0.113.0/30")
	if err != nil {
		t.Fatal(err)
	}
	// A /30 hands out .1 and .2 (not the network or broadcast address).
	a, err := p.Acquire("alice", netip.Addr{})
	if err != nil || a != netip.MustParseAddr("203.0.113.1") {
		t.Fatalf("alice: %v %v", a, err)
	}
	b, err := p.Acquire("bob", netip.MustParseAddr("0.0.0.0"))
	if err != nil || b != netip.MustParseAddr("203.0.113.2") {
		t.Fatalf("bob: %v %v", b, err)
	}
	if _, err := p.Acquire("carol", netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("carol: %v, want exhausted", err)
	}
	// The same identity keeps its address (a second IKE SA, a rekey).
	if a2, err := p.Acquire("alice", netip.Addr{}); err != nil || a2 != a {
		t.Fatalf("alice again: %v %v", a2, err)
	}
	p.Release("alice")
	if _, err := p.Acquire("carol", netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("alice still holds one lease: %v", err)
	}
	p.Release("alice")
	c, err := p.Acquire("carol", netip.Addr{})
	if err != nil || c != a {
		t.Fatalf("carol after alice left: %v %v", c, err)
	}
	if p.Leases() != 2 {
		t.Errorf("%d leases", p.Leases())
	}
}

func TestPoolSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec        string
		first, last string
		err         bool
	}{
		{"10.3.0.0/24", "10.3.0.1", "10.3.0.254", false},
		{"10.3.0.5-10.3.0.7", "10.3.0.5", "10.3.0.7", false},
		{"10.3.0.7/32", "10.3.0.7", "10.3.0.7", false},
		{"2001:db8::/126", "2001:db8::1", "2001:db8::3", false},
		{"10.3.0.7-10.3.0.5", "", "", true},
		{"10.3.0.1-2001:db8::1", "", "", true},
		{"nonsense", "", "", true},
	} {
		p, err := New("x", tc.spec)
		if (err != nil) != tc.err {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		if err == nil && (p.first.String() != tc.first || p.last.String() != tc.last) {
			t.Errorf("%s: %v-%v, want %s-%s", tc.spec, p.first, p.last, tc.first, tc.last)
		}
	}
}

func TestPoolWant(t *testing.T) {
	p, _ := New("p", "198.51.100.10-198.51.100.20")
	if a, _ := p.Acquire("x", netip.MustParseAddr("198.51.100.15")); a.String() != "198.51.100.15" {
		t.Errorf("a free wanted address: %v", a)
	}
	if a, _ := p.Acquire("y", netip.MustParseAddr("198.51.100.15")); a.String() == "198.51.100.15" {
		t.Errorf("a taken address handed out twice")
	}
	if a, _ := p.Acquire("z", netip.MustParseAddr("192.0.2.1")); !p.Contains(a) {
		t.Errorf("an address outside the pool: %v", a)
	}
	for i := range 8 {
		if _, err := p.Acquire(fmt.Sprint("n", i), netip.Addr{}); err != nil {
			t.Fatalf("lease %d: %v", i, err)
		}
	}
	if _, err := p.Acquire("last", netip.Addr{}); !errors.Is(err, ErrExhausted) {
		t.Errorf("11 addresses handed out 12 times: %v", err)
	}
}
