package ike

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// TestCookieBaker: cookies verify with the current and the previous secret
// (RFC7296-2.6-5) and not after two rotations, nor for another nonce,
// address or SPI; their length is within RFC7296-2.6-3's 1 to 64 octets.
func TestCookieBaker(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	c, err := newCookieBaker(rand.NewChaCha8([32]byte{1}), time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	ni, ip, spi := []byte("0123456789abcdef"), netip.MustParseAddr("192.0.2.1"), uint64(0x1122334455667788)
	k := c.make(ni, ip, spi)
	if len(k) < 1 || len(k) > 64 {
		t.Fatalf("cookie of %d octets", len(k))
	}
	if !c.check(k, ni, ip, spi) {
		t.Fatal("fresh cookie refused")
	}
	for _, bad := range []struct {
		ni  []byte
		ip  netip.Addr
		spi uint64
	}{{[]byte("0123456789abcdeX"), ip, spi}, {ni, netip.MustParseAddr("192.0.2.9"), spi}, {ni, ip, spi + 1}} {
		if c.check(k, bad.ni, bad.ip, bad.spi) {
			t.Errorf("cookie accepted for %x %v %x", bad.ni, bad.ip, bad.spi)
		}
	}
	if c.check(k[:len(k)-1], ni, ip, spi) {
		t.Error("truncated cookie accepted")
	}
	if err := c.rotate(now.Add(30 * time.Second)); err != nil || c.version != 0 {
		t.Fatal("rotated before the lifetime")
	}
	if err := c.rotate(now.Add(61 * time.Second)); err != nil || c.version != 1 {
		t.Fatal("not rotated")
	}
	if !c.check(k, ni, ip, spi) {
		t.Error("cookie of the previous secret refused")
	}
	if c.check(c.make(ni, ip, spi), ni, ip, spi) != true {
		t.Error("cookie of the new secret refused")
	}
	_ = c.rotate(now.Add(200 * time.Second))
	if c.check(k, ni, ip, spi) {
		t.Error("cookie two secrets old accepted")
	}
}
