package ike

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/crypto"
	"github.com/ikev2ref/ikev2ref/impl/pool"
	"github.com/ikev2ref/ikev2ref/impl/wire"
	"github.com/ikev2ref/ikev2ref/model"
)

// ikeSA is one IKE SA in either role. Its life cycle state is a model.State
// and changes only through model.Table (see Engine.apply).
type ikeSA struct {
	e     *Engine
	id    uint64 // unique, for list-sas ("#3")
	conn  *Connection
	role  model.Role
	state model.State

	spiI, spiR    uint64
	local, remote netip.AddrPort
	// natLocal: we are behind a NAT; natRemote: the peer is (RFC 7296
	// section 2.23). natt: IKE moved to the NAT-T port with the non-ESP
	// marker, and ESP is UDP-encapsulated.
	natLocal, natRemote, natt bool

	// IKE_SA_INIT (RFC 7296 section 1.2).
	suite     suite
	cs        crypto.Suite
	keGroup   wire.KEID       // the group of the KE payload we sent (initiator)
	keState   crypto.KEState  // our private value (initiator, until the response)
	ni, nr    []byte          // nonces
	cookie    []byte          // the cookie to return (initiator)
	cookieTry int             // COOKIE retries so far (initiator)
	keTry     int             // INVALID_KE retries so far (initiator)
	initReq   []byte          // RealMessage1 as sent (RFC 7296 section 2.15)
	initResp  []byte          // RealMessage2 as sent
	keys      *crypto.IKEKeys // SK_d, SK_a*, SK_e*, SK_p*
	skIn      *crypto.SK      // protects what we receive
	skOut     *crypto.SK      // protects what we send; one per key (crypto.SK's IV counter)

	// IKE_AUTH.
	localID, remoteID Identity
	pendingChild      *Child // the Child SA to negotiate in IKE_AUTH (initiator)
	pendingSPI        uint32 // its inbound SPI
	children          []*childSA
	eap               *eapState // EAP in IKE_AUTH (eap.go)

	// Message IDs and the window of one (RFC 7296 section 2.3).
	nextReqID  uint32       // the ID of our next request
	out        *outstanding // our request in flight
	queue      []queuedReq  // requests waiting for the window
	nextPeerID uint32       // the ID the peer's next request must have
	lastResp   []byte       // our last response, for retransmitted requests (RFC7296-2.3-8)
	lastRespID uint32
	hasResp    bool
	// IKE fragmentation (RFC 7383, frag.go): the peer's support, the
	// reassembly of its messages, the cached response's fragments.
	frag fragState

	// Rekeying (RFC 7296 sections 1.3.2, 2.8): our IKE SA rekey in flight,
	// and the new IKE SA of the peer's rekey that we answered.
	rekeying  *createCtx
	peerRekey *ikeSA
	redundant bool   // the peer's new IKE SA of a rekey collision, which it is to delete
	rekeyOf   *ikeSA // the IKE SA this one replaces, when we answered the rekey

	// Virtual IPs (cp.go): ours, given by the responder, and the peer's,
	// leased from vipPool.
	vipLocal, vipRemote netip.Addr
	vipPool             *pool.Pool

	// Timers (absolute times; zero = not running). rekeyAt and expireAt
	// are the IKE SA's lifetime (for a replaced IKE SA, expireAt is when
	// it is removed if the peer never deletes it).
	halfOpenAt, livenessAt, keepaliveAt time.Time
	rekeyAt, expireAt                   time.Time
	timerGen                            uint64
	lastRecv                            time.Time
	established                         time.Time
	registered                          bool
}

// outstanding is our request awaiting its response (RFC7296-2.3-7: we keep
// a copy until the response arrives).
type outstanding struct {
	id       uint32
	exchange wire.ExchangeType
	kind     model.Event // what the request is for (CmdInitiate, TimerLiveness, ...)
	data     []byte      // the message as sent (without the non-ESP marker)
	frags    [][]byte    // or its IKE Fragment messages, when it was sent fragmented (frag.go)
	payloads []wire.Payload
	tries    int // retransmissions so far
	next     time.Time
	interval time.Duration
	// children named by a Delete request (CmdChildDelete).
	children []*childSA
	// create is what a CREATE_CHILD_SA request asks for.
	create *createCtx
}

// queuedReq is a request waiting for the window to open.
type queuedReq struct {
	exchange wire.ExchangeType
	kind     model.Event
	payloads []wire.Payload
	children []*childSA
	create   *createCtx
}

