package spec

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// CitationRE matches a requirement ID cited anywhere in the repository
// ("RFC7296-2.6-4", or "RFC4303-A3-1" in an appendix).
var CitationRE = regexp.MustCompile(`RFC[0-9]{4}-[0-9A-Z][0-9A-Z.]*-[0-9]+`)

// Citation is one citation of a requirement ID in the repository.
type Citation struct {
	ID   string
	File string // slash-separated, relative to the repository root
	Line int
	// Func is where the citation is: the Go function or method ("Engine.apply")
	// or declaration ("var defaultSuites") it is in or documents, or for a
	// .feature file the Scenario (or Feature) it is in; empty at file level.
	Func string
	// Test is true for a citation in a _test.go or .feature file or in a
	// conformance case (conformance/).
	Test bool
}

// IsMustClass reports whether keyword is an absolute requirement or
// prohibition of BCP 14: MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT.
func IsMustClass(keyword string) bool { return KeywordStrength(keyword) == 4 }

// keywordOrder is the order of the keywords in the summary tables.
var keywordOrder = []string{"MUST", "MUST NOT", "REQUIRED", "SHALL", "SHALL NOT",
	"SHOULD", "SHOULD NOT", "RECOMMENDED", "NOT RECOMMENDED", "MAY", "OPTIONAL"}

// ScanCitations walks the repository under root for .go and .feature files
// and returns every requirement ID they cite, sorted by file and line. It
// skips .git, hidden directories, testdata directories and spec/ (the
// catalogue and its tools, whose IDs are examples). A citation in a _test.go
// or .feature file or under conformance/ is a test citation.
func ScanCitations(root string) ([]Citation, error) {
	var cites []Citation
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "spec") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".go" && ext != ".feature" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !CitationRE.Match(data) {
			return nil
		}
		var c []Citation
		if ext == ".go" {
			c, err = goCitations(rel, data)
		} else {
			c = featureCitations(rel, data)
		}
		if err != nil {
			return err
		}
		cites = append(cites, c...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	sort.SliceStable(cites, func(i, j int) bool {
		a, b := cites[i], cites[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.ID < b.ID
	})
	return cites, nil
}

// lineCitations returns the IDs cited on each line (1-based), once per line.
func lineCitations(data []byte, each func(line int, text string, ids []string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		ids := CitationRE.FindAllString(sc.Text(), -1)
		var uniq []string
		for _, id := range ids {
			dup := false
			for _, u := range uniq {
				dup = dup || u == id
			}
			if !dup {
				uniq = append(uniq, id)
			}
		}
		each(n, sc.Text(), uniq)
	}
}

// span is a declaration's line range (doc comment included) and name.
type span struct {
	from, to int
	name     string
}

func goCitations(rel string, data []byte) ([]Citation, error) {
	// The conformance suite's cases (conformance/) judge requirements: their
	// citations are test citations, like those of _test.go files.
	test := strings.HasSuffix(rel, "_test.go") || strings.HasPrefix(rel, "conformance/")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, data, parser.ParseComments|parser.SkipObjectResolution)
	var spans []span
	if err == nil {
		// The package clause and its doc comment.
		spans = append(spans, span{1, fset.Position(f.Name.End()).Line, "package " + f.Name.Name})
		for _, d := range f.Decls {
			var s span
			switch d := d.(type) {
			case *ast.FuncDecl:
				s.name = funcName(d)
				s.from = fset.Position(d.Pos()).Line
				if d.Doc != nil {
					s.from = fset.Position(d.Doc.Pos()).Line
				}
			case *ast.GenDecl:
				// Each spec of a group is a span of its own, ahead of the
				// group's span (the first match wins).
				for _, sp := range d.Specs {
					if n := specName(d.Tok, sp); n != "" {
						from, to := fset.Position(sp.Pos()).Line, fset.Position(sp.End()).Line
						if doc := specDoc(sp); doc != nil {
							from = fset.Position(doc.Pos()).Line
						}
						if d.Lparen.IsValid() {
							spans = append(spans, span{from, to, n})
						}
					}
				}
				s.name = genName(d)
				s.from = fset.Position(d.Pos()).Line
				if d.Doc != nil {
					s.from = fset.Position(d.Doc.Pos()).Line
				}
			}
			s.to = fset.Position(d.End()).Line
			spans = append(spans, s)
		}
	}
	// A file that does not parse still yields its citations, without names.
	var out []Citation
	lineCitations(data, func(line int, _ string, ids []string) {
		name := ""
		for _, s := range spans {
			if s.from <= line && line <= s.to {
				name = s.name
				break
			}
		}
		for _, id := range ids {
			out = append(out, Citation{ID: id, File: rel, Line: line, Func: name, Test: test})
		}
	})
	return out, nil
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + d.Name.Name
		}
		return d.Name.Name
	}
}

