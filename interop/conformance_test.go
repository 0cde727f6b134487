package interop

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/conformance"
)

// The conformance suite (package conformance, cmd/ikeconform) against a
// third-party IKEv2 implementation as the IUT: the IUT runs as responder
// in the lab's right namespace (192.0.2.2), the tester, the ikeconform
// binary built from this tree, runs in the left namespace (192.0.2.1) as
// `ip netns exec <left> ikeconform run --target 192.0.2.2 --local
// 192.0.2.1 ...`: a separate process, so that its sockets are made in the
// left namespace and a bug in a case cannot take the test binary down.
//
// The tests do not fail on the IUT's FAIL verdicts (those are findings,
// docs/conformance/<iut>.md): they fail when the run does not complete
// with a verdict for every registered case, when a case's tester panicked,
// or when the set of FAIL case IDs differs from
// docs/conformance/<iut>/expected-fails.txt, so that a change is noticed.
//
// Environment:
//
//	IKEV2REF_CONFORMANCE_REPORT=DIR   copy report.html, report.json,
//	    junit.xml, the FAIL and INCONCLUSIVE cases' pcaps, key tables and
//	    logs, and the IUT's log into DIR
//	    (relative: to the repository root)
//	IKEV2REF_CONFORMANCE_UPDATE=1     rewrite expected-fails.txt from this
//	    run (reasons of IDs already listed are kept)
//	IKEV2REF_CONFORMANCE_CASES=PATS   run only these cases (ikeconform
//	    --cases; the expected-fails comparison is then limited to them)
//	IKEV2REF_CONFORMANCE_CHARON_NETLINK=1  charon without kernel-libipsec
//	    (no faked NAT, no Child SA can be installed): the comparison run of
//	    docs/conformance/charon.md; the FAIL set then differs
//	INTEROP_IKECONFORM=BIN            use this ikeconform binary instead of
//	    building ./cmd/ikeconform (like INTEROP_REFSERVER)
//	INTEROP_LIBRESWAN=DIR             where the libreswan .deb is unpacked (default: /opt/ikev2ref/libreswan, where interop/install-deps.sh unpacks it)
//	    (dpkg -x); TestConformanceLibreswan skips without it
const (
	conformanceReportEnv = "IKEV2REF_CONFORMANCE_REPORT"
	conformanceUpdateEnv = "IKEV2REF_CONFORMANCE_UPDATE"
	conformanceCasesEnv  = "IKEV2REF_CONFORMANCE_CASES"
	libreswanEnv         = "INTEROP_LIBRESWAN"
	charonNetlinkEnv     = "IKEV2REF_CONFORMANCE_CHARON_NETLINK"
	// conformanceRunTimeout bounds one ikeconform run, conformanceCaseTimeout
	// each case (ikeconform --timeout).
	conformanceRunTimeout  = 8 * time.Minute
	conformanceCaseTimeout = 30 * time.Second
	// The IUT's log is copied whole up to this size, else its end.
	iutLogLimit = 2 << 20
)

// TestConformanceCharon: strongSwan's charon as the IUT (responder, PSK,
// one tunnel-mode child), configured from conformance/profiles/charon.json.
//
// charon loads kernel-libipsec before kernel-netlink (userspace ESP: the
// kernel has no ESP), so Child SAs are installed and every CHILD, REKEY
// and ESP case can judge charon; the price is that kernel-libipsec makes
// charon fake a NAT (a wrong NAT_DETECTION_SOURCE_IP) to force UDP
// encapsulation. With kernel-netlink alone every Child SA fails to install
// and charon answers IKE_AUTH and CREATE_CHILD_SA with
// N(NO_PROPOSAL_CHOSEN): far more cases would judge the harness rather
// than the protocol. docs/conformance/charon.md says which cases the
// faked NAT touches.
func TestConformanceCharon(t *testing.T) {
	l := newLab(t)
	prof := readConformanceProfile(t, "charon")
	conn := conformanceConn(l.right, prof)
	opts := CharonOptions{
		// The suite opens many IKE SAs from one address, many of them
		// half-open on purpose: charon's defaults (cookies above 30
		// half-open SAs, or 3 from one address; blocking above 5 from one
		// address) would make it demand cookies from, or ignore, the
		// tester after a few cases.
		Extra: "  cookie_threshold = 100000\n  cookie_threshold_ip = 100000\n  block_threshold = 100000\n  init_limit_half_open = 0\n",
	}
	if prof.Retransmit > 0 {
		opts.RetransmitTimeout = prof.Retransmit
	}
	if os.Getenv(charonNetlinkEnv) == "1" {
		// The comparison run: no userspace ESP, so no faked NAT, and no
		// Child SA can be installed (a later load line overrides).
		opts.Extra += "  load = " + strings.Replace(CharonPlugins, "kernel-libipsec ", "", 1) + "\n"
		t.Logf("interop: %s=1: charon without kernel-libipsec (Child SAs cannot be installed)", charonNetlinkEnv)
	}
	c := startCharon(l, l.right, conn, opts)
	// The triggers (commands that make charon send a request): terminate
	// deletes the connection's IKE SAs (INFORMATIONAL requests with a
	// Delete payload), rekey-ike and rekey-child rekey them
	// (CREATE_CHILD_SA requests).
	vici := []string{"--uri", c.opts.VICI()}
	trig := map[string][]string{
		"terminate":   append([]string{swanctlBin, "--terminate", "--ike", conn.ConnName(), "--timeout", "10"}, vici...),
		"rekey-ike":   append([]string{swanctlBin, "--rekey", "--ike", conn.ConnName()}, vici...),
		"rekey-child": append([]string{swanctlBin, "--rekey", "--child", conn.ChildName()}, vici...),
	}
	runConformanceIUT(t, l, "charon", prof, trig, c.logPath())
}

