package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// rfcDir locates the RFC texts: $IKEV2REF_RFC_DIR, else ../shared/rfc next to
// the repository root (../../shared/rfc from spec/). It returns "" and a
// reason when they are not present.
func rfcDir() (dir, why string) {
	if d := os.Getenv("IKEV2REF_RFC_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "rfc7296.txt")); err != nil {
			return "", fmt.Sprintf("IKEV2REF_RFC_DIR=%s has no rfc7296.txt", d)
		}
		return d, ""
	}
	d := filepath.Join("..", "..", "shared", "rfc")
	if _, err := os.Stat(filepath.Join(d, "rfc7296.txt")); err != nil {
		abs, _ := filepath.Abs(d)
		return "", fmt.Sprintf("no RFC texts at %s and IKEV2REF_RFC_DIR is unset", abs)
	}
	return d, ""
}

// TestCatalogueMatchesRFCs regenerates the catalogue from the RFC texts and
// compares it byte for byte with the committed (and embedded) files.
func TestCatalogueMatchesRFCs(t *testing.T) {
	dir, why := rfcDir()
	if dir == "" {
		t.Skip("../shared/rfc not present: catalogue-vs-RFC check skipped (" + why + "); the committed catalogue is still checked by the other tests")
	}
	want, err := BuildCatalogue(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := filepath.Glob(filepath.Join(dir, "rfc*.txt"))
	if len(want) != len(texts) || len(texts) != 31 {
		t.Errorf("%d RFC texts in %s gave %d catalogue files; the project has 31", len(texts), dir, len(want))
	}
	committed, _ := filepath.Glob(filepath.Join("catalogue", "rfc*.tsv"))
	for _, p := range committed {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("%s has no RFC text in %s", p, dir)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join("catalogue", name))
		if err != nil {
			t.Errorf("catalogue/%s missing: run go run ./spec/cmd/speccat -rfc %s -out spec/catalogue", name, dir)
			continue
		}
		embedded, err := catalogueFS.ReadFile("catalogue/" + name)
		if err != nil || !bytes.Equal(embedded, got) {
			t.Errorf("embedded catalogue/%s differs from the file on disk (rebuild)", name)
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("catalogue/%s is stale: %s; regenerate with go run ./spec/cmd/speccat -rfc %s -out spec/catalogue",
				name, firstDiff(got, want[name]), dir)
		}
	}
}

func firstDiff(got, want []byte) string {
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
			return fmt.Sprintf("line %d is %q, regenerated %q", i+1, gl, wl)
		}
	}
	return "no line differs"
}

// TestCatalogueWellFormed checks the embedded catalogue on its own (it runs
// on every clone).
func TestCatalogueWellFormed(t *testing.T) {
	if got := len(RFCs()); got != 31 {
		t.Errorf("catalogue has %d RFCs, want 31", got)
	}
	kws := map[string]bool{}
	for _, k := range Keywords {
		kws[k] = true
	}
	all := All()
	seen := map[string]bool{}
	for _, r := range all {
		if seen[r.ID] {
			t.Errorf("duplicate ID %s", r.ID)
		}
		seen[r.ID] = true
		if !kws[r.Keyword] {
			t.Errorf("%s: keyword %q is not a BCP 14 keyword", r.ID, r.Keyword)
		}
		if keyword(r.Text) != r.Keyword {
			t.Errorf("%s: keyword %q, but the strongest keyword of the text is %q", r.ID, r.Keyword, keyword(r.Text))
		}
		if r.Text != collapse(r.Text) || r.Text == "" {
			t.Errorf("%s: text is not whitespace-collapsed: %q", r.ID, r.Text)
		}
		if r.Title == "" {
			t.Errorf("%s: empty section title", r.ID)
		}
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, ok)
		}
		rfc, sec, n, err := ParseID(r.ID)
		if err != nil || rfc != r.RFC || sec != r.Section || n != r.N {
			t.Errorf("ParseID(%s) = %d %q %d %v, want %d %q %d", r.ID, rfc, sec, n, err, r.RFC, r.Section, r.N)
		}
	}
	total := 0
	for _, n := range RFCs() {
		total += len(ByRFC(n))
	}
	if total != len(all) {
		t.Errorf("ByRFC totals %d, All has %d", total, len(all))
	}
}

