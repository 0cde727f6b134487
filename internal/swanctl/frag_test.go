package swanctl

import (
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

// connections.<conn>.fragmentation: strongSwan's four values (RFC 7383),
// yes when absent or empty.
func TestFragmentation(t *testing.T) {
	for _, tc := range []struct {
		line string
		want ike.Fragmentation
	}{
		{"", ike.FragmentationYes},
		{"    fragmentation =", ike.FragmentationYes},
		{"    fragmentation = yes", ike.FragmentationYes},
		{"    fragmentation = accept", ike.FragmentationAccept},
		{"    fragmentation = force", ike.FragmentationForce},
		{"    fragmentation = no", ike.FragmentationNo},
	} {
		cfg, err := Parse("lab.conf", []byte(withConn(tc.line)))
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if got := cfg.Connections[0].Fragmentation; got != tc.want {
			t.Errorf("%q: %v, want %v", tc.line, got, tc.want)
		}
	}
	_, err := Parse("lab.conf", []byte(withConn("    fragmentation = maybe")))
	if err == nil || !strings.Contains(err.Error(), `lab.conf:3: connections.lab.fragmentation: unsupported value "maybe" (yes, accept, force or no)`) {
		t.Errorf("fragmentation = maybe: %v", err)
	}
}
