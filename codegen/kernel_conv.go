package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/internal/ops"
	"github.com/dlc-dev/dlc/ir"
)

// Convolution kernels. Two ways of computing each of conv2d and its two
// gradients are emitted, chosen per shape by gen.convAlgorithm:
//
//   - im2col: per sample, the input patches are unrolled into a column
//     matrix (a row per kernel tap, a column per output position) in a
//     scratch array on the stack, and the convolution becomes one call of
//     the matmul kernel, so that it runs as fast as matmul does.
//   - direct: a loop nest over taps that streams whole rows of the input
//     and the output, with no scratch memory.
//
// Both add each output's terms in the same order as the reference (input
// channel, then kernel row, then kernel column), except that im2col's
// weight gradient sums per sample first.

// convAlgorithm picks how to compute a convolution of window w. im2col
// was faster on every LeNet shape measured (BenchmarkGeneratedConv), so it
// is used whenever its scratch arrays fit on the stack.
func (c *gen) convAlgorithm(w ops.Window) string {
	elem := 4
	if c.g.DType == ir.F64 {
		elem = 8
	}
	col, part := w.Taps()*w.OH*w.OW*elem, w.O*w.Taps()*elem
	if col <= maxStackArray && part <= maxStackArray {
		return "im2col"
	}
	return "direct"
}

// maxStackArray is the largest array, in bytes, that the Go compiler keeps
// on the stack; a larger local array is allocated on the heap at every
// call, which a training step must not do.
const maxStackArray = 128 << 10

// conv2dKernel computes y = conv2d(x, w).
func conv2dKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	if c.convAlgorithm(w) == "im2col" {
		return im2colConv(c, n, w), nil
	}
	return directConv(c, n, w), nil
}

// conv2dGradInputKernel computes dx from dy and w.
func conv2dGradInputKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	if c.convAlgorithm(w) == "im2col" {
		return im2colConvGradInput(c, n, w), nil
	}
	return directConvGradInput(c, n, w), nil
}

// conv2dGradWeightKernel computes dw from x and dy.
func conv2dGradWeightKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	if c.convAlgorithm(w) == "im2col" {
		return im2colConvGradWeight(c, n, w), nil
	}
	return directConvGradWeight(c, n, w), nil
}

// convName is a convolution kernel's readable name:
// "conv2d_128x1x28x28_6x5x5_k5s1p2".
func convName(op string, w ops.Window) string {
	return fmt.Sprintf("%s_%s_%dx%dx%d_%s", camel(op), dims(w.In()), w.O, w.OH, w.OW, windowTag(w))
}

// convSizes declares the batch, one sample's input and output sizes, and
// the taps and positions of the column matrix.
func convSizes(w ops.Window) []jen.Code {
	return []jen.Code{
		constInts("N", w.N, "inSize", w.InSize(), "outSize", w.OutSize()).Comment("batch, elements of one input and one output sample"),
		constInts("O", w.O, "taps", w.Taps(), "positions", w.OH*w.OW).Comment("output channels, kernel taps, output positions"),
	}
}

// sample is `s[n*size : (n+1)*size]`, sample n of a batch buffer.
func sample(s, size string) *jen.Statement {
	return jen.Id(s).Index(expr("n*"+size), expr("(n+1)*"+size))
}

// matmulFor returns the name of the matmul kernel for c[m,n] =
// op(a)[m,k] · op(b)[k,n], the same kernel a matmul node of these shapes
// gets, so that a faster matmul speeds convolutions up too.
func matmulFor(c *gen, m, k, n int, ta, tb bool) string {
	a, b := ir.Shape{m, k}, ir.Shape{k, n}
	if ta {
		a = ir.Shape{k, m}
	}
	if tb {
		b = ir.Shape{n, k}
	}
	node := &ir.Node{Op: "matmul", Inputs: []*ir.Node{{Shape: a}, {Shape: b}}, Shape: ir.Shape{m, n}, Attrs: ir.Attrs{"ta": ta, "tb": tb}}
	mk, _ := matmulKernel(c, node)
	return c.kernels.use(mk)
}

// im2colConv: per sample, unroll the input into col[taps, positions] and
// multiply: y_n[O, positions] = w[O, taps] · col.
func im2colConv(c *gen, n *ir.Node, w ops.Window) kernel {
	unroll := im2colKernel(c, w)
	mm := matmulFor(c, w.O, w.Taps(), w.OH*w.OW, false, false)
	return kernel{
		key:  c.kernelKey(n) + "/im2col",
		base: convName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(convSizes(w),
				reslice("y", expr("N*outSize")),
				reslice("x", expr("N*inSize")),
				reslice("w", expr("O*taps")),
				jen.Var().Id("col").Index(expr("taps*positions")).Id("Float").Comment("one sample's patches, a row per kernel tap"),
				loop("n", jen.Id("N"),
					jen.Id(unroll).Call(jen.Id("col").Index(jen.Empty(), jen.Empty()), sample("x", "inSize")),
					jen.Id(mm).Call(sample("y", "outSize"), jen.Id("w"), jen.Id("col").Index(jen.Empty(), jen.Empty())),
				),
			)
			return doc("%s computes y%s = conv2d(x%s, w%s) with stride %d and padding %d: each sample's patches are unrolled (im2col) and multiplied by w.",
				name, w.Out(), w.In(), ir.Shape{w.O, w.C, w.K, w.K}, w.Stride, w.Pad).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("x"), jen.Id("w")).Add(floats())).Block(body...)
		},
	}
}

