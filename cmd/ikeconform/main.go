// Command ikeconform runs ikev2ref's black-box IKEv2 conformance suite
// (package conformance) against an implementation under test (IUT) and
// writes its reports.
//
// Usage:
//
//	ikeconform run --target ADDR [--ike-port 500] [--natt-port 4500] [--local ADDR]
//	               --profile FILE [--cases 'INIT-*,ROBUST-*'] [--out DIR] [--timeout 60s]
//	ikeconform list [--cases PATTERNS]
//	ikeconform show ID
//	ikeconform help
//
// run plays the selected cases (all by default; --cases takes
// comma-separated glob patterns of case IDs) one after the other against
// the IUT at --target (an IP address or a host name), on its IKE port
// (--ike-port, 500) and NAT-T port (--natt-port, 4500), from --local (the
// tester's address; default: the system chooses). --profile is the JSON
// file that says what the IUT claims (conformance.Profile; a case needing
// an unclaimed feature is SKIP). --timeout bounds each case. A line per
// case goes to stderr as it ends; at the end the summary goes to stdout
// and --out (default ./ikeconform-out) holds report.json, junit.xml (a
// testsuite per group, for CI), report.html (one self-contained page) and
// per case cases/ID/ with case.pcap, the Wireshark key table
// ikev2_decryption_table and case.log.
//
// list prints the cases (ID, tag, IUT role, title), show one case's
// purpose, RFC sections, requirement IDs and ladder.
//
// Exit status: 0 when no case is FAIL (INCONCLUSIVE and SKIP do not fail
// the run), 1 when a case is FAIL, 2 on a usage or configuration error
// (the message names the flag or the profile field) or when the run
// could not complete (interrupted, the reports could not be written; the
// reports of the cases run so far are still written when possible).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ikev2ref/ikev2ref/conformance"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `usage:
  ikeconform run --target ADDR [--ike-port 500] [--natt-port 4500] [--local ADDR]
                 --profile FILE [--cases 'INIT-*,ROBUST-*'] [--out DIR] [--timeout 60s]
  ikeconform list [--cases PATTERNS]
  ikeconform show ID
  ikeconform help
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "ikeconform: no command\n%s", usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "list":
		return listCmd(args[1:], stdout, stderr)
	case "show":
		return showCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "ikeconform: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// errorf prints an error; conformance's "conformance: " prefixes become
// "ikeconform: " (a profile error has a line per field).
func errorf(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimPrefix(line, "ikeconform: ")
		line = strings.TrimPrefix(line, "conformance: ")
		fmt.Fprintf(w, "ikeconform: %s\n", line)
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ikeconform "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses the flags; it returns an exit status to return now, or -1.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // flag printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "ikeconform: %s: unexpected argument %q\n%s", strings.TrimPrefix(fs.Name(), "ikeconform "), fs.Arg(0), usage)
		return exitUsage
	}
	return -1
}

type runOptions struct {
	target, local, profile, cases, out string
	ikePort, nattPort                  uint
	timeout                            time.Duration
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o runOptions
	fs := newFlags("run", stderr)
	fs.StringVar(&o.target, "target", "", "the IUT's `ADDR`ess (IP address or host name; required)")
	fs.UintVar(&o.ikePort, "ike-port", 500, "the IUT's IKE UDP `port`")
	fs.UintVar(&o.nattPort, "natt-port", 4500, "the IUT's NAT-T UDP `port`")
	fs.StringVar(&o.local, "local", "", "the tester's IP `ADDR`ess (default: the system chooses)")
	fs.StringVar(&o.profile, "profile", "", "the IUT's profile, a JSON `FILE` (required)")
	fs.StringVar(&o.cases, "cases", "", "comma-separated glob `PATTERNS` of case IDs (default: all)")
	fs.StringVar(&o.out, "out", "ikeconform-out", "the output `DIR`ectory")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "the time bound of each case")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	cfg, target, err := o.config(ctx)
	if err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	cfg.Progress = stderr
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		errorf(stderr, fmt.Errorf("--out: %w", err))
		return exitUsage
	}

	rep := &conformance.Report{Tool: "ikeconform", Version: version(), Started: time.Now(), Target: target, Profile: cfg.Profile}
	fmt.Fprintf(stderr, "ikeconform: %d cases against %s (profile %s), reports into %s\n", len(cfg.Cases), target, cfg.Profile.Name, o.out)
	results, runErr := conformance.Run(ctx, cfg)
	rep.Finished = time.Now()
	rep.Results = results
	code := exitOK
	if runErr != nil {
		errorf(stderr, runErr)
		code = exitUsage
	}
	if err := rep.WriteAll(o.out); err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	if err := rep.WriteText(stdout); err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "reports: %s, %s, %s\n", filepath.Join(o.out, conformance.HTMLReportFile),
		filepath.Join(o.out, conformance.JUnitReportFile), filepath.Join(o.out, conformance.JSONReportFile))
	if code == exitOK && rep.Failed() {
		code = exitFail
	}
	return code
}

