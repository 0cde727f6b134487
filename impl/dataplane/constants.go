package dataplane

import "time"

// Specification constants.
const (
	// EchoPort is the UDP port of the Echo Protocol (RFC 862): "any data
	// received is sent back".
	EchoPort = 7
	// NATTPort is the UDP port of IKE's NAT traversal and of
	// UDP-encapsulated ESP (RFC 3948 section 2.1, RFC 7296 section 2.23).
	NATTPort = 4500
	// espHeaderLen is the SPI and Sequence Number (RFC 4303 section 2).
	espHeaderLen = 8
	// udpHeaderLen is the UDP header (RFC 768).
	udpHeaderLen = 8
	protoUDP     = 17
)

// Implementation constants.
const (
	// maxPacket is the largest IP packet read from the device or an ESP
	// packet read from a raw socket.
	maxPacket = 65535
	// sealRoom is the buffer for a sealed packet: the largest packet and
	// the most ESP can add (header, IV, padding, trailer, ICV).
	sealRoom = maxPacket + 512
	// auditPerSecond bounds the audit records of dropped packets logged
	// each second; the counters count them all.
	auditPerSecond = 20
	// unknownSPIInterval is how often one unknown SPI is reported to the
	// key exchange, and maxUnknownSPIs how many are remembered.
	unknownSPIInterval = time.Second
	maxUnknownSPIs     = 1024
	// probePortBase and probePorts are the local UDP ports of probes.
	probePortBase = 40000
	probePorts    = 20000
	// maxRoutesPerRange bounds the prefixes one address range becomes.
	maxRoutesPerRange = 512
	// readErrorPause is how long a reader waits after an unexpected error,
	// so that a broken device or socket does not spin.
	readErrorPause = 10 * time.Millisecond
)
