package ike

import (
	gocrypto "crypto"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/auth"
	"github.com/ikev2ref/ikev2ref/impl/pool"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Config is everything the engine is told. cmd/refserver builds it from a
// swanctl.conf; tests build it directly.
type Config struct {
	Connections []*Connection
	// Secrets holds the pre-shared keys (the swanctl.conf `secrets` section).
	Secrets []Secret
	// EAPSecrets holds the EAP passwords (swanctl.conf `secrets { eap-NAME
	// { id = ...; secret = ... } }`): an EAP client's own, an EAP server's
	// for each identity it authenticates (eap.go).
	EAPSecrets []EAPSecret

	// Retransmission of our requests (RFC 7296 section 2.1 and RFC7296-2.4-8:
	// the interval grows exponentially): the first retransmission after
	// RetransmitTimeout, then each interval multiplied by RetransmitBase, at
	// most RetransmitTries retransmissions; the IKE SA is given up after the
	// last interval passes unanswered. Zero values take the defaults, which
	// are strongSwan's (4 s, 1.8, 5 tries).
	RetransmitTimeout time.Duration
	RetransmitBase    float64
	RetransmitTries   int

	// Cookies (RFC 7296 section 2.6). Above CookieThreshold half-open IKE
	// SAs the responder answers IKE_SA_INIT requests that lack a valid
	// cookie with N(COOKIE) and keeps no state; ForceCookies does so always.
	// The secret behind the cookies is replaced every CookieSecretLifetime and
	// the previous one is still accepted (RFC7296-2.6-5).
	CookieThreshold      int
	ForceCookies         bool
	CookieSecretLifetime time.Duration
	// HalfOpenTimeout is how long a responder keeps an IKE SA that never
	// saw IKE_AUTH.
	HalfOpenTimeout time.Duration

	// IKEPort and NATTPort are the local ports the driver listens on for IKE
	// (default 500) and for NAT traversal (default 4500, RFC 7296 section
	// 2.23). An initiator that detects a NAT moves to NATTPort.
	IKEPort, NATTPort uint16

	// NATKeepalive is the interval of NAT keepalives sent by an end that is
	// behind a NAT (RFC 3948 section 2.3); zero takes the default 20 s.
	NATKeepalive time.Duration

	// IKE fragmentation (RFC 7383, frag.go). FragmentSize is the largest IP
	// datagram of an IKE message we send: a larger protected message goes
	// out in fragments when both ends support them. Zero takes 1280
	// (strongSwan's charon.fragment_size); a negative value takes what RFC
	// 7383 section 2.5.1 recommends per address family (576 octets for
	// IPv4, 1280 for IPv6). MaxFragments and MaxReassembly bound a message
	// we reassemble: its Total Fragments and the sum of its decrypted
	// contents (RFC7383-5-1; zero: 128 fragments, 64 KiB); a peer that
	// exceeds them loses its IKE SA (RFC7383-5-2). FragmentTimeout is how
	// long an incomplete set is kept (RFC7383-2.6-5; zero: as long as
	// our retransmissions of a request last, RFC7383-2.6-6).
	FragmentSize    int
	MaxFragments    int
	MaxReassembly   int
	FragmentTimeout time.Duration

	// Rand is the source of SPIs, nonces, key exchange secrets and IVs
	// (nil: crypto/rand). Tests inject a deterministic reader.
	Rand io.Reader
	// Logger receives one line per message sent or parsed and the reason
	// for every refusal (nil: no logging).
	Logger hclog.Logger

	// Impair lists deliberate protocol faults in the messages the engine
	// sends (impair.go), for conformance suites that must see their judges
	// fail. Empty in normal operation; Engine.SetImpairments replaces it.
	Impair []Impairment
}

// Connection is one swanctl.conf `connections` entry: how to reach a peer,
// which IKE proposals to offer or accept, how each end authenticates, and
// the Child SAs to negotiate.
type Connection struct {
	Name string
	// LocalAddrs and RemoteAddrs restrict the addresses of the IKE SA; an
	// empty list means any (%any). The first remote address is where an
	// initiation goes.
	LocalAddrs  []netip.Prefix
	RemoteAddrs []netip.Prefix
	// LocalPort and RemotePort default to 500 (RFC 7296 section 2).
	LocalPort, RemotePort uint16
	// Proposals are offered (initiator) or accepted (responder) in order
	// of preference.
	Proposals []Proposal
	Local     AuthConfig
	Remote    AuthConfig
	Children  []*Child
	// DPDDelay is the liveness check interval: an empty INFORMATIONAL is
	// sent when nothing was received for that long (RFC 7296 section 2.4).
	// Zero disables liveness checks.
	DPDDelay time.Duration
	// RekeyTime is when the IKE SA is rekeyed (RFC 7296 section 2.8),
	// minus a random part of up to RandTime so that the two ends do not
	// start at the same moment (RFC7296-2.8.1-1); the IKE SA is deleted if
	// it is still not rekeyed RekeyTime + OverTime after its creation. Zero
	// RekeyTime: never rekeyed by time.
	RekeyTime, OverTime, RandTime time.Duration
	// VIPs are the virtual IPs the initiator asks for (swanctl's vips;
	// 0.0.0.0 or :: for any), Pools the responder's address pools (RFC
	// 7296 section 2.19).
	VIPs  []netip.Addr
	Pools []*pool.Pool
	// Fragmentation is swanctl.conf's fragmentation (RFC 7383; the zero
	// value is strongSwan's default, yes).
	Fragmentation Fragmentation
}

// AuthMethod is how one end proves its identity.
type AuthMethod uint8

const (
	AuthPSK AuthMethod = iota + 1 // shared key message integrity code (RFC 7296 section 2.15)
	// Signatures (RFC 7296 sections 2.15 and 3.8, RFC 4754, RFC 7427;
	// pubkey.go), named as swanctl.conf's auth values: any key type, or
	// only RSA keys, RSA keys with RSASSA-PSS (the local end signs with
	// it, the remote end must), ECDSA keys, Ed25519 keys.
	AuthPubkey
	AuthRSA
	AuthRSAPSS
	AuthECDSA
	AuthEd25519
	// EAP (RFC 7296 section 2.16; eap.go), named as swanctl.conf's auth
	// values: any method this implementation runs (MSCHAPv2 first), or
	// only EAP-MD5, or only EAP-MSCHAPv2. Only the initiator
	// authenticates with EAP; the responder signs (RFC7296-2.16-1).
	AuthEAP
	AuthEAPMD5
	AuthEAPMSCHAPv2
)

func (a AuthMethod) String() string {
	switch a {
	case AuthPSK:
		return "psk"
	case AuthPubkey:
		return "pubkey"
	case AuthRSA:
		return "rsa"
	case AuthRSAPSS:
		return "rsa/pss"
	case AuthECDSA:
		return "ecdsa"
	case AuthEd25519:
		return "ed25519"
	case AuthEAP:
		return "eap"
	case AuthEAPMD5:
		return "eap-md5"
	case AuthEAPMSCHAPv2:
		return "eap-mschapv2"
	}
	return fmt.Sprintf("auth(%d)", a)
}

// AuthConfig is a swanctl.conf `local` or `remote` section.
type AuthConfig struct {
	Auth AuthMethod
	// ID is this end's identity. For the remote end an empty ID (IDType 0)
	// accepts any identity for which a secret exists, or that its
	// certificate names.
	ID Identity

	// Signature authentication (Auth other than AuthPSK; pubkey.go).
	// Local end: Certs is our chain, end entity first, then intermediates
	// (DER; sent as CERT payloads, RFC 7296 section 3.6), and PrivateKey
	// signs our AUTH payload (its public key is the end entity's). Remote
	// end: CACerts are the trust anchors (DER; named in our CERTREQ, RFC
	// 7296 section 3.7) that the peer's chain must lead to; Pubkeys are
	// raw public keys accepted without a certificate (swanctl pubkeys).
	Certs      [][]byte
	CACerts    [][]byte
	PrivateKey gocrypto.Signer
	Pubkeys    []gocrypto.PublicKey

	// EAPID is the EAP identity (swanctl.conf eap_id, RFC 3748 section
	// 5.1). Local end (an EAP client): the identity we answer the
	// Identity Request with (empty: the IKE identity as String renders
	// it). Remote end (an EAP server): the identity the peer must give
	// (empty or "%any": any identity with an EAP secret).
	EAPID string
}

// Identity is an IKE identity: the ID Type and the data of an IDi/IDr
// payload (RFC 7296 section 3.5).
type Identity struct {
	Type wire.IDType
	Data []byte
}

// IsZero reports whether no identity is set.
func (id Identity) IsZero() bool { return id.Type == 0 }

// Equal compares type and data.
func (id Identity) Equal(o Identity) bool {
	return id.Type == o.Type && string(id.Data) == string(o.Data)
}

// String renders the identity as strongSwan does: an address, a name, an
// email address, or "@#hex" for a KEY_ID.
func (id Identity) String() string {
	switch id.Type {
	case wire.ID_IPV4_ADDR, wire.ID_IPV6_ADDR:
		if a, ok := netip.AddrFromSlice(id.Data); ok {
			return a.String()
		}
	case wire.ID_FQDN, wire.ID_RFC822_ADDR:
		return string(id.Data)
	case wire.ID_KEY_ID:
		return fmt.Sprintf("@#%x", id.Data)
	case wire.ID_DER_ASN1_DN:
		return auth.FormatDN(id.Data)
	case 0:
		return "%any"
	}
	return fmt.Sprintf("%v:%x", id.Type, id.Data)
}

// ParseIdentity reads an identity the way strongSwan's swanctl.conf writes
// them: an IPv4 or IPv6 address (ID_IPV4_ADDR, ID_IPV6_ADDR), "@#hex"
// (ID_KEY_ID), "@name" or a name with dots (ID_FQDN), "user@domain"
// (ID_RFC822_ADDR), "C=CH, O=lab, CN=moon" (ID_DER_ASN1_DN, see
// auth.ParseDN), and "%any" (no constraint). An explicit type prefix is
// accepted too: "fqdn:", "email:" / "rfc822:", "keyid:" (hex after "#" or
// the raw string), "ipv4:", "ipv6:", "asn1dn:".
func ParseIdentity(s string) (Identity, error) {
	if s == "" || s == "%any" {
		return Identity{}, nil
	}
	if t, v, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(t) {
		case "fqdn":
			return Identity{wire.ID_FQDN, []byte(v)}, nil
		case "email", "rfc822", "userfqdn":
			return Identity{wire.ID_RFC822_ADDR, []byte(v)}, nil
		case "keyid":
			if h, ok := strings.CutPrefix(v, "#"); ok {
				return parseKeyID(h)
			}
			return Identity{wire.ID_KEY_ID, []byte(v)}, nil
		case "ipv4", "ipv6":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return Identity{}, fmt.Errorf("ike: identity %q: %w", s, err)
			}
			return addrIdentity(a), nil
		case "asn1dn":
			dn, err := auth.ParseDN(v)
			if err != nil {
				return Identity{}, fmt.Errorf("ike: identity %q: %w", s, err)
			}
			return Identity{wire.ID_DER_ASN1_DN, dn}, nil
		}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return addrIdentity(a), nil
	}
	// strongSwan reads a string with "=" as a distinguished name first.
	if strings.Contains(s, "=") {
		if dn, err := auth.ParseDN(s); err == nil {
			return Identity{wire.ID_DER_ASN1_DN, dn}, nil
		}
	}
	if h, ok := strings.CutPrefix(s, "@#"); ok {
		return parseKeyID(h)
	}
	if n, ok := strings.CutPrefix(s, "@"); ok {
		return Identity{wire.ID_FQDN, []byte(n)}, nil
	}
	if strings.Contains(s, "@") {
		return Identity{wire.ID_RFC822_ADDR, []byte(s)}, nil
	}
	return Identity{wire.ID_FQDN, []byte(s)}, nil
}

