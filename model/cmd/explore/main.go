// Command explore runs the model's explorer (package model) over its
// scenarios and prints, for each, the states, transitions, depth, quiescent
// states and time, or the counterexample ladder of a violated property.
// `make model` runs it; docs/model.md records its figures.
//
//	go run ./model/cmd/explore                 # every scenario, a Markdown table
//	go run ./model/cmd/explore -scenario ike-rekey
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ikev2ref/ikev2ref/model"
)

func main() {
	name := flag.String("scenario", "", "run only this scenario")
	flag.Parse()
	failed := false
	fmt.Println("| scenario | states | transitions | depth | quiescent | seconds | result |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|")
	var states, trans int
	var total time.Duration
	found := false
	for _, sc := range model.Scenarios {
		if *name != "" && sc.Name != *name {
			continue
		}
		found = true
		r := model.Explore(model.DefaultSpec(), sc)
		res := "all properties hold"
		if r.Violation != nil {
			res = "VIOLATED: " + r.Violation.Property
			failed = true
			defer fmt.Fprintf(os.Stderr, "\n%s: %s", sc.Name, r.Violation.Ladder())
		}
		states, trans, total = states+r.States, trans+r.Transitions, total+r.Elapsed
		fmt.Printf("| %s | %d | %d | %d | %d | %.2f | %s |\n", sc.Name, r.States, r.Transitions, r.Depth, r.Quiescent, r.Elapsed.Seconds(), res)
	}
	if !found {
		fmt.Fprintf(os.Stderr, "model: no scenario %q\n", *name)
		os.Exit(2)
	}
	if *name == "" {
		fmt.Printf("| **all** | %d | %d | | | %.2f | |\n", states, trans, total.Seconds())
	}
	if failed {
		defer os.Exit(1)
	}
}
