package ike

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// IKE fragmentation (RFC 7383): the negotiation in IKE_SA_INIT (section
// 2.3), the splitting of oversized protected messages into IKE Fragment
// messages (2.5), and their reassembly (2.6). The engine's hooks are few:
// init.go announces support, manager.go sends (and caches) a message as its
// fragments, onTimer retransmits all of them, and receive hands a fragment
// to openMessage, which gives back the whole message once every fragment
// is in; from there it is dispatched like any other.

// Fragmentation is a connection's use of IKE fragmentation, swanctl.conf's
// connections.<conn>.fragmentation, with strongSwan's meaning.
type Fragmentation uint8

const (
	// FragmentationYes announces support, and sends messages that exceed
	// Config.FragmentSize in fragments when the peer announced it too. It
	// is the default (strongSwan's).
	FragmentationYes Fragmentation = iota
	// FragmentationAccept announces support but never sends fragments.
	FragmentationAccept
	// FragmentationForce is strongSwan's "force", which fragments even the
	// first message of IKEv1; IKEv2 cannot fragment IKE_SA_INIT (RFC 7383
	// section 2.2), so it is the same as FragmentationYes.
	FragmentationForce
	// FragmentationNo does not announce support.
	FragmentationNo
)

func (f Fragmentation) String() string {
	switch f {
	case FragmentationYes:
		return "yes"
	case FragmentationAccept:
		return "accept"
	case FragmentationForce:
		return "force"
	case FragmentationNo:
		return "no"
	}
	return fmt.Sprintf("fragmentation(%d)", uint8(f))
}

const (
	// defaultFragmentSize is strongSwan's charon.fragment_size: the largest
	// IP datagram of an IKE message we send, for both address families.
	defaultFragmentSize = 1280
	// Below minFragmentSize a fragment carries too little: with IPv6, the
	// non-ESP marker and HMAC-SHA2-512 about 100 octets of content remain
	// (RFC 7383 section 2.2 puts the smallest datagram at about 100 octets).
	minFragmentSize = 256
	// defaultMaxFragments bounds Total Fragments of a message we
	// reassemble; defaultMaxReassembly bounds the sum of the decrypted
	// contents (RFC7383-5-1), at the 64 KB that RFC7383-5-3 advises not to
	// exceed.
	defaultMaxFragments  = 128
	defaultMaxReassembly = 64 * 1024
)

// setFragmentDefaults fills in and checks the fragmentation settings of cfg
// (New calls it after the retransmission defaults are set).
func setFragmentDefaults(cfg *Config) error {
	switch {
	case cfg.FragmentSize == 0:
		cfg.FragmentSize = defaultFragmentSize
	case cfg.FragmentSize > 0xffff:
		return fmt.Errorf("ike: fragment size %d: an IP datagram has at most 65535 octets", cfg.FragmentSize)
	case cfg.FragmentSize > 0 && cfg.FragmentSize < minFragmentSize:
		return fmt.Errorf("ike: fragment size %d is below the minimum of %d octets", cfg.FragmentSize, minFragmentSize)
	}
	if cfg.MaxFragments < 0 || cfg.MaxFragments > 0xffff || cfg.MaxReassembly < 0 || cfg.FragmentTimeout < 0 {
		return fmt.Errorf("ike: fragment limits %d fragments, %d octets, %v: out of range", cfg.MaxFragments, cfg.MaxReassembly, cfg.FragmentTimeout)
	}
	if cfg.MaxFragments == 0 {
		cfg.MaxFragments = defaultMaxFragments
	}
	if cfg.MaxReassembly == 0 {
		cfg.MaxReassembly = defaultMaxReassembly
	}
	if cfg.FragmentTimeout == 0 {
		// RFC7383-2.6-6: as long as an initiator waits before it gives
		// up: the first interval and every retransmission's.
		iv := cfg.RetransmitTimeout
		for range cfg.RetransmitTries + 1 {
			cfg.FragmentTimeout += iv
			iv = time.Duration(float64(iv) * cfg.RetransmitBase)
		}
	}
	return nil
}

