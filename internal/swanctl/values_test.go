package swanctl

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

func TestTrafficSelectors(t *testing.T) {
	a := netip.MustParseAddr
	v4all := ike.TrafficSelector{Start: a("0.0.0.0"), End: a("255.255.255.255"), EndPort: 0xffff}
	v6all := ike.TrafficSelector{Start: a("::"), End: a("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), EndPort: 0xffff}
	ts := func(start, end string, proto uint8, lo, hi uint16) ike.TrafficSelector {
		return ike.TrafficSelector{Start: a(start), End: a(end), Protocol: proto, StartPort: lo, EndPort: hi}
	}
	for _, tc := range []struct {
		in   string
		want []ike.TrafficSelector
	}{
		{"198.51.100.0/24", []ike.TrafficSelector{ts("198.51.100.0", "198.51.100.255", 0, 0, 0xffff)}},
		{"198.51.100.77/24", []ike.TrafficSelector{ts("198.51.100.0", "198.51.100.255", 0, 0, 0xffff)}},
		{"198.51.100.1/32", []ike.TrafficSelector{ts("198.51.100.1", "198.51.100.1", 0, 0, 0xffff)}},
		{"192.0.2.1", []ike.TrafficSelector{ts("192.0.2.1", "192.0.2.1", 0, 0, 0xffff)}},
		{"2001:db8::/32", []ike.TrafficSelector{ts("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 0xffff)}},
		{"2001:db8::1", []ike.TrafficSelector{ts("2001:db8::1", "2001:db8::1", 0, 0, 0xffff)}},
		{"192.0.2.10-192.0.2.20", []ike.TrafficSelector{ts("192.0.2.10", "192.0.2.20", 0, 0, 0xffff)}},
		{"2001:db8::1-2001:db8::ff", []ike.TrafficSelector{ts("2001:db8::1", "2001:db8::ff", 0, 0, 0xffff)}},
		{"dynamic", []ike.TrafficSelector{{Dynamic: true, EndPort: 0xffff}}},
		{"%any", []ike.TrafficSelector{v4all, v6all}},
		{"0.0.0.0/0", []ike.TrafficSelector{v4all}},
		{"::/0", []ike.TrafficSelector{v6all}},
		{"%any4", []ike.TrafficSelector{v4all}},
		{"%any6", []ike.TrafficSelector{v6all}},
		{"10.0.0.0/8[tcp/80]", []ike.TrafficSelector{ts("10.0.0.0", "10.255.255.255", 6, 80, 80)}},
		{"10.0.0.0/8[udp]", []ike.TrafficSelector{ts("10.0.0.0", "10.255.255.255", 17, 0, 0xffff)}},
		{"10.0.0.0/8[6/1000-2000]", []ike.TrafficSelector{ts("10.0.0.0", "10.255.255.255", 6, 1000, 2000)}},
		{"10.0.0.0/8[icmp]", []ike.TrafficSelector{ts("10.0.0.0", "10.255.255.255", 1, 0, 0xffff)}},
		{"2001:db8::/32[ipv6-icmp]", []ike.TrafficSelector{ts("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 58, 0, 0xffff)}},
		{"192.0.2.1[sctp/%any]", []ike.TrafficSelector{ts("192.0.2.1", "192.0.2.1", 132, 0, 0xffff)}},
		{"192.0.2.1[%any]", []ike.TrafficSelector{ts("192.0.2.1", "192.0.2.1", 0, 0, 0xffff)}},
		{"192.0.2.1[47]", []ike.TrafficSelector{ts("192.0.2.1", "192.0.2.1", 47, 0, 0xffff)}},
		{"dynamic[udp/500]", []ike.TrafficSelector{{Dynamic: true, Protocol: 17, StartPort: 500, EndPort: 500}}},
		{"%any[tcp/22]", []ike.TrafficSelector{
			{Start: v4all.Start, End: v4all.End, Protocol: 6, StartPort: 22, EndPort: 22},
			{Start: v6all.Start, End: v6all.End, Protocol: 6, StartPort: 22, EndPort: 22}}},
		{"192.0.2.1, 192.0.2.2[tcp], , dynamic", []ike.TrafficSelector{
			ts("192.0.2.1", "192.0.2.1", 0, 0, 0xffff), ts("192.0.2.2", "192.0.2.2", 6, 0, 0xffff), {Dynamic: true, EndPort: 0xffff}}},
	} {
		got, err := parseTS(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}

	for _, tc := range []struct{ in, want string }{
		// RFC7296-3.13.1-1: protocol 0 has no ports.
		{"192.0.2.1[%any/80]", `traffic selector "192.0.2.1[%any/80]": protocol %any has no ports: a selector for it covers ports 0-65535 (RFC 7296 section 3.13.1)`},
		{"192.0.2.1[47/80]", `traffic selector "192.0.2.1[47/80]": protocol 47 has no ports: a selector for it covers ports 0-65535 (RFC 7296 section 3.13.1)`},
		{"192.0.2.1[icmp/8]", `traffic selector "192.0.2.1[icmp/8]": ICMP type and code selectors are not supported: use [icmp] or [ipv6-icmp] for all messages`},
		{"192.0.2.1[tcp/http]", `traffic selector "192.0.2.1[tcp/http]": port "http" is not a number from 0 to 65535 (names are not looked up)`},
		{"192.0.2.1[tcp/90-80]", `traffic selector "192.0.2.1[tcp/90-80]": port range 90-80 ends before it starts`},
		{"192.0.2.1[tcp/80-99999]", `traffic selector "192.0.2.1[tcp/80-99999]": port "99999" is not a number from 0 to 65535 (names are not looked up)`},
		{"192.0.2.1[tcp/%opaque]", `traffic selector "192.0.2.1[tcp/%opaque]": OPAQUE ports are not supported`},
		{"192.0.2.1[gre]", `traffic selector "192.0.2.1[gre]": unknown protocol "gre" (tcp, udp, icmp, ipv6-icmp, sctp, %any or a number up to 255)`},
		{"192.0.2.1[256]", `traffic selector "192.0.2.1[256]": unknown protocol "256" (tcp, udp, icmp, ipv6-icmp, sctp, %any or a number up to 255)`},
		{"10.0.0.0/8[tcp", `traffic selector "10.0.0.0/8[tcp": "[" without a closing "]"`},
		{"192.0.2.9-192.0.2.1", `traffic selector "192.0.2.9-192.0.2.1": the range ends before it starts`},
		{"192.0.2.1-2001:db8::1", `traffic selector "192.0.2.1-2001:db8::1": a range must not mix IPv4 and IPv6`},
		{"192.0.2.1-x", `traffic selector "192.0.2.1-x": range end: ParseAddr("x"): unable to parse IP`},
		{"intranet.example", `traffic selector "intranet.example": hostnames are not supported: give an address, a prefix or a range`},
		{"fe80::1%eth0", `traffic selector "fe80::1%eth0": addresses with a zone are not supported`},
		{"", `no traffic selector`},
	} {
		_, err := parseTS(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestAddrs(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		in   string
		want []netip.Prefix
	}{
		{"192.0.2.1", []netip.Prefix{p("192.0.2.1/32")}},
		{"192.0.2.77/24", []netip.Prefix{p("192.0.2.0/24")}},
		{"2001:db8::1, 192.0.2.1", []netip.Prefix{p("2001:db8::1/128"), p("192.0.2.1/32")}},
		{"%any", nil},
		{"%any4", []netip.Prefix{p("0.0.0.0/0")}},
		{"%any6", []netip.Prefix{p("::/0")}},
		{"", nil},
	} {
		got, err := parseAddrs(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"vpn.example.org", `"vpn.example.org": hostnames are not supported (ikev2ref does not resolve names): give an address or a prefix`},
		{"localhost", `"localhost": hostnames are not supported (ikev2ref does not resolve names): give an address or a prefix`},
		{"192.0.2.300", `"192.0.2.300" is not an address, a CIDR prefix or %any`},
		{"fe80::1%eth0", `"fe80::1%eth0": addresses with a zone are not supported`},
		{"%any, 192.0.2.1", `%any cannot be combined with other addresses`},
	} {
		_, err := parseAddrs(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "5m": 5 * time.Minute, "2h": 2 * time.Hour, "1d": 24 * time.Hour,
		"45": 45 * time.Second, "0": 0, "0s": 0, "90m": 90 * time.Minute,
	} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.5h", "-1", "+1", "h", "1w", "1 h", "30ms", "99999999999999999999d", "200000000000000d"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("%q: got %v, want an error", in, got)
		}
	}
}

func TestSecrets(t *testing.T) {
	long := strings.Repeat("0123456789abcdef # }", 4) // 80 octets with "#" and "}"
	src := withSecret(`    id = %any
    secret = "` + long + `"
  }
  ike-hex {
    id-a = 192.0.2.1
    id-b = @gw.example
    secret = 0x0102:03fF
  }
  ike-base64 {
    id = "@#cafe" # unquoted, "#" would start a comment
    secret = 0sAQIDBA==
  }
  ike-base64-raw {
    secret = 0sAQIDBA
  }
  ike-plain {
    secret = 0xygen-is-not-hex-but-this-is-an-error`)
	_, err := Parse("s.conf", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "s.conf:19: secrets.ike-plain.secret: the value after 0x is not hex") {
		t.Errorf("got %v", err)
	}
	src = strings.Replace(src, "0xygen", "Oxygen", 1)
	cfg, err := Parse("s.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []ike.Secret{
		// RFC7296-2.15-2: ASCII of at least 64 octets, no terminator added.
		{Key: []byte(long)},
		// RFC7296-2.15-3: hex.
		{IDs: []ike.Identity{{Type: wire.ID_IPV4_ADDR, Data: []byte{192, 0, 2, 1}}, {Type: wire.ID_FQDN, Data: []byte("gw.example")}},
			Key: []byte{1, 2, 3, 0xff}},
		// RFC7296-2.15-4: another encoding, base64, with or without padding.
		{IDs: []ike.Identity{{Type: wire.ID_KEY_ID, Data: []byte{0xca, 0xfe}}}, Key: []byte{1, 2, 3, 4}},
		{Key: []byte{1, 2, 3, 4}},
		{Key: []byte("Oxygen-is-not-hex-but-this-is-an-error")},
	}
	if !reflect.DeepEqual(cfg.Secrets, want) {
		t.Errorf("got  %s\nwant %s", dump(cfg.Secrets), dump(want))
	}
	if len(long) < 64 || !bytes.Equal(cfg.Secrets[0].Key, []byte(long)) {
		t.Errorf("long secret: %q", cfg.Secrets[0].Key)
	}
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct{ w, want string }{
		{"rekey_tyme", ` (did you mean "rekey_time"?)`},
		{"proposal", ` (did you mean "proposals"?)`},
		{"zzzzzzzz", ""},
	} {
		if got := suggest(tc.w, connLevel.keys); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.w, got, tc.want)
		}
	}
}
