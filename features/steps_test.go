package features

// TestFeatures runs every *.feature file of this folder with godog, one
// subtest per feature file (named after the file), one subtest per
// scenario below it:
//
//	go test ./features/ -run 'TestFeatures/cookie'
//	go test ./features/ -godog.tags='@RFC7296-2.6-4'

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

var (
	tags   = flag.String("godog.tags", "", "run only the scenarios with these godog tags (e.g. @RFC7296-2.6-4)")
	format = flag.String("godog.format", "progress", "godog's output format (pretty, progress, ...)")
)

func TestFeatures(t *testing.T) {
	files, err := filepath.Glob("*.feature")
	if err != nil || len(files) == 0 {
		t.Fatalf("no feature files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".feature")
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			suite := godog.TestSuite{
				Name:                name,
				ScenarioInitializer: initScenario,
				Options: &godog.Options{Format: *format, Paths: []string{f}, Tags: *tags,
					Strict: true, NoColors: true, TestingT: t, Output: &out},
			}
			if st := suite.Run(); st != 0 {
				t.Errorf("godog status %d:\n%s", st, out.String())
			} else if testing.Verbose() {
				t.Log(out.String())
			}
		})
	}
}

// world is the state of one scenario.
type world struct {
	p *peers
	// ESP anti-replay.
	out    *esp.Outbound
	in     *esp.Inbound
	sealed [][]byte // sealed[i] carries sequence number i+1
	espErr error
	// SPD.
	spd      *policy.SPD
	decision policy.Decision
}

