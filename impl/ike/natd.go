package ike

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"net/netip"

	"github.com/ikev2ref/ikev2ref/impl/wire"
)

// NAT detection (RFC 7296 section 2.23): the NAT_DETECTION_SOURCE_IP and
// NAT_DETECTION_DESTINATION_IP notifies of IKE_SA_INIT. The move to port
// 4500 that follows a detected NAT is in processInitResponse; NAT
// keepalives (RFC 3948 section 2.3) are in onTimer.

// natdHash is the NAT detection hash of RFC 7296 section 2.23:
// SHA-1(SPIi | SPIr | IP | Port).
func natdHash(spii, spir uint64, ap netip.AddrPort) []byte {
	var b [8 + 8 + 16 + 2]byte
	binary.BigEndian.PutUint64(b[0:], spii)
	binary.BigEndian.PutUint64(b[8:], spir)
	ip := ap.Addr().Unmap().AsSlice()
	n := 16 + copy(b[16:], ip)
	binary.BigEndian.PutUint16(b[n:], ap.Port())
	h := sha1.Sum(b[:n+2])
	return h[:]
}

// natd detects NATs from the peer's NAT_DETECTION_* notifies (RFC 7296
// section 2.23). It reports whether the peer supports NAT traversal at all,
// whether the peer's source was translated (no NAT_DETECTION_SOURCE_IP
// matches where the packet came from) and whether ours was (the
// NAT_DETECTION_DESTINATION_IP does not match where it arrived).
func natd(ps []wire.Payload, spii, spir uint64, local, remote netip.AddrPort) (supported, natRemote, natLocal bool) {
	src, dst := natdHash(spii, spir, remote), natdHash(spii, spir, local)
	var sawSrc, sawDst, srcOK, dstOK bool
	for _, p := range ps {
		n, ok := p.(*wire.Notify)
		if !ok {
			continue
		}
		switch n.Type {
		case wire.NAT_DETECTION_SOURCE_IP:
			sawSrc = true
			// RFC7296-2.23-8: several are allowed; any match will do.
			srcOK = srcOK || bytes.Equal(n.Data, src)
		case wire.NAT_DETECTION_DESTINATION_IP:
			sawDst = true
			dstOK = dstOK || bytes.Equal(n.Data, dst)
		}
	}
	if !sawSrc || !sawDst {
		return false, false, false
	}
	return true, !srcOK, !dstOK
}

func natdPayloads(spii, spir uint64, local, remote netip.AddrPort) []wire.Payload {
	// RFC7296-2.23-7: both ends include both notifies in IKE_SA_INIT.
	return []wire.Payload{
		&wire.Notify{Type: wire.NAT_DETECTION_SOURCE_IP, Data: natdHash(spii, spir, local)},
		&wire.Notify{Type: wire.NAT_DETECTION_DESTINATION_IP, Data: natdHash(spii, spir, remote)},
	}
}
