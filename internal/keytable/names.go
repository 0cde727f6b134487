package keytable

import (
	"fmt"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// The algorithm names below are the value strings of Wireshark's UAT
// tables: vs_ikev2_encr_algs and vs_ikev2_auth_algs in
// epan/dissectors/packet-isakmp.c, and esp_encryption_type_vals and
// esp_authentication_type_vals in packet-esp.c. Wireshark matches them
// byte for byte, so the writer emits exactly these strings; the reader
// accepts exactly these and nothing else.

// ikeEncrName is one row of the IKEv2 table's encryption column.
type ikeEncrName struct {
	name    string
	id      wire.EncrID
	keyBits int // 0 for the fixed-length ciphers (3DES, NULL)
}

var ikeEncrNames = func() []ikeEncrName {
	out := []ikeEncrName{
		{"NULL [RFC2410]", wire.ENCR_NULL, 0},
		{"3DES [RFC2451]", wire.ENCR_3DES, 0},
	}
	for _, bits := range []int{128, 192, 256} {
		out = append(out,
			ikeEncrName{fmt.Sprintf("AES-CBC-%d [RFC3602]", bits), wire.ENCR_AES_CBC, bits},
			ikeEncrName{fmt.Sprintf("AES-CTR-%d [RFC5930]", bits), wire.ENCR_AES_CTR, bits})
		for _, g := range []struct {
			icv      int
			gcm, ccm wire.EncrID
		}{{8, wire.ENCR_AES_GCM_8, wire.ENCR_AES_CCM_8}, {12, wire.ENCR_AES_GCM_12, wire.ENCR_AES_CCM_12}, {16, wire.ENCR_AES_GCM_16, wire.ENCR_AES_CCM_16}} {
			out = append(out,
				ikeEncrName{fmt.Sprintf("AES-GCM-%d with %d octet ICV [RFC5282]", bits, g.icv), g.gcm, bits},
				ikeEncrName{fmt.Sprintf("AES-CCM-%d with %d octet ICV [RFC5282]", bits, g.icv), g.ccm, bits})
		}
	}
	return out
}()

// ikeIntegNames is the IKEv2 table's integrity column. Wireshark's
// "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]" has no IKEv2
// transform ID and is therefore not accepted.
var ikeIntegNames = []struct {
	name  string
	integ Integrity
}{
	{"HMAC_MD5_96 [RFC2403]", Integrity{ID: wire.AUTH_HMAC_MD5_96}},
	{"HMAC_SHA1_96 [RFC2404]", Integrity{ID: wire.AUTH_HMAC_SHA1_96}},
	{"HMAC_MD5_128 [RFC4595]", Integrity{ID: wire.AUTH_HMAC_MD5_128}},
	{"HMAC_SHA1_160 [RFC4595]", Integrity{ID: wire.AUTH_HMAC_SHA1_160}},
	{"HMAC_SHA2_256_128 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_256_128}},
	{"HMAC_SHA2_384_192 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_384_192}},
	{"HMAC_SHA2_512_256 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_512_256}},
	{"NONE [RFC4306]", Integrity{ID: wire.AUTH_NONE}},
	{"ANY 64-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 8}},
	{"ANY 96-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 12}},
	{"ANY 128-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 16}},
	{"ANY 160-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 20}},
	{"ANY 192-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 24}},
	{"ANY 256-bits of Authentication [No Checking]", Integrity{UncheckedICVLen: 32}},
}

// espEncrNames is the esp_sa table's encryption column. The key length is
// not in the name: it follows from the key. "AES-GCM [RFC4106]" is
// Wireshark's deprecated name with no ICV length; it is read as the 16-octet
// ICV and never written. The ChaCha20-Poly1305 name is Wireshark's from
// version 4.2 on; tshark 4.0 does not know it.
var espEncrNames = []struct {
	name  string
	id    wire.EncrID
	write bool
}{
	{"NULL", wire.ENCR_NULL, true},
	{"TripleDES-CBC [RFC2451]", wire.ENCR_3DES, true},
	{"AES-CBC [RFC3602]", wire.ENCR_AES_CBC, true},
	{"AES-CTR [RFC3686]", wire.ENCR_AES_CTR, true},
	{"DES-CBC [RFC2405]", wire.ENCR_DES, true},
	{"CAST5-CBC [RFC2144]", wire.ENCR_CAST, true},
	{"BLOWFISH-CBC [RFC2451]", wire.ENCR_BLOWFISH, true},
	{"AES-GCM with 8 octet ICV [RFC4106]", wire.ENCR_AES_GCM_8, true},
	{"AES-GCM with 12 octet ICV [RFC4106]", wire.ENCR_AES_GCM_12, true},
	{"AES-GCM with 16 octet ICV [RFC4106]", wire.ENCR_AES_GCM_16, true},
	{"AES-GCM [RFC4106]", wire.ENCR_AES_GCM_16, false},
	{"ChaCha20 with Poly1305 [RFC7634]", wire.ENCR_CHACHA20_POLY1305, true},
}

// espAuthNames is the esp_sa table's authentication column. Wireshark's
// HMAC-SHA-256-96 (a pre-RFC 4868 truncation) and MAC-RIPEMD-160-96 have no
// IKEv2 transform ID and are not accepted.
var espAuthNames = []struct {
	name  string
	integ Integrity
}{
	{"NULL", Integrity{ID: wire.AUTH_NONE}},
	{"HMAC-SHA-1-96 [RFC2404]", Integrity{ID: wire.AUTH_HMAC_SHA1_96}},
	{"HMAC-SHA-256-128 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_256_128}},
	{"HMAC-SHA-384-192 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_384_192}},
	{"HMAC-SHA-512-256 [RFC4868]", Integrity{ID: wire.AUTH_HMAC_SHA2_512_256}},
	{"HMAC-MD5-96 [RFC2403]", Integrity{ID: wire.AUTH_HMAC_MD5_96}},
	{"ANY 64 bit authentication [no checking]", Integrity{UncheckedICVLen: 8}},
	{"ANY 96 bit authentication [no checking]", Integrity{UncheckedICVLen: 12}},
	{"ANY 128 bit authentication [no checking]", Integrity{UncheckedICVLen: 16}},
	{"ANY 192 bit authentication [no checking]", Integrity{UncheckedICVLen: 24}},
	{"ANY 256 bit authentication [no checking]", Integrity{UncheckedICVLen: 32}},
}

// saltLen is the number of octets of keying material that follow the cipher
// key: the salt of the AEAD transforms (RFC 4106 section 8.1, RFC 4309
// section 7.1, RFC 5282 section 7.1, RFC 7634 section 2) and the nonce of
// AES-CTR (RFC 3686 section 5.1, RFC 5930 section 2). Both tables include it
// in the key column.
func saltLen(id wire.EncrID) int {
	switch id {
	case wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12, wire.ENCR_AES_GCM_16,
		wire.ENCR_AES_CTR, wire.ENCR_CHACHA20_POLY1305:
		return 4
	case wire.ENCR_AES_CCM_8, wire.ENCR_AES_CCM_12, wire.ENCR_AES_CCM_16:
		return 3
	}
	return 0
}

// IsAEAD reports whether id is one of the combined-mode transforms the
// tables can name (RFC 5282, RFC 4106, RFC 7634): their rows carry no
// integrity keys.
func IsAEAD(id wire.EncrID) bool {
	switch id {
	case wire.ENCR_AES_GCM_8, wire.ENCR_AES_GCM_12, wire.ENCR_AES_GCM_16,
		wire.ENCR_AES_CCM_8, wire.ENCR_AES_CCM_12, wire.ENCR_AES_CCM_16,
		wire.ENCR_CHACHA20_POLY1305:
		return true
	}
	return false
}

// fixedKeyLen gives the key length in octets of the fixed-length ciphers
// that the ESP table names, and 0 for the others.
func fixedKeyLen(id wire.EncrID) int {
	switch id {
	case wire.ENCR_3DES:
		return 24 // RFC 2451 section 2.2
	case wire.ENCR_DES:
		return 8 // RFC 2405 section 5
	case wire.ENCR_CHACHA20_POLY1305:
		return 32 // RFC 7634 section 2
	case wire.ENCR_NULL:
		return 0
	}
	return -1
}

// IKEEncrName is the name Wireshark's IKEv2 decryption table uses for the
// transform id with the given Key Length attribute (0 for 3DES and NULL).
func IKEEncrName(id wire.EncrID, keyBits int) (string, error) {
	for _, n := range ikeEncrNames {
		if n.id == id && n.keyBits == keyBits {
			return n.name, nil
		}
	}
	if keyBits != 0 {
		return "", fmt.Errorf("keytable: Wireshark's IKEv2 table has no name for %v with a %d-bit key", id, keyBits)
	}
	return "", fmt.Errorf("keytable: Wireshark's IKEv2 table has no name for %v", id)
}

// IKEIntegName is the name Wireshark's IKEv2 decryption table uses for an
// integrity algorithm.
func IKEIntegName(in Integrity) (string, error) {
	for _, n := range ikeIntegNames {
		if n.integ == in {
			return n.name, nil
		}
	}
	return "", fmt.Errorf("keytable: Wireshark's IKEv2 table has no name for integrity %v", in)
}

// ESPEncrName is the name Wireshark's esp_sa table uses for an encryption
// transform (the key length follows from the key).
func ESPEncrName(id wire.EncrID) (string, error) {
	for _, n := range espEncrNames {
		if n.id == id && n.write {
			return n.name, nil
		}
	}
	return "", fmt.Errorf("keytable: Wireshark's esp_sa table has no name for %v", id)
}

// ESPAuthName is the name Wireshark's esp_sa table uses for an integrity
// algorithm.
func ESPAuthName(in Integrity) (string, error) {
	for _, n := range espAuthNames {
		if n.integ == in {
			return n.name, nil
		}
	}
	return "", fmt.Errorf("keytable: Wireshark's esp_sa table has no name for integrity %v", in)
}