func initScenario(sc *godog.ScenarioContext) {
	w := &world{p: newPeers()}
	// Every state change of both engines is a row of the model's tables:
	// a scenario fails if an engine logged an off-table move.
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		for i, lg := range w.p.logs {
			if lg == nil {
				continue
			}
			for _, l := range strings.Split(lg.String(), "\n") {
				if strings.Contains(l, "in the model table") {
					return ctx, fmt.Errorf("engine %d left the model: %s", i, l)
				}
			}
		}
		return ctx, err
	})

	// Configuration (before the engines exist).
	sc.Step(`^an initiator and a responder that share a pre-shared key$`, func() error { return nil })
	sc.Step(`^the (initiator|responder) uses the pre-shared key "([^"]*)"$`, func(role, psk string) error {
		w.p.ends[roleIndex(role)].psk = psk
		return nil
	})
	sc.Step(`^the responder sends cookies to every initiator$`, func() error {
		w.p.ends[1].cookies = true
		return nil
	})
	sc.Step(`^the (initiator|responder) accepts the groups "([^"]*)"$`, func(role, list string) error {
		ks, err := keIDs(list)
		w.p.ends[roleIndex(role)].ke = ks
		return err
	})
	sc.Step(`^the initiator is behind a NAT with the public address "([^"]*)"$`, func(a string) error {
		addr, err := netip.ParseAddr(a)
		w.p.nat = addr
		w.p.ends[1].anyPeer = true // the responder does not know the NAT's address
		return err
	})
	sc.Step(`^the (initiator|responder) is impaired with "([^"]*)"$`, func(role, spec string) error {
		// Deliberate faults in what that end sends (impl/ike/impair.go):
		// in its configuration, or set between events once it runs.
		imp, err := ike.ParseImpairment(spec)
		if err != nil {
			return err
		}
		i := roleIndex(role)
		w.p.ends[i].impair = append(w.p.ends[i].impair, imp)
		if nd := w.p.nodes[i]; nd != nil {
			return nd.Engine.SetImpairments(w.p.ends[i].impair)
		}
		return nil
	})
	sc.Step(`^the random sources are seeded with (\d+)$`, func(seed int) error {
		w.p.ends[0].seed, w.p.ends[1].seed = uint64(seed)*2+1, uint64(seed)*2+2
		return nil
	})

	// The exchanges.
	sc.Step(`^the initiator starts the initial exchanges$`, w.p.initiate)
	sc.Step(`^the network delivers the next message$`, func() error { return w.p.deliver(0) })
	sc.Step(`^the network delivers every message$`, w.p.flush)
	sc.Step(`^the network settles$`, w.p.settle)
	sc.Step(`^an IKE SA with one Child SA between them$`, func() error {
		if err := w.p.initiate(); err != nil {
			return err
		}
		if err := w.p.flush(); err != nil {
			return err
		}
		return w.p.childrenCrossed(1)
	})
	sc.Step(`^the (initiator|responder) rekeys the (Child|IKE) SA$`, func(role, which string) error {
		i := roleIndex(role)
		w.remember()
		acts, err := w.p.nodes[i].Engine.Rekey(w.p.net.Now, "lab", childName(which), which == "IKE")
		return w.p.do(i, acts, err)
	})
	sc.Step(`^both ends rekey the (Child|IKE) SA at once$`, func(which string) error {
		w.remember()
		for i := range w.p.nodes {
			acts, err := w.p.nodes[i].Engine.Rekey(w.p.net.Now, "lab", childName(which), which == "IKE")
			if err := w.p.do(i, acts, err); err != nil {
				return err
			}
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) deletes the (Child|IKE) SA$`, func(role, which string) error {
		return w.deleteSA(roleIndex(role), which)
	})
	sc.Step(`^both ends delete the (Child|IKE) SA at once$`, func(which string) error {
		for i := range w.p.nodes {
			if err := w.deleteSA(i, which); err != nil {
				return err
			}
		}
		return nil
	})

	// Outcomes.
	sc.Step(`^both ends hold one ESTABLISHED IKE SA with the same SPIs$`, func() error {
		_, _, err := w.p.established()
		return err
	})
	sc.Step(`^each end holds (\d+) Child SAs? whose SPIs cross$`, w.p.childrenCrossed)
	sc.Step(`^each end has reported (\d+) ChildUp actions?$`, func(n int) error {
		for _, nd := range w.p.nodes {
			if got := len(iketest.Find[ike.ChildUp](nd)); got != n {
				return fmt.Errorf("the %s reported %d ChildUp, want %d", nd.Name, got, n)
			}
		}
		return nil
	})
	sc.Step(`^neither end holds an IKE SA$`, func() error {
		for i := range w.p.nodes {
			if n := len(w.p.sas(i)); n != 0 || len(w.p.dp[i].pairs) != 0 {
				return fmt.Errorf("the %s holds %d IKE SAs and %d Child SA pairs in its data plane", w.p.nodes[i].Name, n, len(w.p.dp[i].pairs))
			}
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) has reported the IKE SA down$`, func(role string) error {
		if n := len(iketest.Find[ike.IKEDown](w.p.nodes[roleIndex(role)])); n != 1 {
			return fmt.Errorf("%d IKEDown actions", n)
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) (sent|received) "([^"]*)"$`, func(role, verb, msg string) error {
		prefix := map[string]string{"sent": "sending ", "received": "parsed "}[verb]
		if !w.p.logged(roleIndex(role), prefix+msg) {
			return fmt.Errorf("the %s's log lacks %q:\n%s", role, prefix+msg, w.p.logs[roleIndex(role)])
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) (sent|received) "([^"]*)" (\d+) times?$`, func(role, verb, msg string, n int) error {
		prefix := map[string]string{"sent": "sending ", "received": "parsed "}[verb]
		if got := strings.Count(w.p.logs[roleIndex(role)].String(), prefix+msg); got != n {
			return fmt.Errorf("the %s's log has %q %d times, want %d", role, prefix+msg, got, n)
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) logged "([^"]*)"$`, func(role, s string) error {
		if !w.p.logged(roleIndex(role), s) {
			return fmt.Errorf("the %s's log lacks %q", role, s)
		}
		return nil
	})
	sc.Step(`^the message in flight is "([^"]*)"$`, func(want string) error {
		m, err := w.p.inFlight(0)
		if err != nil {
			return err
		}
		if got := m.String(); !strings.HasPrefix(got, want) {
			return fmt.Errorf("in flight: %q, want %q", got, want)
		}
		return nil
	})
	sc.Step(`^the message in flight carries the COOKIE notification as its first payload$`, func() error {
		m, err := w.p.inFlight(0)
		if err != nil {
			return err
		}
		if len(m.Payloads) == 0 {
			return errors.New("no payloads")
		}
		if n, ok := m.Payloads[0].(*wire.Notify); !ok || n.Type != wire.COOKIE || len(n.Data) == 0 || len(n.Data) > 64 {
			return fmt.Errorf("first payload %s", wire.PayloadName(m.Payloads[0]))
		}
		return nil
	})
	sc.Step(`^the message in flight carries N\(INVALID_KE_PAYLOAD\) naming "([^"]*)"$`, func(group string) error {
		k, err := keID(group)
		if err != nil {
			return err
		}
		m, err := w.p.inFlight(0)
		if err != nil {
			return err
		}
		for _, pl := range m.Payloads {
			if n, ok := pl.(*wire.Notify); ok && n.Type == wire.INVALID_KE_PAYLOAD {
				if len(n.Data) != 2 || wire.KEID(uint16(n.Data[0])<<8|uint16(n.Data[1])) != k {
					return fmt.Errorf("INVALID_KE_PAYLOAD data %x, want %s", n.Data, k)
				}
				return nil
			}
		}
		return fmt.Errorf("no N(INVALID_KE_PAYLOAD) in %s", m)
	})
	sc.Step(`^the message in flight carries a KE payload of "([^"]*)"$`, func(group string) error {
		k, err := keID(group)
		if err != nil {
			return err
		}
		m, err := w.p.inFlight(0)
		if err != nil {
			return err
		}
		for _, pl := range m.Payloads {
			if ke, ok := pl.(*wire.KE); ok {
				if ke.Group != k {
					return fmt.Errorf("KE of %s, want %s", ke.Group, k)
				}
				return nil
			}
		}
		return fmt.Errorf("no KE payload in %s", m)
	})
	sc.Step(`^the responder keeps no state for the initiator$`, func() error {
		st := w.p.nodes[1].Engine.Stats()
		if st.HalfOpen != 0 || len(w.p.sas(1)) != 0 {
			return fmt.Errorf("the responder holds %d half-open and %d IKE SAs", st.HalfOpen, len(w.p.sas(1)))
		}
		return nil
	})
	sc.Step(`^the responder has sent (\d+) cookies?$`, func(n int) error {
		if got := w.p.nodes[1].Engine.Stats().CookiesSent; got != uint64(n) {
			return fmt.Errorf("%d cookies sent", got)
		}
		return nil
	})
	sc.Step(`^the IKE SA uses the group "([^"]*)"$`, func(group string) error {
		a, b, err := w.p.established()
		if err != nil {
			return err
		}
		if a.KE != group || b.KE != group {
			return fmt.Errorf("groups %s / %s, want %s", a.KE, b.KE, group)
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) knows that (it|the initiator) is behind a NAT$`, func(role, who string) error {
		s, err := w.p.onlySA(roleIndex(role))
		if err != nil {
			return err
		}
		if who == "it" && (!s.NATLocal || s.NATRemote) || who != "it" && (!s.NATRemote || s.NATLocal) {
			return fmt.Errorf("the %s: NAT here %v, NAT at the peer %v", role, s.NATLocal, s.NATRemote)
		}
		return nil
	})
	sc.Step(`^the IKE SA runs between port (\d+) of the initiator's NAT and port (\d+) of the responder$`, func(natPort, port int) error {
		a, b, err := w.p.established()
		if err != nil {
			return err
		}
		if a.Remote.Port() != uint16(port) || b.Local.Port() != uint16(port) || b.Remote.Port() != uint16(natPort) || b.Remote.Addr() != w.p.nat {
			return fmt.Errorf("the initiator talks to %v, the responder is at %v and sees %v", a.Remote, b.Local, b.Remote)
		}
		return nil
	})
	sc.Step(`^the Child SA is UDP-encapsulated at both ends$`, func() error {
		for i := range w.p.nodes {
			s, err := w.p.onlySA(i)
			if err != nil {
				return err
			}
			if len(s.Children) != 1 || !s.Children[0].UDPEncap {
				return fmt.Errorf("the %s's Child SAs %+v", w.p.nodes[i].Name, s.Children)
			}
		}
		return nil
	})
	sc.Step(`^the IKE_SA_INIT messages of both ends carried NAT detection notifications$`, func() error {
		if !w.p.logged(0, "sending IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)") ||
			!w.p.logged(1, "N(NATD_S_IP) N(NATD_D_IP)") {
			return errors.New("no NAT_DETECTION_*_IP in IKE_SA_INIT")
		}
		return nil
	})
	sc.Step(`^the (Child|IKE) SA has new SPIs$`, func(which string) error {
		a, _, err := w.p.established()
		if err != nil {
			return err
		}
		old := w.p.before[0]
		if which == "IKE" {
			if a.SPIi == old.SPIi || a.SPIr == old.SPIr {
				return fmt.Errorf("the IKE SA still has %016x/%016x", a.SPIi, a.SPIr)
			}
			return nil
		}
		if len(a.Children) != 1 || len(old.Children) != 1 || a.Children[0].SPIIn == old.Children[0].SPIIn || a.Children[0].SPIOut == old.Children[0].SPIOut {
			return fmt.Errorf("the Child SA was not replaced: %+v -> %+v", old.Children, a.Children)
		}
		return nil
	})
	sc.Step(`^the (initiator|responder) closed the redundant (Child|IKE) SA, created with the lowest nonce$`, func(role, which string) error {
		i := roleIndex(role)
		ours := "simultaneous " + which + " SA rekey: ours holds the lowest nonce"
		theirs := "simultaneous " + which + " SA rekey: the peer's holds the lowest nonce"
		if !w.p.logged(i, ours) || !w.p.logged(1-i, theirs) {
			return fmt.Errorf("want %q at the %s and %q at its peer", ours, role, theirs)
		}
		return nil
	})
	sc.Step(`^no ESP packet in flight was lost$`, func() error {
		if len(w.p.lost) > 0 {
			return errors.New(strings.Join(w.p.lost, "\n"))
		}
		return nil
	})
	sc.Step(`^nothing is left in flight$`, func() error {
		if n := len(w.p.net.InFlight); n != 0 {
			return fmt.Errorf("%d datagrams in flight:\n%s", n, w.p.net.Dump())
		}
		return nil
	})

	espSteps(sc, w)
	spdSteps(sc, w)
}