// TestConformanceLibreswan: libreswan's pluto (4.10, the Debian package
// unpacked, not installed: it conflicts with strongSwan) as the IUT,
// holding IKE SAs only: these kernels have no ESP, so every Child SA fails
// to install (pluto then answers IKE_AUTH with N(TS_UNACCEPTABLE) and
// keeps the IKE SA). conformance/profiles/libreswan.json claims no Child SA
// feature.
func TestConformanceLibreswan(t *testing.T) {
	requireInterop(t)
	lsw, why := findLibreswan()
	if why != "" {
		t.Skipf("INTEROP SKIPPED: libreswan: %s", why)
	}
	l := newLab(t)
	prof := readConformanceProfile(t, "libreswan")
	logPath, whack := startPluto(t, l, l.right, lsw, prof)
	// "terminate" = ipsec auto --down lab: pluto deletes the connection's
	// IKE SAs (INFORMATIONAL requests with a Delete payload).
	// rekey-ike = whack --rekey-ike: pluto rekeys the IKE SA.
	trig := map[string][]string{
		"terminate": append(slices.Clone(whack), "--name", "lab", "--terminate"),
		"rekey-ike": append(slices.Clone(whack), "--name", "lab", "--rekey-ike"),
	}
	runConformanceIUT(t, l, "libreswan", prof, trig, logPath)
}

func readConformanceProfile(t *testing.T, iut string) *conformance.Profile {
	t.Helper()
	p, err := conformance.ReadProfile(filepath.Join(repoRoot(), "conformance", "profiles", iut+".json"))
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	return p
}

// conformanceConn is the IUT's side of the profile as a swanctl.conf
// connection in namespace s.
func conformanceConn(s side, p *conformance.Profile) Conn {
	return Conn{
		LocalAddr: s.addr, RemoteAddr: s.otherAddr,
		LocalID: p.IUTID, RemoteID: p.TesterID,
		Proposals: strings.Join(p.IKEProposals, ", "), ESPProposals: strings.Join(p.ESPProposals, ", "),
		LocalTS: p.IUTTS, RemoteTS: p.TesterTS,
		PSK: p.PSK,
	}
}

