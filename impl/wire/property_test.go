package wire_test

// Property tests of the codec (gopter). Generators cover every payload type
// and whole messages; the properties are the ones STYLE.md asks of every
// codec (round trip, no strict prefix decodes, random bytes never panic) plus
// the canonical-encoding property that doc.go promises: whatever decodes,
// re-encodes to its own octets except for RESERVED fields, which become zero.
//
// IKEV2REF_SEED=<int64> repeats a run (the seed is logged with -v and on
// failure); IKEV2REF_PROP_TESTS=<n> changes the number of cases per property
// from 300.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/internal/proptest"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/ikev2ref/ikev2ref/fuzz"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// ---- parameters ----

// ---- generators ----
//
// The decoder returns nil, never an empty slice, for an absent or empty
// field (reader.bytes gives nil for zero octets; lists are built by append
// from nil), so the generators produce nil for empty too and the round trip
// is checked with reflect.DeepEqual.

var payloadIface = reflect.TypeFor[wire.Payload]()

// sliceOf generates between min and max values of g, nil for none.
func sliceOf[T any](min, max int, g gopter.Gen) gopter.Gen {
	typ := reflect.TypeFor[T]()
	return gen.IntRange(min, max).FlatMap(func(n any) gopter.Gen {
		return gen.SliceOfN(n.(int), g, typ)
	}, reflect.SliceOf(typ)).Map(func(s []T) []T {
		if len(s) == 0 {
			return nil
		}
		return s
	}).WithShrinker(nil) // a shrunk empty slice would not be nil
}

func genBytes(min, max int) gopter.Gen { return sliceOf[byte](min, max, gen.UInt8()) }

func critical(v any) wire.PayloadHeader { return wire.PayloadHeader{Critical: v.(bool)} }

// genAttribute: a TV attribute (AF = 1, two octets of value) or a TLV
// attribute (AF = 0, any length); 15-bit types (RFC 7296 section 3.3.5).
func genAttribute() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt16Range(0, 0x7fff), genBytes(2, 2), genBytes(0, 12)).Map(func(v []any) wire.Attribute {
		if v[0].(bool) {
			return wire.Attribute{Type: v[1].(uint16), TV: true, Value: v[2].([]byte)}
		}
		return wire.Attribute{Type: v[1].(uint16), Value: v[3].([]byte)}
	})
}

func genTransform() gopter.Gen {
	return gopter.CombineGens(gen.UInt8(), gen.UInt16(), sliceOf[wire.Attribute](0, 3, genAttribute())).Map(func(v []any) wire.Transform {
		return wire.Transform{Type: wire.TransformType(v[0].(uint8)), ID: v[1].(uint16), Attributes: v[2].([]wire.Attribute)}
	})
}

func genProposal() gopter.Gen {
	return gopter.CombineGens(gen.UInt8(), gen.UInt8(), genBytes(0, 8), sliceOf[wire.Transform](0, 6, genTransform())).Map(func(v []any) wire.Proposal {
		return wire.Proposal{Number: v[0].(uint8), Protocol: wire.ProtocolID(v[1].(uint8)), SPI: v[2].([]byte), Transforms: v[3].([]wire.Transform)}
	})
}

func genSA() gopter.Gen {
	// RFC 7296 section 3.3: one or more proposals (the decoder rejects an empty SA).
	return gopter.CombineGens(gen.Bool(), sliceOf[wire.Proposal](1, 3, genProposal())).Map(func(v []any) wire.Payload {
		return &wire.SA{PayloadHeader: critical(v[0]), Proposals: v[1].([]wire.Proposal)}
	})
}

func genKE() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt16(), genBytes(0, 64)).Map(func(v []any) wire.Payload {
		return &wire.KE{PayloadHeader: critical(v[0]), Group: wire.KEID(v[1].(uint16)), Data: v[2].([]byte)}
	})
}

func genID() gopter.Gen { // IDi and IDr
	return gopter.CombineGens(gen.Bool(), gen.Bool(), gen.UInt8(), genBytes(0, 32)).Map(func(v []any) wire.Payload {
		return &wire.ID{PayloadHeader: critical(v[0]), Responder: v[1].(bool), IDType: wire.IDType(v[2].(uint8)), Data: v[3].([]byte)}
	})
}

