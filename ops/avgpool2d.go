package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// avgpool2d(x [N,C,H,W]) {kernel=K, stride}: the mean of every K×K
// window, windows stride apart, without padding.
//
// avgpool2d_grad(dy) {kernel, stride, in_h, in_w}: dL/dx; every element of
// a window receives 1/K² of its gradient.
func init() {
	Register(&Def{
		Name:  "avgpool2d",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			win, err := newWindow("avgpool2d", n.Inputs[0].Shape, n.Attrs)
			if err != nil {
				return nil, err
			}
			return win.Out(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("avgpool2d_grad", spatialAttrs(n), dy))}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win, x := WindowOf(n), args[0].Data
			out := NewTensor(n.Shape)
			area := float64(win.K * win.K)
			win.eachPool(func(o, nn, c, oh, ow int) {
				var s float64
				win.eachTap(nn, c, oh, ow, func(i int) { s += x[i] })
				out.Data[o] = s / area
			})
			return out
		},
	})
	Register(&Def{
		Name:  "avgpool2d_grad",
		Kind:  Compute,
		Arity: 1,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			dy := n.Inputs[0].Shape
			if len(dy) != 4 {
				return nil, shapeErr("avgpool2d_grad needs an output gradient of shape [batch, channels, height, width], got %s", dy)
			}
			win, err := windowFromOutput("avgpool2d_grad", dy, dy[1], n.Attrs)
			if err != nil {
				return nil, err
			}
			return win.In(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win, dy := WindowOf(n), args[0].Data
			out := NewTensor(n.Shape)
			area := float64(win.K * win.K)
			win.eachPool(func(o, nn, c, oh, ow int) {
				win.eachTap(nn, c, oh, ow, func(i int) { out.Data[i] += dy[o] / area })
			})
			return out
		},
	})
}

// eachTap calls f with the flat input index of every element of the
// window at (oh, ow) of sample nn, channel c, in row-major order. Pools
// have no padding, so every tap is inside the input.
func (w Window) eachTap(nn, c, oh, ow int, f func(i int)) {
	base := (nn*w.C + c) * w.H * w.W
	for kh := range w.K {
		for kw := range w.K {
			f(base + (oh*w.Stride+kh)*w.W + ow*w.Stride + kw)
		}
	}
}
