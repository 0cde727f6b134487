package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// fragInner is an IKE_AUTH-like chain of a few hundred octets.
func fragInner() []wire.Payload {
	return []wire.Payload{
		&wire.ID{IDType: wire.ID_FQDN, Data: []byte("west.lab.example")},
		&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: bytes.Repeat([]byte{7}, 32)},
		&wire.Notify{Type: wire.INITIAL_CONTACT},
		&wire.VendorID{Data: bytes.Repeat([]byte("vendor "), 40)},
	}
}

// SealFragments cuts the plaintext into chunks that fill each fragment up
// to maxLen, numbers them 1..Total, puts the first inner payload's type in
// fragment 1 only (RFC7383-2.5-2, RFC7383-2.5-3), keeps the IKE header but
// for Next Payload and Length (RFC7383-2.5-7), and each fragment opens on
// its own; the chunks joined are the SK payload's plaintext.
func TestSealFragmentsRoundTrip(t *testing.T) {
	hdr := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: 1}
	inner := fragInner()
	_, want, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		for _, maxLen := range []int{120, 200, 333, 1500} {
			frags, err := sk.SealFragments(hdr, inner, maxLen, seeded(4))
			if err != nil {
				t.Fatalf("%v, %d: %v", s, maxLen, err)
			}
			chunk := sk.FragmentChunk(maxLen)
			if n := (len(want) + chunk - 1) / chunk; len(frags) != n {
				t.Fatalf("%v, %d: %d fragments, want %d", s, maxLen, len(frags), n)
			}
			var got []byte
			for i, msg := range frags {
				if len(msg) > maxLen {
					t.Fatalf("%v: fragment %d has %d octets, more than %d", s, i+1, len(msg), maxLen)
				}
				m, err := wire.Decode(msg)
				if err != nil {
					t.Fatalf("%v: fragment %d does not decode: %v", s, i+1, err)
				}
				if m.Header != hdr || msg[16] != byte(wire.PayloadSKF) {
					t.Errorf("%v: fragment %d header %+v", s, i+1, m.Header)
				}
				f, ok, err := ParseFragment(msg)
				if err != nil || !ok || int(f.Number) != i+1 || int(f.Total) != len(frags) {
					t.Fatalf("%v: fragment %d parses as %+v, %v, %v", s, i+1, f, ok, err)
				}
				if wantInner := wire.PayloadNone; i == 0 && f.Inner != wire.PayloadIDi || i > 0 && f.Inner != wantInner {
					t.Errorf("%v: fragment %d Next Payload %v", s, i+1, f.Inner)
				}
				p, err := sk.Open(msg, f.Off)
				if err != nil {
					t.Fatalf("%v: fragment %d: %v", s, i+1, err)
				}
				if i < len(frags)-1 && len(p) != chunk {
					t.Errorf("%v: fragment %d carries %d octets, the chunk is %d", s, i+1, len(p), chunk)
				}
				got = append(got, p...)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%v, %d: the joined fragments differ from the plaintext", s, maxLen)
			}
			ps, err := wire.DecodePayloads(wire.PayloadIDi, got)
			if err != nil || len(ps) != len(inner) {
				t.Errorf("%v: reassembled %v, %v", s, ps, err)
			}
		}
	}
}

// FragmentChunk is exact: its chunk fits, one octet more does not.
func TestFragmentChunk(t *testing.T) {
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		for maxLen := 0; maxLen < 400; maxLen++ {
			c := sk.FragmentChunk(maxLen)
			size := func(c int) int { return wire.HeaderLen + skfHeaderLen + c + sk.Overhead(c) }
			if c > 0 && size(c) > maxLen {
				t.Fatalf("%v: FragmentChunk(%d) = %d does not fit", s, maxLen, c)
			}
			if size(c+1) <= maxLen {
				t.Fatalf("%v: FragmentChunk(%d) = %d, but %d fits", s, maxLen, c, c+1)
			}
		}
	}
	sk := newTestSK(t, testSuites(t)[0])
	if _, err := sk.SealFragments(wire.Header{}, fragInner(), 40, nil); err == nil {
		t.Error("SealFragments into 40-octet messages succeeded")
	}
}