func genCert() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), genBytes(0, 48)).Map(func(v []any) wire.Payload {
		return &wire.Cert{PayloadHeader: critical(v[0]), Encoding: wire.CertEncoding(v[1].(uint8)), Data: v[2].([]byte)}
	})
}

func genCertReq() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), genBytes(0, 60)).Map(func(v []any) wire.Payload {
		return &wire.CertReq{PayloadHeader: critical(v[0]), Encoding: wire.CertEncoding(v[1].(uint8)), Data: v[2].([]byte)}
	})
}

func genAuth() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), genBytes(0, 48)).Map(func(v []any) wire.Payload {
		return &wire.Auth{PayloadHeader: critical(v[0]), Method: wire.AuthMethod(v[1].(uint8)), Data: v[2].([]byte)}
	})
}

func genNonce() gopter.Gen { // RFC7296-3.9-1: 16 to 256 octets
	return gopter.CombineGens(gen.Bool(), genBytes(wire.MinNonceLen, wire.MaxNonceLen)).Map(func(v []any) wire.Payload {
		return &wire.Nonce{PayloadHeader: critical(v[0]), Data: v[1].([]byte)}
	})
}

func genNotify() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), genBytes(0, 8), gen.UInt16(), genBytes(0, 32)).Map(func(v []any) wire.Payload {
		return &wire.Notify{PayloadHeader: critical(v[0]), Protocol: wire.ProtocolID(v[1].(uint8)), SPI: v[2].([]byte),
			Type: wire.NotifyType(v[3].(uint16)), Data: v[4].([]byte)}
	})
}

// genDelete: Num of SPIs SPIs of exactly SPI Size octets each (nil for size 0).
func genDelete() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), gen.IntRange(0, 16), gen.IntRange(0, 4)).FlatMap(func(v any) gopter.Gen {
		vs := v.([]any)
		size, n := vs[2].(int), vs[3].(int)
		if size == 0 {
			n = 0 // SPIs of size zero are refused by the decoder (see Delete.decodeBody)
		}
		return sliceOf[[]byte](n, n, genBytes(size, size)).Map(func(spis [][]byte) wire.Payload {
			return &wire.Delete{PayloadHeader: critical(vs[0]), Protocol: wire.ProtocolID(vs[1].(uint8)), SPISize: uint8(size), SPIs: spis}
		})
	}, payloadIface)
}

func genVendorID() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), genBytes(0, 32)).Map(func(v []any) wire.Payload {
		return &wire.VendorID{PayloadHeader: critical(v[0]), Data: v[1].([]byte)}
	})
}

// genAddr: a 4-octet (Is4) or 16-octet address, never with a zone.
func genAddr(n int) gopter.Gen {
	return genBytes(n, n).Map(func(b []byte) netip.Addr {
		a, _ := netip.AddrFromSlice(b)
		return a
	})
}

// genSelector: TS_IPV4_ADDR_RANGE with 4-octet addresses,
// TS_IPV6_ADDR_RANGE with 16-octet ones, or any other type with its octets
// in Raw (RFC 7296 section 3.13.1).
func genSelector() gopter.Gen {
	addrRange := func(t wire.TSType, n int) gopter.Gen {
		return gopter.CombineGens(gen.UInt8(), gen.UInt16(), gen.UInt16(), genAddr(n), genAddr(n)).Map(func(v []any) wire.Selector {
			return wire.Selector{Type: t, IPProtocol: v[0].(uint8), StartPort: v[1].(uint16), EndPort: v[2].(uint16),
				Start: v[3].(netip.Addr), End: v[4].(netip.Addr)}
		})
	}
	raw := gopter.CombineGens(gen.UInt8Range(0, 253), gen.UInt8(), genBytes(0, 24)).Map(func(v []any) wire.Selector {
		t := wire.TSType(v[0].(uint8))
		if t >= wire.TS_IPV4_ADDR_RANGE {
			t += 2 // skip types 7 and 8
		}
		return wire.Selector{Type: t, IPProtocol: v[1].(uint8), Raw: v[2].([]byte)}
	})
	return gen.OneGenOf(addrRange(wire.TS_IPV4_ADDR_RANGE, 4), addrRange(wire.TS_IPV6_ADDR_RANGE, 16), raw)
}

