package esp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// benchSuite is one transform set of BenchmarkESP with its bare cipher:
// what ESP costs is the ratio of seal (or open) to raw-seal (raw-open)
// at the same size in the same run.
type benchSuite struct {
	name string
	cfg  Config
	raw  func(b *testing.B) rawCipher
}

// rawCipher seals and opens size octets with the bare transform: an
// AEAD's Seal/Open with an 8-octet associated data, or AES-CBC then
// HMAC-SHA2-256-128 (verify, then decrypt), no ESP framing, no padding
// beyond the block, no counters, fixed nonce and IV.
type rawCipher struct {
	seal func(dst, pt []byte) []byte
	open func(dst, ct []byte) ([]byte, error) // ct is overwritten
}

func rawAEAD(a cipher.AEAD) rawCipher {
	nonce, aad := make([]byte, a.NonceSize()), make([]byte, 8)
	return rawCipher{
		seal: func(dst, pt []byte) []byte { return a.Seal(dst, nonce, pt, aad) },
		open: func(_, ct []byte) ([]byte, error) { return a.Open(ct[:0], nonce, ct, aad) },
	}
}

func rawCBCHMAC(b *testing.B) rawCipher {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	h := hmac.New(sha256.New, make([]byte, 32))
	iv := make([]byte, aes.BlockSize)
	var sum [sha256.Size]byte
	mac := func(h hash.Hash, b []byte) []byte {
		h.Reset()
		h.Write(b)
		return h.Sum(sum[:0])[:16]
	}
	return rawCipher{
		seal: func(dst, pt []byte) []byte {
			dst = append(dst[:0], pt...)
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(dst, dst)
			return append(dst, mac(h, dst)...)
		},
		open: func(_, ct []byte) ([]byte, error) {
			n := len(ct) - 16
			if !hmac.Equal(mac(h, ct[:n]), ct[n:]) {
				return nil, fmt.Errorf("raw: bad MAC")
			}
			cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct[:n], ct[:n])
			return ct[:n], nil
		},
	}
}

var benchSuites = []benchSuite{
	{"AES-GCM-16-128", Config{SPI: 0x1001, Encr: wire.ENCR_AES_GCM_16, EncrKey: make([]byte, 16+4)},
		func(b *testing.B) rawCipher {
			block, _ := aes.NewCipher(make([]byte, 16))
			a, err := cipher.NewGCM(block)
			if err != nil {
				b.Fatal(err)
			}
			return rawAEAD(a)
		}},
	{"ChaCha20-Poly1305", Config{SPI: 0x1002, Encr: wire.ENCR_CHACHA20_POLY1305, EncrKey: make([]byte, 32+4)},
		func(b *testing.B) rawCipher {
			a, err := chacha20poly1305.New(make([]byte, 32))
			if err != nil {
				b.Fatal(err)
			}
			return rawAEAD(a)
		}},
	{"AES-CBC-256+HMAC-SHA2-256", Config{SPI: 0x1003, Encr: wire.ENCR_AES_CBC, EncrKey: make([]byte, 32),
		Integ: wire.AUTH_HMAC_SHA2_256_128, IntegKey: make([]byte, 32)}, rawCBCHMAC},
}

// BenchmarkESP measures, for each suite and inner packet size (64, 512,
// 1400 octets, tunnel mode):
//
//   - seal: Outbound.SealPacket into a reused buffer (counter, framing,
//     padding, IV, encryption, ICV);
//   - open: Inbound.Open of a copy of a sealed packet (Open decrypts in
//     place; the copy is in the loop, as in raw-open): anti-replay check
//     and update with the mutex, ICV, decryption, padding and inner
//     header checks;
//   - raw-seal, raw-open: the bare transform on the same number of
//     octets (CBC: rounded up to the block).
//
// b.SetBytes is the inner packet's size in all four, so MB/s compare.
func BenchmarkESP(b *testing.B) {
	for _, s := range benchSuites {
		for _, size := range []int{64, 512, 1400} {
			inner := ipv4(17, "192.0.2.1", "198.51.100.2", bytes.Repeat([]byte{0x5a}, size-20))
			b.Run(fmt.Sprintf("%s/%d/seal", s.name, size), func(b *testing.B) {
				out, err := NewOutbound(s.cfg, OutboundOptions{})
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 0, size+out.Overhead(size))
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := out.SealPacket(buf[:0], inner); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/%d/open", s.name, size), func(b *testing.B) {
				// A batch of sealed packets, opened in turn; a fresh
				// Inbound (empty window) for each pass over the batch.
				out, err := NewOutbound(s.cfg, OutboundOptions{})
				if err != nil {
					b.Fatal(err)
				}
				const batch = 1024
				pkts := make([][]byte, batch)
				for i := range pkts {
					sealed, err := out.SealPacket(nil, inner)
					if err != nil {
						b.Fatal(err)
					}
					pkts[i] = sealed.Packet
				}
				work := make([]byte, len(pkts[0]))
				var in *Inbound
				i := 0
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if i%batch == 0 {
						if in, err = NewInbound(s.cfg, InboundOptions{}); err != nil {
							b.Fatal(err)
						}
					}
					copy(work, pkts[i%batch])
					if _, err := in.Open(work); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			raw := s.raw(b)
			n := size
			if s.cfg.Encr == wire.ENCR_AES_CBC {
				n = (size + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
			}
			pt := bytes.Repeat([]byte{0x5a}, n)
			b.Run(fmt.Sprintf("%s/%d/raw-seal", s.name, size), func(b *testing.B) {
				buf := make([]byte, 0, n+64)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					buf = raw.seal(buf[:0], pt)
				}
			})
			b.Run(fmt.Sprintf("%s/%d/raw-open", s.name, size), func(b *testing.B) {
				ct := raw.seal(nil, pt)
				work := make([]byte, len(ct))
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					copy(work, ct)
					if _, err := raw.open(nil, work); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
