package wire

import "fmt"

// This file holds the IANA registries that RFC 7296 section 3 points to
// ("Internet Key Exchange Version 2 (IKEv2) Parameters"), with the values
// added by later RFCs that the project implements or must at least name:
// RFC 4555, 4739, 5685, 5723, 5739, 5840, 5857, 5998, 6023, 6311, 6467, 7383,
// 7427, 7619, 7670, 8019, 8031, 9242, 9370. Specification constants only; the
// implementation's own limits live beside the code that uses them.

// IKE header and payload sizes (RFC 7296 sections 3.1 and 3.2).
const (
	HeaderLen        = 28 // RFC 7296 section 3.1: the fixed IKE header
	GenericHeaderLen = 4  // RFC 7296 section 3.2: Next Payload, C + RESERVED, Payload Length
	MajorVersion     = 2  // RFC7296-3.1-4: "MUST set the major version to 2"
	MinorVersion     = 0  // RFC7296-3.1-7: "MUST set the minor version to 0"
	NonESPMarkerLen  = 4  // RFC 3948 section 2.2: four zero octets before IKE on port 4500
)

// names renders a registry value: the name if known, else the number in the
// form strongSwan and Wireshark use for unknown values.
func names[T ~uint8 | ~uint16](m map[T]string, v T, what string) string {
	if s, ok := m[v]; ok {
		return s
	}
	return fmt.Sprintf("%s(%d)", what, uint16(v))
}

// ExchangeType is the IKE header's Exchange Type (RFC 7296 section 3.1).
type ExchangeType uint8

const (
	IKE_SA_INIT        ExchangeType = 34
	IKE_AUTH           ExchangeType = 35
	CREATE_CHILD_SA    ExchangeType = 36
	INFORMATIONAL      ExchangeType = 37
	IKE_SESSION_RESUME ExchangeType = 38 // RFC 5723
	GSA_AUTH           ExchangeType = 39 // G-IKEv2
	GSA_REGISTRATION   ExchangeType = 40 // G-IKEv2
	GSA_REKEY          ExchangeType = 41 // G-IKEv2
	IKE_INTERMEDIATE   ExchangeType = 43 // RFC 9242
	IKE_FOLLOWUP_KE    ExchangeType = 44 // RFC 9370
)

var exchangeNames = map[ExchangeType]string{
	IKE_SA_INIT: "IKE_SA_INIT", IKE_AUTH: "IKE_AUTH", CREATE_CHILD_SA: "CREATE_CHILD_SA",
	INFORMATIONAL: "INFORMATIONAL", IKE_SESSION_RESUME: "IKE_SESSION_RESUME",
	GSA_AUTH: "GSA_AUTH", GSA_REGISTRATION: "GSA_REGISTRATION", GSA_REKEY: "GSA_REKEY",
	IKE_INTERMEDIATE: "IKE_INTERMEDIATE", IKE_FOLLOWUP_KE: "IKE_FOLLOWUP_KE",
}

func (e ExchangeType) String() string { return names(exchangeNames, e, "EXCHANGE") }

// Flags is the IKE header's Flags octet (RFC 7296 section 3.1). All eight bits
// are kept as received so that a message re-encodes to the same bytes; the X
// bits "MUST be ignored on receipt" (RFC7296-3.1-9), so nothing interprets them.
type Flags uint8

const (
	FlagInitiator Flags = 0x08 // I: sent by the original initiator of the IKE SA
	FlagVersion   Flags = 0x10 // V: higher major version supported (IKEv2 clears it)
	FlagResponse  Flags = 0x20 // R: this message is a response
)

func (f Flags) Initiator() bool { return f&FlagInitiator != 0 }
func (f Flags) Response() bool  { return f&FlagResponse != 0 }
func (f Flags) Version() bool   { return f&FlagVersion != 0 }

func (f Flags) String() string {
	s := ""
	for _, b := range []struct {
		f Flags
		n string
	}{{FlagResponse, "R"}, {FlagVersion, "V"}, {FlagInitiator, "I"}} {
		if f&b.f != 0 {
			s += b.n
		}
	}
	if x := f &^ (FlagInitiator | FlagVersion | FlagResponse); x != 0 {
		s += fmt.Sprintf("+X(%#02x)", uint8(x))
	}
	if s == "" {
		return "-"
	}
	return s
}

// PayloadType is a Next Payload value (RFC 7296 section 3.2).
type PayloadType uint8

const (
	PayloadNone     PayloadType = 0
	PayloadSA       PayloadType = 33
	PayloadKE       PayloadType = 34
	PayloadIDi      PayloadType = 35
	PayloadIDr      PayloadType = 36
	PayloadCERT     PayloadType = 37
	PayloadCERTREQ  PayloadType = 38
	PayloadAUTH     PayloadType = 39
	PayloadNonce    PayloadType = 40
	PayloadNotify   PayloadType = 41
	PayloadDelete   PayloadType = 42
	PayloadVendorID PayloadType = 43
	PayloadTSi      PayloadType = 44
	PayloadTSr      PayloadType = 45
	PayloadSK       PayloadType = 46
	PayloadCP       PayloadType = 47
	PayloadEAP      PayloadType = 48
	PayloadGSPM     PayloadType = 49 // RFC 6467
	PayloadIDg      PayloadType = 50 // G-IKEv2
	PayloadGSA      PayloadType = 51 // G-IKEv2
	PayloadKD       PayloadType = 52 // G-IKEv2
	PayloadSKF      PayloadType = 53 // RFC 7383
	PayloadPS       PayloadType = 54 // RFC 8019
)

