package interop

import (
	"cmp"
	"fmt"
	"strings"
)

// Conn is one end's connection, written as swanctl.conf for charon and for
// the refserver alike (the refserver reads a subset of swanctl.conf: the
// keys below and nothing else). One key per line: swanctl.conf does not
// allow two on one line.
type Conn struct {
	Name                  string // connection name; "lab" if empty
	LocalAddr, RemoteAddr string
	LocalID, RemoteID     string
	Proposals             string // IKE proposals, strongSwan notation; comma separates proposals
	DPDDelay              string // e.g. "5s"; empty: no liveness checks
	Child                 string // child name; "net" if empty
	LocalTS, RemoteTS     string
	ESPProposals          string
	Mode                  string // Child SA mode: "tunnel" if empty, or "transport"
	// VIPs asks for virtual IPs ("0.0.0.0"); PoolAddrs, when set, defines
	// the pool "vpn" (addrs) that the connection hands addresses out of.
	VIPs, PoolAddrs string
	// Lifetimes in swanctl.conf's notation ("20s"); empty: the defaults.
	IKERekeyTime, IKERandTime                    string
	ChildRekeyTime, ChildLifeTime, ChildRandTime string
	StartAction                                  string // empty: none
	// PSK is shared between LocalID and RemoteID (a secrets ike-<name> entry);
	// empty: no secrets section.
	PSK string
	// Signature authentication instead of the PSK: the auth values of the
	// two ends ("pubkey", "rsa/pss", "ecdsa"; empty: "psk"), LocalCert (a
	// file in x509/, its key in private/), RemoteCACerts (files in x509ca/;
	// empty: every CA certificate there).
	LocalAuth, RemoteAuth string
	LocalCert             string
	RemoteCACerts         string
	// EAP (RFC 7296 section 2.16; eap_test.go): the eap_id of each end
	// (empty: none written), and an EAP password (a secrets eap-<name>
	// entry for EAPSecretID; empty: none).
	LocalEAPID, RemoteEAPID string
	EAPSecretID, EAPSecret  string
}

// quoteID quotes an identity that swanctl.conf would otherwise cut short:
// "#" starts a comment ("@#hex" KEY_IDs).
func quoteID(id string) string {
	if strings.ContainsAny(id, "#\"") {
		return fmt.Sprintf("%q", id)
	}
	return id
}

// ConnName is the connection's name with its default.
func (c Conn) ConnName() string {
	if c.Name == "" {
		return "lab"
	}
	return c.Name
}

// ChildName is the child's name with its default.
func (c Conn) ChildName() string {
	if c.Child == "" {
		return "net"
	}
	return c.Child
}

// SwanctlConf renders the connection and its secret as swanctl.conf.
func (c Conn) SwanctlConf() string {
	var b strings.Builder
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	w(0, "connections {")
	w(1, "%s {", c.ConnName())
	w(2, "version = 2")
	w(2, "local_addrs = %s", c.LocalAddr)
	w(2, "remote_addrs = %s", c.RemoteAddr)
	w(2, "proposals = %s", c.Proposals)
	if c.DPDDelay != "" {
		w(2, "dpd_delay = %s", c.DPDDelay)
	}
	if c.VIPs != "" {
		w(2, "vips = %s", c.VIPs)
	}
	if c.PoolAddrs != "" {
		w(2, "pools = vpn")
	}
	for _, kv := range [][2]string{{"rekey_time", c.IKERekeyTime}, {"rand_time", c.IKERandTime}} {
		if kv[1] != "" {
			w(2, "%s = %s", kv[0], kv[1])
		}
	}
	w(2, "local {")
	w(3, "auth = %s", cmp.Or(c.LocalAuth, "psk"))
	if c.LocalCert != "" {
		w(3, "certs = %s", c.LocalCert)
	}
	w(3, "id = %s", quoteID(c.LocalID))
	if c.LocalEAPID != "" {
		w(3, "eap_id = %s", quoteID(c.LocalEAPID))
	}
	w(2, "}")
	w(2, "remote {")
	w(3, "auth = %s", cmp.Or(c.RemoteAuth, "psk"))
	if c.RemoteCACerts != "" {
		w(3, "cacerts = %s", c.RemoteCACerts)
	}
	w(3, "id = %s", quoteID(c.RemoteID))
	if c.RemoteEAPID != "" {
		w(3, "eap_id = %s", quoteID(c.RemoteEAPID))
	}
	w(2, "}")
	w(2, "children {")
	w(3, "%s {", c.ChildName())
	mode := c.Mode
	if mode == "" {
		mode = "tunnel"
	}
	w(4, "mode = %s", mode)
	w(4, "local_ts = %s", c.LocalTS)
	w(4, "remote_ts = %s", c.RemoteTS)
	w(4, "esp_proposals = %s", c.ESPProposals)
	for _, kv := range [][2]string{{"rekey_time", c.ChildRekeyTime}, {"life_time", c.ChildLifeTime}, {"rand_time", c.ChildRandTime}} {
		if kv[1] != "" {
			w(4, "%s = %s", kv[0], kv[1])
		}
	}
	if c.StartAction != "" {
		w(4, "start_action = %s", c.StartAction)
	}
	w(3, "}")
	w(2, "}")
	w(1, "}")
	w(0, "}")
	if c.PoolAddrs != "" {
		w(0, "pools {")
		w(1, "vpn {")
		w(2, "addrs = %s", c.PoolAddrs)
		w(1, "}")
		w(0, "}")
	}
	if c.PSK == "" && c.EAPSecret == "" {
		return b.String()
	}
	w(0, "secrets {")
	if c.PSK != "" {
		w(1, "ike-%s {", c.ConnName())
		w(2, "id-1 = %s", quoteID(c.LocalID))
		w(2, "id-2 = %s", quoteID(c.RemoteID))
		w(2, "secret = %q", c.PSK)
		w(1, "}")
	}
	if c.EAPSecret != "" {
		w(1, "eap-%s {", c.ConnName())
		w(2, "id = %s", quoteID(c.EAPSecretID))
		w(2, "secret = %q", c.EAPSecret)
		w(1, "}")
	}
	w(0, "}")
	return b.String()
}

