package ike

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The INFORMATIONAL exchange (RFC 7296 sections 1.4, 1.4.1, 2.4): deletes of
// the IKE SA and of Child SAs in either direction, and liveness checks.

// processInformational answers the peer's INFORMATIONAL request.
func (sa *ikeSA) processInformational(now time.Time, in *inMsg) result {
	e := sa.e
	var mine []byte // our inbound SPIs of the pairs the peer deletes
	var extra []Action
	deleted := 0
	for _, p := range in.payloads {
		switch q := p.(type) {
		case *wire.Delete:
			switch q.Protocol {
			case wire.ProtoIKE:
				// RFC 7296 section 1.4.1: a Delete of the IKE SA is answered
				// with an empty INFORMATIONAL response, and the IKE SA and its
				// Child SAs are gone.
				return result{outcome: model.DeleteIKE, reason: "the peer deleted the IKE SA"}
			case wire.ProtoESP, wire.ProtoAH:
				for _, spi := range q.SPIs {
					if len(spi) != 4 {
						continue
					}
					c := sa.childByOut(binary.BigEndian.Uint32(spi))
					if c == nil {
						// RFC 7296 section 1.4.1: SAs we do not have are ignored.
						continue
					}
					deleted++
					// RFC 7296 section 1.4.1: if we are deleting the same pair,
					// the response does not name it.
					if c.state != model.ChildDeleting {
						mine = binary.BigEndian.AppendUint32(mine, c.spiIn)
					}
					extra = append(extra, sa.removeChild(c)...)
				}
			}
		case *wire.Notify:
			if q.Type.IsError() {
				// RFC7296-2.21.4-9: audit, change nothing.
				e.log.Warn("peer reported an error in an INFORMATIONAL request", "ike", sa.String(), "notify", q.Type.String())
			}
		}
	}
	if deleted == 0 {
		return result{outcome: model.Empty, extra: extra}
	}
	res := result{outcome: model.DeleteChild, extra: extra}
	if len(mine) > 0 {
		d := &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4}
		for i := 0; i < len(mine); i += 4 {
			d.SPIs = append(d.SPIs, mine[i:i+4])
		}
		res.resp = []wire.Payload{d}
	}
	return res
}

// processInformationalResponse completes our INFORMATIONAL request.
func (sa *ikeSA) processInformationalResponse(now time.Time, in *inMsg, out *outstanding) result {
	res := result{outcome: model.OK}
	if out.kind == model.CmdChildDelete {
		// RFC 7296 section 1.4.1: the inbound halves go when the response
		// arrives (its Delete names the peer's halves, now gone too).
		for _, c := range out.children {
			if sa.hasChild(c) {
				res.extra = append(res.extra, sa.removeChild(c)...)
			}
		}
	}
	return res
}

func (sa *ikeSA) childByOut(spi uint32) *childSA {
	for _, c := range sa.children {
		if c.spiOut == spi {
			return c
		}
	}
	return nil
}

func (sa *ikeSA) hasChild(c *childSA) bool {
	for _, x := range sa.children {
		if x == c {
			return true
		}
	}
	return false
}

// childTo moves a Child SA through the model's Child SA table
// (model.ChildTable); an event the table does not allow in the Child SA's
// state is refused and logged, and the state stays.
func (sa *ikeSA) childTo(c *childSA, ev model.ChildEvent) bool {
	t, ok := model.ChildLookup(c.state, ev)
	if !ok {
		sa.e.log.Error("no Child SA transition in the model table", "ike", sa.String(), "child", c.id,
			"state", c.state.String(), "event", ev.String())
		return false
	}
	c.state = t.To
	return true
}

