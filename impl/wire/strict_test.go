package wire_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// ikeMsg returns an IKE header (SPIs 1 and 2, IKE_SA_INIT request 0, major
// version 2) whose Next Payload is next and whose Length covers chain,
// followed by chain (hex, as unhex reads it).
func ikeMsg(next wire.PayloadType, chain string) []byte {
	c := unhex(chain)
	return append(wire.Header{SPIi: 1, SPIr: 2, Major: 2, Exchange: wire.IKE_SA_INIT, Flags: wire.FlagInitiator}.
		Append(nil, next, wire.HeaderLen+len(c)), c...)
}

// withLength overwrites the IKE header's Length field.
func withLength(b []byte, n uint32) []byte {
	binary.BigEndian.PutUint32(b[24:], n)
	return b
}

// withVersion overwrites the IKE header's version octet.
func withVersion(b []byte, major, minor byte) []byte {
	b[17] = major<<4 | minor
	return b
}

// Where a strictness case is fed to the codec.
type entry int

const (
	body    entry = iota // DecodePayloadBody(typ, in): offsets from the body's first octet
	chain                // DecodePayloads(typ, in): offsets from the chain's first octet
	message              // Decode(in): offsets from the IKE header's first octet
)

// nonce16 is a valid Nonce body.
const nonce16 = "000102030405060708090a0b0c0d0e0f"

