package ike

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Impairments: deliberate protocol faults in the messages the engine sends,
// as libreswan's impair does, so that a conformance suite can show that its
// judges fail when the implementation under test misbehaves. They are off
// unless Config.Impair or Engine.SetImpairments asks for them, and every
// fault applied is logged at WARN level as
//
//	IMPAIRED: <kind> on <exchange> <request|response> <message ID>
//
// Content impairments (omit-payload, duplicate-payload, corrupt-payload,
// bogus-cookie, reserved-bits, version-bump, minor-version,
// unknown-critical-payload, zero-ke) change a message when it is encoded;
// in a protected message they change the inner payloads before SK is
// sealed, so the peer sees a well-authenticated but impaired message.
// Retransmissions resend the message as it was first encoded. Transmission
// impairments (drop, duplicate, delay, no-retransmit) act on every sending
// of a message, retransmissions and resent cached responses included.
//
// An impairment applies to the messages it matches: of its exchange
// (Exchange, 0: any), of its direction (Request, Response, neither: both),
// and that it can change (omit-payload=KE matches only messages with a KE
// payload, bogus-cookie only IKE_SA_INIT messages with N(COOKIE),
// no-retransmit only retransmissions of requests). Nth picks the Nth match
// counting from 1 (counted per impairment, from the last SetImpairments);
// 0 takes every match.

// ImpairKind names a kind of impairment, as the command line spells it.
type ImpairKind string

// The impairments.
const (
	ImpairDrop             ImpairKind = "drop"                     // do not send
	ImpairDuplicate        ImpairKind = "duplicate"                // send twice
	ImpairDelay            ImpairKind = "delay"                    // =DURATION: send on a Tick at least DURATION later
	ImpairNoRetransmit     ImpairKind = "no-retransmit"            // never retransmit requests (the SA still gives up on time)
	ImpairOmitPayload      ImpairKind = "omit-payload"             // =TYPE: leave out every payload of TYPE
	ImpairDuplicatePayload ImpairKind = "duplicate-payload"        // =TYPE: repeat the first payload of TYPE
	ImpairCorruptPayload   ImpairKind = "corrupt-payload"          // =TYPE: flip the bits of the last octet of the first TYPE payload's body
	ImpairBogusCookie      ImpairKind = "bogus-cookie"             // a wrong N(COOKIE) value: in the initiator's retry, or in the responder's COOKIE response
	ImpairReservedBits     ImpairKind = "reserved-bits"            // set the reserved bits of the IKE header flags and of the generic payload headers
	ImpairVersionBump      ImpairKind = "version-bump"             // major version 3 in the IKE header
	ImpairMinorVersion     ImpairKind = "minor-version"            // minor version 1 in the IKE header
	ImpairUnknownCritical  ImpairKind = "unknown-critical-payload" // append a payload of unassigned type 200 with the critical bit set
	ImpairZeroKE           ImpairKind = "zero-ke"                  // KE data all zeros, of the right length
)

// ImpairKinds lists the kinds, in the order of the documentation.
var ImpairKinds = []ImpairKind{ImpairDrop, ImpairDuplicate, ImpairDelay, ImpairNoRetransmit,
	ImpairOmitPayload, ImpairDuplicatePayload, ImpairCorruptPayload, ImpairBogusCookie,
	ImpairReservedBits, ImpairVersionBump, ImpairMinorVersion, ImpairUnknownCritical, ImpairZeroKE}

// ImpairUnknownPayloadType is the payload type that unknown-critical-payload
// appends: unassigned in IANA's IKEv2 Payload Types registry.
const ImpairUnknownPayloadType wire.PayloadType = 200

// impairReservedFlags are the IKE header flag bits RFC 7296 section 3.1
// leaves reserved (X): bits 0-2 and 6-7.
const impairReservedFlags wire.Flags = 0x07 | 0xc0

// maxImpairDelay bounds delay=DURATION.
const maxImpairDelay = time.Hour

