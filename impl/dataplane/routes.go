package dataplane

import (
	"net/netip"
	"slices"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// The tunnel-mode device and its routes: the remote traffic selectors of
// every tunnel-mode Child SA are routed into the device, so that the local
// stack hands the data plane the packets to protect (RFC 4301 section 5.1).

// openDevice opens the device if it is not open yet and starts its reader.
// The caller holds d.mu. Without Config.OpenDevice, or when it fails, there
// is no device (logged).
func (d *DataPlane) openDevice() Device {
	if d.dev != nil || d.cfg.OpenDevice == nil {
		return d.dev
	}
	dev, err := d.cfg.OpenDevice()
	if err != nil {
		d.log.Error("cannot open the tunnel device: tunnel-mode traffic cannot reach the local stack", "error", err)
		return nil
	}
	d.dev = dev
	d.device.Store(&deviceBox{dev})
	d.wg.Add(1)
	go d.readDevice(dev)
	d.log.Info("tunnel device open", "device", dev.Name())
	return dev
}

// routeChild routes the remote selectors of a tunnel-mode Child SA into the
// device. The caller holds d.mu.
func (d *DataPlane) routeChild(ch *child, c Child) {
	dev := d.openDevice()
	if dev == nil {
		if d.cfg.OpenDevice == nil {
			d.log.Debug("tunnel-mode Child SA without a device: what it delivers is dropped", "child_sa", ch.String())
		}
		return
	}
	if v := c.VirtualIP; v.IsValid() {
		// Our virtual IP (RFC 7296 section 2.19) on the device: the local
		// stack sends the Child SA's traffic from it.
		ch.vip = v
		if d.vips[v]++; d.vips[v] == 1 {
			if ad, ok := dev.(addressDevice); ok {
				if err := ad.AddAddress(v); err != nil {
					d.log.Error("cannot put the virtual IP on the tunnel device", "vip", v.String(), "device", dev.Name(), "error", err)
				} else {
					d.log.Info("virtual IP on the tunnel device", "vip", v.String(), "device", dev.Name())
				}
			}
		}
	}
	peer := c.Remote.Addr().Unmap()
	for _, ts := range c.RemoteTS {
		from, to := ts.Start.Unmap(), ts.End.Unmap()
		if !from.IsValid() || !to.IsValid() || from.Is4() != to.Is4() || to.Less(from) {
			continue
		}
		src := singleAddr(c.LocalTS, from.Is4())
		var prefixes []netip.Prefix
		// The IKE peer's own address stays outside the tunnel: routed into
		// the device, the ESP and IKE packets to it would loop.
		if r := (policy.AddrRange{From: from, To: to}); r.Contains(peer) {
			d.log.Warn("the remote traffic selector covers the IKE peer's address: it is not routed into the tunnel",
				"child_sa", ch.String(), "ts", ts.String(), "peer", peer.String())
			if peer != from {
				prefixes = append(prefixes, rangePrefixes(from, peer.Prev())...)
			}
			if peer != to {
				prefixes = append(prefixes, rangePrefixes(peer.Next(), to)...)
			}
		} else {
			prefixes = rangePrefixes(from, to)
		}
		for _, p := range prefixes {
			if slices.Contains(ch.routes, p) {
				continue
			}
			ch.routes = append(ch.routes, p)
			if d.routes[p]++; d.routes[p] > 1 {
				continue
			}
			if err := dev.AddRoute(p, src); err != nil {
				d.log.Error("cannot route into the tunnel device", "prefix", p.String(), "device", dev.Name(), "error", err)
				continue
			}
			d.log.Info("route into the tunnel device", "prefix", p.String(), "src", src.String(), "device", dev.Name())
		}
	}
}

// addressDevice is a device that takes addresses (netio.TUN).
type addressDevice interface {
	AddAddress(netip.Addr) error
	DelAddress(netip.Addr) error
}

// unVIP releases a pair's virtual IP; the last user removes it from the
// device. The caller holds d.mu.
func (d *DataPlane) unVIP(v netip.Addr) {
	if !v.IsValid() {
		return
	}
	if d.vips[v]--; d.vips[v] > 0 {
		return
	}
	delete(d.vips, v)
	if ad, ok := d.dev.(addressDevice); ok && d.dev != nil {
		if err := ad.DelAddress(v); err != nil {
			d.log.Warn("removing the virtual IP from the tunnel device", "vip", v.String(), "error", err)
		}
	}
}

// unroute releases routes; the last user removes one from the device. The
// caller holds d.mu.
func (d *DataPlane) unroute(ps []netip.Prefix) {
	for _, p := range ps {
		if d.routes[p]--; d.routes[p] > 0 {
			continue
		}
		delete(d.routes, p)
		if d.dev == nil {
			continue
		}
		if err := d.dev.DelRoute(p); err != nil {
			d.log.Warn("removing a route from the tunnel device", "prefix", p.String(), "error", err)
		}
	}
}

// singleAddr is the address of the first traffic selector of the family
// that holds a single address (the preferred source of the routes), or the
// zero Addr.
func singleAddr(ts []policy.TS, v4 bool) netip.Addr {
	for _, t := range ts {
		a := t.Start.Unmap()
		if a.IsValid() && a.Is4() == v4 && a == t.End.Unmap() {
			return a
		}
	}
	return netip.Addr{}
}

// rangePrefixes returns the prefixes that cover the range from..to exactly,
// in order: the largest prefix that starts at from and ends within the
// range, then the same from the address after it. At most
// maxRoutesPerRange are returned (an IPv6 range may need 254).
func rangePrefixes(from, to netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for len(out) < maxRoutesPerRange {
		var p netip.Prefix
		for bits := 0; bits <= from.BitLen(); bits++ {
			c := netip.PrefixFrom(from, bits).Masked()
			if c.Addr() != from {
				continue
			}
			if last := policy.RangeOf(c).To; !to.Less(last) {
				p = c
				break
			}
		}
		out = append(out, p)
		last := policy.RangeOf(p).To
		if last == to {
			break
		}
		from = last.Next()
	}
	return out
}
