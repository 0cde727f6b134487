package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

// writeBanner tells, at the start of a server with the default
// configuration, how to reach it: an ike-scan probe and a swanctl.conf for
// a strongSwan peer (with the default configuration's documented test
// secret).
func writeBanner(w io.Writer, cfg *ike.Config, conn *netio.Conn) {
	ikePort, nattPort := conn.Ports()
	var ikeAddrs, nattAddrs []string
	target := netip.MustParseAddr("127.0.0.1")
	for i, s := range conn.Sockets() {
		if s.Role == netio.RoleIKE {
			ikeAddrs = append(ikeAddrs, s.Local.String())
		} else {
			nattAddrs = append(nattAddrs, s.Local.String())
		}
		if i == 0 && !s.Local.Addr().IsUnspecified() {
			target = s.Local.Addr()
		}
	}
	fmt.Fprintf(w, "refserver: IKEv2 reference server with the embedded default configuration\n")
	fmt.Fprintf(w, "  IKE on %s, NAT-T on %s\n", strings.Join(ikeAddrs, " "), strings.Join(nattAddrs, " "))
	if len(cfg.Connections) == 0 {
		fmt.Fprintln(w)
		return
	}
	c := cfg.Connections[0]
	fmt.Fprintf(w, "  %s: IKE SA %s\n", c.Name, ikeLifetime(c))
	for _, ch := range c.Children {
		fmt.Fprintf(w, "  %s/%s: CHILD_SA %s\n", c.Name, ch.Name, childLifetime(ch))
	}
	fmt.Fprintln(w)

	ports := ""
	if ikePort != netio.PortIKE {
		ports = fmt.Sprintf(" --dport=%d", ikePort)
	}
	// --sport=0: ike-scan binds port 500 itself unless told otherwise.
	if g, ok := ikeScanGroup(c.Proposals); ok {
		fmt.Fprintf(w, "Probe it with ike-scan (one IKE_SA_INIT, expect a full IKE_SA_INIT response):\n")
		fmt.Fprintf(w, "  ike-scan --ikev2 --sport=0%s --dhgroup=%d %s\n\n", ports, g, target)
	} else {
		fmt.Fprintf(w, "ike-scan's fixed proposal does not match %q: expect NO_PROPOSAL_CHOSEN from\n", c.Name)
		fmt.Fprintf(w, "  ike-scan --ikev2 --sport=0%s %s\n\n", ports, target)
	}

	peerID := peerIdentity(cfg, c)
	fmt.Fprintf(w, "Connect a strongSwan peer (in another network namespace or host) with this swanctl.conf;\n")
	fmt.Fprintf(w, "its secret is the default configuration's documented TEST secret, never to be used elsewhere:\n\n")
	fmt.Fprintf(w, "connections {\n  %s {\n    version = 2\n", c.Name)
	fmt.Fprintf(w, "    # this server's address as the peer reaches it\n    remote_addrs = %s\n", target)
	if ikePort != netio.PortIKE {
		fmt.Fprintf(w, "    remote_port = %d\n", ikePort)
	}
	if len(c.Proposals) > 0 {
		fmt.Fprintf(w, "    proposals = %s\n", proposalsKeywords(c.Proposals))
	}
	fmt.Fprintf(w, "    local {\n      auth = %s\n", c.Remote.Auth)
	if !peerID.IsZero() {
		fmt.Fprintf(w, "      id = %s\n", peerID)
	}
	fmt.Fprintf(w, "    }\n    remote {\n      auth = %s\n", c.Local.Auth)
	if !c.Local.ID.IsZero() {
		fmt.Fprintf(w, "      id = %s\n", c.Local.ID)
	}
	fmt.Fprintf(w, "    }\n")
	if len(c.Children) > 0 {
		fmt.Fprintf(w, "    children {\n")
		for _, ch := range c.Children {
			fmt.Fprintf(w, "      %s {\n", ch.Name)
			if ch.Mode == ike.Transport {
				fmt.Fprintf(w, "        mode = transport\n")
			}
			fmt.Fprintf(w, "        local_ts = %s\n", tsList(ch.RemoteTS))
			fmt.Fprintf(w, "        remote_ts = %s\n", tsList(ch.LocalTS))
			if len(ch.ESPProposals) > 0 {
				fmt.Fprintf(w, "        esp_proposals = %s\n", proposalsKeywords(ch.ESPProposals))
			}
			fmt.Fprintf(w, "      }\n")
		}
		fmt.Fprintf(w, "    }\n")
	}
	fmt.Fprintf(w, "  }\n}\n")
	if sec, ok := secretFor(cfg, c.Local.ID); ok {
		fmt.Fprintf(w, "secrets {\n  ike-%s {\n", c.Name)
		n := 0
		for _, id := range []ike.Identity{c.Local.ID, peerID} {
			if !id.IsZero() {
				n++
				fmt.Fprintf(w, "    id-%d = %s\n", n, id)
			}
		}
		fmt.Fprintf(w, "    secret = %s\n  }\n}\n", secretString(sec.Key))
	}
	child := ""
	if len(c.Children) > 0 {
		child = " --child " + c.Children[0].Name
	}
	fmt.Fprintf(w, "\nthen: swanctl --load-all && swanctl --initiate%s --ike %s --timeout 20\n", child, c.Name)
	if ikePort == netio.PortIKE && nattPort == netio.PortNATT {
		fmt.Fprintf(w, "(charon with kernel-libipsec fakes a NAT, so IKE moves to port 4500.)\n")
	}
	fmt.Fprintln(w)
}

