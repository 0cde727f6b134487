package esp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// FuzzOpen opens arbitrary packets with a checked AEAD SA, a checked
// CBC+HMAC SA and an unchecked 3DES SA (the dump tool's case, where the
// padding check is all there is). The seeds are the ESP packets of the
// tcpdump captures and packets sealed here. Run it with
//
//	go test ./impl/esp -run='^$' -fuzz='^FuzzOpen$' -fuzztime=60s
func FuzzOpen(f *testing.F) {
	var sas []*SA
	for _, c := range []Config{
		{SPI: 0x12345678, Encr: wire.ENCR_3DES, EncrKey: key02, UncheckedICVLen: 12},
		{SPI: 0x12345678, Encr: wire.ENCR_AES_GCM_16, EncrKey: make([]byte, 20)},
		{SPI: 0x12345678, Encr: wire.ENCR_AES_CBC, EncrKey: make([]byte, 16), Integ: wire.AUTH_HMAC_SHA2_256_128, IntegKey: make([]byte, 32)},
	} {
		sa, err := NewSA(c)
		if err != nil {
			f.Fatal(err)
		}
		sas = append(sas, sa)
		if sa.Checked() {
			pkt, err := sa.Seal(1, NextHeaderIPv4, append([]byte{0x45}, make([]byte, 39)...), nil)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(pkt)
		}
	}
	for _, file := range []string{"02-sunrise-sunset-esp.pcap", "espudp1.pcap"} {
		for _, d := range readESP(f, file)[:2] {
			f.Add(d.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, sa := range sas {
			o, err := sa.Open(pkt)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(pkt) {
					t.Fatalf("%v: %v: not an *Error inside the packet", sa, err)
				}
				continue
			}
			if len(o.Payload)+o.PadLen+TrailerLen+sa.IVLen()+sa.ICVLen()+HeaderLen != len(pkt) {
				t.Fatalf("%v: opened lengths do not add up to %d", sa, len(pkt))
			}
		}
	})
}

// fuzzInbounds are the SAs FuzzInbound opens with: a tunnel-mode AES-GCM
// SA with ESN, a tunnel-mode CBC+HMAC SA and a transport-mode
// ChaCha20-Poly1305 SA, all with the SPI of the tcpdump captures.
func fuzzInbounds() []Config {
	return []Config{
		{SPI: 0x12345678, Encr: wire.ENCR_AES_GCM_16, EncrKey: make([]byte, 20), ESN: true},
		{SPI: 0x12345678, Encr: wire.ENCR_AES_CBC, EncrKey: make([]byte, 16), Integ: wire.AUTH_HMAC_SHA2_256_128, IntegKey: make([]byte, 32)},
		{SPI: 0x12345678, Encr: wire.ENCR_CHACHA20_POLY1305, EncrKey: make([]byte, 36), Mode: Transport},
	}
}

// fuzzWindow is the state every FuzzInbound input meets: packets 1 to 20
// accepted but 5 and 17.
func fuzzWindow(t testing.TB, c Config) *Inbound {
	in, err := NewInbound(c, InboundOptions{ReplayWindow: 64})
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(1); s <= 20; s++ {
		if s != 5 && s != 17 {
			in.win.Accept(s)
		}
	}
	in.top.Store(in.win.Top())
	return in
}

