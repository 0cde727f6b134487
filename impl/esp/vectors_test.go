package esp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

func hexs(s ...string) []byte { return unhex(strings.Join(s, "")) }

// TestKnownAnswer opens ESP packets published by others: RFC 7634
// Appendix A (ChaCha20-Poly1305, tunnel mode) and the ESP test cases of
// draft-mcgrew-gcm-test-01 section 4 (AES-GCM with a 16-octet ICV, one of
// them with Extended Sequence Numbers), which give the SPI, sequence
// number, salt, IV, the plaintext with its ESP trailer and the ciphertext
// with its tag.
func TestKnownAnswer(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		seqHi   uint32
		packet  []byte // from the SPI on
		payload []byte
		pad     int
		next    uint8
	}{
		{
			name: "RFC 7634 Appendix A",
			cfg: Config{SPI: 0x01020304, Encr: wire.ENCR_CHACHA20_POLY1305,
				EncrKey: hexs("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "a0a1a2a3")},
			// The ESP packet of Appendix A without its outer IPv4 header.
			packet: hexs("0102030400000005", "1011121314151617",
				"24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6",
				"14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3",
				"cbec163fac469b502773f6fb94e664da9165b82829f641e0",
				"76aaa8266b7fb0f7b11b369907e1ad43"),
			payload: hexs("45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10",
				"0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
				"2425262728292a2b2c2d2e2f3031323334353637"),
			pad: 2, next: NextHeaderIPv4,
		},
		{
			name: "GCM test case 1 (ESN)",
			cfg: Config{SPI: 0x00004321, Encr: wire.ENCR_AES_GCM_16, ESN: true,
				EncrKey: hexs("4c80cdefbb5d10da906ac73c3613a634", "2e443b68")},
			seqHi: 0x87654321,
			packet: hexs("0000432100000000", "4956ed7e3b244cfe",
				"fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34",
				"cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce",
				"61bc17d768fd9732", "459018148f6cbe722fd04796562dfdb4"),
			payload: hexs("45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000",
				"00000000045f736970045f756470037369700963796265726369747902646b00", "00210001"),
			pad: 2, next: 1,
		},
		{
			name: "GCM test case 2 (AES-192)",
			cfg: Config{SPI: 0x0000a5f8, Encr: wire.ENCR_AES_GCM_16,
				EncrKey: hexs("feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabe")},
			packet: hexs("0000a5f80000000a", "facedbaddecaf888",
				"a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0", "315b27452144cc77",
				"95457b9652037f5318027b5b4cd7a636"),
			payload: hexs("45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e", "501016d07568"),
			pad:     0, next: 1,
		},
		{
			name: "GCM test case 3 (AES-256)",
			cfg: Config{SPI: 0x4a2cbfe3, Encr: wire.ENCR_AES_GCM_16,
				EncrKey: hexs("abbccddef00112233445566778899aababbccddef00112233445566778899aab", "11223344")},
			packet: hexs("4a2cbfe300000002", "0102030405060708",
				"ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763",
				"748a637985771d347f0545659f14e99def842d8e", "b335f4eecfdbf831824b4c4915956c96"),
			payload: hexs("4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000", "7002400020bf0000020405b401010402"),
			pad:     2, next: 1,
		},
		{
			name: "GCM test case 5 (empty payload)",
			cfg: Config{SPI: 0x335467ae, Encr: wire.ENCR_AES_GCM_16,
				EncrKey: hexs("7d773d00c144c525ac619d18c84a3f47", "d9664267")},
			packet:  hexs("335467aeffffffff", "43457e9182443bc6", "437f866b", "cb3f699fe9b0822bac961c4504bef270"),
			payload: []byte{},
			pad:     2, next: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sa, err := NewSA(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			o, err := open(sa, tc.packet, tc.seqHi)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(o.Payload, tc.payload) || o.PadLen != tc.pad || o.NextHeader != tc.next || !o.Authenticated {
				t.Errorf("payload %x pad %d next %d; want %x pad %d next %d", o.Payload, o.PadLen, o.NextHeader, tc.payload, tc.pad, tc.next)
			}
			// Sealing the same payload again and opening it gives it back
			// (Seal picks its own IV, so the octets differ).
			seq := uint64(tc.seqHi)<<32 | uint64(o.Seq&0xffffffff)
			pkt, err := sa.Seal(seq, o.NextHeader, o.Payload, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkt) != len(tc.packet) && tc.pad != 0 {
				t.Errorf("sealed %d octets, the vector has %d", len(pkt), len(tc.packet))
			}
			if o2, err := open(sa, pkt, tc.seqHi); err != nil || !bytes.Equal(o2.Payload, tc.payload) {
				t.Errorf("reopening: %v", err)
			}
		})
	}
}

// confidentialityOnly is an AES-CBC SA without an ICV, which NewSA refuses
// (RFC 8221 section 6) but which the ESP examples of RFC 3602 section 4
// use: a test-only SA that opens and seals through the unexported path.
func confidentialityOnly(t *testing.T, spi uint32, key []byte) *SA {
	t.Helper()
	encr, err := crypto.LookupEncr(wire.ENCR_AES_CBC)
	if err != nil {
		t.Fatal(err)
	}
	block, err := encr.NewBlock(key)
	if err != nil {
		t.Fatal(err)
	}
	return &SA{spi: spi, encr: encr, block: block, unchecked: true}
}

// ipv4HeaderChecksumOK reports whether an IPv4 header's checksum verifies
// (RFC 791: the one's-complement sum of the header is all ones).
func ipv4HeaderChecksumOK(h []byte) bool { return onesSum(0, h) == 0xffff }

// TestRFC3602 checks the four ESP packets of RFC 3602 section 4 (cases #5
// to #8, AES-CBC-128 without integrity: "Sample transport-mode ESP packet"
// and "Sample tunnel-mode ESP packet"): the original IP packet gives the
// Payload Data and Next Header by the mode's rules, decryption gives the
// RFC's "Pre-encryption Data with padding, pad length and next header"
// byte for byte, Seal with the RFC's IV gives its SPI, Sequence Number, IV
// and Encrypted Data byte for byte, and the outer IP headers it prints are
// what the mode makes of the original (protocol 50, the new length, a
// valid checksum).
func TestRFC3602(t *testing.T) {
	tests := []struct {
		name     string
		mode     Mode
		key      []byte
		spi      uint32
		seq      uint64
		iv       []byte
		original []byte // "Original packet": IP header and data
		pre      []byte // "Pre-encryption Data with padding, pad length and next header"
		outerIP  []byte // "Post-encryption packet": the IP header
		esp      []byte // SPI/Seq #, IV, Encrypted Data
		next     uint8
		pad      int
	}{
		{
			name: "case #5: transport mode, ping 192.168.123.100", mode: Transport,
			key: hexs("90d382b410eeba7ad938c46cec1a82bf"), spi: 0x4321, seq: 1,
			iv: hexs("e96e8c08ab465763fd098d45dd3ff893"),
			original: hexs("4500005408f200004001f9fec0a87b03c0a87b64",
				"08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617",
				"18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"),
			pre: hexs("08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617",
				"18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
				"0102030405060708090a0b0c0d0e0e01"),
			outerIP: hexs("4500007c08f200004032f9a5c0a87b03c0a87b64"),
			esp: hexs("0000432100000001", "e96e8c08ab465763fd098d45dd3ff893",
				"f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856",
				"a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a",
				"a269add047ad2d5913ac19b7cfbad4a6"),
			next: 1, pad: 14,
		},
		{
			name: "case #6: transport mode, ping -p 77 -s 20 192.168.123.100", mode: Transport,
			key: hexs("90d382b410eeba7ad938c46cec1a82bf"), spi: 0x4321, seq: 8,
			iv: hexs("69d08df7d203329db093fc4924e5bd80"),
			original: hexs("4500003008fe00004001fa16c0a87b03c0a87b64",
				"0800b5e8a80a0500a69c083d0b660e00777777777777777777777777"),
			pre:     hexs("0800b5e8a80a0500a69c083d0b660e0077777777777777777777777701020201"),
			outerIP: hexs("4500004c08fe00004032f9c9c0a87b03c0a87b64"),
			esp: hexs("0000432100000008", "69d08df7d203329db093fc4924e5bd80",
				"f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75"),
			next: 1, pad: 2,
		},
		{
			name: "case #7: tunnel mode, ping 192.168.123.200", mode: Tunnel,
			key: hexs("0123456789abcdef0123456789abcdef"), spi: 0x8765, seq: 2,
			iv: hexs("f4e765244f6407adf13dc1380f673f37"),
			original: hexs("45000054090400004001f988c0a87b03c0a87bc8",
				"08009f76a90a0100b49c083d02a2040008090a0b0c0d0e0f1011121314151617",
				"18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"),
			pre: hexs("45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d",
				"02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
				"2425262728292a2b2c2d2e2f30313233343536370102030405060708090a0a04"),
			outerIP: hexs("4500008c090500004032f91ec0a87b03c0a87bc8"),
			esp: hexs("0000876500000002", "f4e765244f6407adf13dc1380f673f37",
				"773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8",
				"e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5",
				"c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d"),
			next: NextHeaderIPv4, pad: 10,
		},
		{
			name: "case #8: tunnel mode, ping -p ff -s 40 192.168.123.200", mode: Tunnel,
			key: hexs("0123456789abcdef0123456789abcdef"), spi: 0x8765, seq: 5,
			iv: hexs("85d47224b5f3dd5d2101d4ea8dffab22"),
			original: hexs("45000044090c00004001f990c0a87b03c0a87bc8",
				"0800d63caa0a0200c69c083da3de0300ffffffffffffffffffffffffffffffff",
				"ffffffffffffffffffffffffffffffff"),
			pre: hexs("45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083d",
				"a3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
				"ffffffff0102030405060708090a0a04"),
			outerIP: hexs("4500007c090d00004032f926c0a87b03c0a87bc8"),
			esp: hexs("0000876500000005", "85d47224b5f3dd5d2101d4ea8dffab22",
				"15b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb5",
				"0f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3",
				"d2726d9b5ef6affc6d17a0decbb13892"),
			next: NextHeaderIPv4, pad: 10,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sa := confidentialityOnly(t, tc.spi, tc.key)
			// The mode's rules give the Payload Data and Next Header.
			var next uint8
			var payload []byte
			var err error
			if tc.mode == Transport {
				next, payload, err = SplitTransport(tc.original)
			} else {
				payload = tc.original
				next, err = TunnelNextHeader(tc.original)
			}
			if err != nil || next != tc.next {
				t.Fatalf("next header %d, %v; want %d", next, err, tc.next)
			}
			// Decryption, in place, leaves the pre-encryption data where the
			// ciphertext was.
			pkt := bytes.Clone(tc.esp)
			o, verified, err := sa.open(pkt, 0, true)
			if err != nil || verified || o.Authenticated {
				t.Fatalf("open: %v (verified %v)", err, verified)
			}
			if got := pkt[HeaderLen+16:]; !bytes.Equal(got, tc.pre) {
				t.Errorf("decrypted %x\nwant      %x", got, tc.pre)
			}
			if o.Seq != tc.seq || o.NextHeader != tc.next || o.PadLen != tc.pad || !bytes.Equal(o.Payload, payload) {
				t.Errorf("seq %d next %d pad %d payload %x; want %d %d %d %x", o.Seq, o.NextHeader, o.PadLen, o.Payload, tc.seq, tc.next, tc.pad, payload)
			}
			// Seal with the RFC's IV reproduces the packet.
			got, err := sa.appendSeal(nil, tc.seq, next, payload, 0, bytes.NewReader(tc.iv))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.esp) {
				t.Errorf("sealed %x\nwant   %x", got, tc.esp)
			}
			// The outer header: in transport mode the original's with
			// protocol 50 and the ESP packet's length; in tunnel mode a new
			// one (its identification differs) with the same addresses.
			outer := tc.outerIP
			if !ipv4HeaderChecksumOK(outer) || outer[9] != 50 || int(outer[2])<<8|int(outer[3]) != 20+len(tc.esp) ||
				!bytes.Equal(outer[12:20], tc.original[12:20]) {
				t.Errorf("outer header %x: not protocol 50 of length %d with a valid checksum", outer, 20+len(tc.esp))
			}
			if tc.mode == Transport && (!bytes.Equal(outer[4:8], tc.original[4:8]) || outer[8] != tc.original[8]) {
				t.Errorf("transport mode changed more of the header than protocol and length: %x from %x", outer, tc.original[:20])
			}
			if !ipv4HeaderChecksumOK(tc.original[:20]) {
				t.Errorf("original header %x: bad checksum", tc.original[:20])
			}
			if tc.mode == Transport {
				// The receiver rebuilds the packet from the outer addresses:
				// a valid header, the same protocol, length and data.
				src, dst := netip.AddrFrom4([4]byte(outer[12:16])), netip.AddrFrom4([4]byte(outer[16:20]))
				rebuilt, err := AppendTransportPacket(nil, src, dst, o.NextHeader, o.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if !ipv4HeaderChecksumOK(rebuilt[:20]) || !bytes.Equal(rebuilt[20:], tc.original[20:]) ||
					!bytes.Equal(rebuilt[:4], tc.original[:4]) || !bytes.Equal(rebuilt[9:10], tc.original[9:10]) {
					t.Errorf("rebuilt %x\nfrom    %x", rebuilt, tc.original)
				}
			}
		})
	}
}
