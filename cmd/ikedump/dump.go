package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/capture"
	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// output is what ikedump prints for one datagram: the line, the -v detail
// and the JSON object are all made from it.
type output struct {
	File         string   `json:"file"`
	Frame        int      `json:"frame"`
	Time         string   `json:"time,omitempty"`
	Kind         string   `json:"kind"`
	Src          string   `json:"src,omitempty"`
	Dst          string   `json:"dst,omitempty"`
	NonESPMarker bool     `json:"non_esp_marker,omitempty"`
	Line         string   `json:"line"`
	Detail       []string `json:"detail,omitempty"`
	IKE          *ikeOut  `json:"ike,omitempty"`
	ESP          *espOut  `json:"esp,omitempty"`
	Error        *errOut  `json:"error,omitempty"`
}

type ikeOut struct {
	SPIi      string   `json:"spi_i"`
	SPIr      string   `json:"spi_r"`
	Exchange  string   `json:"exchange"`
	Response  bool     `json:"response"`
	Initiator bool     `json:"initiator"`
	MessageID uint32   `json:"message_id"`
	Length    int      `json:"length"`
	Payloads  []string `json:"payloads,omitempty"`
	SK        *skOut   `json:"sk,omitempty"`
}

type skOut struct {
	Status    string   `json:"status"`
	Cipher    string   `json:"cipher,omitempty"`
	Integrity string   `json:"integrity,omitempty"`
	ICV       string   `json:"icv,omitempty"`
	Inner     []string `json:"inner,omitempty"`
	KeyLine   int      `json:"key_line,omitempty"`
}

type espOut struct {
	SPI             string  `json:"spi"`
	Seq             uint32  `json:"seq"`
	Length          int     `json:"length"`
	UDPEncapsulated bool    `json:"udp_encapsulated,omitempty"`
	Status          string  `json:"status"`
	Cipher          string  `json:"cipher,omitempty"`
	Integrity       string  `json:"integrity,omitempty"`
	ICV             string  `json:"icv,omitempty"`
	NextHeader      *uint8  `json:"next_header,omitempty"`
	PadLength       *int    `json:"pad_length,omitempty"`
	Inner           string  `json:"inner,omitempty"`
	InnerESP        *espOut `json:"inner_esp,omitempty"`
	KeyLine         int     `json:"key_line,omitempty"`
	// ESN says the packet opened only with Extended Sequence Numbers: the
	// key table has no column for them, so ikedump tries them when the ICV
	// does not match without (RFC 4303 section 2.2.1).
	ESN bool `json:"esn,omitempty"`
}

