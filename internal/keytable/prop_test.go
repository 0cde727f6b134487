package keytable

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/internal/proptest"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// TestWriteParseProperty: for all rows the writer accepts (every algorithm
// name, random SPIs, addresses and keys of the right sizes), parsing what
// it wrote gives the rows back.
func TestWriteParseProperty(t *testing.T) {
	params := proptest.Parameters(t)
	params.MinSuccessfulTests = 200
	props := gopter.NewProperties(params)
	key := func(n int, seed uint64) []byte {
		if n == 0 {
			return nil
		}
		b := make([]byte, n)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = byte(seed >> 56)
		}
		return b
	}
	props.Property("IKEv2 table", prop.ForAll(
		func(spii, spir, seed uint64, e, in int) bool {
			en, ig := ikeEncrNames[e%len(ikeEncrNames)], ikeIntegNames[in%len(ikeIntegNames)]
			if IsAEAD(en.id) {
				ig = ikeIntegNames[7] // "NONE [RFC4306]"
			}
			n := en.keyBits/8 + saltLen(en.id)
			if n == 0 && en.keyBits == 0 && fixedKeyLen(en.id) > 0 {
				n = fixedKeyLen(en.id)
			}
			a := 0
			if ig.integ.ID != 0 {
				a = 20
			}
			tab := &IKETable{Rows: []IKESA{{SPIi: spii, SPIr: spir, Encr: en.id, EncrKeyBits: en.keyBits,
				SKei: key(n, seed), SKer: key(n, seed+1), Integ: ig.integ, SKai: key(a, seed+2), SKar: key(a, seed+3)}}}
			var buf bytes.Buffer
			if _, err := tab.WriteTo(&buf); err != nil {
				t.Log(err)
				return false
			}
			back, err := ParseIKE(&buf, "prop")
			if err != nil {
				t.Log(err)
				return false
			}
			back.Rows[0].Line = 0
			return reflect.DeepEqual(tab, back)
		},
		gen.UInt64(), gen.UInt64(), gen.UInt64(), gen.IntRange(0, 1000), gen.IntRange(0, 1000),
	))
	props.Property("esp_sa table", prop.ForAll(
		func(spi uint32, seed uint64, e, in int, v6 bool, src, dst [16]byte, srcBits int) bool {
			en := espEncrNames[e%len(espEncrNames)]
			if !en.write {
				return true
			}
			ig := espAuthNames[in%len(espAuthNames)]
			if IsAEAD(en.id) {
				ig = espAuthNames[0] // "NULL"
			}
			n := 16 + saltLen(en.id)
			if f := fixedKeyLen(en.id); f >= 0 {
				n = f + saltLen(en.id)
			}
			row := ESPSA{IPv6: v6, SPI: spi, Encr: en.id, EncrKey: key(n, seed), Integ: ig.integ, IntegKey: key(in%40, seed+1)}
			if v6 {
				row.Src = netip.PrefixFrom(netip.AddrFrom16(src), 128)
				row.Dst = netip.PrefixFrom(netip.AddrFrom16(dst), 128)
			} else {
				row.Src = netip.PrefixFrom(netip.AddrFrom4([4]byte(src[:4])), srcBits%5*8).Masked()
				row.Dst = netip.PrefixFrom(netip.AddrFrom4([4]byte(dst[:4])), 32)
			}
			if !row.Src.IsValid() || row.Src.Bits() == 0 {
				row.Src = netip.Prefix{} // "*"
			}
			if row.IPv6 && (row.Src.Addr().Is4In6() || row.Dst.Addr().Is4In6()) {
				return true // written as IPv4-mapped text; not a case Wireshark has
			}
			if len(row.IntegKey) == 0 {
				row.IntegKey = nil
			}
			tab := &ESPTable{Rows: []ESPSA{row}}
			var buf bytes.Buffer
			if _, err := tab.WriteTo(&buf); err != nil {
				t.Log(err)
				return false
			}
			back, err := ParseESP(&buf, "prop")
			if err != nil {
				t.Log(err, buf.String())
				return false
			}
			back.Rows[0].Line = 0
			if !reflect.DeepEqual(tab, back) {
				t.Logf("wrote %+v\nread  %+v\n%s", tab.Rows[0], back.Rows[0], buf.String())
				return false
			}
			return true
		},
		gen.UInt32(), gen.UInt64(), gen.IntRange(0, 1000), gen.IntRange(0, 1000), gen.Bool(),
		gen.ArrayOfN(16, gen.UInt8()), gen.ArrayOfN(16, gen.UInt8()),
		gen.IntRange(0, 100),
	))
	props.TestingRun(t)
}
