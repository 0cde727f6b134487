package ike

import (
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The manager's part of an IKE SA (RFC 7296 sections 2.1-2.3): message IDs,
// the window of one, the copy of our request until its response arrives
// (retransmitted by onTimer), and the cached last response that answers a
// retransmitted request.

// request sends a request, or queues it while another is outstanding (the
// window is one message: RFC7296-2.3-2).
func (sa *ikeSA) request(now time.Time, q queuedReq) []Action {
	if sa.out != nil {
		sa.queue = append(sa.queue, q)
		return nil
	}
	id := sa.nextReqID
	if q.exchange == wire.IKE_SA_INIT {
		id = 0
	}
	h := sa.header(q.exchange, id, false)
	data, frags, err := sa.encodeOut(h, q.payloads, sa.remote, sa.natt) // whole or in fragments (frag.go)
	if err != nil {
		sa.e.log.Error("cannot encode request", "ike", sa.String(), "error", err)
		return nil
	}
	if q.exchange == wire.IKE_SA_INIT {
		sa.initReq = data // RealMessage1, as sent (RFC 7296 section 2.15)
	}
	sa.out = &outstanding{id: id, exchange: q.exchange, kind: q.kind, data: data, frags: frags, payloads: q.payloads,
		interval: sa.e.cfg.RetransmitTimeout, next: now.Add(sa.e.cfg.RetransmitTimeout), children: q.children, create: q.create}
	sa.logMessage("sending", h, q.payloads)
	// The retransmission timer (a request sent from the queue comes after
	// the transition that armed the SA's timers).
	sa.e.schedule(sa)
	return sa.impairSend(now, h, sa.sendOut(data, frags), false)
}

// respond sends (and caches) the response to the request just processed.
func (sa *ikeSA) respond(now time.Time, in *inMsg, ps []wire.Payload) []Action {
	h := sa.header(in.h.Exchange, in.h.MessageID, true)
	data, frags, err := sa.encodeOut(h, ps, in.d.Remote, in.d.NonESPMarker) // whole or in fragments (frag.go)
	if err != nil {
		sa.e.log.Error("cannot encode response", "ike", sa.String(), "error", err)
		return nil
	}
	if in.h.Exchange == wire.IKE_SA_INIT {
		sa.initResp = data
	}
	sa.lastResp, sa.lastRespID, sa.hasResp = data, in.h.MessageID, true
	sa.frag.lastResp = frags // RFC 7383 section 2.6.1: resent as the same fragments
	sa.nextPeerID = in.h.MessageID + 1
	sa.logMessage("sending", h, ps)
	return sa.impairSend(now, h, datagrams(in.d.Local, in.d.Remote, in.d.NonESPMarker, data, frags), false)
}

// pump sends the next queued request once the window is free.
func (sa *ikeSA) pump(now time.Time) []Action {
	if sa.out != nil || len(sa.queue) == 0 || !sa.registered {
		return nil
	}
	q := sa.queue[0]
	sa.queue = sa.queue[1:]
	if c := q.create; c != nil && c.old != nil && !sa.hasChild(c.old) {
		// The Child SA to rekey was deleted while the request waited.
		delete(sa.e.childIn, c.spiIn)
		sa.e.log.Info("dropping a queued rekey: the Child SA is gone", "ike", sa.String(), "child", c.cfg.Name, "id", c.old.id)
		return sa.pump(now)
	}
	return sa.request(now, q)
}
