package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// The GEMM emitter. Every matmul (and every fused matmul epilogue) becomes
// one entry point in kernels.go, c[M,N] = op(a)[M,K] · op(b)[K,N] followed
// by the epilogue, built from parts specialised to its constant shape:
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
// cost model (tune_cost.go), or a measurement of `dlc build -tune`
// (tune.go), finds worth it run on two goroutines (kernels.Run2), which
// take chunks of column panels or of rows in turn: every element is
// computed by one goroutine, in the same order, so the result is bitwise
// the serial one. See runtime/kernels for the hand-written half.

const (
	kernelsPath = "github.com/dlc-dev/dlc/runtime/kernels"
	simdPath    = "simd/archsimd"

	tileRows = 4  // rows of every register tile
	panelMax = 32 // widest packed panel (AVX-512), which sizes the workspace
)

// gemm is one product to emit.
type gemm struct {
	m, k, n int
	ta, tb  bool
	f32     bool // float32 model: SIMD kernels are emitted
	epi     epilogue
	// node marks a matmul node's product, whose split -tune may choose;
	// a convolution's per-sample product sizes its workspace by the cost
	// model alone.
	node bool
	// tuned is the split -tune chose (nil: the cost model's).
	tuned *splitPlan
}

// newGemm describes the matmul node n of a graph of the given dtype, with
// no epilogue.
func newGemm(dtype ir.DType, n *ir.Node) gemm {
	m, k, nn := matmulDims(n)
	return gemm{m: m, k: k, n: nn, ta: n.Attrs.Bool("ta"), tb: n.Attrs.Bool("tb"), f32: dtype == ir.F32, node: true}
}

// form is "NN", "NT", "TN" or "TT": which operands are transposed.
func (p gemm) form() string { return transposeTag(p.ta) + transposeTag(p.tb) }

func (p gemm) flops() int { return 2 * p.m * p.n * p.k }

// plan is how calls are divided between goroutines: as tuned, else as the
// cost model estimates fastest.
func (p gemm) plan() splitPlan {
	if p.tuned != nil {
		return *p.tuned
	}
	return p.modelPlan()
}

// parallel reports whether calls are split over two goroutines.
func (p gemm) parallel() bool { return p.plan().parallel() }

// scratch is the workspace one goroutine needs: one packed panel of op(b),
// K rows of the widest panel. Scalar kernels pack nothing.
func (p gemm) scratch() int {
	if !p.f32 {
		return 0
	}
	return p.k * panelMax
}

// workspace is the workspace a call needs: a panel per goroutine.
func (p gemm) workspace() int {
	if p.parallel() {
		return 2 * p.scratch()
	}
	return p.scratch()
}

// aStrides are op(a)[i][k]'s element strides along i and k: a is stored
// [M,K], or [K,M] when transposed.
func (p gemm) aStrides() (row, step int) {
	if p.ta {
		return 1, p.m
	}
	return p.k, 1
}

// split is how Run2 divides a parallel call into the chunks the two
// goroutines take in turn: the plan's chunks, or for a serial call (whose
// drivers are still tested chunk by chunk) two of the widest panels of
// columns when there are at least that many, else 8 tiles of rows (each
// of which packs all of op(b)).
func (p gemm) split() (byCols bool, chunk int) {
	if s := p.plan(); s.parallel() {
		return s.byCols, s.chunk
	}
	if p.n >= 2*panelMax {
		return true, 2 * panelMax
	}
	return false, 8 * tileRows
}

// key identifies the code of p's kernel; a tuned split is part of it, so
// that a convolution's product of the same shape never shares the entry.
func (p gemm) key() string {
	k := fmt.Sprintf("gemm/%s/%v/%dx%dx%d/%s", p.form(), p.f32, p.m, p.k, p.n, p.epi.key())
	if p.tuned != nil {
		k += "/split=" + p.tuned.String()
	}
	return k
}

// baseName is the kernel's readable name: "matmulNN_128x784x512", with the
// fused ops after it ("_biasAdd_relu").
func (p gemm) baseName() string {
	return fmt.Sprintf("matmul%s_%dx%dx%d", p.form(), p.m, p.k, p.n) + p.epi.nameSuffix()
}

