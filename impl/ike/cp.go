package ike

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ikev2ref/ikev2ref/impl/pool"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The configuration payload (RFC 7296 sections 2.19, 3.15): the initiator
// asks for a virtual IP address in IKE_AUTH (CFG_REQUEST with an empty
// INTERNAL_IP4_ADDRESS / INTERNAL_IP6_ADDRESS, or the one it wants), the
// responder leases one from the connection's pools and answers CFG_REPLY
// with it, its name servers and the subnets behind it. The virtual IP is
// then the initiator's "dynamic" traffic selector at both ends.

// wantsVIP reports whether the connection asks for virtual IPs.
func (sa *ikeSA) wantsVIP() bool { return sa.conn != nil && len(sa.conn.VIPs) > 0 }

// localDyn and remoteDyn are what a "dynamic" selector stands for at each
// end: the virtual IP if there is one, else the IKE SA's address.
func (sa *ikeSA) localDyn() netip.Addr {
	if sa.vipLocal.IsValid() {
		return sa.vipLocal
	}
	return sa.local.Addr()
}

func (sa *ikeSA) remoteDyn() netip.Addr {
	if sa.vipRemote.IsValid() {
		return sa.vipRemote
	}
	return sa.remote.Addr()
}

// offerLocalTS is the initiator's TSi for a child: while a virtual IP is
// asked for and not yet known, a "dynamic" selector is the whole address
// space of the VIP's family, for the responder to narrow to the VIP (RFC
// 7296 section 2.9).
func (sa *ikeSA) offerLocalTS(ts []TrafficSelector) []TrafficSelector {
	if !sa.wantsVIP() || sa.vipLocal.IsValid() {
		return resolve(ts, sa.localDyn())
	}
	out := make([]TrafficSelector, 0, len(ts))
	for _, t := range ts {
		if t.Dynamic {
			v := sa.conn.VIPs[0]
			t.Dynamic = false
			if v.Is4() {
				t.Start, t.End = netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255})
			} else {
				t.Start, t.End = netip.IPv6Unspecified(), netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})
			}
			if t.EndPort == 0 && t.StartPort == 0 {
				t.EndPort = 0xffff
			}
		}
		out = append(out, t)
	}
	return out
}

// cpRequest is the initiator's CFG_REQUEST, or nil (RFC 7296 section 3.15:
// an empty attribute asks for any value; "0.0.0.0" in swanctl's vips).
func (sa *ikeSA) cpRequest() *wire.CP {
	if !sa.wantsVIP() {
		return nil
	}
	cp := &wire.CP{CFGType: wire.CFG_REQUEST}
	for _, v := range sa.conn.VIPs {
		t, dns := wire.INTERNAL_IP4_ADDRESS, wire.INTERNAL_IP4_DNS
		if v.Is6() {
			t, dns = wire.INTERNAL_IP6_ADDRESS, wire.INTERNAL_IP6_DNS
		}
		var val []byte
		if !v.IsUnspecified() {
			val = v.AsSlice()
			if v.Is6() {
				val = append(val, 128) // INTERNAL_IP6_ADDRESS carries a prefix length
			}
		}
		cp.Attributes = append(cp.Attributes, wire.CPAttribute{Type: t, Value: val}, wire.CPAttribute{Type: dns})
	}
	return cp
}

