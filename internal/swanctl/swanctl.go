// Package swanctl reads strongSwan's swanctl.conf into an ike.Config, so
// that the configurations users run strongSwan with drive ikev2ref too: the
// settings syntax of strongswan.conf(5) and swanctl.conf(5) (sections, one
// key = value per line, comments, include), the connections, children and
// secrets keys that apply to an IKEv2 (RFC 7296) peer authenticated with a
// PSK or with signatures and certificates (creds.go), strongSwan's
// proposal keywords checked against the algorithm requirements of RFC 8247
// (IKE) and RFC 8221 (ESP), its traffic selector notation (RFC 7296 section
// 3.13.1) and pre-shared keys in the encodings RFC 7296 section 2.15 asks
// for.
//
// What it reads:
//
//	connections.<name>     version (0 or 2), local_addrs, remote_addrs,
//	                       local_port, remote_port, proposals, dpd_delay,
//	                       rekey_time, over_time, rand_time,
//	                       fragmentation, and the
//	                       sections local, remote, children (one local
//	                       and one remote round)
//	  local*               auth (psk, pubkey, rsa, rsa/pss, ecdsa,
//	                       ed25519, eap, eap-md5, eap-mschapv2), id,
//	                       certs, eap_id
//	  remote*              auth (as local), id, cacerts, pubkeys, eap_id
//	  children.<name>      mode, local_ts, remote_ts, esp_proposals,
//	                       start_action, rekey_time, life_time, rand_time,
//	                       rekey_bytes, life_bytes, rekey_packets,
//	                       life_packets
//	secrets.ike*           id, id-<suffix>, secret
//	secrets.eap*           id, id-<suffix>, secret (EAP passwords, RFC
//	                       7296 section 2.16)
//
// Anything else is an error naming the file, the line and the key, and so
// is a value ikev2ref cannot honour (EAP methods other than MD5 and
// MSCHAPv2, IKEv1, a
// transform that RFC 8247 or RFC 8221 rules out, a hostname): a
// configuration loads completely or not at all. Defaults are strongSwan's
// (ports 500, traffic selectors dynamic, mode tunnel, start_action none,
// the lifetimes of RFC 7296 section 2.8 as lifetimes.go describes: IKE SAs
// rekeyed every 4h, Child SAs every 1h), except the "default" proposals,
// which are the MUST and SHOULD algorithms of RFC 8247 and RFC 8221; auth
// defaults to pubkey, which needs certs (local) and trust anchors (remote).
// start_action is stored for the engine whether or not it uses it yet.
//
// A secret's ids are kept as written, less %any (no constraint). strongSwan
// applies a secret to an IKE SA when the identity of either end is among
// its ids, or when it has none; the default configuration (Default) relies
// on that reading.
package swanctl

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/pool"
)

//go:embed default.swanctl.conf
var defaultConf []byte

// Error is a configuration error: the file and line it was found on, the
// key or section it concerns (dotted: "connections.lab.local.auth"), and
// what is wrong.
type Error struct {
	File string
	Line int
	Key  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "swanctl: %s:%d: ", e.File, e.Line)
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Parse reads a swanctl.conf held in memory; name is what errors call it.
// It refuses include directives, which need a file system: use Load.
func Parse(name string, src []byte) (*ike.Config, error) {
	return parse(name, src, nil)
}

// Load reads the swanctl.conf at path, with the files it includes (paths
// relative to the including file, glob patterns allowed, at most 8 levels
// deep).
func Load(path string) (*ike.Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("swanctl: %w", err)
	}
	return parse(path, src, &source{readFile: os.ReadFile, glob: filepath.Glob, files: 1})
}

// Default returns the built-in configuration, a PSK responder on
// 127.0.0.1 (see the comments in its text), and its text.
func Default() (*ike.Config, []byte) {
	cfg, err := Parse("default.swanctl.conf", defaultConf)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return cfg, bytes.Clone(defaultConf)
}

func parse(name string, src []byte, from *source) (*ike.Config, error) {
	toks, err := tokenize(name, src, 0, from)
	if err != nil {
		return nil, err
	}
	root, err := parseTree(toks)
	if err != nil {
		return nil, err
	}
	cfg, err := build(root)
	if err != nil {
		return nil, err
	}
	// Certificates and keys, from the swanctl directory (creds.go).
	dir := ""
	if from != nil {
		dir = filepath.Dir(name)
	}
	if err := resolveCredentials(root, cfg, dir); err != nil {
		return nil, err
	}
	return cfg, nil
}