// gemmKernel is the opKernels builder of matmul nodes: the product alone.
func gemmKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	p := newGemm(c.g.DType, n)
	return c.gemmEntry(p), c.workspaceArg(p)
}

// workspaceArg is the workspace argument of a call to p's kernel, if it
// takes one.
func (c *gen) workspaceArg(p gemm) []jen.Code {
	if p.workspace() == 0 {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(panelsField)}
}

// gemmEntry is the kernels.go entry point of p; registering it emits the
// drivers and, for float32, the SIMD files' parts.
func (c *gen) gemmEntry(p gemm) kernel {
	p = c.tuneGemm(p)
	return kernel{
		key:  p.key(),
		base: p.baseName(),
		decl: func(name string) jen.Code {
			c.noteGemm(p, name)
			code := &jen.Statement{}
			code.Add(p.entryDecl(name)).Line().Line()
			code.Add(p.scalarDriver(name))
			if p.epi.needsTail() {
				code.Line().Line().Add(p.tailDecl(name, false))
			}
			if p.f32 {
				c.simdCode().addGemm(p, name)
			}
			return code
		},
	}
}

// entryDecl declares the entry point: build the arguments, then run the
// whole output on one goroutine or two.
func (p gemm) entryDecl(name string) jen.Code {
	params := []jen.Code{jen.Id("c"), jen.Id("a"), jen.Id("b")}
	args := jen.Dict{jen.Id("C"): jen.Id("c"), jen.Id("A"): jen.Id("a"), jen.Id("B"): jen.Id("b")}
	if p.epi.bias {
		params = append(params, jen.Id("bias"))
		args[jen.Id("Bias")] = jen.Id("bias")
	}
	if p.epi.extra > 0 {
		xs := make([]jen.Code, p.epi.extra)
		for i := range xs {
			x := fmt.Sprintf("x%d", i)
			params = append(params, jen.Id(x))
			xs[i] = jen.Id(x)
		}
		args[jen.Id("X")] = jen.Index(jen.Qual(kernelsPath, "MaxExtra")).Index().Id("Float").Values(xs...)
	}
	ws := jen.Nil()
	if p.workspace() > 0 {
		params = append(params, jen.Id("ws"))
		ws = jen.Id("ws")
	}
	part := name + "_part"
	if !p.f32 {
		part = name + "_scalar"
	}
	x := jen.Qual(kernelsPath, "Args").Index(jen.Id("Float")).Values(args)
	var body jen.Code
	if p.parallel() {
		byCols, chunk := p.split()
		body = jen.Qual(kernelsPath, "Run2").Call(jen.Id(part), x, ws, jen.Qual(kernelsPath, "Split").Values(jen.Dict{
			jen.Id("Rows"): jen.Lit(p.m), jen.Id("Cols"): jen.Lit(p.n),
			jen.Id("ByCols"): jen.Lit(byCols), jen.Id("Chunk"): jen.Lit(chunk), jen.Id("Scratch"): jen.Lit(p.scratch()),
		}))
	} else {
		body = jen.Id(part).Call(x, ws, jen.Lit(0), jen.Lit(p.m), jen.Lit(0), jen.Lit(p.n))
	}
	var how string
	switch {
	case p.parallel():
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
		how = fmt.Sprintf("At %d FLOP it runs on one goroutine: handing half to a second would cost more than it saves.", p.flops())
	}
	if p.workspace() > 0 {
		how += fmt.Sprintf(" ws holds the packed panels of b, %d floats.", p.workspace())
	}
	return doc("%s computes c%s = %s. %s", name, ir.Shape{p.m, p.n}, p.describe(), how).
		Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body)
}

