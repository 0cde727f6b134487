package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-root", "../../..", "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "wrote ") {
		t.Errorf("stdout %q", stdout.String())
	}
	for _, name := range []string{"README.md", "untested-must.md", "rfc7296.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	err := run([]string{"-root", t.TempDir()}, &stdout, &stderr)
	if err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("run in a directory without go.mod: %v", err)
	}
	if err := run([]string{"extra"}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("run with an argument: %v", err)
	}
}
