// Package pool hands out virtual IP addresses to IKE peers (the responder's
// side of the configuration payload, RFC 7296 sections 2.19 and 3.15): a
// range of IPv4 or IPv6 addresses, configured as swanctl.conf's `pools`
// section does it, with leases that stay with a peer's identity, so that a
// peer that reconnects (or rekeys its IKE SA) gets its address back.
package pool

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
)

// ErrExhausted is matched when no address is left.
var ErrExhausted = errors.New("pool: no address left")

// Pool is one named address range. It is safe for concurrent use.
type Pool struct {
	Name string
	// DNS are the name servers handed out with the addresses
	// (INTERNAL_IP4_DNS / INTERNAL_IP6_DNS).
	DNS        []netip.Addr
	first      netip.Addr
	last       netip.Addr
	mu         sync.Mutex
	byID       map[string]netip.Addr
	byAddr     map[netip.Addr]string
	online     map[string]int // identities holding the lease now, by count of IKE SAs
	nextOffset netip.Addr
}

// New makes a pool from an address range as swanctl.conf writes it: a
// prefix ("10.3.0.0/24": the network and, for IPv4, the broadcast address
// are not handed out) or "first-last".
func New(name, spec string) (*Pool, error) {
	p := &Pool{Name: name, byID: map[string]netip.Addr{}, byAddr: map[netip.Addr]string{}, online: map[string]int{}}
	spec = strings.TrimSpace(spec)
	if a, b, ok := strings.Cut(spec, "-"); ok {
		f, err1 := netip.ParseAddr(strings.TrimSpace(a))
		l, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || f.Is4() != l.Is4() || l.Less(f) {
			return nil, fmt.Errorf("pool: %s: range %q: want first-last of one family, first <= last", name, spec)
		}
		p.first, p.last = f, l
	} else {
		pr, err := netip.ParsePrefix(spec)
		if err != nil {
			return nil, fmt.Errorf("pool: %s: %q is neither a prefix nor a range: %w", name, spec, err)
		}
		pr = pr.Masked()
		p.first, p.last = pr.Addr(), lastAddr(pr)
		if pr.Addr().Is4() && pr.Bits() <= 30 {
			p.first, p.last = p.first.Next(), p.last.Prev() // network and broadcast
		} else if pr.Addr().Is6() && pr.Bits() < 128 {
			p.first = p.first.Next() // the subnet-router anycast address
		}
	}
	p.nextOffset = p.first
	return p, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Is4 reports the pool's family.
func (p *Pool) Is4() bool { return p.first.Is4() }

// Contains reports whether a is in the pool's range.
func (p *Pool) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.Is4() == p.first.Is4() && !a.Less(p.first) && !p.last.Less(a)
}

func (p *Pool) String() string { return fmt.Sprintf("%s %v-%v", p.Name, p.first, p.last) }

// Acquire leases an address to identity id: its earlier lease if it has
// one, else want if it is free and in the range, else the next free one.
// An identity may hold its lease from several IKE SAs at once (a rekey);
// Release counts them down.
func (p *Pool) Acquire(id string, want netip.Addr) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.byID[id]; ok {
		p.online[id]++
		return a, nil
	}
	if want.IsValid() && !want.IsUnspecified() && p.Contains(want) {
		if _, taken := p.byAddr[want.Unmap()]; !taken {
			return p.lease(id, want.Unmap()), nil
		}
	}
	// Next free address after the last one handed out, wrapping once.
	a := p.nextOffset
	for range 1 << 20 {
		if _, taken := p.byAddr[a]; !taken {
			p.nextOffset = a.Next()
			if !p.Contains(p.nextOffset) {
				p.nextOffset = p.first
			}
			return p.lease(id, a), nil
		}
		a = a.Next()
		if !p.Contains(a) {
			a = p.first
		}
		if a == p.nextOffset {
			break
		}
	}
	return netip.Addr{}, fmt.Errorf("pool: %s: %w (%d leases)", p.Name, ErrExhausted, len(p.byAddr))
}

func (p *Pool) lease(id string, a netip.Addr) netip.Addr {
	p.byID[id], p.byAddr[a] = a, id
	p.online[id]++
	return a
}

// Release ends one IKE SA's use of id's lease; the address is free again
// when no IKE SA of id uses it.
func (p *Pool) Release(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.online[id]--; p.online[id] > 0 {
		return
	}
	delete(p.online, id)
	if a, ok := p.byID[id]; ok {
		delete(p.byAddr, a)
		delete(p.byID, id)
	}
}

// Leases returns the number of addresses handed out.
func (p *Pool) Leases() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byAddr)
}
