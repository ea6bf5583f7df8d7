package passes

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// addOptimizer appends the update phase: first, when the recipe clips
// gradients, one clip_grad_norm over every gradient; then, for every
// parameter in order, its optimizer state (zero-initialised "state" nodes
// named "<param>.<role>") and one update node that applies the rule of
// g.Train.Optimizer in place:
//
//	sgd:     sgd_update(p, grad)                      when momentum is 0
//	         sgd_update(p, grad, p.velocity)          otherwise
//	adam:    adam_update(p, grad, p.adam_m, p.adam_v)
//	adamw:   the same, with decoupled weight decay
//	adagrad: adagrad_update(p, grad, p.adagrad_sum)
//	rmsprop: rmsprop_update(p, grad, p.rmsprop_square_avg
//	         [, p.rmsprop_grad_avg when centered] [, p.rmsprop_momentum when momentum > 0])
//
// Each update carries the weight decay that applies to its parameter: 0
// for a parameter whose class the recipe excludes (decayExcluded).
func addOptimizer(g *ir.Graph, _ *Options) error {
	o := g.Train.Optimizer
	if err := checkOptimizer(o); err != nil {
		return err
	}
	if err := checkRecipe(g.Train.Recipe); err != nil {
		return err
	}
	for _, p := range g.Params {
		if g.Grads[p] == nil {
			return fmt.Errorf("parameter %q has no gradient: autodiff must run before the optimizer", p.Name)
		}
	}
	if err := addClipping(g); err != nil {
		return err
	}
	users := g.Users()
	for _, p := range g.Params {
		b := (&ops.Builder{G: g, Phase: ir.Update}).At(p)
		op, attrs, roles := updateRule(o)
		attrs["weight_decay"] = o.WeightDecay
		if decayExcluded(p, users[p], o.Decay) {
			attrs["weight_decay"] = 0.0
		}
		if attrs.Float("weight_decay", 0) != 0 && (o.Decay.Decoupled || o.Kind == "adamw") {
			attrs["decoupled"] = true
		}
		operands := []*ir.Node{p, g.Grads[p]}
		for _, role := range roles {
			operands = append(operands, b.Source("state", p.Name+"."+role, p.Shape, nil))
		}
		if _, err := b.Op(op, attrs, operands...); err != nil {
			return err
		}
	}
	return nil
}

// updateRule returns an optimizer's update op, its hyperparameters (without
// the weight decay) and the roles of its state operands, in operand order.
func updateRule(o ir.Optimizer) (string, ir.Attrs, []string) {
	switch o.Kind {
	case "adam", "adamw":
		return "adam_update", ir.Attrs{"lr": o.LR, "beta1": o.Beta1, "beta2": o.Beta2, "eps": o.Eps}, []string{"adam_m", "adam_v"}
	case "adagrad":
		return "adagrad_update", ir.Attrs{"lr": o.LR, "eps": o.Eps}, []string{"adagrad_sum"}
	case "rmsprop":
		roles := []string{"rmsprop_square_avg"}
		if o.Centered {
			roles = append(roles, "rmsprop_grad_avg")
		}
		if o.Momentum > 0 {
			roles = append(roles, "rmsprop_momentum")
		}
		return "rmsprop_update", ir.Attrs{"lr": o.LR, "alpha": o.Alpha, "eps": o.Eps, "momentum": o.Momentum, "centered": o.Centered}, roles
	}
	attrs := ir.Attrs{"lr": o.LR, "momentum": o.Momentum, "nesterov": o.Nesterov}
	if o.Momentum == 0 {
		return "sgd_update", attrs, nil
	}
	return "sgd_update", attrs, []string{"velocity"}
}

// addClipping appends clip_grad_norm over every parameter's gradient, once
// each, when the recipe sets a maximum norm.
func addClipping(g *ir.Graph) error {
	maxNorm := g.Train.Recipe.ClipNorm
	if maxNorm == 0 {
		return nil
	}
	var grads []*ir.Node
	for _, p := range g.Params {
		if d := g.Grads[p]; !slices.Contains(grads, d) {
			grads = append(grads, d)
		}
	}
	b := &ops.Builder{G: g, Phase: ir.Update, Layer: "clip_grad_norm"}
	_, err := b.Op("clip_grad_norm", ir.Attrs{"max_norm": maxNorm}, grads...)
	return err
}

