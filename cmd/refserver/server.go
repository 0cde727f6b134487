package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/internal/swanctl"
)

// options are the server's command-line settings.
type options struct {
	configPath string
	listen     []netip.Addr
	ikePort    int
	nattPort   int
	ctlPath    string
	logFormat  string
	logLevel   string
	keylogDir  string
	pcapPath   string
	// Engine settings that swanctl.conf has no key for (strongSwan keeps
	// them in strongswan.conf).
	forceCookies      bool
	cookieThreshold   int
	retransmitTimeout time.Duration
	retransmitTries   int
	retransmitBase    float64
	fragmentSize      int // charon.fragment_size: 0 per address family
	// The data plane (impl/dataplane): off with noDataplane; tunName is
	// the tunnel device ("": none), opened with mtu at the first
	// tunnel-mode Child SA.
	noDataplane bool
	tunName     string
	mtu         int
	forceEncap  bool
	tunnelEcho  bool
	// impairs are the --impair faults (impl/ike/impair.go).
	impairs []ike.Impairment
}

// maxDowns bounds the record of recent IKE SA failures that ctl initiate
// reports.
const maxDowns = 256

// server is the running refserver. The engine, the key log and the record
// of IKE SA failures belong to the loop goroutine; everything else reaches
// them through do.
type server struct {
	opts   options
	log    hclog.Logger
	stdout io.Writer
	stderr io.Writer

	cfg        *ike.Config
	defaultCfg []byte // the embedded swanctl.conf when no --config was given
	eng        *ike.Engine
	net        *netio.Conn
	ctl        net.Listener
	keys       *keyLog
	pcap       *pcapWriter
	// dp is the data plane (nil with --no-dataplane); dpReady holds it for
	// the socket readers, which start before it does.
	dp      *dataplane.DataPlane
	dpReady atomic.Pointer[dataplane.DataPlane]

	cmds chan func(now time.Time)
	// esp carries the SPIs of ESP packets that no installed SA has from
	// the packet goroutines to the loop (bounded; dropped when full),
	// exhausted the data plane's sequence number reports, and limits its
	// volume limit reports.
	esp       chan espPacket
	exhausted chan exhaustion
	limits    chan limitReport
	stopped   chan struct{} // closed when the loop has ended
	wg        sync.WaitGroup

	connsMu sync.Mutex
	conns   map[net.Conn]bool // open control connections, closed at stop

	downs     map[uint64]downRecord
	downOrder []uint64
	// childDowns are the Child SAs removed lately (at most maxDowns,
	// oldest first), for ctl initiate.
	childDowns []childDownRecord
}

// downRecord is an IKE SA that went away, for ctl initiate.
type downRecord struct {
	name   string
	reason string
}

// childDownRecord is a Child SA that went away, for ctl initiate.
type childDownRecord struct {
	conn, name string // the IKE SA's connection, the Child SA's name
	ikeID, id  uint64 // unique IDs of the IKE SA and the Child SA
}

