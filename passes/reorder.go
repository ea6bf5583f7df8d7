package passes

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// anchor says where a moved node goes: right before or right after at.
type anchor struct {
	at    *ir.Node
	after bool
}

// moveNodes rebuilds g.Nodes so that every node in place sits next to its
// anchor, and returns an error if an anchor is not in the graph. Nodes that
// share an anchor and side keep their relative order; an anchor may itself
// be moved. Passes that rewrite the graph append their new nodes (ir.Graph.Add
// puts them last) and then move them where they belong. The parameter and
// state lists follow the new node order, as they follow creation order in a
// graph built front to back.
func moveNodes(g *ir.Graph, place map[*ir.Node]anchor) error {
	if len(place) == 0 {
		return nil
	}
	before, after := map[*ir.Node][]*ir.Node{}, map[*ir.Node][]*ir.Node{}
	for _, n := range g.Nodes {
		if a, ok := place[n]; ok {
			if a.after {
				after[a.at] = append(after[a.at], n)
			} else {
				before[a.at] = append(before[a.at], n)
			}
		}
	}
	nodes := make([]*ir.Node, 0, len(g.Nodes))
	var emit func(n *ir.Node)
	emit = func(n *ir.Node) {
		for _, m := range before[n] {
			emit(m)
		}
		nodes = append(nodes, n)
		for _, m := range after[n] {
			emit(m)
		}
	}
	for _, n := range g.Nodes {
		if _, moved := place[n]; !moved {
			emit(n)
		}
	}
	if len(nodes) != len(g.Nodes) {
		return fmt.Errorf("moving nodes: %d of %d nodes are anchored to nodes outside the graph", len(g.Nodes)-len(nodes), len(g.Nodes))
	}
	g.Nodes = nodes
	index := make(map[*ir.Node]int, len(nodes))
	for i, n := range nodes {
		index[n] = i
	}
	byIndex := func(a, b *ir.Node) int { return cmp.Compare(index[a], index[b]) }
	slices.SortFunc(g.Params, byIndex)
	slices.SortFunc(g.State, byIndex)
	return nil
}

// replaceOperand makes reader read to wherever it read from, and updates
// users (ir.Graph.Users, kept current by the pass) to match.
func replaceOperand(users map[*ir.Node][]*ir.Node, reader, from, to *ir.Node) {
	for i, in := range reader.Inputs {
		if in == from {
			reader.Inputs[i] = to
		}
	}
	users[from] = slices.DeleteFunc(users[from], func(u *ir.Node) bool { return u == reader })
	if !slices.Contains(users[to], reader) {
		users[to] = append(users[to], reader)
	}
}
