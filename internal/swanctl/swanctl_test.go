package swanctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The PSK tunnel of ../shared/interop/README.md ("Minimal swanctl.conf"),
// the 192.0.2.1 side, and its mirror, copied here because a user's clone
// has no ../shared.
const labLeft = `connections {
  lab {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256-sha256-ecp256
    local {
      auth = psk
      id = left@lab.example
    }
    remote {
      auth = psk
      id = right@lab.example
    }
    children {
      net {
        mode = tunnel
        local_ts = 198.51.100.1/32
        remote_ts = 198.51.100.2/32
        esp_proposals = aes256-sha256
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = left@lab.example
    id-2 = right@lab.example
    secret = "a-long-random-psk"
  }
}
`

const labRight = `connections {
  lab {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes256-sha256-ecp256
    local {
      auth = psk
      id = right@lab.example
    }
    remote {
      auth = psk
      id = left@lab.example
    }
    children {
      net {
        mode = tunnel
        local_ts = 198.51.100.2/32
        remote_ts = 198.51.100.1/32
        esp_proposals = aes256-sha256
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = left@lab.example
    id-2 = right@lab.example
    secret = "a-long-random-psk"
  }
}
`

func email(s string) ike.Identity { return ike.Identity{Type: wire.ID_RFC822_ADDR, Data: []byte(s)} }

func host(s string) ike.TrafficSelector {
	a := netip.MustParseAddr(s)
	return ike.TrafficSelector{Start: a, End: a, EndPort: 0xffff}
}

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func labConfig(local, remote string, localTS, remoteTS string) *ike.Config {
	return &ike.Config{
		Connections: []*ike.Connection{{
			Name:        "lab",
			LocalAddrs:  []netip.Prefix{prefix(local + "/32")},
			RemoteAddrs: []netip.Prefix{prefix(remote + "/32")},
			LocalPort:   500,
			RemotePort:  500,
			Proposals: []ike.Proposal{{
				Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
				PRF:   []wire.PRFID{wire.PRF_HMAC_SHA2_256},
				Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
				KE:    []wire.KEID{wire.ECP_256},
			}},
			Local:     ike.AuthConfig{Auth: ike.AuthPSK, ID: email(map[string]string{"192.0.2.1": "left@lab.example", "192.0.2.2": "right@lab.example"}[local])},
			Remote:    ike.AuthConfig{Auth: ike.AuthPSK, ID: email(map[string]string{"192.0.2.1": "left@lab.example", "192.0.2.2": "right@lab.example"}[remote])},
			RekeyTime: 4 * time.Hour, OverTime: 24 * time.Minute, RandTime: 24 * time.Minute,
			Children: []*ike.Child{{
				Name:     "net",
				Mode:     ike.Tunnel,
				LocalTS:  []ike.TrafficSelector{host(localTS)},
				RemoteTS: []ike.TrafficSelector{host(remoteTS)},
				ESPProposals: []ike.Proposal{{
					Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
					Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
				}},
				StartAction: ike.StartNone,
				RekeyTime:   time.Hour, LifeTime: 66 * time.Minute, RandTime: 6 * time.Minute,
			}},
		}},
		Secrets: []ike.Secret{{
			IDs: []ike.Identity{email("left@lab.example"), email("right@lab.example")},
			Key: []byte("a-long-random-psk"),
		}},
	}
}

// dump renders a configuration for failure messages.
func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func checkConfig(t *testing.T, got, want *ike.Config) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config mismatch\ngot:  %s\nwant: %s", dump(got), dump(want))
	}
}

func TestInteropConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want *ike.Config
	}{
		{"left", labLeft, labConfig("192.0.2.1", "192.0.2.2", "198.51.100.1", "198.51.100.2")},
		{"right", labRight, labConfig("192.0.2.2", "192.0.2.1", "198.51.100.2", "198.51.100.1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("swanctl.conf", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			checkConfig(t, got, tc.want)
		})
	}
}

