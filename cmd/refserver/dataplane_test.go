package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// labConf is a PSK connection "lab" with one child "net" as swanctl.conf.
type labConf struct {
	local, remote     string // IKE addresses
	remotePort        uint16 // 0: 500
	localID, remoteID string
	mode              string // tunnel or transport
	localTS, remoteTS string
}

const labPSK = "ikev2ref-dataplane-test-psk-0123456789"

func (c labConf) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connections {\n  lab {\n    version = 2\n    local_addrs = %s\n    remote_addrs = %s\n", c.local, c.remote)
	if c.remotePort != 0 {
		fmt.Fprintf(&b, "    remote_port = %d\n", c.remotePort)
	}
	fmt.Fprintf(&b, "    proposals = aes256-sha256-ecp256\n")
	fmt.Fprintf(&b, "    local {\n      auth = psk\n      id = %s\n    }\n", c.localID)
	fmt.Fprintf(&b, "    remote {\n      auth = psk\n      id = %s\n    }\n", c.remoteID)
	fmt.Fprintf(&b, "    children {\n      net {\n        mode = %s\n        local_ts = %s\n        remote_ts = %s\n        esp_proposals = aes256-sha256\n      }\n    }\n",
		c.mode, c.localTS, c.remoteTS)
	fmt.Fprintf(&b, "  }\n}\nsecrets {\n  ike-lab {\n    id-1 = %s\n    id-2 = %s\n    secret = %q\n  }\n}\n", c.localID, c.remoteID, labPSK)
	return b.String()
}

// mirror is the other end's connection.
func (c labConf) mirror() labConf {
	return labConf{local: c.remote, remote: c.local, localID: c.remoteID, remoteID: c.localID, mode: c.mode,
		localTS: c.remoteTS, remoteTS: c.localTS}
}

func listSAs(t *testing.T, ctl string) []saJSON {
	t.Helper()
	out, errOut, code := runCtlT(t, ctl, "list-sas", "--json")
	if code != 0 {
		t.Fatalf("list-sas: exit %d: %s", code, errOut)
	}
	var sas []saJSON
	if err := json.Unmarshal([]byte(out), &sas); err != nil {
		t.Fatalf("list-sas --json %q: %v", out, err)
	}
	return sas
}

func statsOf(t *testing.T, ctl string) statsJSON {
	t.Helper()
	out, errOut, code := runCtlT(t, ctl, "stats", "--json")
	if code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	var st statsJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json %q: %v", out, err)
	}
	return st
}

// oneChild returns the only Child SA of the only IKE SA.
func oneChild(t *testing.T, who string, sas []saJSON) childJSON {
	t.Helper()
	if len(sas) != 1 || len(sas[0].Children) != 1 {
		t.Fatalf("%s: want one IKE SA with one Child SA, got %+v", who, sas)
	}
	return sas[0].Children[0]
}

// startTransportPair starts two in-process servers with connection lab
// (child net, transport mode, ESP forced into UDP: no privileges needed):
// the responder on 127.0.0.1, the initiator on 127.0.0.2.
func startTransportPair(t *testing.T) (init, resp *testServer) {
	t.Helper()
	dir := t.TempDir()
	// Both servers use one NAT-T port number (on two addresses): forced
	// encapsulation sends to the server's own NAT-T port number.
	conf := labConf{local: "127.0.0.2", remote: "127.0.0.1", localID: "init@lab.example", remoteID: "resp@lab.example",
		mode: "transport", localTS: "dynamic", remoteTS: "dynamic"}
	respPath := filepath.Join(dir, "resp.conf")
	writeFile(t, respPath, conf.mirror().String())
	resp = startServerOpts(t, options{configPath: respPath, forceEncap: true})
	conf.remotePort = resp.ike.Port()
	initPath := filepath.Join(dir, "init.conf")
	writeFile(t, initPath, conf.String())
	init = startServerOpts(t, options{configPath: initPath, listen: []netip.Addr{netip.MustParseAddr("127.0.0.2")},
		nattPort: int(resp.natt.Port()), forceEncap: true})
	return init, resp
}

