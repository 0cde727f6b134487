package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// Child is a Child SA pair to install, as the key exchange negotiated it
// (cmd/refserver makes one from an ike.ChildUp).
type Child struct {
	// Connection and Name name the IKE connection and the Child SA
	// configuration (for the SPD entry's name and the logs); UniqueID is
	// the key exchange's number for the Child SA.
	Connection, Name string
	UniqueID         uint64
	// SPIIn is the SPI this end chose (the peer sends with it), SPIOut the
	// peer's.
	SPIIn, SPIOut uint32
	Mode          esp.Mode
	// Local and Remote are the IKE SA's addresses and ports: the outer
	// addresses of the ESP packets (RFC 7296 section 2.9: the tunnel
	// endpoints are the IKE SA's), with the ports of UDP encapsulation.
	Local, Remote netip.AddrPort
	// UDPEncap says that the IKE SA uses NAT traversal, so the ESP goes in
	// UDP between its ports (RFC 3948; RFC 7296 section 2.23).
	UDPEncap bool
	// The negotiated transforms and keys: encryption key with salt for
	// AEAD, integrity AUTH_NONE for AEAD.
	Encr                             wire.EncrID
	Integ                            wire.IntegID
	ESN                              bool
	InEnc, InInteg, OutEnc, OutInteg []byte
	// LocalTS and RemoteTS are the negotiated traffic selectors, this
	// end's and the peer's.
	LocalTS, RemoteTS []policy.TS
	// VirtualIP is our virtual IP (RFC 7296 section 2.19), put on the
	// device for tunnel mode while a pair uses it.
	VirtualIP netip.Addr
	// OutboundLater holds the outbound SA back: the inbound SA takes its
	// packets at once, but the traffic of the pair's SPD entry keeps going
	// to the pairs installed before it until ActivateOutbound (the
	// responder of a Child SA rekey, RFC 7296 section 2.8; see
	// policy.SAD.InstallPairOutboundLater, which also says what happens
	// when there is no older pair: the held SA carries the traffic).
	OutboundLater bool
	// Volume limits of each SA of the pair (0: none), in the octets and
	// packets that ChildStats counts: when either SA reaches a soft limit,
	// Config.Limit is told once (hard false); when either reaches a hard
	// limit, it is told once more (hard true) and the pair carries no more
	// packets (RFC 4301 section 4.4.2.1, RFC7296-2.8-1).
	SoftBytes, HardBytes, SoftPackets, HardPackets uint64
}

// limits are a pair's volume limits (0: none).
type limits struct {
	softBytes, hardBytes, softPackets, hardPackets uint64
}

// reached reports whether an SA that has carried octets and packets has
// reached the soft and the hard limits.
func (l limits) reached(octets, packets uint64) (soft, hard bool) {
	soft = l.softBytes > 0 && octets >= l.softBytes || l.softPackets > 0 && packets >= l.softPackets
	hard = l.hardBytes > 0 && octets >= l.hardBytes || l.hardPackets > 0 && packets >= l.hardPackets
	return soft, hard
}

func (l limits) none() bool { return l == limits{} }

// child is an installed Child SA pair.
type child struct {
	conn, name string
	id         uint64
	spiIn      uint32
	spiOut     uint32
	mode       esp.Mode
	in         *esp.Inbound
	out        *esp.Outbound
	inSA       *policy.SA
	outSA      *policy.SA
	entries    []*entryRef // entries[0] governs the pair
	routes     []netip.Prefix
	vip        netip.Addr // our virtual IP on the device, if any
	installed  time.Time
	// localTS and remoteTS are the negotiated traffic selectors (a
	// tunnel-mode probe takes its inner addresses from them).
	localTS, remoteTS []policy.TS

	undeliverable, sendErrors atomic.Uint64
	softTold, hardTold        atomic.Bool
	// lim are the volume limits; limitSoftTold and limitHardTold say that
	// Config.Limit was told (expired: the pair carries no more packets),
	// and expired counts the packets refused since.
	lim                          limits
	limitSoftTold, limitHardTold atomic.Bool
	expired                      atomic.Uint64
}

func (c *child) String() string {
	return fmt.Sprintf("%s/%s{%d} %08x_i %08x_o", c.conn, c.name, c.id, c.spiIn, c.spiOut)
}

// encap reports whether the pair's ESP goes in UDP.
func (c *child) encap() bool { return c.outSA.Remote.Port() != 0 }

// entryRef is a Child SA entry of the SPD, counted by the pairs that use it.
type entryRef struct {
	name string
	key  specificity
	refs int
}

