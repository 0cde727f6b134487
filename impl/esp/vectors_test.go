package esp

import (
	"bytes"
	"strings"
	"testing"

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
