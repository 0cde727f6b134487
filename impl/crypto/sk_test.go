package crypto

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ikev2ref/ikev2ref/internal/proptest"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

type encKind int

const (
	encSK  encKind = iota // an SK payload
	encSKF                // an SKF payload, fragment 2 of 3
)

// testPrefix builds the message up to the end of the SK or SKF header for a
// plaintext of ptLen octets, every length final; with unprotected set, a
// Notify payload precedes the encrypted one (RFC 5282 section 5.1 puts it
// in the associated data).
func testPrefix(sk *SK, ptLen int, kind encKind, unprotected bool) []byte {
	return testPrefixLen(ptLen+sk.Overhead(ptLen), kind, unprotected)
}

// testPrefixLen is testPrefix for a body (IV, ciphertext, ICV) of n octets.
func testPrefixLen(n int, kind encKind, unprotected bool) []byte {
	encType, encHdr := wire.PayloadSK, wire.GenericHeaderLen
	if kind == encSKF {
		encType, encHdr = wire.PayloadSKF, wire.GenericHeaderLen+4
	}
	notify := []byte{byte(encType), 0, 0, 8, 0, 0, 0x40, 0x01} // N(SET_WINDOW_SIZE), no data
	pre := 0
	if unprotected {
		pre = len(notify)
	}
	encLen := encHdr + n
	total := wire.HeaderLen + pre + encLen
	first := encType
	if unprotected {
		first = wire.PayloadNotify
	}
	hdr := wire.Header{SPIi: 0x1122334455667788, SPIr: 0x99aabbccddeeff00, Major: 2,
		Exchange: wire.INFORMATIONAL, Flags: wire.FlagInitiator, MessageID: 7}
	b := hdr.Append(nil, first, total)
	if unprotected {
		b = append(b, notify...)
	}
	b = append(b, byte(wire.PayloadNotify), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(encLen))
	if kind == encSKF {
		b = append(b, 0, 2, 0, 3)
	}
	return b
}

// testSuites is every ENCR x INTEG combination the SK supports, with every
// key length.
func testSuites(t testing.TB) []Suite {
	var out []Suite
	for _, e := range EncrTransforms() {
		if e.Kind == KindNull {
			continue
		}
		bits := e.KeyBits
		if len(bits) == 0 {
			bits = []int{0}
		}
		integs := []wire.IntegID{wire.AUTH_NONE}
		if !e.IsAEAD() {
			integs = nil
			for _, i := range IntegTransforms() {
				integs = append(integs, i.ID)
			}
		}
		for _, b := range bits {
			for _, i := range integs {
				out = append(out, mustSuite(t, e.ID, b, wire.PRF_HMAC_SHA2_256, i, wire.KE_NONE))
			}
		}
	}
	return out
}

