package wire_test

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/fuzz"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// unhex decodes hex written with spaces between fields, one structure a
// line, each line's "//" comment naming the fields.
func unhex(s string) []byte {
	var digits strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "//")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		panic("bad hex in a test table: " + err.Error())
	}
	return b
}

// TestHeaderByHand: the IKE header of RFC 7296 section 3.1, figure 4, octet
// by octet.
func TestHeaderByHand(t *testing.T) {
	m := &wire.Message{Header: wire.Header{
		SPIi: 0x0102030405060708, SPIr: 0x1112131415161718, Major: 2, Minor: 0,
		Exchange: wire.IKE_SA_INIT, Flags: wire.FlagInitiator, MessageID: 0x01020304,
	}}
	want := unhex(`
		01 02 03 04 05 06 07 08  // IKE SA Initiator's SPI
		11 12 13 14 15 16 17 18  // IKE SA Responder's SPI
		00                       // Next Payload: none
		20                       // MjVer 2, MnVer 0
		22                       // Exchange Type 34 (IKE_SA_INIT)
		08                       // Flags: I
		01 02 03 04              // Message ID
		00 00 00 1c              // Length 28`)
	got, err := m.Encode()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Encode = %x, %v\nwant %x", got, err, want)
	}
	back, err := wire.Decode(want)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("Decode = %+v, %v; want %+v", back, err, m)
	}
}

// first returns the first payload of type T in fuzz.AllPayloads()[0].
func first[T wire.Payload]() T {
	p, _ := wire.Find[T](fuzz.AllPayloads()[0].Payloads)
	return p
}

