package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of the data plane: two refservers (this test binary,
// started again as the server) in two network namespaces joined by a veth
// pair, on documentation prefixes (192.0.2.1 and 192.0.2.2 outside,
// 198.51.100.1 and 198.51.100.2 inside on lo), carrying real packets. They
// need root (namespaces, raw sockets, TUN) and skip loudly without it.

// serveEnv, set to 1, makes the test binary run as the refserver.
const serveEnv = "REFSERVER_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// netnsWait bounds every wait of these tests.
const netnsWait = 20 * time.Second

// requireNetns skips the test, loudly, where it cannot run.
func requireNetns(t *testing.T) {
	t.Helper()
	why := ""
	switch {
	case testing.Short():
		why = "-short"
	case os.Geteuid() != 0:
		why = "not root (network namespaces, raw ESP sockets and TUN need root)"
	}
	if why == "" {
		for _, b := range []string{"ip", "ping"} {
			if _, err := exec.LookPath(b); err != nil {
				why = "no " + b
			}
		}
	}
	if why == "" {
		if _, err := os.Stat("/dev/net/tun"); err != nil {
			why = "no /dev/net/tun"
		}
	}
	if why != "" {
		banner := strings.Repeat("#", 70)
		t.Skipf("\n%s\n# DATA PLANE END-TO-END TEST SKIPPED: %s\n%s", banner, why, banner)
	}
	reapOnce.Do(reapStaleNS)
}

var (
	reapOnce sync.Once
	nsNameRE = regexp.MustCompile(`^rsdp([0-9]+)[ab][0-9]+$`)
)

// reapStaleNS removes the namespaces an earlier run left behind (a test
// binary killed by go test -timeout runs no cleanups): only those whose
// creating process is gone, after ending the processes inside by PID.
func reapStaleNS() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := nsNameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		pids, _ := exec.Command("ip", "netns", "pids", f[0]).Output()
		for _, p := range strings.Fields(string(pids)) {
			if n, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(n, syscall.SIGKILL)
			}
		}
		_ = exec.Command("ip", "netns", "del", f[0]).Run()
	}
}

var netnsSeq struct {
	sync.Mutex
	n int
}

// nsLab is two namespaces a and b joined by a veth pair.
type nsLab struct {
	t      *testing.T
	dir    string
	ns     [2]string
	procs  []*exec.Cmd
	logs   []string
	waited map[*exec.Cmd]chan struct{}
}

var (
	outer = [2]string{"192.0.2.1", "192.0.2.2"}
	inner = [2]string{"198.51.100.1", "198.51.100.2"}
	ids   = [2]string{"left@lab.example", "right@lab.example"}
)

