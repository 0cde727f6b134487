package wire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/ikev2ref/ikev2ref/fuzz"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// capturesDir is testdata/captures, relative to this package.
const capturesDir = "../../testdata/captures"

// captureMessages reads every IKE message of the captures, failing the test
// on any read error.
func captureMessages(t testing.TB) []fuzz.CapturedMessage {
	t.Helper()
	ms, err := fuzz.CaptureMessages(capturesDir)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// idNormal is tcpdump's ikev2-id-normal.pcap: malformed on purpose.
const idNormal = "tcpdump/ikev2-id-normal.pcap#1"

// goldenSummaries pins wire.Message.String() of every IKE message in
// testdata/captures except idNormal. The SK contents are not visible here
// (no keys for ikev2four; impl/crypto opens the others).
var goldenSummaries = map[string]string{
	"tcpdump/ikev2four.pcap#1":  "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]",
	"tcpdump/ikev2four.pcap#2":  "IKE_SA_INIT response 0 [ N(COOKIE) ]",
	"tcpdump/ikev2four.pcap#3":  "IKE_SA_INIT request 0 [ N(COOKIE) SA KE No N(NATD_S_IP) N(NATD_D_IP) ]",
	"tcpdump/ikev2four.pcap#4":  "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]",
	"tcpdump/ikev2four.pcap#5":  "IKE_AUTH request 1 [ SK ]",
	"tcpdump/ikev2four.pcap#6":  "IKE_AUTH response 1 [ SK ]",
	"tcpdump/ikev2four.pcap#7":  "CREATE_CHILD_SA request 2 [ SK ]",
	"tcpdump/ikev2four.pcap#8":  "CREATE_CHILD_SA request 3 [ SK ]",
	"tcpdump/ikev2four.pcap#9":  "CREATE_CHILD_SA response 2 [ SK ]",
	"tcpdump/ikev2four.pcap#10": "CREATE_CHILD_SA response 3 [ SK ]",
	"tcpdump/ikev2four.pcap#11": "CREATE_CHILD_SA request 4 [ SK ]",
	"tcpdump/ikev2four.pcap#12": "CREATE_CHILD_SA request 5 [ SK ]",
	"tcpdump/ikev2four.pcap#13": "CREATE_CHILD_SA response 4 [ SK ]",
	"tcpdump/ikev2four.pcap#14": "CREATE_CHILD_SA response 5 [ SK ]",
	"tcpdump/ikev2four.pcap#15": "CREATE_CHILD_SA request 6 [ SK ]",
	"tcpdump/ikev2four.pcap#16": "CREATE_CHILD_SA request 7 [ SK ]",
	"tcpdump/ikev2four.pcap#17": "CREATE_CHILD_SA response 6 [ SK ]",
	"tcpdump/ikev2four.pcap#18": "CREATE_CHILD_SA response 7 [ SK ]",
	"tcpdump/ikev2four.pcap#19": "CREATE_CHILD_SA request 8 [ SK ]",
	"tcpdump/ikev2four.pcap#20": "CREATE_CHILD_SA response 8 [ SK ]",
	"tcpdump/ikev2four.pcap#21": "INFORMATIONAL request 0 [ SK ]",
	"tcpdump/ikev2pI2.pcap#1":   "IKE_SA_INIT request 0 [ SA KE No V ]",
	"tcpdump/ikev2pI2.pcap#2":   "IKE_AUTH request 0 [ SK ]",

	"wireshark/ikev2-decrypt-aes256cbc.pcapng#1":   "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(HASH_ALG) ]",
	"wireshark/ikev2-decrypt-aes256cbc.pcapng#2":   "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(MULTIPLE_AUTH_SUPPORTED) ]",
	"wireshark/ikev2-decrypt-aes256cbc.pcapng#3":   "IKE_AUTH request 1 [ SK ]",
	"wireshark/ikev2-decrypt-aes256cbc.pcapng#4":   "IKE_AUTH response 1 [ SK ]",
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#1": "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]",
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#2": "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(MULTIPLE_AUTH_SUPPORTED) ]",
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#3": "IKE_AUTH request 1 [ SK ]",
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#4": "IKE_AUTH response 1 [ SK ]",
}

// TestCapturesGolden: every IKE message of every capture decodes, re-encodes
// byte for byte (nothing in them is a non-zero reserved field), and has the
// pinned summary; the table and the captures list the same messages.
func TestCapturesGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range captureMessages(t) {
		name := c.Name()
		seen[name] = true
		if name == idNormal {
			continue // TestIDNormalRejected
		}
		t.Run(name, func(t *testing.T) {
			want, ok := goldenSummaries[name]
			if !ok {
				t.Fatalf("no pinned summary for this message; add one to goldenSummaries")
			}
			m, err := wire.Decode(c.Bytes)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := m.String(); got != want {
				t.Errorf("summary\n got %s\nwant %s", got, want)
			}
			enc, err := m.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(enc, c.Bytes) {
				t.Errorf("re-encoding differs\n got %x\nwant %x", enc, c.Bytes)
			}
			// A decoded message does not alias its input (doc.go).
			in := bytes.Clone(c.Bytes)
			m2, _ := wire.Decode(in)
			clear(in)
			if enc2, _ := m2.Encode(); !bytes.Equal(enc2, c.Bytes) {
				t.Errorf("the decoded message changed when its input was overwritten")
			}
		})
	}
	for name := range goldenSummaries {
		if !seen[name] {
			t.Errorf("%s: pinned but not found in the captures", name)
		}
	}
	if !seen[idNormal] {
		t.Errorf("%s: not found in the captures", idNormal)
	}
}

