package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Convolution kernels: conv2d and its two gradients are computed on the
// matrix product (kernel_conv_gemm.go). Per sample, the input patches are
// unrolled into a column matrix (a row per kernel tap, a column per output
// position) in the model's workspace, and the convolution becomes calls
// of the GEMM entry point of that shape: SIMD for float32, the portable
// scalar driver for float64 and builds without SIMD. When one sample's
// column matrix would not fit the cache budget, it is built a block of
// output rows at a time (convBlockRows), each block a product.

// maxColumnBytes is the cache budget of one block of the column matrix,
// which each goroutine keeps in its share of the workspace: at 128 KiB it
// stays in the L2 cache with the product's panels while the product reads
// it.
const maxColumnBytes = 128 << 10

// minBlockPositions is the fewest output positions a block has, unless the
// whole output has fewer: narrower, the product's panels would be mostly
// edge.
const minBlockPositions = 64

// convBlockRows is the number of output rows of one block of the column
// matrix: a divisor of OH, so that every block has the same product (one
// entry point); the most rows within maxColumnBytes, but at least
// minBlockPositions positions.
func convBlockRows(dtype ir.DType, w ops.Window) int {
	elem := 4
	if dtype == ir.F64 {
		elem = 8
	}
	var fits, wide []int // divisors within the budget; of enough positions
	for d := 1; d <= w.OH; d++ {
		if w.OH%d != 0 {
			continue
		}
		if w.Taps()*d*w.OW*elem <= maxColumnBytes {
			fits = append(fits, d)
		}
		if d*w.OW >= minBlockPositions {
			wide = append(wide, d)
		}
	}
	switch {
	case len(fits) > 0 && fits[len(fits)-1]*w.OW >= minBlockPositions:
		return fits[len(fits)-1]
	case len(wide) > 0:
		return wide[0]
	}
	return w.OH
}

// convKernel returns the kernel of convolution op n, with the model's
// workspace as its last argument.
func convKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	return im2colGemmConv(c, n, ops.WindowOf(n)), []jen.Code{jen.Id("m").Dot(panelsField)}
}

// conv2dKernel computes y = conv2d(x, w).
func conv2dKernel(c *gen, n *ir.Node) (kernel, []jen.Code) { return convKernel(c, n) }

// conv2dGradInputKernel computes dx from dy and w.
func conv2dGradInputKernel(c *gen, n *ir.Node) (kernel, []jen.Code) { return convKernel(c, n) }

// conv2dGradWeightKernel computes dw from x and dy.
func conv2dGradWeightKernel(c *gen, n *ir.Node) (kernel, []jen.Code) { return convKernel(c, n) }

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

// blockConsts declares R, the output rows of one block of the column
// matrix, and RP, its positions.
func blockConsts(w ops.Window, rows int) jen.Code {
	return constInts("R", rows, "RP", rows*w.OW).Comment("output rows and positions of a block")
}

// blockRows is the loop over the output rows oh of the block starting at
// row oh0, with row the block's column-matrix row of the tap and r the
// row's place in the block.
func blockRows(body ...jen.Code) jen.Code {
	return jen.For(jen.Id("r").Op(":=").Lit(0), jen.Id("r").Op("<").Id("R"), jen.Id("r").Op("++")).Block(
		append([]jen.Code{jen.Id("oh").Op(":=").Id("oh0").Op("+").Id("r")}, body...)...)
}

// blockSuffix tags the kernels of a block of rows rows ("_r4"), none for
// the whole output.
func blockSuffix(w ops.Window, rows int) string {
	if rows == w.OH {
		return ""
	}
	return fmt.Sprintf("_r%d", rows)
}

// im2colKernel unrolls the block of rows output rows from oh0 of one
// sample: col[tap, (oh−oh0)·OW+ow] = x[c, ih, iw], 0 in the padding.
func im2colKernel(c *gen, w ops.Window, rows int) string {
	shape := dims(ir.Shape{w.C, w.H, w.W})
	return c.kernels.use(kernel{
		key:  fmt.Sprintf("im2col/%s/%s/%s/%d", c.g.DType, shape, windowTag(w), rows),
		base: fmt.Sprintf("im2col_%s_%s", shape, windowTag(w)) + blockSuffix(w, rows),
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
				jen.Id("dst").Op(":=").Add(sub("row", expr("r*OW"), jen.Id("OW"))),
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
			body := append(windowConsts(w), blockConsts(w, rows),
				reslice("col", expr("C*K*K*RP")),
				reslice("x", expr("C*H*W")),
				tapLoops(w,
					jen.Id("row").Op(":=").Add(sub("col", expr("tap*RP"), jen.Id("RP"))),
					blockRows(row...),
				),
			)
			return doc("%s unrolls the %d×%d patches of output rows [oh0, oh0+%d) of one %s sample (stride %d, padding %d) into col[%d,%d]: row (c, kh, kw) holds the input element under that tap for every output position of the block, 0 in the padding.",
				name, w.K, w.K, rows, ir.Shape{w.C, w.H, w.W}, w.Stride, w.Pad, w.Taps(), rows*w.OW).
				Func().Id(name).Params(jen.List(jen.Id("col"), jen.Id("x")).Add(floats()), jen.Id("oh0").Int()).Block(body...)
		},
	})
}

// col2imKernel is im2col's adjoint for the block of rows output rows from
// oh0 of one sample: it adds to dx[c, ih, iw] dcol's terms over the (tap,
// position) pairs of the block that read x[c, ih, iw].
func col2imKernel(c *gen, w ops.Window, rows int) string {
	shape := dims(ir.Shape{w.C, w.H, w.W})
	return c.kernels.use(kernel{
		key:  fmt.Sprintf("col2im/%s/%s/%s/%d", c.g.DType, shape, windowTag(w), rows),
		base: fmt.Sprintf("col2im_%s_%s", shape, windowTag(w)) + blockSuffix(w, rows),
		decl: func(name string) jen.Code {
			row := rowInside(w,
				jen.Id("dst").Op(":=").Add(sub("dx", expr("(c*H+ih)*W"), jen.Id("W"))),
				jen.Id("src").Op(":=").Add(sub("row", expr("r*OW"), jen.Id("OW"))),
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
			body := append(windowConsts(w), blockConsts(w, rows),
				reslice("dx", expr("C*H*W")),
				reslice("dcol", expr("C*K*K*RP")),
				tapLoops(w,
					jen.Id("row").Op(":=").Add(sub("dcol", expr("tap*RP"), jen.Id("RP"))),
					blockRows(row...),
				),
			)
			return doc("%s adds the patch gradients dcol[%d,%d] of output rows [oh0, oh0+%d) of one sample onto the input positions they were unrolled from, in dx%s (stride %d, padding %d).",
				name, w.Taps(), rows*w.OW, rows, ir.Shape{w.C, w.H, w.W}, w.Stride, w.Pad).
				Func().Id(name).Params(jen.List(jen.Id("dx"), jen.Id("dcol")).Add(floats()), jen.Id("oh0").Int()).Block(body...)
		},
	})
}
