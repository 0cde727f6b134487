package policy_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

func vpnSPD(t *testing.T) *policy.SPD {
	t.Helper()
	spd, err := policy.NewSPD(gatewayALocalRemote()...)
	if err != nil {
		t.Fatal(err)
	}
	return spd
}

func vpnPair(in, out uint32, sels ...policy.Selector) (*policy.SA, *policy.SA) {
	if len(sels) == 0 {
		sels = []policy.Selector{{Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24")}}
	}
	return &policy.SA{SPI: in, Mode: policy.Tunnel, Selectors: sels, Local: netipAP("2.3.4.5", 4500), Remote: netipAP("4.5.6.7", 4500)},
		&policy.SA{SPI: out, Mode: policy.Tunnel, Selectors: sels, Local: netipAP("2.3.4.5", 4500), Remote: netipAP("4.5.6.7", 4500)}
}

func TestInstallPairErrors(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	in, out := vpnPair(0x1000, 0x2000)
	if err := sad.InstallPair(vpn, in, out); err != nil {
		t.Fatal(err)
	}
	transport := func(in, out *policy.SA) (*policy.SA, *policy.SA) {
		in.Mode, out.Mode = policy.Transport, policy.Transport
		return in, out
	}
	noSelectors := func(in, out *policy.SA) (*policy.SA, *policy.SA) { in.Selectors = nil; return in, out }
	for _, c := range []struct {
		name  string
		entry string
		sas   [2]*policy.SA
		err   error
	}{
		{"SPI 0 (RFC4303-2.1-6)", vpn, pick(vpnPair(0, 0x2001)), policy.ErrInvalid},
		{"SPI 255, reserved", vpn, pick(vpnPair(0x1001, 255)), policy.ErrInvalid},
		{"inbound SPI in use", vpn, pick(vpnPair(0x1000, 0x2001)), policy.ErrDuplicate},
		{"SAs already installed", vpn, [2]*policy.SA{in, out}, policy.ErrDuplicate},
		{"no inbound selectors (RFC4301-4.4.2-2)", vpn, pick(noSelectors(vpnPair(0x1001, 0x2001))), policy.ErrInvalid},
		{"one SA twice", vpn, [2]*policy.SA{in, in}, policy.ErrInvalid},
		{"no such entry", "nope", pick(vpnPair(0x1001, 0x2001)), policy.ErrNoEntry},
		{"a BYPASS entry", ike, pick(vpnPair(0x1001, 0x2001)), policy.ErrInvalid},
		{"transport SAs for a tunnel entry", vpn, pick(transport(vpnPair(0x1001, 0x2001))), policy.ErrInvalid},
		{"invalid selector", vpn, pick(vpnPair(0x1001, 0x2001, policy.Selector{Local: rng("*")})), policy.ErrInvalid},
	} {
		if err := sad.InstallPair(c.entry, c.sas[0], c.sas[1]); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
		if spi := c.sas[0].SPI; spi != 0x1000 && sad.Inbound(spi) != nil {
			t.Errorf("%s: the failed pair was installed", c.name)
		}
	}
	if got := spd.Entries()[1].Pairs; len(got) != 1 {
		t.Errorf("VPN entry points at %x after failed installs", got)
	}
	if a, b := vpnPair(0x1001, 0x2001); !errors.Is(policy.NewSAD(nil).InstallPair(vpn, a, b), policy.ErrNoEntry) {
		t.Error("entry without SPD accepted")
	}
	if err := sad.CheckInbound(out, parse(t, tcp("5.6.7.8", 1, "1.2.3.4", 2))); !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("CheckInbound on an outbound SA: %v", err)
	}
}

func pick(in, out *policy.SA) [2]*policy.SA { return [2]*policy.SA{in, out} }

// TestRekey: an entry points at every pair installed for it, newest first;
// the newest whose selectors match takes outbound traffic, and removing a
// pair unlinks it.
func TestRekey(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	webOnly := policy.Selector{Protocol: policy.ProtoTCP, Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24"), RemotePorts: policy.Port(80)}
	oldIn, oldOut := vpnPair(0x1000, 0x2000)
	webIn, webOut := vpnPair(0x1001, 0x2001, webOnly)
	for _, p := range [][2]*policy.SA{{oldIn, oldOut}, {webIn, webOut}} {
		if err := sad.InstallPair(vpn, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	web := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))
	ssh := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 22))
	expect := func(what string, p policy.Packet, want *policy.SA) {
		t.Helper()
		if got := spd.Outbound(p).SA; got != want {
			t.Errorf("%s: %v goes to %v, want %v", what, p, got, want)
		}
	}
	expect("newest matching", web, webOut)
	expect("older covers the rest", ssh, oldOut)
	newIn, newOut := vpnPair(0x1002, 0x2002) // the rekeyed successor of old
	if err := sad.InstallPair(vpn, newIn, newOut); err != nil {
		t.Fatal(err)
	}
	expect("after rekey", ssh, newOut)
	expect("after rekey, web", web, newOut)
	if err := sad.RemovePair(0x1002); err != nil {
		t.Fatal(err)
	}
	expect("successor removed", web, webOut)
	if err := sad.RemovePair(0x1001); err != nil {
		t.Fatal(err)
	}
	if err := sad.RemovePair(0x1000); err != nil {
		t.Fatal(err)
	}
	expect("all removed", ssh, nil)
	if err := sad.RemovePair(0x1000); !errors.Is(err, policy.ErrUnknownSPI) {
		t.Errorf("removing twice: %v", err)
	}
	if sad.Inbound(0x1000) != nil || sad.UnknownSPI() != 1 {
		t.Errorf("removed SA still found, or not counted: %d", sad.UnknownSPI())
	}
	if got := spd.Entries()[1].Pairs; len(got) != 0 {
		t.Errorf("VPN entry still points at %x", got)
	}
}

