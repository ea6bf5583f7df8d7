package passes

import (
	"errors"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// checkShapes re-runs every node's shape rule and compares the result with
// the stored shape: it is the type check of IR written by any pass or by
// hand. It also requires a loss in training builds and an output in
// inference builds.
func checkShapes(g *ir.Graph, opt *Options) error {
	for _, n := range g.Nodes {
		want, err := ops.InferShape(n)
		if err != nil {
			msg := err.Error()
			if e, ok := errors.AsType[*ir.Error](err); ok {
				msg = e.Msg
			}
			return ir.Errorf(n.Loc, "%s rejects its operands: %s", describe(n), msg)
		}
		if !want.Equal(n.Shape) {
			return ir.Errorf(n.Loc, "%s: node %s has shape %s but its shape rule gives %s",
				describe(n), n, n.Shape, want)
		}
	}
	switch {
	case !opt.Inference && g.Loss == nil:
		return ir.Errorf(ir.Loc{}, "the model has no loss: a training build needs one")
	case opt.Inference && g.Output == nil:
		return ir.Errorf(ir.Loc{}, "the model has no output: a prediction build needs one")
	}
	return nil
}
