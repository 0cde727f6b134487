package interop

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// pair is one lab with charon on the left (192.0.2.1, left@lab.example)
// and the refserver on the right (192.0.2.2, right@lab.example), and a
// capture on the refserver's veth.
type pair struct {
	l    *lab
	ch   *charon
	rs   *refserver
	capt *capture
}

// pairOpts says how the two ends are configured; empty proposals take the
// shared ones.
type pairOpts struct {
	ike, esp          string // both ends, unless overridden below
	charonIKE, refIKE string
	charonDPD, refDPD string
	refPSK            string // the refserver's PSK, if not the shared one
	charon            CharonOptions
	refFlags          []string
	noCapture         bool
	// setup changes the two ends' connections and writes their files
	// into the lab before the daemons start (cert_test.go).
	setup func(l *lab, charon, refserver *Conn)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func newPair(t *testing.T, o pairOpts) *pair {
	t.Helper()
	requireInterop(t)
	built(t, "refserver") // a build failure fails here, before anything starts
	l := newLab(t)
	p := &pair{l: l}
	rc := l.right.conn(or(o.refIKE, o.ike), o.esp)
	rc.DPDDelay = o.refDPD
	rc.PSK = or(o.refPSK, rc.PSK)
	cc := l.left.conn(or(o.charonIKE, o.ike), o.esp)
	cc.DPDDelay = o.charonDPD
	if o.setup != nil {
		o.setup(l, &cc, &rc)
	}
	p.rs = startRefserver(l, l.right, rc, o.refFlags...)
	o.charon.LogKeys = true // a second opinion on the refserver's key tables
	p.ch = startCharon(l, l.left, cc, o.charon)
	if !o.noCapture {
		p.capt = l.startCapture(l.right, "wire")
	}
	return p
}

// direction is who initiates.
type direction struct {
	name         string
	refInitiates bool
}

var directions = []direction{{"refserver-initiates", true}, {"charon-initiates", false}}

// roles returns the initiator and the responder.
func (p *pair) roles(d direction) (peer, peer) {
	if d.refInitiates {
		return p.rs, p.ch
	}
	return p.ch, p.rs
}

// establish has the initiator initiate and waits until both ends list the
// IKE SA; it returns charon's and the refserver's view of it.
func (p *pair) establish(t *testing.T, d direction) (IKESA, IKESA) {
	t.Helper()
	init, _ := p.roles(d)
	if out, err := init.Initiate(); err != nil {
		t.Fatalf("%s initiate: %v\n%s\nrefserver stats:\n%s", init.Name(), err, out, p.rs.stats())
	}
	return waitEstablished(t, p.ch, p.rs)
}

// verifyEstablished is the verdict of an establishment: the two ends agree
// (CompareEnds) and charon's keys equal the refserver's key tables.
func (p *pair) verifyEstablished(t *testing.T, d direction, c, r IKESA, want Want) {
	t.Helper()
	t.Logf("charon:    %v", c)
	t.Logf("refserver: %v", r)
	if diff := CompareEnds(p.ch.Name(), c, p.rs.Name(), r, want); diff != nil {
		t.Errorf("the ends disagree:\n%s", joinLines(diff))
	}
	if c.Initiator == d.refInitiates {
		t.Errorf("charon says initiator=%v, but the %s", c.Initiator, d.name)
	}
	p.compareKeys(t, c)
}

// compareKeys checks the refserver's key tables (--keylog) against the keys
// charon logged for the same SAs.
func (p *pair) compareKeys(t *testing.T, c IKESA) {
	t.Helper()
	agree := true
	fail := func(format string, args ...any) {
		t.Helper()
		agree = false
		t.Errorf(format, args...)
	}
	cIKE, cESP, err := CharonKeys(p.ch.Log(), c)
	if err != nil {
		fail("keys from charon's log: %v", err)
		return
	}
	var rIKE *keytable.IKETable
	var rESP *keytable.ESPTable
	ok := waitFor(5*time.Second, 100*time.Millisecond, func() bool {
		rIKE, err = keytable.ReadIKEFile(filepath.Join(p.rs.keylog, "ikev2_decryption_table"))
		if err != nil {
			return false
		}
		rESP, err = keytable.ReadESPFile(filepath.Join(p.rs.keylog, "esp_sa"))
		if err != nil {
			return false
		}
		_, found := rIKE.Lookup(cIKE.Rows[0].SPIi, cIKE.Rows[0].SPIr)
		return found && len(rESP.Rows) >= len(cESP.Rows)
	})
	if !ok {
		fail("refserver key tables in %s lack the SAs (err %v): IKE rows %v, ESP rows %v", p.rs.keylog, err, rows(rIKE), espRows(rESP))
		return
	}
	want := cIKE.Rows[0]
	got, _ := rIKE.Lookup(want.SPIi, want.SPIr)
	for _, k := range []struct {
		n    string
		a, b []byte
	}{{"SK_ei", want.SKei, got.SKei}, {"SK_er", want.SKer, got.SKer}, {"SK_ai", want.SKai, got.SKai}, {"SK_ar", want.SKar, got.SKar}} {
		if !bytes.Equal(k.a, k.b) {
			fail("refserver key table: %s of %s differs from charon's (%d vs %d octets)", k.n, got, len(k.b), len(k.a))
		}
	}
	if got.Encr != want.Encr || got.EncrKeyBits != want.EncrKeyBits || got.Integ != want.Integ {
		fail("refserver key table row %s, charon's %s", got, &want)
	}
	for i := range cESP.Rows {
		w := &cESP.Rows[i]
		g, found := rESP.Lookup(w.Dst.Addr(), w.Dst.Addr(), w.SPI)
		if !found {
			// Look the SPI up whatever the addresses.
			for j := range rESP.Rows {
				if rESP.Rows[j].SPI == w.SPI {
					g, found = &rESP.Rows[j], true
				}
			}
		}
		if !found {
			fail("refserver esp_sa has no row for SPI 0x%08x (charon: %s)", w.SPI, w)
			continue
		}
		if g.Encr != w.Encr || !bytes.Equal(g.EncrKey, w.EncrKey) || g.Integ != w.Integ || !bytes.Equal(g.IntegKey, w.IntegKey) {
			fail("refserver esp_sa row %s differs from charon's keys for %s", g, w)
		}
	}
	if agree {
		t.Logf("keys agree: the refserver's key tables hold charon's IKE keys (%s) and both ESP SAs' keys", got)
	}
}

func rows(t *keytable.IKETable) []string {
	if t == nil {
		return nil
	}
	var s []string
	for i := range t.Rows {
		s = append(s, t.Rows[i].String())
	}
	return s
}

func espRows(t *keytable.ESPTable) []string {
	if t == nil {
		return nil
	}
	var s []string
	for i := range t.Rows {
		s = append(s, t.Rows[i].String())
	}
	return s
}

// checkWire stops the capture and runs the tool checks on it: tshark finds
// nothing malformed, tshark and ikedump decrypt IKE_AUTH with the
// refserver's key tables. The refserver's own --pcap gets the first two.
func (p *pair) checkWire(t *testing.T, aead bool) {
	t.Helper()
	pcap := p.capt.stop(t)
	checkTsharkClean(t, pcap)
	checkTsharkDecrypts(t, pcap, p.rs.keylog, aead)
	checkIkedump(t, pcap, p.rs.keylog)
	if out, code := ikedump(t, p.rs.pcap); code != 0 {
		t.Errorf("ikedump on the refserver's own --pcap %s: exit status %d:\n%s", p.rs.pcap, code, out)
	}
	if probs := tsharkProblems(t, p.rs.pcap); len(probs) > 0 {
		t.Errorf("tshark on the refserver's own --pcap %s:\n%s", p.rs.pcap, joinLines(probs))
	}
}

// logHas reports whether a log matches a regular expression; on failure
// it says which and where.
func logHas(t *testing.T, who peer, re string) bool {
	t.Helper()
	if regexp.MustCompile(re).MatchString(who.Log()) {
		return true
	}
	t.Errorf("%s log: no line matching %q", who.Name(), re)
	return false
}

// waitLog polls a peer's log (bounded) until it matches re.
func waitLog(t *testing.T, who peer, re string, timeout time.Duration) bool {
	t.Helper()
	rx := regexp.MustCompile(re)
	if waitFor(timeout, 200*time.Millisecond, func() bool { return rx.MatchString(who.Log()) }) {
		return true
	}
	t.Errorf("%s log: no line matching %q within %v", who.Name(), re, timeout)
	return false
}

// grepLines returns the lines of s matching re (for evidence in t.Log).
func grepLines(s, re string) string {
	rx := regexp.MustCompile(re)
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if rx.MatchString(l) {
			out = append(out, l)
		}
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("... (%d more)", len(out)-12))
	}
	return strings.Join(out, "\n")
}
