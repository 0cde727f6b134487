package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/conformance"
)

// The cases of these tests (group CLITEST, which the suite does not use).
func init() {
	conformance.Register(
		&conformance.Case{
			ID: "CLITEST-001", Title: "Probe an IUT that does not answer", Purpose: "Sends a datagram and waits for an answer.",
			RFC: []string{"RFC 7296 2.1"}, Reqs: []string{"RFC7296-2.1-1"}, Tag: conformance.Basic, Role: conformance.IUTResponder,
			Steps: []string{"T -> IUT: a datagram", "J1: the IUT answers"},
			Run:   probe,
		},
		&conformance.Case{
			ID: "CLITEST-002", Title: "A judgement that fails", Purpose: "Fails J1 with a diff.",
			RFC: []string{"RFC 7296 3.1"}, Reqs: []string{"RFC7296-3.1-1"}, Tag: conformance.Advanced, Role: conformance.IUTResponder,
			Steps: []string{"J1: the structure is the expected one"},
			Run: func(t *conformance.T) {
				t.Check(1, "the structure is the expected one", false, "SA\nKE\nNr\n", "SA\nNr\n")
			},
		},
		&conformance.Case{
			ID: "CLITEST-003", Title: "A case for an unclaimed feature", Tag: "NOSUCH", Role: conformance.IUTResponder,
			Needs: []string{"no-such-feature"},
			Run:   func(t *conformance.T) { t.Check(1, "never run", false, "", "") },
		},
	)
}

// probe sends a datagram to the target's IKE port and waits, until the
// case's deadline, for an answer; none comes from a port nothing listens on.
func probe(t *conformance.T) {
	raddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(t.Target.Addr, t.Target.IKEPort))
	var laddr *net.UDPAddr
	if t.Local.IsValid() {
		laddr = &net.UDPAddr{IP: t.Local.AsSlice()}
	}
	c, err := net.DialUDP("udp", laddr, raddr)
	if err != nil {
		t.Inconclusivef("cannot reach the IUT: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Inconclusivef("cannot send: %v", err)
	}
	t.Logf("sent a datagram to %s", raddr)
	deadline, ok := t.Context().Deadline()
	if !ok || time.Until(deadline) > 5*time.Second {
		deadline = time.Now().Add(5 * time.Second)
	}
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Inconclusivef("no answer from the IUT: %v", err)
	}
	t.Check(1, "the IUT answers", n > 0, "", "")
}

