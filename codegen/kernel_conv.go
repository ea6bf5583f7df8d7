package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Convolution kernels. Two ways of computing each of conv2d and its two
// gradients are emitted, chosen per shape by convAlgorithmFor:
//
//   - im2col: per sample, the input patches are unrolled into a column
//     matrix (a row per kernel tap, a column per output position) in the
//     model's workspace, and the convolution becomes one call of the GEMM
//     entry point of that shape, SIMD for float32 (simd_conv.go).
//   - direct: a loop nest over taps that streams whole rows of the input
//     and the output, with no scratch memory.
//
// The direct kernels add each output's terms in the same order as the
// reference (input channel, then kernel row, then kernel column); im2col
// adds them in the product's order and sums the weight gradient per
// group of samples first.

// convAlgorithm picks how gen computes a convolution of window w.
func (c *gen) convAlgorithm(w ops.Window) string { return convAlgorithmFor(c.g.DType, w) }

// convAlgorithmFor picks how to compute a convolution of window w in a
// graph of the given dtype. im2col is many times faster on every LeNet
// shape measured (BenchmarkGeneratedConv), and is used whenever one
// sample's column matrix fits in maxColumnBytes.
func convAlgorithmFor(dtype ir.DType, w ops.Window) string {
	elem := 4
	if dtype == ir.F64 {
		elem = 8
	}
	if w.Taps()*w.OH*w.OW*elem <= maxColumnBytes {
		return "im2col"
	}
	return "direct"
}

// maxColumnBytes bounds one sample's column matrix, which each goroutine
// keeps in its share of the workspace: at 128 KiB it stays in the L2
// cache with the product's panels while the product reads it.
const maxColumnBytes = 128 << 10

// convKernel returns the kernel of convolution op n: on the product, with
// the model's workspace as its last argument, or direct.
func convKernel(c *gen, n *ir.Node, direct func(*gen, *ir.Node, ops.Window) kernel) (kernel, []jen.Code) {
	w := ops.WindowOf(n)
	if c.convAlgorithm(w) == "im2col" {
		return im2colGemmConv(c, n, w), []jen.Code{jen.Id("m").Dot(panelsField)}
	}
	return direct(c, n, w), nil
}

// conv2dKernel computes y = conv2d(x, w).
func conv2dKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	return convKernel(c, n, directConv)
}

// conv2dGradInputKernel computes dx from dy and w.
func conv2dGradInputKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	return convKernel(c, n, directConvGradInput)
}

// conv2dGradWeightKernel computes dw from x and dy.
func conv2dGradWeightKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	return convKernel(c, n, directConvGradWeight)
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
