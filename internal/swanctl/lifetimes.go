package swanctl

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

// This file reads the lifetimes of IKE SAs and Child SAs (RFC 7296 section
// 2.8: SAs are rekeyed, or deleted, when their lifetime ends; RFC 4301
// section 4.4.2.1: a soft and a hard lifetime, in time and in octets) and
// fills in strongSwan's defaults, as its vici plugin does (vici_config.c,
// peer_sn and check_lifetimes):
//
//	connections.<conn>   rekey_time  4h
//	                     over_time   10% of rekey_time
//	                     rand_time   over_time, at most half of rekey_time
//	children.<child>     rekey_time  1h, or life_time / 1.1 when only
//	                                 life_time is given
//	                     life_time   rekey_time + 10%
//	                     rand_time   life_time - rekey_time (but see below)
//	                     rekey_bytes, rekey_packets
//	                                 0 (off), or life_* / 1.1 when only
//	                                 life_* is given
//	                     life_bytes, life_packets
//	                                 rekey_* + 10%
//
// Two defaults differ: a Child SA's rand_time, when not given, is at most
// half of its rekey_time (strongSwan lets it reach the whole of rekey_time
// when life_time is twice rekey_time or more, so that a rekey could start at
// once; strongSwan bounds the IKE SA's default that way too); and a
// life_bytes or life_packets derived from a rekey_* value under 10 is one
// more than it (strongSwan's 10% more rounds down to the same count, so the
// Child SA would expire at the very packet that asks for its rekey).
//
// Inconsistent values are refused, naming the key: a life_time (life_bytes,
// life_packets) not longer than the rekey_time (rekey_bytes, rekey_packets)
// given with it, a rand_time not shorter than the rekey_time it is
// subtracted from, an over_time without rekeying. Zero turns a limit off.

// Lifetime defaults (strongSwan's vici_config.c).
const (
	defaultIKERekeyTime   = 4 * time.Hour
	defaultChildRekeyTime = time.Hour
)

// lifetimes collects the lifetime keys of one section as they are read.
type lifetimes struct {
	keys map[string]*setting
	dur  map[string]time.Duration
	n    map[string]uint64
}

func newLifetimes() *lifetimes {
	return &lifetimes{keys: map[string]*setting{}, dur: map[string]time.Duration{}, n: map[string]uint64{}}
}

// duration reads a time key (rekey_time, life_time, over_time, rand_time).
// A key without a value keeps its default.
func (l *lifetimes) duration(k *setting) error {
	if !k.isSet {
		return nil
	}
	d, err := parseDuration(k.value)
	if err != nil {
		return err
	}
	l.keys[k.name], l.dur[k.name] = k, d
	return nil
}

// count reads a byte (bytes) or packet count key.
func (l *lifetimes) count(k *setting, bytes bool) error {
	if !k.isSet {
		return nil
	}
	n, err := parseCount(k.value, bytes)
	if err != nil {
		return err
	}
	l.keys[k.name], l.n[k.name] = k, n
	return nil
}

// ike fills in the IKE SA's lifetimes of a connection.
func (l *lifetimes) ike(c *ike.Connection) error {
	rekey, ok := l.dur["rekey_time"]
	if !ok {
		rekey = defaultIKERekeyTime
	}
	over, ok := l.dur["over_time"]
	if !ok {
		over = percentOf(rekey, 10)
	}
	rand, ok := l.dur["rand_time"]
	if !ok {
		rand = min(over, rekey/2)
	}
	if k := l.keys["over_time"]; k != nil && over > 0 && rekey == 0 {
		return valueErr(k, fmt.Errorf("%s: over_time counts from rekey_time, which is 0 (no rekeying)", FormatDuration(over)))
	}
	if err := l.checkRand(rand, rekey, "IKE SA"); err != nil {
		return err
	}
	c.RekeyTime, c.OverTime, c.RandTime = rekey, over, rand
	return nil
}