// ikeScanGroup is the key exchange group to give ike-scan 1.9.5, whose one
// IKEv2 proposal is fixed (ENCR AES-CBC-256, AES-CBC-128, 3DES, DES; PRF
// SHA1, MD5; INTEG HMAC-SHA1-96, HMAC-MD5-96; DH 2, 5, 14), for the first
// of our proposals it matches.
func ikeScanGroup(ps []ike.Proposal) (wire.KEID, bool) {
	for _, p := range ps {
		encr := slices.ContainsFunc(p.Encr, func(e ike.EncrAlg) bool {
			return e.ID == wire.ENCR_AES_CBC && (e.KeyBits == 128 || e.KeyBits == 256) ||
				e.ID == wire.ENCR_3DES || e.ID == wire.ENCR_DES
		})
		prf := slices.ContainsFunc(p.PRF, func(f wire.PRFID) bool {
			return f == wire.PRF_HMAC_SHA1 || f == wire.PRF_HMAC_MD5
		})
		integ := slices.ContainsFunc(p.Integ, func(i wire.IntegID) bool {
			return i == wire.AUTH_HMAC_SHA1_96 || i == wire.AUTH_HMAC_MD5_96
		})
		if !encr || !prf || !integ {
			continue
		}
		for _, k := range p.KE {
			switch k {
			case wire.MODP_2048, wire.MODP_1536, wire.MODP_1024:
				return k, true
			}
		}
	}
	return 0, false
}

// peerIdentity is the identity the peer should use: the connection's
// remote ID, or else another identity a secret names beside our own.
func peerIdentity(cfg *ike.Config, c *ike.Connection) ike.Identity {
	if !c.Remote.ID.IsZero() {
		return c.Remote.ID
	}
	for _, s := range cfg.Secrets {
		for _, id := range s.IDs {
			if !id.Equal(c.Local.ID) {
				return id
			}
		}
	}
	return ike.Identity{}
}

// secretFor is the first secret shared with our identity (or with anyone).
func secretFor(cfg *ike.Config, id ike.Identity) (ike.Secret, bool) {
	for _, s := range cfg.Secrets {
		if len(s.IDs) == 0 {
			return s, true
		}
		for _, x := range s.IDs {
			if x.Equal(id) {
				return s, true
			}
		}
	}
	return ike.Secret{}, false
}

// secretString writes a secret in swanctl.conf's syntax: quoted when it is
// printable, else 0x and hex.
func secretString(k []byte) string {
	for _, c := range k {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Sprintf("0x%x", k)
		}
	}
	return strconv.Quote(string(k))
}

