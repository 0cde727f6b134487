// Command statuscheck checks status files of spec/status (the hand-kept
// status, paraphrase and detail of each requirement) while they are being
// written: that each file parses and that the code references of its
// "implemented" rows exist. Without arguments it checks every file of
// spec/status completely, as TestStatusFiles does (every catalogue row has a
// row, in order).
//
//	go run ./spec/cmd/statuscheck spec/status/rfc7296.tsv
//	go run ./spec/cmd/statuscheck            # all of spec/status
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ikev2ref/ikev2ref/spec"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	var errs []error
	n := 0
	if flag.NArg() == 0 {
		rows, err := spec.LoadStatus(*root)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cites, err := spec.ScanCitations(*root)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n = len(rows)
		errs = spec.CheckStatus(*root, rows, cites)
	}
	for _, f := range flag.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "spec:", err)
			os.Exit(1)
		}
		rows, err := spec.ParseStatusFile(f, data)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n += len(rows)
		errs = append(errs, spec.CheckRefs(*root, rows)...)
	}
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, e)
	}
	fmt.Printf("%d rows, %d problems\n", n, len(errs))
	if len(errs) > 0 {
		os.Exit(1)
	}
}
