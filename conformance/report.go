package conformance

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Report is one run of the suite as the reports show it: the run's
// metadata and the cases' results. WriteJSON, WriteJUnit and WriteHTML
// render it; WriteAll writes all three into a directory.
type Report struct {
	Tool     string    `json:"tool"`
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Target   string    `json:"target"`
	Profile  *Profile  `json:"profile"`
	// Summary is filled from Results by the Write methods (the JSON
	// carries it; a Report read back from JSON has it).
	Summary Summary  `json:"summary"`
	Results []Result `json:"results"`
}

// Counts counts results per verdict.
type Counts struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Inconclusive int `json:"inconclusive"`
	Skip         int `json:"skip"`
	// Duration is the cases' time together.
	Duration time.Duration `json:"duration_ns"`
}

func (c *Counts) add(r *Result) {
	c.Total++
	c.Duration += r.Duration
	switch r.Verdict {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case Inconclusive:
		c.Inconclusive++
	case Skip:
		c.Skip++
	}
}

// Of returns the count of verdict v.
func (c Counts) Of(v Verdict) int {
	switch v {
	case Pass:
		return c.Pass
	case Fail:
		return c.Fail
	case Inconclusive:
		return c.Inconclusive
	case Skip:
		return c.Skip
	}
	return 0
}

// NamedCounts is the counts of one group or tag.
type NamedCounts struct {
	Name string `json:"name"`
	Counts
}

// Summary counts the results: all of them, per group and per tag (groups
// and tags in the order of their first result).
type Summary struct {
	All    Counts        `json:"all"`
	Groups []NamedCounts `json:"groups"`
	Tags   []NamedCounts `json:"tags"`
}

// Verdicts lists the verdicts in the reports' order.
var Verdicts = []Verdict{Pass, Fail, Inconclusive, Skip}

// Summarize counts the results.
func Summarize(results []Result) Summary {
	var s Summary
	s.Groups, s.Tags = []NamedCounts{}, []NamedCounts{}
	gi, ti := map[string]int{}, map[string]int{}
	bump := func(list *[]NamedCounts, idx map[string]int, name string, r *Result) {
		i, ok := idx[name]
		if !ok {
			i = len(*list)
			idx[name] = i
			*list = append(*list, NamedCounts{Name: name})
		}
		(*list)[i].add(r)
	}
	for i := range results {
		r := &results[i]
		s.All.add(r)
		bump(&s.Groups, gi, groupOf(r), r)
		bump(&s.Tags, ti, r.Tag, r)
	}
	return s
}

func groupOf(r *Result) string {
	if r.Group != "" {
		return r.Group
	}
	g, _, _ := strings.Cut(r.ID, "-")
	return g
}

// Failed reports whether a result is FAIL.
func (r *Report) Failed() bool { return Summarize(r.Results).All.Fail > 0 }

// RedactedPSK replaces the profile's PSK in the reports.
const RedactedPSK = "(redacted)"

// filled returns a copy of r with the summary computed and the PSK
// redacted.
func (r *Report) filled() *Report {
	c := *r
	c.Summary = Summarize(r.Results)
	if c.Profile != nil && c.Profile.PSK != "" {
		// The reports are CI artifacts: they do not carry the secret.
		p := *c.Profile
		p.PSK = RedactedPSK
		c.Profile = &p
	}
	if c.Results == nil {
		c.Results = []Result{}
	}
	return &c
}

// WriteJSON writes the report as indented JSON (the fields in the order of
// the Go structures, so the output is stable).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.filled()); err != nil {
		return fmt.Errorf("conformance: JSON report: %w", err)
	}
	return nil
}