// TestEntryRemoved: SAs outlive their SPD entry (RFC 4301 section 4.4.2),
// but traffic on them no longer passes the SPD check (RFC4301-4.4.1-15).
func TestEntryRemoved(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	in, out := vpnPair(0x1000, 0x2000)
	if err := sad.InstallPair(vpn, in, out); err != nil {
		t.Fatal(err)
	}
	p := parse(t, tcp("5.6.7.8", 80, "1.2.3.5", 40000))
	if err := sad.CheckInbound(in, p); err != nil {
		t.Fatal(err)
	}
	if err := spd.Remove(vpn); err != nil {
		t.Fatal(err)
	}
	if sad.Inbound(0x1000) != in {
		t.Error("the SA went with its entry")
	}
	if err := sad.CheckInbound(in, p); !errors.Is(err, policy.ErrPolicy) {
		t.Errorf("after the entry is removed: %v", err)
	}
	// An entry of the same name inserted again is a new entry: the old
	// pair is not linked to it.
	if err := spd.Insert(1, gatewayALocalRemote()[1]); err != nil {
		t.Fatal(err)
	}
	if d := spd.Outbound(parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))); d.Entry.Name != vpn || d.SA != nil {
		t.Errorf("re-inserted entry: %+v", d)
	}
	if err := sad.CheckInbound(in, p); !errors.Is(err, policy.ErrPolicy) {
		t.Errorf("after the entry is re-inserted: %v", err)
	}
	if err := sad.RemovePair(0x1000); err != nil {
		t.Error(err)
	}
}

// TestSADWithoutSPD: manually keyed SAs governed by no entry get the
// selector check only.
func TestSADWithoutSPD(t *testing.T) {
	sad := policy.NewSAD(nil)
	in, out := vpnPair(0x1000, 0x2000)
	if err := sad.InstallPair("", in, out); err != nil {
		t.Fatal(err)
	}
	if err := sad.CheckInbound(in, parse(t, udp("5.6.7.8", 500, "1.2.3.5", 500))); err != nil {
		t.Error(err)
	}
	if in.Entry() != "" || in.Direction() != policy.Inbound || out.Direction() != policy.Outbound || in.Pair() != out {
		t.Errorf("installed pair: %v %v", in, out)
	}
	if ps := sad.Pairs(); len(ps) != 1 || ps[0].In != in || ps[0].Out != out {
		t.Errorf("Pairs: %+v", ps)
	}
}

