package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Pooling kernels. Pools have no padding, so every window lies inside its
// input plane; each kernel walks the N·C planes one at a time.

// planeConsts declares the geometry of a pool and the number of planes.
func planeConsts(w ops.Window) []jen.Code {
	return append(windowConsts(w), constInts("planes", w.N*w.C).Comment("samples × channels"))
}

// planeLoop is the loop over planes, with xp plane p of the input-sized
// buffer xBuf (H×W) and yp that of the output-sized buffer yBuf (OH×OW).
func planeLoop(xBuf, yBuf string, body ...jen.Code) jen.Code {
	return loop("p", jen.Id("planes"), append([]jen.Code{
		jen.Id("xp").Op(":=").Add(sub(xBuf, expr("p*H*W"), expr("H*W"))),
		jen.Id("yp").Op(":=").Add(sub(yBuf, expr("p*OH*OW"), expr("OH*OW"))),
	}, body...)...)
}

// windowLoops loops over the output positions of a plane.
func windowLoops(body ...jen.Code) jen.Code {
	return loop("oh", jen.Id("OH"), loop("ow", jen.Id("OW"), body...))
}

// argmaxWindow finds the window's maximum in the plane xp: its index bi
// and value best. Ties go to the first in row-major order; a NaN wins, so
// that it propagates (the reference rule in ops).
func argmaxWindow() []jen.Code {
	return []jen.Code{
		jen.Id("bi").Op(":=").Add(expr("oh*S*W + ow*S")),
		jen.Id("best").Op(":=").Id("xp").Index(jen.Id("bi")),
		loop("kh", jen.Id("K"),
			jen.Id("at").Op(":=").Add(expr("(oh*S+kh)*W + ow*S")),
			jen.For(jen.List(jen.Id("kw"), jen.Id("v")).Op(":=").Range().Id("xp").Index(jen.Id("at"), expr("at+K"))).Block(
				jen.If(jen.Id("v").Op(">").Id("best").Op("||").Parens(jen.Id("v").Op("!=").Id("v").Op("&&").Id("best").Op("==").Id("best"))).Block(
					jen.List(jen.Id("bi"), jen.Id("best")).Op("=").List(expr("at+kw"), jen.Id("v")),
				),
			),
		),
	}
}

// pool2x2 reports whether a float32 max pool of window w runs on
// kernels.MaxPool2x2 and its gradient: 2×2 windows 2 apart tiling planes
// of even height and width, so that output row r of the batch reads input
// rows 2r and 2r+1. The kernels take the scalar loop's steps, 16 windows
// at a time on AVX-512.
func pool2x2(dtype ir.DType, w ops.Window) bool {
	return dtype == ir.F32 && w.K == 2 && w.Stride == 2 && w.Pad == 0 && w.H%2 == 0 && w.W%2 == 0
}

func poolName(op string, w ops.Window) string {
	return camel(op) + "_" + dims(w.In()) + "_" + windowTag(w)
}

// maxpoolKernel: y = the maximum of each window.
func maxpoolKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	return kernel{
		key:  c.kernelKey(n),
		base: poolName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(planeConsts(w),
				reslice("y", expr("planes*OH*OW")),
				reslice("x", expr("planes*H*W")),
			)
			if pool2x2(c.g.DType, w) {
				body = append(body, jen.Qual(kernelsPath, "MaxPool2x2").Call(jen.Id("y"), jen.Id("x"), jen.Id("W")))
			} else {
				body = append(body, planeLoop("x", "y", windowLoops(append(argmaxWindow(),
					jen.Id("yp").Index(expr("oh*OW + ow")).Op("=").Id("best"))...)))
			}
			return doc("%s computes y%s, the maximum of each %d×%d window of x%s, windows %d apart (NaN wins, so that it propagates).",
				name, w.Out(), w.K, w.K, w.In(), w.Stride).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(body...)
		},
	}, nil
}

