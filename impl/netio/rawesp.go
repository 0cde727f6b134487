package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ProtoESP is ESP's IP protocol number (RFC 4303 section 2).
const ProtoESP = 50

// RawESP is a raw IP socket of protocol 50: ESP directly over IP, without
// UDP encapsulation. The kernel here has no ESP of its own (no XFRM SA is
// ever installed), so every ESP packet addressed to the host reaches this
// socket, and what it sends goes out as is.
type RawESP struct {
	v4   *ipv4.RawConn    // IPv4: headers read and written explicitly
	v6   *ipv6.PacketConn // IPv6: the kernel never includes the header
	c    net.PacketConn
	addr netip.Addr
	once sync.Once
}

// ListenRawESP opens a raw ESP socket bound to addr (its family decides
// IPv4 or IPv6; an unspecified address receives on every address).
func ListenRawESP(addr netip.Addr) (*RawESP, error) {
	if addr.Is4() || addr.Is4In6() {
		c, err := net.ListenPacket(fmt.Sprintf("ip4:%d", ProtoESP), addr.Unmap().String())
		if err != nil {
			return nil, fmt.Errorf("netio: raw ESP socket: %w", err)
		}
		rc, err := ipv4.NewRawConn(c)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("netio: raw ESP socket: %w", err)
		}
		if err := rc.SetControlMessage(ipv4.FlagDst, true); err != nil {
			c.Close()
			return nil, fmt.Errorf("netio: raw ESP socket: %w", err)
		}
		return &RawESP{v4: rc, c: c, addr: addr.Unmap()}, nil
	}
	c, err := net.ListenPacket(fmt.Sprintf("ip6:%d", ProtoESP), addr.String())
	if err != nil {
		return nil, fmt.Errorf("netio: raw ESP socket: %w", err)
	}
	pc := ipv6.NewPacketConn(c)
	if err := pc.SetControlMessage(ipv6.FlagDst, true); err != nil {
		c.Close()
		return nil, fmt.Errorf("netio: raw ESP socket: %w", err)
	}
	return &RawESP{v6: pc, c: c, addr: addr}, nil
}

// Addr is the address the socket is bound to (unspecified: every address
// of its family).
func (r *RawESP) Addr() netip.Addr { return r.addr }

// ReadFrom reads one ESP packet (from its SPI on) and the addresses it
// travelled between.
func (r *RawESP) ReadFrom(b []byte) (n int, local, remote netip.Addr, err error) {
	if r.v4 != nil {
		h, p, _, err := r.v4.ReadFrom(b)
		if err != nil {
			return 0, local, remote, err
		}
		local, _ = netip.AddrFromSlice(h.Dst.To4())
		remote, _ = netip.AddrFromSlice(h.Src.To4())
		// p aliases b after the header; move the payload to the front.
		n = copy(b, p)
		return n, local, remote, nil
	}
	n, cm, src, err := r.v6.ReadFrom(b)
	if err != nil {
		return 0, local, remote, err
	}
	if ia, ok := src.(*net.IPAddr); ok {
		remote, _ = netip.AddrFromSlice(ia.IP)
	}
	if cm != nil {
		local, _ = netip.AddrFromSlice(cm.Dst)
	}
	return n, local, remote, nil
}

// WriteTo sends one ESP packet from local (when valid) to remote.
func (r *RawESP) WriteTo(b []byte, local, remote netip.Addr) error {
	if r.v4 != nil {
		if !remote.Unmap().Is4() {
			return errors.New("netio: raw ESP: IPv6 destination on an IPv4 socket")
		}
		h := &ipv4.Header{Version: ipv4.Version, Len: ipv4.HeaderLen, TotalLen: ipv4.HeaderLen + len(b),
			TTL: 64, Protocol: ProtoESP, Dst: net.IP(remote.Unmap().AsSlice())}
		if local.IsValid() {
			h.Src = net.IP(local.Unmap().AsSlice())
		}
		return r.v4.WriteTo(h, b, nil)
	}
	var cm *ipv6.ControlMessage
	if local.IsValid() {
		cm = &ipv6.ControlMessage{Src: net.IP(local.AsSlice())}
	}
	_, err := r.v6.WriteTo(b, cm, &net.IPAddr{IP: net.IP(remote.AsSlice())})
	return err
}

// Close closes the socket; a pending ReadFrom returns an error.
func (r *RawESP) Close() error {
	var err error
	r.once.Do(func() { err = r.c.Close() })
	return err
}
