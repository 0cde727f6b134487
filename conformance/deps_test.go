package conformance

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoEngineImport: the suite judges implementations on its own; it must
// not share the engine's opinions, so neither it nor ikeconform may depend
// on impl/ike (or on anything that does).
func TestNoEngineImport(t *testing.T) {
	for _, pkg := range []string{".", "../cmd/ikeconform"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "github.com/ikev2ref/ikev2ref/impl/ike" || strings.HasPrefix(dep, "github.com/ikev2ref/ikev2ref/impl/ike/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
