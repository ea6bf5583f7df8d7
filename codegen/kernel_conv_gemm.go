package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/codegen/gemm"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// Convolutions on the matrix product (the im2col algorithm). Per sample,
// the input's patches are unrolled into a column matrix (a row per kernel
// tap, a column per output position) in the model's workspace, and the
// convolution or its gradient becomes one call of the GEMM entry point of
// that shape (codegen/gemm): AVX-512 or AVX2 microkernels for float32,
// the portable scalar driver for float64 and builds without SIMD.
//
//   - conv2d:             y_n[O, positions] = w[O, taps] · col_n, then
//     the fused bias and tail, if any (below, and codegen/gemm's
//     conv_epilogue.go)
//   - conv2d_grad_input:  dcol = wᵀ[taps, O] · dy_n, folded back onto
//     dx_n by col2im
//   - conv2d_grad_weight: dw[O, taps] = Σ_n dy_n · col_nᵀ (or its
//     transpose, see transposedWeightGrad; or kernels.DotNT, see
//     dotWeightGrad), summed per group of convGroup samples, then over
//     the groups in order
//
// In float32, stride-1 column matrices are built and folded by
// kernels.Im2col and kernels.Col2im (see unrolled); otherwise by the
// generated im2col and col2im kernels (kernel_conv.go).
//
// When the whole batch is worth two goroutines (kernels.Run2), they take
// chunks of samples in turn, each with its own column matrix and panels.
// Every sample (and every group's sum) is computed by one goroutine with
// the code of a serial call, so the result is bitwise the same whatever
// the number of threads.

// convGroup is the number of samples per chunk of the batch, and per
// partial sum of the weight gradient. It fixes the order of that sum, so
// it does not depend on the number of goroutines.
const convGroup = 8

// convProduct is one convolution op computed per sample by a product.
type convProduct struct {
	op   string
	w    ops.Window
	rows int // output rows of a block of the column matrix (convBlockRows)
	f32  bool
	mm   gemm.Product  // one block's product
	epi  gemm.Epilogue // conv2d's fused bias and tail
}

// newConvProduct describes the convolution op (conv2d or one of its
// gradients) of window w in a graph of the given dtype.
func newConvProduct(dtype ir.DType, op string, w ops.Window) convProduct {
	rows := convBlockRows(dtype, w)
	f32, positions := dtype == ir.F32, rows*w.OW
	var mm gemm.Product
	switch op {
	case "conv2d":
		mm = gemm.Product{M: w.O, K: w.Taps(), N: positions, F32: f32}
	case "conv2d_grad_input":
		mm = gemm.Product{M: w.Taps(), K: w.O, N: positions, TA: true, F32: f32}
	default:
		mm = gemm.Product{M: w.O, K: positions, N: w.Taps(), TB: true, F32: f32}
		if transposedWeightGrad(w) {
			mm = gemm.Product{M: w.Taps(), K: positions, N: w.O, TB: true, F32: f32}
		}
	}
	return convProduct{op: op, w: w, rows: rows, f32: f32, mm: mm}
}

// blocks is the number of blocks of output rows of a sample.
func (p convProduct) blocks() int { return p.w.OH / p.rows }

// blocked reports whether a sample takes more than one block: the
// product's output (conv2d) or operand dy (the gradients) then goes
// through a block-sized copy, since the block's columns are not
// contiguous in the sample.
func (p convProduct) blocked() bool { return p.blocks() > 1 }

// blockSize is that copy's size: O channels of a block's positions.
func (p convProduct) blockSize() int {
	if !p.blocked() {
		return 0
	}
	return p.w.O * p.rows * p.w.OW
}

// flops is the product's work on one sample.
func (p convProduct) flops() int { return p.blocks() * p.mm.Flops() }

// transposedWeightGrad reports whether the weight gradient is computed
// transposed, dwᵀ[taps, O] = Σ_n col_n · dy_nᵀ: the column matrix is then
// read in place and only dy_n is packed, a tenth of the copying, and with
// O a multiple of 16 the products' vectors are still full.
func transposedWeightGrad(w ops.Window) bool { return w.O%16 == 0 }

