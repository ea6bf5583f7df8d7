// Package gemm is dlc's GEMM engine: the code of every matrix product a
// generated model computes, c[M,N] = op(a)[M,K] · op(b)[K,N] followed by an
// epilogue (a bias and a tail of elementwise ops), built from parts
// specialised to its constant shape:
//
//   - per instruction set (AVX-512: a 4x32 register tile of 8 Float32x16
//     accumulators; AVX2: 4x16 of Float32x8), microkernels for the whole
//     tile and the edge tiles, a packer copying (or transposing) a panel of
//     op(b) into the workspace, and a driver over a row and column range;
//     these go to kernels_simd.go, built only with GOEXPERIMENT=simd;
//   - a portable scalar driver (4x4 register tile) in kernels.go, the only
//     one of float64 models and of builds without the experiment;
//   - a dispatcher (_part) choosing the driver from kernels.ISA at run time,
//     in kernels_simd.go, and its scalar-only twin in kernels_generic.go.
//
// op(a) is read in place through constant strides; op(b) is packed one
// panel at a time into the model's workspace (Model.panels). Products the
// cost model (cost.go), or a measurement of `dlc build -tune`, finds worth
// it run on two goroutines (kernels.Run2), which take chunks of column
// panels or of rows in turn: every element is computed by one goroutine,
// in the same order, so the result is bitwise the serial one. See
// runtime/kernels for the hand-written half.
//
// The package also holds the epilogues of convolutions (conv_epilogue.go)
// and the elementwise tails that fused kernels share (epilogue.go,
// segment.go). It knows nothing of the code generator's state: codegen
// registers the functions it returns under the names it chooses.
package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// SIMDBuild is the build constraint of the file holding the SIMD parts
// (kernels_simd.go); the file of their scalar twins has its negation.
const SIMDBuild = "goexperiment.simd && amd64"

const (
	simdPath = "simd/archsimd"

	tileRows = 4  // rows of every register tile
	panelMax = 32 // widest packed panel (AVX-512), which sizes the workspace
)

// Product is one product to emit.
type Product struct {
	M, K, N int
	TA, TB  bool // op(a) = aᵀ, op(b) = bᵀ
	F32     bool // float32 model: SIMD kernels are emitted
	Epi     Epilogue
	// node marks a matmul node's product, whose split -tune may choose;
	// a convolution's per-sample product sizes its workspace by the cost
	// model alone.
	node bool
	// tuned is the split -tune chose (nil: the cost model's).
	tuned *splitPlan
}

// Matmul describes the matmul node n of a graph of the given dtype, with
// no epilogue.
func Matmul(dtype ir.DType, n *ir.Node) Product {
	m, k, nn := matmulDims(n)
	return Product{M: m, K: k, N: nn, TA: n.Attrs.Bool("ta"), TB: n.Attrs.Bool("tb"), F32: dtype == ir.F32, node: true}
}

// form is "NN", "NT", "TN" or "TT": which operands are transposed.
func (p Product) form() string { return transposeTag(p.TA) + transposeTag(p.TB) }

// Flops is the product's work: a multiply and an add per term.
func (p Product) Flops() int { return 2 * p.M * p.N * p.K }

// plan is how calls are divided between goroutines: as tuned, else as the
// cost model estimates fastest.
func (p Product) plan() splitPlan {
	if p.tuned != nil {
		return *p.tuned
	}
	return p.modelPlan()
}

// Parallel reports whether calls are split over two goroutines.
func (p Product) Parallel() bool { return p.plan().parallel() }

// scratch is the workspace one goroutine needs: one packed panel of op(b),
// K rows of the widest panel. Scalar kernels pack nothing.
func (p Product) scratch() int {
	if !p.F32 {
		return 0
	}
	return p.K * panelMax
}

// Workspace is the workspace a call needs: a panel per goroutine.
func (p Product) Workspace() int {
	if p.Parallel() {
		return 2 * p.scratch()
	}
	return p.scratch()
}

// aStrides are op(a)[i][k]'s element strides along i and k: a is stored
// [M,K], or [K,M] when transposed.
func (p Product) aStrides() (row, step int) {
	if p.TA {
		return 1, p.M
	}
	return p.K, 1
}