// handCases are single payloads with their encoding worked out by hand from
// the figures of RFC 7296 section 3 (and RFC 7383 section 2.5 for SKF), one
// field per group of hex digits. Each is encoded alone, so its generic
// header's Next Payload is 0, except for SK and SKF, where it is the Inner
// field (RFC 7296 section 3.14). inAll marks the payloads that also occur in
// fuzz.AllPayloads()[0], whose pinned encoding must then contain these octets
// (from the C bit on: the Next Payload there names the following payload).
var handCases = []struct {
	name  string
	p     wire.Payload
	hex   string
	inAll bool
}{
	{
		// RFC 7296 sections 3.3, 3.3.1, 3.3.2, 3.3.5 (figures 6, 7, 8, 9).
		name: "SA as in AllPayloads",
		p:    first[*wire.SA](),
		hex: `00 00 009f                       // generic header: Next 0, C 0, Length 159 = 4+100+55
			02 00 0064 01 01 00 0b           // proposal: Last Substruc 2 (more), RESERVED, Length 100, #1, IKE, SPI Size 0, 11 transforms
			03 00 000c 01 00 000c 800e 0100  // transform: more (3), Length 12, ENCR, ID 12 AES-CBC, TV attribute AF|14 Key Length 256
			03 00 0008 02 00 0005            // PRF_HMAC_SHA2_256
			03 00 0008 03 00 000c            // AUTH_HMAC_SHA2_256_128
			03 00 0008 04 00 0013            // KE 19 (ECP 256)
			03 00 0008 06 00 0024            // ADDKE1 (type 6, RFC 9370) ML-KEM-768 (36)
			03 00 0008 07 00 0025            // ADDKE2 ML-KEM-1024 (37)
			03 00 0008 08 00 0023            // ADDKE3 ML-KEM-512 (35)
			03 00 0008 09 00 001f            // ADDKE4 Curve25519 (31)
			03 00 0008 0a 00 0020            // ADDKE5 Curve448 (32)
			03 00 0008 0b 00 0014            // ADDKE6 ECP 384 (20)
			00 00 0008 0c 00 0000            // ADDKE7 NONE: Last Substruc 0
			00 00 0037 02 03 04 04 c0ffee01  // proposal: last (0), Length 55, #2, ESP, SPI Size 4, 4 transforms, SPI
			03 00 000c 01 00 0014 800e 0080  // ENCR_AES_GCM_16 (20), Key Length 128
			03 00 000f 01 00 001c 1234 0003 abcdef  // ENCR_CHACHA20_POLY1305 (28), TLV attribute (AF 0) type 0x1234, length 3
			03 00 0008 05 00 0001            // ESN: Extended Sequence Numbers
			00 00 0008 05 00 0000            // ESN: No Extended Sequence Numbers`,
		inAll: true,
	},
	{
		name: "SA with an SPI-less IKE proposal",
		p: &wire.SA{Proposals: []wire.Proposal{{Number: 1, Protocol: wire.ProtoIKE, Transforms: []wire.Transform{
			wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_CBC), 128),
			wire.NewTransform(wire.TransformKE, uint16(wire.MODP_2048), 0),
		}}}},
		hex: `00 00 0020
			00 00 001c 01 01 00 02
			03 00 000c 01 00 000c 800e 0080
			00 00 0008 04 00 000e`,
	},
	{
		// RFC 7296 section 3.4, figure 10.
		name: "KE",
		p:    &wire.KE{Group: wire.ECP_256, Data: []byte{1, 2, 3, 4}},
		hex:  `00 00 000c  0013 0000  01020304`,
	},
	{
		// RFC 7296 section 3.5, figure 11.
		name: "IDr FQDN",
		p:    &wire.ID{Responder: true, IDType: wire.ID_FQDN, Data: []byte("west")},
		hex:  `00 00 000c  02 000000  77657374`,
	},
	{
		name:  "IDi ID_NULL",
		p:     &wire.ID{IDType: wire.ID_NULL},
		hex:   `00 00 0008  0d 000000`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.6, figure 12.
		name:  "CERT",
		p:     &wire.Cert{Encoding: wire.CertX509Sig, Data: []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		hex:   `00 00 000a  04  3003020101`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.7, figure 13.
		name: "CERTREQ",
		p:    &wire.CertReq{Encoding: wire.CertX509Sig, Data: bytes.Repeat([]byte{0x5a}, 20)},
		hex:  `00 00 0019  04  5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a`,
	},
	{
		// RFC 7296 section 3.8, figure 14.
		name: "AUTH",
		p:    &wire.Auth{Method: wire.AuthSharedKeyMIC, Data: []byte{0xaa, 0xbb, 0xcc, 0xdd}},
		hex:  `00 00 000c  02 000000  aabbccdd`,
	},
	{
		// RFC 7296 section 3.9, figure 15.
		name: "Nonce",
		p:    &wire.Nonce{Data: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
		hex:  `00 00 0014  000102030405060708090a0b0c0d0e0f`,
	},
	{
		// RFC 7296 section 3.10, figure 16: Protocol ID, SPI Size, Notify
		// Message Type, SPI, Notification Data.
		name:  "Notify with SPI",
		p:     &wire.Notify{Protocol: wire.ProtoESP, SPI: []byte{0xaa, 0xbb, 0xcc, 0xdd}, Type: wire.REKEY_SA},
		hex:   `00 00 000c  03 04 4009  aabbccdd`,
		inAll: true,
	},
	{
		name:  "Notify without SPI",
		p:     &wire.Notify{Type: wire.COOKIE, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		hex:   `00 00 0010  00 00 4006  0102030405060708`,
		inAll: true,
	},
	{
		name:  "Notify error type with data",
		p:     &wire.Notify{Type: wire.INVALID_KE_PAYLOAD, Data: []byte{0x00, 0x13}},
		hex:   `00 00 000a  00 00 0011  0013`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.11, figure 17: Protocol ID, SPI Size, Num of
		// SPIs, SPIs. For IKE: SPI Size 0 and no SPIs.
		name:  "Delete IKE",
		p:     &wire.Delete{Protocol: wire.ProtoIKE},
		hex:   `00 00 0008  01 00 0000`,
		inAll: true,
	},
	{
		name:  "Delete ESP",
		p:     &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{{0x11, 0x22, 0x33, 0x44}, {0x55, 0x66, 0x77, 0x88}}},
		hex:   `00 00 0010  03 04 0002  11223344 55667788`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.12, figure 18.
		name:  "Vendor ID",
		p:     &wire.VendorID{Data: []byte("ikev2ref")},
		hex:   `00 00 000c  696b657632726566`,
		inAll: true,
	},
	{
		// RFC 7296 sections 3.13 and 3.13.1, figures 19 and 20: Number of
		// TSs, RESERVED; TS Type, IP Protocol ID, Selector Length, Start
		// Port, End Port, Starting Address, Ending Address. RFC 9478
		// section 2: TS_SECLABEL is type, reserved, length, label.
		name: "TSi as in AllPayloads",
		p:    first[*wire.TS](),
		hex: `00 00 0064  03 000000
			07 00 0010  0000 ffff  0a000000  0a0000ff
			08 06 0028  01bb 01bb  20010db8000000000000000000000000  20010db800000000000000000000ffff
			0a 00 0024  73797374656d5f753a6f626a6563745f723a69707365635f7370645f743a7330`,
		inAll: true,
	},
	{
		name: "TSr single host UDP",
		p: &wire.TS{Responder: true, Selectors: []wire.Selector{{Type: wire.TS_IPV4_ADDR_RANGE, IPProtocol: 17,
			StartPort: 500, EndPort: 4500, Start: netip.MustParseAddr("192.0.2.1"), End: netip.MustParseAddr("192.0.2.1")}}},
		hex:   `00 00 0018  01 000000  07 11 0010  01f4 1194  c0000201  c0000201`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.14, figure 21: the Next Payload field names the
		// first inner payload (here IDi, 35); the critical bit is kept.
		name: "SK",
		p:    &wire.Encrypted{PayloadHeader: wire.PayloadHeader{Critical: true}, Inner: wire.PayloadIDi, Body: []byte{0xaa, 0xbb, 0xcc, 0xdd}},
		hex:  `23 80 0008  aabbccdd`,
	},
	{
		// RFC 7383 section 2.5, the Encrypted Fragment Payload figure:
		// Fragment Number, Total Fragments.
		name: "SKF",
		p:    &wire.EncryptedFragment{Inner: wire.PayloadKE, Number: 1, Total: 2, Body: []byte{0xee, 0xff}},
		hex:  `22 00 000a  0001 0002  eeff`,
	},
	{
		// RFC 7296 sections 3.15 and 3.15.1, figures 22 and 23: CFG Type,
		// RESERVED; R bit and Attribute Type, Length, Value.
		name: "CP",
		p: &wire.CP{CFGType: wire.CFG_REQUEST, Attributes: []wire.CPAttribute{
			{Type: wire.INTERNAL_IP4_ADDRESS}, {Type: wire.INTERNAL_IP4_DNS, Value: []byte{8, 8, 8, 8}}}},
		hex: `00 00 0014  01 000000  0001 0000  0003 0004 08080808`,
	},
	{
		// RFC 7296 section 3.16, figure 24; RFC 3748 section 4: Code,
		// Identifier, Length (of the EAP message), Type, Type-Data.
		name:  "EAP response",
		p:     &wire.EAP{Code: wire.EAPResponse, Identifier: 1, Type: 1, Data: []byte("west")},
		hex:   `00 00 000d  02 01 0009 01 77657374`,
		inAll: true,
	},
	{
		name:  "EAP success",
		p:     &wire.EAP{Code: wire.EAPSuccess, Identifier: 2},
		hex:   `00 00 0008  03 02 0004`,
		inAll: true,
	},
	{
		// RFC 7296 section 3.2: an unknown payload type with the critical bit.
		name: "unknown critical",
		p:    &wire.Unknown{PayloadHeader: wire.PayloadHeader{Critical: true}, Kind: 99, Body: []byte{0xca, 0xfe}},
		hex:  `00 80 0006  cafe`,
	},
}

// TestPayloadsByHand: each hand-built payload encodes to the octets worked
// out from the RFC's figures, and those octets decode back to it, both as a
// one-payload message and (but for SK and SKF) as a plaintext chain.
func TestPayloadsByHand(t *testing.T) {
	all, err := fuzz.AllPayloads()[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range handCases {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(tc.hex)
			first, got, err := wire.AppendPayloads(nil, []wire.Payload{tc.p})
			if err != nil {
				t.Fatalf("AppendPayloads: %v", err)
			}
			if first != tc.p.PayloadType() {
				t.Errorf("first payload type %v, want %v", first, tc.p.PayloadType())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoding\n got %x\nwant %x", got, want)
			}
			msg := (&wire.Message{Header: wire.Header{Major: 2}, Payloads: []wire.Payload{tc.p}})
			raw, err := msg.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw[wire.HeaderLen:], want) {
				t.Errorf("in a message\n got %x\nwant %x", raw[wire.HeaderLen:], want)
			}
			back, err := wire.Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(back, msg) {
				t.Errorf("Decode = %+v\nwant %+v", back.Payloads[0], tc.p)
			}
			if tc.p.PayloadType() != wire.PayloadSK && tc.p.PayloadType() != wire.PayloadSKF {
				chain, err := wire.DecodePayloads(tc.p.PayloadType(), want)
				if err != nil || !reflect.DeepEqual(chain, []wire.Payload{tc.p}) {
					t.Errorf("DecodePayloads = %+v, %v", chain, err)
				}
			}
			if tc.inAll && !bytes.Contains(all, want[1:]) {
				t.Errorf("AllPayloads' encoding does not contain %x", want[1:])
			}
		})
	}
}