// childSA is one Child SA pair (RFC 7296 section 1.3).
type childSA struct {
	id            uint64
	cfg           *Child
	state         model.ChildState // moved only by ikeSA.childTo (model.ChildTable)
	spiIn, spiOut uint32
	suite         suite
	mode          Mode
	localTS       []TrafficSelector
	remoteTS      []TrafficSelector
	keys          *crypto.ChildKeys
	established   time.Time
	// initiated: we initiated the exchange that created the pair, so the
	// first keys of KEYMAT are our outbound ones (RFC7296-2.17-2).
	initiated bool
	// ni and nr are the nonces of the CREATE_CHILD_SA exchange that
	// created the pair (RFC 7296 section 2.8.1 compares them).
	ni, nr []byte
	// Lifetime timers (zero: none).
	rekeyAt, lifeAt time.Time
	// outboundLater: the pair was installed with its outbound SA held back
	// (we answered a rekey); successor: the pair that replaces this one;
	// peerRekey: the pair the peer's rekey of this one created while ours
	// was in flight (a collision, RFC 7296 section 2.8.1).
	outboundLater bool
	successor     *childSA
	peerRekey     *childSA
	peerNonces    [2][]byte // the nonces of the peer's rekey exchange (peerRekey)
	// outSeq orders the pairs whose outbound SA took the traffic, as the
	// driver's data plane does (the highest carries it); 0: never.
	outSeq uint64
	// redundant: the peer's pair of a rekey collision that it is to delete.
	redundant bool
}

func (sa *ikeSA) String() string {
	name := "?"
	if sa.conn != nil {
		name = sa.conn.Name
	}
	return fmt.Sprintf("%s[%d]", name, sa.id)
}

// mySPI is our SPI of the pair: the key of Engine.sas.
func (sa *ikeSA) mySPI() uint64 {
	if sa.role == model.Initiator {
		return sa.spiI
	}
	return sa.spiR
}

func (sa *ikeSA) flags(response bool) wire.Flags {
	var f wire.Flags
	// RFC7296-3.1-13: the I bit is set in messages of the original initiator.
	if sa.role == model.Initiator {
		f |= wire.FlagInitiator
	}
	// RFC7296-3.1-10: the R bit is set in all responses and only there.
	if response {
		f |= wire.FlagResponse
	}
	return f
}

func (sa *ikeSA) header(x wire.ExchangeType, id uint32, response bool) wire.Header {
	return wire.Header{SPIi: sa.spiI, SPIr: sa.spiR, Major: wire.MajorVersion, Minor: wire.MinorVersion,
		Exchange: x, Flags: sa.flags(response), MessageID: id}
}

// encode produces a message: in the clear for IKE_SA_INIT, inside an SK
// payload otherwise (RFC 7296 section 3.14).
func (sa *ikeSA) encode(h wire.Header, ps []wire.Payload) ([]byte, error) {
	if h.Exchange == wire.IKE_SA_INIT {
		m := wire.Message{Header: h, Payloads: ps}
		return m.Encode()
	}
	if sa.skOut == nil {
		return nil, fmt.Errorf("ike: %v: no keys to protect %v", sa, h.Exchange)
	}
	return sa.skOut.SealMessage(h, ps, sa.e.rand)
}

// send returns the Send action for a message to the peer on the IKE SA's
// current path (with the non-ESP marker after the move to port 4500).
func (sa *ikeSA) send(data []byte) Send {
	return Send{Local: sa.local, Remote: sa.remote, Data: data, NonESPMarker: sa.natt}
}

// summary logs one line per message, in strongSwan's form.
func (sa *ikeSA) logMessage(verb string, h wire.Header, ps []wire.Payload) {
	if l := sa.e.log; l.IsInfo() {
		l.Info(verb+" "+wire.Summary(h, ps), "ike", sa.String(), "local", sa.local.String(), "remote", sa.remote.String())
	}
}

// info is the list-sas view.
func (sa *ikeSA) info() SAInfo {
	in := SAInfo{UniqueID: sa.id, State: sa.state.String(), Initiator: sa.role == model.Initiator,
		SPIi: sa.spiI, SPIr: sa.spiR, Local: sa.local, Remote: sa.remote,
		LocalID: sa.localID.String(), RemoteID: sa.remoteID.String(),
		NATLocal: sa.natLocal, NATRemote: sa.natRemote, Established: sa.established}
	if sa.conn != nil {
		in.Name = sa.conn.Name
	}
	if sa.cs.Encr != nil {
		in.Encr = encrName(sa.suite.Encr)
		in.Integ = integName(sa.suite.Integ)
		in.PRF = prfName(sa.suite.PRF)
		in.KE = keName(sa.suite.KE)
	}
	for _, c := range sa.children {
		in.Children = append(in.Children, c.info(sa))
	}
	return in
}

func (c *childSA) info(sa *ikeSA) ChildInfo {
	ci := ChildInfo{UniqueID: c.id, State: c.state.String(), Mode: c.mode, Protocol: "ESP", UDPEncap: sa.natt,
		SPIIn: c.spiIn, SPIOut: c.spiOut, Encr: encrName(c.suite.Encr), Integ: integName(c.suite.Integ),
		ESN: c.suite.ESN == wire.ESN, LocalTS: tsStrings(c.localTS), RemoteTS: tsStrings(c.remoteTS),
		Established: c.established}
	if c.cfg != nil {
		ci.Name = c.cfg.Name
	}
	if c.suite.hasKE && c.suite.KE != wire.KE_NONE {
		ci.KE = keName(c.suite.KE)
	}
	return ci
}