func genTS() gopter.Gen { // TSi and TSr
	return gopter.CombineGens(gen.Bool(), gen.Bool(), sliceOf[wire.Selector](0, 4, genSelector())).Map(func(v []any) wire.Payload {
		return &wire.TS{PayloadHeader: critical(v[0]), Responder: v[1].(bool), Selectors: v[2].([]wire.Selector)}
	})
}

func genEncrypted() gopter.Gen { // SK: Inner is the Next Payload field
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), genBytes(0, 64)).Map(func(v []any) wire.Payload {
		return &wire.Encrypted{PayloadHeader: critical(v[0]), Inner: wire.PayloadType(v[1].(uint8)), Body: v[2].([]byte)}
	})
}

func genEncryptedFragment() gopter.Gen { // SKF: 1 <= Number <= Total (RFC7383-2.5-4 to -6)
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), gen.UInt16Range(1, 0xffff), gen.UInt16(), genBytes(0, 64)).Map(func(v []any) wire.Payload {
		total := v[2].(uint16)
		return &wire.EncryptedFragment{PayloadHeader: critical(v[0]), Inner: wire.PayloadType(v[1].(uint8)),
			Number: 1 + v[3].(uint16)%total, Total: total, Body: v[4].([]byte)}
	})
}

func genCP() gopter.Gen {
	attr := gopter.CombineGens(gen.UInt16Range(0, 0x7fff), genBytes(0, 16)).Map(func(v []any) wire.CPAttribute {
		return wire.CPAttribute{Type: wire.CPAttrType(v[0].(uint16)), Value: v[1].([]byte)} // R bit clear
	})
	return gopter.CombineGens(gen.Bool(), gen.UInt8(), sliceOf[wire.CPAttribute](0, 4, attr)).Map(func(v []any) wire.Payload {
		return &wire.CP{PayloadHeader: critical(v[0]), CFGType: wire.CFGType(v[1].(uint8)), Attributes: v[2].([]wire.CPAttribute)}
	})
}

// genEAP: Success and Failure have neither Type nor data (RFC 3748 section 4.2).
func genEAP() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.UInt8Range(0, 7), gen.UInt8(), gen.UInt8(), genBytes(0, 32)).Map(func(v []any) wire.Payload {
		p := &wire.EAP{PayloadHeader: critical(v[0]), Code: wire.EAPCode(v[1].(uint8)), Identifier: v[2].(uint8)}
		if p.Code != wire.EAPSuccess && p.Code != wire.EAPFailure {
			p.Type, p.Data = v[3].(uint8), v[4].([]byte)
		}
		return p
	})
}

// unknownKinds are the payload types newPayload keeps as *wire.Unknown:
// everything but 0 (the end of the chain) and 33-48 and 53 (parsed).
var unknownKinds = func() []wire.PayloadType {
	var ks []wire.PayloadType
	for k := 1; k < 256; k++ {
		if (k < 33 || k > 48) && k != 53 {
			ks = append(ks, wire.PayloadType(k))
		}
	}
	return ks
}()

// TestUnknownKinds: unknownKinds is exactly the set of types the decoder
// keeps as *wire.Unknown (an empty body of a parsed type either fails or
// gives that type's payload).
func TestUnknownKinds(t *testing.T) {
	want := map[wire.PayloadType]bool{}
	for _, k := range unknownKinds {
		want[k] = true
	}
	for k := 1; k < 256; k++ {
		p, err := wire.DecodePayloadBody(wire.PayloadType(k), nil)
		_, unknown := p.(*wire.Unknown)
		if got := err == nil && unknown; got != want[wire.PayloadType(k)] {
			t.Errorf("type %d: decoded as Unknown %v, in unknownKinds %v", k, got, want[wire.PayloadType(k)])
		}
	}
}

