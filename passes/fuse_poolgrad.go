package passes

import (
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// poolGradGroups proposes a poolgrad group (ir.GroupPoolGrad) for each maxpool2d_grad(y, dy)
// whose only reader is relu_grad(y, ·) over the same y, in the same phase,
// where no reader of y stands after the relu_grad and the pool's windows
// tile the plane (ops.Window.Tiles): the backward pass of relu → maxpool2d,
// at y's last use. One kernel computes both window by window, reading a
// window's y before writing its gradient; each element belongs to one
// window, so the pool gradient needs no buffer and the result may take y's
// buffer (PlanMemory decides, by its in-place rule).
func poolGradGroups(g *ir.Graph, users map[*ir.Node][]*ir.Node, keep map[*ir.Node]bool) {
	step := make(map[*ir.Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		step[n] = i
	}
	for _, pg := range g.Nodes {
		if pg.Op != "maxpool2d_grad" || keep[pg] || len(users[pg]) != 1 || g.GroupOf[pg] != nil {
			continue
		}
		rg, y := users[pg][0], pg.Inputs[0]
		if rg.Op != "relu_grad" || rg.Phase != pg.Phase || len(rg.Inputs) != 2 ||
			rg.Inputs[0] != y || rg.Inputs[1] != pg || keep[y] || !readBy(users[y], step, step[rg]) ||
			!ops.WindowOf(pg).Tiles() {
			continue
		}
		gr := &ir.Group{ID: len(g.Groups), Kind: ir.GroupPoolGrad, Nodes: []*ir.Node{pg, rg}}
		g.Groups = append(g.Groups, gr)
		g.GroupOf[pg], g.GroupOf[rg] = gr, gr
	}
}

// readBy reports whether every node in readers stands at or before step.
func readBy(readers []*ir.Node, step map[*ir.Node]int, at int) bool {
	for _, u := range readers {
		if step[u] > at {
			return false
		}
	}
	return true
}
