package fuzz

import (
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// capturesDir is testdata/captures, relative to this package.
const capturesDir = "../testdata/captures"

// seedMessages returns the encoded seed messages: every IKE message of the
// captures and the AllPayloads messages.
func seedMessages(f *testing.F) [][]byte {
	f.Helper()
	cs, err := CaptureMessages(capturesDir)
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, c := range cs {
		out = append(out, c.Bytes)
	}
	for _, m := range AllPayloads() {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzMessage: Decode never panics; a failure is a *wire.Error matching a
// sentinel; what decodes encodes, decodes again to the same value, is
// canonical (re-encodes to its input but for reserved bits), and
// FindEncrypted agrees with it about the SK or SKF payload.
func FuzzMessage(f *testing.F) {
	for _, b := range seedMessages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		off, ferr := wire.FindEncrypted(b)
		if err := CheckDecodeError(ferr); err != nil {
			t.Fatalf("FindEncrypted: %v", err)
		}
		m, err := wire.Decode(b)
		if err != nil {
			if err := CheckDecodeError(err); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		back, err := wire.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(m)): %v", err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("Decode(Encode(m)) = %#v\nwant %#v", back, m)
		}
		if err := Canonical(b, m); err != nil {
			t.Fatal(err)
		}
		var encrypted bool
		if n := len(m.Payloads); n > 0 {
			switch m.Payloads[n-1].(type) {
			case *wire.Encrypted, *wire.EncryptedFragment:
				encrypted = true
			}
		}
		if encrypted != (ferr == nil) {
			t.Fatalf("FindEncrypted = %d, %v, but the last payload of %v", off, ferr, m)
		}
	})
}

// FuzzPayloadBody: the first octet is a payload type (all 256 values: every
// parsed type and the unknown ones), the rest its body. DecodePayloadBody
// never panics; a failure is a *wire.Error; what decodes has that type,
// re-encodes canonically and decodes again to the same value.
func FuzzPayloadBody(f *testing.F) {
	for _, b := range seedMessages(f) {
		m, err := wire.Decode(b)
		if err != nil {
			continue
		}
		for _, p := range m.Payloads {
			body, err := wire.AppendPayloadBody(nil, p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(p.PayloadType()), body)
		}
	}
	for t := 0; t < 256; t++ {
		f.Add(byte(t), []byte(nil))
	}
	f.Fuzz(func(t *testing.T, typ byte, body []byte) {
		p, err := wire.DecodePayloadBody(wire.PayloadType(typ), body)
		if err != nil {
			if err := CheckDecodeError(err); err != nil {
				t.Fatal(err)
			}
			return
		}
		if p.PayloadType() != wire.PayloadType(typ) {
			t.Fatalf("DecodePayloadBody(%v) gave a %v payload", wire.PayloadType(typ), p.PayloadType())
		}
		if err := CanonicalBody(body, p); err != nil {
			t.Fatal(err)
		}
		enc, _ := wire.AppendPayloadBody(nil, p)
		back, err := wire.DecodePayloadBody(wire.PayloadType(typ), enc)
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("decoding the re-encoded body: %#v, %v; want %#v", back, err, p)
		}
	})
}

// FuzzPayloadChain: the first octet is the type of the first payload, the
// rest a payload chain as DecodePayloads parses SK plaintext. It never
// panics; a failure is a *wire.Error; what decodes re-encodes canonically
// and decodes again to the same value, and holds no SK or SKF payload.
func FuzzPayloadChain(f *testing.F) {
	for _, b := range seedMessages(f) {
		if len(b) >= wire.HeaderLen {
			f.Add(b[16], b[wire.HeaderLen:])
		}
	}
	// The inner chain of AllPayloads()[0] without its SK: what an opened
	// IKE_INTERMEDIATE message could carry.
	all := AllPayloads()[0].Payloads
	first, chain, err := wire.AppendPayloads(nil, all[:len(all)-1])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(byte(first), chain)
	f.Fuzz(func(t *testing.T, first byte, chain []byte) {
		ps, err := wire.DecodePayloads(wire.PayloadType(first), chain)
		if err != nil {
			if err := CheckDecodeError(err); err != nil {
				t.Fatal(err)
			}
			return
		}
		for _, p := range ps {
			if pt := p.PayloadType(); pt == wire.PayloadSK || pt == wire.PayloadSKF {
				t.Fatalf("a %v payload in a plaintext chain (RFC7296-3.1-1)", pt)
			}
		}
		got, enc, err := wire.AppendPayloads(nil, ps)
		if err != nil {
			t.Fatalf("AppendPayloads of a decoded chain: %v", err)
		}
		if got != wire.PayloadType(first) && len(ps) > 0 {
			t.Fatalf("first payload %v, decoded from %v", got, wire.PayloadType(first))
		}
		back, err := wire.DecodePayloads(got, enc)
		if err != nil || !reflect.DeepEqual(back, ps) {
			t.Fatalf("decoding the re-encoded chain: %#v, %v; want %#v", back, err, ps)
		}
		// As the payloads of a message, the chain is canonical.
		m := &wire.Message{Header: wire.Header{Major: wire.MajorVersion}, Payloads: ps}
		msg := append(m.Header.Append(nil, wire.PayloadType(first), wire.HeaderLen+len(chain)), chain...)
		if err := Canonical(msg, m); err != nil {
			t.Fatal(err)
		}
	})
}
