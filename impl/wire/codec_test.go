package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/fuzz"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// TestUnknownPayloads: a payload of a type the codec does not parse is kept
// as *wire.Unknown with its critical bit and body, so that the engine can
// skip it or answer UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 section 3.2), and
// the message re-encodes to the same octets.
func TestUnknownPayloads(t *testing.T) {
	for _, tc := range []struct {
		name     string
		msg      []byte
		want     []wire.Payload
		summary  string
		critical bool
	}{
		{
			name:    "type 99 critical",
			msg:     ikeMsg(99, "00 80 0008 01020304"),
			want:    []wire.Payload{&wire.Unknown{PayloadHeader: wire.PayloadHeader{Critical: true}, Kind: 99, Body: []byte{1, 2, 3, 4}}},
			summary: "IKE_SA_INIT request 0 [ PAYLOAD(99) ]",
		},
		{
			name:    "type 99 not critical",
			msg:     ikeMsg(99, "00 00 0008 01020304"),
			want:    []wire.Payload{&wire.Unknown{Kind: 99, Body: []byte{1, 2, 3, 4}}},
			summary: "IKE_SA_INIT request 0 [ PAYLOAD(99) ]",
		},
		{
			name:    "type 99 empty, between a Nonce and a Vendor ID",
			msg:     ikeMsg(wire.PayloadNonce, "63 00 0014 "+nonce16+"  2b 80 0004  00 00 0006 abcd"),
			want:    []wire.Payload{&wire.Nonce{Data: unhex(nonce16)}, &wire.Unknown{PayloadHeader: wire.PayloadHeader{Critical: true}, Kind: 99}, &wire.VendorID{Data: []byte{0xab, 0xcd}}},
			summary: "IKE_SA_INIT request 0 [ No PAYLOAD(99) V ]",
		},
		{
			// G-IKEv2's GSA payload (51) has a name but no decoder here.
			name:    "named but unparsed type GSA",
			msg:     ikeMsg(wire.PayloadGSA, "00 00 0005 ff"),
			want:    []wire.Payload{&wire.Unknown{Kind: wire.PayloadGSA, Body: []byte{0xff}}},
			summary: "IKE_SA_INIT request 0 [ GSA ]",
		},
		{
			name:    "type 1, below the IKEv2 range",
			msg:     ikeMsg(1, "00 80 0004"),
			want:    []wire.Payload{&wire.Unknown{PayloadHeader: wire.PayloadHeader{Critical: true}, Kind: 1}},
			summary: "IKE_SA_INIT request 0 [ PAYLOAD(1) ]",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.Decode(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Payloads, tc.want) {
				t.Errorf("payloads %+v, want %+v", m.Payloads, tc.want)
			}
			if s := m.String(); s != tc.summary {
				t.Errorf("summary %q, want %q", s, tc.summary)
			}
			enc, err := m.Encode()
			if err != nil || !bytes.Equal(enc, tc.msg) {
				t.Errorf("Encode = %x, %v\nwant %x", enc, err, tc.msg)
			}
		})
	}
}

// TestCriticalBitOnKnownPayloads: the critical bit of a known payload is
// kept as received (captures from other stacks set it: ikev2pI2's SA, Nonce
// and SK); the other seven bits of that octet are RESERVED, ignored on
// receipt and sent as zero (RFC7296-3.2-6). RFC7296-3.2-3: the C bit is
// ignored for understood types, but it is on the wire and is kept.
func TestCriticalBitOnKnownPayloads(t *testing.T) {
	in := ikeMsg(wire.PayloadNonce, "2b ff 0014 "+nonce16+"  00 7f 0006 abcd")
	m, err := wire.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Payload{
		&wire.Nonce{PayloadHeader: wire.PayloadHeader{Critical: true}, Data: unhex(nonce16)},
		&wire.VendorID{Data: []byte{0xab, 0xcd}},
	}
	if !reflect.DeepEqual(m.Payloads, want) {
		t.Errorf("payloads %+v, want %+v", m.Payloads, want)
	}
	enc, _ := m.Encode()
	if wantEnc := ikeMsg(wire.PayloadNonce, "2b 80 0014 "+nonce16+"  00 00 0006 abcd"); !bytes.Equal(enc, wantEnc) {
		t.Errorf("Encode = %x\nwant %x", enc, wantEnc)
	}
}

