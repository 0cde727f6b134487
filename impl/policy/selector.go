package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Selectors (RFC 4301 section 4.4.1.1): address ranges, the next layer
// protocol and "port" ranges, written in the local/remote convention
// (Selector) or the source/destination convention with a mirror flag (Flow),
// and the traffic selectors of IKEv2 (TS, RFC 7296 section 3.13.1) that
// carry them between peers.

// Direction is the way a packet crosses the IPsec boundary.
type Direction uint8

const (
	// Outbound packets come from the protected side (this host, or the
	// network behind this gateway): their source is the local end (RFC 4301
	// section 5.1).
	Outbound Direction = iota + 1
	// Inbound packets come from the unprotected side: their destination is
	// the local end (RFC 4301 section 5.2).
	Inbound
)

func (d Direction) String() string {
	switch d {
	case Outbound:
		return "outbound"
	case Inbound:
		return "inbound"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// IP protocol numbers the selectors treat specially.
const (
	ProtoICMP     = 1
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoDCCP     = 33
	ProtoESP      = 50
	ProtoAH       = 51
	ProtoICMPv6   = 58
	ProtoMH       = 135 // IPv6 Mobility Header
	ProtoSCTP     = 132
	ProtoUDPLite  = 136
	ProtoNoNextV6 = 59 // IPv6 No Next Header
)

var protoNames = map[uint8]string{
	ProtoICMP: "icmp", ProtoTCP: "tcp", ProtoUDP: "udp", ProtoDCCP: "dccp", ProtoESP: "esp",
	ProtoAH: "ah", ProtoICMPv6: "ipv6-icmp", ProtoMH: "mh", ProtoSCTP: "sctp", ProtoUDPLite: "udplite",
}

// protoString names an IP protocol; 0 is ANY ("*").
func protoString(p uint8) string {
	if p == 0 {
		return "*"
	}
	if n, ok := protoNames[p]; ok {
		return n
	}
	return fmt.Sprintf("proto(%d)", p)
}

// isICMP reports whether the protocol's one "port" is an ICMP type and code.
func isICMP(p uint8) bool { return p == ProtoICMP || p == ProtoICMPv6 }

// ---- address ranges ----

// AddrRange is an inclusive range of addresses of one family (RFC 4301
// section 4.4.1.1: "a range of addresses (low and high values,
// inclusive)"). A single address is the trivial range From == To.
type AddrRange struct {
	From, To netip.Addr
}

// RangeOf returns the range a prefix covers.
func RangeOf(p netip.Prefix) AddrRange {
	p = p.Masked()
	return AddrRange{p.Addr(), wire.LastAddr(p)}
}

// Host returns the trivial range of one address.
func Host(a netip.Addr) AddrRange { return AddrRange{a, a} }

// AnyAddrs returns ANY: every IPv4 and every IPv6 address. An empty list of
// ranges matches no address at all; ANY is always written out.
func AnyAddrs() []AddrRange {
	return []AddrRange{
		RangeOf(netip.PrefixFrom(netip.IPv4Unspecified(), 0)),
		RangeOf(netip.PrefixFrom(netip.IPv6Unspecified(), 0)),
	}
}

// valid: both ends set, one family, no zone, From <= To.
func (r AddrRange) valid() bool {
	return r.From.IsValid() && r.To.IsValid() && r.From.BitLen() == r.To.BitLen() &&
		r.From.Zone() == "" && r.To.Zone() == "" && r.From.Compare(r.To) <= 0
}

// Contains reports whether a lies in the range (same family, From <= a <= To).
func (r AddrRange) Contains(a netip.Addr) bool {
	return a.BitLen() == r.From.BitLen() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// intersect returns the common part of two ranges.
func (r AddrRange) intersect(o AddrRange) (AddrRange, bool) {
	if r.From.BitLen() != o.From.BitLen() {
		return AddrRange{}, false
	}
	out := AddrRange{r.From, r.To}
	if o.From.Compare(out.From) > 0 {
		out.From = o.From
	}
	if o.To.Compare(out.To) < 0 {
		out.To = o.To
	}
	return out, out.From.Compare(out.To) <= 0
}

// String renders a single address as itself, other ranges in CIDR
// notation when they are a prefix, as impl/wire renders a traffic
// selector's range.
func (r AddrRange) String() string {
	switch {
	case !r.valid():
		return fmt.Sprintf("invalid(%v..%v)", r.From, r.To)
	case r.From == r.To:
		return r.From.String()
	}
	return (&wire.Selector{Type: tsType(r.From), Start: r.From, End: r.To, EndPort: 0xffff}).String()
}

func tsType(a netip.Addr) wire.TSType {
	if a.Is4() {
		return wire.TS_IPV4_ADDR_RANGE
	}
	return wire.TS_IPV6_ADDR_RANGE
}

func inRanges(a netip.Addr, rs []AddrRange) bool {
	for _, r := range rs {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

func rangesString(rs []AddrRange) string {
	if slices.Equal(rs, AnyAddrs()) {
		return "*"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func validRanges(what string, rs []AddrRange) error {
	if len(rs) == 0 {
		return fmt.Errorf("no %s address range (write ANY as policy.AnyAddrs()): %w", what, ErrInvalid)
	}
	for _, r := range rs {
		if !r.valid() {
			return fmt.Errorf("%s address range %v..%v: %w", what, r.From, r.To, ErrInvalid)
		}
	}
	return nil
}

// ---- "ports" ----

type portKind uint8

const (
	portsAny portKind = iota
	portsRange
	portsOpaque
)

// Ports is a port selector of one side (RFC 4301 section 4.4.1.1): ANY (the
// zero value), an inclusive range, or OPAQUE. For ICMP and ICMPv6 the "port"
// is the 16-bit value type*256 + code and a range of them is tested as
// RFC4301-4.4.1.1-6 says; for the Mobility Header it is type*256.
//
// ANY matches every value and OPAQUE (RFC 4301 section 7.1: "ANY includes
// OPAQUE"); the full range 0-65535 is ANY (RFC7296-3.13.1-3). OPAQUE matches
// only a packet whose "port" is not available (a non-initial fragment, a
// protocol without ports). A range matches only available values, so a
// fragment without ports never matches it (RFC4301-4.4.1.1-5).
type Ports struct {
	kind     portKind
	from, to uint16
}

// AnyPorts is ANY, the zero Ports.
func AnyPorts() Ports { return Ports{} }

// OpaquePorts is OPAQUE.
func OpaquePorts() Ports { return Ports{kind: portsOpaque} }

// PortRange is the inclusive range from..to (0-65535 is ANY).
func PortRange(from, to uint16) Ports { return Ports{portsRange, from, to}.norm() }

// Port is the single port n.
func Port(n uint16) Ports { return PortRange(n, n) }

// ICMPType is one ICMP (or ICMPv6) type with any code.
func ICMPType(t uint8) Ports { return PortRange(uint16(t)<<8, uint16(t)<<8|0xff) }

// ICMPTypeCode is one ICMP (or ICMPv6) type and code.
func ICMPTypeCode(t, c uint8) Ports { return Port(uint16(t)<<8 | uint16(c)) }

// IsAny reports whether p is ANY.
func (p Ports) IsAny() bool { return p.norm().kind == portsAny }

// IsOpaque reports whether p is OPAQUE.
func (p Ports) IsOpaque() bool { return p.kind == portsOpaque }

// Range returns the inclusive range of a range selector; ok is false for
// ANY and OPAQUE.
func (p Ports) Range() (from, to uint16, ok bool) {
	p = p.norm()
	return p.from, p.to, p.kind == portsRange
}

func (p Ports) norm() Ports {
	if p.kind == portsRange && p.from == 0 && p.to == 0xffff {
		return Ports{}
	}
	return p
}

func (p Ports) valid() bool {
	return p.kind <= portsOpaque && (p.kind != portsRange || p.from <= p.to)
}

// TSRange returns the Start Port and End Port of a traffic selector for p:
// 0-65535 for ANY (RFC7296-3.13.1-3) and 65535-0 for OPAQUE
// (RFC7296-3.13.1-4).
func (p Ports) TSRange() (start, end uint16) {
	switch p = p.norm(); p.kind {
	case portsRange:
		return p.from, p.to
	case portsOpaque:
		return 0xffff, 0
	}
	return 0, 0xffff
}

// PortsFromTS reads a traffic selector's port range: 0-65535 is ANY,
// 65535-0 is OPAQUE (RFC7296-3.13.1-3, RFC7296-3.13.1-4), start <= end a
// range; any other start > end is invalid (ok false).
func PortsFromTS(start, end uint16) (p Ports, ok bool) {
	switch {
	case start == 0xffff && end == 0:
		return OpaquePorts(), true
	case start <= end:
		return PortRange(start, end), true
	}
	return Ports{}, false
}

// intersect returns the values both selectors accept.
func (p Ports) intersect(o Ports) (Ports, bool) {
	p, o = p.norm(), o.norm()
	switch {
	case p.kind == portsAny:
		return o, true
	case o.kind == portsAny:
		return p, true
	case p.kind == portsOpaque || o.kind == portsOpaque:
		return p, p.kind == o.kind
	}
	r := PortRange(max(p.from, o.from), min(p.to, o.to))
	return r, r.from <= r.to
}

// within reports whether every value p accepts, o accepts too.
func (p Ports) within(o Ports) bool {
	r, ok := p.intersect(o)
	return ok && r == p.norm()
}

// match tests a packet's port value.
func (p Ports) match(v portValue) bool {
	p = p.norm()
	switch {
	case v.kind == valueNone, p.kind == portsAny:
		return true
	case p.kind == portsOpaque:
		return v.kind == valueOpaque
	}
	return v.kind == valueNumber && p.from <= v.n && v.n <= p.to
}

func (p Ports) String() string {
	switch p = p.norm(); {
	case p.kind == portsAny:
		return "*"
	case p.kind == portsOpaque:
		return "OPAQUE"
	case p.from == p.to:
		return fmt.Sprint(p.from)
	case p.to == 0xffff:
		return fmt.Sprintf(">=%d", p.from)
	}
	return fmt.Sprintf("%d-%d", p.from, p.to)
}

// icmpString renders an ICMP "port" selector as types and codes.
func (p Ports) icmpString() string {
	from, to, ok := p.Range()
	switch {
	case !ok:
		return p.String()
	case from == to:
		return fmt.Sprintf("type %d code %d", from>>8, from&0xff)
	case from&0xff == 0 && to&0xff == 0xff && from>>8 == to>>8:
		return fmt.Sprintf("type %d", from>>8)
	}
	return fmt.Sprintf("type/code %d/%d-%d/%d", from>>8, from&0xff, to>>8, to&0xff)
}

// ---- packet "port" values ----

type valueKind uint8

const (
	valueNumber valueKind = iota
	valueOpaque           // the packet's "port" is not available: only ANY and OPAQUE match
	valueNone             // this side of an ICMP/MH packet has no "port": any selector value matches
)

type portValue struct {
	kind valueKind
	n    uint16
}

// ---- Selector: local/remote ----

// Selector is a set of selector values in the local/remote convention of
// RFC 4301 section 4.4.1.1: Local is the side this implementation protects
// (this host, or the network behind this gateway), Remote the other side.
// It applies to packets in both directions: an outbound packet's source is
// its local address, an inbound packet's destination is ("Representing
// Directionality in an SPD Entry", RFC 4301 section 4.4.1).
//
// Protocol 0 is ANY (RFC 4301 section 4.4.2.2, as IKEv2 writes it) and then
// both port selectors must be ANY (RFC4301-7.1-3). A packet matches when its
// protocol matches, its local and remote addresses lie in one of the Local
// and Remote ranges, and its local and remote "ports" match LocalPorts and
// RemotePorts. For ICMP, ICMPv6 and the Mobility Header the packet has one
// "port", the type (and code), on its sender's side: LocalPorts says which
// types this end may send and RemotePorts which it may receive (RFC 4301
// section 4.4.1.3, cases B to D); the receiver's side is not tested.
type Selector struct {
	Protocol    uint8
	Local       []AddrRange
	Remote      []AddrRange
	LocalPorts  Ports
	RemotePorts Ports
}

// Views returns the selector itself, for both directions.
func (s Selector) Views() []View { return []View{{Selector: s, Outbound: true, Inbound: true}} }

func (Selector) isMatch() {}

// Reverse swaps the local and remote sides: the selector as the peer sees
// it.
func (s Selector) Reverse() Selector {
	return Selector{Protocol: s.Protocol, Local: s.Remote, Remote: s.Local,
		LocalPorts: s.RemotePorts, RemotePorts: s.LocalPorts}
}

func (s Selector) validate() error {
	if err := validRanges("local", s.Local); err != nil {
		return err
	}
	if err := validRanges("remote", s.Remote); err != nil {
		return err
	}
	return validPorts(s.Protocol, s.LocalPorts, s.RemotePorts)
}

func validPorts(proto uint8, a, b Ports) error {
	if !a.valid() || !b.valid() {
		return fmt.Errorf("port range %v or %v is empty: %w", a, b, ErrInvalid)
	}
	// RFC4301-7.1-3: with ANY as the protocol the port fields are undefined
	// and MUST be ANY as well.
	if proto == 0 && (!a.IsAny() || !b.IsAny()) {
		return fmt.Errorf("ports %v and %v need a protocol: %w", a, b, ErrInvalid)
	}
	return nil
}

// Matches reports whether a packet travelling in direction d matches s.
func (s Selector) Matches(p Packet, d Direction) bool {
	if s.Protocol != 0 && s.Protocol != p.Protocol {
		return false
	}
	local, remote := p.Src, p.Dst
	lport, rport := p.srcValue(), p.dstValue()
	switch d {
	case Outbound:
	case Inbound:
		local, remote, lport, rport = remote, local, rport, lport
	default:
		return false
	}
	return inRanges(local, s.Local) && inRanges(remote, s.Remote) &&
		s.LocalPorts.match(lport) && s.RemotePorts.match(rport)
}

// TS returns the traffic selectors that describe s: one per address range
// of each side (RFC 7296 section 3.13.1).
func (s Selector) TS() (local, remote []TS) {
	return sideTS(s.Protocol, s.Local, s.LocalPorts), sideTS(s.Protocol, s.Remote, s.RemotePorts)
}

func sideTS(proto uint8, rs []AddrRange, p Ports) []TS {
	start, end := p.TSRange()
	out := make([]TS, 0, len(rs))
	for _, r := range rs {
		out = append(out, TS{Protocol: proto, Start: r.From, End: r.To, StartPort: start, EndPort: end})
	}
	return out
}

// String renders the selector as the seed's tables do:
// "udp 2.3.4.5[500] <-> 4.5.6.7[500]", "* 1.2.3.0/24 <-> 5.6.7.0/24".
func (s Selector) String() string {
	return fmt.Sprintf("%s %s <-> %s", protoString(s.Protocol),
		sideString(s.Protocol, s.Local, s.LocalPorts), sideString(s.Protocol, s.Remote, s.RemotePorts))
}

func sideString(proto uint8, rs []AddrRange, p Ports) string {
	switch {
	case p.IsAny():
		return rangesString(rs)
	case isICMP(proto):
		return rangesString(rs) + "[" + p.icmpString() + "]"
	}
	return rangesString(rs) + "[" + p.String() + "]"
}

// ---- Flow: source/destination with a mirror flag ----

// Flow is a set of selector values in the source/destination convention:
// it matches packets whose source lies in Src (with a "port" in SrcPorts)
// and whose destination lies in Dst (with a "port" in DstPorts), whichever
// way they cross the boundary. With Mirror set it also matches the reverse
// flow, from Dst to Src. For ICMP, SrcPorts holds the types the source may
// send (see Selector).
//
// In local/remote terms (Views): an outbound packet's source is local, an
// inbound packet's source is remote. So a Flow is the Selector
// {Local: Src, Remote: Dst} for outbound packets together with its Reverse
// for inbound packets; with Mirror, both selectors apply in both directions.
type Flow struct {
	Mirror   bool
	Protocol uint8
	Src      []AddrRange
	Dst      []AddrRange
	SrcPorts Ports
	DstPorts Ports
}

func (Flow) isMatch() {}

// Views returns the flow in local/remote terms (see Flow).
func (f Flow) Views() []View {
	fwd := Selector{Protocol: f.Protocol, Local: f.Src, Remote: f.Dst, LocalPorts: f.SrcPorts, RemotePorts: f.DstPorts}
	rev := fwd.Reverse()
	if !f.Mirror {
		return []View{{Selector: fwd, Outbound: true}, {Selector: rev, Inbound: true}}
	}
	if sameSelector(fwd, rev) {
		return []View{{Selector: fwd, Outbound: true, Inbound: true}}
	}
	return []View{{Selector: fwd, Outbound: true, Inbound: true}, {Selector: rev, Outbound: true, Inbound: true}}
}

func sameSelector(a, b Selector) bool {
	return a.Protocol == b.Protocol && slices.Equal(a.Local, b.Local) && slices.Equal(a.Remote, b.Remote) &&
		a.LocalPorts == b.LocalPorts && a.RemotePorts == b.RemotePorts
}

func (f Flow) validate() error {
	if err := validRanges("source", f.Src); err != nil {
		return err
	}
	if err := validRanges("destination", f.Dst); err != nil {
		return err
	}
	return validPorts(f.Protocol, f.SrcPorts, f.DstPorts)
}

// String renders the flow as the seed's mirrored table does:
// "mirror udp 2.3.4.5[500] -> 4.5.6.7[500]".
func (f Flow) String() string {
	m := ""
	if f.Mirror {
		m = "mirror "
	}
	return fmt.Sprintf("%s%s %s -> %s", m, protoString(f.Protocol),
		sideString(f.Protocol, f.Src, f.SrcPorts), sideString(f.Protocol, f.Dst, f.DstPorts))
}

// ---- Match and View ----

// Match is the selector part of an SPD entry, in one of the two
// conventions: a Selector (local/remote) or a Flow (source/destination with
// a mirror flag).
type Match interface {
	// Views returns the match in local/remote terms.
	Views() []View
	String() string
	validate() error
	isMatch()
}

// View is one local/remote selector of an SPD entry with the directions of
// the packets it applies to. A Selector is one view for both directions; a
// Flow is two (see Flow).
type View struct {
	Selector
	Outbound, Inbound bool
}

// Matches reports whether a packet travelling in direction d matches v.
func (v View) Matches(p Packet, d Direction) bool {
	return (d == Outbound && v.Outbound || d == Inbound && v.Inbound) && v.Selector.Matches(p, d)
}

// ---- traffic selectors (RFC 7296 section 3.13.1) ----

// TS is one traffic selector of type TS_IPV4_ADDR_RANGE or
// TS_IPV6_ADDR_RANGE (RFC 7296 section 3.13.1): an IP protocol (0: any), a
// port range (0-65535: ANY; 65535-0: OPAQUE) and an inclusive address
// range. impl/ike converts its own traffic selectors to and from TS.
type TS struct {
	Protocol           uint8
	StartPort, EndPort uint16
	Start, End         netip.Addr
}

func (t TS) String() string {
	return (&wire.Selector{Type: tsType(t.Start), IPProtocol: t.Protocol, StartPort: t.StartPort,
		EndPort: t.EndPort, Start: t.Start, End: t.End}).String()
}

// side reads a TS as a one-range selector side; ok is false for a TS that
// no policy may accept: an empty or mixed-family address range, an empty
// port range, or ports other than ANY with protocol 0 (RFC7296-3.13.1-1,
// RFC7296-3.13.1-2).
func (t TS) side() (r AddrRange, p Ports, ok bool) {
	r = AddrRange{t.Start, t.End}
	p, ok = PortsFromTS(t.StartPort, t.EndPort)
	return r, p, ok && r.valid() && (t.Protocol != 0 || p.IsAny())
}

// SelectorsFromTS returns the selectors of a Child SA negotiated with the
// traffic selectors local (this end's: TSi for the initiator, TSr for the
// responder) and remote: every pairing of one local and one remote TS of
// the same family and a common protocol (RFC 7296 section 2.9). impl/ike
// gives these to the SAD for both SAs of the pair.
func SelectorsFromTS(local, remote []TS) []Selector {
	var out []Selector
	for _, l := range local {
		lr, lp, ok := l.side()
		if !ok {
			continue
		}
		for _, r := range remote {
			rr, rp, ok := r.side()
			if !ok || lr.From.BitLen() != rr.From.BitLen() {
				continue
			}
			proto, ok := commonProto(l.Protocol, r.Protocol)
			if !ok {
				continue
			}
			out = append(out, Selector{Protocol: proto, Local: []AddrRange{lr}, Remote: []AddrRange{rr},
				LocalPorts: lp, RemotePorts: rp})
		}
	}
	return out
}

// commonProto intersects two protocol selectors (0 is ANY).
func commonProto(a, b uint8) (uint8, bool) {
	switch {
	case a == b, b == 0:
		return a, true
	case a == 0:
		return b, true
	}
	return 0, false
}

// ErrInvalid is wrapped by the errors for configuration that is not a valid
// SPD, SAD or PAD entry.
var ErrInvalid = errors.New("invalid")