// removeChild forgets a Child SA pair. If it was replaced by a pair whose
// outbound SA waits (we answered the rekey), that one takes the traffic
// now: the initiator has deleted the old pair, so it has the new one
// (RFC 7296 section 2.8).
func (sa *ikeSA) removeChild(c *childSA) []Action {
	sa.childTo(c, model.ChildRemoved)
	for i, x := range sa.children {
		if x == c {
			sa.children = append(sa.children[:i:i], sa.children[i+1:]...)
			break
		}
	}
	delete(sa.e.childIn, c.spiIn)
	var acts []Action
	n := c.successor
	if n == nil {
		// The peer deleted a pair it was rekeying while we rekeyed it too:
		// its rekey is complete, its new pair can carry our traffic.
		n = c.peerRekey
	}
	if n != nil && n.outboundLater && sa.hasChild(n) {
		n.outboundLater = false
		sa.e.outSeq++
		n.outSeq = sa.e.outSeq
		acts = append(acts, ChildOutbound{IKE: sa.info(), Child: n.info(sa)})
	}
	sa.e.log.Info("CHILD_SA deleted", "ike", sa.String(), "child", c.cfg.Name, "id", c.id,
		"spi_in", fmt.Sprintf("%08x", c.spiIn), "spi_out", fmt.Sprintf("%08x", c.spiOut))
	return append(acts, ChildDown{IKE: sa.info(), Child: c.info(sa)})
}

// terminate deletes the IKE SA: with a Delete when it is established, at
// once otherwise (RFC7296-2.4-13: tell the peer unless it does not answer).
func (sa *ikeSA) terminate(now time.Time) []Action {
	if sa.state != model.Established {
		return sa.apply(now, 0, model.CmdTerminate, result{outcome: model.OK}, nil)
	}
	// An outstanding request would hold the Delete back: it is abandoned.
	// Its Message ID is not used again: the peer may have processed it,
	// and would take a second request with that ID for a retransmission
	// and answer it from its cache (RFC 7296 section 2.2; found by the
	// lockstep test against the model, which checks that message IDs never
	// repeat under one key).
	if sa.out != nil && sa.out.exchange != wire.IKE_SA_INIT {
		sa.nextReqID = sa.out.id + 1
	}
	sa.out, sa.queue = nil, nil
	res := result{outcome: model.OK, req: &queuedReq{exchange: wire.INFORMATIONAL, kind: model.CmdTerminate,
		payloads: []wire.Payload{&wire.Delete{Protocol: wire.ProtoIKE}}}}
	return sa.apply(now, model.INFORMATIONAL, model.CmdTerminate, res, nil)
}

// deleteChildren sends a Delete of our inbound SPIs (RFC7296-2.4-11). A
// pair being deleted stops carrying our traffic at once when an older pair
// of the same Child SA can take it (our redundant pair after a collision,
// RFC 7296 section 2.8.1): its inbound SA stays until the response.
func (sa *ikeSA) deleteChildren(now time.Time, cs []*childSA) []Action {
	d := &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4}
	var acts []Action
	for _, c := range cs {
		sa.childTo(c, model.ChildDeleteStart)
		d.SPIs = append(d.SPIs, spiBytes(c.spiIn))
		if r := sa.fallback(c); r != nil {
			sa.e.outSeq++
			r.outSeq = sa.e.outSeq
			acts = append(acts, ChildOutbound{IKE: sa.info(), Child: r.info(sa)})
		}
	}
	res := result{outcome: model.OK, req: &queuedReq{exchange: wire.INFORMATIONAL, kind: model.CmdChildDelete,
		payloads: []wire.Payload{d}, children: cs}}
	return append(acts, sa.apply(now, model.INFORMATIONAL, model.CmdChildDelete, res, nil)...)
}

// fallback is the pair of the same Child SA configuration that takes the
// traffic of c, being deleted, if c carries it now: the one whose outbound
// SA carried it last before, not being deleted itself.
func (sa *ikeSA) fallback(c *childSA) *childSA {
	var best *childSA
	for _, x := range sa.children {
		if x == c || x.cfg != c.cfg || x.outSeq == 0 || x.outboundLater {
			continue
		}
		if x.outSeq > c.outSeq {
			return nil // c does not carry the traffic
		}
		if x.state != model.ChildDeleting && (best == nil || x.outSeq > best.outSeq) {
			best = x
		}
	}
	return best
}

