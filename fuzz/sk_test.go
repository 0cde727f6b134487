package fuzz

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	mrand "math/rand/v2"
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// skContext is one direction of an IKE SA with fixed keys.
type skContext struct {
	name string
	sk   *crypto.SK
}

// The Wireshark capture ikev2-decrypt-aes256cbc.pcapng and its row of the
// key table (testdata/captures/SOURCES.md): its frames 3 and 4 open with
// these keys, so two of the captures' SK messages reach the decrypt path.
const (
	cbcSPIi uint64 = 0x191ccd371a7a1f7b
	cbcSPIr uint64 = 0xbc123d15e4af593f
)

// skContexts builds the fixed SK contexts FuzzSKOpen opens every input
// with: AES-GCM-16 with a 128-bit key and ChaCha20-Poly1305 (RFC 5282,
// RFC 7634) with counting keys, and AES-CBC-256 with HMAC-SHA2-256-128 in both
// directions with the keys of the Wireshark capture.
func skContexts(tb testing.TB) []skContext {
	tb.Helper()
	fixed := func(name string, encr wire.EncrID, keyBits int) skContext {
		s, err := crypto.NewSuite(encr, keyBits, wire.PRF_HMAC_SHA2_256, wire.AUTH_NONE, wire.KE_NONE)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		sk, err := crypto.NewSK(s, seq(0x30, s.KeyLengths().E), nil)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		return skContext{name, sk}
	}
	table, err := keytable.ReadIKEFile(capturesDir + "/wireshark/ikev2_decryption_table")
	if err != nil {
		tb.Fatal(err)
	}
	row, ok := table.Lookup(cbcSPIi, cbcSPIr)
	if !ok {
		tb.Fatalf("no key table row for %016x/%016x", cbcSPIi, cbcSPIr)
	}
	s, err := crypto.NewSuite(row.Encr, row.EncrKeyBits, 0, row.Integ.ID, wire.KE_NONE)
	if err != nil {
		tb.Fatal(err)
	}
	cbc := func(name string, ek, ak []byte) skContext {
		sk, err := crypto.NewSK(s, ek, ak)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		return skContext{name, sk}
	}
	return []skContext{
		fixed("AES-GCM-16-128", wire.ENCR_AES_GCM_16, 128),
		fixed("ChaCha20-Poly1305", wire.ENCR_CHACHA20_POLY1305, 0),
		cbc("AES-CBC-256/HMAC-SHA2-256-128 initiator", row.SKei, row.SKai),
		cbc("AES-CBC-256/HMAC-SHA2-256-128 responder", row.SKer, row.SKar),
	}
}

// sealFragment returns a whole message protected by sk whose one payload is
// SKF fragment 1 of 2 (RFC 7383 section 2.5) carrying inner. SealMessage
// builds SK messages; fragments are sealed with Seal.
func sealFragment(tb testing.TB, sk *crypto.SK, h wire.Header, inner []wire.Payload, rand io.Reader) []byte {
	tb.Helper()
	first, plain, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		tb.Fatal(err)
	}
	plen := wire.GenericHeaderLen + 4 + len(plain) + sk.Overhead(len(plain))
	prefix := h.Append(nil, wire.PayloadSKF, wire.HeaderLen+plen)
	prefix = append(prefix, byte(first), 0, byte(plen>>8), byte(plen), 0, 1, 0, 2)
	msg, err := sk.Seal(prefix, plain, rand)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

