package swanctl

import (
	"math"
	"testing"
	"time"
)

// TestIKELifetimes reads each connection-level lifetime key and checks
// strongSwan's defaults: rekey_time 4h, over_time 10% of it, rand_time
// over_time but at most half of rekey_time.
func TestIKELifetimes(t *testing.T) {
	const h, m = time.Hour, time.Minute
	for _, tc := range []struct {
		name, lines       string
		rekey, over, rand time.Duration
	}{
		{"defaults", "", 4 * h, 24 * m, 24 * m},
		{"empty value keeps the default", "    rekey_time =", 4 * h, 24 * m, 24 * m},
		{"rekey_time", "    rekey_time = 1h", h, 6 * m, 6 * m},
		{"rekey_time in seconds", "    rekey_time = 7200", 2 * h, 12 * m, 12 * m},
		{"over_time", "    over_time = 5m", 4 * h, 5 * m, 5 * m},
		{"rand_time", "    rand_time = 1m", 4 * h, 24 * m, m},
		{"rand_time 0", "    rand_time = 0", 4 * h, 24 * m, 0},
		{"rand_time at most half of rekey_time", "    rekey_time = 1h\n    over_time = 50m", h, 50 * m, 30 * m},
		{"all three", "    rekey_time = 1d\n    over_time = 2h\n    rand_time = 30m", 24 * h, 2 * h, 30 * m},
		{"no rekeying", "    rekey_time = 0", 0, 0, 0},
		{"no over_time", "    over_time = 0s", 4 * h, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("lab.conf", []byte(withConn(tc.lines)))
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Connections[0]
			if c.RekeyTime != tc.rekey || c.OverTime != tc.over || c.RandTime != tc.rand {
				t.Errorf("rekey %v over %v rand %v, want %v %v %v", c.RekeyTime, c.OverTime, c.RandTime, tc.rekey, tc.over, tc.rand)
			}
		})
	}
}

