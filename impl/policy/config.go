package policy

import "fmt"

// Config is the policy of one IPsec context (RFC 4301 section 4.4): its SPD
// entries in order and its PAD entries in order. impl/ike builds one from
// its own configuration (see the package documentation).
type Config struct {
	SPD []Entry
	PAD []PADEntry
}

// Databases are the SPD, SAD and PAD of one IPsec context; the SAD links its
// SAs to entries of this SPD.
type Databases struct {
	SPD *SPD
	SAD *SAD
	PAD *PAD
}

// New builds the databases of c, with an empty SAD. Besides each entry's own
// checks, every SPD entry a PAD entry names in Children must be a PROTECT
// entry: the PAD and SPD are coordinated (RFC 4301 section 4.4.3.1).
func New(c Config) (*Databases, error) {
	spd, err := NewSPD(c.SPD...)
	if err != nil {
		return nil, err
	}
	pad, err := NewPAD(c.PAD...)
	if err != nil {
		return nil, err
	}
	for _, pe := range c.PAD {
		for _, name := range pe.Children {
			if len(spd.protectEntries([]string{name})) == 0 {
				return nil, fmt.Errorf("pad: entry %q: child %q is not a PROTECT entry of the SPD: %w", pe.Name, name, ErrNoEntry)
			}
		}
	}
	return &Databases{SPD: spd, SAD: NewSAD(spd), PAD: pad}, nil
}
