package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadBenchmark measures how fast a responder sets up IKE SAs (IKE_SA_INIT
// and IKE_AUTH with PSK, each with its first Child SA): cmd/ikeload, our own
// initiator engine, runs in one namespace against refserver and then against
// charon in the other, in the same run, with the same suites, count and
// concurrency. It is a measurement, not a check, so it runs only when asked:
// `make bench-load` (IKEV2REF_LOADBENCH=1). The table it prints goes into
// docs/perf.md.
//
// Fairness: cookies are off on both responders (thresholds far above the
// concurrency) and charon's per-source half-open limit is lifted, since every
// initiator here comes from one address; both log errors only. Both install
// each Child SA into their userspace ESP: charon into kernel-libipsec without
// routes, refserver into its data plane (SPD, SAD and a route into its tunnel
// device).
func TestLoadBenchmark(t *testing.T) {
	if os.Getenv("IKEV2REF_LOADBENCH") == "" {
		t.Skip("load benchmark: run with IKEV2REF_LOADBENCH=1 (make bench-load)")
	}
	count, conc := envInt("IKEV2REF_LOAD_COUNT", 2000), envInt("IKEV2REF_LOAD_CONCURRENCY", 64)
	suites := []struct{ ike, esp string }{
		{"aes128gcm16-prfsha256-x25519", "aes128gcm16"},
		{"aes256-sha256-ecp256", "aes256-sha256"},
	}
	type row struct {
		suite, responder string
		res              loadResult
		cpu              float64
	}
	var rows []row
	for _, su := range suites {
		for _, who := range []string{"refserver", "charon"} {
			t.Run(su.ike+"/"+who, func(t *testing.T) {
				l := newLab(t)
				conn := l.right.conn(su.ike, su.esp)
				// The initiators' side of the Child SAs is one address outside
				// the IKE path (charon refuses a selector that covers its
				// peer's IKE address: it would route the IKE traffic itself).
				conn.RemoteAddr, conn.RemoteID, conn.RemoteTS = "%any", "%any", "203.0.113.0/24"
				var pid int
				if who == "refserver" {
					r := startRefserverWith(l, l.right, conn, false, "--log-level", "warn", "--cookie-threshold", "1000000")
					pid = r.p.cmd.Process.Pid
				} else {
					c := startCharon(l, l.right, conn, CharonOptions{Quiet: os.Getenv("IKEV2REF_LOAD_LOGLEVEL") == "", CookieThreshold: 1000000,
						Extra: "  block_threshold = 1000000\n  install_routes = no\n  ikesa_table_size = 1024\n"})
					pid = c.p.cmd.Process.Pid
				}
				cpu0 := procCPU(t, pid)
				out, err := l.nsRun(l.left, 5*time.Minute, built(t, "ikeload"), "--json",
					"--target", l.right.addr, "--local", l.left.addr, "--psk", conn.PSK, "--remote-id", l.right.id,
					"--proposals", su.ike, "--esp-proposals", su.esp, "--remote-ts", l.right.innerPrefix, "--local-ts", "203.0.113.1/32",
					"--count", strconv.Itoa(count), "--concurrency", strconv.Itoa(conc), "--timeout", or(os.Getenv("IKEV2REF_LOAD_TIMEOUT"), "4m"),
					"--log-level", or(os.Getenv("IKEV2REF_LOAD_LOGLEVEL"), "warn"))
				cpu := procCPU(t, pid) - cpu0
				var res loadResult
				if jerr := json.Unmarshal([]byte(lastLine(out)), &res); jerr != nil {
					t.Fatalf("ikeload: %v %v\n%s", err, jerr, out)
				}
				if err != nil || res.Established != count {
					t.Errorf("%d of %d established (%v): %s\n%s", res.Established, count, err, res.FirstFailure, tailText(out, 60))
				}
				rows = append(rows, row{su.ike, who, res, cpu})
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| IKE suite | responder | established | seconds | handshakes/s | p50 ms | p99 ms | responder CPU s | load generator CPU s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d/%d | %.2f | %.0f | %.1f | %.1f | %.2f | %.2f |\n", r.suite, r.responder,
			r.res.Established, r.res.Count, r.res.Seconds, r.res.PerSecond, r.res.LatencyP50ms, r.res.LatencyP99ms, r.cpu, r.res.CPUSeconds)
	}
	for i := 0; i+1 < len(rows); i += 2 {
		if rows[i+1].res.PerSecond > 0 {
			fmt.Fprintf(&b, "\n%s: refserver / charon = %.2f", rows[i].suite, rows[i].res.PerSecond/rows[i+1].res.PerSecond)
		}
	}
	t.Logf("count %d, concurrency %d:%s", count, conc, b.String())
}

// loadResult is cmd/ikeload's --json output.
type loadResult struct {
	Count        int     `json:"count"`
	Established  int     `json:"established"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"handshakes_per_second"`
	LatencyP50ms float64 `json:"latency_p50_ms"`
	LatencyP99ms float64 `json:"latency_p99_ms"`
	CPUSeconds   float64 `json:"loadgen_cpu_seconds"`
	FirstFailure string  `json:"first_failure"`
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// procCPU is a process's user+system CPU time in seconds (/proc/PID/stat
// fields 14 and 15, in clock ticks of 1/100 s).
func procCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func tailText(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
