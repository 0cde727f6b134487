package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Cases on what the IUT sends, whatever it is asked: one response per
// request, reserved fields zero, version 2.0, no critical payload the
// receiver cannot know, a valid KE value, retransmission of its own
// requests. They are the cases the refserver impair cross-check expects to
// fail when refserver is impaired (conformance/impair_test.go).

func init() {
	Register(
		&Case{ID: "INIT-101", Title: "One request, one response",
			Purpose: "A responder answers each request once: a second copy of a response it did not retransmit for a retransmitted request is noise a peer may take for a reply to something else (RFC 7296 2.1: only the requester retransmits).",
			RFC:     []string{"RFC 7296 2.1"}, Reqs: []string{"RFC7296-2.1-1"}, Tag: Basic, Role: IUTResponder,
			Steps: []string{"T -> IUT  IKE_SA_INIT request (the profile's first proposal)", "J1: IUT -> T  IKE_SA_INIT response", "J2: no second datagram for that message within 2 s"},
			Run:   runOneResponse},
		&Case{ID: "INIT-102", Title: "Reserved fields are sent as zero",
			Purpose: "The flags' reserved bits and the RESERVED bits of every generic payload header of the IKE_SA_INIT response are zero (RFC 7296 3.1, 3.2: sent as zero, ignored on receipt).",
			RFC:     []string{"RFC 7296 3.1", "RFC 7296 3.2"}, Reqs: []string{"RFC7296-2.5-6", "RFC7296-3.2-6"}, Tag: Basic, Role: IUTResponder,
			Steps: []string{"T -> IUT  IKE_SA_INIT request", "J1: IUT -> T  IKE_SA_INIT response", "J2: its header flags have only I, V, R as defined", "J3: every generic payload header has RESERVED = 0"},
			Run:   runReservedZero},
		&Case{ID: "INIT-103", Title: "The IUT sends version 2.0",
			Purpose: "IKEv2 messages carry major version 2 and, from implementations of RFC 7296, minor version 0 (RFC 7296 2.5, 3.1).",
			RFC:     []string{"RFC 7296 2.5", "RFC 7296 3.1"}, Reqs: []string{"RFC7296-3.1-7"}, Tag: Basic, Role: IUTResponder,
			Steps: []string{"T -> IUT  IKE_SA_INIT request", "J1: IUT -> T  IKE_SA_INIT response", "J2: its version is 2.0"},
			Run:   runVersion20},
		&Case{ID: "INIT-104", Title: "The critical bit is zero on RFC 7296's payloads",
			Purpose: "The critical bit is set to zero for the payload types RFC 7296 defines, and set only where the sender wants a receiver that does not know the type to refuse the whole message; an IKE_SA_INIT response with a critical payload of an unknown type forces a conforming initiator to refuse it (RFC 7296 2.5, 3.2).",
			RFC:     []string{"RFC 7296 2.5", "RFC 7296 3.2"}, Reqs: []string{"RFC7296-3.2-4", "RFC7296-3.2-2"}, Tag: Basic, Role: IUTResponder,
			Steps: []string{"T -> IUT  IKE_SA_INIT request", "J1: IUT -> T  IKE_SA_INIT response", "J2: no payload of the response has the critical bit set"},
			Run:   runNoUnknownCritical},
		&Case{ID: "INIT-105", Title: "The IUT's KE value is a valid public value of the group",
			Purpose: "The responder's KE payload carries a public value of the negotiated group that the initiator can use: of the right length, not zero, not the identity (RFC 7296 1.2, 3.4; RFC 6989).",
			RFC:     []string{"RFC 7296 3.4", "RFC 6989 2"}, Reqs: []string{"RFC7296-3.4-1"}, Tag: Basic, Role: IUTResponder,
			Steps: []string{"T -> IUT  IKE_SA_INIT request with KE of the proposal's group", "J1: IUT -> T  IKE_SA_INIT response with KE", "J2: the KE group is the one the tester sent", "J3: the tester's key exchange with the IUT's value succeeds (length, range, point on the curve)"},
			Run:   runValidKE},
		&Case{ID: "INFO-101", Title: "The IUT retransmits its unanswered request, with growing intervals",
			Purpose: "A requester retransmits a request that gets no response, with the same message ID and content, until it gives up (RFC 7296 2.1), and the retransmission times increase exponentially (RFC 7296 2.4); here the IUT's Delete of the IKE SA, left unanswered by the tester.",
			RFC:     []string{"RFC 7296 2.1", "RFC 7296 2.2", "RFC 7296 2.4"}, Reqs: []string{"RFC7296-2.1-6", "RFC7296-2.1-7", "RFC7296-2.2-1", "RFC7296-2.4-8"}, Tag: Advanced, Role: IUTResponder,
			Needs: []string{"iut-trigger"},
			Steps: []string{"T <-> IUT  an IKE SA (IKE_SA_INIT, IKE_AUTH)", "the operator makes the IUT delete it (profile trigger \"terminate\")", "J1: IUT -> T  INFORMATIONAL request with D(IKE); the tester does not answer", "J2: IUT -> T  the same request again (same message ID, same octets) within the IUT's retransmission time", "J3: IUT -> T  a second retransmission, after a longer interval than the first", "T -> IUT  the response"},
			Run:   runIUTRetransmits},
	)
}