// fragState is an IKE SA's part of fragmentation.
type fragState struct {
	// peer: the peer announced IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT
	// (or, for the new IKE SA of a rekey, on the IKE SA it replaces);
	// known: peer has been decided.
	peer, known bool
	// reqs reassembles the peer's requests, resps the responses to ours.
	reqs, resps reassembler
	// lastResp holds the IKE Fragment messages of the cached response
	// (ikeSA.lastResp), when it was sent in fragments.
	lastResp [][]byte
}

// ---- negotiation (RFC 7383 section 2.3) ----

// fragNotify is N(IKEV2_FRAGMENTATION_SUPPORTED) for our IKE_SA_INIT
// message, unless the connection says fragmentation = no: in the request
// always, in the response when the request (req) carried it
// (RFC7383-2.3-1, RFC7383-2.3-2, RFC7383-2.3-3: Protocol ID and SPI Size 0,
// no data).
func (sa *ikeSA) fragNotify(req []wire.Payload) []wire.Payload {
	if sa.conn == nil || sa.conn.Fragmentation == FragmentationNo {
		return nil
	}
	if sa.role == model.Responder {
		if _, ok := wire.FindNotify(req, wire.IKEV2_FRAGMENTATION_SUPPORTED); !ok {
			return nil
		}
	}
	return []wire.Payload{&wire.Notify{Type: wire.IKEV2_FRAGMENTATION_SUPPORTED}}
}

// peerFragments reports whether the peer announced IKE fragmentation: read
// once from its IKE_SA_INIT message as received (RealMessage1 or 2).
func (sa *ikeSA) peerFragments() bool {
	if !sa.frag.known {
		msg := sa.initResp
		if sa.role == model.Responder {
			msg = sa.initReq
		}
		if msg == nil {
			return false
		}
		m, err := wire.Decode(msg)
		if err == nil {
			_, sa.frag.peer = wire.FindNotify(m.Payloads, wire.IKEV2_FRAGMENTATION_SUPPORTED)
		}
		sa.frag.known = true
	}
	return sa.frag.peer
}

// sendsFragments: we send oversized messages in fragments. RFC7383-2.4-1:
// only when both ends announced support; our announcement is implied by
// fragmentation = yes (or force), which "accept" lacks by design.
func (sa *ikeSA) sendsFragments() bool {
	if sa.conn == nil || sa.conn.Fragmentation != FragmentationYes && sa.conn.Fragmentation != FragmentationForce {
		return false
	}
	return sa.peerFragments()
}

// ---- sending (RFC 7383 section 2.5) ----

// maxMessage is the largest IKE message (IKE header through ICV) whose IP
// datagram toward remote stays within the fragment size: the IP header (20
// octets for IPv4, 40 for IPv6, no options), the UDP header (8) and the
// non-ESP marker (4) come off (RFC7383-2.5.1-1). A negative fragment size
// takes the values RFC7383-2.5.1-3 and RFC7383-2.5.1-4 recommend: 1280 for
// IPv6, 576 for IPv4.
func (e *Engine) maxMessage(remote netip.AddrPort, marker bool) int {
	v4 := remote.Addr().Unmap().Is4()
	size, ip := e.cfg.FragmentSize, 40
	if v4 {
		ip = 20
	}
	if size < 0 {
		size = 1280
		if v4 {
			size = 576
		}
	}
	n := size - ip - 8
	if marker {
		n -= 4
	}
	return n
}