func TestDefault(t *testing.T) {
	cfg, text := Default()
	if !bytes.Equal(text, defaultConf) {
		t.Fatal("Default returned other text than the embedded file")
	}
	text[0] = 'X' // a copy: the embedded text stays intact
	if defaultConf[0] != '#' {
		t.Fatal("Default's text aliases the embedded file")
	}
	parsed, err := Parse("default.swanctl.conf", defaultConf)
	if err != nil {
		t.Fatal(err)
	}
	server := email("server@ikev2ref.example")
	want := &ike.Config{
		Connections: []*ike.Connection{{
			Name:       "default",
			LocalAddrs: []netip.Prefix{prefix("127.0.0.1/32")},
			LocalPort:  500,
			RemotePort: 500,
			Proposals: []ike.Proposal{
				{
					Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}},
					PRF:  []wire.PRFID{wire.PRF_HMAC_SHA2_256},
					KE:   []wire.KEID{wire.CURVE25519},
				},
				{
					Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
					PRF:   []wire.PRFID{wire.PRF_HMAC_SHA2_256},
					Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
					KE:    []wire.KEID{wire.ECP_256},
				},
				{
					// What ike-scan 1.9.5 can reach, with --dhgroup=14.
					Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
					PRF:   []wire.PRFID{wire.PRF_HMAC_SHA1},
					Integ: []wire.IntegID{wire.AUTH_HMAC_SHA1_96},
					KE:    []wire.KEID{wire.MODP_2048},
				},
			},
			Local:     ike.AuthConfig{Auth: ike.AuthPSK, ID: server},
			Remote:    ike.AuthConfig{Auth: ike.AuthPSK},
			RekeyTime: 4 * time.Hour, OverTime: 24 * time.Minute, RandTime: 24 * time.Minute,
			Children: []*ike.Child{{
				Name: "net",
				Mode: ike.Tunnel,
				LocalTS: []ike.TrafficSelector{{Start: netip.MustParseAddr("198.51.100.0"),
					End: netip.MustParseAddr("198.51.100.255"), EndPort: 0xffff}},
				RemoteTS: []ike.TrafficSelector{{Dynamic: true, EndPort: 0xffff}},
				ESPProposals: []ike.Proposal{
					{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 128}}},
					{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 256}},
						Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128}},
				},
				RekeyTime: time.Hour, LifeTime: 66 * time.Minute, RandTime: 6 * time.Minute,
			}},
		}},
		// One id: with swanctl's reading of secrets, it applies to any
		// peer that talks to the server identity.
		Secrets: []ike.Secret{{IDs: []ike.Identity{server}, Key: []byte("ikev2ref-default-psk-public-change-me")}},
	}
	checkConfig(t, cfg, want)
	checkConfig(t, parsed, want)
	for _, s := range []string{"ike-scan --ikev2 --dhgroup=14 127.0.0.1", "strongSwan", "public"} {
		if !strings.Contains(string(defaultConf), s) {
			t.Errorf("the default's comment header does not mention %q", s)
		}
	}
}

// withConn puts lines into connection lab, whose local and remote sections
// follow them; the first line is line 3.
func withConn(lines string) string {
	return "connections {\n  lab {\n" + lines + "\n    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n  }\n}\n"
}

// withChild puts lines into child net of connection lab; the first line is
// line 11.
func withChild(lines string) string {
	return withConn("    children {\n      net {\n" + strings.Repeat("\n", 6) + lines + "\n      }\n    }")
}

// authConn is connection lab with the given lines in its local and remote
// sections; the first local line is line 4, the first remote line follows
// the last local line after two lines.
func authConn(local, remote string) string {
	return "connections {\n  lab {\n    local {\n" + local + "\n    }\n    remote {\n" + remote + "\n    }\n  }\n}\n"
}