// payloadNames are the short notations of RFC 7296 section 3.2's table, as
// strongSwan's logs and the seed use them.
var payloadNames = map[PayloadType]string{
	PayloadNone: "NONE", PayloadSA: "SA", PayloadKE: "KE", PayloadIDi: "IDi", PayloadIDr: "IDr",
	PayloadCERT: "CERT", PayloadCERTREQ: "CERTREQ", PayloadAUTH: "AUTH", PayloadNonce: "No",
	PayloadNotify: "N", PayloadDelete: "D", PayloadVendorID: "V", PayloadTSi: "TSi",
	PayloadTSr: "TSr", PayloadSK: "SK", PayloadCP: "CP", PayloadEAP: "EAP", PayloadGSPM: "GSPM",
	PayloadIDg: "IDg", PayloadGSA: "GSA", PayloadKD: "KD", PayloadSKF: "SKF", PayloadPS: "PS",
}

func (p PayloadType) String() string { return names(payloadNames, p, "PAYLOAD") }

// ProtocolID names the protocol of an SA proposal, Notify or Delete
// (RFC 7296 section 3.3.1).
type ProtocolID uint8

const (
	ProtoNone ProtocolID = 0
	ProtoIKE  ProtocolID = 1
	ProtoAH   ProtocolID = 2
	ProtoESP  ProtocolID = 3
)

var protocolNames = map[ProtocolID]string{ProtoNone: "NONE", ProtoIKE: "IKE", ProtoAH: "AH", ProtoESP: "ESP"}

func (p ProtocolID) String() string { return names(protocolNames, p, "PROTO") }

// TransformType is a transform substructure's Transform Type (RFC 7296
// section 3.3.2; RFC 9370 section 2.2.2 renames type 4 and adds ADDKE1-7).
type TransformType uint8

const (
	TransformENCR   TransformType = 1
	TransformPRF    TransformType = 2
	TransformINTEG  TransformType = 3
	TransformKE     TransformType = 4 // "Diffie-Hellman Group" before RFC 9370
	TransformESN    TransformType = 5
	TransformADDKE1 TransformType = 6 // RFC 9370
	TransformADDKE2 TransformType = 7
	TransformADDKE3 TransformType = 8
	TransformADDKE4 TransformType = 9
	TransformADDKE5 TransformType = 10
	TransformADDKE6 TransformType = 11
	TransformADDKE7 TransformType = 12
)

var transformTypeNames = map[TransformType]string{
	TransformENCR: "ENCR", TransformPRF: "PRF", TransformINTEG: "INTEG", TransformKE: "KE",
	TransformESN: "ESN", TransformADDKE1: "ADDKE1", TransformADDKE2: "ADDKE2",
	TransformADDKE3: "ADDKE3", TransformADDKE4: "ADDKE4", TransformADDKE5: "ADDKE5",
	TransformADDKE6: "ADDKE6", TransformADDKE7: "ADDKE7",
}

func (t TransformType) String() string { return names(transformTypeNames, t, "TRANSFORM") }

// IsKE reports whether transforms of this type take Key Exchange Method IDs
// (type 4 and the additional key exchanges of RFC 9370).
func (t TransformType) IsKE() bool {
	return t == TransformKE || (t >= TransformADDKE1 && t <= TransformADDKE7)
}

// EncrID is a Transform Type 1 ID (RFC 7296 section 3.3.2 and the IANA registry).
type EncrID uint16

const (
	ENCR_DES_IV64                 EncrID = 1
	ENCR_DES                      EncrID = 2
	ENCR_3DES                     EncrID = 3
	ENCR_RC5                      EncrID = 4
	ENCR_IDEA                     EncrID = 5
	ENCR_CAST                     EncrID = 6
	ENCR_BLOWFISH                 EncrID = 7
	ENCR_3IDEA                    EncrID = 8
	ENCR_DES_IV32                 EncrID = 9
	ENCR_NULL                     EncrID = 11
	ENCR_AES_CBC                  EncrID = 12 // RFC 3602
	ENCR_AES_CTR                  EncrID = 13 // RFC 5930
	ENCR_AES_CCM_8                EncrID = 14 // RFC 4309, 5282
	ENCR_AES_CCM_12               EncrID = 15
	ENCR_AES_CCM_16               EncrID = 16
	ENCR_AES_GCM_8                EncrID = 18 // RFC 4106, 5282
	ENCR_AES_GCM_12               EncrID = 19
	ENCR_AES_GCM_16               EncrID = 20
	ENCR_NULL_AUTH_AES_GMAC       EncrID = 21 // RFC 4543
	ENCR_CAMELLIA_CBC             EncrID = 23
	ENCR_CAMELLIA_CTR             EncrID = 24
	ENCR_CAMELLIA_CCM_8           EncrID = 25
	ENCR_CAMELLIA_CCM_12          EncrID = 26
	ENCR_CAMELLIA_CCM_16          EncrID = 27
	ENCR_CHACHA20_POLY1305        EncrID = 28 // RFC 7634
	ENCR_AES_CCM_8_IIV            EncrID = 29 // RFC 8750
	ENCR_AES_GCM_16_IIV           EncrID = 30
	ENCR_CHACHA20_POLY1305_IIV    EncrID = 31
	ENCR_KUZNYECHIK_MGM_KTREE     EncrID = 32 // RFC 9227
	ENCR_MAGMA_MGM_KTREE          EncrID = 33
	ENCR_KUZNYECHIK_MGM_MAC_KTREE EncrID = 34
	ENCR_MAGMA_MGM_MAC_KTREE      EncrID = 35
)