// UnknownESP is told by the data plane that an ESP packet arrived from peer
// with an SPI we do not have. RFC7296-2.21.4-7 and RFC7296-2.21.4-8: over an
// IKE SA with that peer, an INFORMATIONAL request with N(INVALID_SPI)
// carrying the SPI reports it; the rate of such reports is limited
// (RFC7296-2.4-7). Without such an IKE SA nothing is sent.
func (e *Engine) UnknownESP(now time.Time, peer netip.AddrPort, spi uint32) []Action {
	if e.childIn[spi] != nil {
		return nil
	}
	for _, sa := range e.sasOrdered() {
		if sa.state != model.Established || sa.remote.Addr() != peer.Addr() {
			continue
		}
		if !e.allowUnauth(now) {
			return nil
		}
		res := result{outcome: model.OK, req: &queuedReq{exchange: wire.INFORMATIONAL, kind: model.ReportError,
			payloads: []wire.Payload{&wire.Notify{Protocol: wire.ProtoESP, Type: wire.INVALID_SPI, Data: spiBytes(spi)}}}}
		return sa.apply(now, model.INFORMATIONAL, model.ReportError, res, nil)
	}
	return nil
}

// ChildExhausted is told by the data plane that the outbound SA with SPI
// spiOut nears (hard = false) or reached (hard = true) the end of its
// sequence numbers, which never cycle (RFC4303-3.3.3-4): at the soft limit
// the Child SA is rekeyed, at the hard one it is deleted (RFC7296-2.4-11),
// so that the peer stops using it too.
func (e *Engine) ChildExhausted(now time.Time, spiOut uint32, hard bool) []Action {
	for _, sa := range e.sasOrdered() {
		if c := sa.childByOut(spiOut); c != nil {
			return sa.childLimit(now, c, hard, "sequence numbers")
		}
	}
	return nil
}

// ChildLimit is told by the data plane that the pair whose inbound SPI is
// spiIn has carried its soft (hard = false) or hard limit of octets or
// packets (ChildUp.SoftBytes and the like): the Child SA is rekeyed, or
// deleted (RFC 7296 section 2.8).
func (e *Engine) ChildLimit(now time.Time, spiIn uint32, hard bool) []Action {
	sa, c := e.childSAByIn(spiIn)
	if c == nil {
		return nil
	}
	return sa.childLimit(now, c, hard, "octets or packets")
}

// Rekey rekeys the connection's IKE SA (ike) or its Child SAs named child
// (RFC 7296 sections 1.3.2, 1.3.3), as the operator asks.
func (e *Engine) Rekey(now time.Time, conn, child string, ike bool) ([]Action, error) {
	c, err := e.connection(conn)
	if err != nil {
		return nil, err
	}
	var acts []Action
	found := false
	for _, sa := range e.sasOf(c) {
		if sa.state != model.Established {
			continue
		}
		if ike {
			if sa.rekeying != nil {
				return nil, fmt.Errorf("ike: IKE SA %s is being rekeyed already", sa)
			}
			found = true
			acts = append(acts, sa.rekeyIKE(now)...)
			continue
		}
		for _, ch := range slices.Clone(sa.children) {
			if ch.cfg != nil && (child == "" || ch.cfg.Name == child) && ch.state == model.ChildInstalled && !ch.outboundLater {
				found = true
				acts = append(acts, sa.rekeyChild(now, ch)...)
			}
		}
	}
	if !found {
		if ike {
			return nil, fmt.Errorf("ike: connection %q has no established IKE SA to rekey", conn)
		}
		return nil, fmt.Errorf("ike: connection %q has no installed Child SA %q to rekey", conn, child)
	}
	return acts, nil
}
