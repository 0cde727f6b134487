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

// TestStatusFiles keeps spec/status true: every catalogue row has exactly
// one status row, in catalogue order, with a known status, a paraphrase and a
// detail; an implemented row names code that exists; a requirement that
// non-test code cites is not "not applicable".
func TestStatusFiles(t *testing.T) {
	root := repoRoot(t)
	rows, err := LoadStatus(root)
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			t.Error(l)
		}
		return
	}
	cites, err := ScanCitations(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range CheckStatus(root, rows, cites) {
		t.Error(e)
	}
	n := map[string]int{}
	for _, r := range rows {
		n[r.Status]++
	}
	t.Logf("%d status rows: %v", len(rows), n)
}

func TestParseStatusFileErrors(t *testing.T) {
	id := "RFC7296" + "-2.6-4"
	h := StatusHeader + "\n"
	tests := []struct {
		name, data, want string
	}{
		{"header", "id\tstatus\n", "spec: f.tsv:1: first line is not the header"},
		{"columns", h + id + "\tnot applicable\tx\n", "spec: f.tsv:2: 3 columns, want 4"},
		{"unknown ID", h + "RFC7296" + "-2.6-999\tnot applicable\tp\tx\n", "spec: f.tsv:2: " + "RFC7296" + "-2.6-999 is not in the catalogue"},
		{"status", h + id + "\tdone\tp\tx\n", `spec: f.tsv:2: status "done"`},
		{"paraphrase", h + id + "\tnot implemented\t \tx\n", "spec: f.tsv:2: " + id + " has no paraphrase"},
		{"detail", h + id + "\tnot implemented\tp\t \n", "spec: f.tsv:2: " + id + " has no detail"},
		{"empty line", h + "\n" + id + "\tnot implemented\tp\tx\n", "spec: f.tsv:2: empty line"},
		{"duplicate", h + id + "\tnot implemented\tp\tx\n" + id + "\tnot applicable\tp\ty\n", "spec: f.tsv:3: " + id + " already has a row at line 2"},
	}
	for _, tc := range tests {
		_, err := ParseStatusFile("f.tsv", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	rows, err := ParseStatusFile("f.tsv", []byte(h+id+"\tnot applicable\tcookies\tno cookies here\n"))
	if err != nil || len(rows) != 1 || rows[0].Line != 2 || rows[0].Detail != "no cookies here" || rows[0].Paraphrase != "cookies" {
		t.Errorf("good file: %+v, %v", rows, err)
	}
}

// TestCheckRefs: the references of an implemented row must name existing
// files and declared identifiers.
func TestCheckRefs(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package p\n\ntype T struct{ F int }\n\nfunc (T) M() {}\n\nfunc G() {}\n\nvar V, W = 1, 2\n\nconst C = 1\n"
	if err := os.WriteFile(filepath.Join(root, "p", "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	row := func(d string) []StatusRow {
		return []StatusRow{{ID: "x", Status: StatusImplemented, Detail: d, File: "f.tsv", Line: 2}}
	}
	for _, good := range []string{"p", "p/p.go", "p/p.go#G", "p#T.M, p/p.go#W; a note, with a comma", "p#C, p#T.F"} {
		if errs := CheckRefs(root, row(good)); len(errs) != 0 {
			t.Errorf("%q: %v", good, errs)
		}
	}
	for bad, want := range map[string]string{
		"q":            "no file or directory q",
		"p/p.go#H":     "p/p.go declares no H",
		"p#T.N":        "p declares no N",
		"p/p.go#G()":   "is not path or path#Identifier",
		"; only notes": "names no code",
		"../p":         "no file or directory",
	} {
		errs := CheckRefs(root, row(bad))
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%q: errors %v, want %q", bad, errs, want)
		}
	}
	// Only implemented rows name code.
	if errs := CheckRefs(root, []StatusRow{{ID: "x", Status: StatusNotImpl, Detail: "q"}}); len(errs) != 0 {
		t.Errorf("not implemented row checked: %v", errs)
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

	rows := Trace(got, []StatusRow{{ID: b, Status: StatusNotImpl, Paraphrase: "p", Detail: "r"}})
	for _, r := range rows {
		switch r.Req.ID {
		case a:
			if r.Status != StatusMissing || len(r.Code) != 2 || len(r.Tests) != 2 || !r.Tested() {
				t.Errorf("%s: %+v", a, r)
			}
		case b:
			if r.Status != StatusNotImpl || r.Detail != "r" || len(r.Code) != 2 || r.Tested() {
				t.Errorf("%s: %+v", b, r)
			}
		case c:
			if r.Status != StatusMissing || len(r.Code) != 1 || len(r.Tests) != 1 {
				t.Errorf("%s: %+v", c, r)
			}
		}
	}
}