// split is how Run2 divides a parallel call into the chunks the two
// goroutines take in turn: the plan's chunks, or for a serial call (whose
// drivers are still tested chunk by chunk) two of the widest panels of
// columns when there are at least that many, else 8 tiles of rows (each
// of which packs all of op(b)).
func (p Product) split() (byCols bool, chunk int) {
	if s := p.plan(); s.parallel() {
		return s.byCols, s.chunk
	}
	if p.N >= 2*panelMax {
		return true, 2 * panelMax
	}
	return false, 8 * tileRows
}

// Key identifies the code of p's kernel; a tuned split is part of it, so
// that a convolution's product of the same shape never shares the entry.
func (p Product) Key() string {
	k := fmt.Sprintf("gemm/%s/%v/%dx%dx%d/%s", p.form(), p.F32, p.M, p.K, p.N, p.Epi.Key())
	if p.tuned != nil {
		k += "/split=" + p.tuned.String()
	}
	return k
}

// BaseName is the kernel's readable name: "matmulNN_128x784x512", with the
// fused ops after it ("_biasAdd_relu").
func (p Product) BaseName() string {
	return fmt.Sprintf("matmul%s_%dx%dx%d", p.form(), p.M, p.K, p.N) + p.Epi.NameSuffix()
}

// Decl is the kernels.go code of p under the name of its entry point: the
// entry point, the scalar driver and, with an epilogue, the function
// applying it to a stored tile. A float32 product also needs its SIMD
// parts (SIMD).
func (p Product) Decl(name string) jen.Code {
	code := &jen.Statement{}
	code.Add(p.entryDecl(name)).Line().Line()
	code.Add(p.scalarDriver(name))
	if p.Epi.NeedsTail() {
		code.Line().Line().Add(p.tailDecl(name, false))
	}
	return code
}

// SIMD is the code of p's SIMD parts, none for float64: for
// kernels_simd.go, its dispatcher, the ops of its epilogue left to the
// stored tile, and per instruction set the microkernels, packer and
// driver; for kernels_generic.go, the dispatcher's scalar twin.
func (p Product) SIMD(name string) (simd, generic []jen.Code) {
	if !p.F32 {
		return nil, nil
	}
	simd = append(simd, p.dispatchDecl(name))
	if p.Epi.vec() < len(p.Epi.Ops) {
		simd = append(simd, p.tailDecl(name, true))
	}
	for _, v := range isas {
		simd = append(simd, p.isaCode(name, v)...)
	}
	return simd, []jen.Code{p.genericDispatchDecl(name)}
}

