package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHarness is the harness's self-test: charon against charon, through
// the same topology, startup, list-sas parsing, comparison, log evidence
// and capture checks the refserver scenarios use. It passes whatever state
// the engine is in; when it fails, the harness (or the machine) is broken.
func TestHarness(t *testing.T) {
	requireInterop(t)
	t.Run("establish-esp-wire", harnessEstablish)
	t.Run("malformed-is-caught", harnessNegative)
	t.Run("invalid-ke", harnessInvalidKE)
	t.Run("ike-scan-cookie", harnessIkeScanCookie)
	t.Run("delete", harnessDelete)
	t.Run("liveness", harnessLiveness)
}

// charonPair starts charon on both sides (right first: the responder).
func charonPair(t *testing.T, leftIKE, rightIKE, esp string, lo, ro CharonOptions) (*lab, *charon, *charon) {
	t.Helper()
	l := newLab(t)
	right := startCharon(l, l.right, l.right.conn(rightIKE, esp), ro)
	left := startCharon(l, l.left, l.left.conn(leftIKE, esp), lo)
	return l, left, right
}

func harnessEstablish(t *testing.T) {
	pc := proposalCases[1] // aes256-sha256-ecp256: tshark verifies the ICVs
	l, left, right := charonPair(t, pc.ike, pc.ike, pc.esp, CharonOptions{LogKeys: true}, CharonOptions{})
	capt := l.startCapture(l.right, "selftest")
	if out, err := left.Initiate(); err != nil {
		t.Fatalf("initiate: %v\n%s", err, out)
	}
	a, b := waitEstablished(t, left, right)
	t.Logf("left:  %v", a)
	t.Logf("right: %v", b)
	if d := CompareEnds(left.Name(), a, right.Name(), b, pc.want); d != nil {
		t.Errorf("ends disagree:\n%s", joinLines(d))
	}
	// ESP through the tunnel (kernel-libipsec, ESP in UDP on both ends).
	if out, err := l.nsRun(l.left, 15*time.Second, "ping", "-c", "2", "-W", "2", "-I", l.left.inner, l.right.inner); err != nil {
		t.Errorf("ping through the tunnel: %v\n%s", err, out)
	}
	pcap := capt.stop(t)

	ikeKeys, espKeys, err := CharonKeys(left.Log(), a)
	if err != nil {
		t.Fatalf("keys from charon's log: %v", err)
	}
	if len(espKeys.Rows) != 2 {
		t.Errorf("keys from charon's log: %d ESP SAs, want 2", len(espKeys.Rows))
	}
	keyDir := l.path("keys")
	writeKeyDir(t, keyDir, ikeKeys, espKeys)
	checkTsharkClean(t, pcap)
	checkTsharkDecrypts(t, pcap, keyDir, false)
	checkIkedump(t, pcap, keyDir)
	out, _ := ikedump(t, "--ikev2-keys", keyDir+"/ikev2_decryption_table", "--esp-keys", keyDir+"/esp_sa", pcap)
	if n := strings.Count(out, "ICMP echo"); n < 4 || !strings.Contains(out, "inner IPv4 198.51.100.1 -> 198.51.100.2 ICMP echo request") {
		t.Errorf("ikedump does not show the 4 pings inside ESP (%d seen):\n%s", n, out)
	}
	tsh, err := run(60*time.Second, []string{"WIRESHARK_CONFIG_DIR=" + keyDir}, "tshark", "-r", pcap,
		"-o", "esp.enable_encryption_decode:TRUE", "-Y", "esp && icmp")
	if err != nil || strings.Count(tsh, "Echo (ping)") < 4 {
		t.Errorf("tshark does not decrypt the 4 pings inside ESP (err %v):\n%s", err, tsh)
	}
}

// harnessNegative: the capture checks do catch a malformed packet.
func harnessNegative(t *testing.T) {
	l := newLab(t)
	capt := l.startCapture(l.right, "junk")
	// An IKEv2 header (IKE_SA_INIT request, length 40) whose SA payload
	// claims 256 octets: tshark dissects it as ISAKMP and must mark it.
	junk := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 40,
		0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	var esc strings.Builder
	for _, b := range junk {
		fmt.Fprintf(&esc, "\\x%02x", b)
	}
	if out, err := l.nsRun(l.left, 5*time.Second, "bash", "-c", "printf '"+esc.String()+"' > /dev/udp/"+l.right.addr+"/500"); err != nil {
		t.Fatalf("sending junk: %v\n%s", err, out)
	}
	pcap := capt.stop(t)
	if p := tsharkProblems(t, pcap); len(p) == 0 {
		t.Errorf("tshark found nothing wrong with a truncated IKE message")
	} else {
		t.Logf("tshark, as it should:\n%s", joinLines(p))
	}
	if out, code := ikedump(t, pcap); code != 1 {
		t.Errorf("ikedump on a malformed IKE message: exit status %d, want 1:\n%s", code, out)
	}
}

