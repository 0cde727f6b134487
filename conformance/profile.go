package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Profile says what the IUT claims: how to reach and authenticate it, what
// it accepts, which features it implements. A case that needs a feature
// the profile does not list is SKIP. Profiles are JSON files (see
// conformance/profiles/); unknown fields are errors naming the field.
type Profile struct {
	Name string `json:"name"`
	// Roles the IUT can play: "responder" (the tester initiates) and/or
	// "initiator".
	Roles []Role `json:"roles"`
	// Auth methods the IUT accepts: "psk", "pubkey", "eap".
	Auth []string `json:"auth"`
	PSK  string   `json:"psk,omitempty"`
	// The identities: the tester's (IDi when it initiates) and the IUT's.
	TesterID string `json:"tester_id"`
	IUTID    string `json:"iut_id"`
	// IKE and ESP proposals the IUT accepts, in strongSwan's notation
	// ("aes256-sha256-ecp256", "aes128gcm16-prfsha256-x25519"); the first
	// is the one the tester offers by default.
	IKEProposals []string `json:"ike_proposals"`
	ESPProposals []string `json:"esp_proposals"`
	// KE groups the IUT accepts (IANA numbers), its preferred first.
	Groups []int `json:"groups"`
	// Traffic selectors of the tester's and the IUT's side ("198.51.100.1/32").
	TesterTS string `json:"tester_ts"`
	IUTTS    string `json:"iut_ts"`
	// Features the IUT implements: child (it installs Child SAs; without
	// it the cases that need one SKIP and the others use a childless IKE
	// SA), cookie-forced (it demands cookies always: see ForceCookies),
	// frag (RFC 7383), natt, transport, child-rekey, ike-rekey, liveness,
	// initial-contact, iut-trigger (Triggers make it act) ...
	Features []string `json:"features"`
	// ForceCookies: the IUT is configured to demand cookies always.
	ForceCookies bool `json:"force_cookies,omitempty"`
	// Retransmit: the IUT's first retransmission interval in seconds (for
	// cases that wait for it; default 4).
	Retransmit float64 `json:"retransmit_s,omitempty"`
	// Triggers are commands that make the IUT act toward the tester, for
	// the cases that need the IUT to send a request (feature
	// "iut-trigger"): "terminate" makes it delete the IKE SAs it holds with
	// the tester. Each is an argv, run with a 20 s limit.
	Triggers map[string][]string `json:"triggers,omitempty"`
	// Notes shown in the report.
	Notes string `json:"notes,omitempty"`
}

// Has reports whether the profile claims feature f.
func (p *Profile) Has(f string) bool { return slices.Contains(p.Features, f) }

// HasAuth reports whether the IUT accepts auth method m.
func (p *Profile) HasAuth(m string) bool { return slices.Contains(p.Auth, m) }

// HasRole reports whether the IUT can play r.
func (p *Profile) HasRole(r Role) bool { return slices.Contains(p.Roles, r) }

// ParseProfile reads a profile; name is used in errors.
func ParseProfile(name string, data []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("conformance: profile %s: %w", name, err)
	}
	var errs []string
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("conformance: profile %s: %s: %s", name, field, fmt.Sprintf(format, args...)))
	}
	if p.Name == "" {
		bad("name", "missing")
	}
	if len(p.Roles) == 0 {
		bad("roles", "missing (responder and/or initiator)")
	}
	for _, r := range p.Roles {
		if r != IUTResponder && r != IUTInitiator {
			bad("roles", "%q is not responder or initiator", r)
		}
	}
	for _, a := range p.Auth {
		if a != "psk" && a != "pubkey" && a != "eap" {
			bad("auth", "%q is not psk, pubkey or eap", a)
		}
	}
	if p.HasAuth("psk") && p.PSK == "" {
		bad("psk", "missing, but auth lists psk")
	}
	if p.TesterID == "" {
		bad("tester_id", "missing")
	}
	if p.IUTID == "" {
		bad("iut_id", "missing")
	}
	if len(p.IKEProposals) == 0 {
		bad("ike_proposals", "missing")
	}
	if len(p.ESPProposals) == 0 {
		bad("esp_proposals", "missing")
	}
	if len(p.Groups) == 0 {
		bad("groups", "missing")
	}
	if p.TesterTS == "" || p.IUTTS == "" {
		bad("tester_ts/iut_ts", "missing")
	}
	if p.Retransmit == 0 {
		p.Retransmit = 4
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return &p, nil
}

// ReadProfile reads a profile file.
func ReadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return ParseProfile(path, data)
}
