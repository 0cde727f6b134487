package capture

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"
)

// TestClassify checks what each bundled capture holds, by kind, against the
// counts that testdata/captures/SOURCES.md and tcpdump's own outputs give.
func TestClassify(t *testing.T) {
	tests := []struct {
		file  string
		kinds map[Kind]int
	}{
		{"tcpdump/02-sunrise-sunset-esp.pcap", map[Kind]int{KindESP: 8}},
		{"tcpdump/08-sunrise-sunset-aes.pcap", map[Kind]int{KindESP: 8}},
		{"tcpdump/08-sunrise-sunset-esp2.pcap", map[Kind]int{KindESP: 8}},
		{"tcpdump/espudp1.pcap", map[Kind]int{KindESPInUDP: 8}},
		{"tcpdump/ikev2four.pcap", map[Kind]int{KindIKE: 21}},
		{"tcpdump/ikev2pI2.pcap", map[Kind]int{KindIKE: 2}},
		{"tcpdump/ikev2-id-normal.pcap", map[Kind]int{KindIKE: 1}},
		{"wireshark/ikev2-decrypt-aes256cbc.pcapng", map[Kind]int{KindIKE: 4}},
		{"wireshark/ikev2-decrypt-aes256ccm16.pcapng", map[Kind]int{KindIKE: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ds, err := ReadFile(filepath.Join("..", "..", "testdata", "captures", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := map[Kind]int{}
			for i, d := range ds {
				got[d.Kind]++
				if d.Frame != i+1 {
					t.Errorf("datagram %d has frame %d", i, d.Frame)
				}
			}
			if len(got) != len(tt.kinds) {
				t.Errorf("kinds %v, want %v", got, tt.kinds)
			}
			for k, n := range tt.kinds {
				if got[k] != n {
					t.Errorf("%v: %d datagrams, want %d", k, got[k], n)
				}
			}
		})
	}
}

// TestCBCCaptureEndpoints pins the addresses and ports of the Wireshark
// capture (frame 1 goes from the initiator 192.168.1.2 to 192.168.1.14).
func TestCBCCaptureEndpoints(t *testing.T) {
	ds, err := ReadFile("../../testdata/captures/wireshark/ikev2-decrypt-aes256cbc.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	want := [2]netip.AddrPort{netip.MustParseAddrPort("192.168.1.2:500"), netip.MustParseAddrPort("192.168.1.14:500")}
	if ds[0].Src != want[0] || ds[0].Dst != want[1] || ds[1].Src != want[1] || ds[1].Dst != want[0] {
		t.Errorf("frames 1 and 2: %v -> %v, %v -> %v", ds[0].Src, ds[0].Dst, ds[1].Src, ds[1].Dst)
	}
	// The IKE message starts right after the UDP header: SPIi first.
	if !bytes.HasPrefix(ds[0].Payload, []byte{0x19, 0x1c, 0xcd, 0x37, 0x1a, 0x7a, 0x1f, 0x7b}) {
		t.Errorf("frame 1 payload starts %x", ds[0].Payload[:8])
	}
}

// TestNonESPMarker checks the port-4500 rules of RFC 3948 section 2: four
// zero octets mark IKE, a single 0xFF is a keepalive, anything else is ESP.
func TestNonESPMarker(t *testing.T) {
	udp := func(payload []byte) []byte {
		n := 8 + len(payload)
		b := []byte{0x11, 0x94, 0x11, 0x94, byte(n >> 8), byte(n), 0, 0}
		return append(b, payload...)
	}
	ip := func(udp []byte) []byte {
		n := 20 + len(udp)
		h := []byte{0x45, 0, byte(n >> 8), byte(n), 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
		return append(h, udp...)
	}
	tests := []struct {
		payload []byte
		kind    Kind
		marker  bool
		rest    int
	}{
		{append([]byte{0, 0, 0, 0}, make([]byte, 28)...), KindIKE, true, 28},
		{[]byte{0xff}, KindKeepalive, false, 1},
		{[]byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1}, KindESPInUDP, false, 8},
	}
	for _, tt := range tests {
		d, ok := classify(ip(udp(tt.payload)), 12 /* LinkTypeRaw */, nil)
		if !ok || d.Kind != tt.kind || d.NonESPMarker != tt.marker || len(d.Payload) != tt.rest {
			t.Errorf("%x: kind %v marker %v len %d, want %v %v %d", tt.payload, d.Kind, d.NonESPMarker, len(d.Payload), tt.kind, tt.marker, tt.rest)
		}
	}
}