// TestHeaderFields: the Flags octet is kept whole, reserved X bits
// included (RFC7296-3.1-9: the X bits MUST be ignored on receipt; the
// codec keeps them so that a message re-encodes to its octets), and so is the
// minor version (RFC7296-3.1-8: ignored on receipt; kept as received).
func TestHeaderFields(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags wire.Flags
		minor uint8
		str   string
	}{
		{"none", 0, 0, "-"},
		{"I", wire.FlagInitiator, 0, "I"},
		{"R", wire.FlagResponse, 0, "R"},
		{"V", wire.FlagVersion, 0, "V"},
		{"I+R+V", wire.FlagInitiator | wire.FlagResponse | wire.FlagVersion, 0, "RVI"},
		{"X bits 0x07", 0x07, 0, "+X(0x07)"},
		{"X bits 0xc0 with R", 0xc0 | wire.FlagResponse, 0, "R+X(0xc0)"},
		{"all bits", 0xff, 0, "RVI+X(0xc7)"},
		{"minor version 1", wire.FlagInitiator, 1, "I"},
		{"minor version 15", wire.FlagResponse, 15, "R"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &wire.Message{Header: wire.Header{SPIi: 0xfedcba9876543210, Major: 2, Minor: tc.minor,
				Exchange: wire.INFORMATIONAL, Flags: tc.flags, MessageID: 0xffffffff}}
			enc, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if enc[19] != byte(tc.flags) || enc[17] != 0x20|tc.minor {
				t.Errorf("octets 17 and 19 are %#02x %#02x", enc[17], enc[19])
			}
			back, err := wire.Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if back.Header != m.Header {
				t.Errorf("header %+v, want %+v", back.Header, m.Header)
			}
			if back.Flags.Initiator() != (tc.flags&0x08 != 0) || back.Flags.Version() != (tc.flags&0x10 != 0) ||
				back.Flags.Response() != (tc.flags&0x20 != 0) || back.IsResponse() != back.Flags.Response() {
				t.Errorf("flag accessors wrong for %#02x", uint8(tc.flags))
			}
			if s := back.Flags.String(); s != tc.str {
				t.Errorf("Flags.String() = %q, want %q", s, tc.str)
			}
		})
	}
	// Every Flags value and minor version survives a round trip.
	for f := 0; f < 256; f++ {
		h := wire.Header{Major: 2, Minor: uint8(f % 16), Flags: wire.Flags(f)}
		enc, _ := (&wire.Message{Header: h}).Encode()
		if back, err := wire.Decode(enc); err != nil || back.Header != h {
			t.Fatalf("flags %#02x minor %d: %+v, %v", f, f%16, back, err)
		}
	}
}

