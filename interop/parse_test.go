package interop

import (
	"strings"
	"testing"
)

// These tests need neither root nor daemons: they run in every `make test`.

// charonListSAs is `swanctl --list-sas --pretty` of charon 5.9.8 (Debian
// 12), the initiator of a PSK tunnel through kernel-libipsec.
const charonListSAs = `list-sa event {
  lab {
    uniqueid = 1
    version = 2
    state = ESTABLISHED
    local-host = 192.0.2.1
    local-port = 4500
    local-id = left@lab.example
    remote-host = 192.0.2.2
    remote-port = 4500
    remote-id = right@lab.example
    initiator = yes
    initiator-spi = aed4775dec915190
    responder-spi = 14b609f7ef8e101b
    nat-remote = yes
    nat-any = yes
    encr-alg = AES_CBC
    encr-keysize = 256
    integ-alg = HMAC_SHA2_256_128
    prf-alg = PRF_HMAC_SHA2_256
    dh-group = ECP_256
    established = 2
    rekey-time = 14121
    child-sas {
      net-1 {
        name = net
        uniqueid = 1
        reqid = 1
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        spi-in = 5e1e5d8c
        spi-out = 8fd6a69c
        encr-alg = AES_CBC
        encr-keysize = 256
        integ-alg = HMAC_SHA2_256_128
        bytes-in = 84
        packets-in = 1
        bytes-out = 0
        packets-out = 0
        rekey-time = 3320
        life-time = 3958
        install-time = 2
        local-ts = [
          198.51.100.1/32
        ]
        remote-ts = [
          198.51.100.2/32
        ]
      }
    }
  }
}
list-sas reply {
}
`

// refserverListSAs is `refserver ctl list-sas --json` (cmd/refserver's
// saJSON) for the other end of the same SA.
const refserverListSAs = `[{"name":"lab","unique_id":1,"state":"ESTABLISHED","initiator":false,
 "spi_i":"aed4775dec915190","spi_r":"14b609f7ef8e101b","local_host":"192.0.2.2","local_port":4500,
 "remote_host":"192.0.2.1","remote_port":4500,"local_id":"right@lab.example","remote_id":"left@lab.example",
 "encr":"AES_CBC-256","integ":"HMAC_SHA2_256_128","prf":"PRF_HMAC_SHA2_256","ke":"ECP_256",
 "nat_local":true,"nat_remote":true,"established":"2026-11-27T03:30:15Z",
 "children":[{"name":"net","unique_id":2,"state":"INSTALLED","mode":"TUNNEL","protocol":"ESP","udp_encap":true,
  "spi_in":"8fd6a69c","spi_out":"5e1e5d8c","encr":"AES_CBC-256","integ":"HMAC_SHA2_256_128","esn":false,
  "local_ts":["198.51.100.2/32"],"remote_ts":["198.51.100.1/32"]}]}]`

var wantAES256 = Want{Encr: "AES_CBC-256", Integ: "HMAC_SHA2_256_128", PRF: "PRF_HMAC_SHA2_256", KE: "ECP_256",
	ChildEncr: "AES_CBC-256", ChildInteg: "HMAC_SHA2_256_128"}

