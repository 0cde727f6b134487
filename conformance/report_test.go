package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const reportEvilTitle = `IDr with <script>alert("x")</script> & "quotes"`

// syntheticReport is a report with one result of each verdict; the FAIL
// has a diff and artifacts, one title carries markup that must be escaped.
func syntheticReport() *Report {
	expected := "IKE_SA_INIT response\n  SA\n  KE group 19\n  Nr\n"
	seen := "IKE_SA_INIT response\n  SA\n  KE group 14\n  Nr\n  N(<weird>)\n"
	started := time.Date(2025, 3, 4, 10, 11, 12, 0, time.UTC)
	return &Report{
		Tool: "ikeconform", Version: "v0.0.0-test", Started: started, Finished: started.Add(9 * time.Second),
		Target: "192.0.2.7:500",
		Profile: &Profile{Name: "synthetic <iut>", Roles: []Role{IUTResponder}, Auth: []string{"psk"}, PSK: "s3cret",
			TesterID: "tester@example", IUTID: "iut@example", IKEProposals: []string{"aes256-sha256-ecp256"},
			ESPProposals: []string{"aes256gcm16"}, Groups: []int{19}, TesterTS: "198.51.100.1/32", IUTTS: "203.0.113.1/32",
			Retransmit: 4},
		Results: []Result{
			{
				ID: "INIT-001", Title: "IKE_SA_INIT with the default proposal", Purpose: "The IUT answers a well-formed IKE_SA_INIT.",
				Group: "INIT", Tag: Basic, Role: IUTResponder, RFC: []string{"RFC 7296 1.2"}, Reqs: []string{"RFC7296-1.2-1"},
				Steps:      []string{"T -> IUT: IKE_SA_INIT request [SA KE Ni]", "J1: the IUT answers with SA, KE, Nr"},
				Verdict:    Pass,
				Judgements: []Judgement{{Step: 1, What: "the IUT answers with SA, KE, Nr", OK: true}},
				Log:        []string{"   0.001s sent IKE_SA_INIT", "   0.020s J1 PASS"},
				Duration:   1200 * time.Millisecond,
				PCAP:       "cases/INIT-001/case.pcap", LogFile: "cases/INIT-001/case.log",
			},
			{
				ID: "INIT-002", Title: "The KE group chosen", Purpose: "The IUT uses the KE group offered <first>.",
				Group: "INIT", Tag: Basic, Role: IUTResponder, RFC: []string{"RFC 7296 1.2", "RFC 7296 3.4"},
				Reqs: []string{"RFC7296-3.4-2", "RFC7296-3.4-3"},
				Steps: []string{
					"T -> IUT: IKE_SA_INIT request [SA KE(19) Ni]",
					"J1: the IUT answers",
					"T <- IUT: IKE_SA_INIT response",
					"J2: the KE payload's group is the offered one",
					"J3: nothing else",
				},
				Verdict: Fail, Reason: "J2: the KE payload's group is the offered one", FailStep: 2,
				Diff: Diff(expected, seen),
				Judgements: []Judgement{
					{Step: 1, What: "the IUT answers", OK: true},
					{Step: 2, What: "the KE payload's group is the offered one", OK: false, Expected: expected, Seen: seen, Diff: Diff(expected, seen)},
				},
				Log:      []string{"   0.001s sent", "   0.030s J2 FAIL <b>not bold</b>"},
				Duration: 2500 * time.Millisecond,
				PCAP:     "cases/INIT-002/case.pcap", KeyTable: "cases/INIT-002/ikev2_decryption_table", LogFile: "cases/INIT-002/case.log",
			},
			{
				ID: "COOKIE-001", Title: reportEvilTitle, Purpose: "Cookies.", Group: "COOKIE", Tag: "COOKIE", Role: IUTResponder,
				RFC: []string{"RFC 7296 2.6"}, Reqs: []string{"RFC7296-2.6-4"}, Steps: []string{"J1: the IUT asks for a cookie"},
				Verdict: Inconclusive, Reason: "no answer from the IUT in 5s", Log: []string{"   5.000s INCONCLUSIVE: no answer"},
				Duration: 5 * time.Second, LogFile: "cases/COOKIE-001/case.log",
			},
			{
				ID: "FRAG-001", Title: "Fragmentation", Purpose: "RFC 7383.", Group: "FRAG", Tag: "FRAG", Role: IUTInitiator,
				RFC: []string{"RFC 7383 2.5"}, Verdict: Skip, Reason: "the profile does not claim frag",
			},
		},
	}
}

