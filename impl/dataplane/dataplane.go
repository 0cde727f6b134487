package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// Device is the packet device of tunnel mode: one IP packet per Read and per
// Write, and routes into it. netio.TUN is one; dptest.Device is a fake.
// Read and Write may be called concurrently; Close makes a pending Read
// return an error.
type Device interface {
	Read(b []byte) (int, error)
	Write(b []byte) (int, error)
	// AddRoute routes dst into the device, preferring src as the source
	// address of locally originated packets when src is valid.
	AddRoute(dst netip.Prefix, src netip.Addr) error
	DelRoute(dst netip.Prefix) error
	Name() string
	Close() error
}

// UDPSender sends UDP-encapsulated ESP (RFC 3948 section 2.1): packet, from
// its SPI on, as the payload of a datagram from local to remote.
// netio.Conn is one. It must be safe for concurrent use.
type UDPSender interface {
	SendESP(local, remote netip.AddrPort, packet []byte) error
}

// RawConn is a socket of IP protocol 50: ESP without encapsulation.
// netio.RawESP is one. ReadFrom returns one ESP packet (from its SPI on)
// with the addresses it travelled between, and an error once closed.
type RawConn interface {
	ReadFrom(b []byte) (n int, local, remote netip.Addr, err error)
	WriteTo(packet []byte, local, remote netip.Addr) error
	// Addr is the bound address; unspecified for every address of its
	// family.
	Addr() netip.Addr
	Close() error
}

// Config configures a data plane.
type Config struct {
	// OpenDevice opens the tunnel-mode device when the first tunnel-mode
	// Child SA is installed. Nil: there is no device; tunnel-mode SAs are
	// installed all the same, and what they deliver is dropped (counted as
	// undeliverable) unless a probe or the echo service takes it.
	OpenDevice func() (Device, error)
	// UDP sends UDP-encapsulated ESP; nil: such SAs cannot send (counted
	// as send errors).
	UDP UDPSender
	// Raw are the sockets for ESP as IP protocol 50. The data plane reads
	// from each on its own goroutine, sends from the one bound to the SA's
	// local address (or the unspecified one of its family), and closes
	// them in Close.
	Raw []RawConn
	// ForceEncap encapsulates the ESP of every Child SA in UDP, even when
	// the key exchange found no NAT (charon's encap = yes). Such an SA's
	// packets go from this end's NAT-T port to the peer's EncapPort.
	ForceEncap bool
	// EncapPort is the peer's NAT-T port for ForceEncap when the IKE SA is
	// not on NAT-T ports itself (0: 4500, RFC 3948 section 2.1).
	EncapPort uint16
	// TunnelEcho lets the UDP echo service (port 7) answer the inner packets
	// of tunnel-mode SAs, instead of handing them to the device: a peer's
	// Probe over tunnel mode then gets its echoes from this data plane.
	TunnelEcho bool
	// Entries are the administrator's SPD entries, placed after the Child
	// SAs' entries and before the final DISCARD (see the package
	// documentation). Their names must not contain a "/".
	Entries []policy.Entry
	// ReplayWindow is each inbound SA's anti-replay window (0: esp's
	// default).
	ReplayWindow int
	// SoftLimit is each outbound SA's soft sequence number limit, from
	// which Exhausted is told that a rekey is due (0: esp's default).
	SoftLimit uint64
	// UnknownSPI is told about ESP packets for an SPI that no installed SA
	// has, at most once a second per SPI; remote's port is 0 for ESP
	// without UDP. It is called on packet goroutines and must not block.
	UnknownSPI func(remote netip.AddrPort, spi uint32)
	// Exhausted is told when an outbound SA's sequence numbers reach the
	// soft limit (hard false, once) and when they have run out (hard true,
	// once): the Child SA must be rekeyed (RFC 4303 section 3.3.3). It is
	// called on packet goroutines and must not block.
	Exhausted func(spiOut uint32, hard bool)
	// Limit is told when either SA of a pair reaches the pair's soft volume
	// limit (hard false, once) and its hard one (hard true, once; the pair
	// then carries no more packets): Child.SoftBytes and the like. The pair
	// is named by its inbound SPI. It is called on packet goroutines and
	// must not block.
	Limit func(spiIn uint32, hard bool)
	// Logger receives installs, removals and, rate-limited, the audit
	// records of dropped packets (nil: none).
	Logger hclog.Logger
}

