package eap

import (
	"bytes"
	"crypto/des"
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	// MD4 is what RFC 2759 section 8.3 hashes the password with; x/crypto
	// keeps it (deprecated for new designs, which this is not).
	"golang.org/x/crypto/md4"
)

const md5Size = md5.Size

// MD5Response is the CHAP response of RFC 1994 section 4.1 that EAP-MD5
// uses (RFC 3748 section 5.4): MD5 over the Identifier of the Request, the
// secret and the challenge Value, in that order.
func MD5Response(identifier uint8, secret, challenge []byte) [md5Size]byte {
	h := md5.New()
	h.Write([]byte{identifier})
	h.Write(secret)
	h.Write(challenge)
	var out [md5Size]byte
	copy(out[:], h.Sum(nil))
	return out
}

// maxPasswordChars is RFC 2759 section 4's "0 to (theoretically) 256"
// Unicode characters.
const maxPasswordChars = 256

// NTPasswordHash is RFC 2759 section 8.3: MD4 over the password in
// little-endian UTF-16 ("Unicode"). The password is UTF-8 text of at most
// 256 UTF-16 code units. (strongSwan widens each octet to 16 bits instead,
// which is the same for ASCII and differs for other characters.)
func NTPasswordHash(password []byte) ([16]byte, error) {
	var out [16]byte
	if !utf8.Valid(password) {
		return out, wrapf(ErrConfig, "MSCHAPv2 password is not UTF-8 text")
	}
	u := utf16.Encode([]rune(string(password)))
	if len(u) > maxPasswordChars {
		return out, wrapf(ErrConfig, "MSCHAPv2 password of %d UTF-16 units exceeds %d (RFC 2759 section 4)", len(u), maxPasswordChars)
	}
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	h := md4.New()
	h.Write(b)
	copy(out[:], h.Sum(nil))
	return out, nil
}