// errAt builds an Error at p about key.
func errAt(p pos, key string, format string, args ...any) error {
	return &Error{File: p.file, Line: p.line, Key: key, Err: fmt.Errorf(format, args...)}
}

// valueErr is an error in the value of k.
func valueErr(k *setting, err error) error {
	if strings.Contains(k.value, " = ") {
		// The pitfall of writing two settings on one line.
		err = fmt.Errorf("%w (one key = value per line: the rest of the line became this value)", err)
	}
	return &Error{File: k.pos.file, Line: k.pos.line, Key: k.path, Err: err}
}

// defaultErr is an error in the value of key name of s, or in its default
// when k is nil.
func defaultErr(s *section, name string, k *setting, err error) error {
	if k != nil {
		return valueErr(k, err)
	}
	return errAt(s.pos, join(s.path, name), "default: %w", err)
}

// level describes the keys and sections of one kind of section, for the
// errors about what does not belong there.
type level struct {
	keys     []string          // the keys read (for suggestions)
	sections []string          // the sections read; "local*" matches a prefix
	refused  map[string]string // strongSwan keys that ikev2ref does not take, and why
}

func (lv level) isSection(name string) bool {
	for _, s := range lv.sections {
		if p, ok := strings.CutSuffix(s, "*"); ok && strings.HasPrefix(name, p) || s == name {
			return true
		}
	}
	return false
}

func (lv level) badKey(parent *section, k *setting) error {
	if why, ok := lv.refused[k.name]; ok {
		return errAt(k.pos, parent.path, "key %q is not supported by ikev2ref%s", k.name, why)
	}
	if lv.isSection(k.name) {
		return errAt(k.pos, k.path, "is a section: write %s { ... }", k.name)
	}
	return errAt(k.pos, parent.path, "unknown key %q%s", k.name, suggest(k.name, lv.keys))
}

func (lv level) badSection(parent, s *section) error {
	if why, ok := lv.refused[s.name]; ok {
		return errAt(s.pos, parent.path, "section %q is not supported by ikev2ref%s", s.name, why)
	}
	for _, k := range lv.keys {
		if k == s.name {
			return errAt(s.pos, s.path, "is a key: write %s = value", s.name)
		}
	}
	return errAt(s.pos, parent.path, "unknown section %q%s", s.name, suggest(s.name, lv.sections))
}

func refusedKeys(why string, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = why
	}
	return m
}

var (
	topLevel = level{
		sections: []string{"connections", "secrets", "pools"},
		refused:  refusedKeys("", "authorities"),
	}
	connLevel = level{
		keys: []string{"version", "local_addrs", "remote_addrs", "local_port", "remote_port",
			"proposals", "dpd_delay", "rekey_time", "over_time", "rand_time", "pools", "vips", "fragmentation"},
		sections: []string{"local*", "remote*", "children"},
		refused: func() map[string]string {
			m := refusedKeys("", "mobike",
				"childless", "encap", "send_certreq", "send_cert", "ocsp", "ppk_id", "ppk_required",
				"keyingtries", "unique", "dpd_timeout", "aggressive", "pull", "dscp",
				"if_id_in", "if_id_out", "mediation", "mediated_by", "mediation_peer", "split_ts")
			m["reauth_time"] = " (ikev2ref rekeys IKE SAs with CREATE_CHILD_SA, RFC 7296 section 2.8, and never reauthenticates them: use rekey_time)"
			return m
		}(),
	}
	authLevel = level{
		keys: []string{"auth", "id", "certs", "cacerts", "pubkeys", "eap_id"},
		refused: refusedKeys(" (certificate sections, CA constraints, revocation, AAA and XAUTH are not supported)", "round",
			"cert", "cacert", "ca_id", "aaa_id", "xauth_id", "groups", "cert_policy", "revocation"),
	}
	childLevel = level{
		keys: []string{"mode", "local_ts", "remote_ts", "esp_proposals", "start_action",
			"rekey_time", "life_time", "rand_time", "rekey_bytes", "life_bytes", "rekey_packets", "life_packets"},
		refused: func() map[string]string {
			m := refusedKeys("", "sha256_96", "updown", "hostaccess", "policies", "policies_fwd_out",
				"ipcomp", "inactivity", "reqid", "priority", "interface", "mark_in", "mark_in_sa",
				"mark_out", "set_mark_in", "set_mark_out", "if_id_in", "if_id_out", "label",
				"label_mode", "tfc_padding", "replay_window", "hw_offload", "copy_df", "copy_ecn",
				"copy_dscp", "dpd_action", "close_action", "per_cpu_sas")
			for _, k := range []string{"rand_bytes", "rand_packets"} {
				m[k] = " (volume limits are not randomized: the soft limit is rekey_bytes or rekey_packets exactly)"
			}
			m["ah_proposals"] = " (AH is refused: ESP protects integrity, with NULL encryption if need be, RFC 8221 section 5)"
			return m
		}(),
	}
	secretLevel = level{keys: []string{"id", "id-<suffix>", "secret"}}
	poolLevel   = level{keys: []string{"addrs", "dns"},
		refused: refusedKeys(" (only addresses and name servers are handed out)", "nbns", "dhcp", "netmask", "server", "subnet",
			"split_include", "split_exclude")}
)

