package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/internal/capture"
)

// realIKE returns IKE messages of a real exchange (Wireshark's test
// capture), so that dissectors find nothing wrong with the payloads.
func realIKE(t *testing.T) [][]byte {
	t.Helper()
	ds, err := capture.ReadFile("../../testdata/captures/wireshark/ikev2-decrypt-aes256cbc.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range ds {
		if d.Kind == capture.KindIKE {
			out = append(out, d.Payload)
		}
	}
	if len(out) < 3 {
		t.Fatalf("%d IKE messages in the test capture", len(out))
	}
	return out
}

type pcapCase struct {
	pk           netio.Packet
	kind         capture.Kind
	src, dst     netip.AddrPort
	marker       bool
	wantPayload  []byte
	checksumOnly bool
}

func pcapCases(t *testing.T) []pcapCase {
	msgs := realIKE(t)
	ap := netip.MustParseAddrPort
	esp := []byte{0xc1, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	marked := append([]byte{0, 0, 0, 0}, msgs[2]...)
	return []pcapCase{
		// Received: from Remote to Local.
		{netio.Packet{Time: at, Local: ap("192.0.2.1:500"), Remote: ap("192.0.2.2:500"), Payload: msgs[0]},
			capture.KindIKE, ap("192.0.2.2:500"), ap("192.0.2.1:500"), false, msgs[0], false},
		// Sent: from Local to Remote.
		{netio.Packet{Time: at, Out: true, Local: ap("192.0.2.1:500"), Remote: ap("192.0.2.2:500"), Payload: msgs[1]},
			capture.KindIKE, ap("192.0.2.1:500"), ap("192.0.2.2:500"), false, msgs[1], false},
		// Port 4500: the marker is written as it was on the wire.
		{netio.Packet{Time: at, Out: true, Role: netio.RoleNATT, Local: ap("192.0.2.1:4500"), Remote: ap("192.0.2.2:4500"), Payload: marked},
			capture.KindIKE, ap("192.0.2.1:4500"), ap("192.0.2.2:4500"), true, msgs[2], false},
		{netio.Packet{Time: at, Role: netio.RoleNATT, Local: ap("192.0.2.1:4500"), Remote: ap("192.0.2.2:4500"), Payload: []byte{0xff}},
			capture.KindKeepalive, ap("192.0.2.2:4500"), ap("192.0.2.1:4500"), false, []byte{0xff}, false},
		{netio.Packet{Time: at, Role: netio.RoleNATT, Local: ap("192.0.2.1:4500"), Remote: ap("198.51.100.7:4500"), Payload: esp},
			capture.KindESPInUDP, ap("198.51.100.7:4500"), ap("192.0.2.1:4500"), false, esp, false},
		{netio.Packet{Time: at, Local: ap("[2001:db8::1]:500"), Remote: ap("[2001:db8::2]:500"), Payload: msgs[0]},
			capture.KindIKE, ap("[2001:db8::2]:500"), ap("[2001:db8::1]:500"), false, msgs[0], false},
		{netio.Packet{Time: at, Out: true, Role: netio.RoleNATT, Local: ap("[2001:db8::1]:4500"), Remote: ap("[2001:db8::2]:4500"), Payload: marked},
			capture.KindIKE, ap("[2001:db8::1]:4500"), ap("[2001:db8::2]:4500"), true, msgs[2], false},
	}
}

func writePcap(t *testing.T, cases []pcapCase) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.pcap")
	p, err := createPcap(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if err := p.write(c.pk); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPcapWriter(t *testing.T) {
	cases := pcapCases(t)
	path := writePcap(t, cases)
	ds, err := capture.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(cases) {
		t.Fatalf("%d packets read back, want %d", len(ds), len(cases))
	}
	for i, c := range cases {
		d := ds[i]
		if d.Kind != c.kind || d.Src != c.src || d.Dst != c.dst || d.NonESPMarker != c.marker || !bytes.Equal(d.Payload, c.wantPayload) {
			t.Errorf("packet %d: %v %v -> %v marker=%v %d octets; want %v %v -> %v marker=%v %d octets",
				i+1, d.Kind, d.Src, d.Dst, d.NonESPMarker, len(d.Payload), c.kind, c.src, c.dst, c.marker, len(c.wantPayload))
		}
		if !d.Time.Equal(c.pk.Time.Truncate(time.Microsecond)) {
			t.Errorf("packet %d: time %v, want %v", i+1, d.Time, c.pk.Time)
		}
	}
	checkChecksums(t, path)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("capture file mode: %v %v", fi, err)
	}
}

// checkChecksums verifies the lengths and checksums of every packet: the
// IPv4 header checksum and the UDP checksum over the pseudo-header (RFC 768,
// RFC 8200 section 8.1).
func checkChecksums(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeRaw {
		t.Errorf("link type %v, want raw IP", r.LinkType())
	}
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.CaptureLength != len(data) || ci.Length != len(data) {
			t.Errorf("packet %d: capture info %+v for %d octets", n, ci, len(data))
		}
		var pseudo []byte
		var udp []byte
		switch data[0] >> 4 {
		case 4:
			ihl := int(data[0]&0xf) * 4
			if sum(data[:ihl], 0) != 0xffff {
				t.Errorf("packet %d: bad IPv4 header checksum", n)
			}
			if int(binary.BigEndian.Uint16(data[2:])) != len(data) {
				t.Errorf("packet %d: IPv4 total length %d, packet %d", n, binary.BigEndian.Uint16(data[2:]), len(data))
			}
			udp = data[ihl:]
			pseudo = append(append([]byte{}, data[12:20]...), 0, 17, byte(len(udp)>>8), byte(len(udp)))
		case 6:
			if int(binary.BigEndian.Uint16(data[4:]))+40 != len(data) {
				t.Errorf("packet %d: IPv6 payload length %d, packet %d", n, binary.BigEndian.Uint16(data[4:]), len(data))
			}
			udp = data[40:]
			pseudo = append(append([]byte{}, data[8:40]...), 0, 0, byte(len(udp)>>8), byte(len(udp)), 0, 0, 0, 17)
		default:
			t.Fatalf("packet %d: IP version %d", n, data[0]>>4)
		}
		if int(binary.BigEndian.Uint16(udp[4:])) != len(udp) {
			t.Errorf("packet %d: UDP length %d, datagram %d", n, binary.BigEndian.Uint16(udp[4:]), len(udp))
		}
		if sum(udp, sum(pseudo, 0)) != 0xffff {
			t.Errorf("packet %d: bad UDP checksum", n)
		}
	}
}

