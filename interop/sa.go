package interop

import (
	"fmt"
	"slices"
	"strings"
)

// IKESA is one IKE SA as one end lists it, in strongSwan's notation
// (algorithm names as `swanctl --list-sas` prints them: AES_CBC-256,
// HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, ECP_256, CURVE_25519).
type IKESA struct {
	Name      string
	State     string // ESTABLISHED, CONNECTING, DELETING, ...
	Initiator bool   // this end initiated the IKE SA
	// SPIi and SPIr are the initiator's and responder's SPIs, 16 lower-case
	// hex digits.
	SPIi, SPIr        string
	Local, Remote     string // "address[:port]"
	LocalID, RemoteID string
	Encr              string // "AES_CBC-256", "AES_GCM_16-128"
	Integ             string // "" for AEAD ciphers
	PRF               string
	KE                string
	Children          []ChildSA
}

// ChildSA is one Child SA of an IKE SA.
type ChildSA struct {
	Name     string
	State    string // INSTALLED, ...
	Mode     string // TUNNEL, TRANSPORT
	Protocol string // ESP, AH
	UDPEncap bool   // ESP in UDP (RFC 3948)
	// SPIIn and SPIOut are 8 lower-case hex digits: SPIIn is the SPI this
	// end chose (the peer sends with it), SPIOut the peer's.
	SPIIn, SPIOut         string
	Encr, Integ           string
	LocalTS, RemoteTS     []string
	ESN                   bool   // Extended Sequence Numbers (RFC 4303 section 2.2.1)
	KE                    string // the PFS group of the Child SA's own key exchange ("ECP_256"), if any
	BytesIn, BytesOut     uint64
	PacketsIn, PacketsOut uint64
	// Drops are the refserver's per-SA drop counters (charon lists none).
	Drops ChildDrops
}

// ChildDrops are the inbound packets of a Child SA that the refserver's
// data plane dropped, by reason.
type ChildDrops struct {
	Replay, ICV, Selector, Malformed uint64
}

func (s IKESA) String() string {
	role := "responder"
	if s.Initiator {
		role = "initiator"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s_i %s_r %s<->%s %q<->%q %s/%s/%s/%s",
		s.Name, s.State, role, s.SPIi, s.SPIr, s.Local, s.Remote, s.LocalID, s.RemoteID,
		s.Encr, s.Integ, s.PRF, s.KE)
	for _, c := range s.Children {
		encap := ""
		if c.UDPEncap {
			encap = "-in-UDP"
		}
		fmt.Fprintf(&b, "; child %s %s %s%s %s in %s out %s %s/%s %v === %v",
			c.Name, c.State, c.Mode, encap, c.Protocol, c.SPIIn, c.SPIOut, c.Encr, c.Integ, c.LocalTS, c.RemoteTS)
	}
	return b.String()
}

// algAliases maps the spellings that either end may use to one canonical
// spelling. Keys and values are in canonical form already (see canonAlg).
var algAliases = map[string]string{
	"X25519":          "CURVE25519",
	"X448":            "CURVE448",
	"NONE":            "",
	"AUTHNONE":        "",
	"ENCRAESCBC128":   "AESCBC128",
	"ENCRAESCBC256":   "AESCBC256",
	"ENCRAESGCM16128": "AESGCM16128",
	"ENCRAESGCM16256": "AESGCM16256",
}

// canonAlg reduces an algorithm name to a form in which strongSwan's
// spelling and a close variant compare equal: upper case, without '_', '-',
// '/' and spaces, with known aliases folded ("X25519" = "CURVE_25519",
// "NONE" = "" for the integrity of AEAD ciphers).
func canonAlg(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer("_", "", "-", "", "/", "", " ", "").Replace(s)
	if a, ok := algAliases[s]; ok {
		return a
	}
	return s
}

// canonPRF also accepts a PRF named without strongSwan's "PRF_" prefix.
func canonPRF(s string) string {
	c := canonAlg(s)
	if c != "" && !strings.HasPrefix(c, "PRF") {
		c = "PRF" + c
	}
	return c
}

// SameAlg reports whether two spellings name the same algorithm.
func SameAlg(a, b string) bool { return canonAlg(a) == canonAlg(b) }

// Want is what a scenario expects of an established IKE SA, in strongSwan's
// notation; empty fields are not checked.
type Want struct {
	Encr, Integ, PRF, KE  string
	ChildEncr, ChildInteg string
	// NoInteg says that Integ (and ChildInteg) must be empty: AEAD ciphers.
	NoInteg bool
}