// The Fragment Number and Total Fragments are protected: for AEAD they are
// in the associated data (RFC 5282 section 5.1 through the SKF payload's
// header), for CBC under the ICV. A fragment renumbered in transit (here:
// fragment 2's fields put in fragment 1) fails with ErrIntegrity.
func TestFragmentFieldsAuthenticated(t *testing.T) {
	hdr := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.IKE_AUTH, MessageID: 5, Flags: wire.FlagResponse}
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		frags, err := sk.SealFragments(hdr, fragInner(), 200, seeded(5))
		if err != nil || len(frags) < 3 {
			t.Fatalf("%v: %d fragments, %v", s, len(frags), err)
		}
		f, _, _ := ParseFragment(frags[0])
		for _, field := range []int{f.Off + 4, f.Off + 6} {
			bad := bytes.Clone(frags[0])
			binary.BigEndian.PutUint16(bad[field:], 2)
			if _, err := sk.Open(bad, f.Off); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%v: octet %d changed: %v, want ErrIntegrity", s, field, err)
			}
		}
	}
}

// An AES-GCM fragment opened by hand with crypto/cipher: nonce = salt | IV
// (RFC 4106 section 4 by way of RFC 5282 section 4), associated data = the
// message up to the end of the SKF header, Fragment Number and Total
// Fragments included (RFC 5282 section 5.1, RFC 7383 section 2.5).
func TestFragmentAEADByHand(t *testing.T) {
	s := mustSuite(t, wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE)
	key := bytes.Repeat([]byte{0x42}, 16)
	salt := []byte{1, 2, 3, 4}
	sk, err := NewSK(s, append(bytes.Clone(key), salt...), nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr := wire.Header{SPIi: 9, SPIr: 10, Major: 2, Exchange: wire.CREATE_CHILD_SA, MessageID: 3}
	frags, err := sk.SealFragments(hdr, fragInner(), 256, seeded(6))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	_, want, _ := wire.AppendPayloads(nil, fragInner())
	var got []byte
	for _, msg := range frags {
		off := wire.HeaderLen
		iv := msg[off+8 : off+16]
		p, err := gcm.Open(nil, append(bytes.Clone(salt), iv...), msg[off+16:], msg[:off+8])
		if err != nil {
			t.Fatalf("by hand: %v", err)
		}
		pad := int(p[len(p)-1])
		got = append(got, p[:len(p)-1-pad]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the fragments opened by hand do not give the plaintext")
	}
}

// ParseFragment: an SK message is not a fragment; an SKF header with a zero
// or too large Fragment Number is refused (RFC7383-2.6-1).
func TestParseFragment(t *testing.T) {
	sk := newTestSK(t, testSuites(t)[0])
	hdr := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.INFORMATIONAL}
	msg, err := sk.SealMessage(hdr, nil, seeded(7))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ParseFragment(msg); ok || err != nil {
		t.Errorf("an SK message: %v, %v", ok, err)
	}
	frags, err := sk.SealFragments(hdr, fragInner(), 200, seeded(7))
	if err != nil {
		t.Fatal(err)
	}
	for _, nt := range [][2]uint16{{0, 3}, {4, 3}, {1, 0}} {
		bad := bytes.Clone(frags[0])
		binary.BigEndian.PutUint16(bad[wire.HeaderLen+4:], nt[0])
		binary.BigEndian.PutUint16(bad[wire.HeaderLen+6:], nt[1])
		if _, _, err := ParseFragment(bad); !errors.Is(err, ErrSKMalformed) {
			t.Errorf("fragment %d of %d: %v", nt[0], nt[1], err)
		}
	}
	if _, _, err := ParseFragment([]byte{1, 2, 3}); !errors.Is(err, ErrSKMalformed) {
		t.Errorf("garbage: %v", err)
	}
}
