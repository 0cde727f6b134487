package fuzz

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// FuzzEngineReceive feeds arbitrary datagrams to IKE engines (impl/ike): a
// responder with no SAs, and both ends of an established IKE SA (from either
// peer's address and port, with and without the non-ESP marker). Whatever
// arrives, the engine must not panic, must answer at most with messages that
// decode, and must leave an established SA established unless the input
// authenticates (which random input does not).
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzEngineReceive$' -fuzztime=60s
func FuzzEngineReceive(f *testing.F) {
	// Seeds: the messages of a handshake and of a Delete between engines
	// with other keys than the ones under test (so no seed authenticates),
	// and the capture messages.
	for _, s := range handshakeMessages(f) {
		f.Add(s, uint8(0))
	}
	msgs, err := CaptureMessages("../testdata/captures")
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(m.Bytes, uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, how uint8) {
		// A fresh pair for every input: the same seeds, so the same SPIs and
		// keys, and no state carried from one input to the next.
		net, l, r := establishedPair(t, 1, 2)
		want := onlySA(t, l)
		// Aim some inputs at the live SA: its SPIs in the header.
		if how&4 != 0 && len(data) >= 16 {
			data = append([]byte(nil), data...)
			for i := range 8 {
				data[i], data[8+i] = byte(want.SPIi>>(56-8*i)), byte(want.SPIr>>(56-8*i))
			}
		}
		d := ike.Datagram{Local: netip.MustParseAddrPort("192.0.2.2:500"),
			Remote: netip.MustParseAddrPort("192.0.2.1:500"), Data: data, NonESPMarker: how&2 != 0}
		target := r
		if how&1 != 0 {
			target = l
			d.Local, d.Remote = d.Remote, d.Local
		}
		for _, a := range target.Engine.Receive(net.Now, d) {
			if s, ok := a.(ike.Send); ok && len(s.Data) > 1 {
				if _, _, _, err := wire.DecodeHeader(s.Data); err != nil {
					t.Fatalf("the engine sent an undecodable message: %v", err)
				}
			}
		}
		target.Engine.Tick(net.Now.Add(time.Second))
		// Unauthenticated input never changes an established SA
		// (RFC7296-2.21.4-5); an IKE_SA_INIT may add a half-open one.
		for _, nd := range []*iketest.Node{l, r} {
			found := false
			for _, s := range nd.Engine.SAs() {
				if s.SPIi == want.SPIi {
					found = s.State == "ESTABLISHED" && len(s.Children) == 1
				}
			}
			if !found {
				t.Fatalf("%s: the established SA changed: %+v", nd.Name, nd.Engine.SAs())
			}
		}
	})
}

func establishedPair(tb testing.TB, seedL, seedR uint64) (*iketest.Net, *iketest.Node, *iketest.Node) {
	n := iketest.New()
	l, err := n.Add("left", netip.MustParseAddr("192.0.2.1"), pairConfig(tb, "192.0.2.1", "192.0.2.2", "left@lab.example", "right@lab.example", seedL))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := n.Add("right", netip.MustParseAddr("192.0.2.2"), pairConfig(tb, "192.0.2.2", "192.0.2.1", "right@lab.example", "left@lab.example", seedR))
	if err != nil {
		tb.Fatal(err)
	}
	acts, err := l.Engine.Initiate(n.Now, "lab", "net")
	if err != nil {
		tb.Fatal(err)
	}
	n.Do(l, acts)
	if err := n.Flush(20); err != nil {
		tb.Fatal(err)
	}
	return n, l, r
}

func onlySA(tb testing.TB, nd *iketest.Node) ike.SAInfo {
	s := nd.Engine.SAs()
	if len(s) != 1 || s[0].State != "ESTABLISHED" {
		tb.Fatalf("%s: %+v", nd.Name, s)
	}
	return s[0]
}

// handshakeMessages records every datagram of a handshake and a Delete.
func handshakeMessages(tb testing.TB) [][]byte {
	n, l, _ := establishedPair(tb, 5, 6)
	var out [][]byte
	acts, err := l.Engine.Terminate(n.Now, "lab")
	if err != nil {
		tb.Fatal(err)
	}
	n.Do(l, acts)
	for len(n.InFlight) > 0 {
		out = append(out, n.InFlight[0].Data)
		n.Deliver(0)
	}
	n2 := iketest.New()
	l2, _ := n2.Add("left", netip.MustParseAddr("192.0.2.1"), pairConfig(tb, "192.0.2.1", "192.0.2.2", "left@lab.example", "right@lab.example", 3))
	if _, err := n2.Add("right", netip.MustParseAddr("192.0.2.2"), pairConfig(tb, "192.0.2.2", "192.0.2.1", "right@lab.example", "left@lab.example", 4)); err != nil {
		tb.Fatal(err)
	}
	acts, err = l2.Engine.Initiate(n2.Now, "lab", "net")
	if err != nil {
		tb.Fatal(err)
	}
	n2.Do(l2, acts)
	for k := 0; len(n2.InFlight) > 0 && k < 20; k++ {
		out = append(out, n2.InFlight[0].Data)
		n2.Deliver(0)
	}
	return out
}

func pairConfig(tb testing.TB, local, remote, localID, remoteID string, seed uint64) ike.Config {
	id := func(s string) ike.Identity {
		i, err := ike.ParseIdentity(s)
		if err != nil {
			tb.Fatal(err)
		}
		return i
	}
	host := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s + "/32")} }
	sel := func(s string) []ike.TrafficSelector {
		a := netip.MustParseAddr(s)
		return []ike.TrafficSelector{{Start: a, End: a, EndPort: 0xffff}}
	}
	ts := map[string]string{"192.0.2.1": "198.51.100.1", "192.0.2.2": "198.51.100.2"}
	c := &ike.Connection{Name: "lab", LocalAddrs: host(local), RemoteAddrs: host(remote),
		Proposals: []ike.Proposal{{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}},
			PRF: []wire.PRFID{wire.PRF_HMAC_SHA2_256}, KE: []wire.KEID{wire.CURVE25519}}},
		Local:  ike.AuthConfig{Auth: ike.AuthPSK, ID: id(localID)},
		Remote: ike.AuthConfig{Auth: ike.AuthPSK, ID: id(remoteID)},
		Children: []*ike.Child{{Name: "net", ESPProposals: []ike.Proposal{{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}}},
			LocalTS: sel(ts[local]), RemoteTS: sel(ts[remote])}}}
	return ike.Config{Connections: []*ike.Connection{c}, Rand: iketest.Rand(seed),
		Secrets: []ike.Secret{{IDs: []ike.Identity{id(localID), id(remoteID)}, Key: []byte("fuzz-psk-0123456789")}}}
}