// TestIDNormalRejected: ikev2-id-normal.pcap has an IDi payload whose Payload
// Length is 9 while the IKE header's Length leaves 39 more octets after it, and
// the IDi's Next Payload is zero. RFC 7296 section 3.2: the chain ends at a
// Next Payload of zero; what follows cannot be parsed as a payload, so the
// message is malformed at offset 28+9 = 37.
func TestIDNormalRejected(t *testing.T) {
	var msg []byte
	for _, c := range captureMessages(t) {
		if c.Name() == idNormal {
			msg = c.Bytes
		}
	}
	if msg == nil {
		t.Fatalf("%s not found", idNormal)
	}
	if len(msg) != 76 {
		t.Fatalf("%d octets, want 76", len(msg))
	}
	m, err := wire.Decode(msg)
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("Decode: error %v (%T), want *wire.Error", err, err)
	}
	if !errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrMajorVersion) {
		t.Errorf("error %v: want ErrMalformed only", err)
	}
	if we.Offset != 37 || we.Payload != wire.PayloadNone {
		t.Errorf("error at offset %d in %v, want 37 in the IKE header's chain (PayloadNone)", we.Offset, we.Payload)
	}
	// The header is still there for the engine to log.
	if m == nil || m.Exchange != wire.IKE_AUTH || m.MessageID != 1 || !m.Flags.Initiator() {
		t.Errorf("header %+v, want IKE_AUTH request 1 with the I flag", m)
	}
	// The IDi payload itself is well formed: ID_IPV4_ADDR with one octet of data.
	p, err := wire.DecodePayloads(wire.PayloadIDi, msg[28:37])
	if err != nil {
		t.Fatalf("DecodePayloads of the IDi alone: %v", err)
	}
	if want := []wire.Payload{&wire.ID{IDType: wire.ID_IPV4_ADDR, Data: []byte{0xde}}}; !reflect.DeepEqual(p, want) {
		t.Errorf("IDi %+v, want %+v", p[0], want[0])
	}
	if _, err := wire.FindEncrypted(msg); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("FindEncrypted: %v, want ErrMalformed", err)
	}
}

// Oracles: field values as tcpdump's own decoder printed them in
// testdata/captures/tcpdump/ikev2fourv.out and ikev2pI2.out. tcpdump prints
// "cookie SPIi->SPIr", "sa: len=" as the SA payload length less its generic
// header, transforms as "type=encr id=aes (type=keylen value=0080)", "v2ke:
// len=" as the key exchange data length, "nonce: len=" as the nonce data
// length, "v2e: len=" as the SK payload length less its generic header, and
// "[C]" for the critical bit.

type notifyOracle struct {
	typ  wire.NotifyType
	data string // hex; "" for none
}

type oracle struct {
	spii, spir uint64
	msgID      uint32
	saLen      int        // "sa: len="
	saCritical bool       // "sa[C]"
	proposals  [][]string // each "(p: #n protoid=isakmp ...)": its transforms as Transform.String()
	keGroup    wire.KEID  // "v2ke: group="
	keLen      int        // "v2ke: len="
	keData     string     // hex prefix of the printed key exchange data
	nonce      string     // hex, "nonce=(...)"
	nonceCrit  bool       // "nonce[C]"
	notifies   []notifyOracle
	vid        string // hex, "v2vid: ... vid=... <hex>"
	skLen      int    // "v2e: len="
	skCritical bool   // "v2e[C]"
	skPrefix   string // hex prefix of the printed SK body
}