// sum is the ones' complement sum of RFC 1071, folded.
func sum(b []byte, acc uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint32(b[len(b)-1]) << 8
	}
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return acc
}

func TestPcapWriterRefuses(t *testing.T) {
	p, err := createPcap(filepath.Join(t.TempDir(), "x.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.write(netio.Packet{Local: netip.MustParseAddrPort("192.0.2.1:500"), Remote: netip.MustParseAddrPort("[2001:db8::1]:500"), Payload: []byte{1}})
	if err == nil || !strings.HasPrefix(err.Error(), "refserver: --pcap: ") {
		t.Errorf("mixed families: %v", err)
	}
	err = p.write(netio.Packet{Local: netip.MustParseAddrPort("192.0.2.1:500"), Remote: netip.MustParseAddrPort("192.0.2.2:500"), Payload: make([]byte, 65510)})
	if err == nil {
		t.Error("an IPv4 packet over 65535 octets was written")
	}
	if _, err := createPcap(filepath.Join(t.TempDir(), "no", "such", "dir.pcap")); err == nil {
		t.Error("createPcap in a missing directory succeeded")
	}
}

// TestPcapTshark has tshark read the capture with checksum validation on:
// no packet may carry an error or a malformed mark.
func TestPcapTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("no tshark")
	}
	path := writePcap(t, pcapCases(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tshark, "-n", "-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-T", "fields", "-e", "frame.number", "-e", "_ws.expert.severity", "-e", "_ws.malformed", "-e", "udp.checksum.status", "-e", "isakmp.exchangetype")
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s%s", err, out, stderr.String())
	}
	t.Logf("tshark:\n%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pcapCases(t)) {
		t.Fatalf("tshark read %d packets:\n%s", len(lines), out)
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		for len(f) < 5 {
			f = append(f, "")
		}
		// Severity 8388608 is "error"; checksum status 1 is "good".
		if strings.Contains(f[1], "8388608") || f[2] != "" || f[3] != "1" {
			t.Errorf("tshark: %q", l)
		}
	}
}
