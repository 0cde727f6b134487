package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// The server's data plane (impl/dataplane): ChildUp installs a Child SA pair
// (with its outbound SA held back when OutboundLater says so, and its
// volume limits), ChildOutbound lets a held pair send, ChildDown removes a
// pair; ESP arrives from netio's NAT-T sockets (HandleESP) and from raw ESP
// sockets (the data plane's readers); the tunnel device is opened on the
// first tunnel-mode Child SA. The data plane's reports (unknown SPIs,
// sequence numbers, volume limits) go to the loop through bounded channels.

// exhaustion is a data plane report of an outbound SA's sequence numbers.
type exhaustion struct {
	spiOut uint32
	hard   bool
}

// limitReport is a data plane report of a pair's volume limit.
type limitReport struct {
	spiIn uint32
	hard  bool
}

// startDataPlane opens the raw ESP sockets and starts the data plane. A raw
// socket that cannot be opened (no CAP_NET_RAW) is a warning: ESP then
// flows only in UDP (--force-encap, or NAT-T).
func (s *server) startDataPlane() error {
	o := s.opts
	addrs := slices.Clone(o.listen)
	if len(addrs) == 0 {
		addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	}
	var raws []dataplane.RawConn
	for _, a := range addrs {
		r, err := netio.ListenRawESP(a.Unmap())
		if err != nil {
			if len(o.listen) == 0 && a.Is6() && len(raws) > 0 {
				s.log.Debug("no raw ESP socket for IPv6", "error", err)
				continue
			}
			s.log.Warn("no raw ESP socket: ESP without UDP encapsulation cannot flow (use --force-encap)",
				"addr", a.String(), "error", err)
			continue
		}
		raws = append(raws, r)
		s.log.Info("listening", "socket", "esp", "addr", r.Addr().String())
	}
	_, nattPort := s.net.Ports()
	cfg := dataplane.Config{
		UDP:        s.net,
		Raw:        raws,
		ForceEncap: o.forceEncap,
		// Forced encapsulation goes to the peer's NAT-T port: 4500, or
		// this server's own when it is not 4500 (tests, where both
		// servers use the same port number on two addresses).
		EncapPort:  nattPort,
		TunnelEcho: o.tunnelEcho,
		UnknownSPI: s.unknownSPI,
		Exhausted:  s.onExhausted,
		Limit:      s.onLimit,
		Logger:     s.log.ResetNamed("dataplane"),
	}
	if o.tunName != "" {
		name, mtu := o.tunName, o.mtu
		cfg.OpenDevice = func() (dataplane.Device, error) { return netio.OpenTUN(name, mtu) }
	}
	dp, err := dataplane.New(cfg)
	if err != nil {
		for _, r := range raws {
			r.Close()
		}
		return fmt.Errorf("refserver: %w", err)
	}
	s.dp = dp
	s.dpReady.Store(dp)
	encap := "when the IKE SA uses NAT-T"
	if o.forceEncap {
		encap = "always (--force-encap)"
	}
	dev := o.tunName
	if dev == "" {
		dev = "none"
	}
	s.log.Info("data plane running", "tun", dev, "mtu", o.mtu, "udp_encap", encap, "raw_esp_sockets", len(raws),
		"tunnel_echo", o.tunnelEcho)
	return nil
}

// unknownSPI passes an unknown SPI from a packet goroutine to the loop
// (bounded; dropped when full).
func (s *server) unknownSPI(remote netip.AddrPort, spi uint32) {
	select {
	case s.esp <- espPacket{remote: remote, spi: spi}:
	default:
	}
}

// onExhausted passes a sequence number report to the loop.
func (s *server) onExhausted(spiOut uint32, hard bool) {
	select {
	case s.exhausted <- exhaustion{spiOut: spiOut, hard: hard}:
	default:
		s.log.Warn("sequence number report dropped: the loop is busy", "spi_out", fmt.Sprintf("%08x", spiOut), "hard", hard)
	}
}

// onLimit passes a volume limit report to the loop, where the engine
// rekeys (soft) or deletes (hard) the Child SA.
func (s *server) onLimit(spiIn uint32, hard bool) {
	select {
	case s.limits <- limitReport{spiIn: spiIn, hard: hard}:
	default:
		s.log.Warn("volume limit report dropped: the loop is busy", "spi_in", fmt.Sprintf("%08x", spiIn), "hard", hard)
	}
}

// childOf is the data plane's view of a ChildUp.
func childOf(a ike.ChildUp) dataplane.Child {
	return dataplane.Child{
		Connection: a.IKE.Name, Name: a.Child.Name, UniqueID: a.Child.UniqueID,
		SPIIn: a.Child.SPIIn, SPIOut: a.Child.SPIOut, Mode: esp.Mode(a.Child.Mode),
		Local: a.IKE.Local, Remote: a.IKE.Remote, UDPEncap: a.Child.UDPEncap,
		Encr: a.Encr.ID, Integ: a.Integ, ESN: a.Child.ESN,
		InEnc: a.InEnc, InInteg: a.InInteg, OutEnc: a.OutEnc, OutInteg: a.OutInteg,
		LocalTS: policyTS(a.LocalSel), RemoteTS: policyTS(a.RemoteSel),
		OutboundLater: a.OutboundLater,
		SoftBytes:     a.SoftBytes, HardBytes: a.HardBytes, SoftPackets: a.SoftPackets, HardPackets: a.HardPackets,
		VirtualIP: a.VirtualIP,
	}
}

