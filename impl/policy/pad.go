package policy

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The Peer Authorization Database (RFC 4301 section 4.4.3): which
// authenticated identities may use which IKE peer addresses and ask for
// which Child SA traffic, and the narrowing of a peer's traffic selectors to
// what it is authorized for (RFC 4301 section 4.4.3.4, RFC 7296 section
// 2.9).

// Identity is an IKE identity: the ID Type and the data of an IDi or IDr
// payload (RFC 7296 section 3.5). It has impl/ike's Identity layout, so
// policy.Identity(id) converts one.
type Identity struct {
	Type wire.IDType
	Data []byte
}

func (id Identity) String() string {
	switch id.Type {
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		if a, ok := netip.AddrFromSlice(id.Data); ok {
			return a.String()
		}
	case wire.ID_FQDN, wire.ID_RFC822_ADDR:
		return string(id.Data)
	case wire.ID_DER_ASN1_DN:
		if dn, ok := parseDN(id.Data); ok {
			return dn.String()
		}
	}
	return fmt.Sprintf("%v:%s", id.Type, hex.EncodeToString(id.Data))
}

// IDMatch is the ID field of a PAD entry with its matching rule (RFC 4301
// section 4.4.3.1). Set Any, or Type and the field that type uses:
//
//   - ID_FQDN, Name: "gw.example.com" matches that name, ".example.com"
//     every name that ends in ".example.com" (sub-tree, RFC4301-4.4.3.1-1).
//     Case is ignored and a trailing dot too.
//   - ID_RFC822_ADDR, Name: "user@example.com" matches that address (the
//     domain's case ignored), "@example.com" every address at example.com
//     and "@.example.com" every address at a domain ending in
//     ".example.com" (sub-tree).
//   - ID_DER_ASN1_DN, Data: the DER of an RDNSequence; it matches every DN
//     that begins with these RDNs ("C=US, ST=MA" matches all DNs whose
//     first two RDNs are those: sub-tree), attribute values compared
//     exactly.
//   - ID_IPV4_ADDR, ID_IPV6_ADDR, Addrs: address ranges, as in the SPD
//     (RFC4301-4.4.3.1-3).
//   - ID_KEY_ID and every other type, Data: exact match of the octets
//     (RFC4301-4.4.3.1-4).
type IDMatch struct {
	Any   bool
	Type  wire.IDType
	Name  string
	Data  []byte
	Addrs []AddrRange
}

func (m IDMatch) String() string {
	switch {
	case m.Any:
		return "%any"
	case m.Type == wire.ID_IPV4_ADDR || m.Type == wire.ID_IPV6_ADDR:
		return fmt.Sprintf("%v:%s", m.Type, rangesString(m.Addrs))
	case m.Type == wire.ID_FQDN || m.Type == wire.ID_RFC822_ADDR:
		return fmt.Sprintf("%v:%s", m.Type, m.Name)
	}
	return Identity{m.Type, m.Data}.String()
}

func (m IDMatch) validate() error {
	zeroExcept := func(name, data, addrs bool) bool {
		return (name || m.Name == "") && (data || len(m.Data) == 0) && (addrs || len(m.Addrs) == 0)
	}
	ok := false
	switch {
	case m.Any:
		ok = m.Type == 0 && zeroExcept(false, false, false)
	case m.Type == wire.ID_IPV4_ADDR || m.Type == wire.ID_IPV6_ADDR:
		ok = zeroExcept(false, false, true) && validRanges("identity", m.Addrs) == nil
		for _, r := range m.Addrs {
			ok = ok && r.From.Is4() == (m.Type == wire.ID_IPV4_ADDR)
		}
	case m.Type == wire.ID_FQDN || m.Type == wire.ID_RFC822_ADDR:
		ok = zeroExcept(true, false, false) && strings.Trim(m.Name, ".@") != ""
	case m.Type == wire.ID_DER_ASN1_DN:
		dn, parsed := parseDN(m.Data)
		ok = zeroExcept(false, true, false) && parsed && len(dn) > 0
	case m.Type == wire.ID_NULL:
		ok = zeroExcept(false, false, false)
	case m.Type != 0:
		ok = zeroExcept(false, true, false) && len(m.Data) > 0
	}
	if !ok {
		return fmt.Errorf("identity %v: %w", m, ErrInvalid)
	}
	return nil
}

