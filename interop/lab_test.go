package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// side is one end of the topology: a namespace with its end of the veth
// pair, an outer address (192.0.2.0/24) and an inner one on lo
// (198.51.100.0/24, the traffic selectors). Documentation prefixes only:
// nothing leaves the machine.
type side struct {
	ns, iface    string
	addr, inner  string
	id           string
	label        string // "left" or "right"
	otherNS      string
	otherAddr    string
	otherID      string
	innerPrefix  string // inner + "/32"
	otherInnerPf string
}

// conn is this end's connection towards the other side.
func (s side) conn(proposals, esp string) Conn {
	return Conn{
		LocalAddr: s.addr, RemoteAddr: s.otherAddr,
		LocalID: s.id, RemoteID: s.otherID,
		Proposals: proposals, ESPProposals: esp,
		LocalTS: s.innerPrefix, RemoteTS: s.otherInnerPf,
		PSK: "ikev2ref-interop-psk-0123456789abcdef",
	}
}

// lab is one test's topology and everything started in it. Its cleanup
// (registered by newLab, so it runs after the test's own cleanups) stops
// the daemons by PID, shows the logs' tails when the test failed, and
// deletes the namespaces.
type lab struct {
	t           *testing.T
	dir         string
	left, right side
	procs       []*proc
	logs        []string // files whose tails are shown on failure
}

