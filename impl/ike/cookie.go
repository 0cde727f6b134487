package ike

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net/netip"
	"time"
)

// cookieBaker makes and checks the stateless cookies of RFC 7296 section 2.6:
//
//	Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
//
// with HMAC-SHA-256 keyed by the secret as the hash. The secret is replaced
// every lifetime; cookies made with the previous secret are still accepted
// (RFC7296-2.6-5), so a cookie is good for between one and two lifetimes.
type cookieBaker struct {
	rand     io.Reader
	lifetime time.Duration
	version  uint32
	secret   [32]byte
	previous [32]byte
	hasPrev  bool
	rotateAt time.Time
}

// cookieLen is 4 octets of version and 32 of HMAC-SHA-256: within the 1 to
// 64 octets RFC7296-2.6-3 allows.
const cookieLen = 4 + sha256.Size

func newCookieBaker(rand io.Reader, lifetime time.Duration, now time.Time) (*cookieBaker, error) {
	c := &cookieBaker{rand: rand, lifetime: lifetime, rotateAt: now.Add(lifetime)}
	if _, err := io.ReadFull(rand, c.secret[:]); err != nil {
		return nil, err
	}
	return c, nil
}

// rotate replaces the secret when its lifetime is over.
func (c *cookieBaker) rotate(now time.Time) error {
	if now.Before(c.rotateAt) {
		return nil
	}
	c.previous, c.hasPrev = c.secret, true
	if _, err := io.ReadFull(c.rand, c.secret[:]); err != nil {
		return err
	}
	c.version++
	c.rotateAt = now.Add(c.lifetime)
	return nil
}

func cookieMAC(secret *[32]byte, version uint32, ni []byte, ip netip.Addr, spii uint64) []byte {
	out := binary.BigEndian.AppendUint32(make([]byte, 0, cookieLen), version)
	m := hmac.New(sha256.New, secret[:])
	m.Write(ni)
	m.Write(ip.Unmap().AsSlice())
	var spi [8]byte
	binary.BigEndian.PutUint64(spi[:], spii)
	m.Write(spi[:])
	return m.Sum(out)
}

// make returns the cookie for an initiator's nonce, address and SPI.
func (c *cookieBaker) make(ni []byte, ip netip.Addr, spii uint64) []byte {
	return cookieMAC(&c.secret, c.version, ni, ip, spii)
}

// check reports whether a returned cookie is one we made, with the current
// or the previous secret.
func (c *cookieBaker) check(cookie, ni []byte, ip netip.Addr, spii uint64) bool {
	if len(cookie) != cookieLen {
		return false
	}
	v := binary.BigEndian.Uint32(cookie)
	switch {
	case v == c.version:
		return hmac.Equal(cookie, cookieMAC(&c.secret, v, ni, ip, spii))
	case c.hasPrev && v == c.version-1:
		return hmac.Equal(cookie, cookieMAC(&c.previous, v, ni, ip, spii))
	}
	return false
}