// impairPayloadTypes are the payload types that the *-payload kinds take,
// by the names impl/wire gives them.
var impairPayloadTypes = []wire.PayloadType{wire.PayloadSA, wire.PayloadKE, wire.PayloadNonce,
	wire.PayloadIDi, wire.PayloadIDr, wire.PayloadAUTH, wire.PayloadTSi, wire.PayloadTSr,
	wire.PayloadNotify, wire.PayloadDelete, wire.PayloadCERT, wire.PayloadCERTREQ,
	wire.PayloadVendorID, wire.PayloadCP, wire.PayloadEAP}

// Impairment is one deliberate fault (see the package comment above).
type Impairment struct {
	Kind ImpairKind
	// Arg is the argument of delay (a Go duration) and of the *-payload
	// kinds (a payload type: SA, KE, No, IDi, IDr, AUTH, TSi, TSr, N, D,
	// CERT, CERTREQ, V, CP, EAP).
	Arg string
	// Exchange restricts the impairment to one exchange (0: any).
	Exchange wire.ExchangeType
	// Request or Response restricts it to one direction (neither: both).
	Request, Response bool
	// Nth picks the Nth matching message, counting from 1; 0: every one.
	Nth int

	delay   time.Duration
	payload wire.PayloadType
}

// ParseImpairment reads one impairment in the command-line syntax:
//
//	KIND[=ARG] [--exchange IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL] [--request|--response] [--nth N]
//
// Options may also be written --exchange=X and --nth=N. Errors name the
// field at fault.
func ParseImpairment(spec string) (Impairment, error) {
	f := strings.Fields(spec)
	if len(f) == 0 {
		return Impairment{}, fmt.Errorf("ike: impairment: kind: empty (kinds: %s)", kindList())
	}
	var i Impairment
	k, arg, hasArg := strings.Cut(f[0], "=")
	i.Kind, i.Arg = ImpairKind(k), arg
	if hasArg && arg == "" {
		return Impairment{}, fmt.Errorf("ike: impairment %q: %s: empty argument after =", spec, k)
	}
	for n := 1; n < len(f); n++ {
		opt, val, hasVal := strings.Cut(f[n], "=")
		if !strings.HasPrefix(opt, "-") {
			return Impairment{}, fmt.Errorf("ike: impairment %q: unexpected %q (options: --exchange X, --request, --response, --nth N)", spec, f[n])
		}
		opt = strings.TrimLeft(opt, "-")
		takesValue := opt == "exchange" || opt == "nth"
		if takesValue && !hasVal {
			if n+1 >= len(f) {
				return Impairment{}, fmt.Errorf("ike: impairment %q: --%s: missing value", spec, opt)
			}
			n++
			val = f[n]
		} else if !takesValue && hasVal {
			return Impairment{}, fmt.Errorf("ike: impairment %q: --%s takes no value", spec, opt)
		}
		switch opt {
		case "exchange":
			x, err := parseExchange(val)
			if err != nil {
				return Impairment{}, fmt.Errorf("ike: impairment %q: --exchange %q: %v", spec, val, err)
			}
			i.Exchange = x
		case "request":
			i.Request = true
		case "response":
			i.Response = true
		case "nth":
			v, err := strconv.Atoi(val)
			if err != nil {
				return Impairment{}, fmt.Errorf("ike: impairment %q: --nth %q: want a number, 0 (every message) or more", spec, val)
			}
			i.Nth = v
		default:
			return Impairment{}, fmt.Errorf("ike: impairment %q: unknown option --%s (options: --exchange X, --request, --response, --nth N)", spec, opt)
		}
	}
	if err := i.check(); err != nil {
		return Impairment{}, err
	}
	return i, nil
}

func kindList() string {
	s := make([]string, len(ImpairKinds))
	for n, k := range ImpairKinds {
		s[n] = string(k)
	}
	return strings.Join(s, ", ")
}

func parseExchange(s string) (wire.ExchangeType, error) {
	for _, x := range []wire.ExchangeType{wire.IKE_SA_INIT, wire.IKE_AUTH, wire.CREATE_CHILD_SA, wire.INFORMATIONAL} {
		if strings.EqualFold(s, x.String()) {
			return x, nil
		}
	}
	return 0, fmt.Errorf("want IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA or INFORMATIONAL")
}

