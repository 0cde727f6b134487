package spec

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed catalogue/*.tsv
var catalogueFS embed.FS

// TSVHeader is the first line of every catalogue file.
const TSVHeader = "id\tsection\tkeyword\ttitle\ttext"

// FormatTSV renders requirements as a catalogue file: the header line, then
// one line per requirement with the columns id, section, keyword, title, text.
// Tabs and line breaks inside a field become spaces.
func FormatTSV(reqs []Requirement) []byte {
	var b bytes.Buffer
	b.WriteString(TSVHeader)
	b.WriteByte('\n')
	for _, r := range reqs {
		for i, f := range []string{r.ID, r.Section, r.Keyword, r.Title, r.Text} {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(tsvField(f))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func tsvField(s string) string {
	return strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(s)
}

// ParseTSV parses a catalogue file of RFC rfc. It checks that every ID is
// well formed, belongs to rfc and to the row's section, and that requirements
// are numbered 1..n within each section.
func ParseTSV(rfc int, data []byte) ([]Requirement, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n") // a CRLF checkout
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != TSVHeader {
		return nil, fmt.Errorf("spec: rfc%d.tsv: first line is not the header %q", rfc, TSVHeader)
	}
	var out []Requirement
	next := map[string]int{}
	for i, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("spec: rfc%d.tsv:%d: %d columns, want 5", rfc, i+2, len(f))
		}
		r := Requirement{ID: f[0], RFC: rfc, Section: f[1], Keyword: f[2], Title: f[3], Text: f[4]}
		next[r.Section]++
		r.N = next[r.Section]
		if want := MakeID(rfc, r.Section, r.N); r.ID != want {
			return nil, fmt.Errorf("spec: rfc%d.tsv:%d: ID %s, want %s", rfc, i+2, r.ID, want)
		}
		out = append(out, r)
	}
	return out, nil
}

// BuildCatalogue extracts every rfcNNNN.txt in rfcDir and returns the
// catalogue files it yields, keyed by file name ("rfc7296.tsv").
func BuildCatalogue(rfcDir string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(rfcDir, "rfc*.txt"))
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("spec: no rfc*.txt files in %s", rfcDir)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		reqs, err := ExtractFile(p)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".txt") + ".tsv"
		files[name] = FormatTSV(reqs)
	}
	return files, nil
}

// WriteCatalogue writes the files of BuildCatalogue(rfcDir) into outDir and
// removes catalogue files there whose RFC text is gone. It returns the names
// written, sorted.
func WriteCatalogue(rfcDir, outDir string) ([]string, error) {
	files, err := BuildCatalogue(rfcDir)
	if err != nil {
		return nil, err
	}
	return writeFiles(outDir, "rfc*.tsv", files)
}

// writeFiles writes generated files into outDir, removes the files there
// that match pattern but are not among them, and returns the names
// written, sorted.
func writeFiles(outDir, pattern string, files map[string][]byte) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(outDir, pattern))
	for _, p := range old {
		if _, ok := files[filepath.Base(p)]; !ok {
			if err := os.Remove(p); err != nil {
				return nil, fmt.Errorf("spec: %w", err)
			}
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(outDir, name), files[name], 0o644); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
	}
	return names, nil
}

// index is the embedded catalogue, parsed once.
type index struct {
	all   []Requirement
	byID  map[string]int
	byRFC map[int][]Requirement
	rfcs  []int
}

var (
	loadOnce sync.Once
	loaded   *index
	loadErr  error
)

func catalogue() *index {
	loadOnce.Do(func() { loaded, loadErr = load(catalogueFS) })
	if loadErr != nil {
		// The embedded files are checked by the tests; a broken catalogue is
		// a build defect, not a runtime condition.
		panic(loadErr)
	}
	return loaded
}

func load(fsys fs.FS) (*index, error) {
	names, err := fs.Glob(fsys, "catalogue/rfc*.tsv")
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	type file struct {
		rfc  int
		name string
	}
	var files []file
	for _, name := range names {
		n, err := rfcNumberFromName(filepath.Base(name), ".tsv")
		if err != nil {
			return nil, err
		}
		files = append(files, file{n, name})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rfc < files[j].rfc })
	ix := &index{byID: map[string]int{}, byRFC: map[int][]Requirement{}}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f.name)
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		reqs, err := ParseTSV(f.rfc, data)
		if err != nil {
			return nil, err
		}
		ix.rfcs = append(ix.rfcs, f.rfc)
		ix.byRFC[f.rfc] = reqs
		for _, r := range reqs {
			if _, dup := ix.byID[r.ID]; dup {
				return nil, fmt.Errorf("spec: duplicate requirement ID %s", r.ID)
			}
			ix.byID[r.ID] = len(ix.all)
			ix.all = append(ix.all, r)
		}
	}
	return ix, nil
}

// Lookup returns the requirement with the given ID ("RFC7296-2.6-4").
func Lookup(id string) (Requirement, bool) {
	ix := catalogue()
	i, ok := ix.byID[id]
	if !ok {
		return Requirement{}, false
	}
	return ix.all[i], true
}

// All returns every requirement of the catalogue, by RFC number and then in
// document order. The slice is a copy.
func All() []Requirement {
	return append([]Requirement(nil), catalogue().all...)
}

// ByRFC returns the requirements of one RFC in document order (nil if the RFC
// is not catalogued or has none). The slice is a copy.
func ByRFC(n int) []Requirement {
	return append([]Requirement(nil), catalogue().byRFC[n]...)
}

// RFCs returns the numbers of the catalogued RFCs, ascending, including those
// without any requirement.
func RFCs() []int {
	return append([]int(nil), catalogue().rfcs...)
}

// Sections returns, in document order, the IDs of the sections of an RFC that
// hold at least one requirement.
func Sections(rfc int) []string {
	var out []string
	for _, r := range catalogue().byRFC[rfc] {
		if len(out) == 0 || out[len(out)-1] != r.Section {
			out = append(out, r.Section)
		}
	}
	return out
}

// BySection returns the requirements of one section of an RFC, in order.
func BySection(rfc int, section string) []Requirement {
	var out []Requirement
	for _, r := range catalogue().byRFC[rfc] {
		if r.Section == section {
			out = append(out, r)
		}
	}
	return out
}

// ParseID splits a requirement ID into RFC number, section and position.
func ParseID(id string) (rfc int, section string, n int, err error) {
	bad := fmt.Errorf("spec: malformed requirement ID %q (want RFC<number>-<section>-<n>, e.g. RFC7296-2.6-4)", id)
	rest, ok := strings.CutPrefix(id, "RFC")
	if !ok {
		return 0, "", 0, bad
	}
	first := strings.IndexByte(rest, '-')
	last := strings.LastIndexByte(rest, '-')
	if first <= 0 || last <= first+1 {
		return 0, "", 0, bad
	}
	if rfc, err = strconv.Atoi(rest[:first]); err != nil || rfc <= 0 {
		return 0, "", 0, bad
	}
	if n, err = strconv.Atoi(rest[last+1:]); err != nil || n <= 0 {
		return 0, "", 0, bad
	}
	return rfc, rest[first+1 : last], n, nil
}