func genUnknown() gopter.Gen {
	return gopter.CombineGens(gen.Bool(), gen.IntRange(0, len(unknownKinds)-1), genBytes(0, 32)).Map(func(v []any) wire.Payload {
		return &wire.Unknown{PayloadHeader: critical(v[0]), Kind: unknownKinds[v[1].(int)], Body: v[2].([]byte)}
	})
}

// payloadGens has a generator for every payload type. last marks SK and
// SKF, which may only end a message's chain (RFC7296-3.14-1, RFC7383-2.5-1).
var payloadGens = []struct {
	name string
	gen  gopter.Gen
	last bool
}{
	{"SA", genSA(), false},
	{"KE", genKE(), false},
	{"ID", genID(), false},
	{"CERT", genCert(), false},
	{"CERTREQ", genCertReq(), false},
	{"AUTH", genAuth(), false},
	{"Nonce", genNonce(), false},
	{"Notify", genNotify(), false},
	{"Delete", genDelete(), false},
	{"VendorID", genVendorID(), false},
	{"TS", genTS(), false},
	{"CP", genCP(), false},
	{"EAP", genEAP(), false},
	{"Unknown", genUnknown(), false},
	{"SK", genEncrypted(), true},
	{"SKF", genEncryptedFragment(), true},
}

// genInner: any payload but SK and SKF.
func genInner() gopter.Gen {
	var gs []gopter.Gen
	for _, g := range payloadGens {
		if !g.last {
			gs = append(gs, g.gen)
		}
	}
	return gen.OneGenOf(gs...)
}

// genChain: 0 to 6 payloads other than SK and SKF, nil for none.
func genChain() gopter.Gen { return sliceOf[wire.Payload](0, 6, genInner()) }

func genHeader() gopter.Gen {
	return gopter.CombineGens(gen.UInt64(), gen.UInt64(), gen.UInt8Range(0, 15), gen.UInt8(), gen.UInt8(), gen.UInt32()).Map(func(v []any) wire.Header {
		return wire.Header{SPIi: v[0].(uint64), SPIr: v[1].(uint64), Major: wire.MajorVersion, Minor: v[2].(uint8),
			Exchange: wire.ExchangeType(v[3].(uint8)), Flags: wire.Flags(v[4].(uint8)), MessageID: v[5].(uint32)}
	})
}

// genMessage: a random header and chain, ending a third of the time with
// SK and a third with SKF.
func genMessage() gopter.Gen {
	return gopter.CombineGens(genHeader(), genChain(), gen.IntRange(0, 2), genEncrypted(), genEncryptedFragment()).Map(func(v []any) *wire.Message {
		m := &wire.Message{Header: v[0].(wire.Header), Payloads: v[1].([]wire.Payload)}
		if i := v[2].(int); i > 0 {
			m.Payloads = append(m.Payloads, v[2+i].(wire.Payload))
		}
		return m
	})
}

// ---- helpers ----

func encode(m *wire.Message) []byte {
	b, err := m.Encode()
	if err != nil {
		panic(fmt.Sprintf("a generated message does not encode: %v", err))
	}
	return b
}

// decodeError says what is wrong with a decoding error ("" for nil): it
// must be a *wire.Error matching ErrMalformed or ErrMajorVersion.
func decodeError(err error) string {
	if err := fuzz.CheckDecodeError(err); err != nil {
		return err.Error()
	}
	return ""
}

// canonical checks that b, which decoded to m, is m's encoding but for
// reserved bits (fuzz.Canonical, fuzz.ReservedMask): "" when it is.
func canonical(b []byte, m *wire.Message) string {
	if err := fuzz.Canonical(b, m); err != nil {
		return err.Error()
	}
	return ""
}