func writeProfile(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "profile.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodProfile = `{
  "name": "loopback test IUT",
  "roles": ["responder"],
  "auth": ["psk"],
  "psk": "test-secret",
  "tester_id": "tester@example.org",
  "iut_id": "iut@example.org",
  "ike_proposals": ["aes256-sha256-ecp256"],
  "esp_proposals": ["aes256gcm16"],
  "groups": [19],
  "tester_ts": "198.51.100.1/32",
  "iut_ts": "203.0.113.1/32"
}`

func runIt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	code = run(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeProfile(t, dir, goodProfile)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name": "x", "roles": ["peer"], "colour": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	incomplete := filepath.Join(dir, "incomplete.json")
	if err := os.WriteFile(incomplete, []byte(`{"name": "x", "roles": ["responder"], "auth": ["psk"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "--bogus"}, "-bogus"},
		{"no target", []string{"run", "--profile", good}, "--target: missing"},
		{"no profile", []string{"run", "--target", "127.0.0.1"}, "--profile: missing"},
		{"bad target", []string{"run", "--target", "no such host.invalid", "--profile", good}, "--target:"},
		{"bad ike port", []string{"run", "--target", "127.0.0.1", "--ike-port", "70000", "--profile", good}, "--ike-port: 70000"},
		{"bad natt port", []string{"run", "--target", "127.0.0.1", "--natt-port", "0", "--profile", good}, "--natt-port: 0"},
		{"bad timeout", []string{"run", "--target", "127.0.0.1", "--timeout", "-1s", "--profile", good}, "--timeout:"},
		{"bad local", []string{"run", "--target", "127.0.0.1", "--local", "nowhere", "--profile", good}, "--local:"},
		{"local of another family", []string{"run", "--target", "127.0.0.1", "--local", "::1", "--profile", good}, "--local:"},
		{"missing profile file", []string{"run", "--target", "127.0.0.1", "--profile", filepath.Join(dir, "none.json")}, "ikeconform: --profile: open "},
		{"unknown profile field", []string{"run", "--target", "127.0.0.1", "--profile", bad}, `unknown field "colour"`},
		{"incomplete profile", []string{"run", "--target", "127.0.0.1", "--profile", incomplete}, "psk: missing"},
		{"cases select nothing", []string{"run", "--target", "127.0.0.1", "--profile", good, "--cases", "NOPE-*", "--out", out}, "selects no case"},
		{"bad pattern", []string{"list", "--cases", "[x"}, "--cases"},
		{"extra argument", []string{"list", "extra"}, `unexpected argument "extra"`},
		{"show without ID", []string{"show"}, "want one case ID"},
		{"show unknown", []string{"show", "CLITEST-999"}, `no case "CLITEST-999"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runIt(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.HasPrefix(line, "conformance:") {
					t.Errorf("unconverted error line %q", line)
				}
			}
		})
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a configuration error created --out: %v", err)
	}
	if code, stdout, _ := runIt(t, "help"); code != 0 || !strings.Contains(stdout, "ikeconform run --target") {
		t.Errorf("help: %d %q", code, stdout)
	}
}

func TestList(t *testing.T) {
	code, stdout, stderr := runIt(t, "list", "--cases", "CLITEST-*")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("list printed %d lines, want a header and 3 cases:\n%s", len(lines), stdout)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "ID TAG IUT ROLE TITLE" {
		t.Errorf("header %q", lines[0])
	}
	if f := strings.Fields(lines[1]); len(f) < 4 || f[0] != "CLITEST-001" || f[1] != "BASIC" || f[2] != "responder" ||
		strings.Join(f[3:], " ") != "Probe an IUT that does not answer" {
		t.Errorf("line %q", lines[1])
	}
	if !strings.HasPrefix(lines[3], "CLITEST-003") {
		t.Errorf("line %q", lines[3])
	}
	code, stdout, _ = runIt(t, "list", "--cases", "CLITEST-002")
	if code != 0 || strings.Count(strings.TrimSpace(stdout), "\n") != 1 || !strings.Contains(stdout, "A judgement that fails") {
		t.Errorf("list CLITEST-002: %d\n%s", code, stdout)
	}
}

func TestShow(t *testing.T) {
	code, stdout, stderr := runIt(t, "show", "CLITEST-001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range []string{"CLITEST-001: Probe an IUT that does not answer", "Sends a datagram", "RFC 7296 2.1",
		"RFC7296-2.1-1", "1. T -> IUT: a datagram", "2. J1: the IUT answers", "IUT role:     responder"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("show lacks %q:\n%s", s, stdout)
		}
	}
}

// freeUDPPort returns a loopback UDP port nothing listens on (it was free
// a moment ago).
func freeUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return strconv.Itoa(port)
}

func TestRunUnreachable(t *testing.T) {
	dir := t.TempDir()
	prof := writeProfile(t, dir, goodProfile)
	port := freeUDPPort(t)

	// No FAIL: INCONCLUSIVE and SKIP give exit status 0.
	out := filepath.Join(dir, "out-ok")
	start := time.Now()
	code, stdout, stderr := runIt(t, "run", "--target", "127.0.0.1", "--ike-port", port, "--natt-port", freeUDPPort(t),
		"--local", "127.0.0.1", "--profile", prof, "--cases", "CLITEST-001,CLITEST-003", "--out", out, "--timeout", "1s")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("progress:\n%s", stderr)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the run took %v with --timeout 1s", d)
	}
	for _, s := range []string{"CLITEST-001", "INCONCLUSIVE", "CLITEST-003", "SKIP", "[  1/2]", "[  2/2]"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("progress lacks %q:\n%s", s, stderr)
		}
	}
	if !strings.Contains(stdout, "2 cases: 0 PASS, 0 FAIL, 1 INCONCLUSIVE, 1 SKIP") {
		t.Errorf("summary:\n%s", stdout)
	}
	checkReports(t, out, map[string]conformance.Verdict{"CLITEST-001": conformance.Inconclusive, "CLITEST-003": conformance.Skip})
	if _, err := os.Stat(filepath.Join(out, "cases", "CLITEST-001", "case.log")); err != nil {
		t.Errorf("case log: %v", err)
	}

	// A FAIL gives exit status 1.
	out = filepath.Join(dir, "out-fail")
	code, stdout, stderr = runIt(t, "run", "--target", "127.0.0.1", "--ike-port", port, "--profile", prof,
		"--cases", "CLITEST-*", "--out", out, "--timeout", "1s")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "FAIL         CLITEST-002  J1: the structure is the expected one") {
		t.Errorf("summary does not name the FAIL:\n%s", stdout)
	}
	checkReports(t, out, map[string]conformance.Verdict{"CLITEST-001": conformance.Inconclusive,
		"CLITEST-002": conformance.Fail, "CLITEST-003": conformance.Skip})
	html, err := os.ReadFile(filepath.Join(out, conformance.HTMLReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), `<pre class="diff">`) || !strings.Contains(string(html), `<span class="diff-del">-KE</span>`) {
		t.Error("the HTML report lacks the FAIL's diff")
	}
}

// TestRunSilent: an IUT that reads and never answers; --timeout ends the
// case.
func TestRunSilent(t *testing.T) {
	dir := t.TempDir()
	prof := writeProfile(t, dir, goodProfile)
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	port := strconv.Itoa(silent.LocalAddr().(*net.UDPAddr).Port)
	out := filepath.Join(dir, "out")
	start := time.Now()
	code, stdout, stderr := runIt(t, "run", "--target", "127.0.0.1", "--ike-port", port, "--profile", prof,
		"--cases", "CLITEST-001", "--out", out, "--timeout", "500ms")
	d := time.Since(start)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if d < 400*time.Millisecond || d > 10*time.Second {
		t.Errorf("the run took %v with --timeout 500ms", d)
	}
	if !strings.Contains(stderr, "i/o timeout") {
		t.Errorf("progress does not show the timeout:\n%s", stderr)
	}
	checkReports(t, out, map[string]conformance.Verdict{"CLITEST-001": conformance.Inconclusive})
}

// checkReports reads the three reports in dir and checks the verdicts.
func checkReports(t *testing.T, dir string, want map[string]conformance.Verdict) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, conformance.JSONReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if rep.Tool != "ikeconform" || rep.Profile == nil || rep.Profile.Name != "loopback test IUT" || !strings.HasPrefix(rep.Target, "127.0.0.1:") {
		t.Errorf("report.json header: tool %q target %q profile %+v", rep.Tool, rep.Target, rep.Profile)
	}
	if rep.Profile != nil && rep.Profile.PSK == "test-secret" {
		t.Error("report.json carries the PSK")
	}
	got := map[string]conformance.Verdict{}
	for _, r := range rep.Results {
		got[r.ID] = r.Verdict
	}
	if len(got) != len(want) {
		t.Errorf("report.json verdicts %v, want %v", got, want)
	}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("%s: %s, want %s", id, got[id], v)
		}
	}

	data, err = os.ReadFile(filepath.Join(dir, conformance.JUnitReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	var fails, incs, skips int
	for _, v := range want {
		switch v {
		case conformance.Fail:
			fails++
		case conformance.Inconclusive:
			incs++
		case conformance.Skip:
			skips++
		}
	}
	if junit.Tests != len(want) || junit.Failures != fails || junit.Errors != incs || junit.Skipped != skips {
		t.Errorf("junit.xml counts %d/%d/%d/%d", junit.Tests, junit.Failures, junit.Errors, junit.Skipped)
	}
	if len(junit.Suites) != 1 || junit.Suites[0].Name != "ikeconform.CLITEST" || len(junit.Suites[0].Cases) != len(want) {
		t.Errorf("junit.xml suites %+v", junit.Suites)
	}

	data, err = os.ReadFile(filepath.Join(dir, conformance.HTMLReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `<tr class="result"`); n != len(want) {
		t.Errorf("report.html has %d result rows, want %d", n, len(want))
	}
}