// sealedSeeds seals a few plaintexts with every context: an IKE_AUTH-like
// chain, an empty one and AllPayloads' chain, as SK and as SKF.
func sealedSeeds(tb testing.TB, ctxs []skContext) [][]byte {
	tb.Helper()
	all := AllPayloads()[0]
	auth := []wire.Payload{
		&wire.ID{IDType: wire.ID_FQDN, Data: []byte("west")},
		&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: seq(0x70, 32)},
		&wire.Notify{Type: wire.INITIAL_CONTACT},
	}
	var out [][]byte
	for _, c := range ctxs {
		h := all.Header
		rand := mrand.NewChaCha8([32]byte{1}) // the seeds are the same on every run
		for _, tc := range []struct {
			inner []wire.Payload
			frag  bool
		}{
			{auth, false},
			{nil, false},
			{all.Payloads[:len(all.Payloads)-1], false},
			{auth, true},
		} {
			var msg []byte
			if tc.frag {
				msg = sealFragment(tb, c.sk, h, tc.inner, rand)
			} else {
				var err error
				if msg, err = c.sk.SealMessage(h, tc.inner, rand); err != nil {
					tb.Fatalf("%s: SealMessage: %v", c.name, err)
				}
			}
			// The seeds must reach the decrypt path: they open.
			off, err := wire.FindEncrypted(msg)
			if err != nil {
				tb.Fatalf("%s: FindEncrypted on a sealed message: %v", c.name, err)
			}
			plain, err := c.sk.Open(msg, off)
			if err != nil {
				tb.Fatalf("%s: Open of a sealed message: %v", c.name, err)
			}
			ps, err := wire.DecodePayloads(wire.PayloadType(msg[off]), plain)
			if err != nil || !reflect.DeepEqual(ps, tc.inner) {
				tb.Fatalf("%s: the opened plaintext gives %v, %v; want %v", c.name,
					wire.Summary(h, ps), err, wire.Summary(h, tc.inner))
			}
			out = append(out, msg)
			h.MessageID++
		}
	}
	return out
}

// FuzzSKOpen: the SK open path (RFC 7296 section 3.14, RFC 7383 section
// 2.5). Every input is a whole message: FindEncrypted locates its SK or SKF
// payload, then every fixed context's Open and DecryptUnverified work on it,
// and also at the offset the fuzzer chooses. Nothing may panic; errors are
// *wire.Error from FindEncrypted and match crypto.ErrIntegrity or
// crypto.ErrSKMalformed from Open; a plaintext that opens is fed to
// DecodePayloads, whose errors are *wire.Error.
//
// Seeds: messages sealed with the same keys (so that the fuzzer starts from
// inputs whose ICV verifies), and every IKE message of the captures, of which
// the Wireshark AES-CBC capture's two SK messages open with its keys.
func FuzzSKOpen(f *testing.F) {
	ctxs := skContexts(f)
	for _, msg := range sealedSeeds(f, ctxs) {
		off, _ := wire.FindEncrypted(msg)
		f.Add(msg, off)
	}
	for _, msg := range seedMessages(f) {
		off, _ := wire.FindEncrypted(msg)
		f.Add(msg, off)
	}
	f.Fuzz(func(t *testing.T, msg []byte, skOff int) {
		off, err := wire.FindEncrypted(msg)
		if err := CheckDecodeError(err); err != nil {
			t.Fatalf("FindEncrypted: %v", err)
		}
		for _, c := range ctxs {
			if err == nil {
				openAndDecode(t, c, msg, off)
			}
			if skOff != off {
				openAndDecode(t, c, msg, skOff)
			}
			openMessage(t, c, msg)
		}
	})
}

// openMessage checks OpenMessage against FindEncrypted, Open and
// DecodePayloads, which it is documented to combine: same result, and an
// error matching crypto.ErrSKMalformed, crypto.ErrIntegrity or (for a
// plaintext that does not decode) wire.ErrMalformed.
func openMessage(t *testing.T, c skContext, msg []byte) {
	ps, err := c.sk.OpenMessage(msg)
	if err != nil {
		if !errors.Is(err, crypto.ErrSKMalformed) && !errors.Is(err, crypto.ErrIntegrity) && !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("%s OpenMessage: error %q matches no sentinel", c.name, err)
		}
	}
	var want []wire.Payload
	opens := false
	if off, ferr := wire.FindEncrypted(msg); ferr == nil && !isFragment(msg, off) { // OpenMessage refuses SKF
		if plain, err := c.sk.Open(msg, off); err == nil {
			want, err = wire.DecodePayloads(wire.PayloadType(msg[off]), plain)
			opens = err == nil
		}
	}
	if (err == nil) != opens || !reflect.DeepEqual(ps, want) {
		t.Fatalf("%s OpenMessage = %v, %v; FindEncrypted, Open and DecodePayloads give %v (success %v)", c.name, ps, err, want, opens)
	}
}