// result turns a problem description ("" for none) into a gopter result.
func result(problem string) *gopter.PropResult {
	if problem == "" {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	return &gopter.PropResult{Status: gopter.PropFalse, Labels: []string{problem}} // printed on failure
}

// ---- properties ----

// TestPropertyRoundTrip: decode(encode(m)) == m and encode(decode(b)) == b
// for every generated message m and its encoding b; the payload chain alone
// round-trips through DecodePayloads (the SK plaintext path).
func TestPropertyRoundTrip(t *testing.T) {
	ps := proptest.Properties(t)
	ps.Property("decode(encode(m)) == m", prop.ForAll(func(m *wire.Message) *gopter.PropResult {
		b := encode(m)
		back, err := wire.Decode(b)
		if err != nil {
			return result(fmt.Sprintf("Decode: %v", err))
		}
		if !reflect.DeepEqual(back, m) {
			return result(fmt.Sprintf("decoded %#v", back))
		}
		return result("")
	}, genMessage()))
	ps.Property("encode(decode(b)) == b", prop.ForAll(func(m *wire.Message) *gopter.PropResult {
		b := encode(m)
		back, err := wire.Decode(b)
		if err != nil {
			return result(fmt.Sprintf("Decode: %v", err))
		}
		if enc := encode(back); !bytes.Equal(enc, b) {
			return result(fmt.Sprintf("re-encoded %x", enc))
		}
		return result("")
	}, genMessage()))
	ps.Property("DecodePayloads(AppendPayloads(ps)) == ps", prop.ForAll(func(chain []wire.Payload) *gopter.PropResult {
		first, b, err := wire.AppendPayloads(nil, chain)
		if err != nil {
			return result(fmt.Sprintf("AppendPayloads: %v", err))
		}
		back, err := wire.DecodePayloads(first, b)
		if err != nil {
			return result(fmt.Sprintf("DecodePayloads: %v", err))
		}
		if !reflect.DeepEqual(back, chain) {
			return result(fmt.Sprintf("decoded %#v", back))
		}
		return result("")
	}, genChain()))
	ps.TestingRun(t)
}

// TestPropertyPayloadBodies: DecodePayloadBody(AppendPayloadBody(p)) == p for
// every payload type. The body does not hold the generic header, so the
// critical bit (and SK's and SKF's Inner, its Next Payload) come back zero.
func TestPropertyPayloadBodies(t *testing.T) {
	ps := proptest.Properties(t)
	for _, g := range payloadGens {
		ps.Property(g.name, prop.ForAll(func(p wire.Payload) *gopter.PropResult {
			body, err := wire.AppendPayloadBody(nil, p)
			if err != nil {
				return result(fmt.Sprintf("AppendPayloadBody: %v", err))
			}
			back, err := wire.DecodePayloadBody(p.PayloadType(), body)
			if err != nil {
				return result(fmt.Sprintf("DecodePayloadBody: %v", err))
			}
			if err := fuzz.CanonicalBody(body, back); err != nil {
				return result(err.Error())
			}
			p.Header().Critical = false
			switch q := p.(type) {
			case *wire.Encrypted:
				q.Inner = 0
			case *wire.EncryptedFragment:
				q.Inner = 0
			}
			if !reflect.DeepEqual(back, p) {
				return result(fmt.Sprintf("decoded %#v", back))
			}
			return result("")
		}, g.gen))
	}
	ps.TestingRun(t)
}

// TestPropertyNoStrictPrefix: no strict prefix of a valid message decodes,
// neither as it stands (the header Length no longer matches) nor with the
// header Length rewritten to the prefix's length (the chain must then fail);
// and no strict prefix of a chain decodes. Messages over 256 octets are
// checked at 64 random prefix lengths plus every payload boundary.
func TestPropertyNoStrictPrefix(t *testing.T) {
	ps := proptest.Properties(t)
	ps.Property("no strict prefix decodes", prop.ForAll(func(m *wire.Message, picks []int) *gopter.PropResult {
		b := encode(m)
		cuts := map[int]bool{}
		if len(b) <= 256 {
			for k := 0; k < len(b); k++ {
				cuts[k] = true
			}
		} else {
			for _, k := range picks {
				cuts[k%len(b)] = true
			}
			off := wire.HeaderLen
			for _, p := range m.Payloads {
				cuts[off] = true
				body, _ := wire.AppendPayloadBody(nil, p)
				off += wire.GenericHeaderLen + len(body)
			}
		}
		first, chain, _ := wire.AppendPayloads(nil, m.Payloads)
		for k := range cuts {
			if _, err := wire.Decode(b[:k]); err == nil {
				return result(fmt.Sprintf("prefix of %d of %d octets decodes", k, len(b)))
			} else if s := decodeError(err); s != "" {
				return result(s)
			}
			if k >= wire.HeaderLen {
				fixed := withLength(bytes.Clone(b[:k]), uint32(k))
				if _, err := wire.Decode(fixed); err == nil {
					return result(fmt.Sprintf("prefix of %d of %d octets with its Length fixed decodes", k, len(b)))
				} else if s := decodeError(err); s != "" {
					return result(s)
				}
				if _, err := wire.DecodePayloads(first, chain[:k-wire.HeaderLen]); err == nil {
					return result(fmt.Sprintf("chain prefix of %d of %d octets decodes", k-wire.HeaderLen, len(chain)))
				} else if s := decodeError(err); s != "" {
					return result(s)
				}
			}
		}
		return result("")
	}, genMessage(), gen.SliceOfN(64, gen.IntRange(0, 1<<30))))
	ps.TestingRun(t)
}

// genNoise: random octets; or a plausible IKE header (major version 2,
// Length right, a random first payload type) before random octets, so that
// the chain decoder is reached; or such a header before a chain of payloads
// of random types whose generic headers are right but whose bodies are
// random, so that every body decoder is reached.
func genNoise() gopter.Gen {
	raw := genBytes(0, 200)
	withHeader := gopter.CombineGens(genHeader(), gen.UInt8(), genBytes(0, 200)).Map(func(v []any) []byte {
		tail := v[2].([]byte)
		return append(v[0].(wire.Header).Append(nil, wire.PayloadType(v[1].(uint8)), wire.HeaderLen+len(tail)), tail...)
	})
	anyOrParsed := gen.OneGenOf(gen.UInt8(), gen.UInt8Range(uint8(wire.PayloadSA), uint8(wire.PayloadSKF)))
	framed := gopter.CombineGens(anyOrParsed, genBytes(0, 40)).Map(func(v []any) []byte {
		return append([]byte{v[0].(uint8), 0, 0, 0}, v[1].([]byte)...) // type of this payload, body
	})
	chain := gopter.CombineGens(genHeader(), sliceOf[[]byte](1, 5, framed)).Map(func(v []any) []byte {
		ps := v[1].([][]byte)
		var c []byte
		for i, p := range ps {
			next := byte(0)
			if i+1 < len(ps) {
				next = ps[i+1][0]
			}
			c = append(c, next, 0)
			c = binary.BigEndian.AppendUint16(c, uint16(len(p)))
			c = append(c, p[4:]...)
		}
		return append(v[0].(wire.Header).Append(nil, wire.PayloadType(ps[0][0]), wire.HeaderLen+len(c)), c...)
	})
	return gen.OneGenOf(raw, withHeader, chain)
}

// checkNoise runs every decoder on b: none may panic, every error is a
// *wire.Error matching a sentinel, and whatever decodes is canonical.
func checkNoise(b []byte) (problem string) {
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("panic: %v", r)
		}
	}()
	if _, _, _, err := wire.DecodeHeader(b); decodeError(err) != "" {
		return "DecodeHeader: " + decodeError(err)
	}
	if _, err := wire.FindEncrypted(b); decodeError(err) != "" {
		return "FindEncrypted: " + decodeError(err)
	}
	m, err := wire.Decode(b)
	if err != nil {
		if s := decodeError(err); s != "" {
			return "Decode: " + s
		}
	} else if s := canonical(b, m); s != "" {
		return "Decode: " + s
	}
	for t := 0; t < 256; t++ {
		first := wire.PayloadType(t)
		ps, err := wire.DecodePayloads(first, b)
		if s := decodeError(err); s != "" {
			return fmt.Sprintf("DecodePayloads(%v): %s", first, s)
		}
		if err == nil {
			back := &wire.Message{Header: wire.Header{Major: 2}, Payloads: ps}
			// Prepending a header makes the chain a message to check.
			h := back.Header.Append(nil, first, wire.HeaderLen+len(b))
			if s := canonical(append(h, b...), back); s != "" {
				return fmt.Sprintf("DecodePayloads(%v): %s", first, s)
			}
		}
		p, err := wire.DecodePayloadBody(first, b)
		if s := decodeError(err); s != "" {
			return fmt.Sprintf("DecodePayloadBody(%v): %s", first, s)
		}
		if err == nil && p.PayloadType() != first {
			return fmt.Sprintf("DecodePayloadBody(%v) gave a %v payload", first, p.PayloadType())
		}
		if err == nil {
			if err := fuzz.CanonicalBody(b, p); err != nil {
				return fmt.Sprintf("DecodePayloadBody(%v): %v", first, err)
			}
		}
	}
	return ""
}