// newTestSK keys an SK with octets derived from the suite's name.
func newTestSK(t testing.TB, s Suite) *SK {
	t.Helper()
	l := s.KeyLengths()
	p, _ := LookupPRF(wire.PRF_HMAC_SHA2_512)
	km, err := p.Plus([]byte(s.String()), nil, l.E+l.A)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := NewSK(s, km[:l.E], km[l.E:])
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestSKRoundTripEverySuite(t *testing.T) {
	suites := testSuites(t)
	if len(suites) != 3*5+5+6*3+1 { // AES-CBC x INTEG, 3DES x INTEG, GCM/CCM x 3 key sizes, ChaCha20
		t.Errorf("%d suites", len(suites))
	}
	for _, s := range suites {
		t.Run(s.String(), func(t *testing.T) {
			sk := newTestSK(t, s)
			for _, n := range []int{0, 1, 7, 8, 14, 15, 16, 17, 31, 32, 33, 100, 1024} {
				for _, kind := range []encKind{encSK, encSKF} {
					for _, unprotected := range []bool{false, true} {
						pt := bytes.Repeat([]byte{byte(n)}, n)
						prefix := testPrefix(sk, n, kind, unprotected)
						msg, err := sk.Seal(prefix, pt, seeded(uint64(n)))
						if err != nil {
							t.Fatal(err)
						}
						if len(msg) != len(prefix)+n+sk.Overhead(n) {
							t.Fatalf("%d octets sealed, Overhead promised %d", len(msg), len(prefix)+n+sk.Overhead(n))
						}
						if !bytes.Equal(msg[:len(prefix)], prefix) {
							t.Fatal("Seal changed the prefix")
						}
						off, err := wire.FindEncrypted(msg)
						if err != nil {
							t.Fatalf("wire.FindEncrypted: %v", err)
						}
						got, err := sk.Open(msg, off)
						if err != nil || !bytes.Equal(got, pt) {
							t.Fatalf("n=%d kind=%d: Open = %x, %v", n, kind, got, err)
						}
						if s.Encr.Kind == KindCBC {
							if c := msg[len(prefix)+s.Encr.IVLen : len(msg)-s.Integ.ICVLen]; len(c)%s.Encr.BlockSize != 0 {
								t.Fatalf("CBC ciphertext of %d octets", len(c))
							}
						}
					}
				}
			}
		})
	}
}

// Changing any octet of a sealed message makes Open fail; outside the
// framing fields (Next Payload of the header, the Length fields) the
// failure is an integrity failure. This checks that the ICV covers the
// whole message (RFC7296-3.14-6) and the AEAD associated data the header
// and the unprotected payloads (RFC5282-5.1-1).
func TestSKTamper(t *testing.T) {
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		pt := []byte("IDi AUTH SA TSi TSr, more or less")
		for _, kind := range []encKind{encSK, encSKF} {
			prefix := testPrefix(sk, len(pt), kind, true)
			msg, err := sk.Seal(prefix, pt, seeded(1))
			if err != nil {
				t.Fatal(err)
			}
			skOff := wire.HeaderLen + 8
			framing := map[int]bool{16: true, 24: true, 25: true, 26: true, 27: true,
				wire.HeaderLen: true, wire.HeaderLen + 2: true, wire.HeaderLen + 3: true,
				skOff + 2: true, skOff + 3: true}
			for i := range msg {
				for _, bit := range []byte{0x01, 0x80} {
					bad := bytes.Clone(msg)
					bad[i] ^= bit
					_, err := sk.Open(bad, skOff)
					switch {
					case err == nil:
						t.Fatalf("%v: octet %d ^ %#x accepted", s, i, bit)
					case !framing[i] && !errors.Is(err, ErrIntegrity):
						t.Fatalf("%v: octet %d ^ %#x: %v, want ErrIntegrity", s, i, bit, err)
					case !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrSKMalformed):
						t.Fatalf("%v: octet %d: %v matches neither sentinel", s, i, err)
					}
				}
			}
		}
	}
}

// Open(Seal(p)) == p for random plaintexts and every suite (gopter).
func TestSKSealOpenProperty(t *testing.T) {
	suites := testSuites(t)
	sks := make([]*SK, len(suites))
	for i, s := range suites {
		sks[i] = newTestSK(t, s)
	}
	params := proptest.Parameters(t)
	params.MinSuccessfulTests = 500
	properties := gopter.NewProperties(params)
	properties.Property("Open(Seal(p)) == p", prop.ForAll(
		func(i int, pt []byte, skf, unprotected bool, seed uint64) string {
			sk := sks[i]
			kind := encSK
			if skf {
				kind = encSKF
			}
			msg, err := sk.Seal(testPrefix(sk, len(pt), kind, unprotected), pt, seeded(seed))
			if err != nil {
				return err.Error()
			}
			off, err := wire.FindEncrypted(msg)
			if err != nil {
				return err.Error()
			}
			got, err := sk.Open(msg, off)
			if err != nil {
				return fmt.Sprintf("%v: %v", suites[i], err)
			}
			if !bytes.Equal(got, pt) {
				return fmt.Sprintf("%v: %x != %x", suites[i], got, pt)
			}
			return ""
		},
		gen.IntRange(0, len(sks)-1),
		gen.SliceOf(gen.UInt8()),
		gen.Bool(),
		gen.Bool(),
		gen.UInt64(),
	))
	properties.TestingRun(t)
}

// sealRaw seals p, which already ends in Padding and Pad Length, as an SK
// payload: the way to build what Seal never sends.
func sealRaw(t *testing.T, sk *SK, p []byte) []byte {
	t.Helper()
	prefix := testPrefixLen(sk.encr.IVLen+len(p)+sk.icvLen, encSK, false)
	iv := bytes.Repeat([]byte{0x1f}, sk.encr.IVLen)
	out := append(bytes.Clone(prefix), iv...)
	switch sk.encr.Kind {
	case KindCBC:
		if len(p)%sk.encr.BlockSize != 0 {
			t.Fatalf("%d octets do not align", len(p))
		}
		ct := make([]byte, len(p))
		cipher.NewCBCEncrypter(sk.block, iv).CryptBlocks(ct, p)
		out = append(out, ct...)
		mac, err := sk.integ.New(sk.integKey)
		if err != nil {
			t.Fatal(err)
		}
		mac.Write(out)
		out = mac.Sum(out)
	case KindAEAD:
		out = sk.aead.Seal(out, iv, p, prefix)
	}
	return out
}