// runConformanceIUT runs ikeconform from the lab's left namespace against
// the IUT at the right side's address and judges the run (see the file's
// comment). The profile given to ikeconform is prof with the harness's
// triggers (commands that make the IUT send a request; they run in the
// tester's namespace and reach the IUT's control socket by its path) and
// the feature "iut-trigger" added. iutLog is the IUT's log file, copied
// with the reports.
func runConformanceIUT(t *testing.T, l *lab, iut string, prof *conformance.Profile, triggers map[string][]string, iutLog string) {
	bin := built(t, "ikeconform")
	if len(triggers) > 0 {
		prof.Triggers = triggers
		if !prof.Has("iut-trigger") {
			prof.Features = append(prof.Features, "iut-trigger")
		}
	}
	data, err := json.MarshalIndent(prof, "", "  ")
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	profile := l.path(iut + "-run.json")
	if err := os.WriteFile(profile, data, 0o600); err != nil {
		t.Fatalf("interop: %v", err)
	}
	out := l.path("conformance-" + iut)
	patterns := os.Getenv(conformanceCasesEnv)

	// The cases this binary has: every one must come back with a verdict.
	listArgs := []string{"list"}
	if patterns != "" {
		listArgs = append(listArgs, "--cases", patterns)
	}
	listing, err := run(time.Minute, nil, bin, listArgs...)
	if err != nil {
		t.Fatalf("interop: ikeconform list: %v\n%s", err, listing)
	}
	want := listedCases(listing)
	if len(want) == 0 {
		t.Fatalf("interop: ikeconform list shows no case:\n%s", listing)
	}

	args := []string{"netns", "exec", l.left.ns, bin, "run",
		"--target", l.right.addr, "--local", l.left.addr, "--profile", profile,
		"--out", out, "--timeout", conformanceCaseTimeout.String()}
	if patterns != "" {
		args = append(args, "--cases", patterns)
	}
	start := time.Now()
	t.Logf("interop: %d cases: ip %s", len(want), strings.Join(args, " "))
	output, err := run(conformanceRunTimeout, nil, "ip", args...)
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		// 1: some case is FAIL; judged below.
	default:
		t.Fatalf("interop: ikeconform run: %v\n%s", err, output)
	}
	t.Logf("interop: ikeconform ran %d cases in %v:\n%s", len(want), time.Since(start).Round(time.Second), output)

	rep := readConformanceReport(t, out)
	got := map[string]conformance.Result{}
	for _, r := range rep.Results {
		got[r.ID] = r
	}
	for _, id := range want {
		r, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: no verdict in report.json", id)
		case !slices.Contains(conformance.Verdicts, r.Verdict):
			t.Errorf("%s: verdict %q is none of %v", id, r.Verdict, conformance.Verdicts)
		}
		if ok && testerPanicked(r) {
			t.Errorf("%s: the tester panicked: %s", id, r.Reason)
		}
	}
	if len(rep.Results) != len(want) {
		t.Errorf("report.json has %d results, ikeconform list %d cases", len(rep.Results), len(want))
	}
	s := conformance.Summarize(rep.Results)
	t.Logf("interop: %s: %d cases, %d PASS, %d FAIL, %d INCONCLUSIVE, %d SKIP", iut,
		s.All.Total, s.All.Pass, s.All.Fail, s.All.Inconclusive, s.All.Skip)

	if dir := os.Getenv(conformanceReportEnv); dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(repoRoot(), dir)
		}
		copyConformanceReport(t, out, dir, rep, iutLog)
	}
	checkExpectedFails(t, iut, rep, want, patterns != "")
}

// listedCases reads the IDs from `ikeconform list` (a header line, then
// one case per line, its ID first).
func listedCases(listing string) []string {
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(listing))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "ID" || strings.HasPrefix(f[0], "ikeconform:") {
			continue
		}
		ids = append(ids, f[0])
	}
	return ids
}

func readConformanceReport(t *testing.T, dir string) *conformance.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, conformance.JSONReportFile))
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("interop: %s: %v", conformance.JSONReportFile, err)
	}
	for _, f := range []string{conformance.HTMLReportFile, conformance.JUnitReportFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("interop: %s missing or empty (%v)", f, err)
		}
	}
	return &rep
}

// testerPanicked: the runner turns a panic in a case into a failed
// judgement "the tester panicked: ...".
func testerPanicked(r conformance.Result) bool {
	if strings.Contains(r.Reason, "tester panicked") {
		return true
	}
	for _, j := range r.Judgements {
		if strings.Contains(j.What, "tester panicked") {
			return true
		}
	}
	return false
}

