// Package keytable reads and writes Wireshark's two key tables: the IKEv2
// decryption table (ikev2_decryption_table), whose rows hold an IKE SA's
// SPIs and its SK_ei, SK_er, SK_ai and SK_ar keys (RFC 7296 section 2.14),
// and the ESP SA table (esp_sa), whose rows hold the part of an ESP SA's
// SAD entry (RFC 4301 section 4.4.2.1) that decryption needs: addresses,
// SPI, algorithms and keys (RFC 4303 sections 2 and 3.2).
//
// Algorithm names are Wireshark's strings, matched exactly and mapped to
// IKEv2 transform IDs (wire.EncrID, wire.IntegID) plus a key length. The
// writer emits the names that tshark 4.0 accepts, so that a table written
// by the reference server opens our traffic in Wireshark. An unknown name,
// a malformed field or a key of the wrong length is an error naming the
// file, the line and the column.
//
// The tables hold secrets. Nothing in this package logs or prints them, and
// the String methods of the row types leave the keys out.
package keytable

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Integrity is the integrity algorithm of a row: an IKEv2 transform ID, or
// Wireshark's "ANY n bits of authentication [no checking]", which says that
// an ICV of UncheckedICVLen octets is present and is to be skipped (the
// tcpdump captures, whose integrity keys were never published). Exactly
// one of the two is set, except for AUTH_NONE (the zero value), which
// combined-mode (AEAD) rows carry.
type Integrity struct {
	ID              wire.IntegID
	UncheckedICVLen int
}

// Unchecked reports whether the ICV is to be skipped rather than verified.
func (in Integrity) Unchecked() bool { return in.UncheckedICVLen > 0 }

func (in Integrity) String() string {
	if in.Unchecked() {
		return fmt.Sprintf("ANY_%d (not checked)", in.UncheckedICVLen*8)
	}
	return in.ID.String()
}

// IKESA is one row of an IKEv2 decryption table.
type IKESA struct {
	SPIi, SPIr uint64
	Encr       wire.EncrID
	// EncrKeyBits is the Key Length attribute of the encryption transform:
	// 0 for the fixed-length ciphers (3DES, NULL).
	EncrKeyBits int
	// SKei and SKer are the encryption keys; for AEAD and AES-CTR they end
	// with the salt or nonce (4 octets for GCM and CTR, 3 for CCM; RFC 5282
	// section 7.1, RFC 5930 section 2).
	SKei, SKer []byte
	Integ      Integrity
	SKai, SKar []byte // empty for AEAD transforms
	// Line is the row's line number in the file it was read from (0 for a
	// row built in memory).
	Line int
}

// String names the row without its keys.
func (r *IKESA) String() string {
	enc := r.Encr.String()
	if r.EncrKeyBits != 0 {
		enc += fmt.Sprintf("/%d", r.EncrKeyBits)
	}
	return fmt.Sprintf("SPIi %016x SPIr %016x %s %s", r.SPIi, r.SPIr, enc, r.Integ)
}

// IKETable is a parsed ikev2_decryption_table.
type IKETable struct {
	Rows []IKESA
}

// Lookup finds the row of an IKE SA by its SPIs.
func (t *IKETable) Lookup(spii, spir uint64) (*IKESA, bool) {
	if t == nil {
		return nil, false
	}
	for i := range t.Rows {
		if t.Rows[i].SPIi == spii && t.Rows[i].SPIr == spir {
			return &t.Rows[i], true
		}
	}
	return nil, false
}

// IKE table columns (1-based, as error messages count them).
var ikeColumns = [...]string{"", "SPIi", "SPIr", "SK_ei", "SK_er", "encryption algorithm", "SK_ai", "SK_ar", "integrity algorithm"}

