package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/capture"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const (
	td          = "../../testdata/captures/"
	wsKeys      = td + "wireshark/ikev2_decryption_table"
	pI2Keys     = td + "tcpdump/ikev2_decryption_table"
	espSAFile   = td + "tcpdump/esp_sa"
	espSA02     = td + "tcpdump/esp_sa.02-sunrise-sunset-esp"
	cbcCapture  = td + "wireshark/ikev2-decrypt-aes256cbc.pcapng"
	ccmCapture  = td + "wireshark/ikev2-decrypt-aes256ccm16.pcapng"
	pI2Capture  = td + "tcpdump/ikev2pI2.pcap"
	idNormal    = td + "tcpdump/ikev2-id-normal.pcap"
	espudp1     = td + "tcpdump/espudp1.pcap"
	sunriseESP  = td + "tcpdump/02-sunrise-sunset-esp.pcap"
	sunriseAES  = td + "tcpdump/08-sunrise-sunset-aes.pcap"
	sunriseESP2 = td + "tcpdump/08-sunrise-sunset-esp2.pcap"
	ikev2four   = td + "tcpdump/ikev2four.pcap"
)

// runIkedump runs the command in-process.
func runIkedump(args ...string) (stdout, stderr string, status int) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return o.String(), e.String(), status
}

// records runs ikedump --json and decodes its objects.
func records(t *testing.T, args ...string) ([]output, int) {
	t.Helper()
	stdout, stderr, status := runIkedump(append([]string{"--json"}, args...)...)
	if stderr != "" {
		t.Logf("stderr: %s", stderr)
	}
	var out []output
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o output
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, o)
	}
	return out, status
}

func frame(t *testing.T, rs []output, n int) output {
	t.Helper()
	for _, r := range rs {
		if r.Frame == n {
			return r
		}
	}
	t.Fatalf("no record for frame %d", n)
	return output{}
}

// detailWith returns the -v detail line of a record that contains s.
func detailWith(t *testing.T, r output, s string) string {
	t.Helper()
	for _, l := range r.Detail {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("frame %d: no detail line contains %q:\n%s", r.Frame, s, strings.Join(r.Detail, "\n"))
	return ""
}

// goldenCases runs every capture of testdata/captures, each with the key
// tables that belong to it (and espudp1 also with the wrong ones).
var goldenCases = []struct {
	name   string
	args   []string
	status int
}{
	{"aes256cbc", []string{"--ikev2-keys", wsKeys, cbcCapture}, 0},
	{"aes256ccm16", []string{"--ikev2-keys", wsKeys, ccmCapture}, 0},
	{"aes256cbc-nokeys", []string{cbcCapture}, 0},
	{"ikev2pI2", []string{"--ikev2-keys", pI2Keys, pI2Capture}, 1},
	{"ikev2four", []string{"--ikev2-keys", pI2Keys, ikev2four}, 0},
	{"ikev2-id-normal", []string{idNormal}, 1},
	{"02-sunrise-sunset-esp", []string{"--esp-keys", espSA02, sunriseESP}, 0},
	{"08-sunrise-sunset-aes", []string{"--esp-keys", espSAFile, sunriseAES}, 0},
	{"08-sunrise-sunset-esp2", []string{"--esp-keys", espSAFile, sunriseESP2}, 0},
	{"espudp1", []string{"--esp-keys", espSA02, espudp1}, 0},
	{"espudp1-wrong-key", []string{"--esp-keys", espSAFile, espudp1}, 1},
	{"esp-nokeys", []string{sunriseESP, espudp1}, 0},
	// -v pins every field of the decrypted exchanges.
	{"aes256cbc-v", []string{"-v", "--ikev2-keys", wsKeys, cbcCapture}, 0},
	{"aes256ccm16-v", []string{"-v", "--ikev2-keys", wsKeys, ccmCapture}, 0},
	{"ikev2pI2-v", []string{"-v", "--ikev2-keys", pI2Keys, pI2Capture}, 1},
	{"ikev2four-v", []string{"-v", ikev2four}, 0},
	{"08-sunrise-sunset-esp2-v", []string{"-v", "--esp-keys", espSAFile, sunriseESP2}, 0},
}

// TestGolden pins the output of every capture: the one-line summary of
// every IKE message and ESP packet, and with -v every field. Regenerate
// with `go test ./cmd/ikedump -update` and review the diff.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, status := runIkedump(tc.args...)
			if status != tc.status {
				t.Errorf("exit status %d, want %d; stderr: %s", status, tc.status, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			got := fmt.Sprintf("$ ikedump %s\n%s[exit status %d]\n", strings.Join(tc.args, " "), stdout, status)
			got = strings.ReplaceAll(got, td, "") // paths relative to testdata/captures
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/ikedump -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test ./cmd/ikedump -update and review the diff):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := 0; i < max(len(w), len(g)) && sb.Len() < 4000; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			fmt.Fprintf(&sb, "line %d:\n- %s\n+ %s\n", i+1, a, b)
		}
	}
	return sb.String()
}

