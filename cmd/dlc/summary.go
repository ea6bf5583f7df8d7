package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/passes"
)

// layerSummary is one row of `dlc summary`: the forward nodes of one layer
// of the model file, in the training graph after every pass.
type layerSummary struct {
	name   string
	ops    []string // the ops of its computing nodes, in order, each once
	output ir.Shape // per sample
	params int64    // trainable elements
	state  int64    // running statistics (batch norm's mean and variance)
	flops  float64  // forward, per sample
	kept   int64    // bytes of its forward results the backward pass reads, at the model's batch
}

// runSummary is `dlc summary MODEL.dl`: what Keras's summary() prints, per
// layer and in total.
func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", stderr)
	f64 := fs.Bool("f64", false, "compute in float64 (activation memory doubles)")
	model, src, err := readModelArg(fs, args)
	if err != nil {
		return err
	}
	g, err := compiler.Graph(model, src, compiler.Options{DType: dtype(*f64)})
	if err != nil {
		return err
	}
	printSummary(stdout, g, summarize(g))
	return nil
}

// summarize groups g's forward nodes by layer, in the order layers first
// appear.
func summarize(g *ir.Graph) []*layerSummary {
	elem := int64(4)
	if g.DType == ir.F64 {
		elem = 8
	}
	readByBackward := map[*ir.Node]bool{}
	readFrom := map[*ir.Node][]*ir.Node{} // node → the nodes that read it
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			readFrom[in] = append(readFrom[in], n)
			if n.Phase == ir.Backward {
				readByBackward[in] = true
			}
		}
	}
	var layers []*layerSummary
	byName := map[string]*layerSummary{}
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward || n.Op == "label" || n.Layer == "" {
			continue
		}
		l := byName[n.Layer]
		if l == nil {
			l = &layerSummary{name: n.Layer}
			byName[n.Layer] = l
			layers = append(layers, l)
		}
		switch {
		case n.Op == "param":
			l.params += int64(n.Shape.Size())
		case n.Op == "state":
			// Optimizer state is no layer's; running statistics are read
			// by the forward pass.
			if slices.ContainsFunc(readFrom[n], func(r *ir.Node) bool { return r.Phase == ir.Forward }) {
				l.state += int64(n.Shape.Size())
			}
		case ops.Lookup(n.Op).Kind != ops.Source || n.Op == "input":
			if n.Op != "input" && !slices.Contains(l.ops, n.Op) {
				l.ops = append(l.ops, n.Op)
			}
			if n.Op == "input" {
				l.ops = append(l.ops, "input")
			}
			l.flops += passes.FLOPs(n) / float64(g.Batch)
			if readByBackward[n] {
				l.kept += int64(n.Shape.Size()) * elem
			}
			// The layer's output is what another layer reads, or the
			// model's output or loss.
			if n == g.Output || n == g.Loss || slices.ContainsFunc(readFrom[n], func(r *ir.Node) bool {
				return r.Phase == ir.Forward && r.Layer != n.Layer
			}) || l.output == nil {
				l.output = perSample(n, g.Batch)
			}
		}
	}
	return layers
}

// perSample drops the batch axis of a node's shape.
func perSample(n *ir.Node, batch int) ir.Shape {
	if len(n.Shape) > 0 && n.Shape[0] == batch {
		return n.Shape[1:]
	}
	return n.Shape
}

func printSummary(w io.Writer, g *ir.Graph, layers []*layerSummary) {
	fmt.Fprintf(w, "model %s (%s, batch %d)\n\n", g.Name, g.DType, g.Batch)
	rows := [][]string{{"layer", "ops", "output", "params", "FLOPs", "activations"}}
	var total layerSummary
	for _, l := range layers {
		out := l.output.String()
		if len(l.output) == 0 {
			out = "scalar"
		}
		rows = append(rows, []string{l.name, strings.Join(l.ops, "+"), out, grouped(l.params), grouped(int64(l.flops + 0.5)), bytesOrNone(l.kept)})
		total.params += l.params
		total.state += l.state
		total.flops += l.flops
		total.kept += l.kept
	}
	rows = append(rows, []string{"total", "", "", grouped(total.params), grouped(int64(total.flops + 0.5)), bytesOrNone(total.kept)})
	printTable(w, rows, 3) // numbers from the fourth column on, right-aligned
	fmt.Fprintf(w, "\nparams: %s trainable", grouped(total.params))
	if total.state > 0 {
		fmt.Fprintf(w, ", and %s running statistics not trained (batch norm's mean and variance)", grouped(total.state))
	}
	fmt.Fprintf(w, ".\noutput: per sample.\n")
	fmt.Fprintf(w, "FLOPs: the forward pass for one sample; a multiply-add is 2, any other op 1 per element\n")
	fmt.Fprintf(w, "  it reads or writes, whichever is more. A training step costs about 3× the forward pass.\n")
	fmt.Fprintf(w, "activations: the layer's forward results that the backward pass reads (kept from one to\n")
	fmt.Fprintf(w, "  the other), at batch %d, after fusion and recomputation. dlc plan shows the memory plan\n", g.Batch)
	fmt.Fprintf(w, "  of the whole step, which also holds gradients, workspace and the persistent tensors.\n")
}

// printTable writes rows in columns two spaces apart, a rule under the
// first row and above the last; columns from num on are right-aligned.
func printTable(w io.Writer, rows [][]string, num int) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	total := 2 * (len(width) - 1)
	for _, n := range width {
		total += n
	}
	rule := strings.Repeat("─", total)
	for k, r := range rows {
		if k == len(rows)-1 {
			fmt.Fprintln(w, rule)
		}
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i >= num {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 {
			fmt.Fprintln(w, rule)
		}
	}
}

// grouped writes n with thousands separators: 1,234,567.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bytesOrNone is a byte count in KiB or MiB, or "-" for none.
func bytesOrNone(b int64) string {
	switch {
	case b == 0:
		return "-"
	case b < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
}
