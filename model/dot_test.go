package model

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var dotEdge = regexp.MustCompile(`^\t"([A-Z_()0-9]+)" -> "([A-Z_()0-9]+)" \[label="([^"]*)"\];$`)

// shuffled returns a copy of rows in a random (seeded) order.
func shuffled(rows []Transition, seed int64) []Transition {
	out := append([]Transition(nil), rows...)
	rand.New(rand.NewSource(seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestDOTEdges: every row of the role is an edge of its graph, labelled
// "EXCHANGE event/outcome -> send", and no other edge is drawn.
func TestDOTEdges(t *testing.T) {
	for _, role := range []Role{Initiator, Responder} {
		want := map[string]int{}
		n := 0
		for _, tr := range Table {
			if tr.Role == role {
				want[fmt.Sprintf("%v|%v|%s", tr.From, tr.To, dotLabel(Table, tr))]++
				n++
			}
		}
		got := map[string]int{}
		edges := 0
		out := DOT(Table, role)
		if !strings.HasPrefix(strings.SplitN(out, "digraph", 2)[1], fmt.Sprintf(` "ikev2_%v" {`, role)) || !strings.HasSuffix(out, "}\n") {
			t.Fatalf("%v: not a digraph:\n%s", role, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if m := dotEdge.FindStringSubmatch(line); m != nil {
				got[m[1]+"|"+m[2]+"|"+m[3]]++
				edges++
			} else if strings.Contains(line, "->") && !strings.HasPrefix(line, "//") {
				t.Errorf("%v: unparsed edge line %q", role, line)
			}
		}
		if edges != n {
			t.Errorf("%v: %d edges for %d rows", role, edges, n)
		}
		for k, c := range want {
			if got[k] != c {
				t.Errorf("%v: row %s drawn %d times, want %d", role, k, got[k], c)
			}
		}
		for k := range got {
			if want[k] == 0 {
				t.Errorf("%v: edge %s is no row", role, k)
			}
		}
	}
	// The IKE_SA_INIT response is answered by the IKE_AUTH request (1.2).
	if want := `"INIT_SENT" -> "AUTH_SENT" [label="IKE_SA_INIT recv-response/ok -> IKE_AUTH request"];`; !strings.Contains(DOT(Table, Initiator), want) {
		t.Errorf("initiator graph lacks %s", want)
	}
}

// TestExportsStable: the exports do not depend on the order of the rows.
func TestExportsStable(t *testing.T) {
	want := Files(Table)
	for seed := int64(1); seed <= 5; seed++ {
		got := Files(shuffled(Table, seed))
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%s differs when the rows are shuffled (seed %d)", name, seed)
			}
		}
	}
}

// TestDOTRenders: graphviz accepts both graphs.
func TestDOTRenders(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("model: graphviz `dot` not installed; run interop/install-deps.sh (or apt-get install graphviz) to render the graphs")
	}
	dir := t.TempDir()
	for _, role := range []Role{Initiator, Responder} {
		src := filepath.Join(dir, role.String()+".dot")
		if err := os.WriteFile(src, []byte(DOT(Table, role)), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, dot, "-Tsvg", "-o", src+".svg", src).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%v: dot -Tsvg: %v\n%s", role, err, out)
		}
		svg, err := os.ReadFile(src + ".svg")
		if err != nil || !strings.Contains(string(svg), "<svg") {
			t.Fatalf("%v: no SVG written (%v)", role, err)
		}
	}
}
