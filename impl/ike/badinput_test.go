package ike_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Bad input, exchange by exchange: each case says what the RFC asks for —
// an error Notify, or a silent drop when the input is not authenticated.

// answer delivers the datagram in flight at index i and returns the single
// message it provokes (nil when dropped), decoded in the clear.
func answer(t *testing.T, p *pairT, i int) *wire.Message {
	t.Helper()
	before := len(p.net.InFlight) - 1
	p.net.Deliver(i)
	if len(p.net.InFlight) == before {
		return nil
	}
	if len(p.net.InFlight) != before+1 {
		t.Fatalf("%d datagrams provoked", len(p.net.InFlight)-before)
	}
	last := p.net.InFlight[len(p.net.InFlight)-1]
	p.net.InFlight = p.net.InFlight[:len(p.net.InFlight)-1]
	m, err := wire.Decode(last.Data)
	if err != nil {
		t.Fatalf("the answer does not decode: %v", err)
	}
	return m
}

// inject puts a crafted datagram from the left node in flight, at the end.
func inject(p *pairT, data []byte) int {
	p.net.InFlight = append(p.net.InFlight, iketest.Packet{From: netipPort(addrL, 500), To: netipPort(addrR, 500), Data: data})
	return len(p.net.InFlight) - 1
}

func wantNotify(t *testing.T, m *wire.Message, nt wire.NotifyType) *wire.Notify {
	t.Helper()
	if m == nil {
		t.Fatalf("no answer, want N(%v)", nt)
	}
	n, ok := wire.FindNotify(m.Payloads, nt)
	if !ok || !m.Flags.Response() {
		t.Fatalf("answer %v, want a response with N(%v)", m, nt)
	}
	return n
}

func encode(t *testing.T, m *wire.Message) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstRequest returns the initiator's IKE_SA_INIT request, decoded.
func firstRequest(t *testing.T, p *pairT) *wire.Message {
	p.initiate(t)
	m, err := wire.Decode(p.net.InFlight[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	p.net.Drop(0)
	return m
}

func without[T wire.Payload](ps []wire.Payload) []wire.Payload {
	var out []wire.Payload
	for _, p := range ps {
		if _, ok := p.(T); !ok {
			out = append(out, p)
		}
	}
	return out
}

func TestBadIKESAInit(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *wire.Message) []byte
		notify wire.NotifyType // 0: silently dropped
	}{
		{"no KE payload: INVALID_SYNTAX (RFC7296-2.21.2-3)", func(m *wire.Message) []byte {
			m.Payloads = without[*wire.KE](m.Payloads)
			return encode(t, m)
		}, wire.INVALID_SYNTAX},
		{"unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD (RFC7296-2.5-8)", func(m *wire.Message) []byte {
			u := &wire.Unknown{Kind: 99, Body: []byte{1, 2, 3}}
			u.Critical = true
			m.Payloads = append(m.Payloads, u)
			return encode(t, m)
		}, wire.UNSUPPORTED_CRITICAL_PAYLOAD},
		{"major version 3: INVALID_MAJOR_VERSION (RFC7296-2.5-2)", func(m *wire.Message) []byte {
			m.Major = 3
			return encode(t, m)
		}, wire.INVALID_MAJOR_VERSION},
		{"KE point not on the curve: INVALID_SYNTAX (RFC6989-2.5-2)", func(m *wire.Message) []byte {
			ke, _ := wire.Find[*wire.KE](m.Payloads)
			ke.Data = bytes.Repeat([]byte{1}, len(ke.Data))
			return encode(t, m)
		}, wire.INVALID_SYNTAX},
		{"only ENCR_3DES offered: NO_PROPOSAL_CHOSEN (RFC 7296 section 2.7)", func(m *wire.Message) []byte {
			sa, _ := wire.Find[*wire.SA](m.Payloads)
			sa.Proposals[0].Transforms[0] = wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_3DES), 0)
			return encode(t, m)
		}, wire.NO_PROPOSAL_CHOSEN},
		{"nonce of 8 octets (RFC7296-3.9-1): INVALID_SYNTAX", func(m *wire.Message) []byte {
			n, _ := wire.Find[*wire.Nonce](m.Payloads)
			n.Data = n.Data[:8]
			return encode(t, m)
		}, wire.INVALID_SYNTAX},
		{"IKEv1 (major 1): dropped", func(m *wire.Message) []byte {
			m.Major = 1
			return encode(t, m)
		}, 0},
		{"garbage after a header: INVALID_SYNTAX", func(m *wire.Message) []byte {
			b := encode(t, m)
			binary.BigEndian.PutUint16(b[wire.HeaderLen+2:], 3) // SA payload length 3 < 4
			return b
		}, wire.INVALID_SYNTAX},
		{"10 octets: dropped", func(m *wire.Message) []byte { return make([]byte, 10) }, 0},
		{"a response with a zero SPIr: dropped", func(m *wire.Message) []byte {
			m.Flags |= wire.FlagResponse
			return encode(t, m)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(t, left(), right())
			m := firstRequest(t, p)
			ans := answer(t, p, inject(p, tt.mutate(m)))
			if tt.notify == 0 {
				if ans != nil {
					t.Fatalf("answered %v, want a silent drop", ans)
				}
				if p.r.Engine.Stats().Dropped != 1 {
					t.Errorf("not counted as dropped")
				}
			} else {
				n := wantNotify(t, ans, tt.notify)
				if ans.SPIi != m.SPIi || ans.MessageID != m.MessageID || ans.Major != 2 || len(ans.Payloads) != 1 {
					t.Errorf("answer %v (SPIi %016x)", ans, ans.SPIi)
				}
				if tt.notify == wire.UNSUPPORTED_CRITICAL_PAYLOAD && !bytes.Equal(n.Data, []byte{99}) {
					t.Errorf("UNSUPPORTED_CRITICAL_PAYLOAD data %x, want the type 99", n.Data)
				}
			}
			if len(p.r.Engine.SAs()) != 0 || p.r.Engine.Stats().HalfOpen != 0 {
				t.Errorf("state kept for a refused request")
			}
		})
	}
}