// allPayloadsHex pins the encoding of fuzz.AllPayloads(), the messages that
// between them carry every payload type. The payloads marked inAll in
// handCases check pieces of the first one against the RFC's figures.
var allPayloadsHex = []struct {
	summary string
	hex     string
}{
	{
		summary: "IKE_INTERMEDIATE request 1 [ SA KE IDi IDr IDi IDr IDi IDr IDi IDr IDi CERT CERTREQ AUTH No N(COOKIE) N(REKEY_SA) N(INVALID_KE_PAYLOAD) D D V TSi TSr CP(CFG_REQUEST) CP(CFG_REPLY) EAP/REQ/1 EAP/RES/1 EAP/SUCC PAYLOAD(99) SK ]",
		hex: `00112233445566778899aabbccddeeff21202b0800000001000003852200009f
			020000640101000b0300000c0100000c800e0100030000080200000503000008
			0300000c03000008040000130300000806000024030000080700002503000008
			08000023030000080900001f030000080a000020030000080b00001400000008
			0c0000000000003702030404c0ffee010300000c01000014800e00800300000f
			0100001c12340003abcdef030000080500000100000008050000002300004800
			130000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c
			5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c
			7d7e7f2400000c01000000c00002012300001802000000776573742e6578616d
			706c652e6f7267240000180300000077657374406578616d706c652e6f726723
			0000180500000020010db8000000000000000000000001240000190900000030
			0f310d300b06035504030c04776573742300000e0a0000008204776573742400
			00100b000000a0a1a2a3a4a5a6a7230000100c00000010111213141516172500
			00080d0000002600000a0430030201012700002d04000102030405060708090a
			0b0c0d0e0f10111213808182838485868788898a8b8c8d8e8f90919293280000
			1b0e000000023000e0e1e2e3e4e5e6e7e8e9eaebecedeeef2900002420212223
			2425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f29000010
			0000400601020304050607082900000c03044009aabbccdd2a00000a00000011
			00132a000008010000002b0000100304000211223344556677882c00000c696b
			6576327265662d00006403000000070000100000ffff0a0000000a0000ff0806
			002801bb01bb20010db800000000000000000000000020010db8000000000000
			00000000ffff0a00002473797374656d5f753a6f626a6563745f723a69707365
			635f7370645f743a73302f000018010000000711001001f41194c0000201c000
			02012f0000140100000000010000000800000003000030000025020000000001
			00040a0100020008001120010db8000100000000000000000002403000000901
			010005013000000d02010009017765737463000008030200042e000008deadbe
			ef23800044000102030405060708090a0b0c0d0e0f101112131415161718191a
			1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a
			3b3c3d3e3f`,
	},
	{
		summary: "IKE_FOLLOWUP_KE response 2 [ EF(1/2) ]",
		hex: `00112233445566778899aabbccddeeff35202c2000000002000000482200002c
			00010002101112131415161718191a1b1c1d1e1f202122232425262728292a2b
			2c2d2e2f30313233`,
	},
	{
		summary: "IKE_FOLLOWUP_KE response 2 [ EF(2/2) ]",
		hex: `00112233445566778899aabbccddeeff35202c2000000002000000480000002c
			00020002202122232425262728292a2b2c2d2e2f303132333435363738393a3b
			3c3d3e3f40414243`,
	},
}

