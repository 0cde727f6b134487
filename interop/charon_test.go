package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// peer is one IKE end the scenarios drive: charon or the refserver.
type peer interface {
	// Name says which implementation and side: "charon(left)".
	Name() string
	Side() side
	Conn() Conn
	Initiate() (string, error)
	Terminate() (string, error)
	ListSAs() ([]IKESA, error)
	// Log is everything the daemon logged so far.
	Log() string
	// Kill ends the daemon at once (SIGKILL), as a crash would.
	Kill()
}

// charon is one strongSwan charon instance in one namespace.
type charon struct {
	l    *lab
	s    side
	conn Conn
	opts CharonOptions
	p    *proc
}

var swanctlSubdirs = []string{"x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12"}

// startCharon writes the instance's files, starts charon in s's namespace
// with a private /run (its pid file path is compiled in), waits for the
// vici socket (bounded) and loads the connection with swanctl.
func startCharon(l *lab, s side, conn Conn, opts CharonOptions) *charon {
	l.t.Helper()
	opts.Dir = l.path("charon-" + s.label)
	for _, d := range append([]string{"run"}, swanctlSubdirs...) {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o700); err != nil {
			l.t.Fatalf("interop: %v", err)
		}
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(opts.Dir, name), []byte(body), 0o600); err != nil {
			l.t.Fatalf("interop: %v", err)
		}
	}
	write("strongswan.conf", opts.StrongswanConf())
	write("swanctl.conf", conn.SwanctlConf())
	c := &charon{l: l, s: s, conn: conn, opts: opts}
	script := fmt.Sprintf("mount --bind '%s/run' /run && STRONGSWAN_CONF='%s/strongswan.conf' exec %s", opts.Dir, opts.Dir, charonBin)
	stdout := filepath.Join(opts.Dir, "charon.stdout")
	c.p = l.start("charon-"+s.label, stdout, "ip", "netns", "exec", s.ns, "sh", "-c", script)
	l.showLog(stdout)
	l.showLog(c.logPath())
	sock := filepath.Join(opts.Dir, "charon.vici")
	if !waitFor(10*time.Second, 50*time.Millisecond, func() bool {
		st, err := os.Stat(sock)
		return (err == nil && st.Mode()&os.ModeSocket != 0) || c.p.exited()
	}) || c.p.exited() {
		l.t.Fatalf("interop: charon (%s) did not come up:\n%s\n%s", s.label, tail(stdout, 20), tail(c.logPath(), 40))
	}
	if out, err := c.swanctl(10*time.Second, "--load-all"); err != nil {
		l.t.Fatalf("interop: charon (%s) swanctl --load-all: %v\n%s", s.label, err, out)
	} else if !strings.Contains(out, "loaded connection '"+conn.ConnName()+"'") {
		l.t.Fatalf("interop: charon (%s) did not load connection %s:\n%s", s.label, conn.ConnName(), out)
	}
	return c
}

func (c *charon) logPath() string { return filepath.Join(c.opts.Dir, "charon.log") }

// swanctl runs swanctl against this instance, bounded.
func (c *charon) swanctl(timeout time.Duration, args ...string) (string, error) {
	env := []string{"STRONGSWAN_CONF=" + c.opts.Dir + "/strongswan.conf", "SWANCTL_DIR=" + c.opts.Dir}
	return run(timeout, env, swanctlBin, append(args, "--uri", c.opts.VICI())...)
}

func (c *charon) Name() string { return "charon(" + c.s.label + ")" }
func (c *charon) Side() side   { return c.s }
func (c *charon) Conn() Conn   { return c.conn }
func (c *charon) Log() string  { return readFile(c.logPath()) }
func (c *charon) Kill()        { c.p.stop(9, time.Second) }

func (c *charon) Initiate() (string, error) {
	return c.swanctl(30*time.Second, "--initiate", "--child", c.conn.ChildName(), "--timeout", "20")
}

func (c *charon) Terminate() (string, error) {
	return c.swanctl(20*time.Second, "--terminate", "--ike", c.conn.ConnName(), "--timeout", "10")
}

func (c *charon) ListSAs() ([]IKESA, error) {
	out, err := c.swanctl(10*time.Second, "--list-sas", "--pretty")
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	return ParseListSAs(out)
}