// TestEveryCaptureCovered makes sure that a capture added to testdata is
// also added to the golden cases.
func TestEveryCaptureCovered(t *testing.T) {
	var covered []string
	for _, tc := range goldenCases {
		covered = append(covered, tc.args...)
	}
	err := filepath.WalkDir(td, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng") {
			if !slices.Contains(covered, filepath.ToSlash(path)) {
				t.Errorf("%s is in no golden case", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIKEDecryption checks the decrypted IKE_AUTH exchanges of Wireshark's
// captures against the values Wireshark's test suite expects, and that the
// decrypted identities and selectors agree with the packets' addresses.
func TestIKEDecryption(t *testing.T) {
	tests := []struct {
		name, capture, cipher, integ string
		auth3, auth4                 string
		initiator, responder         string
	}{
		{"AES-CBC-256", cbcCapture, "AES-CBC-256", "HMAC_SHA2_256_128",
			"e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3",
			"ebbc48efe986d5058f0d52a71f34986d1ab78f63c0fdde69164cd57638b1b048",
			"192.168.1.2", "192.168.1.14"},
		{"AES-CCM-256", ccmCapture, "AES-CCM-256 with 16 octet ICV", "",
			"fa2e74bdc01e30fb0b3ddc9723c9449095969da51f69e560209d2c2b7940210a",
			"bf368b0105a598390eeb6b230ff279cd21ba70481370b19f0d7c739c69b97999",
			"192.168.1.14", "192.168.1.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, status := records(t, "-v", "--ikev2-keys", wsKeys, tc.capture)
			if status != 0 || len(rs) != 4 {
				t.Fatalf("exit status %d with %d records, want 0 and 4", status, len(rs))
			}
			for _, n := range []int{3, 4} {
				r := frame(t, rs, n)
				sk := r.IKE.SK
				if sk == nil || sk.Status != "decrypted" || sk.ICV != "correct" || sk.Cipher != tc.cipher || sk.Integrity != tc.integ {
					t.Fatalf("frame %d: SK %+v", n, sk)
				}
				if !strings.Contains(r.Line, "ICV correct") || r.Error != nil {
					t.Errorf("frame %d: %s (error %+v)", n, r.Line, r.Error)
				}
				detailWith(t, r, "ICV correct")
				auth, ids := tc.auth3, []string{"IDi payload (critical: no): ID_IPV4_ADDR (1), 4 octets: " + tc.initiator,
					"IDr payload (critical: no): ID_IPV4_ADDR (1), 4 octets: " + tc.responder}
				wantInner := []string{"IDi", "N(INITIAL_CONTACT)", "IDr", "AUTH", "SA", "TSi", "TSr", "N(MULTIPLE_AUTH_SUPPORTED)", "N(EAP_ONLY_AUTHENTICATION)"}
				if n == 4 {
					auth, ids = tc.auth4, ids[1:]
					wantInner = []string{"IDr", "AUTH", "SA", "TSi", "TSr", "N(AUTH_LIFETIME)"}
				}
				if !slices.Equal(sk.Inner, wantInner) {
					t.Errorf("frame %d: inner payloads %v, want %v", n, sk.Inner, wantInner)
				}
				if got := detailWith(t, r, "AUTH payload"); !strings.HasSuffix(got, "method PSK (2), 32 octets of authentication data: "+auth) {
					t.Errorf("frame %d: %s, want PSK AUTH data %s", n, got, auth)
				}
				// The identities are the peers' addresses, the request goes
				// from the initiator, and each side's selector is its own
				// /32 (a host-to-host tunnel).
				for _, id := range ids {
					detailWith(t, r, id)
				}
				from := tc.initiator + ":500"
				if n == 4 {
					from = tc.responder + ":500"
				}
				if r.Src != from {
					t.Errorf("frame %d comes from %s, want %s", n, r.Src, from)
				}
				if got := detailWith(t, r, "TSi payload"); !strings.Contains(got, "1 traffic selector") {
					t.Errorf("frame %d: %s", n, got)
				}
				for _, ts := range []string{tc.initiator + "/32", tc.responder + "/32"} {
					if got := detailWith(t, r, "("+ts+")"); !strings.Contains(got, "TS_IPV4_ADDR_RANGE (7): IP protocol any (0), ports 0-65535") {
						t.Errorf("frame %d: selector %s", n, got)
					}
				}
				detailWith(t, r, "ENCR (1): ENCR_NULL_AUTH_AES_GMAC (21), key length 256")
			}
		})
	}
}

// TestICVIncorrect: ikev2pI2.pcap's ICV is wrong on purpose (Wireshark
// agrees); the contents are still decrypted and shown, as unauthenticated,
// and the run fails.
func TestICVIncorrect(t *testing.T) {
	rs, status := records(t, "-v", "--ikev2-keys", pI2Keys, pI2Capture)
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	r := frame(t, rs, 2)
	if sk := r.IKE.SK; sk.Status != "unauthenticated" || sk.ICV != "incorrect" || !slices.Equal(sk.Inner, []string{"IDi", "AUTH"}) {
		t.Errorf("SK %+v", sk)
	}
	if r.Error == nil || r.Error.Stage != "sk_integrity" || r.Error.Offset == nil || *r.Error.Offset != r.IKE.Length-12 {
		t.Errorf("error %+v, want sk_integrity at the 12-octet ICV", r.Error)
	}
	if !strings.Contains(r.Line, "ICV INCORRECT") || !strings.Contains(r.Line, "[ IDi AUTH ]") {
		t.Errorf("line %s", r.Line)
	}
	detailWith(t, r, `IDi payload (critical: no): ID_FQDN (2), 4 octets: "west"`)
	detailWith(t, r, "AUTH payload (critical: no): method RSA_SIG (1), 192 octets")
	detailWith(t, r, "ICV INCORRECT")
	detailWith(t, r, "SK payload (critical: yes)")
}

// TestWrongIKEKey flips one octet of a key in a copy of the key table,
// written with keytable's writer (and so in the names tshark accepts).
func TestWrongIKEKey(t *testing.T) {
	tab, err := keytable.ReadIKEFile(wsKeys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		capture string
		spii    uint64
		flip    func(r *keytable.IKESA)
		stage   string
		line    string
	}{
		// AEAD: SK_ei is the AEAD key, so the tag fails.
		{"CCM SK_ei", ccmCapture, 0xcd7ae76304b277e2, func(r *keytable.IKESA) { r.SKei[0] ^= 1 }, "sk_integrity", "ICV INCORRECT at offset 221, not decrypted"},
		// CBC: SK_ai keys the ICV.
		{"CBC SK_ai", cbcCapture, 0x191ccd371a7a1f7b, func(r *keytable.IKESA) { r.SKai[0] ^= 1 }, "sk_integrity", "ICV INCORRECT at offset 240, contents unauthenticated"},
		// CBC: a wrong SK_ei leaves the ICV correct (it is computed over
		// the ciphertext with SK_ai), so the garbage it decrypts to is
		// caught by the Pad Length or the inner payload chain.
		{"CBC SK_ei", cbcCapture, 0x191ccd371a7a1f7b, func(r *keytable.IKESA) { r.SKei[0] ^= 1 }, "", "ICV correct"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := &keytable.IKETable{}
			for _, r := range tab.Rows {
				r.SKei, r.SKai = bytes.Clone(r.SKei), bytes.Clone(r.SKai)
				if r.SPIi == tc.spii {
					tc.flip(&r)
				}
				bad.Rows = append(bad.Rows, r)
			}
			path := filepath.Join(t.TempDir(), "ikev2_decryption_table")
			var buf bytes.Buffer
			if _, err := bad.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			rs, status := records(t, "--ikev2-keys", path, tc.capture)
			if status != 1 {
				t.Errorf("exit status %d, want 1", status)
			}
			r := frame(t, rs, 3)
			if r.Error == nil || !strings.Contains(r.Line, tc.line) {
				t.Fatalf("frame 3: %s (error %+v)", r.Line, r.Error)
			}
			if tc.stage != "" && r.Error.Stage != tc.stage {
				t.Errorf("frame 3: stage %s, want %s", r.Error.Stage, tc.stage)
			}
			if tc.stage == "" && r.Error.Stage != "sk" && r.Error.Stage != "sk_inner" {
				t.Errorf("frame 3: stage %s, want sk or sk_inner", r.Error.Stage)
			}
		})
	}
}

// TestMalformed: ikev2-id-normal.pcap's IDi length leaves 39 octets after
// the last payload; the decoder says so at offset 37.
func TestMalformed(t *testing.T) {
	rs, status := records(t, idNormal)
	if status != 1 || len(rs) != 1 {
		t.Fatalf("exit status %d, %d records; want 1 and 1", status, len(rs))
	}
	e := rs[0].Error
	if e == nil || e.Stage != "ike" || e.Offset == nil || *e.Offset != 37 || !strings.Contains(e.Reason, "39 octets after the last payload") {
		t.Fatalf("error %+v", e)
	}
	if !strings.Contains(rs[0].Line, "IKE_AUTH request 1 MALFORMED at offset 37") {
		t.Errorf("line %s", rs[0].Line)
	}
}

// tcpdumpFrame is one line of tcpdump's .out files.
type tcpdumpFrame struct {
	esp  [][3]uint64 // (spi, seq, length) of each ESP header, outer first
	icmp [3]int      // id, seq, length; zero when tcpdump showed none
	raw  string      // what tcpdump printed after the last ESP header
}

var (
	reESP  = regexp.MustCompile(`ESP\(spi=0x([0-9a-f]+),seq=0x([0-9a-f]+)\), length (\d+)`)
	reICMP = regexp.MustCompile(`ICMP echo request, id (\d+), seq (\d+), length (\d+)`)
	ourESP = regexp.MustCompile(`ESP SPI 0x([0-9a-f]+) seq (\d+) len (\d+)`)
	ourICM = regexp.MustCompile(`ICMP echo request id (\d+) seq (\d+) len (\d+)`)
)

func readTcpdump(t *testing.T, name string) []tcpdumpFrame {
	t.Helper()
	b, err := os.ReadFile(td + "tcpdump/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []tcpdumpFrame
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var f tcpdumpFrame
		for _, m := range reESP.FindAllStringSubmatch(l, -1) {
			spi, _ := strconv.ParseUint(m[1], 16, 32)
			seq, _ := strconv.ParseUint(m[2], 16, 32)
			n, _ := strconv.ParseUint(m[3], 10, 32)
			f.esp = append(f.esp, [3]uint64{spi, seq, n})
		}
		if m := reICMP.FindStringSubmatch(l); m != nil {
			for i := range 3 {
				f.icmp[i], _ = strconv.Atoi(m[i+1])
			}
		}
		f.raw = l[strings.LastIndex(l, "length "):]
		out = append(out, f)
	}
	return out
}

// TestESPAgainstTcpdump compares the ESP fields and the decrypted ICMP
// with tcpdump's own decoding of the same files.
func TestESPAgainstTcpdump(t *testing.T) {
	tests := []struct {
		capture, keys, out string
		icmpFrom           string // the .out file whose ICMP fields apply
	}{
		{sunriseESP, espSA02, "esp1.out", ""},
		{sunriseAES, espSAFile, "esp5.out", ""},
		{sunriseESP2, espSAFile, "esp2.out", ""},
		// tcpdump decoded espudp1 with the wrong key (esp-secrets.txt):
		// its ICMP is that of esp1.out, which the right key shows.
		{espudp1, espSA02, "espudp1.out", "esp1.out"},
	}
	for _, tc := range tests {
		t.Run(tc.out, func(t *testing.T) {
			want := readTcpdump(t, tc.out)
			if tc.icmpFrom != "" {
				for i, f := range readTcpdump(t, tc.icmpFrom) {
					want[i].icmp = f.icmp
				}
			}
			rs, status := records(t, "--esp-keys", tc.keys, tc.capture)
			if status != 0 || len(rs) != len(want) {
				t.Fatalf("exit status %d with %d records, want 0 and %d", status, len(rs), len(want))
			}
			for i, r := range rs {
				var got tcpdumpFrame
				for _, m := range ourESP.FindAllStringSubmatch(r.Line, -1) {
					spi, _ := strconv.ParseUint(m[1], 16, 32)
					seq, _ := strconv.ParseUint(m[2], 10, 32)
					n, _ := strconv.ParseUint(m[3], 10, 32)
					got.esp = append(got.esp, [3]uint64{spi, seq, n})
				}
				if m := ourICM.FindStringSubmatch(r.Line); m != nil {
					for j := range 3 {
						got.icmp[j], _ = strconv.Atoi(m[j+1])
					}
				}
				if !slices.Equal(got.esp, want[i].esp) || got.icmp != want[i].icmp || want[i].icmp == [3]int{} {
					t.Errorf("frame %d: ESP %v ICMP %v; tcpdump: ESP %v ICMP %v\n%s", r.Frame, got.esp, got.icmp, want[i].esp, want[i].icmp, r.Line)
				}
				if r.ESP.ICV != "not checked" || r.ESP.Status != "decrypted" {
					t.Errorf("frame %d: ESP %+v", r.Frame, r.ESP)
				}
			}
		})
	}
}

// TestESPWrongKey opens espudp1.pcap with esp-secrets.txt's key, as tcpdump
// did to make espudp1.out. These SAs have no ICV check, so the padding
// check catches the wrong key on every frame. Where tcpdump printed
// "[|esp]" the Pad Length overran the packet; where it printed
// "ip-proto-N L", the same Next Header N and L octets of payload are in
// our error.
func TestESPWrongKey(t *testing.T) {
	want := readTcpdump(t, "espudp1.out")
	rs, status := records(t, "--esp-keys", espSAFile, espudp1)
	if status != 1 || len(rs) != 8 {
		t.Fatalf("exit status %d with %d records, want 1 and 8", status, len(rs))
	}
	reProto := regexp.MustCompile(`ip-proto-(\d+) (\d+)`)
	reOurs := regexp.MustCompile(`Padding octet 1 of (\d+) is 0x[0-9a-f]+, want 0x01 \(Next Header (\d+)\)`)
	for i, r := range rs {
		if r.Error == nil || r.Error.Stage != "esp_padding" || r.Error.Offset == nil || r.ESP.Status != "failed" {
			t.Fatalf("frame %d: %s (error %+v)", r.Frame, r.Line, r.Error)
		}
		if !strings.Contains(r.Line, "DECRYPTION FAILED: bad padding") || !strings.Contains(r.Line, "the ICV is not checked") {
			t.Errorf("frame %d: %s", r.Frame, r.Line)
		}
		if m := reProto.FindStringSubmatch(want[i].raw); m != nil {
			o := reOurs.FindStringSubmatch(r.Error.Reason)
			if o == nil {
				t.Errorf("frame %d: tcpdump shows %q, we: %s", r.Frame, m[0], r.Error.Reason)
				continue
			}
			pad, _ := strconv.Atoi(o[1])
			l, _ := strconv.Atoi(m[2])
			// 116 octets: 8 header, 8 IV, 12 ICV, 88 of plaintext.
			if o[2] != m[1] || 88-2-pad != l {
				t.Errorf("frame %d: Next Header %s, %d octets of payload; tcpdump: %s", r.Frame, o[2], 88-2-pad, m[0])
			}
		} else if !strings.Contains(want[i].raw, "[|esp]") || !strings.Contains(r.Error.Reason, "Pad Length") {
			t.Errorf("frame %d: tcpdump %q, we: %s", r.Frame, want[i].raw, r.Error.Reason)
		}
	}
}

// TestNoKeyMaterial: keys never reach the output, -v included.
func TestNoKeyMaterial(t *testing.T) {
	var keys []string
	ike, err := keytable.ReadIKEFile(wsKeys)
	if err != nil {
		t.Fatal(err)
	}
	ike2, err := keytable.ReadIKEFile(pI2Keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(ike.Rows, ike2.Rows...) {
		for _, k := range [][]byte{r.SKei, r.SKer, r.SKai, r.SKar} {
			if len(k) >= 8 {
				keys = append(keys, hex.EncodeToString(k[:8]))
			}
		}
	}
	for _, f := range []string{espSAFile, espSA02} {
		tab, err := keytable.ReadESPFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tab.Rows {
			keys = append(keys, hex.EncodeToString(r.EncrKey[:8]))
		}
	}
	for _, tc := range goldenCases {
		for _, j := range [][]string{nil, {"--json"}} {
			stdout, stderr, _ := runIkedump(append(append([]string{"-v"}, j...), tc.args...)...)
			for _, k := range keys {
				if strings.Contains(stdout, k) || strings.Contains(stderr, k) {
					t.Errorf("%s: a key (%s...) is in the output", tc.name, k)
				}
			}
		}
	}
}

// TestNoPanic feeds the dumper every prefix and single-octet corruption of
// every IKE message and ESP packet of the captures, with their keys: every
// one gives a line, and none panics.
func TestNoPanic(t *testing.T) {
	type src struct{ capture, ike, esp string }
	srcs := []src{
		{cbcCapture, wsKeys, ""}, {ccmCapture, wsKeys, ""}, {pI2Capture, pI2Keys, ""}, {ikev2four, "", ""},
		{idNormal, "", ""}, {sunriseESP2, "", espSAFile}, {espudp1, "", espSA02}, {sunriseAES, "", espSAFile},
	}
	n := 0
	for _, s := range srcs {
		d, err := newDumper(true, s.ike, s.esp)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := capture.ReadFile(s.capture)
		if err != nil {
			t.Fatal(err)
		}
		for _, dg := range ds {
			orig := dg.Payload
			var variants [][]byte
			for i := 0; i <= len(orig); i += 3 {
				variants = append(variants, orig[:i])
			}
			for i := 0; i < len(orig); i += 5 {
				v := bytes.Clone(orig)
				v[i] ^= 0xa5
				variants = append(variants, v)
			}
			for _, v := range variants {
				dg.Payload = v
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("%s frame %d, %d octets: panic: %v", s.capture, dg.Frame, len(v), p)
						}
					}()
					o := d.datagram(s.capture, dg)
					if o == nil || o.Line == "" {
						t.Fatalf("%s frame %d: no line", s.capture, dg.Frame)
					}
					if o.Error != nil && o.Error.Offset != nil && (*o.Error.Offset < 0 || *o.Error.Offset > len(v)) {
						t.Errorf("%s frame %d: offset %d outside %d octets: %s", s.capture, dg.Frame, *o.Error.Offset, len(v), o.Line)
					}
					n++
				}()
			}
		}
	}
	t.Logf("%d mutated datagrams", n)
}

