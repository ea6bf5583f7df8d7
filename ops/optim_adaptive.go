package ops

import (
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// Adaptive-rate updates, after torch.optim.Adagrad and torch.optim.RMSprop
// as PyTorch 1.13 documents them (without Adagrad's lr_decay, which the
// schedules cover). Weight decay works as for every update (optim.go).
//
// adagrad_update(param, grad, sum) {lr, eps, weight_decay}
//
//	sum += g*g; p -= lr * g / (sqrt(sum) + eps)      (sum starts at 0)
//
// rmsprop_update(param, grad, square_avg [, grad_avg] [, buffer])
// {lr, alpha, eps, momentum, centered, weight_decay}
//
//	sq = alpha*sq + (1-alpha)*g*g
//	centered: ga = alpha*ga + (1-alpha)*g; denom = sqrt(sq - ga*ga) + eps
//	otherwise: denom = sqrt(sq) + eps
//	momentum > 0: buf = momentum*buf + g/denom; p -= lr*buf
//	otherwise: p -= lr * g/denom
//
// grad_avg is present only when centered, buffer only with momentum. The
// centered variance sq - ga² cannot be negative in exact arithmetic; it is
// clamped at 0 so that rounding never takes the square root of a negative.
func init() {
	Register(&Def{
		Name:  "adagrad_update",
		Kind:  Updater,
		Arity: 3,
		Shape: updateShape(3, 3),
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			p, g, sum := args[0].Data, args[1].Data, args[2].Data
			lr, eps := StepLR(ctx, n), n.Attrs.Float("eps", 0)
			d := newDecay(n, lr)
			for i := range p {
				gi := d.apply(p, g, i)
				sum[i] += gi * gi
				p[i] -= lr * gi / (math.Sqrt(sum[i]) + eps)
			}
			return nil
		},
	})
	Register(&Def{
		Name:  "rmsprop_update",
		Kind:  Updater,
		Arity: -1,
		Shape: rmspropShape,
		Eval: func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			a := n.Attrs
			lr, alpha, eps, mu := StepLR(ctx, n), a.Float("alpha", 0), a.Float("eps", 0), a.Float("momentum", 0)
			centered := a.Bool("centered")
			p, g, sq := args[0].Data, args[1].Data, args[2].Data
			var ga, buf []float64
			next := 3
			if centered {
				ga, next = args[next].Data, next+1
			}
			if mu > 0 {
				buf = args[next].Data
			}
			d := newDecay(n, lr)
			for i := range p {
				gi := d.apply(p, g, i)
				sq[i] = alpha*sq[i] + (1-alpha)*gi*gi
				variance := sq[i]
				if centered {
					ga[i] = alpha*ga[i] + (1-alpha)*gi
					variance = max(0, variance-ga[i]*ga[i])
				}
				step := gi / (math.Sqrt(variance) + eps)
				if mu > 0 {
					buf[i] = mu*buf[i] + step
					step = buf[i]
				}
				p[i] -= lr * step
			}
			return nil
		},
	})
}

// rmspropShape checks that an rmsprop update has exactly the state its
// attributes call for.
func rmspropShape(n *ir.Node) (ir.Shape, error) {
	want := 3
	if n.Attrs.Bool("centered") {
		want++
	}
	if n.Attrs.Float("momentum", 0) > 0 {
		want++
	}
	return updateShape(want, want)(n)
}
