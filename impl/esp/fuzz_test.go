package esp

import (
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