func genName(d *ast.GenDecl) string {
	if len(d.Specs) == 0 {
		return ""
	}
	return specName(d.Tok, d.Specs[0])
}

func specName(tok token.Token, sp ast.Spec) string {
	switch s := sp.(type) {
	case *ast.TypeSpec:
		return tok.String() + " " + s.Name.Name
	case *ast.ValueSpec:
		if len(s.Names) > 0 {
			return tok.String() + " " + s.Names[0].Name
		}
	}
	return ""
}

func specDoc(sp ast.Spec) *ast.CommentGroup {
	switch s := sp.(type) {
	case *ast.TypeSpec:
		return s.Doc
	case *ast.ValueSpec:
		return s.Doc
	}
	return nil
}

// featureCitations attributes each citation in a Gherkin file to the
// Scenario (Scenario Outline, Example, Background) it is in, or the Feature.
func featureCitations(rel string, data []byte) []Citation {
	var out []Citation
	name := ""
	lineCitations(data, func(line int, text string, ids []string) {
		t := strings.TrimSpace(text)
		for _, kw := range []string{"Feature:", "Background:", "Scenario Outline:", "Scenario Template:", "Scenario:", "Example:", "Rule:"} {
			if rest, ok := strings.CutPrefix(t, kw); ok {
				name = strings.TrimSpace(strings.TrimSuffix(kw, ":") + ": " + strings.TrimSpace(rest))
				break
			}
		}
		for _, id := range ids {
			out = append(out, Citation{ID: id, File: rel, Line: line, Func: name, Test: true})
		}
	})
	return out
}

// TraceRow is one requirement of the trace.
type TraceRow struct {
	Req   Requirement
	Code  []Citation
	Tests []Citation
	// Status, Paraphrase and Detail come from the requirement's row in
	// spec/status (Status is StatusMissing when it has none).
	Status, Paraphrase, Detail string
}

// Tested reports whether a test cites the requirement.
func (r TraceRow) Tested() bool { return len(r.Tests) > 0 }

// Trace joins every catalogued requirement with its citations and its
// status row. Citations of IDs that are not in the catalogue are ignored
// here; TestCodeReferencesExist reports them.
func Trace(cites []Citation, status []StatusRow) []TraceRow {
	code := map[string][]Citation{}
	tests := map[string][]Citation{}
	for _, c := range cites {
		if c.Test {
			tests[c.ID] = append(tests[c.ID], c)
		} else {
			code[c.ID] = append(code[c.ID], c)
		}
	}
	st := map[string]StatusRow{}
	for _, s := range status {
		st[s.ID] = s
	}
	all := All()
	rows := make([]TraceRow, 0, len(all))
	for _, r := range all {
		row := TraceRow{Req: r, Code: code[r.ID], Tests: tests[r.ID], Status: StatusMissing}
		if s, ok := st[r.ID]; ok {
			row.Status, row.Paraphrase, row.Detail = s.Status, s.Paraphrase, s.Detail
		}
		rows = append(rows, row)
	}
	return rows
}

// GenerateTrace scans the repository under root and returns the files of
// docs/rfc-trace keyed by name: README.md, untested-must.md and one
// rfcNNNN.md per catalogued RFC. The output depends only on the repository's
// content: it is sorted and carries no timestamps.
func GenerateTrace(root string) (map[string][]byte, error) {
	status, err := LoadStatus(root)
	if err != nil {
		return nil, err
	}
	cites, err := ScanCitations(root)
	if err != nil {
		return nil, err
	}
	return renderTrace(Trace(cites, status)), nil
}

// WriteTrace writes the files of GenerateTrace(root) into outDir and removes
// rfc*.md files there that it did not write. It returns the names written,
// sorted.
func WriteTrace(root, outDir string) ([]string, error) {
	files, err := GenerateTrace(root)
	if err != nil {
		return nil, err
	}
	return writeFiles(outDir, "rfc*.md", files)
}
