// Command ikedump prints the IKEv2 messages (RFC 7296 section 3) and ESP
// packets (RFC 4303 section 2; UDP-encapsulated per RFC 3948 section 2) of
// pcap and pcapng captures, one line each, and with key tables decrypts
// them: the Encrypted payloads of IKE (RFC 7296 section 3.14, RFC 5282)
// with Wireshark's ikev2_decryption_table, ESP with Wireshark's esp_sa.
//
// Usage:
//
//	ikedump [-v] [--json] [--ikev2-keys FILE] [--esp-keys FILE] CAPTURE...
//
// Every IKE message gives a line such as
//
//	#1 192.0.2.1:500 -> 192.0.2.2:500 0102030405060708_i 0000000000000000_r IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]
//	#3 192.0.2.1:4500 -> 192.0.2.2:4500 [non-ESP marker] 0102030405060708_i 1112131415161718_r IKE_AUTH request 1 [ IDi AUTH SA TSi TSr ] (SK: AES-CBC-256/HMAC_SHA2_256_128, ICV correct)
//
// in strongSwan's notation (impl/wire's Summary). When the Encrypted payload
// was opened the brackets show the payloads inside it; "[non-ESP marker]"
// marks IKE on port 4500, which RFC 3948 section 2.2 prefixes with four
// zero octets. A message whose SPIs have no row in the IKEv2 key table
// says "SK not decrypted: no key for SPIs ...", which is not a failure.
// When the ICV is wrong but the cipher is not AEAD, the message is still
// decrypted and shown, marked "ICV INCORRECT, contents unauthenticated".
//
// Every ESP packet gives a line such as
//
//	#1 192.1.2.23 -> 192.1.2.45 ESP SPI 0x12345678 seq 1 len 116 (TripleDES-CBC, ICV not checked) inner IPv4 192.0.2.1 -> 192.0.1.1 ICMP echo request id 28416 seq 1280 len 64
//
// where len is the length of the ESP packet from the SPI on, the
// parentheses name the SA's algorithms and whether the ICV was verified
// (the tcpdump captures' integrity keys are unknown: "ICV not checked"),
// and "inner" describes the decrypted packet (ESP inside ESP is opened
// layer by layer with the same table). Without a key the line ends with
// "(not decrypted: no key for SPI ...)", which is not a failure. On an SA
// whose ICV is not checked, a wrong key shows as a padding or Next Header
// failure ("DECRYPTION FAILED: bad padding"): RFC 4303 section 2.4's
// padding 1, 2, 3, ... is then the only check there is. NAT keepalives (RFC 3948 section 2.3) give a short
// line; IKE messages of another major version (IKEv1) are named and not
// decoded; other packets are skipped. A packet that cannot be decoded or
// decrypted is reported on its line, with the octet offset and the reason,
// and the next packet is read.
//
// With -v every field follows, indented: the IKE header (SPIs, next
// payload, version, exchange, flags, message ID, length), every payload
// with its critical bit (proposals, transforms and attributes; KE group and
// data; IDs by type; AUTH method and data; nonces; notify type, protocol,
// SPI and data, with NAT-D hashes checked against the packet's addresses,
// cookies, hash algorithm lists and window sizes decoded; deletes; traffic
// selectors; configuration attributes; EAP), the Encrypted payload's IV,
// ciphertext and ICV lengths, then the payloads it held; for ESP the
// packet's fields and the inner packet's layers. -v also names the key
// table row that matched, by SPIs and line: never a key.
//
// Exit status: 0 when every packet decoded and everything that had a key
// decrypted with a correct ICV; 1 when any packet was malformed or failed
// decryption or its integrity check; 2 for usage errors and unreadable
// captures or key tables. Diagnostics go to stderr.
//
// # JSON
//
// With --json, every IKE message, ESP packet, NAT keepalive and broken
// packet is one JSON object on one line, with these fields (empty ones are
// left out):
//
//	file            the capture's path as given
//	frame           1-based frame number
//	time            capture timestamp, RFC 3339 with nanoseconds
//	kind            "ike", "esp", "keepalive" or "broken"
//	src, dst        "address:port" ("address" for raw ESP)
//	non_esp_marker  true for IKE on port 4500
//	line            the text line ikedump prints without --json
//	detail          with -v, the indented lines ikedump prints
//	ike             spi_i, spi_r (16 hex digits), exchange, response,
//	                initiator (the I flag), message_id, length, payloads
//	                (the outer chain, as in summaries), and sk when the
//	                message has an Encrypted payload:
//	    sk          status ("decrypted", "unauthenticated", "no_key",
//	                "failed"), cipher, integrity, icv ("correct",
//	                "incorrect"), inner (payload names), key_line (line
//	                of the key table row)
//	esp             spi ("0x" and 8 hex digits), seq, length,
//	                udp_encapsulated, status ("decrypted", "no_key",
//	                "failed"), cipher, integrity, icv ("correct",
//	                "incorrect", "not checked"), next_header, pad_length, inner (the
//	                inner packet's summary), inner_esp (the same object
//	                for ESP carried inside), key_line
//	error           stage ("capture", "ike", "sk", "sk_integrity",
//	                "sk_inner", "esp", "esp_integrity", "esp_padding"),
//	                offset (octets from the start of the IKE message, of
//	                the SK plaintext for "sk_inner", of the ESP packet for
//	                ESP), reason, message (the whole error text)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: ikedump [-v] [--json] [--ikev2-keys FILE] [--esp-keys FILE] CAPTURE...

Prints the IKEv2 messages and ESP packets of pcap/pcapng captures, and
decrypts them with Wireshark key tables (ikev2_decryption_table, esp_sa).
Exit status: 0 all decoded, 1 a packet was malformed or failed decryption,
2 usage or file error.

`

// run is the command: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ikedump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print every field of every message and packet")
	jsonOut := fs.Bool("json", false, "print one JSON object per message or packet")
	ikeKeys := fs.String("ikev2-keys", "", "Wireshark ikev2_decryption_table `FILE`")
	espKeys := fs.String("esp-keys", "", "Wireshark esp_sa `FILE`")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	// Flags may come before, between or after the captures.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	d, err := newDumper(*verbose, *ikeKeys, *espKeys)
	if err != nil {
		fmt.Fprintf(stderr, "ikedump: %v\n", err)
		return 2
	}
	status := 0
	for _, f := range files {
		if len(files) > 1 && !*jsonOut {
			fmt.Fprintf(stdout, "# %s\n", f)
		}
		s := d.dumpFile(f, func(o *output) {
			if *jsonOut {
				writeJSON(stdout, o)
				return
			}
			fmt.Fprintln(stdout, o.Line)
			for _, l := range o.Detail {
				fmt.Fprintln(stdout, "    "+strings.TrimRight(l, " "))
			}
		}, stderr)
		status = max(status, s)
	}
	return status
}
