package interop

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Sockets inside the lab's namespaces, made by this test process: a UDP
// echo service behind each end's tunnel, a UDP client, and raw sockets that
// inject ESP. A socket belongs for life to the network namespace it was
// created in, so inNS creates it on a thread that has entered the namespace
// and then ends that thread (it never runs other goroutines again).

// inNS runs fn on a fresh OS thread that has joined the network namespace
// ns (a name under /var/run/netns); the thread is discarded afterwards.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- fmt.Errorf("interop: namespace %s: %w", ns, err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("interop: setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// echoServer is a UDP echo service (RFC 862, port 7) on one inner address,
// recording what it received (bounded) so a test can prove that a packet
// was, or was never, delivered.
type echoServer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  [][]byte
	done chan struct{}
}

const echoPort = 7

// startEcho starts an echo service on addr:7 in s's namespace; the test's
// cleanup closes it (before the lab's teardown deletes the namespace).
func startEcho(t *testing.T, s side, addr string) *echoServer {
	t.Helper()
	e := &echoServer{done: make(chan struct{})}
	err := inNS(s.ns, func() error {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(addr), echoPort)))
		e.conn = c
		return err
	})
	if err != nil {
		t.Fatalf("interop: echo service on %s:%d in %s: %v", addr, echoPort, s.ns, err)
	}
	go e.serve()
	t.Cleanup(func() { e.conn.Close(); <-e.done })
	return e
}

func (e *echoServer) serve() {
	defer close(e.done)
	buf := make([]byte, 65536)
	for {
		n, from, err := e.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		e.mu.Lock()
		if len(e.got) < 10000 {
			e.got = append(e.got, bytes.Clone(buf[:n]))
		}
		e.mu.Unlock()
		_, _ = e.conn.WriteToUDPAddrPort(buf[:n], from)
	}
}

// count is how many received datagrams contain marker.
func (e *echoServer) count(marker []byte) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, g := range e.got {
		if bytes.Contains(g, marker) {
			n++
		}
	}
	return n
}

// udpEcho sends n datagrams from s's inner address to dst:7, one after the
// other, each with its own payload (prefix plus its number), and returns
// how many came back intact. Every wait is bounded (2 s per datagram).
func udpEcho(t *testing.T, s side, dst string, prefix string, n int) int {
	t.Helper()
	var c *net.UDPConn
	err := inNS(s.ns, func() error {
		var err error
		c, err = net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(s.inner), 0)),
			net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(dst), echoPort)))
		return err
	})
	if err != nil {
		t.Fatalf("interop: UDP client in %s: %v", s.ns, err)
	}
	defer c.Close()
	ok := 0
	buf := make([]byte, 2048)
	for i := 0; i < n; i++ {
		msg := []byte(fmt.Sprintf("%s-%d", prefix, i))
		if _, err := c.Write(msg); err != nil {
			t.Logf("interop: UDP echo %s: %v", msg, err)
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			m, err := c.Read(buf)
			if err != nil {
				break // timed out: this one is lost
			}
			if bytes.Equal(buf[:m], msg) {
				ok++
				break
			}
		}
	}
	return ok
}

// injectESP sends an ESP packet (from its SPI on) from s's outer address to
// dst: as IP protocol 50, or, with udpPort not zero, in a UDP datagram from
// and to that port (RFC 3948; a raw socket, since the daemon in s holds the
// port). The UDP checksum is left zero, which IPv4 allows (RFC 768).
func injectESP(t *testing.T, s side, dst string, udpPort uint16, pkt []byte) {
	t.Helper()
	proto, payload := "ip4:50", pkt
	if udpPort != 0 {
		proto = "ip4:17"
		payload = make([]byte, 8+len(pkt))
		binary.BigEndian.PutUint16(payload[0:2], udpPort)
		binary.BigEndian.PutUint16(payload[2:4], udpPort)
		binary.BigEndian.PutUint16(payload[4:6], uint16(len(payload)))
		copy(payload[8:], pkt)
	}
	err := inNS(s.ns, func() error {
		c, err := net.ListenPacket(proto, s.addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WriteTo(payload, &net.IPAddr{IP: net.ParseIP(dst)})
		return err
	})
	if err != nil {
		t.Fatalf("interop: injecting ESP from %s (%s): %v", s.ns, proto, err)
	}
}
