package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/internal/capture"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

// testWait bounds every wait of these tests.
const testWait = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a refserver running in-process on 127.0.0.1 with ephemeral
// ports and a private control socket.
type testServer struct {
	ctl    string         // control socket
	ike    netip.AddrPort // 127.0.0.1 and the IKE port
	natt   netip.AddrPort // 127.0.0.1 and the NAT-T port
	stdout *syncBuffer    // the banner
	stderr *syncBuffer    // the log
	stop   func()         // stops the server and waits for it (idempotent)
}

// startServer starts a refserver with configText as its swanctl.conf (the
// embedded default when empty) on 127.0.0.1 with ephemeral ports and a
// temporary control socket, and stops it at the end of the test. It
// returns the control socket's path (for ctl, see runCtlT), the address of
// the IKE socket, and a stop function that may be called earlier.
func startServer(t *testing.T, configText string) (ctlPath string, ikeAddr netip.AddrPort, stop func()) {
	t.Helper()
	var o options
	if configText != "" {
		o.configPath = filepath.Join(t.TempDir(), "swanctl.conf")
		writeFile(t, o.configPath, configText)
	}
	ts := startServerOpts(t, o)
	return ts.ctl, ts.ike, ts.stop
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// liveServers counts the test servers running, and the goroutines there
// were before the first started.
var liveServers struct {
	sync.Mutex
	n          int
	goroutines int
}

// startServerOpts starts a refserver with the given options, filling in the
// loopback address, ephemeral ports, a temporary control socket and debug
// logging where they are not set.
func startServerOpts(t *testing.T, o options) *testServer {
	t.Helper()
	if len(o.listen) == 0 {
		o.listen = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	}
	if o.ctlPath == "" {
		// Unix socket paths are short (108 octets): not under t.TempDir().
		dir, err := os.MkdirTemp("", "rs")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		o.ctlPath = filepath.Join(dir, "ctl")
	}
	if o.logFormat == "" {
		o.logFormat = "text"
	}
	if o.logLevel == "" {
		o.logLevel = "debug"
	}
	ts := &testServer{ctl: o.ctlPath, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	liveServers.Lock()
	if liveServers.n == 0 {
		liveServers.goroutines = runtime.NumGoroutine()
	}
	liveServers.n++
	liveServers.Unlock()
	s, err := newServer(o, ts.stdout, ts.stderr)
	if err != nil {
		liveServers.Lock()
		liveServers.n--
		liveServers.Unlock()
		t.Fatalf("newServer: %v\n%s", err, ts.stderr)
	}
	ikePort, nattPort := s.net.Ports()
	ts.ike = netip.AddrPortFrom(o.listen[0], ikePort)
	ts.natt = netip.AddrPortFrom(o.listen[0], nattPort)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx) }()
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(testWait):
				t.Errorf("the server did not stop within %v", testWait)
				return
			}
			// When the last test server stops, every goroutine the servers
			// started has ended.
			liveServers.Lock()
			defer liveServers.Unlock()
			if liveServers.n--; liveServers.n > 0 {
				return
			}
			deadline := time.Now().Add(testWait)
			for runtime.NumGoroutine() > liveServers.goroutines && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > liveServers.goroutines {
				t.Errorf("%d goroutines after the servers stopped, %d before", n, liveServers.goroutines)
			}
		})
	}
	t.Cleanup(func() {
		ts.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", ts.stderr)
		}
	})
	return ts
}

// runCtlT runs `refserver ctl --ctl PATH args...` in-process.
func runCtlT(t *testing.T, ctlPath string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runCtl(append([]string{"--ctl", ctlPath}, args...), &o, &e) }()
	select {
	case code = <-done:
	case <-time.After(2 * testWait):
		t.Fatalf("ctl %v did not return", args)
	}
	return o.String(), e.String(), code
}

// rawCtl sends one raw request line and returns the decoded response.
func rawCtl(t *testing.T, ctlPath, line string) response {
	t.Helper()
	c, err := net.DialTimeout("unix", ctlPath, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	b, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %q: %v", b, err)
	}
	return r
}

