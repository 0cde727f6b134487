package keytable

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

const captures = "../../testdata/captures"

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIKETables parses every IKEv2 table of the captures and checks the
// rows the tests and the dump tool rely on.
func TestIKETables(t *testing.T) {
	tests := []struct {
		file  string
		rows  int
		spii  uint64
		spir  uint64
		encr  wire.EncrID
		bits  int
		integ Integrity
		skei  string
		skai  string
	}{
		{"wireshark/ikev2_decryption_table", 9, 0x191ccd371a7a1f7b, 0xbc123d15e4af593f, wire.ENCR_AES_CBC, 256,
			Integrity{ID: wire.AUTH_HMAC_SHA2_256_128},
			"9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac",
			"12d532c3e83c757906af548dfe1ccf223ca5507af77898454e2d55c8ace57a17"},
		{"wireshark/ikev2_decryption_table", 9, 0xcd7ae76304b277e2, 0x74f6080ed799d463, wire.ENCR_AES_CCM_16, 256,
			Integrity{}, "daa0a85a81e6adda7b8c568f1c4cfaa6e9f9edb242e9895f012caaa642eacf4d004903", ""},
		{"wireshark/ikev2_decryption_table", 9, 0x19ab98963486359f, 0x78f13157ccd3b3d8, wire.ENCR_3DES, 0,
			Integrity{ID: wire.AUTH_HMAC_SHA1_160}, "2e0e194070fc658c2bfbfdbf8b956be4b2eaa33d02a43cca",
			"c96f5bad08aebbff60509c7495f11c183818b916"},
		{"wireshark/ikev2_decryption_table", 9, 0xa2926ae833c6f138, 0x5464c57d0dc5e272, wire.ENCR_AES_CTR, 128,
			Integrity{UncheckedICVLen: 12}, "5daf82e6fd7e57d5fbf76cd5af73fd46035db0bc", ""},
		{"wireshark/ikev2_decryption_table", 9, 0x1234567890123456, 0x0987654321098765, wire.ENCR_NULL, 0,
			Integrity{}, "", ""},
		{"wireshark/ikev2_decryption_table", 9, 0x5d48bfeeb7d574da, 0xbbb73016c0503640, wire.ENCR_AES_GCM_8, 256,
			Integrity{}, "91b817d036d97db3ace64475cd8d1cbeab186295020211a9cf0c16cec10b92b453ecd24e", ""},
		{"tcpdump/ikev2_decryption_table", 1, 0x0001020304050607, 0xc02e7a3031a03188, wire.ENCR_AES_CBC, 128,
			Integrity{ID: wire.AUTH_HMAC_SHA1_96}, "3f44bf47cafd8150591deb088199fcbf",
			"4ea8e662b07cdd430f6944c6723e4b82d5722418"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%016x", tc.file, tc.spii), func(t *testing.T) {
			tab, err := ReadIKEFile(filepath.Join(captures, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(tab.Rows), tc.rows)
			}
			r, ok := tab.Lookup(tc.spii, tc.spir)
			if !ok {
				t.Fatalf("no row for %016x %016x", tc.spii, tc.spir)
			}
			if r.Encr != tc.encr || r.EncrKeyBits != tc.bits || r.Integ != tc.integ {
				t.Errorf("row %s, want %v/%d %v", r, tc.encr, tc.bits, tc.integ)
			}
			if !bytes.Equal(r.SKei, unhex(t, tc.skei)) || !bytes.Equal(r.SKai, unhex(t, tc.skai)) {
				t.Errorf("keys SK_ei %x SK_ai %x, want %s %s", r.SKei, r.SKai, tc.skei, tc.skai)
			}
			if _, ok := tab.Lookup(tc.spir, tc.spii); ok {
				t.Errorf("lookup with the SPIs swapped found a row")
			}
		})
	}
}

