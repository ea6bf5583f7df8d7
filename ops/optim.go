package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// Optimizer updates. Each mutates its parameter (operand 0) and its state
// operands in place, reading the gradient (operand 1); the node's shape is
// the parameter's. The rules are those PyTorch 1.13 documents for
// torch.optim.SGD, Adam, AdamW, Adagrad and RMSprop.
//
// Every update has the attributes lr (the base learning rate; a schedule
// replaces it step by step through EvalCtx.LR), weight_decay and, when the
// decay is decoupled, decoupled = true. Coupled decay is L2: wd·p is added
// to the gradient before the rule, as PyTorch's weight_decay argument does.
// Decoupled decay first shrinks the parameter, p *= 1 - lr·wd, as
// torch.optim.AdamW does, and leaves the gradient alone.
//
// sgd_update(param, grad [, velocity]) {lr, momentum, nesterov, weight_decay}
//
//	v = momentum*v + g; p -= lr * (nesterov ? g + momentum*v : v)
//	(without momentum there is no velocity operand: p -= lr*g)
//
// adam_update(param, grad, m, v) {lr, beta1, beta2, eps, weight_decay}
//
//	m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g
//	p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps), t the 1-based step
//	(AdamW is adam_update with decoupled decay.)
func init() {
	Register(&Def{
		Name:  "sgd_update",
		Kind:  Updater,
		Arity: -1,
		Shape: updateShape(2, 3),
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			p, g := args[0].Data, args[1].Data
			lr, mu := StepLR(ctx, n), n.Attrs.Float("momentum", 0)
			d := newDecay(n, lr)
			for i := range p {
				gi := d.apply(p, g, i)
				if len(args) == 3 {
					v := args[2].Data
					v[i] = mu*v[i] + gi
					if n.Attrs.Bool("nesterov") {
						gi += mu * v[i]
					} else {
						gi = v[i]
					}
				}
				p[i] -= lr * gi
			}
			return nil
		},
	})
	Register(&Def{
		Name:  "adam_update",
		Kind:  Updater,
		Arity: 4,
		Shape: updateShape(4, 4),
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			p, g, m, v := args[0].Data, args[1].Data, args[2].Data, args[3].Data
			a := n.Attrs
			lr, b1, b2, eps := StepLR(ctx, n), a.Float("beta1", 0), a.Float("beta2", 0), a.Float("eps", 0)
			c1 := 1 - math.Pow(b1, float64(ctx.Step))
			c2 := 1 - math.Pow(b2, float64(ctx.Step))
			d := newDecay(n, lr)
			for i := range p {
				gi := d.apply(p, g, i)
				m[i] = b1*m[i] + (1-b1)*gi
				v[i] = b2*v[i] + (1-b2)*gi*gi
				p[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
			}
			return nil
		},
	})
}

// StepLR is the learning rate an update uses at this step: the schedule's
// rate when the context carries one, otherwise the node's own lr.
func StepLR(ctx *EvalCtx, n *ir.Node) float64 {
	if ctx.LR != 0 {
		return ctx.LR
	}
	return n.Attrs.Float("lr", 0)
}

// decay is an update's weight decay at one step.
type decay struct {
	wd        float64
	decoupled bool
	shrink    float64 // 1 - lr·wd, the decoupled factor
}

func newDecay(n *ir.Node, lr float64) decay {
	wd := n.Attrs.Float("weight_decay", 0)
	return decay{wd: wd, decoupled: n.Attrs.Bool("decoupled"), shrink: 1 - lr*wd}
}

// apply decays element i and returns the gradient the rule should use:
// g + wd·p for coupled decay; for decoupled decay, g, after shrinking p.
func (d decay) apply(p, g []float64, i int) float64 {
	switch {
	case d.wd == 0:
		return g[i]
	case d.decoupled:
		p[i] *= d.shrink
		return g[i]
	}
	return g[i] + d.wd*p[i]
}

// updateShape checks that an update has between min and max operands, all
// of the parameter's shape.
func updateShape(min, max int) func(*ir.Node) (ir.Shape, error) {
	return func(n *ir.Node) (ir.Shape, error) {
		if len(n.Inputs) < min || len(n.Inputs) > max {
			return nil, shapeErr("%s takes %d to %d operands, got %d", n.Op, min, max, len(n.Inputs))
		}
		if n.Inputs[0].Op != "param" {
			return nil, shapeErr("%s must update a parameter, got %s", n.Op, n.Inputs[0].Op)
		}
		return sameShape(n)
	}
}
