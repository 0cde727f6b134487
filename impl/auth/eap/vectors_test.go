package eap

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/crypto/md4"
)

// unhex reads hex with spaces, as the RFCs print it.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func arr16(t testing.TB, s string) (a [16]byte) {
	t.Helper()
	if n := copy(a[:], unhex(t, s)); n != 16 {
		t.Fatalf("%q is not 16 octets", s)
	}
	return a
}

// The values of RFC 2759 section 9.2 ("Hash Example"); RFC 3079 section
// 3.5.3 starts from the same user, password and challenges.
const (
	rfcUserName      = "User"
	rfcPassword      = "clientPass"
	rfcAuthChallenge = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28"
	rfcPeerChallenge = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E"
	rfcNTResponse    = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF"
	rfcPasswordHash  = "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE"
)

// TestRFC2759HashExample checks every intermediate value of RFC 2759
// section 9.2.
func TestRFC2759HashExample(t *testing.T) {
	auth := arr16(t, rfcAuthChallenge)
	peer := arr16(t, rfcPeerChallenge)

	tests := []struct {
		name string // the value, as RFC 2759 section 9.2 names it
		got  func() []byte
		want string
	}{
		{"16-octet PasswordHash is MD4 of the 0-to-256-unicode-char Password octets (RFC 2759 9.2)", func() []byte {
			h := md4.New()
			h.Write(unhex(t, "63 00 6C 00 69 00 65 00 6E 00 74 00 50 00 61 00 73 00 73 00"))
			return h.Sum(nil)
		}, rfcPasswordHash},
		{"8-octet Challenge (RFC 2759 9.2, ChallengeHash 8.2)", func() []byte {
			c := ChallengeHash(peer, auth, []byte(rfcUserName))
			return c[:]
		}, "D0 2E 43 86 BC E9 12 26"},
		{"ChallengeHash ignores a domain (RFC 2759 section 4)", func() []byte {
			c := ChallengeHash(peer, auth, []byte(`BIGCO\`+rfcUserName))
			return c[:]
		}, "D0 2E 43 86 BC E9 12 26"},
		{"16-octet PasswordHash (RFC 2759 9.2, NtPasswordHash 8.3)", func() []byte {
			h, err := NTPasswordHash([]byte(rfcPassword))
			if err != nil {
				t.Fatal(err)
			}
			return h[:]
		}, rfcPasswordHash},
		{"24 octet NT-Response (RFC 2759 9.2, GenerateNTResponse 8.1)", func() []byte {
			r := GenerateNTResponse(auth, peer, []byte(rfcUserName), arr16(t, rfcPasswordHash))
			return r[:]
		}, rfcNTResponse},
		{"16-octet PasswordHashHash (RFC 2759 9.2, HashNtPasswordHash 8.4)", func() []byte {
			h := HashNTPasswordHash(arr16(t, rfcPasswordHash))
			return h[:]
		}, "41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"},
		{"42-octet AuthenticatorResponse (RFC 2759 9.2, GenerateAuthenticatorResponse 8.7)", func() []byte {
			var nt [NTResponseLen]byte
			copy(nt[:], unhex(t, rfcNTResponse))
			a := GenerateAuthenticatorResponse(arr16(t, rfcPasswordHash), nt, peer, auth, []byte(rfcUserName))
			return []byte(AuthString(a))
		}, hex.EncodeToString([]byte("S=407A5589115FD0D6209F510FE9C04566932CDA56"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.got(), unhex(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("got % X\nwant % X", got, want)
			}
		})
	}
}

// TestRFC2759DESExpansion: the 7-octet keys of ChallengeResponse spread
// over 8 octets, 7 bits each (RFC 2759 section 8.6); the third key of the
// section 9.2 example is the two last hash octets and five zeros.
func TestRFC2759DESExpansion(t *testing.T) {
	var c [8]byte
	copy(c[:], unhex(t, "D0 2E 43 86 BC E9 12 26"))
	r := ChallengeResponse(c, arr16(t, rfcPasswordHash))
	if got, want := r[:], unhex(t, rfcNTResponse); !bytes.Equal(got, want) {
		t.Fatalf("ChallengeResponse = % X, want % X (RFC 2759 section 9.2)", got, want)
	}
}

// getNewKeyFromSHA is RFC 3079 section 3.3 (for the 128-bit example
// only: the initial session key from the start key).
func getNewKeyFromSHA(startKey, sessionKey [16]byte) []byte {
	h := sha1.New()
	h.Write(startKey[:])
	h.Write(shsPad1)
	h.Write(sessionKey[:])
	h.Write(shsPad2)
	return h.Sum(nil)[:16]
}

// TestRFC3079KeyDerivation checks RFC 3079 section 3.5.3 ("Sample Key
// Derivations for 128-bit Session Keys"), then the MSK layout built on it.
func TestRFC3079KeyDerivation(t *testing.T) {
	var nt [NTResponseLen]byte
	copy(nt[:], unhex(t, rfcNTResponse))
	ph := arr16(t, rfcPasswordHash)
	mk := MasterKey(HashNTPasswordHash(ph), nt)
	serverSend := AsymmetricStartKey(mk, true, true)

	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"MasterKey (RFC 3079 3.5.3 step 3, GetMasterKey 3.4)", mk[:], "FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"},
		// The section prints the send key of the end that holds IsServer
		// TRUE in GetAsymmetricStartKey, i.e. the Magic3 key.
		{"SendStartKey128 (RFC 3079 3.5.3 step 4, GetAsymmetricStartKey 3.4)", serverSend[:], "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"},
		{"SendSessionKey128 (RFC 3079 3.5.3 step 5, GetNewKeyFromSHA 3.3)", getNewKeyFromSHA(serverSend, serverSend), "40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := unhex(t, tc.want); !bytes.Equal(tc.got, want) {
				t.Errorf("got % X\nwant % X", tc.got, want)
			}
		})
	}

	// RFC 3079 section 3.4: a key is the send key of one end and the
	// receive key of the other.
	if a, b := AsymmetricStartKey(mk, true, true), AsymmetricStartKey(mk, false, false); a != b {
		t.Errorf("server send % X != client receive % X (RFC 3079 section 3.4)", a, b)
	}
	clientSend := AsymmetricStartKey(mk, true, false)
	if b := AsymmetricStartKey(mk, false, true); clientSend != b {
		t.Errorf("client send % X != server receive % X (RFC 3079 section 3.4)", clientSend, b)
	}
	if clientSend == serverSend {
		t.Error("the two directions derived one key")
	}

	// The MSK, strongSwan's layout: server receive (Magic2) | server send
	// (Magic3) | 32 zero octets. Its second quarter is the RFC's
	// SendStartKey128; the first is the other direction's key.
	msk := MSCHAPv2MSK(ph, nt)
	want := append(append(append([]byte{}, clientSend[:]...), unhex(t, "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")...), make([]byte, 32)...)
	if !bytes.Equal(msk, want) {
		t.Errorf("MSK =\n% X\nwant\n% X", msk, want)
	}
}

// TestMD5Response checks the CHAP computation of RFC 1994 section 4.1 that
// EAP-MD5 uses (RFC 3748 section 5.4): MD5(Identifier | secret |
// challenge). RFC 1994 prints no example; the expected digests were
// computed independently with Python's hashlib.md5 over the concatenation.
func TestMD5Response(t *testing.T) {
	tests := []struct {
		name      string
		id        uint8
		secret    string
		challenge string // hex
		want      string
	}{
		{"identifier 0x01, secret \"password\", 16-octet challenge 00..0f", 0x01, "password",
			"00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F", "51 B4 C7 5F 26 14 78 F6 7E 37 E4 29 44 0E 29 4D"},
		{"identifier 0xFF, empty secret, one-octet challenge", 0xff, "", "AA", "6C 33 E2 2E 54 6F 0C 70 FA A7 E2 F6 74 76 0A C4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MD5Response(tc.id, []byte(tc.secret), unhex(t, tc.challenge))
			if want := unhex(t, tc.want); !bytes.Equal(got[:], want) {
				t.Errorf("got % X, want % X", got, want)
			}
		})
	}
}
