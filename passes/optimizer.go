package passes

import (
	"fmt"

	"github.com/dlc-dev/dlc/internal/ops"
	"github.com/dlc-dev/dlc/ir"
)

// addOptimizer appends, for every parameter in order, its optimizer state
// (zero-initialised "state" nodes named "<param>.<role>") and one update
// node that applies the rule of g.Train.Optimizer in place:
//
//	sgd:  sgd_update(p, grad)                 when momentum is 0
//	      sgd_update(p, grad, p.velocity)     otherwise
//	adam: adam_update(p, grad, p.adam_m, p.adam_v)
func addOptimizer(g *ir.Graph, _ *Options) error {
	o := g.Train.Optimizer
	if err := checkOptimizer(o); err != nil {
		return err
	}
	for _, p := range g.Params {
		if g.Grads[p] == nil {
			return fmt.Errorf("parameter %q has no gradient: autodiff must run before the optimizer", p.Name)
		}
	}
	for _, p := range g.Params {
		grad := g.Grads[p]
		b := (&ops.Builder{G: g, Phase: ir.Update}).At(p)
		state := func(role string) *ir.Node {
			return b.Source("state", p.Name+"."+role, p.Shape, nil)
		}
		var err error
		switch o.Kind {
		case "sgd":
			attrs := ir.Attrs{"lr": o.LR, "momentum": o.Momentum, "nesterov": o.Nesterov, "weight_decay": o.WeightDecay}
			if o.Momentum == 0 {
				_, err = b.Op("sgd_update", attrs, p, grad)
			} else {
				_, err = b.Op("sgd_update", attrs, p, grad, state("velocity"))
			}
		case "adam":
			attrs := ir.Attrs{"lr": o.LR, "beta1": o.Beta1, "beta2": o.Beta2, "eps": o.Eps, "weight_decay": o.WeightDecay}
			_, err = b.Op("adam_update", attrs, p, grad, state("adam_m"), state("adam_v"))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkOptimizer rejects an unknown rule or hyperparameters outside their
// domain (the ranges PyTorch's optimizers accept). Written as !(x >= 0) so
// that NaN is rejected too.
func checkOptimizer(o ir.Optimizer) error {
	bad := func(format string, args ...any) error {
		return ir.Errorf(ir.Loc{}, "optimizer %s: "+format, append([]any{o.Kind}, args...)...)
	}
	switch o.Kind {
	case "sgd", "adam":
	case "":
		return ir.Errorf(ir.Loc{}, "no optimizer: a training build needs sgd or adam")
	default:
		return ir.Errorf(ir.Loc{}, "unknown optimizer %q: want sgd or adam", o.Kind)
	}
	switch {
	case !(o.LR >= 0):
		return bad("learning rate %g is negative", o.LR)
	case !(o.WeightDecay >= 0):
		return bad("weight_decay %g is negative", o.WeightDecay)
	}
	if o.Kind == "sgd" {
		switch {
		case !(o.Momentum >= 0):
			return bad("momentum %g is negative", o.Momentum)
		case o.Nesterov && o.Momentum == 0:
			return bad("nesterov needs a momentum above 0")
		}
		return nil
	}
	switch {
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return bad("beta1 %g is not in [0, 1)", o.Beta1)
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return bad("beta2 %g is not in [0, 1)", o.Beta2)
	case !(o.Eps >= 0):
		return bad("eps %g is negative", o.Eps)
	}
	return nil
}