// maxpoolGradKernel: each window's gradient goes to its first maximum.
func maxpoolGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	return kernel{
		key:  c.kernelKey(n),
		base: poolName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(planeConsts(w),
				reslice("dx", expr("planes*H*W")),
				reslice("x", expr("planes*H*W")),
				reslice("dy", expr("planes*OH*OW")),
			)
			if pool2x2(c.g.DType, w) {
				body = append(body, jen.Qual(kernelsPath, "MaxPool2x2Grad").Call(jen.Id("dx"), jen.Id("x"), jen.Id("dy"), jen.Id("W")))
			} else {
				body = append(body, jen.Clear(jen.Id("dx")),
					planeLoop("x", "dy", append([]jen.Code{jen.Id("dxp").Op(":=").Add(sub("dx", expr("p*H*W"), expr("H*W")))},
						windowLoops(append(argmaxWindow(),
							jen.Id("dxp").Index(jen.Id("bi")).Op("+=").Id("yp").Index(expr("oh*OW + ow")))...))...))
			}
			return doc("%s computes dx%s, the gradient of max pooling: each window's gradient from dy%s goes to the element its maximum came from (the first, in a tie), found again from x.",
				name, w.In(), w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("x"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}, nil
}

// avgpoolKernel: y = the mean of each window.
func avgpoolKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	return kernel{
		key:  c.kernelKey(n),
		base: poolName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(planeConsts(w),
				reslice("y", expr("planes*OH*OW")),
				reslice("x", expr("planes*H*W")),
				planeLoop("x", "y", windowLoops(
					jen.Var().Id("s").Id("Float"),
					loop("kh", jen.Id("K"),
						jen.Id("at").Op(":=").Add(expr("(oh*S+kh)*W + ow*S")),
						jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("xp").Index(jen.Id("at"), expr("at+K"))).Block(
							jen.Id("s").Op("+=").Id("v"),
						),
					),
					jen.Id("yp").Index(expr("oh*OW + ow")).Op("=").Id("s").Op("/").Parens(expr("K*K")),
				)),
			)
			return doc("%s computes y%s, the mean of each %d×%d window of x%s, windows %d apart.",
				name, w.Out(), w.K, w.K, w.In(), w.Stride).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(body...)
		},
	}, nil
}

// avgpoolGradKernel: every element of a window gets 1/K² of its gradient.
func avgpoolGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	return kernel{
		key:  c.kernelKey(n),
		base: poolName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(planeConsts(w),
				reslice("dx", expr("planes*H*W")),
				reslice("dy", expr("planes*OH*OW")),
				jen.Clear(jen.Id("dx")),
				planeLoop("dx", "dy", windowLoops(
					jen.Id("g").Op(":=").Id("yp").Index(expr("oh*OW + ow")).Op("/").Parens(expr("K*K")),
					loop("kh", jen.Id("K"),
						jen.Id("at").Op(":=").Add(expr("(oh*S+kh)*W + ow*S")),
						jen.Id("row").Op(":=").Id("xp").Index(jen.Id("at"), expr("at+K")),
						jen.For(jen.Id("kw").Op(":=").Range().Id("row")).Block(
							jen.Id("row").Index(jen.Id("kw")).Op("+=").Id("g"),
						),
					),
				)),
			)
			return doc("%s computes dx%s, the gradient of average pooling: every element of a window receives 1/%d of its gradient from dy%s.",
				name, w.In(), w.K*w.K, w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}, nil
}

// globalPoolDims returns the planes (samples × channels) and the elements
// per plane of global_avgpool's input shape.
func globalPoolDims(x ir.Shape) (planes, inner int) {
	return x[0] * x[1], x[2:].Size()
}

// globalAvgpoolKernel: y[n,c] = the mean of plane (n, c).
func globalAvgpoolKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	x := n.Inputs[0].Shape
	planes, inner := globalPoolDims(x)
	return kernel{
		key:  c.kernelKey(n),
		base: "globalAvgpool_" + dims(x),
		decl: func(name string) jen.Code {
			return doc("%s computes y%s, the mean of each channel of x%s over its %d positions.", name, n.Shape, x, inner).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x")).Add(floats())).Block(
				constInts("planes", planes, "inner", inner),
				reslice("y", jen.Id("planes")),
				reslice("x", expr("planes*inner")),
				jen.For(jen.Id("p").Op(":=").Range().Id("y")).Block(
					jen.Var().Id("s").Id("Float"),
					jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Add(sub("x", expr("p*inner"), jen.Id("inner")))).Block(
						jen.Id("s").Op("+=").Id("v"),
					),
					jen.Id("y").Index(jen.Id("p")).Op("=").Id("s").Op("/").Id("inner"),
				),
			)
		},
	}, nil
}

// globalAvgpoolGradKernel: every element of plane (n, c) gets an equal
// share of dy[n, c].
func globalAvgpoolGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	planes, inner := globalPoolDims(n.Shape)
	return kernel{
		key:  c.kernelKey(n),
		base: "globalAvgpoolGrad_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s computes dx%s, the gradient of global average pooling: each of a channel's %d positions receives an equal share of dy.", name, n.Shape, inner).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dy")).Add(floats())).Block(
				constInts("planes", planes, "inner", inner),
				reslice("dx", expr("planes*inner")),
				reslice("dy", jen.Id("planes")),
				jen.For(jen.List(jen.Id("p"), jen.Id("g")).Op(":=").Range().Id("dy")).Block(
					jen.Id("share").Op(":=").Id("g").Op("/").Id("inner"),
					jen.Id("plane").Op(":=").Add(sub("dx", expr("p*inner"), jen.Id("inner"))),
					jen.For(jen.Id("i").Op(":=").Range().Id("plane")).Block(
						jen.Id("plane").Index(jen.Id("i")).Op("=").Id("share"),
					),
				),
			)
		},
	}, nil
}
