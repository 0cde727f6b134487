package wire

import (
	"net/netip"
	"testing"
)

// benchAuthPayloads is the plaintext of a typical IKE_AUTH request (PSK, one
// Child SA with two ESP proposals, a pair of /24 selectors) as strongSwan
// sends it: [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) ].
func benchAuthPayloads() []Payload {
	esp := func(n uint8, encr EncrID, bits uint16) Proposal {
		return Proposal{Number: n, Protocol: ProtoESP, SPI: []byte{0xc1, 0x2a, 0x33, 0x04},
			Transforms: []Transform{
				NewTransform(TransformENCR, uint16(encr), bits),
				NewTransform(TransformINTEG, uint16(AUTH_HMAC_SHA2_256_128), 0),
				NewTransform(TransformESN, uint16(NoESN), 0),
			}}
	}
	sel := func(a, b string) Selector {
		return Selector{Type: TS_IPV4_ADDR_RANGE, EndPort: 0xffff,
			Start: netip.MustParseAddr(a), End: netip.MustParseAddr(b)}
	}
	return []Payload{
		&ID{IDType: ID_FQDN, Data: []byte("left.lab.example")},
		&Notify{Type: INITIAL_CONTACT},
		&ID{Responder: true, IDType: ID_FQDN, Data: []byte("right.lab.example")},
		&Auth{Method: AuthSharedKeyMIC, Data: make([]byte, 32)},
		&SA{Proposals: []Proposal{esp(1, ENCR_AES_CBC, 256), esp(2, ENCR_AES_CBC, 128)}},
		&TS{Selectors: []Selector{sel("198.51.100.0", "198.51.100.255")}},
		&TS{Responder: true, Selectors: []Selector{sel("203.0.113.0", "203.0.113.255")}},
		&Notify{Type: MULTIPLE_AUTH_SUPPORTED},
	}
}

func benchAuthMessage() *Message {
	return &Message{
		Header: Header{SPIi: 0x191ccd371a7a1f7b, SPIr: 0xbc123d15e4af593f, Major: 2,
			Exchange: IKE_AUTH, Flags: FlagInitiator, MessageID: 1},
		Payloads: benchAuthPayloads(),
	}
}

// BenchmarkEncodeIKEAuth measures encoding the IKE_AUTH request above, as
// a plaintext chain inside the header (what the engine encodes before SK).
func BenchmarkEncodeIKEAuth(b *testing.B) {
	m := benchAuthMessage()
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.Append(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecodeIKEAuth measures decoding the same message.
func BenchmarkDecodeIKEAuth(b *testing.B) {
	raw, err := benchAuthMessage().Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}
