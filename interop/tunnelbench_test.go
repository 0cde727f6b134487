package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestTunnelBenchmark measures TCP throughput through the tunnel with
// iperf3 (Debian's), in the same run, for each pair of ends: refserver <->
// refserver over raw ESP and over ESP in UDP, refserver <-> charon, and
// charon <-> charon (both kernel-libipsec, which always uses ESP in UDP).
// The client runs on the left side's inner address, the server on the
// right's; one TCP stream each way, in turn. It is a measurement, not a
// check, so it runs only when asked: `make bench-tunnel`
// (IKEV2REF_TUNNELBENCH=1); the table it prints goes into docs/perf.md.
//
// Fairness: both daemons log at warning level (charon: Quiet), the same
// ESP suite everywhere, the same MTU (1400: the refserver's device; charon's
// ipsec0 device has 1400 by default).
func TestTunnelBenchmark(t *testing.T) {
	if os.Getenv("IKEV2REF_TUNNELBENCH") == "" {
		t.Skip("tunnel benchmark: run with IKEV2REF_TUNNELBENCH=1 (make bench-tunnel)")
	}
	requireInterop(t)
	if _, err := run(10*time.Second, nil, "iperf3", "--version"); err != nil {
		t.Skipf("INTEROP SCENARIO SKIPPED: no iperf3 (interop/install-deps.sh installs it): %v", err)
	}
	secs := envInt("IKEV2REF_TUNNELBENCH_SECONDS", 5)
	const ikeP = "aes128gcm16-prfsha256-x25519"
	esps := strings.Split(or(os.Getenv("IKEV2REF_TUNNELBENCH_ESP"), "aes128gcm16,aes256-sha256"), ",")
	type row struct {
		esp, pair, way string
		res            iperfResult
		daemonCPU      float64 // both daemons' CPU seconds during the run
	}
	var rows []row
	pairs := []struct {
		name        string
		left, right string // "refserver" or "charon"
		flags       []string
	}{
		{"refserver <-> refserver, raw ESP", "refserver", "refserver", nil},
		{"refserver <-> refserver, ESP in UDP", "refserver", "refserver", []string{"--force-encap"}},
		{"charon <-> refserver (ESP in UDP)", "charon", "refserver", nil},
		{"charon <-> charon (ESP in UDP)", "charon", "charon", nil},
	}
	for _, esp := range esps {
		for _, pc := range pairs {
			t.Run(esp+"/"+pc.name, func(t *testing.T) {
				l := newLab(t)
				var initiate func() (string, error)
				var ends []peer
				var pids []int
				for _, s := range []side{l.right, l.left} { // the responder first
					who := pc.right
					if s.label == "left" {
						who = pc.left
					}
					conn := s.conn(ikeP, esp)
					var p peer
					if who == "refserver" {
						r := startRefserverWith(l, s, conn, false, append([]string{"--log-level", "warn"}, pc.flags...)...)
						p, pids = r, append(pids, r.p.cmd.Process.Pid)
					} else {
						c := startCharon(l, s, conn, CharonOptions{Quiet: true})
						p, pids = c, append(pids, c.p.cmd.Process.Pid)
					}
					ends = append(ends, p)
					initiate = p.Initiate // the left one, started last
				}
				if out, err := initiate(); err != nil {
					t.Fatalf("initiate: %v\n%s", err, out)
				}
				waitEstablished(t, ends[0], ends[1])
				srv := l.start("iperf3-server", l.path("iperf3-server.log"), "ip", "netns", "exec", l.right.ns,
					"iperf3", "--server", "--bind", l.right.inner, "--port", "5201")
				l.showLog(srv.log)
				for _, way := range []string{"left->right", "right->left"} {
					args := []string{"iperf3", "--client", l.right.inner, "--bind", l.left.inner, "--port", "5201",
						"--time", fmt.Sprint(secs), "--json"}
					if way == "right->left" {
						args = append(args, "--reverse")
					}
					var out string
					var err error
					cpu0 := 0.0
					for _, pid := range pids {
						cpu0 += procCPU(t, pid)
					}
					// The server needs a moment to listen: a bounded retry.
					var res iperfResult
					var jerr error
					waitFor(10*time.Second, 200*time.Millisecond, func() bool {
						out, err = l.nsRun(l.left, time.Duration(secs+30)*time.Second, args...)
						res = iperfResult{}
						jerr = json.Unmarshal([]byte(out), &res)
						return !strings.Contains(res.Error, "Connection refused")
					})
					if jerr != nil || err != nil || res.Error != "" {
						t.Fatalf("iperf3 %s: %v %v %s\n%s", way, err, jerr, res.Error, truncate(out, 2000))
					}
					cpu := -cpu0
					for _, pid := range pids {
						cpu += procCPU(t, pid)
					}
					t.Logf("%s %s: %.0f Mbit/s received, %d retransmits, daemons' CPU %.2f s", pc.name, way,
						res.End.SumReceived.BitsPerSecond/1e6, res.End.SumSent.Retransmits, cpu)
					rows = append(rows, row{esp, pc.name, way, res, cpu})
				}
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| ESP | ends | direction | Mbit/s received | TCP retransmits | both daemons' CPU s | daemon CPU s per GB |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		gb := r.res.End.SumReceived.BitsPerSecond * float64(secs) / 8 / 1e9
		perGB := 0.0
		if gb > 0 {
			perGB = r.daemonCPU / gb
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %d | %.2f | %.2f |\n", r.esp, r.pair, r.way,
			r.res.End.SumReceived.BitsPerSecond/1e6, r.res.End.SumSent.Retransmits, r.daemonCPU, perGB)
	}
	t.Logf("iperf3, one TCP stream, %d s per direction:%s", secs, b.String())
}

// iperfResult is the part of `iperf3 --json` the benchmark reads.
type iperfResult struct {
	Error string `json:"error"`
	End   struct {
		SumSent struct {
			BitsPerSecond float64 `json:"bits_per_second"`
			Retransmits   int     `json:"retransmits"`
		} `json:"sum_sent"`
		SumReceived struct {
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
}
