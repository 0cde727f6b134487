package dataplane_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/esp"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// FuzzHandleESP feeds arbitrary packets to a data plane with a tunnel-mode
// and a transport-mode Child SA installed: nothing panics. Inputs whose
// first octet is odd go to the SAs' SPIs, so that they reach ESP processing.
func FuzzHandleESP(f *testing.F) {
	dp, err := dataplane.New(dataplane.Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer dp.Close()
	base := dataplane.Child{Connection: "fuzz", Name: "tunnel", SPIIn: 0x1001, SPIOut: 0x2001, Mode: esp.Tunnel,
		Local: netip.AddrPortFrom(outerA, 0), Remote: netip.AddrPortFrom(outerB, 0),
		Encr: cbc.encr, Integ: cbc.integ, InEnc: cbc.encBA, InInteg: cbc.intBA, OutEnc: cbc.encAB, OutInteg: cbc.intAB,
		LocalTS: []policy.TS{host(innerA4)}, RemoteTS: []policy.TS{host(innerB4)}}
	transport := base
	transport.Name, transport.SPIIn, transport.SPIOut, transport.Mode = "transport", 0x1002, 0x2002, esp.Transport
	transport.LocalTS, transport.RemoteTS = []policy.TS{host(outerA)}, []policy.TS{host(outerB)}
	for _, c := range []dataplane.Child{base, transport} {
		if err := dp.Install(c); err != nil {
			f.Fatal(err)
		}
	}
	// Seeds: packets the peer would send (sealed with its keys).
	for _, c := range []dataplane.Child{base, transport} {
		out, err := esp.NewOutbound(esp.Config{SPI: c.SPIIn, Encr: c.Encr, EncrKey: c.InEnc, Integ: c.Integ,
			IntegKey: c.InInteg, Mode: c.Mode}, esp.OutboundOptions{})
		if err != nil {
			f.Fatal(err)
		}
		inner := []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, 2, 198, 51, 100, 1, 0, 9, 0, 7, 0, 8, 0, 0}
		if c.Mode == esp.Transport {
			inner = []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1, 0, 9, 0, 7, 0, 8, 0, 0}
		}
		s, err := out.SealPacket(nil, inner)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.Packet)
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 8 && b[0]&1 == 1 {
			spi := uint32(0x1001)
			if b[1]&1 == 1 {
				spi = 0x1002
			}
			binary.BigEndian.PutUint32(b, spi)
		}
		dp.HandleESP(netip.AddrPortFrom(outerA, 0), netip.AddrPortFrom(outerB, 0), b)
	})
}