// TestSpotChecks pins the rules with real sentences of the RFCs.
func TestSpotChecks(t *testing.T) {
	tests := []struct {
		id, keyword, text string
	}{
		// Section 3.1, the IKE header: the major version.
		{"RFC7296-3.1-4", "MUST", "Implementations based on this version of IKE MUST set the major version to 2."},
		// "MUST ... and MUST NOT": the first keyword counts.
		{"RFC7296-3.1-1", "MUST", "An Encrypted payload MUST be the last payload in a packet and an Encrypted payload MUST NOT contain another Encrypted payload."},
		// List item text without its "o" marker.
		{"RFC7296-3.2-6", "MUST", "RESERVED (7 bits) - MUST be sent as zero; MUST be ignored on receipt."},
		{"RFC7296-2.6-4", "MUST", "If the IKE_SA_INIT response includes the COOKIE notification, the initiator MUST then retry the IKE_SA_INIT request, and include the COOKIE notification containing the received data as the first payload, and all other payloads unchanged."},
		{"RFC7296-3.3-1", "MAY", "An SA payload MAY contain multiple proposals."},
		{"RFC7296-3.9-1", "MUST", "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."},
		{"RFC7296-3.14-3", "MUST", "Senders MUST select a new unpredictable IV for every message; recipients MUST accept any value."},
		// "etc.)" does not end the sentence.
		{"RFC7296-2.21.2-1", "SHOULD", "All errors that occur in an IKE_AUTH exchange, causing the authentication to fail for whatever reason (invalid shared secret, invalid ID, untrusted certificate issuer, revoked or expired certificate, etc.) SHOULD result in an AUTHENTICATION_FAILED notification."},
		// A paragraph split by a page break (pages 56/57) after a figure.
		{"RFC7296-2.19-2", "MUST", "In all cases, the CP payload MUST be inserted before the SA payload."},
		// MUST NOT wrapped across lines.
		{"RFC6311-5-1", "MUST NOT", ""},
		{"RFC9242-5-1", "MUST NOT", ""},
		{"RFC9329-3.2-2", "MUST NOT", "The value in the Length field MUST NOT be 0 or 1."},
		// NOT RECOMMENDED wrapped across lines, and printed on one line.
		{"RFC5282-7.3-3", "NOT RECOMMENDED", "The use of the value 192 is NOT RECOMMENDED."},
		// Appendices: "A.1"-style and "A3"-style numbers as printed.
		{"RFC7815-A.1-7", "MUST", "'X' bits MUST be cleared when sending and MUST be ignored on receipt."},
		{"RFC4303-A3-1", "SHOULD", "The following procedure SHOULD be implemented by any IPsec (ESP or AH) implementation that supports the ESN option."},
		// v3 format (BOM, no pages).
		{"RFC9370-2.2.1-2", "MUST", "Each additional key exchange method MUST be fully completed before the next one is started."},
		// SHALL (RFC 4754 has no other keyword).
		{"RFC4754-7-1", "SHALL", ""},
	}
	for _, tt := range tests {
		r, ok := Lookup(tt.id)
		if !ok {
			t.Errorf("%s: not in the catalogue", tt.id)
			continue
		}
		if r.Keyword != tt.keyword {
			t.Errorf("%s: keyword %q, want %q (text %q)", tt.id, r.Keyword, tt.keyword, r.Text)
		}
		if tt.text != "" && r.Text != tt.text {
			t.Errorf("%s: text\n\t%q\nwant\n\t%q", tt.id, r.Text, tt.text)
		}
	}
}

// TestFindSentence looks a sentence up by its text, as an engineer would, and
// checks where it lands.
func TestFindSentence(t *testing.T) {
	tests := []struct {
		rfc       int
		substring string
		id        string
		keyword   string
	}{
		{7296, "MUST set the major version to 2.", "RFC7296-3.1-4", "MUST"},
		{7296, "Nonce values MUST NOT be reused.", "RFC7296-3.9-2", "MUST NOT"},
		{6311, "the responder MUST NOT assert support of a capability", "RFC6311-5-1", "MUST NOT"},
		{9242, "MUST NOT allow an unlimited number of these exchanges", "RFC9242-5-1", "MUST NOT"},
		{4301, "ESP to provide confidentiality without integrity is NOT RECOMMENDED.", "RFC4301-3.2-3", "NOT RECOMMENDED"},
		{3602, "weak key checks SHOULD NOT be performed", "RFC3602-2.3-3", "SHOULD NOT"},
	}
	for _, tt := range tests {
		var found []Requirement
		for _, r := range ByRFC(tt.rfc) {
			if strings.Contains(r.Text, tt.substring) {
				found = append(found, r)
			}
		}
		if len(found) != 1 {
			t.Errorf("RFC %d: %d requirements contain %q, want 1", tt.rfc, len(found), tt.substring)
			continue
		}
		r := found[0]
		if tt.id != "" && r.ID != tt.id {
			t.Errorf("RFC %d %q: ID %s, want %s", tt.rfc, tt.substring, r.ID, tt.id)
		}
		if r.Keyword != tt.keyword {
			t.Errorf("%s: keyword %q, want %q", r.ID, r.Keyword, tt.keyword)
		}
	}
}

