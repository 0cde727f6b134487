package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// triggerProfile is the refserver profile with the "terminate" trigger
// (refserver ctl terminate) of the refserver at target.
func triggerProfile(t *testing.T, target Target) *Profile {
	t.Helper()
	p := refserverProfile(t)
	path, ok := ctlPaths.Load(target)
	if !ok {
		t.Fatalf("no refserver at %v", target)
	}
	p.Features = append(p.Features, "iut-trigger")
	p.Triggers = map[string][]string{
		"terminate": {filepath.Join(buildTools(t), "refserver"), "ctl", "--ctl", path.(string), "terminate", "default"},
	}
	return p
}

func runWith(t *testing.T, target Target, prof *Profile, ids string) []Result {
	t.Helper()
	cases, err := Select(ids)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Target: target, Profile: prof, Cases: cases, CaseTimeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSenderCases: the cases of cases_sender.go pass against refserver.
func TestSenderCases(t *testing.T) {
	target, _ := startRefserver(t)
	for _, r := range runWith(t, target, triggerProfile(t, target), "INIT-10?,INFO-101") {
		if r.Verdict != Pass {
			t.Errorf("%s: %s: %s\n%s\n%s", r.ID, r.Verdict, r.Reason, r.Diff, strings.Join(r.Log, "\n"))
		}
	}
}

// TestImpairCrossCheck proves the judges can fail: refserver impaired with
// each kind of fault (refserver --impair, impl/ike/impair.go) makes at
// least one case FAIL — not INCONCLUSIVE — while the same cases pass
// against the unimpaired refserver (TestSenderCases and the groups' own
// tests).
func TestImpairCrossCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the impair cross-check starts a refserver per impairment")
	}
	tests := []struct {
		impair string
		flags  []string // more refserver flags
		cases  string   // the cases run; at least one must FAIL
	}{
		{"drop --exchange IKE_SA_INIT --response", nil, "INIT-101"},
		{"duplicate --exchange IKE_SA_INIT --response", nil, "INIT-101"},
		{"delay=8s --exchange IKE_SA_INIT --response", nil, "INIT-101"},
		{"omit-payload=KE --exchange IKE_SA_INIT --response", nil, "INIT-105"},
		{"duplicate-payload=No --exchange IKE_SA_INIT --response", nil, "INIT-001"},
		{"corrupt-payload=AUTH --exchange IKE_AUTH --response", nil, "AUTH-001"},
		{"bogus-cookie --exchange IKE_SA_INIT --response", []string{"--force-cookies"}, "COOKIE-002"},
		{"reserved-bits --exchange IKE_SA_INIT --response", nil, "INIT-102"},
		{"version-bump --exchange IKE_SA_INIT --response", nil, "INIT-103"},
		{"minor-version --exchange IKE_SA_INIT --response", nil, "INIT-103"},
		{"unknown-critical-payload --exchange IKE_SA_INIT --response", nil, "INIT-104"},
		{"no-retransmit", nil, "INFO-101"},
		{"zero-ke --exchange IKE_SA_INIT --response", nil, "INIT-105"},
	}
	for _, tc := range tests {
		t.Run(tc.impair, func(t *testing.T) {
			target, _ := startRefserver(t, append([]string{"--impair", tc.impair}, tc.flags...)...)
			prof := triggerProfile(t, target)
			if len(tc.flags) > 0 && tc.flags[0] == "--force-cookies" {
				prof.Features = append(prof.Features, "cookie-forced")
				prof.ForceCookies = true
			}
			res := runWith(t, target, prof, tc.cases)
			failed := false
			var summary []string
			for _, r := range res {
				failed = failed || r.Verdict == Fail
				summary = append(summary, fmt.Sprintf("%s %s %s", r.ID, r.Verdict, r.Reason))
			}
			if !failed {
				t.Errorf("refserver --impair %q: no case failed:\n%s", tc.impair, strings.Join(summary, "\n"))
			} else {
				t.Logf("refserver --impair %q caught: %s", tc.impair, strings.Join(summary, "; "))
			}
		})
	}
}
