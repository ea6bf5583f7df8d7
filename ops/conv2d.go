package ops

import (
	"github.com/dlc-dev/dlc/ir"
)

// conv2d(x [N,C,H,W], w [O,C,K,K]) {kernel=K, stride, pad}: the 2-D
// cross-correlation of every sample with every output channel's kernel, as
// PyTorch's Conv2d computes it (no kernel flip), with pad zeros on every
// side of the input:
//
//	y[n,o,oh,ow] = Σ_c,kh,kw x[n,c,oh·stride+kh−pad,ow·stride+kw−pad] · w[o,c,kh,kw]
//
// The bias is a separate bias_add.
//
// conv2d_grad_input(dy, w) {kernel, stride, pad, in_h, in_w}: dL/dx. The
// input's height and width are attributes because a stride above 1 drops
// rows and columns, so dy's shape does not determine them.
//
// conv2d_grad_weight(x, dy) {kernel, stride, pad}: dL/dw, summed over the
// batch.
func init() {
	Register(&Def{
		Name:  "conv2d",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, w := n.Inputs[0].Shape, n.Inputs[1].Shape
			win, err := newWindow("conv2d", x, n.Attrs)
			if err != nil {
				return nil, err
			}
			if len(w) != 4 || w[2] != win.K || w[3] != win.K {
				return nil, shapeErr("conv2d: weights of shape %s are not [out channels, in channels, %d, %d]", w, win.K, win.K)
			}
			if w[1] != win.C {
				return nil, shapeErr("conv2d: the input %s has %d channels but the weights %s expect %d", x, win.C, w, w[1])
			}
			win.O = w[0]
			return win.Out(), nil
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			x, w := n.Inputs[0], n.Inputs[1]
			dx := must(b.Op("conv2d_grad_input", spatialAttrs(n), dy, w))
			dw := must(b.Op("conv2d_grad_weight", windowKeys(n), x, dy))
			return []*ir.Node{dx, dw}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win := WindowOf(n)
			x, w := args[0].Data, args[1].Data
			out := NewTensor(n.Shape)
			win.each(func(nn, o, c, oh, ow, kh, kw, in int) {
				out.Data[((nn*win.O+o)*win.OH+oh)*win.OW+ow] += x[in] * w[((o*win.C+c)*win.K+kh)*win.K+kw]
			})
			return out
		},
	})
	Register(&Def{
		Name:  "conv2d_grad_input",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			dy, w := n.Inputs[0].Shape, n.Inputs[1].Shape
			if len(w) != 4 || len(dy) != 4 || w[0] != dy[1] {
				return nil, shapeErr("conv2d_grad_input: weights %s do not match the output gradient %s", w, dy)
			}
			win, err := windowFromOutput("conv2d_grad_input", dy, w[1], n.Attrs)
			if err != nil {
				return nil, err
			}
			if w[2] != win.K || w[3] != win.K {
				return nil, shapeErr("conv2d_grad_input: weights of shape %s are not %d×%d kernels", w, win.K, win.K)
			}
			return win.In(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win := WindowOf(n)
			dy, w := args[0].Data, args[1].Data
			out := NewTensor(n.Shape)
			win.each(func(nn, o, c, oh, ow, kh, kw, in int) {
				out.Data[in] += dy[((nn*win.O+o)*win.OH+oh)*win.OW+ow] * w[((o*win.C+c)*win.K+kh)*win.K+kw]
			})
			return out
		},
	})
	Register(&Def{
		Name:  "conv2d_grad_weight",
		Kind:  Compute,
		Arity: 2,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			x, dy := n.Inputs[0].Shape, n.Inputs[1].Shape
			win, err := newWindow("conv2d_grad_weight", x, n.Attrs)
			if err != nil {
				return nil, err
			}
			if len(dy) != 4 || dy[0] != win.N || dy[2] != win.OH || dy[3] != win.OW {
				return nil, shapeErr("conv2d_grad_weight: the output gradient %s does not fit the input %s", dy, x)
			}
			return ir.Shape{dy[1], win.C, win.K, win.K}, nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			win := WindowOf(n)
			x, dy := args[0].Data, args[1].Data
			out := NewTensor(n.Shape)
			win.each(func(nn, o, c, oh, ow, kh, kw, in int) {
				out.Data[((o*win.C+c)*win.K+kh)*win.K+kw] += x[in] * dy[((nn*win.O+o)*win.OH+oh)*win.OW+ow]
			})
			return out
		},
	})
}

// each calls f for every pairing of an output element with an input
// element under its kernel: sample nn, output channel o, input channel c,
// output position (oh, ow), kernel tap (kh, kw) and the input's flat index
// in. Taps that fall in the padding are skipped: they read zero.
func (w Window) each(f func(nn, o, c, oh, ow, kh, kw, in int)) {
	for nn := range w.N {
		for o := range w.O {
			for c := range w.C {
				for oh := range w.OH {
					for ow := range w.OW {
						for kh := range w.K {
							ih := oh*w.Stride + kh - w.Pad
							if ih < 0 || ih >= w.H {
								continue
							}
							for kw := range w.K {
								iw := ow*w.Stride + kw - w.Pad
								if iw < 0 || iw >= w.W {
									continue
								}
								f(nn, o, c, oh, ow, kh, kw, ((nn*w.C+c)*w.H+ih)*w.W+iw)
							}
						}
					}
				}
			}
		}
	}
}