func runOneResponse(t *T) {
	p := Dial(t)
	m := p.Init(InitOptions{})
	t.Require(1, "an IKE_SA_INIT response", m != nil && m.IsResponse(), "IKE_SA_INIT response", m.Summary())
	spii, _ := p.SPIs()
	dup := p.Recv(2*time.Second, func(x *Msg) bool {
		return x.Header.SPIi == spii && x.Header.MessageID == 0 && x.IsResponse()
	})
	t.Check(2, "no second response to the one request", dup == nil, "no message", dup.Summary())
}

func runReservedZero(t *T) {
	p := Dial(t)
	m := p.Init(InitOptions{})
	t.Require(1, "an IKE_SA_INIT response", m != nil && m.IsResponse() && len(m.Raw) >= wire.HeaderLen, "IKE_SA_INIT response", m.Summary())
	flags := m.Raw[19]
	t.Judge(2, "header flags: only I, V, R", "reserved flag bits 0x00", fmt.Sprintf("reserved flag bits 0x%02x", flags&^byte(wire.FlagInitiator|wire.FlagVersion|wire.FlagResponse)))
	var bad []string
	walkPayloads(m.Raw, func(off int, typ wire.PayloadType, flagsByte byte) {
		if flagsByte&0x7f != 0 {
			bad = append(bad, fmt.Sprintf("%v at offset %d: RESERVED 0x%02x", typ, off, flagsByte&0x7f))
		}
	})
	t.Judge(3, "generic payload headers: RESERVED = 0", "", joinLines(bad))
}

func runVersion20(t *T) {
	p := Dial(t)
	m := p.Init(InitOptions{})
	t.Require(1, "an IKE_SA_INIT response", m != nil && m.IsResponse() && len(m.Raw) >= wire.HeaderLen, "IKE_SA_INIT response", m.Summary())
	t.Judge(2, "version", "2.0", fmt.Sprintf("%d.%d", m.Raw[17]>>4, m.Raw[17]&0x0f))
}

// knownTypes are the payload types of RFC 7296 section 3.2 and of the
// extensions the tester offers (SKF, RFC 7383).
var knownTypes = map[wire.PayloadType]bool{}

func init() {
	for t := wire.PayloadType(33); t <= 48; t++ {
		knownTypes[t] = true
	}
	knownTypes[53] = true // SKF
}

func runNoUnknownCritical(t *T) {
	p := Dial(t)
	m := p.Init(InitOptions{})
	t.Require(1, "an IKE_SA_INIT response", m != nil && m.IsResponse(), "IKE_SA_INIT response", m.Summary())
	var bad []string
	walkPayloads(m.Raw, func(off int, typ wire.PayloadType, flagsByte byte) {
		if flagsByte&0x80 != 0 {
			what := "an RFC 7296 payload"
			if !knownTypes[typ] {
				what = "an unknown payload type"
			}
			bad = append(bad, fmt.Sprintf("critical bit on %v (%s) at offset %d", typ, what, off))
		}
	})
	t.Judge(2, "no critical bit set", "", joinLines(bad))
}