func newLab(t *testing.T) *lab {
	t.Helper()
	requireInterop(t)
	labSeqMu.Lock()
	labSeq++
	n := labSeq
	labSeqMu.Unlock()
	pid := os.Getpid()
	dir, err := os.MkdirTemp(os.Getenv("INTEROP_ARTIFACTS"), fmt.Sprintf("ikr-%d-", pid))
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	l := &lab{t: t, dir: dir}
	nsA, nsB := fmt.Sprintf("ikr%da%d", pid, n), fmt.Sprintf("ikr%db%d", pid, n)
	// Interface names carry the PID too (at most 15 characters): concurrent
	// runs of the suite never meet.
	ifA, ifB := fmt.Sprintf("iv%d-%da", pid%1000000, n), fmt.Sprintf("iv%d-%db", pid%1000000, n)
	l.left = side{ns: nsA, iface: ifA, addr: "192.0.2.1", inner: "198.51.100.1", id: "left@lab.example", label: "left"}
	l.right = side{ns: nsB, iface: ifB, addr: "192.0.2.2", inner: "198.51.100.2", id: "right@lab.example", label: "right"}
	link := func(a, b *side) {
		a.otherNS, a.otherAddr, a.otherID = b.ns, b.addr, b.id
		a.innerPrefix, a.otherInnerPf = a.inner+"/32", b.inner+"/32"
	}
	link(&l.left, &l.right)
	link(&l.right, &l.left)
	t.Cleanup(l.teardown)

	steps := [][]string{
		{"netns", "add", nsA},
		{"netns", "add", nsB},
		{"link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB},
		{"-n", nsA, "addr", "add", "192.0.2.1/24", "dev", ifA},
		{"-n", nsB, "addr", "add", "192.0.2.2/24", "dev", ifB},
		{"-n", nsA, "link", "set", ifA, "up"},
		{"-n", nsB, "link", "set", ifB, "up"},
		{"-n", nsA, "link", "set", "lo", "up"},
		{"-n", nsB, "link", "set", "lo", "up"},
		{"-n", nsA, "addr", "add", "198.51.100.1/32", "dev", "lo"},
		{"-n", nsB, "addr", "add", "198.51.100.2/32", "dev", "lo"},
	}
	for _, s := range steps {
		if out, err := run(10*time.Second, nil, "ip", s...); err != nil {
			t.Fatalf("interop: topology: %v\n%s", err, out)
		}
	}
	// The veth pair needs a moment to come up (carrier); bounded poll.
	if !waitFor(5*time.Second, 50*time.Millisecond, func() bool {
		out, _ := run(5*time.Second, nil, "ip", "-n", nsA, "-br", "link", "show", ifA)
		return strings.Contains(out, "UP")
	}) {
		t.Fatalf("interop: veth %s did not come up", ifA)
	}
	return l
}

// path names a file in the lab's directory.
func (l *lab) path(elem ...string) string { return filepath.Join(append([]string{l.dir}, elem...)...) }

// start runs argv as a daemon whose output goes to logPath; showLog adds
// the file to those shown on failure.
func (l *lab) start(name, logPath string, argv ...string) *proc {
	l.t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		l.t.Fatalf("interop: %v", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = l.dir
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("interop: start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	l.procs = append(l.procs, p)
	return p
}

// showLog adds a file to those whose tails are printed if the test fails.
func (l *lab) showLog(path string) { l.logs = append(l.logs, path) }

func (l *lab) teardown() {
	if l.t.Failed() {
		// Before stopping them: which daemons were still running? One that
		// ended early (crash, or a signal from outside the harness) says so.
		for _, p := range l.procs {
			if p.exited() {
				l.t.Logf("interop: %s (pid %d) had already ended: %v", p.name, p.cmd.Process.Pid, p.err)
			} else {
				l.t.Logf("interop: %s (pid %d) was running", p.name, p.cmd.Process.Pid)
			}
		}
	}
	for i := len(l.procs) - 1; i >= 0; i-- {
		p := l.procs[i]
		sig := syscall.SIGTERM
		if strings.HasPrefix(p.name, "tshark") {
			sig = syscall.SIGINT
		}
		p.stop(sig, 5*time.Second)
	}
	if l.t.Failed() {
		for _, f := range l.logs {
			l.t.Logf("==== tail of %s ====\n%s", f, tail(f, 60))
		}
		l.t.Logf("interop: artifacts kept in %s", l.dir)
	}
	for _, ns := range []string{l.left.ns, l.right.ns} {
		if out, err := run(10*time.Second, nil, "ip", "netns", "del", ns); err != nil {
			l.t.Logf("interop: %v\n%s", err, out)
		}
	}
	if !l.t.Failed() && os.Getenv("INTEROP_ARTIFACTS") == "" {
		os.RemoveAll(l.dir)
	}
}

// nsRun runs a command inside a namespace with a deadline.
func (l *lab) nsRun(s side, timeout time.Duration, argv ...string) (string, error) {
	return run(timeout, nil, "ip", append([]string{"netns", "exec", s.ns}, argv...)...)
}

// capture is tshark writing a pcap on one side's veth.
type capture struct {
	l    *lab
	p    *proc
	s    side
	pcap string
	seq  int
}

// startCapture starts tshark on s's veth (UDP only) and returns once it
// sees the traffic: a marker datagram sent from the other side has reached
// the file. ("Capturing on" comes before dumpcap has opened the device, and
// packets sent right after it are lost.)
func (l *lab) startCapture(s side, name string) *capture {
	l.t.Helper()
	return l.startCaptureFilter(s, name, "udp")
}

// startCaptureFilter is startCapture with a capture filter ("udp or esp"
// for raw ESP).
func (l *lab) startCaptureFilter(s side, name, filter string) *capture {
	l.t.Helper()
	pcap := l.path(name + ".pcap")
	out := l.path(name + ".tshark.out")
	p := l.start("tshark-"+name, out, "ip", "netns", "exec", s.ns, "tshark", "-q", "-i", s.iface, "-f", filter, "-w", pcap)
	l.showLog(out)
	c := &capture{l: l, p: p, s: s, pcap: pcap}
	if !waitFor(15*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(readFile(out), "Capturing on") || p.exited()
	}) || p.exited() {
		l.t.Fatalf("interop: tshark did not start capturing on %s:\n%s", s.iface, tail(out, 20))
	}
	if err := c.mark(); err != nil {
		l.t.Fatalf("interop: capture on %s: %v\n%s", s.iface, err, tail(out, 20))
	}
	return c
}

// mark sends UDP datagrams to the discard port of the captured side, from
// the other side, until one is in the pcap file (bounded). Every packet
// that crossed the veth before it is then in the file too: libpcap hands
// packets over in blocks, and dumpcap drops a block it has not read when it
// is stopped.
func (c *capture) mark() error {
	c.seq++
	m := fmt.Sprintf("ikev2ref-capture-mark-%d-%d", os.Getpid(), c.seq)
	script := fmt.Sprintf("echo %s > /dev/udp/%s/9", m, c.s.addr)
	sent := 0
	ok := waitFor(10*time.Second, 100*time.Millisecond, func() bool {
		if b, _ := os.ReadFile(c.pcap); strings.Contains(string(b), m) {
			return true
		}
		if sent%5 == 0 { // again every 500 ms
			_, _ = run(5*time.Second, nil, "ip", "netns", "exec", c.s.otherNS, "bash", "-c", script)
		}
		sent++
		return false
	})
	if !ok {
		return fmt.Errorf("marker %s not captured within 10s", m)
	}
	return nil
}

// stop waits until everything sent so far is in the file (a marker), then
// ends tshark with SIGINT, bounded, and returns the pcap's path.
func (c *capture) stop(t *testing.T) string {
	t.Helper()
	if err := c.mark(); err != nil {
		t.Errorf("interop: capture on %s: %v", c.s.iface, err)
	}
	c.p.stop(syscall.SIGINT, 5*time.Second)
	if _, err := os.Stat(c.pcap); err != nil {
		t.Fatalf("interop: no capture written: %v\n%s", err, tail(c.p.log, 20))
	}
	return c.pcap
}
