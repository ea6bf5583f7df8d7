package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// A poolgrad group, maxpool2d_grad(y, dy) → relu_grad(y, ·), is the
// backward pass of relu → maxpool2d as one kernel: window by window it
// reads y, finds the window's maximum, and writes each element's gradient
// (the window's dy at the maximum, 0 elsewhere, then ReLU's mask y > 0)
// over the same positions. Each window reads its y before writing its dx
// and touches nothing else, so dx may be y's buffer (the memory plan's
// in-place rule for such groups). Windows must tile the plane (stride =
// kernel, no padding, no remainder) so that every element belongs to
// exactly one window; other pools stay unfused.

// poolGradOf returns the window of a poolgrad group and whether the group
// is one the generator emits: the two nodes in that order, relu_grad over
// the pool's y and gradient, and tiling windows (the fuse pass proposes
// no other).
func poolGradOf(gr *ir.Group) (ops.Window, bool) {
	if len(gr.Nodes) != 2 {
		return ops.Window{}, false
	}
	pg, rg := gr.Nodes[0], gr.Nodes[1]
	if pg.Op != "maxpool2d_grad" || rg.Op != "relu_grad" || len(rg.Inputs) != 2 ||
		rg.Inputs[0] != pg.Inputs[0] || rg.Inputs[1] != pg {
		return ops.Window{}, false
	}
	w := ops.WindowOf(pg)
	return w, w.Tiles()
}

// poolGradCall is the call of a poolgrad group's kernel: dx, y, dy.
func (c *gen) poolGradCall(gr *ir.Group) jen.Code {
	pg := gr.Nodes[0]
	k := poolReluGradKernel(c, pg)
	return jen.Id(c.kernels.use(k)).Call(c.field(gr.Last()), c.field(pg.Inputs[0]), c.field(pg.Inputs[1]))
}

// poolReluGradKernel: dx = relu_grad(y, maxpool2d_grad(y, dy)), window by
// window, safe with dx = y. A float32 2×2 stride-2 pool runs on
// kernels.MaxPool2x2ReluGrad; others get the generated loop, which takes
// the same steps per window.
func poolReluGradKernel(c *gen, pg *ir.Node) kernel {
	w := ops.WindowOf(pg)
	return kernel{
		key:  "poolrelu/" + c.kernelKey(pg),
		base: "maxpoolReluGrad_" + dims(w.In()) + "_" + windowTag(w),
		decl: func(name string) jen.Code {
			body := append(planeConsts(w),
				reslice("dx", expr("planes*H*W")),
				reslice("y", expr("planes*H*W")),
				reslice("dy", expr("planes*OH*OW")),
			)
			if pool2x2(c.g.DType, w) {
				body = append(body, jen.Qual(kernelsPath, "MaxPool2x2ReluGrad").Call(jen.Id("dx"), jen.Id("y"), jen.Id("dy"), jen.Id("W")))
			} else {
				// argmaxWindow reads the window whole before the loop below
				// writes any of it.
				write := loop("kh", jen.Id("K"),
					jen.Id("at").Op(":=").Add(expr("(oh*S+kh)*W + ow*S")),
					loop("kw", jen.Id("K"),
						jen.Id("a").Op(":=").Add(expr("at + kw")),
						jen.Var().Id("v").Id("Float"),
						jen.If(jen.Id("a").Op("==").Id("bi")).Block(jen.Id("v").Op("+=").Id("g")),
						jen.If(jen.Id("xp").Index(jen.Id("a")).Op(">").Lit(0)).Block(
							jen.Id("dxp").Index(jen.Id("a")).Op("=").Id("v"),
						).Else().Block(
							jen.Id("dxp").Index(jen.Id("a")).Op("=").Lit(0),
						),
					),
				)
				window := append(argmaxWindow(), jen.Id("g").Op(":=").Id("yp").Index(expr("oh*OW + ow")), write)
				body = append(body, planeLoop("y", "dy",
					jen.Id("dxp").Op(":=").Add(sub("dx", expr("p*H*W"), expr("H*W"))),
					windowLoops(window...)))
			}
			return doc("%s computes dx%s = relu_grad(y, maxpool2d_grad(y, dy)) for %d×%d windows %d apart, window by window: each window's gradient from dy%s goes to the element its maximum came from (the first, in a tie; a NaN wins), and an element keeps it only where y > 0. A window is read whole before it is written, so dx may be y.",
				name, w.In(), w.K, w.K, w.Stride, w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("y"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}
}
