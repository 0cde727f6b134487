// Package proptest gives every property test of the project (gopter) the
// same parameters: IKEV2REF_SEED repeats a run, IKEV2REF_PROP_TESTS sets the
// number of cases (default 300), and the seed is logged so that a failure
// can be replayed.
package proptest

import (
	"os"
	"strconv"
	"testing"

	"github.com/leanovate/gopter"
)

// DefaultTests is the number of cases per property unless
// IKEV2REF_PROP_TESTS says otherwise.
const DefaultTests = 300

// Parameters returns the gopter parameters for t.
func Parameters(t testing.TB) *gopter.TestParameters {
	t.Helper()
	p := gopter.DefaultTestParameters()
	if s := os.Getenv("IKEV2REF_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			t.Fatalf("IKEV2REF_SEED=%q: %v", s, err)
		}
		p = gopter.DefaultTestParametersWithSeed(seed)
	}
	p.MinSuccessfulTests = DefaultTests
	if s := os.Getenv("IKEV2REF_PROP_TESTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("IKEV2REF_PROP_TESTS=%q: want a positive number", s)
		}
		p.MinSuccessfulTests = n
	}
	t.Logf("gopter seed %d (IKEV2REF_SEED=%d repeats this run)", p.Seed(), p.Seed())
	return p
}

// Properties returns a property set with Parameters(t).
func Properties(t testing.TB) *gopter.Properties {
	t.Helper()
	return gopter.NewProperties(Parameters(t))
}
