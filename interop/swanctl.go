package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// viciNode is one section of swanctl's --pretty output: `key = value`
// lines, `key = [` lists and nested `name {` sections, in order.
type viciNode struct {
	name     string
	values   map[string]string
	lists    map[string][]string
	sections []*viciNode
}

func newViciNode(name string) *viciNode {
	return &viciNode{name: name, values: map[string]string{}, lists: map[string][]string{}}
}

// parseViciPretty reads the text that `swanctl --pretty` prints: a sequence
// of top-level sections such as "list-sa event {" ... "}". It is line based,
// so values holding spaces (distinguished names) are read whole.
func parseViciPretty(out string) ([]*viciNode, error) {
	var top []*viciNode
	var stack []*viciNode
	var listNode *viciNode // the section whose list is being read, if any
	var listKey string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case listNode != nil:
			if line == "]" {
				listNode = nil
			} else {
				listNode.lists[listKey] = append(listNode.lists[listKey], line)
			}
		case strings.HasSuffix(line, "{"):
			s := newViciNode(strings.TrimSpace(strings.TrimSuffix(line, "{")))
			if len(stack) == 0 {
				top = append(top, s)
			} else {
				p := stack[len(stack)-1]
				p.sections = append(p.sections, s)
			}
			stack = append(stack, s)
		case line == "}":
			if len(stack) == 0 {
				return nil, fmt.Errorf("interop: swanctl output line %d: unbalanced }", n)
			}
			stack = stack[:len(stack)-1]
		default:
			k, v, ok := strings.Cut(line, " = ")
			if !ok {
				k, v, ok = strings.Cut(line, "=")
			}
			if len(stack) == 0 || !ok {
				// swanctl sometimes prints plain lines (warnings): skip
				// them outside sections, refuse them inside.
				if len(stack) == 0 {
					continue
				}
				return nil, fmt.Errorf("interop: swanctl output line %d: cannot parse %q", n, line)
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			cur := stack[len(stack)-1]
			if v == "[" {
				cur.lists[k] = []string{}
				listNode, listKey = cur, k
			} else {
				cur.values[k] = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("interop: reading swanctl output: %w", err)
	}
	if len(stack) != 0 || listNode != nil {
		return nil, fmt.Errorf("interop: swanctl output ends inside a section")
	}
	return top, nil
}

// ParseListSAs reads the output of `swanctl --list-sas --pretty`: one
// "list-sa event" section per IKE SA, each holding one section named after
// the connection.
func ParseListSAs(out string) ([]IKESA, error) {
	top, err := parseViciPretty(out)
	if err != nil {
		return nil, err
	}
	var sas []IKESA
	for _, ev := range top {
		if ev.name != "list-sa event" {
			continue
		}
		for _, s := range ev.sections {
			sas = append(sas, ikeFromVici(s))
		}
	}
	return sas, nil
}

func algWithKeySize(alg, size string) string {
	if alg == "" || size == "" || size == "0" {
		return alg
	}
	return alg + "-" + size
}

func hostPort(host, port string) string {
	if port == "" {
		return host
	}
	return host + ":" + port
}

func ikeFromVici(s *viciNode) IKESA {
	v := s.values
	sa := IKESA{
		Name:      s.name,
		State:     v["state"],
		Initiator: v["initiator"] == "yes",
		SPIi:      strings.ToLower(v["initiator-spi"]),
		SPIr:      strings.ToLower(v["responder-spi"]),
		Local:     hostPort(v["local-host"], v["local-port"]),
		Remote:    hostPort(v["remote-host"], v["remote-port"]),
		LocalID:   v["local-id"],
		RemoteID:  v["remote-id"],
		Encr:      algWithKeySize(v["encr-alg"], v["encr-keysize"]),
		Integ:     v["integ-alg"],
		PRF:       v["prf-alg"],
		KE:        v["dh-group"],
	}
	for _, sec := range s.sections {
		if sec.name != "child-sas" {
			continue
		}
		for _, c := range sec.sections {
			cv := c.values
			num := func(k string) uint64 { n, _ := strconv.ParseUint(cv[k], 10, 64); return n }
			sa.Children = append(sa.Children, ChildSA{
				Name:       cv["name"],
				State:      cv["state"],
				Mode:       cv["mode"],
				Protocol:   cv["protocol"],
				UDPEncap:   cv["encap"] == "yes",
				ESN:        cv["esn"] == "1",
				KE:         cv["dh-group"],
				SPIIn:      strings.ToLower(cv["spi-in"]),
				SPIOut:     strings.ToLower(cv["spi-out"]),
				Encr:       algWithKeySize(cv["encr-alg"], cv["encr-keysize"]),
				Integ:      cv["integ-alg"],
				LocalTS:    c.lists["local-ts"],
				RemoteTS:   c.lists["remote-ts"],
				BytesIn:    num("bytes-in"),
				BytesOut:   num("bytes-out"),
				PacketsIn:  num("packets-in"),
				PacketsOut: num("packets-out"),
			})
		}
	}
	return sa
}

// refserverSA is the JSON that `refserver ctl list-sas --json` prints for
// one IKE SA (an array of these).
type refserverSA struct {
	Name       string           `json:"name"`
	State      string           `json:"state"`
	Initiator  bool             `json:"initiator"`
	SPIi       string           `json:"spi_i"`
	SPIr       string           `json:"spi_r"`
	LocalHost  string           `json:"local_host"`
	LocalPort  uint16           `json:"local_port"`
	RemoteHost string           `json:"remote_host"`
	RemotePort uint16           `json:"remote_port"`
	LocalID    string           `json:"local_id"`
	RemoteID   string           `json:"remote_id"`
	Encr       string           `json:"encr"`
	Integ      string           `json:"integ"`
	PRF        string           `json:"prf"`
	KE         string           `json:"ke"`
	Children   []refserverChild `json:"children"`
}

type refserverChild struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Mode       string     `json:"mode"`
	Protocol   string     `json:"protocol"`
	UDPEncap   bool       `json:"udp_encap"`
	SPIIn      string     `json:"spi_in"`
	SPIOut     string     `json:"spi_out"`
	Encr       string     `json:"encr"`
	Integ      string     `json:"integ"`
	LocalTS    stringList `json:"local_ts"`
	RemoteTS   stringList `json:"remote_ts"`
	BytesIn    uint64     `json:"bytes_in"`
	BytesOut   uint64     `json:"bytes_out"`
	PacketsIn  uint64     `json:"packets_in"`
	PacketsOut uint64     `json:"packets_out"`
	ESN        bool       `json:"esn"`
	KE         string     `json:"ke"`
	Replay     uint64     `json:"replay_drops"`
	ICV        uint64     `json:"icv_failures"`
	Selector   uint64     `json:"selector_drops"`
	Malformed  uint64     `json:"malformed"`
}

