package model

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// spinTimeout bounds each of spin -a, gcc and ./pan.
const spinTimeout = 120 * time.Second

var (
	panErrors  = regexp.MustCompile(`errors: (\d+)`)
	panStored  = regexp.MustCompile(`(\d+) states, stored`)
	panDepth   = regexp.MustCompile(`depth reached (\d+)`)
	panAtDepth = regexp.MustCompile(`\(at depth (\d+)\)`)
	panTime    = regexp.MustCompile(`elapsed time ([0-9.e+-]+) seconds`)
)

var trailAssert = regexp.MustCompile(`spin: ikev2\.pml:(\d+), Error: assertion violated`)
var propertyTag = regexp.MustCompile(`/\* \(([a-z]'?)\) \*/`)

// spinCheck writes src to a temporary directory, generates the verifier
// with spin -a, compiles it with gcc (-DSAFETY) and runs it. It returns
// pan's output, the number of errors pan reports and, when an assertion
// failed, the ID of the property (replaying the trail with spin -t for the
// source line). It skips the test when spin or gcc is missing.
func spinCheck(t *testing.T, src string) (string, int, string) {
	t.Helper()
	for _, tool := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("model: %s not installed; run interop/install-deps.sh (or apt-get install spin gcc) to model-check the table", tool)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ikev2.pml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), spinTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("model: %s timed out after %v:\n%s", name, spinTimeout, out)
		}
		if err != nil {
			t.Fatalf("model: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("spin", "-a", "ikev2.pml")
	run("gcc", "-O2", "-DSAFETY", "-o", "pan", "pan.c")
	out := run("./pan")
	m := panErrors.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("model: pan reported no error count:\n%s", out)
	}
	if strings.Contains(out, "max search depth too small") {
		t.Fatalf("model: pan's search was truncated (max search depth too small):\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	prop := ""
	if n > 0 && strings.Contains(out, "assertion violated") {
		trail := run("spin", "-t", "ikev2.pml")
		if m := trailAssert.FindStringSubmatch(trail); m != nil {
			line, _ := strconv.Atoi(m[1])
			if lines := strings.Split(src, "\n"); line >= 1 && line <= len(lines) {
				if p := propertyTag.FindStringSubmatch(lines[line-1]); p != nil {
					prop = p[1]
				}
			}
		}
	}
	return out, n, prop
}

func panFigure(re *regexp.Regexp, out string) string {
	if m := re.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return "?"
}

// TestPromelaSpin: spin explores every interleaving of initiator, responder
// and a lossy, reordering network driven by model.Table, and finds no
// violation of PromelaProperties and no invalid end state.
func TestPromelaSpin(t *testing.T) {
	out, n, _ := spinCheck(t, Promela(Table))
	t.Logf("spin: %s states stored, depth %s, %s s, errors %d",
		panFigure(panStored, out), panFigure(panDepth, out), panFigure(panTime, out), n)
	if n != 0 || !strings.Contains(out, "errors: 0") {
		t.Fatalf("model: spin found a violation (errors: %d):\n%s", n, out)
	}
	// Rows no run takes show up as unreached statements of a proctype
	// (besides its "-end-", which the end_loop never leaves for).
	var unreached []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "ikev2.pml:") && strings.Contains(line, ", state ") && !strings.Contains(line, `"-end-"`) {
			unreached = append(unreached, strings.TrimSpace(line))
		}
	}
	t.Logf("spin: %d statements unreached %v", len(unreached), unreached)
}

// TestPromelaSpinSeededBug: the check can fail. Each case adds one wrong
// row to a copy of the table; spin must report the assertion of the
// property it breaks.
func TestPromelaSpinSeededBug(t *testing.T) {
	cases := []struct {
		name string
		row  Transition
		prop string
	}{
		{"child-sa-while-half-open", Transition{InitDone, Responder, CREATE_CHILD_SA, RecvRequest, OK, InitDone, SendResponse, HalfOpen,
			"seeded bug: a Child SA before authentication"}, "b"},
		{"deleted-answers", Transition{Deleted, Responder, INFORMATIONAL, RecvRequest, Empty, Deleted, SendResponse, NoTimer,
			"seeded bug: a deleted IKE SA still processes requests"}, "c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bad := append(append([]Transition(nil), Table...), c.row)
			out, n, prop := spinCheck(t, Promela(bad))
			if n < 1 || !strings.Contains(out, "assertion violated") {
				t.Fatalf("model: spin missed the seeded bug (errors: %d):\n%s", n, out)
			}
			t.Logf("spin found the seeded bug %v: errors %d, property (%s), at depth %s", c.row, n, prop, panFigure(panAtDepth, out))
			if prop != c.prop {
				t.Errorf("model: the seeded bug violated property (%s), want (%s)", prop, c.prop)
			}
		})
	}
}

// TestExportedFilesFresh: the committed docs/model is what the table
// exports today.
func TestExportedFilesFresh(t *testing.T) {
	dir := filepath.Join("..", "docs", "model")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("model: %s absent (%v); nothing to compare", dir, err)
	}
	for name, want := range Files(Table) {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("model: docs/model/%s: %v; run `%s`", name, err, ExportCommand)
			continue
		}
		if string(got) != want {
			t.Errorf("model: docs/model/%s is stale; run `%s`", name, ExportCommand)
		}
	}
}
