package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// Convolutions on the matrix product (the im2col algorithm). Per sample,
// the input's patches are unrolled into a column matrix (a row per kernel
// tap, a column per output position) in the model's workspace, and the
// convolution or its gradient becomes one call of the GEMM entry point of
// that shape (simd_gemm.go): AVX-512 or AVX2 microkernels for float32,
// the portable scalar driver for float64 and builds without SIMD.
//
//   - conv2d:             y_n[O, positions] = w[O, taps] · col_n, then
//     the fused bias and tail, if any (simd_conv_epilogue.go)
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
	op  string
	w   ops.Window
	mm  gemm     // one sample's product
	epi epilogue // conv2d's fused bias and tail (simd_conv_epilogue.go)
}

// newConvProduct describes the convolution op (conv2d or one of its
// gradients) of window w in a graph of the given dtype.
func newConvProduct(dtype ir.DType, op string, w ops.Window) convProduct {
	f32, positions := dtype == ir.F32, w.OH*w.OW
	var mm gemm
	switch op {
	case "conv2d":
		mm = gemm{m: w.O, k: w.Taps(), n: positions, f32: f32}
	case "conv2d_grad_input":
		mm = gemm{m: w.Taps(), k: w.O, n: positions, ta: true, f32: f32}
	default:
		mm = gemm{m: w.O, k: positions, n: w.Taps(), tb: true, f32: f32}
		if transposedWeightGrad(w) {
			mm = gemm{m: w.Taps(), k: positions, n: w.O, tb: true, f32: f32}
		}
	}
	return convProduct{op: op, w: w, mm: mm}
}

// transposedWeightGrad reports whether the weight gradient is computed
// transposed, dwᵀ[taps, O] = Σ_n col_n · dy_nᵀ: the column matrix is then
// read in place and only dy_n is packed, a tenth of the copying, and with
// O a multiple of 16 the products' vectors are still full.
func transposedWeightGrad(w ops.Window) bool { return w.O%16 == 0 }

// gradWeight reports whether p sums products over samples.
func (p convProduct) gradWeight() bool { return p.op == "conv2d_grad_weight" }

// colSize is the size of one sample's column matrix.
func (p convProduct) colSize() int { return p.w.Taps() * p.w.OH * p.w.OW }

// weightSize is the size of the weights and of their gradient.
func (p convProduct) weightSize() int { return p.w.O * p.w.Taps() }

// unrolled reports whether kernels.Im2col and kernels.Col2im build and
// fold the column matrix (float32, stride 1): through a padded copy of
// the sample, whole rows at a time, 16 floats per vector on AVX-512. The
// generated im2col and col2im kernels serve the other cases.
func (p convProduct) unrolled() bool { return p.mm.f32 && p.w.Stride == 1 }

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
	return p.gradWeight() && p.mm.f32 && !transposedWeightGrad(p.w)
}

// panelSize is the product's panels, if it is the GEMM.
func (p convProduct) panelSize() int {
	if p.dotWeightGrad() {
		return 0
	}
	return p.mm.workspace()
}

// scratch is the workspace one goroutine needs: the column matrix, the
// padded sample, for the weight gradient one sample's product, and the
// product's panels.
func (p convProduct) scratch() int {
	s := p.colSize() + p.padSize() + p.panelSize()
	if p.gradWeight() {
		s += p.weightSize()
	}
	return s
}

