package spec

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// refRE matches a requirement ID cited anywhere in the repository.
var refRE = regexp.MustCompile(`RFC[0-9]{4}-[0-9A-Z][0-9A-Z.]*-[0-9]+`)

// reference is one citation of a requirement ID.
type reference struct {
	file string // slash-separated, relative to the repository root
	line int
	id   string
}

// findReferences walks the repository under root for *.go, *.feature and
// *.md files (skipping .git, testdata directories and spec/catalogue) and
// returns every requirement ID they cite.
func findReferences(root string) ([]reference, int, error) {
	var refs []reference
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "testdata" || rel == "spec/catalogue" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".feature", ".md":
		default:
			return nil
		}
		files++
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
		for n := 1; sc.Scan(); n++ {
			for _, id := range refRE.FindAllString(sc.Text(), -1) {
				refs = append(refs, reference{rel, n, id})
			}
		}
		return sc.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("spec: %w", err)
	}
	return refs, files, nil
}

// TestCodeReferencesExist keeps every requirement ID cited in the code true:
// each must be in the catalogue.
func TestCodeReferencesExist(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod", root)
	}
	refs, files, err := findReferences(root)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, r := range refs {
		if _, ok := Lookup(r.id); ok {
			continue
		}
		bad++
		hint := ""
		if rfc, sec, _, err := ParseID(r.id); err == nil {
			if reqs := BySection(rfc, sec); len(reqs) > 0 {
				hint = fmt.Sprintf(" (section %s has %s .. %s)", sec, reqs[0].ID, reqs[len(reqs)-1].ID)
			} else {
				hint = fmt.Sprintf(" (RFC %d section %s has no requirements)", rfc, sec)
			}
		}
		t.Errorf("%s:%d: %s is not in the catalogue%s", r.file, r.line, r.id, hint)
	}
	t.Logf("%d files scanned, %d requirement references, %d unknown", files, len(refs), bad)
	if bad > 0 {
		t.Logf("look IDs up with: go run ./spec/cmd/speccat -list RFC7296-2.6 (or -grep WORDS)")
	}
}

func TestRefRE(t *testing.T) {
	line := strings.Join([]string{
		"// " + "RFC7296" + "-2.6-4: cookies",
		"(" + "RFC4303" + "-A2.3-1)",
		"RFC7296" + "-3.1-3.",
		"RFC 7296 section 2.6",
		"RFC7296-2.6",
		"rfc7296" + "-2.6-4",
	}, " ")
	got := refRE.FindAllString(line, -1)
	want := []string{"RFC7296" + "-2.6-4", "RFC4303" + "-A2.3-1", "RFC7296" + "-3.1-3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("refRE found %q, want %q", got, want)
	}
}
