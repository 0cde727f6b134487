package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// IKE fragmentation (RFC 7383) with charon. PSK messages are small, so the
// IKE_AUTH messages are made large: identities of some 200 octets, and on
// charon's side 40 traffic selectors each way (198.18.<i>.0/24 ===
// 198.19.<i>.0/24, the benchmarking prefix of RFC 2544) that the
// refserver's one pair of /16 selectors covers: the responder's answer
// carries all 40 pairs back whichever end responds. Both ends use a
// fragment size of 576 octets (charon.fragment_size, refserver
// --fragment-size): each IKE_AUTH message, both requests and responses,
// goes in fragments, and both ends log the splitting and the reassembly.

const fragTS = 40

// fragCharonExtra is charon's fragment size (strongswan.conf).
const fragCharonExtra = "  fragment_size = 576\n"

func fragSubnets(second int) string {
	var s []string
	for i := range fragTS {
		s = append(s, fmt.Sprintf("198.%d.%d.0/24", second, i))
	}
	return strings.Join(s, ", ")
}

// fragID is an identity long enough to make IKE_AUTH exceed 576 octets.
func fragID(who string) string {
	return who + "." + strings.Repeat("fragmented-", 18) + "ike@lab.example"
}

// TestFragmentation: both directions, for an AEAD and a CBC+HMAC suite.
func TestFragmentation(t *testing.T) {
	requireInterop(t)
	requireRefserverFlags(t, "--fragment-size")
	for _, pc := range []proposalCase{proposalCases[0], proposalCases[1]} {
		for _, d := range directions {
			t.Run(pc.ike+"/"+d.name, func(t *testing.T) {
				l := newLab(t)
				cc := l.left.conn(pc.ike, pc.esp)
				cc.LocalID, cc.RemoteID = fragID("left"), fragID("right")
				cc.LocalTS, cc.RemoteTS = fragSubnets(18), fragSubnets(19)
				rc := l.right.conn(pc.ike, pc.esp)
				rc.LocalID, rc.RemoteID = fragID("right"), fragID("left")
				rc.LocalTS, rc.RemoteTS = "198.19.0.0/16", "198.18.0.0/16"
				// charon routes each remote selector with a source address
				// from the local one: give it one in each of its subnets.
				script := fmt.Sprintf("for i in $(seq 0 %d); do ip addr add 198.18.$i.1/32 dev lo || exit 1; done", fragTS-1)
				if out, err := l.nsRun(l.left, 30*time.Second, "sh", "-c", script); err != nil {
					t.Fatalf("addresses for charon's selectors: %v\n%s", err, out)
				}
				p := &pair{l: l}
				p.rs = startRefserver(l, l.right, rc, "--fragment-size", "576", "--no-dataplane")
				p.ch = startCharon(l, l.left, cc, CharonOptions{LogKeys: true, Extra: fragCharonExtra})
				p.capt = l.startCapture(l.right, "wire")
				c, r := p.establish(t, d)
				t.Logf("charon:    %v", c)
				t.Logf("refserver: %v", r)
				if c.SPIi != r.SPIi || c.SPIr != r.SPIr || c.Initiator == r.Initiator {
					t.Errorf("the ends list different IKE SAs")
				}
				if len(c.Children) != 1 || len(r.Children) != 1 {
					t.Fatalf("Child SAs: charon %d, refserver %d", len(c.Children), len(r.Children))
				}
				if n, m := len(c.Children[0].LocalTS), len(r.Children[0].RemoteTS); n != fragTS || m != fragTS {
					t.Errorf("selectors: charon has %d local, the refserver %d remote; want %d", n, m, fragTS)
				}
				p.compareKeys(t, c)

				// charon split its IKE_AUTH message and reassembled ours.
				logHas(t, p.ch, `splitting IKE message .*into \d+ fragments`)
				logHas(t, p.ch, `generating IKE_AUTH (request|response) 1 \[ EF\(1/\d+\) \]`)
				logHas(t, p.ch, `parsed IKE_AUTH (request|response) 1 \[ EF\(1/\d+\) \]`)
				logHas(t, p.ch, `received fragment #\d+ of \d+, reassembled fragmented IKE message`)
				logHas(t, p.ch, `received fragment #\d+ of \d+, waiting for complete IKE message`)
				// The refserver did both too.
				logHas(t, p.rs, `splitting IKE message \(\d+ octets\) into \d+ fragments`)
				logHas(t, p.rs, `reassembled fragmented IKE message`)
				// Both announced support in IKE_SA_INIT (RFC 7383 section 2.3).
				logHas(t, p.ch, `IKE_SA_INIT (request|response) 0 \[ .*N\(FRAG_SUP\)`)
				logHas(t, p.rs, `IKE_SA_INIT (request|response) 0 \[ .*N\(FRAG_SUP\)`)
				t.Logf("charon log:\n%s", grepLines(p.ch.Log(), `fragment|EF\(`))
				t.Logf("refserver log:\n%s", grepLines(p.rs.Log(), `fragment`))

				// charon's fragment datagrams stay within 576 octets: UDP
				// payloads of at most 576 - 20 - 8.
				for _, m := range regexp.MustCompile(`sending packet: .* \((\d+) bytes\)`).FindAllStringSubmatch(p.ch.Log(), -1) {
					var n int
					fmt.Sscan(m[1], &n)
					if n > 576-28 {
						t.Errorf("charon sent a %d-octet UDP payload with fragment_size 576", n)
					}
				}
				pcap := p.capt.stop(t)
				checkTsharkClean(t, pcap)
				checkIkedump(t, pcap, p.rs.keylog)
				out, _ := ikedump(t, pcap)
				if !strings.Contains(out, "EF(1/") {
					t.Errorf("ikedump shows no IKE Fragment message in the capture:\n%s", out)
				}
			})
		}
	}
}