// TestAllPayloadsPinned: the hand-built messages encode to the pinned octets,
// which decode back to the same values, with the pinned summaries.
func TestAllPayloadsPinned(t *testing.T) {
	ms := fuzz.AllPayloads()
	if len(ms) != len(allPayloadsHex) {
		t.Fatalf("%d messages, %d pinned", len(ms), len(allPayloadsHex))
	}
	kinds := map[wire.PayloadType]bool{}
	ids := map[wire.IDType]bool{}
	for i, m := range ms {
		want := unhex(allPayloadsHex[i].hex)
		got, err := m.Encode()
		if err != nil {
			t.Fatalf("message %d: Encode: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("message %d\n got %x\nwant %x", i, got, want)
		}
		if s := m.String(); s != allPayloadsHex[i].summary {
			t.Errorf("message %d summary\n got %s\nwant %s", i, s, allPayloadsHex[i].summary)
		}
		back, err := wire.Decode(want)
		if err != nil {
			t.Fatalf("message %d: Decode: %v", i, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Errorf("message %d: Decode(pinned) differs from the hand-built value", i)
		}
		for _, p := range m.Payloads {
			kinds[p.PayloadType()] = true
			if id, ok := p.(*wire.ID); ok {
				ids[id.IDType] = true
			}
		}
	}
	// Coverage of the hand-built set: every type newPayload parses, every
	// ID type, both exchange types of RFC 9242 and RFC 9370.
	for _, k := range []wire.PayloadType{wire.PayloadSA, wire.PayloadKE, wire.PayloadIDi, wire.PayloadIDr,
		wire.PayloadCERT, wire.PayloadCERTREQ, wire.PayloadAUTH, wire.PayloadNonce, wire.PayloadNotify,
		wire.PayloadDelete, wire.PayloadVendorID, wire.PayloadTSi, wire.PayloadTSr, wire.PayloadSK,
		wire.PayloadCP, wire.PayloadEAP, wire.PayloadSKF, 99} {
		if !kinds[k] {
			t.Errorf("no %v payload in AllPayloads", k)
		}
	}
	for _, k := range []wire.IDType{wire.ID_IPV4_ADDR, wire.ID_FQDN, wire.ID_RFC822_ADDR, wire.ID_IPV6_ADDR,
		wire.ID_DER_ASN1_DN, wire.ID_DER_ASN1_GN, wire.ID_KEY_ID, wire.ID_FC_NAME, wire.ID_NULL} {
		if !ids[k] {
			t.Errorf("no %v identity in AllPayloads", k)
		}
	}
	if ms[0].Exchange != wire.IKE_INTERMEDIATE || ms[1].Exchange != wire.IKE_FOLLOWUP_KE {
		t.Errorf("exchanges %v, %v", ms[0].Exchange, ms[1].Exchange)
	}
}

// TestSKPlaintextChain: what an SK payload yields once opened is a payload
// chain that DecodePayloads parses from the SK's Next Payload (RFC 7296
// section 3.14): here IDi, AUTH, SA, TSi, TSr as in an IKE_AUTH request.
func TestSKPlaintextChain(t *testing.T) {
	inner := []wire.Payload{
		&wire.ID{IDType: wire.ID_FQDN, Data: []byte("west")},
		&wire.Auth{Method: wire.AuthSharedKeyMIC, Data: bytes.Repeat([]byte{7}, 32)},
		&wire.SA{Proposals: []wire.Proposal{{Number: 1, Protocol: wire.ProtoESP, SPI: []byte{1, 2, 3, 4},
			Transforms: []wire.Transform{wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_GCM_16), 256), wire.NewTransform(wire.TransformESN, uint16(wire.NoESN), 0)}}}},
		&wire.TS{Selectors: []wire.Selector{{Type: wire.TS_IPV4_ADDR_RANGE, EndPort: 0xffff, Start: netip.MustParseAddr("0.0.0.0"), End: netip.MustParseAddr("255.255.255.255")}}},
		&wire.TS{Responder: true, Selectors: []wire.Selector{{Type: wire.TS_IPV6_ADDR_RANGE, EndPort: 0xffff, Start: netip.MustParseAddr("::"), End: netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}}},
	}
	first, plain, err := wire.AppendPayloads(nil, inner)
	if err != nil {
		t.Fatal(err)
	}
	if first != wire.PayloadIDi {
		t.Errorf("first %v, want IDi", first)
	}
	got, err := wire.DecodePayloads(first, plain)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inner) {
		t.Errorf("DecodePayloads = %+v\nwant %+v", got, inner)
	}
	if s := wire.Summary(wire.Header{Exchange: wire.IKE_AUTH, MessageID: 1}, got); s != "IKE_AUTH request 1 [ IDi AUTH SA TSi TSr ]" {
		t.Errorf("summary %s", s)
	}
}
