package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

var est = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func sampleSA() ike.SAInfo {
	return ike.SAInfo{
		Name: "lab", UniqueID: 3, State: "ESTABLISHED", Initiator: false,
		SPIi: 0x1a2b3c4d5e6f7a8b, SPIr: 0x0102030405060708,
		Local: netip.MustParseAddrPort("192.0.2.1:4500"), Remote: netip.MustParseAddrPort("192.0.2.2:4500"),
		LocalID: "right@lab.example", RemoteID: "left@lab.example",
		Encr: "AES_CBC-256", Integ: "HMAC_SHA2_256_128", PRF: "PRF_HMAC_SHA2_256", KE: "ECP_256",
		NATRemote: true, Established: est,
		Children: []ike.ChildInfo{{
			Name: "net", UniqueID: 4, State: "INSTALLED", Mode: ike.Tunnel, Protocol: "ESP", UDPEncap: true,
			SPIIn: 0xc6a5e4f3, SPIOut: 0x0bd06d2e, Encr: "AES_CBC-256", Integ: "HMAC_SHA2_256_128",
			LocalTS: []string{"198.51.100.2/32"}, RemoteTS: []string{"198.51.100.1/32"}, Established: est,
		}},
	}
}

func TestSAsJSON(t *testing.T) {
	b, err := json.Marshal(sasJSON([]ike.SAInfo{sampleSA(), {Name: "half", UniqueID: 5, State: "INIT_DONE"}}))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	sa := got[0]
	for k, want := range map[string]any{
		"name": "lab", "unique_id": 3.0, "state": "ESTABLISHED", "initiator": false,
		"spi_i": "1a2b3c4d5e6f7a8b", "spi_r": "0102030405060708",
		"local_host": "192.0.2.1", "local_port": 4500.0, "remote_host": "192.0.2.2", "remote_port": 4500.0,
		"local_id": "right@lab.example", "remote_id": "left@lab.example",
		"encr": "AES_CBC-256", "integ": "HMAC_SHA2_256_128", "prf": "PRF_HMAC_SHA2_256", "ke": "ECP_256",
		"nat_local": false, "nat_remote": true, "established": "2026-03-04T05:06:07Z",
	} {
		if sa[k] != want {
			t.Errorf("%s = %#v, want %#v", k, sa[k], want)
		}
	}
	child := sa["children"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{
		"name": "net", "unique_id": 4.0, "state": "INSTALLED", "mode": "TUNNEL", "protocol": "ESP",
		"udp_encap": true, "spi_in": "c6a5e4f3", "spi_out": "0bd06d2e", "encr": "AES_CBC-256",
		"integ": "HMAC_SHA2_256_128", "esn": false, "established": "2026-03-04T05:06:07Z",
	} {
		if child[k] != want {
			t.Errorf("child %s = %#v, want %#v", k, child[k], want)
		}
	}
	if ts := child["local_ts"].([]any); len(ts) != 1 || ts[0] != "198.51.100.2/32" {
		t.Errorf("local_ts %v", ts)
	}
	// A half-open SA: zero SPIs are still 16 digits, no times, an empty
	// (not null) list of children.
	half := got[1]
	if half["spi_r"] != "0000000000000000" || half["established"] != nil || half["children"] == nil {
		t.Errorf("half-open SA %v", half)
	}
}

func TestWriteSAs(t *testing.T) {
	var b bytes.Buffer
	sa := sampleSA()
	init := sampleSA()
	init.Initiator, init.Name, init.UniqueID, init.Children = true, "other", 9, nil
	init.Integ, init.Encr = "", "AES_GCM_16-256"
	writeSAs(&b, sasJSON([]ike.SAInfo{sa, init}), est.Add(5*time.Second))
	want := `lab: #3, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7a8b_i 0102030405060708_r*
  local  'right@lab.example' @ 192.0.2.1[4500]
  remote 'left@lab.example' @ 192.0.2.2[4500]
  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256
  established 5s ago
  net: #4, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-256/HMAC_SHA2_256_128
    installed 5s ago
    in  c6a5e4f3
    out 0bd06d2e
    local  198.51.100.2/32
    remote 198.51.100.1/32
other: #9, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7a8b_i* 0102030405060708_r
  local  'right@lab.example' @ 192.0.2.1[4500]
  remote 'left@lab.example' @ 192.0.2.2[4500]
  AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256
  established 5s ago
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestProposalKeywords(t *testing.T) {
	aes := func(bits uint16) ike.EncrAlg { return ike.EncrAlg{ID: wire.ENCR_AES_CBC, KeyBits: bits} }
	for _, tc := range []struct {
		p    ike.Proposal
		want string
	}{
		{ike.Proposal{Encr: []ike.EncrAlg{aes(256)}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, KE: []wire.KEID{wire.ECP_256}}, "aes256-sha256-ecp256"},
		{ike.Proposal{Encr: []ike.EncrAlg{aes(256), aes(128)}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256, wire.PRF_HMAC_SHA1},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128, wire.AUTH_HMAC_SHA1_96}, KE: []wire.KEID{wire.MODP_2048}},
			"aes256-aes128-sha256-sha1-modp2048"},
		{ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256},
			KE: []wire.KEID{wire.CURVE25519}}, "aes128gcm16-prfsha256-curve25519"},
		{ike.Proposal{Encr: []ike.EncrAlg{aes(128)}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_384},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}, KE: []wire.KEID{wire.MODP_2048_S256}}, "aes128-sha256-prfsha384-modp2048s256"},
		{ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_CHACHA20_POLY1305}}, ESN: []wire.ESNID{wire.ESN, wire.NoESN}},
			"chacha20poly1305-esn-noesn"},
		{ike.Proposal{Encr: []ike.EncrAlg{aes(256)}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_512_256}}, "aes256-sha512"},
	} {
		if got := proposalKeywords(tc.p); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if got := proposalsKeywords(nil); got != "default" {
		t.Errorf("no proposals: %q", got)
	}
}

func TestTSString(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		ts   ike.TrafficSelector
		want string
	}{
		{ike.TrafficSelector{Dynamic: true}, "dynamic"},
		{ike.TrafficSelector{Start: a("10.0.0.0"), End: a("10.0.0.255")}, "10.0.0.0/24"},
		{ike.TrafficSelector{Start: a("10.0.0.1"), End: a("10.0.0.1")}, "10.0.0.1/32"},
		{ike.TrafficSelector{Start: a("10.0.0.1"), End: a("10.0.0.9")}, "10.0.0.1-10.0.0.9"},
		{ike.TrafficSelector{Start: a("0.0.0.0"), End: a("255.255.255.255"), Protocol: 6, StartPort: 80, EndPort: 80}, "0.0.0.0/0[tcp/80]"},
		{ike.TrafficSelector{Start: a("2001:db8::"), End: a("2001:db8::ffff"), Protocol: 17, StartPort: 0, EndPort: 65535}, "2001:db8::/112[udp]"},
		{ike.TrafficSelector{Start: a("10.0.0.0"), End: a("10.0.0.255"), StartPort: 1000, EndPort: 2000}, "10.0.0.0/24[%any/1000-2000]"},
		{ike.TrafficSelector{Dynamic: true, Protocol: 50}, "dynamic[50]"},
	} {
		if got := tsString(tc.ts); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestSecretString(t *testing.T) {
	for in, want := range map[string]string{
		"ikev2ref-test-psk": `"ikev2ref-test-psk"`,
		"a\"b":              "0x612262",
		"\x00\x01":          "0x0001",
	} {
		if got := secretString([]byte(in)); got != want {
			t.Errorf("secretString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBannerIdentities(t *testing.T) {
	id := func(s string) ike.Identity {
		i, err := ike.ParseIdentity(s)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	c := &ike.Connection{Name: "x", Local: ike.AuthConfig{Auth: ike.AuthPSK, ID: id("server.example")}}
	cfg := &ike.Config{Connections: []*ike.Connection{c},
		Secrets: []ike.Secret{{IDs: []ike.Identity{id("server.example"), id("client@example.org")}, Key: []byte("k")}}}
	if got := peerIdentity(cfg, c); got.String() != "client@example.org" {
		t.Errorf("peer identity from the secret: %v", got)
	}
	c.Remote.ID = id("peer.example")
	if got := peerIdentity(cfg, c); got.String() != "peer.example" {
		t.Errorf("peer identity from the connection: %v", got)
	}
	if s, ok := secretFor(cfg, id("server.example")); !ok || string(s.Key) != "k" {
		t.Errorf("secretFor: %v %v", s, ok)
	}
	if _, ok := secretFor(cfg, id("nobody.example")); ok {
		t.Error("secretFor found a secret for an unknown identity")
	}
}

// TestActRecordsDowns checks the bounded record of IKE SA failures that
// ctl initiate reports from.
func TestActRecordsDowns(t *testing.T) {
	s := &server{log: hclog.NewNullLogger(), downs: map[uint64]downRecord{}}
	var acts []ike.Action
	for i := range maxDowns + 10 {
		acts = append(acts, ike.IKEDown{IKE: ike.SAInfo{Name: "c", UniqueID: uint64(i + 1)}, Reason: "timeout"})
	}
	acts = append(acts, ike.ChildDown{IKE: sampleSA(), Child: sampleSA().Children[0]})
	s.act(acts)
	if len(s.downs) != maxDowns || len(s.downOrder) != maxDowns {
		t.Fatalf("%d records, %d in order; want %d", len(s.downs), len(s.downOrder), maxDowns)
	}
	if _, ok := s.downs[1]; ok {
		t.Error("the oldest record was kept")
	}
	if r := s.downs[maxDowns+10]; r.name != "c" || r.reason != "timeout" {
		t.Errorf("newest record %+v", r)
	}
	if !slices.IsSorted(s.downOrder) {
		t.Error("records out of order")
	}
}

func TestWriteSummary(t *testing.T) {
	cfg, _ := swanctl.Default()
	var b bytes.Buffer
	writeSummary(&b, cfg)
	out := b.String()
	for _, c := range cfg.Connections {
		if !strings.Contains(out, c.Name+": ") {
			t.Errorf("summary lacks connection %s:\n%s", c.Name, out)
		}
	}
	for _, s := range cfg.Secrets {
		if strings.Contains(out, string(s.Key)) {
			t.Errorf("summary shows a secret:\n%s", out)
		}
	}
}

// TestWriteSummaryEAP: --check-config names the EAP methods, eap_id and
// the identities of the EAP secrets, never a password.
func TestWriteSummaryEAP(t *testing.T) {
	cfg := &ike.Config{
		Connections: []*ike.Connection{{Name: "eap",
			Local:  ike.AuthConfig{Auth: ike.AuthEAPMSCHAPv2, EAPID: "carol"},
			Remote: ike.AuthConfig{Auth: ike.AuthPubkey}}},
		EAPSecrets: []ike.EAPSecret{{IDs: []string{"carol"}, Secret: []byte("Secret#1")}, {Secret: []byte("Other#2")}},
	}
	var b bytes.Buffer
	writeSummary(&b, cfg)
	out := b.String()
	for _, want := range []string{"2 EAP secret(s)", "local:  eap-mschapv2, id %any, eap_id carol",
		"EAP secret 1: password for EAP identity carol", "EAP secret 2: password for EAP identity %any"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Secret#1") || strings.Contains(out, "Other#2") {
		t.Errorf("summary shows a password:\n%s", out)
	}
}

func TestIKEScanGroup(t *testing.T) {
	cbc := []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}}
	for _, tc := range []struct {
		p    ike.Proposal
		want wire.KEID
		ok   bool
	}{
		{ike.Proposal{Encr: cbc, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96},
			KE: []wire.KEID{wire.ECP_256, wire.MODP_2048}}, wire.MODP_2048, true},
		{ike.Proposal{Encr: cbc, PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
			KE: []wire.KEID{wire.MODP_2048}}, 0, false},
		{ike.Proposal{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 192}}, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96}, KE: []wire.KEID{wire.MODP_2048}}, 0, false},
		{ike.Proposal{Encr: cbc, PRF: []wire.PRFID{wire.PRF_HMAC_SHA1}, Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96},
			KE: []wire.KEID{wire.CURVE25519}}, 0, false},
	} {
		g, ok := ikeScanGroup([]ike.Proposal{tc.p})
		if g != tc.want || ok != tc.ok {
			t.Errorf("%s: got %v %v, want %v %v", proposalKeywords(tc.p), g, ok, tc.want, tc.ok)
		}
	}
}

// TestWriteSAsCounters: with the data plane's counters, the in and out
// lines read as swanctl's, and drops get a line of their own.
func TestWriteSAsCounters(t *testing.T) {
	sa := sampleSA()
	lookup := func(spi uint32) (dataplane.ChildStats, bool) {
		if spi != sa.Children[0].SPIIn {
			return dataplane.ChildStats{}, false
		}
		return dataplane.ChildStats{UDPEncap: false, BytesIn: 252, PacketsIn: 3, BytesOut: 168, PacketsOut: 2, ReplayDrops: 1}, true
	}
	js := sasJSONWith([]ike.SAInfo{sa}, lookup)
	var b bytes.Buffer
	writeSAs(&b, js, est.Add(5*time.Second))
	containsAll(t, "list-sas", b.String(),
		"  net: #4, INSTALLED, TUNNEL, ESP:AES_CBC-256/HMAC_SHA2_256_128\n",
		"    in  c6a5e4f3,    252 bytes,     3 packets\n",
		"    out 0bd06d2e,    168 bytes,     2 packets\n",
		"    dropped: 1 replayed, 0 ICV failures, 0 outside the selectors,")
	raw, _ := json.Marshal(js)
	containsAll(t, "JSON", string(raw), `"dataplane":true`, `"bytes_in":252`, `"packets_in":3`, `"bytes_out":168`,
		`"packets_out":2`, `"replay_drops":1`, `"icv_failures":0`, `"selector_drops":0`, `"udp_encap":false`)
}

// TestWriteSAsStates: list-sas shows every Child SA state as the engine
// reports it (a rekey leaves REKEYED and DELETING pairs beside the
// INSTALLED one), with the data plane's hold and expiry.
func TestWriteSAsStates(t *testing.T) {
	sa := sampleSA()
	c := sa.Children[0]
	rekeyed, deleting, fresh := c, c, c
	rekeyed.State = "REKEYED"
	deleting.State, deleting.UniqueID, deleting.SPIIn = "DELETING", 5, 0xc6a5e4f5
	fresh.UniqueID, fresh.SPIIn = 6, 0xc6a5e4f6
	sa.Children = []ike.ChildInfo{rekeyed, deleting, fresh}
	lookup := func(spi uint32) (dataplane.ChildStats, bool) {
		switch spi {
		case fresh.SPIIn:
			return dataplane.ChildStats{OutboundHeld: true}, true
		case rekeyed.SPIIn:
			return dataplane.ChildStats{Expired: 2}, true
		}
		return dataplane.ChildStats{}, false
	}
	js := sasJSONWith([]ike.SAInfo{sa}, lookup)
	var b bytes.Buffer
	writeSAs(&b, js, est.Add(5*time.Second))
	containsAll(t, "list-sas", b.String(),
		"  net: #4, REKEYED, TUNNEL, ESP:",
		"  net: #5, DELETING, TUNNEL-in-UDP, ESP:",
		"  net: #6, INSTALLED, TUNNEL, ESP:",
		"    out 0bd06d2e,      0 bytes,     0 packets (held back: the older pair sends)\n",
		", 2 past the hard volume limit\n")
	raw, _ := json.Marshal(js)
	containsAll(t, "JSON", string(raw), `"state":"REKEYED"`, `"state":"DELETING"`, `"outbound_held":true`, `"expired":2`)
}

// containsAll checks that text (what it is: what) holds every one of wants.
func containsAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

// TestSummaryLifetimes: --check-config and the banner show the lifetimes,
// defaults included.
func TestSummaryLifetimes(t *testing.T) {
	cfg, err := swanctl.Parse("lab.conf", []byte(`connections {
  lab {
    rekey_time = 2h
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      net {
        rekey_bytes = 1g
        life_packets = 1100
      }
      off {
        rekey_time = 0
      }
    }
  }
  never {
    rekey_time = 0
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeSummary(&b, cfg)
	containsAll(t, "summary", b.String(),
		"  IKE SA: rekey_time 2h, over_time 12m, rand_time 12m\n",
		"    CHILD_SA: rekey_time 1h, life_time 66m, rand_time 6m, rekey_bytes 1073741824, life_bytes 1181116006, rekey_packets 1000, life_packets 1100\n",
		"    CHILD_SA: no time limit (rekey_time 0)\n",
		"  IKE SA: not rekeyed (rekey_time 0)\n")
	def, _ := swanctl.Default()
	if got := ikeLifetime(def.Connections[0]); got != "rekey_time 4h, over_time 24m, rand_time 24m" {
		t.Errorf("default IKE SA lifetime %q", got)
	}
}
