package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/capture"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// TestESPExtendedSequenceNumbers: a key table cannot say that an SA uses
// ESN (RFC 4303 section 2.2.1: the high-order 32 bits are in the ICV but
// not on the wire). ikedump opens such packets, infers the high-order bits
// across a wrap of the low-order ones (RFC 4303 Appendix A), marks them
// "ESN", and still reports a wrong key as an incorrect ICV.
func TestESPExtendedSequenceNumbers(t *testing.T) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	inSrc, inDst := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	key := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	rows := []keytable.ESPSA{
		{Src: netip.PrefixFrom(src, 32), Dst: netip.PrefixFrom(dst, 32), SPI: 0x1000, Encr: wire.ENCR_AES_GCM_16, EncrKey: key(20, 1),
			Integ: keytable.Integrity{ID: wire.AUTH_NONE}},
		{Src: netip.PrefixFrom(src, 32), Dst: netip.PrefixFrom(dst, 32), SPI: 0x2000, Encr: wire.ENCR_AES_CBC, EncrKey: key(32, 2),
			Integ: keytable.Integrity{ID: wire.AUTH_HMAC_SHA2_256_128}, IntegKey: key(32, 3)},
	}
	dir := t.TempDir()
	espFile := filepath.Join(dir, "esp_sa")
	var buf bytes.Buffer
	if _, err := (&keytable.ESPTable{Rows: rows}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(espFile, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	inner := func(n int) []byte {
		seg := make([]byte, 8+4)
		binary.BigEndian.PutUint16(seg[0:2], 40000)
		binary.BigEndian.PutUint16(seg[2:4], 7)
		binary.BigEndian.PutUint16(seg[4:6], uint16(len(seg)))
		binary.BigEndian.PutUint32(seg[8:], uint32(n))
		if err := esp.FixTransportChecksum(inSrc, inDst, 17, seg); err != nil {
			t.Fatal(err)
		}
		p, err := esp.AppendTransportPacket(nil, inSrc, inDst, 17, seg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	seal := func(row keytable.ESPSA, esn bool, seq uint64) []byte {
		t.Helper()
		c := espConfig(&row, esn)
		sa, err := esp.NewSA(c)
		if err != nil {
			t.Fatal(err)
		}
		pkt, err := sa.Seal(seq, 4, inner(int(seq)), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return pkt
	}
	wrong := rows[1]
	wrong.IntegKey = key(32, 4)
	tests := []struct {
		name string
		pkt  []byte
		want string // in the line
		esn  bool
		bad  bool
	}{
		{"GCM without ESN", seal(rows[0], false, 1), "(AES-GCM with 16 octet ICV, ICV correct) inner IPv4 198.51.100.1 -> 198.51.100.2 UDP", false, false},
		{"CBC with ESN", seal(rows[1], true, 1), "ICV correct, ESN)", true, false},
		{"CBC with ESN, seq 2", seal(rows[1], true, 2), "seq 2 ", true, false},
		{"CBC with ESN across the wrap", seal(rows[1], true, 1<<32|1), "seq 1 ", true, false},
		{"CBC with ESN after the wrap", seal(rows[1], true, 1<<32|3), "seq 3 ", true, false},
		{"CBC with ESN, wrong integrity key", seal(wrong, true, 1<<32|4), "ICV INCORRECT", false, true},
	}
	d, err := newDumper(false, "", espFile)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		dg := capture.Datagram{Frame: i + 1, Kind: capture.KindESP, Src: netip.AddrPortFrom(src, 0), Dst: netip.AddrPortFrom(dst, 0), Payload: tc.pkt}
		o := d.datagram("synthetic", dg)
		if o == nil || o.ESP == nil {
			t.Fatalf("%s: no ESP record: %+v", tc.name, o)
		}
		if !strings.Contains(o.Line, tc.want) || o.ESP.ESN != tc.esn || (o.Error != nil) != tc.bad {
			t.Errorf("%s: %s (ESN %v, error %+v); want %q, ESN %v", tc.name, o.Line, o.ESP.ESN, o.Error, tc.want, tc.esn)
		}
		if !tc.bad && !strings.Contains(o.Line, "inner IPv4 198.51.100.1 -> 198.51.100.2") {
			t.Errorf("%s: inner packet not shown: %s", tc.name, o.Line)
		}
	}
}
