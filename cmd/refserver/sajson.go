package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/dataplane"
	"github.com/ikev2ref/ikev2ref/impl/ike"
	"github.com/ikev2ref/ikev2ref/impl/netio"
	"github.com/ikev2ref/ikev2ref/impl/policy"
)

// The control protocol's view of the engine's types: stable lower_snake
// names, SPIs as fixed-width hex, times in RFC 3339. The field names follow
// strongSwan's vici list-sas where it has one (local_host for local-host).

// saJSON is an IKE SA (ike.SAInfo).
type saJSON struct {
	Name        string      `json:"name"`
	UniqueID    uint64      `json:"unique_id"`
	State       string      `json:"state"`
	Initiator   bool        `json:"initiator"`
	SPIi        string      `json:"spi_i"` // 16 hex digits
	SPIr        string      `json:"spi_r"`
	LocalHost   string      `json:"local_host"`
	LocalPort   uint16      `json:"local_port"`
	RemoteHost  string      `json:"remote_host"`
	RemotePort  uint16      `json:"remote_port"`
	LocalID     string      `json:"local_id"`
	RemoteID    string      `json:"remote_id"`
	Encr        string      `json:"encr,omitempty"`
	Integ       string      `json:"integ,omitempty"`
	PRF         string      `json:"prf,omitempty"`
	KE          string      `json:"ke,omitempty"`
	NATLocal    bool        `json:"nat_local"`
	NATRemote   bool        `json:"nat_remote"`
	Established string      `json:"established,omitempty"` // RFC 3339
	Children    []childJSON `json:"children"`
}

// childJSON is a Child SA pair (ike.ChildInfo).
type childJSON struct {
	Name        string   `json:"name"`
	UniqueID    uint64   `json:"unique_id"`
	State       string   `json:"state"`
	Mode        string   `json:"mode"`
	Protocol    string   `json:"protocol"`
	UDPEncap    bool     `json:"udp_encap"`
	SPIIn       string   `json:"spi_in"` // 8 hex digits
	SPIOut      string   `json:"spi_out"`
	Encr        string   `json:"encr,omitempty"`
	Integ       string   `json:"integ,omitempty"`
	KE          string   `json:"ke,omitempty"`
	ESN         bool     `json:"esn"`
	LocalTS     []string `json:"local_ts"`
	RemoteTS    []string `json:"remote_ts"`
	Established string   `json:"established,omitempty"`
	// DataPlane says that the data plane holds the pair and that the
	// counters below are its (impl/dataplane ChildStats); without it they
	// are zero. udp_encap is then the data plane's: whether its ESP goes
	// in UDP (also when --force-encap made it so).
	DataPlane     bool   `json:"dataplane"`
	BytesIn       uint64 `json:"bytes_in"`
	PacketsIn     uint64 `json:"packets_in"`
	BytesOut      uint64 `json:"bytes_out"`
	PacketsOut    uint64 `json:"packets_out"`
	ReplayDrops   uint64 `json:"replay_drops"`
	ICVFailures   uint64 `json:"icv_failures"`
	SelectorDrops uint64 `json:"selector_drops"`
	Malformed     uint64 `json:"malformed"`
	DummiesIn     uint64 `json:"dummies_in"`
	Undeliverable uint64 `json:"undeliverable"`
	SendErrors    uint64 `json:"send_errors"`
	SeqExhausted  uint64 `json:"seq_exhausted"`
	// OutboundHeld: the pair's outbound SA waits for the engine's
	// ChildOutbound (the responder of a rekey); Expired counts the packets
	// refused since the pair reached its hard volume limit.
	OutboundHeld bool   `json:"outbound_held"`
	Expired      uint64 `json:"expired"`
}

// statsJSON is the answer to stats.
type statsJSON struct {
	IKE       ikeStatsJSON        `json:"ike"`
	NetIO     netioStatsJSON      `json:"netio"`
	DataPlane *dataplaneStatsJSON `json:"dataplane,omitempty"`
}

