package eap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// pkt lays out an EAP packet by hand: Code, Identifier, then the rest; the
// Length field is computed unless length >= 0 overrides it.
func pkt(code, id byte, length int, rest ...byte) []byte {
	b := []byte{code, id, 0, 0}
	b = append(b, rest...)
	if length < 0 {
		length = len(b)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(length))
	return b
}

// ms lays out EAP-MSCHAPv2 Type-Data with a computed MS-Length.
func ms(op, id byte, body ...byte) []byte {
	b := []byte{op, id, 0, 0}
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func rep(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// msValue is a Response value: Peer-Challenge, Reserved, NT-Response,
// Flags (RFC 2759 section 4).
func msValue(reserved, flags byte) []byte {
	return cat([]byte{49}, rep(0x11, 16), rep(reserved, 8), rep(0x22, 24), []byte{flags})
}

const goodAuth = "S=407A5589115FD0D6209F510FE9C04566932CDA56"

// TestDecodeValid: packets that decode, with what they decode to, and that
// encode back to the same octets.
func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Packet
	}{
		{"Success (RFC 3748 4.2)", pkt(3, 7, -1), Packet{Code: CodeSuccess, Identifier: 7}},
		{"Failure (RFC 3748 4.2)", pkt(4, 8, -1), Packet{Code: CodeFailure, Identifier: 8}},
		{"Identity Request, empty (RFC 3748 5.1)", pkt(1, 1, -1, 1), Packet{Code: CodeRequest, Identifier: 1, Type: TypeIdentity, Data: []byte{}}},
		{"Identity Request with a null and options (RFC 3748 5.1)", pkt(1, 1, -1, 1, 'h', 'i', 0, 'x'), Packet{Code: CodeRequest, Identifier: 1, Type: TypeIdentity, Data: []byte("hi\x00x")}},
		{"Identity Response (RFC 3748 5.1)", pkt(2, 1, -1, 1, 'b', 'o', 'b'), Packet{Code: CodeResponse, Identifier: 1, Type: TypeIdentity, Data: []byte("bob")}},
		{"Notification Request (RFC 3748 5.2)", pkt(1, 2, -1, 2, 'h', 'i'), Packet{Code: CodeRequest, Identifier: 2, Type: TypeNotification, Data: []byte("hi")}},
		{"Notification Response (RFC 3748 5.2)", pkt(2, 2, -1, 2), Packet{Code: CodeResponse, Identifier: 2, Type: TypeNotification, Data: []byte{}}},
		{"Nak proposing MSCHAPv2 and MD5 (RFC 3748 5.3.1)", pkt(2, 3, -1, 3, 26, 4), Packet{Code: CodeResponse, Identifier: 3, Type: TypeNak, Data: []byte{26, 4}}},
		{"Nak with no alternative (RFC 3748 5.3.1)", pkt(2, 3, -1, 3, 0), Packet{Code: CodeResponse, Identifier: 3, Type: TypeNak, Data: []byte{0}}},
		{"MD5-Challenge Request without Name (RFC 3748 5.4)", pkt(1, 4, -1, 4, 2, 0xaa, 0xbb), Packet{Code: CodeRequest, Identifier: 4, Type: TypeMD5Challenge, Data: []byte{2, 0xaa, 0xbb}}},
		{"MD5-Challenge Response with Name (RFC 3748 5.4)", pkt(2, 4, -1, cat([]byte{4, 16}, rep(9, 16), []byte("bob"))...), Packet{Code: CodeResponse, Identifier: 4, Type: TypeMD5Challenge, Data: cat([]byte{16}, rep(9, 16), []byte("bob"))}},
		{"Expanded Type (RFC 3748 5.7)", pkt(1, 5, -1, 254, 0, 0, 0, 0, 0, 0, 3), Packet{Code: CodeRequest, Identifier: 5, Type: TypeExpanded, Data: []byte{0, 0, 0, 0, 0, 0, 3}}},
		{"EAP-TLS Request, kept raw for a Nak (RFC 3748 5.3)", pkt(1, 6, -1, 13, 0x20), Packet{Code: CodeRequest, Identifier: 6, Type: 13, Data: []byte{0x20}}},
		{"MSCHAPv2 Challenge (draft-kamath 2.1)", pkt(1, 9, -1, cat([]byte{26}, ms(1, 9, cat([]byte{16}, rep(0xcc, 16), []byte("srv"))...))...),
			Packet{Code: CodeRequest, Identifier: 9, Type: TypeMSCHAPv2, Data: ms(1, 9, cat([]byte{16}, rep(0xcc, 16), []byte("srv"))...)}},
		{"MSCHAPv2 Response (draft-kamath 2.2)", pkt(2, 9, -1, cat([]byte{26}, ms(2, 9, cat(msValue(0, 0), []byte("User"))...))...),
			Packet{Code: CodeResponse, Identifier: 9, Type: TypeMSCHAPv2, Data: ms(2, 9, cat(msValue(0, 0), []byte("User"))...)}},
		{"MSCHAPv2 Success Request (draft-kamath 2.3)", pkt(1, 10, -1, cat([]byte{26}, ms(3, 9, []byte(goodAuth+" M=hello world")...))...),
			Packet{Code: CodeRequest, Identifier: 10, Type: TypeMSCHAPv2, Data: ms(3, 9, []byte(goodAuth+" M=hello world")...)}},
		{"MSCHAPv2 Success Request without M= (RFC 2759 5)", pkt(1, 10, -1, cat([]byte{26}, ms(3, 9, []byte(goodAuth)...))...),
			Packet{Code: CodeRequest, Identifier: 10, Type: TypeMSCHAPv2, Data: ms(3, 9, []byte(goodAuth)...)}},
		{"MSCHAPv2 Success Response (draft-kamath 2.4)", pkt(2, 10, -1, 26, 3), Packet{Code: CodeResponse, Identifier: 10, Type: TypeMSCHAPv2, Data: []byte{3}}},
		{"MSCHAPv2 Failure Request, strongSwan's form (RFC 2759 6)", pkt(1, 11, -1, cat([]byte{26}, ms(4, 9, []byte("E=691 R=1 C="+strings.Repeat("0A", 16))...))...),
			Packet{Code: CodeRequest, Identifier: 11, Type: TypeMSCHAPv2, Data: ms(4, 9, []byte("E=691 R=1 C="+strings.Repeat("0A", 16))...)}},
		{"MSCHAPv2 Failure Request, all fields (RFC 2759 6)", pkt(1, 11, -1, cat([]byte{26}, ms(4, 9, []byte("E=691 R=0 C="+strings.Repeat("0a", 16)+" V=3 M=bad password")...))...),
			Packet{Code: CodeRequest, Identifier: 11, Type: TypeMSCHAPv2, Data: ms(4, 9, []byte("E=691 R=0 C="+strings.Repeat("0a", 16)+" V=3 M=bad password")...)}},
		{"MSCHAPv2 Failure Response (draft-kamath 2.6)", pkt(2, 11, -1, 26, 4), Packet{Code: CodeResponse, Identifier: 11, Type: TypeMSCHAPv2, Data: []byte{4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Decode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Code != tc.want.Code || p.Identifier != tc.want.Identifier || p.Type != tc.want.Type || !bytes.Equal(p.Data, tc.want.Data) {
				t.Fatalf("got %+v\nwant %+v", p, tc.want)
			}
			b, err := p.Encode()
			if err != nil || !bytes.Equal(b, tc.in) {
				t.Fatalf("Encode = % X, %v\nwant % X", b, err, tc.in)
			}
			tc.in[len(tc.in)-1] ^= 0xff // the decoded packet does not alias its input
			if p2, _ := Decode(b); p2 == nil || !bytes.Equal(p2.Data, p.Data) {
				t.Fatal("decoded packet aliases its input")
			}
		})
	}
}

// TestDecodeMalformed: every rule of the codec, with the offset and the
// reason it reports (RFC 3748 section 4 and the Type sections).
func TestDecodeMalformed(t *testing.T) {
	badAuth := "S=407a5589115fd0d6209f510fe9c04566932cda56"
	mschap := func(code byte, data []byte) []byte { return pkt(code, 1, -1, cat([]byte{26}, data)...) }
	tests := []struct {
		name   string
		in     []byte
		offset int
		reason string
	}{
		{"empty (RFC 3748 4)", nil, 0, "shorter than the 4-octet header"},
		{"3 octets (RFC 3748 4)", []byte{3, 1, 0}, 0, "shorter than the 4-octet header"},
		{"Length beyond the packet (RFC 3748 4)", pkt(3, 1, 5), 2, "Length 5, but the packet has 4"},
		{"Length short of the packet: no padding in an EAP payload (RFC 3748 4, RFC 7296 3.16)", pkt(3, 1, 4, 0), 2, "Length 4, but the packet has 5"},
		{"Length below the header (RFC 3748 4)", pkt(3, 1, 3), 2, "Length 3"},
		{"unknown Code 5 (RFC 3748 4)", pkt(5, 1, -1), 0, "unknown Code 5"},
		{"unknown Code 0 (RFC 3748 4)", pkt(0, 1, -1, 1), 0, "unknown Code 0"},
		{"Success with data (RFC 3748 4.2)", pkt(3, 1, -1, 0), 4, "Success with 1 octets of data"},
		{"Failure with data (RFC 3748 4.2)", pkt(4, 1, -1, 1, 2), 4, "Failure with 2 octets of data"},
		{"Request without Type (RFC 3748 4.1)", pkt(1, 1, -1), 4, "Request without a Type field"},
		{"Response without Type (RFC 3748 4.1)", pkt(2, 1, -1), 4, "Response without a Type field"},
		{"Type 0 (RFC 3748 5)", pkt(1, 1, -1, 0), 4, "Type 0 is not assigned"},
		{"null-terminated Identity Response (RFC 3748 5.1)", pkt(2, 1, -1, 1, 'a', 0), 6, "null terminated"},
		{"empty Notification Request (RFC 3748 5.2)", pkt(1, 1, -1, 2), 5, "Notification Request without a message"},
		{"Notification Response with data (RFC 3748 5.2)", pkt(2, 1, -1, 2, 'x'), 5, "Notification Response with 1 octets"},
		{"Nak in a Request (RFC 3748 5.3.1)", pkt(1, 1, -1, 3, 4), 4, "Nak in a Request"},
		{"empty Nak (RFC 3748 5.3.1)", pkt(2, 1, -1, 3), 5, "Nak without a desired Type"},
		{"Nak of Identity (RFC 3748 5.3.1)", pkt(2, 1, -1, 3, 26, 1), 6, "Nak proposes Identity"},
		{"Nak mixing 0 and Types (RFC 3748 5.3.1)", pkt(2, 1, -1, 3, 26, 0), 6, "Nak lists 0"},
		{"MD5 without Value-Size (RFC 3748 5.4)", pkt(1, 1, -1, 4), 5, "without Value-Size"},
		{"MD5 Value-Size 0 (RFC 1994 4.1)", pkt(1, 1, -1, 4, 0), 5, "Value-Size 0"},
		{"MD5 Value-Size past the end (RFC 3748 5.4)", pkt(1, 1, -1, 4, 3, 1, 2), 5, "Value-Size 3 exceeds the 2 octets"},
		{"MD5 Response Value-Size 15 (RFC 1994 4.1)", pkt(2, 1, -1, cat([]byte{4, 15}, rep(1, 15))...), 5, "Response Value-Size 15"},
		{"Expanded Type short of Vendor-Type (RFC 3748 5.7)", pkt(1, 1, -1, 254, 0, 0, 0, 0, 0, 0), 5, "Expanded Type with 6 octets"},
		{"MSCHAPv2 without OpCode (draft-kamath 2)", mschap(1, nil), 5, "without an OpCode"},
		{"MSCHAPv2 Response OpCode in a Request (draft-kamath 2)", mschap(1, ms(2, 1, msValue(0, 0)...)), 5, "OpCode Response is not valid in a Request"},
		{"MSCHAPv2 Challenge OpCode in a Response (draft-kamath 2)", mschap(2, ms(1, 1, cat([]byte{16}, rep(0, 16))...)), 5, "OpCode Challenge is not valid in a Response"},
		{"MSCHAPv2 unknown OpCode 9 (draft-kamath 2)", mschap(1, ms(9, 1)), 5, "OpCode(9) is not valid"},
		{"MSCHAPv2 Change-Password (draft-kamath 2.7, unsupported)", mschap(2, ms(7, 1, rep(0, 20)...)), 5, "Change-Password is not supported"},
		{"MSCHAPv2 header cut short (draft-kamath 2.1)", mschap(1, []byte{1, 1, 0}), 5, "shorter than OpCode, MS-CHAPv2-ID and MS-Length"},
		{"MS-Length not the EAP Length minus 5 (draft-kamath 2.1)", mschap(1, cat([]byte{1, 1, 0, 99, 16}, rep(0, 16))), 7, "MS-Length 99, but the MSCHAPv2 data has 21 octets"},
		{"MSCHAPv2 Challenge cut short (draft-kamath 2.1)", mschap(1, ms(1, 1, 16, 1, 2)), 9, "shorter than Value-Size and a 16-octet challenge"},
		{"MSCHAPv2 Challenge Value-Size 8 (RFC 2759 3)", mschap(1, ms(1, 1, cat([]byte{8}, rep(0, 16))...)), 9, "Value-Size 8, not 16"},
		{"MSCHAPv2 Response cut short (draft-kamath 2.2)", mschap(2, ms(2, 1, msValue(0, 0)[:40]...)), 9, "shorter than Value-Size and the 49-octet value"},
		{"MSCHAPv2 Response Value-Size 48 (RFC 2759 4)", mschap(2, ms(2, 1, cat([]byte{48}, msValue(0, 0)[1:])...)), 9, "Value-Size 48, not 49"},
		{"MSCHAPv2 Response non-zero Reserved (RFC 2759 4)", mschap(2, ms(2, 1, msValue(1, 0)...)), 26, "Reserved octet is 0x1"},
		{"MSCHAPv2 Response non-zero Flags (RFC 2759 4)", mschap(2, ms(2, 1, msValue(0, 1)...)), 58, "Flags 0x1"},
		{"MSCHAPv2 Success Response with data (draft-kamath 2.4)", mschap(2, []byte{3, 1}), 6, "Success Response with 1 octets after the OpCode"},
		{"MSCHAPv2 Failure Response with a header (draft-kamath 2.6)", mschap(2, ms(4, 1)), 6, "Failure Response with 3 octets after the OpCode"},
		{"MSCHAPv2 Success without S= (RFC 2759 5)", mschap(1, ms(3, 1, []byte("M=hi")...)), 9, "does not start with \"S=\""},
		{"MSCHAPv2 Success, short auth string (RFC 2759 5)", mschap(1, ms(3, 1, []byte(goodAuth[:41])...)), 11, "authenticator response of 39 characters"},
		{"MSCHAPv2 Success, lowercase hex (RFC 2759 5: MUST be uppercase)", mschap(1, ms(3, 1, []byte(badAuth)...)), 14, "not an uppercase hexadecimal digit"},
		{"MSCHAPv2 Success, junk after the auth string (RFC 2759 5)", mschap(1, ms(3, 1, []byte(goodAuth+"X")...)), 51, "something other than \" M=\""},
		{"MSCHAPv2 Failure without E= (RFC 2759 6)", mschap(1, ms(4, 1, []byte("R=1 C="+strings.Repeat("00", 16))...)), 9, "lacks \"E=\""},
		{"MSCHAPv2 Failure, E= not decimal (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=6x1 R=1 C="+strings.Repeat("00", 16))...)), 12, "not a decimal digit"},
		{"MSCHAPv2 Failure, E= empty (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E= R=1 C="+strings.Repeat("00", 16))...)), 11, "E= has 0 digits"},
		{"MSCHAPv2 Failure, E= past 32 bits (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=9999999999 R=1 C="+strings.Repeat("00", 16))...)), 11, "does not fit 32 bits"},
		{"MSCHAPv2 Failure, R=2 (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=691 R=2 C="+strings.Repeat("00", 16))...)), 17, "retry flag \"2\""},
		{"MSCHAPv2 Failure without C= (RFC 2759 6: MUST be present)", mschap(1, ms(4, 1, []byte("E=691 R=0")...)), 18, "lacks \" C=\""},
		{"MSCHAPv2 Failure, C= of 30 digits (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=691 R=0 C="+strings.Repeat("00", 15))...)), 21, "challenge of 30 characters"},
		{"MSCHAPv2 Failure, C= not hex (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=691 R=0 C="+strings.Repeat("0g", 16))...)), 21, "not hexadecimal"},
		{"MSCHAPv2 Failure, V= not decimal (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=691 R=0 C="+strings.Repeat("00", 16)+" V=three")...)), 56, "V= has 't'"},
		{"MSCHAPv2 Failure, unknown field (RFC 2759 6)", mschap(1, ms(4, 1, []byte("E=691 R=0 C="+strings.Repeat("00", 16)+" X=1")...)), 53, "unexpected text after its fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("decoded to %+v", p)
			}
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a *DecodeError matching ErrMalformed", err)
			}
			if !strings.HasPrefix(err.Error(), "eap: ") {
				t.Errorf("error %q lacks the eap: prefix", err)
			}
			if de.Offset != tc.offset || !strings.Contains(de.Reason, tc.reason) {
				t.Errorf("got offset %d %q\nwant offset %d %q", de.Offset, de.Reason, tc.offset, tc.reason)
			}
		})
	}
}

