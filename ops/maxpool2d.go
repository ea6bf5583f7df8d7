package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// maxpool2d(x [N,C,H,W]) {kernel=K, stride}: the maximum of every K×K
// window, windows stride apart, without padding.
//
// maxpool2d_grad(x, dy) {kernel, stride}: dL/dx. Each window's gradient
// goes to the element its maximum came from, found again from x rather than
// stored: the first maximum in row-major order within the window, so ties
// go to the top-left. A NaN counts as the maximum (the first NaN of the
// window), so that it propagates as it would through max.
func init() {
	Register(&Def{
		Name:  "maxpool2d",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			win, err := newWindow("maxpool2d", n.Inputs[0].Shape, n.Attrs)
			if err != nil {
				return nil, err
			}
			return win.Out(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("maxpool2d_grad", windowKeys(n), n.Inputs[0], dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win, x := WindowOf(n), args[0].Data
			out := NewTensor(n.Shape)
			win.eachPool(func(o, nn, c, oh, ow int) {
				out.Data[o] = x[win.argmax(x, nn, c, oh, ow)]
			})
			return out
		},
	})
	Register(&Def{
		Name:  "maxpool2d_grad",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			win, err := newWindow("maxpool2d_grad", x, n.Attrs)
			if err != nil {
				return nil, err
			}
			if !dy.Equal(win.Out()) {
				return nil, shapeErr("maxpool2d_grad: the output gradient has shape %s but pooling %s gives %s", dy, x, win.Out())
			}
			return x.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win, x, dy := WindowOf(n), args[0].Data, args[1].Data
			out := NewTensor(n.Shape)
			win.eachPool(func(o, nn, c, oh, ow int) {
				out.Data[win.argmax(x, nn, c, oh, ow)] += dy[o]
			})
			return out
		},
	})
}

// eachPool calls f for every output element of a pool: its flat index o,
// sample nn, channel c and position (oh, ow).
func (w Window) eachPool(f func(o, nn, c, oh, ow int)) {
	o := 0
	for nn := range w.N {
		for c := range w.C {
			for oh := range w.OH {
				for ow := range w.OW {
					f(o, nn, c, oh, ow)
					o++
				}
			}
		}
	}
}

// argmax returns the flat index in x of the maximum of the window at
// (oh, ow) of sample nn, channel c: the first maximum in row-major order,
// or the first NaN.
func (w Window) argmax(x []float64, nn, c, oh, ow int) int {
	base := (nn*w.C + c) * w.H * w.W
	best := base + oh*w.Stride*w.W + ow*w.Stride
	for kh := range w.K {
		for kw := range w.K {
			i := base + (oh*w.Stride+kh)*w.W + ow*w.Stride + kw
			if v := x[i]; v > x[best] || (v != v && x[best] == x[best]) {
				best = i
			}
		}
	}
	return best
}