// TestChildLifetimes reads each children-level lifetime key and checks
// strongSwan's defaults: rekey_time 1h (life_time / 1.1 when only that is
// given), life_time rekey_time + 10%, rand_time the difference (at most
// half of rekey_time); volume limits off unless given, the life_* value
// 10% over the rekey_* one and the reverse.
func TestChildLifetimes(t *testing.T) {
	const h, m = time.Hour, time.Minute
	type want struct {
		rekey, life, rand time.Duration
		rekeyB, lifeB     uint64
		rekeyP, lifeP     uint64
	}
	def := want{rekey: h, life: 66 * m, rand: 6 * m}
	with := func(f func(w *want)) want {
		w := def
		f(&w)
		return w
	}
	for _, tc := range []struct {
		name, lines string
		want        want
	}{
		{"defaults", "", def},
		{"rekey_time", "        rekey_time = 10m", want{rekey: 10 * m, life: 11 * m, rand: m}},
		{"life_time only", "        life_time = 66m", def},
		{"life_time only, odd", "        life_time = 11m", want{rekey: 10 * m, life: 11 * m, rand: m}},
		{"both", "        rekey_time = 1h\n        life_time = 70m", with(func(w *want) { w.life, w.rand = 70*m, 10*m })},
		{"rand_time bounded by half of rekey_time", "        rekey_time = 1h\n        life_time = 3h",
			with(func(w *want) { w.life, w.rand = 3*h, 30*m })},
		{"rand_time", "        rand_time = 59m", with(func(w *want) { w.rand = 59 * m })},
		{"rand_time beyond life_time - rekey_time", "        rekey_time = 1h\n        life_time = 2h\n        rand_time = 59m",
			with(func(w *want) { w.life, w.rand = 2*h, 59*m })},
		{"no rekeying", "        rekey_time = 0", want{}},
		{"hard lifetime only", "        rekey_time = 0\n        life_time = 2h", want{life: 2 * h}},
		{"no hard lifetime", "        rekey_time = 1h\n        life_time = 0", want{rekey: h}},
		{"rekey_bytes", "        rekey_bytes = 1g", with(func(w *want) { w.rekeyB, w.lifeB = 1<<30, 1181116006 })},
		{"rekey_bytes in hex with a unit", "        rekey_bytes = 0x10K", with(func(w *want) { w.rekeyB, w.lifeB = 16384, 18022 })},
		{"life_bytes only", "        life_bytes = 110m", with(func(w *want) { w.rekeyB, w.lifeB = 100<<20, 110<<20 })},
		{"both bytes", "        rekey_bytes = 500k\n        life_bytes = 1 M", with(func(w *want) { w.rekeyB, w.lifeB = 500<<10, 1<<20 })},
		{"hard bytes only", "        rekey_bytes = 0\n        life_bytes = 1000", with(func(w *want) { w.lifeB = 1000 })},
		{"largest life_bytes", "        life_bytes = 18446744073709551615",
			with(func(w *want) { w.rekeyB, w.lifeB = 16769767339735956013, math.MaxUint64 })},
		{"largest rekey_bytes", "        rekey_bytes = 0xffffffffffffffff",
			with(func(w *want) { w.rekeyB, w.lifeB = math.MaxUint64, math.MaxUint64 })},
		{"rekey_packets", "        rekey_packets = 1000", with(func(w *want) { w.rekeyP, w.lifeP = 1000, 1100 })},
		{"few rekey_packets", "        rekey_packets = 3", with(func(w *want) { w.rekeyP, w.lifeP = 3, 4 })},
		{"one rekey_byte", "        rekey_bytes = 1", with(func(w *want) { w.rekeyB, w.lifeB = 1, 2 })},
		{"life_packets only", "        life_packets = 0x10000", with(func(w *want) { w.rekeyP, w.lifeP = 59578, 65536 })},
		{"both packets", "        rekey_packets = 10\n        life_packets = 11", with(func(w *want) { w.rekeyP, w.lifeP = 10, 11 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("lab.conf", []byte(withChild(tc.lines)))
			if err != nil {
				t.Fatal(err)
			}
			ch := cfg.Connections[0].Children[0]
			got := want{ch.RekeyTime, ch.LifeTime, ch.RandTime, ch.RekeyBytes, ch.LifeBytes, ch.RekeyPackets, ch.LifePackets}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestLifetimeErrors: inconsistent or unreadable lifetimes are refused,
// naming the key.
func TestLifetimeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"reauth_time", withConn("    reauth_time = 4h"),
			`swanctl: lab.conf:3: connections.lab: key "reauth_time" is not supported by ikev2ref (ikev2ref rekeys IKE SAs with CREATE_CHILD_SA, RFC 7296 section 2.8, and never reauthenticates them: use rekey_time)`},
		{"IKE rand_time = rekey_time", withConn("    rand_time = 4h"),
			`swanctl: lab.conf:3: connections.lab.rand_time: 4h is not shorter than rekey_time (4h): a random part of rand_time is subtracted from rekey_time so that both ends do not rekey at once`},
		{"IKE rand_time > rekey_time", withConn("    rekey_time = 30m\n    rand_time = 1h"),
			`swanctl: lab.conf:4: connections.lab.rand_time: 1h is not shorter than rekey_time (30m): a random part of rand_time is subtracted from rekey_time so that both ends do not rekey at once`},
		{"IKE rand_time without rekeying", withConn("    rekey_time = 0\n    rand_time = 90s"),
			`swanctl: lab.conf:4: connections.lab.rand_time: 90s: there is no rekey_time to subtract it from (rekey_time is 0: the IKE SA is not rekeyed)`},
		{"over_time without rekeying", withConn("    over_time = 10m\n    rekey_time = 0"),
			`swanctl: lab.conf:3: connections.lab.over_time: 10m: over_time counts from rekey_time, which is 0 (no rekeying)`},
		{"bad over_time", withConn("    over_time = 1w"),
			`swanctl: lab.conf:3: connections.lab.over_time: "1w" is not a duration (a whole number with s, m, h or d, or seconds)`},
		{"life_time = rekey_time", withChild("        rekey_time = 1h\n        life_time = 60m"),
			`swanctl: lab.conf:12: connections.lab.children.net.life_time: 1h is not longer than rekey_time (1h): the Child SA would be deleted before it is rekeyed`},
		{"life_time < rekey_time", withChild("        life_time = 30m\n        rekey_time = 1h"),
			`swanctl: lab.conf:11: connections.lab.children.net.life_time: 30m is not longer than rekey_time (1h): the Child SA would be deleted before it is rekeyed`},
		{"child rand_time = rekey_time", withChild("        rand_time = 3600"),
			`swanctl: lab.conf:11: connections.lab.children.net.rand_time: 1h is not shorter than rekey_time (1h): a random part of rand_time is subtracted from rekey_time so that both ends do not rekey at once`},
		{"child rand_time without rekeying", withChild("        rekey_time = 0\n        rand_time = 5m"),
			`swanctl: lab.conf:12: connections.lab.children.net.rand_time: 5m: there is no rekey_time to subtract it from (rekey_time is 0: the Child SA is not rekeyed)`},
		{"bad rand_time", withChild("        rand_time = soon"),
			`swanctl: lab.conf:11: connections.lab.children.net.rand_time: "soon" is not a duration (a whole number with s, m, h or d, or seconds)`},
		{"life_bytes = rekey_bytes", withChild("        rekey_bytes = 1m\n        life_bytes = 1048576"),
			`swanctl: lab.conf:12: connections.lab.children.net.life_bytes: 1048576 is not more than rekey_bytes (1048576): the Child SA would be deleted before it is rekeyed`},
		{"life_packets < rekey_packets", withChild("        rekey_packets = 10\n        life_packets = 5"),
			`swanctl: lab.conf:12: connections.lab.children.net.life_packets: 5 is not more than rekey_packets (10): the Child SA would be deleted before it is rekeyed`},
		{"bytes unit", withChild("        rekey_bytes = 1t"),
			`swanctl: lab.conf:11: connections.lab.children.net.rekey_bytes: "1t" is not a byte count (a whole number, with k, m or g for KiB, MiB or GiB)`},
		{"bytes too large", withChild("        life_bytes = 17179869184g"),
			`swanctl: lab.conf:11: connections.lab.children.net.life_bytes: "17179869184g" is too large`},
		{"octal", withChild("        rekey_bytes = 010"),
			`swanctl: lab.conf:11: connections.lab.children.net.rekey_bytes: "010": a leading 0 makes strongSwan read the number as octal: write it without (or in hex, after 0x)`},
		{"packets take no unit", withChild("        rekey_packets = 1k"),
			`swanctl: lab.conf:11: connections.lab.children.net.rekey_packets: "1k" is not a packet count (a whole number)`},
		{"rand_bytes", withChild("        rand_bytes = 1k"),
			`swanctl: lab.conf:11: connections.lab.children.net: key "rand_bytes" is not supported by ikev2ref (volume limits are not randomized: the soft limit is rekey_bytes or rekey_packets exactly)`},
		{"rand_packets", withChild("        rand_packets = 1"),
			`swanctl: lab.conf:11: connections.lab.children.net: key "rand_packets" is not supported by ikev2ref (volume limits are not randomized: the soft limit is rekey_bytes or rekey_packets exactly)`},
		{"misspelt", withChild("        life_byte = 1m"),
			`swanctl: lab.conf:11: connections.lab.children.net: unknown key "life_byte" (did you mean "life_bytes"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkParseError(t, tc.src, tc.want) })
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in    string
		bytes bool
		want  uint64
	}{
		{"0", true, 0},
		{"1500", true, 1500},
		{"1k", true, 1024},
		{"1K", true, 1024},
		{"2 m", true, 2 << 20},
		{"3g", true, 3 << 30},
		{"3G", true, 3 << 30},
		{"0x10", true, 16},
		{"0X1fk", true, 31 << 10},
		{"16777215g", true, 16777215 << 30},
		{"18446744073709551615", false, math.MaxUint64},
		{"0xffffffffffffffff", false, math.MaxUint64},
		{"1000", false, 1000},
	} {
		got, err := parseCount(tc.in, tc.bytes)
		if err != nil || got != tc.want {
			t.Errorf("parseCount(%q, %v) = %d, %v; want %d", tc.in, tc.bytes, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in    string
		bytes bool
	}{
		{"", true}, {"k", true}, {"-1", true}, {"+1", true}, {"1.5m", true}, {"1kb", true}, {"1 k b", true},
		{"0x", true}, {"0xg", true}, {"00", true}, {"18446744073709551616", false}, {"17179869184g", true},
		{"1k", false}, {"1m", false}, {"ten", false},
	} {
		if got, err := parseCount(tc.in, tc.bytes); err == nil {
			t.Errorf("parseCount(%q, %v) = %d, want an error", tc.in, tc.bytes, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", time.Second: "1s", 90 * time.Second: "90s", 66 * time.Minute: "66m", 4 * time.Hour: "4h",
		48 * time.Hour: "2d", 25 * time.Hour: "25h", 1500 * time.Millisecond: "1.5s", 700 * time.Millisecond: "700ms",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
