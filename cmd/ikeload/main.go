// Command ikeload is a load generator for IKEv2 responders: it runs ikev2ref's
// own initiator engine (impl/ike) over real UDP (impl/netio) and sets up many
// IKE SAs, each with its first Child SA (RFC 7296 section 1.2: IKE_SA_INIT and
// IKE_AUTH with PSK), keeping a fixed number in flight, and reports the rate
// and the latency. The same run can point it at refserver and at strongSwan's
// charon, which is how docs/perf.md compares them.
//
// Usage:
//
//	ikeload --target ADDR [--target-port N] --local ADDR [--count N] [--concurrency C] [--workers W]
//	        [--proposals P] [--esp-proposals P] [--psk SECRET] [--remote-id ID]
//	        [--local-ts TS] [--remote-ts TS] [--port N] [--timeout D] [--json]
//
// Every IKE SA gets its own identity (client-N@load.ikev2ref.example), so a
// responder's INITIAL_CONTACT or unique-ID handling never deletes earlier
// ones. Workers (default 1) run an engine each, on ports PORT+k and
// PORT+4000+k, to spread the initiators' key exchanges over more cores.
//
// Exit status: 0 when every IKE SA was established, 1 otherwise, 2 for usage.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

type options struct {
	target, local      netip.Addr
	count, concurrency int
	workers            int
	proposals, esp     string
	psk, remoteID      string
	remoteTS, localTS  string
	port, targetPort   int
	timeout            time.Duration
	json               bool
	logLevel           string
}