// gradWeight reports whether p sums products over samples.
func (p convProduct) gradWeight() bool { return p.op == "conv2d_grad_weight" }

// colSize is the size of one block of the column matrix.
func (p convProduct) colSize() int { return p.w.Taps() * p.rows * p.w.OW }

// weightSize is the size of the weights and of their gradient.
func (p convProduct) weightSize() int { return p.w.O * p.w.Taps() }

// unrolled reports whether kernels.Im2col and kernels.Col2im build and
// fold the column matrix (float32, stride 1): through a padded copy of
// the sample, whole rows at a time, 16 floats per vector on AVX-512. The
// generated im2col and col2im kernels serve the other cases.
func (p convProduct) unrolled() bool { return p.f32 && p.w.Stride == 1 }

// padSize is the scratch of the padded copy, if unrolled.
func (p convProduct) padSize() int {
	if !p.unrolled() {
		return 0
	}
	return p.unroll().PadFloats()
}

// unroll is the geometry kernels.Im2col takes.
func (p convProduct) unroll() kernels.Unroll {
	return kernels.Unroll{C: p.w.C, H: p.w.H, W: p.w.W, K: p.w.K, P: p.w.Pad}
}

// dotWeightGrad reports whether the weight gradient's per-sample product
// dy_n·col_nᵀ is kernels.DotNT (float32, not transposed): with few output
// channels and taps over many positions, dot products along the positions
// beat packing colᵀ for the product, which the GEMM would.
func (p convProduct) dotWeightGrad() bool {
	return p.gradWeight() && p.f32 && !transposedWeightGrad(p.w)
}

// panelSize is the product's panels, if it is the GEMM.
func (p convProduct) panelSize() int {
	if p.dotWeightGrad() {
		return 0
	}
	return p.mm.Workspace()
}

// scratch is the workspace one goroutine needs: the column matrix's
// block, the padded sample, the block copy, for the weight gradient one
// block's product, and the product's panels.
func (p convProduct) scratch() int {
	s := p.colSize() + p.padSize() + p.blockSize() + p.panelSize()
	if p.gradWeight() {
		s += p.weightSize()
	}
	return s
}

// split reports whether the samples are shared by two goroutines: when
// the batch is worth it and one sample's product does not split itself.
func (p convProduct) split() bool {
	return p.w.N*p.flops() >= gemm.ParallelFlops && !p.mm.Parallel()
}

// groups is the number of partial sums of the weight gradient.
func (p convProduct) groups() int {
	if !p.gradWeight() {
		return 0
	}
	return (p.w.N + convGroup - 1) / convGroup
}

// workspace is what a call needs of Model.panels: each goroutine's
// scratch, then the weight gradient's partial sums.
func (p convProduct) workspace() int {
	return p.threads()*p.scratch() + p.groups()*p.weightSize()
}

// threads is the number of goroutines a call may use.
func (p convProduct) threads() int {
	if p.split() {
		return 2
	}
	return 1
}

// convWorkspace is the workspace of node n if it is a convolution, else 0.
func convWorkspace(dtype ir.DType, n *ir.Node) int {
	switch n.Op {
	case "conv2d", "conv2d_grad_input", "conv2d_grad_weight":
		return newConvProduct(dtype, n.Op, ops.WindowOf(n)).workspace()
	}
	return 0
}

// The entry point's parameters, in the order the op's inputs come: the
// output, then the operands. Args carries them to the per-sample part as
// C (the output, or the weight gradient's partial sums), A and B.
var convParams = map[string][3]string{
	"conv2d":             {"y", "x", "w"},
	"conv2d_grad_input":  {"dx", "dy", "w"},
	"conv2d_grad_weight": {"dw", "x", "dy"},
}

// im2colGemmConv is the kernel of convolution op n computed on the product.
func im2colGemmConv(c *gen, n *ir.Node, w ops.Window) kernel {
	return im2colGemmConvFused(c, n, w, gemm.Epilogue{})
}

