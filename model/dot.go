package model

import (
	"fmt"
	"sort"
	"strings"
)

// DOT renders the machine of one role as a Graphviz digraph: a node per
// state the role's rows name, an edge per row, labelled
// "EXCHANGE event/outcome -> send" (for example
// "IKE_SA_INIT recv-response/ok -> IKE_AUTH request"). IDLE is drawn bold,
// states no row leaves (DELETED) as double circles. The output is sorted
// and does not depend on the order of rows.
func DOT(rows []Transition, role Role) string {
	var mine []Transition
	states := map[State]bool{}
	leaves := map[State]bool{}
	for _, t := range sortedRows(rows) {
		if t.Role != role {
			continue
		}
		mine = append(mine, t)
		states[t.From], states[t.To] = true, true
		leaves[t.From] = true
	}
	order := make([]State, 0, len(states))
	for s := range states {
		order = append(order, s)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })

	var b strings.Builder
	fmt.Fprintf(&b, "// IKE SA life cycle of the %v (RFC 7296 sections 1.1-1.4, 2.1-2.25), generated from\n", role)
	fmt.Fprintf(&b, "// the transition table of package model by model.DOT. Regenerate: %s\n", ExportCommand)
	fmt.Fprintf(&b, "digraph %q {\n", "ikev2_"+role.String())
	b.WriteString("\trankdir=LR;\n\tnode [shape=ellipse, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, s := range order {
		var attrs []string
		if s == Idle {
			attrs = append(attrs, "style=bold")
		}
		if !leaves[s] {
			attrs = append(attrs, "shape=doublecircle")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, "\t%q [%s];\n", s.String(), strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(&b, "\t%q;\n", s.String())
		}
	}
	for _, t := range mine {
		fmt.Fprintf(&b, "\t%q -> %q [label=%q];\n", t.From.String(), t.To.String(), dotLabel(rows, t))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotLabel is the edge label of a row: "EXCHANGE event/outcome -> send".
func dotLabel(rows []Transition, t Transition) string {
	return fmt.Sprintf("%s %v/%v -> %s", exchangeName(t.Exchange), t.Event, t.Outcome, sendLabel(rows, t))
}
