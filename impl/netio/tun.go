package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TUN is a layer-3 TUN device (IFF_TUN | IFF_NO_PI): each Read returns one
// IP packet and each Write sends one, the data plane's door to the local
// network stack for tunnel-mode ESP (RFC 4301 section 5.1: packets to
// protect come from it, decapsulated packets go back into it).
type TUN struct {
	f     *os.File
	name  string
	index int
	once  sync.Once
}

// OpenTUN creates (or attaches to) the TUN device name, sets its MTU and
// brings it up. It needs CAP_NET_ADMIN, and acts in the network namespace
// of the calling thread.
func OpenTUN(name string, mtu int) (*TUN, error) {
	if len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("netio: TUN name %q is longer than %d", name, unix.IFNAMSIZ-1)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netio: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netio: TUN %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netio: TUNSETIFF %q: %w", name, err)
	}
	// Non-blocking, so that the runtime poller serves Read and Close can
	// interrupt a pending Read.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netio: TUN %q: %w", name, err)
	}
	t := &TUN{f: os.NewFile(uintptr(fd), "/dev/net/tun"), name: ifr.Name()}
	if err := t.setup(mtu); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// setup sets the MTU, brings the link up and learns its index.
func (t *TUN) setup(mtu int) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netio: TUN %s: %w", t.name, err)
	}
	defer unix.Close(s)
	ifr, _ := unix.NewIfreq(t.name)
	if mtu > 0 {
		ifr.SetUint32(uint32(mtu))
		if err := unix.IoctlIfreq(s, unix.SIOCSIFMTU, ifr); err != nil {
			return fmt.Errorf("netio: TUN %s: MTU %d: %w", t.name, mtu, err)
		}
	}
	ifr, _ = unix.NewIfreq(t.name)
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netio: TUN %s: %w", t.name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netio: TUN %s: up: %w", t.name, err)
	}
	ifr, _ = unix.NewIfreq(t.name)
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return fmt.Errorf("netio: TUN %s: index: %w", t.name, err)
	}
	t.index = int(ifr.Uint32())
	return nil
}

// Name is the device's name.
func (t *TUN) Name() string { return t.name }

// Index is the device's interface index.
func (t *TUN) Index() int { return t.index }

// Read reads one IP packet.
func (t *TUN) Read(b []byte) (int, error) { return t.f.Read(b) }

// Write writes one IP packet.
func (t *TUN) Write(b []byte) (int, error) { return t.f.Write(b) }

// Close closes the device (the kernel removes a non-persistent TUN).
func (t *TUN) Close() error {
	var err error
	t.once.Do(func() { err = t.f.Close() })
	return err
}

// AddRoute routes dst into the TUN device (a link-scope route in the main
// table), with src as the preferred source address when it is valid. An
// existing route to dst is replaced.
func (t *TUN) AddRoute(dst netip.Prefix, src netip.Addr) error {
	return t.route(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, dst, src)
}

// DelRoute removes the route to dst through the device.
func (t *TUN) DelRoute(dst netip.Prefix) error {
	return t.route(unix.RTM_DELROUTE, 0, dst, netip.Addr{})
}

// route sends one rtnetlink request (RFC 3549 framing) and waits for its
// acknowledgement.
func (t *TUN) route(op uint16, flags uint16, dst netip.Prefix, src netip.Addr) error {
	dst = dst.Masked()
	family := uint8(unix.AF_INET)
	if dst.Addr().Is6() {
		family = unix.AF_INET6
	}
	msg := make([]byte, unix.SizeofNlMsghdr, 128)
	rt := unix.RtMsg{Family: family, Dst_len: uint8(dst.Bits()), Table: unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_STATIC, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST}
	if op == unix.RTM_DELROUTE {
		rt.Scope = unix.RT_SCOPE_NOWHERE
	}
	msg = append(msg, unsafe.Slice((*byte)(unsafe.Pointer(&rt)), unix.SizeofRtMsg)...)
	msg = rtattr(msg, unix.RTA_DST, dst.Addr().AsSlice())
	msg = rtattr(msg, unix.RTA_OIF, binary.NativeEndian.AppendUint32(nil, uint32(t.index)))
	if src.IsValid() && src.Is6() == dst.Addr().Is6() {
		msg = rtattr(msg, unix.RTA_PREFSRC, src.AsSlice())
	}
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	hdr.Len = uint32(len(msg))
	hdr.Type = op
	hdr.Flags = unix.NLM_F_REQUEST | unix.NLM_F_ACK | flags
	hdr.Seq = 1
	return netlinkDo(msg)
}

func rtattr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// netlinkDo sends a request on a fresh NETLINK_ROUTE socket and reads the
// acknowledgement (an NLMSG_ERROR whose error is 0).
func netlinkDo(req []byte) error {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netio: netlink: %w", err)
	}
	defer unix.Close(s)
	if err := unix.Sendto(s, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netio: netlink: %w", err)
	}
	buf := make([]byte, 4096)
	for range 16 {
		n, _, err := unix.Recvfrom(s, buf, 0)
		if err != nil {
			return fmt.Errorf("netio: netlink: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("netio: netlink: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
				return fmt.Errorf("netio: netlink: %w", unix.Errno(-code))
			}
			return nil
		}
	}
	return errors.New("netio: netlink: no acknowledgement")
}

// AddAddress puts a (a virtual IP, RFC 7296 section 2.19) on the device as
// a host address, so that the local stack can send from it.
func (t *TUN) AddAddress(a netip.Addr) error {
	return t.address(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, a)
}

// DelAddress removes an address added by AddAddress.
func (t *TUN) DelAddress(a netip.Addr) error { return t.address(unix.RTM_DELADDR, 0, a) }

func (t *TUN) address(op, flags uint16, a netip.Addr) error {
	a = a.Unmap()
	family, bits := uint8(unix.AF_INET), uint8(32)
	if a.Is6() {
		family, bits = unix.AF_INET6, 128
	}
	msg := make([]byte, unix.SizeofNlMsghdr, 96)
	ifa := unix.IfAddrmsg{Family: family, Prefixlen: bits, Scope: unix.RT_SCOPE_UNIVERSE, Index: uint32(t.index)}
	msg = append(msg, unsafe.Slice((*byte)(unsafe.Pointer(&ifa)), unix.SizeofIfAddrmsg)...)
	msg = rtattr(msg, unix.IFA_LOCAL, a.AsSlice())
	msg = rtattr(msg, unix.IFA_ADDRESS, a.AsSlice())
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	hdr.Len = uint32(len(msg))
	hdr.Type = op
	hdr.Flags = unix.NLM_F_REQUEST | unix.NLM_F_ACK | flags
	hdr.Seq = 1
	return netlinkDo(msg)
}