// im2colGemmConvFused is im2colGemmConv with conv2d's fused epilogue epi
// (none if empty).
func im2colGemmConvFused(c *gen, n *ir.Node, w ops.Window, epi gemm.Epilogue) kernel {
	p := newConvProduct(c.g.DType, n.Op, w)
	p.epi = epi
	var mm string
	if !p.dotWeightGrad() {
		mm = c.kernels.use(c.gemmEntry(p.mm))
	}
	var perSample, epiName string
	switch {
	case p.unrolled():
	case p.op == "conv2d_grad_input":
		perSample = col2imKernel(c, w, p.rows)
	default:
		perSample = im2colKernel(c, w, p.rows)
	}
	key := c.kernelKey(n) + "/im2col-gemm"
	if epi.NeedsTail() {
		epiName = convEpilogueKernel(c, w, epi)
		key += "/" + epi.Key()
	}
	return kernel{
		key:  key,
		base: convName(n.Op, w) + epi.NameSuffix(),
		decl: func(name string) jen.Code {
			code := &jen.Statement{}
			code.Add(p.entryDecl(name)).Line().Line()
			code.Add(p.samplesDecl(name, mm, perSample, epiName))
			return code
		},
	}
}

// sizes declares the constants every function of p uses.
func (p convProduct) sizes() []jen.Code {
	out := append(convSizes(p.w),
		constInts("scratch", p.scratch()).Comment("floats of ws per goroutine"))
	if p.blocked() {
		out = append(out, constInts("blocks", p.blocks(), "R", p.rows, "RP", p.rows*p.w.OW).Comment("blocks of output rows of a sample; rows, positions of a block"))
	}
	if p.gradWeight() {
		out = append(out, constInts("group", convGroup, "groups", p.groups()).Comment("samples per partial sum of dw, partial sums"))
	}
	return out
}

// describe says what p computes, for the entry point's comment, and how
// its column matrix is built.
func (p convProduct) describe(name string) string {
	s := p.describeOp(name)
	if p.blocked() {
		s += fmt.Sprintf(" The column matrix is built %d output rows (%d positions) at a time, %d blocks a sample, so that it stays in the cache.", p.rows, p.rows*p.w.OW, p.blocks())
	}
	return s
}

// describeOp says what p computes.
func (p convProduct) describeOp(name string) string {
	w := p.w
	wShape := ir.Shape{w.O, w.C, w.K, w.K}
	switch p.op {
	case "conv2d":
		s := fmt.Sprintf("%s computes y%s = conv2d(x%s, w%s) with stride %d and padding %d: per sample, the patches are unrolled (im2col) into ws and multiplied by w",
			name, w.Out(), w.In(), wShape, w.Stride, w.Pad)
		if p.epi.NeedsTail() {
			s += fmt.Sprintf(", and %s (fused) is applied to the sample's output while it is in the cache", p.epi.Describe())
		}
		return s + "."
	case "conv2d_grad_input":
		return fmt.Sprintf("%s computes dx%s, the gradient of conv2d with respect to its input, from dy%s and w%s: per sample, wᵀ·dy gives the patches' gradient in ws, which col2im adds up at the input positions.",
			name, w.In(), w.Out(), wShape)
	}
	how := "dy·colᵀ"
	if transposedWeightGrad(w) {
		how = "col·dyᵀ (dwᵀ)"
	}
	return fmt.Sprintf("%s computes dw%s, the gradient of conv2d with respect to its weights, from x%s and dy%s: the sum over samples of %s, col the sample's patches unrolled into ws, summed per group of %d samples and then over the groups in order.",
		name, wShape, w.In(), w.Out(), how, convGroup)
}

