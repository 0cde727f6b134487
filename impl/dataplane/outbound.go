package dataplane

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// Outbound processing (RFC 4301 section 5.1): packets from the device and
// from the built-in responders, through the SPD, sealed and sent.

// bufPool holds the buffers packets are sealed into and transport-mode
// packets rebuilt in: one per packet in flight, returned after the call.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, sealRoom)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte, used []byte) {
	if cap(used) > cap(*b) && cap(used) <= 2*sealRoom {
		*b = used // append grew it: keep the larger one
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// readDevice is the device's reader goroutine: each packet the local stack
// routed into the device is an outbound packet to protect.
func (d *DataPlane) readDevice(dev Device) {
	defer d.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, err := dev.Read(buf)
		if err != nil {
			if d.isClosed() || errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				return
			}
			d.st.deviceErrors.Add(1)
			d.auditf("reading the tunnel device", "device", dev.Name(), "error", err)
			if !d.pause() {
				return
			}
			continue
		}
		d.st.deviceRead.Add(1)
		// Errors are counted and audited in output.
		_ = d.output(buf[:n], true)
	}
}

func (d *DataPlane) isClosed() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// pause waits a little after a read error; false when the data plane
// closes meanwhile.
func (d *DataPlane) pause() bool {
	t := time.NewTimer(readErrorPause)
	defer t.Stop()
	select {
	case <-d.done:
		return false
	case <-t.C:
		return true
	}
}

// Errors of output, for the built-in senders (the device's packets are
// only counted).
var (
	errDiscard = errors.New("dataplane: the SPD discards the packet")
	errBypass  = errors.New("dataplane: the SPD says BYPASS, but the data plane sends only protected packets")
	errNoSA    = errors.New("dataplane: the SPD's PROTECT entry has no SA")
)

// output is RFC 4301 section 5.1 for one IP packet (RFC4301-5.1-1, and
// RFC4301-5-1: the SPD is consulted for every packet): its selector values,
// the ordered SPD search, then the entry's action. fromDevice says that
// the local stack routed the packet into the device (for the audit).
func (d *DataPlane) output(pkt []byte, fromDevice bool) error {
	p, err := policy.ParsePacket(pkt)
	if err != nil {
		d.st.outMalformed.Add(1)
		d.auditf("outbound packet dropped: unreadable", "error", err, "from_device", fromDevice)
		return fmt.Errorf("dataplane: outbound packet: %w", err)
	}
	dec := d.db.SPD.Outbound(p)
	switch {
	case dec.Action == policy.Discard:
		// RFC4301-5-2 (no entry) or a DISCARD entry. RFC4301-5.1.1-2,
		// RFC4301-5.1.1-3: the reason and the selector values in the audit.
		d.st.outDiscarded.Add(1)
		d.auditf("outbound packet discarded", "packet", p.String(), "reason", dec.Reason.String(), "entry", dec.Entry.Name)
		return errDiscard
	case dec.Action == policy.Bypass:
		// A packet routed into the device was meant to be protected; the
		// data plane has no way to send it in the clear.
		d.st.outBypassed.Add(1)
		d.auditf("outbound packet dropped: BYPASS entry, but it was routed into the tunnel", "packet", p.String(), "entry", dec.Entry.Name)
		return errBypass
	case dec.SA == nil:
		// RFC 4301 section 5.1 step 3b: no SA yet. No trap here: the
		// packet is discarded (RFC4301-5.1-2).
		d.st.outNoSA.Add(1)
		d.auditf("outbound packet dropped: no SA for its PROTECT entry", "packet", p.String(), "entry", dec.Entry.Name)
		return errNoSA
	}
	return d.seal(dec.SA.Data.(*child), dec.SA, pkt)
}

// errExpired is refused traffic on a pair past its hard volume limit.
var errExpired = errors.New("dataplane: the Child SA reached its hard volume limit")

// seal protects pkt with the pair's outbound SA and sends it.
func (d *DataPlane) seal(ch *child, sa *policy.SA, pkt []byte) error {
	if ch.limitHardTold.Load() {
		// RFC7296-2.8-1: an SA whose lifetime expired MUST NOT be used.
		ch.expired.Add(1)
		d.st.outExpired.Add(1)
		d.auditf("outbound packet dropped: the Child SA reached its hard volume limit", "child_sa", ch.String())
		return errExpired
	}
	bp := getBuf()
	s, err := ch.out.SealPacket((*bp)[:0], pkt)
	defer putBuf(bp, s.Packet)
	switch {
	case errors.Is(err, esp.ErrSeqExhausted):
		// RFC4303-3.3.3-1: the counter never cycles; the SA is dead until
		// the key exchange replaces it.
		d.st.outSeqExhausted.Add(1)
		if ch.hardTold.CompareAndSwap(false, true) {
			d.log.Warn("outbound SA out of sequence numbers: the Child SA must be rekeyed", "child_sa", ch.String())
			if d.cfg.Exhausted != nil {
				d.cfg.Exhausted(ch.spiOut, true)
			}
		}
		return err
	case err != nil:
		d.st.outMalformed.Add(1)
		d.auditf("outbound packet dropped: ESP refused it", "child_sa", ch.String(), "error", err)
		return err
	}
	if s.RekeyDue && ch.softTold.CompareAndSwap(false, true) {
		d.log.Info("outbound SA at its soft sequence number limit: rekey due", "child_sa", ch.String(), "seq", s.Seq)
		if d.cfg.Exhausted != nil {
			d.cfg.Exhausted(ch.spiOut, false)
		}
	}
	if !ch.lim.none() {
		st := ch.out.Stats()
		d.checkLimits(ch, st.Octets, st.Packets)
	}
	if err := d.send(sa, s.Packet); err != nil {
		ch.sendErrors.Add(1)
		d.st.outSendErrors.Add(1)
		d.auditf("sending an ESP packet failed", "child_sa", ch.String(), "error", err)
		return err
	}
	d.st.outSent.Add(1)
	return nil
}

// send sends an ESP packet to the SA's peer: in UDP between the SA's ports
// (RFC 3948 section 2.1), or as IP protocol 50.
func (d *DataPlane) send(sa *policy.SA, pkt []byte) error {
	if sa.Remote.Port() != 0 {
		if d.cfg.UDP == nil {
			return errors.New("dataplane: no UDP sender for encapsulated ESP")
		}
		return d.cfg.UDP.SendESP(sa.Local, sa.Remote, pkt)
	}
	r := d.rawFor(sa.Local.Addr(), sa.Remote.Addr())
	if r == nil {
		return fmt.Errorf("dataplane: no raw ESP socket for %v", sa.Local.Addr())
	}
	return r.WriteTo(pkt, sa.Local.Addr(), sa.Remote.Addr())
}

// rawFor is the raw socket bound to local, else the unspecified one of the
// family.
func (d *DataPlane) rawFor(local, remote netip.Addr) RawConn {
	var wild RawConn
	for _, r := range d.cfg.Raw {
		a := r.Addr().Unmap()
		switch {
		case a == local:
			return r
		case a.IsUnspecified() && a.Is4() == remote.Is4() && wild == nil:
			wild = r
		}
	}
	return wild
}