func build(root *section) (*ike.Config, error) {
	cfg := &ike.Config{}
	if len(root.keys) > 0 {
		return nil, topLevel.badKey(root, root.keys[0])
	}
	// Pools first: connections name them wherever they are defined.
	pools := map[string]*pool.Pool{}
	for _, s := range root.sections {
		if s.name != "pools" {
			continue
		}
		if len(s.keys) > 0 {
			return nil, errAt(s.keys[0].pos, s.keys[0].path, "is a key: pools holds one section per pool")
		}
		for _, ps := range s.sections {
			p, err := addrPool(ps)
			if err != nil {
				return nil, err
			}
			pools[ps.name] = p
		}
	}
	for _, s := range root.sections {
		switch s.name {
		case "pools":
		case "connections":
			if len(s.keys) > 0 {
				return nil, errAt(s.keys[0].pos, s.keys[0].path, "is a key: connections holds one section per connection")
			}
			for _, cs := range s.sections {
				c, err := connection(cs, pools)
				if err != nil {
					return nil, err
				}
				cfg.Connections = append(cfg.Connections, c)
			}
		case "secrets":
			if len(s.keys) > 0 {
				return nil, errAt(s.keys[0].pos, s.keys[0].path, "is a key: secrets holds one section per secret")
			}
			for _, ss := range s.sections {
				if strings.HasPrefix(ss.name, "eap") {
					sec, err := eapSecret(ss)
					if err != nil {
						return nil, err
					}
					cfg.EAPSecrets = append(cfg.EAPSecrets, sec)
					continue
				}
				sec, err := secret(ss)
				if err != nil {
					return nil, err
				}
				cfg.Secrets = append(cfg.Secrets, sec)
			}
		default:
			return nil, topLevel.badSection(root, s)
		}
	}
	return cfg, nil
}

// addrPool reads pools.<name> (RFC 7296 section 2.19: the addresses the
// responder hands out).
func addrPool(s *section) (*pool.Pool, error) {
	if len(s.sections) > 0 {
		return nil, poolLevel.badSection(s, s.sections[0])
	}
	var addrs *setting
	var dns []netip.Addr
	for _, k := range s.keys {
		switch k.name {
		case "addrs":
			addrs = k
		case "dns":
			for _, v := range splitList(k.value) {
				a, err := netip.ParseAddr(v)
				if err != nil {
					return nil, valueErr(k, fmt.Errorf("name server %q: %w", v, err))
				}
				dns = append(dns, a.Unmap())
			}
		default:
			return nil, poolLevel.badKey(s, k)
		}
	}
	if addrs == nil {
		return nil, errAt(s.pos, s.path, "a pool needs addrs (a prefix or first-last)")
	}
	p, err := pool.New(s.name, addrs.value)
	if err != nil {
		return nil, valueErr(addrs, err)
	}
	p.DNS = dns
	return p, nil
}