func TestSection26(t *testing.T) {
	reqs := BySection(7296, "2.6")
	if len(reqs) < 5 {
		t.Fatalf("RFC 7296 section 2.6 has %d requirements, want several", len(reqs))
	}
	for i, r := range reqs {
		if r.N != i+1 || r.ID != MakeID(7296, "2.6", i+1) || r.Title != "IKE SA SPIs and Cookies" {
			t.Errorf("requirement %d of 2.6: %+v", i+1, r)
		}
	}
	secs := Sections(7296)
	if len(secs) < 50 || secs[0] != "1" || !contains(secs, "2.6") || !contains(secs, "3.3.1") || contains(secs, "1.6") {
		t.Errorf("Sections(7296) = %v", secs)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBoilerplateExcluded: the RFC 2119 sentence is never a requirement, and
// the sections that hold only it have none.
func TestBoilerplateExcluded(t *testing.T) {
	re := regexp.MustCompile(`(?i)key ?words?.*to be interpreted`)
	for _, r := range All() {
		if re.MatchString(r.Text) {
			t.Errorf("%s is the RFC 2119 boilerplate: %q", r.ID, r.Text)
		}
	}
	for _, s := range []struct {
		rfc int
		sec string
	}{{7296, "1.6"}, {9370, "1.3"}, {4754, "2"}, {8019, "2"}} {
		if got := BySection(s.rfc, s.sec); len(got) != 0 {
			t.Errorf("RFC %d section %s (requirements language) has requirements: %v", s.rfc, s.sec, got)
		}
	}
}

// TestCountsAgainstIndex compares the requirement counts with the keyword
// token counts of /work/shared/rfc/INDEX.md (Total + SHALL + RECOMMENDED +
// OPTIONAL, boilerplate included). Sentences can hold several keywords, so
// the count must not exceed the tokens; table cells (8221, 8247), ASN.1
// (4301) and the boilerplate are not sentences, hence the lower bounds.
func TestCountsAgainstIndex(t *testing.T) {
	tests := []struct {
		rfc, tokens, min int
	}{
		{7296, 490 + 6, 380}, {4303, 108 + 5, 85}, {4301, 176 + 14, 145},
		{3948, 32 + 5, 24}, {7427, 10 + 4, 3}, {8247, 175 + 5, 50},
		{8221, 116 + 7, 40}, {5903, 6, 3}, {7634, 12 + 5, 5},
		{4106, 22 + 5, 12}, {5282, 34 + 6, 20}, {3602, 22 + 4, 12},
		{4868, 5, 3}, {3526, 0, 0}, {8031, 9 + 5, 3}, {7383, 43 + 10, 35},
		{6989, 24 + 5, 12}, {4555, 47 + 4, 30}, {7815, 88 + 4, 60},
		{5998, 17 + 4, 7}, {7619, 21 + 4, 12}, {4434, 0, 0}, {3566, 12 + 4, 5},
		{4754, 0 + 2, 1}, {8019, 71 + 11, 60}, {9370, 35 + 5, 25},
		{8229, 57 + 5, 40}, {6311, 37 + 5, 27}, {7670, 10 + 4, 3},
		{9329, 83 + 6, 65}, {9242, 20 + 5, 10},
	}
	if len(tests) != len(RFCs()) {
		t.Errorf("count table has %d RFCs, catalogue %d", len(tests), len(RFCs()))
	}
	for _, tt := range tests {
		got := len(ByRFC(tt.rfc))
		t.Logf("RFC %d: %d requirements (%d keyword tokens in INDEX.md)", tt.rfc, got, tt.tokens)
		if got > tt.tokens || got < tt.min {
			t.Errorf("RFC %d: %d requirements, want %d..%d", tt.rfc, got, tt.min, tt.tokens)
		}
	}
}
