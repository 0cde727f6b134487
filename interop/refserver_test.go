package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// refserver is cmd/refserver in one namespace.
type refserver struct {
	l       *lab
	s       side
	conn    Conn
	bin     string
	dir     string
	p       *proc
	ctlPath string
	logPath string
	keylog  string // the --keylog directory (a Wireshark configuration directory)
	pcap    string // the --pcap file
}

var (
	refserverHelpOnce sync.Once
	refserverHelp     string
)

// refserverHasFlag reports whether `refserver --help` lists a flag (flags
// that arrive later: --force-cookies, --retransmit-*).
func refserverHasFlag(t *testing.T, flag string) bool {
	t.Helper()
	bin := built(t, "refserver")
	refserverHelpOnce.Do(func() {
		refserverHelp, _ = run(10*time.Second, nil, bin, "--help")
	})
	return strings.Contains(refserverHelp, "-"+strings.TrimLeft(flag, "-")+" ") ||
		strings.Contains(refserverHelp, "-"+strings.TrimLeft(flag, "-")+"\n") ||
		strings.Contains(refserverHelp, "-"+strings.TrimLeft(flag, "-")+"=")
}

// requireRefserverFlags skips the test, loudly, when the refserver lacks a
// flag the scenario needs.
func requireRefserverFlags(t *testing.T, flags ...string) {
	t.Helper()
	var missing []string
	for _, f := range flags {
		if !refserverHasFlag(t, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		t.Skipf("INTEROP SCENARIO SKIPPED: refserver has no %s flag yet (see `refserver --help`)", strings.Join(missing, ", "))
	}
}

// startRefserver writes the configuration, starts the refserver in s's
// namespace with a pcap, a key log and debug logging, and waits (bounded)
// for its control socket.
func startRefserver(l *lab, s side, conn Conn, extra ...string) *refserver {
	l.t.Helper()
	return startRefserverWith(l, s, conn, true, extra...)
}

// startRefserverWith starts the refserver with (artifacts) or without its
// pcap and key log: the load benchmark runs without, since refserver
// rewrites the key table for every SA.
func startRefserverWith(l *lab, s side, conn Conn, artifacts bool, extra ...string) *refserver {
	l.t.Helper()
	bin := built(l.t, "refserver")
	r := &refserver{l: l, s: s, conn: conn, bin: bin, dir: l.path("refserver-" + s.label)}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		l.t.Fatalf("interop: %v", err)
	}
	r.ctlPath = filepath.Join(r.dir, "ctl.sock")
	r.logPath = filepath.Join(r.dir, "refserver.log")
	r.keylog = filepath.Join(r.dir, "keylog")
	r.pcap = filepath.Join(r.dir, "refserver.pcap")
	cfg := filepath.Join(r.dir, "swanctl.conf")
	if err := os.WriteFile(cfg, []byte(conn.SwanctlConf()), 0o600); err != nil {
		l.t.Fatalf("interop: %v", err)
	}
	argv := []string{"ip", "netns", "exec", s.ns, bin, "--config", cfg, "--ctl", r.ctlPath, "--log-level", "debug"}
	if artifacts {
		argv = append(argv, "--keylog", r.keylog, "--pcap", r.pcap)
	}
	argv = append(argv, extra...)
	r.p = l.start("refserver-"+s.label, r.logPath, argv...)
	l.showLog(r.logPath)
	if !waitFor(15*time.Second, 50*time.Millisecond, func() bool {
		st, err := os.Stat(r.ctlPath)
		return (err == nil && st.Mode()&os.ModeSocket != 0) || r.p.exited()
	}) || r.p.exited() {
		l.t.Fatalf("interop: refserver (%s) did not come up (exit: %v):\n%s", s.label, r.p.err, tail(r.logPath, 40))
	}
	return r
}

func (r *refserver) ctl(timeout time.Duration, args ...string) (string, error) {
	return run(timeout, nil, r.bin, append([]string{"ctl", "--ctl", r.ctlPath}, args...)...)
}

func (r *refserver) Name() string { return "refserver(" + r.s.label + ")" }
func (r *refserver) Side() side   { return r.s }
func (r *refserver) Conn() Conn   { return r.conn }
func (r *refserver) Log() string  { return readFile(r.logPath) }
func (r *refserver) Kill()        { r.p.stop(9, time.Second) }

func (r *refserver) Initiate() (string, error) {
	// With --child, as swanctl --initiate --child: an IKE SA without the
	// Child SA is a failure.
	return r.ctl(40*time.Second, "initiate", r.conn.ConnName(), "--child", r.conn.ChildName(), "--timeout", "20s")
}

func (r *refserver) Terminate() (string, error) {
	return r.ctl(30*time.Second, "terminate", r.conn.ConnName(), "--timeout", "10s")
}

func (r *refserver) ListSAs() ([]IKESA, error) {
	out, err := r.ctl(15*time.Second, "list-sas", "--json")
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	return ParseRefserverSAs([]byte(out))
}

// refserverStats is the part of `ctl stats --json` the scenarios read.
type refserverStats struct {
	IKE struct {
		Dropped     uint64 `json:"dropped"`
		Retransmits uint64 `json:"retransmits"`
		HalfOpen    int    `json:"half_open"`
		CookiesSent uint64 `json:"cookies_sent"`
	} `json:"ike"`
}

func (r *refserver) statsJSON(t *testing.T) refserverStats {
	t.Helper()
	var st refserverStats
	out, err := r.ctl(15*time.Second, "stats", "--json")
	if err == nil {
		err = json.Unmarshal([]byte(out), &st)
	}
	if err != nil {
		t.Errorf("refserver ctl stats --json: %v\n%s", err, out)
	}
	return st
}

// stats returns `ctl stats` as text.
func (r *refserver) stats() string {
	out, err := r.ctl(15*time.Second, "stats")
	if err != nil {
		return fmt.Sprintf("(%v) %s", err, out)
	}
	return out
}
