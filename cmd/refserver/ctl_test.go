package main

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// ikeWith is IKE SA lab[id] with the given Child SAs.
func ikeWith(id uint64, state string, children ...ike.ChildInfo) ike.SAInfo {
	return ike.SAInfo{Name: "lab", UniqueID: id, State: state, Children: children}
}

func childSA(name string, id uint64, state string) ike.ChildInfo {
	return ike.ChildInfo{Name: name, UniqueID: id, State: state, SPIIn: 0xc0000000 | uint32(id), SPIOut: 0xd0000000 | uint32(id)}
}

// TestChildWait walks ctl initiate's wait for a Child SA that the engine
// adds to an existing IKE SA (CREATE_CHILD_SA) through the snapshots the
// engine could show, step by step.
func TestChildWait(t *testing.T) {
	before := []ike.SAInfo{
		ikeWith(1, "ESTABLISHED", childSA("net", 2, "INSTALLED"), childSA("other", 3, "INSTALLED")),
		{Name: "elsewhere", UniqueID: 4, State: "ESTABLISHED", Children: []ike.ChildInfo{childSA("net", 5, "INSTALLED")}},
	}
	// A Child SA removed before the command does not count.
	oldDowns := []childDownRecord{{conn: "lab", name: "net", ikeID: 1, id: 6}}
	if newChildWait("lab", "net", before[1:], nil) != nil {
		t.Error("a wait for a connection without IKE SA")
	}
	if newChildWait("lab", "net", []ike.SAInfo{ikeWith(1, "DELETED")}, nil) != nil {
		t.Error("a wait on a DELETED IKE SA")
	}
	type step struct {
		what   string
		sas    []ike.SAInfo
		downs  map[uint64]downRecord
		cdowns []childDownRecord
		done   bool
		ok     bool
		want   string // in the message, the error or (not done) waiting()
	}
	installed2 := childSA("net", 2, "INSTALLED")
	for _, tc := range []struct {
		name  string
		child string
		steps []step
	}{
		{"installed", "net", []step{
			{what: "nothing new", sas: before, cdowns: oldDowns, want: "no new CHILD_SA net on IKE SA lab[1]"},
			{what: "another name", sas: []ike.SAInfo{ikeWith(1, "ESTABLISHED", installed2, childSA("other", 7, "INSTALLED"))},
				cdowns: oldDowns, want: "no new CHILD_SA net on IKE SA lab[1]"},
			{what: "creating", sas: []ike.SAInfo{ikeWith(1, "ESTABLISHED", installed2, childSA("net", 8, "CREATING"))},
				want: "CHILD_SA net{8} on IKE SA lab[1] still CREATING"},
			{what: "installed", sas: []ike.SAInfo{ikeWith(1, "ESTABLISHED", childSA("net", 2, "REKEYED"), childSA("net", 8, "INSTALLED"))},
				done: true, ok: true, want: "CHILD_SA net{8} established on IKE_SA lab[1] with SPIs c0000008_i d0000008_o"},
		}},
		{"first child when none named", "", []step{
			{what: "installed", sas: []ike.SAInfo{ikeWith(1, "ESTABLISHED", installed2, childSA("other", 9, "INSTALLED"))},
				done: true, ok: true, want: "CHILD_SA other{9} established"},
		}},
		{"deleted between polls", "net", []step{
			{what: "deleted", sas: before, cdowns: append(oldDowns, childDownRecord{conn: "lab", name: "net", ikeID: 1, id: 10}),
				done: true, want: "CHILD_SA net{10} on IKE SA lab[1] was deleted before it was seen INSTALLED"},
		}},
		{"gone", "net", []step{
			{what: "creating", sas: []ike.SAInfo{ikeWith(1, "ESTABLISHED", childSA("net", 11, "CREATING"))},
				want: "still CREATING"},
			{what: "gone", sas: before, done: true, want: "CHILD_SA net{11} on IKE SA lab[1] is gone (it was CREATING)"},
		}},
		{"IKE SA failed", "net", []step{
			{what: "failed", sas: before[1:], downs: map[uint64]downRecord{1: {name: "lab", reason: "peer unreachable"}},
				done: true, want: "no new CHILD_SA net: IKE SA lab[1] failed: peer unreachable"},
		}},
		{"IKE SA gone", "net", []step{
			{what: "gone", sas: nil, done: true, want: "no new CHILD_SA net: IKE SA lab[1] is gone"},
		}},
		{"IKE SA rekeyed meanwhile", "net", []step{
			{what: "successor", sas: []ike.SAInfo{ikeWith(12, "ESTABLISHED", installed2)}, want: "no new CHILD_SA net"},
			{what: "on the successor", sas: []ike.SAInfo{ikeWith(12, "ESTABLISHED", installed2, childSA("net", 13, "INSTALLED"))},
				done: true, ok: true, want: "CHILD_SA net{13} established on IKE_SA lab[12]"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			child := tc.child
			cw := newChildWait("lab", child, before, oldDowns)
			if cw == nil {
				t.Fatal("no wait")
			}
			for _, st := range tc.steps {
				resp, done := cw.check(st.sas, st.downs, st.cdowns)
				if done != st.done {
					t.Fatalf("%s: done %v, want %v (%+v)", st.what, done, st.done, resp)
				}
				got := cw.waiting()
				if done {
					got = resp.Message + resp.Error
					if resp.OK != st.ok {
						t.Errorf("%s: ok %v, want %v: %s", st.what, resp.OK, st.ok, got)
					}
					if resp.OK && (len(resp.SAs) != 1 || resp.SAs[0].Name != "lab") {
						t.Errorf("%s: SAs %+v", st.what, resp.SAs)
					}
				}
				if !strings.Contains(got, st.want) {
					t.Errorf("%s: %q, want %q in it", st.what, got, st.want)
				}
			}
		})
	}
}

// TestInitiateWithIKESA initiates a connection that already has an IKE
// SA: ctl initiate must not wait for a new IKE SA. Either the engine adds
// the Child SA with CREATE_CHILD_SA, and initiate reports the new CHILD_SA
// on the same IKE SA, or it refuses, and initiate reports the engine's
// error at once. Then ctl rekey reaches the engine.
func TestInitiateWithIKESA(t *testing.T) {
	init, _ := startTransportPair(t)

	if out, errOut, code := runCtlT(t, init.ctl, "initiate", "lab", "--child", "net", "--timeout", "5s"); code != 0 {
		t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
	first := listSAs(t, init.ctl)
	c0 := oneChild(t, "initiator", first)
	out, errOut, code := runCtlT(t, init.ctl, "initiate", "lab", "--child", "net", "--timeout", "5s")
	sas := listSAs(t, init.ctl)
	if len(sas) != 1 || sas[0].UniqueID != first[0].UniqueID {
		t.Fatalf("a second IKE SA: %+v", sas)
	}
	switch code {
	case 0:
		var added *childJSON
		for _, c := range sas[0].Children {
			if c.Name == "net" && c.UniqueID != c0.UniqueID {
				added = &c
			}
		}
		if added == nil || added.State != "INSTALLED" {
			t.Fatalf("initiate said %q, but list-sas has %+v", out, sas[0].Children)
		}
		if want := fmt.Sprintf("CHILD_SA net{%d} established on IKE_SA lab[%d]", added.UniqueID, sas[0].UniqueID); !strings.Contains(out, want) {
			t.Errorf("initiate said %q, want %q", out, want)
		}
	case 1:
		if !strings.HasPrefix(errOut, "refserver: initiate lab: ike: ") {
			t.Errorf("initiate refused with %q, want the engine's error", errOut)
		}
		if len(sas[0].Children) != 1 {
			t.Errorf("Child SAs after a refused initiate: %+v", sas[0].Children)
		}
	default:
		t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
	t.Logf("second initiate: exit %d: %s%s", code, out, errOut)

	// ctl rekey reaches the engine: it rekeys, or says why not.
	for _, args := range [][]string{{"rekey", "lab", "--child", "net"}, {"rekey", "lab", "--ike"}, {"rekey", "lab"}} {
		out, errOut, code := runCtlT(t, init.ctl, args...)
		t.Logf("ctl %q: exit %d: %s%s", args, code, out, errOut)
		switch {
		case code == 0 && strings.HasPrefix(out, "rekeying "):
		case code == 1 && strings.HasPrefix(errOut, "refserver: rekey lab: ike: "):
		default:
			t.Errorf("ctl %q: exit %d: %q %q", args, code, out, errOut)
		}
	}
}

// TestActDataPlane: the engine's actions reach the data plane: ChildUp
// with OutboundLater and volume limits, ChildOutbound, ChildDown.
func TestActDataPlane(t *testing.T) {
	dp, err := dataplane.New(dataplane.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer dp.Close()
	s := &server{log: hclog.NewNullLogger(), dp: dp, downs: map[uint64]downRecord{}}
	sa := sampleSA()
	sa.Local, sa.Remote = netip.MustParseAddrPort("192.0.2.1:500"), netip.MustParseAddrPort("192.0.2.2:500")
	up := func(c ike.ChildInfo) ike.ChildUp {
		ts := func(a string) []ike.TrafficSelector {
			x := netip.MustParseAddr(a)
			return []ike.TrafficSelector{{Start: x, End: x, EndPort: 0xffff}}
		}
		return ike.ChildUp{IKE: sa, Child: c, Encr: ike.EncrAlg{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}, Integ: wire.AUTH_NONE,
			InEnc: make([]byte, 20), OutEnc: make([]byte, 20),
			LocalSel: ts("198.51.100.2"), RemoteSel: ts("198.51.100.1")}
	}
	old, neu := sa.Children[0], sa.Children[0]
	neu.UniqueID, neu.SPIIn, neu.SPIOut = 5, 0xc6a5e4f4, 0x0bd06d2f
	u := up(neu)
	u.OutboundLater, u.SoftBytes, u.HardBytes, u.SoftPackets, u.HardPackets = true, 1000, 2000, 10, 20
	if got := childOf(u); !got.OutboundLater || got.SoftBytes != 1000 || got.HardBytes != 2000 ||
		got.SoftPackets != 10 || got.HardPackets != 20 {
		t.Errorf("childOf: %+v", got)
	}
	s.act([]ike.Action{up(old), u})
	if st, ok := dp.ChildStats(neu.SPIIn); !ok || !st.OutboundHeld {
		t.Fatalf("the new pair: %+v %v", st, ok)
	}
	if spd := dp.SPD(); len(spd) != 2 || len(spd[0].Pairs) != 2 || spd[0].Pairs[0][0] != old.SPIIn {
		t.Errorf("SPD before ChildOutbound: %+v", spd)
	}
	s.act([]ike.Action{ike.ChildOutbound{IKE: sa, Child: neu}, ike.ChildDown{IKE: sa, Child: old}})
	if st, _ := dp.ChildStats(neu.SPIIn); st.OutboundHeld {
		t.Error("still held after ChildOutbound")
	}
	if spd := dp.SPD(); len(spd[0].Pairs) != 1 || spd[0].Pairs[0][0] != neu.SPIIn {
		t.Errorf("SPD after ChildOutbound and ChildDown: %+v", spd)
	}
	if len(s.childDowns) != 1 || s.childDowns[0].id != old.UniqueID || s.childDowns[0].conn != "lab" {
		t.Errorf("child downs %+v", s.childDowns)
	}
	// The data plane's limit reports go to the loop's channel.
	s.limits = make(chan limitReport, 1)
	s.onLimit(neu.SPIIn, false)
	s.onLimit(neu.SPIIn, true) // full: dropped with a warning, never blocks
	if r := <-s.limits; r != (limitReport{spiIn: neu.SPIIn, hard: false}) {
		t.Errorf("limit report %+v", r)
	}
}

// TestRekeyLoopback rekeys a Child SA through ctl rekey and checks the
// data planes afterwards: each end holds one pair, with new SPIs, whose
// outbound SA sends (the responder's was held back until the engine's
// ChildOutbound, or the old pair's removal), and probes pass both ways.
// When the engine refuses the rekey, its error is all there is to check.
func TestRekeyLoopback(t *testing.T) {
	init, resp := startTransportPair(t)
	if out, errOut, code := runCtlT(t, init.ctl, "initiate", "lab", "--child", "net", "--timeout", "5s"); code != 0 {
		t.Fatalf("initiate: exit %d: %s%s", code, out, errOut)
	}
	old := oneChild(t, "initiator", listSAs(t, init.ctl))
	out, errOut, code := runCtlT(t, init.ctl, "rekey", "lab", "--child", "net")
	if code != 0 {
		if !strings.HasPrefix(errOut, "refserver: rekey lab: ike: ") {
			t.Fatalf("rekey: exit %d: %s%s", code, out, errOut)
		}
		t.Skipf("the engine does not rekey: %s", errOut)
	}
	if out != "rekeying CHILD_SA net of lab\n" {
		t.Errorf("rekey said %q", out)
	}
	// Done when each end has one Child SA, a new one, and one pair.
	deadline := time.Now().Add(testWait)
	for {
		ci, cr := listSAs(t, init.ctl), listSAs(t, resp.ctl)
		done := len(ci) == 1 && len(cr) == 1 && len(ci[0].Children) == 1 && len(cr[0].Children) == 1 &&
			ci[0].Children[0].UniqueID != old.UniqueID && ci[0].Children[0].State == "INSTALLED" &&
			cr[0].Children[0].State == "INSTALLED" && ci[0].Children[0].SPIIn == cr[0].Children[0].SPIOut &&
			statsOf(t, init.ctl).DataPlane.Children == 1 && statsOf(t, resp.ctl).DataPlane.Children == 1
		if done {
			c := ci[0].Children[0]
			if c.SPIIn == old.SPIIn || c.SPIOut == old.SPIOut || !c.DataPlane || c.OutboundHeld || cr[0].Children[0].OutboundHeld {
				t.Errorf("after the rekey: initiator %+v, responder %+v", c, cr[0].Children[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rekey did not settle within %v: initiator %+v, responder %+v", testWait, ci, cr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ts := range []*testServer{init, resp} {
		if out, errOut, code := runCtlT(t, ts.ctl, "probe", "lab", "--count", "2", "--timeout", "5s"); code != 0 {
			t.Errorf("probe after the rekey: exit %d: %s%s", code, out, errOut)
		}
	}
}
