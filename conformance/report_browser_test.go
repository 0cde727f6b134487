//go:build linux

package conformance

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromiumPath finds Debian's chromium (or Ubuntu's chromium-browser) in PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed: run interop/install-deps.sh (as root) or `apt-get install chromium`")
	return ""
}

// runChromium runs headless Chromium with args and the page URL, bounded
// by 60 s; it kills Chromium's whole process group when the time is up.
func runChromium(t *testing.T, bin, profileDir string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--user-data-dir=" + profileDir}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Chromium's helpers (zygote, GPU) may outlive it: end the group.
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %s: no result in 60 s\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportInBrowser renders the synthetic report in headless Chromium
// and checks the DOM the browser built (not only the bytes we wrote): one
// row per case, the FAIL's ladder and diff, the pcap links; and takes a
// screenshot.
func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	bin := chromiumPath(t)
	dir := t.TempDir()
	r := syntheticReport()
	if err := r.WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	// The artifacts the links point to.
	for _, res := range r.Results {
		for _, a := range res.artifacts() {
			p := filepath.Join(dir, filepath.FromSlash(a.Href))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("dummy "+a.Label+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	page := "file://" + filepath.ToSlash(filepath.Join(dir, HTMLReportFile))
	profileDir := filepath.Join(dir, "chromium-profile")

	dom := runChromium(t, bin, profileDir, "--dump-dom", page)
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("parsing the dumped DOM: %v", err)
	}

	table := domFind(doc, func(n *html.Node) bool { return n.Data == "table" && domAttr(n, "id") == "results" })
	if len(table) != 1 {
		t.Fatalf("%d tables with id results in the DOM (%d bytes)", len(table), len(dom))
	}
	rows := domFind(table[0], func(n *html.Node) bool {
		return n.Data == "tr" && n.Parent != nil && n.Parent.Data == "tbody"
	})
	if len(rows) != len(r.Results) {
		t.Errorf("%d rows in the results table, want %d", len(rows), len(r.Results))
	}
	for i, row := range rows {
		cells := domFind(row, func(n *html.Node) bool { return n.Data == "td" })
		if len(cells) != 8 {
			t.Errorf("row %d has %d cells, want 8", i, len(cells))
			continue
		}
		res := r.Results[i]
		if got := domText(cells[0]); got != res.ID {
			t.Errorf("row %d ID %q, want %q", i, got, res.ID)
		}
		if got := domText(cells[1]); got != res.Title {
			t.Errorf("row %d title %q, want %q", i, got, res.Title)
		}
		if got := domText(cells[6]); got != string(res.Verdict) || !domHasClass(cells[6], "verdict-"+string(res.Verdict)) {
			t.Errorf("row %d result %q class %q", i, got, domAttr(cells[6], "class"))
		}
	}
	// The escaped <script> title stayed text: no script but the filter.
	if scripts := domFind(doc, func(n *html.Node) bool { return n.Data == "script" }); len(scripts) != 1 {
		t.Errorf("%d script elements in the DOM, want 1", len(scripts))
	}

	fail := domFind(doc, func(n *html.Node) bool { return n.Data == "section" && domAttr(n, "id") == "INIT-002" })
	if len(fail) != 1 {
		t.Fatalf("%d sections for INIT-002", len(fail))
	}
	ladder := domFind(fail[0], func(n *html.Node) bool { return n.Data == "ol" && domHasClass(n, "ladder") })
	if len(ladder) != 1 {
		t.Fatalf("no ol.ladder in INIT-002")
	}
	steps := domFind(ladder[0], func(n *html.Node) bool { return n.Data == "li" })
	if len(steps) != len(r.Results[1].Steps) {
		t.Errorf("ladder has %d steps, want %d", len(steps), len(r.Results[1].Steps))
	}
	if failed := domFind(ladder[0], func(n *html.Node) bool { return n.Data == "li" && domHasClass(n, "judgement-fail") }); len(failed) != 1 ||
		!strings.HasPrefix(domText(failed[0]), "J2:") {
		t.Errorf("ladder's failed judgements: %d", len(failed))
	}
	diff := domFind(fail[0], func(n *html.Node) bool { return n.Data == "pre" && domHasClass(n, "diff") })
	if len(diff) != 1 {
		t.Fatalf("no pre.diff in INIT-002")
	}
	if d := domText(diff[0]); !strings.Contains(d, "-  KE group 19") || !strings.Contains(d, "+  KE group 14") || !strings.Contains(d, "+  N(<weird>)") {
		t.Errorf("diff text %q", d)
	}
	if adds := domFind(diff[0], func(n *html.Node) bool { return domHasClass(n, "diff-add") }); len(adds) != 2 {
		t.Errorf("%d added diff lines, want 2", len(adds))
	}

	var pcaps []string
	for _, a := range domFind(doc, func(n *html.Node) bool { return n.Data == "a" && domHasClass(n, "artifact") }) {
		if h := domAttr(a, "href"); strings.HasSuffix(h, "case.pcap") {
			pcaps = append(pcaps, h)
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(h))); err != nil {
				t.Errorf("pcap link %s does not resolve: %v", h, err)
			}
		}
	}
	if strings.Join(pcaps, " ") != "cases/INIT-001/case.pcap cases/INIT-002/case.pcap" {
		t.Errorf("pcap links %q", pcaps)
	}

	shot := filepath.Join(dir, "report.png")
	runChromium(t, bin, profileDir, "--screenshot="+shot, "--window-size=1280,3600", "--hide-scrollbars", page)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
	if out := os.Getenv("IKECONFORM_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("rendered %d rows; screenshot %d bytes", len(rows), len(png))
}

func domFind(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func domAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func domHasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && strings.Contains(" "+domAttr(n, "class")+" ", " "+class+" ")
}

func domText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