// RFC7296-3.14-5: "the recipient MUST accept any length that results in
// proper alignment"; with AEAD "any amount of Padding up to 255 octets"
// (RFC5282-3-2, RFC7634-3-2). Padding octets may hold any value
// (RFC7296-3.14-4, RFC5282-3-1).
func TestSKAcceptsLongerPadding(t *testing.T) {
	pt := []byte("0123456789abcdef0123456789")
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		var pads []int
		if s.Encr.Kind == KindCBC {
			for p := sk.padLen(len(pt)); p <= 255; p += s.Encr.BlockSize {
				pads = append(pads, p)
			}
		} else {
			pads = []int{0, 1, 3, 16, 100, 255}
		}
		for _, n := range pads {
			p := append(append(bytes.Clone(pt), bytes.Repeat([]byte{0xa5}, n)...), byte(n))
			got, err := sk.Open(sealRaw(t, sk, p), wire.HeaderLen)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%v: padding %d: %q, %v", s, n, got, err)
			}
		}
	}
}

// After a good ICV, a Pad Length that does not fit is malformed.
func TestSKBadPadLength(t *testing.T) {
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		for _, n := range []int{16, 32} {
			if n%s.Encr.BlockSize != 0 {
				continue
			}
			p := make([]byte, n)
			p[n-1] = byte(n) // needs n+1 octets, n are there
			if _, err := sk.Open(sealRaw(t, sk, p), wire.HeaderLen); !errors.Is(err, ErrSKMalformed) {
				t.Errorf("%v: %v, want ErrSKMalformed", s, err)
			}
			p[n-1] = byte(n - 1) // all padding: an empty payload chain
			if got, err := sk.Open(sealRaw(t, sk, p), wire.HeaderLen); err != nil || len(got) != 0 {
				t.Errorf("%v: all padding: %x, %v", s, got, err)
			}
		}
	}
}

// Open is total: short, truncated, misaligned and misframed messages, and
// offsets anywhere, give an error matching a sentinel and never a panic.
func TestSKOpenMalformed(t *testing.T) {
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		pt := []byte("some inner payloads")
		msg, err := sk.Seal(testPrefix(sk, len(pt), encSK, false), pt, seeded(5))
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, m []byte, off int) {
			t.Helper()
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%v: %s: panic %v", s, name, r)
				}
			}()
			got, err := sk.Open(m, off)
			if err == nil {
				t.Fatalf("%v: %s: accepted (%x)", s, name, got)
			}
			if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrSKMalformed) {
				t.Fatalf("%v: %s: %v matches no sentinel", s, name, err)
			}
			if _, err := sk.DecryptUnverified(m, off); err == nil && s.Encr.IsAEAD() {
				t.Fatalf("%v: %s: DecryptUnverified accepted", s, name)
			}
		}
		for _, off := range []int{math.MinInt, -1, 0, 27, 29, len(msg) - 3, len(msg), len(msg) + 1, math.MaxInt} {
			check(fmt.Sprintf("offset %d", off), msg, off)
		}
		for n := 0; n < len(msg); n++ {
			// Truncated, with the lengths made consistent again.
			m := bytes.Clone(msg[:n])
			if n >= wire.HeaderLen {
				binary.BigEndian.PutUint32(m[24:], uint32(n))
			}
			if n >= wire.HeaderLen+4 {
				binary.BigEndian.PutUint16(m[wire.HeaderLen+2:], uint16(n-wire.HeaderLen))
			}
			check(fmt.Sprintf("truncated to %d", n), m, wire.HeaderLen)
		}
		var long []byte
		long = append(long, msg...)
		long = append(long, 0, 0, 0)
		binary.BigEndian.PutUint32(long[24:], uint32(len(long)))
		check("trailing octets after SK", long, wire.HeaderLen)
		binary.BigEndian.PutUint16(long[wire.HeaderLen+2:], uint16(len(long)-wire.HeaderLen))
		check("SK lengthened by 3 octets", long, wire.HeaderLen)
		notSK := bytes.Clone(msg)
		notSK[16] = byte(wire.PayloadNotify)
		check("not an SK payload", notSK, wire.HeaderLen)
		zeroLen := bytes.Clone(msg)
		binary.BigEndian.PutUint16(zeroLen[wire.HeaderLen+2:], 0)
		check("SK length 0", zeroLen, wire.HeaderLen)
	}
	// Random octets.
	r := seeded(77)
	sk := newTestSK(t, mustSuite(t, wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.KE_NONE))
	for i := range 20000 {
		m := make([]byte, i%200)
		r.Read(m)
		if len(m) >= wire.HeaderLen && i%2 == 0 {
			binary.BigEndian.PutUint32(m[24:], uint32(len(m)))
			m[16] = byte(wire.PayloadSK)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %x: %v", m, p)
				}
			}()
			if _, err := sk.Open(m, int(r.Uint64()%64)); err == nil {
				t.Fatalf("random message %x accepted", m)
			}
		}()
	}
}

