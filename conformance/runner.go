package conformance

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// Config is one run of the suite.
type Config struct {
	Target  Target
	Local   netip.Addr // the tester's address (zero: the system chooses)
	Profile *Profile
	Cases   []*Case
	// OutDir receives per case a directory with case.pcap, keys.txt (a
	// Wireshark ikev2_decryption_table) and case.log; empty: nothing is
	// written.
	OutDir string
	// CaseTimeout bounds each case (default 60 s).
	CaseTimeout time.Duration
	// Progress, if set, gets one line per case as it ends.
	Progress io.Writer
}

// Result is a case's outcome.
type Result struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Purpose    string        `json:"purpose"`
	Group      string        `json:"group"`
	Tag        string        `json:"tag"`
	Role       Role          `json:"iut_role"`
	RFC        []string      `json:"rfc"`
	Reqs       []string      `json:"requirements"`
	Steps      []string      `json:"steps"`
	Verdict    Verdict       `json:"verdict"`
	Reason     string        `json:"reason"`
	FailStep   int           `json:"fail_step,omitempty"`
	Diff       string        `json:"diff,omitempty"`
	Judgements []Judgement   `json:"judgements"`
	Log        []string      `json:"log"`
	Duration   time.Duration `json:"duration_ns"`
	// Files relative to the run's output directory.
	PCAP     string `json:"pcap,omitempty"`
	KeyTable string `json:"key_table,omitempty"`
	LogFile  string `json:"log_file,omitempty"`
}

// Run runs the cases one after the other.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Profile == nil {
		return nil, fmt.Errorf("conformance: no profile")
	}
	if !cfg.Target.Addr.IsValid() {
		return nil, fmt.Errorf("conformance: no target address")
	}
	if cfg.Target.IKEPort == 0 {
		cfg.Target.IKEPort = 500
	}
	if cfg.Target.NATTPort == 0 {
		cfg.Target.NATTPort = 4500
	}
	if cfg.CaseTimeout == 0 {
		cfg.CaseTimeout = 60 * time.Second
	}
	var out []Result
	for i, c := range cfg.Cases {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("conformance: %w", err)
		}
		r := runCase(ctx, cfg, c)
		if cfg.OutDir != "" {
			if err := writeCaseFiles(cfg.OutDir, &r, c); err != nil {
				return out, err
			}
		}
		out = append(out, r.Result)
		if cfg.Progress != nil {
			line := fmt.Sprintf("[%3d/%d] %-12s %-12s %6.1fs  %s", i+1, len(cfg.Cases), c.ID, r.Verdict, r.Duration.Seconds(), c.Title)
			if r.Verdict != Pass && r.Reason != "" {
				line += "\n                     " + r.Reason
			}
			fmt.Fprintln(cfg.Progress, line)
		}
	}
	return out, nil
}

type caseRun struct {
	Result
	packets []Packet
	keys    []keytable.IKESA
}

func runCase(ctx context.Context, cfg Config, c *Case) caseRun {
	t := &T{Case: c, Profile: cfg.Profile, Target: cfg.Target, Local: cfg.Local, start: time.Now()}
	t.ctx, t.cancel = context.WithTimeout(ctx, cfg.CaseTimeout)
	defer t.cancel()
	if missing := missingNeeds(cfg.Profile, c); missing != "" {
		t.verdict, t.reason = Skip, "the profile does not claim "+missing
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if p := recover(); p != nil {
					t.Check(0, fmt.Sprintf("the tester panicked: %v", p), false, "", "")
				}
			}()
			c.Run(t)
		}()
		<-done
		for i := len(t.cleanups) - 1; i >= 0; i-- {
			t.cleanups[i]()
		}
	}
	r := caseRun{Result: Result{ID: c.ID, Title: c.Title, Purpose: c.Purpose, Group: c.Group(), Tag: c.Tag, Role: c.Role,
		RFC: c.RFC, Reqs: c.Reqs, Steps: c.Steps, Judgements: t.judgements, Log: t.log, Duration: time.Since(t.start)},
		packets: t.packets, keys: t.keys}
	for _, j := range t.judgements {
		if !j.OK {
			r.Verdict, r.FailStep, r.Diff = Fail, j.Step, j.Diff
			r.Reason = fmt.Sprintf("J%d: %s", j.Step, j.What)
			return r
		}
	}
	switch {
	case t.verdict != "":
		r.Verdict, r.Reason = t.verdict, t.reason
	case len(t.judgements) == 0:
		// A case that judged nothing has not shown anything.
		r.Verdict, r.Reason = Inconclusive, "no judgement was made"
	default:
		r.Verdict = Pass
	}
	return r
}

func missingNeeds(p *Profile, c *Case) string {
	if !p.HasRole(c.Role) {
		return "the IUT role " + string(c.Role)
	}
	var miss []string
	for _, n := range c.Needs {
		switch {
		case strings.HasPrefix(n, "auth:"):
			if !p.HasAuth(strings.TrimPrefix(n, "auth:")) {
				miss = append(miss, n)
			}
		case !p.Has(n):
			miss = append(miss, n)
		}
	}
	return strings.Join(miss, ", ")
}

func writeCaseFiles(outDir string, r *caseRun, c *Case) error {
	dir := filepath.Join(outDir, "cases", c.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	rel := func(name string) string { return filepath.ToSlash(filepath.Join("cases", c.ID, name)) }
	logText := strings.Join(r.Log, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "case.log"), []byte(logText), 0o644); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	r.LogFile = rel("case.log")
	if len(r.packets) > 0 {
		if err := writePCAP(filepath.Join(dir, "case.pcap"), r.packets); err != nil {
			return err
		}
		r.PCAP = rel("case.pcap")
	}
	if len(r.keys) > 0 {
		f, err := os.Create(filepath.Join(dir, "ikev2_decryption_table"))
		if err != nil {
			return fmt.Errorf("conformance: %w", err)
		}
		tab := &keytable.IKETable{Rows: r.keys}
		if _, err := tab.WriteTo(f); err != nil {
			f.Close()
			return fmt.Errorf("conformance: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("conformance: %w", err)
		}
		r.KeyTable = rel("ikev2_decryption_table")
	}
	return nil
}
