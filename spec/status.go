package spec

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Statuses of a requirement, set by hand in spec/status/rfcNNNN.tsv. Whether
// a test checks it is not a status: the trace computes it from the test
// citations.
const (
	StatusImplemented   = "implemented"
	StatusNotApplicable = "not applicable"
	StatusNotImpl       = "not implemented"
	// StatusMissing marks a catalogue row that has no status row yet;
	// TestStatusFiles fails while there is one.
	StatusMissing = "no status"
)

// StatusDir holds one status file per catalogued RFC, relative to the
// repository root.
const StatusDir = "spec/status"

// StatusHeader is the first line of every status file.
const StatusHeader = "id\tstatus\tparaphrase\tdetail"

// StatusRow is one row of a status file: our status of one requirement,
// our one-line paraphrase of it, and the detail — for "implemented" where
// the code does it (references "path" or "path#Identifier", separated by
// ", ", optionally followed by "; " and a note), for "not applicable" why,
// for "not implemented" what is missing.
type StatusRow struct {
	ID, Status, Paraphrase, Detail string
	File                           string // the status file, slash-separated, relative to the root
	Line                           int
}

// StatusFileName is the status file of RFC n, relative to the root.
func StatusFileName(n int) string { return fmt.Sprintf("%s/rfc%d.tsv", StatusDir, n) }