// im2colConvGradInput: per sample, dcol = wᵀ · dy_n, then fold dcol back
// onto the input's positions (col2im).
func im2colConvGradInput(c *gen, n *ir.Node, w ops.Window) kernel {
	fold := col2imKernel(c, w)
	mm := matmulFor(c, w.Taps(), w.O, w.OH*w.OW, true, false)
	return kernel{
		key:  c.kernelKey(n) + "/im2col",
		base: convName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(convSizes(w),
				reslice("dx", expr("N*inSize")),
				reslice("dy", expr("N*outSize")),
				reslice("w", expr("O*taps")),
				jen.Var().Id("dcol").Index(expr("taps*positions")).Id("Float").Comment("the gradient of one sample's patches"),
				loop("n", jen.Id("N"),
					jen.Id(mm).Call(jen.Id("dcol").Index(jen.Empty(), jen.Empty()), jen.Id("w"), sample("dy", "outSize")),
					jen.Id(fold).Call(sample("dx", "inSize"), jen.Id("dcol").Index(jen.Empty(), jen.Empty())),
				),
			)
			return doc("%s computes dx%s, the gradient of conv2d with respect to its input, from dy%s and w: per sample, wᵀ·dy gives the patches' gradient, which col2im adds up at the input positions.",
				name, w.In(), w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dy"), jen.Id("w")).Add(floats())).Block(body...)
		},
	}
}

// im2colConvGradWeight: dw = Σ_n dy_n · col_nᵀ, one sample's product at a
// time into part, added to dw.
func im2colConvGradWeight(c *gen, n *ir.Node, w ops.Window) kernel {
	unroll := im2colKernel(c, w)
	mm := matmulFor(c, w.O, w.OH*w.OW, w.Taps(), false, true)
	return kernel{
		key:  c.kernelKey(n) + "/im2col",
		base: convName(n.Op, w),
		decl: func(name string) jen.Code {
			body := append(convSizes(w),
				reslice("dw", expr("O*taps")),
				reslice("x", expr("N*inSize")),
				reslice("dy", expr("N*outSize")),
				jen.Var().Id("col").Index(expr("taps*positions")).Id("Float").Comment("one sample's patches"),
				jen.Var().Id("part").Index(expr("O*taps")).Id("Float").Comment("one sample's share of dw"),
				jen.Clear(jen.Id("dw")),
				loop("n", jen.Id("N"),
					jen.Id(unroll).Call(jen.Id("col").Index(jen.Empty(), jen.Empty()), sample("x", "inSize")),
					jen.Id(mm).Call(jen.Id("part").Index(jen.Empty(), jen.Empty()), sample("dy", "outSize"), jen.Id("col").Index(jen.Empty(), jen.Empty())),
					jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("part")).Block(
						jen.Id("dw").Index(jen.Id("i")).Op("+=").Id("v"),
					),
				),
			)
			return doc("%s computes dw%s, the gradient of conv2d with respect to its weights, from x%s and dy%s: the sum over samples of dy·colᵀ, col the sample's unrolled patches.",
				name, ir.Shape{w.O, w.C, w.K, w.K}, w.In(), w.Out()).
				Func().Id(name).Params(jen.List(jen.Id("dw"), jen.Id("x"), jen.Id("dy")).Add(floats())).Block(body...)
		},
	}
}

// tapLoops wraps body in the loops over one sample's input channels and
// kernel taps, declaring tap (the row of the column matrix) and the column
// range lo, hi of the tap.
func tapLoops(w ops.Window, body ...jen.Code) jen.Code {
	inner := append([]jen.Code{jen.Id("tap").Op(":=").Add(expr("(c*K+kh)*K + kw"))}, columnRange(w)...)
	return loop("c", jen.Id("C"), loop("kh", jen.Id("K"), loop("kw", jen.Id("K"), append(inner, body...)...)))
}