// ikev2four's initiator offer (frames 1 and 3), in tcpdump's order:
// encr aes keylen 0x80/0x100/0xc0, 3des; prf hmac-sha, hmac-md5, aes128_xcbc;
// integ hmac-sha, hmac-md5, aes-xcbc; dh modp1024, modp2048.
var fourOffer = [][]string{{
	"ENCR_AES_CBC/128", "ENCR_AES_CBC/256", "ENCR_AES_CBC/192", "ENCR_3DES",
	"PRF_HMAC_SHA1", "PRF_HMAC_MD5", "PRF_AES128_XCBC",
	"AUTH_HMAC_SHA1_96", "AUTH_HMAC_MD5_96", "AUTH_AES_XCBC_96",
	"MODP_1024", "MODP_2048",
}}

const (
	fourKEi = "b5445bd60cece6fdcd3c96a52cbb7bb426a8c7a0f56a9c38d1b1c4f0c3a6e8e7dba5c7339b6ed02e757119dfb5b6933ce93b604987fbbc77221b2a0c7cdd32787eff10572bef546c361462f9da34847969a42e51c755996beac42e6fba961a75de0fc1b23f099380896ee89202122dedac1bd54aa8494ac3d740be4d2a4cf39d"
	fourNi  = "6128ebd023a864e94a7ffb74bf7cce2fd4367322b8b073f942282bd52ebfe3e6"
	fourSPI = 0xa88875a8198992a6
)

// unprinted marks Notify data that tcpdump does not print (NAT detection hashes).
const unprinted = "?"

var fourNATD = []notifyOracle{{typ: wire.NAT_DETECTION_SOURCE_IP, data: unprinted}, {typ: wire.NAT_DETECTION_DESTINATION_IP, data: unprinted}}