func TestESPTables(t *testing.T) {
	anyAddr := netip.Prefix{}
	host := func(s string) netip.Prefix { return netip.PrefixFrom(netip.MustParseAddr(s), 32) }
	tests := []struct {
		file string
		rows int
		dst  string
		spi  uint32
		want ESPSA // Line and keys are checked separately
		key  string
	}{
		{"tcpdump/esp_sa", 3, "192.1.2.45", 0x12345678,
			ESPSA{Src: anyAddr, Dst: host("192.1.2.45"), SPI: 0x12345678, Encr: wire.ENCR_3DES, Integ: Integrity{UncheckedICVLen: 12}},
			"43434545464649494a4a4c4c4f4f51515252545457575840"},
		{"tcpdump/esp_sa", 3, "192.0.1.1", 0xabcdabcd,
			ESPSA{Src: anyAddr, Dst: host("192.0.1.1"), SPI: 0xabcdabcd, Encr: wire.ENCR_3DES, Integ: Integrity{UncheckedICVLen: 12}},
			"434545464649494a4a4c4c4f4f5151525254545757584043"},
		{"tcpdump/esp_sa", 3, "192.1.2.45", 0xd1234567,
			ESPSA{Src: anyAddr, Dst: host("192.1.2.45"), SPI: 0xd1234567, Encr: wire.ENCR_AES_CBC, Integ: Integrity{UncheckedICVLen: 12}},
			"aaaabbbbccccdddd4043434545464649494a4a4c4c4f4f515152525454575758"},
		{"tcpdump/esp_sa.02-sunrise-sunset-esp", 1, "192.1.2.45", 0x12345678,
			ESPSA{Src: anyAddr, Dst: host("192.1.2.45"), SPI: 0x12345678, Encr: wire.ENCR_3DES, Integ: Integrity{UncheckedICVLen: 12}},
			"4043434545464649494a4a4c4c4f4f515152525454575758"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file)+"/"+tc.dst, func(t *testing.T) {
			tab, err := ReadESPFile(filepath.Join(captures, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(tab.Rows), tc.rows)
			}
			r, ok := tab.Lookup(netip.MustParseAddr("192.1.2.23"), netip.MustParseAddr(tc.dst), tc.spi)
			if !ok {
				t.Fatalf("no row for SPI %#x to %s", tc.spi, tc.dst)
			}
			got := *r
			got.Line, got.EncrKey, got.IntegKey = 0, nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("row %s, want %s", &got, &tc.want)
			}
			if !bytes.Equal(r.EncrKey, unhex(t, tc.key)) {
				t.Errorf("key %x, want %s", r.EncrKey, tc.key)
			}
			if len(r.IntegKey) != 0 {
				t.Errorf("authentication key %x, want none", r.IntegKey)
			}
			if _, ok := tab.Lookup(netip.MustParseAddr("192.1.2.23"), netip.MustParseAddr("203.0.113.1"), tc.spi); ok {
				t.Errorf("a row matched another destination")
			}
		})
	}
}