// entryDecl declares the entry point: the samples on one goroutine or
// two, then for the weight gradient the sum of the groups' sums.
func (p convProduct) entryDecl(name string) jen.Code {
	names := convParams[p.op]
	out, a, b := names[0], names[1], names[2]
	sizes := map[string]string{"y": "N*outSize", "dy": "N*outSize", "x": "N*inSize", "dx": "N*inSize", "w": "O*taps", "dw": "O*taps"}
	body := p.sizes()
	for _, v := range names {
		body = append(body, reslice(v, expr(sizes[v])))
	}
	epiParams := p.epi.Params()
	var xs []jen.Code
	for _, v := range epiParams {
		if v == "bias" {
			body = append(body, reslice(v, jen.Id("O")))
			continue
		}
		body = append(body, reslice(v, expr("N*outSize")))
		xs = append(xs, jen.Id(v))
	}
	target, perSample := jen.Id(out), "outSize"
	switch {
	case p.gradWeight():
		body = append(body, jen.Id("sums").Op(":=").Add(sub("ws", expr(fmt.Sprintf("%d*scratch", p.threads())), expr("groups*O*taps"))).
			Comment("the partial sums of dw, one per group, after each goroutine's scratch"))
		target, perSample = jen.Id("sums"), "O*taps"
	case p.op == "conv2d_grad_input":
		perSample = "inSize"
	}
	fields := jen.Dict{jen.Id("C"): target, jen.Id("A"): jen.Id(a), jen.Id("B"): jen.Id(b)}
	if p.epi.Bias {
		fields[jen.Id("Bias")] = jen.Id("bias")
	}
	if len(xs) > 0 {
		fields[jen.Id("X")] = jen.Index(jen.Qual(kernelsPath, "MaxExtra")).Index().Id("Float").Values(xs...)
	}
	args := jen.Qual(kernelsPath, "Args").Index(jen.Id("Float")).Values(fields)
	how := fmt.Sprintf("At %d FLOP per call it runs on one goroutine.", p.w.N*p.flops())
	if p.split() {
		body = append(body, jen.Qual(kernelsPath, "Run2").Call(jen.Id(name+"_samples"), args, jen.Id("ws").Index(jen.Empty(), expr("2*scratch")),
			jen.Qual(kernelsPath, "Split").Values(jen.Dict{
				jen.Id("Rows"): jen.Id("N"), jen.Id("Cols"): expr(perSample), jen.Id("Chunk"): jen.Lit(convGroup), jen.Id("Scratch"): jen.Id("scratch"),
			})))
		how = fmt.Sprintf("Unless kernels.Threads() is 1 it runs on two goroutines, which take chunks of %d samples in turn; the result is the same either way.", convGroup)
	} else {
		body = append(body, jen.Id(name+"_samples").Call(args, jen.Id("ws").Index(jen.Empty(), jen.Id("scratch")), jen.Lit(0), jen.Id("N"), jen.Lit(0), expr(perSample)))
	}
	if p.gradWeight() && transposedWeightGrad(p.w) {
		body = append(body,
			jen.Comment("dw is the sum of the groups' dwᵀ, transposed."),
			loop("o", jen.Id("O"), loop("t", jen.Id("taps"),
				jen.Id("v").Op(":=").Id("sums").Index(expr("t*O+o")),
				jen.For(jen.Id("g").Op(":=").Lit(1), jen.Id("g").Op("<").Id("groups"), jen.Id("g").Op("++")).Block(
					jen.Id("v").Op("+=").Id("sums").Index(expr("(g*taps+t)*O+o")),
				),
				jen.Id("dw").Index(expr("o*taps+t")).Op("=").Id("v"),
			)),
		)
	} else if p.gradWeight() {
		body = append(body,
			jen.Copy(jen.Id("dw"), jen.Id("sums").Index(jen.Empty(), expr("O*taps"))),
			jen.For(jen.Id("g").Op(":=").Lit(1), jen.Id("g").Op("<").Id("groups"), jen.Id("g").Op("++")).Block(
				jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(sub("sums", expr("g*O*taps"), expr("O*taps")))).Block(
					jen.Id("dw").Index(jen.Id("i")).Op("+=").Id("v"),
				),
			),
		)
	}
	return doc("%s %s ws is the model's workspace, %d floats.", p.describe(name), how, p.workspace()).
		Func().Id(name).Params(jen.List(append(append([]jen.Code{jen.Id(out), jen.Id(a), jen.Id(b)}, ids(epiParams)...), jen.Id("ws"))...).Add(floats())).Block(body...)
}