// strictCases are inputs that RFC 7296 section 3 (and RFC 7383 section 2.5,
// RFC 3748 section 4) makes malformed, with the *wire.Error each must give:
// its sentinel, its Offset and its Payload.
var strictCases = []struct {
	name    string
	at      entry
	typ     wire.PayloadType
	in      []byte
	want    error // ErrMalformed or ErrMajorVersion
	off     int
	payload wire.PayloadType
}{
	// ---- SA: RFC 7296 sections 3.3, 3.3.1, 3.3.2, 3.3.5 ----
	// RFC 7296 section 3.3: "An SA payload consists of one or more Proposal
	// substructures"; RFC7296-3.3-4: "an implementation MUST check that the
	// total Payload Length is consistent with the payload's internal lengths
	// and counts" (every SA case below).
	{name: "SA empty", at: body, typ: wire.PayloadSA, in: nil, off: 0},
	// 3.3.1: Last Substruc is 0 (last) or 2 (more).
	{name: "SA proposal Last Substruc 1", at: body, typ: wire.PayloadSA, in: unhex("01 00 0008 01010000"), off: 1},
	{name: "SA proposal Last Substruc 3 (the transforms' value)", at: body, typ: wire.PayloadSA, in: unhex("03 00 0008 01010000"), off: 1},
	{name: "SA proposal says more, none follows", at: body, typ: wire.PayloadSA, in: unhex("02 00 0008 01010000"), off: 8},
	{name: "SA octets after the last proposal", at: body, typ: wire.PayloadSA, in: unhex("00 00 0008 01010000 ff"), off: 8},
	// 3.3.1: the Proposal Length includes its 8-octet header.
	{name: "SA proposal length 7", at: body, typ: wire.PayloadSA, in: unhex("00 00 0007 01010000"), off: 4},
	{name: "SA proposal length 0", at: body, typ: wire.PayloadSA, in: unhex("00 00 0000 01010000"), off: 4},
	{name: "SA proposal length overruns the payload", at: body, typ: wire.PayloadSA, in: unhex("00 00 0010 01010000"), off: 4},
	{name: "SA proposal header truncated", at: body, typ: wire.PayloadSA, in: unhex("00 00 00"), off: 2},
	{name: "SA proposal SPI overruns the proposal", at: body, typ: wire.PayloadSA, in: unhex("00 00 0008 01 03 04 00"), off: 8},
	// 3.3.1: "Num Transforms" must match the transforms present; 3.3.2: Last
	// Substruc is 3 for every transform but the last, 0 for the last.
	{name: "SA 2 transforms announced, 1 present (Last Substruc 0)", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0010 01010002  00 00 0008 0100000c"), off: 8},
	{name: "SA 2 transforms announced, 1 present (Last Substruc 3)", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0010 01010002  03 00 0008 0100000c"), off: 16},
	{name: "SA 1 transform announced, 2 present", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0018 01010001  00 00 0008 0100000c  00 00 0008 02000002"), off: 16},
	{name: "SA 0 transforms announced, 1 present", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0010 01010000  00 00 0008 0100000c"), off: 8},
	// 3.3.2: the Transform Length includes its 8-octet header.
	{name: "SA transform length 7", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0010 01010001  00 00 0007 0100000c"), off: 12},
	{name: "SA transform length overruns the proposal", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0010 01010001  00 00 0010 0100000c"), off: 12},
	// 3.3.5: TV attributes carry two octets, TLV attributes Attribute Length octets.
	{name: "SA TLV attribute overruns the transform", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0014 01010001  00 00 000c 0100000c  000e 0010"), off: 20},
	{name: "SA TV attribute truncated", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0012 01010001  00 00 000a 0100000c  800e"), off: 18},
	{name: "SA attribute type truncated", at: body, typ: wire.PayloadSA,
		in: unhex("00 00 0011 01010001  00 00 0009 0100000c  80"), off: 16},
	// In a message the offsets count from the IKE header: SA body at 32,
	// proposal body at 36, the first transform at 40.
	{name: "SA transform count mismatch, in a message", at: message,
		in: ikeMsg(wire.PayloadSA, "00 00 0014  00 00 0010 01010002  00 00 0008 0100000c"), off: 40, payload: wire.PayloadSA},

	// ---- KE, ID, AUTH, CERT, CERTREQ: the fixed part of the body ----
	// RFC 7296 section 3.4: Key Exchange Method Num (2), RESERVED (2).
	{name: "KE empty", at: body, typ: wire.PayloadKE, in: nil, off: 0},
	{name: "KE 1 octet", at: body, typ: wire.PayloadKE, in: unhex("00"), off: 0},
	{name: "KE 3 octets", at: body, typ: wire.PayloadKE, in: unhex("0013 00"), off: 2},
	// 3.5: ID Type (1), RESERVED (3).
	{name: "IDi empty", at: body, typ: wire.PayloadIDi, in: nil, off: 0},
	{name: "IDi 3 octets", at: body, typ: wire.PayloadIDi, in: unhex("01 0000"), off: 1},
	{name: "IDr 1 octet", at: body, typ: wire.PayloadIDr, in: unhex("02"), off: 1},
	// 3.8: Auth Method (1), RESERVED (3).
	{name: "AUTH empty", at: body, typ: wire.PayloadAUTH, in: nil, off: 0},
	{name: "AUTH 2 octets", at: body, typ: wire.PayloadAUTH, in: unhex("02 00"), off: 1},
	{name: "AUTH 3 octets", at: body, typ: wire.PayloadAUTH, in: unhex("0e 0000"), off: 1},
	// 3.6, 3.7: Cert Encoding (1).
	{name: "CERT empty", at: body, typ: wire.PayloadCERT, in: nil, off: 0},
	{name: "CERTREQ empty", at: body, typ: wire.PayloadCERTREQ, in: nil, off: 0},

	// ---- Nonce: RFC7296-3.9-1, 16 to 256 octets ----
	{name: "Nonce empty", at: body, typ: wire.PayloadNonce, in: nil, off: 0},
	{name: "Nonce 15 octets", at: body, typ: wire.PayloadNonce, in: make([]byte, 15), off: 0},
	{name: "Nonce 257 octets", at: body, typ: wire.PayloadNonce, in: make([]byte, 257), off: 0},
	{name: "Nonce 8 octets after a Nonce, in a chain", at: chain, typ: wire.PayloadNonce,
		in: unhex("28 00 0014 " + nonce16 + "  00 00 000c 0001020304050607"), off: 24, payload: wire.PayloadNonce},

	// ---- Notify: RFC 7296 section 3.10 ----
	{name: "Notify SPI size overruns", at: body, typ: wire.PayloadNotify, in: unhex("00 08 4006 0102"), off: 4},
	{name: "Notify SPI of 4 with 3 octets", at: body, typ: wire.PayloadNotify, in: unhex("03 04 4009 aabbcc"), off: 4},
	{name: "Notify header truncated", at: body, typ: wire.PayloadNotify, in: unhex("00 01 40"), off: 2},
	{name: "Notify empty", at: body, typ: wire.PayloadNotify, in: nil, off: 0},

	// ---- Delete: RFC 7296 section 3.11, Num of SPIs x SPI Size octets ----
	{name: "Delete 2 SPIs of 4, 4 octets", at: body, typ: wire.PayloadDelete, in: unhex("03 04 0002 11223344"), off: 4},
	{name: "Delete 1 SPI of 4, 5 octets", at: body, typ: wire.PayloadDelete, in: unhex("03 04 0001 1122334455"), off: 4},
	{name: "Delete IKE with a stray octet", at: body, typ: wire.PayloadDelete, in: unhex("01 00 0000 ff"), off: 4},
	{name: "Delete header truncated", at: body, typ: wire.PayloadDelete, in: unhex("03 04 00"), off: 2},
	// RFC7296-3.11-3: SPI Size is zero for IKE, whose SPIs are in the header;
	// a count of zero-size SPIs is refused (4 octets may not announce 65535).
	{name: "Delete 65535 SPIs of size 0", at: body, typ: wire.PayloadDelete, in: unhex("01 00 ffff"), off: 4},

	// ---- Traffic selectors: RFC 7296 sections 3.13, 3.13.1 ----
	// RFC 7296 section 3.13.1: Selector Length is 16 for TS_IPV4_ADDR_RANGE and 40
	// for TS_IPV6_ADDR_RANGE; the error points at the selector.
	{name: "TS IPv4 selector of length 24", at: body, typ: wire.PayloadTSi,
		in: unhex("01000000  07 00 0018 0000ffff 0a000000 0a0000ff 00000000 00000000"), off: 4},
	{name: "TS IPv4 selector of length 40", at: body, typ: wire.PayloadTSr,
		in: unhex("01000000  07 00 0028 0000ffff" + strings.Repeat("00", 32)), off: 4},
	{name: "TS IPv6 selector of length 16", at: body, typ: wire.PayloadTSi,
		in: unhex("01000000  08 00 0010 0000ffff 0a000000 0a0000ff"), off: 4},
	{name: "TS selector length 3", at: body, typ: wire.PayloadTSi, in: unhex("01000000  0a 00 0003"), off: 4},
	{name: "TS selector overruns the payload", at: body, typ: wire.PayloadTSi, in: unhex("01000000  07 00 0010 0000"), off: 8},
	// 3.13: Number of TSs must match the selectors present.
	{name: "TS 2 announced, 1 present", at: body, typ: wire.PayloadTSi,
		in: unhex("02000000  07 00 0010 0000ffff 0a000000 0a0000ff"), off: 20},
	{name: "TS 1 announced, 2 present", at: body, typ: wire.PayloadTSr,
		in: unhex("01000000  07 00 0010 0000ffff 0a000000 0a0000ff  07 00 0010 0000ffff 0a000000 0a0000ff"), off: 20},
	{name: "TS 0 announced, 1 present", at: body, typ: wire.PayloadTSi,
		in: unhex("00000000  07 00 0010 0000ffff 0a000000 0a0000ff"), off: 4},
	{name: "TS header truncated", at: body, typ: wire.PayloadTSi, in: unhex("01 0000"), off: 1},

	// ---- EAP: RFC 7296 section 3.16, RFC 3748 section 4 ----
	// RFC7296-3.16-2: the EAP Length is four less than the Payload Length.
	{name: "EAP length 8 for 9 octets", at: body, typ: wire.PayloadEAP, in: unhex("01 01 0008 01 77657374"), off: 4},
	{name: "EAP length 10 for 9 octets", at: body, typ: wire.PayloadEAP, in: unhex("01 01 000a 01 77657374"), off: 4},
	// RFC7296-3.16-3: Success and Failure are four octets, without Type.
	{name: "EAP Success with data", at: body, typ: wire.PayloadEAP, in: unhex("03 01 0005 00"), off: 4},
	{name: "EAP Failure with data", at: body, typ: wire.PayloadEAP, in: unhex("04 01 0006 0000"), off: 4},
	{name: "EAP Request without Type", at: body, typ: wire.PayloadEAP, in: unhex("01 01 0004"), off: 4},
	{name: "EAP header truncated", at: body, typ: wire.PayloadEAP, in: unhex("01 01 00"), off: 2},

	// ---- SKF: RFC 7383 section 2.5 ----
	// RFC7383-2.5-4: Number <= Total; RFC7383-2.5-5, -2.5-6: neither is zero.
	{name: "SKF fragment 0", at: body, typ: wire.PayloadSKF, in: unhex("0000 0002 aabb"), off: 4},
	{name: "SKF fragment 3 of 2", at: body, typ: wire.PayloadSKF, in: unhex("0003 0002 aabb"), off: 4},
	{name: "SKF total 0", at: body, typ: wire.PayloadSKF, in: unhex("0001 0000"), off: 4},
	{name: "SKF header truncated", at: body, typ: wire.PayloadSKF, in: unhex("0001 00"), off: 2},

	// ---- CP: RFC 7296 sections 3.15, 3.15.1 ----
	{name: "CP attribute overruns", at: body, typ: wire.PayloadCP, in: unhex("01000000  0001 0004 0a00"), off: 8},
	{name: "CP attribute type truncated", at: body, typ: wire.PayloadCP, in: unhex("01000000  00"), off: 4},
	{name: "CP attribute length truncated", at: body, typ: wire.PayloadCP, in: unhex("01000000  0001 00"), off: 6},
	{name: "CP header truncated", at: body, typ: wire.PayloadCP, in: unhex("01 00"), off: 1},

	// ---- Generic payload header and chain: RFC 7296 section 3.2 ----
	{name: "chain: generic header truncated", at: chain, typ: wire.PayloadNonce, in: unhex("00 00"), off: 0, payload: wire.PayloadNonce},
	{name: "chain: Next Payload names a missing payload", at: chain, typ: wire.PayloadNonce,
		in: unhex("29 00 0014 " + nonce16), off: 20, payload: wire.PayloadNotify},
	{name: "chain: payload length 3", at: chain, typ: wire.PayloadVendorID, in: unhex("00 00 0003"), off: 2, payload: wire.PayloadVendorID},
	{name: "chain: payload length overruns", at: chain, typ: wire.PayloadVendorID, in: unhex("00 00 0010 aabb"), off: 2, payload: wire.PayloadVendorID},
	{name: "chain: octets after the last payload", at: chain, typ: wire.PayloadVendorID, in: unhex("00 00 0006 aabb ff"), off: 6},
	// RFC7296-3.1-1: an Encrypted payload MUST NOT contain another;
	// DecodePayloads parses SK plaintext.
	{name: "chain: SK inside SK", at: chain, typ: wire.PayloadSK, in: unhex("00 00 0008 aabbccdd"), off: 0, payload: wire.PayloadSK},
	{name: "chain: SKF inside SK", at: chain, typ: wire.PayloadSKF, in: unhex("00 00 000c 0001 0001 aabbccdd"), off: 0, payload: wire.PayloadSKF},
	{name: "chain: SK after a Nonce inside SK", at: chain, typ: wire.PayloadNonce,
		in: unhex("2e 00 0014 " + nonce16 + "  00 00 0008 aabbccdd"), off: 20, payload: wire.PayloadSK},

	{name: "message: 27 octets", at: message, in: make([]byte, 27), off: 0},
	{name: "message: empty", at: message, in: nil, off: 0},
	// RFC 7296 section 3.1: Length is the total message (header + payloads).
	{name: "message: Length larger than the datagram", at: message, in: withLength(ikeMsg(wire.PayloadNone, ""), 29), off: 24},
	{name: "message: Length smaller than the datagram", at: message, in: withLength(ikeMsg(wire.PayloadVendorID, "00 00 0006 aabb"), 28), off: 24},
	{name: "message: payload length 3", at: message, in: ikeMsg(wire.PayloadNonce, "00 00 0003"), off: 30, payload: wire.PayloadNonce},
	{name: "message: payload length 0", at: message, in: ikeMsg(wire.PayloadNonce, "00 00 0000"), off: 30, payload: wire.PayloadNonce},
	{name: "message: payload length overruns", at: message, in: ikeMsg(wire.PayloadNonce, "00 00 0030 0001"), off: 30, payload: wire.PayloadNonce},
	{name: "message: generic header truncated", at: message, in: ikeMsg(wire.PayloadNonce, "00 00"), off: 28, payload: wire.PayloadNonce},
	{name: "message: octets after the chain", at: message, in: ikeMsg(wire.PayloadNonce, "00 00 0014 "+nonce16+" ffff"), off: 48},
	// RFC7296-3.14-1, RFC7383-2.5-1: SK and SKF MUST be last; SK's Next
	// Payload names the first inner payload, so what follows it is left over.
	{name: "message: SK not last", at: message, in: ikeMsg(wire.PayloadSK, "29 00 0008 aabbccdd  00 00 0008 00004006"), off: 36},
	{name: "message: SKF not last", at: message, in: ikeMsg(wire.PayloadSKF, "29 00 000c 0001 0001 aabbccdd  00 00 0008 00004006"), off: 40},
	// RFC7296-3.1-6: a major version other than 2 is not parsed further;
	// the error matches ErrMajorVersion and the header is returned. The
	// version is checked before the Length (a future version may differ).
	{name: "message: major version 1", at: message, in: withVersion(ikeMsg(wire.PayloadNone, ""), 1, 0), want: wire.ErrMajorVersion, off: 17},
	{name: "message: major version 3", at: message, in: withVersion(ikeMsg(wire.PayloadNone, ""), 3, 0), want: wire.ErrMajorVersion, off: 17},
	{name: "message: major version 3 with a bad Length", at: message, in: withLength(withVersion(ikeMsg(wire.PayloadNone, ""), 3, 0), 99), want: wire.ErrMajorVersion, off: 17},
	{name: "message: major version 0", at: message, in: withVersion(ikeMsg(wire.PayloadNone, ""), 0, 2), want: wire.ErrMajorVersion, off: 17},
	{name: "message: major version 15", at: message, in: withVersion(ikeMsg(wire.PayloadNone, ""), 15, 15), want: wire.ErrMajorVersion, off: 17},
}

// TestStrict: each malformed input fails with a *wire.Error that matches its
// sentinel (and not the other one), at the stated offset, naming the
// payload being read; no value is returned for a payload or chain, and Decode
// returns the header whenever there were 28 octets to read it from.
func TestStrict(t *testing.T) {
	for _, tc := range strictCases {
		t.Run(tc.name, func(t *testing.T) {
			want, other := tc.want, wire.ErrMajorVersion
			if want == nil {
				want = wire.ErrMalformed
			}
			if want == wire.ErrMajorVersion {
				other = wire.ErrMalformed
			}
			payload := tc.payload
			var err error
			switch tc.at {
			case body:
				var p wire.Payload
				p, err = wire.DecodePayloadBody(tc.typ, tc.in)
				if p != nil {
					t.Errorf("DecodePayloadBody returned %+v with its error", p)
				}
				if payload == 0 {
					payload = tc.typ
				}
			case chain:
				var ps []wire.Payload
				ps, err = wire.DecodePayloads(tc.typ, tc.in)
				if ps != nil {
					t.Errorf("DecodePayloads returned %+v with its error", ps)
				}
			case message:
				var m *wire.Message
				m, err = wire.Decode(tc.in)
				if (m != nil) != (len(tc.in) >= wire.HeaderLen) {
					t.Errorf("Decode returned message %+v for %d octets", m, len(tc.in))
				}
				if m != nil {
					h, _, _, _ := wire.DecodeHeader(tc.in)
					if m.Header != h || m.Payloads != nil {
						t.Errorf("Decode returned %+v, want the header %+v alone", m, h)
					}
				}
			}
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v (%T), want a *wire.Error", err, err)
			}
			if !errors.Is(err, want) || errors.Is(err, other) {
				t.Errorf("error %v: matches ErrMalformed %v, ErrMajorVersion %v; want %v", err,
					errors.Is(err, wire.ErrMalformed), errors.Is(err, wire.ErrMajorVersion), want)
			}
			if we.Offset != tc.off || we.Payload != payload {
				t.Errorf("error %q at offset %d in %v, want offset %d in %v", err, we.Offset, we.Payload, tc.off, payload)
			}
			if !strings.HasPrefix(err.Error(), "ike: ") {
				t.Errorf("error %q does not start with \"ike: \"", err)
			}
		})
	}
}

// TestStrictCoverage: at least three malformed bodies for every payload type
// that has a structure to violate (IDi/IDr and TSi/TSr share a decoder).
// CERT and CERTREQ can only be too short to hold their encoding octet, and
// VendorID, SK and unknown types accept any body.
func TestStrictCoverage(t *testing.T) {
	n := map[wire.PayloadType]int{}
	for _, tc := range strictCases {
		switch {
		case tc.at != body:
		case tc.typ == wire.PayloadIDr:
			n[wire.PayloadIDi]++
		case tc.typ == wire.PayloadTSr:
			n[wire.PayloadTSi]++
		default:
			n[tc.typ]++
		}
	}
	for _, k := range []wire.PayloadType{wire.PayloadSA, wire.PayloadKE, wire.PayloadIDi, wire.PayloadAUTH,
		wire.PayloadNonce, wire.PayloadNotify, wire.PayloadDelete, wire.PayloadTSi, wire.PayloadEAP,
		wire.PayloadSKF, wire.PayloadCP} {
		if n[k] < 3 {
			t.Errorf("%v: %d malformed bodies, want at least 3", k, n[k])
		}
	}
}
