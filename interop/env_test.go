package interop

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Paths of the real components (Debian 12 packages, see install-deps.sh).
const (
	charonBin   = "/usr/lib/ipsec/charon"
	swanctlBin  = "/usr/sbin/swanctl"
	libipsecLib = "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"
)

// unavailable is why the suite cannot run here ("" when it can); set by
// TestMain.
var unavailable string

func TestMain(m *testing.M) {
	flag.Parse()
	unavailable = checkEnvironment()
	if unavailable != "" {
		banner := strings.Repeat("#", 78)
		fmt.Fprintf(os.Stderr, "%s\n# INTEROP SKIPPED: %s\n%s\n", banner, unavailable, banner)
	} else {
		reapStale()
	}
	code := m.Run()
	removeBuilt()
	os.Exit(code)
}

func checkEnvironment() string {
	if testing.Short() {
		return "-short given (the interop suite starts real daemons in network namespaces)"
	}
	if os.Geteuid() != 0 {
		return "not root (network namespaces, veth and bind mounts need root; run `sudo make interop`)"
	}
	var missing []string
	for _, f := range []string{charonBin, swanctlBin, libipsecLib} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	for _, b := range []string{"ip", "tshark", "ike-scan", "ping"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("missing %s; install with `interop/install-deps.sh` (as root)", strings.Join(missing, ", "))
	}
	return ""
}

// requireInterop skips the test, loudly, when the suite cannot run here.
func requireInterop(t *testing.T) {
	t.Helper()
	if unavailable != "" {
		t.Skipf("INTEROP SKIPPED: %s", unavailable)
	}
}

// Namespace names: "ikr<pid>a<n>" and "ikr<pid>b<n>", n counting labs in
// this test binary, so that concurrent runs (and the shell scripts' fixed
// ikl/ikr) never collide.
var (
	labSeq   int
	labSeqMu sync.Mutex
	nsName   = regexp.MustCompile(`^ikr([0-9]+)[ab][0-9]+$`)
)

// reapStale removes namespaces that an earlier run of this suite left
// behind (a test binary killed by `go test -timeout` runs no cleanups):
// only those whose creating process is gone. The daemons still inside are
// ended by PID first.
func reapStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := nsName.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue // its run is still going
		}
		pids, _ := exec.Command("ip", "netns", "pids", f[0]).Output()
		for _, p := range strings.Fields(string(pids)) {
			if n, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(n, syscall.SIGKILL)
			}
		}
		_ = exec.Command("ip", "netns", "del", f[0]).Run()
		fmt.Fprintf(os.Stderr, "interop: removed stale namespace %s (pid %d gone)\n", f[0], pid)
	}
	// The built binaries of such a run (its scenario directories are kept:
	// they may be what someone wants to look at).
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "ikr-*-bin-*"))
	for _, d := range dirs {
		m := staleBin.FindStringSubmatch(filepath.Base(d))
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid != os.Getpid() && syscall.Kill(pid, 0) != nil {
			os.RemoveAll(d)
		}
	}
}

var staleBin = regexp.MustCompile(`^ikr-([0-9]+)-bin-`)

// repoRoot is the module root (the tests run in interop/).
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

// Binaries built once per test binary.
var (
	buildDir   string
	buildDirMu sync.Mutex
	builds     = map[string]*buildResult{}
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// built returns the path of ./cmd/<name>, built once per test binary with
// `go build` from the repository root.
//
// INTEROP_REFSERVER and INTEROP_IKEDUMP name prebuilt binaries to use
// instead (a snapshot, while the tree does not build).
func built(t *testing.T, name string) string {
	t.Helper()
	if p := os.Getenv("INTEROP_" + strings.ToUpper(name)); p != "" {
		return p
	}
	buildDirMu.Lock()
	if buildDir == "" {
		d, err := os.MkdirTemp("", fmt.Sprintf("ikr-%d-bin-", os.Getpid()))
		if err != nil {
			buildDirMu.Unlock()
			t.Fatalf("interop: %v", err)
		}
		buildDir = d
	}
	b := builds[name]
	if b == nil {
		b = &buildResult{}
		builds[name] = b
	}
	buildDirMu.Unlock()
	b.once.Do(func() {
		out := filepath.Join(buildDir, name)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/"+name)
		cmd.Dir = repoRoot()
		msg, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, msg)
			return
		}
		b.path = out
	})
	if b.err != nil {
		t.Fatalf("interop: %v", b.err)
	}
	return b.path
}

func removeBuilt() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// run runs a command with a deadline and returns its combined output.
func run(timeout time.Duration, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %s: timed out after %v: %w", name, strings.Join(args, " "), timeout, ctx.Err())
	} else if err != nil {
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(out), err
}

// proc is a daemon the harness started; it is ended by PID.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string // where its stdout and stderr go
	done chan struct{}
	err  error // set when done is closed
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process: sig (SIGTERM or SIGINT), a bounded wait, then
// SIGKILL and another bounded wait.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
	}
}

// waitFor polls cond every interval until it returns true or the deadline
// passes; it reports whether cond became true. Bounded in time and count.
func waitFor(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || i > int(timeout/interval)+1 {
			return false
		}
		time.Sleep(interval)
	}
}

// tail returns the last n lines of a file (or the error reading it).
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