// split reports whether the samples are shared by two goroutines: when
// the batch is worth it and one sample's product does not split itself.
func (p convProduct) split() bool {
	return p.w.N*p.mm.flops() >= parallelFlops && !p.mm.parallel()
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

// convWorkspace is the workspace of node n if it is a convolution computed
// on the product, else 0.
func convWorkspace(dtype ir.DType, n *ir.Node) int {
	switch n.Op {
	case "conv2d", "conv2d_grad_input", "conv2d_grad_weight":
		w := ops.WindowOf(n)
		if convAlgorithmFor(dtype, w) != "im2col" {
			return 0
		}
		return newConvProduct(dtype, n.Op, w).workspace()
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
	return im2colGemmConvFused(c, n, w, epilogue{})
}

// im2colGemmConvFused is im2colGemmConv with conv2d's fused epilogue epi
// (none if empty).
func im2colGemmConvFused(c *gen, n *ir.Node, w ops.Window, epi epilogue) kernel {
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
		perSample = col2imKernel(c, w)
	default:
		perSample = im2colKernel(c, w)
	}
	key := c.kernelKey(n) + "/im2col-gemm"
	if epi.needsTail() {
		epiName = convEpilogueKernel(c, w, epi)
		key += "/" + epi.key()
	}
	return kernel{
		key:  key,
		base: convName(n.Op, w) + epi.nameSuffix(),
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
	if p.gradWeight() {
		out = append(out, constInts("group", convGroup, "groups", p.groups()).Comment("samples per partial sum of dw, partial sums"))
	}
	return out
}

// describe says what p computes, for the entry point's comment.
func (p convProduct) describe(name string) string {
	w := p.w
	wShape := ir.Shape{w.O, w.C, w.K, w.K}
	switch p.op {
	case "conv2d":
		s := fmt.Sprintf("%s computes y%s = conv2d(x%s, w%s) with stride %d and padding %d: per sample, the patches are unrolled (im2col) into ws and multiplied by w",
			name, w.Out(), w.In(), wShape, w.Stride, w.Pad)
		if p.epi.needsTail() {
			s += fmt.Sprintf(", and %s (fused) is applied to the sample's output while it is in the cache", p.epi.describeConv())
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
	epiParams := epilogueParams(p.epi)
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
	if p.epi.bias {
		fields[jen.Id("Bias")] = jen.Id("bias")
	}
	if len(xs) > 0 {
		fields[jen.Id("X")] = jen.Index(jen.Qual(kernelsPath, "MaxExtra")).Index().Id("Float").Values(xs...)
	}
	args := jen.Qual(kernelsPath, "Args").Index(jen.Id("Float")).Values(fields)
	how := fmt.Sprintf("At %d FLOP per call it runs on one goroutine.", p.w.N*p.mm.flops())
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
// goroutine's scratch ws: the column matrix, then the product's panels.
func (p convProduct) samplesDecl(name, mm, perSample, epiName string) jen.Code {
	body := p.sizes()
	layout := []jen.Code{jen.Id("col").Op(":=").Id("ws").Index(jen.Empty(), expr("taps*positions"))}
	next := "taps*positions"
	unroll := func(dst, src jen.Code) jen.Code { return jen.Id(perSample).Call(dst, src) }
	if p.unrolled() {
		u := p.unroll()
		layout = append(layout,
			jen.Id("pad").Op(":=").Id("ws").Index(expr(next), expr(fmt.Sprintf("%s+%d", next, p.padSize()))).Comment("the padded sample"),
			jen.Id("u").Op(":=").Qual(kernelsPath, "Unroll").Values(
				jen.Id("C").Op(":").Lit(u.C), jen.Id("H").Op(":").Lit(u.H), jen.Id("W").Op(":").Lit(u.W), jen.Id("K").Op(":").Lit(u.K), jen.Id("P").Op(":").Lit(u.P),
			).Comment("the input's planes, kernel and padding"))
		next += fmt.Sprintf("+%d", p.padSize())
		fn := "Im2col"
		if p.op == "conv2d_grad_input" {
			fn = "Col2im"
		}
		unroll = func(dst, src jen.Code) jen.Code {
			return jen.Qual(kernelsPath, fn).Call(dst, src, jen.Id("pad"), jen.Id("u"))
		}
	}
	if p.gradWeight() {
		layout = append(layout, jen.Id("prod").Op(":=").Id("ws").Index(expr(next), expr(next+"+O*taps")).Comment("one sample's share of dw (or dwᵀ)"))
		next += "+O*taps"
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
			return jen.Qual(kernelsPath, "DotNT").Call(append(args, jen.Id("O"), jen.Id("taps"), jen.Id("positions"))...)
		}
	}
	in, out := sample("x.A", "inSize"), sample("x.C", "outSize")
	var each []jen.Code
	switch p.op {
	case "conv2d":
		each = []jen.Code{
			unroll(jen.Id("col"), in),
			call(out, jen.Id("x").Dot("B"), jen.Id("col")),
		}
		if epiName != "" {
			each = append(each, epilogueSample(epiName, p.epi, out, jen.Id("x").Dot("Bias"), func(i int) jen.Code {
				return sample(fmt.Sprintf("x.X[%d]", i), "outSize")
			}))
		}
	case "conv2d_grad_input":
		each = []jen.Code{
			call(jen.Id("col"), jen.Id("x").Dot("B"), sample("x.A", "outSize")),
			unroll(sample("x.C", "inSize"), jen.Id("col")),
		}
	default:
		// The product's operands: dy_n and colᵀ for dw, col and dy_nᵀ for dwᵀ.
		first, second := sample("x.B", "outSize"), jen.Id("col")
		if transposedWeightGrad(p.w) {
			first, second = jen.Id("col"), sample("x.B", "outSize")
		}
		each = []jen.Code{
			unroll(jen.Id("col"), in),
			jen.Id("sum").Op(":=").Add(sub("x.C", expr("n/group*O*taps"), expr("O*taps"))),
			jen.If(expr("n%group == 0")).Block(
				call(jen.Id("sum"), first, second).Comment("the group's first sample"),
				jen.Continue(),
			),
			call(jen.Id("prod"), first, second),
			jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Id("prod")).Block(
				jen.Id("sum").Index(jen.Id("i")).Op("+=").Id("v"),
			),
		}
	}
	body = append(body, jen.For(jen.Id("n").Op(":=").Id("n0"), jen.Id("n").Op("<").Id("n1"), jen.Id("n").Op("++")).Block(each...))
	what := "samples [n0, n1)"
	if p.gradWeight() {
		what = fmt.Sprintf("the partial sums of dw of samples [n0, n1), whole groups of %d", convGroup)
	}
	return doc("%s_samples computes %s of %s with one goroutine's scratch ws (%d floats).", name, what, name, p.scratch()).
		Func().Id(name+"_samples").Params(
		jen.Id("x").Add(argsType()), jen.Id("ws").Add(floats()), jen.List(jen.Id("n0"), jen.Id("n1"), jen.Id("_"), jen.Id("_")).Int(),
	).Block(body...)
}