// TestFindEncrypted: the offset of the SK or SKF payload's generic header,
// from which the caller authenticates msg[:off+4] (RFC 7296 section 3.14;
// RFC 7383 section 2.5 for SKF).
func TestFindEncrypted(t *testing.T) {
	t.Run("captures", func(t *testing.T) {
		n := 0
		for _, c := range captureMessages(t) {
			m, err := wire.Decode(c.Bytes)
			if err != nil {
				continue // ikev2-id-normal, TestIDNormalRejected
			}
			off, ferr := wire.FindEncrypted(c.Bytes)
			sk, ok := wire.Find[*wire.Encrypted](m.Payloads)
			if !ok {
				if !errors.Is(ferr, wire.ErrMalformed) {
					t.Errorf("%s: FindEncrypted on a message without SK = %d, %v", c.Name(), off, ferr)
				}
				continue
			}
			n++
			// All SK messages of the captures carry SK alone: its header is
			// right after the IKE header.
			if ferr != nil || off != wire.HeaderLen || off+4+len(sk.Body) != len(c.Bytes) {
				t.Errorf("%s: FindEncrypted = %d, %v; want %d", c.Name(), off, ferr, wire.HeaderLen)
			}
			if wire.PayloadType(c.Bytes[16]) != wire.PayloadSK || wire.PayloadType(c.Bytes[off]) != sk.Inner {
				t.Errorf("%s: SK at %d does not match the decoded chain", c.Name(), off)
			}
		}
		// ikev2four frames 5-21, ikev2pI2 frame 2, frames 3 and 4 of each
		// Wireshark capture (goldenSummaries).
		if n != 22 {
			t.Errorf("%d SK messages in the captures, want 22", n)
		}
	})
	all := fuzz.AllPayloads()
	withSK := must(all[0].Encode()) // its SK payload carries 64 octets, last
	for _, tc := range []struct {
		name    string
		msg     []byte
		off     int   // when err == nil
		err     error // nil for success
		errOff  int
		payload wire.PayloadType
	}{
		{name: "AllPayloads SK", msg: withSK, off: len(withSK) - 4 - 64},
		{name: "AllPayloads SKF", msg: must(all[1].Encode()), off: 28},
		{name: "SK after a Nonce", msg: ikeMsg(wire.PayloadNonce, "2e 00 0014 "+nonce16+" 29 00 0008 aabbccdd"), off: 48},
		{name: "no payload", msg: ikeMsg(wire.PayloadNone, ""), err: wire.ErrMalformed, errOff: 28},
		{name: "no SK", msg: ikeMsg(wire.PayloadNonce, "00 00 0014 "+nonce16), err: wire.ErrMalformed, errOff: 48},
		{name: "SK not last", msg: ikeMsg(wire.PayloadSK, "29 00 0008 aabbccdd  00 00 0008 00004006"), err: wire.ErrMalformed, errOff: 36, payload: wire.PayloadSK},
		{name: "SKF not last", msg: ikeMsg(wire.PayloadSKF, "00 00 000c 00010001 aabbccdd  00 00 0004"), err: wire.ErrMalformed, errOff: 40, payload: wire.PayloadSKF},
		{name: "SK length overruns", msg: ikeMsg(wire.PayloadSK, "29 00 0009 aabbccdd"), err: wire.ErrMalformed, errOff: 30, payload: wire.PayloadSK},
		{name: "payload before SK overruns", msg: ikeMsg(wire.PayloadNonce, "2e 00 0040 "+nonce16+" 29 00 0008 aabbccdd"), err: wire.ErrMalformed, errOff: 30, payload: wire.PayloadNonce},
		{name: "payload length 2", msg: ikeMsg(wire.PayloadNonce, "2e 00 0002 "+nonce16), err: wire.ErrMalformed, errOff: 30, payload: wire.PayloadNonce},
		{name: "chain truncated before SK", msg: ikeMsg(wire.PayloadNonce, "2e 00 0014 "+nonce16+" 29"), err: wire.ErrMalformed, errOff: 48, payload: wire.PayloadSK},
		{name: "Length mismatch", msg: withLength(ikeMsg(wire.PayloadSK, "29 00 0008 aabbccdd"), 37), err: wire.ErrMalformed, errOff: 24},
		{name: "short header", msg: make([]byte, 20), err: wire.ErrMalformed, errOff: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, err := wire.FindEncrypted(tc.msg)
			if tc.err == nil {
				if err != nil || off != tc.off {
					t.Fatalf("FindEncrypted = %d, %v; want %d", off, err, tc.off)
				}
				if p := wire.PayloadType(tc.msg[16]); off == wire.HeaderLen && p != wire.PayloadSK && p != wire.PayloadSKF {
					t.Errorf("offset %d but the first payload is %v", off, p)
				}
				return
			}
			var we *wire.Error
			if !errors.As(err, &we) || !errors.Is(err, tc.err) {
				t.Fatalf("FindEncrypted = %d, %v (%T); want %v", off, err, err, tc.err)
			}
			if we.Offset != tc.errOff || we.Payload != tc.payload {
				t.Errorf("error %q at %d in %v, want %d in %v", err, we.Offset, we.Payload, tc.errOff, tc.payload)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDecodedSlicesDoNotShareCapacity: the byte slices of a decoded message
// have no capacity beyond their length, so appending to one (as in
// prf(Ni | Nr, ...), RFC 7296 section 2.14, written append(ni.Data,
// nr.Data...)) copies instead of overwriting the payloads that follow it in
// the decoder's buffer.
func TestDecodedSlicesDoNotShareCapacity(t *testing.T) {
	for _, c := range captureMessages(t) {
		m, err := wire.Decode(c.Bytes)
		if err != nil {
			continue
		}
		for _, p := range m.Payloads {
			forEachBytes(reflect.ValueOf(p), func(b []byte) {
				if cap(b) != len(b) {
					t.Errorf("%s: a %T field has length %d, capacity %d", c.Name(), p, len(b), cap(b))
				}
				_ = append(b, bytes.Repeat([]byte{0xee}, 64)...)
			})
		}
		if enc, err := m.Encode(); err != nil || !bytes.Equal(enc, c.Bytes) {
			t.Errorf("%s: appending to a decoded field changed the message", c.Name())
		}
	}
}

// forEachBytes calls f on every []byte reachable from v.
func forEachBytes(v reflect.Value, f func([]byte)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			forEachBytes(v.Elem(), f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				forEachBytes(v.Field(i), f)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			f(v.Bytes())
			return
		}
		for i := 0; i < v.Len(); i++ {
			forEachBytes(v.Index(i), f)
		}
	}
}