var encrNames = map[EncrID]string{
	ENCR_DES_IV64: "ENCR_DES_IV64", ENCR_DES: "ENCR_DES", ENCR_3DES: "ENCR_3DES",
	ENCR_RC5: "ENCR_RC5", ENCR_IDEA: "ENCR_IDEA", ENCR_CAST: "ENCR_CAST",
	ENCR_BLOWFISH: "ENCR_BLOWFISH", ENCR_3IDEA: "ENCR_3IDEA", ENCR_DES_IV32: "ENCR_DES_IV32",
	ENCR_NULL: "ENCR_NULL", ENCR_AES_CBC: "ENCR_AES_CBC", ENCR_AES_CTR: "ENCR_AES_CTR",
	ENCR_AES_CCM_8: "ENCR_AES_CCM_8", ENCR_AES_CCM_12: "ENCR_AES_CCM_12",
	ENCR_AES_CCM_16: "ENCR_AES_CCM_16", ENCR_AES_GCM_8: "ENCR_AES_GCM_8",
	ENCR_AES_GCM_12: "ENCR_AES_GCM_12", ENCR_AES_GCM_16: "ENCR_AES_GCM_16",
	ENCR_NULL_AUTH_AES_GMAC: "ENCR_NULL_AUTH_AES_GMAC", ENCR_CAMELLIA_CBC: "ENCR_CAMELLIA_CBC",
	ENCR_CAMELLIA_CTR: "ENCR_CAMELLIA_CTR", ENCR_CAMELLIA_CCM_8: "ENCR_CAMELLIA_CCM_8",
	ENCR_CAMELLIA_CCM_12: "ENCR_CAMELLIA_CCM_12", ENCR_CAMELLIA_CCM_16: "ENCR_CAMELLIA_CCM_16",
	ENCR_CHACHA20_POLY1305: "ENCR_CHACHA20_POLY1305", ENCR_AES_CCM_8_IIV: "ENCR_AES_CCM_8_IIV",
	ENCR_AES_GCM_16_IIV: "ENCR_AES_GCM_16_IIV", ENCR_CHACHA20_POLY1305_IIV: "ENCR_CHACHA20_POLY1305_IIV",
	ENCR_KUZNYECHIK_MGM_KTREE: "ENCR_KUZNYECHIK_MGM_KTREE", ENCR_MAGMA_MGM_KTREE: "ENCR_MAGMA_MGM_KTREE",
	ENCR_KUZNYECHIK_MGM_MAC_KTREE: "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
	ENCR_MAGMA_MGM_MAC_KTREE:      "ENCR_MAGMA_MGM_MAC_KTREE",
}

func (e EncrID) String() string { return names(encrNames, e, "ENCR") }

// PRFID is a Transform Type 2 ID.
type PRFID uint16

const (
	PRF_HMAC_MD5          PRFID = 1
	PRF_HMAC_SHA1         PRFID = 2
	PRF_HMAC_TIGER        PRFID = 3
	PRF_AES128_XCBC       PRFID = 4 // RFC 4434
	PRF_HMAC_SHA2_256     PRFID = 5 // RFC 4868
	PRF_HMAC_SHA2_384     PRFID = 6
	PRF_HMAC_SHA2_512     PRFID = 7
	PRF_AES128_CMAC       PRFID = 8 // RFC 4615
	PRF_HMAC_STREEBOG_512 PRFID = 9 // RFC 9385
)

var prfNames = map[PRFID]string{
	PRF_HMAC_MD5: "PRF_HMAC_MD5", PRF_HMAC_SHA1: "PRF_HMAC_SHA1", PRF_HMAC_TIGER: "PRF_HMAC_TIGER",
	PRF_AES128_XCBC: "PRF_AES128_XCBC", PRF_HMAC_SHA2_256: "PRF_HMAC_SHA2_256",
	PRF_HMAC_SHA2_384: "PRF_HMAC_SHA2_384", PRF_HMAC_SHA2_512: "PRF_HMAC_SHA2_512",
	PRF_AES128_CMAC: "PRF_AES128_CMAC", PRF_HMAC_STREEBOG_512: "PRF_HMAC_STREEBOG_512",
}

func (p PRFID) String() string { return names(prfNames, p, "PRF") }

// IntegID is a Transform Type 3 ID.
type IntegID uint16

const (
	AUTH_NONE              IntegID = 0
	AUTH_HMAC_MD5_96       IntegID = 1
	AUTH_HMAC_SHA1_96      IntegID = 2 // RFC 2404
	AUTH_DES_MAC           IntegID = 3
	AUTH_KPDK_MD5          IntegID = 4
	AUTH_AES_XCBC_96       IntegID = 5 // RFC 3566
	AUTH_HMAC_MD5_128      IntegID = 6
	AUTH_HMAC_SHA1_160     IntegID = 7
	AUTH_AES_CMAC_96       IntegID = 8
	AUTH_AES_128_GMAC      IntegID = 9
	AUTH_AES_192_GMAC      IntegID = 10
	AUTH_AES_256_GMAC      IntegID = 11
	AUTH_HMAC_SHA2_256_128 IntegID = 12 // RFC 4868
	AUTH_HMAC_SHA2_384_192 IntegID = 13
	AUTH_HMAC_SHA2_512_256 IntegID = 14
)

var integNames = map[IntegID]string{
	AUTH_NONE: "AUTH_NONE", AUTH_HMAC_MD5_96: "AUTH_HMAC_MD5_96", AUTH_HMAC_SHA1_96: "AUTH_HMAC_SHA1_96",
	AUTH_DES_MAC: "AUTH_DES_MAC", AUTH_KPDK_MD5: "AUTH_KPDK_MD5", AUTH_AES_XCBC_96: "AUTH_AES_XCBC_96",
	AUTH_HMAC_MD5_128: "AUTH_HMAC_MD5_128", AUTH_HMAC_SHA1_160: "AUTH_HMAC_SHA1_160",
	AUTH_AES_CMAC_96: "AUTH_AES_CMAC_96", AUTH_AES_128_GMAC: "AUTH_AES_128_GMAC",
	AUTH_AES_192_GMAC: "AUTH_AES_192_GMAC", AUTH_AES_256_GMAC: "AUTH_AES_256_GMAC",
	AUTH_HMAC_SHA2_256_128: "AUTH_HMAC_SHA2_256_128", AUTH_HMAC_SHA2_384_192: "AUTH_HMAC_SHA2_384_192",
	AUTH_HMAC_SHA2_512_256: "AUTH_HMAC_SHA2_512_256",
}