func addrIdentity(a netip.Addr) Identity {
	a = a.Unmap()
	if a.Is4() {
		return Identity{wire.ID_IPV4_ADDR, a.AsSlice()}
	}
	return Identity{wire.ID_IPV6_ADDR, a.AsSlice()}
}

func parseKeyID(h string) (Identity, error) {
	var b []byte
	if _, err := fmt.Sscanf(h, "%x", &b); err != nil || len(b) == 0 {
		return Identity{}, fmt.Errorf("ike: identity @#%s: KEY_ID needs hex", h)
	}
	return Identity{wire.ID_KEY_ID, b}, nil
}

// Secret is a pre-shared key and the identities it is shared between (a
// swanctl.conf `secrets { ike-... { id-N = ...; secret = ... } }` entry). An
// entry without IDs matches any identity.
type Secret struct {
	IDs []Identity
	Key []byte
}

// EAPSecret is an EAP password and the EAP identities it belongs to (a
// swanctl.conf `secrets { eap-NAME { id = ...; secret = ... } }` entry). An
// entry without IDs matches any identity.
type EAPSecret struct {
	IDs    []string
	Secret []byte
}

// Mode is a Child SA's IPsec mode.
type Mode uint8

const (
	Tunnel Mode = iota
	Transport
)

func (m Mode) String() string { return [...]string{"TUNNEL", "TRANSPORT"}[m] }