// samplesDecl declares the part that computes samples [n0, n1) with one
// goroutine's scratch ws: the column matrix (or its block), the padded
// sample, the block copy, one block's share of dw, then the product's
// panels.
func (p convProduct) samplesDecl(name, mm, perSample, epiName string) jen.Code {
	body := p.sizes()
	colLen := "taps*positions"
	if p.blocked() {
		colLen = "taps*RP"
	}
	layout := []jen.Code{jen.Id("col").Op(":=").Id("ws").Index(jen.Empty(), expr(colLen))}
	next := colLen
	take := func(v string, size string, comment string) {
		layout = append(layout, jen.Id(v).Op(":=").Id("ws").Index(expr(next), expr(next+"+"+size)).Comment(comment))
		next += "+" + size
	}
	if p.unrolled() {
		take("pad", fmt.Sprint(p.padSize()), "the padded sample")
		u := p.unroll()
		layout = append(layout, jen.Id("u").Op(":=").Qual(kernelsPath, "Unroll").Values(
			jen.Id("C").Op(":").Lit(u.C), jen.Id("H").Op(":").Lit(u.H), jen.Id("W").Op(":").Lit(u.W), jen.Id("K").Op(":").Lit(u.K), jen.Id("P").Op(":").Lit(u.P),
		).Comment("the input's planes, kernel and padding"))
	}
	if p.blocked() {
		take("blk", "O*RP", "a block's columns of the output (or of dy), contiguous")
	}
	if p.gradWeight() {
		take("prod", "O*taps", "one product's share of dw (or dwᵀ)")
	}
	var panels []jen.Code
	if p.panelSize() > 0 {
		layout = append(layout, jen.Id("panels").Op(":=").Id("ws").Index(expr(next), jen.Id("scratch")).Comment("the product's packed panels"))
		panels = []jen.Code{jen.Id("panels")}
	}
	body = append(body, layout...)
	call := func(args ...jen.Code) *jen.Statement { return jen.Id(mm).Call(append(args, panels...)...) }
	if p.dotWeightGrad() {
		call = func(args ...jen.Code) *jen.Statement {
			k := "positions"
			if p.blocked() {
				k = "RP"
			}
			return jen.Qual(kernelsPath, "DotNT").Call(append(args, jen.Id("O"), jen.Id("taps"), jen.Id(k))...)
		}
	}
	body = append(body, jen.For(jen.Id("n").Op(":=").Id("n0"), jen.Id("n").Op("<").Id("n1"), jen.Id("n").Op("++")).Block(p.sampleBody(call, perSample, epiName)...))
	what := "samples [n0, n1)"
	if p.gradWeight() {
		what = fmt.Sprintf("the partial sums of dw of samples [n0, n1), whole groups of %d", convGroup)
	}
	return doc("%s_samples computes %s of %s with one goroutine's scratch ws (%d floats).", name, what, name, p.scratch()).
		Func().Id(name+"_samples").Params(
		jen.Id("x").Add(emit.ArgsType()), jen.Id("ws").Add(floats()), jen.List(jen.Id("n0"), jen.Id("n1"), jen.Id("_"), jen.Id("_")).Int(),
	).Block(body...)
}