// child fills in a Child SA's lifetimes.
func (l *lifetimes) child(ch *ike.Child) error {
	rekey, rekeySet := l.dur["rekey_time"]
	life, lifeSet := l.dur["life_time"]
	switch {
	case !rekeySet && lifeSet:
		rekey = life/11*10 + life%11*10/11 // life / 1.1, without overflow
	case !rekeySet:
		rekey = defaultChildRekeyTime
	}
	if !lifeSet {
		life = percentOf(rekey, 110)
	}
	if rekeySet && lifeSet && rekey > 0 && life > 0 && life <= rekey {
		return valueErr(l.keys["life_time"], fmt.Errorf("%s is not longer than rekey_time (%s): the Child SA would be deleted before it is rekeyed",
			FormatDuration(life), FormatDuration(rekey)))
	}
	rand, ok := l.dur["rand_time"]
	if !ok {
		rand = min(life-min(life, rekey), rekey/2)
	}
	if err := l.checkRand(rand, rekey, "Child SA"); err != nil {
		return err
	}
	ch.RekeyTime, ch.LifeTime, ch.RandTime = rekey, life, rand
	var err error
	if ch.RekeyBytes, ch.LifeBytes, err = l.volume("rekey_bytes", "life_bytes"); err != nil {
		return err
	}
	ch.RekeyPackets, ch.LifePackets, err = l.volume("rekey_packets", "life_packets")
	return err
}

// checkRand refuses a rand_time that is not shorter than the rekey_time it
// is subtracted from.
func (l *lifetimes) checkRand(rand, rekey time.Duration, what string) error {
	k := l.keys["rand_time"]
	switch {
	case k == nil || rand == 0 || rand < rekey:
		return nil
	case rekey == 0:
		return valueErr(k, fmt.Errorf("%s: there is no rekey_time to subtract it from (rekey_time is 0: the %s is not rekeyed)", FormatDuration(rand), what))
	}
	return valueErr(k, fmt.Errorf("%s is not shorter than rekey_time (%s): a random part of rand_time is subtracted from rekey_time so that both ends do not rekey at once",
		FormatDuration(rand), FormatDuration(rekey)))
}

// volume fills in a pair of soft (rekey) and hard (life) volume limits.
func (l *lifetimes) volume(rekeyKey, lifeKey string) (rekey, life uint64, err error) {
	rekey, rekeySet := l.n[rekeyKey]
	life, lifeSet := l.n[lifeKey]
	if !rekeySet && lifeSet {
		rekey = life/11*10 + life%11*10/11 // life / 1.1
	}
	if !lifeSet {
		life = mulDiv(rekey, 110, 100)
		if rekey > 0 && life == rekey && rekey < math.MaxUint64 {
			life++ // 10% of less than 10 is nothing
		}
	}
	if rekeySet && lifeSet && rekey > 0 && life > 0 && life <= rekey {
		return 0, 0, valueErr(l.keys[lifeKey], fmt.Errorf("%d is not more than %s (%d): the Child SA would be deleted before it is rekeyed",
			life, rekeyKey, rekey))
	}
	return rekey, life, nil
}

// percentOf is p percent of d, at most the longest duration.
func percentOf(d, p time.Duration) time.Duration {
	if p > 100 && d > math.MaxInt64/p*100 {
		return math.MaxInt64
	}
	return d/100*p + d%100*p/100
}

// mulDiv is x*m/d, at most the largest uint64.
func mulDiv(x, m, d uint64) uint64 {
	hi, lo := bits.Mul64(x, m)
	if hi >= d {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, d)
	return q
}

// FormatDuration writes a duration as swanctl.conf does: in the largest of
// d, h, m and s that divides it ("4h", "66m", "90s"); a fraction of a
// second is written as Go does.
func FormatDuration(d time.Duration) string {
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d >= u.d && d%u.d == 0 {
			return fmt.Sprintf("%d%s", d/u.d, u.s)
		}
	}
	if d == 0 {
		return "0s"
	}
	return d.String()
}