// ErrNotInstalled is matched by the errors for an SPI that no installed
// Child SA has.
var ErrNotInstalled = errors.New("dataplane: no such Child SA")

// ErrClosed is matched by the errors of a closed data plane.
var ErrClosed = errors.New("dataplane: closed")

// Install installs a Child SA pair (see the package documentation): an
// esp.Inbound with SPIIn and the inbound keys, an esp.Outbound with SPIOut
// and the outbound keys, the SPD PROTECT entry of its traffic, the SAD pair
// linked to it, and for tunnel mode the device (opened now if it is the
// first) with routes to the remote traffic selectors. The keys are not
// kept beyond the esp values. Nothing is installed when an error is
// returned; a device or route that cannot be set up is logged, not an
// error: the SA pair still counts and probes what reaches it.
func (d *DataPlane) Install(c Child) error {
	if err := checkChild(c); err != nil {
		return err
	}
	ch := &child{conn: c.Connection, name: c.Name, id: c.UniqueID, spiIn: c.SPIIn, spiOut: c.SPIOut,
		mode: c.Mode, installed: time.Now(),
		localTS: slices.Clone(c.LocalTS), remoteTS: slices.Clone(c.RemoteTS),
		lim: limits{softBytes: c.SoftBytes, hardBytes: c.HardBytes, softPackets: c.SoftPackets, hardPackets: c.HardPackets}}
	var err error
	ch.in, err = esp.NewInbound(esp.Config{SPI: c.SPIIn, Encr: c.Encr, EncrKey: c.InEnc, Integ: c.Integ,
		IntegKey: c.InInteg, ESN: c.ESN, Mode: c.Mode}, esp.InboundOptions{ReplayWindow: d.cfg.ReplayWindow})
	if err != nil {
		return fmt.Errorf("dataplane: Child SA %s/%s inbound %08x: %w", c.Connection, c.Name, c.SPIIn, err)
	}
	ch.out, err = esp.NewOutbound(esp.Config{SPI: c.SPIOut, Encr: c.Encr, EncrKey: c.OutEnc, Integ: c.Integ,
		IntegKey: c.OutInteg, ESN: c.ESN, Mode: c.Mode}, esp.OutboundOptions{SoftLimit: d.cfg.SoftLimit})
	if err != nil {
		return fmt.Errorf("dataplane: Child SA %s/%s outbound %08x: %w", c.Connection, c.Name, c.SPIOut, err)
	}
	// RFC4301-4.4.2-2: the inbound SA carries the negotiated selectors.
	sels := policy.SelectorsFromTS(c.LocalTS, c.RemoteTS)
	if len(sels) == 0 {
		return fmt.Errorf("dataplane: Child SA %s/%s: traffic selectors %v / %v pair up into no selector",
			c.Connection, c.Name, c.LocalTS, c.RemoteTS)
	}
	local, remote := d.outer(c)
	ch.inSA = &policy.SA{SPI: c.SPIIn, Mode: policy.Mode(c.Mode), Selectors: sels, Local: local, Remote: remote, Data: ch}
	ch.outSA = &policy.SA{SPI: c.SPIOut, Mode: policy.Mode(c.Mode), Selectors: sels, Local: local, Remote: remote, Data: ch}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if _, dup := d.children[c.SPIIn]; dup {
		return fmt.Errorf("dataplane: Child SA %s/%s: inbound SPI %08x is installed already: %w",
			c.Connection, c.Name, c.SPIIn, policy.ErrDuplicate)
	}
	groups := groupSelectors(sels)
	if len(groups) > 1 {
		d.log.Warn("the Child SA's selectors need several SPD entries: only the first one's traffic flows",
			"child_sa", ch.String(), "selectors", len(sels), "entries", len(groups))
	}
	for _, g := range groups {
		e, err := d.addEntry(c, g, remote.Addr())
		if err != nil {
			d.dropEntries(ch.entries)
			return err
		}
		ch.entries = append(ch.entries, e)
	}
	install := d.db.SAD.InstallPair
	if c.OutboundLater {
		install = d.db.SAD.InstallPairOutboundLater
	}
	if err := install(ch.entries[0].name, ch.inSA, ch.outSA); err != nil {
		d.dropEntries(ch.entries)
		return fmt.Errorf("dataplane: Child SA %s: %w", ch, err)
	}
	d.children[c.SPIIn] = ch
	if c.Mode == esp.Tunnel {
		d.routeChild(ch, c)
	}
	encap := "no"
	if ch.encap() {
		encap = "udp"
	}
	d.log.Info("Child SA installed", "child_sa", ch.String(), "mode", c.Mode.String(), "encap", encap,
		"local", local.String(), "remote", remote.String(), "spd_entry", ch.entries[0].name,
		"sa", ch.inSA.String(), "outbound_later", c.OutboundLater)
	return nil
}

