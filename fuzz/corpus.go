// Package fuzz holds the native Go fuzz targets for the decoders of the IKEv2
// wire codec (RFC 7296 section 3, RFC 7383 section 2.5) and for the opening of
// the Encrypted payload (RFC 7296 section 3.14), and the seed corpus they
// share with impl/wire's golden tests: every IKE message of the captures under
// testdata/captures, and hand-built messages that between them carry every
// payload type the codec parses.
//
// The targets are in the _test.go files; run one with
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzMessage$' -fuzztime=60s
//
// and `go test ./fuzz` replays the seed corpus.
package fuzz

import (
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/capture"
)

// CapturedMessage is one IKE message of a capture file, without the non-ESP
// marker.
type CapturedMessage struct {
	File  string // slash-separated, relative to the captures directory: "tcpdump/ikev2four.pcap"
	Frame int    // 1-based frame number in the file
	Bytes []byte
}

// Name is "tcpdump/ikev2four.pcap#2".
func (c CapturedMessage) Name() string { return fmt.Sprintf("%s#%d", c.File, c.Frame) }

// CaptureMessages returns every IKE message of every .pcap and .pcapng file
// under dir (testdata/captures, given relative to the caller's package), in
// lexical file order and then frame order. A frame that capture reports as
// broken is an error, so that no message goes missing silently.
func CaptureMessages(dir string) ([]CapturedMessage, error) {
	var out []CapturedMessage
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		ds, err := capture.ReadFile(path)
		if err != nil {
			return err
		}
		for _, dg := range ds {
			switch dg.Kind {
			case capture.KindBroken:
				return fmt.Errorf("%s frame %d: %w", rel, dg.Frame, dg.Err)
			case capture.KindIKE:
				out = append(out, CapturedMessage{File: filepath.ToSlash(rel), Frame: dg.Frame, Bytes: dg.Payload})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no IKE message in the captures under %s", dir)
	}
	return out, nil
}

// seq returns n octets counting up from start: recognisable filler for
// nonces, key shares, IVs and signatures.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// AllPayloads returns three hand-built messages that between them carry
// every payload type of RFC 7296 section 3 (and SKF, RFC 7383 section 2.5),
// every ID type, the ADDKE transform types of RFC 9370 and the exchange types
// of RFC 9242 and RFC 9370:
//
//  1. IKE_INTERMEDIATE request 1: SA (an IKE proposal with ADDKE1-7 and an
//     ESP proposal with ESN and Key Length attributes), KE, IDi/IDr of every
//     ID type, CERT, CERTREQ, AUTH, Nonce, Notify with and without SPI,
//     Delete for IKE and ESP, Vendor ID, TSi/TSr with IPv4, IPv6 and
//     TS_SECLABEL selectors, CP request and reply, EAP request, response and
//     success, a payload of unknown type 99, and SK last.
//  2. IKE_FOLLOWUP_KE response 2: SKF fragment 1 of 2.
//  3. IKE_FOLLOWUP_KE response 2: SKF fragment 2 of 2.
//
// Each call builds fresh values, so callers may modify them.
func AllPayloads() []*wire.Message {
	ikeSA := wire.Proposal{Number: 1, Protocol: wire.ProtoIKE, Transforms: []wire.Transform{
		wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_CBC), 256),
		wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_SHA2_256), 0),
		wire.NewTransform(wire.TransformINTEG, uint16(wire.AUTH_HMAC_SHA2_256_128), 0),
		wire.NewTransform(wire.TransformKE, uint16(wire.ECP_256), 0),
		wire.NewTransform(wire.TransformADDKE1, uint16(wire.ML_KEM_768), 0),
		wire.NewTransform(wire.TransformADDKE2, uint16(wire.ML_KEM_1024), 0),
		wire.NewTransform(wire.TransformADDKE3, uint16(wire.ML_KEM_512), 0),
		wire.NewTransform(wire.TransformADDKE4, uint16(wire.CURVE25519), 0),
		wire.NewTransform(wire.TransformADDKE5, uint16(wire.CURVE448), 0),
		wire.NewTransform(wire.TransformADDKE6, uint16(wire.ECP_384), 0),
		// RFC 9370 section 2.2.1: NONE in an ADDKE transform makes it optional.
		wire.NewTransform(wire.TransformADDKE7, uint16(wire.KE_NONE), 0),
	}}
	espSA := wire.Proposal{Number: 2, Protocol: wire.ProtoESP, SPI: []byte{0xc0, 0xff, 0xee, 0x01}, Transforms: []wire.Transform{
		wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_GCM_16), 128),
		// A TLV attribute (AF = 0) of a type no RFC defines: the codec keeps it.
		{Type: wire.TransformENCR, ID: uint16(wire.ENCR_CHACHA20_POLY1305), Attributes: []wire.Attribute{{Type: 0x1234, Value: []byte{0xab, 0xcd, 0xef}}}},
		wire.NewTransform(wire.TransformESN, uint16(wire.ESN), 0),
		wire.NewTransform(wire.TransformESN, uint16(wire.NoESN), 0),
	}}
	ids := []struct {
		t    wire.IDType
		data []byte
	}{
		{wire.ID_IPV4_ADDR, []byte{192, 0, 2, 1}},
		{wire.ID_FQDN, []byte("west.example.org")},
		{wire.ID_RFC822_ADDR, []byte("west@example.org")},
		{wire.ID_IPV6_ADDR, netip.MustParseAddr("2001:db8::1").AsSlice()},
		// SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (CN), UTF8String "west" } } }
		{wire.ID_DER_ASN1_DN, []byte{0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 'w', 'e', 's', 't'}},
		// GeneralName dNSName [2] "west"
		{wire.ID_DER_ASN1_GN, []byte{0x82, 0x04, 'w', 'e', 's', 't'}},
		{wire.ID_KEY_ID, seq(0xa0, 8)},
		{wire.ID_FC_NAME, seq(0x10, 8)},
		{wire.ID_NULL, nil}, // RFC 7619 section 3: empty Identification Data
	}
	var payloads []wire.Payload
	payloads = append(payloads,
		&wire.SA{Proposals: []wire.Proposal{ikeSA, espSA}},
		&wire.KE{Group: wire.ECP_256, Data: seq(0x40, 64)},
	)
	for i, id := range ids {
		payloads = append(payloads, &wire.ID{Responder: i%2 == 1, IDType: id.t, Data: id.data})
	}
	payloads = append(payloads,
		&wire.Cert{Encoding: wire.CertX509Sig, Data: []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		&wire.CertReq{Encoding: wire.CertX509Sig, Data: append(seq(0x00, 20), seq(0x80, 20)...)},
		// RFC 7427 section 3: ASN.1 length, AlgorithmIdentifier, signature.
		&wire.Auth{Method: wire.AuthDigitalSig, Data: append([]byte{0x02, 0x30, 0x00}, seq(0xe0, 16)...)},
		&wire.Nonce{Data: seq(0x20, 32)},
		&wire.Notify{Type: wire.COOKIE, Data: seq(0x01, 8)},
		&wire.Notify{Protocol: wire.ProtoESP, SPI: []byte{0xaa, 0xbb, 0xcc, 0xdd}, Type: wire.REKEY_SA},
		&wire.Notify{Type: wire.INVALID_KE_PAYLOAD, Data: []byte{0x00, 0x13}},
		&wire.Delete{Protocol: wire.ProtoIKE},
		&wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{{0x11, 0x22, 0x33, 0x44}, {0x55, 0x66, 0x77, 0x88}}},
		&wire.VendorID{Data: []byte("ikev2ref")},
		&wire.TS{Selectors: []wire.Selector{
			{Type: wire.TS_IPV4_ADDR_RANGE, EndPort: 0xffff, Start: netip.MustParseAddr("10.0.0.0"), End: netip.MustParseAddr("10.0.0.255")},
			{Type: wire.TS_IPV6_ADDR_RANGE, IPProtocol: 6, StartPort: 443, EndPort: 443, Start: netip.MustParseAddr("2001:db8::"), End: netip.MustParseAddr("2001:db8::ffff")},
			{Type: wire.TS_SECLABEL, Raw: []byte("system_u:object_r:ipsec_spd_t:s0")}, // RFC 9478 section 2
		}},
		&wire.TS{Responder: true, Selectors: []wire.Selector{
			{Type: wire.TS_IPV4_ADDR_RANGE, IPProtocol: 17, StartPort: 500, EndPort: 4500, Start: netip.MustParseAddr("192.0.2.1"), End: netip.MustParseAddr("192.0.2.1")},
		}},
		&wire.CP{CFGType: wire.CFG_REQUEST, Attributes: []wire.CPAttribute{
			{Type: wire.INTERNAL_IP4_ADDRESS}, {Type: wire.INTERNAL_IP6_ADDRESS}, {Type: wire.INTERNAL_IP4_DNS},
		}},
		&wire.CP{CFGType: wire.CFG_REPLY, Attributes: []wire.CPAttribute{
			{Type: wire.INTERNAL_IP4_ADDRESS, Value: []byte{10, 1, 0, 2}},
			{Type: wire.INTERNAL_IP6_ADDRESS, Value: append(netip.MustParseAddr("2001:db8:1::2").AsSlice(), 64)},
		}},
		&wire.EAP{Code: wire.EAPRequest, Identifier: 1, Type: 1},                        // Identity request, no data
		&wire.EAP{Code: wire.EAPResponse, Identifier: 1, Type: 1, Data: []byte("west")}, // Identity response
		&wire.EAP{Code: wire.EAPSuccess, Identifier: 2},
		&wire.Unknown{Kind: 99, Body: []byte{0xde, 0xad, 0xbe, 0xef}},
		&wire.Encrypted{PayloadHeader: wire.PayloadHeader{Critical: true}, Inner: wire.PayloadIDi, Body: seq(0x00, 16+32+16)},
	)
	hdr := wire.Header{
		SPIi: 0x0011223344556677, SPIr: 0x8899aabbccddeeff, Major: wire.MajorVersion,
		Exchange: wire.IKE_INTERMEDIATE, Flags: wire.FlagInitiator, MessageID: 1,
	}
	frag := func(n uint16, inner wire.PayloadType) *wire.Message {
		h := hdr
		h.Exchange, h.Flags, h.MessageID = wire.IKE_FOLLOWUP_KE, wire.FlagResponse, 2
		return &wire.Message{Header: h, Payloads: []wire.Payload{
			&wire.EncryptedFragment{Inner: inner, Number: n, Total: 2, Body: seq(byte(n)<<4, 8+16+12)},
		}}
	}
	return []*wire.Message{
		{Header: hdr, Payloads: payloads},
		frag(1, wire.PayloadKE),   // RFC7383-2.5-2: the first fragment names the first inner payload
		frag(2, wire.PayloadNone), // RFC7383-2.5-3: the others carry zero
	}
}
