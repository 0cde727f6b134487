package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/internal/capture"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

// TestHandshakeLoopback is a smoke test of the whole server: one refserver
// with the default configuration answers another that initiates (on
// 127.0.0.2, ephemeral ports), over loopback, through ctl initiate, list-sas
// and terminate; the responder's capture holds the exchanges and its key
// table opens them.
func TestHandshakeLoopback(t *testing.T) {
	dir := t.TempDir()
	resp := startServerOpts(t, options{pcapPath: filepath.Join(dir, "resp.pcap"), keylogDir: filepath.Join(dir, "keys")})

	def, _ := swanctl.Default()
	if len(def.Connections) == 0 || len(def.Secrets) == 0 || len(def.Connections[0].Children) == 0 {
		t.Skip("the default configuration has no connection, child or secret to test against")
	}
	c := def.Connections[0]
	conf := fmt.Sprintf(`connections {
  lab {
    version = 2
    remote_addrs = %s
    remote_port = %d
    proposals = %s
    local {
      auth = psk
      id = client@ikev2ref.example
    }
    remote {
      auth = psk
      id = %s
    }
    children {
      net {
        local_ts = dynamic
        remote_ts = %s
        esp_proposals = %s
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = %s
    id-2 = client@ikev2ref.example
    secret = %s
  }
}
`, resp.ike.Addr(), resp.ike.Port(), proposalKeywords(c.Proposals[0]), c.Local.ID,
		tsList(c.Children[0].LocalTS), proposalKeywords(c.Children[0].ESPProposals[0]),
		c.Local.ID, secretString(def.Secrets[0].Key))
	confPath := filepath.Join(dir, "init.conf")
	writeFile(t, confPath, conf)
	init := startServerOpts(t, options{configPath: confPath, listen: []netip.Addr{netip.MustParseAddr("127.0.0.2")}})

	out, errOut, code := runCtlT(t, init.ctl, "initiate", "lab", "--child", "net", "--timeout", "5s")
	if code != 0 {
		t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(out, "IKE_SA lab[") || !strings.Contains(out, "CHILD_SA net{") {
		t.Errorf("initiate said:\n%s", out)
	}
	list := func(ts *testServer) []saJSON {
		out, errOut, code := runCtlT(t, ts.ctl, "list-sas", "--json")
		if code != 0 {
			t.Fatalf("list-sas: %s", errOut)
		}
		var sas []saJSON
		if err := json.Unmarshal([]byte(out), &sas); err != nil {
			t.Fatal(err)
		}
		return sas
	}
	i, r := list(init), list(resp)
	if len(i) != 1 || len(r) != 1 {
		t.Fatalf("SAs: initiator %+v, responder %+v", i, r)
	}
	if i[0].State != "ESTABLISHED" || r[0].State != "ESTABLISHED" || i[0].SPIi != r[0].SPIi || i[0].SPIr != r[0].SPIr ||
		!i[0].Initiator || r[0].Initiator || i[0].NATLocal || i[0].NATRemote {
		t.Errorf("initiator %+v\nresponder %+v", i[0], r[0])
	}
	if len(i[0].Children) != 1 || len(r[0].Children) != 1 ||
		i[0].Children[0].SPIIn != r[0].Children[0].SPIOut || i[0].Children[0].SPIOut != r[0].Children[0].SPIIn {
		t.Errorf("Child SAs: initiator %+v, responder %+v", i[0].Children, r[0].Children)
	}

	if out, errOut, code := runCtlT(t, init.ctl, "terminate", "lab", "--timeout", "5s"); code != 0 {
		t.Fatalf("terminate: exit %d: %s%s", code, out, errOut)
	}
	if sas := list(init); len(sas) != 0 {
		t.Errorf("after terminate: %+v", sas)
	}
	resp.stop()

	ds, err := capture.ReadFile(filepath.Join(dir, "resp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 6 { // IKE_SA_INIT, IKE_AUTH and INFORMATIONAL, both ways
		t.Errorf("%d packets captured", len(ds))
	}
	kt, err := keytable.ReadIKEFile(filepath.Join(dir, "keys", ikeTableFile))
	if err != nil {
		t.Fatal(err)
	}
	var spii, spir uint64
	fmt.Sscanf(r[0].SPIi+" "+r[0].SPIr, "%x %x", &spii, &spir)
	if _, ok := kt.Lookup(spii, spir); !ok {
		t.Errorf("no key table row for %s_i %s_r", r[0].SPIi, r[0].SPIr)
	}
	et, err := keytable.ReadESPFile(filepath.Join(dir, "keys", espTableFile))
	if err != nil || len(et.Rows) != 2 {
		t.Errorf("ESP table: %v, %v", et, err)
	}
}
