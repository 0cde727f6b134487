package swanctl

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// This file reads the values of swanctl.conf keys: lists, addresses,
// traffic selectors, durations, ports and pre-shared keys.

// splitList splits a comma-separated list, trimming blanks and skipping
// empty items (strongSwan's enumerator_create_token(value, ",", " ")).
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// looksLikeHostname reports whether s could only be a DNS name.
func looksLikeHostname(s string) bool {
	if strings.Trim(s, "0123456789.-") == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// parseAddrs reads local_addrs or remote_addrs: addresses, CIDR prefixes,
// %any (no constraint: an empty list), %any4 and %any6. Hostnames are
// refused: the engine never resolves names.
func parseAddrs(v string) ([]netip.Prefix, error) {
	items := splitList(v)
	var out []netip.Prefix
	for _, s := range items {
		switch s {
		case "%any":
			if len(items) > 1 {
				return nil, errors.New("%any cannot be combined with other addresses")
			}
			return nil, nil
		case "%any4":
			out = append(out, netip.PrefixFrom(netip.IPv4Unspecified(), 0))
			continue
		case "%any6":
			out = append(out, netip.PrefixFrom(netip.IPv6Unspecified(), 0))
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			if a.Zone() != "" {
				return nil, fmt.Errorf("%q: addresses with a zone are not supported", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if looksLikeHostname(s) {
			return nil, fmt.Errorf("%q: hostnames are not supported (ikev2ref does not resolve names): give an address or a prefix", s)
		}
		return nil, fmt.Errorf("%q is not an address, a CIDR prefix or %%any", s)
	}
	return out, nil
}

// ipProtocols are the protocol names a traffic selector may use.
var ipProtocols = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "sctp": 132}

// portProtocols have ports (RFC 7296 section 3.13.1: for the others "port
// is undefined").
var portProtocols = map[uint8]bool{6: true, 17: true, 33: true, 132: true, 136: true}

// anyTS is the selector of every address of one family, any protocol, any
// port.
func anyTS(v6 bool) ike.TrafficSelector {
	p := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if v6 {
		p = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return ike.TrafficSelector{Start: p.Addr(), End: wire.LastAddr(p), EndPort: 0xffff}
}

// parseTS reads local_ts or remote_ts: a comma-separated list of
// "dynamic", %any (0.0.0.0/0 and ::/0), %any4, %any6, CIDR prefixes,
// addresses and ranges "a-b", each with an optional strongSwan
// protocol/port suffix: "[tcp]", "[tcp/80]", "[6/1000-2000]", "[udp/%any]".
func parseTS(v string) ([]ike.TrafficSelector, error) {
	var out []ike.TrafficSelector
	for _, item := range splitList(v) {
		ts, err := parseOneTS(item)
		if err != nil {
			return nil, fmt.Errorf("traffic selector %q: %w", item, err)
		}
		out = append(out, ts...)
	}
	if len(out) == 0 {
		return nil, errors.New("no traffic selector")
	}
	return out, nil
}

func parseOneTS(s string) ([]ike.TrafficSelector, error) {
	addr, suffix, hasSuffix := strings.Cut(s, "[")
	addr = strings.TrimSpace(addr)
	proto, lo, hi := uint8(0), uint16(0), uint16(0xffff)
	if hasSuffix {
		inner, ok := strings.CutSuffix(suffix, "]")
		if !ok {
			return nil, errors.New(`"[" without a closing "]"`)
		}
		var err error
		if proto, lo, hi, err = parseProtoPorts(inner); err != nil {
			return nil, err
		}
	}
	with := func(ts ...ike.TrafficSelector) []ike.TrafficSelector {
		for i := range ts {
			ts[i].Protocol, ts[i].StartPort, ts[i].EndPort = proto, lo, hi
		}
		return ts
	}
	switch addr {
	case "dynamic":
		return with(ike.TrafficSelector{Dynamic: true}), nil
	case "%any":
		return with(anyTS(false), anyTS(true)), nil
	case "%any4":
		return with(anyTS(false)), nil
	case "%any6":
		return with(anyTS(true)), nil
	}
	if from, to, ok := strings.Cut(addr, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return nil, fmt.Errorf("range start: %w", err)
		}
		b, err := netip.ParseAddr(strings.TrimSpace(to))
		if err != nil {
			return nil, fmt.Errorf("range end: %w", err)
		}
		switch {
		case a.Is4() != b.Is4():
			return nil, errors.New("a range must not mix IPv4 and IPv6")
		case a.Compare(b) > 0:
			return nil, errors.New("the range ends before it starts")
		case a.Zone() != "" || b.Zone() != "":
			return nil, errors.New("addresses with a zone are not supported")
		}
		return with(ike.TrafficSelector{Start: a, End: b}), nil
	}
	if p, err := netip.ParsePrefix(addr); err == nil {
		return with(ike.TrafficSelector{Start: p.Masked().Addr(), End: wire.LastAddr(p)}), nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if looksLikeHostname(addr) {
			return nil, errors.New("hostnames are not supported: give an address, a prefix or a range")
		}
		return nil, errors.New("not an address, a CIDR prefix, a range, dynamic or %any")
	}
	if a.Zone() != "" {
		return nil, errors.New("addresses with a zone are not supported")
	}
	return with(ike.TrafficSelector{Start: a, End: a}), nil
}

// parseProtoPorts reads the inside of a "[proto/ports]" suffix.
func parseProtoPorts(s string) (proto uint8, lo, hi uint16, err error) {
	p, ports, hasPorts := strings.Cut(s, "/")
	switch n, named := ipProtocols[p]; {
	case p == "%any":
	case named:
		proto = n
	default:
		v, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("unknown protocol %q (tcp, udp, icmp, ipv6-icmp, sctp, %%any or a number up to 255)", p)
		}
		proto = uint8(v)
	}
	if !hasPorts || ports == "%any" {
		return proto, 0, 0xffff, nil
	}
	switch {
	case proto == 1 || proto == 58:
		return 0, 0, 0, errors.New("ICMP type and code selectors are not supported: use [icmp] or [ipv6-icmp] for all messages")
	case !portProtocols[proto]:
		// RFC7296-3.13.1-1, RFC7296-3.13.1-2: "For protocols for which
		// port is undefined (including protocol 0) ... this field MUST
		// be zero" (Start Port) and 65535 (End Port).
		return 0, 0, 0, fmt.Errorf("protocol %s has no ports: a selector for it covers ports 0-65535 (RFC 7296 section 3.13.1)", p)
	case ports == "%opaque":
		return 0, 0, 0, errors.New("OPAQUE ports are not supported")
	}
	from, to, isRange := strings.Cut(ports, "-")
	a, err := strconv.ParseUint(from, 10, 16)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("port %q is not a number from 0 to 65535 (names are not looked up)", from)
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(to, 10, 16); err != nil {
			return 0, 0, 0, fmt.Errorf("port %q is not a number from 0 to 65535 (names are not looked up)", to)
		}
		if a > b {
			return 0, 0, 0, fmt.Errorf("port range %s ends before it starts", ports)
		}
	}
	return proto, uint16(a), uint16(b), nil
}

// parseDuration reads strongSwan's time values: a whole number followed by
// s (seconds, also when there is no unit), m, h or d.
func parseDuration(v string) (time.Duration, error) {
	num, unit := v, time.Second
	if n := len(v); n > 0 {
		switch v[n-1] {
		case 's':
			num = v[:n-1]
		case 'm':
			num, unit = v[:n-1], time.Minute
		case 'h':
			num, unit = v[:n-1], time.Hour
		case 'd':
			num, unit = v[:n-1], 24*time.Hour
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (a whole number with s, m, h or d, or seconds)", v)
	}
	if n > uint64(math.MaxInt64/int64(unit)) {
		return 0, fmt.Errorf("%q is too long", v)
	}
	return time.Duration(n) * unit, nil
}

// parseCount reads a byte or packet count (rekey_bytes, life_packets):
// a whole number, in decimal or after "0x" in hexadecimal (swanctl.conf's
// number formats); with bytes, optionally followed by k, m or g (either
// case, blanks allowed before it) for units of 1024, 1024² and 1024³
// octets, as strongSwan's vici plugin reads them. A decimal number with a
// leading zero is refused: strongSwan would read it as octal.
func parseCount(v string, bytes bool) (uint64, error) {
	what, units := "a packet count (a whole number)", ""
	if bytes {
		what, units = "a byte count (a whole number, with k, m or g for KiB, MiB or GiB)", "kmg"
	}
	num, mult := strings.TrimSpace(v), uint64(1)
	if n := len(num); n > 0 && units != "" {
		if i := strings.IndexByte(units, num[n-1]|0x20); i >= 0 {
			num, mult = strings.TrimSpace(num[:n-1]), 1<<(10*(i+1))
		}
	}
	var (
		n   uint64
		err error
	)
	switch {
	case len(num) >= 2 && strings.EqualFold(num[:2], "0x"):
		n, err = strconv.ParseUint(num[2:], 16, 64)
	case len(num) > 1 && num[0] == '0':
		return 0, fmt.Errorf("%q: a leading 0 makes strongSwan read the number as octal: write it without (or in hex, after 0x)", v)
	default:
		n, err = strconv.ParseUint(num, 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is too large", v)
		}
		return 0, fmt.Errorf("%q is not %s", v, what)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("%q is too large", v)
	}
	return n * mult, nil
}

// parsePort reads a UDP port number.
func parsePort(v string) (uint16, error) {
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port from 1 to 65535", v)
	}
	return uint16(n), nil
}

// parseSecret reads a pre-shared key as swanctl does: "0x" then hex, "0s"
// then base64, otherwise the octets of the string itself (quoted when it
// holds blanks or "#"), with no terminator added and no length limit
// (RFC7296-2.15-2: the interface "MUST accept ASCII strings of at least 64
// octets and MUST NOT add a null terminator"; RFC7296-2.15-3: "It MUST also
// accept a hex encoding of the shared secret"; RFC7296-2.15-4 allows other
// encodings, here base64).
func parseSecret(v string) ([]byte, error) {
	if v == "" {
		return nil, errors.New("empty secret")
	}
	var key []byte
	var err error
	switch strings.ToLower(v[:min(2, len(v))]) {
	case "0x":
		if key, err = hex.DecodeString(strings.ReplaceAll(v[2:], ":", "")); err != nil {
			return nil, fmt.Errorf("the value after 0x is not hex: %w", err)
		}
	case "0s":
		if key, err = base64.StdEncoding.DecodeString(v[2:]); err != nil {
			if key, err = base64.RawStdEncoding.DecodeString(v[2:]); err != nil {
				return nil, fmt.Errorf("the value after 0s is not base64: %w", err)
			}
		}
	default:
		return []byte(v), nil
	}
	if len(key) == 0 {
		return nil, errors.New("empty secret")
	}
	return key, nil
}

// suggest returns ` (did you mean "x"?)` for the closest candidate within
// two edits of w, or "".
func suggest(w string, candidates []string) string {
	best, dist := "", 3
	slices.Sort(candidates)
	for _, c := range candidates {
		if d := editDistance(w, c); d < dist {
			best, dist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