// connection reads connections.<name>.
func connection(s *section, pools map[string]*pool.Pool) (*ike.Connection, error) {
	c := &ike.Connection{Name: s.name, LocalPort: 500, RemotePort: 500}
	proposals := "default"
	var propKey *setting
	life := newLifetimes()
	for _, k := range s.keys {
		var err error
		switch k.name {
		case "version":
			switch k.value {
			case "", "0", "2":
			case "1":
				err = fmt.Errorf("IKEv1 is not supported (version = 2 or 0)")
			default:
				err = fmt.Errorf("unsupported value %q (2, or 0 for any)", k.value)
			}
		case "local_addrs":
			c.LocalAddrs, err = parseAddrs(k.value)
		case "remote_addrs":
			c.RemoteAddrs, err = parseAddrs(k.value)
		case "local_port":
			if k.isSet {
				c.LocalPort, err = parsePort(k.value)
			}
		case "remote_port":
			if k.isSet {
				c.RemotePort, err = parsePort(k.value)
			}
		case "proposals":
			if k.isSet {
				proposals, propKey = k.value, k
			}
		case "dpd_delay":
			if k.isSet {
				c.DPDDelay, err = parseDuration(k.value)
			}
		case "rekey_time", "over_time", "rand_time":
			err = life.duration(k)
		case "fragmentation":
			// RFC 7383 (impl/ike/frag.go), strongSwan's values; "force"
			// fragments IKEv1's first message, for IKEv2 it is "yes".
			switch k.value {
			case "", "yes":
				c.Fragmentation = ike.FragmentationYes
			case "accept":
				c.Fragmentation = ike.FragmentationAccept
			case "force":
				c.Fragmentation = ike.FragmentationForce
			case "no":
				c.Fragmentation = ike.FragmentationNo
			default:
				err = fmt.Errorf("unsupported value %q (yes, accept, force or no)", k.value)
			}
		case "pools":
			for _, name := range splitList(k.value) {
				p, ok := pools[name]
				if !ok {
					err = fmt.Errorf("no pool %q in the pools section", name)
					break
				}
				c.Pools = append(c.Pools, p)
			}
		case "vips":
			for _, v := range splitList(k.value) {
				a, perr := netip.ParseAddr(v)
				if perr != nil {
					err = fmt.Errorf("virtual IP %q: want an address (0.0.0.0 or :: for any)", v)
					break
				}
				c.VIPs = append(c.VIPs, a.Unmap())
			}
		default:
			return nil, connLevel.badKey(s, k)
		}
		if err != nil {
			return nil, valueErr(k, err)
		}
	}
	if err := life.ike(c); err != nil {
		return nil, err
	}
	var err error
	if c.Proposals, err = parseProposals(proposals, false); err != nil {
		return nil, defaultErr(s, "proposals", propKey, err)
	}

	var local, remote *section
	for _, sub := range s.sections {
		switch {
		case strings.HasPrefix(sub.name, "local"):
			if local != nil {
				return nil, errAt(sub.pos, sub.path, "a second local authentication round is not supported (%s is the first)", local.name)
			}
			local = sub
			if c.Local, err = authConfig(sub); err != nil {
				return nil, err
			}
		case strings.HasPrefix(sub.name, "remote"):
			if remote != nil {
				return nil, errAt(sub.pos, sub.path, "a second remote authentication round is not supported (%s is the first)", remote.name)
			}
			remote = sub
			if c.Remote, err = authConfig(sub); err != nil {
				return nil, err
			}
		case sub.name == "children":
			if len(sub.keys) > 0 {
				return nil, errAt(sub.keys[0].pos, sub.keys[0].path, "is a key: children holds one section per Child SA")
			}
			for _, cs := range sub.sections {
				ch, err := child(cs)
				if err != nil {
					return nil, err
				}
				c.Children = append(c.Children, ch)
			}
		default:
			return nil, connLevel.badSection(s, sub)
		}
	}
	// strongSwan authenticates with pubkey when nothing is said.
	if local == nil {
		return nil, errAt(s.pos, s.path, "no local section (add local { auth = psk } or local { auth = pubkey; certs = FILE })")
	}
	if remote == nil {
		return nil, errAt(s.pos, s.path, "no remote section (add remote { auth = psk } or remote { auth = pubkey; cacerts = FILE })")
	}
	return c, nil
}