func childName(which string) string {
	if which == "Child" {
		return "net"
	}
	return ""
}

// remember keeps the initiator's SA as it is before a rekey.
func (w *world) remember() {
	if sas := w.p.sas(0); len(sas) == 1 {
		w.p.before[0] = sas[0]
	}
	if sas := w.p.sas(1); len(sas) == 1 {
		w.p.before[1] = sas[0]
	}
}

func (w *world) deleteSA(i int, which string) error {
	var (
		acts []ike.Action
		err  error
	)
	if which == "IKE" {
		acts, err = w.p.nodes[i].Engine.Terminate(w.p.net.Now, "lab")
	} else {
		acts, err = w.p.nodes[i].Engine.TerminateChild(w.p.net.Now, "lab", "net")
	}
	return w.p.do(i, acts, err)
}

// espSteps: the anti-replay window of an impl/esp Inbound (RFC 4303
// section 3.4.3), fed by an Outbound of the same SA.
func espSteps(sc *godog.ScenarioContext, w *world) {
	sc.Step(`^an ESP SA whose receiver keeps a (\d+)-packet anti-replay window$`, func(size int) error {
		c := esp.Config{SPI: 0xc0ffee02, Encr: wire.ENCR_AES_CBC, EncrKey: bytes.Repeat([]byte{8}, 32),
			Integ: wire.AUTH_HMAC_SHA2_256_128, IntegKey: bytes.Repeat([]byte{9}, 32)}
		var err error
		if w.out, err = esp.NewOutbound(c, esp.OutboundOptions{}); err != nil {
			return err
		}
		w.in, err = esp.NewInbound(c, esp.InboundOptions{ReplayWindow: size})
		return err
	})
	sc.Step(`^the sender has sealed packets 1 to (\d+)$`, func(n int) error {
		for i := range n {
			pkt := ipv4Echo(byte(i))
			s, err := w.out.SealPacket(nil, pkt)
			if err != nil {
				return err
			}
			w.sealed = append(w.sealed, s.Packet)
		}
		return nil
	})
	open := func(seq int) error {
		if seq < 1 || seq > len(w.sealed) {
			return fmt.Errorf("packet %d was not sealed", seq)
		}
		r, err := w.in.Open(bytes.Clone(w.sealed[seq-1]))
		w.espErr = err
		if err == nil && (r.Seq != uint64(seq) || r.Payload[len(r.Payload)-1] != byte(seq-1)) {
			return fmt.Errorf("packet %d delivered as %d", seq, r.Seq)
		}
		return nil
	}
	sc.Step(`^the receiver gets packet (\d+)(?: again)?$`, open)
	sc.Step(`^the receiver gets packets ([\d, ]+) and accepts each$`, func(list string) error {
		for _, s := range strings.Split(list, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			if err := open(n); err != nil {
				return err
			}
			if w.espErr != nil {
				return fmt.Errorf("packet %d: %v", n, w.espErr)
			}
		}
		return nil
	})
	sc.Step(`^the packet is accepted$`, func() error { return w.espErr })
	sc.Step(`^the packet is dropped as a replay$`, func() error {
		if !errors.Is(w.espErr, esp.ErrReplay) {
			return fmt.Errorf("got %v, want ErrReplay", w.espErr)
		}
		return nil
	})
	sc.Step(`^the receiver has accepted (\d+) packets and dropped (\d+) as replays$`, func(ok, drops int) error {
		st := w.in.Stats()
		if st.Packets != uint64(ok) || st.ReplayDrops != uint64(drops) {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
	sc.Step(`^the right edge of the window is (\d+)$`, func(top int) error {
		if st := w.in.Stats(); st.Top != uint64(top) {
			return fmt.Errorf("top %d", st.Top)
		}
		return nil
	})
}

// ipv4Echo is an IPv4 ICMP echo request whose last octet is tag.
func ipv4Echo(tag byte) []byte {
	h := []byte{0x45, 0, 0, 28, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2}
	var sum uint32
	for i := 0; i < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	cs := ^uint16(sum)
	h[10], h[11] = byte(cs>>8), byte(cs)
	return append(h, 8, 0, 0, 0, 0, 0, 0, tag)
}

// spdSteps: the SPD of RFC 4301 section 4.4.1 as a table, and the
// decisions of sections 5.1 and 5.2.
func spdSteps(sc *godog.ScenarioContext, w *world) {
	sc.Step(`^gateway A's SPD, in the local/remote convention:$`, func(tbl *godog.Table) error {
		entries, err := spdTable(tbl)
		if err != nil {
			return err
		}
		w.spd, err = policy.NewSPD(entries...)
		return err
	})
	sc.Step(`^an? (outbound|inbound) (tcp|udp|icmp) packet from ([^ ]+) to ([^ ]+)$`, func(dir, proto, src, dst string) error {
		p, err := packet(proto, src, dst)
		if err != nil {
			return err
		}
		if dir == "outbound" {
			w.decision = w.spd.Outbound(p)
		} else {
			w.decision = w.spd.Inbound(p)
		}
		return nil
	})
	sc.Step(`^the decision is (BYPASS|PROTECT|DISCARD) by the entry "([^"]*)"$`, func(action, entry string) error {
		d := w.decision
		if d.Action.String() != action || d.Entry.Name != entry {
			return fmt.Errorf("decision %v by %q (%v), want %s by %q", d.Action, d.Entry.Name, d.Reason, action, entry)
		}
		return nil
	})
	sc.Step(`^the reason is "([^"]*)"$`, func(reason string) error {
		if got := w.decision.Reason.String(); got != reason {
			return fmt.Errorf("reason %q, want %q", got, reason)
		}
		return nil
	})
}

// spdTable reads entries: name, protocol, local, local port, remote,
// remote port, action, peer ("*" is ANY, "-" none).
func spdTable(tbl *godog.Table) ([]policy.Entry, error) {
	var entries []policy.Entry
	for i, row := range tbl.Rows {
		if i == 0 {
			continue // the header
		}
		c := make([]string, len(row.Cells))
		for j, cell := range row.Cells {
			c[j] = cell.Value
		}
		if len(c) != 8 {
			return nil, fmt.Errorf("row %d: %d columns, want 8", i, len(c))
		}
		sel := policy.Selector{Local: addrs(c[2]), Remote: addrs(c[4])}
		switch c[1] {
		case "UDP":
			sel.Protocol = policy.ProtoUDP
		case "TCP":
			sel.Protocol = policy.ProtoTCP
		case "*":
		default:
			return nil, fmt.Errorf("row %d: protocol %q", i, c[1])
		}
		var err error
		if sel.LocalPorts, err = ports(c[3]); err != nil {
			return nil, err
		}
		if sel.RemotePorts, err = ports(c[5]); err != nil {
			return nil, err
		}
		e := policy.Entry{Name: c[0], Match: sel}
		switch c[6] {
		case "BYPASS":
			e.Action = policy.Bypass
		case "DISCARD":
			e.Action = policy.Discard
		case "PROTECT":
			peer, err := netip.ParseAddr(c[7])
			if err != nil {
				return nil, fmt.Errorf("row %d: peer: %w", i, err)
			}
			e.Action, e.ESP = policy.Protect, policy.ESP{Mode: policy.Tunnel, Peer: peer}
		default:
			return nil, fmt.Errorf("row %d: action %q", i, c[6])
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func addrs(s string) []policy.AddrRange {
	switch {
	case s == "*":
		return policy.AnyAddrs()
	case strings.Contains(s, "/"):
		return []policy.AddrRange{policy.RangeOf(netip.MustParsePrefix(s))}
	}
	return []policy.AddrRange{policy.Host(netip.MustParseAddr(s))}
}

func ports(s string) (policy.Ports, error) {
	if s == "*" {
		return policy.AnyPorts(), nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	return policy.Port(uint16(n)), err
}

// packet reads "1.2.3.5:40000" endpoints (no port for ICMP, whose type
// and code are those of an echo request).
func packet(proto, src, dst string) (policy.Packet, error) {
	p := policy.Packet{}
	if proto == "icmp" {
		s, err1 := netip.ParseAddr(src)
		d, err2 := netip.ParseAddr(dst)
		if err := errors.Join(err1, err2); err != nil {
			return p, err
		}
		return policy.Packet{Src: s, Dst: d, Protocol: policy.ProtoICMP, SrcPort: 8 << 8, PortState: policy.PortsSender}, nil
	}
	s, err1 := netip.ParseAddrPort(src)
	d, err2 := netip.ParseAddrPort(dst)
	if err := errors.Join(err1, err2); err != nil {
		return p, err
	}
	p = policy.Packet{Src: s.Addr(), Dst: d.Addr(), SrcPort: s.Port(), DstPort: d.Port(), PortState: policy.PortsPresent,
		Protocol: policy.ProtoTCP}
	if proto == "udp" {
		p.Protocol = policy.ProtoUDP
	}
	return p, nil
}