// writeSummary prints what a configuration holds, without its secrets.
func writeSummary(w io.Writer, cfg *ike.Config) {
	fmt.Fprintf(w, "%d connection(s), %d secret(s)", len(cfg.Connections), len(cfg.Secrets))
	if len(cfg.EAPSecrets) > 0 {
		fmt.Fprintf(w, ", %d EAP secret(s)", len(cfg.EAPSecrets))
	}
	fmt.Fprintln(w)
	for _, c := range cfg.Connections {
		fmt.Fprintf(w, "%s: %s[%d] ... %s[%d]\n", c.Name,
			prefixes(c.LocalAddrs), portOr500(c.LocalPort), prefixes(c.RemoteAddrs), portOr500(c.RemotePort))
		fmt.Fprintf(w, "  proposals: %s\n", proposalsKeywords(c.Proposals))
		fmt.Fprintf(w, "  local:  %s, id %s%s%s\n", c.Local.Auth, c.Local.ID, eapIDSummary(c.Local), credSummary(c.Local.Certs, "certificate"))
		fmt.Fprintf(w, "  remote: %s, id %s%s%s%s\n", c.Remote.Auth, c.Remote.ID, eapIDSummary(c.Remote), credSummary(c.Remote.CACerts, "CA"), keysSummary(len(c.Remote.Pubkeys)))
		if c.DPDDelay > 0 {
			fmt.Fprintf(w, "  dpd_delay: %v\n", c.DPDDelay)
		}
		fmt.Fprintf(w, "  IKE SA: %s\n", ikeLifetime(c))
		for _, ch := range c.Children {
			fmt.Fprintf(w, "  %s: %s, %s === %s, esp_proposals %s, start_action %s\n", ch.Name, ch.Mode,
				tsList(ch.LocalTS), tsList(ch.RemoteTS), proposalsKeywords(ch.ESPProposals), startAction(ch.StartAction))
			fmt.Fprintf(w, "    CHILD_SA: %s\n", childLifetime(ch))
		}
	}
	for i, s := range cfg.Secrets {
		ids := make([]string, len(s.IDs))
		for j, id := range s.IDs {
			ids[j] = id.String()
		}
		if len(ids) == 0 {
			ids = []string{"%any"}
		}
		fmt.Fprintf(w, "secret %d: PSK for %s\n", i+1, strings.Join(ids, ", "))
	}
	for i, s := range cfg.EAPSecrets {
		ids := s.IDs
		if len(ids) == 0 {
			ids = []string{"%any"}
		}
		fmt.Fprintf(w, "EAP secret %d: password for EAP identity %s\n", i+1, strings.Join(ids, ", "))
	}
}

// eapIDSummary shows an EAP end's eap_id (RFC 7296 section 2.16), for
// writeSummary.
func eapIDSummary(a ike.AuthConfig) string {
	switch a.Auth {
	case ike.AuthEAP, ike.AuthEAPMD5, ike.AuthEAPMSCHAPv2:
	default:
		return ""
	}
	if a.EAPID == "" {
		return ", eap_id = the IKE identity"
	}
	return ", eap_id " + a.EAPID
}

// credSummary names the subjects of certificates (the first is ours, or a
// CA), for writeSummary.
func credSummary(ders [][]byte, what string) string {
	var names []string
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			names = append(names, "(unparsable)")
			continue
		}
		n := fmt.Sprintf("%q", auth.FormatDN(c.RawSubject))
		if what == "certificate" && i > 0 {
			n = "intermediate " + n
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return ""
	}
	return ", " + what + " " + strings.Join(names, ", ")
}

func keysSummary(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d public key(s)", n)
}

// ikeLifetime describes an IKE SA's lifetime (RFC 7296 section 2.8) in
// swanctl.conf's keys.
func ikeLifetime(c *ike.Connection) string {
	if c.RekeyTime == 0 {
		return "not rekeyed (rekey_time 0)"
	}
	return fmt.Sprintf("rekey_time %s, over_time %s, rand_time %s", swanctl.FormatDuration(c.RekeyTime),
		swanctl.FormatDuration(c.OverTime), swanctl.FormatDuration(c.RandTime))
}