func runValidKE(t *T) {
	p := Dial(t)
	props, err := ParseProposals(wire.ProtoIKE, t.Profile.IKEProposals[0])
	if err != nil {
		t.Inconclusivef("profile: ike_proposals[0]: %v", err)
	}
	group := firstGroup(props)
	m := p.Init(InitOptions{})
	t.Require(1, "an IKE_SA_INIT response with KE", m != nil && m.Has(wire.PayloadKE), "IKE_SA_INIT response with KE", m.Summary())
	var ke *wire.KE
	for _, pl := range m.Payloads {
		if k, ok := pl.(*wire.KE); ok {
			ke = k
		}
	}
	t.Judge(2, "the KE group", group.String(), ke.Group.String())
	k, err := crypto.LookupKE(ke.Group)
	if err != nil {
		t.Inconclusivef("the tester has no %v: %v", ke.Group, err)
	}
	st, _, err := k.Start(rand.Reader)
	if err != nil {
		t.Inconclusivef("%v: %v", ke.Group, err)
	}
	_, err = st.Finish(ke.Data)
	seen := "valid"
	if err != nil {
		seen = err.Error()
	} else if allZero(ke.Data) {
		seen = "all zero"
	}
	t.Judge(3, "the IUT's public value is usable", "valid", seen)
}

func runIUTRetransmits(t *T) {
	p := Dial(t)
	p.Establish()
	t.Trigger("terminate")
	isDelete := func(x *Msg) bool {
		return !x.IsResponse() && x.Header.Exchange == wire.INFORMATIONAL && x.Has(wire.PayloadDelete)
	}
	wait := time.Duration(t.Profile.Retransmit*float64(time.Second)) + 5*time.Second
	first := p.Recv(wait, isDelete)
	t.Require(1, "the IUT's Delete request", first != nil, "INFORMATIONAL request [ D ]", first.Summary())
	again := p.Recv(wait+time.Duration(t.Profile.Retransmit*float64(time.Second)), func(x *Msg) bool {
		return !x.IsResponse() && x.Header.Exchange == wire.INFORMATIONAL
	})
	ok := again != nil && again.Header.MessageID == first.Header.MessageID && bytes.Equal(again.Raw, first.Raw)
	seen := "no retransmission"
	if again != nil {
		seen = fmt.Sprintf("%s (same octets: %v)", again.Summary(), bytes.Equal(again.Raw, first.Raw))
	}
	t.Require(2, "the same request retransmitted", ok, first.Summary()+" (same octets: true)", seen)
	gap1 := again.Time.Sub(first.Time)
	third := p.Recv(3*gap1+5*time.Second, func(x *Msg) bool {
		return !x.IsResponse() && x.Header.Exchange == wire.INFORMATIONAL && bytes.Equal(x.Raw, first.Raw)
	})
	seen = "no second retransmission"
	grows := false
	if third != nil {
		gap2 := third.Time.Sub(again.Time)
		grows = gap2 > gap1+gap1/10 // more than the first interval, beyond timer jitter
		seen = fmt.Sprintf("intervals %.1fs then %.1fs", gap1.Seconds(), gap2.Seconds())
	}
	t.Check(3, "the retransmission interval grows", grows, fmt.Sprintf("intervals %.1fs then more", gap1.Seconds()), seen)
	last := again
	if third != nil {
		last = third
	}
	p.Answer(last, nil)
}

// walkPayloads calls f for each generic payload header of an unencrypted
// message, stopping at the first inconsistency.
func walkPayloads(raw []byte, f func(off int, typ wire.PayloadType, flags byte)) {
	if len(raw) < wire.HeaderLen {
		return
	}
	next := wire.PayloadType(raw[16])
	off := wire.HeaderLen
	for n := 0; next != 0 && off+4 <= len(raw) && n < 256; n++ {
		typ := next
		next = wire.PayloadType(raw[off])
		f(off, typ, raw[off+1])
		l := int(binary.BigEndian.Uint16(raw[off+2:]))
		if l < 4 || typ == wire.PayloadSK || typ == 53 {
			return
		}
		off += l
	}
}

func firstGroup(props []wire.Proposal) wire.KEID {
	for _, pr := range props {
		for _, tr := range pr.Transforms {
			if tr.Type == wire.TransformKE {
				return wire.KEID(tr.ID)
			}
		}
	}
	return 0
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func joinLines(s []string) string {
	var b bytes.Buffer
	for i, l := range s {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}
