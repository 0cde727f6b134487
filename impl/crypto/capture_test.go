package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/capture"
)

// Real IKE_AUTH messages from other stacks, with the keys of their key
// tables (Wireshark's ikev2_decryption_table format; for AEAD, SK_e*
// includes the salt). The messages are the UDP payloads of the frames
// named, copied as hex from the capture files that the repository keeps
// under testdata/captures/ (and ../shared/captures/); see
// testdata/captures/SOURCES.md for where those come from.

// wireshark/ikev2-decrypt-aes256cbc.pcapng frame 3 (256 octets)
const capCBCFrame3 = `
191ccd371a7a1f7bbc123d15e4af593f2e2023080000000100000100230000e4
d47a70e2deb655917bd122a6b665bd1d72bf8d75491060346af931fe67000b78
7d5b458231984ea659bf6c422f32e3ba6c317a41ea34910f9e9b53e80adb6555
b915a7d9962cc20fdca3f3a24d510787e46e28dbac676ce6726a86b8bc272972
a965866fe819b77179a27363e28b78ba25f3cafbc6302e0e1a38e3768604ce76
3482c2ebb3fcb87f0ce8889eba82af21bc924460d83ba1435cbd0e2a29ba144d
62c80fae9fc5fcc937e9754d8d208d42f0a75e38858f4aa18fa6b79e523d2308
fa239f0d879815d536a2117eb023c8c246a5a78c2edcf6775b4857abf46902ad
`

// wireshark/ikev2-decrypt-aes256cbc.pcapng frame 4 (224 octets)
const capCBCFrame4 = `
191ccd371a7a1f7bbc123d15e4af593f2e20232000000001000000e0240000c4
a66bf0f53df58fe327ba14a45cc6769c66fa59f99123cd9588eae853fd616cd8
30f4c8af0f300f8c841bb9316a82deaa238acefb964566a7b8d8778e899b1d29
2730e9f253d35a80580e935f28efaf5e285228a12da4940ee0f5e075bd7d9bea
796db358fa24407a294f7342cdd22dcd676bf2edeed26f1e6b6ae51d6225bf0c
81a67d51653aa07415058bfcd79bc69c047e40fcef158102cedce8c59d327535
2452df9e39b997dd4286ddb1f2cd8b61c42734ed55097cd7a7f8d42eaaae8cf9
`

// wireshark/ikev2-decrypt-aes256ccm16.pcapng frame 3 (237 octets)
const capCCMFrame3 = `
cd7ae76304b277e274f6080ed799d4632e20230800000001000000ed230000d1
c24a30be4614e36382713602e566e916488dda4d48a888229d2beda28707b3a1
6355c90979f7218d148e50c313418851efc32f606e237dd9195f45995806373e
eeddf3458ac0c6fc76d78e870b0c52b36ee04d860531e36bff059fc234a0c039
d09a13ffb4269b75415a3ab69a2a57124c1184ede98fb56fb91ffaeb3b3423c7
33fed1422c98298baa5656c4975092cd3c1288d1babf46c77d7dccbaf9c341d0
6576396cc83155cf78549a4e7527aa4822b044fdf3311aef605bfdb9a2d5fece
918dd56bb96ba4994afb77647f
`

// wireshark/ikev2-decrypt-aes256ccm16.pcapng frame 4 (213 octets)
const capCCMFrame4 = `
cd7ae76304b277e274f6080ed799d4632e20232000000001000000d5240000b9
ba5d84985148ac8a1b646a4d3b04e7edd90acc1be6d19cb6462077f91b130d6f
5bc5f75d48307b1851b8c9446e535d358360be09de7320f76bb128e9152a765e
597103b372e66de41baea847692c957e51aa22f939a34e233831d9af5aca8180
a2e827a76471fb77f37dc5ecf22baa1b590aa7a9f06250880b07ca11ec3c5488
e8933fe2ba4183bb9b68ed6143864efdfba122336840a479a23c3f401f489fa2
d7d15e4ea9325e283162fb48e28178d306af874d21
`

// tcpdump/ikev2pI2.pcap frame 2 (284 octets)
const capPI2Frame2 = `
0001020304050607c02e7a3031a031882e202308000000000000011c23800100
000102030405060708090a0b0c0d0e0f4bcf2da20444caca5fb591c1ab4b9b4d
4f22ac7cb49e6b08d2738884fb3efd8eebc607accc1f80f890e24df65e53d61e
899f1d319d89c033524d036fd4ea7e0345def93356e2865e5481a6a20a760408
3de04595e1071a2e98179eefb4e6ae4708e6875ae297b4dc5b2602d971e36f66
cef12303946eea897d86bbb5903115281a266f4dcb627e146972ff2f7102931d
f82f24a2e40df594afc11e0a85eb1c56b9eddb7e2de52fa95cf51f4b4c9b5d53
237ae39f64519413d201374a987fa8d1ce460fa2d67c417462203f2948c0b9ed
8b734a69a015ff63bde767f44f83c3cfe5119d72d74e695b1032b957
`