func (i IntegID) String() string { return names(integNames, i, "AUTH") }

// KEID is a Transform Type 4 ID ("Key Exchange Method", formerly
// "Diffie-Hellman Group"; RFC 7296 section 3.3.2, RFC 9370).
type KEID uint16

const (
	KE_NONE           KEID = 0
	MODP_768          KEID = 1
	MODP_1024         KEID = 2
	MODP_1536         KEID = 5  // RFC 3526
	MODP_2048         KEID = 14 // RFC 3526
	MODP_3072         KEID = 15
	MODP_4096         KEID = 16
	MODP_6144         KEID = 17
	MODP_8192         KEID = 18
	ECP_256           KEID = 19 // RFC 5903
	ECP_384           KEID = 20
	ECP_521           KEID = 21
	MODP_1024_S160    KEID = 22 // RFC 5114
	MODP_2048_S224    KEID = 23
	MODP_2048_S256    KEID = 24
	ECP_192           KEID = 25
	ECP_224           KEID = 26
	BRAINPOOL_P224R1  KEID = 27 // RFC 6954
	BRAINPOOL_P256R1  KEID = 28
	BRAINPOOL_P384R1  KEID = 29
	BRAINPOOL_P512R1  KEID = 30
	CURVE25519        KEID = 31 // RFC 8031
	CURVE448          KEID = 32
	GOST3410_2012_256 KEID = 33 // RFC 9385
	GOST3410_2012_512 KEID = 34
	ML_KEM_512        KEID = 35 // draft-ietf-ipsecme-ikev2-mlkem
	ML_KEM_768        KEID = 36
	ML_KEM_1024       KEID = 37
)

var keNames = map[KEID]string{
	KE_NONE: "NONE", MODP_768: "MODP_768", MODP_1024: "MODP_1024", MODP_1536: "MODP_1536",
	MODP_2048: "MODP_2048", MODP_3072: "MODP_3072", MODP_4096: "MODP_4096", MODP_6144: "MODP_6144",
	MODP_8192: "MODP_8192", ECP_256: "ECP_256", ECP_384: "ECP_384", ECP_521: "ECP_521",
	MODP_1024_S160: "MODP_1024_S160", MODP_2048_S224: "MODP_2048_S224", MODP_2048_S256: "MODP_2048_S256",
	ECP_192: "ECP_192", ECP_224: "ECP_224", BRAINPOOL_P224R1: "ECP_224_BP", BRAINPOOL_P256R1: "ECP_256_BP",
	BRAINPOOL_P384R1: "ECP_384_BP", BRAINPOOL_P512R1: "ECP_512_BP", CURVE25519: "CURVE_25519",
	CURVE448: "CURVE_448", GOST3410_2012_256: "GOST3410_2012_256", GOST3410_2012_512: "GOST3410_2012_512",
	ML_KEM_512: "ML_KEM_512", ML_KEM_768: "ML_KEM_768", ML_KEM_1024: "ML_KEM_1024",
}

func (k KEID) String() string { return names(keNames, k, "KE") }

// ESNID is a Transform Type 5 ID (Extended Sequence Numbers).
type ESNID uint16

const (
	NoESN ESNID = 0
	ESN   ESNID = 1
)

func (e ESNID) String() string {
	return names(map[ESNID]string{NoESN: "NO_EXT_SEQ", ESN: "EXT_SEQ"}, e, "ESN")
}

// TransformIDName renders a transform ID in the registry of its type.
func TransformIDName(t TransformType, id uint16) string {
	switch {
	case t == TransformENCR:
		return EncrID(id).String()
	case t == TransformPRF:
		return PRFID(id).String()
	case t == TransformINTEG:
		return IntegID(id).String()
	case t.IsKE():
		return KEID(id).String()
	case t == TransformESN:
		return ESNID(id).String()
	}
	return fmt.Sprintf("%d", id)
}

// AttrKeyLength is the only transform attribute RFC 7296 section 3.3.5
// defines; it MUST use the TV format (AF = 1).
const AttrKeyLength uint16 = 14

// IDType is the ID Type of an IDi/IDr payload (RFC 7296 section 3.5, RFC 7619).
type IDType uint8

const (
	ID_IPV4_ADDR   IDType = 1
	ID_FQDN        IDType = 2
	ID_RFC822_ADDR IDType = 3
	ID_IPV6_ADDR   IDType = 5
	ID_DER_ASN1_DN IDType = 9
	ID_DER_ASN1_GN IDType = 10
	ID_KEY_ID      IDType = 11
	ID_FC_NAME     IDType = 12 // RFC 4595
	ID_NULL        IDType = 13 // RFC 7619
)

var idTypeNames = map[IDType]string{
	ID_IPV4_ADDR: "ID_IPV4_ADDR", ID_FQDN: "ID_FQDN", ID_RFC822_ADDR: "ID_RFC822_ADDR",
	ID_IPV6_ADDR: "ID_IPV6_ADDR", ID_DER_ASN1_DN: "ID_DER_ASN1_DN", ID_DER_ASN1_GN: "ID_DER_ASN1_GN",
	ID_KEY_ID: "ID_KEY_ID", ID_FC_NAME: "ID_FC_NAME", ID_NULL: "ID_NULL",
}

func (t IDType) String() string { return names(idTypeNames, t, "ID") }