// TestPropertyNoise: random octets never panic Decode, DecodeHeader,
// FindEncrypted, DecodePayloads or DecodePayloadBody (for all 256 payload
// types, which covers every parsed type and the unknown ones); every error
// is a *wire.Error matching ErrMalformed or ErrMajorVersion; and what
// decodes re-encodes to its input but for reserved bits.
func TestPropertyNoise(t *testing.T) {
	ps := proptest.Properties(t)
	ps.Property("random octets", prop.ForAll(func(b []byte) *gopter.PropResult {
		return result(checkNoise(b))
	}, genNoise()))
	ps.TestingRun(t)
}

// TestPropertyMutation: changing one octet of a valid message either makes
// it fail with a *wire.Error, or it decodes to a message that re-encodes to
// the mutated octets with every RESERVED field of the decoded structure
// cleared (fuzz.ReservedMask). When the mutated octet was reserved, that is the
// original message; when it changed the structure (a Next Payload, a type),
// the new structure's reserved octets are cleared, wherever they are.
func TestPropertyMutation(t *testing.T) {
	ps := proptest.Properties(t)
	ps.Property("one octet changed", prop.ForAll(func(m *wire.Message, at int, x uint8) *gopter.PropResult {
		b := encode(m)
		i := at % len(b)
		b[i] ^= x
		back, err := wire.Decode(b)
		if err != nil {
			return result(decodeError(err))
		}
		if s := canonical(b, back); s != "" {
			return result(fmt.Sprintf("octet %d ^= %#02x: %s", i, x, s))
		}
		if mask, _ := fuzz.ReservedMask(m); mask[i] != 0 && x&^mask[i] == 0 && !reflect.DeepEqual(back, m) {
			return result(fmt.Sprintf("octet %d: only reserved bits changed, yet the message decodes differently", i))
		}
		return result(checkNoise(b))
	}, genMessage(), gen.IntRange(0, 1<<30), gen.UInt8Range(1, 255)))
	ps.TestingRun(t)
}

