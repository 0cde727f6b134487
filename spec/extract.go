package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Requirement is one normative sentence of an RFC.
type Requirement struct {
	ID      string // "RFC7296-2.6-4"
	RFC     int    // 7296
	Section string // "2.6", "3.3.1", "A", "A.1", "A2.1"
	N       int    // 1-based position among the section's requirements
	Title   string // section title, "IKE SA SPIs and Cookies"
	Keyword string // strongest BCP 14 keyword: "MUST", "MUST NOT", "SHOULD", ...
	Text    string // the whole sentence, whitespace collapsed
}

// MakeID returns the requirement ID for the n-th requirement of a section.
func MakeID(rfc int, section string, n int) string {
	return "RFC" + strconv.Itoa(rfc) + "-" + section + "-" + strconv.Itoa(n)
}

// Keywords lists the BCP 14 keywords in the form Requirement.Keyword uses.
var Keywords = []string{
	"MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT", "SHOULD",
	"SHOULD NOT", "RECOMMENDED", "NOT RECOMMENDED", "MAY", "OPTIONAL",
}

var (
	// Page furniture.
	footerRE = regexp.MustCompile(`\[Page [0-9]+\]\s*$`)
	headerRE = regexp.MustCompile(`^RFC [0-9]{3,5}\s.*\s(January|February|March|April|May|June|July|August|September|October|November|December)\s+[0-9]{4}\s*$`)

	// Headings (column 0).
	numberedRE    = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*)\.\s+(\S.*?)\s*$`)
	appendixRE    = regexp.MustCompile(`^Appendix ([A-Z])(?:[.:]\s*(.*?))?\s*$`)
	appendixSubRE = regexp.MustCompile(`^([A-Z]\.?[0-9]+(?:\.[0-9]+)*)\.\s+(\S.*?)\s*$`)
	backMatterRE  = regexp.MustCompile(`^(?:Acknowledge?ments?|Authors?'?s?'? Address(?:es)?|Editors?'?s?'? Address(?:es)?|Full Copyright Statement|Intellectual Property(?: Statement)?|(?:Normative |Informative )?References|Contributors|Index)\s*$`)

	// List items: indentation, marker, spaces, text.
	bulletRE = regexp.MustCompile(`^(\s*)(?:o|\*|-|•|[0-9]+\.|[0-9]+\)|\([0-9]+\)|[a-z]\.|[a-z]\)|\([a-z]\))\s+(\S.*)$`)

	// Keywords: leftmost match; at one position the NOT forms win.
	keywordRE = regexp.MustCompile(`\b(MUST\s+NOT|MUST|SHALL\s+NOT|SHALL|SHOULD\s+NOT|SHOULD|NOT\s+RECOMMENDED|RECOMMENDED|REQUIRED|MAY|OPTIONAL)\b`)

	// The RFC 2119 boilerplate sentence.
	boilerplateRE = regexp.MustCompile(`(?i)\bkey ?words?\b.*\b(?:is|are) to be interpreted\b`)

	// Figures.
	boxRunRE = regexp.MustCompile(`\+-[-+]|[-+]-\+`)
	ruleRE   = regexp.MustCompile(`^[-=_~*+|:. ]+$`)
)

// abbreviations after which a "." never ends a sentence (compared lower-case,
// without the final dot).
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "cf": true, "al": true,
	"sec": true, "fig": true, "ref": true, "viz": true, "approx": true,
}

// section is one numbered section of an RFC with its body lines.
type section struct {
	id    string
	title string
	lines []string
}

// Extract returns the normative sentences of one RFC given its plain text,
// numbered by the rules in the package documentation.
func Extract(rfc int, text string) ([]Requirement, error) {
	if rfc <= 0 {
		return nil, fmt.Errorf("spec: invalid RFC number %d", rfc)
	}
	secs, err := splitSections(cleanLines(text))
	if err != nil {
		return nil, fmt.Errorf("spec: RFC %d: %w", rfc, err)
	}
	var out []Requirement
	for _, s := range secs {
		n := 0
		for _, para := range paragraphs(s.lines) {
			for _, sent := range Sentences(para) {
				kw := keyword(sent)
				if kw == "" || boilerplateRE.MatchString(sent) {
					continue
				}
				n++
				out = append(out, Requirement{
					ID:      MakeID(rfc, s.id, n),
					RFC:     rfc,
					Section: s.id,
					N:       n,
					Title:   s.title,
					Keyword: kw,
					Text:    sent,
				})
			}
		}
	}
	return out, nil
}

// ExtractFile reads an rfc-editor text file named rfcNNNN.txt and returns its
// requirements. It checks that the first page names the same RFC number.
func ExtractFile(path string) ([]Requirement, error) {
	rfc, err := rfcNumberFromName(filepath.Base(path), ".txt")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	text := string(b)
	head := text
	if len(head) > 4000 {
		head = head[:4000]
	}
	if !regexp.MustCompile(`Request for Comments?:\s+` + strconv.Itoa(rfc) + `\b`).MatchString(head) {
		return nil, fmt.Errorf("spec: %s: first page does not say \"Request for Comments: %d\"", path, rfc)
	}
	return Extract(rfc, text)
}

// rfcNumberFromName parses "rfcNNNN"+ext.
func rfcNumberFromName(name, ext string) (int, error) {
	if !strings.HasPrefix(name, "rfc") || !strings.HasSuffix(name, ext) {
		return 0, fmt.Errorf("spec: %q is not named rfcNNNN%s", name, ext)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "rfc"), ext))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("spec: %q is not named rfcNNNN%s", name, ext)
	}
	return n, nil
}

// cleanLines removes the page furniture and re-joins text across page breaks
// (rule 1).
func cleanLines(text string) []string {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []string
	pageBreak := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(strings.ReplaceAll(line, "\f", ""), " \t")
		switch {
		case footerRE.MatchString(line):
			for len(out) > 0 && out[len(out)-1] == "" {
				out = out[:len(out)-1]
			}
			pageBreak = true
			continue
		case headerRE.MatchString(line):
			pageBreak = true
			continue
		case line == "" && pageBreak:
			continue
		}
		if pageBreak && len(out) > 0 && endsParagraph(out[len(out)-1], line) {
			out = append(out, "")
		}
		pageBreak = false
		out = append(out, line)
	}
	return out
}

// endsParagraph reports whether a line before a page break closes its
// paragraph, given the first line after the break: it does if it is a heading
// (column 0), ends a sentence, or if next does not start at its text column
// (its indentation, or for a list item the column after the marker).
func endsParagraph(last, next string) bool {
	if last == "" || last[0] != ' ' {
		return true
	}
	t := strings.TrimRight(last, `"')]`)
	if strings.HasSuffix(t, ".") || strings.HasSuffix(t, ":") ||
		strings.HasSuffix(t, "?") || strings.HasSuffix(t, "!") {
		return true
	}
	return indent(next) != textColumn(last)
}

