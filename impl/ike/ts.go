package ike

import (
	"net/netip"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Traffic selector handling: resolving "dynamic" and converting to and
// from the TS payload (RFC 7296 section 3.13). Narrowing is the policy's
// (policy.go).

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

func tsStrings(ts []TrafficSelector) []string {
	out := make([]string, 0, len(ts))
	for _, s := range toWire(ts) {
		out = append(out, s.String())
	}
	return out
}
