package spec

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rfcTexts returns the RFC texts by file name, or skips the test.
func rfcTexts(t *testing.T) map[string]string {
	t.Helper()
	dir, why := rfcDir()
	if dir == "" {
		t.Skip("../shared/rfc not present: check against the RFC texts skipped (" + why + ")")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "rfc*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no RFC texts in %s: %v", dir, err)
	}
	texts := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(p)] = string(b)
	}
	return texts
}

// TestFurnitureRemoved: every page footer and running header is gone, and
// every page but the first had a header (v3 RFCs have neither).
func TestFurnitureRemoved(t *testing.T) {
	footerLine := regexp.MustCompile(`(?m)\[Page [0-9]+\]\s*$`)
	for name, raw := range rfcTexts(t) {
		footers := len(footerLine.FindAllString(raw, -1))
		headers := 0
		for _, l := range strings.Split(raw, "\n") {
			if headerRE.MatchString(strings.TrimRight(strings.ReplaceAll(l, "\f", ""), " ")) {
				headers++
			}
		}
		if footers != 0 && headers != footers-1 || footers == 0 && (headers != 0 || strings.Contains(raw, "\f")) {
			t.Errorf("%s: %d footers, %d running headers", name, footers, headers)
		}
		for i, l := range cleanLines(raw) {
			if strings.Contains(l, "\f") || footerLine.MatchString(l) || headerRE.MatchString(l) || strings.HasPrefix(l, "\ufeff") {
				t.Errorf("%s: cleaned line %d still has page furniture: %q", name, i+1, l)
			}
		}
	}
}

// TestHeadingsAgainstTOC: the sections found are, in order, a superset of the
// entries of the table of contents (which may omit deep subsections and
// appendices), so no heading is missed or invented where the TOC lists it.
func TestHeadingsAgainstTOC(t *testing.T) {
	tocEntry := regexp.MustCompile(`^\s+(?:([0-9]+(?:\.[0-9]+)*)\.?|Appendix ([A-Z])[.:]?|([A-Z]\.?[0-9]+(?:\.[0-9]+)*)\.)\s`)
	withTOC := 0
	for name, raw := range rfcTexts(t) {
		lines := cleanLines(raw)
		var toc []string
		in := false
		for _, l := range lines {
			if l == "Table of Contents" {
				in = true
				continue
			}
			if in && strings.HasPrefix(l, "1.") {
				break
			}
			if m := tocEntry.FindStringSubmatch(l); in && m != nil {
				toc = append(toc, m[1]+m[2]+m[3])
			}
		}
		secs, err := splitSections(lines)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(toc) == 0 {
			continue
		}
		withTOC++
		i := 0
		for _, s := range secs {
			if i < len(toc) && s.id == toc[i] {
				i++
			}
		}
		if i < len(toc) {
			var got []string
			for _, s := range secs {
				got = append(got, s.id)
			}
			t.Errorf("%s: TOC entry %s not found in order among the headings %v", name, toc[i], got)
		}
	}
	if withTOC < 25 {
		t.Errorf("only %d RFCs with a table of contents", withTOC)
	}
}
