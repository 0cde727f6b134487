package keytable

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Wireshark keeps both tables as "UAT" files (epan/uat_load.l): one record
// per line, fields separated by commas, '#' starting a comment line. A
// string field is double-quoted, with \\, \" and \xHH escapes; a byte-buffer
// field (the IKEv2 SPIs and keys) is bare hex, empty for no bytes.

// field is one field of a record as it appeared in the file.
type field struct {
	text   string
	quoted bool
}

// record is one non-comment line.
type record struct {
	line   int
	fields []field
}

// readRecords splits a UAT file into records. Errors name the line (and
// the column when one field is at fault); file is the table's name for
// messages.
func readRecords(r io.Reader, file string) ([]record, error) {
	var out []record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs, col, err := splitFields(line)
		if err != nil {
			return nil, fmt.Errorf("keytable: %s line %d, column %d: %w", file, n, col, err)
		}
		out = append(out, record{line: n, fields: fs})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("keytable: reading %s: %w", file, err)
	}
	return out, nil
}

// splitFields parses one record. On error it returns the 1-based number of
// the field at fault.
func splitFields(line string) ([]field, int, error) {
	var out []field
	i := 0
	for {
		col := len(out) + 1
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		var f field
		if i < len(line) && line[i] == '"' {
			f.quoted = true
			var sb strings.Builder
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c != '\\' {
					sb.WriteByte(c)
					i++
					continue
				}
				if i+1 >= len(line) {
					return nil, col, fmt.Errorf("backslash at the end of the line")
				}
				switch e := line[i+1]; e {
				case '\\', '"':
					sb.WriteByte(e)
					i += 2
				case 'x':
					if i+4 > len(line) {
						return nil, col, fmt.Errorf("truncated \\x escape")
					}
					v, err := strconv.ParseUint(line[i+2:i+4], 16, 8)
					if err != nil {
						return nil, col, fmt.Errorf("bad \\x escape %q", line[i:i+4])
					}
					sb.WriteByte(byte(v))
					i += 4
				default:
					return nil, col, fmt.Errorf("unknown escape \\%c", e)
				}
			}
			if !closed {
				return nil, col, fmt.Errorf("unterminated quoted string")
			}
			f.text = sb.String()
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
		} else {
			j := i
			for j < len(line) && line[j] != ',' {
				if line[j] == '"' {
					return nil, col, fmt.Errorf("quote inside an unquoted field")
				}
				j++
			}
			f.text = strings.TrimSpace(line[i:j])
			i = j
		}
		out = append(out, f)
		if i >= len(line) {
			return out, 0, nil
		}
		if line[i] != ',' {
			return nil, col, fmt.Errorf("unexpected %q after the field", line[i])
		}
		i++
	}
}

// quote renders s as a UAT string field.
func quote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c >= 0x7f || c == ',':
			fmt.Fprintf(&sb, "\\x%02x", c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
