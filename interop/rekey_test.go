package interop

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// TestRekey: the refserver against charon with short lifetimes on one side
// at a time, so that the IKE SA and the Child SA are rekeyed (RFC 7296
// sections 1.3.2, 1.3.3, 2.8) several times by that side while a ping runs
// through the tunnel the whole time. Verdict: no ping lost, the rekeys
// happened (counted in both logs), and at the end both ends list exactly
// one IKE SA and one Child SA pair with the same SPIs and keys.
func TestRekey(t *testing.T) {
	requireInterop(t)
	type rekeyCase struct {
		name       string
		rekeyer    string // "charon" or "refserver": the side with the short lifetimes
		ike, esp   string
		want       Want
		run        time.Duration
		ikeTimes   bool // the IKE SA is rekeyed too
		childPFS   string
		minIKE     int
		minChild   int
		refInitial bool // the refserver initiates the first IKE SA
	}
	gcm := Want{Encr: "AES_GCM_16-128", PRF: "PRF_HMAC_SHA2_256", KE: "CURVE_25519", ChildEncr: "AES_GCM_16-128", NoInteg: true}
	cases := []rekeyCase{
		{name: "charon-rekeys", rekeyer: "charon", ike: "aes128gcm16-prfsha256-x25519", esp: "aes128gcm16",
			want: gcm, run: 75 * time.Second, ikeTimes: true, minIKE: 3, minChild: 3, refInitial: true},
		{name: "refserver-rekeys", rekeyer: "refserver", ike: "aes128gcm16-prfsha256-x25519", esp: "aes128gcm16",
			want: gcm, run: 75 * time.Second, ikeTimes: true, minIKE: 3, minChild: 3},
		// PFS: the Child SA rekeys run a key exchange in a group other
		// than the IKE SA's (ECP-256 against X25519).
		{name: "pfs-ecp256/charon-rekeys", rekeyer: "charon", ike: "aes128gcm16-prfsha256-x25519", esp: "aes128gcm16-ecp256",
			want: gcm, run: 40 * time.Second, childPFS: "ECP_256", minChild: 3},
		{name: "pfs-ecp256/refserver-rekeys", rekeyer: "refserver", ike: "aes128gcm16-prfsha256-x25519", esp: "aes128gcm16-ecp256",
			want: gcm, run: 40 * time.Second, childPFS: "ECP_256", minChild: 3, refInitial: true},
	}
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			short := func(c *Conn) {
				if rc.ikeTimes {
					c.IKERekeyTime, c.IKERandTime = "20s", "4s"
				}
				c.ChildRekeyTime, c.ChildLifeTime, c.ChildRandTime = "11s", "30s", "3s"
			}
			l := newLab(t)
			rconn := l.right.conn(rc.ike, rc.esp)
			cconn := l.left.conn(rc.ike, rc.esp)
			if rc.rekeyer == "refserver" {
				short(&rconn)
			} else {
				short(&cconn)
			}
			p := &pair{l: l}
			p.rs = startRefserver(l, l.right, rconn)
			p.ch = startCharon(l, l.left, cconn, CharonOptions{LogKeys: true})
			d := directions[1]
			if rc.refInitial {
				d = directions[0]
			}
			c0, r0 := p.establish(t, d)
			p.verifyEstablished(t, d, c0, r0, rc.want)

			// A ping through the tunnel for the whole run, from charon's
			// side, 5 per second.
			count := int(rc.run / (200 * time.Millisecond))
			pingLog := l.path("ping.log")
			pp := l.start("ping", pingLog, "ip", "netns", "exec", l.left.ns, "ping", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "2",
				"-I", l.left.inner, l.right.inner)
			l.showLog(pingLog)
			if !waitFor(rc.run+30*time.Second, time.Second, pp.exited) {
				t.Fatalf("ping did not end within %v", rc.run+30*time.Second)
			}
			out := readFile(pingLog)
			m := rePingReceived.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("ping output:\n%s", out)
			}
			sent, got := atoi(m[1]), atoi(m[2])
			if sent != count || got != sent {
				t.Errorf("ping through the tunnel during the rekeys: %d sent, %d received (want all %d)", sent, got, count)
			}
			t.Logf("ping: %d sent, %d received over %v", sent, got, rc.run)

			// The rekeys, as both ends logged them.
			rlog, clog := p.rs.Log(), p.ch.Log()
			var ikeR, childR int
			if rc.rekeyer == "refserver" {
				ikeR = count0(rlog, `IKE SA rekeyed: replaced by`)
				childR = count0(rlog, `rekeying Child SA`)
			} else {
				ikeR = count0(rlog, `IKE SA rekeyed by the peer`)
				childR = count0(rlog, `parsed CREATE_CHILD_SA request \d+ \[ N\(REKEY_SA\)`)
			}
			ikeC := count0(clog, `parsed CREATE_CHILD_SA (request|response) \d+ \[ SA No KE \]`)
			childC := count0(clog, `CHILD_SA net\{\d+\} established with SPIs`) - 1
			t.Logf("rekeys by the %s: IKE SA %d (charon's log: %d CREATE_CHILD_SA with an IKE proposal), Child SA %d (charon: %d more Child SAs established)",
				rc.rekeyer, ikeR, ikeC, childR, childC)
			if ikeR < rc.minIKE || childR < rc.minChild {
				t.Errorf("too few rekeys: IKE SA %d (want >= %d), Child SA %d (want >= %d)", ikeR, rc.minIKE, childR, rc.minChild)
			}
			if childC < rc.minChild {
				t.Errorf("charon's log shows %d Child SAs after the first, want >= %d", childC, rc.minChild)
			}
			if rc.childPFS != "" {
				if !regexp.MustCompile(`CREATE_CHILD_SA (request|response) \d+ \[ (N\(REKEY_SA\) )?SA No KE TSi TSr \]`).MatchString(clog) {
					t.Errorf("charon's log shows no CREATE_CHILD_SA with a KE payload")
				}
			}

			// Converged: one IKE SA and one Child SA pair, the same at both
			// ends (a rekey may be under way when asked: a bounded wait).
			var diff []string
			var c, r IKESA
			ok := waitFor(30*time.Second, 500*time.Millisecond, func() bool {
				cs, err1 := p.ch.ListSAs()
				rs, err2 := p.rs.ListSAs()
				if err1 != nil || err2 != nil || len(cs) != 1 || len(rs) != 1 {
					diff = []string{fmt.Sprintf("charon lists %d IKE SAs (%v), the refserver %d (%v)", len(cs), err1, len(rs), err2)}
					return false
				}
				c, r = cs[0], rs[0]
				diff = CompareEnds(p.ch.Name(), c, p.rs.Name(), r, rc.want)
				return diff == nil
			})
			if !ok {
				t.Errorf("the ends did not converge to one IKE SA and one Child SA pair:\n%s", joinLines(diff))
			} else {
				t.Logf("converged: %v", r)
				if c.SPIi == c0.SPIi && rc.ikeTimes {
					t.Errorf("the IKE SA still has its first SPIs")
				}
				if rc.childPFS != "" && (c.Children[0].KE != rc.childPFS || r.Children[0].KE != rc.childPFS) {
					t.Errorf("the rekeyed Child SA's PFS group: charon %q, refserver %q, want %s", c.Children[0].KE, r.Children[0].KE, rc.childPFS)
				}
				checkRekeyedKeys(t, p, c)
			}
		})
	}
}

