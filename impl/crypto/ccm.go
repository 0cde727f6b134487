package crypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// CCM (Counter with CBC-MAC) as RFC 3610 section 2 and NIST SP 800-38C
// section 6 and appendix A specify it. The standard library has no CCM;
// IKEv2 and ESP use it with an 11-octet nonce (RFC 4309 section 4, RFC 5282
// section 4) and 8, 12 or 16-octet tags, but the implementation takes every
// parameter the mode defines so that the RFC 3610 and SP 800-38C example
// vectors can test it.

type ccm struct {
	b        cipher.Block
	nonceLen int // 15 - L, where L is the size of the length field
	tagLen   int // M
}

// NewCCM returns block (which must have a 16-octet block) in CCM mode with
// the given nonce size (7 to 13 octets; the length field is then
// L = 15 - nonceSize octets) and tag size (4, 6, 8, 10, 12, 14 or 16
// octets), as RFC 3610 section 2 and NIST SP 800-38C appendix A.1 allow.
func NewCCM(block cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if block.BlockSize() != 16 {
		return nil, fmt.Errorf("ike: CCM needs a 16-octet block cipher, got %d", block.BlockSize())
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, fmt.Errorf("ike: CCM nonce of %d octets (7 to 13 allowed)", nonceSize)
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, fmt.Errorf("ike: CCM tag of %d octets (4, 6, ..., 16 allowed)", tagSize)
	}
	return &ccm{b: block, nonceLen: nonceSize, tagLen: tagSize}, nil
}

func (c *ccm) NonceSize() int { return c.nonceLen }
func (c *ccm) Overhead() int  { return c.tagLen }

// maxLen is the largest message the L-octet length field can encode.
func (c *ccm) maxLen() uint64 {
	l := 15 - c.nonceLen
	if l >= 8 {
		return 1<<64 - 1
	}
	return 1<<(8*l) - 1
}

// counter returns the counter block A_i (RFC 3610 section 2.3): Flags = L-1,
// then the nonce, then i in the remaining L octets.
func (c *ccm) counter(nonce []byte, i uint64) [16]byte {
	var a [16]byte
	a[0] = byte(15 - c.nonceLen - 1)
	copy(a[1:], nonce)
	for j := 15; j > c.nonceLen; j-- {
		a[j] = byte(i)
		i >>= 8
	}
	return a
}

// cbcMAC continues the CBC-MAC x over data, zero-padded to whole blocks.
func (c *ccm) cbcMAC(x *[16]byte, data []byte) {
	for len(data) >= 16 {
		subtle.XORBytes(x[:], x[:], data[:16])
		c.b.Encrypt(x[:], x[:])
		data = data[16:]
	}
	if len(data) > 0 {
		subtle.XORBytes(x[:len(data)], x[:len(data)], data)
		c.b.Encrypt(x[:], x[:])
	}
}

// tag computes the unencrypted authentication value T (RFC 3610 section
// 2.2) and returns it encrypted with S_0 (section 2.3): the value U that is
// sent.
func (c *ccm) tag(nonce, plaintext, aad []byte) [16]byte {
	var x [16]byte
	// B_0: Flags = 64*Adata + 8*M' + L', with M' = (M-2)/2 and L' = L-1,
	// then the nonce, then l(m) in L octets.
	l := 15 - c.nonceLen
	x[0] = byte((c.tagLen-2)/2<<3 | (l - 1))
	if len(aad) > 0 {
		x[0] |= 0x40
	}
	copy(x[1:], nonce)
	n := uint64(len(plaintext))
	for j := 15; j > c.nonceLen; j-- {
		x[j] = byte(n)
		n >>= 8
	}
	c.b.Encrypt(x[:], x[:])
	if len(aad) > 0 {
		// l(a) as RFC 3610 section 2.2 encodes it, then a, padded together.
		var hdr []byte
		switch a := uint64(len(aad)); {
		case a < 1<<16-1<<8:
			hdr = binary.BigEndian.AppendUint16(nil, uint16(a))
		case a < 1<<32:
			hdr = binary.BigEndian.AppendUint32([]byte{0xff, 0xfe}, uint32(a))
		default:
			hdr = binary.BigEndian.AppendUint64([]byte{0xff, 0xff}, a)
		}
		c.cbcMAC(&x, append(hdr, aad...))
	}
	c.cbcMAC(&x, plaintext)
	s0 := c.counter(nonce, 0)
	c.b.Encrypt(s0[:], s0[:])
	subtle.XORBytes(x[:], x[:], s0[:])
	return x
}

func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != c.nonceLen {
		panic("ike: CCM nonce of the wrong length")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("ike: CCM plaintext too long for the length field")
	}
	u := c.tag(nonce, plaintext, aad)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagLen)
	a1 := c.counter(nonce, 1)
	cipher.NewCTR(c.b, a1[:]).XORKeyStream(out[:len(plaintext)], plaintext)
	copy(out[len(plaintext):], u[:c.tagLen])
	return ret
}

func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != c.nonceLen {
		panic("ike: CCM nonce of the wrong length")
	}
	if len(ciphertext) < c.tagLen || uint64(len(ciphertext)-c.tagLen) > c.maxLen() {
		return nil, errOpen
	}
	n := len(ciphertext) - c.tagLen
	// Copy the received tag first: out may alias ciphertext.
	var got [16]byte
	copy(got[:], ciphertext[n:])
	ret, out := sliceForAppend(dst, n)
	a1 := c.counter(nonce, 1)
	cipher.NewCTR(c.b, a1[:]).XORKeyStream(out, ciphertext[:n])
	u := c.tag(nonce, out, aad)
	if subtle.ConstantTimeCompare(u[:c.tagLen], got[:c.tagLen]) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n octets, reusing its capacity when it can,
// and returns the whole slice and the new tail (as crypto/cipher does).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