// TestEncodeRefuses: Encode and the Marshal methods refuse what Decode
// would refuse.
func TestEncodeRefuses(t *testing.T) {
	bad := []struct {
		name string
		f    func() error
	}{
		{"Success with a Type", func() error {
			_, err := (&Packet{Code: CodeSuccess, Type: TypeIdentity}).Encode()
			return err
		}},
		{"Code 9", func() error { _, err := (&Packet{Code: 9, Type: TypeIdentity}).Encode(); return err }},
		{"Request without a Type", func() error { _, err := (&Packet{Code: CodeRequest}).Encode(); return err }},
		{"packet past 65535 octets", func() error {
			_, err := (&Packet{Code: CodeRequest, Type: TypeIdentity, Data: make([]byte, maxLen)}).Encode()
			return err
		}},
		{"Nak Request", func() error {
			_, err := (&Packet{Code: CodeRequest, Type: TypeNak, Data: []byte{4}}).Encode()
			return err
		}},
		{"MD5 Value of 256 octets", func() error { _, err := (&MD5Challenge{Value: make([]byte, 256)}).Marshal(); return err }},
		{"MD5 empty Value", func() error { _, err := (&MD5Challenge{}).Marshal(); return err }},
		{"MSCHAPv2 Success Request without S=", func() error {
			_, err := (&MSCHAPv2{OpCode: OpSuccess, Message: []byte("M=hi")}).Marshal(CodeRequest)
			return err
		}},
		{"MSCHAPv2 Challenge as a Response", func() error {
			_, err := (&MSCHAPv2{OpCode: OpChallenge}).Marshal(CodeResponse)
			return err
		}},
	}
	for _, tc := range bad {
		if err := tc.f(); err == nil || !strings.HasPrefix(err.Error(), "eap: ") {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

// TestMSCHAPv2Layout: the octets of each MSCHAPv2 packet the machines send,
// field by field (draft-kamath-pppext-eap-mschapv2-02 section 2;
// strongSwan's eap_mschapv2_header_t has the same fields).
func TestMSCHAPv2Layout(t *testing.T) {
	c := &MSCHAPv2{OpCode: OpChallenge, ID: 0x33, Name: []byte("srv")}
	copy(c.Challenge[:], rep(0xab, 16))
	got, err := c.Marshal(CodeRequest)
	if err != nil {
		t.Fatal(err)
	}
	// OpCode, MS-CHAPv2-ID, MS-Length (the EAP Length minus 5 = 4+1+16+3),
	// Value-Size, Challenge, Name.
	want := cat([]byte{1, 0x33, 0, 24, 16}, rep(0xab, 16), []byte("srv"))
	if !bytes.Equal(got, want) {
		t.Errorf("Challenge % X\nwant % X", got, want)
	}

	r := &MSCHAPv2{OpCode: OpResponse, ID: 0x33, Name: []byte("User")}
	copy(r.PeerChallenge[:], rep(0x11, 16))
	copy(r.NTResponse[:], rep(0x22, 24))
	got, err = r.Marshal(CodeResponse)
	if err != nil {
		t.Fatal(err)
	}
	want = cat([]byte{2, 0x33, 0, 4 + 50 + 4}, msValue(0, 0), []byte("User"))
	if !bytes.Equal(got, want) {
		t.Errorf("Response % X\nwant % X", got, want)
	}

	for _, op := range []OpCode{OpSuccess, OpFailure} {
		got, err = (&MSCHAPv2{OpCode: op, ID: 9}).Marshal(CodeResponse)
		if err != nil || !bytes.Equal(got, []byte{byte(op)}) {
			t.Errorf("%v Response % X, %v; want the OpCode alone", op, got, err)
		}
	}

	f := &FailureMessage{Error: 691, Retry: true, HasVersion: true, Version: 3, HasText: true, Text: []byte("try again")}
	copy(f.Challenge[:], rep(0x0c, 16))
	if got, want := string(f.Marshal()), "E=691 R=1 C="+strings.Repeat("0C", 16)+" V=3 M=try again"; got != want {
		t.Errorf("Failure message %q\nwant %q", got, want)
	}
	back, err := ParseFailureMessage(f.Marshal())
	if err != nil || back.Error != 691 || !back.Retry || back.Challenge != f.Challenge || back.Version != 3 || string(back.Text) != "try again" {
		t.Errorf("Failure message round trip: %+v, %v", back, err)
	}
	auth, text, err := ParseSuccessMessage([]byte(goodAuth + " M=Welcome"))
	if err != nil || AuthString(auth) != goodAuth || string(text) != "Welcome" {
		t.Errorf("Success message: %s %q %v", AuthString(auth), text, err)
	}
}