// TestPropertyFindEncrypted: in a generated message FindEncrypted finds the
// SK or SKF payload's generic header exactly where the encoder put it, and
// reports ErrMalformed when there is none.
func TestPropertyFindEncrypted(t *testing.T) {
	ps := proptest.Properties(t)
	ps.Property("FindEncrypted", prop.ForAll(func(m *wire.Message) *gopter.PropResult {
		b := encode(m)
		off, err := wire.FindEncrypted(b)
		var last wire.Payload
		if n := len(m.Payloads); n > 0 {
			last = m.Payloads[n-1]
		}
		switch last.(type) {
		case *wire.Encrypted, *wire.EncryptedFragment:
			body, _ := wire.AppendPayloadBody(nil, last)
			if want := len(b) - wire.GenericHeaderLen - len(body); err != nil || off != want {
				return result(fmt.Sprintf("FindEncrypted = %d, %v; want %d", off, err, want))
			}
			if binary.BigEndian.Uint16(b[off+2:]) != uint16(len(b)-off) {
				return result("the payload at the offset is not the last one")
			}
		default:
			if !errors.Is(err, wire.ErrMalformed) {
				return result(fmt.Sprintf("FindEncrypted = %d, %v without SK; want ErrMalformed", off, err))
			}
		}
		return result("")
	}, genMessage()))
	ps.TestingRun(t)
}