// CertEncoding is the Certificate Encoding of CERT and CERTREQ payloads
// (RFC 7296 section 3.6, RFC 4806, RFC 7670).
type CertEncoding uint8

const (
	CertPKCS7         CertEncoding = 1
	CertPGP           CertEncoding = 2
	CertDNSKey        CertEncoding = 3
	CertX509Sig       CertEncoding = 4
	CertKerberos      CertEncoding = 6
	CertCRL           CertEncoding = 7
	CertARL           CertEncoding = 8
	CertSPKI          CertEncoding = 9
	CertX509Attr      CertEncoding = 10
	CertRawRSA        CertEncoding = 11
	CertHashURLX509   CertEncoding = 12
	CertHashURLBundle CertEncoding = 13
	CertOCSP          CertEncoding = 14 // RFC 4806
	CertRawPublicKey  CertEncoding = 15 // RFC 7670
)

var certEncodingNames = map[CertEncoding]string{
	CertPKCS7: "PKCS7_WRAPPED_X509", CertPGP: "PGP", CertDNSKey: "DNS_SIGNED_KEY",
	CertX509Sig: "X509_SIGNATURE", CertKerberos: "KERBEROS_TOKEN", CertCRL: "CRL", CertARL: "ARL",
	CertSPKI: "SPKI", CertX509Attr: "X509_ATTRIBUTE", CertRawRSA: "RAW_RSA_KEY",
	CertHashURLX509: "HASH_URL_X509", CertHashURLBundle: "HASH_URL_X509_BUNDLE",
	CertOCSP: "OCSP_CONTENT", CertRawPublicKey: "RAW_PUBLIC_KEY",
}

func (c CertEncoding) String() string { return names(certEncodingNames, c, "CERT") }

// AuthMethod is the Auth Method of an AUTH payload (RFC 7296 section 3.8,
// RFC 4754, RFC 6467, RFC 7619, RFC 7427).
type AuthMethod uint8

const (
	AuthRSASig       AuthMethod = 1
	AuthSharedKeyMIC AuthMethod = 2
	AuthDSSSig       AuthMethod = 3
	AuthECDSA256     AuthMethod = 9
	AuthECDSA384     AuthMethod = 10
	AuthECDSA521     AuthMethod = 11
	AuthGSPM         AuthMethod = 12
	AuthNULL         AuthMethod = 13
	AuthDigitalSig   AuthMethod = 14
)

var authMethodNames = map[AuthMethod]string{
	AuthRSASig: "RSA_SIG", AuthSharedKeyMIC: "PSK", AuthDSSSig: "DSS_SIG",
	AuthECDSA256: "ECDSA_256", AuthECDSA384: "ECDSA_384", AuthECDSA521: "ECDSA_521",
	AuthGSPM: "GSPM", AuthNULL: "NULL", AuthDigitalSig: "DIGITAL_SIGNATURE",
}

func (a AuthMethod) String() string { return names(authMethodNames, a, "AUTH_METHOD") }

// TSType is a traffic selector's TS Type (RFC 7296 section 3.13.1, RFC 4595, RFC 9478).
type TSType uint8

const (
	TS_IPV4_ADDR_RANGE TSType = 7
	TS_IPV6_ADDR_RANGE TSType = 8
	TS_FC_ADDR_RANGE   TSType = 9
	TS_SECLABEL        TSType = 10
)

var tsTypeNames = map[TSType]string{
	TS_IPV4_ADDR_RANGE: "TS_IPV4_ADDR_RANGE", TS_IPV6_ADDR_RANGE: "TS_IPV6_ADDR_RANGE",
	TS_FC_ADDR_RANGE: "TS_FC_ADDR_RANGE", TS_SECLABEL: "TS_SECLABEL",
}

func (t TSType) String() string { return names(tsTypeNames, t, "TS") }

// CFGType is a Configuration payload's CFG Type (RFC 7296 section 3.15).
type CFGType uint8

const (
	CFG_REQUEST CFGType = 1
	CFG_REPLY   CFGType = 2
	CFG_SET     CFGType = 3
	CFG_ACK     CFGType = 4
)

var cfgTypeNames = map[CFGType]string{CFG_REQUEST: "CFG_REQUEST", CFG_REPLY: "CFG_REPLY", CFG_SET: "CFG_SET", CFG_ACK: "CFG_ACK"}

func (c CFGType) String() string { return names(cfgTypeNames, c, "CFG") }

// CPAttrType is a configuration attribute type (RFC 7296 section 3.15.1 and
// the IANA registry).
type CPAttrType uint16

const (
	INTERNAL_IP4_ADDRESS              CPAttrType = 1
	INTERNAL_IP4_NETMASK              CPAttrType = 2
	INTERNAL_IP4_DNS                  CPAttrType = 3
	INTERNAL_IP4_NBNS                 CPAttrType = 4
	INTERNAL_IP4_DHCP                 CPAttrType = 6
	APPLICATION_VERSION               CPAttrType = 7
	INTERNAL_IP6_ADDRESS              CPAttrType = 8
	INTERNAL_IP6_DNS                  CPAttrType = 10
	INTERNAL_IP6_DHCP                 CPAttrType = 12
	INTERNAL_IP4_SUBNET               CPAttrType = 13
	SUPPORTED_ATTRIBUTES              CPAttrType = 14
	INTERNAL_IP6_SUBNET               CPAttrType = 15
	MIP6_HOME_PREFIX                  CPAttrType = 16 // RFC 5026
	INTERNAL_IP6_LINK                 CPAttrType = 17 // RFC 5739
	INTERNAL_IP6_PREFIX               CPAttrType = 18 // RFC 5739
	HOME_AGENT_ADDRESS                CPAttrType = 19
	P_CSCF_IP4_ADDRESS                CPAttrType = 20 // RFC 7651
	P_CSCF_IP6_ADDRESS                CPAttrType = 21
	FTT_KAT                           CPAttrType = 22
	EXTERNAL_SOURCE_IP4_NAT_INFO      CPAttrType = 23
	TIMEOUT_PERIOD_FOR_LIVENESS_CHECK CPAttrType = 24
	INTERNAL_DNS_DOMAIN               CPAttrType = 25 // RFC 8598
	INTERNAL_DNSSEC_TA                CPAttrType = 26 // RFC 8598
)