// WriteText writes the summary as a few lines of text: the counts, per
// group, and the cases that did not pass.
func (r *Report) WriteText(w io.Writer) error {
	s := Summarize(r.Results)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d cases: %s\n", s.All.Total, countsText(s.All))
	for _, g := range s.Groups {
		fmt.Fprintf(bw, "  %-10s %3d: %s\n", g.Name, g.Total, countsText(g.Counts))
	}
	for _, res := range r.Results {
		if res.Verdict == Fail || res.Verdict == Inconclusive {
			fmt.Fprintf(bw, "%-12s %-12s %s\n", res.Verdict, res.ID, res.Reason)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("conformance: summary: %w", err)
	}
	return nil
}

func countsText(c Counts) string {
	parts := make([]string, 0, len(Verdicts))
	for _, v := range Verdicts {
		parts = append(parts, fmt.Sprintf("%d %s", c.Of(v), v))
	}
	return strings.Join(parts, ", ")
}

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub actions) read it.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func junitTime(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// WriteJUnit writes the report as JUnit XML: a testsuite per group
// ("ikeconform.INIT"), a testcase per case ("INIT-001: title"); FAIL is a
// failure (the failing judgement as message, the diff and the reason as
// text), INCONCLUSIVE an error, SKIP skipped; the case's log is its
// system-out.
func (r *Report) WriteJUnit(w io.Writer) error {
	rep := r.filled()
	s := rep.Summary
	tool := rep.Tool
	if tool == "" {
		tool = "ikeconform"
	}
	doc := junitSuites{Name: tool, Tests: s.All.Total, Failures: s.All.Fail, Errors: s.All.Inconclusive,
		Skipped: s.All.Skip, Time: junitTime(s.All.Duration)}
	var props []junitProperty
	prop := func(name, value string) {
		if value != "" {
			props = append(props, junitProperty{name, value})
		}
	}
	prop("tool", tool)
	prop("version", rep.Version)
	prop("target", rep.Target)
	if rep.Profile != nil {
		prop("profile", rep.Profile.Name)
	}
	stamp := ""
	if !rep.Started.IsZero() {
		stamp = rep.Started.UTC().Format("2006-01-02T15:04:05")
	}
	idx := map[string]int{}
	for _, g := range s.Groups {
		idx[g.Name] = len(doc.Suites)
		doc.Suites = append(doc.Suites, junitSuite{Name: tool + "." + g.Name, Tests: g.Total, Failures: g.Fail,
			Errors: g.Inconclusive, Skipped: g.Skip, Time: junitTime(g.Duration), Timestamp: stamp, Properties: props})
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		g := groupOf(res)
		tc := junitCase{ClassName: tool + "." + g, Name: res.ID + ": " + res.Title, Time: junitTime(res.Duration)}
		switch res.Verdict {
		case Fail:
			tc.Failure = &junitProblem{Message: res.Reason, Type: string(Fail), Text: failureText(res)}
		case Inconclusive:
			tc.Error = &junitProblem{Message: res.Reason, Type: string(Inconclusive)}
		case Skip:
			tc.Skipped = &junitProblem{Message: res.Reason}
		case Pass:
		default:
			tc.Error = &junitProblem{Message: fmt.Sprintf("unknown verdict %q: %s", res.Verdict, res.Reason), Type: string(res.Verdict)}
		}
		tc.SystemOut = systemOut(res)
		doc.Suites[idx[g]].Cases = append(doc.Suites[idx[g]].Cases, tc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("conformance: JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("conformance: JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("conformance: JUnit report: %w", err)
	}
	return nil
}

// failureText is a FAIL's explanation: the reason, the failing judgement's
// expected and seen structures as a diff, and the other failed judgements.
func failureText(res *Result) string {
	var b strings.Builder
	b.WriteString(res.Reason)
	b.WriteString("\n")
	if res.Diff != "" {
		b.WriteString("\n")
		b.WriteString(strings.TrimRight(res.Diff, "\n"))
		b.WriteString("\n")
	}
	named := false // the failing judgement is named by the reason
	for _, j := range res.Judgements {
		if j.OK {
			continue
		}
		if !named && j.Step == res.FailStep {
			named = true
			continue
		}
		fmt.Fprintf(&b, "\nalso failed: J%d: %s\n", j.Step, j.What)
	}
	return b.String()
}

func systemOut(res *Result) string {
	var b strings.Builder
	for _, l := range res.Log {
		b.WriteString(l)
		b.WriteString("\n")
	}
	for _, a := range res.artifacts() {
		fmt.Fprintf(&b, "%s: %s\n", a.Label, a.Href)
	}
	return b.String()
}

type artifact struct{ Label, Href string }

func (res *Result) artifacts() []artifact {
	var out []artifact
	if res.PCAP != "" {
		out = append(out, artifact{"pcap", res.PCAP})
	}
	if res.KeyTable != "" {
		out = append(out, artifact{"key table", res.KeyTable})
	}
	if res.LogFile != "" {
		out = append(out, artifact{"log", res.LogFile})
	}
	return out
}

// HTML.

var judgementStep = regexp.MustCompile(`^\s*J(\d+)\b`)

type htmlStep struct {
	Text  string
	Class string // "step", "judgement judgement-pass", ... -fail, -unjudged
	Mark  string
}

type htmlDiffLine struct{ Class, Text string }

type htmlCase struct {
	*Result
	Group     string
	Steps     []htmlStep
	Failing   *Judgement
	DiffLines []htmlDiffLine
	Artifacts []artifact
	Duration  string
}

type htmlReport struct {
	*Report
	Date      string
	Duration  string
	Verdicts  []Verdict
	Cases     []htmlCase
	Generated string
}

func (r *Report) htmlData() *htmlReport {
	rep := r.filled()
	d := &htmlReport{Report: rep, Verdicts: Verdicts}
	if !rep.Started.IsZero() {
		d.Date = rep.Started.Format("2006-01-02 15:04:05 MST")
		if !rep.Finished.IsZero() {
			d.Duration = rep.Finished.Sub(rep.Started).Round(time.Millisecond).String()
		}
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		hc := htmlCase{Result: res, Group: groupOf(res), Artifacts: res.artifacts(),
			Duration: res.Duration.Round(time.Millisecond).String()}
		for _, s := range res.Steps {
			hs := htmlStep{Text: s, Class: "step"}
			if m := judgementStep.FindStringSubmatch(s); m != nil {
				n, _ := strconv.Atoi(m[1])
				hs.Class, hs.Mark = "judgement judgement-unjudged", "not reached"
				for _, j := range res.Judgements {
					if j.Step != n {
						continue
					}
					if !j.OK {
						hs.Class, hs.Mark = "judgement judgement-fail", "FAIL"
						break
					}
					hs.Class, hs.Mark = "judgement judgement-pass", "PASS"
				}
			}
			hc.Steps = append(hc.Steps, hs)
		}
		if res.Verdict == Fail {
			for k := range res.Judgements {
				if j := &res.Judgements[k]; !j.OK && j.Step == res.FailStep {
					hc.Failing = j
					break
				}
			}
			diff := res.Diff
			if diff == "" && hc.Failing != nil {
				diff = hc.Failing.Diff
			}
			hc.DiffLines = diffLines(diff)
		}
		d.Cases = append(d.Cases, hc)
	}
	return d
}

func diffLines(diff string) []htmlDiffLine {
	if diff == "" {
		return nil
	}
	var out []htmlDiffLine
	for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		c := "diff-ctx"
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			c = "diff-file"
		case strings.HasPrefix(l, "@@"):
			c = "diff-hunk"
		case strings.HasPrefix(l, "+"):
			c = "diff-add"
		case strings.HasPrefix(l, "-"):
			c = "diff-del"
		}
		out = append(out, htmlDiffLine{c, l})
	}
	return out
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(htmlSource))

// WriteHTML writes the report as one self-contained HTML page (inline CSS,
// no external resources; a few lines of optional JavaScript filter the
// table by verdict): the run's header and counts, the results table
// (id "results") and a section per case (id = the case ID) with the
// purpose, the ladder, the failing judgement and its diff, the links to
// the case's pcap, key table and log, and the log.
func (r *Report) WriteHTML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if err := htmlTmpl.Execute(bw, r.htmlData()); err != nil {
		return fmt.Errorf("conformance: HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("conformance: HTML report: %w", err)
	}
	return nil
}

// Report file names in the output directory.
const (
	JSONReportFile  = "report.json"
	JUnitReportFile = "junit.xml"
	HTMLReportFile  = "report.html"
)

// WriteAll writes report.json, junit.xml and report.html into dir
// (created if missing).
func (r *Report) WriteAll(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{JSONReportFile, r.WriteJSON}, {JUnitReportFile, r.WriteJUnit}, {HTMLReportFile, r.WriteHTML}} {
		path := filepath.Join(dir, f.name)
		out, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("conformance: %w", err)
		}
		if err := f.write(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return fmt.Errorf("conformance: %w", err)
		}
	}
	return nil
}

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{with .Tool}}{{.}}{{else}}ikeconform{{end}} report{{with .Target}}: {{.}}{{end}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em; color: #1b1f24; background: #fff; line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0 0 .4em 0; }
h2 { font-size: 1.2em; margin: 0 0 .4em 0; }
h3 { font-size: 1em; margin: 1em 0 .3em 0; }
table { border-collapse: collapse; margin: .5em 0 1em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: 0 0 1em 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.verdict { font-weight: 700; white-space: nowrap; }
.verdict-PASS { color: #116329; background: #dafbe1; }
.verdict-FAIL { color: #a40e26; background: #ffebe9; }
.verdict-INCONCLUSIVE { color: #7d4e00; background: #fff8c5; }
.verdict-SKIP { color: #57606a; background: #eaeef2; }
span.verdict { padding: 0 .4em; border-radius: .3em; }
.counts span.verdict { margin-right: .5em; }
#results td.id { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#results td.reqs { font-size: .85em; }
section.case { border: 1px solid #d0d7de; border-radius: .4em; padding: .8em 1em; margin: 1em 0; }
section.case:target { outline: 3px solid #0969da; }
ol.ladder { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; padding-left: 2.5em; }
ol.ladder li { margin: .1em 0; white-space: pre-wrap; }
ol.ladder li.judgement-pass { color: #116329; }
ol.ladder li.judgement-fail { color: #a40e26; font-weight: 700; }
ol.ladder li.judgement-unjudged { color: #57606a; }
ol.ladder .mark { font-family: system-ui, sans-serif; font-size: .8em; margin-left: .6em; padding: 0 .3em; border-radius: .3em; border: 1px solid currentColor; }
div.failure { border-left: 4px solid #cf222e; padding: .2em .8em; background: #fff5f5; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: .85em; }
pre.diff span { display: block; }
pre.diff .diff-add { color: #116329; background: #dafbe1; }
pre.diff .diff-del { color: #a40e26; background: #ffebe9; }
pre.diff .diff-hunk { color: #8250df; }
pre.diff .diff-file { color: #57606a; font-weight: 700; }
table.judgements td.ok-true { color: #116329; }
table.judgements td.ok-false { color: #a40e26; font-weight: 700; }
a.artifact { margin-right: 1em; }
.muted { color: #57606a; }
#filter button { margin-right: .3em; }
tr.hidden { display: none; }
</style>
</head>
<body>
<header>
<h1>{{with .Tool}}{{.}}{{else}}ikeconform{{end}} conformance report</h1>
<dl class="meta">
<dt>Target</dt><dd id="target">{{.Target}}</dd>
<dt>Profile</dt><dd id="profile">{{with .Profile}}{{.Name}}{{else}}<span class="muted">none</span>{{end}}</dd>
{{with .Profile}}{{with .Notes}}<dt>Notes</dt><dd>{{.}}</dd>{{end}}{{end}}
<dt>Date</dt><dd id="date">{{.Date}}</dd>
{{with .Duration}}<dt>Duration</dt><dd>{{.}}</dd>{{end}}
{{with .Version}}<dt>Version</dt><dd>{{.}}</dd>{{end}}
<dt>Results</dt><dd class="counts" id="counts">{{.Summary.All.Total}} cases:
{{- range $v := .Verdicts}} <span class="verdict verdict-{{$v}}">{{$.Summary.All.Of $v}} {{$v}}</span>{{end}}</dd>
</dl>
</header>
<h2>Summary</h2>
<table class="summary" id="summary-groups">
<thead><tr><th>Group</th><th>Cases</th>{{range .Verdicts}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range $g := .Summary.Groups}}
<tr><td>{{$g.Name}}</td><td class="num">{{$g.Total}}</td>{{range $v := $.Verdicts}}<td class="num">{{$g.Of $v}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
<table class="summary" id="summary-tags">
<thead><tr><th>Tag</th><th>Cases</th>{{range .Verdicts}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range $g := .Summary.Tags}}
<tr><td>{{$g.Name}}</td><td class="num">{{$g.Total}}</td>{{range $v := $.Verdicts}}<td class="num">{{$g.Of $v}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
<h2>Results</h2>
<div id="filter"></div>
<table id="results">
<thead><tr><th>ID</th><th>Title</th><th>Group</th><th>Tag</th><th>IUT role</th><th>RFC / requirements</th><th>Result</th><th>Reason</th></tr></thead>
<tbody>
{{- range .Cases}}
<tr class="result" data-verdict="{{.Verdict}}"><td class="id"><a href="#{{.ID}}">{{.ID}}</a></td><td>{{.Title}}</td><td>{{.Group}}</td><td>{{.Tag}}</td><td>{{.Role}}</td><td class="reqs">{{join .RFC ", "}}{{if .Reqs}}<br><span class="muted">{{join .Reqs ", "}}</span>{{end}}</td><td class="verdict verdict-{{.Verdict}}">{{.Verdict}}</td><td>{{.Reason}}</td></tr>
{{- end}}
</tbody>
</table>
<h2>Cases</h2>
{{range .Cases}}
<section class="case" id="{{.ID}}">
<h2>{{.ID}}: {{.Title}} <span class="verdict verdict-{{.Verdict}}">{{.Verdict}}</span></h2>
{{with .Reason}}<p class="reason"><strong>Reason:</strong> {{.}}</p>{{end}}
<dl class="meta">
<dt>Group</dt><dd>{{.Group}}</dd>
<dt>Tag</dt><dd>{{.Tag}}</dd>
<dt>IUT role</dt><dd>{{.Role}}</dd>
<dt>RFC</dt><dd>{{join .RFC ", "}}</dd>
<dt>Requirements</dt><dd>{{join .Reqs ", "}}</dd>
<dt>Duration</dt><dd>{{.Duration}}</dd>
</dl>
{{with .Purpose}}<h3>Purpose</h3>
<p class="purpose">{{.}}</p>{{end}}
{{with .Steps}}<h3>Ladder</h3>
<ol class="ladder">
{{- range .}}
<li class="{{.Class}}">{{.Text}}{{with .Mark}}<span class="mark">{{.}}</span>{{end}}</li>
{{- end}}
</ol>{{end}}
{{if .Failing}}<h3>Failing judgement</h3>
<div class="failure">
<p><strong>J{{.Failing.Step}}:</strong> {{.Failing.What}}</p>
</div>{{end}}
{{with .DiffLines}}<h3>Diff (expected / seen)</h3>
<pre class="diff">{{range .}}<span class="{{.Class}}">{{.Text}}</span>{{end}}</pre>{{end}}
{{with .Judgements}}<h3>Judgements</h3>
<table class="judgements">
<thead><tr><th>Step</th><th>Judgement</th><th>Result</th></tr></thead>
<tbody>
{{- range .}}
<tr><td class="num">J{{.Step}}</td><td>{{.What}}</td><td class="ok-{{.OK}}">{{if .OK}}PASS{{else}}FAIL{{end}}</td></tr>
{{- end}}
</tbody>
</table>{{end}}
{{with .Artifacts}}<h3>Files</h3>
<p class="artifacts">{{range .}}<a class="artifact" href="{{.Href}}">{{.Label}}</a>{{end}}</p>{{end}}
<details class="log"><summary>Log ({{len .Log}} lines)</summary>
<pre class="log">{{range .Log}}{{.}}
{{end}}</pre>
</details>
<p><a href="#results">back to the results</a></p>
</section>
{{end}}
<script>
(function () {
  var box = document.getElementById("filter");
  if (!box) return;
  var rows = document.querySelectorAll("#results tbody tr");
  ["ALL", "PASS", "FAIL", "INCONCLUSIVE", "SKIP"].forEach(function (v) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = v;
    b.onclick = function () {
      rows.forEach(function (r) {
        r.classList.toggle("hidden", v !== "ALL" && r.getAttribute("data-verdict") !== v);
      });
    };
    box.appendChild(b);
  });
})();
</script>
</body>
</html>
`