// childLifetime describes a Child SA's lifetimes in time, octets and
// packets in swanctl.conf's keys, leaving out the volume limits that are
// off.
func childLifetime(ch *ike.Child) string {
	var parts []string
	if ch.RekeyTime == 0 && ch.LifeTime == 0 {
		parts = append(parts, "no time limit (rekey_time 0)")
	} else {
		parts = append(parts, fmt.Sprintf("rekey_time %s, life_time %s, rand_time %s", swanctl.FormatDuration(ch.RekeyTime),
			swanctl.FormatDuration(ch.LifeTime), swanctl.FormatDuration(ch.RandTime)))
	}
	if ch.RekeyBytes != 0 || ch.LifeBytes != 0 {
		parts = append(parts, fmt.Sprintf("rekey_bytes %d, life_bytes %d", ch.RekeyBytes, ch.LifeBytes))
	}
	if ch.RekeyPackets != 0 || ch.LifePackets != 0 {
		parts = append(parts, fmt.Sprintf("rekey_packets %d, life_packets %d", ch.RekeyPackets, ch.LifePackets))
	}
	return strings.Join(parts, ", ")
}

func portOr500(p uint16) uint16 {
	if p == 0 {
		return netio.PortIKE
	}
	return p
}

func prefixes(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "%any"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		} else {
			s[i] = p.String()
		}
	}
	return strings.Join(s, ",")
}

func startAction(a ike.StartAction) string {
	switch a {
	case ike.StartStart:
		return "start"
	case ike.StartTrap:
		return "trap"
	}
	return "none"
}

// ---- strongSwan's notation ----

// tsList writes traffic selectors as swanctl.conf does: "dynamic",
// "10.0.0.0/24", "10.0.0.1-10.0.0.9", with "[tcp/80]" for protocol and
// ports.
func tsList(ts []ike.TrafficSelector) string {
	if len(ts) == 0 {
		return "dynamic"
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = tsString(t)
	}
	return strings.Join(out, ",")
}

func tsString(t ike.TrafficSelector) string {
	var s string
	switch {
	case t.Dynamic:
		s = "dynamic"
	case !t.Start.IsValid():
		s = "%any"
	default:
		s = t.Start.String() + "-" + t.End.String()
		for bits := 0; bits <= t.Start.BitLen(); bits++ {
			p := netip.PrefixFrom(t.Start, bits).Masked()
			if p.Addr() == t.Start && wire.LastAddr(p) == t.End {
				s = p.String()
				break
			}
		}
	}
	proto := ""
	switch t.Protocol {
	case 0:
	case 1:
		proto = "icmp"
	case 6:
		proto = "tcp"
	case 17:
		proto = "udp"
	case 58:
		proto = "ipv6-icmp"
	default:
		proto = strconv.Itoa(int(t.Protocol))
	}
	port := ""
	switch {
	case t.StartPort == 0 && (t.EndPort == 0 || t.EndPort == 65535):
	case t.StartPort == t.EndPort:
		port = strconv.Itoa(int(t.StartPort))
	default:
		port = fmt.Sprintf("%d-%d", t.StartPort, t.EndPort)
	}
	switch {
	case port != "":
		if proto == "" {
			proto = "%any"
		}
		s += "[" + proto + "/" + port + "]"
	case proto != "":
		s += "[" + proto + "]"
	}
	return s
}

// proposalsKeywords writes proposals in swanctl.conf's notation:
// "aes256-sha256-modp2048, aes128gcm16-prfsha256-ecp256".
func proposalsKeywords(ps []ike.Proposal) string {
	if len(ps) == 0 {
		return "default"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = proposalKeywords(p)
	}
	return strings.Join(out, ", ")
}

