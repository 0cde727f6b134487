package model

import (
	"sort"
	"strings"
)

// This file holds what the exporters (dot.go, promela.go) share: the order
// of rows, the exchange a row's request belongs to, and the file set that
// model/cmd/modelexport writes to docs/model.

// ExportCommand is the command that regenerates the exported files.
const ExportCommand = "go run ./model/cmd/modelexport -out docs/model"

// Files returns the exported views of rows, by file name: the DOT graph of
// each role (initiator.dot, responder.dot), of the Child SA life cycle
// (child.dot) and the Promela model of the pair
// (ikev2.pml). The contents are deterministic.
func Files(rows []Transition) map[string]string {
	return map[string]string{
		"initiator.dot": DOT(rows, Initiator),
		"responder.dot": DOT(rows, Responder),
		"child.dot":     ChildDOT(ChildTable),
		"ikev2.pml":     Promela(rows),
	}
}

// sortedRows returns a copy of rows in a fixed order (From, To, Exchange,
// Event, Outcome, Send, Timer, Role), so that the exports do not depend on
// the order the table is written in.
func sortedRows(rows []Transition) []Transition {
	out := append([]Transition(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.From != b.From:
			return a.From < b.From
		case a.To != b.To:
			return a.To < b.To
		case a.Exchange != b.Exchange:
			return a.Exchange < b.Exchange
		case a.Event != b.Event:
			return a.Event < b.Event
		case a.Outcome != b.Outcome:
			return a.Outcome < b.Outcome
		case a.Send != b.Send:
			return a.Send < b.Send
		case a.Timer != b.Timer:
			return a.Timer < b.Timer
		}
		return a.Role < b.Role
	})
	return out
}

// requestExchange is the exchange of the request a SendRequest row sends.
// It is the row's own exchange (a retry, a new CREATE_CHILD_SA, a Delete)
// unless the destination state accepts no response of that exchange for
// the role: the request then starts the exchange the destination state
// awaits, the one exchange whose responses it accepts (IKE_SA_INIT's
// response is answered by the IKE_AUTH request, RFC 7296 section 1.2).
// When the destination accepts responses of several other exchanges, the
// lowest is taken; when of none, the row's own exchange.
func requestExchange(rows []Transition, t Transition) Exchange {
	awaited := map[Exchange]bool{}
	for _, r := range rows {
		if r.Role == t.Role && r.From == t.To && r.Event == RecvResponse {
			awaited[r.Exchange] = true
		}
	}
	if awaited[t.Exchange] || len(awaited) == 0 {
		return t.Exchange
	}
	best := Exchange(0)
	for x := range awaited {
		if best == 0 || x < best {
			best = x
		}
	}
	return best
}

// exchangeName is the exchange's name, or "-" for rows of no exchange.
func exchangeName(x Exchange) string {
	if x == 0 {
		return "-"
	}
	return x.String()
}

// sendLabel describes what a row sends, e.g. "IKE_AUTH request".
func sendLabel(rows []Transition, t Transition) string {
	switch t.Send {
	case SendRequest:
		return exchangeName(requestExchange(rows, t)) + " request"
	case SendResponse:
		return exchangeName(t.Exchange) + " response"
	}
	return "nothing"
}

// ident turns a name such as "recv-request" or "STATE(9)" into the
// identifier suffix RECV_REQUEST or STATE_9.
func ident(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}
