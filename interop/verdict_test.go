package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func joinLines(d []string) string { return "  " + strings.Join(d, "\n  ") }

// established returns the first ESTABLISHED IKE SA with at least one Child
// SA in a listing.
func established(sas []IKESA) (IKESA, bool) {
	for _, s := range sas {
		if s.State == "ESTABLISHED" && len(s.Children) > 0 {
			return s, true
		}
	}
	return IKESA{}, false
}

// waitEstablished polls both ends (bounded) until each lists an
// ESTABLISHED IKE SA with a Child SA, and returns them.
func waitEstablished(t *testing.T, a, b peer) (IKESA, IKESA) {
	t.Helper()
	var sa, sb IKESA
	var la, lb []IKESA
	var ea, eb error
	ok := waitFor(20*time.Second, 200*time.Millisecond, func() bool {
		la, ea = a.ListSAs()
		lb, eb = b.ListSAs()
		var oka, okb bool
		sa, oka = established(la)
		sb, okb = established(lb)
		return oka && okb
	})
	if !ok {
		t.Fatalf("IKE SA not ESTABLISHED on both ends within 20s:\n%s: %v (err %v)\n%s: %v (err %v)",
			a.Name(), la, ea, b.Name(), lb, eb)
	}
	return sa, sb
}

// waitGone polls both ends (bounded) until neither lists an IKE SA.
func waitGone(t *testing.T, timeout time.Duration, ps ...peer) {
	t.Helper()
	last := map[string]string{}
	ok := waitFor(timeout, 250*time.Millisecond, func() bool {
		all := true
		for _, p := range ps {
			sas, err := p.ListSAs()
			last[p.Name()] = fmt.Sprintf("%v (err %v)", sas, err)
			if err != nil || len(sas) > 0 {
				all = false
			}
		}
		return all
	})
	if !ok {
		var b strings.Builder
		for n, s := range last {
			fmt.Fprintf(&b, "\n%s: %s", n, s)
		}
		t.Fatalf("IKE SA still listed after %v:%s", timeout, b.String())
	}
}