// authConfig reads a local* or remote* section.
func authConfig(s *section) (ike.AuthConfig, error) {
	var a ike.AuthConfig
	for _, k := range s.keys {
		var err error
		switch k.name {
		case "auth":
			if k.isSet {
				a.Auth, err = parseAuth(k.value)
			}
		case "id":
			a.ID, err = ike.ParseIdentity(k.value)
		case "eap_id":
			a.EAPID = eapIdentity(k.value)
		case "certs", "cacerts", "pubkeys":
			// Files, read once the whole tree is known (creds.go).
		default:
			return a, authLevel.badKey(s, k)
		}
		if err != nil {
			return a, valueErr(k, err)
		}
	}
	if len(s.sections) > 0 {
		return a, authLevel.badSection(s, s.sections[0])
	}
	if a.Auth == 0 {
		a.Auth = ike.AuthPubkey // strongSwan's default
	}
	if a.EAPID != "" && a.EAPID != "%any" && !isEAP(a.Auth) {
		if k := s.key("eap_id"); k != nil {
			return a, valueErr(k, fmt.Errorf("eap_id is for auth = eap, eap-md5 or eap-mschapv2, and %s has auth = %v", s.name, a.Auth))
		}
	}
	return a, nil
}

// isEAP reports whether an auth value is an EAP method (RFC 7296 section
// 2.16).
func isEAP(a ike.AuthMethod) bool {
	return a == ike.AuthEAP || a == ike.AuthEAPMD5 || a == ike.AuthEAPMSCHAPv2
}

// eapIdentity reads an EAP identity as strongSwan does: an identity whose
// data is the EAP identity ("carol", "carol@lab.example", "@carol"); %any
// is kept as such (any identity).
func eapIdentity(v string) string {
	if v == "%any" {
		return v
	}
	if id, err := ike.ParseIdentity(v); err == nil && !id.IsZero() {
		return id.String()
	}
	return v
}

// supportedAuth lists the auth values read.
const supportedAuth = "psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, eap, eap-md5 or eap-mschapv2"