// entryDecl declares the entry point: build the arguments, then run the
// whole output on one goroutine or two.
func (p Product) entryDecl(name string) jen.Code {
	params := []jen.Code{jen.Id("c"), jen.Id("a"), jen.Id("b")}
	args := jen.Dict{jen.Id("C"): jen.Id("c"), jen.Id("A"): jen.Id("a"), jen.Id("B"): jen.Id("b")}
	if p.Epi.Bias {
		params = append(params, jen.Id("bias"))
		args[jen.Id("Bias")] = jen.Id("bias")
	}
	if p.Epi.Extra > 0 {
		xs := make([]jen.Code, p.Epi.Extra)
		for i := range xs {
			x := fmt.Sprintf("x%d", i)
			params = append(params, jen.Id(x))
			xs[i] = jen.Id(x)
		}
		args[jen.Id("X")] = jen.Index(jen.Qual(emit.KernelsPath, "MaxExtra")).Index().Id("Float").Values(xs...)
	}
	ws := jen.Nil()
	if p.Workspace() > 0 {
		params = append(params, jen.Id("ws"))
		ws = jen.Id("ws")
	}
	part := name + "_part"
	if !p.F32 {
		part = name + "_scalar"
	}
	x := jen.Qual(emit.KernelsPath, "Args").Index(jen.Id("Float")).Values(args)
	var body jen.Code
	if p.Parallel() {
		byCols, chunk := p.split()
		body = jen.Qual(emit.KernelsPath, "Run2").Call(jen.Id(part), x, ws, jen.Qual(emit.KernelsPath, "Split").Values(jen.Dict{
			jen.Id("Rows"): jen.Lit(p.M), jen.Id("Cols"): jen.Lit(p.N),
			jen.Id("ByCols"): jen.Lit(byCols), jen.Id("Chunk"): jen.Lit(chunk), jen.Id("Scratch"): jen.Lit(p.scratch()),
		}))
	} else {
		body = jen.Id(part).Call(x, ws, jen.Lit(0), jen.Lit(p.M), jen.Lit(0), jen.Lit(p.N))
	}
	var how string
	switch {
	case p.Parallel():
		byCols, chunk := p.split()
		what := "rows"
		if byCols {
			what = "columns"
		}
		how = fmt.Sprintf("Unless kernels.Threads() is 1 it runs on two goroutines, which take chunks of %d %s in turn; the result is the same either way.", chunk, what)
		if p.tuned != nil {
			how += " -tune chose this split on this machine."
		}
	case p.tuned != nil:
		how = "It runs on one goroutine: -tune measured that faster on this machine."
	default:
		how = fmt.Sprintf("At %d FLOP it runs on one goroutine: handing half to a second would cost more than it saves.", p.Flops())
	}
	if p.Workspace() > 0 {
		how += fmt.Sprintf(" ws holds the packed panels of b, %d floats.", p.Workspace())
	}
	return emit.Doc("%s computes c%s = %s. %s", name, ir.Shape{p.M, p.N}, p.describe(), how).
		Func().Id(name).Params(jen.List(params...).Add(emit.Floats())).Block(body)
}

// describe is the product and epilogue in words and symbols:
// "relu(aᵀ[784,128] · b[128,512] + bias)".
func (p Product) describe() string {
	a, b := fmt.Sprintf("a%s", ir.Shape{p.M, p.K}), fmt.Sprintf("b%s", ir.Shape{p.K, p.N})
	if p.TA {
		a = fmt.Sprintf("aᵀ%s", ir.Shape{p.K, p.M})
	}
	if p.TB {
		b = fmt.Sprintf("bᵀ%s", ir.Shape{p.N, p.K})
	}
	s := a + " · " + b
	if p.Epi.Bias {
		s += " + bias"
	}
	for _, op := range p.Epi.Ops {
		s = op.describe(s)
	}
	return s
}

// operandSizes are the element counts of a, b and c.
func (p Product) operandSizes() (a, b, c int) { return p.M * p.K, p.K * p.N, p.M * p.N }

// boundsChecks is one check, in the driver named kernel, that every
// operand and the workspace (ws floats) are long enough for a driver that
// reads through unsafe pointers. It compares lengths: `_ = s[n-1]` would
// read the last element, which the other goroutine of a split call may be
// writing at the time (a race the race detector reports).
func (p Product) boundsChecks(kernel string, ws int) []jen.Code {
	a, b, cc := p.operandSizes()
	short := func(s jen.Code, n int) jen.Code { return jen.Len(s).Op("<").Lit(n) }
	x := func(field string) *jen.Statement { return jen.Id("x").Dot(field) }
	conds := []jen.Code{short(x("C"), cc), short(x("A"), a), short(x("B"), b)}
	if p.Epi.Bias {
		conds = append(conds, short(x("Bias"), p.N))
	}
	for i := range p.Epi.Extra {
		conds = append(conds, short(x("X").Index(jen.Lit(i)), cc))
	}
	conds = append(conds, short(jen.Id("ws"), ws))
	cond := jen.Add(conds[0])
	for _, c := range conds[1:] {
		cond = cond.Op("||").Add(c)
	}
	return []jen.Code{jen.If(cond).Block(jen.Panic(jen.Lit(kernel + ": an operand or the workspace is shorter than the product needs")))}
}

// partParams are the parameters of every driver: the call's operands, the
// goroutine's workspace and its share of the output.
func partParams() []jen.Code {
	return []jen.Code{jen.Id("x").Add(emit.ArgsType()), jen.Id("ws").Add(emit.Floats()), jen.List(jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")).Int()}
}