// copyConformanceReport copies the three reports, the IUT's log and the
// per-case artifacts of the FAIL and INCONCLUSIVE cases into dir, replacing what an earlier run put
// there (expected-fails.txt and other files of dir stay).
func copyConformanceReport(t *testing.T, from, dir string, rep *conformance.Report, iutLog string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("interop: %v", err)
	}
	for _, f := range []string{conformance.HTMLReportFile, conformance.JSONReportFile, conformance.JUnitReportFile} {
		if err := copyFile(filepath.Join(from, f), filepath.Join(dir, f)); err != nil {
			t.Errorf("interop: %v", err)
		}
	}
	if iutLog != "" {
		if err := copyTail(iutLog, filepath.Join(dir, "iut.log"), iutLogLimit); err != nil {
			t.Logf("interop: IUT log: %v", err)
		}
	}
	cases := filepath.Join(dir, "cases")
	if err := os.RemoveAll(cases); err != nil {
		t.Errorf("interop: %v", err)
	}
	// Only the cases that matter keep their files: the FAIL and
	// INCONCLUSIVE ones (the committed reports stay small; the HTML
	// report's links of the other cases lead to files not copied).
	matter := map[string]bool{}
	for _, r := range rep.Results {
		if r.Verdict == conformance.Fail || r.Verdict == conformance.Inconclusive {
			matter[r.ID] = true
		}
	}
	keep := func(id string) bool { return matter[id] }
	t.Logf("interop: keeping the per-case artifacts of the %d FAIL and INCONCLUSIVE cases only", len(matter))
	entries, _ := os.ReadDir(filepath.Join(from, "cases"))
	for _, e := range entries {
		if !e.IsDir() || !keep(e.Name()) {
			continue
		}
		if err := copyTree(filepath.Join(from, "cases", e.Name()), filepath.Join(cases, e.Name())); err != nil {
			t.Errorf("interop: %v", err)
		}
	}
	t.Logf("interop: reports copied into %s", dir)
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		return copyFile(p, filepath.Join(to, rel))
	})
}

// copyTail copies the file, or its last limit octets (from a line start)
// after a line saying how much was left out.
func copyTail(from, to string, limit int64) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if n := int64(len(data)); n > limit {
		cut := data[n-limit:]
		if i := strings.IndexByte(string(cut), '\n'); i >= 0 {
			cut = cut[i+1:]
		}
		data = append([]byte(fmt.Sprintf("[interop: the first %d octets of %s are left out]\n", n-int64(len(cut)), filepath.Base(from))), cut...)
	}
	return os.WriteFile(to, data, 0o644)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// checkExpectedFails compares the run's FAIL case IDs with
// docs/conformance/<iut>/expected-fails.txt: one ID per line, then a short
// reason; blank lines and lines starting with # are comments. An ID
// written ~ID is a case seen to FAIL in some runs and PASS in others (the
// IUT's outcome depends on timing): it may FAIL or not. With
// IKEV2REF_CONFORMANCE_UPDATE=1 the file is rewritten from the run
// instead. partial: only some cases ran (the comparison is limited to
// them, and the file is not rewritten).
func checkExpectedFails(t *testing.T, iut string, rep *conformance.Report, ran []string, partial bool) {
	t.Helper()
	path := filepath.Join(repoRoot(), "docs", "conformance", iut, "expected-fails.txt")
	expected, header, err := readExpectedFails(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("interop: %v", err)
	}
	fails := map[string]string{}
	for _, r := range rep.Results {
		if r.Verdict == conformance.Fail {
			fails[r.ID] = r.Reason
		}
	}
	if os.Getenv(conformanceUpdateEnv) == "1" && !partial {
		if err := writeExpectedFails(path, header, iut, expected, fails); err != nil {
			t.Fatalf("interop: %v", err)
		}
		t.Logf("interop: wrote %s (%d FAIL cases)", path, len(fails))
		return
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("interop: %s does not exist; the FAIL cases of this run are %v (rerun with %s=1 to write it)", path, sortedKeys(fails), conformanceUpdateEnv)
		return
	}
	var unexpected, fixed []string
	for id, why := range fails {
		_, ok := expected[id]
		_, flaky := expected["~"+id]
		if !ok && !flaky {
			unexpected = append(unexpected, id+" ("+why+")")
		}
	}
	for id := range expected {
		if strings.HasPrefix(id, "~") {
			continue
		}
		if _, ok := fails[id]; !ok && (!partial || slices.Contains(ran, id)) {
			fixed = append(fixed, id)
		}
	}
	sort.Strings(unexpected)
	sort.Strings(fixed)
	if len(unexpected) > 0 || len(fixed) > 0 {
		t.Errorf("interop: the FAIL cases against %s differ from %s:\n  new FAIL: %s\n  no longer FAIL: %s\n"+
			"(see the report; when the change is understood, update the file and docs/conformance/%s.md, or rerun with %s=1)",
			iut, path, listOrNone(unexpected), listOrNone(fixed), iut, conformanceUpdateEnv)
	}
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readExpectedFails returns the IDs with their reasons, and the leading
// comment block (kept when the file is rewritten).
func readExpectedFails(path string) (map[string]string, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ids := map[string]string{}
	var header []string
	inHeader := true
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			if inHeader && strings.HasPrefix(trimmed, "#") {
				header = append(header, line)
			}
			continue
		}
		inHeader = false
		id, why, _ := strings.Cut(trimmed, " ")
		ids[id] = strings.TrimSpace(why)
	}
	return ids, header, nil
}

