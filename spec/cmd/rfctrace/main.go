// Command rfctrace generates docs/rfc-trace, the traceability matrix of
// ikev2ref (requirement -> code -> tests -> status), from the requirement
// catalogue of package spec, the requirement IDs cited in the repository's
// .go and .feature files and the hand-kept statuses and paraphrases in spec/status/rfcNNNN.tsv.
//
//	go run ./spec/cmd/rfctrace                      # from the repository root
//	go run ./spec/cmd/rfctrace -root . -out docs/rfc-trace
//
// `make trace` runs it and then the tests that keep the matrix true.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	fl := flag.NewFlagSet("rfctrace", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "the repository root (holds go.mod and spec/status)")
	out := fl.String("out", "", "the directory to write into (default ROOT/docs/rfc-trace)")
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
	if _, err := os.Stat(filepath.Join(*root, "go.mod")); err != nil {
		return fmt.Errorf("spec: %s is not the repository root (no go.mod)", *root)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(*root, "docs", "rfc-trace")
	}
	names, err := spec.WriteTrace(*root, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", len(names), dir)
	return nil
}