// DataPlane is a running data plane. Its methods are safe for concurrent
// use.
type DataPlane struct {
	cfg Config
	log hclog.Logger
	db  *policy.Databases

	// mu guards the installed Child SAs, the SPD's child entries, the
	// routes and the device's life; packet processing never takes it.
	mu       sync.Mutex
	children map[uint32]*child // by inbound SPI
	entries  []*entryRef       // the Child SA entries, in SPD order
	routes   map[netip.Prefix]int
	vips     map[netip.Addr]int // virtual IPs on the device, by the pairs using them
	dev      Device
	closed   bool

	// device is the open device for packet goroutines (nil: none).
	device atomic.Pointer[deviceBox]

	probes probeTable
	unk    unknownSPIs
	audit  auditLimiter
	st     counters

	done chan struct{}
	wg   sync.WaitGroup
}

type deviceBox struct{ Device }

// finalEntry is the name of the final DISCARD entry.
const finalEntry = "final/discard"

// New starts a data plane: it builds the SPD (the administrator's entries
// and the final DISCARD) and starts a reader on every RawConn. The device
// is opened later, by the first tunnel-mode Install.
func New(cfg Config) (*DataPlane, error) {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	entries := make([]policy.Entry, 0, len(cfg.Entries)+1)
	for _, e := range cfg.Entries {
		if strings.Contains(e.Name, "/") || e.Name == finalEntry {
			return nil, fmt.Errorf("spd: entry %q: names with a \"/\" are the data plane's own: %w", e.Name, policy.ErrInvalid)
		}
		entries = append(entries, e)
	}
	// RFC4301-4.4.1-5, RFC4301-5.2-1: a nominal, final entry that catches
	// anything otherwise unmatched, and discards it.
	entries = append(entries, policy.Entry{Name: finalEntry, Action: policy.Discard,
		Match: policy.Selector{Local: policy.AnyAddrs(), Remote: policy.AnyAddrs()}})
	db, err := policy.New(policy.Config{SPD: entries})
	if err != nil {
		return nil, err
	}
	d := &DataPlane{
		cfg: cfg, log: log, db: db,
		children: map[uint32]*child{},
		routes:   map[netip.Prefix]int{},
		vips:     map[netip.Addr]int{},
		done:     make(chan struct{}),
	}
	d.probes.init()
	for _, r := range cfg.Raw {
		d.wg.Add(1)
		go d.readRaw(r)
	}
	return d, nil
}

// Close removes every Child SA and its routes, closes the device and the
// raw sockets, and waits for the goroutines the data plane started. It is
// safe to call more than once.
func (d *DataPlane) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.done)
	for spi := range d.children {
		d.removeLocked(spi)
	}
	dev := d.dev
	d.dev = nil
	d.device.Store(nil)
	d.mu.Unlock()
	var errs []error
	if dev != nil {
		errs = append(errs, dev.Close())
	}
	for _, r := range d.cfg.Raw {
		errs = append(errs, r.Close())
	}
	d.wg.Wait()
	return errors.Join(errs...)
}

// SPD lists the SPD in order with its counters and the SA pairs of each
// entry.
func (d *DataPlane) SPD() []policy.EntryInfo { return d.db.SPD.Entries() }

// Device is the name of the open device ("" before the first tunnel-mode
// Child SA, or without one).
func (d *DataPlane) Device() string {
	if b := d.device.Load(); b != nil {
		return b.Name()
	}
	return ""
}

// auditLimiter lets through at most auditPerSecond audit records a second.
type auditLimiter struct {
	mu     sync.Mutex
	second int64
	n      int
	missed int
}

// allow reports whether a record may be logged now, and how many were
// suppressed in the second before (to be reported with it).
func (a *auditLimiter) allow(now time.Time) (bool, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := now.Unix()
	missed := 0
	if s != a.second {
		a.second, a.n, missed, a.missed = s, 0, a.missed, 0
	}
	if a.n >= auditPerSecond {
		a.missed++
		return false, 0
	}
	a.n++
	return true, missed
}

// auditf logs a dropped packet (RFC 4301 sections 5.1.1 and 5.2, RFC 4303
// section 3.4: auditable events), rate-limited; the counters hold them all.
func (d *DataPlane) auditf(msg string, args ...any) {
	if !d.log.IsInfo() {
		return
	}
	ok, missed := d.audit.allow(time.Now())
	if !ok {
		return
	}
	if missed > 0 {
		args = append(args, "suppressed_before", missed)
	}
	d.log.Info(msg, args...)
}

// unknownSPIs remembers when each unknown SPI was last reported.
type unknownSPIs struct {
	mu   sync.Mutex
	last map[uint32]time.Time
}

// report reports whether spi may be reported now.
func (u *unknownSPIs) report(spi uint32, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last == nil || len(u.last) >= maxUnknownSPIs {
		u.last = map[uint32]time.Time{}
	}
	if t, ok := u.last[spi]; ok && now.Sub(t) < unknownSPIInterval {
		return false
	}
	u.last[spi] = now
	return true
}
