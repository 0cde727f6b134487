package interop

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// A charon filelog with `ike = 4` and `chd = 4` hexdumps the IKE SA's keys
// ("Sk_ei secret => 32 bytes @ 0x...", then lines "   0: 08 61 5D ...")
// and each Child SA's ("encryption initiator key => ..."), then names the
// ESP SAs it installs ("adding inbound ESP SA" / "  SPI 0x3c7051a0, src
// 192.0.2.2 dst 192.0.2.1"). Debian's strongSwan has no save-keys plugin;
// this is how the harness gets Wireshark key tables for a charon-to-charon
// run, and a second opinion on the keys the refserver writes.
var (
	dumpHead = regexp.MustCompile(`\[(IKE|CHD)\] (.+?) => (\d+) bytes @`)
	dumpLine = regexp.MustCompile(`\[(?:IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} )+)`)
	espAdd   = regexp.MustCompile(`adding (inbound|outbound) ESP SA`)
	espSPI   = regexp.MustCompile(`SPI 0x([0-9a-f]+), src (\S+) dst (\S+)`)
)

type hexDump struct {
	facility, label string
	data            []byte
	line            int
}

func hexDumps(lines []string) []hexDump {
	var out []hexDump
	for i := 0; i < len(lines); {
		m := dumpHead.FindStringSubmatch(lines[i])
		if m == nil {
			i++
			continue
		}
		want, _ := strconv.Atoi(m[3])
		var data []byte
		j := i + 1
		for len(data) < want && j < len(lines) {
			h := dumpLine.FindStringSubmatch(lines[j])
			if h == nil {
				break
			}
			b, err := hex.DecodeString(strings.ReplaceAll(h[1], " ", ""))
			if err != nil {
				break
			}
			data = append(data, b...)
			j++
		}
		out = append(out, hexDump{m[1], m[2], data, i})
		i = j
	}
	return out
}

// encrFromName maps strongSwan's "AES_CBC-256" / "AES_GCM_16-128" to a
// transform ID and key length.
func encrFromName(s string) (wire.EncrID, int, error) {
	name, bits, _ := strings.Cut(s, "-")
	n := 0
	if bits != "" {
		var err error
		if n, err = strconv.Atoi(bits); err != nil {
			return 0, 0, fmt.Errorf("interop: encryption %q: %w", s, err)
		}
	}
	for id := 0; id < 256; id++ {
		if wire.EncrID(id).String() == "ENCR_"+name {
			return wire.EncrID(id), n, nil
		}
	}
	return 0, 0, fmt.Errorf("interop: unknown encryption %q", s)
}

// integFromName maps strongSwan's "HMAC_SHA2_256_128" (or "") to an ID.
func integFromName(s string) (wire.IntegID, error) {
	if s == "" {
		return wire.AUTH_NONE, nil
	}
	for id := 0; id < 256; id++ {
		if wire.IntegID(id).String() == "AUTH_"+s {
			return wire.IntegID(id), nil
		}
	}
	return 0, fmt.Errorf("interop: unknown integrity %q", s)
}

func parseSPI64(s string) (uint64, error) { return strconv.ParseUint(s, 16, 64) }

// CharonKeys builds the Wireshark key tables of one IKE SA and its Child SAs
// from the log of the charon that is one end of it (the first keys of the
// log: no IKE rekey). sa is that end's listing of the IKE SA (its SPIs,
// algorithms and role).
func CharonKeys(log string, sa IKESA) (*keytable.IKETable, *keytable.ESPTable, error) {
	lines := strings.Split(log, "\n")
	dumps := hexDumps(lines)
	sk := map[string][]byte{}
	type childKeys struct {
		start int
		keys  map[string][]byte
	}
	var children []*childKeys
	for _, d := range dumps {
		switch {
		case d.facility == "IKE" && strings.HasPrefix(d.label, "Sk_") && strings.HasSuffix(d.label, " secret"):
			k := strings.Fields(d.label)[0]
			if _, seen := sk[k]; !seen {
				sk[k] = d.data
			}
		case d.facility == "CHD" && strings.HasSuffix(d.label, " key"):
			if d.label == "encryption initiator key" || len(children) == 0 {
				children = append(children, &childKeys{start: d.line, keys: map[string][]byte{}})
			}
			children[len(children)-1].keys[d.label] = d.data
		}
	}
	encr, bits, err := encrFromName(sa.Encr)
	if err != nil {
		return nil, nil, err
	}
	integ, err := integFromName(sa.Integ)
	if err != nil {
		return nil, nil, err
	}
	spii, err1 := parseSPI64(sa.SPIi)
	spir, err2 := parseSPI64(sa.SPIr)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("interop: SPIs %q %q", sa.SPIi, sa.SPIr)
	}
	if len(sk["Sk_ei"]) == 0 || len(sk["Sk_er"]) == 0 {
		return nil, nil, fmt.Errorf("interop: no Sk_ei/Sk_er in the charon log (is ike = 4 set?)")
	}
	row := keytable.IKESA{SPIi: spii, SPIr: spir, Encr: encr, EncrKeyBits: bits,
		SKei: sk["Sk_ei"], SKer: sk["Sk_er"], Integ: keytable.Integrity{ID: integ}}
	if integ != wire.AUTH_NONE {
		row.SKai, row.SKar = sk["Sk_ai"], sk["Sk_ar"]
	}
	ike := &keytable.IKETable{Rows: []keytable.IKESA{row}}

	esp := &keytable.ESPTable{}
	for n, c := range children {
		if n >= len(sa.Children) {
			break
		}
		ch := sa.Children[n]
		cenc, _, err := encrFromName(ch.Encr)
		if err != nil {
			return nil, nil, err
		}
		cint, err := integFromName(ch.Integ)
		if err != nil {
			return nil, nil, err
		}
		end := len(lines)
		if n+1 < len(children) {
			end = children[n+1].start
		}
		for k := c.start; k < end-1; k++ {
			m := espAdd.FindStringSubmatch(lines[k])
			if m == nil {
				continue
			}
			s := espSPI.FindStringSubmatch(lines[k+1])
			if s == nil {
				continue
			}
			spi, err := strconv.ParseUint(s[1], 16, 32)
			src, err1 := netip.ParseAddr(s[2])
			dst, err2 := netip.ParseAddr(s[3])
			if err != nil || err1 != nil || err2 != nil {
				return nil, nil, fmt.Errorf("interop: charon log line %d: %q", k+2, lines[k+1])
			}
			// The initiator's keys protect initiator-to-responder traffic.
			who := "responder"
			if (m[1] == "outbound") == sa.Initiator {
				who = "initiator"
			}
			r := keytable.ESPSA{IPv6: dst.Is6(),
				Src: netip.PrefixFrom(src, src.BitLen()), Dst: netip.PrefixFrom(dst, dst.BitLen()),
				SPI: uint32(spi), Encr: cenc, EncrKey: c.keys["encryption "+who+" key"],
				Integ: keytable.Integrity{ID: cint}}
			if cint != wire.AUTH_NONE {
				r.IntegKey = c.keys["integrity "+who+" key"]
			}
			esp.Rows = append(esp.Rows, r)
		}
	}
	return ike, esp, nil
}
