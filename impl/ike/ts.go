package ike

import (
	"net/netip"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Traffic selector handling (RFC 7296 section 2.9): resolving "dynamic",
// converting to and from the TS payload, narrowing and the subset check.

// resolve replaces Dynamic selectors with the IKE SA's address at that end.
func resolve(ts []TrafficSelector, ike netip.Addr) []TrafficSelector {
	out := make([]TrafficSelector, 0, len(ts))
	for _, t := range ts {
		if t.Dynamic {
			t.Dynamic, t.Start, t.End = false, ike.Unmap(), ike.Unmap()
			if t.EndPort == 0 && t.StartPort == 0 {
				t.EndPort = 0xffff
			}
		}
		out = append(out, t)
	}
	return out
}

func toWire(ts []TrafficSelector) []wire.Selector {
	out := make([]wire.Selector, 0, len(ts))
	for _, t := range ts {
		typ := wire.TS_IPV4_ADDR_RANGE
		if t.Start.Is6() {
			typ = wire.TS_IPV6_ADDR_RANGE
		}
		out = append(out, wire.Selector{Type: typ, IPProtocol: t.Protocol, StartPort: t.StartPort,
			EndPort: t.EndPort, Start: t.Start, End: t.End})
	}
	return out
}

// fromWire keeps the address-range selectors; others (TS_SECLABEL, Fibre
// Channel) are not understood and so not accepted.
func fromWire(sel []wire.Selector) []TrafficSelector {
	out := make([]TrafficSelector, 0, len(sel))
	for _, s := range sel {
		if s.Type != wire.TS_IPV4_ADDR_RANGE && s.Type != wire.TS_IPV6_ADDR_RANGE {
			continue
		}
		out = append(out, TrafficSelector{Start: s.Start, End: s.End, Protocol: s.IPProtocol,
			StartPort: s.StartPort, EndPort: s.EndPort})
	}
	return out
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

func minAddr(a, b netip.Addr) netip.Addr {
	if a.Compare(b) <= 0 {
		return a
	}
	return b
}

// intersect returns the selector common to a and b, if any. Protocol 0 is
// any protocol; ports only narrow when the protocols agree.
func intersect(a, b TrafficSelector) (TrafficSelector, bool) {
	if a.Start.Is4() != b.Start.Is4() {
		return TrafficSelector{}, false
	}
	var r TrafficSelector
	r.Start, r.End = maxAddr(a.Start, b.Start), minAddr(a.End, b.End)
	if r.Start.Compare(r.End) > 0 {
		return r, false
	}
	switch {
	case a.Protocol == b.Protocol, b.Protocol == 0:
		r.Protocol = a.Protocol
	case a.Protocol == 0:
		r.Protocol = b.Protocol
	default:
		return r, false
	}
	r.StartPort, r.EndPort = max(a.StartPort, b.StartPort), min(a.EndPort, b.EndPort)
	if r.StartPort > r.EndPort {
		return r, false
	}
	return r, true
}

// narrow is the responder's narrowing (RFC7296-2.9-4: narrow to an
// acceptable subset): every part of what the peer proposed that our policy
// allows.
func narrow(proposed, allowed []TrafficSelector) []TrafficSelector {
	var out []TrafficSelector
	for _, p := range proposed {
		for _, a := range allowed {
			if r, ok := intersect(p, a); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// within reports whether t lies inside one of the selectors of set.
func within(t TrafficSelector, set []TrafficSelector) bool {
	for _, s := range set {
		if r, ok := intersect(t, s); ok && r == t {
			return true
		}
	}
	return false
}

// subset reports whether every selector the responder returned lies within
// what we proposed: the initiator's check of the narrowed selectors.
func subset(got, proposed []TrafficSelector) bool {
	if len(got) == 0 {
		return false
	}
	for _, t := range got {
		if !within(t, proposed) {
			return false
		}
	}
	return true
}

func tsStrings(ts []TrafficSelector) []string {
	out := make([]string, 0, len(ts))
	for _, s := range toWire(ts) {
		out = append(out, s.String())
	}
	return out
}