// withSecret puts lines into secrets.ike-x; the first line is line 3.
func withSecret(lines string) string {
	return "secrets {\n  ike-x {\n" + lines + "\n  }\n}\n"
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		// The settings syntax.
		{"one key per line", authConn("      auth = psk  id = a@b", "      auth = psk"),
			`swanctl: lab.conf:4: connections.lab.local.auth: unsupported value "psk id = a@b" (supported: psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, eap, eap-md5 or eap-mschapv2) (one key = value per line: the rest of the line became this value)`},
		{"missing =", withConn("    proposals aes256-sha256-ecp256"),
			`swanctl: lab.conf:3: connections.lab.proposals: syntax error: expected "=" or "{" after "proposals", found "aes256-sha256-ecp256"`},
		{"name at end of file", "connections",
			`swanctl: lab.conf:1: connections: syntax error: expected "=" or "{" after "connections", found end of file`},
		{"unclosed section", "connections {\n  lab {\n",
			`swanctl: lab.conf:2: connections.lab: section is not closed: "}" missing`},
		{"stray brace", "connections {\n}\n}\n", `swanctl: lab.conf:3: unexpected "}": no section is open`},
		{"lone brace", "connections {\n  {\n}\n", `swanctl: lab.conf:2: connections: syntax error: unexpected "{", expected a name`},
		{"unterminated string", withSecret("    secret = \"abc\n\n"), `swanctl: lab.conf:3: unterminated string`},
		{"string as a name", "\"connections\" {\n}\n", `swanctl: lab.conf:1: unexpected string: quotes belong in values, after "="`},
		{"include in Parse", "include other.conf\n",
			`swanctl: lab.conf:1: include: "other.conf": includes are read only when loading a file (swanctl.Load)`},

		// The top level.
		{"pool without addrs", "pools {\n  p {\n    dns = 192.0.2.53\n  }\n}\n", `swanctl: lab.conf:2: pools.p: a pool needs addrs (a prefix or first-last)`},
		{"pool with bad addrs", "pools {\n  p {\n    addrs = 10.0.0.9-10.0.0.1\n  }\n}\n", `swanctl: lab.conf:3: pools.p.addrs: pool: p: range "10.0.0.9-10.0.0.1": want first-last of one family, first <= last`},
		{"pool with a bad name server", "pools {\n  p {\n    addrs = 10.0.0.0/24\n    dns = resolver\n  }\n}\n", `swanctl: lab.conf:4: pools.p.dns: name server "resolver": ParseAddr("resolver"): unable to parse IP`},
		{"pool netmask", "pools {\n  p {\n    addrs = 10.0.0.0/24\n    netmask = 255.255.255.0\n  }\n}\n", `swanctl: lab.conf:4: pools.p: key "netmask" is not supported by ikev2ref (only addresses and name servers are handed out)`},
		{"unknown pool", withConn("    pools = nowhere"), `swanctl: lab.conf:3: connections.lab.pools: no pool "nowhere" in the pools section`},
		{"bad vips", withConn("    vips = any"), `swanctl: lab.conf:3: connections.lab.vips: virtual IP "any": want an address (0.0.0.0 or :: for any)`},
		{"authorities", "authorities {\n}\n", `swanctl: lab.conf:1: section "authorities" is not supported by ikev2ref`},
		{"unknown section", "conections {\n}\n", `swanctl: lab.conf:1: unknown section "conections" (did you mean "connections"?)`},
		{"top-level key", "\nconnections = lab\n", `swanctl: lab.conf:2: connections: is a section: write connections { ... }`},
		{"key in connections", "connections {\n  lab = x\n}\n",
			`swanctl: lab.conf:2: connections.lab: is a key: connections holds one section per connection`},

		// connections.<name>
		{"unknown key", withConn("    rekey_tyme = 1h"),
			`swanctl: lab.conf:3: connections.lab: unknown key "rekey_tyme" (did you mean "rekey_time"?)`},
		{"unsupported key", withConn("    mobike = no"),
			`swanctl: lab.conf:3: connections.lab: key "mobike" is not supported by ikev2ref`},
		{"IKEv1", withConn("    version = 1"), `swanctl: lab.conf:3: connections.lab.version: IKEv1 is not supported (version = 2 or 0)`},
		{"version 3", withConn("    version = 3"), `swanctl: lab.conf:3: connections.lab.version: unsupported value "3" (2, or 0 for any)`},
		{"hostname", withConn("    remote_addrs = vpn.example.com"),
			`swanctl: lab.conf:3: connections.lab.remote_addrs: "vpn.example.com": hostnames are not supported (ikev2ref does not resolve names): give an address or a prefix`},
		{"address range", withConn("    local_addrs = 192.0.2.1-192.0.2.9"),
			`swanctl: lab.conf:3: connections.lab.local_addrs: "192.0.2.1-192.0.2.9" is not an address, a CIDR prefix or %any`},
		{"%any and more", withConn("    local_addrs = 192.0.2.1, %any"),
			`swanctl: lab.conf:3: connections.lab.local_addrs: %any cannot be combined with other addresses`},
		{"port 0", withConn("    remote_port = 0"), `swanctl: lab.conf:3: connections.lab.remote_port: "0" is not a port from 1 to 65535`},
		{"port too big", withConn("    local_port = 70000"), `swanctl: lab.conf:3: connections.lab.local_port: "70000" is not a port from 1 to 65535`},
		{"bad duration", withConn("    dpd_delay = 30x"),
			`swanctl: lab.conf:3: connections.lab.dpd_delay: "30x" is not a duration (a whole number with s, m, h or d, or seconds)`},
		{"refused transform", withConn("\n    proposals = aes256-sha256-modp1024"),
			`swanctl: lab.conf:4: connections.lab.proposals: proposal "aes256-sha256-modp1024": "modp1024" (MODP_1024) is refused: RFC 8247 section 2.4: SHOULD NOT`},
		{"unknown keyword", withConn("    proposals = aes256-sha265-ecp256"),
			`swanctl: lab.conf:3: connections.lab.proposals: proposal "aes256-sha265-ecp256": unknown keyword "sha265" (did you mean "sha256"?)`},
		{"second local round", withConn("    local-1 {\n      auth = psk\n    }"),
			`swanctl: lab.conf:6: connections.lab.local: a second local authentication round is not supported (local-1 is the first)`},
		{"second remote round", withConn("    remote-2 {\n      auth = psk\n    }"),
			`swanctl: lab.conf:9: connections.lab.remote: a second remote authentication round is not supported (remote-2 is the first)`},
		{"no local", "connections {\n  lab {\n    remote {\n      auth = psk\n    }\n  }\n}\n",
			`swanctl: lab.conf:2: connections.lab: no local section (add local { auth = psk } or local { auth = pubkey; certs = FILE })`},
		{"no remote", "connections {\n  lab {\n    local {\n      auth = psk\n    }\n  }\n}\n",
			`swanctl: lab.conf:2: connections.lab: no remote section (add remote { auth = psk } or remote { auth = pubkey; cacerts = FILE })`},
		{"unknown section", withConn("    chidren {\n    }"),
			`swanctl: lab.conf:3: connections.lab: unknown section "chidren" (did you mean "children"?)`},
		{"local as key", withConn("    local = psk"), `swanctl: lab.conf:3: connections.lab.local: is a section: write local { ... }`},
		{"proposals as section", withConn("    proposals {\n    }"),
			`swanctl: lab.conf:3: connections.lab.proposals: is a key: write proposals = value`},

		// local and remote
		{"signature constraint", "connections {\n  lab {\n    local {\n      auth = pubkey-sha256\n    }\n  }\n}\n",
			`swanctl: lab.conf:4: connections.lab.local.auth: unsupported value "pubkey-sha256" (signature scheme and key strength constraints are not supported: write psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, eap, eap-md5 or eap-mschapv2)`},
		{"pubkey in memory", authConn("      auth = pubkey\n      certs = left.pem", "      auth = psk"),
			`swanctl: lab.conf:5: connections.lab.local.certs: certificates and keys are read from files: use swanctl.Load`},
		{"remote pubkey without CAs in memory", authConn("      auth = psk", "      auth = pubkey"),
			`swanctl: lab.conf:6: connections.lab.remote: auth = pubkey needs trust anchors: cacerts = FILE, pubkeys = FILE, or CA certificates in x509ca/ (no files are read by swanctl.Parse: use swanctl.Load)`},
		{"cacerts in local", authConn("      auth = pubkey\n      cacerts = ca.pem", "      auth = psk"),
			`swanctl: lab.conf:5: connections.lab.local.cacerts: cacerts belongs in a remote section (local signatures need certs and a private key)`},
		{"certs in remote", authConn("      auth = psk", "      auth = pubkey\n      certs = peer.pem"),
			`swanctl: lab.conf:8: connections.lab.remote.certs: a remote certificate to accept as such is not supported: give its CA in cacerts, or its key in pubkeys`},
		{"eap-tls", authConn("      auth = psk", "      auth = eap-tls"),
			`swanctl: lab.conf:7: connections.lab.remote.auth: unsupported value "eap-tls" (supported: psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, eap, eap-md5 or eap-mschapv2; EAP-MD5 and EAP-MSCHAPv2 are the EAP methods implemented)`},
		{"xauth", authConn("      auth = psk", "      auth = xauth"),
			`swanctl: lab.conf:7: connections.lab.remote.auth: unsupported value "xauth" (supported: psk, pubkey, rsa, rsa/pss, ecdsa, ed25519, eap, eap-md5 or eap-mschapv2; XAUTH belongs to IKEv1)`},
		{"no auth: pubkey, as strongSwan", authConn("      id = a@b", "      auth = psk"),
			`swanctl: lab.conf:3: connections.lab.local: auth = pubkey needs certs = FILE (a certificate in x509/ whose private key is in private/, rsa/, ecdsa/ or pkcs8/)`},
		{"certs", authConn("      auth = psk\n      certs = server.pem", "      auth = psk"),
			`swanctl: lab.conf:5: connections.lab.local.certs: certs are for signature authentication, and local has auth = psk`},
		{"empty certs", authConn("      certs =\n      auth = pubkey", "      auth = psk"),
			`swanctl: lab.conf:3: connections.lab.local: auth = pubkey needs certs = FILE (a certificate in x509/ whose private key is in private/, rsa/, ecdsa/ or pkcs8/)`},
		{"bad id", authConn("      auth = psk\n      id = ipv4:nothing", "      auth = psk"),
			`swanctl: lab.conf:5: connections.lab.local.id: ike: identity "ipv4:nothing": ParseAddr("nothing"): unable to parse IP`},
		{"eap_id without EAP", authConn("      auth = psk\n      eap_id = carol", "      auth = psk"),
			`swanctl: lab.conf:5: connections.lab.local.eap_id: eap_id is for auth = eap, eap-md5 or eap-mschapv2, and local has auth = psk`},
		{"aaa_id", withConn("    remote {\n      aaa_id = %any\n    }"),
			`swanctl: lab.conf:4: connections.lab.remote: key "aaa_id" is not supported by ikev2ref (certificate sections, CA constraints, revocation, AAA and XAUTH are not supported)`},
		{"auth as section", withConn("    local {\n      auth {\n      }\n    }"),
			`swanctl: lab.conf:4: connections.lab.local.auth: is a key: write auth = value`},

		// children
		{"key in children", withConn("    children {\n      mode = tunnel\n    }"),
			`swanctl: lab.conf:4: connections.lab.children.mode: is a key: children holds one section per Child SA`},
		{"mode", withChild("        mode = beet"), `swanctl: lab.conf:11: connections.lab.children.net.mode: unsupported value "beet" (tunnel or transport)`},
		{"start_action", withChild("        start_action = route"),
			`swanctl: lab.conf:11: connections.lab.children.net.start_action: unsupported value "route" (none, start or trap)`},
		{"ts", withChild("        local_ts = 10.0.0.0/33"),
			`swanctl: lab.conf:11: connections.lab.children.net.local_ts: traffic selector "10.0.0.0/33": not an address, a CIDR prefix, a range, dynamic or %any`},
		{"ts hostname", withChild("\n        remote_ts = db.example"),
			`swanctl: lab.conf:12: connections.lab.children.net.remote_ts: traffic selector "db.example": hostnames are not supported: give an address, a prefix or a range`},
		{"AEAD with integrity", withChild("        esp_proposals = aes128gcm16-sha256"),
			`swanctl: lab.conf:11: connections.lab.children.net.esp_proposals: proposal "aes128gcm16-sha256": "aes128gcm16" is AEAD and takes no integrity algorithm, got AUTH_HMAC_SHA2_256_128 (RFC 5282 section 8)`},
		{"ah", withChild("        ah_proposals = sha256"),
			`swanctl: lab.conf:11: connections.lab.children.net: key "ah_proposals" is not supported by ikev2ref (AH is refused: ESP protects integrity, with NULL encryption if need be, RFC 8221 section 5)`},
		{"child unknown key", withChild("        esp_proposal = aes256-sha256"),
			`swanctl: lab.conf:11: connections.lab.children.net: unknown key "esp_proposal" (did you mean "esp_proposals"?)`},
		{"child life", withChild("        life_time = 1w"),
			`swanctl: lab.conf:11: connections.lab.children.net.life_time: "1w" is not a duration (a whole number with s, m, h or d, or seconds)`},

		// secrets
		{"eap secret without secret", "secrets {\n  eap-carol {\n    id = carol\n  }\n}\n",
			`swanctl: lab.conf:2: secrets.eap-carol: no secret`},
		{"private key", "secrets {\n\n  private-server {\n  }\n}\n",
			`swanctl: lab.conf:3: secrets.private-server: secret type "private-server" is not supported (ike sections: pre-shared keys; eap sections: EAP passwords)`},
		{"no secret", withSecret("    id = a@b"), `swanctl: lab.conf:2: secrets.ike-x: no secret key`},
		{"empty secret", withSecret("    secret ="), `swanctl: lab.conf:3: secrets.ike-x.secret: empty secret`},
		{"bad hex", withSecret("    secret = 0x12345"),
			`swanctl: lab.conf:3: secrets.ike-x.secret: the value after 0x is not hex: encoding/hex: odd length hex string`},
		{"bad base64", withSecret("    secret = 0s!!!!"),
			`swanctl: lab.conf:3: secrets.ike-x.secret: the value after 0s is not base64: illegal base64 data at input byte 0`},
		{"secret unknown key", withSecret("    secrte = x"),
			`swanctl: lab.conf:3: secrets.ike-x: unknown key "secrte" (did you mean "secret"?)`},
		{"secret bad id", withSecret("    id-peer = \"@#zz\"\n    secret = x"),
			`swanctl: lab.conf:3: secrets.ike-x.id-peer: ike: identity @#zz: KEY_ID needs hex`},
		{"secrets key", "secrets {\n  secret = x\n}\n", `swanctl: lab.conf:2: secrets.secret: is a key: secrets holds one section per secret`},
	} {
		t.Run(tc.name, func(t *testing.T) { checkParseError(t, tc.src, tc.want) })
	}
}