// newServer loads the configuration and opens the sockets, the control
// socket and the output files. On error nothing stays open.
func newServer(o options, stdout, stderr io.Writer) (_ *server, err error) {
	level, err := parseLevel(o.logLevel)
	if err != nil {
		return nil, err
	}
	log := hclog.New(&hclog.LoggerOptions{
		Name:       "refserver",
		Level:      level,
		Output:     stderr,
		JSONFormat: o.logFormat == "json",
	})
	s := &server{
		opts: o, log: log, stdout: stdout, stderr: stderr,
		cmds:      make(chan func(time.Time)),
		esp:       make(chan espPacket, 256),
		exhausted: make(chan exhaustion, 64),
		limits:    make(chan limitReport, 64),
		stopped:   make(chan struct{}),
		downs:     map[uint64]downRecord{},
		conns:     map[net.Conn]bool{},
	}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	if o.configPath != "" {
		if s.cfg, err = swanctl.Load(o.configPath); err != nil {
			return nil, fmt.Errorf("refserver: %w", err)
		}
		log.Info("configuration loaded", "file", o.configPath, "connections", len(s.cfg.Connections))
	} else {
		s.cfg, s.defaultCfg = swanctl.Default()
		log.Info("using the embedded default configuration", "connections", len(s.cfg.Connections))
		// The default is a responder on loopback: listen there only.
		if len(o.listen) == 0 {
			for _, c := range s.cfg.Connections {
				for _, p := range c.LocalAddrs {
					if p.IsSingleIP() {
						o.listen = append(o.listen, p.Addr())
					}
				}
			}
		}
	}
	s.cfg.Logger = log.ResetNamed("ike")
	s.cfg.Impair = o.impairs
	s.cfg.ForceCookies = o.forceCookies
	s.cfg.CookieThreshold = o.cookieThreshold
	s.cfg.RetransmitTimeout = o.retransmitTimeout
	s.cfg.RetransmitTries = o.retransmitTries
	s.cfg.RetransmitBase = o.retransmitBase
	// The engine takes a negative size for the per-family values that
	// strongSwan's fragment_size = 0 means (impl/ike/frag.go).
	s.cfg.FragmentSize = o.fragmentSize
	if o.fragmentSize == 0 {
		s.cfg.FragmentSize = -1
	}

	if o.keylogDir != "" {
		if s.keys, err = openKeyLog(o.keylogDir); err != nil {
			return nil, err
		}
		msg := fmt.Sprintf("WARNING: --keylog %s: writing the IKE and ESP keys of every SA to %s and %s; anyone who can read them can decrypt the traffic",
			o.keylogDir, s.keys.ikePath(), s.keys.espPath())
		fmt.Fprintln(stderr, msg)
		log.Warn("writing secrets: IKE and ESP keys for Wireshark", "dir", o.keylogDir)
	}
	var tap func(netio.Packet)
	if o.pcapPath != "" {
		if s.pcap, err = createPcap(o.pcapPath); err != nil {
			return nil, err
		}
		tap = s.pcap.tap(log)
		log.Info("writing a packet capture", "file", o.pcapPath)
	}
	s.net, err = netio.Listen(netio.Config{
		Addrs:    o.listen,
		IKEPort:  uint16(o.ikePort),
		NATTPort: uint16(o.nattPort),
		Tap:      tap,
		ESP:      s.onESP,
		Logger:   log.ResetNamed("netio"),
	})
	if err != nil {
		return nil, fmt.Errorf("refserver: %w", err)
	}
	ikePort, nattPort := s.net.Ports()
	s.cfg.IKEPort, s.cfg.NATTPort = ikePort, nattPort
	for _, sock := range s.net.Sockets() {
		log.Info("listening", "socket", sock.Role.String(), "addr", sock.Local.String())
	}
	s.opts.listen = o.listen
	if !o.noDataplane {
		if err := s.startDataPlane(); err != nil {
			return nil, err
		}
	} else {
		log.Info("data plane off (--no-dataplane): ESP is not processed")
	}
	// On another IKE port than 500, connections that leave the local port
	// at its default initiate from the port the socket has: otherwise the
	// engine would put port 500 in its NAT detection hash (RFC 7296 section
	// 2.23) and the peer would see a NAT.
	if ikePort != netio.PortIKE {
		for _, c := range s.cfg.Connections {
			if c.LocalPort == 0 || c.LocalPort == netio.PortIKE {
				c.LocalPort = ikePort
			}
		}
	}
	// Bound to given addresses, the server can use no others: connections
	// with local_addrs = %any get those (the engine needs a local address
	// to initiate, for the NAT detection hashes).
	if len(o.listen) > 0 {
		for _, c := range s.cfg.Connections {
			if len(c.LocalAddrs) == 0 {
				for _, a := range o.listen {
					c.LocalAddrs = append(c.LocalAddrs, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				}
			}
		}
	}
	if s.eng, err = ike.New(*s.cfg); err != nil {
		return nil, fmt.Errorf("refserver: %w", err)
	}
	if s.ctl, err = listenCtl(o.ctlPath); err != nil {
		return nil, err
	}
	log.Info("control socket", "path", o.ctlPath)
	if s.defaultCfg != nil {
		writeBanner(s.stdout, s.cfg, s.net)
	}
	return s, nil
}

// closeAll closes what newServer opened.
func (s *server) closeAll() {
	if s.ctl != nil {
		s.ctl.Close()
	}
	if s.net != nil {
		s.net.Close()
	}
	if s.dp != nil {
		// After the sockets: their readers hand packets to it until then.
		if err := s.dp.Close(); err != nil {
			s.log.Warn("closing the data plane", "error", err)
		}
	}
	if s.pcap != nil {
		if err := s.pcap.Close(); err != nil {
			s.log.Error("closing the capture", "error", err)
		}
	}
}

// serve runs the server until ctx ends, then closes everything.
func (s *server) serve(ctx context.Context) error {
	s.wg.Add(1)
	go s.acceptCtl()
	err := s.loop(ctx)
	close(s.stopped)
	s.ctl.Close()
	s.connsMu.Lock()
	for c := range s.conns {
		c.Close() // a client that sends nothing must not hold up the stop
	}
	s.connsMu.Unlock()
	s.wg.Wait()
	s.closeAll()
	s.log.Info("stopped")
	return err
}

// loop is the goroutine that owns the engine.
func (s *server) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	s.act(s.eng.Start(time.Now()))
	for {
		if at, ok := s.eng.NextTimeout(); ok {
			timer.Reset(max(time.Until(at), 0))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			s.log.Info("stopping", "cause", context.Cause(ctx).Error())
			// Tell the peers (best effort: the Deletes go out, their
			// responses are not awaited).
			s.act(s.eng.TerminateAll(time.Now()))
			return nil
		case d, ok := <-s.net.Datagrams():
			if !ok {
				return errors.New("refserver: the sockets closed")
			}
			s.act(s.eng.Receive(time.Now(), d))
		case p := <-s.esp:
			// ESP for an SPI the data plane does not have (or, with
			// --no-dataplane, any ESP): the engine reports INVALID_SPI to
			// the peer when the SPI is not one of its Child SAs'
			// (RFC7296-2.21.4-7), rate-limited.
			s.act(s.eng.UnknownESP(time.Now(), p.remote, p.spi))
		case x := <-s.exhausted:
			s.act(s.eng.ChildExhausted(time.Now(), x.spiOut, x.hard))
		case x := <-s.limits:
			s.act(s.eng.ChildLimit(time.Now(), x.spiIn, x.hard))
		case fn := <-s.cmds:
			fn(time.Now())
		case <-timer.C:
			s.act(s.eng.Tick(time.Now()))
		}
	}
}

