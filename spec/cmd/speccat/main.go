// Command speccat generates and queries the requirement catalogue of package
// spec.
//
// Generate the catalogue from the plain-text RFCs (one rfcNNNN.tsv per
// rfcNNNN.txt):
//
//	go run ./spec/cmd/speccat -rfc ../shared/rfc -out spec/catalogue
//
// Query the embedded catalogue (no RFC texts needed):
//
//	speccat -id RFC7296-2.6-4            one requirement
//	speccat -list RFC7296-2.6            the requirements of section 2.6
//	speccat -list RFC7296-2.6 -sub       ... and of its subsections
//	speccat -list RFC7296                the whole RFC
//	speccat -grep 'major version'        search the text (regexp, case-insensitive)
//	speccat -list RFC7296-3 -sub -grep cookie
//	speccat -sections 7296               sections with requirement counts and titles
//	speccat -rfcs                        catalogued RFCs with requirement counts
//
// Query output is one requirement per line: ID, keyword and text separated by
// tabs; -v adds the section title.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ikev2ref/ikev2ref/spec"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("spec: usage")

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("speccat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		rfcDir   = fl.String("rfc", "", "generate: directory holding the rfcNNNN.txt files")
		outDir   = fl.String("out", "", "generate: directory to write rfcNNNN.tsv into (spec/catalogue)")
		id       = fl.String("id", "", "print the requirements with these IDs (comma-separated)")
		list     = fl.String("list", "", "print the requirements of a section (RFC7296-2.6) or RFC (RFC7296)")
		sub      = fl.Bool("sub", false, "with -list: include subsections (2.6 also lists 2.6.1, ...)")
		grep     = fl.String("grep", "", "print the requirements whose text matches this regexp (case-insensitive)")
		sections = fl.Int("sections", 0, "print the sections of this RFC that hold requirements")
		rfcs     = fl.Bool("rfcs", false, "print the catalogued RFCs with their requirement counts")
		verbose  = fl.Bool("v", false, "also print the section title")
	)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: speccat -rfc DIR -out DIR")
		fmt.Fprintln(stderr, "       speccat -id ID[,ID...] | -list RFCn[-SECTION] [-sub] [-grep RE] | -grep RE | -sections N | -rfcs")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()

	switch {
	case *rfcDir != "" || *outDir != "":
		if *rfcDir == "" || *outDir == "" {
			fl.Usage()
			return fmt.Errorf("%w: generating needs both -rfc and -out", errUsage)
		}
		names, err := spec.WriteCatalogue(*rfcDir, *outDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %d catalogue files to %s\n", len(names), *outDir)
		return nil
	case *id != "":
		return printIDs(w, strings.Split(*id, ","), *verbose)
	case *list != "" || *grep != "":
		return printList(w, *list, *sub, *grep, *verbose)
	case *sections != 0:
		return printSections(w, *sections)
	case *rfcs:
		for _, n := range spec.RFCs() {
			fmt.Fprintf(w, "RFC%d\t%d\n", n, len(spec.ByRFC(n)))
		}
		return nil
	}
	fl.Usage()
	return errUsage
}

func printReq(w io.Writer, r spec.Requirement, verbose bool) {
	if verbose {
		fmt.Fprintf(w, "%s\t%s\t[%s %s]\t%s\n", r.ID, r.Keyword, r.Section, r.Title, r.Text)
		return
	}
	fmt.Fprintf(w, "%s\t%s\t%s\n", r.ID, r.Keyword, r.Text)
}

func printIDs(w io.Writer, ids []string, verbose bool) error {
	var missing []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if r, ok := spec.Lookup(id); ok {
			printReq(w, r, verbose)
			continue
		}
		rfc, sec, _, err := spec.ParseID(id)
		if err != nil {
			return err
		}
		reqs := spec.BySection(rfc, sec)
		switch {
		case !catalogued(rfc):
			missing = append(missing, fmt.Sprintf("%s (RFC %d is not in the catalogue)", id, rfc))
		case len(reqs) == 0:
			missing = append(missing, fmt.Sprintf("%s (RFC %d section %s has no requirements)", id, rfc, sec))
		default:
			missing = append(missing, fmt.Sprintf("%s (section %s has %s .. %s)", id, sec, reqs[0].ID, reqs[len(reqs)-1].ID))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("spec: unknown requirement ID: %s", strings.Join(missing, "; "))
	}
	return nil
}

func catalogued(rfc int) bool {
	for _, n := range spec.RFCs() {
		if n == rfc {
			return true
		}
	}
	return false
}

// parseScope parses "RFC7296" or "RFC7296-2.6" (a trailing "-" or "." is
// tolerated).
func parseScope(s string) (rfc int, section string, err error) {
	rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "RFC")
	if !ok {
		return 0, "", fmt.Errorf("spec: -list wants RFC<number>[-<section>], e.g. RFC7296-2.6, not %q", s)
	}
	num, section, _ := strings.Cut(rest, "-")
	section = strings.TrimRight(section, ".-")
	rfc, err = strconv.Atoi(num)
	if err != nil || rfc <= 0 {
		return 0, "", fmt.Errorf("spec: -list wants RFC<number>[-<section>], e.g. RFC7296-2.6, not %q", s)
	}
	if !catalogued(rfc) {
		return 0, "", fmt.Errorf("spec: RFC %d is not in the catalogue", rfc)
	}
	return rfc, section, nil
}

func printList(w io.Writer, scope string, sub bool, pattern string, verbose bool) error {
	var re *regexp.Regexp
	if pattern != "" {
		var err error
		if re, err = regexp.Compile("(?i)" + pattern); err != nil {
			return fmt.Errorf("spec: -grep: %w", err)
		}
	}
	reqs := spec.All()
	rfc, section := 0, ""
	if scope != "" {
		var err error
		if rfc, section, err = parseScope(scope); err != nil {
			return err
		}
		reqs = spec.ByRFC(rfc)
	}
	n := 0
	for _, r := range reqs {
		if section != "" && r.Section != section && !(sub && strings.HasPrefix(r.Section, section+".")) {
			continue
		}
		if re != nil && !re.MatchString(r.Text) {
			continue
		}
		printReq(w, r, verbose)
		n++
	}
	if n == 0 && section != "" && pattern == "" {
		secs := spec.Sections(rfc)
		return fmt.Errorf("spec: RFC %d section %s has no requirements (sections with requirements: %s)", rfc, section, strings.Join(secs, " "))
	}
	return nil
}

func printSections(w io.Writer, rfc int) error {
	if !catalogued(rfc) {
		return fmt.Errorf("spec: RFC %d is not in the catalogue", rfc)
	}
	for _, s := range spec.Sections(rfc) {
		reqs := spec.BySection(rfc, s)
		fmt.Fprintf(w, "RFC%d-%s\t%d\t%s\n", rfc, s, len(reqs), reqs[0].Title)
	}
	return nil
}
