package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestImpairCtl sets, lists and clears impairments through the control
// socket: the spec as separate words or as one, --list in text and JSON,
// --clear.
func TestImpairCtl(t *testing.T) {
	ctl, _, _ := startServer(t, "")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := runCtlT(t, ctl, append([]string{"impair"}, args...)...)
		if code != 0 {
			t.Fatalf("ctl impair %q: exit %d: %s%s", args, code, out, errOut)
		}
		return out
	}
	if out := run("--list"); out != "no impairments\n" {
		t.Errorf("--list at start: %q", out)
	}
	out := run("drop", "--exchange", "IKE_AUTH", "--response", "--nth", "1")
	if !strings.Contains(out, "1 impairment(s) active:\n  drop --exchange IKE_AUTH --response --nth 1\n") {
		t.Errorf("after adding drop: %q", out)
	}
	run("delay=2s --exchange=ike_sa_init --request") // one word, as --impair takes it
	var list []impairJSON
	if err := json.Unmarshal([]byte(run("--list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	want := []impairJSON{
		{Spec: "drop --exchange IKE_AUTH --response --nth 1", Kind: "drop", Exchange: "IKE_AUTH", Direction: "response", Nth: 1},
		{Spec: "delay=2s --exchange IKE_SA_INIT --request", Kind: "delay", Arg: "2s", Exchange: "IKE_SA_INIT", Direction: "request"},
	}
	if len(list) != len(want) || list[0] != want[0] || list[1] != want[1] {
		t.Errorf("--list --json: %+v, want %+v", list, want)
	}
	if out := run("--clear"); out != "no impairments\n" {
		t.Errorf("--clear: %q", out)
	}
	if out := run("--list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("--list --json after --clear: %q", out)
	}
}

// TestImpairCtlErrors: a bad impairment gets an error that names the field
// at fault, from the client (exit 2) and from the server.
func TestImpairCtlErrors(t *testing.T) {
	ctl, _, _ := startServer(t, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explode"}, `kind "explode"`},
		{[]string{"drop", "--exchange", "FOO"}, `--exchange "FOO"`},
		{[]string{"drop", "--nth", "x"}, `--nth "x"`},
		{[]string{"delay"}, "delay=: argument"},
		{[]string{"omit-payload=XYZ"}, `argument "XYZ": want a payload type`},
		{[]string{"drop", "--request", "--response"}, "direction"},
		{[]string{"--list", "--clear"}, "--list and --clear exclude each other"},
		{[]string{"--list", "drop"}, "take no impairment"},
		{nil, "no impairment (kinds: drop, "},
	} {
		out, errOut, code := runCtlT(t, ctl, append([]string{"impair"}, tc.args...)...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "refserver ctl: impair: ") || !strings.Contains(errOut, tc.want) {
			t.Errorf("ctl impair %q: exit %d, %q %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if out, errOut, code := runCtlT(t, ctl, "impair", "drop", "--child", "x"); code != 2 || !strings.Contains(errOut, "--child") {
		t.Errorf("impair with --child: exit %d %q %q", code, out, errOut)
	}
	for line, want := range map[string]string{
		`{"command":"impair","impair":"omit-payload=XYZ"}`:  `refserver: impair: ike: impairment omit-payload=XYZ: argument "XYZ"`,
		`{"command":"impair","impair":"drop --nth -2"}`:     "refserver: impair: ike: impairment drop: nth -2",
		`{"command":"impair"}`:                              "refserver: impair: want one of impair (an impairment), list or clear",
		`{"command":"impair","impair":"drop","clear":true}`: "refserver: impair: want one of",
		`{"command":"list-sas","clear":true}`:               "refserver: list-sas takes no impair, list or clear",
	} {
		resp := rawCtl(t, ctl, line)
		if resp.OK || !strings.HasPrefix(resp.Error, want) {
			t.Errorf("%s: %+v, want the error %q", line, resp, want)
		}
	}
	if out, _, _ := runCtlT(t, ctl, "impair", "--list"); out != "no impairments\n" {
		t.Errorf("a refused impairment became active: %q", out)
	}
}

// TestImpairStartup: --impair SPEC (repeatable) is active from the start
// and logged; a bad one is a usage error naming the field.
func TestImpairStartup(t *testing.T) {
	var o options
	f := impairFlag{&o.impairs}
	for _, spec := range []string{"drop --exchange IKE_AUTH --response --nth 1", "zero-ke"} {
		if err := f.Set(spec); err != nil {
			t.Fatal(err)
		}
	}
	ts := startServerOpts(t, o)
	out, errOut, code := runCtlT(t, ts.ctl, "impair", "--list")
	if code != 0 || out != "2 impairment(s) active:\n  drop --exchange IKE_AUTH --response --nth 1\n  zero-ke\n" {
		t.Errorf("--list: exit %d %q %q", code, out, errOut)
	}
	if !strings.Contains(ts.stderr.String(), "impairment active: zero-ke") {
		t.Errorf("the log does not say the impairments are active")
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--impair", "drop --exchange NOPE"}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), `-impair: ike: impairment "drop --exchange NOPE": --exchange "NOPE"`) {
		t.Errorf("bad --impair: exit %d: %s", code, stderr.String())
	}
	if f.String() != "drop --exchange IKE_AUTH --response --nth 1; zero-ke" {
		t.Errorf("the flag's value: %q", f.String())
	}
}