// encodeOut encodes a message for remote: one datagram (data), or, when we
// send fragments and the message exceeds the fragment size, its IKE
// Fragment messages (frags). RFC7383-2.4-2, RFC7383-2.4-4: only messages
// likely to be fragmented at the IP layer are split, those larger than the
// configured threshold; the form of the request does not decide the
// response's (RFC7383-2.4-5 yields to the first guideline).
func (sa *ikeSA) encodeOut(h wire.Header, ps []wire.Payload, remote netip.AddrPort, marker bool) ([]byte, [][]byte, error) {
	// Deliberate faults, when asked for (impair.go): the inner payloads
	// are impaired before SK is sealed. Reserved bits of the generic
	// headers are set in unfragmented messages only.
	h, ps, reserved := sa.impairContent(h, ps)
	encode := sa.encode
	if reserved {
		encode = sa.encodeReserved
	}
	// RFC 7383 section 2.2: IKE_SA_INIT has no Encrypted payload to split.
	if h.Exchange == wire.IKE_SA_INIT || sa.skOut == nil || !sa.sendsFragments() {
		data, err := encode(h, ps)
		return data, nil, err
	}
	_, pt, err := wire.AppendPayloads(nil, ps)
	if err != nil {
		return nil, nil, fmt.Errorf("ike: %w", err)
	}
	size := wire.HeaderLen + wire.GenericHeaderLen + len(pt) + sa.skOut.Overhead(len(pt))
	limit := sa.e.maxMessage(remote, marker)
	if size <= limit {
		data, err := encode(h, ps)
		return data, nil, err
	}
	frags, err := sa.skOut.SealFragments(h, ps, limit, sa.e.rand)
	if err != nil {
		return nil, nil, err
	}
	sa.e.log.Info(fmt.Sprintf("splitting IKE message (%d octets) into %d fragments", size, len(frags)),
		"ike", sa.String(), "message", wire.Summary(h, ps))
	return nil, frags, nil
}

// datagrams is the Send actions of a message: the one datagram, or every
// IKE Fragment message of it, in order (a retransmission resends them all,
// RFC 7383 section 2.6: the receiver reassembles from what arrives).
func datagrams(local, remote netip.AddrPort, marker bool, data []byte, frags [][]byte) []Action {
	if frags == nil {
		return []Action{Send{Local: local, Remote: remote, Data: data, NonESPMarker: marker}}
	}
	acts := make([]Action, 0, len(frags))
	for _, f := range frags {
		acts = append(acts, Send{Local: local, Remote: remote, Data: f, NonESPMarker: marker})
	}
	return acts
}

// sendOut sends a request (or its retransmission) on the IKE SA's path.
func (sa *ikeSA) sendOut(data []byte, frags [][]byte) []Action {
	return datagrams(sa.local, sa.remote, sa.natt, data, frags)
}

// resendResponse answers a retransmitted request from the cache: the same
// response, whole or in the same fragments, without processing the request
// again (RFC7296-2.3-8). Of a request that came in fragments, only fragment
// 1 asks for it; the others are ignored (RFC7383-2.6.1-2).
func (sa *ikeSA) resendResponse(now time.Time, d Datagram, h wire.Header) []Action {
	e := sa.e
	if f, isFrag, err := crypto.ParseFragment(d.Data); isFrag && (err != nil || f.Number != 1) {
		return e.drop(fmt.Sprintf("fragment %d of %d of request %d, which is answered already: only fragment 1 asks for the response again",
			f.Number, f.Total, h.MessageID), d, err)
	}
	e.stats.CachedResponses++
	e.log.Info("retransmitting response to request "+fmt.Sprint(h.MessageID), "ike", sa.String())
	return sa.impairSend(now, sa.header(h.Exchange, h.MessageID, true),
		datagrams(d.Local, d.Remote, d.NonESPMarker, sa.lastResp, sa.frag.lastResp), true)
}

// ---- receiving (RFC 7383 section 2.6) ----