// ParseIKE reads an ikev2_decryption_table; name is used in error messages.
func ParseIKE(r io.Reader, name string) (*IKETable, error) {
	recs, err := readRecords(r, name)
	if err != nil {
		return nil, err
	}
	t := &IKETable{}
	for _, rec := range recs {
		row, col, err := parseIKERow(rec)
		if err != nil {
			if col > 0 {
				return nil, fmt.Errorf("keytable: %s line %d, column %d (%s): %w", name, rec.line, col, ikeColumns[col], err)
			}
			return nil, fmt.Errorf("keytable: %s line %d: %w", name, rec.line, err)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// ReadIKEFile reads an ikev2_decryption_table file.
func ReadIKEFile(path string) (*IKETable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keytable: %w", err)
	}
	defer f.Close()
	return ParseIKE(f, filepath.Base(path))
}

func parseIKERow(rec record) (IKESA, int, error) {
	row := IKESA{Line: rec.line}
	if len(rec.fields) != 8 {
		return row, 0, fmt.Errorf("%d fields, want 8 (%s)", len(rec.fields), strings.Join(ikeColumns[1:], ", "))
	}
	f := func(col int) field { return rec.fields[col-1] }
	spi := func(col int) (uint64, error) {
		b, err := hexField(f(col), false)
		if err != nil {
			return 0, err
		}
		if len(b) != 8 {
			return 0, fmt.Errorf("SPI of %d octets, want 8", len(b))
		}
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		return v, nil
	}
	var err error
	if row.SPIi, err = spi(1); err != nil {
		return row, 1, err
	}
	if row.SPIr, err = spi(2); err != nil {
		return row, 2, err
	}
	encName := f(5).text
	found := false
	for _, n := range ikeEncrNames {
		if n.name == encName {
			row.Encr, row.EncrKeyBits, found = n.id, n.keyBits, true
			break
		}
	}
	if !found {
		return row, 5, fmt.Errorf("unknown encryption algorithm %q", encName)
	}
	intName := f(8).text
	found = false
	for _, n := range ikeIntegNames {
		if n.name == intName {
			row.Integ, found = n.integ, true
			break
		}
	}
	if !found {
		return row, 8, fmt.Errorf("unknown integrity algorithm %q", intName)
	}
	wantE := row.EncrKeyBits/8 + saltLen(row.Encr)
	if row.Encr == wire.ENCR_3DES {
		wantE = 24
	}
	for _, c := range []struct {
		col int
		dst *[]byte
	}{{3, &row.SKei}, {4, &row.SKer}, {6, &row.SKai}, {7, &row.SKar}} {
		b, err := hexField(f(c.col), false)
		if err != nil {
			return row, c.col, err
		}
		if (c.col == 3 || c.col == 4) && len(b) != wantE {
			return row, c.col, fmt.Errorf("%s key of %d octets, want %d for %q", ikeColumns[c.col], len(b), wantE, encName)
		}
		*c.dst = b
	}
	if IsAEAD(row.Encr) && row.Integ != (Integrity{}) {
		return row, 8, fmt.Errorf("%q is a combined-mode cipher: the integrity algorithm must be %q", encName, "NONE [RFC4306]")
	}
	return row, 0, nil
}

// hexField decodes a hex field: bare hex for the IKEv2 table, "0x"-prefixed
// for esp_sa (prefixed). An empty field is no bytes.
func hexField(f field, prefixed bool) ([]byte, error) {
	s := f.text
	if prefixed {
		switch {
		case s == "":
			return nil, nil
		case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
			s = s[2:]
		default:
			// Wireshark takes a key without 0x as its ASCII octets.
			return []byte(s), nil
		}
	}
	if len(s)%2 == 1 {
		// Wireshark reads an odd number of digits as if led by a zero.
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hexadecimal: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// WriteTo writes the table in Wireshark's format, with the header line that
// Wireshark itself writes. It fails, writing nothing, when a row names an
// algorithm that Wireshark's IKEv2 table cannot express.
func (t *IKETable) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString("# This file is automatically generated, DO NOT MODIFY.\n")
	for i := range t.Rows {
		r := &t.Rows[i]
		enc, err := IKEEncrName(r.Encr, r.EncrKeyBits)
		if err != nil {
			return 0, fmt.Errorf("keytable: row %d (%s): %w", i+1, r, err)
		}
		integ, err := IKEIntegName(r.Integ)
		if err != nil {
			return 0, fmt.Errorf("keytable: row %d (%s): %w", i+1, r, err)
		}
		fmt.Fprintf(&buf, "%016x,%016x,%x,%x,%s,%x,%x,%s\n",
			r.SPIi, r.SPIr, r.SKei, r.SKer, quote(enc), r.SKai, r.SKar, quote(integ))
	}
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

// ESPSA is one row of an esp_sa table.
type ESPSA struct {
	IPv6 bool // the protocol column: "IPv6" rather than "IPv4"
	// Src and Dst select the packets the row applies to; the zero Prefix is
	// Wireshark's "*" (any address), and "192.0.2.*" is 192.0.2.0/24.
	Src, Dst netip.Prefix
	SPI      uint32
	Encr     wire.EncrID
	// EncrKey is the encryption keying material, salt or nonce included
	// (RFC 4106 section 8.1, RFC 3686 section 5.1); its length gives the
	// key size (EncrKeyBits).
	EncrKey  []byte
	Integ    Integrity
	IntegKey []byte
	Line     int
}

// EncrKeyBits is the size of the cipher key in bits, without salt or nonce.
func (r *ESPSA) EncrKeyBits() int { return (len(r.EncrKey) - saltLen(r.Encr)) * 8 }

// Matches reports whether the row applies to a packet from src to dst with
// the given SPI (Wireshark tries the rows in order and takes the first).
func (r *ESPSA) Matches(src, dst netip.Addr, spi uint32) bool {
	if r.SPI != spi || r.IPv6 != dst.Unmap().Is6() {
		return false
	}
	return matchAddr(r.Src, src) && matchAddr(r.Dst, dst)
}

func matchAddr(p netip.Prefix, a netip.Addr) bool { return !p.IsValid() || p.Contains(a.Unmap()) }

// String names the row without its keys.
func (r *ESPSA) String() string {
	return fmt.Sprintf("SPI 0x%08x %s -> %s %v/%d %s", r.SPI, addrPattern(r.Src, r.IPv6), addrPattern(r.Dst, r.IPv6), r.Encr, r.EncrKeyBits(), r.Integ)
}

// ESPTable is a parsed esp_sa table.
type ESPTable struct {
	Rows []ESPSA
}

// Lookup returns the first row that matches the packet.
func (t *ESPTable) Lookup(src, dst netip.Addr, spi uint32) (*ESPSA, bool) {
	if t == nil {
		return nil, false
	}
	for i := range t.Rows {
		if t.Rows[i].Matches(src, dst, spi) {
			return &t.Rows[i], true
		}
	}
	return nil, false
}

var espColumns = [...]string{"", "protocol", "source", "destination", "SPI", "encryption algorithm", "encryption key", "authentication algorithm", "authentication key"}

// ParseESP reads an esp_sa table; name is used in error messages.
func ParseESP(r io.Reader, name string) (*ESPTable, error) {
	recs, err := readRecords(r, name)
	if err != nil {
		return nil, err
	}
	t := &ESPTable{}
	for _, rec := range recs {
		row, col, err := parseESPRow(rec)
		if err != nil {
			if col > 0 {
				return nil, fmt.Errorf("keytable: %s line %d, column %d (%s): %w", name, rec.line, col, espColumns[col], err)
			}
			return nil, fmt.Errorf("keytable: %s line %d: %w", name, rec.line, err)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// ReadESPFile reads an esp_sa file.
func ReadESPFile(path string) (*ESPTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keytable: %w", err)
	}
	defer f.Close()
	return ParseESP(f, filepath.Base(path))
}

func parseESPRow(rec record) (ESPSA, int, error) {
	row := ESPSA{Line: rec.line}
	if len(rec.fields) != 8 {
		return row, 0, fmt.Errorf("%d fields, want 8 (%s)", len(rec.fields), strings.Join(espColumns[1:], ", "))
	}
	f := func(col int) field { return rec.fields[col-1] }
	switch f(1).text {
	case "IPv4":
	case "IPv6":
		row.IPv6 = true
	default:
		return row, 1, fmt.Errorf("unknown protocol %q, want \"IPv4\" or \"IPv6\"", f(1).text)
	}
	var err error
	if row.Src, err = parseAddrPattern(f(2).text, row.IPv6); err != nil {
		return row, 2, err
	}
	if row.Dst, err = parseAddrPattern(f(3).text, row.IPv6); err != nil {
		return row, 3, err
	}
	s := f(4).text
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return row, 4, fmt.Errorf("SPI %q: want 0x and hexadecimal digits", s)
	}
	v, err := strconv.ParseUint(s[2:], 16, 32)
	if err != nil {
		return row, 4, fmt.Errorf("SPI %q: want 0x and up to 8 hexadecimal digits", s)
	}
	row.SPI = uint32(v)
	encName, found := f(5).text, false
	for _, n := range espEncrNames {
		if n.name == encName {
			row.Encr, found = n.id, true
			break
		}
	}
	if !found {
		return row, 5, fmt.Errorf("unknown encryption algorithm %q", encName)
	}
	if row.EncrKey, err = hexField(f(6), true); err != nil {
		return row, 6, err
	}
	if err := checkESPKey(row.Encr, len(row.EncrKey)); err != nil {
		return row, 6, fmt.Errorf("%q: %w", encName, err)
	}
	authName := f(7).text
	found = false
	for _, n := range espAuthNames {
		if n.name == authName {
			row.Integ, found = n.integ, true
			break
		}
	}
	if !found {
		return row, 7, fmt.Errorf("unknown authentication algorithm %q", authName)
	}
	if row.IntegKey, err = hexField(f(8), true); err != nil {
		return row, 8, err
	}
	if IsAEAD(row.Encr) && row.Integ != (Integrity{}) {
		return row, 7, fmt.Errorf("%q is a combined-mode cipher: the authentication algorithm must be \"NULL\"", encName)
	}
	return row, 0, nil
}

// checkESPKey checks the length of an esp_sa encryption key.
func checkESPKey(id wire.EncrID, n int) error {
	if fixed := fixedKeyLen(id); fixed >= 0 {
		if want := fixed + saltLen(id); n != want {
			return fmt.Errorf("key of %d octets, want %d", n, want)
		}
		return nil
	}
	switch id {
	case wire.ENCR_AES_CBC, wire.ENCR_AES_CTR, wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12, wire.ENCR_AES_GCM_16:
		salt := saltLen(id)
		if k := n - salt; k != 16 && k != 24 && k != 32 {
			return fmt.Errorf("key of %d octets, want %d, %d or %d", n, 16+salt, 24+salt, 32+salt)
		}
	}
	return nil
}

// parseAddrPattern reads Wireshark's address column: "*", an address, or
// (IPv4) an address whose trailing octets are "*".
func parseAddrPattern(s string, v6 bool) (netip.Prefix, error) {
	if s == "*" || s == "" {
		return netip.Prefix{}, nil
	}
	if !v6 && strings.Contains(s, "*") {
		parts := strings.Split(s, ".")
		if len(parts) != 4 {
			return netip.Prefix{}, fmt.Errorf("address pattern %q: want four octets", s)
		}
		bits := 0
		for i, p := range parts {
			if p == "*" {
				parts[i] = "0"
				continue
			}
			if bits != i*8 {
				return netip.Prefix{}, fmt.Errorf("address pattern %q: only trailing octets may be *", s)
			}
			bits += 8
		}
		a, err := netip.ParseAddr(strings.Join(parts, "."))
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address pattern %q: %w", s, err)
		}
		return netip.PrefixFrom(a, bits), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
	}
	if a.Is6() != v6 {
		return netip.Prefix{}, fmt.Errorf("address %q does not match the protocol column", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// addrPattern renders an address column.
func addrPattern(p netip.Prefix, v6 bool) string {
	if !p.IsValid() {
		return "*"
	}
	a := p.Masked().Addr()
	if p.Bits() == a.BitLen() {
		return a.String()
	}
	if !v6 && p.Bits()%8 == 0 {
		parts := strings.Split(a.String(), ".")
		for i := p.Bits() / 8; i < 4; i++ {
			parts[i] = "*"
		}
		return strings.Join(parts, ".")
	}
	return p.String() // not expressible: the writer refuses it
}

// WriteTo writes the table in Wireshark's format. It fails, writing
// nothing, when a row cannot be expressed in it.
func (t *ESPTable) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString("# This file is automatically generated, DO NOT MODIFY.\n")
	for i := range t.Rows {
		r := &t.Rows[i]
		enc, err := ESPEncrName(r.Encr)
		if err != nil {
			return 0, fmt.Errorf("keytable: row %d (%s): %w", i+1, r, err)
		}
		auth, err := ESPAuthName(r.Integ)
		if err != nil {
			return 0, fmt.Errorf("keytable: row %d (%s): %w", i+1, r, err)
		}
		proto := "IPv4"
		if r.IPv6 {
			proto = "IPv6"
		}
		src, dst := addrPattern(r.Src, r.IPv6), addrPattern(r.Dst, r.IPv6)
		for _, a := range []string{src, dst} {
			if strings.Contains(a, "/") {
				return 0, fmt.Errorf("keytable: row %d: address %s cannot be written as a Wireshark pattern", i+1, a)
			}
		}
		fmt.Fprintf(&buf, "%s,%s,%s,%s,%s,%s,%s,%s\n", quote(proto), quote(src), quote(dst),
			quote(fmt.Sprintf("0x%08x", r.SPI)), quote(enc), quote(hexKey(r.EncrKey)), quote(auth), quote(hexKey(r.IntegKey)))
	}
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

func hexKey(k []byte) string {
	if len(k) == 0 {
		return ""
	}
	return "0x" + hex.EncodeToString(k)
}