func parsePayloadType(s string) (wire.PayloadType, error) {
	var names []string
	for _, t := range impairPayloadTypes {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
		names = append(names, t.String())
	}
	return 0, fmt.Errorf("want a payload type: %s", strings.Join(names, ", "))
}

// check validates the impairment and fills in its parsed argument.
func (i *Impairment) check() error {
	if !slices.Contains(ImpairKinds, i.Kind) {
		return fmt.Errorf("ike: impairment: kind %q: unknown (kinds: %s)", i.Kind, kindList())
	}
	i.delay, i.payload = 0, 0
	switch i.Kind {
	case ImpairDelay:
		d, err := time.ParseDuration(i.Arg)
		if err != nil || d <= 0 || d > maxImpairDelay {
			return fmt.Errorf("ike: impairment delay=%s: argument %q: want a duration from 1ns to %v (delay=2s)", i.Arg, i.Arg, maxImpairDelay)
		}
		i.delay = d
	case ImpairOmitPayload, ImpairDuplicatePayload, ImpairCorruptPayload:
		t, err := parsePayloadType(i.Arg)
		if err != nil {
			return fmt.Errorf("ike: impairment %s=%s: argument %q: %v", i.Kind, i.Arg, i.Arg, err)
		}
		i.payload, i.Arg = t, t.String()
	default:
		if i.Arg != "" {
			return fmt.Errorf("ike: impairment %s=%s: argument: %s takes none", i.Kind, i.Arg, i.Kind)
		}
	}
	if i.Exchange != 0 {
		if _, err := parseExchange(i.Exchange.String()); err != nil {
			return fmt.Errorf("ike: impairment %s: exchange %v: %v", i.Kind, i.Exchange, err)
		}
	}
	if i.Request && i.Response {
		return fmt.Errorf("ike: impairment %s: direction: --request and --response exclude each other (neither: both)", i.Kind)
	}
	if i.Nth < 0 {
		return fmt.Errorf("ike: impairment %s: nth %d: want 0 (every message) or more", i.Kind, i.Nth)
	}
	switch i.Kind {
	case ImpairNoRetransmit:
		if i.Response {
			return fmt.Errorf("ike: impairment %s: direction: only requests are retransmitted", i.Kind)
		}
	case ImpairBogusCookie:
		if i.Exchange != 0 && i.Exchange != wire.IKE_SA_INIT {
			return fmt.Errorf("ike: impairment %s: exchange: cookies are sent only in IKE_SA_INIT", i.Kind)
		}
	}
	return nil
}

// label is "kind" or "kind=ARG".
func (i Impairment) label() string {
	if i.Arg != "" {
		return string(i.Kind) + "=" + i.Arg
	}
	return string(i.Kind)
}

// String renders the impairment in the syntax ParseImpairment reads.
func (i Impairment) String() string {
	s := i.label()
	if i.Exchange != 0 {
		s += " --exchange " + i.Exchange.String()
	}
	if i.Request {
		s += " --request"
	}
	if i.Response {
		s += " --response"
	}
	if i.Nth != 0 {
		s += " --nth " + strconv.Itoa(i.Nth)
	}
	return s
}

// content: the kind changes a message when it is encoded (else when it is
// sent).
func (k ImpairKind) content() bool {
	switch k {
	case ImpairDrop, ImpairDuplicate, ImpairDelay, ImpairNoRetransmit:
		return false
	}
	return true
}

// impairState is an active impairment and its count of matches.
type impairState struct {
	Impairment
	seen int
}

// delayedSend is a message held back by delay, sent by the first Tick at or
// after at.
type delayedSend struct {
	at   time.Time
	acts []Action
}

// SetImpairments replaces the active impairments (nil or empty: none) and
// restarts their counts. It is called between events, like every method of
// the engine. On an error nothing changes.
func (e *Engine) SetImpairments(list []Impairment) error {
	out := make([]*impairState, 0, len(list))
	for _, i := range list {
		if err := i.check(); err != nil {
			return err
		}
		out = append(out, &impairState{Impairment: i})
	}
	e.impair = out
	if len(out) > 0 {
		for _, st := range out {
			e.log.Warn("impairment active: " + st.String())
		}
	}
	return nil
}