// sampleBody is the work on sample n: unroll, multiply (and for the input
// gradient fold back), the whole sample at once or a block of rows at a
// time.
func (p convProduct) sampleBody(call func(...jen.Code) *jen.Statement, perSample, epiName string) []jen.Code {
	in, out := sample("x.A", "inSize"), sample("x.C", "outSize")
	dy := sample("x.A", "outSize")
	if p.gradWeight() {
		dy = sample("x.B", "outSize")
	}
	// unroll builds the column matrix of rows [oh0, oh0+R) (all of them if
	// not blocked) from sample x_n; with the runtime's kernels, from the
	// padded copy that padSample made.
	unroll := func(oh0 jen.Code) jen.Code {
		if !p.unrolled() {
			return jen.Id(perSample).Call(jen.Id("col"), in, oh0)
		}
		if !p.blocked() {
			return jen.Qual(kernelsPath, "Im2col").Call(jen.Id("col"), in, jen.Id("pad"), jen.Id("u"))
		}
		return jen.Qual(kernelsPath, "Im2colRows").Call(jen.Id("col"), jen.Id("pad"), jen.Id("u"), oh0, jen.Id("R"))
	}
	var padSample []jen.Code
	if p.unrolled() && p.blocked() {
		padSample = []jen.Code{jen.Qual(kernelsPath, "PadPlanes").Call(jen.Id("pad"), in, jen.Id("u"))}
	}
	// blockCols copies between the block and its columns of a sample's
	// [O, positions] matrix (y_n or dy_n).
	blockCols := func(dst, src jen.Code) jen.Code {
		return loop("o", jen.Id("O"), jen.Copy(dst, src))
	}
	inSample := func(m jen.Code) jen.Code {
		return jen.Add(m).Index(expr("o*positions+b*RP"), jen.Empty()).Index(jen.Empty(), jen.Id("RP"))
	}
	inBlock := sub("blk", expr("o*RP"), jen.Id("RP"))
	perBlock := func(stmts ...jen.Code) jen.Code {
		return jen.For(jen.Id("b").Op(":=").Lit(0), jen.Id("b").Op("<").Id("blocks"), jen.Id("b").Op("++")).Block(
			append([]jen.Code{jen.Id("oh0").Op(":=").Id("b").Op("*").Id("R")}, stmts...)...)
	}
	zero := jen.Lit(0)
	var each []jen.Code
	switch p.op {
	case "conv2d":
		if p.blocked() {
			each = append(append(padSample, jen.Id("y").Op(":=").Add(out)), perBlock(
				unroll(jen.Id("oh0")),
				call(jen.Id("blk"), jen.Id("x").Dot("B"), jen.Id("col")),
				blockCols(inSample(jen.Id("y")), inBlock),
			))
		} else {
			each = []jen.Code{unroll(zero), call(out, jen.Id("x").Dot("B"), jen.Id("col"))}
		}
		if epiName != "" {
			each = append(each, epilogueSample(epiName, p.epi, out, jen.Id("x").Dot("Bias"), func(i int) jen.Code {
				return sample(fmt.Sprintf("x.X[%d]", i), "outSize")
			}))
		}
	case "conv2d_grad_input":
		dx := sample("x.C", "inSize")
		switch {
		case p.unrolled() && !p.blocked():
			each = []jen.Code{call(jen.Id("col"), jen.Id("x").Dot("B"), dy), jen.Qual(kernelsPath, "Col2im").Call(dx, jen.Id("col"), jen.Id("pad"), jen.Id("u"))}
		case !p.blocked():
			each = []jen.Code{jen.Id("dx").Op(":=").Add(dx), jen.Clear(jen.Id("dx")), call(jen.Id("col"), jen.Id("x").Dot("B"), dy), jen.Id(perSample).Call(jen.Id("dx"), jen.Id("col"), zero)}
		default:
			fold := jen.Id(perSample).Call(jen.Id("dx"), jen.Id("col"), jen.Id("oh0"))
			acc := "dx"
			if p.unrolled() {
				fold = jen.Qual(kernelsPath, "Col2imAddRows").Call(jen.Id("pad"), jen.Id("col"), jen.Id("u"), jen.Id("oh0"), jen.Id("R"))
				acc = "pad"
			}
			each = []jen.Code{
				jen.Id("dx").Op(":=").Add(dx),
				jen.Id("dy").Op(":=").Add(dy),
				jen.Clear(jen.Id(acc)).Comment("the blocks' terms are added in"),
				perBlock(
					blockCols(inBlock, inSample(jen.Id("dy"))),
					call(jen.Id("col"), jen.Id("x").Dot("B"), jen.Id("blk")),
					fold,
				),
			}
			if p.unrolled() {
				each = append(each, jen.Qual(kernelsPath, "UnpadPlanes").Call(jen.Id("dx"), jen.Id("pad"), jen.Id("u")))
			}
		}
	default:
		// The product's operands: dy_n and colᵀ for dw, col and dy_nᵀ for
		// dwᵀ; dy's block copy when blocked.
		dyB := dy
		if p.blocked() {
			dyB = jen.Id("blk")
		}
		first, second := dyB, jen.Id("col")
		if transposedWeightGrad(p.w) {
			first, second = jen.Id("col"), dyB
		}
		firstTerm := expr("n%group == 0")
		if p.blocked() {
			firstTerm = expr("n%group == 0 && b == 0")
		}
		product := []jen.Code{
			jen.If(firstTerm).Block(
				call(jen.Id("sum"), first, second).Comment("the group's first term"),
				jen.Continue(),
			),
			call(jen.Id("prod"), first, second),
			jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("prod")).Block(
				jen.Id("sum").Index(jen.Id("i")).Op("+=").Id("v"),
			),
		}
		each = []jen.Code{jen.Id("sum").Op(":=").Add(sub("x.C", expr("n/group*O*taps"), expr("O*taps")))}
		if p.blocked() {
			each = append(each, jen.Id("dy").Op(":=").Add(dy))
			each = append(each, padSample...)
			each = append(each, perBlock(append([]jen.Code{
				unroll(jen.Id("oh0")),
				blockCols(inBlock, inSample(jen.Id("dy"))),
			}, product...)...))
		} else {
			each = append(append(each, unroll(zero)), product...)
		}
	}
	return each
}

