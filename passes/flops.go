package passes

import (
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// FLOPs estimates the floating-point operations of one node: two per
// multiply-add for matrix products, convolutions and attention
// (ops.ProductFLOPs), and for every other op one per element it reads or writes,
// whichever is more. Storage costs nothing. It is an estimate for
// comparing builds of one model, such as the cost of recomputation.
func FLOPs(n *ir.Node) float64 {
	d := ops.Lookup(n.Op)
	if d == nil || d.Kind == ops.Source {
		return 0
	}
	if flops, ok := ops.ProductFLOPs(n); ok {
		return flops
	}
	in := 0
	for _, x := range n.Inputs {
		in += x.Shape.Size()
	}
	return float64(max(in, n.Shape.Size()))
}

// RematCost returns the FLOPs of the nodes the remat pass added to
// recompute forward values, and of the rest of the graph: extra/step is the
// fraction of a step that recomputation adds.
func RematCost(g *ir.Graph) (extra, step float64) {
	for _, n := range g.Nodes {
		if n.Attrs.Bool(ir.RematAttr) {
			extra += FLOPs(n)
		} else {
			step += FLOPs(n)
		}
	}
	return extra, step
}
