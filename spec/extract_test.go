package spec

import (
	"reflect"
	"strings"
	"testing"
)

// doc builds a small RFC-like document. Requirement IDs in these tests are
// built with MakeID so that TestCodeReferencesExist does not take them for
// citations.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

type want struct {
	section string
	n       int
	title   string
	keyword string
	text    string
}

func check(t *testing.T, name, text string, wants []want) {
	t.Helper()
	got, err := Extract(9999, text)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var exp []Requirement
	for _, w := range wants {
		exp = append(exp, Requirement{
			ID: MakeID(9999, w.section, w.n), RFC: 9999, Section: w.section, N: w.n,
			Title: w.title, Keyword: w.keyword, Text: w.text,
		})
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", name, got, exp)
	}
}

func TestExtractRules(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		wants []want
	}{
		{
			name: "front matter and TOC ignored, numbering per section",
			text: doc(
				"\ufeff",
				"Abstract",
				"",
				"   Implementations MUST ignore this abstract.",
				"",
				"Table of Contents",
				"",
				"   1. Introduction ....................................2",
				"   2. Details .........................................3",
				"",
				"1.  Introduction",
				"",
				"   The key words \"MUST\", \"MUST NOT\", \"REQUIRED\", \"SHALL\", \"SHALL NOT\",",
				"   \"SHOULD\", \"SHOULD NOT\", \"RECOMMENDED\", \"MAY\", and \"OPTIONAL\" in this",
				"   document are to be interpreted as described in [RFC2119].",
				"",
				"   A peer MUST do one thing.  It MAY do another.  Nothing here.",
				"",
				"2.  Details",
				"",
				"   A peer SHOULD do a third thing.",
				"",
				"2.1.  More Details",
				"",
				"   It is OPTIONAL.",
			),
			wants: []want{
				{"1", 1, "Introduction", "MUST", "A peer MUST do one thing."},
				{"1", 2, "Introduction", "MAY", "It MAY do another."},
				{"2", 1, "Details", "SHOULD", "A peer SHOULD do a third thing."},
				{"2.1", 1, "More Details", "OPTIONAL", "It is OPTIONAL."},
			},
		},
		{
			name: "page furniture and a paragraph across a page break",
			text: doc(
				"1.  Introduction",
				"",
				"   The sender MUST",
				"",
				"",
				"Doe                          Standards Track                    [Page 2]",
				"\f",
				"RFC 9999                     Test Document                  October 2014",
				"",
				"",
				"   NOT send the thing.",
				"",
				"   A receiver",
				"   SHOULD",
				"   NOT accept it; it is NOT",
				"   RECOMMENDED.",
			),
			wants: []want{
				{"1", 1, "Introduction", "MUST NOT", "The sender MUST NOT send the thing."},
				{"1", 2, "Introduction", "SHOULD NOT", "A receiver SHOULD NOT accept it; it is NOT RECOMMENDED."},
			},
		},
		{
			name: "page break after a sentence keeps the paragraph break",
			text: doc(
				"1.  Introduction",
				"",
				"   o  First item MUST end here.",
				"",
				"Doe                          Standards Track                    [Page 2]",
				"\f",
				"RFC 9999                     Test Document                  October 2014",
				"",
				"   Second paragraph MAY start here",
			),
			wants: []want{
				{"1", 1, "Introduction", "MUST", "First item MUST end here."},
				{"1", 2, "Introduction", "MAY", "Second paragraph MAY start here"},
			},
		},
		{
			name: "appendices, wrapped titles, back matter",
			text: doc(
				"1.  Introduction",
				"",
				"   Text.",
				"",
				"4.4.1.1.   A Deep Section with a Long Title That Wraps Onto",
				"           the Next Line",
				"",
				"   It MUST work.",
				"",
				"Appendix A.  Examples",
				"",
				"   Examples MAY be given.",
				"",
				"A.1.  First",
				"",
				"   This MUST hold.",
				"",
				"Appendix B: Old Style",
				"",
				"B1.  Numbered",
				"",
				"   Old style MUST work too.",
				"",
				"B1.2.  Deeper",
				"",
				"   Deeper SHALL NOT fail.",
				"",
				"C.1.  Not an appendix heading outside Appendix C MUST be text",
				"",
				"Acknowledgements",
				"",
				"   Thanks to those who MUST be thanked.",
				"",
				"Authors' Addresses",
				"",
				"   Someone MAY write.",
			),
			wants: []want{
				{"4.4.1.1", 1, "A Deep Section with a Long Title That Wraps Onto the Next Line", "MUST", "It MUST work."},
				{"A", 1, "Examples", "MAY", "Examples MAY be given."},
				{"A.1", 1, "First", "MUST", "This MUST hold."},
				{"B1", 1, "Numbered", "MUST", "Old style MUST work too."},
				{"B1.2", 1, "Deeper", "SHALL NOT", "Deeper SHALL NOT fail."},
				{"B1.2", 2, "Deeper", "MUST", "Not an appendix heading outside Appendix C MUST be text"},
			},
		},
		{
			name: "figures, tables and ASN.1 dropped",
			text: doc(
				"1.  Introduction",
				"",
				"   The header MUST look like this:",
				"",
				"    0                   1                   2                   3",
				"    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
				"   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
				"   |                  MUST appear in a figure                      |",
				"   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
				"",
				"                +-------------------+----------+",
				"                | Name              | Status   |",
				"                +-------------------+----------+",
				"                | PRF_HMAC_SHA2_256 | MUST     |",
				"                +-------------------+----------+",
				"",
				"       Foo ::= SEQUENCE {",
				"           bar     INTEGER OPTIONAL }",
				"",
				"   After the figure, a sentence SHOULD count.",
			),
			wants: []want{
				{"1", 1, "Introduction", "MUST", "The header MUST look like this:"},
				{"1", 2, "Introduction", "SHOULD", "After the figure, a sentence SHOULD count."},
			},
		},
		{
			name: "list items and hyphenation",
			text: doc(
				"1.  Introduction",
				"",
				"   The rules are:",
				"   o  the Diffie-",
				"      Hellman value MUST be fresh,",
				"   *  the value SHOULD be",
				"      checked, and",
				"   1.  the algorithm MUST-",
				"       status is kept.",
				"   (a) item MAY follow",
			),
			wants: []want{
				{"1", 1, "Introduction", "MUST", "the Diffie-Hellman value MUST be fresh,"},
				{"1", 2, "Introduction", "SHOULD", "the value SHOULD be checked, and"},
				{"1", 3, "Introduction", "MUST", "the algorithm MUST- status is kept."},
				{"1", 4, "Introduction", "MAY", "item MAY follow"},
			},
		},
	}
	for _, tt := range tests {
		check(t, tt.name, tt.text, tt.wants)
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One.  Two.", []string{"One.", "Two."}},
		{"Is it?  Yes!  \"Quoted\" next.", []string{"Is it?", "Yes!", "\"Quoted\" next."}},
		{"It ends (as here.)  Next one.", []string{"It ends (as here.)", "Next one."}},
		{"Use e.g. This and i.e. That, etc. Also vs. Them cf. Those.", []string{"Use e.g. This and i.e. That, etc. Also vs. Them cf. Those."}},
		{"Written by S. Kent and in Appendix B. The end.", []string{"Written by S. Kent and in Appendix B. The end."}},
		{"See Section 2.6. 3 octets follow.", []string{"See Section 2.6. 3 octets follow."}},
		{"See Section 2.6.  The next.", []string{"See Section 2.6.", "The next."}},
		{"Value is 2. lower case continues.", []string{"Value is 2. lower case continues."}},
		{"Errors (invalid ID, etc.) SHOULD be sent.", []string{"Errors (invalid ID, etc.) SHOULD be sent."}},
		{"Ends.  (Parenthetical) start.", []string{"Ends.", "(Parenthetical) start."}},
		{"Ends.  [RFC1234] says.", []string{"Ends.", "[RFC1234] says."}},
		{"  spaced   out  text.  ", []string{"spaced out text."}},
	}
	for _, tt := range tests {
		if got := Sentences(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Sentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"It MUST be so.", "MUST"},
		{"It MUST NOT be so.", "MUST NOT"},
		{"It MUST  NOT be so.", "MUST NOT"},
		{"It SHOULD NOT, and MUST not.", "MUST"},
		{"It is NOT RECOMMENDED but MUST work.", "MUST"},
		{"It is RECOMMENDED.", "RECOMMENDED"},
		{"It SHALL NOT.", "SHALL NOT"},
		{"It SHALL.", "SHALL"},
		{"It is REQUIRED.", "REQUIRED"},
		{"It is OPTIONAL.", "OPTIONAL"},
		{"MAY start a sentence.", "MAY"},
		{"SHOULD+ counts, as does MUST-.", "MUST"},
		{"MAY do X, but then MUST NOT do Y.", "MUST NOT"},
		{"SHOULD do X and MUST do Y.", "MUST"},
		{"MUST do X and MUST NOT do Y.", "MUST"},
		{"MAY or SHOULD NOT.", "SHOULD NOT"},
		{"It must, should and may not.", ""},
		{"MUSTSHOULD and MAY_BE and NOT alone.", ""},
		{"The \"MUST\" quoted.", "MUST"},
	}
	for _, tt := range tests {
		if got := keyword(tt.in); got != tt.want {
			t.Errorf("keyword(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	if _, err := Extract(9999, "no sections at all\n"); err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("Extract without sections: err = %v", err)
	}
	dup := doc("1.  One", "", "   A.", "", "1.  One again", "", "   B.")
	if _, err := Extract(9999, dup); err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("Extract with a duplicate section: err = %v", err)
	}
	if _, err := Extract(0, doc("1.  One")); err == nil {
		t.Error("Extract(0, ...) succeeded")
	}
	if _, err := ExtractFile("testdata-does-not-exist/rfc1234.txt"); err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("ExtractFile of a missing file: err = %v", err)
	}
	if _, err := ExtractFile("notanrfc.txt"); err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("ExtractFile of a badly named file: err = %v", err)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		id      string
		rfc     int
		section string
		n       int
		ok      bool
	}{
		{MakeID(7296, "2.6", 4), 7296, "2.6", 4, true},
		{MakeID(4303, "A2.3", 1), 4303, "A2.3", 1, true},
		{MakeID(7815, "A.1", 12), 7815, "A.1", 12, true},
		{"RFC7296-2.6", 0, "", 0, false},
		{"rfc7296-2.6-4", 0, "", 0, false},
		{"RFC7296--4", 0, "", 0, false},
		{"RFCx-2.6-4", 0, "", 0, false},
		{"RFC7296-2.6-" + "0", 0, "", 0, false}, // split so the reference check does not see it
	}
	for _, tt := range tests {
		rfc, sec, n, err := ParseID(tt.id)
		if (err == nil) != tt.ok || rfc != tt.rfc || sec != tt.section || n != tt.n {
			t.Errorf("ParseID(%q) = %d, %q, %d, %v", tt.id, rfc, sec, n, err)
		}
	}
}

func TestTSVRoundTrip(t *testing.T) {
	reqs := []Requirement{
		{ID: MakeID(9999, "1", 1), RFC: 9999, Section: "1", N: 1, Title: "T", Keyword: "MUST", Text: "A\tB MUST C."},
		{ID: MakeID(9999, "1", 2), RFC: 9999, Section: "1", N: 2, Title: "T", Keyword: "MAY", Text: "D MAY."},
		{ID: MakeID(9999, "A.1", 1), RFC: 9999, Section: "A.1", N: 1, Title: "U", Keyword: "SHALL", Text: "E SHALL."},
	}
	data := FormatTSV(reqs)
	if !strings.HasPrefix(string(data), TSVHeader+"\n") {
		t.Fatalf("no header: %q", data)
	}
	got, err := ParseTSV(9999, data)
	if err != nil {
		t.Fatal(err)
	}
	reqs[0].Text = "A B MUST C."
	if !reflect.DeepEqual(got, reqs) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, reqs)
	}
	bad := strings.Replace(string(data), MakeID(9999, "1", 2), MakeID(9999, "1", 3), 1)
	if _, err := ParseTSV(9999, []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("ParseTSV accepted a gap in the numbering: %v", err)
	}
}