func TestSKSealChecks(t *testing.T) {
	sk := newTestSK(t, mustSuite(t, wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE))
	pt := []byte("x")
	prefix := testPrefix(sk, len(pt), encSK, false)
	if _, err := sk.Seal(prefix[:wire.HeaderLen+3], pt, nil); err == nil {
		t.Error("Seal accepted a prefix without a payload header")
	}
	bad := bytes.Clone(prefix)
	binary.BigEndian.PutUint32(bad[24:], uint32(len(prefix)+len(pt)+sk.Overhead(len(pt))+1))
	if _, err := sk.Seal(bad, pt, nil); err == nil {
		t.Error("Seal accepted an IKE header Length that does not match")
	}
	if _, err := sk.Seal(prefix, pt, bytes.NewReader(nil)); err == nil {
		t.Error("Seal without randomness for the first IV succeeded")
	}
}

// AEAD IVs are a counter from a random start (RFC5282-3.1-2,
// RFC7634-2-1); CBC IVs are fresh random values (RFC7296-3.14-3,
// RFC3602-3-2).
func TestSKIVs(t *testing.T) {
	gcm := newTestSK(t, mustSuite(t, wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE))
	pt := []byte("p")
	prefix := testPrefix(gcm, len(pt), encSK, false)
	start := h("fffffffffffffffe")
	var ivs [][]byte
	for i := range 4 {
		msg, err := gcm.Seal(prefix, pt, bytes.NewReader(start)) // read only once
		if err != nil {
			t.Fatalf("seal %d: %v", i, err)
		}
		ivs = append(ivs, msg[len(prefix):len(prefix)+8])
	}
	for i, want := range []string{"fffffffffffffffe", "ffffffffffffffff", "0000000000000000", "0000000000000001"} {
		if !bytes.Equal(ivs[i], h(want)) {
			t.Errorf("IV %d = %x, want %s", i, ivs[i], want)
		}
	}
	gcm.sealed = math.MaxUint64
	if _, err := gcm.Seal(prefix, pt, nil); err == nil || !strings.Contains(err.Error(), "spent") {
		t.Errorf("Seal after 2^64-1 IVs: %v", err)
	}

	cbc := newTestSK(t, mustSuite(t, wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.KE_NONE))
	prefix = testPrefix(cbc, len(pt), encSK, false)
	r := seeded(4)
	a, _ := cbc.Seal(prefix, pt, r)
	b, _ := cbc.Seal(prefix, pt, r)
	if bytes.Equal(a[len(prefix):len(prefix)+16], b[len(prefix):len(prefix)+16]) {
		t.Error("two CBC messages share an IV")
	}
}

func TestNewSKChecks(t *testing.T) {
	s := mustSuite(t, wire.ENCR_AES_CBC, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_HMAC_SHA2_256_128, wire.KE_NONE)
	k32 := make([]byte, 32)
	for _, c := range []struct{ enc, integ []byte }{
		{k32[:16], k32}, {k32, k32[:20]}, {k32, nil}, {nil, nil},
	} {
		if _, err := NewSK(s, c.enc, c.integ); err == nil {
			t.Errorf("NewSK accepted keys of %d and %d octets", len(c.enc), len(c.integ))
		}
	}
	if _, err := NewSK(Suite{}, k32, k32); err == nil {
		t.Error("NewSK accepted an empty suite")
	}
	sk, err := NewSK(s, bytes.Repeat([]byte{0xab}, 32), bytes.Repeat([]byte{0xcd}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, str := range []string{sk.String(), fmt.Sprintf("%v %+v %#v", sk, sk, sk)} {
		if strings.Contains(str, "ab") || strings.Contains(str, "cd") || strings.Contains(str, "171") {
			t.Errorf("formatting an SK shows key material: %s", str)
		}
	}
}

// Concurrent Seals never share an AEAD IV.
func TestSKConcurrentSeal(t *testing.T) {
	sk := newTestSK(t, mustSuite(t, wire.ENCR_CHACHA20_POLY1305, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE))
	pt := []byte("x")
	prefix := testPrefix(sk, len(pt), encSK, false)
	const workers, each = 4, 200
	ivs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				msg, err := sk.Seal(prefix, pt, nil)
				if err != nil {
					t.Error(err)
					return
				}
				ivs <- string(msg[len(prefix) : len(prefix)+8])
			}
		}()
	}
	wg.Wait()
	close(ivs)
	seen := map[string]bool{}
	for iv := range ivs {
		if seen[iv] {
			t.Fatalf("IV %x used twice", iv)
		}
		seen[iv] = true
	}
}
