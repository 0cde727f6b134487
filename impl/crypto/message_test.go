package crypto

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

func encodeChain(t *testing.T, ps []wire.Payload) []byte {
	t.Helper()
	_, b, err := wire.AppendPayloads(nil, ps)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 7634 appendix B once more, from decoded payloads: SealMessage of the
// INFORMATIONAL request with N(SET_WINDOW_SIZE 10) gives the RFC's octets.
func TestSealMessageRFC7634AppendixB(t *testing.T) {
	suite := mustSuite(t, wire.ENCR_CHACHA20_POLY1305, 0, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE)
	sk, err := NewSK(suite, h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3"), nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr := wire.Header{SPIi: 0xc0c1c2c3c4c5c6c7, SPIr: 0xd0d1d2d3d4d5d6d7, Major: 2,
		Exchange: wire.INFORMATIONAL, MessageID: 9}
	inner := []wire.Payload{&wire.Notify{Type: wire.SET_WINDOW_SIZE, Data: h("0000000a")}}
	msg, err := sk.SealMessage(hdr, inner, bytes.NewReader(h("1011121314151617")))
	if err != nil {
		t.Fatal(err)
	}
	want := h(`c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7 2e202500000000090000004529000029
	           1011121314151617610394701f8d017f 7c12924889 6b71bfe25236efd7cdc670669063 15b2`)
	if !bytes.Equal(msg, want) {
		t.Fatalf("SealMessage:\n got %x\nwant %x", msg, want)
	}
	ps, err := sk.OpenMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := wire.Find[*wire.Notify](ps)
	if len(ps) != 1 || !ok || n.Type != wire.SET_WINDOW_SIZE || !bytes.Equal(n.Data, h("0000000a")) {
		t.Errorf("OpenMessage = %v", ps)
	}
}

func TestSealOpenMessageRoundTrip(t *testing.T) {
	hdr := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.IKE_AUTH, Flags: wire.FlagInitiator, MessageID: 1}
	inner := []wire.Payload{
		&wire.ID{IDType: wire.ID_FQDN, Data: []byte("west")},
		&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: bytes.Repeat([]byte{7}, 32)},
		&wire.Notify{Type: wire.INITIAL_CONTACT},
	}
	for _, s := range testSuites(t) {
		sk := newTestSK(t, s)
		for _, in := range [][]wire.Payload{inner, nil} {
			msg, err := sk.SealMessage(hdr, in, seeded(3))
			if err != nil {
				t.Fatal(err)
			}
			m, err := wire.Decode(msg)
			if err != nil {
				t.Fatalf("%v: wire.Decode of a sealed message: %v", s, err)
			}
			if m.Header != hdr || len(m.Payloads) != 1 {
				t.Fatalf("%v: decoded %v", s, m)
			}
			got, err := sk.OpenMessage(msg)
			if err != nil {
				t.Fatalf("%v: %v", s, err)
			}
			if !bytes.Equal(encodeChain(t, got), encodeChain(t, in)) {
				t.Errorf("%v: payloads differ after the round trip", s)
			}
			bad := bytes.Clone(msg)
			bad[len(bad)-1] ^= 1
			if _, err := sk.OpenMessage(bad); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%v: tampered: %v", s, err)
			}
		}
	}
}

func TestOpenMessageCapture(t *testing.T) {
	suite := mustSuite(t, wire.ENCR_AES_CCM_16, 256, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.ECP_256)
	sk, err := NewSK(suite, h(ccmSKei), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := sk.OpenMessage(h(capCCMFrame3))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := wire.Find[*wire.Auth](ps)
	if !ok || !bytes.Equal(a.Data, h("fa2e74bdc01e30fb0b3ddc9723c9449095969da51f69e560209d2c2b7940210a")) {
		t.Errorf("AUTH %v", ps)
	}
}

func TestMessageErrors(t *testing.T) {
	sk := newTestSK(t, mustSuite(t, wire.ENCR_AES_GCM_16, 128, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE))
	hdr := wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.INFORMATIONAL}
	if _, err := sk.SealMessage(hdr, []wire.Payload{&wire.Encrypted{}}, nil); err == nil {
		t.Error("SK inside SK accepted")
	}
	if _, err := sk.SealMessage(hdr, []wire.Payload{&wire.VendorID{Data: make([]byte, 70000)}}, nil); err == nil {
		t.Error("an oversized payload accepted")
	}
	// An SKF fragment is not a whole message.
	pt := []byte("part of a chain")
	frag, err := sk.Seal(testPrefix(sk, len(pt), encSKF, false), pt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sk.Open(frag, wire.HeaderLen); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open of a fragment: %v", err)
	}
	if _, err := sk.OpenMessage(frag); !errors.Is(err, ErrSKMalformed) {
		t.Errorf("OpenMessage of a fragment: %v", err)
	}
	// No SK payload at all, and garbage.
	plain := wire.Header{Major: 2, Exchange: wire.IKE_SA_INIT}.Append(nil, wire.PayloadNone, wire.HeaderLen)
	for _, m := range [][]byte{plain, nil, {1, 2, 3}} {
		if _, err := sk.OpenMessage(m); !errors.Is(err, ErrSKMalformed) || !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("OpenMessage(%x): %v", m, err)
		}
	}
	// Authentic, but the inner chain is not a payload chain.
	prefix := testPrefix(sk, 3, encSK, false)
	junk, err := sk.Seal(prefix, []byte{0, 0, 9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.OpenMessage(junk); !errors.Is(err, wire.ErrMalformed) || errors.Is(err, ErrIntegrity) {
		t.Errorf("OpenMessage of an authentic malformed chain: %v", err)
	}
}
