package conformance

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestReportRefserver writes the whole suite's report against refserver
// into $IKEV2REF_CONFORMANCE_OUT (`make conform`): every case, the COOKIE
// group against a refserver that demands cookies, the rest against a plain
// one, the "iut-trigger" cases with refserver's control socket. The
// groups' own tests judge the verdicts; this one writes the report a user
// opens (report.html) and fails only if a case FAILs or the run breaks.
func TestReportRefserver(t *testing.T) {
	out := os.Getenv("IKEV2REF_CONFORMANCE_OUT")
	if out == "" {
		t.Skip("set IKEV2REF_CONFORMANCE_OUT=DIR (make conform) to write the report of the suite against refserver")
	}
	plain, _ := startRefserver(t)
	cookies, _ := startRefserver(t, "--force-cookies")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var all []Result
	for _, run := range []struct {
		target   Target
		cookies  bool
		patterns string
	}{{plain, false, "*"}, {cookies, true, "COOKIE-*"}} {
		prof := triggerProfile(t, run.target)
		if run.cookies {
			prof.Features = append(prof.Features, "cookie-forced")
			prof.ForceCookies = true
		}
		cases, err := Select(run.patterns)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, Config{Target: run.target, Profile: prof, Cases: cases, OutDir: out, CaseTimeout: 40 * time.Second, Progress: os.Stderr})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if run.cookies || r.Group != "COOKIE" {
				all = append(all, r)
			}
		}
	}
	rep := &Report{Tool: "ikeconform (go test)", Target: "refserver on 127.0.0.1", Profile: refserverProfile(t), Started: time.Now(), Finished: time.Now(), Results: all}
	if err := rep.WriteAll(out); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Verdict == Fail {
			t.Errorf("%s FAIL: %s", r.ID, r.Reason)
		}
	}
	t.Logf("report of %d cases in %s/report.html", len(all), out)
}
