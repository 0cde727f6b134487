package esp

import (
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	crand "crypto/rand"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Config describes one ESP SA as the key exchange (or a key table) gives
// it: the part of its SAD entry (RFC 4301 section 4.4.2.1) that packet
// protection needs.
type Config struct {
	SPI uint32
	// Encr is the encryption transform; EncrKey its keying material, salt
	// included for the combined-mode transforms (RFC 4106 section 8.1,
	// RFC 4309 section 7.1, RFC 7634 section 2).
	Encr    wire.EncrID
	EncrKey []byte
	// Integ is the integrity transform and IntegKey its key; AUTH_NONE with
	// a combined-mode Encr, which authenticates by itself.
	Integ    wire.IntegID
	IntegKey []byte
	// UncheckedICVLen, when not zero, says that packets carry an ICV of
	// this many octets that is not to be checked, Integ being AUTH_NONE:
	// recorded traffic whose integrity key is unknown (Wireshark's "ANY 96
	// bit authentication [no checking]"). Such an SA can only Open, and
	// what it opens is not authenticated.
	UncheckedICVLen int
	// ESN selects Extended Sequence Numbers (RFC 4303 section 2.2.1): the
	// high-order 32 bits enter the ICV (or the AEAD's associated data) but
	// are not sent.
	ESN bool
	// Mode is the SA's mode (RFC 4301 section 4.4.2.1, "IPsec protocol
	// mode"), which Outbound.SealPacket and Inbound.Open follow. NewSA and
	// the SA itself do not use it.
	Mode Mode
}

// SA protects and opens the packets of one ESP SA. It holds keys, not
// state: the sequence number counter and the anti-replay window belong to
// the caller. An SA is safe for concurrent use.
type SA struct {
	spi       uint32
	encr      *crypto.Encr
	block     cipher.Block // KindCBC
	aead      cipher.AEAD  // KindAEAD: nonce = the packet's IV, salt prepended
	integ     *crypto.Integ
	integKey  []byte
	icvLen    int
	unchecked bool
	esn       bool
	macs      sync.Pool // of keyed hash.Hash; see mac
}

// NewSA checks a configuration and keys its transforms.
//
// It refuses a non-AEAD cipher without integrity (RFC8221-6-1: "encrypted
// with a non-AEAD algorithm MUST be combined with an authentication
// algorithm"; RFC8221-6-3: "AUTH_NONE MUST NOT be selected"), unless the
// ICV is declared present but unchecked, which only a dump tool should do.
func NewSA(c Config) (*SA, error) {
	encr, err := crypto.LookupEncr(c.Encr)
	if err != nil {
		return nil, fmt.Errorf("esp: %w", err)
	}
	sa := &SA{spi: c.SPI, encr: encr, esn: c.ESN}
	switch encr.Kind {
	case crypto.KindCBC:
		if sa.block, err = encr.NewBlock(c.EncrKey); err != nil {
			return nil, fmt.Errorf("esp: %w", err)
		}
	case crypto.KindAEAD:
		if sa.aead, err = encr.NewAEAD(c.EncrKey); err != nil {
			return nil, fmt.Errorf("esp: %w", err)
		}
		if c.Integ != wire.AUTH_NONE || c.UncheckedICVLen != 0 {
			// RFC 5282 section 8 and RFC 4106 section 1: a combined-mode
			// cipher takes no separate integrity algorithm.
			return nil, fmt.Errorf("esp: %v is a combined-mode cipher and takes no integrity algorithm (got %v)", c.Encr, c.Integ)
		}
		sa.icvLen = encr.ICVLen
		return sa, nil
	case crypto.KindNull:
		if len(c.EncrKey) != 0 {
			return nil, fmt.Errorf("esp: ENCR_NULL takes no key, got %d octets", len(c.EncrKey))
		}
	default:
		return nil, fmt.Errorf("esp: %v cannot protect ESP", c.Encr)
	}
	switch {
	case c.UncheckedICVLen < 0:
		return nil, fmt.Errorf("esp: unchecked ICV length %d", c.UncheckedICVLen)
	case c.UncheckedICVLen > 0:
		if c.Integ != wire.AUTH_NONE {
			return nil, fmt.Errorf("esp: an unchecked ICV with integrity algorithm %v", c.Integ)
		}
		sa.icvLen, sa.unchecked = c.UncheckedICVLen, true
	case c.Integ == wire.AUTH_NONE:
		// RFC8221-6-1, RFC8221-6-3. (ENCR_NULL with AUTH_NONE would be no
		// protection at all.)
		return nil, fmt.Errorf("esp: %v without an integrity algorithm is refused (RFC 8221 section 6)", c.Encr)
	default:
		if sa.integ, err = crypto.LookupInteg(c.Integ); err != nil {
			return nil, fmt.Errorf("esp: %w", err)
		}
		if _, err := sa.integ.New(c.IntegKey); err != nil {
			return nil, fmt.Errorf("esp: %w", err)
		}
		sa.integKey, sa.icvLen = slices.Clone(c.IntegKey), sa.integ.ICVLen
	}
	return sa, nil
}

// checkStateful refuses, for an Outbound or an Inbound, what only a
// stateless SA may have: SPI 0, which RFC4303-2.1-6 and RFC3948-2.1-4
// keep off the wire; an unchecked ICV (no integrity key to seal with, no
// ICV to wait for before the window moves); an unknown Mode.
func (c *Config) checkStateful() error {
	switch {
	case c.SPI == 0:
		return errors.New("esp: SPI 0 is never sent (RFC 4303 section 2.1)")
	case c.UncheckedICVLen != 0:
		return errors.New("esp: an SA whose ICV is not checked can neither seal nor keep a window (RFC 4303 section 3.4.3)")
	case c.Mode != Tunnel && c.Mode != Transport:
		return fmt.Errorf("esp: unknown %v", c.Mode)
	}
	return nil
}

// SPI is the SA's Security Parameters Index.
func (sa *SA) SPI() uint32 { return sa.spi }

// ICVLen is the length of the ICV (or AEAD tag) that ends every packet.
func (sa *SA) ICVLen() int { return sa.icvLen }

// IVLen is the length of the IV that starts the Payload Data.
func (sa *SA) IVLen() int { return sa.encr.IVLen }

// Checked reports whether Open verifies the ICV.
func (sa *SA) Checked() bool { return !sa.unchecked }

// String names the transforms, never the keys.
func (sa *SA) String() string {
	s := fmt.Sprintf("ESP SPI 0x%08x %v", sa.spi, sa.encr.ID)
	switch {
	case sa.integ != nil:
		s += "/" + sa.integ.ID.String()
	case sa.unchecked:
		s += fmt.Sprintf("/unchecked %d-octet ICV", sa.icvLen)
	}
	return s
}

// GoString is String: %#v must not print keys either.
func (sa *SA) GoString() string { return sa.String() }

// align is the unit that Payload Data | Padding | Pad Length | Next Header
// fills: the cipher's block, at least 4 octets (RFC 4303 section 2.4).
func (sa *SA) align() int {
	if bs := sa.encr.BlockSize; bs > Alignment {
		return bs
	}
	return Alignment
}

// minBody is the fewest octets after the ESP header that the SA can open:
// the IV, one cipher block (or the two trailer octets) and the ICV.
func (sa *SA) minBody() int {
	ct := TrailerLen
	if sa.encr.Kind == crypto.KindCBC {
		ct = sa.encr.BlockSize
	}
	return sa.encr.IVLen + ct + sa.icvLen
}

// mac returns the SA's integrity transform, keyed and reset, from a pool:
// keying HMAC costs two hash blocks and an allocation per packet otherwise.
// The caller puts it back with sa.macs.Put.
func (sa *SA) mac() (hash.Hash, error) {
	if h, ok := sa.macs.Get().(hash.Hash); ok {
		h.Reset()
		return h, nil
	}
	h, err := sa.integ.New(sa.integKey)
	if err != nil {
		return nil, fmt.Errorf("esp: %w", err)
	}
	return h, nil
}

// esnAAD is the associated data of a combined-mode transform with ESN:
// SPI | high-order 32 bits | low-order 32 bits (RFC 4106 section 5).
func esnAAD(spi uint32, seq uint64) []byte {
	aad := make([]byte, 12)
	binary.BigEndian.PutUint32(aad[0:4], spi)
	binary.BigEndian.PutUint64(aad[4:12], seq)
	return aad
}

// Opened is a packet that Open has verified (unless the SA's ICV is
// unchecked) and decrypted.
type Opened struct {
	SPI uint32
	// Seq is the sequence number: with ESN, the high-order 32 bits given to
	// OpenESN and the low-order 32 bits of the packet.
	Seq uint64
	IV  []byte
	// NextHeader is the Next Header field (RFC 4303 section 2.6): 4 or 41
	// in tunnel mode, the transport protocol in transport mode.
	NextHeader uint8
	// Payload is the Payload Data after the IV: the inner IP packet or the
	// next-layer data, followed by any TFC padding (RFC 4303 section 2.7),
	// which only the inner packet's own length tells apart.
	Payload []byte
	// PadLen is the Pad Length field; the Padding it covered was checked.
	PadLen int
	ICV    []byte
	// Authenticated is false when the SA's ICV is not checked: the
	// contents are what the key decrypts, not proven to be what was sent.
	Authenticated bool
}

// Dummy reports whether the packet is a dummy (RFC4303-2.6-2: "a receiver
// MUST be prepared to discard such packets, without indicating an error").
func (o *Opened) Dummy() bool { return o.NextHeader == NextHeaderDummy }

// Open verifies and decrypts a packet with 32-bit sequence numbers (from
// the SPI on). See OpenESN.
func (sa *SA) Open(pkt []byte) (*Opened, error) {
	if sa.esn {
		return nil, errors.New("esp: the SA uses Extended Sequence Numbers: use OpenESN")
	}
	o, _, err := sa.open(pkt, 0, false)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// OpenESN verifies and decrypts a packet of an ESN SA, seqHi being the
// high-order 32 bits of the sequence number that the receiver infers from
// its window (RFC 4303 section 2.2.1 and Appendix A).
//
// The steps are those of RFC 4303 section 3.4.4: the ICV is verified
// first, in constant time, over the packet minus the ICV (plus seqHi with
// ESN), and nothing is decrypted before it matches; then the Payload Data,
// Padding, Pad Length and Next Header are decrypted; then the Padding is
// inspected (RFC4303-2.4-4: "the receiver SHOULD inspect the Padding
// field"); then, for tunnel mode, the Next Header is checked against the
// IP version of the payload. A dummy packet (Next Header 59) is returned
// like any other; Opened.Dummy tells the caller to drop it silently.
// Every failure is an *Error matching ErrMalformed, ErrPadding or
// ErrIntegrity. No input makes OpenESN panic; pkt is not modified.
//
// Open and OpenESN check no sequence number: an Inbound does, and is what
// a data plane uses.
func (sa *SA) OpenESN(pkt []byte, seqHi uint32) (*Opened, error) {
	if !sa.esn {
		return nil, errors.New("esp: the SA does not use Extended Sequence Numbers: use Open")
	}
	o, _, err := sa.open(pkt, seqHi, false)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// open is Open and OpenESN. With inPlace, the plaintext overwrites the
// ciphertext in pkt and the result's slices alias pkt; without it, pkt is
// left as it was. verified reports whether the ICV matched, also when a
// check after it failed (Inbound moves its window for such a packet).
func (sa *SA) open(pkt []byte, seqHi uint32, inPlace bool) (o Opened, verified bool, err error) {
	p, err := Parse(pkt)
	if err != nil {
		return o, false, err
	}
	if p.SPI != sa.spi {
		return o, false, errAt(ErrMalformed, 0, "SPI 0x%08x, but the SA's is 0x%08x", p.SPI, sa.spi)
	}
	if len(p.Body) < sa.minBody() {
		return o, false, errAt(ErrMalformed, HeaderLen, "%d octets after the header, fewer than the %d that %v needs (IV %d, ICV %d)",
			len(p.Body), sa.minBody(), sa.encr.ID, sa.encr.IVLen, sa.icvLen)
	}
	ivLen := sa.encr.IVLen
	ctOff := HeaderLen + ivLen
	icvOff := len(pkt) - sa.icvLen
	o = Opened{
		SPI:           p.SPI,
		Seq:           uint64(seqHi)<<32 | uint64(p.Seq),
		IV:            pkt[HeaderLen:ctOff:ctOff],
		ICV:           pkt[icvOff:],
		Authenticated: !sa.unchecked,
	}
	if !inPlace {
		o.IV, o.ICV = slices.Clone(o.IV), slices.Clone(o.ICV)
	}
	ct := pkt[ctOff:icvOff]
	var plain []byte
	switch sa.encr.Kind {
	case crypto.KindCBC, crypto.KindNull:
		if bs := sa.encr.BlockSize; len(ct)%bs != 0 {
			return o, false, errAt(ErrMalformed, ctOff, "%d octets of ciphertext, not a multiple of the %d-octet %v block", len(ct), bs, sa.encr.ID)
		}
		if sa.integ != nil {
			// RFC 4303 section 3.4.4.1 step 1: the ICV over the ESP packet
			// minus the ICV, then (ESN) the high-order sequence bits.
			mac, err := sa.mac()
			if err != nil {
				return o, false, err
			}
			mac.Write(pkt[:icvOff])
			if sa.esn {
				mac.Write(binary.BigEndian.AppendUint32(nil, seqHi))
			}
			ok := hmac.Equal(mac.Sum(nil), pkt[icvOff:])
			sa.macs.Put(mac)
			if !ok {
				return o, false, errAt(ErrIntegrity, icvOff, "%d-octet ICV does not match (%v)", sa.icvLen, sa.integ.ID)
			}
			verified = true
		}
		plain = ct
		if !inPlace {
			plain = slices.Clone(ct)
		}
		if sa.block != nil {
			// RFC 3602 section 3 (AES-CBC), RFC 2451 (3DES): the IV is the
			// first part of the Payload Data.
			cipher.NewCBCDecrypter(sa.block, pkt[HeaderLen:ctOff]).CryptBlocks(plain, plain)
		}
	case crypto.KindAEAD:
		// RFC 4106 section 5, RFC 4309 section 5, RFC 7634 section 2.1:
		// the associated data is SPI | Sequence Number, the high-order
		// bits in between with ESN.
		aad := pkt[:HeaderLen]
		if sa.esn {
			aad = esnAAD(p.SPI, o.Seq)
		}
		var dst []byte
		if inPlace {
			dst = pkt[ctOff:ctOff] // ciphertext[:0]: decrypt in place
		}
		plain, err = sa.aead.Open(dst, pkt[HeaderLen:ctOff], pkt[ctOff:], aad)
		if err != nil {
			return o, false, errAt(ErrIntegrity, icvOff, "%d-octet ICV does not match (%v)", sa.icvLen, sa.encr.ID)
		}
		verified = true
	}
	if len(plain) < TrailerLen {
		return o, verified, errAt(ErrMalformed, ctOff, "%d octets of plaintext cannot hold Pad Length and Next Header", len(plain))
	}
	n := len(plain)
	padLen, next := int(plain[n-2]), plain[n-1]
	if padLen+TrailerLen > n {
		return o, verified, errAt(ErrPadding, ctOff+n-2, "Pad Length %d exceeds the %d octets of plaintext before it (Next Header %d)", padLen, n-TrailerLen, next)
	}
	// RFC4303-2.4-3: the default Padding is 1, 2, 3, ...; RFC4303-2.4-4:
	// the receiver SHOULD inspect it. None of the transforms here
	// specifies other contents (RFC 4303 section 2.4, RFC 4106 section 3).
	padStart := n - TrailerLen - padLen
	for i := 0; i < padLen; i++ {
		if got := plain[padStart+i]; got != byte(i+1) {
			return o, verified, errAt(ErrPadding, ctOff+padStart+i, "Padding octet %d of %d is 0x%02x, want 0x%02x (Next Header %d)", i+1, padLen, got, i+1, next)
		}
	}
	o.NextHeader, o.PadLen = next, padLen
	o.Payload = plain[:padStart:padStart]
	// RFC 4303 section 2.6: the Next Header "identifies the type of data
	// contained in the Payload Data field"; in tunnel mode that is an IP
	// packet of the version it names.
	if want := ipVersionOf(next); want != 0 {
		if len(o.Payload) == 0 {
			return o, verified, errAt(ErrMalformed, ctOff+n-1, "Next Header %d (IPv%d) with no Payload Data", next, want)
		}
		if v := o.Payload[0] >> 4; v != want {
			return o, verified, errAt(ErrMalformed, ctOff, "Next Header %d says IPv%d, but the payload starts with IP version %d", next, want, v)
		}
	}
	return o, verified, nil
}

// Seal builds the packet with sequence number seq that carries payload (the
// inner IP packet in tunnel mode, the next-layer data in transport mode)
// under the given Next Header (RFC 4303 section 3.3.2). With ESN the
// low-order 32 bits of seq are sent and the high-order bits enter the ICV;
// without it seq must fit in 32 bits (RFC4303-2.2-5: the SA must be
// rekeyed before the 2^32nd packet).
//
// A CBC IV is read from rand (nil: crypto/rand), unpredictable as RFC 3602
// section 2.1 requires; a combined-mode IV is the 64-bit sequence number,
// which never repeats under one key (RFC 4106 section 3.1: the IV "MUST
// NOT repeat"; RFC 7634 section 2 likewise). Padding is the fewest octets
// that align the trailer (RFC 4303 section 2.4), filled 1, 2, 3, ... No TFC
// padding is added.
//
// Seal keeps no counter: the caller must never pass the same seq twice
// under one key. An Outbound does that, and is what a data plane uses.
func (sa *SA) Seal(seq uint64, nextHeader uint8, payload []byte, rand io.Reader) ([]byte, error) {
	if sa.unchecked {
		return nil, errors.New("esp: an SA with an unchecked ICV has no integrity key and cannot seal")
	}
	return sa.appendSeal(nil, seq, nextHeader, payload, 0, rand)
}

// appendSeal appends to dst the packet that Seal describes, with tfc
// octets of TFC padding (zeros, RFC 4303 section 2.7) after the payload.
// payload may overlap dst's spare capacity: it is moved into place before
// anything else is written.
func (sa *SA) appendSeal(dst []byte, seq uint64, nextHeader uint8, payload []byte, tfc int, rand io.Reader) ([]byte, error) {
	if !sa.esn && seq > 0xffffffff {
		return nil, fmt.Errorf("esp: sequence number %d needs Extended Sequence Numbers", seq)
	}
	a := sa.align()
	body := len(payload) + tfc
	padLen := (a - (body+TrailerLen)%a) % a
	ivLen := sa.encr.IVLen
	ptOff := HeaderLen + ivLen
	ptLen := body + padLen + TrailerLen
	start := len(dst)
	out := slices.Grow(dst, ptOff+ptLen+sa.icvLen)[:start+ptOff+ptLen]
	pkt := out[start:]
	pt := pkt[ptOff:]
	n := copy(pt, payload)
	clear(pt[n : n+tfc])
	n += tfc
	for i := 1; i <= padLen; i++ {
		pt[n] = byte(i)
		n++
	}
	pt[n], pt[n+1] = byte(padLen), nextHeader
	binary.BigEndian.PutUint32(pkt[0:4], sa.spi)
	binary.BigEndian.PutUint32(pkt[4:8], uint32(seq))
	iv := pkt[HeaderLen:ptOff]
	switch sa.encr.Kind {
	case crypto.KindAEAD:
		binary.BigEndian.PutUint64(iv, seq)
		aad := pkt[:HeaderLen] // outside pt[:0], where the output goes
		if sa.esn {
			aad = esnAAD(sa.spi, seq)
		}
		ct := sa.aead.Seal(pt[:0], iv, pt, aad)
		return out[:start+ptOff+len(ct)], nil
	case crypto.KindCBC:
		if rand == nil {
			rand = crand.Reader
		}
		if _, err := io.ReadFull(rand, iv); err != nil {
			return nil, fmt.Errorf("esp: reading a CBC IV: %w", err)
		}
		cipher.NewCBCEncrypter(sa.block, iv).CryptBlocks(pt, pt)
	}
	if sa.integ == nil {
		return out, nil // test-only SAs without integrity (RFC 3602 vectors)
	}
	mac, err := sa.mac()
	if err != nil {
		return nil, err
	}
	mac.Write(pkt)
	if sa.esn {
		mac.Write(binary.BigEndian.AppendUint32(nil, uint32(seq>>32)))
	}
	out = mac.Sum(out)
	sa.macs.Put(mac)
	return out, nil
}