var oracles = map[string]oracle{
	"tcpdump/ikev2four.pcap#1": {spii: fourSPI, msgID: 0, saLen: 116, proposals: fourOffer,
		keGroup: wire.MODP_1024, keLen: 128, keData: fourKEi, nonce: fourNi, notifies: fourNATD},
	"tcpdump/ikev2four.pcap#2": {spii: fourSPI, notifies: []notifyOracle{
		{typ: wire.COOKIE, data: "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6"}}},
	// Frame 3 echoes frame 2's cookie (RFC 7296 section 2.6); tcpdump prints
	// its first ten octets, "00000001c2221e50c16e...", then elides.
	"tcpdump/ikev2four.pcap#3": {spii: fourSPI, saLen: 116, proposals: fourOffer,
		keGroup: wire.MODP_1024, keLen: 128, keData: fourKEi, nonce: fourNi,
		notifies: append([]notifyOracle{{typ: wire.COOKIE, data: "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6"}}, fourNATD...)},
	"tcpdump/ikev2four.pcap#4": {spii: fourSPI, spir: 0x71be8358efae7663, saLen: 44,
		proposals: [][]string{{"ENCR_AES_CBC/128", "PRF_HMAC_SHA1", "AUTH_HMAC_SHA1_96", "MODP_1024"}},
		keGroup:   wire.MODP_1024, keLen: 128,
		keData: "5a56714d3abf64e3a3f401ead9f5323ff0b77faa5f1e99199b13ac821f0a0c4f854786ca09b7a76aa508bcee11f16369a16d5fa041ca2d9a8dfa8228c61f2482d2175c5c1a9491fc221bec7a1fa69f656d4c98ba49ae9d721dedf4a02d7ecdfc201dc785a13ed74e4f3982762a2720ffdfc365ee4e37279af496cd86f881fd15",
		nonce:  "b31c379f272ce2984bd17ca38c8729e1edbc081a14fb0f67cff81721dfeec1f9", notifies: fourNATD},
	"tcpdump/ikev2four.pcap#5":  {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 1, skLen: 204, skPrefix: "f606135ad373e70836fda91b63ca4c60"},
	"tcpdump/ikev2four.pcap#6":  {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 1, skLen: 124, skPrefix: "6afe95bc5147b0ad7e4ccb9141c160a4"},
	"tcpdump/ikev2four.pcap#7":  {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 2, skLen: 220},
	"tcpdump/ikev2four.pcap#8":  {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 3, skLen: 188},
	"tcpdump/ikev2four.pcap#9":  {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 2, skLen: 44, skPrefix: "5bd2d26cb43b6cec30dec13fa3873597"},
	"tcpdump/ikev2four.pcap#10": {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 3, skLen: 44},
	"tcpdump/ikev2four.pcap#11": {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 4, skLen: 252},
	"tcpdump/ikev2four.pcap#19": {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 8, skLen: 332},
	"tcpdump/ikev2four.pcap#20": {spii: fourSPI, spir: 0x71be8358efae7663, msgID: 8, skLen: 284},
	"tcpdump/ikev2four.pcap#21": {spii: 0x1d9be9451d4f97a8, spir: 0x64a2a4b5d0e17b6a, msgID: 0, skLen: 60,
		skPrefix: "691b48829b6c5d6dd93fa8e33c38dd4c00f5434dc22b4251c0876f0bdb5dbba3dd06283907559a272f07ec7709b9d596a24cd8fe69b82a1f65dbf6f2"},
	"tcpdump/ikev2pI2.pcap#1": {spii: 0x0001020304050607, saLen: 240, saCritical: true,
		// Six proposals "transform=4 len=40"; no Key Length attribute (tcpdump
		// prints none), though RFC 7296 section 3.3.5 requires one for AES-CBC.
		proposals: [][]string{
			{"ENCR_AES_CBC", "AUTH_HMAC_SHA1_96", "PRF_HMAC_SHA1", "MODP_1536"},
			{"ENCR_AES_CBC", "AUTH_HMAC_SHA1_96", "PRF_HMAC_MD5", "MODP_1536"},
			{"ENCR_3DES", "AUTH_HMAC_SHA1_96", "PRF_HMAC_SHA1", "MODP_1536"},
			{"ENCR_3DES", "AUTH_HMAC_SHA1_96", "PRF_HMAC_MD5", "MODP_1536"},
			{"ENCR_3DES", "AUTH_HMAC_SHA1_96", "PRF_HMAC_SHA1", "MODP_1024"},
			{"ENCR_3DES", "AUTH_HMAC_SHA1_96", "PRF_HMAC_MD5", "MODP_1024"},
		},
		keGroup: wire.MODP_1536, keLen: 192, keData: "ffbc6a92a6b9559b05fa96a7a43507b4c1e1c0861a5871d9ba73a163113788c0",
		nonce: "b5ce8419095c6e2b6b62d3055305b3c4", nonceCrit: true, vid: "4f45726c415c6e51756b5352"},
	"tcpdump/ikev2pI2.pcap#2": {spii: 0x0001020304050607, spir: 0xc02e7a3031a03188, skLen: 252, skCritical: true,
		skPrefix: "000102030405060708090a0b0c0d0e0f4bcf2da20444caca5fb591c1ab4b9b4d"},
	// No tcpdump text for the Wireshark captures: SPIs from SOURCES.md.
	"wireshark/ikev2-decrypt-aes256cbc.pcapng#1":   {spii: 0x191ccd371a7a1f7b},
	"wireshark/ikev2-decrypt-aes256cbc.pcapng#3":   {spii: 0x191ccd371a7a1f7b, spir: 0xbc123d15e4af593f, msgID: 1},
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#1": {spii: 0xcd7ae76304b277e2},
	"wireshark/ikev2-decrypt-aes256ccm16.pcapng#4": {spii: 0xcd7ae76304b277e2, spir: 0x74f6080ed799d463, msgID: 1},
}

// TestCapturesOracle checks the decoded fields against the values tcpdump
// printed for the same frames.
func TestCapturesOracle(t *testing.T) {
	byName := map[string][]byte{}
	for _, c := range captureMessages(t) {
		byName[c.Name()] = c.Bytes
	}
	for name, o := range oracles {
		t.Run(name, func(t *testing.T) {
			raw, ok := byName[name]
			if !ok {
				t.Fatal("not in the captures")
			}
			m, err := wire.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if m.SPIi != o.spii || m.SPIr != o.spir || m.MessageID != o.msgID {
				t.Errorf("SPIs %016x->%016x msgid %d, want %016x->%016x msgid %d", m.SPIi, m.SPIr, m.MessageID, o.spii, o.spir, o.msgID)
			}
			if m.Major != 2 || m.Minor != 0 { // tcpdump: "isakmp 2.0"
				t.Errorf("version %d.%d, want 2.0", m.Major, m.Minor)
			}
			checkOracle(t, m, raw, o)
		})
	}
}