// TestConcurrentUse runs lookups against installs, removals and SPD
// changes; `go test -race` checks the locking.
func TestConcurrentUse(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	out := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))
	in := parse(t, tcp("5.6.7.8", 80, "1.2.3.5", 40000))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if d := spd.Outbound(out); d.Action != policy.Protect || d.SA != nil && d.SA.Pair().Direction() != policy.Inbound {
					t.Errorf("outbound: %+v", d)
					return
				}
				if sa := sad.Inbound(0x1000); sa != nil {
					if err := sad.CheckInbound(sa, in); err != nil {
						t.Errorf("inbound: %v", err)
						return
					}
				}
				spd.Inbound(in)
				spd.Entries()
			}
		}()
	}
	for i := range 200 {
		a, b := vpnPair(0x1000, 0x2000+uint32(i))
		if i%2 == 0 {
			if err := sad.InstallPair(vpn, a, b); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := sad.InstallPairOutboundLater(vpn, a, b); err != nil {
				t.Fatal(err)
			}
			if err := sad.ActivateOutbound(0x1000); err != nil {
				t.Fatal(err)
			}
		}
		if err := spd.Insert(0, policy.Entry{Name: "unrelated", Match: policy.Selector{Local: rng("9.9.9.9"), Remote: rng("*")}}); err != nil {
			t.Fatal(err)
		}
		if err := sad.RemovePair(0x1000); err != nil {
			t.Fatal(err)
		}
		if err := spd.Remove("unrelated"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// TestOutboundLater: a pair installed with its outbound SA held back takes
// inbound packets at once, while outbound traffic stays on the older pair
// until ActivateOutbound (RFC 7296 section 2.8, the responder of a rekey);
// held pairs queue behind the active ones, and removing the old pair does
// not disturb the new one.
func TestOutboundLater(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	web := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))
	inbound := parse(t, tcp("5.6.7.8", 80, "1.2.3.5", 40000))
	expect := func(what string, want *policy.SA) {
		t.Helper()
		if got := spd.Outbound(web).SA; got != want {
			t.Errorf("%s: outbound goes to %v, want %v", what, got, want)
		}
	}
	order := func(what string, want ...uint32) {
		t.Helper()
		var got []uint32
		for _, p := range spd.Entries()[1].Pairs {
			got = append(got, p[0])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: pairs %x, want %x", what, got, want)
		}
	}
	oldIn, oldOut := vpnPair(0x1000, 0x2000)
	if err := sad.InstallPair(vpn, oldIn, oldOut); err != nil {
		t.Fatal(err)
	}
	newIn, newOut := vpnPair(0x1001, 0x2001)
	if err := sad.InstallPairOutboundLater(vpn, newIn, newOut); err != nil {
		t.Fatal(err)
	}
	expect("held back", oldOut)
	order("held back", 0x1000, 0x1001)
	if sad.Inbound(0x1001) != newIn {
		t.Fatal("the held pair's inbound SA is not found")
	}
	if err := sad.CheckInbound(newIn, inbound); err != nil {
		t.Errorf("the held pair's inbound SA refuses traffic: %v", err)
	}
	if !newIn.OutboundHeld() || !newOut.OutboundHeld() || oldIn.OutboundHeld() {
		t.Errorf("OutboundHeld: new %v/%v, old %v", newIn.OutboundHeld(), newOut.OutboundHeld(), oldIn.OutboundHeld())
	}
	// A second held pair goes after the active one, before the older held
	// one.
	otherIn, otherOut := vpnPair(0x1002, 0x2002)
	if err := sad.InstallPairOutboundLater(vpn, otherIn, otherOut); err != nil {
		t.Fatal(err)
	}
	order("two held", 0x1000, 0x1002, 0x1001)
	expect("two held", oldOut)

	if err := sad.ActivateOutbound(0x1001); err != nil {
		t.Fatal(err)
	}
	expect("activated", newOut)
	order("activated", 0x1001, 0x1000, 0x1002)
	if newIn.OutboundHeld() || !otherIn.OutboundHeld() {
		t.Errorf("OutboundHeld after activation: %v, other %v", newIn.OutboundHeld(), otherIn.OutboundHeld())
	}
	if err := sad.ActivateOutbound(0x1001); err != nil {
		t.Errorf("activating twice: %v", err)
	}
	order("activated twice", 0x1001, 0x1000, 0x1002)
	if err := sad.RemovePair(0x1000); err != nil {
		t.Fatal(err)
	}
	expect("old removed", newOut)
	if err := sad.RemovePair(0x1002); err != nil {
		t.Fatal(err)
	}
	order("held one removed", 0x1001)
	if err := sad.ActivateOutbound(0x1000); !errors.Is(err, policy.ErrUnknownSPI) {
		t.Errorf("activating a removed pair: %v", err)
	}
}