func TestReportSummary(t *testing.T) {
	s := Summarize(syntheticReport().Results)
	want := Counts{Total: 4, Pass: 1, Fail: 1, Inconclusive: 1, Skip: 1, Duration: 8700 * time.Millisecond}
	if s.All != want {
		t.Errorf("All = %+v, want %+v", s.All, want)
	}
	var names []string
	for _, g := range s.Groups {
		names = append(names, g.Name)
	}
	if got := strings.Join(names, ","); got != "INIT,COOKIE,FRAG" {
		t.Errorf("groups %s", got)
	}
	if g := s.Groups[0]; g.Total != 2 || g.Pass != 1 || g.Fail != 1 {
		t.Errorf("INIT counts %+v", g)
	}
	if len(s.Tags) != 3 || s.Tags[0].Name != Basic || s.Tags[0].Total != 2 {
		t.Errorf("tags %+v", s.Tags)
	}
	if !syntheticReport().Failed() {
		t.Error("Failed() = false with a FAIL")
	}
	if (&Report{Results: syntheticReport().Results[:1]}).Failed() {
		t.Error("Failed() = true without a FAIL")
	}
}

func TestReportJSON(t *testing.T) {
	r := syntheticReport()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("decoding the JSON report: %v\n%s", err, buf.String())
	}
	want := r.filled()
	if !reflect.DeepEqual(&back, want) {
		t.Errorf("JSON round trip differs:\n got %+v\nwant %+v", back, *want)
	}
	if back.Profile.PSK != RedactedPSK || strings.Contains(buf.String(), "s3cret") {
		t.Error("the JSON report carries the PSK")
	}
	if r.Summary.All.Total != 0 || r.Profile.PSK != "s3cret" {
		t.Error("WriteJSON modified the report")
	}
	// Stable: the same bytes twice, the fields in the struct order.
	var again bytes.Buffer
	if err := r.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two JSON writes differ")
	}
	js := buf.String()
	if i, j := strings.Index(js, `"tool"`), strings.Index(js, `"results"`); i < 0 || j < i {
		t.Errorf("field order: tool at %d, results at %d", i, j)
	}
	if !strings.Contains(js, "\n  \"version\": \"v0.0.0-test\"") {
		t.Error("JSON is not indented")
	}
}

// junit* mirror the JUnit schema for reading back.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestReportJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := syntheticReport().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "<?xml") {
		t.Error("no XML declaration")
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 {
		t.Errorf("testsuites counts %d/%d/%d/%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if len(doc.Suites) != 3 {
		t.Fatalf("%d suites, want 3 (INIT, COOKIE, FRAG)", len(doc.Suites))
	}
	init := doc.Suites[0]
	if init.Name != "ikeconform.INIT" || init.Tests != 2 || init.Failures != 1 || init.Errors != 0 || init.Skipped != 0 || init.Time != "3.700" {
		t.Errorf("INIT suite %s tests=%d failures=%d errors=%d skipped=%d time=%s",
			init.Name, init.Tests, init.Failures, init.Errors, init.Skipped, init.Time)
	}
	if len(init.Cases) != 2 {
		t.Fatalf("INIT has %d cases", len(init.Cases))
	}
	pass, fail := init.Cases[0], init.Cases[1]
	if pass.ClassName != "ikeconform.INIT" || pass.Name != "INIT-001: IKE_SA_INIT with the default proposal" || pass.Time != "1.200" {
		t.Errorf("pass case %+v", pass)
	}
	if pass.Failure != nil || pass.Error != nil || pass.Skipped != nil {
		t.Error("PASS case has a failure, error or skip")
	}
	if !strings.Contains(pass.SystemOut, "sent IKE_SA_INIT") || !strings.Contains(pass.SystemOut, "cases/INIT-001/case.pcap") {
		t.Errorf("PASS system-out %q", pass.SystemOut)
	}
	if fail.Failure == nil {
		t.Fatal("FAIL case has no failure")
	}
	if fail.Failure.Message != "J2: the KE payload's group is the offered one" || fail.Failure.Type != "FAIL" {
		t.Errorf("failure message %q type %q", fail.Failure.Message, fail.Failure.Type)
	}
	for _, s := range []string{"-  KE group 19", "+  KE group 14", "+  N(<weird>)", "J2: the KE payload"} {
		if !strings.Contains(fail.Failure.Text, s) {
			t.Errorf("failure text lacks %q:\n%s", s, fail.Failure.Text)
		}
	}
	if !strings.Contains(fail.SystemOut, "<b>not bold</b>") {
		t.Errorf("FAIL system-out %q", fail.SystemOut)
	}
	cookie := doc.Suites[1]
	if cookie.Name != "ikeconform.COOKIE" || cookie.Errors != 1 || len(cookie.Cases) != 1 {
		t.Fatalf("COOKIE suite %+v", cookie)
	}
	if c := cookie.Cases[0]; c.Error == nil || c.Error.Type != "INCONCLUSIVE" || c.Error.Message != "no answer from the IUT in 5s" || c.Name != "COOKIE-001: "+reportEvilTitle {
		t.Errorf("INCONCLUSIVE case %+v", c)
	}
	if c := doc.Suites[2].Cases[0]; c.Skipped == nil || c.Skipped.Message != "the profile does not claim frag" {
		t.Errorf("SKIP case %+v", c)
	}
	if strings.Contains(buf.String(), "<script>") {
		t.Error("JUnit XML carries the raw <script>")
	}
}

