package swanctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// This file reads strongSwan's settings format (the syntax that
// strongswan.conf and swanctl.conf share) into a tree of sections and
// key/value pairs, as libstrongswan's settings_lexer.l and
// settings_parser.y do:
//
//   - `name {` opens a section (the brace may also be on the next line) and
//     `}` closes it; sections nest. A section that appears twice in the same
//     parent is one section: the second extends the first.
//   - `key = value`: the value is everything up to the end of the line, a
//     `#` or a `}`; whitespace-separated parts are joined by one space and
//     a part in double quotes is taken as is (it may hold spaces, `#`, `}`,
//     newlines and the escapes \" \\ \n \r \t; a backslash at the end of a
//     line joins the next). So only one key = value fits on a line: in
//     `local { auth = psk  id = a@b }` the value of auth is "psk id = a@b".
//     A key given twice keeps its last value.
//   - `#` starts a comment that runs to the end of the line.
//   - `include PATTERN` splices in the files the glob pattern matches,
//     relative to the directory of the file that includes them.

// maxIncludeDepth bounds nested includes (a file including itself, directly
// or not, stops there); maxFiles bounds the files one load reads.
const (
	maxIncludeDepth = 8
	maxFiles        = 256
)

// pos is where something was read.
type pos struct {
	file string
	line int
}

type tokenKind uint8

const (
	tName    tokenKind = iota + 1
	tOpen              // {
	tClose             // }
	tNewline           //
	tAssign            // = value (the value read with it)
)

type token struct {
	kind  tokenKind
	text  string // tName: the name; tAssign: the value
	isSet bool   // tAssign: a value follows the "="
	pos   pos
}

func (t token) String() string {
	switch t.kind {
	case tName:
		return fmt.Sprintf("%q", t.text)
	case tOpen:
		return `"{"`
	case tClose:
		return `"}"`
	case tNewline:
		return "end of line"
	case tAssign:
		return `"="`
	}
	return "end of file"
}

// source reads the files that an include names; nil when parsing text
// that did not come from a file.
type source struct {
	readFile func(string) ([]byte, error)
	glob     func(string) ([]string, error)
	files    int
}

// lexer turns one file into tokens, splicing in included files.
type lexer struct {
	src   []byte
	i     int
	name  string
	line  int
	depth int
	from  *source
	out   []token
}

func tokenize(name string, src []byte, depth int, from *source) ([]token, error) {
	l := &lexer{src: src, name: name, line: 1, depth: depth, from: from}
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.out, nil
}

func (l *lexer) errorf(format string, args ...any) error {
	return &Error{File: l.name, Line: l.line, Err: fmt.Errorf(format, args...)}
}

func (l *lexer) emit(kind tokenKind, text string, line int) {
	l.out = append(l.out, token{kind: kind, text: text, pos: pos{l.name, line}})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func (l *lexer) run() error {
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == '#':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.i++
			}
		case isSpace(c) || c == '\r':
			l.i++
		case c == '\n':
			l.emit(tNewline, "", l.line)
			l.line++
			l.i++
		case c == '{':
			l.emit(tOpen, "", l.line)
			l.i++
		case c == '}':
			l.emit(tClose, "", l.line)
			l.i++
		case c == '=':
			line := l.line
			l.i++
			v, set, err := l.value()
			if err != nil {
				return err
			}
			l.out = append(l.out, token{kind: tAssign, text: v, isSet: set, pos: pos{l.name, line}})
		case c == '"':
			return l.errorf(`unexpected string: quotes belong in values, after "="`)
		default:
			start := l.i
			for l.i < len(l.src) && !strings.ContainsRune("#{}=\"\r\n\t ", rune(l.src[l.i])) {
				l.i++
			}
			name := string(l.src[start:l.i])
			if name == "include" && l.isInclude() {
				if err := l.include(); err != nil {
					return err
				}
				continue
			}
			l.emit(tName, name, l.line)
		}
	}
	return nil
}

// isInclude reports whether the "include" just read is the directive:
// followed by blanks and then something other than "=" (strongSwan's
// `"include"[\t ]+/[^=]`), and not a key named include.
func (l *lexer) isInclude() bool {
	j := l.i
	for j < len(l.src) && isSpace(l.src[j]) {
		j++
	}
	return j > l.i && j < len(l.src) && l.src[j] != '='
}

// value reads a value after "=": parts separated by blanks, up to the end
// of the line, a "#" or a "}" (which are left for the caller).
func (l *lexer) value() (string, bool, error) {
	var parts []string
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case isSpace(c) || c == '\r':
			l.i++
		case c == '#' || c == '}' || c == '\n':
			return strings.Join(parts, " "), len(parts) > 0, nil
		case c == '"':
			s, err := l.quoted()
			if err != nil {
				return "", false, err
			}
			parts = append(parts, s)
		default:
			start := l.i
			for l.i < len(l.src) && !strings.ContainsRune("#}\"\r\n\t ", rune(l.src[l.i])) {
				l.i++
			}
			parts = append(parts, string(l.src[start:l.i]))
		}
	}
	return strings.Join(parts, " "), len(parts) > 0, nil
}

