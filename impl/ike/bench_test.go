package ike_test

import (
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/ike/iketest"
)

// BenchmarkHandshake measures whole in-process handshakes: IKE_SA_INIT and
// IKE_AUTH with PSK and the first Child SA, both ends' work (key exchange,
// key derivation, AUTH, SK protection, encoding), over the in-memory
// network. handshakes/s = 1e9 / ns/op.
func BenchmarkHandshake(b *testing.B) {
	for _, bc := range []struct {
		name     string
		ike, esp ike.Proposal
	}{
		{"X25519-AES_GCM_16-128", ikeGCMX25519, espGCM},
		{"ECP_256-AES_CBC-256", ikeCBCECP, espCBC},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l, r := left(), right()
			l.ike, r.ike = []ike.Proposal{bc.ike}, []ike.Proposal{bc.ike}
			l.esp, r.esp = []ike.Proposal{bc.esp}, []ike.Proposal{bc.esp}
			cl, cr := l.config(b, addrR, 1, nil), r.config(b, addrL, 2, nil)
			cl.Logger, cr.Logger = nil, nil
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				cl.Rand, cr.Rand = iketest.Rand(uint64(2*n)), iketest.Rand(uint64(2*n+1))
				net := iketest.New()
				nl, err := net.Add("left", addrL, cl)
				if err != nil {
					b.Fatal(err)
				}
				nr, err := net.Add("right", addrR, cr)
				if err != nil {
					b.Fatal(err)
				}
				acts, err := nl.Engine.Initiate(net.Now, "lab", "net")
				if err != nil {
					b.Fatal(err)
				}
				net.Do(nl, acts)
				if err := net.Flush(10); err != nil {
					b.Fatal(err)
				}
				if s := nr.Engine.SAs(); len(s) != 1 || s[0].State != "ESTABLISHED" {
					b.Fatal("not established")
				}
			}
		})
	}
}