// checkRekeyedKeys compares the keys of the IKE SA and Child SA that both
// ends list at the end with charon's log: the IKE SA's are the last Sk_*
// charon derived; the Child SA's are the block of keys charon logged just
// before installing its inbound SA, whose initiator and responder keys the
// refserver's esp_sa rows for the two SPIs must hold, one each.
func checkRekeyedKeys(t *testing.T, p *pair, c IKESA) {
	t.Helper()
	lines := strings.Split(p.ch.Log(), "\n")
	dumps := hexDumps(lines)
	sk := map[string][]byte{}
	for _, d := range dumps {
		if d.facility == "IKE" && strings.HasPrefix(d.label, "Sk_") && strings.HasSuffix(d.label, " secret") {
			sk[strings.Fields(d.label)[0]] = d.data // the last one wins
		}
	}
	spii, _ := parseSPI64(c.SPIi)
	spir, _ := parseSPI64(c.SPIr)
	var rIKE *keytable.IKETable
	var rESP *keytable.ESPTable
	var row *keytable.IKESA
	waitFor(5*time.Second, 100*time.Millisecond, func() bool {
		rIKE, _ = keytable.ReadIKEFile(filepath.Join(p.rs.keylog, "ikev2_decryption_table"))
		rESP, _ = keytable.ReadESPFile(filepath.Join(p.rs.keylog, "esp_sa"))
		if rIKE == nil || rESP == nil {
			return false
		}
		var ok bool
		row, ok = rIKE.Lookup(spii, spir)
		return ok
	})
	if row == nil {
		t.Errorf("the refserver's key table has no row for the IKE SA %s/%s", c.SPIi, c.SPIr)
		return
	}
	if !bytes.Equal(row.SKei, sk["Sk_ei"]) || !bytes.Equal(row.SKer, sk["Sk_er"]) {
		t.Errorf("the rekeyed IKE SA's SK_ei/SK_er differ between the refserver's key table and charon's last derivation")
	}
	ch := c.Children[0]
	// The block of Child SA keys charon logged before installing its
	// inbound SA with SPIIn.
	var init, resp []byte
	for i, l := range lines {
		if !espAdd.MatchString(l) || !strings.Contains(l, "inbound") || i+1 >= len(lines) {
			continue
		}
		if m := espSPI.FindStringSubmatch(lines[i+1]); m == nil || m[1] != ch.SPIIn {
			continue
		}
		for _, d := range dumps {
			if d.line > i {
				break
			}
			switch d.label {
			case "encryption initiator key":
				init = d.data
			case "encryption responder key":
				resp = d.data
			}
		}
	}
	key := func(spi string) []byte {
		n, _ := strconv.ParseUint(spi, 16, 32)
		for i := range rESP.Rows {
			if rESP.Rows[i].SPI == uint32(n) {
				return rESP.Rows[i].EncrKey
			}
		}
		return nil
	}
	kin, kout := key(ch.SPIIn), key(ch.SPIOut)
	switch {
	case init == nil || resp == nil || bytes.Equal(init, resp):
		t.Errorf("no Child SA keys in charon's log for inbound SPI %s", ch.SPIIn)
	case kin == nil || kout == nil:
		t.Errorf("the refserver's esp_sa lacks SPI %s or %s", ch.SPIIn, ch.SPIOut)
	case !(bytes.Equal(kin, init) && bytes.Equal(kout, resp)) && !(bytes.Equal(kin, resp) && bytes.Equal(kout, init)):
		t.Errorf("the rekeyed Child SA's keys differ between the refserver's esp_sa and charon's log")
	default:
		t.Logf("keys agree: the rekeyed IKE SA %s_i %s_r and Child SA %s/%s have the same keys at both ends", c.SPIi, c.SPIr, ch.SPIIn, ch.SPIOut)
	}
}

func count0(s, re string) int { return len(regexp.MustCompile(re).FindAllStringIndex(s, -1)) }

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