// decayExcluded reports whether the decay rule spares parameter p, read by
// users:
//
//   - a bias: p's role (the last part of its name) is b or beta;
//   - a norm parameter: p belongs to a normalisation layer: its role is
//     gamma or beta, or an op whose name ends in "norm" (batchnorm,
//     layernorm) reads it;
//   - an embedding table: an embedding op reads it.
func decayExcluded(p *ir.Node, users []*ir.Node, rule ir.DecayRule) bool {
	role := p.Name[strings.LastIndexByte(p.Name, '.')+1:]
	if rule.ExcludeBias && (role == "b" || role == "beta") {
		return true
	}
	if rule.ExcludeEmbedding && slices.ContainsFunc(users, func(u *ir.Node) bool { return u.Op == "embedding" }) {
		return true
	}
	if !rule.ExcludeNorm {
		return false
	}
	if role == "gamma" || role == "beta" {
		return true
	}
	return slices.ContainsFunc(users, func(u *ir.Node) bool { return strings.HasSuffix(u.Op, "norm") })
}

// checkOptimizer rejects an unknown rule or hyperparameters outside their
// domain (the ranges PyTorch's optimizers accept). Written as !(x >= 0) so
// that NaN is rejected too.
func checkOptimizer(o ir.Optimizer) error {
	bad := func(format string, args ...any) error {
		return ir.Errorf(ir.Loc{}, "optimizer %s: "+format, append([]any{o.Kind}, args...)...)
	}
	switch o.Kind {
	case "sgd", "adam", "adamw", "adagrad", "rmsprop":
	case "":
		return ir.Errorf(ir.Loc{}, "no optimizer: a training build needs one of sgd, adam, adamw, adagrad, rmsprop")
	default:
		return ir.Errorf(ir.Loc{}, "unknown optimizer %q: want sgd, adam, adamw, adagrad or rmsprop", o.Kind)
	}
	switch {
	case !(o.LR >= 0):
		return bad("learning rate %g is negative", o.LR)
	case !(o.WeightDecay >= 0):
		return bad("weight_decay %g is negative", o.WeightDecay)
	case !(o.Momentum >= 0):
		return bad("momentum %g is negative", o.Momentum)
	case !(o.Eps >= 0):
		return bad("eps %g is negative", o.Eps)
	}
	switch o.Kind {
	case "sgd":
		if o.Nesterov && o.Momentum == 0 {
			return bad("nesterov needs a momentum above 0")
		}
	case "adam", "adamw":
		switch {
		case !(o.Beta1 >= 0 && o.Beta1 < 1):
			return bad("beta1 %g is not in [0, 1)", o.Beta1)
		case !(o.Beta2 >= 0 && o.Beta2 < 1):
			return bad("beta2 %g is not in [0, 1)", o.Beta2)
		}
	case "rmsprop":
		if !(o.Alpha >= 0 && o.Alpha < 1) {
			return bad("alpha %g is not in [0, 1)", o.Alpha)
		}
	}
	return nil
}

// checkRecipe rejects a schedule or clipping threshold that no model file
// can produce: a graph built by hand, or a bug in the front end.
func checkRecipe(r ir.Recipe) error {
	bad := func(format string, args ...any) error { return ir.Errorf(ir.Loc{}, format, args...) }
	s := r.Schedule
	switch {
	case !(r.ClipNorm >= 0) || math.IsInf(r.ClipNorm, 0):
		return bad("clip_grad_norm %g is not a finite number ≥ 0", r.ClipNorm)
	case s.Warmup < 0:
		return bad("warmup of %d steps is negative", s.Warmup)
	}
	switch s.Kind {
	case "", ir.ScheduleConstant:
	case ir.ScheduleStep:
		if s.Every < 1 || !(s.Gamma > 0) {
			return bad("step schedule: every %d and gamma %g must both be above 0", s.Every, s.Gamma)
		}
	case ir.ScheduleCosine:
		if !(s.MinLR >= 0) {
			return bad("cosine schedule: min_lr %g is negative", s.MinLR)
		}
	default:
		return bad("unknown learning-rate schedule %q: want constant, step or cosine", s.Kind)
	}
	return nil
}