// Impairments returns the active impairments.
func (e *Engine) Impairments() []Impairment {
	out := make([]Impairment, 0, len(e.impair))
	for _, st := range e.impair {
		out = append(out, st.Impairment)
	}
	return out
}

// match counts a message of header h (as the engine built it) that the
// impairment can change and reports whether it is the one to impair.
func (st *impairState) match(h wire.Header) bool {
	if st.Exchange != 0 && h.Exchange != st.Exchange {
		return false
	}
	if st.Request && h.IsResponse() || st.Response && !h.IsResponse() {
		return false
	}
	st.seen++
	return st.Nth == 0 || st.seen == st.Nth
}

// impaired logs an impairment applied to the message of header h.
func (sa *ikeSA) impaired(st *impairState, h wire.Header) {
	dir := "request"
	if h.IsResponse() {
		dir = "response"
	}
	sa.e.log.Warn(fmt.Sprintf("IMPAIRED: %s on %v %s %d", st.label(), h.Exchange, dir, h.MessageID), "ike", sa.String())
}

// impairContent applies the content impairments to a message about to be
// encoded. It never changes ps or its payloads in place (the engine keeps
// them). reserved asks the encoder to set the reserved bits of the generic
// payload headers.
func (sa *ikeSA) impairContent(h wire.Header, ps []wire.Payload) (_ wire.Header, _ []wire.Payload, reserved bool) {
	orig := h
	for _, st := range sa.e.impair {
		if !st.Kind.content() || !st.applies(ps) || !st.match(orig) {
			continue
		}
		switch st.Kind {
		case ImpairOmitPayload:
			ps = slices.DeleteFunc(slices.Clone(ps), func(p wire.Payload) bool { return p.PayloadType() == st.payload })
		case ImpairDuplicatePayload:
			n := firstOf(ps, st.payload)
			ps = slices.Insert(slices.Clone(ps), n+1, ps[n])
		case ImpairCorruptPayload:
			n := firstOf(ps, st.payload)
			body, _ := wire.AppendPayloadBody(nil, ps[n])
			body[len(body)-1] ^= 0xff
			ps = slices.Clone(ps)
			ps[n] = &wire.Unknown{PayloadHeader: *ps[n].Header(), Kind: st.payload, Body: body}
		case ImpairBogusCookie:
			ps = slices.Clone(ps)
			for n, p := range ps {
				if c, ok := p.(*wire.Notify); ok && c.Type == wire.COOKIE {
					bad := *c
					bad.Data = slices.Clone(c.Data)
					for k := range bad.Data {
						bad.Data[k] ^= 0x5a
					}
					ps[n] = &bad
				}
			}
		case ImpairZeroKE:
			ps = slices.Clone(ps)
			for n, p := range ps {
				if k, ok := p.(*wire.KE); ok {
					z := *k
					z.Data = make([]byte, len(k.Data))
					ps[n] = &z
				}
			}
		case ImpairUnknownCritical:
			ps = append(slices.Clip(ps), &wire.Unknown{PayloadHeader: wire.PayloadHeader{Critical: true},
				Kind: ImpairUnknownPayloadType, Body: []byte("ikev2ref impair")})
		case ImpairReservedBits:
			h.Flags |= impairReservedFlags
			reserved = true
		case ImpairVersionBump:
			h.Major = wire.MajorVersion + 1
		case ImpairMinorVersion:
			h.Minor = wire.MinorVersion + 1
		}
		sa.impaired(st, orig)
	}
	return h, ps, reserved
}

// applies: the content impairment can change a message of payloads ps.
func (st *impairState) applies(ps []wire.Payload) bool {
	switch st.Kind {
	case ImpairOmitPayload, ImpairDuplicatePayload:
		return firstOf(ps, st.payload) >= 0
	case ImpairCorruptPayload:
		n := firstOf(ps, st.payload)
		if n < 0 {
			return false
		}
		body, err := wire.AppendPayloadBody(nil, ps[n])
		return err == nil && len(body) > 0
	case ImpairBogusCookie:
		_, ok := wire.FindNotify(ps, wire.COOKIE)
		return ok
	case ImpairZeroKE:
		return firstOf(ps, wire.PayloadKE) >= 0
	}
	return true
}