// Convolution epilogues: a fused conv2d → [bias_add] → elementwise ops
// group is the convolution kernel writing into the group's last buffer,
// then running the tail (codegen/gemm's ConvEpilogue) over each sample's
// output in place. The interior members get no buffer.

// convEpilogueOf describes a convolution epilogue group: its bias and
// tail, and the nodes the tail reads besides the running value, each of
// the convolution's output shape. ok is false for any other group.
func convEpilogueOf(gr *ir.Group) (epi gemm.Epilogue, extern []*ir.Node, ok bool) {
	anchor := gr.Nodes[0]
	if anchor.Op != "conv2d" || len(gr.Nodes) < 2 {
		return gemm.Epilogue{}, nil, false
	}
	tail := gr.Nodes[1:]
	if tail[0].Op == "bias_add" {
		if tail[0].Inputs[0] != anchor {
			return gemm.Epilogue{}, nil, false
		}
		epi.Bias = true
		tail = tail[1:]
	}
	if len(tail) > 0 {
		prev := gr.Nodes[len(gr.Nodes)-len(tail)-1]
		if epi.Ops, extern = chainOps(tail, prev); epi.Ops == nil || len(extern) > maxExtra {
			return gemm.Epilogue{}, nil, false
		}
	}
	for _, x := range extern {
		if !x.Shape.Equal(anchor.Shape) {
			return gemm.Epilogue{}, nil, false
		}
	}
	epi.Extra = len(extern)
	return epi, extern, true
}

// convEpilogueCall is the call of a fused convolution epilogue's kernel.
func (c *gen) convEpilogueCall(gr *ir.Group) jen.Code {
	anchor := gr.Nodes[0]
	epi, extern, _ := convEpilogueOf(gr)
	w := ops.WindowOf(anchor)
	args := []jen.Code{c.field(gr.Last()), c.field(anchor.Inputs[0]), c.field(anchor.Inputs[1])}
	if epi.Bias {
		args = append(args, c.field(gr.Nodes[1].Inputs[1]))
	}
	for _, x := range extern {
		args = append(args, c.field(x))
	}
	args = append(args, jen.Id("m").Dot(panelsField))
	return jen.Id(c.kernels.use(im2colGemmConvFused(c, anchor, w, epi))).Call(args...)
}

// convEpilogueKernel is the function applying epi to one sample's output
// in place.
func convEpilogueKernel(c *gen, w ops.Window, epi gemm.Epilogue) string {
	key, base, decl := gemm.ConvEpilogue(c.g.DType, w.O, w.OH*w.OW, epi)
	return c.kernels.use(kernel{key: key, base: base, decl: decl})
}

// epilogueSample is the call applying epi to sample n of the output out,
// with the operands taken from the expressions bias and x(i).
func epilogueSample(name string, epi gemm.Epilogue, out jen.Code, bias jen.Code, x func(i int) jen.Code) jen.Code {
	args := []jen.Code{out}
	if epi.Bias {
		args = append(args, bias)
	}
	for i := range epi.Extra {
		args = append(args, x(i))
	}
	return jen.Id(name).Call(args...)
}