// Result is what one run measured (the --json output).
type Result struct {
	Target       string  `json:"target"`
	Proposals    string  `json:"proposals"`
	Count        int     `json:"count"`
	Concurrency  int     `json:"concurrency"`
	Workers      int     `json:"workers"`
	Established  int     `json:"established"`
	Failed       int     `json:"failed"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"handshakes_per_second"`
	LatencyP50ms float64 `json:"latency_p50_ms"`
	LatencyP90ms float64 `json:"latency_p90_ms"`
	LatencyP99ms float64 `json:"latency_p99_ms"`
	Retransmits  uint64  `json:"retransmits"`
	CPUSeconds   float64 `json:"loadgen_cpu_seconds"`
	FirstFailure string  `json:"first_failure,omitempty"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	var target, local string
	fs := flag.NewFlagSet("ikeload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&target, "target", "", "responder address (required)")
	fs.StringVar(&local, "local", "", "local address to initiate from (required)")
	fs.IntVar(&o.count, "count", 1000, "IKE SAs to set up")
	fs.IntVar(&o.concurrency, "concurrency", 50, "IKE SAs in flight at once (over all workers)")
	fs.IntVar(&o.workers, "workers", 1, "engines, each on its own ports")
	fs.StringVar(&o.proposals, "proposals", "aes128gcm16-prfsha256-x25519", "IKE proposals (swanctl.conf notation)")
	fs.StringVar(&o.esp, "esp-proposals", "aes128gcm16", "ESP proposals (swanctl.conf notation)")
	fs.StringVar(&o.psk, "psk", "", "pre-shared key (required)")
	fs.StringVar(&o.remoteID, "remote-id", "%any", "the responder's identity")
	fs.StringVar(&o.remoteTS, "remote-ts", "198.51.100.0/24", "traffic selector on the responder's side")
	fs.StringVar(&o.localTS, "local-ts", "dynamic", "traffic selector on our side (every IKE SA uses the same)")
	fs.IntVar(&o.targetPort, "target-port", 500, "the responder's IKE port")
	fs.IntVar(&o.port, "port", 500, "first local IKE port (NAT-T ports are PORT+4000+k)")
	fs.DurationVar(&o.timeout, "timeout", 120*time.Second, "give up the run after this long")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.StringVar(&o.logLevel, "log-level", "warn", "engine log level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if o.target, err = netip.ParseAddr(target); err != nil {
		fmt.Fprintln(stderr, "ikeload: --target: need an address:", err)
		return 2
	}
	if o.local, err = netip.ParseAddr(local); err != nil {
		fmt.Fprintln(stderr, "ikeload: --local: need an address:", err)
		return 2
	}
	if o.psk == "" || o.count < 1 || o.concurrency < 1 || o.workers < 1 || o.workers > 64 {
		fmt.Fprintln(stderr, "ikeload: --psk is required; --count, --concurrency, --workers (1-64) must be positive")
		return 2
	}
	res, err := load(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.json {
		json.NewEncoder(stdout).Encode(res)
	} else {
		fmt.Fprintf(stdout, "%s: %d/%d IKE SAs established in %.2f s: %.1f handshakes/s (p50 %.1f ms, p90 %.1f ms, p99 %.1f ms), %d retransmits, load generator CPU %.2f s\n",
			res.Target, res.Established, res.Count, res.Seconds, res.PerSecond, res.LatencyP50ms, res.LatencyP90ms,
			res.LatencyP99ms, res.Retransmits, res.CPUSeconds)
		if res.FirstFailure != "" {
			fmt.Fprintln(stdout, "first failure:", res.FirstFailure)
		}
	}
	if res.Failed > 0 || res.Established < res.Count {
		return 1
	}
	return 0
}

// config writes n connections in swanctl.conf syntax and reads them back
// with the same parser refserver uses.
func config(o options, worker, n int) (*ike.Config, error) {
	var b strings.Builder
	b.WriteString("connections {\n")
	for i := range n {
		fmt.Fprintf(&b, `  load-%d-%d {
    version = 2
    local_addrs = %s
    remote_addrs = %s
    remote_port = %d
    proposals = %s
    local {
      auth = psk
      id = client-%d-%d@load.ikev2ref.example
    }
    remote {
      auth = psk
      id = %s
    }
    children {
      net {
        local_ts = %s
        remote_ts = %s
        esp_proposals = %s
      }
    }
  }
`, worker, i, o.local, o.target, o.targetPort, o.proposals, worker, i, o.remoteID, o.localTS, o.remoteTS, o.esp)
	}
	fmt.Fprintf(&b, "}\nsecrets {\n  ike-load {\n    secret = %q\n  }\n}\n", o.psk)
	return swanctl.Parse("ikeload", []byte(b.String()))
}

// worker runs one engine: it initiates its share of the IKE SAs, at most
// inflight at a time, and reports each result.
type workerResult struct {
	latencies []time.Duration
	failed    int
	retrans   uint64
	firstErr  string
}

func load(o options, stderr io.Writer) (*Result, error) {
	per := make([]int, o.workers)
	for i := range o.count {
		per[i%o.workers]++
	}
	logger := hclog.New(&hclog.LoggerOptions{Output: stderr, Level: hclog.LevelFromString(o.logLevel), Name: "ikeload"})
	var cpu0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	start := time.Now()
	deadline := start.Add(o.timeout)
	results := make([]workerResult, o.workers)
	var wg sync.WaitGroup
	errs := make([]error, o.workers)
	for k := range o.workers {
		inflight := max(1, o.concurrency/o.workers)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[k], errs[k] = runWorker(o, k, per[k], inflight, deadline, logger)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var cpu1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	res := &Result{Target: o.target.String(), Proposals: o.proposals, Count: o.count, Concurrency: o.concurrency,
		Workers: o.workers, Seconds: elapsed.Seconds(),
		CPUSeconds: tv(cpu1.Utime) + tv(cpu1.Stime) - tv(cpu0.Utime) - tv(cpu0.Stime)}
	var lat []time.Duration
	for _, r := range results {
		lat = append(lat, r.latencies...)
		res.Failed += r.failed
		res.Retransmits += r.retrans
		if res.FirstFailure == "" {
			res.FirstFailure = r.firstErr
		}
	}
	res.Established = len(lat)
	res.PerSecond = float64(res.Established) / elapsed.Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	res.LatencyP50ms, res.LatencyP90ms, res.LatencyP99ms = pct(0.5), pct(0.9), pct(0.99)
	return res, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func runWorker(o options, k, n, inflight int, deadline time.Time, logger hclog.Logger) (workerResult, error) {
	var r workerResult
	if n == 0 {
		return r, nil
	}
	cfg, err := config(o, k, n)
	if err != nil {
		return r, fmt.Errorf("ikeload: %w", err)
	}
	conn, err := netio.Listen(netio.Config{Addrs: []netip.Addr{o.local}, IKEPort: uint16(o.port + k),
		NATTPort: uint16(o.port + 4000 + k), Queue: 4096, Logger: logger.Named("netio")})
	if err != nil {
		return r, fmt.Errorf("ikeload: worker %d: %w", k, err)
	}
	defer conn.Close()
	ikePort, nattPort := conn.Ports()
	cfg.IKEPort, cfg.NATTPort = ikePort, nattPort
	for _, c := range cfg.Connections {
		c.LocalPort = ikePort
	}
	cfg.Logger = logger.Named(fmt.Sprintf("ike-%d", k))
	cfg.RetransmitTimeout = 2 * time.Second
	eng, err := ike.New(*cfg)
	if err != nil {
		return r, fmt.Errorf("ikeload: %w", err)
	}
	started := map[string]time.Time{}
	next, done := 0, 0
	do := func(acts []ike.Action) {
		for _, a := range acts {
			switch a := a.(type) {
			case ike.Send:
				conn.Send(a)
			case ike.ChildUp:
				if t, ok := started[a.IKE.Name]; ok {
					r.latencies = append(r.latencies, time.Since(t))
					delete(started, a.IKE.Name)
					done++
				}
			case ike.IKEDown:
				if _, ok := started[a.IKE.Name]; ok {
					r.failed++
					if r.firstErr == "" {
						r.firstErr = a.IKE.Name + ": " + a.Reason
					}
					delete(started, a.IKE.Name)
					done++
				}
			}
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for done < n {
		for len(started) < inflight && next < n {
			name := cfg.Connections[next].Name
			next++
			acts, err := eng.Initiate(time.Now(), name, "net")
			if err != nil {
				return r, fmt.Errorf("ikeload: %w", err)
			}
			started[name] = time.Now()
			do(acts)
		}
		if time.Now().After(deadline) {
			r.failed += n - done
			if r.firstErr == "" {
				r.firstErr = "the run timed out"
			}
			break
		}
		wait := time.Until(deadline)
		if at, ok := eng.NextTimeout(); ok && time.Until(at) < wait {
			wait = max(time.Until(at), 0)
		}
		timer.Reset(wait)
		select {
		case d, ok := <-conn.Datagrams():
			if !ok {
				return r, errors.New("ikeload: sockets closed")
			}
			do(eng.Receive(time.Now(), d))
		case <-timer.C:
			do(eng.Tick(time.Now()))
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
	r.retrans = eng.Stats().Retransmits
	return r, nil
}