// CompareEnds checks that two ends list the same IKE SA with one Child SA,
// both ESTABLISHED with matching SPIs, algorithms, roles and traffic
// selectors, the Child SA in tunnel mode and UDP-encapsulated (RFC 3948:
// charon's kernel-libipsec forces NAT-T). It returns every difference
// found, or nil. a and b are named in the messages by aName and bName.
func CompareEnds(aName string, a IKESA, bName string, b IKESA, want Want) []string {
	var d []string
	bad := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	for _, e := range []struct {
		n string
		s IKESA
	}{{aName, a}, {bName, b}} {
		if e.s.State != "ESTABLISHED" {
			bad("%s: IKE SA state %q, want ESTABLISHED", e.n, e.s.State)
		}
	}
	if a.Initiator == b.Initiator {
		bad("both ends say initiator=%v", a.Initiator)
	}
	if !strings.EqualFold(a.SPIi, b.SPIi) || !strings.EqualFold(a.SPIr, b.SPIr) || len(a.SPIi) != 16 || len(a.SPIr) != 16 {
		bad("IKE SPIs differ: %s has %s_i %s_r, %s has %s_i %s_r", aName, a.SPIi, a.SPIr, bName, b.SPIi, b.SPIr)
	}
	if a.LocalID != "" && b.RemoteID != "" && a.LocalID != b.RemoteID {
		bad("%s local id %q but %s remote id %q", aName, a.LocalID, bName, b.RemoteID)
	}
	if b.LocalID != "" && a.RemoteID != "" && b.LocalID != a.RemoteID {
		bad("%s local id %q but %s remote id %q", bName, b.LocalID, aName, a.RemoteID)
	}
	algs := []struct {
		what   string
		x, y   string
		wanted string
		canon  func(string) string
	}{
		{"IKE encryption", a.Encr, b.Encr, want.Encr, canonAlg},
		{"IKE integrity", a.Integ, b.Integ, want.Integ, canonAlg},
		{"IKE PRF", a.PRF, b.PRF, want.PRF, canonPRF},
		{"IKE key exchange", a.KE, b.KE, want.KE, canonAlg},
	}
	for _, al := range algs {
		if al.canon(al.x) != al.canon(al.y) {
			bad("%s differs: %s %q, %s %q", al.what, aName, al.x, bName, al.y)
		}
		if al.wanted != "" && al.canon(al.x) != al.canon(al.wanted) {
			bad("%s: %s has %q, want %q", al.what, aName, al.x, al.wanted)
		}
	}
	if want.NoInteg && (canonAlg(a.Integ) != "" || canonAlg(b.Integ) != "") {
		bad("IKE integrity with an AEAD cipher: %s %q, %s %q", aName, a.Integ, bName, b.Integ)
	}
	if len(a.Children) != 1 || len(b.Children) != 1 {
		bad("want one Child SA on each end: %s has %d, %s has %d", aName, len(a.Children), bName, len(b.Children))
		return d
	}
	ca, cb := a.Children[0], b.Children[0]
	if !strings.EqualFold(ca.SPIIn, cb.SPIOut) || !strings.EqualFold(ca.SPIOut, cb.SPIIn) || len(ca.SPIIn) != 8 || len(ca.SPIOut) != 8 {
		bad("Child SA SPIs do not pair: %s in %s out %s, %s in %s out %s", aName, ca.SPIIn, ca.SPIOut, bName, cb.SPIIn, cb.SPIOut)
	}
	for _, e := range []struct {
		n string
		c ChildSA
	}{{aName, ca}, {bName, cb}} {
		if !slices.Contains([]string{"INSTALLED", "ESTABLISHED"}, strings.ToUpper(e.c.State)) {
			bad("%s: Child SA state %q, want INSTALLED", e.n, e.c.State)
		}
		if !strings.EqualFold(e.c.Mode, "TUNNEL") {
			bad("%s: Child SA mode %q, want TUNNEL", e.n, e.c.Mode)
		}
		if e.c.Protocol != "" && !strings.EqualFold(e.c.Protocol, "ESP") {
			bad("%s: Child SA protocol %q, want ESP", e.n, e.c.Protocol)
		}
		if !e.c.UDPEncap {
			bad("%s: Child SA not UDP-encapsulated (charon with kernel-libipsec forces NAT-T)", e.n)
		}
	}
	for _, al := range []struct {
		what, x, y, wanted string
	}{
		{"ESP encryption", ca.Encr, cb.Encr, want.ChildEncr},
		{"ESP integrity", ca.Integ, cb.Integ, want.ChildInteg},
	} {
		if canonAlg(al.x) != canonAlg(al.y) {
			bad("%s differs: %s %q, %s %q", al.what, aName, al.x, bName, al.y)
		}
		if al.wanted != "" && canonAlg(al.x) != canonAlg(al.wanted) {
			bad("%s: %s has %q, want %q", al.what, aName, al.x, al.wanted)
		}
	}
	if want.NoInteg && (canonAlg(ca.Integ) != "" || canonAlg(cb.Integ) != "") {
		bad("ESP integrity with an AEAD cipher: %s %q, %s %q", aName, ca.Integ, bName, cb.Integ)
	}
	if !slices.Equal(ca.LocalTS, cb.RemoteTS) || !slices.Equal(ca.RemoteTS, cb.LocalTS) {
		bad("traffic selectors do not mirror: %s %v === %v, %s %v === %v", aName, ca.LocalTS, ca.RemoteTS, bName, cb.LocalTS, cb.RemoteTS)
	}
	return d
}