// Matches reports whether the identity id matches m.
func (m IDMatch) Matches(id Identity) bool {
	switch {
	case m.Any:
		return true
	case id.Type != m.Type:
		return false
	}
	switch m.Type {
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		a, ok := netip.AddrFromSlice(id.Data)
		return ok && a.Is4() == (m.Type == wire.ID_IPV4_ADDR) && inRanges(a, m.Addrs)
	case wire.ID_FQDN:
		return matchDNS(m.Name, string(id.Data))
	case wire.ID_RFC822_ADDR:
		return matchEmail(m.Name, string(id.Data))
	case wire.ID_DER_ASN1_DN:
		return matchDN(m.Data, id.Data)
	}
	return bytes.Equal(m.Data, id.Data)
}

// matchDNS: exact or, with a leading dot, sub-tree; case-insensitive.
func matchDNS(pattern, name string) bool {
	pattern, name = strings.TrimSuffix(pattern, "."), strings.TrimSuffix(name, ".")
	if strings.HasPrefix(pattern, ".") {
		return len(name) > len(pattern) && strings.EqualFold(name[len(name)-len(pattern):], pattern)
	}
	return strings.EqualFold(pattern, name)
}

// matchEmail: "user@dom" exactly, "@dom" every user at dom, "@.dom" every
// user at a sub-domain of dom.
func matchEmail(pattern, addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	user, domain := addr[:at], addr[at+1:]
	if d, ok := strings.CutPrefix(pattern, "@"); ok {
		return matchDNS(d, domain)
	}
	pat := strings.LastIndexByte(pattern, '@')
	return pat >= 0 && pattern[:pat] == user && matchDNS(pattern[pat+1:], domain)
}

func parseDN(der []byte) (pkix.RDNSequence, bool) {
	var dn pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &dn)
	return dn, err == nil && len(rest) == 0
}

// matchDN: id's DN begins with the RDNs of pattern.
func matchDN(pattern, id []byte) bool {
	p, ok1 := parseDN(pattern)
	d, ok2 := parseDN(id)
	if !ok1 || !ok2 || len(p) > len(d) {
		return false
	}
	for i, rdn := range p {
		if len(rdn) != len(d[i]) {
			return false
		}
		for _, atv := range rdn {
			if !slices.ContainsFunc(d[i], func(o pkix.AttributeTypeAndValue) bool {
				return o.Type.Equal(atv.Type) && reflect.DeepEqual(o.Value, atv.Value)
			}) {
				return false
			}
		}
	}
	return true
}

// PADEntry is one PAD entry (RFC 4301 sections 4.4.3.1 to 4.4.3.3).
type PADEntry struct {
	Name string
	// ID selects the peers the entry is for; entries are tried in order
	// and the first whose ID matches is the peer's entry (RFC 4301 section
	// 4.4.3.1: the PAD is ordered).
	ID IDMatch
	// Auth lists the AUTH payload methods (RFC 7296 section 3.8) the peer
	// may authenticate with (RFC 4301 section 4.4.3.2). The secrets and
	// trust anchors themselves stay with impl/ike and impl/auth.
	Auth []wire.AuthMethod
	// PeerAddrs are the addresses the peer's IKE messages may come from: its
	// gateway addresses (RFC 4301 section 4.4.3, "peer gateway location
	// info"). Write ANY as AnyAddrs().
	PeerAddrs []AddrRange
	// Children names the SPD PROTECT entries the peer may create Child SAs
	// for, and RemoteAddrs the addresses it may stand for in its traffic
	// selectors, IPv4 and IPv6 (RFC 4301 section 4.4.3.3,
	// RFC4301-4.4.3.3-1). An entry without Children authorizes IKE SAs only.
	Children    []string
	RemoteAddrs []AddrRange
}

func (e PADEntry) validate() error {
	if e.Name == "" {
		return fmt.Errorf("pad: entry without a name: %w", ErrInvalid)
	}
	if err := e.ID.validate(); err != nil {
		return fmt.Errorf("pad: entry %q: %w", e.Name, err)
	}
	if len(e.Auth) == 0 {
		return fmt.Errorf("pad: entry %q: no authentication method: %w", e.Name, ErrInvalid)
	}
	if err := validRanges("peer", e.PeerAddrs); err != nil {
		return fmt.Errorf("pad: entry %q: %w", e.Name, err)
	}
	if len(e.Children) > 0 {
		if err := validRanges("child SA remote", e.RemoteAddrs); err != nil {
			return fmt.Errorf("pad: entry %q: %w", e.Name, err)
		}
	}
	return nil
}

