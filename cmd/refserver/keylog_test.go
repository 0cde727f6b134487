package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

func key(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func ikeKeysCBC(spii, spir uint64) ike.IKEKeys {
	return ike.IKEKeys{
		SPIi: spii, SPIr: spir,
		Encr:  ike.EncrAlg{ID: wire.ENCR_AES_CBC, KeyBits: 256},
		Integ: wire.AUTH_HMAC_SHA2_256_128,
		EncI:  key(32, 1), EncR: key(32, 2), IntI: key(32, 3), IntR: key(32, 4),
	}
}

func childUp(local, remote string, encr ike.EncrAlg, integ wire.IntegID, encLen, integLen int) ike.ChildUp {
	return ike.ChildUp{
		IKE: ike.SAInfo{Name: "c", UniqueID: 1,
			Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote)},
		Child: ike.ChildInfo{Name: "net", UniqueID: 2, SPIIn: 0xc1000001, SPIOut: 0xc2000002,
			Protocol: "ESP"},
		Encr: encr, Integ: integ,
		InEnc: key(encLen, 5), InInteg: key(integLen, 6), OutEnc: key(encLen, 7), OutInteg: key(integLen, 8),
	}
}

func TestKeyLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := openKeyLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.addIKE(ikeKeysCBC(0x1111, 0x2222)); err != nil {
		t.Fatal(err)
	}
	gcm := ike.IKEKeys{SPIi: 0x3333, SPIr: 0x4444, Encr: ike.EncrAlg{ID: wire.ENCR_AES_GCM_16, KeyBits: 128},
		EncI: key(20, 9), EncR: key(20, 10)}
	if err := k.addIKE(gcm); err != nil {
		t.Fatal(err)
	}
	// The same SPIs again (rekeyed keys never reuse SPIs, but a repeated
	// report must not add a second row).
	again := ikeKeysCBC(0x1111, 0x2222)
	again.EncI = key(32, 0x77)
	if err := k.addIKE(again); err != nil {
		t.Fatal(err)
	}
	if err := k.addChild(childUp("192.0.2.1:4500", "192.0.2.2:4500", ike.EncrAlg{ID: wire.ENCR_AES_CBC, KeyBits: 256}, wire.AUTH_HMAC_SHA2_256_128, 32, 32)); err != nil {
		t.Fatal(err)
	}
	if err := k.addChild(childUp("[2001:db8::1]:500", "[2001:db8::2]:500", ike.EncrAlg{ID: wire.ENCR_AES_GCM_16, KeyBits: 256}, wire.AUTH_NONE, 36, 0)); err != nil {
		t.Fatal(err)
	}

	it, err := keytable.ReadIKEFile(filepath.Join(dir, ikeTableFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Rows) != 2 {
		t.Fatalf("%d IKE rows, want 2", len(it.Rows))
	}
	r, ok := it.Lookup(0x1111, 0x2222)
	if !ok || r.Encr != wire.ENCR_AES_CBC || r.EncrKeyBits != 256 || !bytes.Equal(r.SKei, again.EncI) ||
		!bytes.Equal(r.SKar, key(32, 4)) || r.Integ.ID != wire.AUTH_HMAC_SHA2_256_128 {
		t.Errorf("IKE row %+v", r)
	}
	if r, ok := it.Lookup(0x3333, 0x4444); !ok || r.Encr != wire.ENCR_AES_GCM_16 || len(r.SKai) != 0 {
		t.Errorf("AEAD IKE row %+v", r)
	}

	et, err := keytable.ReadESPFile(filepath.Join(dir, espTableFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(et.Rows) != 4 {
		t.Fatalf("%d ESP rows, want 4", len(et.Rows))
	}
	a1, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	// Inbound: from the peer to us, with the SPI we chose.
	if r, ok := et.Lookup(a2, a1, 0xc1000001); !ok || !bytes.Equal(r.EncrKey, key(32, 5)) || !bytes.Equal(r.IntegKey, key(32, 6)) ||
		r.Encr != wire.ENCR_AES_CBC || r.Integ.ID != wire.AUTH_HMAC_SHA2_256_128 || r.IPv6 {
		t.Errorf("inbound ESP row %+v", r)
	}
	if r, ok := et.Lookup(a1, a2, 0xc2000002); !ok || !bytes.Equal(r.EncrKey, key(32, 7)) || !bytes.Equal(r.IntegKey, key(32, 8)) {
		t.Errorf("outbound ESP row %+v", r)
	}
	if _, ok := et.Lookup(a1, a2, 0xc1000001); ok {
		t.Error("the inbound SPI matches outbound traffic")
	}
	b1, b2 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	if r, ok := et.Lookup(b2, b1, 0xc1000001); !ok || !r.IPv6 || r.Encr != wire.ENCR_AES_GCM_16 || len(r.IntegKey) != 0 {
		t.Errorf("IPv6 AEAD ESP row %+v", r)
	}

	for _, f := range []string{ikeTableFile, espTableFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v", f, fi.Mode(), err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("files left in %s: %v", dir, ents)
	}

	// A restart keeps the rows and appends.
	k2, err := openKeyLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := k2.addIKE(ikeKeysCBC(0x5555, 0x6666)); err != nil {
		t.Fatal(err)
	}
	if it, err := keytable.ReadIKEFile(filepath.Join(dir, ikeTableFile)); err != nil || len(it.Rows) != 3 {
		t.Errorf("after a restart: %v rows, %v", len(it.Rows), err)
	}
}

func TestKeyLogRefusesBadRows(t *testing.T) {
	dir := t.TempDir()
	k, err := openKeyLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	short := ikeKeysCBC(1, 2)
	short.EncI = key(5, 1)
	chacha := ike.IKEKeys{SPIi: 3, SPIr: 4, Encr: ike.EncrAlg{ID: wire.ENCR_CHACHA20_POLY1305}, EncI: key(36, 1), EncR: key(36, 2)}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"short key", k.addIKE(short)},
		{"no Wireshark name", k.addIKE(chacha)},
		{"unknown child cipher", k.addChild(childUp("192.0.2.1:500", "192.0.2.2:500", ike.EncrAlg{ID: 999, KeyBits: 256}, wire.AUTH_HMAC_SHA2_256_128, 32, 32))},
		{"unknown child integrity", k.addChild(childUp("192.0.2.1:500", "192.0.2.2:500", ike.EncrAlg{ID: wire.ENCR_AES_CBC, KeyBits: 128}, 999, 16, 4))},
		{"mixed families", k.addChild(childUp("192.0.2.1:500", "[2001:db8::2]:500", ike.EncrAlg{ID: wire.ENCR_AES_CBC, KeyBits: 128}, wire.AUTH_HMAC_SHA1_96, 16, 20))},
	} {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), "refserver: key log") {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
	}
	// Nothing bad was written: the files read back.
	if it, err := keytable.ReadIKEFile(filepath.Join(dir, ikeTableFile)); err != nil || len(it.Rows) != 0 {
		t.Errorf("IKE table: %v rows, %v", len(it.Rows), err)
	}
	if et, err := keytable.ReadESPFile(filepath.Join(dir, espTableFile)); err != nil || len(et.Rows) != 0 {
		t.Errorf("ESP table: %v rows, %v", len(et.Rows), err)
	}
	// A table that does not parse stops the start.
	os.WriteFile(filepath.Join(dir, ikeTableFile), []byte("garbage,row\n"), 0o600)
	if _, err := openKeyLog(dir); err == nil || !strings.HasPrefix(err.Error(), "refserver: --keylog: ") {
		t.Errorf("open over a broken table: %v", err)
	}
}