// TestProbeLoopback runs two in-process servers on 127.0.0.1 and
// 127.0.0.2 with a transport-mode Child SA whose ESP is forced into UDP (no
// privileges needed: no raw socket, no device): ctl probe gets its echoes
// from the other server's echo service, and list-sas and stats show the
// counters.
func TestProbeLoopback(t *testing.T) {
	init, resp := startTransportPair(t)
	if out, errOut, code := runCtlT(t, init.ctl, "initiate", "lab", "--child", "net", "--timeout", "5s"); code != 0 {
		t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code := runCtlT(t, init.ctl, "probe", "lab", "--count", "3", "--timeout", "5s")
	if code != 0 || !strings.Contains(out, "3 sent, 3 received") {
		t.Fatalf("probe: exit %d: %s%s", code, out, errOut)
	}
	t.Logf("ctl probe: %s", strings.TrimSpace(out))
	out, _, code = runCtlT(t, init.ctl, "probe", "lab", "--count", "2", "--json")
	var pj probeJSON
	if code != 0 || json.Unmarshal([]byte(out), &pj) != nil || pj.Sent != 2 || pj.Received != 2 || len(pj.RTTms) != 2 ||
		!strings.HasSuffix(pj.Dst, ":7") {
		t.Errorf("probe --json: exit %d: %s", code, out)
	}

	// An echo reply can reach the initiator before the responder has
	// counted sending it: wait (bounded) for its counters to catch up.
	for i := 0; i < 100; i++ {
		if st := statsOf(t, resp.ctl); st.DataPlane != nil && st.DataPlane.EchoReplies >= 5 && st.NetIO.ESPSent >= 5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ci, cr := oneChild(t, "initiator", listSAs(t, init.ctl)), oneChild(t, "responder", listSAs(t, resp.ctl))
	for _, c := range []childJSON{ci, cr} {
		if !c.DataPlane || !c.UDPEncap || c.Mode != "TRANSPORT" || c.PacketsIn != 5 || c.PacketsOut != 5 || c.BytesIn == 0 ||
			c.BytesOut != c.BytesIn || c.ReplayDrops+c.ICVFailures+c.SelectorDrops+c.Malformed != 0 {
			t.Errorf("Child SA %+v", c)
		}
	}
	text, _, _ := runCtlT(t, init.ctl, "list-sas")
	if want := fmt.Sprintf("    in  %s, %6d bytes,     5 packets\n", ci.SPIIn, ci.BytesIn); !strings.Contains(text, want) {
		t.Errorf("list-sas lacks %q:\n%s", want, text)
	}
	t.Logf("ctl list-sas:\n%s", text)
	st := statsOf(t, resp.ctl)
	if st.DataPlane == nil || st.DataPlane.EchoReplies != 5 || st.NetIO.ESPSent != 5 || st.NetIO.ESPInUDP != 5 || st.DataPlane.Device != "" {
		t.Errorf("responder stats %+v %+v", st.NetIO, st.DataPlane)
	}
	if st.DataPlane != nil && (len(st.DataPlane.SPD) != 2 || st.DataPlane.SPD[1].Name != "final/discard" ||
		!strings.HasPrefix(st.DataPlane.SPD[0].Action, "PROTECT ESP transport") || len(st.DataPlane.SPD[0].Pairs) != 1) {
		t.Errorf("responder SPD %+v", st.DataPlane.SPD)
	}
	if text, _, _ := runCtlT(t, resp.ctl, "stats"); !strings.Contains(text, "ESP echo replies:") || !strings.Contains(text, "final/discard") {
		t.Errorf("stats:\n%s", text)
	}

	// Errors: no such connection, no such child, a bad count.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"probe", "nope"}, 1, "no ESTABLISHED IKE SA"},
		{[]string{"probe", "lab", "--child", "nope"}, 1, "no ESTABLISHED IKE SA"},
		{[]string{"probe", "lab", "--count", "-1"}, 2, "--count -1"},
		{[]string{"list-sas", "--count", "2"}, 2, "takes no --count"},
		{[]string{"probe"}, 2, "probe takes one connection name"},
	} {
		_, errOut, code := runCtlT(t, init.ctl, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("ctl %q: exit %d, %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if r := rawCtl(t, init.ctl, `{"command":"stats","count":2}`); r.OK || !strings.Contains(r.Error, "takes no count") {
		t.Errorf("stats with a count: %+v", r)
	}

	// Terminating removes the pair from both data planes.
	if out, errOut, code := runCtlT(t, init.ctl, "terminate", "lab", "--timeout", "5s"); code != 0 {
		t.Fatalf("terminate: exit %d: %s%s", code, out, errOut)
	}
	if st := statsOf(t, init.ctl); st.DataPlane.Children != 0 || len(st.DataPlane.SPD) != 1 {
		t.Errorf("after terminate: %+v", st.DataPlane)
	}
}

// TestNoDataplane: --no-dataplane negotiates only; probe says why it
// cannot, and stats has no data plane.
func TestNoDataplane(t *testing.T) {
	ts := startServerOpts(t, options{noDataplane: true})
	if st := statsOf(t, ts.ctl); st.DataPlane != nil {
		t.Errorf("stats has a data plane: %+v", st.DataPlane)
	}
	_, errOut, code := runCtlT(t, ts.ctl, "probe", "default")
	if code != 1 || !strings.Contains(errOut, "the data plane is off") {
		t.Errorf("probe: exit %d, %q", code, errOut)
	}
}
