package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQueries(t *testing.T) {
	tests := []struct {
		args      []string
		wantLines int    // -1: any number > 0
		wantFirst string // prefix of the first line
		wantErr   string // substring of the error, "" for none
	}{
		{[]string{"-id", "RFC7296-2.6-4"}, 1, "RFC7296-2.6-4\tMUST\tIf the IKE_SA_INIT response includes the COOKIE notification", ""},
		{[]string{"-id", "RFC7296-3.1-4,RFC7296-3.9-1"}, 2, "RFC7296-3.1-4\tMUST\tImplementations based on this version of IKE MUST set the major version to 2.", ""},
		{[]string{"-id", "RFC7296-3.1-4", "-v"}, 1, "RFC7296-3.1-4\tMUST\t[3.1 The IKE Header]\t", ""},
		{[]string{"-list", "RFC7296-2.6"}, 6, "RFC7296-2.6-1\tMUST\t", ""},
		{[]string{"-list", "rfc7296-2.6."}, 6, "RFC7296-2.6-1\tMUST\t", ""},
		{[]string{"-list", "RFC7296-2.6", "-sub"}, -1, "RFC7296-2.6-1\t", ""},
		{[]string{"-list", "RFC7383"}, 40, "RFC7383-", ""},
		{[]string{"-grep", "major version to 2"}, -1, "RFC7296-3.1-4\t", ""},
		{[]string{"-sections", "7296"}, -1, "RFC7296-1\t", ""},
		{[]string{"-rfcs"}, 31, "RFC3526\t0", ""},
		{[]string{"-id", "RFC7296-" + "2.6-99"}, 0, "", "section 2.6 has RFC7296-2.6-1 .. RFC7296-2.6-6"},
		{[]string{"-id", "nonsense"}, 0, "", "malformed requirement ID"},
		{[]string{"-list", "RFC7296-1.6"}, 0, "", "has no requirements"},
		{[]string{"-list", "RFC1234"}, 0, "", "not in the catalogue"},
		{[]string{"-grep", "("}, 0, "", "-grep"},
		{[]string{}, 0, "", "usage"},
		{[]string{"-rfc", "x"}, 0, "", "both -rfc and -out"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(tt.args, &out, &errOut)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "spec: ") {
				t.Errorf("speccat %q: err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("speccat %q: %v", tt.args, err)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if tt.wantLines >= 0 && len(lines) != tt.wantLines || tt.wantLines < 0 && out.Len() == 0 {
			t.Errorf("speccat %q: %d lines, want %d:\n%s", tt.args, len(lines), tt.wantLines, out.String())
		}
		if !strings.HasPrefix(lines[0], tt.wantFirst) {
			t.Errorf("speccat %q: first line %q, want prefix %q", tt.args, lines[0], tt.wantFirst)
		}
	}
}

func TestGenerate(t *testing.T) {
	dir := os.Getenv("IKEV2REF_RFC_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "rfc")
	}
	if _, err := os.Stat(filepath.Join(dir, "rfc7296.txt")); err != nil {
		t.Skip("../shared/rfc not present: generation check skipped")
	}
	out := t.TempDir()
	// A stale file for an RFC that is not in the library is removed.
	if err := os.WriteFile(filepath.Join(out, "rfc1.tsv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-rfc", dir, "-out", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rfc7296.tsv", "rfc9370.tsv", "rfc3526.tsv"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "catalogue", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("generated %s differs from spec/catalogue/%s", name, name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "rfc1.tsv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale rfc1.tsv was not removed: %v", err)
	}
}