// Keys from wireshark/ikev2_decryption_table (rows 191ccd371a7a1f7b and
// cd7ae76304b277e2) and tcpdump/ikev2_decryption_table.
const (
	cbcSKei = "9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac"
	cbcSKer = "6718c6b2bbef2f234eac4c13832f885d87b574afd2af0111161e99b5dc61b4d4"
	cbcSKai = "12d532c3e83c757906af548dfe1ccf223ca5507af77898454e2d55c8ace57a17"
	cbcSKar = "30c4ead18c93024b58a86c1e3db60f550221801026853170b4cb0248d3a95329"
	ccmSKei = "daa0a85a81e6adda7b8c568f1c4cfaa6e9f9edb242e9895f012caaa642eacf4d004903"
	ccmSKer = "e02281ba4bb8ed20321faff956b95ce7f841b3039984dad4ed4625e77743fce4a04f32"
	pi2SKei = "3f44bf47cafd8150591deb088199fcbf"
	pi2SKai = "4ea8e662b07cdd430f6944c6723e4b82d5722418"
)

// innerChain walks a plaintext payload chain by hand (RFC 7296 section
// 3.2) and returns each payload's type and body.
func innerChain(t *testing.T, first wire.PayloadType, b []byte) (types []wire.PayloadType, bodies [][]byte) {
	t.Helper()
	for next := first; next != wire.PayloadNone; {
		if len(b) < 4 {
			t.Fatalf("chain: %d octets left for a %v payload", len(b), next)
		}
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if n < 4 || n > len(b) {
			t.Fatalf("chain: %v payload length %d with %d octets left", next, n, len(b))
		}
		types, bodies = append(types, next), append(bodies, b[4:n])
		next, b = wire.PayloadType(b[0]), b[n:]
	}
	if len(b) != 0 {
		t.Fatalf("chain: %d octets after the last payload", len(b))
	}
	return types, bodies
}

func TestCaptureOpen(t *testing.T) {
	for _, c := range []struct {
		name                 string
		msg                  string
		encr                 wire.EncrID
		keyBits              int
		integ                wire.IntegID
		encKey, integKey     string // this direction's
		otherEnc, otherInteg string // the other direction's
		wantTypes            []wire.PayloadType
		wantAuth             string // from captures/README.md; "" when not given
	}{
		{"aes256cbc frame 3 (SK_ei)", capCBCFrame3, wire.ENCR_AES_CBC, 256, wire.AUTH_HMAC_SHA2_256_128,
			cbcSKei, cbcSKai, cbcSKer, cbcSKar,
			[]wire.PayloadType{wire.PayloadIDi, wire.PayloadAUTH},
			"e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3"},
		{"aes256cbc frame 4 (SK_er)", capCBCFrame4, wire.ENCR_AES_CBC, 256, wire.AUTH_HMAC_SHA2_256_128,
			cbcSKer, cbcSKar, cbcSKei, cbcSKai,
			[]wire.PayloadType{wire.PayloadIDr, wire.PayloadAUTH}, ""},
		{"aes256ccm16 frame 3 (SK_ei)", capCCMFrame3, wire.ENCR_AES_CCM_16, 256, wire.AUTH_NONE,
			ccmSKei, "", ccmSKer, "",
			[]wire.PayloadType{wire.PayloadIDi, wire.PayloadAUTH},
			"fa2e74bdc01e30fb0b3ddc9723c9449095969da51f69e560209d2c2b7940210a"},
		{"aes256ccm16 frame 4 (SK_er)", capCCMFrame4, wire.ENCR_AES_CCM_16, 256, wire.AUTH_NONE,
			ccmSKer, "", ccmSKei, "",
			[]wire.PayloadType{wire.PayloadIDr, wire.PayloadAUTH}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := h(c.msg)
			suite, err := NewSuite(c.encr, c.keyBits, wire.PRF_HMAC_SHA2_256, c.integ, wire.ECP_256)
			if err != nil {
				t.Fatal(err)
			}
			off, err := wire.FindEncrypted(msg)
			if err != nil {
				t.Fatal(err)
			}
			sk, err := NewSK(suite, h(c.encKey), h(c.integKey))
			if err != nil {
				t.Fatal(err)
			}
			pt, err := sk.Open(msg, off)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			types, bodies := innerChain(t, wire.PayloadType(msg[off]), pt)
			for _, w := range c.wantTypes {
				if !slices.Contains(types, w) {
					t.Errorf("inner payloads %v lack %v", types, w)
				}
			}
			for i, typ := range types {
				// RFC 7296 section 3.8: Auth Method, 3 octets RESERVED, data.
				if typ == wire.PayloadAUTH && c.wantAuth != "" && !bytes.Equal(bodies[i][4:], h(c.wantAuth)) {
					t.Errorf("AUTH data %x, want %s", bodies[i][4:], c.wantAuth)
				}
			}
			// The same plaintext through impl/wire's decoder.
			ps, err := wire.DecodePayloads(wire.PayloadType(msg[off]), pt)
			if err != nil {
				t.Fatalf("wire.DecodePayloads: %v", err)
			}
			if a, ok := wire.Find[*wire.Auth](ps); !ok {
				t.Error("wire.DecodePayloads found no AUTH")
			} else if c.wantAuth != "" && !bytes.Equal(a.Data, h(c.wantAuth)) {
				t.Errorf("wire: AUTH data %x", a.Data)
			}

			// The other direction's keys, and a key with one bit changed,
			// must fail the integrity check.
			wrong := []struct{ enc, integ []byte }{{h(c.otherEnc), h(c.otherInteg)}}
			if suite.Encr.IsAEAD() {
				k := h(c.encKey)
				k[0] ^= 0x80
				wrong = append(wrong, struct{ enc, integ []byte }{k, nil})
				k = h(c.encKey)
				k[len(k)-1] ^= 0x01 // the salt
				wrong = append(wrong, struct{ enc, integ []byte }{k, nil})
			} else {
				k := h(c.integKey)
				k[5] ^= 0x01
				wrong = append(wrong, struct{ enc, integ []byte }{h(c.encKey), k})
			}
			for _, w := range wrong {
				bad, err := NewSK(suite, w.enc, w.integ)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := bad.Open(msg, off); !errors.Is(err, ErrIntegrity) {
					t.Errorf("wrong key: %v, want ErrIntegrity", err)
				}
			}
		})
	}
}

