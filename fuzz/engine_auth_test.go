package fuzz

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// FuzzEngineAuthenticated feeds authenticated but arbitrary requests to
// the responder of an established IKE SA: the fuzzer's bytes become the
// inner payload chain of an SK payload sealed with the initiator's real
// keys (SK_ei, SK_ai), with the next message ID, in an IKE_AUTH,
// CREATE_CHILD_SA or INFORMATIONAL request and with any first payload
// type. This reaches what unauthenticated input cannot: CREATE_CHILD_SA
// (Child SA and IKE SA rekeys, PFS, collisions), INFORMATIONAL deletes and
// notifies, the configuration payload. Whatever the chain holds, the
// engine must not panic and must answer only with messages that decode
// (RFC 7296 section 2.21: an authenticated malformed request is answered,
// INVALID_SYNTAX for one that does not parse).
func FuzzEngineAuthenticated(f *testing.F) {
	// Seeds: well-formed chains of the requests the engine knows.
	chain := func(first wire.PayloadType, ps ...wire.Payload) []byte {
		t, b, err := wire.AppendPayloads(nil, ps)
		if err != nil {
			f.Fatal(err)
		}
		return append([]byte{byte(t)}, b...)
	}
	nonce := &wire.Nonce{Data: make([]byte, 32)}
	esp := wire.Proposal{Number: 1, Protocol: wire.ProtoESP, SPI: []byte{1, 2, 3, 4},
		Transforms: []wire.Transform{wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_GCM_16), 128),
			wire.NewTransform(wire.TransformESN, uint16(wire.NoESN), 0)}}
	ikeP := wire.Proposal{Number: 1, Protocol: wire.ProtoIKE, SPI: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		Transforms: []wire.Transform{wire.NewTransform(wire.TransformENCR, uint16(wire.ENCR_AES_GCM_16), 128),
			wire.NewTransform(wire.TransformPRF, uint16(wire.PRF_HMAC_SHA2_256), 0),
			wire.NewTransform(wire.TransformKE, uint16(wire.CURVE25519), 0)}}
	sel := []wire.Selector{{Type: wire.TS_IPV4_ADDR_RANGE, EndPort: 0xffff,
		Start: netip.MustParseAddr("198.51.100.1"), End: netip.MustParseAddr("198.51.100.1")}}
	selR := []wire.Selector{{Type: wire.TS_IPV4_ADDR_RANGE, EndPort: 0xffff,
		Start: netip.MustParseAddr("198.51.100.2"), End: netip.MustParseAddr("198.51.100.2")}}
	f.Add(chain(0, &wire.SA{Proposals: []wire.Proposal{esp}}, nonce, &wire.TS{Selectors: sel}, &wire.TS{Responder: true, Selectors: selR}), uint8(1))
	f.Add(chain(0, &wire.Notify{Protocol: wire.ProtoESP, Type: wire.REKEY_SA, SPI: []byte{0, 0, 1, 0}},
		&wire.SA{Proposals: []wire.Proposal{esp}}, nonce, &wire.TS{Selectors: sel}, &wire.TS{Responder: true, Selectors: selR}), uint8(1))
	f.Add(chain(0, &wire.SA{Proposals: []wire.Proposal{ikeP}}, nonce, &wire.KE{Group: wire.CURVE25519, Data: make([]byte, 32)}), uint8(1))
	f.Add(chain(0, &wire.Delete{Protocol: wire.ProtoESP, SPISize: 4, SPIs: [][]byte{{0, 0, 1, 0}}}), uint8(2))
	f.Add(chain(0, &wire.Delete{Protocol: wire.ProtoIKE}), uint8(2))
	f.Add(chain(0, &wire.CP{CFGType: wire.CFG_REQUEST, Attributes: []wire.CPAttribute{{Type: wire.INTERNAL_IP4_ADDRESS}}}), uint8(0))
	f.Add([]byte{0}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, how uint8) {
		if len(data) == 0 {
			return
		}
		net, l, r := establishedPair(t, 1, 2)
		sa := onlySA(t, l)
		var keys *ike.IKEKeys
		for _, a := range l.Actions {
			if k, ok := a.(ike.IKEKeys); ok && k.SPIi == sa.SPIi {
				keys = &k
			}
		}
		if keys == nil {
			t.Fatal("no IKEKeys action for the SA")
		}
		suite, err := crypto.NewSuite(keys.Encr.ID, int(keys.Encr.KeyBits), wire.PRF_HMAC_SHA2_256, keys.Integ, wire.CURVE25519)
		if err != nil {
			t.Fatal(err)
		}
		sk, err := crypto.NewSK(suite, keys.EncI, keys.IntI)
		if err != nil {
			t.Fatal(err)
		}
		x := []wire.ExchangeType{wire.IKE_AUTH, wire.CREATE_CHILD_SA, wire.INFORMATIONAL}[int(how)%3]
		h := wire.Header{SPIi: sa.SPIi, SPIr: sa.SPIr, Major: wire.MajorVersion, Exchange: x,
			Flags: wire.FlagInitiator, MessageID: 2}
		// data[0] is the SK payload's Next Payload (the first inner payload).
		first, pt := wire.PayloadType(data[0]), data[1:]
		skLen := wire.GenericHeaderLen + len(pt) + sk.Overhead(len(pt))
		if skLen > 0xffff {
			return
		}
		prefix := h.Append(nil, wire.PayloadSK, wire.HeaderLen+skLen)
		prefix = append(prefix, byte(first), 0, byte(skLen>>8), byte(skLen))
		msg, err := sk.Seal(prefix, pt, rand.Reader)
		if err != nil {
			return
		}
		d := ike.Datagram{Local: netip.MustParseAddrPort("192.0.2.2:500"),
			Remote: netip.MustParseAddrPort("192.0.2.1:500"), Data: msg}
		acts := r.Engine.Receive(net.Now, d)
		answered := false
		for _, a := range acts {
			if s, ok := a.(ike.Send); ok && len(s.Data) > 1 {
				h2, _, _, err := wire.DecodeHeader(s.Data)
				if err != nil {
					t.Fatalf("the engine sent an undecodable message: %v", err)
				}
				if h2.MessageID == 2 && h2.IsResponse() {
					answered = true
				}
			}
		}
		// RFC7296-2.21.2-3, RFC7296-2.21.3-1: an authenticated request
		// gets a response (or the IKE SA goes, for an IKE_AUTH on an
		// established SA, which the model drops).
		if !answered && x != wire.IKE_AUTH {
			t.Fatalf("no response to an authenticated %v request", x)
		}
		// Timers run without a panic, too.
		r.Engine.Tick(net.Now.Add(time.Minute))
		r.Engine.Tick(net.Now.Add(time.Hour))
	})
}