// CharonPlugins is charon's plugin list: kernel-libipsec before
// kernel-netlink (the first kernel-ipsec backend loaded wins: userspace ESP
// over TUN, netlink then only handles addresses and routes), counters for
// `swanctl --counters`; eap-identity, eap-md5 and eap-mschapv2 (with
// MD5, and MD4 and DES from openssl, its legacy provider) for
// EAP (eap_test.go).
const CharonPlugins = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints md5 eap-identity eap-md5 eap-mschapv2 curve25519 aes sha1 sha2 hmac gcm chapoly gmp kdf kernel-libipsec kernel-netlink socket-default vici counters"

// CharonOptions is what differs between the harness's charon instances.
type CharonOptions struct {
	// Dir holds the instance: strongswan.conf, swanctl.conf, charon.log,
	// the vici socket charon.vici and run/ (bind-mounted over /run).
	Dir string
	// Retransmission (strongswan.conf charon.retransmit_*): zero values
	// leave timeout and base at charon's defaults; tries defaults to 3.
	RetransmitTimeout float64 // seconds
	RetransmitBase    float64
	RetransmitTries   int
	// LogKeys raises the ike and chd log levels to 4, where charon dumps
	// its IKE and ESP keys (Debian's strongSwan has no save-keys plugin).
	LogKeys bool
	// CookieThreshold is charon.cookie_threshold (half-open IKE SAs above
	// which the responder asks for cookies); 0 leaves charon's default.
	CookieThreshold int
	// Quiet logs errors only (the load benchmark: charon's per-message
	// lines would cost it time that refserver, at --log-level warn, saves).
	Quiet bool
	// Extra lines go into the charon { } section as they are.
	Extra string
}

// VICI is the instance's vici socket as a swanctl --uri.
func (o CharonOptions) VICI() string { return "unix://" + o.Dir + "/charon.vici" }

// StrongswanConf renders the instance's strongswan.conf.
func (o CharonOptions) StrongswanConf() string {
	tries := o.RetransmitTries
	if tries == 0 {
		tries = 3
	}
	ike, chd, def := 2, 2, 1
	if o.LogKeys {
		ike, chd = 4, 4
	}
	if o.Quiet {
		ike, chd, def = 0, 0, 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, `charon {
  load_modular = no
  load = %s
  port = 500
  port_nat_t = 4500
  install_routes = yes
  retransmit_tries = %d
`, CharonPlugins, tries)
	if o.RetransmitTimeout > 0 {
		fmt.Fprintf(&b, "  retransmit_timeout = %g\n", o.RetransmitTimeout)
	}
	if o.RetransmitBase > 0 {
		fmt.Fprintf(&b, "  retransmit_base = %g\n", o.RetransmitBase)
	}
	if o.CookieThreshold > 0 {
		fmt.Fprintf(&b, "  cookie_threshold = %d\n", o.CookieThreshold)
	}
	b.WriteString(o.Extra)
	fmt.Fprintf(&b, `  filelog {
    main {
      path = %[1]s/charon.log
      time_format = %%T
      append = no
      flush_line = yes
      default = %[4]d
      ike = %[2]d
      chd = %[3]d
      cfg = %[5]d
      knl = %[5]d
      net = %[4]d
      enc = %[4]d
    }
  }
  syslog {
    daemon {
      default = -1
    }
    auth {
      default = -1
    }
  }
  plugins {
    vici {
      socket = unix://%[1]s/charon.vici
    }
  }
}
swanctl {
  socket = unix://%[1]s/charon.vici
}
`, o.Dir, ike, chd, def, max(def, 2*def))
	return b.String()
}
