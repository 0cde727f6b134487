package ike

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// The first Child SA, negotiated inside IKE_AUTH (RFC 7296 sections 1.3,
// 1.3.1, 2.9, 2.17): ESP proposals with our inbound SPI, traffic selectors
// narrowed by policy, USE_TRANSPORT_MODE, and its keys.

// childOffer is the initiator's part of IKE_AUTH for one child:
// [N(USE_TRANSPORT_MODE)] SA TSi TSr.
func (sa *ikeSA) childOffer(ch *Child, spi uint32) []wire.Payload {
	var ps []wire.Payload
	if ch.Mode == Transport {
		// RFC 7296 section 1.3.1: ask for transport mode.
		ps = append(ps, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
	}
	return append(ps,
		&wire.SA{Proposals: offer(ch.ESPProposals, wire.ProtoESP, spiBytes(spi), false)},
		&wire.TS{Selectors: toWire(sa.offerLocalTS(ch.LocalTS))},
		&wire.TS{Responder: true, Selectors: toWire(resolve(ch.RemoteTS, sa.remoteDyn()))})
}

func findTS(ps []wire.Payload, responder bool) *wire.TS {
	for _, p := range ps {
		if t, ok := p.(*wire.TS); ok && t.Responder == responder {
			return t
		}
	}
	return nil
}

// respondChild chooses a child configuration, a proposal and narrowed
// selectors for the initiator's SA, TSi and TSr, and builds the answer.
func (sa *ikeSA) respondChild(now time.Time, ps []wire.Payload) ([]wire.Payload, *childSA, error) {
	e := sa.e
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return nil, nil, err
	}
	tsi, tsr := findTS(ps, false), findTS(ps, true)
	if tsi == nil || tsr == nil {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "an SA payload without TSi and TSr")
	}
	_, wantTransport := wire.FindNotify(ps, wire.USE_TRANSPORT_MODE)
	// RFC 4301 section 4.4.3.4: the SPD and PAD say which child, if any,
	// this peer may have for the proposed traffic, narrowed as needed.
	cfg, ti, tr, err := sa.narrowChild(fromWire(tsi.Selectors), fromWire(tsr.Selectors))
	if err != nil {
		return nil, nil, errNotify(wire.TS_UNACCEPTABLE, model.ChildFailed, "TSi %v / TSr %v: %v",
			tsStrings(fromWire(tsi.Selectors)), tsStrings(fromWire(tsr.Selectors)), err)
	}
	s, err := selectProposal(cfg.ESPProposals, saP.Proposals, wire.ProtoESP, propAuthChild, 0)
	if err != nil {
		return nil, nil, errNotify(wire.NO_PROPOSAL_CHOSEN, model.ChildFailed, "child %q: %v", cfg.Name, err)
	}
	if len(s.SPI) != 4 {
		return nil, nil, errNotify(wire.INVALID_SYNTAX, model.Refused, "ESP proposal with an SPI of %d octets", len(s.SPI))
	}
	spiIn, err := e.newChildSPI()
	if err != nil {
		return nil, nil, err
	}
	c := &childSA{cfg: cfg, spiIn: spiIn, spiOut: binary.BigEndian.Uint32(s.SPI),
		suite: s, mode: Tunnel, localTS: tr, remoteTS: ti, established: now}
	sa.childTo(c, model.ChildNegotiated)
	var out []wire.Payload
	// RFC 7296 section 1.3.1: transport mode if asked for and allowed;
	// otherwise the Child SA is in tunnel mode.
	if wantTransport && cfg.Mode == Transport {
		c.mode = Transport
		out = append(out, &wire.Notify{Type: wire.USE_TRANSPORT_MODE})
	}
	if c.keys, err = sa.childKeys(&s); err != nil {
		return nil, nil, err
	}
	e.nextID++
	c.id = e.nextID
	out = append(out, &wire.SA{Proposals: []wire.Proposal{s.answer(wire.ProtoESP, spiBytes(spiIn))}},
		&wire.TS{Selectors: toWire(ti)}, &wire.TS{Responder: true, Selectors: toWire(tr)})
	return out, c, nil
}

// childErrors are the Notify errors that refuse the Child SA of IKE_AUTH but
// leave the IKE SA standing (RFC 7296 section 2.21.2).
var childErrors = []wire.NotifyType{wire.NO_PROPOSAL_CHOSEN, wire.TS_UNACCEPTABLE, wire.SINGLE_PAIR_REQUIRED,
	wire.INTERNAL_ADDRESS_FAILURE, wire.FAILED_CP_REQUIRED, wire.INVALID_SELECTORS}

// childAnswer checks the responder's SA, TSi and TSr against what we offered.
func (sa *ikeSA) childAnswer(ch *Child, ps []wire.Payload) (*childSA, error) {
	for _, t := range childErrors {
		if _, ok := wire.FindNotify(ps, t); ok {
			return nil, fmt.Errorf("ike: Child SA %q refused by the peer: %v", ch.Name, t)
		}
	}
	saP, err := one[*wire.SA](ps, "SA")
	if err != nil {
		return nil, fmt.Errorf("ike: Child SA %q: %w", ch.Name, err)
	}
	s, err := checkAnswer(saP, ch.ESPProposals, wire.ProtoESP, propAuthChild)
	if err != nil {
		return nil, fmt.Errorf("ike: Child SA %q: %w", ch.Name, err)
	}
	if len(s.SPI) != 4 {
		return nil, fmt.Errorf("ike: Child SA %q: the responder's SPI has %d octets", ch.Name, len(s.SPI))
	}
	tsi, tsr := findTS(ps, false), findTS(ps, true)
	if tsi == nil || tsr == nil {
		return nil, fmt.Errorf("ike: Child SA %q: the response lacks TSi or TSr", ch.Name)
	}
	ti, tr := fromWire(tsi.Selectors), fromWire(tsr.Selectors)
	if err := sa.acceptsAnswer(ch, ti, tr); err != nil {
		return nil, fmt.Errorf("ike: Child SA %q: %w", ch.Name, err)
	}
	mode := Tunnel
	if _, ok := wire.FindNotify(ps, wire.USE_TRANSPORT_MODE); ok {
		if ch.Mode != Transport {
			return nil, fmt.Errorf("ike: Child SA %q: transport mode in the response, which we did not ask for", ch.Name)
		}
		mode = Transport
	} else if ch.Mode == Transport {
		sa.e.log.Warn("the responder declined transport mode; the Child SA is in tunnel mode", "ike", sa.String(), "child", ch.Name)
	}
	c := &childSA{cfg: ch, spiIn: sa.pendingSPI, spiOut: binary.BigEndian.Uint32(s.SPI),
		suite: s, mode: mode, localTS: ti, remoteTS: tr, established: sa.lastRecv}
	sa.childTo(c, model.ChildNegotiated)
	if c.keys, err = sa.childKeys(&s); err != nil {
		return nil, err
	}
	sa.e.nextID++
	c.id = sa.e.nextID
	return c, nil
}