// TestOutboundLaterAlone: a held outbound SA with no other pair in its
// entry carries the traffic (nothing else could), also when the old pair is
// removed before the new one is activated; and it carries what the active
// pairs' selectors leave.
func TestOutboundLaterAlone(t *testing.T) {
	spd := vpnSPD(t)
	sad := policy.NewSAD(spd)
	web := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 80))
	ssh := parse(t, tcp("1.2.3.5", 40000, "5.6.7.8", 22))
	in, out := vpnPair(0x1000, 0x2000)
	if err := sad.InstallPairOutboundLater(vpn, in, out); err != nil {
		t.Fatal(err)
	}
	if got := spd.Outbound(web).SA; got != out {
		t.Errorf("the only pair, held: outbound goes to %v, want %v", got, out)
	}

	// Old pair removed first, then the new one activated.
	webOnly := policy.Selector{Protocol: policy.ProtoTCP, Local: rng("1.2.3.0/24"), Remote: rng("5.6.7.0/24"), RemotePorts: policy.Port(80)}
	oldIn, oldOut := vpnPair(0x1001, 0x2001, webOnly)
	if err := sad.ActivateOutbound(0x1000); err != nil {
		t.Fatal(err)
	}
	if err := sad.InstallPair(vpn, oldIn, oldOut); err != nil {
		t.Fatal(err)
	}
	newIn, newOut := vpnPair(0x1002, 0x2002)
	if err := sad.InstallPairOutboundLater(vpn, newIn, newOut); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		p    policy.Packet
		want *policy.SA
	}{
		{"web: the newest active pair", web, oldOut},
		{"ssh: the older active pair", ssh, out},
	} {
		if got := spd.Outbound(c.p).SA; got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
	for _, spi := range []uint32{0x1001, 0x1000} {
		if err := sad.RemovePair(spi); err != nil {
			t.Fatal(err)
		}
	}
	if got := spd.Outbound(ssh).SA; got != newOut {
		t.Errorf("old pairs removed before activation: %v, want %v", got, newOut)
	}
	if err := sad.ActivateOutbound(0x1002); err != nil || newIn.OutboundHeld() {
		t.Errorf("activation after the old pairs went: %v, held %v", err, newIn.OutboundHeld())
	}
	if got := spd.Outbound(web).SA; got != newOut {
		t.Errorf("activated: %v, want %v", got, newOut)
	}

	// Without an entry the hold is only recorded.
	free := policy.NewSAD(nil)
	a, b := vpnPair(0x1000, 0x2000)
	if err := free.InstallPairOutboundLater("", a, b); err != nil || !a.OutboundHeld() {
		t.Fatalf("install without entry: %v, held %v", err, a.OutboundHeld())
	}
	if err := free.ActivateOutbound(0x1000); err != nil || a.OutboundHeld() {
		t.Errorf("activate without entry: %v, held %v", err, a.OutboundHeld())
	}
}