// ActivateOutbound lets the outbound SA of the pair whose inbound SPI is
// spiIn take the traffic of its SPD entry: the pair becomes the newest of
// the entry, in place of those installed before it (RFC 7296 section 2.8:
// after a rekey, the new SA replaces the old one). It is how a pair
// installed with OutboundLater starts sending; on another pair it makes
// that pair the newest again.
func (d *DataPlane) ActivateOutbound(spiIn uint32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	ch := d.children[spiIn]
	if ch == nil {
		return fmt.Errorf("dataplane: inbound SPI %08x: %w", spiIn, ErrNotInstalled)
	}
	if err := d.db.SAD.ActivateOutbound(spiIn); err != nil {
		return fmt.Errorf("dataplane: Child SA %s: %w", ch, err)
	}
	d.log.Info("Child SA takes the outbound traffic", "child_sa", ch.String(), "spd_entry", ch.entries[0].name)
	return nil
}

// checkLimits tells the key exchange, once each, that an SA of the pair
// has carried octets and packets up to its soft or hard volume limit
// (RFC4301-4.4.2.1-6: the soft lifetime warns that a replacement SA is due;
// the hard one ends the SA). It runs on packet goroutines.
func (d *DataPlane) checkLimits(ch *child, octets, packets uint64) {
	soft, hard := ch.lim.reached(octets, packets)
	if soft && ch.limitSoftTold.CompareAndSwap(false, true) {
		d.log.Info("Child SA at its soft volume limit: rekey due", "child_sa", ch.String(),
			"bytes", octets, "packets", packets)
		if d.cfg.Limit != nil {
			d.cfg.Limit(ch.spiIn, false)
		}
	}
	if hard && ch.limitHardTold.CompareAndSwap(false, true) {
		d.log.Warn("Child SA at its hard volume limit: it carries no more packets", "child_sa", ch.String(),
			"bytes", octets, "packets", packets)
		if d.cfg.Limit != nil {
			d.cfg.Limit(ch.spiIn, true)
		}
	}
}

func checkChild(c Child) error {
	switch {
	case c.SPIIn == 0 || c.SPIOut == 0:
		return fmt.Errorf("dataplane: Child SA %s/%s: zero SPI", c.Connection, c.Name)
	case c.Mode != esp.Tunnel && c.Mode != esp.Transport:
		return fmt.Errorf("dataplane: Child SA %s/%s: %v", c.Connection, c.Name, c.Mode)
	case !c.Local.Addr().IsValid() || !c.Remote.Addr().IsValid():
		return fmt.Errorf("dataplane: Child SA %s/%s: outer addresses %v and %v", c.Connection, c.Name, c.Local, c.Remote)
	case c.Local.Addr().Unmap().Is4() != c.Remote.Addr().Unmap().Is4():
		return fmt.Errorf("dataplane: Child SA %s/%s: outer addresses %v and %v are of two families", c.Connection, c.Name, c.Local, c.Remote)
	}
	return nil
}

// outer returns the outer addresses of a Child SA's ESP packets: with the
// IKE SA's NAT-T ports when it uses NAT traversal (RFC3948-2.1-1: the ports
// of IKE), with this end's NAT-T port and the peer's EncapPort when
// encapsulation is forced, without ports (protocol 50) otherwise.
func (d *DataPlane) outer(c Child) (local, remote netip.AddrPort) {
	la, ra := c.Local.Addr().Unmap(), c.Remote.Addr().Unmap()
	switch {
	case c.UDPEncap:
		return netip.AddrPortFrom(la, c.Local.Port()), netip.AddrPortFrom(ra, c.Remote.Port())
	case d.cfg.ForceEncap:
		port := d.cfg.EncapPort
		if port == 0 {
			port = NATTPort
		}
		return netip.AddrPortFrom(la, NATTPort), netip.AddrPortFrom(ra, port)
	}
	return netip.AddrPortFrom(la, 0), netip.AddrPortFrom(ra, 0)
}