func TestReportJUnitInvalidXMLChars(t *testing.T) {
	r := syntheticReport()
	r.Results[1].Log = append(r.Results[1].Log, "control \x00\x01\x1b chars \xff")
	r.Results[1].Reason = "J2: bad \x07 bell"
	var buf bytes.Buffer
	if err := r.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit XML with control characters does not parse: %v", err)
	}
}

func TestReportHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := syntheticReport().WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	for _, s := range []string{
		`<table id="results">`,
		`<a href="#INIT-002">INIT-002</a>`,
		`<section class="case" id="INIT-002">`,
		`class="verdict verdict-FAIL"`, `class="verdict verdict-PASS"`,
		`class="verdict verdict-INCONCLUSIVE"`, `class="verdict verdict-SKIP"`,
		`<ol class="ladder">`,
		`<li class="judgement judgement-fail">J2: the KE payload&#39;s group is the offered one`,
		`<li class="judgement judgement-pass">J1: the IUT answers`,
		`<li class="judgement judgement-unjudged">J3: nothing else`,
		`<pre class="diff">`,
		`<span class="diff-del">-  KE group 19</span>`,
		`<span class="diff-add">&#43;  KE group 14</span>`,
		`<span class="diff-add">&#43;  N(&lt;weird&gt;)</span>`,
		`<a class="artifact" href="cases/INIT-002/case.pcap">`,
		`<a class="artifact" href="cases/INIT-002/ikev2_decryption_table">`,
		`<a class="artifact" href="cases/INIT-002/case.log">`,
		`<details class="log">`,
		`192.0.2.7:500`, `synthetic &lt;iut&gt;`, `2025-03-04 10:11:12 UTC`,
		`IDr with &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;`,
		`&lt;b&gt;not bold&lt;/b&gt;`,
		`4 cases:`,
	} {
		if !strings.Contains(h, s) {
			t.Errorf("HTML lacks %s", s)
		}
	}
	for _, s := range []string{`<script>alert`, `<b>not bold`, `<weird>`, `<iut>`, "s3cret"} {
		if strings.Contains(h, s) {
			t.Errorf("HTML carries %s raw", s)
		}
	}
	// Self-contained: no external resources.
	for _, s := range []string{`src="http`, `href="http`, `<link rel="stylesheet"`, `@import`, `url(`} {
		if strings.Contains(h, s) {
			t.Errorf("HTML refers to an external resource: %s", s)
		}
	}
	if n := strings.Count(h, `<tr class="result"`); n != 4 {
		t.Errorf("%d result rows, want 4", n)
	}
	// The only script is the optional filter.
	if n := strings.Count(h, "<script"); n != 1 {
		t.Errorf("%d script elements", n)
	}
}

func TestReportWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "sub")
	if err := syntheticReport().WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JSONReportFile, JUnitReportFile, HTMLReportFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	// An unwritable directory gives an error naming the package.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syntheticReport().WriteAll(filepath.Join(file, "x")); err == nil || !strings.HasPrefix(err.Error(), "conformance:") {
		t.Errorf("WriteAll into a file: %v", err)
	}
}

func TestReportEmpty(t *testing.T) {
	r := &Report{Tool: "ikeconform"}
	var j, x, h bytes.Buffer
	if err := r.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJUnit(&x); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil || doc.Tests != 0 {
		t.Errorf("empty JUnit: %v, %d tests", err, doc.Tests)
	}
	if !strings.Contains(j.String(), `"results": []`) {
		t.Errorf("empty JSON results: %s", j.String())
	}
}