func TestParseListSAs(t *testing.T) {
	sas, err := ParseListSAs(charonListSAs)
	if err != nil {
		t.Fatal(err)
	}
	if len(sas) != 1 {
		t.Fatalf("%d SAs, want 1", len(sas))
	}
	s := sas[0]
	for _, c := range []struct{ name, got, want string }{
		{"name", s.Name, "lab"}, {"state", s.State, "ESTABLISHED"},
		{"spi_i", s.SPIi, "aed4775dec915190"}, {"spi_r", s.SPIr, "14b609f7ef8e101b"},
		{"local", s.Local, "192.0.2.1:4500"}, {"remote", s.Remote, "192.0.2.2:4500"},
		{"local id", s.LocalID, "left@lab.example"}, {"remote id", s.RemoteID, "right@lab.example"},
		{"encr", s.Encr, "AES_CBC-256"}, {"integ", s.Integ, "HMAC_SHA2_256_128"},
		{"prf", s.PRF, "PRF_HMAC_SHA2_256"}, {"ke", s.KE, "ECP_256"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !s.Initiator {
		t.Error("initiator = false")
	}
	if len(s.Children) != 1 {
		t.Fatalf("%d children, want 1", len(s.Children))
	}
	c := s.Children[0]
	if c.Name != "net" || c.State != "INSTALLED" || c.Mode != "TUNNEL" || c.Protocol != "ESP" || !c.UDPEncap ||
		c.SPIIn != "5e1e5d8c" || c.SPIOut != "8fd6a69c" || c.Encr != "AES_CBC-256" || c.Integ != "HMAC_SHA2_256_128" ||
		c.BytesIn != 84 || c.PacketsIn != 1 ||
		len(c.LocalTS) != 1 || c.LocalTS[0] != "198.51.100.1/32" || len(c.RemoteTS) != 1 || c.RemoteTS[0] != "198.51.100.2/32" {
		t.Errorf("child = %+v", c)
	}
}

func TestParseListSAsEmptyAndBroken(t *testing.T) {
	sas, err := ParseListSAs("list-sas reply {\n}\n")
	if err != nil || len(sas) != 0 {
		t.Errorf("empty listing: %v, %v", sas, err)
	}
	for _, bad := range []string{"list-sa event {\n  lab {\n", "}\n", "list-sa event {\n  lab {\n    what\n  }\n}\n"} {
		if _, err := ParseListSAs(bad); err == nil {
			t.Errorf("ParseListSAs(%q) = nil error", bad)
		}
	}
}

func TestParseRefserverSAs(t *testing.T) {
	sas, err := ParseRefserverSAs([]byte(refserverListSAs))
	if err != nil {
		t.Fatal(err)
	}
	if len(sas) != 1 || sas[0].Local != "192.0.2.2:4500" || sas[0].Initiator || len(sas[0].Children) != 1 ||
		!sas[0].Children[0].UDPEncap || sas[0].Children[0].SPIIn != "8fd6a69c" {
		t.Errorf("got %v", sas)
	}
	if _, err := ParseRefserverSAs([]byte("refserver: not JSON")); err == nil {
		t.Error("no error for a non-JSON answer")
	}
	if sas, err := ParseRefserverSAs([]byte("[]")); err != nil || len(sas) != 0 {
		t.Errorf("[]: %v, %v", sas, err)
	}
}

func TestCompareEnds(t *testing.T) {
	ch, _ := ParseListSAs(charonListSAs)
	rs, _ := ParseRefserverSAs([]byte(refserverListSAs))
	if d := CompareEnds("charon", ch[0], "refserver", rs[0], wantAES256); d != nil {
		t.Fatalf("matching ends differ:\n%s", strings.Join(d, "\n"))
	}
	mutations := []struct {
		name string
		mut  func(r *IKESA)
		want string
	}{
		{"spi", func(r *IKESA) { r.SPIr = "0000000000000001" }, "IKE SPIs differ"},
		{"state", func(r *IKESA) { r.State = "CONNECTING" }, "want ESTABLISHED"},
		{"role", func(r *IKESA) { r.Initiator = true }, "both ends say initiator"},
		{"encr", func(r *IKESA) { r.Encr = "AES_CBC-128" }, "IKE encryption differs"},
		{"ke", func(r *IKESA) { r.KE = "MODP_2048" }, "IKE key exchange differs"},
		{"child spi", func(r *IKESA) { r.Children[0].SPIOut = "deadbeef" }, "Child SA SPIs do not pair"},
		{"child spis swapped", func(r *IKESA) {
			r.Children[0].SPIIn, r.Children[0].SPIOut = r.Children[0].SPIOut, r.Children[0].SPIIn
		}, "Child SA SPIs do not pair"},
		{"no encap", func(r *IKESA) { r.Children[0].UDPEncap = false }, "not UDP-encapsulated"},
		{"transport", func(r *IKESA) { r.Children[0].Mode = "TRANSPORT" }, "want TUNNEL"},
		{"esp integ", func(r *IKESA) { r.Children[0].Integ = "HMAC_SHA1_96" }, "ESP integrity differs"},
		{"ts", func(r *IKESA) { r.Children[0].RemoteTS = []string{"198.51.100.0/24"} }, "traffic selectors do not mirror"},
		{"no child", func(r *IKESA) { r.Children = nil }, "want one Child SA"},
		{"id", func(r *IKESA) { r.RemoteID = "someone@lab.example" }, "remote id"},
	}
	for _, m := range mutations {
		r, _ := ParseRefserverSAs([]byte(refserverListSAs))
		m.mut(&r[0])
		d := CompareEnds("charon", ch[0], "refserver", r[0], wantAES256)
		if !strings.Contains(strings.Join(d, "\n"), m.want) {
			t.Errorf("%s: differences %q, want one containing %q", m.name, d, m.want)
		}
	}
	// The wanted algorithms are checked even when both ends agree.
	w := wantAES256
	w.KE = "CURVE_25519"
	if d := CompareEnds("charon", ch[0], "refserver", rs[0], w); d == nil {
		t.Error("a KE other than the wanted one passed")
	}
}

func TestSameAlg(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"CURVE_25519", "X25519", true},
		{"CURVE_25519", "curve25519", true},
		{"AES_GCM_16-128", "AES_GCM_16_128", true},
		{"", "NONE", true},
		{"ECP_256", "ECP_384", false},
		{"AES_CBC-128", "AES_CBC-256", false},
	} {
		if got := SameAlg(c.a, c.b); got != c.same {
			t.Errorf("SameAlg(%q, %q) = %v", c.a, c.b, got)
		}
	}
	if canonPRF("HMAC_SHA2_256") != canonPRF("PRF_HMAC_SHA2_256") {
		t.Error("PRF without the PRF_ prefix")
	}
}