// openMessage verifies and decrypts a protected message: an SK payload at
// once (crypto.SK.OpenMessage), an SKF payload through the reassembly of
// its message. held reports that the datagram was a fragment, kept or
// dropped, and that nothing is to be dispatched; acts is then what follows
// from it (the end of the IKE SA when the peer exceeds the limits). The
// whole message's payloads, or the error of an authenticated message whose
// payloads do not decode, are returned as OpenMessage returns them.
func (sa *ikeSA) openMessage(now time.Time, d Datagram, h wire.Header) (ps []wire.Payload, held bool, acts []Action, err error) {
	f, isFrag, err := crypto.ParseFragment(d.Data)
	if !isFrag {
		ps, err = sa.skIn.OpenMessage(d.Data)
		return ps, false, nil, err
	}
	e := sa.e
	if err != nil {
		// RFC7383-2.6-1: an invalid Fragment Number or Total Fragments.
		return nil, true, e.drop(fmt.Sprintf("invalid %v fragment of message %d", h.Exchange, h.MessageID), d, err), nil
	}
	// Fragments arrive here only for the message ID receive expects: the
	// peer's next request, or the response to our request in flight.
	r := &sa.frag.reqs
	if h.IsResponse() {
		r = &sa.frag.resps
	}
	lim := fragLimits{count: e.cfg.MaxFragments, bytes: e.cfg.MaxReassembly, timeout: e.cfg.FragmentTimeout}
	o := r.add(now, lim, h, f, d.Data, sa.skIn)
	if o.reset != "" {
		e.log.Info("discarding the fragments received so far: "+o.reset, "ike", sa.String())
	}
	switch o.verdict {
	case fragDropped:
		return nil, true, e.drop(o.why, d, o.err), nil
	case fragHeld:
		e.log.Info(fmt.Sprintf("received fragment #%d of %d of %v %d, waiting for complete IKE message",
			f.Number, f.Total, h.Exchange, h.MessageID), "ike", sa.String())
		return nil, true, nil, nil
	case fragOverLimit:
		// RFC7383-5-2: an attack or a broken sender; either way the
		// connection is dropped with the fragments.
		e.stats.Dropped++
		return nil, true, sa.giveUp(now, o.why), nil
	}
	e.log.Info(fmt.Sprintf("received fragment #%d of %d of %v %d, reassembled fragmented IKE message (%d octets of content)",
		f.Number, f.Total, h.Exchange, h.MessageID, len(o.plain)), "ike", sa.String())
	// RFC 7383 section 2.6: the joined contents are the original SK
	// payload's, "processed as if it was received, verified, and decrypted
	// as a regular IKE message".
	ps, err = wire.DecodePayloads(o.inner, o.plain)
	if err != nil {
		return nil, false, nil, fmt.Errorf("ike: inside the SKF payloads: %w", err)
	}
	return ps, false, nil, nil
}

// fragLimits bound one reassembly (RFC7383-5-1, RFC7383-2.6-5).
type fragLimits struct {
	count, bytes int
	timeout      time.Duration
}

// reassembly is the set of fragments of one message received so far.
type reassembly struct {
	id       uint32
	exchange wire.ExchangeType
	total    uint16
	inner    wire.PayloadType // Next Payload of fragment 1
	chunks   [][]byte         // decrypted contents by Fragment Number - 1; nil: not received
	have     int
	size     int
	started  time.Time
}

// reassembler holds at most one reassembly: fragments come only for the
// one message ID the window of one admits in each direction (RFC 7296
// section 2.3).
type reassembler struct {
	cur *reassembly
}

type fragVerdict uint8

const (
	fragDropped   fragVerdict = iota // silently discarded: invalid, a replay, or not authentic
	fragHeld                         // kept until the rest arrives
	fragWhole                        // the last one: the message is complete
	fragOverLimit                    // authentic, but beyond the limits: the set is discarded
)

type fragOutcome struct {
	verdict fragVerdict
	why     string // for fragDropped and fragOverLimit
	err     error
	reset   string // why the stored fragments were discarded first, if they were
	inner   wire.PayloadType
	plain   []byte // fragWhole: the joined contents
}