func policyTS(ts []ike.TrafficSelector) []policy.TS {
	out := make([]policy.TS, 0, len(ts))
	for _, t := range ts {
		out = append(out, policy.TS{Protocol: t.Protocol, StartPort: t.StartPort, EndPort: t.EndPort,
			Start: t.Start.Unmap(), End: t.End.Unmap()})
	}
	return out
}

// installChild hands a ChildUp to the data plane (on the loop).
func (s *server) installChild(a ike.ChildUp) {
	if s.dp == nil {
		return
	}
	if err := s.dp.Install(childOf(a)); err != nil {
		s.log.Error("the data plane refused the Child SA: its traffic cannot flow",
			"child_sa", fmt.Sprintf("%s{%d}", a.Child.Name, a.Child.UniqueID), "error", err)
	}
}

// activateOutbound lets a pair installed with OutboundLater send (on the
// loop).
func (s *server) activateOutbound(a ike.ChildOutbound) {
	if s.dp == nil {
		return
	}
	if err := s.dp.ActivateOutbound(a.Child.SPIIn); err != nil {
		s.log.Error("the data plane cannot move the outbound traffic to the Child SA",
			"child_sa", fmt.Sprintf("%s{%d}", a.Child.Name, a.Child.UniqueID), "error", err)
	}
}

// removeChild takes a Child SA out of the data plane (on the loop).
func (s *server) removeChild(a ike.ChildDown) {
	if s.dp == nil {
		return
	}
	if err := s.dp.Remove(a.Child.SPIIn); err != nil && !errors.Is(err, dataplane.ErrNotInstalled) {
		s.log.Warn("removing a Child SA from the data plane", "error", err)
	}
}

// probe is ctl probe: UDP echo requests through a Child SA of the named
// connection (the named child, else the first), counted when they come back.
func (s *server) probe(name, child string, count int, timeout time.Duration) response {
	if s.dp == nil {
		return fail(errors.New("refserver: probe: the data plane is off (--no-dataplane)"))
	}
	var (
		found *ike.ChildInfo
		sa    ike.SAInfo
	)
	if e := s.do(func(time.Time) {
		for _, x := range s.eng.SAs() {
			if x.Name != name || x.State != "ESTABLISHED" {
				continue
			}
			for _, c := range x.Children {
				if c.State == "INSTALLED" && (child == "" || c.Name == child) {
					c, x := c, x
					found, sa = &c, x
					return
				}
			}
		}
	}); e != nil {
		return fail(e)
	}
	what := name
	if child != "" {
		what += "/" + child
	}
	if found == nil {
		return fail(fmt.Errorf("refserver: probe %s: no ESTABLISHED IKE SA with an INSTALLED Child SA", what))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-s.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := s.dp.Probe(ctx, found.SPIIn, dataplane.ProbeOptions{Count: count, Timeout: timeout})
	label := fmt.Sprintf("%s[%d] %s{%d}", sa.Name, sa.UniqueID, found.Name, found.UniqueID)
	if err != nil {
		return fail(fmt.Errorf("refserver: probe %s: %w", label, err))
	}
	pj := &probeJSON{Sent: res.Sent, Received: res.Received, Src: res.Src.String(), Dst: res.Dst.String(),
		SPIIn: fmt.Sprintf("%08x", found.SPIIn), RTTms: []float64{}}
	var rtts []string
	for _, d := range res.RTTs {
		ms := float64(d.Microseconds()) / 1000
		pj.RTTms = append(pj.RTTms, ms)
		rtts = append(rtts, fmt.Sprintf("%.3f", ms))
	}
	msg := fmt.Sprintf("probe %s: UDP echo %v -> %v: %d sent, %d received", label, res.Src, res.Dst, res.Sent, res.Received)
	if len(rtts) > 0 {
		msg += ", rtt " + strings.Join(rtts, " ") + " ms"
	}
	resp := response{OK: res.Received > 0, Message: msg, Probe: pj}
	if !resp.OK {
		resp.Error = fmt.Sprintf("refserver: probe %s: no echo came back (%d sent)", label, res.Sent)
	}
	return resp
}

// probeJSON is the answer to probe.
type probeJSON struct {
	SPIIn    string    `json:"spi_in"`
	Src      string    `json:"src"`
	Dst      string    `json:"dst"`
	Sent     int       `json:"sent"`
	Received int       `json:"received"`
	RTTms    []float64 `json:"rtt_ms"`
}

// childCounters looks up a Child SA's data plane counters (nil without a
// data plane).
func (s *server) childCounters() func(uint32) (dataplane.ChildStats, bool) {
	if s.dp == nil {
		return nil
	}
	return s.dp.ChildStats
}