func writeExpectedFails(path string, header []string, iut string, old, fails map[string]string) error {
	if len(header) == 0 {
		header = []string{
			fmt.Sprintf("# The conformance cases that FAIL against %s (interop/conformance_test.go", iut),
			"# checks that a run fails exactly these): one ID per line, then a short reason.",
			fmt.Sprintf("# Each is explained in docs/conformance/%s.md.", iut),
		}
	}
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\n")
	}
	// The flaky entries (~ID) stay; a FAIL among them is not listed again.
	entries := map[string]string{}
	for id, why := range old {
		if strings.HasPrefix(id, "~") {
			entries[id] = why
		}
	}
	for id, why := range fails {
		if _, flaky := old["~"+id]; flaky {
			continue
		}
		if old[id] != "" {
			why = old[id]
		}
		entries[id] = why
	}
	for _, id := range sortedKeys(entries) {
		fmt.Fprintf(&b, "%s %s\n", id, strings.Join(strings.Fields(entries[id]), " "))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// ---- libreswan ----

// findLibreswan returns the directory where libreswan's .deb is unpacked
// (INTEROP_LIBRESWAN), or why pluto cannot run here.
func findLibreswan() (string, string) {
	dir := os.Getenv(libreswanEnv)
	if dir == "" {
		// Where interop/install-deps.sh unpacks it.
		if _, err := os.Stat("/opt/ikev2ref/libreswan/usr/libexec/ipsec/pluto"); err == nil {
			dir = "/opt/ikev2ref/libreswan"
		}
	}
	if dir == "" {
		return "", libreswanEnv + " is not set: `apt-get download libreswan && dpkg -x libreswan_*.deb DIR` " +
			"(do not apt-get install it: it removes strongSwan), install its libraries (`apt-get install " +
			"libnss3-tools libevent-core-2.1-7 libevent-pthreads-2.1-7 libldns3 libunbound8 libcurl3-nss " +
			"libcap-ng0`) and set " + libreswanEnv + "=DIR"
	}
	for _, f := range []string{"pluto", "whack", "addconn"} {
		if _, err := os.Stat(filepath.Join(dir, "usr/libexec/ipsec", f)); err != nil {
			return "", fmt.Sprintf("%s=%s holds no usr/libexec/ipsec/%s (%v)", libreswanEnv, dir, f, err)
		}
	}
	if _, err := exec.LookPath("certutil"); err != nil {
		return "", "certutil (libnss3-tools) is missing"
	}
	out, _ := run(10*time.Second, nil, "ldd", filepath.Join(dir, "usr/libexec/ipsec/pluto"))
	var missing []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "not found") {
			missing = append(missing, strings.Fields(line)[0])
		}
	}
	if len(missing) > 0 {
		return "", "pluto's libraries are missing: " + strings.Join(missing, ", ")
	}
	return dir, ""
}

// libreswanAlg translates a strongSwan proposal ("aes256-sha256-ecp256",
// "aes128gcm16-prfsha256-x25519", ESP "aes256-sha256", "aes128gcm16") into
// libreswan's notation; ok is false for what it does not know.
func libreswanAlg(s string, ike bool) (string, bool) {
	encr := map[string]string{"aes128": "aes128", "aes256": "aes256", "aes128gcm16": "aes_gcm128", "aes256gcm16": "aes_gcm256"}
	hash := map[string]string{"sha256": "sha2_256", "sha384": "sha2_384", "sha512": "sha2_512", "sha1": "sha1",
		"prfsha256": "sha2_256", "prfsha384": "sha2_384", "prfsha512": "sha2_512"}
	group := map[string]string{"ecp256": "dh19", "ecp384": "dh20", "x25519": "dh31", "curve25519": "dh31", "modp2048": "dh14"}
	f := strings.Split(s, "-")
	e, ok := encr[f[0]]
	if !ok {
		return "", false
	}
	var hs, gs []string
	for _, x := range f[1:] {
		switch {
		case hash[x] != "":
			hs = append(hs, hash[x])
		case group[x] != "":
			gs = append(gs, group[x])
		default:
			return "", false
		}
	}
	out := e
	if len(hs) > 0 {
		out += "-" + hs[0]
	}
	if ike && len(gs) > 0 {
		out += ";" + gs[0]
	}
	return out, true
}