func checkOracle(t *testing.T, m *wire.Message, raw []byte, o oracle) {
	t.Helper()
	if o.proposals != nil {
		sa, ok := wire.Find[*wire.SA](m.Payloads)
		if !ok {
			t.Fatal("no SA payload")
		}
		if sa.Critical != o.saCritical {
			t.Errorf("SA critical %v, want %v", sa.Critical, o.saCritical)
		}
		body, err := wire.AppendPayloadBody(nil, sa)
		if err != nil || len(body) != o.saLen {
			t.Errorf("SA body of %d octets (%v), tcpdump says len=%d", len(body), err, o.saLen)
		}
		var got [][]string
		for i, p := range sa.Proposals {
			if p.Number != uint8(i+1) || p.Protocol != wire.ProtoIKE || p.SPI != nil {
				t.Errorf("proposal %d: #%d %v SPI %x, want #%d isakmp without SPI", i, p.Number, p.Protocol, p.SPI, i+1)
			}
			var ts []string
			for _, tr := range p.Transforms {
				ts = append(ts, tr.String())
			}
			got = append(got, ts)
		}
		if !reflect.DeepEqual(got, o.proposals) {
			t.Errorf("proposals\n got %v\nwant %v", got, o.proposals)
		}
	}
	if o.keLen != 0 {
		ke, ok := wire.Find[*wire.KE](m.Payloads)
		if !ok {
			t.Fatal("no KE payload")
		}
		if ke.Group != o.keGroup || len(ke.Data) != o.keLen || !hasHexPrefix(ke.Data, o.keData) {
			t.Errorf("KE %v with %d octets %x..., want %v with %d octets %s...", ke.Group, len(ke.Data), ke.Data[:min(8, len(ke.Data))], o.keGroup, o.keLen, o.keData[:16])
		}
	}
	if o.nonce != "" {
		n, ok := wire.Find[*wire.Nonce](m.Payloads)
		if !ok {
			t.Fatal("no Nonce payload")
		}
		if hex.EncodeToString(n.Data) != o.nonce || n.Critical != o.nonceCrit {
			t.Errorf("nonce %x critical %v, want %s critical %v", n.Data, n.Critical, o.nonce, o.nonceCrit)
		}
	}
	var ns []*wire.Notify
	for _, p := range m.Payloads {
		if o.notifies == nil {
			break // the summary pins that there is none
		}
		if n, ok := p.(*wire.Notify); ok {
			ns = append(ns, n)
		}
	}
	if len(ns) != len(o.notifies) {
		t.Errorf("%d Notify payloads, want %d", len(ns), len(o.notifies))
	} else {
		for i, n := range ns {
			w := o.notifies[i]
			// tcpdump: "n: prot_id=#0 type=16388(nat_detection_source_ip)" — no SPI.
			if n.Type != w.typ || n.Protocol != wire.ProtoNone || n.SPI != nil {
				t.Errorf("notify %d: %v proto %v SPI %x, want %v proto #0 without SPI", i, n.Type, n.Protocol, n.SPI, w.typ)
			}
			if w.data != unprinted && hex.EncodeToString(n.Data) != w.data {
				t.Errorf("notify %d data %x, want %s", i, n.Data, w.data)
			}
		}
	}
	if o.vid != "" {
		v, ok := wire.Find[*wire.VendorID](m.Payloads)
		if !ok || hex.EncodeToString(v.Data) != o.vid {
			t.Errorf("vendor ID %v, want %s", v, o.vid)
		}
	}
	if o.skLen != 0 {
		sk, ok := wire.Find[*wire.Encrypted](m.Payloads)
		if !ok {
			t.Fatal("no SK payload")
		}
		if len(sk.Body) != o.skLen || sk.Critical != o.skCritical || !hasHexPrefix(sk.Body, o.skPrefix) {
			t.Errorf("SK body of %d octets critical %v, want %d critical %v starting %s", len(sk.Body), sk.Critical, o.skLen, o.skCritical, o.skPrefix)
		}
		off, err := wire.FindEncrypted(raw)
		if err != nil || off != len(raw)-4-o.skLen {
			t.Errorf("FindEncrypted = %d, %v, want %d", off, err, len(raw)-4-o.skLen)
		}
	}
}

func hasHexPrefix(b []byte, prefix string) bool {
	return len(prefix) <= 2*len(b) && hex.EncodeToString(b)[:len(prefix)] == prefix
}