// TestBadIKESAInitResponse: the initiator's side. A response that does not
// parse is ignored (the request is still retransmitted); one that chooses
// what was not offered ends the attempt.
func TestBadIKESAInitResponse(t *testing.T) {
	t.Run("malformed response: ignored", func(t *testing.T) {
		p := newPair(t, left(), right())
		p.initiate(t)
		p.net.Deliver(0)
		p.net.InFlight[0].Data = p.net.InFlight[0].Data[:40] // truncate; Length no longer matches
		if ans := answer(t, p, 0); ans != nil {
			t.Fatalf("answered %v", ans)
		}
		if s := onlySA(t, p.l); s.State != "INIT_SENT" {
			t.Fatalf("state %s", s.State)
		}
	})
	t.Run("response choosing an unoffered transform: refused", func(t *testing.T) {
		p := newPair(t, left(), right())
		p.initiate(t)
		p.net.Deliver(0)
		m, _ := wire.Decode(p.net.InFlight[0].Data)
		sa, _ := wire.Find[*wire.SA](m.Payloads)
		sa.Proposals[0].Transforms[0] = wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_CBC), 128)
		p.net.InFlight[0].Data = encode(t, m)
		p.net.Deliver(0)
		if n := len(p.l.Engine.SAs()); n != 0 {
			t.Fatalf("initiator kept its SA")
		}
	})
}

// established runs the handshake up to the IKE_AUTH request in flight and
// returns the initiator's keys to craft protected messages with.
func toAuth(t *testing.T, p *pairT) (skI, skR *crypto.SK) {
	p.initiate(t)
	p.net.Deliver(0) // IKE_SA_INIT request
	p.net.Deliver(0) // IKE_SA_INIT response; the IKE_AUTH request is now in flight
	k := findKeys(p.l.Actions)
	if len(k) != 1 {
		t.Fatalf("%d key reports", len(k))
	}
	return sks(t, k[0])
}

func sks(t *testing.T, k ike.IKEKeys) (*crypto.SK, *crypto.SK) {
	s, err := crypto.NewSuite(k.Encr.ID, int(k.Encr.KeyBits), 0, k.Integ, wire.KE_NONE)
	if err != nil {
		t.Fatal(err)
	}
	i, err := crypto.NewSK(s, k.EncI, k.IntI)
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypto.NewSK(s, k.EncR, k.IntR)
	if err != nil {
		t.Fatal(err)
	}
	return i, r
}