var cpAttrNames = map[CPAttrType]string{
	INTERNAL_IP4_ADDRESS: "INTERNAL_IP4_ADDRESS", INTERNAL_IP4_NETMASK: "INTERNAL_IP4_NETMASK",
	INTERNAL_IP4_DNS: "INTERNAL_IP4_DNS", INTERNAL_IP4_NBNS: "INTERNAL_IP4_NBNS",
	INTERNAL_IP4_DHCP: "INTERNAL_IP4_DHCP", APPLICATION_VERSION: "APPLICATION_VERSION",
	INTERNAL_IP6_ADDRESS: "INTERNAL_IP6_ADDRESS", INTERNAL_IP6_DNS: "INTERNAL_IP6_DNS",
	INTERNAL_IP6_DHCP: "INTERNAL_IP6_DHCP", INTERNAL_IP4_SUBNET: "INTERNAL_IP4_SUBNET",
	SUPPORTED_ATTRIBUTES: "SUPPORTED_ATTRIBUTES", INTERNAL_IP6_SUBNET: "INTERNAL_IP6_SUBNET",
	MIP6_HOME_PREFIX: "MIP6_HOME_PREFIX", INTERNAL_IP6_LINK: "INTERNAL_IP6_LINK",
	INTERNAL_IP6_PREFIX: "INTERNAL_IP6_PREFIX", HOME_AGENT_ADDRESS: "HOME_AGENT_ADDRESS",
	P_CSCF_IP4_ADDRESS: "P_CSCF_IP4_ADDRESS", P_CSCF_IP6_ADDRESS: "P_CSCF_IP6_ADDRESS",
	FTT_KAT: "FTT_KAT", EXTERNAL_SOURCE_IP4_NAT_INFO: "EXTERNAL_SOURCE_IP4_NAT_INFO",
	TIMEOUT_PERIOD_FOR_LIVENESS_CHECK: "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK",
	INTERNAL_DNS_DOMAIN:               "INTERNAL_DNS_DOMAIN", INTERNAL_DNSSEC_TA: "INTERNAL_DNSSEC_TA",
}

func (c CPAttrType) String() string { return names(cpAttrNames, c, "CP_ATTR") }

// EAPCode is the Code of an EAP message (RFC 3748 section 4).
type EAPCode uint8

const (
	EAPRequest  EAPCode = 1
	EAPResponse EAPCode = 2
	EAPSuccess  EAPCode = 3
	EAPFailure  EAPCode = 4
)

var eapCodeNames = map[EAPCode]string{EAPRequest: "request", EAPResponse: "response", EAPSuccess: "success", EAPFailure: "failure"}

func (c EAPCode) String() string { return names(eapCodeNames, c, "EAP_CODE") }

// NotifyType is a Notify Message Type (RFC 7296 section 3.10.1 and the IANA
// registry). Types below 16384 report errors, the rest carry status.
type NotifyType uint16

// IsError reports whether t is in the error range (RFC 7296 section 3.10.1: 0 - 16383).
func (t NotifyType) IsError() bool { return t < 16384 }