// ParseStatusFile parses one status file (name is used in errors): the
// header, then rows of four TAB-separated columns. Each row must name a
// catalogued requirement once, a known status, a paraphrase and a detail.
// It does not check that the file is complete (CheckStatus does).
func ParseStatusFile(name string, data []byte) ([]StatusRow, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != StatusHeader {
		return nil, fmt.Errorf("spec: %s:1: first line is not the header %q", name, StatusHeader)
	}
	var out []StatusRow
	seen := map[string]int{}
	var errs []string
	for i, l := range lines[1:] {
		n := i + 2
		if strings.TrimSpace(l) == "" {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: empty line", name, n))
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: %d columns, want 4 (id, status, paraphrase, detail)", name, n, len(f)))
			continue
		}
		r := StatusRow{ID: strings.TrimSpace(f[0]), Status: strings.TrimSpace(f[1]),
			Paraphrase: strings.TrimSpace(f[2]), Detail: strings.TrimSpace(f[3]), File: name, Line: n}
		if _, ok := Lookup(r.ID); !ok {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: %s is not in the catalogue", name, n, r.ID))
		}
		switch r.Status {
		case StatusImplemented, StatusNotApplicable, StatusNotImpl:
		default:
			errs = append(errs, fmt.Sprintf("spec: %s:%d: status %q, want %q, %q or %q", name, n, r.Status,
				StatusImplemented, StatusNotApplicable, StatusNotImpl))
		}
		if r.Paraphrase == "" {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: %s has no paraphrase", name, n, r.ID))
		}
		if r.Detail == "" {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: %s has no detail (where, why, or what is missing)", name, n, r.ID))
		}
		if prev, dup := seen[r.ID]; dup {
			errs = append(errs, fmt.Sprintf("spec: %s:%d: %s already has a row at line %d", name, n, r.ID, prev))
		}
		seen[r.ID] = n
		out = append(out, r)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// LoadStatus reads the status file of every catalogued RFC under root.
// A missing file is not an error here (its rows get StatusMissing in the
// trace; CheckStatus reports it).
func LoadStatus(root string) ([]StatusRow, error) {
	var all []StatusRow
	var errs []string
	for _, n := range RFCs() {
		name := StatusFileName(n)
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		rows, err := ParseStatusFile(name, data)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		all = append(all, rows...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return all, nil
}

// CheckStatus checks the status rows against the catalogue, the citations
// and the code under root:
//   - every catalogue row has exactly one status row, in its RFC's file, in
//     catalogue order;
//   - every reference of an "implemented" row's detail names a file or
//     directory that exists and, after "#", an identifier declared there;
//   - a requirement that non-test code cites is not "not applicable".
func CheckStatus(root string, rows []StatusRow, cites []Citation) []error {
	var errs []error
	byRFC := map[int][]StatusRow{}
	for _, r := range rows {
		req, ok := Lookup(r.ID)
		if !ok {
			errs = append(errs, fmt.Errorf("spec: %s:%d: %s is not in the catalogue", r.File, r.Line, r.ID))
			continue
		}
		if want := StatusFileName(req.RFC); r.File != want {
			errs = append(errs, fmt.Errorf("spec: %s:%d: %s belongs in %s", r.File, r.Line, r.ID, want))
		}
		byRFC[req.RFC] = append(byRFC[req.RFC], r)
	}
	for _, n := range RFCs() {
		want := ByRFC(n)
		got := byRFC[n]
		if len(got) == 0 && len(want) > 0 {
			errs = append(errs, fmt.Errorf("spec: %s: missing (%d requirements have no status)", StatusFileName(n), len(want)))
			continue
		}
		have := map[string]bool{}
		for _, r := range got {
			have[r.ID] = true
		}
		for _, q := range want {
			if !have[q.ID] {
				errs = append(errs, fmt.Errorf("spec: %s: %s has no status row", StatusFileName(n), q.ID))
			}
		}
		pos := map[string]int{}
		for i, q := range want {
			pos[q.ID] = i
		}
		for i := 1; i < len(got); i++ {
			if pos[got[i].ID] < pos[got[i-1].ID] {
				errs = append(errs, fmt.Errorf("spec: %s:%d: %s is out of catalogue order (after %s)", got[i].File, got[i].Line, got[i].ID, got[i-1].ID))
			}
		}
	}
	errs = append(errs, CheckRefs(root, rows)...)
	codeCites := map[string]Citation{}
	for _, c := range cites {
		if _, dup := codeCites[c.ID]; !c.Test && !dup {
			codeCites[c.ID] = c
		}
	}
	for _, r := range rows {
		if c, ok := codeCites[r.ID]; ok && r.Status == StatusNotApplicable {
			errs = append(errs, fmt.Errorf("spec: %s:%d: %s is %q but %s:%d cites it", r.File, r.Line, r.ID, r.Status, c.File, c.Line))
		}
	}
	return errs
}

// CheckRefs checks that every reference of every "implemented" row names a
// file or directory under root that exists and, after "#", an identifier
// declared there ("Type.Method": both).
func CheckRefs(root string, rows []StatusRow) []error {
	var errs []error
	decls := declCache{root: root, names: map[string]map[string]bool{}}
	for _, r := range rows {
		if r.Status != StatusImplemented {
			continue
		}
		for _, err := range decls.checkRefs(r.Detail) {
			errs = append(errs, fmt.Errorf("spec: %s:%d: %s: %w", r.File, r.Line, r.ID, err))
		}
	}
	return errs
}

// codeRefRE is one code reference of an "implemented" detail.
var codeRefRE = regexp.MustCompile(`^([A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*)(?:#([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?))?$`)

// SplitRefs splits an "implemented" detail into its references and its
// note (after the first "; ").
func SplitRefs(detail string) (refs []string, note string) {
	head, note, _ := strings.Cut(detail, "; ")
	for _, r := range strings.Split(head, ",") {
		if r = strings.TrimSpace(r); r != "" {
			refs = append(refs, r)
		}
	}
	return refs, strings.TrimSpace(note)
}

type declCache struct {
	root  string
	names map[string]map[string]bool // path -> declared identifiers
}

func (d *declCache) checkRefs(detail string) []error {
	refs, _ := SplitRefs(detail)
	if len(refs) == 0 {
		return []error{fmt.Errorf("an implemented requirement names no code (want path or path#Identifier before any \"; \")")}
	}
	var errs []error
	for _, ref := range refs {
		m := codeRefRE.FindStringSubmatch(ref)
		if m == nil {
			errs = append(errs, fmt.Errorf("reference %q is not path or path#Identifier", ref))
			continue
		}
		path, ident := m[1], m[2]
		fi, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(path)))
		if err != nil || strings.Contains(path, "..") {
			errs = append(errs, fmt.Errorf("reference %q: no file or directory %s", ref, path))
			continue
		}
		if ident == "" {
			continue
		}
		names, err := d.declared(path, fi.IsDir())
		if err != nil {
			errs = append(errs, fmt.Errorf("reference %q: %w", ref, err))
			continue
		}
		for _, part := range strings.Split(ident, ".") {
			if !names[part] {
				errs = append(errs, fmt.Errorf("reference %q: %s declares no %s", ref, path, part))
				break
			}
		}
	}
	return errs
}

// declared returns the identifiers declared at package level (funcs,
// methods, types, vars, consts, and the fields and methods of declared
// types) in a .go file or in the .go files of a directory.
func (d *declCache) declared(path string, dir bool) (map[string]bool, error) {
	if n, ok := d.names[path]; ok {
		return n, nil
	}
	files := []string{path}
	if dir {
		ents, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(path)))
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") {
				files = append(files, path+"/"+e.Name())
			}
		}
	} else if !strings.HasSuffix(path, ".go") {
		return nil, fmt.Errorf("%s is not a .go file or a directory", path)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(d.root, filepath.FromSlash(f)), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range af.Decls {
			switch x := decl.(type) {
			case *ast.FuncDecl:
				names[x.Name.Name] = true
			case *ast.GenDecl:
				for _, sp := range x.Specs {
					switch s := sp.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								for _, n := range fl.Names {
									names[n.Name] = true
								}
							}
						}
						if it, ok := s.Type.(*ast.InterfaceType); ok {
							for _, fl := range it.Methods.List {
								for _, n := range fl.Names {
									names[n.Name] = true
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	d.names[path] = names
	return names, nil
}
