// Package spec is the requirement catalogue: every normative sentence of the
// RFCs that govern ikev2ref, each with a stable ID such as RFC7296-2.6-4, so
// that an ID written in a code comment ("// RFC7296-3.9-1: ...") can be looked
// up and checked.
//
// The catalogue is committed as data in catalogue/rfcNNNN.tsv (one file per
// RFC, with the columns id, section, keyword, title, text after a header line)
// and embedded in this package. It is generated from the plain-text RFCs by
//
//	go run ./spec/cmd/speccat -rfc ../shared/rfc -out spec/catalogue
//
// Query it with Lookup, All, ByRFC, BySection and Sections, or from the shell
// (this reads only the embedded catalogue):
//
//	go run ./spec/cmd/speccat -list RFC7296-2.6     # one section (-sub: and its subsections)
//	go run ./spec/cmd/speccat -id RFC7296-2.6-4     # one requirement
//	go run ./spec/cmd/speccat -grep 'major version' # search the text
//
// TestCodeReferencesExist fails for every requirement ID in a .go, .md or
// .feature file of the repository that is not in the catalogue, and
// TestCatalogueMatchesRFCs regenerates the catalogue from the RFC texts (when
// ../shared/rfc or $IKEV2REF_RFC_DIR is present) and fails on any difference.
//
// # Numbering rules
//
// The IDs are defined by the following rules, applied by Extract to an
// rfc-editor plain-text file. They define the IDs forever: changing any of
// them can renumber requirements, and TestCatalogueMatchesRFCs and
// TestCodeReferencesExist will say so.
//
//  1. Page furniture is removed: a leading UTF-8 byte order mark, carriage
//     returns, form feeds, footer lines ending in "[Page N]" and running
//     header lines ("RFC 7296    IKEv2bis    October 2014"). Across a page
//     break the text is re-joined: the blank lines around the break are
//     dropped, and a paragraph break is kept only if the last line before the
//     break is a heading (column 0), ends a sentence (".", ":", "?" or "!",
//     possibly followed by a closing quote or bracket), or if the first line
//     after the break does not start at the text column of the last one (its
//     indentation, or for a list item the column after the marker).
//
//  2. A section heading is a line starting in column 0 with a section number
//     "N.", "N.N.", "N.N.N." ... followed by spaces and a title
//     ("2.6.  IKE SA SPIs and Cookies"); or "Appendix X." / "Appendix X:"
//     (optionally followed by a title); or, inside Appendix X, an appendix
//     subsection number beginning with X as printed ("A.1.", "A1.", "A2.1.")
//     followed by spaces and a title. The section ID is the printed number
//     without the trailing dot: "2.6", "3.3.1", "A", "A.1", "A2.1". A title
//     wrapped onto the next line (indented to the title's column) is joined.
//     The table of contents is indented, so it never yields headings. Text
//     before the heading of section 1 (abstract, status, copyright, contents)
//     is ignored.
//
//  3. A section's text runs to the next heading; subsections are sections of
//     their own. Unnumbered back-matter headings in column 0 (References,
//     Normative/Informative References, Acknowledgements, Author's/Authors'
//     Addresses, Full Copyright Statement, Intellectual Property,
//     Contributors, Index) end the current section, and their text is
//     ignored.
//
//  4. Within a section, figures and tables are dropped line by line: a line
//     is a figure line if, trimmed, it begins or ends with "|", contains a box
//     drawing run ("+--", "+-+", "--+", "-+-+"), contains two or more "|"
//     together with a run of three or more spaces, or is at least three
//     characters of only "-=_~*+|:." and spaces. A block of consecutive
//     non-blank lines that contains ASN.1 or code ("::=", a line ending in
//     "{", a line beginning with "}") is dropped as a whole. Other figures
//     (message flows, formulas, hex dumps) stay, as paragraphs of their own.
//
//  5. Paragraphs are runs of non-blank, non-figure lines. A list item line
//     ("o  ", "*  ", "-  ", "1.  ", "1)  ", "(1)  ", "a.  ", "a)  ", "(a)  "
//     after the indentation; one space after the marker is enough) starts a
//     new paragraph; its marker is not part of the text. The lines of a
//     paragraph are trimmed and joined with one space, except that a line
//     ending in a letter or digit followed by "-" is joined without a space
//     to a next line starting with a letter or digit ("Diffie-" + "Hellman"),
//     unless the word before the hyphen is a BCP 14 keyword ("MUST-" as used
//     in RFC 8221 and RFC 8247). Whitespace is collapsed.
//
//  6. A paragraph is split into sentences after ".", "?" or "!" (optionally
//     followed by closing quotes or brackets) when followed by a space and
//     then an uppercase ASCII letter or one of `"'([`. A "." does not end a
//     sentence after the abbreviations e.g., i.e., etc., vs., cf., al., Sec.,
//     Fig., Ref., viz., approx. (also when a closing quote or bracket
//     follows: "etc.) SHOULD"), nor after a single capital initial
//     ("S. Kent", "Appendix B. The"). A "." between digits ("Section 2.6.1")
//     never splits, nor does one followed by a lower-case letter or a digit.
//
//  7. A sentence is normative if it contains a BCP 14 keyword in capitals as
//     a whole word (ASCII word boundaries, so "SHOULD+" and "MUST-" count):
//     MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT, SHOULD, SHOULD NOT,
//     RECOMMENDED, NOT RECOMMENDED, MAY, OPTIONAL. Its keyword is the first
//     one in the sentence, the NOT forms taken as a unit (also across a line
//     break). The RFC 2119 boilerplate sentence (one that says the key words
//     are "to be interpreted as described in" RFC 2119 / BCP 14) is excluded.
//
//  8. Normative sentences are numbered 1..n per section in order of
//     appearance. The ID is "RFC" + RFC number + "-" + section ID + "-" + n,
//     for example RFC7296-2.6-4, RFC9370-2.2.1-1, RFC7815-A.1-7,
//     RFC4303-A3-1.
//
// Each Requirement carries the ID, the RFC number, the section ID and title,
// the keyword and the full sentence text with whitespace collapsed.
package spec