func harnessInvalidKE(t *testing.T) {
	_, left, right := charonPair(t, "aes128gcm16-prfsha256-x25519-ecp256", "aes128gcm16-prfsha256-ecp256", "aes128gcm16", CharonOptions{}, CharonOptions{})
	if out, err := left.Initiate(); err != nil {
		t.Fatalf("initiate: %v\n%s", err, out)
	}
	a, b := waitEstablished(t, left, right)
	if d := CompareEnds(left.Name(), a, right.Name(), b, Want{KE: "ECP_256", NoInteg: true}); d != nil {
		t.Errorf("ends disagree:\n%s", joinLines(d))
	}
	// The log lines TestInvalidKE looks for, on either side.
	logHas(t, right, `DH group CURVE_25519 unacceptable, requesting ECP_256`)
	logHas(t, right, `generating IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]`)
	logHas(t, left, `parsed IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]`)
	logHas(t, left, `peer didn't accept DH group CURVE_25519, it requested ECP_256`)
}

// harnessIkeScanCookie: ike-scan against charon (the probe TestIkeScan
// runs against the refserver), and, with the half-open IKE SA it leaves and
// charon's cookie_threshold at 1, a charon initiator that must go through a
// COOKIE round (the log lines TestCookie looks for).
func harnessIkeScanCookie(t *testing.T) {
	pc := proposalCases[1]
	l, left, right := charonPair(t, pc.ike, pc.ike+", aes256-sha1-modp2048", pc.esp, CharonOptions{}, CharonOptions{CookieThreshold: 1})
	checkIkeScan(t, l, l.left, l.right.addr)
	if out, err := left.Initiate(); err != nil {
		t.Fatalf("initiate: %v\n%s", err, out)
	}
	a, b := waitEstablished(t, left, right)
	if d := CompareEnds(left.Name(), a, right.Name(), b, pc.want); d != nil {
		t.Errorf("ends disagree:\n%s", joinLines(d))
	}
	logHas(t, left, `parsed IKE_SA_INIT response 0 \[ N\(COOKIE\) \]`)
	logHas(t, left, `generating IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE No`)
}

func harnessDelete(t *testing.T) {
	pc := proposalCases[1]
	_, left, right := charonPair(t, pc.ike, pc.ike, pc.esp, CharonOptions{}, CharonOptions{})
	if out, err := left.Initiate(); err != nil {
		t.Fatalf("initiate: %v\n%s", err, out)
	}
	waitEstablished(t, left, right)
	if out, err := right.Terminate(); err != nil {
		t.Errorf("terminate: %v\n%s", err, out)
	}
	waitGone(t, 15*time.Second, left, right)
	logHas(t, left, `received DELETE for IKE_SA lab`)
	logHas(t, right, `sending DELETE for IKE_SA lab`)
	logHas(t, right, `IKE_SA deleted`)
}

func harnessLiveness(t *testing.T) {
	pc := proposalCases[1]
	l := newLab(t)
	right := startCharon(l, l.right, l.right.conn(pc.ike, pc.esp), CharonOptions{})
	lc := l.left.conn(pc.ike, pc.esp)
	lc.DPDDelay = "2s"
	left := startCharon(l, l.left, lc, CharonOptions{RetransmitTimeout: 1, RetransmitBase: 1.4, RetransmitTries: 2})
	if out, err := left.Initiate(); err != nil {
		t.Fatalf("initiate: %v\n%s", err, out)
	}
	waitEstablished(t, left, right)
	waitLog(t, left, `sending DPD request`, 10*time.Second)
	waitLog(t, left, `parsed INFORMATIONAL response \d+ \[ \]`, 5*time.Second)
	logHas(t, right, `parsed INFORMATIONAL request \d+ \[ \]`)
	logHas(t, right, `generating INFORMATIONAL response \d+ \[ \]`)
	right.Kill()
	start := time.Now()
	waitGone(t, 30*time.Second, left)
	t.Logf("charon gave up %v after its peer died", time.Since(start).Round(100*time.Millisecond))
	logHas(t, left, `giving up after 2 retransmits`)
}