// add takes one IKE Fragment message of the message h announces, in the
// order of RFC 7383 section 2.6: the checks of its fields against the set
// stored, the replay check, the ICV, then the restart on a larger Total
// Fragments, and it is stored. sk opens it.
func (r *reassembler) add(now time.Time, lim fragLimits, h wire.Header, f crypto.FragmentHeader, msg []byte, sk *crypto.SK) fragOutcome {
	var o fragOutcome
	drop := func(format string, args ...any) fragOutcome {
		o.verdict, o.why = fragDropped, fmt.Sprintf(format, args...)
		return o
	}
	c := r.cur
	switch {
	case c == nil:
	case now.Sub(c.started) > lim.timeout:
		// RFC7383-2.6-5: not complete within the timeout interval.
		o.reset = fmt.Sprintf("message %d incomplete after %v (%d of %d fragments)", c.id, lim.timeout, c.have, c.total)
		r.cur, c = nil, nil
	case c.id != h.MessageID:
		// A newer message: the exchange of the stored set is over.
		o.reset = fmt.Sprintf("message %d incomplete (%d of %d fragments) when message %d arrives", c.id, c.have, c.total, h.MessageID)
		r.cur, c = nil, nil
	}
	if c != nil {
		// RFC7383-2.6-1: Total Fragments may not go down.
		if f.Total < c.total {
			return drop("fragment %d of %d of %v %d: %d fragments are being reassembled", f.Number, f.Total, h.Exchange, h.MessageID, c.total)
		}
		if h.Exchange != c.exchange {
			return drop("fragment %d of %d of %v %d: the other fragments are of %v", f.Number, f.Total, h.Exchange, h.MessageID, c.exchange)
		}
		// RFC7383-2.6-2, RFC7383-2.6.1-1: the same Message ID, Fragment
		// Number and Total Fragments: a replay.
		if f.Total == c.total && c.chunks[f.Number-1] != nil {
			return drop("fragment %d of %d of %v %d again", f.Number, f.Total, h.Exchange, h.MessageID)
		}
	}
	// RFC7383-2.6-3: authentic, or silently discarded; nothing is kept
	// before this (RFC 7383 section 5).
	plain, err := sk.Open(msg, f.Off)
	if err != nil {
		o.err = err
		return drop("fragment %d of %d of %v %d that does not authenticate", f.Number, f.Total, h.Exchange, h.MessageID)
	}
	over := func(format string, args ...any) fragOutcome {
		r.cur = nil
		o.verdict, o.why = fragOverLimit, fmt.Sprintf(format, args...)
		return o
	}
	// RFC7383-5-1: bounded queues.
	if int(f.Total) > lim.count {
		return over("%v %d in %d fragments, more than the %d we reassemble", h.Exchange, h.MessageID, f.Total, lim.count)
	}
	if c != nil && f.Total > c.total {
		// RFC7383-2.6-4: a newer set (PMTU discovery): start over with it.
		o.reset = fmt.Sprintf("message %d comes in %d fragments now, not %d", c.id, f.Total, c.total)
		r.cur, c = nil, nil
	}
	if c == nil {
		c = &reassembly{id: h.MessageID, exchange: h.Exchange, total: f.Total, chunks: make([][]byte, f.Total), started: now}
		r.cur = c
	}
	if c.size+len(plain) > lim.bytes {
		return over("%v %d: more than %d octets in fragments", h.Exchange, h.MessageID, lim.bytes)
	}
	c.chunks[f.Number-1] = plain
	c.have++
	c.size += len(plain)
	if f.Number == 1 {
		c.inner = f.Inner
	}
	if c.have < int(c.total) {
		o.verdict = fragHeld
		return o
	}
	joined := make([]byte, 0, c.size)
	for _, p := range c.chunks {
		joined = append(joined, p...)
	}
	r.cur = nil
	o.verdict, o.inner, o.plain = fragWhole, c.inner, joined
	return o
}
