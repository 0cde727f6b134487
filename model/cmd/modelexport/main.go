// Command modelexport writes the exported views of the IKE SA life-cycle
// table of package model (RFC 7296 sections 1.1-1.4 and 2.1-2.25): a
// Graphviz DOT graph per role (initiator.dot, responder.dot) and the
// Promela model of initiator, responder and network (ikev2.pml) that spin
// checks. The output is deterministic; docs/model holds the committed copy,
// which a test of package model keeps in step with the table:
//
//	go run ./model/cmd/modelexport -out docs/model
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ikev2ref/ikev2ref/model"
)

func main() {
	out := flag.String("out", "docs/model", "directory to write initiator.dot, responder.dot and ikev2.pml to")
	flag.Parse()
	if err := export(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func export(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("model: modelexport: %w", err)
	}
	files := model.Files(model.Table)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(files[name]), 0o644); err != nil {
			return fmt.Errorf("model: modelexport: %w", err)
		}
		fmt.Println("model: wrote", p)
	}
	return nil
}
