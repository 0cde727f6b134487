package netio

import (
	"bytes"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNewNetns runs f on a thread moved into a fresh network namespace (which
// disappears with the thread): TUN devices, routes and raw sockets the test
// makes never touch the host's network. It needs root; otherwise it skips.
func inNewNetns(t *testing.T, f func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace (CAP_NET_ADMIN); skipped")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		// lo up, so that 127.0.0.1 works in the new namespace.
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Errorf("socket: %v", err)
			return
		}
		ifr, _ := unix.NewIfreq("lo")
		unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr)
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
		unix.Close(s)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out in the namespace")
	}
}

func routes(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/net/route")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTUN opens a TUN device, routes a documentation prefix into it, and
// reads a packet the kernel sends there.
func TestTUN(t *testing.T) {
	inNewNetns(t, func() {
		tun, err := OpenTUN("iktest0", 1400)
		if err != nil {
			t.Errorf("OpenTUN: %v", err)
			return
		}
		defer tun.Close()
		if err := tun.AddRoute(netip.MustParsePrefix("203.0.113.0/24"), netip.Addr{}); err != nil {
			t.Errorf("AddRoute: %v", err)
			return
		}
		// /proc/net/route lists 203.0.113.0 as 007100CB (the address as a host-order hex number).
		if !strings.Contains(routes(t), "iktest0\t007100CB") {
			t.Errorf("route not in the table:\n%s", routes(t))
		}
		// A UDP datagram to 203.0.113.9 must come out of the TUN device.
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Errorf("socket: %v", err)
			return
		}
		defer unix.Close(s)
		if err := unix.Sendto(s, []byte("hello"), 0, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{203, 0, 113, 9}}); err != nil {
			t.Errorf("sendto: %v", err)
			return
		}
		buf := make([]byte, 2000)
		tun.f.SetReadDeadline(time.Now().Add(5 * time.Second))
		for range 20 {
			n, err := tun.Read(buf)
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			p := buf[:n]
			if n >= 28 && p[0]>>4 == 4 && p[9] == 17 && bytes.Equal(p[16:20], []byte{203, 0, 113, 9}) {
				if !bytes.HasSuffix(p, []byte("hello")) {
					t.Errorf("payload %x", p)
				}
				if err := tun.DelRoute(netip.MustParsePrefix("203.0.113.0/24")); err != nil {
					t.Errorf("DelRoute: %v", err)
				}
				return // found
			}
		}
		t.Errorf("the datagram never came out of the TUN device")
	})
}

// TestRawESP sends an ESP packet over a raw IPv4 socket and receives it with
// its addresses.
func TestRawESP(t *testing.T) {
	inNewNetns(t, func() {
		rx, err := ListenRawESP(netip.MustParseAddr("0.0.0.0"))
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		defer rx.Close()
		tx, err := ListenRawESP(netip.MustParseAddr("127.0.0.1"))
		if err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		defer tx.Close()
		pkt := []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef}
		lo := netip.MustParseAddr("127.0.0.1")
		if err := tx.WriteTo(pkt, lo, lo); err != nil {
			t.Errorf("write: %v", err)
			return
		}
		buf := make([]byte, 2000)
		rx.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, local, remote, err := rx.ReadFrom(buf)
		if err != nil {
			t.Errorf("read: %v", err)
			return
		}
		if !bytes.Equal(buf[:n], pkt) || local != lo || remote != lo {
			t.Errorf("got %x from %v to %v", buf[:n], remote, local)
		}
		if rx.Addr() != netip.IPv4Unspecified() || tx.Addr() != lo {
			t.Errorf("Addr: %v, %v", rx.Addr(), tx.Addr())
		}
	})
}