// cpReply answers a CFG_REQUEST from the connection's pools; nil when the
// request has none or asks nothing we hand out. No address left is
// INTERNAL_ADDRESS_FAILURE (RFC 7296 section 3.10.1), which refuses the
// Child SA but not the IKE SA.
func (sa *ikeSA) cpReply(ps []wire.Payload) (*wire.CP, error) {
	var req *wire.CP
	for _, p := range ps {
		if c, ok := p.(*wire.CP); ok && c.CFGType == wire.CFG_REQUEST {
			req = c
		}
	}
	if req == nil || sa.conn == nil || len(sa.conn.Pools) == 0 {
		return nil, nil
	}
	reply := &wire.CP{CFGType: wire.CFG_REPLY}
	id := sa.remoteID.String()
	for _, a := range req.Attributes {
		var v4 bool
		switch a.Type {
		case wire.INTERNAL_IP4_ADDRESS:
			v4 = true
		case wire.INTERNAL_IP6_ADDRESS:
		default:
			continue
		}
		if sa.vipRemote.IsValid() && sa.vipRemote.Is4() == v4 {
			continue // one address per family
		}
		var want netip.Addr
		if v4 && len(a.Value) == 4 {
			want = netip.AddrFrom4([4]byte(a.Value))
		} else if !v4 && len(a.Value) == 17 {
			want = netip.AddrFrom16([16]byte(a.Value[:16]))
		}
		var got netip.Addr
		var p *pool.Pool
		var err error
		for _, cand := range sa.conn.Pools {
			if cand.Is4() != v4 {
				continue
			}
			if got, err = cand.Acquire(id, want); err == nil {
				p = cand
				break
			}
		}
		if p == nil {
			if err == nil {
				err = errors.New("no pool of that address family")
			}
			return nil, errNotify(wire.INTERNAL_ADDRESS_FAILURE, model.ChildFailed, "no virtual IP for %v: %v", sa.remoteID, err)
		}
		sa.vipRemote, sa.vipPool = got, p
		sa.e.log.Info("assigning virtual IP", "ike", sa.String(), "peer", id, "vip", got.String(), "pool", p.Name)
		if v4 {
			reply.Attributes = append(reply.Attributes, wire.CPAttribute{Type: wire.INTERNAL_IP4_ADDRESS, Value: got.AsSlice()})
		} else {
			reply.Attributes = append(reply.Attributes, wire.CPAttribute{Type: wire.INTERNAL_IP6_ADDRESS, Value: append(got.AsSlice(), 128)})
		}
		for _, d := range p.DNS {
			t := wire.INTERNAL_IP4_DNS
			if d.Is6() {
				t = wire.INTERNAL_IP6_DNS
			}
			reply.Attributes = append(reply.Attributes, wire.CPAttribute{Type: t, Value: d.AsSlice()})
		}
		// The subnets behind us: our children's local selectors.
		for _, ch := range sa.conn.Children {
			for _, ts := range resolve(ch.LocalTS, sa.local.Addr()) {
				if ts.Start.Is4() != v4 {
					continue
				}
				for _, pf := range rangeToPrefixes(ts.Start, ts.End) {
					if v4 {
						mask := netip.PrefixFrom(netip.IPv4Unspecified(), pf.Bits())
						reply.Attributes = append(reply.Attributes, wire.CPAttribute{Type: wire.INTERNAL_IP4_SUBNET,
							Value: append(pf.Addr().AsSlice(), maskBytes(mask)...)})
					} else {
						reply.Attributes = append(reply.Attributes, wire.CPAttribute{Type: wire.INTERNAL_IP6_SUBNET,
							Value: append(pf.Addr().AsSlice(), byte(pf.Bits()))})
					}
				}
			}
		}
	}
	if len(reply.Attributes) == 0 {
		return nil, nil
	}
	return reply, nil
}

func maskBytes(p netip.Prefix) []byte {
	m := make([]byte, 4)
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// rangeToPrefixes covers an address range with prefixes.
func rangeToPrefixes(from, to netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for n := 0; n < 256 && !to.Less(from); n++ {
		bits := from.BitLen()
		for bits > 0 {
			p := netip.PrefixFrom(from, bits-1).Masked()
			if p.Addr() != from || to.Less(lastOf(p)) {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(from, bits)
		out = append(out, p)
		l := lastOf(p)
		if l == to || !l.Next().IsValid() {
			break
		}
		from = l.Next()
	}
	return out
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// takeCPReply reads the responder's CFG_REPLY: our virtual IP (RFC 7296
// section 2.19). Asking and getting nothing is an error for the Child SA.
func (sa *ikeSA) takeCPReply(ps []wire.Payload) error {
	if !sa.wantsVIP() {
		return nil
	}
	for _, p := range ps {
		c, ok := p.(*wire.CP)
		if !ok || c.CFGType != wire.CFG_REPLY {
			continue
		}
		for _, a := range c.Attributes {
			switch {
			case a.Type == wire.INTERNAL_IP4_ADDRESS && len(a.Value) == 4:
				sa.vipLocal = netip.AddrFrom4([4]byte(a.Value))
			case a.Type == wire.INTERNAL_IP6_ADDRESS && len(a.Value) == 17 && !sa.vipLocal.IsValid():
				sa.vipLocal = netip.AddrFrom16([16]byte(a.Value[:16]))
			case a.Type == wire.INTERNAL_IP4_DNS || a.Type == wire.INTERNAL_IP6_DNS:
				if d, ok := netip.AddrFromSlice(a.Value); ok {
					sa.e.log.Info("name server from the peer", "ike", sa.String(), "dns", d.Unmap().String())
				}
			}
		}
	}
	if !sa.vipLocal.IsValid() {
		return fmt.Errorf("ike: %v: asked for a virtual IP, the responder assigned none", sa)
	}
	sa.e.log.Info("installing virtual IP", "ike", sa.String(), "vip", sa.vipLocal.String())
	return nil
}

// releaseVIP returns the peer's lease when the IKE SA goes (a rekey hands
// it to the new IKE SA instead).
func (sa *ikeSA) releaseVIP() {
	if sa.vipPool != nil {
		sa.vipPool.Release(sa.remoteID.String())
		sa.vipPool = nil
	}
}