func (e PADEntry) clone() PADEntry {
	e.ID.Data, e.ID.Addrs = slices.Clone(e.ID.Data), slices.Clone(e.ID.Addrs)
	e.Auth, e.PeerAddrs = slices.Clone(e.Auth), slices.Clone(e.PeerAddrs)
	e.Children, e.RemoteAddrs = slices.Clone(e.Children), slices.Clone(e.RemoteAddrs)
	return e
}

// PAD is a Peer Authorization Database: an ordered list of entries. A PAD
// does not change once built (to change it, build another), so it is safe
// for concurrent use.
type PAD struct {
	entries []PADEntry
}

// Errors of the PAD. impl/ike answers ErrUnknownPeer, ErrAuthMethod and
// ErrPeerAddress with AUTHENTICATION_FAILED, and ErrTSUnacceptable with
// TS_UNACCEPTABLE.
var (
	ErrUnknownPeer    = errors.New("no PAD entry for the identity")
	ErrAuthMethod     = errors.New("authentication method not allowed for the identity")
	ErrPeerAddress    = errors.New("IKE peer address not allowed for the identity")
	ErrTSUnacceptable = errors.New("no acceptable traffic selectors")
)

// NewPAD returns a PAD holding copies of entries, in order.
func NewPAD(entries ...PADEntry) (*PAD, error) {
	p := &PAD{}
	for _, e := range entries {
		if err := e.validate(); err != nil {
			return nil, err
		}
		p.entries = append(p.entries, e.clone())
	}
	return p, nil
}

// Entries returns copies of the entries in order.
func (p *PAD) Entries() []PADEntry {
	out := make([]PADEntry, len(p.entries))
	for i, e := range p.entries {
		out[i] = e.clone()
	}
	return out
}

// Lookup returns the first entry whose ID matches id (RFC 4301 section
// 4.4.3.4: the asserted ID locates the PAD entry).
func (p *PAD) Lookup(id Identity) (PADEntry, bool) {
	for _, e := range p.entries {
		if e.ID.Matches(id) {
			return e.clone(), true
		}
	}
	return PADEntry{}, false
}

// Authorize is the IKE engine's check of an authenticated peer (RFC 4301
// section 4.4.3.4): the entry its identity locates must allow the AUTH
// method the peer used and the address its IKE messages come from. It
// returns that entry.
func (p *PAD) Authorize(id Identity, method wire.AuthMethod, peer netip.Addr) (PADEntry, error) {
	e, ok := p.Lookup(id)
	switch {
	case !ok:
		return PADEntry{}, fmt.Errorf("pad: %v: %w", id, ErrUnknownPeer)
	case !slices.Contains(e.Auth, method):
		return PADEntry{}, fmt.Errorf("pad: %v (entry %q): %v: %w", id, e.Name, method, ErrAuthMethod)
	case !inRanges(peer.Unmap(), e.PeerAddrs):
		return PADEntry{}, fmt.Errorf("pad: %v (entry %q): %v: %w", id, e.Name, peer, ErrPeerAddress)
	}
	return e, nil
}

// Narrowed is the traffic of a Child SA as this end's policy accepts it.
type Narrowed struct {
	// Entry is the SPD PROTECT entry that will govern the SA pair, ESP its
	// mode and peer.
	Entry string
	ESP   ESP
	// Local and Remote are the accepted traffic selectors: this end's and
	// the peer's (a responder answers TSi = Remote, TSr = Local).
	Local, Remote []TS
	// Selectors are SelectorsFromTS(Local, Remote), for the SAD.
	Selectors []Selector
}