// TestUsage checks the exit status of usage and file errors.
func TestUsage(t *testing.T) {
	badTable := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(badTable, []byte(`0102030405060708,0102030405060708,,,"ROT13 [RFC0]",,,"NONE [RFC4306]"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no capture", nil, 2, "usage: ikedump"},
		{"unknown flag", []string{"--frobnicate", cbcCapture}, 2, "flag provided but not defined"},
		{"missing capture", []string{"no/such/file.pcap"}, 2, "no such file"},
		{"missing key table", []string{"--ikev2-keys", "no/such/table", cbcCapture}, 2, "no such file"},
		{"bad key table", []string{"--ikev2-keys", badTable, cbcCapture}, 2, `line 1, column 5 (encryption algorithm): unknown encryption algorithm "ROT13 [RFC0]"`},
		{"not a capture", []string{wsKeys}, 2, "capture:"},
		{"flags after the capture", []string{cbcCapture, "--ikev2-keys", wsKeys}, 0, ""},
		{"help", []string{"-h"}, 0, "usage: ikedump"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, status := runIkedump(tc.args...)
			if status != tc.status || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit status %d, stderr %q; want %d and %q", status, stderr, tc.status, tc.stderr)
			}
		})
	}
}

var (
	buildOnce  sync.Once
	ikedumpBin string
	buildErr   error
)

// TestSubprocess runs the built command for its exit status and streams.
func TestSubprocess(t *testing.T) {
	dir := t.TempDir()
	buildOnce.Do(func() {
		ikedumpBin = filepath.Join(dir, "ikedump")
		out, err := exec.Command("go", "build", "-o", ikedumpBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
	}{
		{"decrypts", []string{"-v", "--ikev2-keys", wsKeys, cbcCapture}, 0, "ICV correct"},
		{"ICV incorrect", []string{"--ikev2-keys", pI2Keys, pI2Capture}, 1, "ICV INCORRECT"},
		{"malformed", []string{idNormal}, 1, "MALFORMED at offset 37"},
		{"wrong ESP key", []string{"--esp-keys", espSAFile, espudp1}, 1, "bad padding"},
		{"ESP", []string{"--json", "--esp-keys", espSA02, sunriseESP}, 0, `"inner":"IPv4 192.0.2.1 -\u003e 192.0.1.1 ICMP echo request id 28416 seq 1280 len 64"`},
		{"usage", nil, 2, ""},
		{"missing file", []string{"no/such.pcap"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(ikedumpBin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("exit status %d, want %d; stdout does not contain %q:\n%s\nstderr: %s", status, tc.status, tc.stdout, stdout.String(), stderr.String())
			}
			if tc.status == 2 && stderr.Len() == 0 {
				t.Errorf("exit status 2 without a message on stderr")
			}
			if tc.status != 2 && stderr.Len() != 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

// TestSummaryIsWireSummary: the brackets are impl/wire's Summary of the
// message (or of the SK's contents).
func TestSummaryIsWireSummary(t *testing.T) {
	ds, err := capture.ReadFile(ikev2four)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := records(t, ikev2four)
	for i, dg := range ds {
		m, err := wire.Decode(dg.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rs[i].Line, " "+m.String()) {
			t.Errorf("frame %d: %q does not contain %q", dg.Frame, rs[i].Line, m.String())
		}
	}
}

// TestSyntheticDatagrams covers the kinds of datagram the captures do not
// hold: IKE on port 4500, NAT keepalives, broken frames, IKEv1, ESP with no
// key or too short to parse.
func TestSyntheticDatagrams(t *testing.T) {
	ds, err := capture.ReadFile(cbcCapture)
	if err != nil {
		t.Fatal(err)
	}
	auth := ds[2]
	natt := auth
	natt.NonESPMarker = true
	natt.Src = netip.MustParseAddrPort("192.0.2.1:4500")
	natt.Dst = netip.MustParseAddrPort("192.0.2.2:4500")
	v1 := ds[0]
	v1.Payload = bytes.Clone(v1.Payload)
	v1.Payload[17] = 0x10
	esp := capture.Datagram{Frame: 9, Kind: capture.KindESP, Src: netip.MustParseAddrPort("192.0.2.1:0"), Dst: netip.MustParseAddrPort("192.0.2.2:0"),
		Payload: hexBytes("c0ffee0000000001" + strings.Repeat("00", 40))}
	shortESP := esp
	shortESP.Kind, shortESP.Payload = capture.KindESPInUDP, []byte{1, 2, 3}
	shortESP.Src, shortESP.Dst = netip.MustParseAddrPort("192.0.2.1:4500"), netip.MustParseAddrPort("192.0.2.2:4500")
	tests := []struct {
		name   string
		dg     capture.Datagram
		line   string
		failed bool
	}{
		{"IKE on 4500", natt, "#3 192.0.2.1:4500 -> 192.0.2.2:4500 [non-ESP marker] 191ccd371a7a1f7b_i bc123d15e4af593f_r IKE_AUTH request 1 [ IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) ] (SK: AES-CBC-256/HMAC_SHA2_256_128, ICV correct)", false},
		{"keepalive", capture.Datagram{Frame: 5, Kind: capture.KindKeepalive, Src: natt.Src, Dst: natt.Dst, Payload: []byte{0xff}},
			"#5 192.0.2.1:4500 -> 192.0.2.2:4500 NAT-keepalive", false},
		{"broken", capture.Datagram{Frame: 6, Kind: capture.KindBroken, Err: errors.New("capture: truncated UDP header")},
			"#6 BROKEN: capture: truncated UDP header", true},
		{"other", capture.Datagram{Frame: 7, Kind: capture.KindOther}, "", false},
		{"IKEv1", v1, "#1 192.168.1.2:500 -> 192.168.1.14:500 191ccd371a7a1f7b_i 0000000000000000_r IKE version 1.0, exchange 34: not IKEv2, not decoded", false},
		{"short IKE", capture.Datagram{Frame: 8, Kind: capture.KindIKE, Src: natt.Src, Dst: natt.Dst, Payload: make([]byte, 10)},
			"#8 192.0.2.1:4500 -> 192.0.2.2:4500 IKE MALFORMED at offset 0: IKE header: 10 octets, shorter than the 28-octet IKE header", true},
		{"ESP without key", esp, "#9 192.0.2.1 -> 192.0.2.2 ESP SPI 0xc0ffee00 seq 1 len 48 (not decrypted: no key for SPI 0xc0ffee00 to 192.0.2.2)", false},
		{"short ESP", shortESP, "#9 192.0.2.1:4500 -> 192.0.2.2:4500 UDP-encap ESP MALFORMED at offset 0: 3 octets, shorter than the 8-octet ESP header", true},
	}
	d, err := newDumper(false, wsKeys, espSAFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := d.datagram("synthetic", tc.dg)
			if tc.line == "" {
				if o != nil {
					t.Errorf("not skipped: %s", o.Line)
				}
				return
			}
			if o == nil || o.Line != tc.line || (o.Error != nil) != tc.failed {
				t.Errorf("got %+v\nwant line %s (failed %v)", o, tc.line, tc.failed)
			}
		})
	}
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
