package crypto

import (
	"math/big"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// rfcDir holds the RFC texts in the development environment; a clone of the
// repository does not have it, and the tests that read it skip.
const rfcDir = "../../../shared/rfc"

func readRFC(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(rfcDir + "/" + name)
	if err != nil {
		t.Skipf("RFC text not available (%v): this test compares the constants with %s and runs only where ../shared/rfc exists", err, name)
	}
	// Drop form feeds and the page headers and footers.
	var keep []string
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\f", ""), "\n") {
		if strings.HasPrefix(l, "RFC ") || strings.HasPrefix(l, "Kivinen & Kojo") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// RFC 3526 sections 3, 4 and 5: the primes re-read from the RFC's text
// equal the constants.
func TestRFC3526Primes(t *testing.T) {
	text := readRFC(t, "rfc3526.txt")
	for _, c := range []struct {
		section string
		bits    int
		id      wire.KEID
		hex     string
	}{
		{"3", 2048, wire.MODP_2048, modp2048Hex},
		{"4", 3072, wire.MODP_3072, modp3072Hex},
		{"5", 4096, wire.MODP_4096, modp4096Hex},
	} {
		re := regexp.MustCompile(`(?s)\n` + c.section + `\.  ` + strconv.Itoa(c.bits) +
			`-bit MODP Group\s+This group is assigned id (\d+)\..*?hexadecimal value is:\s+([0-9A-F \n]+?)\n\s*\n\s*The generator is: 2\.`)
		m := re.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("section %s not found in rfc3526.txt", c.section)
		}
		if m[1] != strconv.Itoa(int(c.id)) {
			t.Errorf("section %s assigns id %s, the registry uses %d", c.section, m[1], c.id)
		}
		if got, want := strings.Join(strings.Fields(m[2]), ""), strings.Join(strings.Fields(c.hex), ""); got != want {
			t.Errorf("section %s: the RFC's prime differs from the constant", c.section)
		}
	}
}

// Independently of the RFC text: each MODP modulus has the announced size
// and is a safe prime, the property RFC 6989 section 2.1 relies on for its
// range check alone to suffice.
func TestMODPSafePrimes(t *testing.T) {
	for _, id := range []wire.KEID{wire.MODP_2048, wire.MODP_3072, wire.MODP_4096} {
		m := mustKE(t, id).impl.(*modpGroup)
		if m.p.BitLen() != 8*m.size || m.size != map[wire.KEID]int{wire.MODP_2048: 256, wire.MODP_3072: 384, wire.MODP_4096: 512}[id] {
			t.Errorf("%v: %d bits", id, m.p.BitLen())
		}
		q := new(big.Int).Rsh(m.p, 1)
		if !m.p.ProbablyPrime(2) || !q.ProbablyPrime(2) {
			t.Errorf("%v: p or (p-1)/2 is not prime", id)
		}
	}
}
