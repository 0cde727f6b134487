package ike

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The engine's questions to the IPsec databases (RFC 4301 section 4.4,
// impl/policy): which traffic a peer may have a Child SA for. The SPD and
// PAD are built from the connection's configuration as the policy package
// documents it — one PROTECT entry per child selector, one PAD entry for the
// connection's remote identity — with the children's "dynamic" selectors
// resolved to this IKE SA's addresses, which is why they are built per IKE
// SA rather than once.

// childPolicy is the SPD and PAD of sa's connection, and which child owns
// each PROTECT entry.
func (sa *ikeSA) childPolicy() (*policy.Databases, map[string]*Child, error) {
	c := sa.conn
	owner := map[string]*Child{}
	var spd []policy.Entry
	var names []string
	for _, ch := range c.Children {
		sels := policy.SelectorsFromTS(toPolicy(resolve(ch.LocalTS, sa.localDyn())),
			toPolicy(resolve(ch.RemoteTS, sa.remoteDyn())))
		for i, s := range sels {
			name := fmt.Sprintf("%s/%s#%d", c.Name, ch.Name, i)
			esp := policy.ESP{Mode: policy.Mode(ch.Mode), Connection: c.Name, Child: ch.Name}
			if ch.Mode == Tunnel {
				esp.Peer = sa.remote.Addr().Unmap()
			}
			spd = append(spd, policy.Entry{Name: name, Match: s, Action: policy.Protect, ESP: esp})
			names = append(names, name)
			owner[name] = ch
		}
	}
	pad := policy.PADEntry{Name: c.Name, ID: idMatch(c.Remote.ID), Auth: []wire.AuthMethod{wire.AuthSharedKeyMIC},
		PeerAddrs: policy.AnyAddrs(), Children: names, RemoteAddrs: policy.AnyAddrs()}
	db, err := policy.New(policy.Config{SPD: spd, PAD: []policy.PADEntry{pad}})
	if err != nil {
		return nil, nil, fmt.Errorf("ike: connection %q: %w", c.Name, err)
	}
	return db, owner, nil
}

// idMatch is the PAD's exact match of a configured identity; no identity
// configured matches any (RFC 4301 section 4.4.3.1).
func idMatch(id Identity) policy.IDMatch {
	switch id.Type {
	case 0:
		return policy.IDMatch{Any: true}
	case wire.ID_FQDN, wire.ID_RFC822_ADDR:
		return policy.IDMatch{Type: id.Type, Name: string(id.Data)}
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		a, _ := netip.AddrFromSlice(id.Data)
		return policy.IDMatch{Type: id.Type, Addrs: []policy.AddrRange{policy.Host(a)}}
	}
	return policy.IDMatch{Type: id.Type, Data: id.Data}
}

// narrowChild is the responder's decision (RFC 7296 section 2.9, RFC 4301
// section 4.4.3.4): the child whose policy accepts (a narrowed part of) the
// initiator's TSi/TSr, with the selectors to answer.
func (sa *ikeSA) narrowChild(tsi, tsr []TrafficSelector) (*Child, []TrafficSelector, []TrafficSelector, error) {
	db, owner, err := sa.childPolicy()
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := db.PAD.Narrow(db.SPD, policy.Identity(sa.remoteID), toPolicy(tsr), toPolicy(tsi))
	if err != nil {
		return nil, nil, nil, err
	}
	return owner[n.Entry], fromPolicy(n.Remote), fromPolicy(n.Local), nil
}

// acceptsAnswer is the initiator's check of the responder's TSi/TSr for
// child ch: the same decision must give the answer back unchanged, from one
// of ch's own entries (the responder may only narrow, RFC 7296 section 2.9).
func (sa *ikeSA) acceptsAnswer(ch *Child, tsi, tsr []TrafficSelector) error {
	db, owner, err := sa.childPolicy()
	if err != nil {
		return err
	}
	n, err := db.PAD.Narrow(db.SPD, policy.Identity(sa.remoteID), toPolicy(tsi), toPolicy(tsr))
	switch {
	case err != nil:
		return err
	case owner[n.Entry] != ch:
		return fmt.Errorf("ike: the selectors fall under child %q's policy, not %q's", owner[n.Entry].Name, ch.Name)
	case !slices.Equal(n.Local, toPolicy(tsi)) || !slices.Equal(n.Remote, toPolicy(tsr)):
		return fmt.Errorf("ike: the responder's selectors %v / %v are not within ours", tsStrings(tsi), tsStrings(tsr))
	}
	return nil
}

func toPolicy(ts []TrafficSelector) []policy.TS {
	out := make([]policy.TS, 0, len(ts))
	for _, t := range ts {
		out = append(out, policy.TS{Protocol: t.Protocol, StartPort: t.StartPort, EndPort: t.EndPort,
			Start: t.Start.Unmap(), End: t.End.Unmap()})
	}
	return out
}

func fromPolicy(ts []policy.TS) []TrafficSelector {
	out := make([]TrafficSelector, 0, len(ts))
	for _, t := range ts {
		out = append(out, TrafficSelector{Protocol: t.Protocol, StartPort: t.StartPort, EndPort: t.EndPort,
			Start: t.Start, End: t.End})
	}
	return out
}