// describe is the product and epilogue in words and symbols:
// "relu(aᵀ[784,128] · b[128,512] + bias)".
func (p gemm) describe() string {
	a, b := fmt.Sprintf("a%s", ir.Shape{p.m, p.k}), fmt.Sprintf("b%s", ir.Shape{p.k, p.n})
	if p.ta {
		a = fmt.Sprintf("aᵀ%s", ir.Shape{p.k, p.m})
	}
	if p.tb {
		b = fmt.Sprintf("bᵀ%s", ir.Shape{p.n, p.k})
	}
	s := a + " · " + b
	if p.epi.bias {
		s += " + bias"
	}
	for _, op := range p.epi.ops {
		s = op.describe(s)
	}
	return s
}

// operandSizes are the element counts of a, b and c.
func (p gemm) operandSizes() (a, b, c int) { return p.m * p.k, p.k * p.n, p.m * p.n }

// boundsChecks is one check, in the driver named kernel, that every
// operand and the workspace (ws floats) are long enough for a driver that
// reads through unsafe pointers. It compares lengths: `_ = s[n-1]` would
// read the last element, which the other goroutine of a split call may be
// writing at the time (a race the race detector reports).
func (p gemm) boundsChecks(kernel string, ws int) []jen.Code {
	a, b, cc := p.operandSizes()
	short := func(s jen.Code, n int) jen.Code { return jen.Len(s).Op("<").Lit(n) }
	x := func(field string) *jen.Statement { return jen.Id("x").Dot(field) }
	conds := []jen.Code{short(x("C"), cc), short(x("A"), a), short(x("B"), b)}
	if p.epi.bias {
		conds = append(conds, short(x("Bias"), p.n))
	}
	for i := range p.epi.extra {
		conds = append(conds, short(x("X").Index(jen.Lit(i)), cc))
	}
	conds = append(conds, short(jen.Id("ws"), ws))
	cond := jen.Add(conds[0])
	for _, c := range conds[1:] {
		cond = cond.Op("||").Add(c)
	}
	return []jen.Code{jen.If(cond).Block(jen.Panic(jen.Lit(kernel + ": an operand or the workspace is shorter than the product needs")))}
}

// argsType is kernels.Args[Float].
func argsType() *jen.Statement { return jen.Qual(kernelsPath, "Args").Index(jen.Id("Float")) }

// partParams are the parameters of every driver: the call's operands, the
// goroutine's workspace and its share of the output.
func partParams() []jen.Code {
	return []jen.Code{jen.Id("x").Add(argsType()), jen.Id("ws").Add(floats()), jen.List(jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")).Int()}
}

// gemmWorkspace is the size of the model's workspace, Model.panels.
func (c *gen) gemmWorkspace() int { return c.tunedWorkspaceFloats(c.g, c.inf) }

// workspaceFloats is the workspace the products (matmuls and the
// convolutions computed on them) of the given graphs need: the most any
// one call needs (they run one at a time). Computed from the
// graphs, it does not depend on the order in which kernels are emitted.
func workspaceFloats(graphs ...*ir.Graph) int {
	return workspaceFloatsWith(nil, graphs...)
}

// workspaceFloatsWith is workspaceFloats with the splits of tuning.
func workspaceFloatsWith(tuning Tuning, graphs ...*ir.Graph) int {
	size := 0
	for _, g := range graphs {
		if g == nil {
			continue
		}
		for _, n := range g.Nodes {
			if n.Op == "matmul" {
				size = max(size, tuneGemm(tuning, newGemm(g.DType, n)).workspace())
			}
			size = max(size, convWorkspace(g.DType, n), attnWorkspace(g.DType, n))
		}
	}
	return size
}

// panelsField is the Model field holding the workspace.
const panelsField = "panels"

// panelsFields declares the workspace field, if the model needs one.
func (c *gen) panelsFields() []jen.Code {
	if c.gemmWorkspace() == 0 {
		return nil
	}
	return []jen.Code{jen.Id(panelsField).Add(floats()).Comment("the matrix products' packed panels of b: one per goroutine")}
}

// panelsAlloc allocates the workspace, once, in New.
func (c *gen) panelsAlloc() []jen.Code {
	size := c.gemmWorkspace()
	if size == 0 {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(panelsField).Op("=").Make(floats(), jen.Lit(size))}
}