// indent is the number of leading spaces of a line.
func indent(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// textColumn is the column where the text of a line starts: after the marker
// for a list item, else after the indentation.
func textColumn(line string) int {
	if m := bulletRE.FindStringSubmatchIndex(line); m != nil {
		return m[4]
	}
	return indent(line)
}

// splitSections cuts the cleaned lines at headings (rules 2 and 3).
func splitSections(lines []string) ([]section, error) {
	var (
		secs     []section
		cur      *section
		started  bool
		appendix string // letter of the current appendix, "" outside
		seen     = map[string]bool{}
	)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur.lines = append(cur.lines, line)
			}
			continue
		}
		var id, title string
		var titleCol int
		if m := numberedRE.FindStringSubmatchIndex(line); m != nil && (started || line[m[2]:m[3]] == "1") {
			id, title, titleCol = line[m[2]:m[3]], line[m[4]:m[5]], m[4]
			appendix = ""
		} else if m := appendixRE.FindStringSubmatchIndex(line); m != nil && started {
			id = line[m[2]:m[3]]
			if m[4] >= 0 {
				title, titleCol = line[m[4]:m[5]], m[4]
			}
			appendix = id
		} else if m := appendixSubRE.FindStringSubmatchIndex(line); m != nil && appendix != "" && line[:1] == appendix {
			id, title, titleCol = line[m[2]:m[3]], line[m[4]:m[5]], m[4]
		} else if backMatterRE.MatchString(line) && started {
			cur = nil
			appendix = ""
			continue
		} else {
			// Column-0 body text (test vectors, figures).
			if cur != nil {
				cur.lines = append(cur.lines, line)
			}
			continue
		}
		// A wrapped title continues on the next line at the title's column.
		for titleCol > 0 && i+1 < len(lines) {
			next := lines[i+1]
			if strings.TrimSpace(next) == "" || indent(next) != titleCol {
				break
			}
			title += " " + strings.TrimSpace(next)
			i++
		}
		if seen[id] {
			return nil, fmt.Errorf("section %s appears twice (line %q)", id, line)
		}
		seen[id] = true
		started = true
		secs = append(secs, section{id: id, title: collapse(title)})
		cur = &secs[len(secs)-1]
	}
	if !started {
		return nil, fmt.Errorf("no section 1 heading found")
	}
	return secs, nil
}