// tcpdump's ikev2pI2.pcap frame 2: AES-CBC-128 with HMAC-SHA1-96 whose ICV
// is wrong (captures/README.md; Wireshark agrees). Open must say so, and
// DecryptUnverified must still show IDi FQDN "west" (and the AUTH payload
// with method RSA and zero data).
func TestCaptureWrongICV(t *testing.T) {
	msg := h(capPI2Frame2)
	suite, err := NewSuite(wire.ENCR_AES_CBC, 128, wire.PRF_HMAC_SHA1, wire.AUTH_HMAC_SHA1_96, wire.KE_NONE)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := NewSK(suite, h(pi2SKei), h(pi2SKai))
	if err != nil {
		t.Fatal(err)
	}
	off, err := wire.FindEncrypted(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.Open(msg, off); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Open: %v, want ErrIntegrity", err)
	}
	pt, err := sk.DecryptUnverified(msg, off)
	if err != nil {
		t.Fatal(err)
	}
	types, bodies := innerChain(t, wire.PayloadType(msg[off]), pt)
	if len(types) < 2 || types[0] != wire.PayloadIDi || types[1] != wire.PayloadAUTH {
		t.Fatalf("inner payloads %v, want IDi, AUTH", types)
	}
	// RFC 7296 section 3.5: ID Type, 3 octets RESERVED, data.
	if id := bodies[0]; id[0] != byte(wire.ID_FQDN) || string(id[4:]) != "west" {
		t.Errorf("IDi %x, want FQDN west", id)
	}
	if auth := bodies[1]; auth[0] != 1 || len(bytes.Trim(auth[4:], "\x00")) != 0 {
		t.Errorf("AUTH method %d, data %x: want RSA and zeros", auth[0], auth[4:])
	}
}

// The hex above must be the frames of the capture files the repository
// keeps; checked when they are present (a trimmed checkout may lack them).
func TestCaptureHexMatchesFiles(t *testing.T) {
	for _, c := range []struct {
		file  string
		frame int
		hex   string
	}{
		{"wireshark/ikev2-decrypt-aes256cbc.pcapng", 3, capCBCFrame3},
		{"wireshark/ikev2-decrypt-aes256cbc.pcapng", 4, capCBCFrame4},
		{"wireshark/ikev2-decrypt-aes256ccm16.pcapng", 3, capCCMFrame3},
		{"wireshark/ikev2-decrypt-aes256ccm16.pcapng", 4, capCCMFrame4},
		{"tcpdump/ikev2pI2.pcap", 2, capPI2Frame2},
	} {
		path := filepath.Join("..", "..", "testdata", "captures", filepath.FromSlash(c.file))
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not present: %v", path, err)
		}
		ds, err := capture.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range ds {
			if d.Frame == c.frame {
				found = true
				if d.Kind != capture.KindIKE || !bytes.Equal(d.Payload, h(c.hex)) {
					t.Errorf("%s frame %d (%v) differs from the table", c.file, c.frame, d.Kind)
				}
			}
		}
		if !found {
			t.Errorf("%s has no frame %d", c.file, c.frame)
		}
	}
}