func TestServerDefaultConfig(t *testing.T) {
	ts := startServerOpts(t, options{})
	// The banner says how to reach the server.
	banner := ts.stdout.String()
	for _, want := range []string{"ike-scan --ikev2", "--sport=0", "--dport=" + itoa(ts.ike.Port()),
		"connections {", "remote_addrs = 127.0.0.1", "remote_port = " + itoa(ts.ike.Port()), "secret = ", "swanctl --initiate",
		"  default: IKE SA rekey_time 4h, over_time 24m, rand_time 24m\n",
		"  default/net: CHILD_SA rekey_time 1h, life_time 66m, rand_time 6m\n"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if fi, err := os.Stat(ts.ctl); err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("control socket: %v, %v", fi.Mode(), err)
	}

	out, errOut, code := runCtlT(t, ts.ctl, "list-sas", "--json")
	if code != 0 {
		t.Fatalf("list-sas --json: exit %d: %s", code, errOut)
	}
	var sas []saJSON
	if err := json.Unmarshal([]byte(out), &sas); err != nil || sas == nil || len(sas) != 0 {
		t.Errorf("list-sas --json = %q (%v), want []", out, err)
	}
	out, errOut, code = runCtlT(t, ts.ctl, "list-sas")
	if code != 0 || out != "" {
		t.Errorf("list-sas: exit %d, %q, %s", code, out, errOut)
	}

	out, errOut, code = runCtlT(t, ts.ctl, "stats", "--json")
	if code != 0 {
		t.Fatalf("stats --json: exit %d: %s", code, errOut)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("stats --json %q: %v", out, err)
	}
	for _, k := range []string{"dropped", "retransmits", "cached_responses", "half_open", "cookies_sent"} {
		if _, ok := raw["ike"][k]; !ok {
			t.Errorf("stats --json lacks ike.%s: %s", k, out)
		}
	}
	for _, k := range []string{"ike_received", "ike_sent", "keepalives", "esp_in_udp", "malformed"} {
		if _, ok := raw["netio"][k]; !ok {
			t.Errorf("stats --json lacks netio.%s: %s", k, out)
		}
	}
	out, _, code = runCtlT(t, ts.ctl, "stats")
	if code != 0 || !strings.Contains(out, "IKE messages dropped:") || !strings.Contains(out, "UDP NAT keepalives:") {
		t.Errorf("stats: exit %d:\n%s", code, out)
	}
	ts.stop()
	if _, err := os.Stat(ts.ctl); err == nil {
		t.Error("the control socket is still there after stop")
	}
	if !strings.Contains(ts.stderr.String(), "stopped") {
		t.Errorf("no stop in the log:\n%s", ts.stderr)
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// TestServerDatagrams checks that the loop takes datagrams from both
// sockets (and that netio counts keepalives on the NAT-T port).
func TestServerDatagrams(t *testing.T) {
	pcapPath := filepath.Join(t.TempDir(), "out.pcap")
	ts := startServerOpts(t, options{pcapPath: pcapPath})
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	garbage := []byte("not an IKE message, but 28 octets or more long")
	u.WriteToUDPAddrPort(garbage, ts.ike)
	u.WriteToUDPAddrPort([]byte{0xff}, ts.natt)
	u.WriteToUDPAddrPort(append([]byte{0, 0, 0, 0}, garbage...), ts.natt)
	deadline := time.Now().Add(testWait)
	var st statsJSON
	for {
		out, errOut, code := runCtlT(t, ts.ctl, "stats", "--json")
		if code != 0 {
			t.Fatalf("stats: %s", errOut)
		}
		st = statsJSON{}
		json.Unmarshal([]byte(out), &st)
		if st.NetIO.IKEReceived == 2 && st.NetIO.Keepalives == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.stop()
	ds, err := capture.ReadFile(pcapPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 3 {
		t.Fatalf("%d packets in the capture, want at least 3", len(ds))
	}
	from := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(u.LocalAddr().(*net.UDPAddr).Port))
	want := []struct {
		dst     netip.AddrPort
		payload []byte
	}{{ts.ike, garbage}, {ts.natt, []byte{0xff}}, {ts.natt, append([]byte{0, 0, 0, 0}, garbage...)}}
	// The two sockets' readers race: look for each packet, in any order.
	// Ephemeral ports are neither 500 nor 4500: capture calls them
	// "other", with the UDP payload as it was.
	for _, w := range want {
		found := false
		for _, d := range ds {
			found = found || d.Src == from && d.Dst == w.dst && bytes.Equal(d.Payload, w.payload)
		}
		if !found {
			t.Errorf("no packet %v -> %v %x in the capture", from, w.dst, w.payload)
		}
	}
}

func TestServerJSONLog(t *testing.T) {
	ts := startServerOpts(t, options{logFormat: "json", logLevel: "info"})
	ts.stop()
	lines := strings.Split(strings.TrimSpace(ts.stderr.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("log:\n%s", ts.stderr)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("log line %q is not JSON: %v", l, err)
			continue
		}
		if m["@message"] == nil || m["@level"] == nil {
			t.Errorf("log line %q lacks @message or @level", l)
		}
	}
}

func TestServerKeylogWarning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ts := startServerOpts(t, options{keylogDir: dir})
	ts.stop()
	if !strings.Contains(ts.stderr.String(), "WARNING: --keylog") {
		t.Errorf("no warning on stderr:\n%s", ts.stderr)
	}
	for _, f := range []string{ikeTableFile, espTableFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
}

func TestServerControlSocketInUse(t *testing.T) {
	ts := startServerOpts(t, options{})
	var stderr syncBuffer
	_, err := newServer(options{ctlPath: ts.ctl, listen: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		logFormat: "text", logLevel: "info"}, &syncBuffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "another server is listening") {
		t.Errorf("second server on the same control socket: %v", err)
	}
	// The first one still answers.
	if _, errOut, code := runCtlT(t, ts.ctl, "list-sas"); code != 0 {
		t.Errorf("list-sas: %s", errOut)
	}
}

func TestServerStaleControlSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ctl")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // leaves the socket file behind, nobody listening
	ts := startServerOpts(t, options{ctlPath: path})
	if _, errOut, code := runCtlT(t, ts.ctl, "stats"); code != 0 {
		t.Errorf("stats: %s", errOut)
	}
	// A file that is not a socket is not replaced.
	notSock := filepath.Join(dir, "plain")
	os.WriteFile(notSock, nil, 0o600)
	if _, err := listenCtl(notSock); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listenCtl on a plain file: %v", err)
	}
}

func TestCtlErrors(t *testing.T) {
	ts := startServerOpts(t, options{})
	for _, tc := range []struct {
		line, want string
	}{
		{`{"command":"frobnicate"}`, `refserver: unknown command "frobnicate" (commands: initiate, terminate, rekey, list-sas, stats, probe, impair)`},
		{`{}`, "refserver: the request has no command"},
		{`not json`, "refserver: bad request: "},
		{`{"command":"stats","extra":1}`, `refserver: bad request: json: unknown field "extra"`},
		{`{"command":"initiate"}`, "refserver: initiate needs a connection name"},
		{`{"command":"list-sas","name":"x"}`, "refserver: list-sas takes no name, child or timeout"},
		{`{"command":"initiate","name":"x","timeout":"soon"}`, `refserver: timeout "soon": want a duration`},
		{`{"command":"initiate","name":"no-such-connection","timeout":"1s"}`, "refserver: initiate no-such-connection: "},
		{`{"command":"terminate","name":"no-such-connection","timeout":"1s"}`, "refserver: terminate no-such-connection: "},
		{`{"command":"rekey"}`, "refserver: rekey needs a connection name"},
		{`{"command":"rekey","name":"default","child":"net","ike":true}`, "refserver: rekey takes a child or ike, not both"},
		{`{"command":"rekey","name":"default","timeout":"5s"}`, "refserver: rekey takes no timeout: it starts the rekey and does not wait"},
		{`{"command":"initiate","name":"default","ike":true}`, "refserver: initiate takes no ike"},
		{`{"command":"list-sas","ike":true}`, "refserver: list-sas takes no ike"},
		{`{"command":"rekey","name":"no-such-connection","ike":true}`, "refserver: rekey no-such-connection: ike: "},
	} {
		r := rawCtl(t, ts.ctl, tc.line)
		if r.OK || !strings.HasPrefix(r.Error, tc.want) {
			t.Errorf("%s: got ok=%v error %q, want an error starting %q", tc.line, r.OK, r.Error, tc.want)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `refserver ctl: unknown command "frobnicate"`},
		{nil, 2, "refserver ctl: no command"},
		{[]string{"list-sas", "extra"}, 2, "list-sas takes no arguments"},
		{[]string{"stats", "--child", "x"}, 2, "stats takes no --child or --timeout"},
		{[]string{"initiate"}, 2, "initiate takes one connection name"},
		{[]string{"initiate", "x", "--json"}, 2, "initiate takes no --json"},
		{[]string{"--bogus"}, 2, "flag provided but not defined"},
		{[]string{"initiate", "no-such-connection", "--timeout", "1s"}, 1, "refserver: initiate no-such-connection: "},
		{[]string{"terminate", "no-such-connection", "--child", "net"}, 1, "refserver: terminate no-such-connection: "},
		{[]string{"rekey"}, 2, "rekey takes one connection name"},
		{[]string{"rekey", "a", "b"}, 2, "rekey takes one connection name"},
		{[]string{"rekey", "default", "--child", "net", "--ike"}, 2, "rekey takes --child or --ike, not both"},
		{[]string{"rekey", "default", "--timeout", "5s"}, 2, "rekey takes no --json or --timeout"},
		{[]string{"rekey", "default", "--json"}, 2, "rekey takes no --json or --timeout"},
		{[]string{"rekey", "default", "--count", "2"}, 2, "rekey takes no --count"},
		{[]string{"initiate", "default", "--ike"}, 2, "initiate takes no --ike"},
		{[]string{"stats", "--ike"}, 2, "stats takes no --ike"},
		{[]string{"rekey", "no-such-connection", "--ike"}, 1, "refserver: rekey no-such-connection: ike: "},
	} {
		_, errOut, code := runCtlT(t, ts.ctl, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("ctl %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	// No server.
	_, errOut, code := runCtlT(t, filepath.Join(t.TempDir(), "none"), "list-sas")
	if code != 1 || !strings.Contains(errOut, "refserver ctl: is the server running?") {
		t.Errorf("ctl without a server: exit %d, %q", code, errOut)
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--log-format", "xml"}, 2, `--log-format "xml"`},
		{[]string{"--log-level", "loud"}, 2, `--log-level "loud"`},
		{[]string{"--ike-port", "70000"}, 2, "take 0 to 65535"},
		{[]string{"--ike-port", "600", "--natt-port", "600"}, 2, "must differ"},
		{[]string{"--listen", "nowhere"}, 2, "--listen"},
		{[]string{"--fragment-size", "100"}, 2, "--fragment-size 100: want 0, or 256 to 65535"},
		{[]string{"list-sas"}, 2, `unexpected argument "list-sas"`},
		{[]string{"--help"}, 0, "usage: refserver"},
	} {
		var o, e bytes.Buffer
		code := run(context.Background(), tc.args, &o, &e)
		if code != tc.code || !strings.Contains(e.String(), tc.want) {
			t.Errorf("refserver %q: exit %d, stderr %q; want %d and %q", tc.args, code, e.String(), tc.code, tc.want)
		}
	}
}

func TestRunStartFailure(t *testing.T) {
	var o, e bytes.Buffer
	code := run(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "missing.conf"),
		"--ctl", filepath.Join(t.TempDir(), "ctl")}, &o, &e)
	if code != 1 || !strings.HasPrefix(e.String(), "refserver: ") {
		t.Errorf("missing config: exit %d, %q", code, e.String())
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	// The embedded default is a valid configuration.
	_, def := swanctl.Default()
	good := filepath.Join(dir, "good.conf")
	os.WriteFile(good, def, 0o600)
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"--check-config", good}, &o, &e); code != 0 {
		t.Fatalf("--check-config default: exit %d: %s", code, e.String())
	}
	if !strings.Contains(o.String(), good+": OK") || !strings.Contains(o.String(), "connection(s)") ||
		!strings.Contains(o.String(), "proposals: ") {
		t.Errorf("summary:\n%s", o.String())
	}
	cfg, _ := swanctl.Default()
	for _, s := range cfg.Secrets {
		if len(s.Key) > 0 && strings.Contains(o.String(), string(s.Key)) {
			t.Errorf("the summary shows a secret:\n%s", o.String())
		}
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("connections {\n  x {\n"), 0o600)
	o.Reset()
	e.Reset()
	if code := run(context.Background(), []string{"--check-config", bad}, &o, &e); code != 1 || !strings.HasPrefix(e.String(), "refserver: ") {
		t.Errorf("--check-config broken: exit %d: %q", code, e.String())
	}
}

// TestServerStopsWithIdleClient checks that a control client that connects
// and sends nothing does not hold up the stop.
func TestServerStopsWithIdleClient(t *testing.T) {
	ts := startServerOpts(t, options{})
	c, err := net.DialTimeout("unix", ts.ctl, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Make sure the server accepted it: a second client is answered.
	if _, errOut, code := runCtlT(t, ts.ctl, "stats"); code != 0 {
		t.Fatal(errOut)
	}
	start := time.Now()
	ts.stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stop took %v", d)
	}
}