// FuzzInbound opens arbitrary packets with Inbound.Open (the stateful
// path: SPI, anti-replay check, ICV, decryption, window update, dummy
// packets, inner header and TFC padding). The seeds are packets that the
// matching Outbounds sealed (in the window's gap, new, dummy, TFC-padded,
// replayed, far ahead, with a bad inner header) and the ESP packets of the
// tcpdump captures. For every input and SA: no panic; an error is an
// *Error inside the packet matching a sentinel; Open counts the packet
// exactly once; a packet whose ICV fails, or that is refused before it,
// leaves the window as it was (RFC 4303 section 3.4.3: "The receive
// window is updated only if the integrity verification succeeds"); a
// packet that moved the window had a valid ICV; a packet delivered once is
// a replay the second time. Run it with
//
//	go test ./impl/esp -run='^$' -fuzz='^FuzzInbound$' -fuzztime=60s
func FuzzInbound(f *testing.F) {
	for _, c := range fuzzInbounds() {
		out, err := NewOutbound(c, OutboundOptions{TFCPadTo: 120})
		if err != nil {
			f.Fatal(err)
		}
		for s := uint64(1); s <= 23; s++ {
			var sealed Sealed
			switch s {
			case 21:
				sealed, err = out.SealDummy(nil, 16)
			case 22:
				sealed, err = out.Seal(nil, NextHeaderIPv4, []byte{0x45, 0, 0, 200})
			default:
				sealed, err = out.SealPacket(nil, ipv4(17, "192.0.2.1", "198.51.100.2", []byte{0, 1, 0, 2, 0, 9, 0, 0, byte(s)}))
			}
			if err != nil {
				f.Fatal(err)
			}
			if s == 3 || s == 5 || s >= 17 {
				f.Add(sealed.Packet)
			}
		}
		if c.ESN {
			out.last.Store(1<<32 + 7) // the next subspace
		} else {
			out.last.Store(1000) // far ahead
		}
		far, err := out.SealDummy(nil, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(far.Packet)
	}
	for _, file := range []string{"02-sunrise-sunset-esp.pcap", "espudp1.pcap", "08-sunrise-sunset-aes.pcap"} {
		for _, d := range readESP(f, file)[:2] {
			f.Add(d.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, c := range fuzzInbounds() {
			in := fuzzWindow(t, c)
			var low uint32
			if len(pkt) >= HeaderLen {
				low = binary.BigEndian.Uint32(pkt[4:8])
			}
			seqBefore, okBefore := in.win.Check(low)
			topBefore := in.win.Top()
			r, err := in.Open(bytes.Clone(pkt))
			st := in.Stats()
			if n := st.Packets + st.Dummies + st.ReplayDrops + st.ICVFailures + st.Malformed; n != 1 {
				t.Fatalf("%v: one packet counted %d times: %+v", in.SA(), n, st)
			}
			seqAfter, okAfter := in.win.Check(low)
			moved := in.win.Top() != topBefore || okAfter != okBefore || seqAfter != seqBefore
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(pkt) ||
					!(errors.Is(err, ErrMalformed) || errors.Is(err, ErrIntegrity) || errors.Is(err, ErrReplay)) {
					t.Fatalf("%v: %v: not an *Error inside the packet with a sentinel", in.SA(), err)
				}
				if (errors.Is(err, ErrIntegrity) || errors.Is(err, ErrReplay)) && moved {
					t.Fatalf("%v: %v, yet the window moved (top %d -> %d)", in.SA(), err, topBefore, in.win.Top())
				}
				if moved {
					// Refused after the ICV: it must have verified.
					if _, verified, _ := in.sa.open(bytes.Clone(pkt), uint32(seqBefore>>32), false); !verified || !okBefore {
						t.Fatalf("%v: %v: the window moved for a packet whose ICV did not verify", in.SA(), err)
					}
				}
				return
			}
			if !okBefore || r.Seq != seqBefore || !moved || okAfter {
				t.Fatalf("%v: delivered seq %d, which the window did not take (before %d %v, after %v)", in.SA(), r.Seq, seqBefore, okBefore, okAfter)
			}
			if !r.Dummy {
				if n, err := IPPacketLen(r.Payload); c.Mode == Tunnel && (err != nil || n != len(r.Payload)) {
					t.Fatalf("%v: delivered a bad inner packet: %d, %v", in.SA(), n, err)
				}
			}
			if _, err := in.Open(bytes.Clone(pkt)); !errors.Is(err, ErrReplay) {
				t.Fatalf("%v: the same packet twice: %v, want ErrReplay", in.SA(), err)
			}
		}
	})
}