// errStopped is returned to control commands once the loop has ended.
var errStopped = errors.New("refserver: the server is stopping")

// do runs fn on the loop goroutine and waits for it.
func (s *server) do(fn func(now time.Time)) error {
	done := make(chan struct{})
	select {
	case s.cmds <- func(now time.Time) { fn(now); close(done) }:
	case <-s.stopped:
		return errStopped
	}
	<-done // the loop runs fn to its end once it took it
	return nil
}

// act carries out the engine's actions in order.
func (s *server) act(acts []ike.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case ike.Send:
			if err := s.net.Send(a); err != nil {
				s.log.Warn("send failed", "error", err)
			}
		case ike.IKEKeys:
			if s.keys != nil {
				if err := s.keys.addIKE(a); err != nil {
					s.log.Error("key log", "error", err)
				}
			}
		case ike.ChildUp:
			s.log.Info("CHILD_SA established", append(childAttrs(a.IKE, a.Child),
				"mode", a.Child.Mode.String(), "udp_encap", a.Child.UDPEncap,
				"local_ts", strings.Join(a.Child.LocalTS, " "), "remote_ts", strings.Join(a.Child.RemoteTS, " "),
				"outbound_later", a.OutboundLater)...)
			if s.keys != nil {
				if err := s.keys.addChild(a); err != nil {
					s.log.Error("key log", "error", err)
				}
			}
			s.installChild(a)
		case ike.ChildOutbound:
			s.log.Info("CHILD_SA outbound SA takes the traffic", childAttrs(a.IKE, a.Child)...)
			s.activateOutbound(a)
		case ike.ChildDown:
			s.log.Info("CHILD_SA deleted", childAttrs(a.IKE, a.Child)...)
			s.removeChild(a)
			s.recordChildDown(a)
		case ike.IKEDown:
			s.log.Info("IKE_SA deleted", "ike_sa", fmt.Sprintf("%s[%d]", a.IKE.Name, a.IKE.UniqueID),
				"state", a.IKE.State, "reason", a.Reason)
			s.recordDown(a)
		default:
			s.log.Debug("action not carried out", "type", fmt.Sprintf("%T", a))
		}
	}
}

func (s *server) recordDown(a ike.IKEDown) {
	if _, ok := s.downs[a.IKE.UniqueID]; !ok {
		s.downOrder = append(s.downOrder, a.IKE.UniqueID)
	}
	s.downs[a.IKE.UniqueID] = downRecord{name: a.IKE.Name, reason: a.Reason}
	for len(s.downOrder) > maxDowns {
		delete(s.downs, s.downOrder[0])
		s.downOrder = s.downOrder[1:]
	}
}

// childAttrs names a Child SA in the log.
func childAttrs(sa ike.SAInfo, c ike.ChildInfo) []any {
	return []any{"ike_sa", fmt.Sprintf("%s[%d]", sa.Name, sa.UniqueID),
		"child_sa", fmt.Sprintf("%s{%d}", c.Name, c.UniqueID),
		"spi_in", fmt.Sprintf("%08x", c.SPIIn), "spi_out", fmt.Sprintf("%08x", c.SPIOut)}
}

func (s *server) recordChildDown(a ike.ChildDown) {
	s.childDowns = append(s.childDowns, childDownRecord{conn: a.IKE.Name, name: a.Child.Name,
		ikeID: a.IKE.UniqueID, id: a.Child.UniqueID})
	if n := len(s.childDowns) - maxDowns; n > 0 {
		s.childDowns = slices.Delete(s.childDowns, 0, n)
	}
}

// parseLevel reads --log-level.
func parseLevel(s string) (hclog.Level, error) {
	l := hclog.LevelFromString(s)
	if l == hclog.NoLevel {
		return l, fmt.Errorf("refserver: --log-level %q: want trace, debug, info, warn or error", s)
	}
	return l, nil
}

// espPacket is what the loop needs of a UDP-encapsulated ESP packet.
type espPacket struct {
	remote netip.AddrPort
	spi    uint32
}

// onESP runs on a socket reader: the data plane processes the packet (in
// place: netio's buffer is the reader's own); without one, the packet's
// SPI goes to the loop.
func (s *server) onESP(local, remote netip.AddrPort, packet []byte) {
	if dp := s.dpReady.Load(); dp != nil {
		dp.HandleESP(local, remote, packet)
		return
	}
	if len(packet) < 4 {
		return
	}
	select {
	case s.esp <- espPacket{remote: remote, spi: binary.BigEndian.Uint32(packet)}:
	default:
	}
}
