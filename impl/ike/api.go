package ike

import (
	"net/netip"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Datagram is an IKE message as it arrived: on which local address and port,
// from where, and whether it came after the non-ESP marker of port 4500
// (RFC 3948 section 2.2; the marker itself is not in Data).
type Datagram struct {
	Local, Remote netip.AddrPort
	Data          []byte
	NonESPMarker  bool
}

// Action is what the engine asks its driver to do. The driver carries the
// actions out in order.
type Action interface{ isAction() }

// Send asks the driver to send Data from Local to Remote. With NonESPMarker
// the driver prepends the four zero octets of the non-ESP marker (port 4500,
// RFC 3948 section 2.2); a NAT keepalive is Data = {0xFF} without marker.
// Local may have an unspecified address: the driver then sends from its
// socket bound to Local's port and lets the OS choose the source address.
type Send struct {
	Local, Remote netip.AddrPort
	Data          []byte
	NonESPMarker  bool
}

// IKEKeys reports the keys of an IKE SA as soon as they are derived, for a
// Wireshark key table (refserver --keylog). Drivers must not log them.
type IKEKeys struct {
	SPIi, SPIr uint64
	Encr       EncrAlg
	Integ      wire.IntegID // AUTH_NONE for AEAD
	EncI, EncR []byte       // SK_ei, SK_er (salt included for AEAD)
	IntI, IntR []byte       // SK_ai, SK_ar
}

// ChildUp reports a Child SA pair to install: the driver hands it to its
// data plane (cmd/refserver: impl/dataplane) and may write its keys to a
// key table.
type ChildUp struct {
	IKE   SAInfo
	Child ChildInfo
	// Encr and Integ are the negotiated transforms (Integ is AUTH_NONE for
	// AEAD), for the data plane and for key tables.
	Encr  EncrAlg
	Integ wire.IntegID
	// Keys of the inbound and outbound SAs: encryption key (with salt for
	// AEAD) and integrity key.
	InEnc, InInteg, OutEnc, OutInteg []byte
	// LocalSel and RemoteSel are the Child SA's traffic selectors as
	// values (Child.LocalTS and Child.RemoteTS are their text): this end's
	// and the peer's, for the data plane's SPD entry, SAD selectors and
	// routes (RFC 4301 section 4.4.2, RFC4301-4.4.2-2).
	LocalSel, RemoteSel []TrafficSelector
	// OutboundLater says that only the inbound SA takes effect now: the
	// outbound SA replaces the older pair's for the same traffic only when a
	// ChildOutbound action names this pair. The responder of a Child SA
	// rekey waits so until the initiator deletes the old pair, since the
	// initiator may not have installed the new inbound SA before (RFC 7296
	// section 2.8).
	OutboundLater bool
	// Limits the data plane watches (0: none): when either SA of the pair
	// has carried this many octets or packets, it calls Engine.ChildLimit
	// once for the soft limit and once for the hard one (RFC 7296 section
	// 2.8: SAs are rekeyed, or die, by lifetime in octets as well as time).
	SoftBytes, HardBytes, SoftPackets, HardPackets uint64
	// VirtualIP is our virtual IP (RFC 7296 section 2.19), if the
	// responder gave us one: the driver puts it on its tunnel device, as
	// the inner source address of the Child SA's traffic.
	VirtualIP netip.Addr
}

// ChildOutbound asks the driver to let the outbound SA of an installed pair
// (named by Child.SPIIn) take its traffic, in place of the older pair's.
type ChildOutbound struct {
	IKE   SAInfo
	Child ChildInfo
}

// ChildDown reports a Child SA pair removed.
type ChildDown struct {
	IKE   SAInfo
	Child ChildInfo
}

// IKEDown reports an IKE SA removed (deleted, failed or timed out), with the
// reason.
type IKEDown struct {
	IKE    SAInfo
	Reason string
}

func (Send) isAction()          {}
func (IKEKeys) isAction()       {}
func (ChildUp) isAction()       {}
func (ChildDown) isAction()     {}
func (IKEDown) isAction()       {}
func (ChildOutbound) isAction() {}

// SAInfo describes an IKE SA for `refserver ctl list-sas`, in the terms
// strongSwan's `swanctl --list-sas` uses, so that an interop test can compare
// both ends field by field.
type SAInfo struct {
	Name      string // connection name
	UniqueID  uint64
	State     string // model.State names: ESTABLISHED, INIT_SENT, ...
	Initiator bool   // we are the original initiator
	SPIi      uint64
	SPIr      uint64
	Local     netip.AddrPort
	Remote    netip.AddrPort
	LocalID   string
	RemoteID  string
	// Algorithms in strongSwan's notation: AES_CBC-256, HMAC_SHA2_256_128,
	// PRF_HMAC_SHA2_256, ECP_256 (Integ empty for AEAD).
	Encr, Integ, PRF, KE string
	NATLocal             bool // we are behind a NAT (or faked one)
	NATRemote            bool // the peer is
	Established          time.Time
	Children             []ChildInfo
}

// ChildInfo describes a Child SA pair.
type ChildInfo struct {
	Name     string
	UniqueID uint64
	State    string // INSTALLED, DELETING
	Mode     Mode
	Protocol string // "ESP"
	UDPEncap bool
	SPIIn    uint32 // our inbound SPI (the one we chose)
	SPIOut   uint32 // the peer's
	// Encr, Integ in strongSwan's notation; ESN reports extended sequence
	// numbers; KE is the PFS group, if any.
	Encr, Integ, KE string
	ESN             bool
	LocalTS         []string
	RemoteTS        []string
	Established     time.Time
}

// Stats counts what the engine did with input it could not use.
type Stats struct {
	// Dropped counts messages dropped without an answer: unauthenticated
	// garbage, messages for unknown SAs, unexpected responses (RFC 7296
	// sections 2.21 and 2.4: "MUST limit the rate ...").
	Dropped uint64
	// Retransmits counts requests sent again; CachedResponses counts
	// duplicate requests answered from the response cache.
	Retransmits, CachedResponses uint64
	// HalfOpen is the current number of half-open IKE SAs.
	HalfOpen int
	// CookiesSent counts N(COOKIE) responses.
	CookiesSent uint64
}