// config checks the options and builds the run's configuration; the
// errors name the flag (or, from the profile, the field).
func (o *runOptions) config(ctx context.Context) (conformance.Config, string, error) {
	var cfg conformance.Config
	if o.target == "" {
		return cfg, "", errors.New("--target: missing (the IUT's address)")
	}
	if o.profile == "" {
		return cfg, "", errors.New("--profile: missing (the IUT's profile, a JSON file)")
	}
	for _, p := range []struct {
		name string
		v    uint
	}{{"--ike-port", o.ikePort}, {"--natt-port", o.nattPort}} {
		if p.v == 0 || p.v > 65535 {
			return cfg, "", fmt.Errorf("%s: %d is not a UDP port (1-65535)", p.name, p.v)
		}
	}
	if o.timeout <= 0 {
		return cfg, "", fmt.Errorf("--timeout: %v is not a positive duration", o.timeout)
	}
	if o.out == "" {
		return cfg, "", errors.New("--out: empty")
	}
	addr, err := resolve(ctx, o.target)
	if err != nil {
		return cfg, "", err
	}
	if o.local != "" {
		l, err := netip.ParseAddr(o.local)
		if err != nil {
			return cfg, "", fmt.Errorf("--local: %q is not an IP address", o.local)
		}
		if l.Is4() != addr.Is4() {
			return cfg, "", fmt.Errorf("--local: %s and --target %s are not of the same IP version", l, addr)
		}
		cfg.Local = l
	}
	prof, err := conformance.ReadProfile(o.profile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return cfg, "", fmt.Errorf("--profile: %s", strings.TrimPrefix(err.Error(), "conformance: "))
		}
		return cfg, "", err
	}
	cases, err := conformance.Select(o.cases)
	if err != nil {
		return cfg, "", err
	}
	cfg.Target = conformance.Target{Addr: addr, IKEPort: uint16(o.ikePort), NATTPort: uint16(o.nattPort)}
	cfg.Profile, cfg.Cases, cfg.OutDir, cfg.CaseTimeout = prof, cases, o.out, o.timeout
	return cfg, netip.AddrPortFrom(addr, uint16(o.ikePort)).String(), nil
}

// resolve takes an IP address or looks a host name up (bounded by 10 s).
func resolve(ctx context.Context, target string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(target); err == nil {
		return a.Unmap(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", target)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--target: %q is not an IP address and does not resolve: %w", target, err)
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("--target: %q has no address", target)
	}
	return addrs[0].Unmap(), nil
}

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", stderr)
	patterns := fs.String("cases", "", "comma-separated glob `PATTERNS` of case IDs (default: all)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	cases, err := conformance.Select(*patterns)
	if err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	if len(cases) == 0 {
		fmt.Fprintln(stderr, "ikeconform: no case is registered")
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTAG\tIUT ROLE\tTITLE")
	for _, c := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Tag, c.Role, c.Title)
	}
	if err := tw.Flush(); err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	return exitOK
}

func showCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "ikeconform: show: want one case ID\n%s", usage)
		return exitUsage
	}
	var c *conformance.Case
	for _, k := range conformance.All() {
		if strings.EqualFold(k.ID, args[0]) {
			c = k
			break
		}
	}
	if c == nil {
		fmt.Fprintf(stderr, "ikeconform: show: no case %q (ikeconform list shows the cases)\n", args[0])
		return exitUsage
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Group:        %s\n", c.Group())
	fmt.Fprintf(&b, "Tag:          %s\n", c.Tag)
	fmt.Fprintf(&b, "IUT role:     %s\n", c.Role)
	fmt.Fprintf(&b, "RFC:          %s\n", strings.Join(c.RFC, ", "))
	fmt.Fprintf(&b, "Requirements: %s\n", strings.Join(c.Reqs, ", "))
	if len(c.Needs) > 0 {
		fmt.Fprintf(&b, "Needs:        %s\n", strings.Join(c.Needs, ", "))
	}
	if c.Purpose != "" {
		fmt.Fprintf(&b, "\nPurpose:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(c.Purpose), "\n", "\n  "))
	}
	if len(c.Steps) > 0 {
		b.WriteString("\nLadder:\n")
		for i, s := range c.Steps {
			fmt.Fprintf(&b, "  %2d. %s\n", i+1, s)
		}
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		errorf(stderr, err)
		return exitUsage
	}
	return exitOK
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		return v
	}
	return "unknown"
}