// checkParseError parses src as lab.conf and expects the error want, an
// *Error with the file and a line.
func checkParseError(t *testing.T, src, want string) {
	t.Helper()
	_, err := Parse("lab.conf", []byte(src))
	if err == nil {
		t.Fatalf("no error, want %s", want)
	}
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.File != "lab.conf" || e.Line == 0 {
		t.Errorf("error %#v is not an *Error with file and line", err)
	}
}

func TestOneKeyPerLine(t *testing.T) {
	// strongSwan's reading: a section may open and close on one line, but
	// a value runs to the end of the line (or to a "#" or "}"), so the
	// second setting becomes part of the first one's value.
	const src = "connections {\n  lab {\n    local { auth = psk  id = a@b }\n    remote { auth = psk }\n  }\n}\n"
	_, err := Parse("lab.conf", []byte(src))
	var e *Error
	if !errors.As(err, &e) || e.Line != 3 || e.Key != "connections.lab.local.auth" {
		t.Fatalf("got %v, want an error about connections.lab.local.auth on line 3", err)
	}
	if !strings.Contains(err.Error(), `"psk id = a@b"`) {
		t.Errorf("got %v, want the value strongSwan reads", err)
	}
	// One setting per line, braces on the same line: fine.
	cfg, err := Parse("lab.conf", []byte("connections {\n  lab {\n    local { auth = psk }\n    remote { auth = psk }\n  }\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Connections[0]; c.Local.Auth != ike.AuthPSK || c.Remote.Auth != ike.AuthPSK {
		t.Errorf("got %+v", c)
	}
}

func TestSyntax(t *testing.T) {
	// Everything the settings format allows, in one file.
	const src = `# comment
connections
{
  lab {   # comment after a brace
    remote_addrs = 192.0.2.2 # a comment ends the value
    local { auth = psk }
    remote { auth = psk }
  }
}
connections {
  lab {
    # A section given twice is one section; a key given twice keeps its
    # last value.
    remote_addrs = 192.0.2.3
    children {
      net { esp_proposals = aes256-sha256 }
    }
  }
  other {
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
}
secrets {
  ike-1 {
    secret = "quoted # not a comment } \"escaped\" \\ \t\n
second line \
joined"
  }
  ike-2 {
    secret = two   words
  }
}
`
	cfg, err := Parse("syntax.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Connections) != 2 || cfg.Connections[0].Name != "lab" || cfg.Connections[1].Name != "other" {
		t.Fatalf("connections: %s", dump(cfg.Connections))
	}
	lab := cfg.Connections[0]
	if want := []netip.Prefix{prefix("192.0.2.3/32")}; !reflect.DeepEqual(lab.RemoteAddrs, want) {
		t.Errorf("remote_addrs %v, want %v", lab.RemoteAddrs, want)
	}
	if len(lab.Children) != 1 || lab.Local.Auth != ike.AuthPSK {
		t.Errorf("lab: %s", dump(lab))
	}
	if got, want := string(cfg.Secrets[0].Key), "quoted # not a comment } \"escaped\" \\ \t\n\nsecond line joined"; got != want {
		t.Errorf("quoted secret %q, want %q", got, want)
	}
	if got, want := string(cfg.Secrets[1].Key), "two words"; got != want {
		t.Errorf("unquoted secret %q, want %q", got, want)
	}

	// Line numbers stay right after a string that spans lines.
	_, err = Parse("lines.conf", []byte("secrets {\n  ike {\n    secret = \"a\nb\\\nc\"\n    bogus = 1\n  }\n}\n"))
	var e *Error
	if !errors.As(err, &e) || e.Line != 6 {
		t.Errorf("got %v, want an error on line 6", err)
	}

	// A key named include is a key, not the directive.
	_, err = Parse("inc.conf", []byte("connections {\n  include = x\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "inc.conf:2: connections.include: is a key") {
		t.Errorf("got %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// strongSwan's layout: swanctl.conf includes conf.d/*.conf, and a
	// secrets file beside it.
	main := write("swanctl.conf", "include conf.d/*.conf\nsecrets {\n  include secrets.inc\n}\n")
	write("conf.d/a.conf", strings.Replace(labLeft[:strings.Index(labLeft, "secrets {")], "lab", "a", 1))
	write("conf.d/b.conf", strings.Replace(labRight[:strings.Index(labRight, "secrets {")], "lab", "b", 1))
	write("secrets.inc", "ike-lab {\n  id-1 = left@lab.example\n  id-2 = right@lab.example\n  secret = \"a-long-random-psk\"\n}\n")
	cfg, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	want := labConfig("192.0.2.1", "192.0.2.2", "198.51.100.1", "198.51.100.2")
	right := labConfig("192.0.2.2", "192.0.2.1", "198.51.100.2", "198.51.100.1")
	want.Connections[0].Name, right.Connections[0].Name = "a", "b"
	want.Connections = append(want.Connections, right.Connections...)
	checkConfig(t, cfg, want)

	// Errors name the included file and its line.
	bad := write("bad.conf", "connections {\n  include \"sub dir/x.conf\"\n}\n")
	write("sub dir/x.conf", "lab {\n  bogus = 1\n}\n")
	_, err = Load(bad)
	if want := "swanctl: " + filepath.Join(dir, "sub dir/x.conf") + `:2: connections.lab: unknown key "bogus"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}

	// A missing file is an error; an empty glob is not.
	missing := write("missing.conf", "include nothere.conf\n")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "missing.conf:1: include: \""+filepath.Join(dir, "nothere.conf")+"\": no such file") {
		t.Errorf("got %v", err)
	}
	empty := write("empty.conf", "include none.d/*.conf\n")
	if cfg, err := Load(empty); err != nil || len(cfg.Connections) != 0 {
		t.Errorf("got %v, %v", cfg, err)
	}

	// A file that includes itself stops at the depth bound.
	loop := write("loop.conf", "include loop.conf\n")
	if _, err := Load(loop); err == nil || !strings.Contains(err.Error(), "more than 8 nested includes") {
		t.Errorf("got %v", err)
	}

	if _, err := Load(filepath.Join(dir, "absent.conf")); err == nil || !strings.HasPrefix(err.Error(), "swanctl: open ") {
		t.Errorf("got %v", err)
	}
}

func TestConnectionValues(t *testing.T) {
	src := withConn(`    version = 0
    local_addrs = 192.0.2.0/24, 2001:db8::1
    remote_addrs = %any4, %any6
    local_port = 4500
    remote_port = 4501
    dpd_delay = 30s
    rekey_time = 4h
    proposals = aes128-sha256-x25519, default`)
	cfg, err := Parse("lab.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Connections[0]
	defIKE, _ := parseProposals(defaultIKE, false)
	want := &ike.Connection{
		Name:        "lab",
		LocalAddrs:  []netip.Prefix{prefix("192.0.2.0/24"), prefix("2001:db8::1/128")},
		RemoteAddrs: []netip.Prefix{prefix("0.0.0.0/0"), prefix("::/0")},
		LocalPort:   4500,
		RemotePort:  4501,
		Proposals: append([]ike.Proposal{{
			Encr:  []ike.EncrAlg{{ID: wire.ENCR_AES_CBC, KeyBits: 128}},
			PRF:   []wire.PRFID{wire.PRF_HMAC_SHA2_256},
			Integ: []wire.IntegID{wire.AUTH_HMAC_SHA2_256_128},
			KE:    []wire.KEID{wire.CURVE25519},
		}}, defIKE...),
		Local:     ike.AuthConfig{Auth: ike.AuthPSK},
		Remote:    ike.AuthConfig{Auth: ike.AuthPSK},
		DPDDelay:  30 * time.Second,
		RekeyTime: 4 * time.Hour,
		OverTime:  24 * time.Minute,
		RandTime:  24 * time.Minute,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %s\nwant %s", dump(c), dump(want))
	}

	// Defaults.
	cfg, err = Parse("lab.conf", []byte(withChild("")))
	if err != nil {
		t.Fatal(err)
	}
	c = cfg.Connections[0]
	esp, _ := parseProposals(defaultESP, true)
	wantChild := &ike.Child{Name: "net", Mode: ike.Tunnel,
		LocalTS:      []ike.TrafficSelector{{Dynamic: true, EndPort: 0xffff}},
		RemoteTS:     []ike.TrafficSelector{{Dynamic: true, EndPort: 0xffff}},
		ESPProposals: esp,
		RekeyTime:    time.Hour, LifeTime: 66 * time.Minute, RandTime: 6 * time.Minute}
	if c.LocalPort != 500 || c.RemotePort != 500 || c.LocalAddrs != nil || c.RemoteAddrs != nil ||
		!reflect.DeepEqual(c.Proposals, defIKE) || !reflect.DeepEqual(c.Children[0], wantChild) {
		t.Errorf("defaults: %s", dump(c))
	}

	// Child values.
	cfg, err = Parse("lab.conf", []byte(withChild(`        mode = transport
        start_action = trap
        rekey_time = 1h
        life_time = 66m
        local_ts = 192.0.2.1[tcp/443]
        esp_proposals = aes256gcm16-modp2048-esn`)))
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Connections[0].Children[0]
	wantChild = &ike.Child{Name: "net", Mode: ike.Transport, StartAction: ike.StartTrap,
		RekeyTime: time.Hour, LifeTime: 66 * time.Minute, RandTime: 6 * time.Minute,
		LocalTS:  []ike.TrafficSelector{{Start: netip.MustParseAddr("192.0.2.1"), End: netip.MustParseAddr("192.0.2.1"), Protocol: 6, StartPort: 443, EndPort: 443}},
		RemoteTS: []ike.TrafficSelector{{Dynamic: true, EndPort: 0xffff}},
		ESPProposals: []ike.Proposal{{Encr: []ike.EncrAlg{{ID: wire.ENCR_AES_GCM_16, KeyBits: 256}},
			KE: []wire.KEID{wire.MODP_2048}, ESN: []wire.ESNID{wire.ESN}}},
	}
	if !reflect.DeepEqual(ch, wantChild) {
		t.Errorf("got  %s\nwant %s", dump(ch), dump(wantChild))
	}
	for _, sa := range []string{"none", "start"} {
		cfg, err := Parse("lab.conf", []byte(withChild("        start_action = "+sa)))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Connections[0].Children[0].StartAction; got != map[string]ike.StartAction{"none": ike.StartNone, "start": ike.StartStart}[sa] {
			t.Errorf("start_action = %s: got %v", sa, got)
		}
	}
}

// TestPoolsAndVIPs: swanctl's pools section and a connection's pools and
// vips keys (RFC 7296 section 2.19), wherever the pools are defined.
func TestPoolsAndVIPs(t *testing.T) {
	src := withConn("    pools = v4, v6\n    vips = 0.0.0.0, 2001:db8::7") + `pools {
  v4 {
    addrs = 203.0.113.0/28
    dns = 192.0.2.53, 2001:db8::53
  }
  v6 {
    addrs = 2001:db8:1::10-2001:db8:1::1f
  }
}
`
	cfg, err := Parse("lab.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Connections[0]
	if len(c.Pools) != 2 || c.Pools[0].Name != "v4" || !c.Pools[0].Is4() || c.Pools[1].Is4() || len(c.Pools[0].DNS) != 2 {
		t.Errorf("pools: %v", c.Pools)
	}
	if len(c.VIPs) != 2 || c.VIPs[0].String() != "0.0.0.0" || c.VIPs[1].String() != "2001:db8::7" {
		t.Errorf("vips: %v", c.VIPs)
	}
	if a, err := c.Pools[1].Acquire("x", netip.Addr{}); err != nil || a.String() != "2001:db8:1::10" {
		t.Errorf("v6 pool: %v %v", a, err)
	}
}
