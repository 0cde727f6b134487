package swanctl

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every error
// is an *Error naming the file and a line within it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{labLeft, labRight, string(defaultConf), withChild("        local_ts = 10.0.0.0/8[tcp/80]"),
		"a {\n b = \"x\\\ny\" # c\n}\ninclude x\n", "secrets { ike { secret = 0sAQI= } }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := Parse("fuzz.conf", []byte(src))
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v is not an *Error", err)
		}
		if e.File != "fuzz.conf" || e.Line < 1 || e.Line > strings.Count(src, "\n")+1 {
			t.Fatalf("%v: position %s:%d outside the input", err, e.File, e.Line)
		}
		if !strings.HasPrefix(err.Error(), "swanctl: ") {
			t.Fatalf("%v lacks the swanctl: prefix", err)
		}
	})
}
