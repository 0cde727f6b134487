package interop

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// Checks by independent tools on a capture of an interop run: tshark
// (Wireshark's dissectors and decryption), and our own ikedump.

// tsharkProblems lists the frames tshark marks malformed or with an
// expert-info error, as "frame N: message" lines.
func tsharkProblems(t *testing.T, pcap string) []string {
	t.Helper()
	out, err := run(60*time.Second, nil, "tshark", "-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error",
		"-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message", "-e", "_ws.malformed")
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	var probs []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" || strings.HasPrefix(l, "Running as user") {
			continue
		}
		probs = append(probs, "frame "+strings.ReplaceAll(l, "\t", ": "))
	}
	// The -V text as well: the filter above misses nothing that this
	// catches, but keep the belt and the braces.
	v, err := run(60*time.Second, nil, "tshark", "-r", pcap, "-V")
	if err != nil {
		t.Fatalf("tshark -V: %v\n%s", err, v)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "Malformed") || strings.Contains(l, "Severity level: Error") {
			probs = append(probs, "-V: "+strings.TrimSpace(l))
		}
	}
	return probs
}

// checkTsharkClean: tshark dissects every packet of the capture without a
// malformed mark or an expert error.
func checkTsharkClean(t *testing.T, pcap string) {
	t.Helper()
	if p := tsharkProblems(t, pcap); len(p) > 0 {
		t.Errorf("tshark finds malformed packets or expert errors in %s:\n%s", pcap, joinLines(p))
	}
}

// writeKeyDir writes a Wireshark configuration directory holding the two
// key tables.
func writeKeyDir(t *testing.T, dir string, ike *keytable.IKETable, esp *keytable.ESPTable) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "ikev2_decryption_table"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ike.WriteTo(f); err != nil {
		t.Fatalf("ikev2_decryption_table: %v", err)
	}
	f.Close()
	f, err = os.Create(filepath.Join(dir, "esp_sa"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := esp.WriteTo(f); err != nil {
		t.Fatalf("esp_sa: %v", err)
	}
	f.Close()
}

var (
	reICVCorrect   = regexp.MustCompile(`Integrity Checksum Data: .*\[correct\]`)
	reICVIncorrect = regexp.MustCompile(`\[incorrect`)
)

// checkTsharkDecrypts: with the key tables in keyDir as its configuration
// directory, tshark opens the Encrypted payloads of IKE_AUTH and finds the
// identities and AUTH payloads inside; for ciphers with a separate
// integrity algorithm it also verifies the ICV ("[correct]").
func checkTsharkDecrypts(t *testing.T, pcap, keyDir string, aead bool) {
	t.Helper()
	out, err := run(60*time.Second, []string{"WIRESHARK_CONFIG_DIR=" + keyDir}, "tshark", "-r", pcap,
		"-o", "esp.enable_encryption_decode:TRUE", "-Y", "isakmp.exchangetype == 35", "-V")
	if err != nil {
		t.Fatalf("tshark -V with keys: %v\n%s", err, out)
	}
	_ = os.WriteFile(pcap+".decrypted.txt", []byte(out), 0o600)
	var probs []string
	for _, want := range []string{"Payload: Identification - Initiator", "Payload: Identification - Responder", "Payload: Authentication", "Payload: Traffic Selector - Initiator"} {
		if !strings.Contains(out, want) {
			probs = append(probs, fmt.Sprintf("no %q in the decrypted IKE_AUTH", want))
		}
	}
	if !aead {
		if n := len(reICVCorrect.FindAllString(out, -1)); n < 2 {
			probs = append(probs, fmt.Sprintf("%d IKE_AUTH ICVs marked [correct], want 2 or more", n))
		}
	}
	if reICVIncorrect.MatchString(out) {
		probs = append(probs, "an ICV marked [incorrect]")
	}
	if len(probs) > 0 {
		t.Errorf("tshark does not decrypt IKE_AUTH of %s with the keys in %s:\n%s\n(tshark -V output in %s.decrypted.txt)",
			pcap, keyDir, joinLines(probs), pcap)
	}
}

// ikedump runs our capture dumper and returns its output and exit status.
func ikedump(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bin := built(t, "ikedump")
	out, err := run(60*time.Second, nil, bin, args...)
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	return out, code
}

// checkIkedump: ikedump decodes the capture (exit status 0) and, with the
// key tables, decrypts IKE_AUTH with a correct ICV.
func checkIkedump(t *testing.T, pcap, keyDir string) {
	t.Helper()
	out, code := ikedump(t, pcap)
	if code != 0 {
		t.Errorf("ikedump %s: exit status %d:\n%s", pcap, code, out)
	}
	out, code = ikedump(t, "--ikev2-keys", filepath.Join(keyDir, "ikev2_decryption_table"), "--esp-keys", filepath.Join(keyDir, "esp_sa"), pcap)
	if code != 0 {
		t.Errorf("ikedump with keys %s: exit status %d:\n%s", pcap, code, out)
	}
	auth := 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "IKE_AUTH") {
			continue
		}
		auth++
		if !strings.Contains(l, "ICV correct") {
			t.Errorf("ikedump: IKE_AUTH not decrypted with a correct ICV:\n%s", l)
		}
	}
	if auth < 2 {
		t.Errorf("ikedump shows %d IKE_AUTH messages, want 2 or more:\n%s", auth, out)
	}
}