// StartAction is what the engine does with a Child SA's connection when it
// is loaded (swanctl.conf start_action).
type StartAction uint8

const (
	StartNone  StartAction = iota
	StartStart             // initiate at once
	StartTrap              // initiate on traffic (needs the data plane: issue 4)
)

// Child is one swanctl.conf `children` entry.
type Child struct {
	Name         string
	Mode         Mode
	LocalTS      []TrafficSelector
	RemoteTS     []TrafficSelector
	ESPProposals []Proposal
	StartAction  StartAction
	// Lifetimes (RFC 7296 section 2.8; swanctl.conf's names): the Child SA
	// is rekeyed after RekeyTime minus a random part of up to RandTime, or
	// when either of its SAs has carried RekeyBytes octets or RekeyPackets
	// packets, and deleted at LifeTime, LifeBytes, LifePackets if not
	// rekeyed by then. Zero: no limit of that kind.
	RekeyTime, LifeTime, RandTime time.Duration
	RekeyBytes, LifeBytes         uint64
	RekeyPackets, LifePackets     uint64
}

// TrafficSelector is an address range with an IP protocol and a port range
// (RFC 7296 section 3.13.1). strongSwan's "10.0.0.0/24[tcp/80]" notation is
// parsed by cmd/refserver.
type TrafficSelector struct {
	// Dynamic stands for the IKE SA's own address at that end (swanctl's
	// "dynamic", the default): it is resolved when the IKE SA exists.
	Dynamic            bool
	Start, End         netip.Addr
	Protocol           uint8
	StartPort, EndPort uint16
}

// Proposal is one proposal: for each transform type, the acceptable
// transforms in order of preference. strongSwan's "aes256-sha256-ecp256"
// notation is parsed by cmd/refserver.
type Proposal struct {
	Encr  []EncrAlg
	PRF   []wire.PRFID
	Integ []wire.IntegID
	KE    []wire.KEID
	ESN   []wire.ESNID // ESP only; empty means NoESN
}

// EncrAlg is an encryption transform with its key length in bits (0 for
// fixed-key transforms, RFC7296-3.3.5-4).
type EncrAlg struct {
	ID      wire.EncrID
	KeyBits uint16
}
