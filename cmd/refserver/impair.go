package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

// Impairments (impl/ike/impair.go): deliberate protocol faults in the
// messages the server sends, for conformance suites that must see their
// judges fail. --impair SPEC at startup (repeatable) and `ctl impair` at
// run time take the same syntax:
//
//	KIND[=ARG] [--exchange IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL] [--request|--response] [--nth N]
//
// `ctl impair SPEC` adds one to those active, `ctl impair --list` lists
// them, `ctl impair --clear` removes them all.

// impairJSON is an active impairment in ctl impair's answer.
type impairJSON struct {
	Spec      string `json:"spec"` // as ParseImpairment reads it
	Kind      string `json:"kind"`
	Arg       string `json:"arg,omitempty"`
	Exchange  string `json:"exchange"`  // or "any"
	Direction string `json:"direction"` // request, response or any
	Nth       int    `json:"nth"`       // 0: every matching message
}

func newImpairJSON(i ike.Impairment) impairJSON {
	j := impairJSON{Spec: i.String(), Kind: string(i.Kind), Arg: i.Arg, Exchange: "any", Direction: "any", Nth: i.Nth}
	if i.Exchange != 0 {
		j.Exchange = i.Exchange.String()
	}
	switch {
	case i.Request:
		j.Direction = "request"
	case i.Response:
		j.Direction = "response"
	}
	return j
}

// impairFlag collects repeated --impair values, checked as they come.
type impairFlag struct{ list *[]ike.Impairment }

func (f impairFlag) String() string {
	if f.list == nil {
		return ""
	}
	var s []string
	for _, i := range *f.list {
		s = append(s, i.String())
	}
	return strings.Join(s, "; ")
}

func (f impairFlag) Set(v string) error {
	i, err := ike.ParseImpairment(v)
	if err != nil {
		return err
	}
	*f.list = append(*f.list, i)
	return nil
}

// impair carries out ctl impair on the loop.
func (s *server) impair(req request) response {
	n := 0
	for _, b := range []bool{req.Impair != "", req.List, req.Clear} {
		if b {
			n++
		}
	}
	if n != 1 {
		return fail(errors.New("refserver: impair: want one of impair (an impairment), list or clear"))
	}
	var add ike.Impairment
	if req.Impair != "" {
		var err error
		if add, err = ike.ParseImpairment(req.Impair); err != nil {
			return fail(fmt.Errorf("refserver: impair: %w", err))
		}
	}
	var (
		list []ike.Impairment
		err  error
	)
	if e := s.do(func(time.Time) {
		switch {
		case req.Clear:
			err = s.eng.SetImpairments(nil)
		case req.Impair != "":
			err = s.eng.SetImpairments(append(s.eng.Impairments(), add))
		}
		list = s.eng.Impairments()
	}); e != nil {
		return fail(e)
	}
	if err != nil {
		return fail(fmt.Errorf("refserver: impair: %w", err))
	}
	resp := response{OK: true, Impairments: make([]impairJSON, 0, len(list))}
	for _, i := range list {
		resp.Impairments = append(resp.Impairments, newImpairJSON(i))
	}
	resp.Message = impairMessage(resp.Impairments)
	return resp
}

// impairMessage is the text answer: the active impairments, one a line.
func impairMessage(list []impairJSON) string {
	if len(list) == 0 {
		return "no impairments"
	}
	lines := []string{fmt.Sprintf("%d impairment(s) active:", len(list))}
	for _, i := range list {
		lines = append(lines, "  "+i.Spec)
	}
	return strings.Join(lines, "\n")
}

// runImpair is `refserver ctl impair ...`: args are what follows
// "impair". --ctl, --json, --list and --clear are ctl's; the rest is the
// impairment, checked here before the server sees it.
func runImpair(ctlPath string, jsonOut bool, args []string, stdout, stderr io.Writer) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "refserver ctl: impair: "+format+"\n", a...)
		fmt.Fprint(stderr, ctlUsage)
		return 2
	}
	var spec []string
	req := request{Command: cmdImpair}
	for n := 0; n < len(args); n++ {
		a := args[n]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			spec = append(spec, a)
			continue
		}
		switch name {
		case "ctl":
			if !hasVal {
				if n+1 >= len(args) {
					return usageErr("--ctl: missing SOCKET")
				}
				n++
				val = args[n]
			}
			ctlPath = val
		case "json", "list", "clear":
			if hasVal {
				return usageErr("--%s takes no value", name)
			}
			switch name {
			case "json":
				jsonOut = true
			case "list":
				req.List = true
			case "clear":
				req.Clear = true
			}
		default:
			spec = append(spec, a)
		}
	}
	switch {
	case req.List && req.Clear:
		return usageErr("--list and --clear exclude each other")
	case (req.List || req.Clear) && len(spec) > 0:
		return usageErr("--list and --clear take no impairment, got %q", strings.Join(spec, " "))
	case !req.List && !req.Clear && len(spec) == 0:
		return usageErr("no impairment (kinds: %s)", kindNames())
	}
	if len(spec) > 0 {
		i, err := ike.ParseImpairment(strings.Join(spec, " "))
		if err != nil {
			return usageErr("%v", err)
		}
		req.Impair = i.String()
	}
	resp, err := call(ctlPath, req, ctlIOTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	if !resp.OK {
		fmt.Fprintln(stderr, resp.Error)
		return 1
	}
	if jsonOut {
		if resp.Impairments == nil {
			resp.Impairments = []impairJSON{}
		}
		return printJSON(stdout, stderr, resp.Impairments)
	}
	fmt.Fprintln(stdout, impairMessage(resp.Impairments))
	return 0
}

func kindNames() string {
	var s []string
	for _, k := range ike.ImpairKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}
