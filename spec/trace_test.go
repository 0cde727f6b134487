package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository root, seen from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod", root)
	}
	return root
}

// TestTraceUpToDate regenerates docs/rfc-trace into a temporary directory
// and fails when the committed files differ: `make trace` keeps them true.
func TestTraceUpToDate(t *testing.T) {
	root := repoRoot(t)
	dir := filepath.Join(root, "docs", "rfc-trace")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil || !bytes.HasPrefix(readme, []byte(GeneratedMarker)) {
		t.Skip("spec: docs/rfc-trace is not in this tree (no generated README.md); run `make trace` to create it")
	}
	start := time.Now()
	tmp := t.TempDir()
	names, err := WriteTrace(root, tmp)
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, name := range names {
		want, _ := os.ReadFile(filepath.Join(tmp, name))
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("docs/rfc-trace/%s is missing", name)
			stale++
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/rfc-trace/%s is stale: %s", name, traceDiff(got, want))
			stale++
		}
	}
	have, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, p := range have {
		if strings.HasPrefix(filepath.Base(p), ".") {
			continue // .gitattributes
		}
		if i := sort.SearchStrings(names, filepath.Base(p)); i == len(names) || names[i] != filepath.Base(p) {
			t.Errorf("docs/rfc-trace/%s is not generated (any more)", filepath.Base(p))
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("spec: docs/rfc-trace is out of date: run `make trace` and commit the result")
	}
	t.Logf("%d files regenerated and compared in %v", len(names), time.Since(start).Round(time.Millisecond))
}

// firstDiff names the first line where got and want differ.
func traceDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ": have " + quoteShort(gl) + ", want " + quoteShort(wl)
		}
	}
	return "no line differs"
}

func quoteShort(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return "\"" + s + "\""
}

// TestTraceDeterministic generates twice and compares.
func TestTraceDeterministic(t *testing.T) {
	root := repoRoot(t)
	a, err := GenerateTrace(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateTrace(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if _, ok := a["README.md"]; !ok {
		t.Error("no README.md generated")
	}
	for _, n := range RFCs() {
		if _, ok := a["rfc"+strconv.Itoa(n)+".md"]; !ok {
			t.Errorf("no rfc%d.md generated", n)
		}
	}
}

// TestStatusTSV keeps spec/status.tsv valid: every row names a catalogued
// requirement once, with a known status and a reason.
func TestStatusTSV(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(StatusFile)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseStatusTSV(StatusFile, data)
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			t.Error(l)
		}
		return
	}
	// A requirement the code cites as what it does cannot be "not
	// applicable" at the same time: one of the two claims is wrong.
	cites, err := ScanCitations(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rows {
		if o.Status != StatusNotApplicable {
			continue
		}
		for _, c := range cites {
			if c.ID == o.ID && !c.Test {
				t.Errorf("spec: %s:%d: %s is %q but %s:%d cites it", StatusFile, o.Line, o.ID, o.Status, c.File, c.Line)
			}
		}
	}
	t.Logf("%d rows", len(rows))
}

func TestParseStatusTSVErrors(t *testing.T) {
	id := "RFC7296" + "-2.6-4"
	tests := []struct {
		name, data, want string
	}{
		{"header", "id\tstatus\n", "spec: status.tsv:1: first line is not the header"},
		{"columns", StatusTSVHeader + "\n" + id + "\tnot applicable\n", "spec: status.tsv:2: 2 columns, want 3"},
		{"unknown ID", StatusTSVHeader + "\n" + "RFC7296" + "-2.6-999\tnot applicable\tx\n", "spec: status.tsv:2: " + "RFC7296" + "-2.6-999 is not in the catalogue"},
		{"status", StatusTSVHeader + "\n" + id + "\tdone\tx\n", `spec: status.tsv:2: status "done"`},
		{"reason", StatusTSVHeader + "\n\n" + id + "\tnot implemented\t \n", "spec: status.tsv:3: " + id + " has no reason"},
		{"duplicate", StatusTSVHeader + "\n" + id + "\tnot implemented\tx\n" + id + "\tnot applicable\ty\n", "spec: status.tsv:3: " + id + " already has a row at line 2"},
	}
	for _, tc := range tests {
		_, err := ParseStatusTSV("status.tsv", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	rows, err := ParseStatusTSV("status.tsv", []byte(StatusTSVHeader+"\n# a comment\n"+id+"\tnot applicable\tno cookies here\n"))
	if err != nil || len(rows) != 1 || rows[0].Line != 3 || rows[0].Reason != "no cookies here" {
		t.Errorf("good file: %+v, %v", rows, err)
	}
}

// TestScanCitations runs the scanner on a small tree.
func TestScanCitations(t *testing.T) {
	a, b, c := "RFC7296"+"-2.6-4", "RFC7296"+"-3.1-4", "RFC4303"+"-3.3.3-1"
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n")
	write("impl/x/x.go", "package x\n\n// "+a+": cookies.\nfunc F() {}\n\ntype T struct{}\n\nfunc (t *T) M() {\n\t_ = 1 // "+b+" and "+b+"\n}\n\nvar v = 1 // "+c+"\n\nconst (\n\tk1 = 1\n\t// "+a+"\n\tk2 = 2\n)\n")
	write("impl/x/x_test.go", "package x\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) {\n\tt.Log(\""+a+"\")\n}\n")
	write("features/f.feature", "Feature: f\n  "+c+"\n  Scenario: cookies\n    Then "+a+"\n")
	write("impl/x/doc.go", "// Package x does "+b+".\npackage x\n")
	write("spec/doc.go", "package spec // "+a+"\n")
	write("impl/x/testdata/y.go", "package y // "+a+"\n")
	write("README.md", a+"\n")
	got, err := ScanCitations(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Citation{
		{c, "features/f.feature", 2, "Feature: f", true},
		{a, "features/f.feature", 4, "Scenario: cookies", true},
		{b, "impl/x/doc.go", 1, "package x", false},
		{a, "impl/x/x.go", 3, "F", false},
		{b, "impl/x/x.go", 9, "T.M", false},
		{c, "impl/x/x.go", 12, "var v", false},
		{a, "impl/x/x.go", 16, "const k2", false},
		{a, "impl/x/x_test.go", 6, "TestF", true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("citation %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	rows := Trace(got, []Override{{ID: b, Status: StatusNotImpl, Reason: "r"}})
	status := map[string]string{}
	for _, r := range rows {
		status[r.Req.ID] = r.Status
	}
	if status[a] != StatusImplemented || status[b] != StatusNotImpl || status[c] != StatusImplemented {
		t.Errorf("statuses %q %q %q", status[a], status[b], status[c])
	}
	got = append(got[:2], got[3:]...) // without doc.go
	rows = Trace(got[:3], nil)
	for _, r := range rows {
		status[r.Req.ID] = r.Status
	}
	if status[a] != StatusImplemented || status[b] != StatusNotTraced || status[c] != StatusTested {
		t.Errorf("statuses %q %q %q", status[a], status[b], status[c])
	}
	rows = Trace(got[2:5], nil)
	for _, r := range rows {
		status[r.Req.ID] = r.Status
	}
	if status[a] != StatusUntested {
		t.Errorf("status %q", status[a])
	}
}