// startPluto writes pluto's files from the profile, starts it in s's
// namespace (bind-mounting the unpacked libexec over /usr/libexec, where
// pluto looks for addconn, and a private /run, inside the namespace's
// mount namespace only), waits for its control socket (bounded) and adds
// the connection. It returns pluto's log file and the argv prefix of
// whack on its control socket.
func startPluto(t *testing.T, l *lab, s side, lsw string, p *conformance.Profile) (string, []string) {
	t.Helper()
	dir := l.path("pluto")
	for _, d := range []string{"run/pluto", "nss", "ipsec.d"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatalf("interop: %v", err)
		}
	}
	if out, err := run(20*time.Second, nil, "certutil", "-N", "-d", "sql:"+filepath.Join(dir, "nss"), "--empty-password"); err != nil {
		t.Fatalf("interop: certutil: %v\n%s", err, out)
	}
	var ike, esp []string
	for _, x := range p.IKEProposals {
		if a, ok := libreswanAlg(x, true); ok {
			ike = append(ike, a)
		} else {
			t.Fatalf("interop: no libreswan notation for IKE proposal %q", x)
		}
	}
	for _, x := range p.ESPProposals {
		if a, ok := libreswanAlg(x, false); ok {
			esp = append(esp, a)
		} else {
			t.Fatalf("interop: no libreswan notation for ESP proposal %q", x)
		}
	}
	logPath := filepath.Join(dir, "pluto.log")
	conf := fmt.Sprintf(`config setup
    logfile=%s
    logtime=yes
    logappend=no
    plutodebug=none
    dnssec-enable=no
    nhelpers=1

conn lab
    ikev2=yes
    authby=secret
    left=%s
    leftid=%s
    leftsubnet=%s
    right=%s
    rightid=%s
    rightsubnet=%s
    ike=%s
    esp=%s
    fragmentation=yes
    auto=add
`, logPath, s.addr, p.IUTID, p.IUTTS, s.otherAddr, p.TesterID, p.TesterTS, strings.Join(ike, ","), strings.Join(esp, ","))
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatalf("interop: %v", err)
		}
	}
	write("ipsec.conf", conf)
	write("ipsec.secrets", fmt.Sprintf("%s %s : PSK %q\n", p.IUTID, p.TesterID, p.PSK))
	libexec := filepath.Join(lsw, "usr/libexec/ipsec")
	script := fmt.Sprintf("mount --bind '%s/usr/libexec' /usr/libexec && mount --bind '%s/run' /run && "+
		"exec '%s/pluto' --config '%s/ipsec.conf' --nofork --nssdir '%s/nss' --ipsecdir '%s/ipsec.d' --secretsfile '%s/ipsec.secrets'",
		lsw, dir, libexec, dir, dir, dir, dir)
	stdout := filepath.Join(dir, "pluto.stdout")
	pl := l.start("pluto-"+s.label, stdout, "ip", "netns", "exec", s.ns, "sh", "-c", script)
	l.showLog(stdout)
	l.showLog(logPath)
	ctl := filepath.Join(dir, "run/pluto/pluto.ctl")
	if !waitFor(15*time.Second, 50*time.Millisecond, func() bool {
		st, err := os.Stat(ctl)
		return (err == nil && st.Mode()&os.ModeSocket != 0) || pl.exited()
	}) || pl.exited() {
		t.Fatalf("interop: pluto did not come up:\n%s\n%s", tail(stdout, 20), tail(logPath, 40))
	}
	if out, err := l.nsRun(s, 15*time.Second, filepath.Join(libexec, "addconn"), "--ctlsocket", ctl,
		"--config", filepath.Join(dir, "ipsec.conf"), "lab"); err != nil {
		t.Fatalf("interop: addconn: %v\n%s\n%s", err, out, tail(logPath, 40))
	}
	out, err := l.nsRun(s, 15*time.Second, filepath.Join(libexec, "whack"), "--ctlsocket", ctl, "--status")
	if err != nil || !strings.Contains(out, `"lab"`) {
		t.Fatalf("interop: pluto did not load connection lab: %v\n%s\n%s", err, out, tail(logPath, 40))
	}
	return logPath, []string{filepath.Join(libexec, "whack"), "--ctlsocket", ctl}
}