// quoted reads a string in double quotes, l.i at the opening quote.
func (l *lexer) quoted() (string, error) {
	line := l.line
	l.i++
	var b strings.Builder
	for l.i < len(l.src) {
		c := l.src[l.i]
		l.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\r':
		case '\n':
			b.WriteByte('\n')
			l.line++
		case '\\':
			if l.i >= len(l.src) {
				return "", l.errorf("unterminated string (opened on line %d)", line)
			}
			e := l.src[l.i]
			l.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\n': // an escaped end of line joins the lines
				l.line++
			case '\r':
				if l.i < len(l.src) && l.src[l.i] == '\n' {
					l.i++
					l.line++
				} else {
					b.WriteByte('\r')
				}
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", &Error{File: l.name, Line: line, Err: errors.New("unterminated string")}
}

// include reads the pattern after "include" and splices in the tokens of
// the files it matches, in the order of their names.
func (l *lexer) include() error {
	line := l.line
	for l.i < len(l.src) && isSpace(l.src[l.i]) {
		l.i++
	}
	var b strings.Builder
loop:
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == '#' || c == '}' || c == '\n' || isSpace(c):
			break loop
		case c == '\r':
			l.i++
		case c == '"':
			s, err := l.quoted()
			if err != nil {
				return err
			}
			b.WriteString(s)
			break loop
		case c == '\\' && l.i+1 < len(l.src) && strings.ContainsRune("\"#} ", rune(l.src[l.i+1])):
			b.WriteByte(l.src[l.i+1])
			l.i += 2
		default:
			b.WriteByte(c)
			l.i++
		}
	}
	pattern := b.String()
	fail := func(format string, args ...any) error {
		return &Error{File: l.name, Line: line, Key: "include", Err: fmt.Errorf(format, args...)}
	}
	switch {
	case pattern == "":
		return fail("no file named")
	case l.from == nil:
		return fail("%q: includes are read only when loading a file (swanctl.Load)", pattern)
	case l.depth >= maxIncludeDepth:
		return fail("%q: more than %d nested includes", pattern, maxIncludeDepth)
	}
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(l.name), pattern)
	}
	names, err := l.from.glob(pattern)
	if err != nil {
		return fail("%q: %w", pattern, err)
	}
	if len(names) == 0 && !strings.ContainsAny(pattern, `*?[\`) {
		return fail("%q: no such file", pattern)
	}
	for _, n := range names {
		if l.from.files++; l.from.files > maxFiles {
			return fail("%q: more than %d files", pattern, maxFiles)
		}
		src, err := l.from.readFile(n)
		if err != nil {
			return fail("%w", err)
		}
		toks, err := tokenize(n, src, l.depth+1, l.from)
		if err != nil {
			return err
		}
		l.out = append(l.out, toks...)
	}
	return nil
}

// section is a settings section: its key/value pairs and subsections, each
// in the order of first appearance.
type section struct {
	name     string
	path     string // dotted, from the root: "connections.lab.local"
	pos      pos    // where it was first opened
	keys     []*setting
	sections []*section
}

// setting is one key = value; when a key is repeated, the last value and
// its position are kept.
type setting struct {
	name  string
	path  string
	value string
	isSet bool
	pos   pos
}

func (s *section) key(name string) *setting {
	for _, k := range s.keys {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (s *section) sub(name string) *section {
	for _, c := range s.sections {
		if c.name == name {
			return c
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// parser builds the tree from the tokens (settings_parser.y's grammar).
type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

func parseTree(toks []token) (*section, error) {
	p := &parser{toks: toks}
	root := &section{}
	if err := p.statements(root, nil); err != nil {
		return nil, err
	}
	return root, nil
}

// statements reads the body of s up to its closing brace (open is the
// brace's token) or, for the root, up to the end of the input.
func (p *parser) statements(s *section, open *token) error {
	for {
		t, ok := p.peek()
		if !ok {
			if open != nil {
				return &Error{File: open.pos.file, Line: open.pos.line, Key: s.path,
					Err: errors.New(`section is not closed: "}" missing`)}
			}
			return nil
		}
		p.i++
		switch t.kind {
		case tNewline:
		case tClose:
			if open == nil {
				return &Error{File: t.pos.file, Line: t.pos.line, Err: errors.New(`unexpected "}": no section is open`)}
			}
			return nil
		case tName:
			if err := p.statement(s, t); err != nil {
				return err
			}
		default:
			return &Error{File: t.pos.file, Line: t.pos.line, Key: s.path,
				Err: fmt.Errorf("syntax error: unexpected %v, expected a name", t)}
		}
	}
}

// statement reads what follows a name: "= value" or "{ ... }" (a brace on
// the next line is accepted too).
func (p *parser) statement(s *section, name token) error {
	t, ok := p.peek()
	if ok && t.kind == tNewline {
		// NAME NEWLINE '{' opens a section; anything else is an error below.
		if p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tOpen {
			p.i++
			t = p.toks[p.i]
		}
	}
	path := join(s.path, name.text)
	if !ok || (t.kind != tAssign && t.kind != tOpen) {
		what := "end of file"
		if ok {
			what = t.String()
		}
		return &Error{File: name.pos.file, Line: name.pos.line, Key: path,
			Err: fmt.Errorf(`syntax error: expected "=" or "{" after %q, found %s`, name.text, what)}
	}
	p.i++
	if t.kind == tAssign {
		if k := s.key(name.text); k != nil {
			k.value, k.isSet, k.pos = t.text, t.isSet, t.pos
			return nil
		}
		s.keys = append(s.keys, &setting{name: name.text, path: path, value: t.text, isSet: t.isSet, pos: t.pos})
		return nil
	}
	sub := s.sub(name.text)
	if sub == nil {
		sub = &section{name: name.text, path: path, pos: name.pos}
		s.sections = append(s.sections, sub)
	}
	return p.statements(sub, &t)
}