// im2colKernel unrolls one sample: col[tap, oh·OW+ow] = x[c, ih, iw], 0 in
// the padding.
func im2colKernel(c *gen, w ops.Window) string {
	shape := dims(ir.Shape{w.C, w.H, w.W})
	return c.kernels.use(kernel{
		key:  fmt.Sprintf("im2col/%s/%s/%s", c.g.DType, shape, windowTag(w)),
		base: fmt.Sprintf("im2col_%s_%s", shape, windowTag(w)),
		decl: func(name string) jen.Code {
			var copyRow jen.Code
			if w.Stride == 1 {
				copyRow = jen.Copy(jen.Id("dst").Index(jen.Id("lo"), jen.Id("hi")), jen.Id("src").Index(expr("lo+kw-P"), jen.Empty()))
			} else {
				copyRow = jen.For(jen.Id("ow").Op(":=").Id("lo"), jen.Id("ow").Op("<").Id("hi"), jen.Id("ow").Op("++")).Block(
					jen.Id("dst").Index(jen.Id("ow")).Op("=").Id("src").Index(expr("ow*S + kw - P")),
				)
			}
			row := []jen.Code{
				jen.Id("dst").Op(":=").Add(sub("row", expr("oh*OW"), jen.Id("OW"))),
				jen.Id("ih").Op(":=").Add(expr("oh*S + kh - P")),
			}
			if w.Pad > 0 {
				row = append(row,
					jen.If(jen.Id("ih").Op("<").Lit(0).Op("||").Id("ih").Op(">=").Id("H")).Block(jen.Clear(jen.Id("dst")), jen.Continue()),
					jen.Clear(jen.Id("dst").Index(jen.Empty(), jen.Id("lo"))),
					jen.Clear(jen.Id("dst").Index(jen.Id("hi"), jen.Empty())),
				)
			}
			row = append(row, jen.Id("src").Op(":=").Add(sub("x", expr("(c*H+ih)*W"), jen.Id("W"))), copyRow)
			body := append(windowConsts(w),
				reslice("col", expr("C*K*K*OH*OW")),
				reslice("x", expr("C*H*W")),
				tapLoops(w,
					jen.Id("row").Op(":=").Add(sub("col", expr("tap*OH*OW"), expr("OH*OW"))),
					loop("oh", jen.Id("OH"), row...),
				),
			)
			return doc("%s unrolls the %d×%d patches of one %s sample (stride %d, padding %d) into col[%d,%d]: row (c, kh, kw) holds the input element under that tap for every output position, 0 in the padding.",
				name, w.K, w.K, ir.Shape{w.C, w.H, w.W}, w.Stride, w.Pad, w.Taps(), w.OH*w.OW).
				Func().Id(name).Params(jen.List(jen.Id("col"), jen.Id("x")).Add(floats())).Block(body...)
		},
	})
}

// col2imKernel is im2col's adjoint for one sample: dx[c, ih, iw] = the sum
// of dcol over the (tap, position) pairs that read x[c, ih, iw].
func col2imKernel(c *gen, w ops.Window) string {
	shape := dims(ir.Shape{w.C, w.H, w.W})
	return c.kernels.use(kernel{
		key:  fmt.Sprintf("col2im/%s/%s/%s", c.g.DType, shape, windowTag(w)),
		base: fmt.Sprintf("col2im_%s_%s", shape, windowTag(w)),
		decl: func(name string) jen.Code {
			row := rowInside(w,
				jen.Id("dst").Op(":=").Add(sub("dx", expr("(c*H+ih)*W"), jen.Id("W"))),
				jen.Id("src").Op(":=").Add(sub("row", expr("oh*OW"), jen.Id("OW"))),
			)
			if w.Stride == 1 {
				row = append(row,
					jen.Id("s").Op(":=").Id("src").Index(jen.Id("lo"), jen.Id("hi")),
					jen.Id("d").Op(":=").Id("dst").Index(expr("lo+kw-P"), jen.Empty()).Index(jen.Empty(), jen.Len(jen.Id("s"))),
					jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("s")).Block(
						jen.Id("d").Index(jen.Id("i")).Op("+=").Id("v"),
					),
				)
			} else {
				row = append(row, jen.For(jen.Id("ow").Op(":=").Id("lo"), jen.Id("ow").Op("<").Id("hi"), jen.Id("ow").Op("++")).Block(
					jen.Id("dst").Index(expr("ow*S + kw - P")).Op("+=").Id("src").Index(jen.Id("ow")),
				))
			}
			body := append(windowConsts(w),
				reslice("dx", expr("C*H*W")),
				reslice("dcol", expr("C*K*K*OH*OW")),
				jen.Clear(jen.Id("dx")),
				tapLoops(w,
					jen.Id("row").Op(":=").Add(sub("dcol", expr("tap*OH*OW"), expr("OH*OW"))),
					loop("oh", jen.Id("OH"), row...),
				),
			)
			return doc("%s adds the patch gradients dcol[%d,%d] of one sample back onto the input positions they were unrolled from, into dx%s (stride %d, padding %d).",
				name, w.Taps(), w.OH*w.OW, ir.Shape{w.C, w.H, w.W}, w.Stride, w.Pad).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dcol")).Add(floats())).Block(body...)
		},
	})
}