// Narrow decides which part of the traffic proposed for a Child SA an
// authenticated peer may have (RFC 4301 section 4.4.3.4, RFC 7296 section
// 2.9). local and remote are the proposal in this end's terms: a responder
// passes local = TSr and remote = TSi. The peer's PAD entry names the SPD
// PROTECT entries it may use and the remote addresses it may stand for;
// the proposal is intersected with one local/remote view of one of those
// entries (one Child SA has one entry and one mode), its remote side also
// with the entry's RemoteAddrs. The entry and view are chosen in SPD order:
// first one that accepts the first TS of each list whole, so that the
// narrowed selectors include the initiator's first choices
// (RFC7296-2.9-2); otherwise the first whose intersection is not empty
// (RFC7296-2.9-4: narrow rather than refuse). Traffic selectors of an
// unusable form (RFC7296-3.13.1-1, RFC7296-3.13.1-2) are ignored. With no
// acceptable part the error wraps ErrTSUnacceptable.
//
// An initiator checks a responder's answer with the same call (local =
// TSi, remote = TSr of the answer): it may accept the answer if Narrow
// returns it unchanged.
//
// The narrowed traffic may still overlap earlier SPD entries (the SPD is
// not decorrelated); SAD.CheckInbound applies the ordered search to what
// arrives on the SA.
func (p *PAD) Narrow(spd *SPD, peer Identity, local, remote []TS) (Narrowed, error) {
	pe, ok := p.Lookup(peer)
	if !ok {
		return Narrowed{}, fmt.Errorf("pad: %v: %w", peer, ErrUnknownPeer)
	}
	var entries []Entry
	if spd != nil {
		entries = spd.protectEntries(pe.Children)
	}
	if len(local) > 0 && len(remote) > 0 {
		for _, e := range entries {
			for _, v := range e.Match.Views() {
				if n, ok := narrowView(e, v, local[:1], remote[:1], pe.RemoteAddrs); ok &&
					slices.Equal(n.Local, local[:1]) && slices.Equal(n.Remote, remote[:1]) {
					n, _ = narrowView(e, v, local, remote, pe.RemoteAddrs)
					return n, nil
				}
			}
		}
	}
	for _, e := range entries {
		for _, v := range e.Match.Views() {
			if n, ok := narrowView(e, v, local, remote, pe.RemoteAddrs); ok {
				return n, nil
			}
		}
	}
	return Narrowed{}, fmt.Errorf("pad: %v (entry %q): local %v, remote %v: %w", peer, pe.Name, local, remote, ErrTSUnacceptable)
}

// narrowView intersects a proposal with one view of a PROTECT entry, the
// remote side also with the addresses the peer may stand for.
func narrowView(e Entry, v View, local, remote []TS, allowed []AddrRange) (Narrowed, bool) {
	var l, r []TS
	for _, t := range local {
		for _, rg := range v.Local {
			if x, ok := intersectTS(t, v.Protocol, rg, v.LocalPorts); ok && !slices.Contains(l, x) {
				l = append(l, x)
			}
		}
	}
	for _, t := range remote {
		for _, rg := range v.Remote {
			for _, a := range allowed {
				if rg, ok := rg.intersect(a); ok {
					if x, ok := intersectTS(t, v.Protocol, rg, v.RemotePorts); ok && !slices.Contains(r, x) {
						r = append(r, x)
					}
				}
			}
		}
	}
	// Keep the selectors that pair with one of the other side: a TS
	// whose family or protocol nothing opposite shares carries no traffic.
	l = slices.DeleteFunc(l, func(t TS) bool { return len(SelectorsFromTS([]TS{t}, r)) == 0 })
	r = slices.DeleteFunc(r, func(t TS) bool { return len(SelectorsFromTS(l, []TS{t})) == 0 })
	if len(l) == 0 || len(r) == 0 {
		return Narrowed{}, false
	}
	return Narrowed{Entry: e.Name, ESP: e.ESP, Local: l, Remote: r, Selectors: SelectorsFromTS(l, r)}, true
}

// intersectTS narrows a proposed traffic selector to one side of a
// selector: protocol, address range and ports.
func intersectTS(t TS, proto uint8, rg AddrRange, ports Ports) (TS, bool) {
	tr, tp, ok := t.side()
	if !ok {
		return TS{}, false
	}
	ar, ok := tr.intersect(rg)
	if !ok {
		return TS{}, false
	}
	pr, ok := commonProto(t.Protocol, proto)
	if !ok {
		return TS{}, false
	}
	pp, ok := tp.intersect(ports)
	if !ok {
		return TS{}, false
	}
	start, end := pp.TSRange()
	return TS{Protocol: pr, StartPort: start, EndPort: end, Start: ar.From, End: ar.To}, true
}