const (
	// Error types.
	UNSUPPORTED_CRITICAL_PAYLOAD NotifyType = 1
	INVALID_IKE_SPI              NotifyType = 4
	INVALID_MAJOR_VERSION        NotifyType = 5
	INVALID_SYNTAX               NotifyType = 7
	INVALID_MESSAGE_ID           NotifyType = 9
	INVALID_SPI                  NotifyType = 11
	NO_PROPOSAL_CHOSEN           NotifyType = 14
	INVALID_KE_PAYLOAD           NotifyType = 17
	AUTHENTICATION_FAILED        NotifyType = 24
	SINGLE_PAIR_REQUIRED         NotifyType = 34
	NO_ADDITIONAL_SAS            NotifyType = 35
	INTERNAL_ADDRESS_FAILURE     NotifyType = 36
	FAILED_CP_REQUIRED           NotifyType = 37
	TS_UNACCEPTABLE              NotifyType = 38
	INVALID_SELECTORS            NotifyType = 39
	UNACCEPTABLE_ADDRESSES       NotifyType = 40 // RFC 4555
	UNEXPECTED_NAT_DETECTED      NotifyType = 41 // RFC 4555
	USE_ASSIGNED_HoA             NotifyType = 42 // RFC 5026
	TEMPORARY_FAILURE            NotifyType = 43
	CHILD_SA_NOT_FOUND           NotifyType = 44
	INVALID_GROUP_ID             NotifyType = 45 // G-IKEv2
	AUTHORIZATION_FAILED         NotifyType = 46 // G-IKEv2
	STATE_NOT_FOUND              NotifyType = 47 // RFC 9370

	// Status types.
	INITIAL_CONTACT                     NotifyType = 16384
	SET_WINDOW_SIZE                     NotifyType = 16385
	ADDITIONAL_TS_POSSIBLE              NotifyType = 16386
	IPCOMP_SUPPORTED                    NotifyType = 16387
	NAT_DETECTION_SOURCE_IP             NotifyType = 16388
	NAT_DETECTION_DESTINATION_IP        NotifyType = 16389
	COOKIE                              NotifyType = 16390
	USE_TRANSPORT_MODE                  NotifyType = 16391
	HTTP_CERT_LOOKUP_SUPPORTED          NotifyType = 16392
	REKEY_SA                            NotifyType = 16393
	ESP_TFC_PADDING_NOT_SUPPORTED       NotifyType = 16394
	NON_FIRST_FRAGMENTS_ALSO            NotifyType = 16395
	MOBIKE_SUPPORTED                    NotifyType = 16396 // RFC 4555
	ADDITIONAL_IP4_ADDRESS              NotifyType = 16397
	ADDITIONAL_IP6_ADDRESS              NotifyType = 16398
	NO_ADDITIONAL_ADDRESSES             NotifyType = 16399
	UPDATE_SA_ADDRESSES                 NotifyType = 16400
	COOKIE2                             NotifyType = 16401
	NO_NATS_ALLOWED                     NotifyType = 16402
	AUTH_LIFETIME                       NotifyType = 16403 // RFC 4478
	MULTIPLE_AUTH_SUPPORTED             NotifyType = 16404 // RFC 4739
	ANOTHER_AUTH_FOLLOWS                NotifyType = 16405
	REDIRECT_SUPPORTED                  NotifyType = 16406 // RFC 5685
	REDIRECT                            NotifyType = 16407
	REDIRECTED_FROM                     NotifyType = 16408
	TICKET_LT_OPAQUE                    NotifyType = 16409 // RFC 5723
	TICKET_REQUEST                      NotifyType = 16410
	TICKET_ACK                          NotifyType = 16411
	TICKET_NACK                         NotifyType = 16412
	TICKET_OPAQUE                       NotifyType = 16413
	LINK_ID                             NotifyType = 16414 // RFC 5739
	USE_WESP_MODE                       NotifyType = 16415 // RFC 5840
	ROHC_SUPPORTED                      NotifyType = 16416 // RFC 5857
	EAP_ONLY_AUTHENTICATION             NotifyType = 16417 // RFC 5998
	CHILDLESS_IKEV2_SUPPORTED           NotifyType = 16418 // RFC 6023
	QUICK_CRASH_DETECTION               NotifyType = 16419 // RFC 6290
	IKEV2_MESSAGE_ID_SYNC_SUPPORTED     NotifyType = 16420 // RFC 6311
	IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED NotifyType = 16421
	IKEV2_MESSAGE_ID_SYNC               NotifyType = 16422
	IPSEC_REPLAY_COUNTER_SYNC           NotifyType = 16423
	SECURE_PASSWORD_METHODS             NotifyType = 16424 // RFC 6467
	PSK_PERSIST                         NotifyType = 16425 // RFC 6631
	PSK_CONFIRM                         NotifyType = 16426
	ERX_SUPPORTED                       NotifyType = 16427 // RFC 6867
	IFOM_CAPABILITY                     NotifyType = 16428
	SENDER_REQUEST_ID                   NotifyType = 16429 // G-IKEv2
	IKEV2_FRAGMENTATION_SUPPORTED       NotifyType = 16430 // RFC 7383
	SIGNATURE_HASH_ALGORITHMS           NotifyType = 16431 // RFC 7427
	CLONE_IKE_SA_SUPPORTED              NotifyType = 16432 // RFC 7791
	CLONE_IKE_SA                        NotifyType = 16433
	PUZZLE                              NotifyType = 16434 // RFC 8019
	USE_PPK                             NotifyType = 16435 // RFC 8784
	PPK_IDENTITY                        NotifyType = 16436
	NO_PPK_AUTH                         NotifyType = 16437
	INTERMEDIATE_EXCHANGE_SUPPORTED     NotifyType = 16438 // RFC 9242
	IP4_ALLOWED                         NotifyType = 16439 // RFC 8983
	IP6_ALLOWED                         NotifyType = 16440
	ADDITIONAL_KEY_EXCHANGE             NotifyType = 16441 // RFC 9370
	USE_AGGFRAG                         NotifyType = 16442 // RFC 9347
	SUPPORTED_AUTH_METHODS              NotifyType = 16443 // RFC 9593
)