// parseAuth reads an auth value.
func parseAuth(v string) (ike.AuthMethod, error) {
	lv := strings.ToLower(v)
	switch {
	case lv == "psk":
		return ike.AuthPSK, nil
	case lv == "pubkey":
		return ike.AuthPubkey, nil
	case lv == "rsa":
		return ike.AuthRSA, nil
	case lv == "rsa/pss":
		return ike.AuthRSAPSS, nil
	case lv == "ecdsa":
		return ike.AuthECDSA, nil
	case lv == "ed25519":
		return ike.AuthEd25519, nil
	case hasAnyPrefix(lv, "pubkey", "rsa", "ecdsa", "ed25519", "ike:"):
		return 0, fmt.Errorf("unsupported value %q (signature scheme and key strength constraints are not supported: write %s)", v, supportedAuth)
	case hasAnyPrefix(lv, "ed448", "bliss"):
		return 0, fmt.Errorf("unsupported value %q (supported: %s)", v, supportedAuth)
	case lv == "eap":
		return ike.AuthEAP, nil
	case lv == "eap-md5":
		return ike.AuthEAPMD5, nil
	case lv == "eap-mschapv2":
		return ike.AuthEAPMSCHAPv2, nil
	case strings.HasPrefix(lv, "eap"):
		return 0, fmt.Errorf("unsupported value %q (supported: %s; EAP-MD5 and EAP-MSCHAPv2 are the EAP methods implemented)", v, supportedAuth)
	case strings.HasPrefix(lv, "xauth"):
		return 0, fmt.Errorf("unsupported value %q (supported: %s; XAUTH belongs to IKEv1)", v, supportedAuth)
	}
	return 0, fmt.Errorf("unsupported value %q (supported: %s)", v, supportedAuth)
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// child reads children.<name>.
func child(s *section) (*ike.Child, error) {
	ch := &ike.Child{Name: s.name, Mode: ike.Tunnel, StartAction: ike.StartNone}
	vals := map[string]string{"local_ts": "dynamic", "remote_ts": "dynamic", "esp_proposals": "default"}
	keys := map[string]*setting{}
	life := newLifetimes()
	for _, k := range s.keys {
		var err error
		switch k.name {
		case "mode":
			switch k.value {
			case "", "tunnel":
				ch.Mode = ike.Tunnel
			case "transport":
				ch.Mode = ike.Transport
			default:
				err = fmt.Errorf("unsupported value %q (tunnel or transport)", k.value)
			}
		case "local_ts", "remote_ts", "esp_proposals":
			if k.isSet {
				vals[k.name], keys[k.name] = k.value, k
			}
		case "start_action":
			switch k.value {
			case "", "none":
				ch.StartAction = ike.StartNone
			case "start":
				ch.StartAction = ike.StartStart
			case "trap":
				ch.StartAction = ike.StartTrap
			default:
				err = fmt.Errorf("unsupported value %q (none, start or trap)", k.value)
			}
		case "rekey_time", "life_time", "rand_time":
			err = life.duration(k)
		case "rekey_bytes", "life_bytes":
			err = life.count(k, true)
		case "rekey_packets", "life_packets":
			err = life.count(k, false)
		default:
			return nil, childLevel.badKey(s, k)
		}
		if err != nil {
			return nil, valueErr(k, err)
		}
	}
	if len(s.sections) > 0 {
		return nil, childLevel.badSection(s, s.sections[0])
	}
	if err := life.child(ch); err != nil {
		return nil, err
	}
	var err error
	if ch.LocalTS, err = parseTS(vals["local_ts"]); err != nil {
		return nil, defaultErr(s, "local_ts", keys["local_ts"], err)
	}
	if ch.RemoteTS, err = parseTS(vals["remote_ts"]); err != nil {
		return nil, defaultErr(s, "remote_ts", keys["remote_ts"], err)
	}
	if ch.ESPProposals, err = parseProposals(vals["esp_proposals"], true); err != nil {
		return nil, defaultErr(s, "esp_proposals", keys["esp_proposals"], err)
	}
	return ch, nil
}

// eapSecret reads secrets.eap<name>: an EAP password and the EAP
// identities it belongs to.
func eapSecret(s *section) (ike.EAPSecret, error) {
	var sec ike.EAPSecret
	ids, key, err := secretSettings(s, "no secret")
	if err != nil {
		return sec, err
	}
	for _, k := range ids {
		if id := eapIdentity(k.value); id != "%any" && id != "" {
			sec.IDs = append(sec.IDs, id)
		}
	}
	if sec.Secret, err = parseSecret(key.value); err != nil {
		return sec, valueErr(key, err)
	}
	return sec, nil
}

// secretSettings reads the keys of a secrets.<name> section: its id and
// id-<suffix> settings and its secret, which must be there (noSecret says
// so otherwise).
func secretSettings(s *section, noSecret string) (ids []*setting, key *setting, err error) {
	for _, k := range s.keys {
		switch {
		case k.name == "id" || strings.HasPrefix(k.name, "id-"):
			ids = append(ids, k)
		case k.name == "secret":
			key = k
		default:
			return nil, nil, secretLevel.badKey(s, k)
		}
	}
	if len(s.sections) > 0 {
		return nil, nil, secretLevel.badSection(s, s.sections[0])
	}
	if key == nil {
		return nil, nil, errAt(s.pos, s.path, "%s", noSecret)
	}
	return ids, key, nil
}

// secret reads secrets.<name>; IKE pre-shared keys ("ike" sections), EAP
// passwords being eapSecret's.
func secret(s *section) (ike.Secret, error) {
	var sec ike.Secret
	if !strings.HasPrefix(s.name, "ike") {
		return sec, errAt(s.pos, s.path, "secret type %q is not supported (ike sections: pre-shared keys; eap sections: EAP passwords)", s.name)
	}
	ids, key, err := secretSettings(s, "no secret key")
	if err != nil {
		return sec, err
	}
	for _, k := range ids {
		id, err := ike.ParseIdentity(k.value)
		if err != nil {
			return sec, valueErr(k, err)
		}
		if !id.IsZero() {
			sec.IDs = append(sec.IDs, id)
		}
	}
	if sec.Key, err = parseSecret(key.value); err != nil {
		return sec, valueErr(key, err)
	}
	return sec, nil
}