func proposalKeywords(p ike.Proposal) string {
	var kw []string
	for _, e := range p.Encr {
		kw = append(kw, encrKeyword(e))
	}
	var integ []string
	for _, i := range p.Integ {
		if i != wire.AUTH_NONE {
			integ = append(integ, integKeyword(i))
		}
	}
	kw = append(kw, integ...)
	// strongSwan derives the PRF from the integrity algorithm: name it only
	// when it is not the one derived.
	implied := len(p.PRF) == len(integ)
	for i, f := range p.PRF {
		implied = implied && prfKeyword(f) == "prf"+integ[i]
	}
	if !implied {
		for _, f := range p.PRF {
			kw = append(kw, prfKeyword(f))
		}
	}
	for _, k := range p.KE {
		kw = append(kw, keKeyword(k))
	}
	for _, e := range p.ESN {
		if e == wire.ESN {
			kw = append(kw, "esn")
		} else {
			kw = append(kw, "noesn")
		}
	}
	return strings.Join(kw, "-")
}

func encrKeyword(e ike.EncrAlg) string {
	bits := strconv.Itoa(int(e.KeyBits))
	switch e.ID {
	case wire.ENCR_AES_CBC:
		return "aes" + bits
	case wire.ENCR_AES_CTR:
		return "aes" + bits + "ctr"
	case wire.ENCR_AES_GCM_8:
		return "aes" + bits + "gcm8"
	case wire.ENCR_AES_GCM_12:
		return "aes" + bits + "gcm12"
	case wire.ENCR_AES_GCM_16:
		return "aes" + bits + "gcm16"
	case wire.ENCR_AES_CCM_8:
		return "aes" + bits + "ccm8"
	case wire.ENCR_AES_CCM_12:
		return "aes" + bits + "ccm12"
	case wire.ENCR_AES_CCM_16:
		return "aes" + bits + "ccm16"
	case wire.ENCR_CHACHA20_POLY1305:
		return "chacha20poly1305"
	case wire.ENCR_3DES:
		return "3des"
	case wire.ENCR_NULL:
		return "null"
	}
	return strings.ToLower(strings.TrimPrefix(e.ID.String(), "ENCR_")) + bits
}

func integKeyword(i wire.IntegID) string {
	switch i {
	case wire.AUTH_HMAC_MD5_96:
		return "md5"
	case wire.AUTH_HMAC_SHA1_96:
		return "sha1"
	case wire.AUTH_AES_XCBC_96:
		return "aesxcbc"
	case wire.AUTH_AES_CMAC_96:
		return "aescmac"
	case wire.AUTH_HMAC_SHA2_256_128:
		return "sha256"
	case wire.AUTH_HMAC_SHA2_384_192:
		return "sha384"
	case wire.AUTH_HMAC_SHA2_512_256:
		return "sha512"
	case wire.AUTH_HMAC_MD5_128:
		return "md5_128"
	case wire.AUTH_HMAC_SHA1_160:
		return "sha1_160"
	}
	return strings.ToLower(strings.TrimPrefix(i.String(), "AUTH_"))
}

func prfKeyword(f wire.PRFID) string {
	switch f {
	case wire.PRF_HMAC_MD5:
		return "prfmd5"
	case wire.PRF_HMAC_SHA1:
		return "prfsha1"
	case wire.PRF_AES128_XCBC:
		return "prfaesxcbc"
	case wire.PRF_AES128_CMAC:
		return "prfaescmac"
	case wire.PRF_HMAC_SHA2_256:
		return "prfsha256"
	case wire.PRF_HMAC_SHA2_384:
		return "prfsha384"
	case wire.PRF_HMAC_SHA2_512:
		return "prfsha512"
	}
	return strings.ToLower(f.String())
}

func keKeyword(k wire.KEID) string {
	switch k {
	case wire.CURVE25519:
		return "curve25519"
	case wire.CURVE448:
		return "curve448"
	case wire.BRAINPOOL_P224R1:
		return "ecp224bp"
	case wire.BRAINPOOL_P256R1:
		return "ecp256bp"
	case wire.BRAINPOOL_P384R1:
		return "ecp384bp"
	case wire.BRAINPOOL_P512R1:
		return "ecp512bp"
	}
	// MODP_2048 -> modp2048, ECP_256 -> ecp256, MODP_2048_S256 -> modp2048s256,
	// ML_KEM_768 -> mlkem768.
	return strings.ToLower(strings.ReplaceAll(k.String(), "_", ""))
}
