package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Dump renders the graph as stable text: one line per node, in graph order,
// with its op, operands, shape, attributes and source position. Golden tests
// compare this text, so it must depend only on the graph.
func Dump(g *Graph) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %s dtype=%s batch=%d\n", g.Name, g.DType, g.Batch)
	phase := Phase(-1)
	for _, n := range g.Nodes {
		if n.Phase != phase {
			phase = n.Phase
			fmt.Fprintf(&b, "%s:\n", phase)
		}
		b.WriteString("  ")
		b.WriteString(FormatNode(n))
		b.WriteByte('\n')
	}
	if g.Output != nil {
		fmt.Fprintf(&b, "output %s\n", g.Output)
	}
	if g.Loss != nil {
		fmt.Fprintf(&b, "loss %s\n", g.Loss)
	}
	for _, p := range g.Params {
		if d := g.Grads[p]; d != nil {
			fmt.Fprintf(&b, "grad %s = %s\n", p.Name, d)
		}
	}
	t := g.Train
	o := t.Optimizer
	fmt.Fprintf(&b, "train data=%q split=%g batch=%d epochs=%d seed=%d\n", t.Data, t.Split, t.Batch, t.Epochs, t.Seed)
	fmt.Fprintf(&b, "optimizer %s lr=%g momentum=%g nesterov=%t beta1=%g beta2=%g eps=%g weight_decay=%g\n",
		o.Kind, o.LR, o.Momentum, o.Nesterov, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)
	return b.String()
}

// FormatNode renders one node as it appears in Dump.
func FormatNode(n *Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s = %s", n, n.Op)
	for i, in := range n.Inputs {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(in.String())
	}
	fmt.Fprintf(&b, " : %s", n.Shape)
	if s := formatAttrs(n.Attrs); s != "" {
		b.WriteString(" {" + s + "}")
	}
	if n.Name != "" {
		fmt.Fprintf(&b, " name=%q", n.Name)
	}
	if n.Layer != "" {
		fmt.Fprintf(&b, " layer=%q", n.Layer)
	}
	if n.Loc.Line != 0 {
		fmt.Fprintf(&b, " @%d:%d", n.Loc.Line, n.Loc.Col)
	}
	return b.String()
}

func formatAttrs(a Attrs) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		switch v := a[k].(type) {
		case string:
			parts[i] = fmt.Sprintf("%s=%q", k, v)
		case float64:
			parts[i] = fmt.Sprintf("%s=%g", k, v)
		default:
			parts[i] = fmt.Sprintf("%s=%v", k, v)
		}
	}
	return strings.Join(parts, " ")
}

// Fingerprint identifies a graph's architecture: the ops, operands, shapes,
// attributes and names of its forward nodes, and its dtype. Source positions
// and the training recipe do not count, so moving a line or changing the
// learning rate keeps the fingerprint; adding a layer changes it.
func Fingerprint(g *Graph) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %d\n", g.Name, g.DType, g.Batch)
	for _, n := range g.Nodes {
		if n.Phase != Forward {
			continue
		}
		fmt.Fprintf(h, "%d %s", n.ID, n.Op)
		for _, in := range n.Inputs {
			fmt.Fprintf(h, " %d", in.ID)
		}
		fmt.Fprintf(h, " %s {%s} %q\n", n.Shape, formatAttrs(n.Attrs), n.Name)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