type errOut struct {
	Stage   string `json:"stage"`
	Offset  *int   `json:"offset,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// text renders an error for a line: "at offset 37 (IKE header): reason".
func (e *errOut) text() string {
	if e.Offset == nil {
		return e.Reason
	}
	return fmt.Sprintf("at offset %d: %s", *e.Offset, e.Reason)
}

// fail records the first failure of a datagram; later ones only add to
// the detail.
func (o *output) fail(stage string, off int, reason string, err error) *errOut {
	e := &errOut{Stage: stage, Reason: reason, Message: err.Error()}
	if off >= 0 {
		e.Offset = &off
	}
	if o.Error == nil {
		o.Error = e
	}
	return e
}

// failErr records err, taking the offset and reason from a *wire.Error or
// an *esp.Error when it is one; base is added to their offsets.
func (o *output) failErr(stage string, base int, err error) *errOut {
	var we *wire.Error
	var ee *esp.Error
	switch {
	case errors.As(err, &we):
		where := "IKE header"
		if we.Payload != wire.PayloadNone {
			where = we.Payload.String() + " payload"
		}
		return o.fail(stage, base+we.Offset, where+": "+we.Reason, err)
	case errors.As(err, &ee):
		return o.fail(stage, base+ee.Offset, ee.Reason, err)
	}
	return o.fail(stage, -1, err.Error(), err)
}

func (o *output) detail(indent int, format string, args ...any) {
	o.Detail = append(o.Detail, strings.Repeat("  ", indent)+fmt.Sprintf(format, args...))
}

func writeJSON(w io.Writer, o *output) {
	b, err := json.Marshal(o)
	if err != nil { // cannot happen: the types marshal
		panic(err)
	}
	w.Write(append(b, '\n'))
}

// dumper holds the key tables and the keyed ESP SAs.
type dumper struct {
	verbose bool
	ikeKeys *keytable.IKETable
	ikeFile string
	espKeys *keytable.ESPTable
	espFile string
	espSAs  map[*keytable.ESPSA]*espSA
}

// espSA is one key table row, keyed, and what its packets taught: whether
// the SA uses Extended Sequence Numbers, and the high-order bits inferred
// so far.
type espSA struct {
	sa     *esp.SA
	err    error
	esnSA  *esp.SA // the same keys with ESN, made when first needed
	esn    bool    // a packet opened only with ESN
	hi, lo uint32  // the highest sequence number opened with ESN
}

func newDumper(verbose bool, ikeKeys, espKeys string) (*dumper, error) {
	d := &dumper{verbose: verbose, espSAs: map[*keytable.ESPSA]*espSA{}}
	var err error
	if ikeKeys != "" {
		if d.ikeKeys, err = keytable.ReadIKEFile(ikeKeys); err != nil {
			return nil, err
		}
		d.ikeFile = filepath.Base(ikeKeys)
	}
	if espKeys != "" {
		if d.espKeys, err = keytable.ReadESPFile(espKeys); err != nil {
			return nil, err
		}
		d.espFile = filepath.Base(espKeys)
	}
	return d, nil
}

// dumpFile prints one capture and returns its exit status.
func (d *dumper) dumpFile(path string, emit func(*output), stderr io.Writer) int {
	ds, err := capture.ReadFile(path)
	status := 0
	for _, dg := range ds {
		o := d.datagram(path, dg)
		if o == nil {
			continue
		}
		emit(o)
		if o.Error != nil {
			status = 1
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ikedump: %s: %v\n", path, err)
		return 2
	}
	return status
}

func addrString(a netip.AddrPort) string {
	if a.Port() == 0 {
		return a.Addr().String()
	}
	return a.String()
}

// datagram describes one classified datagram; nil for those it skips.
func (d *dumper) datagram(file string, dg capture.Datagram) *output {
	o := &output{File: file, Frame: dg.Frame, Src: addrString(dg.Src), Dst: addrString(dg.Dst), NonESPMarker: dg.NonESPMarker}
	if !dg.Time.IsZero() {
		o.Time = dg.Time.UTC().Format(time.RFC3339Nano)
	}
	head := fmt.Sprintf("#%d %s -> %s", dg.Frame, o.Src, o.Dst)
	switch dg.Kind {
	case capture.KindIKE:
		o.Kind = "ike"
		d.ikeMessage(o, head, dg)
	case capture.KindESP, capture.KindESPInUDP:
		o.Kind = "esp"
		o.ESP = &espOut{UDPEncapsulated: dg.Kind == capture.KindESPInUDP}
		tag := " ESP"
		if o.ESP.UDPEncapsulated {
			tag = " UDP-encap ESP"
		}
		o.Line = head + tag + d.espPacket(o, o.ESP, dg.Src.Addr(), dg.Dst.Addr(), dg.Payload, 0, 0)
	case capture.KindKeepalive:
		// RFC3948-2.3-5: the receiver SHOULD ignore it; a dump shows it.
		o.Kind = "keepalive"
		o.Line = head + " NAT-keepalive"
	case capture.KindBroken:
		o.Kind = "broken"
		o.Src, o.Dst = "", ""
		o.fail("capture", -1, dg.Err.Error(), dg.Err)
		o.Line = fmt.Sprintf("#%d BROKEN: %v", dg.Frame, dg.Err)
	default:
		return nil
	}
	return o
}

// ---- IKE ----

func (d *dumper) ikeMessage(o *output, head string, dg capture.Datagram) {
	msg := dg.Payload
	if dg.NonESPMarker {
		head += " [non-ESP marker]"
	}
	h, next, length, err := wire.DecodeHeader(msg)
	if err != nil {
		e := o.failErr("ike", 0, err)
		o.Line = head + " IKE MALFORMED " + e.text()
		return
	}
	o.IKE = &ikeOut{
		SPIi: fmt.Sprintf("%016x", h.SPIi), SPIr: fmt.Sprintf("%016x", h.SPIr),
		Exchange: h.Exchange.String(), Response: h.IsResponse(), Initiator: h.Flags.Initiator(),
		MessageID: h.MessageID, Length: len(msg),
	}
	head += fmt.Sprintf(" %016x_i %016x_r", h.SPIi, h.SPIr)
	if d.verbose {
		o.detail(0, "header: SPIi %016x, SPIr %016x, next payload %v (%d), version %d.%d, exchange %v (%d), flags 0x%02x (%v), message ID %d, length %d",
			h.SPIi, h.SPIr, next, next, h.Major, h.Minor, h.Exchange, h.Exchange, uint8(h.Flags), flagNames(h.Flags), h.MessageID, length)
	}
	m, err := wire.Decode(msg)
	if errors.Is(err, wire.ErrMajorVersion) {
		// RFC 7296 section 2.5: another version of the protocol (IKEv1 on
		// the same port, most likely), not a malformed IKEv2 message.
		o.Line = fmt.Sprintf("%s IKE version %d.%d, exchange %d: not IKEv2, not decoded", head, h.Major, h.Minor, uint8(h.Exchange))
		return
	}
	if err != nil {
		e := o.failErr("ike", 0, err)
		o.Line = fmt.Sprintf("%s %v %s %d MALFORMED %s", head, h.Exchange, reqResp(h), h.MessageID, e.text())
		return
	}
	for _, p := range m.Payloads {
		o.IKE.Payloads = append(o.IKE.Payloads, wire.PayloadName(p))
	}
	ctx := &renderCtx{h: h, src: dg.Src, dst: dg.Dst}
	shown, suffix := m.Payloads, ""
	for _, p := range m.Payloads {
		switch p.(type) {
		case *wire.Encrypted, *wire.EncryptedFragment:
			var inner []wire.Payload
			inner, suffix = d.openSK(o, msg, h, p, ctx)
			if inner != nil {
				shown = inner
			}
		default:
			if d.verbose {
				renderPayload(o, 0, p, ctx)
			}
		}
	}
	o.Line = fmt.Sprintf("%s %s%s", head, wire.Summary(h, shown), suffix)
}

func reqResp(h wire.Header) string {
	if h.IsResponse() {
		return "response"
	}
	return "request"
}

func flagNames(f wire.Flags) string {
	var n []string
	if f.Initiator() {
		n = append(n, "Initiator")
	}
	if f.Version() {
		n = append(n, "Version")
	}
	if f.Response() {
		n = append(n, "Response")
	}
	if x := f &^ (wire.FlagInitiator | wire.FlagVersion | wire.FlagResponse); x != 0 {
		n = append(n, fmt.Sprintf("reserved bits 0x%02x", uint8(x)))
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// shortName drops Wireshark's " [RFCxxxx]" reference from an algorithm name.
func shortName(s string) string {
	if i := strings.Index(s, " ["); i > 0 {
		return s[:i]
	}
	return s
}

// openSK opens the Encrypted (or Encrypted Fragment) payload p of msg with
// the key table, recording the outcome in o. It returns the inner payloads
// to show in the summary (nil to show the outer chain) and the suffix of
// the line.
func (d *dumper) openSK(o *output, msg []byte, h wire.Header, p wire.Payload, ctx *renderCtx) ([]wire.Payload, string) {
	sk := &skOut{}
	o.IKE.SK = sk
	var body []byte
	var innerType wire.PayloadType
	var frag *wire.EncryptedFragment
	switch q := p.(type) {
	case *wire.Encrypted:
		body, innerType = q.Body, q.Inner
	case *wire.EncryptedFragment:
		body, innerType, frag = q.Body, q.Inner, q
	}
	if d.verbose {
		hdr := fmt.Sprintf("%v payload (critical: %s): first inner payload %v (%d), %d octets of IV, ciphertext and ICV", p.PayloadType(), yesNo(p.Header().Critical), innerType, innerType, len(body))
		if frag != nil {
			hdr += fmt.Sprintf(", fragment %d of %d", frag.Number, frag.Total)
		}
		o.detail(0, "%s", hdr)
	}
	row, ok := d.ikeKeys.Lookup(h.SPIi, h.SPIr)
	if !ok {
		sk.Status = "no_key"
		if d.verbose {
			o.detail(1, "not decrypted: no key table row for SPIi %016x SPIr %016x", h.SPIi, h.SPIr)
		}
		return nil, fmt.Sprintf(" (SK not decrypted: no key for SPIs %016x_i %016x_r)", h.SPIi, h.SPIr)
	}
	sk.KeyLine = row.Line
	encName, err := keytable.IKEEncrName(row.Encr, row.EncrKeyBits)
	if err != nil {
		encName = row.Encr.String()
	}
	name := shortName(encName)
	sk.Cipher = name
	if !keytable.IsAEAD(row.Encr) {
		intName, err := keytable.IKEIntegName(row.Integ)
		if err != nil {
			intName = row.Integ.String()
		}
		sk.Integrity = shortName(intName)
		name += "/" + sk.Integrity
	}
	// RFC 7296 section 2.14: the original initiator's messages are
	// protected with SK_ei and SK_ai, the original responder's with SK_er
	// and SK_ar, whichever side sends the request.
	keys, sender, encKey, integKey := "SK_ei/SK_ai", "initiator", row.SKei, row.SKai
	if !h.Flags.Initiator() {
		keys, sender, encKey, integKey = "SK_er/SK_ar", "responder", row.SKer, row.SKar
	}
	if keytable.IsAEAD(row.Encr) {
		keys = keys[:len("SK_ex")]
	}
	dir := fmt.Sprintf("%s (sent by the original %s)", keys, sender)
	if d.verbose {
		o.detail(1, "key: %s line %d (SPIi %016x SPIr %016x), %s", d.ikeFile, row.Line, row.SPIi, row.SPIr, dir)
	}
	failed := func(stage string, off int, reason string, err error) ([]wire.Payload, string) {
		sk.Status = "failed"
		e := o.fail(stage, off, reason, err)
		if d.verbose {
			o.detail(1, "not decrypted: %v", err)
		}
		if e.Offset == nil {
			return nil, fmt.Sprintf(" (SK: %s, not decrypted: %s)", name, e.Reason)
		}
		return nil, fmt.Sprintf(" (SK: %s, not decrypted %s)", name, e.text())
	}
	if row.Integ.Unchecked() {
		err := fmt.Errorf("ike: %v: key table rows whose ICV is not checked are not supported for IKE", row.Integ)
		return failed("sk", -1, err.Error(), err)
	}
	suite, err := crypto.NewSuite(row.Encr, row.EncrKeyBits, 0, row.Integ.ID, wire.KE_NONE) // SK only: no PRF
	if err != nil {
		return failed("sk", -1, err.Error(), err)
	}
	s, err := crypto.NewSK(suite, encKey, integKey)
	if err != nil {
		return failed("sk", -1, err.Error(), err)
	}
	skOff, err := wire.FindEncrypted(msg)
	if err != nil {
		e := o.failErr("sk", 0, err)
		sk.Status = "failed"
		return nil, fmt.Sprintf(" (SK: %s, not decrypted: MALFORMED %s)", name, e.text())
	}
	icvLen := suite.Encr.ICVLen
	if suite.Integ != nil {
		icvLen = suite.Integ.ICVLen
	}
	if d.verbose {
		if iv, ct, icv, err := wire.SplitBody(body, suite.Encr.IVLen, icvLen); err == nil {
			o.detail(1, "IV %d octets: %x", len(iv), iv)
			o.detail(1, "ciphertext %d octets, ICV %d octets: %x", len(ct), len(icv), icv)
		}
	}
	plain, err := s.Open(msg, skOff)
	status := ""
	switch icvErr := err; {
	case err == nil:
		sk.ICV, sk.Status, status = "correct", "decrypted", "ICV correct"
		if d.verbose {
			o.detail(1, "ICV correct")
		}
	case errors.Is(err, crypto.ErrIntegrity):
		sk.ICV = "incorrect"
		e := o.fail("sk_integrity", len(msg)-icvLen, "ICV INCORRECT", err)
		if suite.Encr.IsAEAD() {
			sk.Status = "failed"
			if d.verbose {
				o.detail(1, "ICV INCORRECT: %v; an AEAD cipher decrypts nothing that fails its check", err)
			}
			return nil, fmt.Sprintf(" (SK: %s, ICV INCORRECT at offset %d, not decrypted)", name, *e.Offset)
		}
		// The dump shows what the key decrypts, marked as unauthenticated:
		// the ikev2pI2 capture's ICV is wrong on purpose.
		if plain, err = s.DecryptUnverified(msg, skOff); err != nil {
			return failed("sk", skOff, err.Error(), err)
		}
		sk.Status = "unauthenticated"
		status = fmt.Sprintf("ICV INCORRECT at offset %d, contents unauthenticated", *e.Offset)
		if d.verbose {
			o.detail(1, "ICV INCORRECT (%v): decrypted anyway, contents unauthenticated", icvErr)
		}
	default:
		return failed("sk", skOff, err.Error(), err)
	}
	if d.verbose {
		o.detail(1, "decrypted: %d octets of inner payloads", len(plain))
	}
	suffix := fmt.Sprintf(" (SK: %s, %s)", name, status)
	if frag != nil && frag.Total != 1 {
		// RFC 7383 section 2.6: the inner payloads are parsed only after
		// reassembly, which ikedump does not do.
		if d.verbose {
			o.detail(1, "fragment %d of %d: %x", frag.Number, frag.Total, plain)
		}
		return nil, suffix
	}
	inner, err := wire.DecodePayloads(innerType, plain)
	if err != nil {
		e := o.failErr("sk_inner", 0, err)
		sk.Status = "failed"
		if d.verbose {
			o.detail(1, "inner payloads MALFORMED: %v", err)
		}
		return nil, fmt.Sprintf(" (SK: %s, %s, inner payloads MALFORMED %s)", name, status, plaintextOffset(e.text()))
	}
	for _, q := range inner {
		sk.Inner = append(sk.Inner, wire.PayloadName(q))
		if d.verbose {
			renderPayload(o, 1, q, ctx)
		}
	}
	if inner == nil {
		inner = []wire.Payload{} // an empty SK shows as "[ ]"
	}
	return inner, suffix
}

// plaintextOffset says that an inner payload's offset counts in the
// decrypted plaintext, not in the message.
func plaintextOffset(s string) string {
	return strings.Replace(s, "at offset", "at plaintext offset", 1)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ---- ESP ----

// maxESPDepth bounds ESP-in-ESP unwrapping.
const maxESPDepth = 4

// espPacket describes the ESP packet pkt from src to dst in e (and o's
// detail), decrypting it when the table has its SA, and returns the text
// that follows "ESP" on the line. depth is the nesting level of ESP inside
// ESP, indent that of the detail lines. Error offsets count from the SPI
// of the packet at fault.
func (d *dumper) espPacket(o *output, e *espOut, src, dst netip.Addr, pkt []byte, depth, indent int) string {
	e.Length = len(pkt)
	p, err := esp.Parse(pkt)
	if err != nil {
		e.Status = "failed"
		er := o.failErr("esp", 0, err)
		return fmt.Sprintf(" MALFORMED %s", er.text())
	}
	e.SPI, e.Seq = fmt.Sprintf("0x%08x", p.SPI), p.Seq
	line := fmt.Sprintf(" SPI 0x%08x seq %d len %d", p.SPI, p.Seq, len(pkt))
	if d.verbose {
		o.detail(indent, "ESP: SPI 0x%08x, sequence number %d, %d octets after the header", p.SPI, p.Seq, len(p.Body))
	}
	row, ok := d.espKeys.Lookup(src, dst, p.SPI)
	if !ok {
		e.Status = "no_key"
		if d.verbose {
			o.detail(indent+1, "not decrypted: no esp_sa row for SPI 0x%08x from %v to %v", p.SPI, src, dst)
		}
		return line + fmt.Sprintf(" (not decrypted: no key for SPI 0x%08x to %v)", p.SPI, dst)
	}
	e.KeyLine = row.Line
	encName, err := keytable.ESPEncrName(row.Encr)
	if err != nil {
		encName = row.Encr.String()
	}
	e.Cipher = shortName(encName)
	if row.Integ.Unchecked() {
		e.Integrity = fmt.Sprintf("unchecked %d-bit ICV", row.Integ.UncheckedICVLen*8)
	} else if !keytable.IsAEAD(row.Encr) {
		n, err := keytable.ESPAuthName(row.Integ)
		if err != nil {
			n = row.Integ.String()
		}
		e.Integrity = shortName(n)
	}
	name := e.Cipher
	if e.Integrity != "" && !row.Integ.Unchecked() {
		name += "/" + e.Integrity
	}
	if d.verbose {
		o.detail(indent+1, "key: %s line %d (SPI 0x%08x, %s -> %s), %s", d.espFile, row.Line, row.SPI, patternString(row.Src), patternString(row.Dst), name)
	}
	st := d.espSA(row)
	sa, err := st.sa, st.err
	if err != nil {
		e.Status = "failed"
		er := o.fail("esp", -1, err.Error(), err)
		return line + fmt.Sprintf(" (%s, not decrypted: %s)", name, er.text())
	}
	if d.verbose && len(p.Body) >= sa.IVLen()+sa.ICVLen() {
		iv := p.Body[:sa.IVLen()]
		o.detail(indent+1, "IV %d octets: %x; ciphertext %d octets; ICV %d octets: %x", len(iv), iv,
			len(p.Body)-sa.IVLen()-sa.ICVLen(), sa.ICVLen(), p.Body[len(p.Body)-sa.ICVLen():])
	}
	op, esn, err := st.open(row, pkt, p.Seq)
	if err != nil {
		e.Status = "failed"
		stage := "esp"
		switch {
		case errors.Is(err, esp.ErrIntegrity):
			stage, e.ICV = "esp_integrity", "incorrect"
		case errors.Is(err, esp.ErrPadding):
			stage = "esp_padding"
		}
		er := o.failErr(stage, 0, err)
		what := "MALFORMED"
		switch stage {
		case "esp_integrity":
			what = "ICV INCORRECT"
		case "esp_padding":
			what = "DECRYPTION FAILED: bad padding"
		}
		note := ""
		if !sa.Checked() && stage != "esp_integrity" {
			// Without an ICV check, the padding (RFC 4303 section 2.4)
			// and the Next Header are all that can tell a wrong key.
			note = "; the ICV is not checked for this SA, so a wrong key shows only here"
		}
		if d.verbose {
			o.detail(indent+1, "not decrypted: %v%s", err, note)
		}
		return line + fmt.Sprintf(" (%s, %s %s%s)", name, what, er.text(), note)
	}
	e.Status = "decrypted"
	e.NextHeader, e.PadLength = &op.NextHeader, &op.PadLen
	icv := "ICV correct"
	e.ICV = "correct"
	if !op.Authenticated {
		icv, e.ICV = "ICV not checked", "not checked"
	}
	if esn {
		e.ESN = true
		icv += ", ESN"
	}
	line += fmt.Sprintf(" (%s, %s)", name, icv)
	if d.verbose {
		o.detail(indent+1, "%s; next header %d (%s), pad length %d, %d octets of payload", icv, op.NextHeader, protoName(op.NextHeader), op.PadLen, len(op.Payload))
	}
	if op.Dummy() {
		// RFC4303-2.6-2: discarded without indicating an error.
		e.Inner = "dummy packet (next header 59)"
		return line + " " + e.Inner
	}
	in := describeInner(op.NextHeader, op.Payload)
	e.Inner = in.summary
	if d.verbose {
		for _, l := range in.detail {
			o.detail(indent+1, "%s", l)
		}
	}
	line += " inner " + in.summary
	if in.esp != nil {
		if depth+1 >= maxESPDepth {
			return line + fmt.Sprintf(" (ESP nested deeper than %d: not opened)", maxESPDepth)
		}
		e.InnerESP = &espOut{}
		line += " ESP" + d.espPacket(o, e.InnerESP, in.src, in.dst, in.esp, depth+1, indent+1)
	}
	return line
}

// espSA keys (once) the SA of a table row.
func (d *dumper) espSA(row *keytable.ESPSA) *espSA {
	if s, ok := d.espSAs[row]; ok {
		return s
	}
	sa, err := esp.NewSA(espConfig(row, false))
	s := &espSA{sa: sa, err: err}
	d.espSAs[row] = s
	return s
}

func espConfig(row *keytable.ESPSA, esn bool) esp.Config {
	return esp.Config{
		SPI: row.SPI, Encr: row.Encr, EncrKey: row.EncrKey,
		Integ: row.Integ.ID, IntegKey: row.IntegKey, UncheckedICVLen: row.Integ.UncheckedICVLen, ESN: esn,
	}
}

// open opens a packet of the row's SA. A key table does not say whether an
// SA uses Extended Sequence Numbers (RFC 4303 section 2.2.1), and with them
// the high-order 32 bits enter the ICV without being sent: when the ICV does
// not match without ESN, open tries with ESN, the high-order bits inferred
// as in RFC 4303 Appendix A from the packets opened before (the same, or
// one more after the low-order bits wrapped), and from then on treats the
// SA as an ESN SA. An unchecked ICV cannot tell: such SAs open without.
func (s *espSA) open(row *keytable.ESPSA, pkt []byte, seqLo uint32) (*esp.Opened, bool, error) {
	if !s.esn {
		op, err := s.sa.Open(pkt)
		if err == nil || !errors.Is(err, esp.ErrIntegrity) || !s.sa.Checked() {
			return op, false, err
		}
		if s.esnSA == nil {
			if s.esnSA, err = esp.NewSA(espConfig(row, true)); err != nil {
				return nil, false, err
			}
		}
		op2, hi, err2 := s.openESN(pkt, seqLo)
		if err2 != nil {
			return nil, false, err // the error without ESN: the likelier case
		}
		s.esn = true
		s.note(hi, seqLo)
		return op2, true, nil
	}
	op, hi, err := s.openESN(pkt, seqLo)
	if err == nil {
		s.note(hi, seqLo)
	}
	return op, true, err
}

// openESN tries the high-order bits that RFC 4303 Appendix A allows: those
// of the highest packet so far, or one more if the low-order bits have
// wrapped (a packet below the highest first tries the same bits).
func (s *espSA) openESN(pkt []byte, seqLo uint32) (*esp.Opened, uint32, error) {
	cands := []uint32{s.hi, s.hi + 1}
	if s.hi > 0 {
		cands = append(cands, s.hi-1)
	}
	var first error
	for _, hi := range cands {
		op, err := s.esnSA.OpenESN(pkt, hi)
		if err == nil {
			return op, hi, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, 0, first
}

func (s *espSA) note(hi, lo uint32) {
	if hi > s.hi || (hi == s.hi && lo > s.lo) {
		s.hi, s.lo = hi, lo
	}
}

func patternString(p netip.Prefix) string {
	if !p.IsValid() {
		return "*"
	}
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}