// reseal opens a protected message, lets f change the header and the inner
// payloads, and seals it again with the same keys.
func reseal(t *testing.T, sk *crypto.SK, data []byte, f func(h *wire.Header, ps []wire.Payload) []wire.Payload) []byte {
	t.Helper()
	ps, err := sk.OpenMessage(data)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _, _ := wire.DecodeHeader(data)
	ps = f(&h, ps)
	out, err := sk.SealMessage(h, ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sealRaw protects arbitrary plaintext (perhaps not a valid payload chain).
func sealRaw(t *testing.T, sk *crypto.SK, h wire.Header, first wire.PayloadType, pt []byte) []byte {
	t.Helper()
	skLen := wire.GenericHeaderLen + len(pt) + sk.Overhead(len(pt))
	prefix := h.Append(nil, wire.PayloadSK, wire.HeaderLen+skLen)
	prefix = append(prefix, byte(first), 0, byte(skLen>>8), byte(skLen))
	out, err := sk.Seal(prefix, pt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBadIKEAuth(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, skI *crypto.SK, data []byte) []byte
		notify wire.NotifyType // 0: dropped silently; the SA stays half-open
		dead   bool            // the responder's SA is gone afterwards
	}{
		{"ICV broken: dropped (unauthenticated)", func(t *testing.T, _ *crypto.SK, d []byte) []byte {
			d[len(d)-1] ^= 1
			return d
		}, 0, false},
		{"wrong AUTH data: AUTHENTICATION_FAILED (RFC7296-2.21.2-1)", func(t *testing.T, sk *crypto.SK, d []byte) []byte {
			return reseal(t, sk, d, func(_ *wire.Header, ps []wire.Payload) []wire.Payload {
				a, _ := wire.Find[*wire.Auth](ps)
				a.Data[0] ^= 1
				return ps
			})
		}, wire.AUTHENTICATION_FAILED, true},
		{"no IDi: INVALID_SYNTAX", func(t *testing.T, sk *crypto.SK, d []byte) []byte {
			return reseal(t, sk, d, func(_ *wire.Header, ps []wire.Payload) []wire.Payload {
				return ps[1:] // IDi is first
			})
		}, wire.INVALID_SYNTAX, true},
		{"unknown critical payload inside SK: UNSUPPORTED_CRITICAL_PAYLOAD", func(t *testing.T, sk *crypto.SK, d []byte) []byte {
			return reseal(t, sk, d, func(_ *wire.Header, ps []wire.Payload) []wire.Payload {
				u := &wire.Unknown{Kind: 200}
				u.Critical = true
				return append(ps, u)
			})
		}, wire.UNSUPPORTED_CRITICAL_PAYLOAD, true},
		{"authenticated but malformed inner chain: INVALID_SYNTAX", func(t *testing.T, sk *crypto.SK, d []byte) []byte {
			h, _, _, _ := wire.DecodeHeader(d)
			return sealRaw(t, sk, h, wire.PayloadIDi, []byte{0, 0, 0, 2}) // IDi of length 2 < 4
		}, wire.INVALID_SYNTAX, true},
		{"message ID 5 instead of 1: dropped", func(t *testing.T, sk *crypto.SK, d []byte) []byte {
			return reseal(t, sk, d, func(h *wire.Header, ps []wire.Payload) []wire.Payload {
				h.MessageID = 5
				return ps
			})
		}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(t, left(), right())
			skI, _ := toAuth(t, p)
			data := tt.mutate(t, skI, append([]byte(nil), p.net.InFlight[0].Data...))
			p.net.Drop(0)
			ans := answer(t, p, inject(p, data))
			sas := p.r.Engine.SAs()
			if tt.notify == 0 {
				if ans != nil {
					t.Fatalf("answered %v", ans)
				}
				if len(sas) != 1 || sas[0].State != "INIT_DONE" || p.r.Engine.Stats().Dropped != 1 {
					t.Fatalf("responder %+v, stats %+v", sas, p.r.Engine.Stats())
				}
				return
			}
			if ans == nil || ans.Exchange != wire.IKE_AUTH || !ans.Flags.Response() {
				t.Fatalf("answer %v", ans)
			}
			_, skR := sks(t, findKeys(p.r.Actions)[0])
			inner, err := skR.OpenMessage(encode(t, ans))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := wire.FindNotify(inner, tt.notify); !ok {
				t.Fatalf("inner payloads %v, want N(%v)", wire.Summary(ans.Header, inner), tt.notify)
			}
			if tt.dead != (len(sas) == 0) {
				t.Errorf("responder SAs %+v", sas)
			}
		})
	}
}

// TestBadInformational: after establishment, every request error is
// answered (RFC7296-2.21.3-1) and the SA stays; unauthenticated input is
// dropped; an unknown SPI gets INVALID_IKE_SPI in the clear.
func TestBadInformational(t *testing.T) {
	setup := func(t *testing.T) (*pairT, *crypto.SK, *crypto.SK, ike.SAInfo) {
		p := newPair(t, left(), right())
		p.initiate(t)
		p.flush(t)
		a, _ := agree(t, p)
		skI, skR := sks(t, findKeys(p.l.Actions)[0])
		return p, skI, skR, a
	}
	hdr := func(a ike.SAInfo, id uint32) wire.Header {
		return wire.Header{SPIi: a.SPIi, SPIr: a.SPIr, Major: 2, Exchange: wire.INFORMATIONAL, Flags: wire.FlagInitiator, MessageID: id}
	}
	protected := func(t *testing.T, skR *crypto.SK, p *pairT, m *wire.Message) []wire.Payload {
		t.Helper()
		if m == nil {
			t.Fatal("no answer")
		}
		ps, err := skR.OpenMessage(encode(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if s := onlySA(t, p.r); s.State != "ESTABLISHED" || len(s.Children) != 1 {
			t.Errorf("responder SA %s with %d children", s.State, len(s.Children))
		}
		return ps
	}
	t.Run("ICV broken: dropped", func(t *testing.T) {
		p, skI, _, a := setup(t)
		b, _ := skI.SealMessage(hdr(a, 2), nil, nil)
		b[len(b)-2] ^= 0x80
		if ans := answer(t, p, inject(p, b)); ans != nil {
			t.Fatalf("answered %v", ans)
		}
		if p.r.Engine.Stats().Dropped != 1 {
			t.Errorf("not counted")
		}
	})
	t.Run("unknown IKE SPI: INVALID_IKE_SPI in the clear (RFC7296-2.21.4-4)", func(t *testing.T) {
		p, skI, _, a := setup(t)
		h := hdr(a, 2)
		h.SPIr ^= 0xff
		b, _ := skI.SealMessage(h, nil, nil)
		ans := answer(t, p, inject(p, b))
		wantNotify(t, ans, wire.INVALID_IKE_SPI)
		if ans.SPIr != h.SPIr || ans.MessageID != 2 {
			t.Errorf("SPIs/message ID not copied: %v", ans)
		}
	})
	t.Run("message ID out of the window: dropped", func(t *testing.T) {
		p, skI, _, a := setup(t)
		b, _ := skI.SealMessage(hdr(a, 7), nil, nil)
		if ans := answer(t, p, inject(p, b)); ans != nil {
			t.Fatalf("answered %v", ans)
		}
	})
	t.Run("malformed inner payloads: INVALID_SYNTAX", func(t *testing.T) {
		p, skI, skR, a := setup(t)
		b := sealRaw(t, skI, hdr(a, 2), wire.PayloadDelete, []byte{0, 0, 0, 8, 3, 4, 0, 9})
		ps := protected(t, skR, p, answer(t, p, inject(p, b)))
		if _, ok := wire.FindNotify(ps, wire.INVALID_SYNTAX); !ok {
			t.Errorf("answer %v", ps)
		}
	})
	t.Run("unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD", func(t *testing.T) {
		p, skI, skR, a := setup(t)
		u := &wire.Unknown{Kind: 77}
		u.Critical = true
		b, _ := skI.SealMessage(hdr(a, 2), []wire.Payload{u}, nil)
		ps := protected(t, skR, p, answer(t, p, inject(p, b)))
		if n, ok := wire.FindNotify(ps, wire.UNSUPPORTED_CRITICAL_PAYLOAD); !ok || !bytes.Equal(n.Data, []byte{77}) {
			t.Errorf("answer %v", ps)
		}
	})
	t.Run("Delete of an unknown Child SA: empty answer, nothing changes", func(t *testing.T) {
		p, skI, skR, a := setup(t)
		d := &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{{9, 9, 9, 9}}}
		b, _ := skI.SealMessage(hdr(a, 2), []wire.Payload{d}, nil)
		if ps := protected(t, skR, p, answer(t, p, inject(p, b))); len(ps) != 0 {
			t.Errorf("answer %v", ps)
		}
	})
	t.Run("a non-critical unknown payload is ignored (RFC7296-2.5-9)", func(t *testing.T) {
		p, skI, skR, a := setup(t)
		b, _ := skI.SealMessage(hdr(a, 2), []wire.Payload{&wire.Unknown{Kind: 77}}, nil)
		if ps := protected(t, skR, p, answer(t, p, inject(p, b))); len(ps) != 0 {
			t.Errorf("answer %v", ps)
		}
	})
}