// isFragment reports whether the payload whose generic header is at off in
// msg is an SKF payload: the Next Payload field before it names it.
func isFragment(msg []byte, off int) bool {
	next, pos := wire.PayloadType(msg[16]), wire.HeaderLen
	for pos < off {
		next, pos = wire.PayloadType(msg[pos]), pos+int(binary.BigEndian.Uint16(msg[pos+2:]))
	}
	return next == wire.PayloadSKF
}

func openAndDecode(t *testing.T, c skContext, msg []byte, off int) {
	in := bytes.Clone(msg)
	for _, open := range []struct {
		name string
		fn   func([]byte, int) ([]byte, error)
	}{{"Open", c.sk.Open}, {"DecryptUnverified", c.sk.DecryptUnverified}} {
		plain, err := open.fn(msg, off)
		if !bytes.Equal(in, msg) {
			t.Fatalf("%s %s at %d modified its input", c.name, open.name, off)
		}
		if err != nil {
			if !errors.Is(err, crypto.ErrIntegrity) && !errors.Is(err, crypto.ErrSKMalformed) {
				t.Fatalf("%s %s at %d: error %q matches neither crypto.ErrIntegrity nor crypto.ErrSKMalformed", c.name, open.name, off, err)
			}
			continue
		}
		if off < wire.HeaderLen || off >= len(msg) {
			t.Fatalf("%s %s succeeded at offset %d of a %d-octet message", c.name, open.name, off, len(msg))
		}
		if _, err := wire.DecodePayloads(wire.PayloadType(msg[off]), plain); CheckDecodeError(err) != nil {
			t.Fatalf("%s %s: DecodePayloads of the plaintext: %v", c.name, open.name, CheckDecodeError(err))
		}
	}
}

// TestSKOpenCaptures: the Wireshark AES-CBC capture's IKE_AUTH messages open
// with the key table's keys and give the payloads SOURCES.md names (frame
// 3's AUTH data), so FuzzSKOpen's capture seeds do reach the decrypt path.
func TestSKOpenCaptures(t *testing.T) {
	ctxs := skContexts(t)
	cs, err := CaptureMessages(capturesDir)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for _, c := range cs {
		if c.File != "wireshark/ikev2-decrypt-aes256cbc.pcapng" || c.Frame < 3 {
			continue
		}
		ctx := ctxs[2] // initiator's keys for frame 3
		if c.Frame == 4 {
			ctx = ctxs[3]
		}
		off, err := wire.FindEncrypted(c.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		plain, err := ctx.sk.Open(c.Bytes, off)
		if err != nil {
			t.Fatalf("%s: Open: %v", c.Name(), err)
		}
		ps, err := wire.DecodePayloads(wire.PayloadType(c.Bytes[off]), plain)
		if err != nil {
			t.Fatalf("%s: DecodePayloads: %v", c.Name(), err)
		}
		if c.Frame == 3 {
			const want = "e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3"
			if a, ok := wire.Find[*wire.Auth](ps); !ok {
				t.Errorf("%s: no AUTH payload in %v", c.Name(), wire.Summary(wire.Header{}, ps))
			} else if got := hex.EncodeToString(a.Data); got != want {
				t.Errorf("%s: AUTH %s, want %s", c.Name(), got, want)
			}
		}
		opened++
	}
	if opened != 2 {
		t.Errorf("opened %d messages, want 2", opened)
	}
}