func newNSLab(t *testing.T) *nsLab {
	t.Helper()
	requireNetns(t)
	netnsSeq.Lock()
	netnsSeq.n++
	n := netnsSeq.n
	netnsSeq.Unlock()
	pid := os.Getpid()
	// Short, unique names: this process's PID and a sequence number.
	l := &nsLab{t: t, ns: [2]string{fmt.Sprintf("rsdp%da%d", pid, n), fmt.Sprintf("rsdp%db%d", pid, n)},
		waited: map[*exec.Cmd]chan struct{}{}}
	// Unix socket paths are short: not under t.TempDir().
	dir, err := os.MkdirTemp("", "rsdp")
	if err != nil {
		t.Fatal(err)
	}
	l.dir = dir
	t.Cleanup(l.teardown)
	ifa, ifb := fmt.Sprintf("rv%d-%da", pid%100000, n), fmt.Sprintf("rv%d-%db", pid%100000, n)
	for _, args := range [][]string{
		{"netns", "add", l.ns[0]},
		{"netns", "add", l.ns[1]},
		{"link", "add", ifa, "netns", l.ns[0], "type", "veth", "peer", "name", ifb, "netns", l.ns[1]},
		{"-n", l.ns[0], "addr", "add", outer[0] + "/24", "dev", ifa},
		{"-n", l.ns[1], "addr", "add", outer[1] + "/24", "dev", ifb},
		{"-n", l.ns[0], "link", "set", ifa, "up"},
		{"-n", l.ns[1], "link", "set", ifb, "up"},
		{"-n", l.ns[0], "link", "set", "lo", "up"},
		{"-n", l.ns[1], "link", "set", "lo", "up"},
		{"-n", l.ns[0], "addr", "add", inner[0] + "/32", "dev", "lo"},
		{"-n", l.ns[1], "addr", "add", inner[1] + "/32", "dev", "lo"},
	} {
		if out, err := l.cmd(10*time.Second, "ip", args...); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The veth needs a moment for its carrier: until a ping gets through.
	if !l.poll(10*time.Second, func() bool {
		_, err := l.cmd(5*time.Second, "ip", "netns", "exec", l.ns[0], "ping", "-c", "1", "-W", "1", outer[1])
		return err == nil
	}) {
		t.Fatal("the veth pair does not carry packets")
	}
	return l
}

// cmd runs a command with a deadline and returns its combined output.
func (l *nsLab) cmd(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func (l *nsLab) poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// start runs a refserver in namespace i with the connection conf and the
// extra flags, and waits (bounded) for its control socket.
func (l *nsLab) start(i int, conf labConf, extra ...string) string {
	l.t.Helper()
	self, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	side := string(rune('a' + i))
	cfgPath := filepath.Join(l.dir, side+".conf")
	writeFile(l.t, cfgPath, conf.String())
	ctl := filepath.Join(l.dir, side+".ctl")
	logPath := filepath.Join(l.dir, side+".log")
	f, err := os.Create(logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	args := append([]string{"netns", "exec", l.ns[i], self, "--config", cfgPath, "--ctl", ctl,
		"--listen", outer[i], "--log-level", "debug"}, extra...)
	c := exec.Command("ip", args...)
	c.Env = append(os.Environ(), serveEnv+"=1")
	c.Stdout, c.Stderr = f, f
	if err := c.Start(); err != nil {
		f.Close()
		l.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.Wait(); f.Close(); close(done) }()
	l.procs = append(l.procs, c)
	l.waited[c] = done
	l.logs = append(l.logs, logPath)
	if !l.poll(15*time.Second, func() bool {
		select {
		case <-done:
			return true
		default:
		}
		fi, err := os.Stat(ctl)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	}) {
		l.t.Fatalf("refserver %s did not come up", side)
	}
	select {
	case <-done:
		b, _ := os.ReadFile(logPath)
		l.t.Fatalf("refserver %s ended: %s", side, b)
	default:
	}
	return ctl
}

// teardown stops the servers by PID (SIGTERM, then SIGKILL), shows their
// logs if the test failed, and deletes the namespaces.
func (l *nsLab) teardown() {
	for _, c := range l.procs {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case <-l.waited[c]:
		case <-time.After(5 * time.Second):
			l.t.Errorf("refserver pid %d did not stop within 5s: killed", c.Process.Pid)
			c.Process.Kill()
			<-l.waited[c]
		}
	}
	if l.t.Failed() {
		for _, p := range l.logs {
			b, _ := os.ReadFile(p)
			l.t.Logf("==== %s ====\n%s", p, tailLines(string(b), 80))
		}
	}
	for _, ns := range l.ns {
		if out, err := l.cmd(10*time.Second, "ip", "netns", "del", ns); err != nil {
			l.t.Logf("ip netns del %s: %v %s", ns, err, out)
		}
	}
	os.RemoveAll(l.dir)
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// confs are the two ends' connections; a initiates.
func confs(mode string) [2]labConf {
	a := labConf{local: outer[0], remote: outer[1], localID: ids[0], remoteID: ids[1], mode: mode,
		localTS: inner[0] + "/32", remoteTS: inner[1] + "/32"}
	if mode == "transport" {
		a.localTS, a.remoteTS = "dynamic", "dynamic"
	}
	return [2]labConf{a, a.mirror()}
}

var pingRTT = regexp.MustCompile(`rtt min/avg/max/mdev = ([0-9./]+) ms`)

// ping pings b's inner address from a's, bounded.
func (l *nsLab) ping() string {
	l.t.Helper()
	out, err := l.cmd(netnsWait, "ip", "netns", "exec", l.ns[0], "ping", "-c", "3", "-W", "2", "-I", inner[0], inner[1])
	if err != nil {
		l.t.Fatalf("ping %s -> %s: %v\n%s", inner[0], inner[1], err, out)
	}
	if !strings.Contains(out, "3 received") {
		l.t.Errorf("ping: %s", out)
	}
	if m := pingRTT.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return "?"
}

// checkCounters checks that both ends' Child SA carried at least n packets
// each way in the expected encapsulation, without drops.
func checkCounters(t *testing.T, ctls [2]string, n uint64, udp bool) {
	t.Helper()
	for i, ctl := range ctls {
		c := oneChild(t, ids[i], listSAs(t, ctl))
		if !c.DataPlane || c.UDPEncap != udp || c.PacketsIn < n || c.PacketsOut < n || c.BytesIn == 0 || c.BytesOut == 0 ||
			c.ReplayDrops+c.ICVFailures+c.SelectorDrops+c.Malformed+c.SendErrors != 0 {
			t.Errorf("%s: Child SA %+v", ids[i], c)
		}
		t.Logf("%s: %s in %s: %d bytes, %d packets; out %s: %d bytes, %d packets", ids[i], c.Mode, c.SPIIn, c.BytesIn,
			c.PacketsIn, c.SPIOut, c.BytesOut, c.PacketsOut)
	}
}

func (l *nsLab) initiate(ctl string) {
	l.t.Helper()
	if out, errOut, code := runCtlT(l.t, ctl, "initiate", "lab", "--child", "net", "--timeout", "10s"); code != 0 {
		l.t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
}

// TestDataPlaneNetns: real packets through refserver tunnels.
func TestDataPlaneNetns(t *testing.T) {
	t.Run("tunnel-raw-esp", func(t *testing.T) {
		l := newNSLab(t)
		c := confs("tunnel")
		// b answers UDP echo inside the tunnel, for a's probe.
		ctlB := l.start(1, c[1], "--tunnel-echo")
		ctls := [2]string{l.start(0, c[0]), ctlB}
		l.initiate(ctls[0])
		// The remote selector is routed into the device, from the local one.
		out, _ := l.cmd(10*time.Second, "ip", "-n", l.ns[0], "route", "show", inner[1])
		if !strings.Contains(out, "dev ikev2ref0") || !strings.Contains(out, "src "+inner[0]) {
			t.Errorf("route to %s: %q", inner[1], out)
		}
		rtt := l.ping()
		t.Logf("ping %s -> %s over raw ESP: rtt min/avg/max/mdev %s ms", inner[0], inner[1], rtt)
		checkCounters(t, ctls, 3, false)
		// The probe over the tunnel: b's echo service answers.
		pout, perr, code := runCtlT(t, ctls[0], "probe", "lab", "--count", "3", "--timeout", "5s")
		if code != 0 || !strings.Contains(pout, "3 received") {
			t.Errorf("probe over the tunnel: exit %d: %s%s", code, pout, perr)
		}
		t.Logf("ctl probe: %s", strings.TrimSpace(pout))
		text, _, _ := runCtlT(t, ctls[0], "list-sas")
		t.Logf("ctl list-sas (a):\n%s", text)
		if st := statsOf(t, ctls[1]); st.DataPlane == nil || st.DataPlane.Device != "ikev2ref0" || st.DataPlane.DeviceWritten < 3 ||
			st.DataPlane.EchoReplies != 3 || st.NetIO.ESPInUDP != 0 {
			t.Errorf("b's stats: %+v %+v", st.NetIO, st.DataPlane)
		}
		// Terminated, the Child SA takes its route with it.
		if out, errOut, code := runCtlT(t, ctls[0], "terminate", "lab", "--timeout", "10s"); code != 0 {
			t.Fatalf("terminate: %s%s", out, errOut)
		}
		if out, _ := l.cmd(10*time.Second, "ip", "-n", l.ns[0], "route", "show", inner[1]); strings.Contains(out, "ikev2ref0") {
			t.Errorf("route after terminate: %q", out)
		}
	})
	t.Run("tunnel-udp-encap", func(t *testing.T) {
		l := newNSLab(t)
		c := confs("tunnel")
		ctlB := l.start(1, c[1], "--force-encap")
		ctlA := l.start(0, c[0], "--force-encap")
		l.initiate(ctlA)
		rtt := l.ping()
		t.Logf("ping %s -> %s over ESP in UDP: rtt min/avg/max/mdev %s ms", inner[0], inner[1], rtt)
		checkCounters(t, [2]string{ctlA, ctlB}, 3, true)
		for i, ctl := range []string{ctlA, ctlB} {
			if st := statsOf(t, ctl); st.NetIO.ESPInUDP < 3 || st.NetIO.ESPSent < 3 {
				t.Errorf("%s: ESP in UDP received %d, sent %d", ids[i], st.NetIO.ESPInUDP, st.NetIO.ESPSent)
			}
		}
	})
	t.Run("transport-probe", func(t *testing.T) {
		l := newNSLab(t)
		c := confs("transport")
		ctlB := l.start(1, c[1])
		ctlA := l.start(0, c[0])
		l.initiate(ctlA)
		out, errOut, code := runCtlT(t, ctlA, "probe", "lab", "--count", "3", "--timeout", "5s")
		if code != 0 || !strings.Contains(out, "3 sent, 3 received") {
			t.Fatalf("probe: exit %d: %s%s", code, out, errOut)
		}
		t.Logf("ctl probe: %s", strings.TrimSpace(out))
		checkCounters(t, [2]string{ctlA, ctlB}, 3, false)
		// Transport mode needs no device.
		if out, err := l.cmd(10*time.Second, "ip", "-n", l.ns[0], "link", "show", "ikev2ref0"); err == nil {
			t.Errorf("a tunnel device exists for transport mode: %s", out)
		}
		if st := statsOf(t, ctlB); st.DataPlane == nil || st.DataPlane.EchoReplies != 3 {
			t.Errorf("b's stats: %+v", st.DataPlane)
		}
	})
}