// groupSelectors merges the selectors that share a protocol and port
// ranges into one each, keeping the order of their first appearance.
func groupSelectors(sels []policy.Selector) []policy.Selector {
	var out []policy.Selector
	for _, s := range sels {
		i := slices.IndexFunc(out, func(g policy.Selector) bool {
			return g.Protocol == s.Protocol && g.LocalPorts == s.LocalPorts && g.RemotePorts == s.RemotePorts
		})
		if i < 0 {
			out = append(out, policy.Selector{Protocol: s.Protocol, LocalPorts: s.LocalPorts, RemotePorts: s.RemotePorts})
			i = len(out) - 1
		}
		for _, r := range s.Local {
			if !slices.Contains(out[i].Local, r) {
				out[i].Local = append(out[i].Local, r)
			}
		}
		for _, r := range s.Remote {
			if !slices.Contains(out[i].Remote, r) {
				out[i].Remote = append(out[i].Remote, r)
			}
		}
	}
	return out
}

// addEntry finds or inserts the PROTECT entry of a Child SA's selector
// group and counts the new user. The caller holds d.mu.
func (d *DataPlane) addEntry(c Child, sel policy.Selector, peer netip.Addr) (*entryRef, error) {
	name := fmt.Sprintf("%s/%s %v [%v]", c.Connection, c.Name, c.Mode, sel)
	for _, e := range d.entries {
		if e.name == name {
			e.refs++
			return e, nil
		}
	}
	key := specificityOf(sel)
	// More specific entries first; an equal one after those there are.
	pos := len(d.entries)
	for i, e := range d.entries {
		if key.less(e.key) {
			pos = i
			break
		}
	}
	espCfg := policy.ESP{Mode: policy.Mode(c.Mode), Connection: c.Connection, Child: c.Name}
	if c.Mode == esp.Tunnel {
		espCfg.Peer = peer
	}
	if err := d.db.SPD.Insert(pos, policy.Entry{Name: name, Match: sel, Action: policy.Protect, ESP: espCfg}); err != nil {
		return nil, fmt.Errorf("dataplane: Child SA %s/%s: %w", c.Connection, c.Name, err)
	}
	e := &entryRef{name: name, key: key, refs: 1}
	d.entries = slices.Insert(d.entries, pos, e)
	return e, nil
}

// dropEntries releases entries; the last user removes an entry from the
// SPD. The caller holds d.mu.
func (d *DataPlane) dropEntries(es []*entryRef) {
	for _, e := range es {
		if e.refs--; e.refs > 0 {
			continue
		}
		if err := d.db.SPD.Remove(e.name); err != nil {
			d.log.Error("removing an SPD entry", "entry", e.name, "error", err)
		}
		if i := slices.Index(d.entries, e); i >= 0 {
			d.entries = slices.Delete(d.entries, i, i+1)
		}
	}
}

// specificity orders the Child SA entries: fewer remote addresses first,
// then fewer local addresses, then a specific protocol before ANY.
type specificity struct {
	remote, local float64
	anyProto      bool
}

func (a specificity) less(b specificity) bool {
	switch {
	case a.remote != b.remote:
		return a.remote < b.remote
	case a.local != b.local:
		return a.local < b.local
	}
	return !a.anyProto && b.anyProto
}

func specificityOf(s policy.Selector) specificity {
	return specificity{remote: addrCount(s.Remote), local: addrCount(s.Local), anyProto: s.Protocol == 0}
}

// addrCount is how many addresses ranges cover (as a float: IPv6 ranges
// exceed every integer type).
func addrCount(rs []policy.AddrRange) float64 {
	var n float64
	for _, r := range rs {
		hiF, loF := split128(r.From)
		hiT, loT := split128(r.To)
		lo := loT - loF
		hi := hiT - hiF
		if loT < loF {
			hi--
		}
		n += float64(hi)*(1<<64) + float64(lo) + 1
	}
	return n
}

func split128(a netip.Addr) (hi, lo uint64) {
	b := a.Unmap().As16()
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return hi, lo
}

// Remove removes the Child SA pair whose inbound SPI is spiIn, with its SPD
// entry and routes when no other pair uses them.
func (d *DataPlane) Remove(spiIn uint32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.removeLocked(spiIn)
}

func (d *DataPlane) removeLocked(spiIn uint32) error {
	ch := d.children[spiIn]
	if ch == nil {
		return fmt.Errorf("dataplane: inbound SPI %08x: %w", spiIn, ErrNotInstalled)
	}
	if err := d.db.SAD.RemovePair(spiIn); err != nil {
		d.log.Error("removing an SA pair", "child_sa", ch.String(), "error", err)
	}
	d.dropEntries(ch.entries)
	d.unroute(ch.routes)
	d.unVIP(ch.vip)
	delete(d.children, spiIn)
	in, out := ch.in.Stats(), ch.out.Stats()
	d.log.Info("Child SA removed", "child_sa", ch.String(),
		"bytes_in", in.Octets, "packets_in", in.Packets, "bytes_out", out.Octets, "packets_out", out.Packets)
	return nil
}
