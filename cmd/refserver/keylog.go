package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// Wireshark's key table file names (in its profile directory).
const (
	ikeTableFile = "ikev2_decryption_table"
	espTableFile = "esp_sa"
)

// keyLog keeps Wireshark's two key tables in a directory: a row per IKE SA
// (RFC 7296 section 2.14 keys) and a row per ESP SA, both directions of
// every Child SA (RFC 4303). Rows already in the files are kept; a row for
// the same SPIs (and addresses) replaces the older one. Every change
// rewrites the file whole (written to a temporary file, then renamed), mode
// 0600. The keys are never logged.
type keyLog struct {
	dir string
	ike keytable.IKETable
	esp keytable.ESPTable
}

func openKeyLog(dir string) (*keyLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("refserver: --keylog: %w", err)
	}
	k := &keyLog{dir: dir}
	if t, err := keytable.ReadIKEFile(k.ikePath()); err == nil {
		k.ike = *t
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("refserver: --keylog: %w", err)
	}
	if t, err := keytable.ReadESPFile(k.espPath()); err == nil {
		k.esp = *t
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("refserver: --keylog: %w", err)
	}
	// Create both files now, so that a Wireshark profile pointing at them
	// works from the start.
	if err := k.writeIKE(); err != nil {
		return nil, err
	}
	if err := k.writeESP(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *keyLog) ikePath() string { return filepath.Join(k.dir, ikeTableFile) }
func (k *keyLog) espPath() string { return filepath.Join(k.dir, espTableFile) }

// addIKE records an IKE SA's keys.
func (k *keyLog) addIKE(a ike.IKEKeys) error {
	row := keytable.IKESA{
		SPIi: a.SPIi, SPIr: a.SPIr,
		Encr: a.Encr.ID, EncrKeyBits: int(a.Encr.KeyBits),
		SKei: a.EncI, SKer: a.EncR,
		Integ: keytable.Integrity{ID: a.Integ},
		SKai:  a.IntI, SKar: a.IntR,
	}
	// A row Wireshark cannot express, or with keys of the wrong length,
	// would spoil the whole file: check that it reads back alone first.
	one := keytable.IKETable{Rows: []keytable.IKESA{row}}
	var b bytes.Buffer
	_, err := one.WriteTo(&b)
	if err == nil {
		_, err = keytable.ParseIKE(&b, ikeTableFile)
	}
	if err != nil {
		return fmt.Errorf("refserver: key log: IKE SA %016x_i %016x_r: %w", a.SPIi, a.SPIr, err)
	}
	rows := k.ike.Rows[:0:0]
	for _, r := range k.ike.Rows {
		if r.SPIi != row.SPIi || r.SPIr != row.SPIr {
			rows = append(rows, r)
		}
	}
	k.ike.Rows = append(rows, row)
	return k.writeIKE()
}

// addChild records both ESP SAs of a Child SA: inbound (peer to us, our
// SPI) and outbound (us to peer, the peer's SPI), between the IKE SA's
// addresses.
func (k *keyLog) addChild(a ike.ChildUp) error {
	what := fmt.Sprintf("CHILD_SA %s{%d}", a.Child.Name, a.Child.UniqueID)
	encr := a.Encr.ID
	var integ keytable.Integrity
	if a.Integ != wire.AUTH_NONE {
		integ.ID = a.Integ
	}
	local, remote := a.IKE.Local.Addr().Unmap(), a.IKE.Remote.Addr().Unmap()
	if !local.IsValid() || !remote.IsValid() || local.Is4() != remote.Is4() {
		return fmt.Errorf("refserver: key log: %s: IKE SA addresses %v and %v", what, a.IKE.Local, a.IKE.Remote)
	}
	host := func(x netip.Addr) netip.Prefix { return netip.PrefixFrom(x, x.BitLen()) }
	in := keytable.ESPSA{IPv6: local.Is6(), Src: host(remote), Dst: host(local), SPI: a.Child.SPIIn,
		Encr: encr, EncrKey: a.InEnc, Integ: integ, IntegKey: a.InInteg}
	out := keytable.ESPSA{IPv6: local.Is6(), Src: host(local), Dst: host(remote), SPI: a.Child.SPIOut,
		Encr: encr, EncrKey: a.OutEnc, Integ: integ, IntegKey: a.OutInteg}
	one := keytable.ESPTable{Rows: []keytable.ESPSA{in, out}}
	var b bytes.Buffer
	_, err := one.WriteTo(&b)
	if err == nil {
		_, err = keytable.ParseESP(&b, espTableFile)
	}
	if err != nil {
		return fmt.Errorf("refserver: key log: %s: %w", what, err)
	}
	rows := k.esp.Rows[:0:0]
	for _, r := range k.esp.Rows {
		if !sameESP(r, in) && !sameESP(r, out) {
			rows = append(rows, r)
		}
	}
	k.esp.Rows = append(rows, in, out)
	return k.writeESP()
}

func sameESP(a, b keytable.ESPSA) bool { return a.SPI == b.SPI && a.Src == b.Src && a.Dst == b.Dst }

func (k *keyLog) writeIKE() error { return writeTable(k.ikePath(), &k.ike) }
func (k *keyLog) writeESP() error { return writeTable(k.espPath(), &k.esp) }

// writeTable replaces path with the table, atomically, mode 0600.
func writeTable(path string, t io.WriterTo) error {
	var b bytes.Buffer
	if _, err := t.WriteTo(&b); err != nil {
		return fmt.Errorf("refserver: key log %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("refserver: key log: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("refserver: key log: %w", err)
	}
	return nil
}