// charonKeyLog is the part of a charon `ike = 4`, `chd = 4` log that
// CharonKeys reads (keys made up).
const charonKeyLog = `03:22:49 12[IKE] Sk_ai secret => 32 bytes @ 0x7fd740039bd0
03:22:49 12[IKE]    0: 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01  ................
03:22:49 12[IKE]   16: 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01  ................
03:22:49 12[IKE] Sk_ar secret => 32 bytes @ 0x7fd740039bf0
03:22:49 12[IKE]    0: 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02  ................
03:22:49 12[IKE]   16: 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02  ................
03:22:49 12[IKE] Sk_ei secret => 32 bytes @ 0x7fd740039c10
03:22:49 12[IKE]    0: 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03  ................
03:22:49 12[IKE]   16: 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03  ................
03:22:49 12[IKE] Sk_er secret => 32 bytes @ 0x7fd740039c30
03:22:49 12[IKE]    0: 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04  ................
03:22:49 12[IKE]   16: 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04  ................
03:22:49 09[CHD]   using AES_CBC for encryption
03:22:49 09[CHD]   using HMAC_SHA2_256_128 for integrity
03:22:49 09[CHD] encryption initiator key => 32 bytes @ 0x7fd740037790
03:22:49 09[CHD]    0: 05 05 05 05 05 05 05 05 05 05 05 05 05 05 05 05  ................
03:22:49 09[CHD]   16: 05 05 05 05 05 05 05 05 05 05 05 05 05 05 05 05  ................
03:22:49 09[CHD] encryption responder key => 32 bytes @ 0x7fd740037b30
03:22:49 09[CHD]    0: 06 06 06 06 06 06 06 06 06 06 06 06 06 06 06 06  ................
03:22:49 09[CHD]   16: 06 06 06 06 06 06 06 06 06 06 06 06 06 06 06 06  ................
03:22:49 09[CHD] integrity initiator key => 32 bytes @ 0x7fd74003b600
03:22:49 09[CHD]    0: 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07  ................
03:22:49 09[CHD]   16: 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07  ................
03:22:49 09[CHD] integrity responder key => 32 bytes @ 0x7fd74003b620
03:22:49 09[CHD]    0: 08 08 08 08 08 08 08 08 08 08 08 08 08 08 08 08  ................
03:22:49 09[CHD]   16: 08 08 08 08 08 08 08 08 08 08 08 08 08 08 08 08  ................
03:22:49 09[CHD] adding inbound ESP SA
03:22:49 09[CHD]   SPI 0x5e1e5d8c, src 192.0.2.2 dst 192.0.2.1
03:22:49 09[CHD] adding outbound ESP SA
03:22:49 09[CHD]   SPI 0x8fd6a69c, src 192.0.2.1 dst 192.0.2.2
`