var notifyNames = map[NotifyType]string{
	UNSUPPORTED_CRITICAL_PAYLOAD: "UNSUPPORTED_CRITICAL_PAYLOAD", INVALID_IKE_SPI: "INVALID_IKE_SPI",
	INVALID_MAJOR_VERSION: "INVALID_MAJOR_VERSION", INVALID_SYNTAX: "INVALID_SYNTAX",
	INVALID_MESSAGE_ID: "INVALID_MESSAGE_ID", INVALID_SPI: "INVALID_SPI",
	NO_PROPOSAL_CHOSEN: "NO_PROPOSAL_CHOSEN", INVALID_KE_PAYLOAD: "INVALID_KE_PAYLOAD",
	AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED", SINGLE_PAIR_REQUIRED: "SINGLE_PAIR_REQUIRED",
	NO_ADDITIONAL_SAS: "NO_ADDITIONAL_SAS", INTERNAL_ADDRESS_FAILURE: "INTERNAL_ADDRESS_FAILURE",
	FAILED_CP_REQUIRED: "FAILED_CP_REQUIRED", TS_UNACCEPTABLE: "TS_UNACCEPTABLE",
	INVALID_SELECTORS: "INVALID_SELECTORS", UNACCEPTABLE_ADDRESSES: "UNACCEPTABLE_ADDRESSES",
	UNEXPECTED_NAT_DETECTED: "UNEXPECTED_NAT_DETECTED", USE_ASSIGNED_HoA: "USE_ASSIGNED_HoA",
	TEMPORARY_FAILURE: "TEMPORARY_FAILURE", CHILD_SA_NOT_FOUND: "CHILD_SA_NOT_FOUND",
	INVALID_GROUP_ID: "INVALID_GROUP_ID", AUTHORIZATION_FAILED: "AUTHORIZATION_FAILED",
	STATE_NOT_FOUND: "STATE_NOT_FOUND",
	INITIAL_CONTACT: "INITIAL_CONTACT", SET_WINDOW_SIZE: "SET_WINDOW_SIZE",
	ADDITIONAL_TS_POSSIBLE: "ADDITIONAL_TS_POSSIBLE", IPCOMP_SUPPORTED: "IPCOMP_SUPPORTED",
	NAT_DETECTION_SOURCE_IP: "NATD_S_IP", NAT_DETECTION_DESTINATION_IP: "NATD_D_IP",
	COOKIE: "COOKIE", USE_TRANSPORT_MODE: "USE_TRANSPORT_MODE",
	HTTP_CERT_LOOKUP_SUPPORTED: "HTTP_CERT_LOOKUP_SUPPORTED", REKEY_SA: "REKEY_SA",
	ESP_TFC_PADDING_NOT_SUPPORTED: "ESP_TFC_PADDING_NOT_SUPPORTED",
	NON_FIRST_FRAGMENTS_ALSO:      "NON_FIRST_FRAGMENTS_ALSO", MOBIKE_SUPPORTED: "MOBIKE_SUPPORTED",
	ADDITIONAL_IP4_ADDRESS: "ADDITIONAL_IP4_ADDRESS", ADDITIONAL_IP6_ADDRESS: "ADDITIONAL_IP6_ADDRESS",
	NO_ADDITIONAL_ADDRESSES: "NO_ADDITIONAL_ADDRESSES", UPDATE_SA_ADDRESSES: "UPDATE_SA_ADDRESSES",
	COOKIE2: "COOKIE2", NO_NATS_ALLOWED: "NO_NATS_ALLOWED", AUTH_LIFETIME: "AUTH_LIFETIME",
	MULTIPLE_AUTH_SUPPORTED: "MULTIPLE_AUTH_SUPPORTED", ANOTHER_AUTH_FOLLOWS: "ANOTHER_AUTH_FOLLOWS",
	REDIRECT_SUPPORTED: "REDIRECT_SUPPORTED", REDIRECT: "REDIRECT", REDIRECTED_FROM: "REDIRECTED_FROM",
	TICKET_LT_OPAQUE: "TICKET_LT_OPAQUE", TICKET_REQUEST: "TICKET_REQUEST", TICKET_ACK: "TICKET_ACK",
	TICKET_NACK: "TICKET_NACK", TICKET_OPAQUE: "TICKET_OPAQUE", LINK_ID: "LINK_ID",
	USE_WESP_MODE: "USE_WESP_MODE", ROHC_SUPPORTED: "ROHC_SUPPORTED",
	EAP_ONLY_AUTHENTICATION: "EAP_ONLY_AUTHENTICATION", CHILDLESS_IKEV2_SUPPORTED: "CHILDLESS_IKEV2_SUPPORTED",
	QUICK_CRASH_DETECTION:               "QUICK_CRASH_DETECTION",
	IKEV2_MESSAGE_ID_SYNC_SUPPORTED:     "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
	IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
	IKEV2_MESSAGE_ID_SYNC:               "IKEV2_MESSAGE_ID_SYNC", IPSEC_REPLAY_COUNTER_SYNC: "IPSEC_REPLAY_COUNTER_SYNC",
	SECURE_PASSWORD_METHODS: "SECURE_PASSWORD_METHODS", PSK_PERSIST: "PSK_PERSIST",
	PSK_CONFIRM: "PSK_CONFIRM", ERX_SUPPORTED: "ERX_SUPPORTED", IFOM_CAPABILITY: "IFOM_CAPABILITY",
	SENDER_REQUEST_ID: "SENDER_REQUEST_ID", IKEV2_FRAGMENTATION_SUPPORTED: "FRAG_SUP",
	SIGNATURE_HASH_ALGORITHMS: "HASH_ALG", CLONE_IKE_SA_SUPPORTED: "CLONE_IKE_SA_SUPPORTED",
	CLONE_IKE_SA: "CLONE_IKE_SA", PUZZLE: "PUZZLE", USE_PPK: "USE_PPK", PPK_IDENTITY: "PPK_IDENTITY",
	NO_PPK_AUTH: "NO_PPK_AUTH", INTERMEDIATE_EXCHANGE_SUPPORTED: "INTERMEDIATE_EXCHANGE_SUPPORTED",
	IP4_ALLOWED: "IP4_ALLOWED", IP6_ALLOWED: "IP6_ALLOWED", ADDITIONAL_KEY_EXCHANGE: "ADDITIONAL_KEY_EXCHANGE",
	USE_AGGFRAG: "USE_AGGFRAG", SUPPORTED_AUTH_METHODS: "SUPPORTED_AUTH_METHODS",
}

// String gives the short name used in one-line message summaries
// ("N(NATD_S_IP)"), as strongSwan's logs do.
func (t NotifyType) String() string {
	if s, ok := notifyNames[t]; ok {
		return s
	}
	if t.IsError() {
		return fmt.Sprintf("ERR(%d)", uint16(t))
	}
	return fmt.Sprintf("%d", uint16(t))
}

// FullName gives the registry's name (NAT_DETECTION_SOURCE_IP rather than
// NATD_S_IP), for verbose output.
func (t NotifyType) FullName() string {
	switch t {
	case NAT_DETECTION_SOURCE_IP:
		return "NAT_DETECTION_SOURCE_IP"
	case NAT_DETECTION_DESTINATION_IP:
		return "NAT_DETECTION_DESTINATION_IP"
	case IKEV2_FRAGMENTATION_SUPPORTED:
		return "IKEV2_FRAGMENTATION_SUPPORTED"
	case SIGNATURE_HASH_ALGORITHMS:
		return "SIGNATURE_HASH_ALGORITHMS"
	}
	return t.String()
}