type ikeStatsJSON struct {
	Dropped         uint64 `json:"dropped"`
	Retransmits     uint64 `json:"retransmits"`
	CachedResponses uint64 `json:"cached_responses"`
	HalfOpen        int    `json:"half_open"`
	CookiesSent     uint64 `json:"cookies_sent"`
}

type netioStatsJSON struct {
	IKEReceived uint64 `json:"ike_received"`
	IKESent     uint64 `json:"ike_sent"`
	Keepalives  uint64 `json:"keepalives"`
	ESPInUDP    uint64 `json:"esp_in_udp"`
	ESPSent     uint64 `json:"esp_sent"`
	Malformed   uint64 `json:"malformed"`
	Overruns    uint64 `json:"overruns"`
	ReadErrors  uint64 `json:"read_errors"`
	SendErrors  uint64 `json:"send_errors"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sasJSON(sas []ike.SAInfo) []saJSON { return sasJSONWith(sas, nil) }

// sasJSONWith adds the data plane's counters of each Child SA, found by
// its inbound SPI (counters nil: none).
func sasJSONWith(sas []ike.SAInfo, counters func(spiIn uint32) (dataplane.ChildStats, bool)) []saJSON {
	out := make([]saJSON, 0, len(sas))
	for _, sa := range sas {
		j := saJSON{
			Name: sa.Name, UniqueID: sa.UniqueID, State: sa.State, Initiator: sa.Initiator,
			SPIi: fmt.Sprintf("%016x", sa.SPIi), SPIr: fmt.Sprintf("%016x", sa.SPIr),
			LocalPort: sa.Local.Port(), RemotePort: sa.Remote.Port(),
			LocalID: sa.LocalID, RemoteID: sa.RemoteID,
			Encr: sa.Encr, Integ: sa.Integ, PRF: sa.PRF, KE: sa.KE,
			NATLocal: sa.NATLocal, NATRemote: sa.NATRemote,
			Established: rfc3339(sa.Established),
			Children:    make([]childJSON, 0, len(sa.Children)),
		}
		if sa.Local.IsValid() {
			j.LocalHost = sa.Local.Addr().String()
		}
		if sa.Remote.IsValid() {
			j.RemoteHost = sa.Remote.Addr().String()
		}
		for _, c := range sa.Children {
			cj := childJSON{
				Name: c.Name, UniqueID: c.UniqueID, State: c.State, Mode: c.Mode.String(),
				Protocol: c.Protocol, UDPEncap: c.UDPEncap,
				SPIIn: fmt.Sprintf("%08x", c.SPIIn), SPIOut: fmt.Sprintf("%08x", c.SPIOut),
				Encr: c.Encr, Integ: c.Integ, KE: c.KE, ESN: c.ESN,
				LocalTS: orEmpty(c.LocalTS), RemoteTS: orEmpty(c.RemoteTS),
				Established: rfc3339(c.Established),
			}
			if counters != nil {
				if st, ok := counters(c.SPIIn); ok {
					cj.DataPlane, cj.UDPEncap = true, st.UDPEncap
					cj.BytesIn, cj.PacketsIn, cj.BytesOut, cj.PacketsOut = st.BytesIn, st.PacketsIn, st.BytesOut, st.PacketsOut
					cj.ReplayDrops, cj.ICVFailures, cj.SelectorDrops = st.ReplayDrops, st.ICVFailures, st.SelectorDrops
					cj.Malformed, cj.DummiesIn, cj.Undeliverable = st.Malformed, st.DummiesIn, st.Undeliverable
					cj.SendErrors, cj.SeqExhausted = st.SendErrors, st.SeqExhausted
					cj.OutboundHeld, cj.Expired = st.OutboundHeld, st.Expired
				}
			}
			j.Children = append(j.Children, cj)
		}
		out = append(out, j)
	}
	return out
}

func newStatsJSON(e ike.Stats, n netio.Stats) *statsJSON {
	return &statsJSON{
		IKE: ikeStatsJSON{Dropped: e.Dropped, Retransmits: e.Retransmits, CachedResponses: e.CachedResponses,
			HalfOpen: e.HalfOpen, CookiesSent: e.CookiesSent},
		NetIO: netioStatsJSON{IKEReceived: n.IKEReceived, IKESent: n.IKESent, Keepalives: n.Keepalives,
			ESPInUDP: n.ESPInUDP, ESPSent: n.ESPSent, Malformed: n.Malformed, Overruns: n.Overruns,
			ReadErrors: n.ReadErrors, SendErrors: n.SendErrors},
	}
}

// writeSAs prints the SAs as strongSwan's `swanctl --list-sas` does (no
// reqids; the data plane's byte and packet counters when it holds the
// pair, and a line of drops when there were any):
//
//	refserver: #1, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7a8b_i 0102030405060708_r*
//	  local  'refserver.ikev2ref.example' @ 192.0.2.1[4500]
//	  remote 'client@ikev2ref.example' @ 192.0.2.2[4500]
//	  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
//	  established 5s ago
//	  net: #2, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-256/HMAC_SHA2_256_128
//	    installed 5s ago
//	    in  c6a5e4f3
//	    out cbd06d2e
//	    local  198.51.100.1/32
//	    remote 198.51.100.2/32
func writeSAs(w io.Writer, sas []saJSON, now time.Time) {
	ago := func(ts string) string {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return "?"
		}
		return fmt.Sprintf("%.0f", max(now.Sub(t), 0).Seconds())
	}
	for _, sa := range sas {
		mi, mr := "*", ""
		if !sa.Initiator {
			mi, mr = "", "*"
		}
		fmt.Fprintf(w, "%s: #%d, %s, IKEv2, %s_i%s %s_r%s\n", sa.Name, sa.UniqueID, sa.State, sa.SPIi, mi, sa.SPIr, mr)
		fmt.Fprintf(w, "  local  '%s' @ %s[%d]\n", sa.LocalID, sa.LocalHost, sa.LocalPort)
		fmt.Fprintf(w, "  remote '%s' @ %s[%d]\n", sa.RemoteID, sa.RemoteHost, sa.RemotePort)
		if sa.Encr != "" {
			algs := []string{sa.Encr}
			if sa.Integ != "" {
				algs = append(algs, sa.Integ)
			}
			fmt.Fprintf(w, "  %s\n", strings.Join(append(algs, sa.PRF, sa.KE), "/"))
		}
		if sa.Established != "" {
			fmt.Fprintf(w, "  established %ss ago\n", ago(sa.Established))
		}
		for _, c := range sa.Children {
			mode := c.Mode
			if c.UDPEncap {
				mode += "-in-UDP"
			}
			var algs []string
			for _, a := range []string{c.Encr, c.Integ, c.KE} {
				if a != "" {
					algs = append(algs, a)
				}
			}
			if c.ESN {
				algs = append(algs, "ESN")
			}
			fmt.Fprintf(w, "  %s: #%d, %s, %s, %s:%s\n", c.Name, c.UniqueID, c.State, mode, c.Protocol, strings.Join(algs, "/"))
			if c.Established != "" {
				fmt.Fprintf(w, "    installed %ss ago\n", ago(c.Established))
			}
			if c.DataPlane {
				held := ""
				if c.OutboundHeld {
					held = " (held back: the older pair sends)"
				}
				fmt.Fprintf(w, "    in  %s, %6d bytes, %5d packets\n", c.SPIIn, c.BytesIn, c.PacketsIn)
				fmt.Fprintf(w, "    out %s, %6d bytes, %5d packets%s\n", c.SPIOut, c.BytesOut, c.PacketsOut, held)
				if c.ReplayDrops+c.ICVFailures+c.SelectorDrops+c.Malformed+c.Undeliverable+c.SendErrors+c.SeqExhausted+c.Expired > 0 {
					fmt.Fprintf(w, "    dropped: %d replayed, %d ICV failures, %d outside the selectors, %d malformed, %d undeliverable, %d send errors, %d past the last sequence number, %d past the hard volume limit\n",
						c.ReplayDrops, c.ICVFailures, c.SelectorDrops, c.Malformed, c.Undeliverable, c.SendErrors, c.SeqExhausted, c.Expired)
				}
			} else {
				fmt.Fprintf(w, "    in  %s\n", c.SPIIn)
				fmt.Fprintf(w, "    out %s\n", c.SPIOut)
			}
			fmt.Fprintf(w, "    local  %s\n", strings.Join(c.LocalTS, " "))
			fmt.Fprintf(w, "    remote %s\n", strings.Join(c.RemoteTS, " "))
		}
	}
}

// writeStats prints the counters, one per line.
func writeStats(w io.Writer, s statsJSON) {
	rows := []struct {
		name string
		v    any
	}{
		{"IKE messages dropped", s.IKE.Dropped},
		{"IKE retransmissions", s.IKE.Retransmits},
		{"IKE cached responses", s.IKE.CachedResponses},
		{"IKE half-open SAs", s.IKE.HalfOpen},
		{"IKE cookies sent", s.IKE.CookiesSent},
		{"UDP IKE received", s.NetIO.IKEReceived},
		{"UDP IKE sent", s.NetIO.IKESent},
		{"UDP NAT keepalives", s.NetIO.Keepalives},
		{"UDP ESP-in-UDP received", s.NetIO.ESPInUDP},
		{"UDP ESP-in-UDP sent", s.NetIO.ESPSent},
		{"UDP malformed", s.NetIO.Malformed},
		{"UDP oversized", s.NetIO.Overruns},
		{"UDP read errors", s.NetIO.ReadErrors},
		{"UDP send errors", s.NetIO.SendErrors},
	}
	if d := s.DataPlane; d != nil {
		dev := d.Device
		if dev == "" {
			dev = "(none open)"
		}
		rows = append(rows, []struct {
			name string
			v    any
		}{
			{"ESP tunnel device", dev},
			{"ESP Child SAs", d.Children},
			{"ESP out: sent", d.OutSent},
			{"ESP out: discarded", d.OutDiscarded},
			{"ESP out: bypass dropped", d.OutBypassed},
			{"ESP out: no SA", d.OutNoSA},
			{"ESP out: malformed", d.OutMalformed},
			{"ESP out: seq exhausted", d.OutSeqExhausted},
			{"ESP out: volume expired", d.OutExpired},
			{"ESP out: send errors", d.OutSendErrors},
			{"ESP in: delivered", d.InDelivered},
			{"ESP in: unknown SPI", d.InUnknownSPI},
			{"ESP in: volume expired", d.InExpired},
			{"ESP in: ESP errors", d.InESPErrors},
			{"ESP in: dummies", d.InDummies},
			{"ESP in: selector drops", d.InSelectorDrops},
			{"ESP in: malformed inner", d.InMalformedInner},
			{"ESP in: undeliverable", d.InUndeliverable},
			{"ESP in: too short", d.InShort},
			{"ESP echo replies", d.EchoReplies},
			{"ESP device read", d.DeviceRead},
			{"ESP device written", d.DeviceWritten},
			{"ESP device errors", d.DeviceErrors},
		}...)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-26s %v\n", r.name+":", r.v)
	}
	if d := s.DataPlane; d != nil {
		fmt.Fprintln(w, "SPD (in order):")
		for i, e := range d.SPD {
			fmt.Fprintf(w, "  %d. %s: %s, %d out (%d without SA), %d in (%d dropped)", i+1, e.Name, e.Action,
				e.Outbound, e.NoSA, e.Inbound, e.ClearDropped)
			for _, p := range e.Pairs {
				fmt.Fprintf(w, " %s", p)
			}
			fmt.Fprintln(w)
		}
	}
}

// dataplaneStatsJSON is the data plane's part of stats (impl/dataplane
// Stats, and the SPD with its counters).
type dataplaneStatsJSON struct {
	Device           string         `json:"device"`
	Children         int            `json:"children"`
	DeviceRead       uint64         `json:"device_read"`
	DeviceWritten    uint64         `json:"device_written"`
	DeviceErrors     uint64         `json:"device_errors"`
	RawErrors        uint64         `json:"raw_errors"`
	OutSent          uint64         `json:"out_sent"`
	OutMalformed     uint64         `json:"out_malformed"`
	OutDiscarded     uint64         `json:"out_discarded"`
	OutBypassed      uint64         `json:"out_bypassed"`
	OutNoSA          uint64         `json:"out_no_sa"`
	OutSeqExhausted  uint64         `json:"out_seq_exhausted"`
	OutExpired       uint64         `json:"out_expired"`
	OutSendErrors    uint64         `json:"out_send_errors"`
	InShort          uint64         `json:"in_short"`
	InUnknownSPI     uint64         `json:"in_unknown_spi"`
	InExpired        uint64         `json:"in_expired"`
	InESPErrors      uint64         `json:"in_esp_errors"`
	InDummies        uint64         `json:"in_dummies"`
	InMalformedInner uint64         `json:"in_malformed_inner"`
	InSelectorDrops  uint64         `json:"in_selector_drops"`
	InDelivered      uint64         `json:"in_delivered"`
	InUndeliverable  uint64         `json:"in_undeliverable"`
	EchoReplies      uint64         `json:"echo_replies"`
	SPD              []spdEntryJSON `json:"spd"`
}

// spdEntryJSON is one SPD entry with its counters (policy.EntryInfo).
type spdEntryJSON struct {
	Name         string   `json:"name"`
	Selectors    string   `json:"selectors"`
	Action       string   `json:"action"`
	Outbound     uint64   `json:"outbound"`
	NoSA         uint64   `json:"no_sa"`
	Inbound      uint64   `json:"inbound"`
	ClearDropped uint64   `json:"clear_dropped"`
	Pairs        []string `json:"pairs"` // "inbound/outbound SPI", newest first
}

func newDataPlaneJSON(d dataplane.Stats, spd []policy.EntryInfo) *dataplaneStatsJSON {
	j := &dataplaneStatsJSON{
		Device: d.Device, Children: d.Children,
		DeviceRead: d.DeviceRead, DeviceWritten: d.DeviceWritten, DeviceErrors: d.DeviceErrors, RawErrors: d.RawErrors,
		OutSent: d.OutSent, OutMalformed: d.OutMalformed, OutDiscarded: d.OutDiscarded, OutBypassed: d.OutBypassed,
		OutNoSA: d.OutNoSA, OutSeqExhausted: d.OutSeqExhausted, OutExpired: d.OutExpired, OutSendErrors: d.OutSendErrors,
		InShort: d.InShort, InUnknownSPI: d.InUnknownSPI, InExpired: d.InExpired, InESPErrors: d.InESPErrors, InDummies: d.InDummies,
		InMalformedInner: d.InMalformedInner, InSelectorDrops: d.InSelectorDrops, InDelivered: d.InDelivered,
		InUndeliverable: d.InUndeliverable, EchoReplies: d.EchoReplies,
		SPD: make([]spdEntryJSON, 0, len(spd)),
	}
	for _, e := range spd {
		ej := spdEntryJSON{Name: e.Name, Selectors: e.Match.String(), Action: e.Action.String(),
			Outbound: e.Counters.Outbound, NoSA: e.Counters.NoSA, Inbound: e.Counters.Inbound,
			ClearDropped: e.Counters.ClearDropped, Pairs: []string{}}
		if e.Action == policy.Protect {
			ej.Action += " " + e.ESP.String()
		}
		for _, p := range e.Pairs {
			ej.Pairs = append(ej.Pairs, fmt.Sprintf("%08x/%08x", p[0], p[1]))
		}
		j.SPD = append(j.SPD, ej)
	}
	return j
}