// isFigureLine implements the line rule of rule 4.
func isFigureLine(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" {
		return false
	}
	if t[0] == '|' || t[len(t)-1] == '|' {
		return true
	}
	if boxRunRE.MatchString(t) {
		return true
	}
	if strings.Count(t, "|") >= 2 && strings.Contains(t, "   ") {
		return true
	}
	return len(t) >= 3 && ruleRE.MatchString(t)
}

// isCodeBlock reports whether a block of lines is ASN.1 or code (rule 4).
func isCodeBlock(block []string) bool {
	for _, l := range block {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "::=") || strings.HasSuffix(t, "{") || strings.HasPrefix(t, "}") {
			return true
		}
	}
	return false
}

// paragraphs turns a section body into joined paragraph texts (rules 4, 5).
func paragraphs(lines []string) []string {
	var out []string
	// First cut the body into blocks of consecutive non-blank lines and drop
	// code blocks, then cut blocks at figure lines and list items.
	var block []string
	flushBlock := func() {
		if len(block) == 0 {
			return
		}
		if !isCodeBlock(block) {
			var cur []string
			flush := func() {
				if len(cur) > 0 {
					if p := joinLines(cur); p != "" {
						out = append(out, p)
					}
					cur = nil
				}
			}
			for _, l := range block {
				if isFigureLine(l) {
					flush()
					continue
				}
				if m := bulletRE.FindStringSubmatch(l); m != nil {
					flush()
					l = m[1] + m[2]
				}
				cur = append(cur, l)
			}
			flush()
		}
		block = nil
	}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			flushBlock()
			continue
		}
		block = append(block, l)
	}
	flushBlock()
	return out
}

// joinLines joins the lines of one paragraph (rule 5).
func joinLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			s := b.String()
			if !hyphenJoin(s, t) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return collapse(b.String())
}

// hyphenJoin reports whether prev (ending in "x-") and next ("y...") form one
// hyphenated word broken at the line end.
func hyphenJoin(prev, next string) bool {
	n := len(prev)
	if n < 2 || prev[n-1] != '-' || !isAlnum(prev[n-2]) || !isAlnum(next[0]) {
		return false
	}
	// The word before the hyphen.
	start := strings.LastIndexAny(prev[:n-1], " -/(\"'") + 1
	word := prev[start : n-1]
	for _, k := range []string{"MUST", "SHALL", "SHOULD", "MAY", "REQUIRED", "RECOMMENDED", "OPTIONAL"} {
		if word == k {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// collapse trims s and replaces every run of white space with one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// Sentences splits one paragraph into sentences by rule 6. The paragraph is
// whitespace-collapsed first.
func Sentences(para string) []string {
	s := collapse(para)
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte(`"')]`, s[j]) >= 0 {
			j++
		}
		if j+1 >= len(s) || s[j] != ' ' {
			continue
		}
		next := s[j+1]
		if !isUpper(next) && strings.IndexByte(`"'([`, next) < 0 {
			continue
		}
		if c == '.' && !endsSentenceAt(s, i) {
			continue
		}
		out = append(out, s[start:j])
		start = j + 1
		i = j
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// endsSentenceAt reports whether the "." at s[i] may end a sentence, looking at
// the word before it (abbreviations, single initials).
func endsSentenceAt(s string, i int) bool {
	w := s[strings.LastIndexByte(s[:i], ' ')+1 : i]
	w = strings.TrimLeft(w, `"'([`)
	if len(w) == 1 && isUpper(w[0]) {
		return false
	}
	return !abbreviations[strings.ToLower(w)]
}

// keyword returns the strongest BCP 14 keyword of a sentence (the first
// one among equals), "" if none. Strength: MUST NOT, SHALL NOT, MUST, SHALL,
// REQUIRED (absolute) > SHOULD NOT, NOT RECOMMENDED > SHOULD, RECOMMENDED >
// MAY, OPTIONAL.
func keyword(sentence string) string {
	best, bestRank := "", 0
	for _, m := range keywordRE.FindAllString(sentence, -1) {
		k := strings.Join(strings.Fields(m), " ")
		if r := KeywordStrength(k); r > bestRank {
			best, bestRank = k, r
		}
	}
	return best
}

// KeywordStrength ranks a BCP 14 keyword: 4 for the absolute requirements
// and prohibitions (MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT), 3 for SHOULD
// NOT and NOT RECOMMENDED, 2 for SHOULD and RECOMMENDED, 1 for MAY and
// OPTIONAL, 0 for anything else.
func KeywordStrength(k string) int {
	switch k {
	case "MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT":
		return 4
	case "SHOULD NOT", "NOT RECOMMENDED":
		return 3
	case "SHOULD", "RECOMMENDED":
		return 2
	case "MAY", "OPTIONAL":
		return 1
	}
	return 0
}