// HashNTPasswordHash is RFC 2759 section 8.4: MD4 of the password hash.
func HashNTPasswordHash(passwordHash [16]byte) [16]byte {
	h := md4.New()
	h.Write(passwordHash[:])
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// UserName is the part of an MS-CHAP-V2 Name that enters ChallengeHash:
// without a Windows NT domain prefix "DOMAIN\" (RFC 2759 section 4). Like
// strongSwan, it cuts at the first backslash.
func UserName(name []byte) []byte {
	if i := bytes.IndexByte(name, '\\'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// ChallengeHash is RFC 2759 section 8.2: the first 8 octets of SHA-1 over
// the peer challenge, the authenticator challenge and the user name
// (without its domain: pass the Name as sent, UserName is applied here).
func ChallengeHash(peerChallenge, authChallenge [ChallengeLen]byte, name []byte) [8]byte {
	h := sha1.New()
	h.Write(peerChallenge[:])
	h.Write(authChallenge[:])
	h.Write(UserName(name))
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// ChallengeResponse is RFC 2759 section 8.5: the password hash, padded
// with zeros to 21 octets, is three 7-octet DES keys, each encrypting the
// challenge hash (DesEncrypt, section 8.6).
func ChallengeResponse(challenge [8]byte, passwordHash [16]byte) [NTResponseLen]byte {
	var z [21]byte
	copy(z[:], passwordHash[:])
	var out [NTResponseLen]byte
	for i := range 3 {
		desEncrypt(out[8*i:8*i+8], challenge[:], z[7*i:7*i+7])
	}
	return out
}

// desEncrypt is RFC 2759 section 8.6: DES-ECB of one block under a 56-bit
// key spread over the 8 octets DES takes, seven key bits per octet (the
// low bit of each octet is parity, which crypto/des ignores).
func desEncrypt(dst, clear, key7 []byte) {
	var k56 uint64
	for _, b := range key7 {
		k56 = k56<<8 | uint64(b)
	}
	var key [8]byte
	for i := range key {
		key[i] = byte(k56>>(49-7*uint(i))) << 1
	}
	c, err := des.NewCipher(key[:])
	if err != nil {
		panic(fmt.Sprintf("eap: des.NewCipher with an 8-octet key: %v", err)) // unreachable: the key is 8 octets
	}
	c.Encrypt(dst, clear)
}

// GenerateNTResponse is RFC 2759 section 8.1, from the password hash of
// section 8.3 (so that a server may store NT hashes rather than passwords).
func GenerateNTResponse(authChallenge, peerChallenge [ChallengeLen]byte, name []byte, passwordHash [16]byte) [NTResponseLen]byte {
	return ChallengeResponse(ChallengeHash(peerChallenge, authChallenge, name), passwordHash)
}

// Magic constants of RFC 2759 section 8.7.
var (
	authMagic1 = []byte("Magic server to client signing constant")
	authMagic2 = []byte("Pad to make it do more than one iteration")
)

// GenerateAuthenticatorResponse is RFC 2759 section 8.7: the 20 octets
// that the Success Request carries as "S=" and 40 uppercase hexadecimal
// digits (AuthString formats them).
func GenerateAuthenticatorResponse(passwordHash [16]byte, ntResponse [NTResponseLen]byte, peerChallenge, authChallenge [ChallengeLen]byte, name []byte) [20]byte {
	hh := HashNTPasswordHash(passwordHash)
	h := sha1.New()
	h.Write(hh[:])
	h.Write(ntResponse[:])
	h.Write(authMagic1)
	digest := h.Sum(nil)
	ch := ChallengeHash(peerChallenge, authChallenge, name)
	h.Reset()
	h.Write(digest)
	h.Write(ch[:])
	h.Write(authMagic2)
	var out [20]byte
	copy(out[:], h.Sum(nil))
	return out
}

// AuthString formats an authenticator response as RFC 2759 section 5
// sends it: "S=" and 40 uppercase hexadecimal digits.
func AuthString(auth [20]byte) string {
	return fmt.Sprintf("S=%X", auth[:])
}

// CheckAuthenticatorResponse is RFC 2759 section 8.8, in constant time.
func CheckAuthenticatorResponse(expected, received [20]byte) bool {
	return subtle.ConstantTimeCompare(expected[:], received[:]) == 1
}

// Constants of RFC 3079 section 3.4 (GetMasterKey, GetAsymmetricStartKey).
var (
	mppeMagic1 = []byte("This is the MPPE Master Key")
	mppeMagic2 = []byte("On the client side, this is the send key; on the server side, it is the receive key.")
	mppeMagic3 = []byte("On the client side, this is the receive key; on the server side, it is the send key.")
	shsPad1    = make([]byte, 40)
	shsPad2    = bytes.Repeat([]byte{0xf2}, 40)
)

// MasterKey is GetMasterKey of RFC 3079 section 3.4: the first 16 octets
// of SHA-1 over the password hash hash, the NT-Response and Magic1.
func MasterKey(passwordHashHash [16]byte, ntResponse [NTResponseLen]byte) [16]byte {
	h := sha1.New()
	h.Write(passwordHashHash[:])
	h.Write(ntResponse[:])
	h.Write(mppeMagic1)
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// AsymmetricStartKey is GetAsymmetricStartKey of RFC 3079 section 3.4 for
// 128-bit keys: the send key of the server and the receive key of the
// client are one key (Magic3), the send key of the client and the receive
// key of the server the other (Magic2).
func AsymmetricStartKey(masterKey [16]byte, isSend, isServer bool) [16]byte {
	magic := mppeMagic3
	if isSend != isServer {
		magic = mppeMagic2
	}
	h := sha1.New()
	h.Write(masterKey[:])
	h.Write(shsPad1)
	h.Write(magic)
	h.Write(shsPad2)
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// MSKLen is the length of an EAP MSK (RFC 3748 section 7.10: at least 64
// octets).
const MSKLen = 64

// MSCHAPv2MSK is the MSK of EAP-MSCHAPv2 as IKEv2 implementations use it.
// strongSwan's eap_mschapv2 plugin (GenerateMSK in
// src/libcharon/plugins/eap_mschapv2/eap_mschapv2.c, read at commit
// 06a207480e335f1d7c469ccca931d976df58b8b9) lays it out as
//
//	MSK = MasterReceiveKey | MasterSendKey | 32 zero octets
//
// where its MasterReceiveKey is the SHA-1 of RFC 3079 section 3.4 with
// Magic2 and its MasterSendKey the one with Magic3, each cut to 16 octets.
// In RFC 3079's terms that is the server's receive key, then the server's
// send key (the same order as hostapd's "server MS-MPPE-Recv-Key |
// MS-MPPE-Send-Key"). The layout does not depend on the role, so both ends
// compute the same 64 octets.
func MSCHAPv2MSK(passwordHash [16]byte, ntResponse [NTResponseLen]byte) []byte {
	mk := MasterKey(HashNTPasswordHash(passwordHash), ntResponse)
	recv := AsymmetricStartKey(mk, false, true) // Magic2
	send := AsymmetricStartKey(mk, true, true)  // Magic3
	msk := make([]byte, MSKLen)
	copy(msk, recv[:])
	copy(msk[16:], send[:])
	return msk
}
