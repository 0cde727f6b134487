package interop

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestVirtualIP: the configuration payload (RFC 7296 sections 2.19, 3.15)
// with charon, both ways: the initiator asks for a virtual IP (vips =
// 0.0.0.0), the responder leases one from its pool (203.0.113.16/28, a
// documentation prefix), both ends narrow the initiator's selector to it,
// and a ping from that address crosses the tunnel.
func TestVirtualIP(t *testing.T) {
	requireInterop(t)
	const ikeP, espP, pool = "aes128gcm16-prfsha256-x25519", "aes128gcm16", "203.0.113.16/28"
	for _, d := range directions {
		name := "charon-gets-vip"
		if d.refInitiates {
			name = "refserver-gets-vip"
		}
		t.Run(name, func(t *testing.T) {
			l := newLab(t)
			cconn := l.left.conn(ikeP, espP)
			rconn := l.right.conn(ikeP, espP)
			client, server := &cconn, &rconn
			if d.refInitiates {
				client, server = &rconn, &cconn
			}
			client.VIPs, client.LocalTS = "0.0.0.0", "dynamic"
			server.PoolAddrs, server.RemoteTS = pool, "dynamic"
			p := &pair{l: l}
			p.rs = startRefserver(l, l.right, rconn)
			p.ch = startCharon(l, l.left, cconn, CharonOptions{LogKeys: true})
			p.capt = l.startCapture(l.right, "wire")
			c, r := p.establish(t, d)
			t.Logf("charon:    %v", c)
			t.Logf("refserver: %v", r)
			cli, srv := c, r
			cliSide, srvSide := l.left, l.right
			if d.refInitiates {
				cli, srv = r, c
				cliSide, srvSide = l.right, l.left
			}
			if len(cli.Children) != 1 || len(srv.Children) != 1 || len(cli.Children[0].LocalTS) != 1 {
				t.Fatalf("Child SAs: %v / %v", cli.Children, srv.Children)
			}
			vip, err := netip.ParsePrefix(cli.Children[0].LocalTS[0])
			if err != nil || vip.Bits() != 32 || !netip.MustParsePrefix(pool).Contains(vip.Addr()) {
				t.Fatalf("the client's local selector %v is not a virtual IP from %s", cli.Children[0].LocalTS, pool)
			}
			if got := srv.Children[0].RemoteTS; len(got) != 1 || got[0] != vip.String() {
				t.Errorf("the server's remote selector %v, want %v", got, vip)
			}
			t.Logf("virtual IP %v from the pool %s", vip.Addr(), pool)
			if !waitLog(t, p.rs, `(?i)(assigning|installing) virtual IP`, 5*time.Second) {
				return
			}
			// The address is on the client: ping from it through the tunnel.
			var out string
			ok := waitFor(10*time.Second, 500*time.Millisecond, func() bool {
				out, _ = l.nsRun(cliSide, 10*time.Second, "ip", "-br", "addr")
				return strings.Contains(out, vip.Addr().String())
			})
			if !ok {
				t.Errorf("the virtual IP %v is on no interface of the client's namespace:\n%s", vip.Addr(), out)
			}
			if n := l.ping(t, sideWithInner(cliSide, vip.Addr().String()), srvSide.inner, trafficN); n != trafficN {
				t.Errorf("ping from the virtual IP %v to %s: %d of %d", vip.Addr(), srvSide.inner, n, trafficN)
			}
			rc := p.rs.childOf(t)
			if rc.PacketsIn < trafficN || rc.PacketsOut < trafficN {
				t.Errorf("refserver counted %d in, %d out", rc.PacketsIn, rc.PacketsOut)
			}
			pcap := p.capt.stop(t)
			checkTsharkClean(t, pcap)
			out, _ = run(60*time.Second, []string{"WIRESHARK_CONFIG_DIR=" + p.rs.keylog}, "tshark", "-r", pcap, "-V", "-Y", "isakmp.exchangetype == 35")
			if !strings.Contains(out, "INTERNAL_IP4_ADDRESS") {
				t.Errorf("tshark shows no INTERNAL_IP4_ADDRESS in the decrypted IKE_AUTH")
			}
		})
	}
}

// sideWithInner is s with another inner (source) address.
func sideWithInner(s side, inner string) side {
	s.inner = inner
	return s
}