// tableFiles lists every key table under testdata/captures: the files
// named ikev2_decryption_table* and esp_sa*.
func tableFiles(t *testing.T) (ike, esp []string) {
	t.Helper()
	err := filepath.WalkDir(captures, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch name := d.Name(); {
		case d.IsDir():
		case strings.HasPrefix(name, "ikev2_decryption_table"):
			ike = append(ike, path)
		case strings.HasPrefix(name, "esp_sa"):
			esp = append(esp, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ike) < 2 || len(esp) < 2 {
		t.Fatalf("found %d IKEv2 and %d ESP tables under %s", len(ike), len(esp), captures)
	}
	return ike, esp
}

// TestRoundTrip parses every table of the captures, writes it and reads it
// back.
func TestRoundTrip(t *testing.T) {
	ikeFiles, espFiles := tableFiles(t)
	for _, f := range ikeFiles {
		tab, err := ReadIKEFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := tab.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ParseIKE(bytes.NewReader(buf.Bytes()), "written")
		if err != nil {
			t.Fatalf("%s: reading back: %v\n%s", f, err, buf.String())
		}
		clearLines(tab.Rows, back.Rows)
		if !reflect.DeepEqual(tab, back) {
			t.Errorf("%s: round trip changed the table:\n%s", f, buf.String())
		}
	}
	for _, f := range espFiles {
		tab, err := ReadESPFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := tab.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ParseESP(bytes.NewReader(buf.Bytes()), "written")
		if err != nil {
			t.Fatalf("%s: reading back: %v\n%s", f, err, buf.String())
		}
		for i := range tab.Rows {
			tab.Rows[i].Line, back.Rows[i].Line = 0, 0
		}
		if !reflect.DeepEqual(tab, back) {
			t.Errorf("%s: round trip changed the table:\n%s", f, buf.String())
		}
	}
}

func clearLines(a, b []IKESA) {
	for i := range a {
		a[i].Line = 0
	}
	for i := range b {
		b[i].Line = 0
	}
}

// TestWriteNames pins the exact strings the writer emits: the names tshark
// 4.0 accepts (../shared/interop/README.md).
func TestWriteNames(t *testing.T) {
	ike := &IKETable{Rows: []IKESA{
		{SPIi: 0x0102030405060708, SPIr: 0x1112131415161718, Encr: wire.ENCR_AES_GCM_16, EncrKeyBits: 128,
			SKei: bytes.Repeat([]byte{0xaa}, 20), SKer: bytes.Repeat([]byte{0xbb}, 20)},
		{SPIi: 1, SPIr: 2, Encr: wire.ENCR_AES_CBC, EncrKeyBits: 256, SKei: make([]byte, 32), SKer: make([]byte, 32),
			Integ: Integrity{ID: wire.AUTH_HMAC_SHA2_256_128}, SKai: []byte{1, 2}, SKar: []byte{3, 4}},
	}}
	var buf bytes.Buffer
	if _, err := ike.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "# This file is automatically generated, DO NOT MODIFY.\n" +
		"0102030405060708,1112131415161718,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n" +
		"0000000000000001,0000000000000002,0000000000000000000000000000000000000000000000000000000000000000,0000000000000000000000000000000000000000000000000000000000000000,\"AES-CBC-256 [RFC3602]\",0102,0304,\"HMAC_SHA2_256_128 [RFC4868]\"\n"
	if buf.String() != want {
		t.Errorf("IKE table:\n%s\nwant:\n%s", buf.String(), want)
	}

	esp := &ESPTable{Rows: []ESPSA{
		{Src: netip.MustParsePrefix("192.0.2.1/32"), Dst: netip.MustParsePrefix("192.0.2.2/32"), SPI: 0xc1234567,
			Encr: wire.ENCR_AES_GCM_16, EncrKey: bytes.Repeat([]byte{0x11}, 20)},
		{IPv6: true, Dst: netip.MustParsePrefix("2001:db8::1/128"), SPI: 1,
			Encr: wire.ENCR_AES_CBC, EncrKey: make([]byte, 16), Integ: Integrity{ID: wire.AUTH_HMAC_SHA2_256_128}, IntegKey: []byte{0xab}},
		{Src: netip.MustParsePrefix("198.51.100.0/24"), SPI: 2, Encr: wire.ENCR_3DES, EncrKey: make([]byte, 24),
			Integ: Integrity{UncheckedICVLen: 12}},
	}}
	buf.Reset()
	if _, err := esp.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want = "# This file is automatically generated, DO NOT MODIFY.\n" +
		`"IPv4","192.0.2.1","192.0.2.2","0xc1234567","AES-GCM with 16 octet ICV [RFC4106]","0x1111111111111111111111111111111111111111","NULL",""` + "\n" +
		`"IPv6","*","2001:db8::1","0x00000001","AES-CBC [RFC3602]","0x00000000000000000000000000000000","HMAC-SHA-256-128 [RFC4868]","0xab"` + "\n" +
		`"IPv4","198.51.100.*","*","0x00000002","TripleDES-CBC [RFC2451]","0x000000000000000000000000000000000000000000000000","ANY 96 bit authentication [no checking]",""` + "\n"
	if buf.String() != want {
		t.Errorf("ESP table:\n%s\nwant:\n%s", buf.String(), want)
	}
	back, err := ParseESP(&buf, "written")
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := back.Lookup(netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.9"), 2); !ok || r.Line != 4 {
		t.Errorf("wildcard row: found %v (%v)", ok, r)
	}
}

// TestEveryName round-trips every name of the four columns.
func TestEveryName(t *testing.T) {
	for _, n := range ikeEncrNames {
		got, err := IKEEncrName(n.id, n.keyBits)
		if err != nil || got != n.name {
			t.Errorf("IKEEncrName(%v, %d) = %q, %v; want %q", n.id, n.keyBits, got, err, n.name)
		}
	}
	for _, n := range ikeIntegNames {
		if got, err := IKEIntegName(n.integ); err != nil || got != n.name {
			t.Errorf("IKEIntegName(%v) = %q, %v; want %q", n.integ, got, err, n.name)
		}
	}
	for _, n := range espEncrNames {
		if got, err := ESPEncrName(n.id); err != nil || (n.write && got != n.name) {
			t.Errorf("ESPEncrName(%v) = %q, %v; want %q", n.id, got, err, n.name)
		}
	}
	for _, n := range espAuthNames {
		if got, err := ESPAuthName(n.integ); err != nil || got != n.name {
			t.Errorf("ESPAuthName(%v) = %q, %v; want %q", n.integ, got, err, n.name)
		}
	}
	if _, err := IKEEncrName(wire.ENCR_CHACHA20_POLY1305, 0); err == nil {
		t.Errorf("IKEEncrName(ChaCha20-Poly1305): no error; Wireshark's IKEv2 table cannot name it")
	}
}

// TestErrors checks that a bad table names the line and the column.
func TestErrors(t *testing.T) {
	const cbc = `191ccd371a7a1f7b,bc123d15e4af593f,9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac,6718c6b2bbef2f234eac4c13832f885d87b574afd2af0111161e99b5dc61b4d4,`
	tests := []struct {
		name, esp, ike string
		want           string
	}{
		{name: "unknown IKE encryption", ike: "# c\n\n" + cbc + `"AES-CBC-512 [RFC3602]",,,"HMAC_SHA2_256_128 [RFC4868]"`,
			want: `line 3, column 5 (encryption algorithm): unknown encryption algorithm "AES-CBC-512 [RFC3602]"`},
		{name: "unknown IKE integrity", ike: cbc + `"AES-CBC-256 [RFC3602]",,,"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]"`,
			want: `line 1, column 8 (integrity algorithm): unknown integrity algorithm`},
		{name: "short SK_ei", ike: `191ccd371a7a1f7b,bc123d15e4af593f,9096,9096,"AES-CBC-256 [RFC3602]",,,"NONE [RFC4306]"`,
			want: `line 1, column 3 (SK_ei): SK_ei key of 2 octets, want 32`},
		{name: "AEAD with integrity", ike: `191ccd371a7a1f7b,bc123d15e4af593f,0000000000000000000000000000000000000000,0000000000000000000000000000000000000000,"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"HMAC_SHA1_96 [RFC2404]"`,
			want: `line 1, column 8 (integrity algorithm)`},
		{name: "bad SPI", ike: `191ccd371a7a1f,bc123d15e4af593f,,,"NULL [RFC2410]",,,"NONE [RFC4306]"`,
			want: `line 1, column 1 (SPIi): SPI of 7 octets, want 8`},
		{name: "not hex", ike: `191ccd371a7a1f7b,bc123d15e4af593g,,,"NULL [RFC2410]",,,"NONE [RFC4306]"`,
			want: `line 1, column 2 (SPIr): not hexadecimal`},
		{name: "IKE fields", ike: `191ccd371a7a1f7b,bc123d15e4af593f`, want: `line 1: 2 fields, want 8`},
		{name: "unterminated", ike: `191ccd371a7a1f7b,bc123d15e4af593f,,,"NULL [RFC2410]`, want: `line 1, column 5: unterminated quoted string`},
		{name: "unknown ESP encryption", esp: "\"IPv4\",\"*\",\"192.1.2.45\",\"0x12345678\",\"3DES\",\"0x00\",\"NULL\",\"\"",
			want: `line 1, column 5 (encryption algorithm): unknown encryption algorithm "3DES"`},
		{name: "unknown ESP authentication", esp: "\"IPv4\",\"*\",\"192.1.2.45\",\"0x12345678\",\"NULL\",\"\",\"HMAC-SHA-1\",\"\"",
			want: `line 1, column 7 (authentication algorithm): unknown authentication algorithm "HMAC-SHA-1"`},
		{name: "ESP key length", esp: "\"IPv4\",\"*\",\"192.1.2.45\",\"0x12345678\",\"TripleDES-CBC [RFC2451]\",\"0x0011\",\"NULL\",\"\"",
			want: `line 1, column 6 (encryption key): "TripleDES-CBC [RFC2451]": key of 2 octets, want 24`},
		{name: "ESP protocol", esp: "\"IPv5\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"", want: `line 1, column 1 (protocol)`},
		{name: "ESP SPI", esp: "\"IPv4\",\"*\",\"*\",\"12345678\",\"NULL\",\"\",\"NULL\",\"\"", want: `line 1, column 4 (SPI)`},
		{name: "ESP address", esp: "\"IPv4\",\"*\",\"2001:db8::1\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"", want: `line 1, column 3 (destination)`},
		{name: "ESP pattern", esp: "\"IPv4\",\"10.*.0.1\",\"*\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"", want: `line 1, column 2 (source)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.ike != "" {
				_, err = ParseIKE(strings.NewReader(tc.ike), "table")
			} else {
				_, err = ParseESP(strings.NewReader(tc.esp), "table")
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "keytable: table ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestNoKeysInString checks that the String methods leave the keys out.
func TestNoKeysInString(t *testing.T) {
	tab, err := ReadIKEFile(filepath.Join(captures, "wireshark/ikev2_decryption_table"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tab.Rows {
		s := r.String()
		for _, k := range [][]byte{r.SKei, r.SKer, r.SKai, r.SKar} {
			if len(k) > 0 && strings.Contains(s, hex.EncodeToString(k)) {
				t.Errorf("String() of line %d shows a key: %s", r.Line, s)
			}
		}
	}
}

// TestAgreesWithCrypto: the salt and key lengths that this package knows
// from the RFCs (to check a table without keying anything) agree with
// impl/crypto's registry for every transform both know.
func TestAgreesWithCrypto(t *testing.T) {
	for _, e := range crypto.EncrTransforms() {
		if saltLen(e.ID) != e.SaltLen {
			t.Errorf("%v: salt %d octets here, %d in impl/crypto", e.ID, saltLen(e.ID), e.SaltLen)
		}
		if IsAEAD(e.ID) != e.IsAEAD() {
			t.Errorf("%v: AEAD %v here, %v in impl/crypto", e.ID, IsAEAD(e.ID), e.IsAEAD())
		}
		if len(e.KeyBits) == 0 {
			if fixedKeyLen(e.ID) != e.FixedKeyLen {
				t.Errorf("%v: fixed key of %d octets here, %d in impl/crypto", e.ID, fixedKeyLen(e.ID), e.FixedKeyLen)
			}
			continue
		}
		for _, bits := range e.KeyBits {
			want, err := e.KeyLen(bits)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkESPKey(e.ID, want); err != nil {
				t.Errorf("%v/%d: a %d-octet esp_sa key is refused: %v", e.ID, bits, want, err)
			}
			if name, err := IKEEncrName(e.ID, bits); err == nil {
				tab, err := ParseIKE(strings.NewReader(fmt.Sprintf(`0000000000000001,0000000000000002,%s,%s,%s,,,"NONE [RFC4306]"`,
					strings.Repeat("00", want), strings.Repeat("00", want), quote(name))), "t")
				if IsAEAD(e.ID) && err != nil {
					t.Errorf("%v/%d: %v", e.ID, bits, err)
				} else if err == nil && len(tab.Rows[0].SKei) != want {
					t.Errorf("%v/%d: SK_ei of %d octets, impl/crypto takes %d", e.ID, bits, len(tab.Rows[0].SKei), want)
				}
			}
		}
	}
}