// stringList accepts a JSON string or an array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = strings.Fields(strings.ReplaceAll(one, ",", " "))
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// normSPI accepts "0x"-prefixed and upper-case SPIs.
func normSPI(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "0x")
}

// ParseRefserverSAs reads the output of `refserver ctl list-sas --json`.
func ParseRefserverSAs(out []byte) ([]IKESA, error) {
	var raw []refserverSA
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("interop: refserver list-sas JSON: %w (output %q)", err, truncate(string(out), 400))
	}
	var sas []IKESA
	for _, r := range raw {
		sa := IKESA{
			Name: r.Name, State: strings.ToUpper(r.State), Initiator: r.Initiator,
			SPIi: normSPI(r.SPIi), SPIr: normSPI(r.SPIr),
			Local: hostPort(r.LocalHost, portString(r.LocalPort)), Remote: hostPort(r.RemoteHost, portString(r.RemotePort)), LocalID: r.LocalID, RemoteID: r.RemoteID,
			Encr: r.Encr, Integ: r.Integ, PRF: r.PRF, KE: r.KE,
		}
		for _, c := range r.Children {
			sa.Children = append(sa.Children, ChildSA{
				Name: c.Name, State: strings.ToUpper(c.State), Mode: strings.ToUpper(c.Mode),
				Protocol: strings.ToUpper(c.Protocol), UDPEncap: c.UDPEncap,
				SPIIn: normSPI(c.SPIIn), SPIOut: normSPI(c.SPIOut),
				Encr: c.Encr, Integ: c.Integ,
				LocalTS: c.LocalTS, RemoteTS: c.RemoteTS,
				BytesIn: c.BytesIn, BytesOut: c.BytesOut, PacketsIn: c.PacketsIn, PacketsOut: c.PacketsOut,
				ESN:   c.ESN,
				KE:    c.KE,
				Drops: ChildDrops{Replay: c.Replay, ICV: c.ICV, Selector: c.Selector, Malformed: c.Malformed},
			})
		}
		sas = append(sas, sa)
	}
	return sas, nil
}

func portString(p uint16) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(int(p))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
