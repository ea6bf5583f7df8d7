package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/ir"
)

// runGraph prints the training graph as Graphviz DOT: forward and backward
// (and update) nodes in one cluster per phase, fused groups as nested
// clusters.
func runGraph(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("graph", stderr)
	model, src, err := readModelArg(fs, args)
	if err != nil {
		return err
	}
	g, err := compiler.Graph(model, src, compiler.Options{})
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, dot(g))
	return err
}

// dot renders g as a DOT digraph.
func dot(g *ir.Graph) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n", g.Name)
	node := func(n *ir.Node, indent string) {
		label := fmt.Sprintf("%s %s\\n%s", n, n.Op, n.Shape)
		if n.Name != "" {
			label += "\\n" + n.Name
		} else if n.Layer != "" {
			label += "\\n(" + n.Layer + ")"
		}
		style := ""
		switch n.Op {
		case "param", "state":
			style = ", style=filled, fillcolor=\"#e8f0ff\""
		case "input", "label":
			style = ", style=filled, fillcolor=\"#e8ffe8\""
		}
		// DOT reads \n in a label as a line break; only quotes need escaping.
		fmt.Fprintf(&b, "%sn%d [label=\"%s\"%s];\n", indent, n.ID, strings.ReplaceAll(label, `"`, `\"`), style)
	}
	for _, phase := range []ir.Phase{ir.Forward, ir.Backward, ir.Update} {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", phase, phase)
		done := map[*ir.Node]bool{}
		for _, n := range g.Nodes {
			if n.Phase != phase || done[n] {
				continue
			}
			if gr := g.GroupOf[n]; gr != nil {
				fmt.Fprintf(&b, "    subgraph cluster_group%d {\n      label=\"fused %s %d\"; style=dashed;\n", gr.ID, gr.Kind, gr.ID)
				for _, m := range gr.Nodes {
					node(m, "      ")
					done[m] = true
				}
				b.WriteString("    }\n")
				continue
			}
			node(n, "    ")
		}
		b.WriteString("  }\n")
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			fmt.Fprintf(&b, "  n%d -> n%d;\n", in.ID, n.ID)
		}
	}
	b.WriteString("}\n")
	return b.String()
}