func firstOf(ps []wire.Payload, t wire.PayloadType) int {
	return slices.IndexFunc(ps, func(p wire.Payload) bool { return p.PayloadType() == t })
}

// impairSend applies the transmission impairments to the datagrams of one
// sending of the message of header h (retransmit: a retransmission of a
// request or a resent cached response).
func (sa *ikeSA) impairSend(now time.Time, h wire.Header, acts []Action, retransmit bool) []Action {
	for _, st := range sa.e.impair {
		if len(acts) == 0 {
			break
		}
		if st.Kind.content() || st.Kind == ImpairNoRetransmit && (!retransmit || h.IsResponse()) {
			continue
		}
		if !st.match(h) {
			continue
		}
		sa.impaired(st, h)
		switch st.Kind {
		case ImpairDrop, ImpairNoRetransmit:
			acts = nil
		case ImpairDuplicate:
			acts = append(slices.Clip(acts), acts...)
		case ImpairDelay:
			sa.e.delayed = append(sa.e.delayed, delayedSend{at: now.Add(st.delay), acts: acts})
			acts = nil
		}
	}
	return acts
}

// releaseDelayed returns the delayed datagrams due at now, in the order
// they were held back.
func (e *Engine) releaseDelayed(now time.Time) []Action {
	if len(e.delayed) == 0 {
		return nil
	}
	var acts []Action
	keep := e.delayed[:0:0]
	for _, d := range e.delayed {
		if d.at.After(now) {
			keep = append(keep, d)
			continue
		}
		acts = append(acts, d.acts...)
	}
	e.delayed = keep
	return acts
}

// nextDelayed is when the first delayed datagram is due.
func (e *Engine) nextDelayed() (time.Time, bool) {
	var at time.Time
	for _, d := range e.delayed {
		if at.IsZero() || d.at.Before(at) {
			at = d.at
		}
	}
	return at, !at.IsZero()
}

// encodeReserved encodes a whole (unfragmented) message with every reserved
// bit of its generic payload headers set (RFC7296-3.2-6 has them sent as
// zero and ignored on receipt), the SK payload's and the inner payloads'
// included: they are set in the plaintext before it is sealed.
func (sa *ikeSA) encodeReserved(h wire.Header, ps []wire.Payload) ([]byte, error) {
	if h.Exchange == wire.IKE_SA_INIT {
		m := wire.Message{Header: h, Payloads: ps}
		b, err := m.Encode()
		if err != nil {
			return nil, err
		}
		setReserved(b[wire.HeaderLen:])
		return b, nil
	}
	if sa.skOut == nil {
		return nil, fmt.Errorf("ike: %v: no keys to protect %v", sa, h.Exchange)
	}
	first, pt, err := wire.AppendPayloads(nil, ps)
	if err != nil {
		return nil, fmt.Errorf("ike: %w", err)
	}
	setReserved(pt)
	skLen := wire.GenericHeaderLen + len(pt) + sa.skOut.Overhead(len(pt))
	if skLen > 0xffff {
		return nil, fmt.Errorf("ike: an SK payload of %d octets does not fit its 16-bit length", skLen)
	}
	prefix := h.Append(nil, wire.PayloadSK, wire.HeaderLen+skLen)
	prefix = append(prefix, byte(first), 0x7f, 0, 0)
	binary.BigEndian.PutUint16(prefix[len(prefix)-2:], uint16(skLen))
	return sa.skOut.Seal(prefix, pt, sa.e.rand)
}

// setReserved sets the 7 reserved bits of every generic payload header of
// the chain b (encoded by wire, so well formed; the walk stops at anything
// else).
func setReserved(b []byte) {
	for off := 0; off+wire.GenericHeaderLen <= len(b); {
		b[off+1] |= 0x7f
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < wire.GenericHeaderLen {
			return
		}
		off += n
	}
}