func TestCharonKeys(t *testing.T) {
	sas, _ := ParseListSAs(charonListSAs)
	ike, esp, err := CharonKeys(charonKeyLog, sas[0])
	if err != nil {
		t.Fatal(err)
	}
	r := ike.Rows[0]
	if r.SPIi != 0xaed4775dec915190 || r.SPIr != 0x14b609f7ef8e101b || r.EncrKeyBits != 256 ||
		r.SKei[0] != 3 || r.SKer[0] != 4 || r.SKai[0] != 1 || r.SKar[0] != 2 || len(r.SKei) != 32 {
		t.Errorf("IKE row %s, SK_ei %x", &r, r.SKei)
	}
	if len(esp.Rows) != 2 {
		t.Fatalf("%d ESP rows, want 2", len(esp.Rows))
	}
	// This end initiated: its outbound SA (to the responder) uses the
	// initiator's keys, its inbound SA the responder's.
	in, out := esp.Rows[0], esp.Rows[1]
	if in.SPI != 0x5e1e5d8c || in.EncrKey[0] != 6 || in.IntegKey[0] != 8 || in.Src.Addr().String() != "192.0.2.2" {
		t.Errorf("inbound row %s, keys %x %x", &in, in.EncrKey[:1], in.IntegKey[:1])
	}
	if out.SPI != 0x8fd6a69c || out.EncrKey[0] != 5 || out.IntegKey[0] != 7 {
		t.Errorf("outbound row %s, keys %x %x", &out, out.EncrKey[:1], out.IntegKey[:1])
	}
	var b strings.Builder
	if _, err := ike.WriteTo(&b); err != nil || !strings.Contains(b.String(), `"AES-CBC-256 [RFC3602]"`) {
		t.Errorf("ikev2_decryption_table: %v\n%s", err, b.String())
	}
	if _, _, err := CharonKeys("no keys here", sas[0]); err == nil {
		t.Error("no error for a log without keys")
	}
}

func TestConfigs(t *testing.T) {
	c := Conn{LocalAddr: "192.0.2.1", RemoteAddr: "192.0.2.2", LocalID: "left@lab.example", RemoteID: "right@lab.example",
		Proposals: "aes256-sha256-ecp256", ESPProposals: "aes256-sha256", DPDDelay: "5s",
		LocalTS: "198.51.100.1/32", RemoteTS: "198.51.100.2/32", PSK: "k"}
	conf := c.SwanctlConf()
	for _, want := range []string{"  lab {\n", "    dpd_delay = 5s\n", "      auth = psk\n", "      id = left@lab.example\n",
		"    net {\n", "        esp_proposals = aes256-sha256\n", "  ike-lab {\n", "    secret = \"k\"\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("swanctl.conf lacks %q:\n%s", want, conf)
		}
	}
	if strings.Count(conf, "{") != strings.Count(conf, "}") {
		t.Errorf("unbalanced braces:\n%s", conf)
	}
	s := CharonOptions{Dir: "/x", RetransmitTimeout: 1, RetransmitBase: 1.4, RetransmitTries: 2, LogKeys: true}.StrongswanConf()
	for _, want := range []string{"retransmit_timeout = 1\n", "retransmit_base = 1.4\n", "retransmit_tries = 2\n",
		"ike = 4\n", "path = /x/charon.log\n", "socket = unix:///x/charon.vici\n", "time_format = %T\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("strongswan.conf lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(CharonPlugins, "kernel-libipsec") > strings.Index(CharonPlugins, "kernel-netlink") {
		t.Error("kernel-libipsec must come before kernel-netlink")
	}
}
