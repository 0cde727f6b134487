package conformance

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

// Role is the IUT's role in a case.
type Role string

const (
	IUTResponder Role = "responder" // the tester initiates
	IUTInitiator Role = "initiator" // the IUT initiates (toward the tester)
)

// Verdict is a case's result.
type Verdict string

const (
	Pass         Verdict = "PASS"
	Fail         Verdict = "FAIL"
	Inconclusive Verdict = "INCONCLUSIVE"
	Skip         Verdict = "SKIP"
)

// Tags of a case (besides a feature name).
const (
	Basic    = "BASIC"
	Advanced = "ADVANCED"
)

// Case is one conformance case.
type Case struct {
	ID      string   // INIT-001
	Title   string   // one line
	Purpose string   // what it checks and why
	RFC     []string // sections, e.g. "RFC 7296 2.6"
	Reqs    []string // spec/ requirement IDs, e.g. RFC7296-2.6-4
	Tag     string   // BASIC, ADVANCED or a feature (COOKIE, FRAG, EAP, NATT, ...)
	Role    Role
	// Needs are the profile features the case needs (Profile.Has); a case
	// whose needs the profile does not claim is SKIP.
	Needs []string
	// Steps is the ladder: "T -> IUT: ..." lines and, numbered, the
	// judgements ("J1: the IUT answers with SA, KE, Nr").
	Steps []string
	// Run performs the case; it reports through t.
	Run func(t *T)
}

var (
	regMu    sync.Mutex
	registry = map[string]*Case{}
)

// Register adds cases to the suite; an ID registered twice panics.
func Register(cs ...*Case) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, c := range cs {
		if _, dup := registry[c.ID]; dup {
			panic("conformance: case " + c.ID + " registered twice")
		}
		registry[c.ID] = c
	}
}

// All returns every registered case, sorted by ID (group, then number).
func All() []*Case {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]*Case, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Select returns the cases whose ID matches one of the comma-separated
// glob patterns ("INIT-*,ROBUST-00?"); an empty pattern selects all.
func Select(patterns string) ([]*Case, error) {
	all := All()
	if strings.TrimSpace(patterns) == "" {
		return all, nil
	}
	var out []*Case
	for _, c := range all {
		for _, p := range strings.Split(patterns, ",") {
			p = strings.TrimSpace(p)
			ok, err := path.Match(p, c.ID)
			if err != nil {
				return nil, fmt.Errorf("conformance: --cases %q: %w", p, err)
			}
			if ok {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("conformance: --cases %q selects no case", patterns)
	}
	return out, nil
}

// Group is the part of the ID before the dash (INIT, COOKIE, ...).
func (c *Case) Group() string {
	g, _, _ := strings.Cut(c.ID, "-")
	return g
}
