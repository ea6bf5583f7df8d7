package gemm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// Epilogue is what a fused GEMM (or convolution) does to each finished
// element before storing it: add the bias of its column (channel), then
// apply the elementwise tail.
type Epilogue struct {
	Bias  bool
	Ops   []TailOp
	Extra int // operands of the tail besides the running value (kernels.Args.X)
}

// TailOp is one elementwise op of an epilogue or a fused chain.
type TailOp struct {
	Node *ir.Node
	// Args say, per operand, where it comes from: ChainArg for the value
	// the previous op produced, else an index into the external operands
	// (kernels.Args.X).
	Args []int
}

// ChainArg is the operand of a tail op that is the running value.
const ChainArg = -1

// Key identifies the op's code: its name, attributes and operands.
func (op TailOp) Key() string { return fmt.Sprintf("%s%v", opKey(op.Node), op.Args) }

// Key identifies the epilogue's code: ops, their attributes and operands.
func (e Epilogue) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bias=%v", e.Bias)
	for _, op := range e.Ops {
		fmt.Fprintf(&b, "/%s", op.Key())
	}
	return b.String()
}

// opKey is an op's name and attributes, everything its Go formula reads.
func opKey(n *ir.Node) string {
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(n.Op)
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%#v", k, n.Attrs[k])
	}
	return b.String()
}

// NameSuffix names the fused ops in a kernel name: "_biasAdd_relu".
func (e Epilogue) NameSuffix() string {
	var s string
	if e.Bias {
		s += "_biasAdd"
	}
	for _, op := range e.Ops {
		s += "_" + emit.Ident(op.Node.Op)
	}
	return s
}

// NeedsTail reports whether there is an epilogue at all.
func (e Epilogue) NeedsTail() bool { return e.Bias || len(e.Ops) > 0 }

// describe wraps the expression s in the op: "relu_grad(x0, s)".
func (op TailOp) describe(s string) string {
	parts := make([]string, len(op.Args))
	for i, a := range op.Args {
		parts[i] = s
		if a != ChainArg {
			parts[i] = fmt.Sprintf("x%d", a)
		}
	}
	return fmt.Sprintf("%s(%s)", op.Node.Op, strings.Join(parts, ", "))
}

// vectorOps are the tail ops the SIMD microkernels apply in registers.
// Their vector forms compute exactly what their Go formulas do (relu keeps
// a NaN, as Go's max does).
var vectorOps = map[string]bool{"relu": true, "relu_grad": true, "add": true, "mul": true}

// vec is how many of the leading ops the SIMD microkernels apply in
// registers (the leading run of ops with vector forms); the rest run over
// the stored tile, from their Go formulas.
func (e Epilogue) vec() int {
	for i, op := range e.Ops {
		if !vectorOps[op.Node.Op] {
			return i
		}
	}
	return len(e.Ops)
}

// tailName names the function applying the epilogue to a stored tile:
// all of it for the scalar driver, for the SIMD drivers the ops their
// microkernels leave.
func tailName(kernel string, simd bool) string {
	if simd {
		return kernel + "_rest"
	}
	return kernel + "_epilogue"
}

// tailDecl declares the function that applies the epilogue (for the SIMD
// drivers: its ops after the vector ones) to rows [i0,i1) and columns
// [j0,j1) of x.C in place: element by element with each op's Go formula,
// or, for a float32 tail with a vector kernel, a row at a time.
func (p Product) tailDecl(kernel string, simd bool) jen.Code {
	name := tailName(kernel, simd)
	from, withBias := 0, p.Epi.Bias
	if simd {
		from, withBias = p.Epi.vec(), false
	}
	cc := p.M * p.N
	body := []jen.Code{
		jen.Const().Id("N").Op("=").Lit(p.N),
		jen.Id("c").Op(":=").Id("x").Dot("C").Index(jen.Empty(), jen.Lit(cc)),
	}
	if withBias {
		body = append(body, jen.Id("bias").Op(":=").Id("x").Dot("Bias").Index(jen.Empty(), jen.Id("N")))
	}
	used := map[int]bool{}
	for _, op := range p.Epi.Ops[from:] {
		for _, a := range op.Args {
			if a != ChainArg {
				used[a] = true
			}
		}
	}
	for i := range p.Epi.Extra {
		if used[i] {
			body = append(body, jen.Id(fmt.Sprintf("x%d", i)).Op(":=").Id("x").Dot("X").Index(jen.Lit(i)).Index(jen.Empty(), jen.Lit(cc)))
		}
	}
	if dtype := p.dtype(); Segmented(dtype, p.Epi.Ops[from:]) {
		body = append(body, p.segmentedTail(dtype, from, withBias))
	} else {
		body = append(body, p.elementTail(from, withBias))
	}
	what := "the bias and the elementwise tail"
	if !withBias {
		what = "the elementwise ops the vector registers did not"
	}
	return emit.Doc("%s applies %s of %s to rows [i0,i1) and columns [j0,j1) of the stored product, in place.", name, what, kernel).
		Func().Id(name).Params(jen.Id("x").Add(emit.ArgsType()), jen.List(jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")).Int()).Block(body...)
}

// dtype is the element type of the product.
func (p Product) dtype() ir.DType {
	if p.F32 {
		return ir.F32
	}
	return ir.F64
}

// elementTail is the tail's loop over the tile's elements, each taking
// the bias (withBias) and the ops from the from-th on.
func (p Product) elementTail(from int, withBias bool) jen.Code {
	first := jen.Id("c").Index(jen.Id("idx"))
	if withBias {
		first = first.Op("+").Id("bias").Index(jen.Id("j"))
	}
	inner := []jen.Code{
		jen.Id("idx").Op(":=").Add(emit.Expr("i*N + j")),
		jen.Id("v0").Op(":=").Add(first),
	}
	inner = append(inner, ElementChain(p.Epi.Ops[from:], "v", func(i int) jen.Code {
		return jen.Id(fmt.Sprintf("x%d", i)).Index(jen.Id("idx"))
	})...)
	inner = append(inner, jen.Id("c").Index(jen.Id("idx")).Op("=").Id(fmt.Sprintf("v%d", len(p.Epi.Ops)-from)))
	return jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(
		jen.For(jen.Id("j").Op(":=").Id("j0"), jen.Id("j").Op("<").Id("j1"), jen.Id("j").Op("++")).Block(inner...),
	)
}

// segmentedTail is the tail applied a row of the tile at a time, in place
// (segment.go).
func (p Product) segmentedTail(dtype ir.DType, from int, withBias bool) jen.Code {
	lo, hi := emit.Expr("i*N + j0"), emit.Expr("i*N + j1")
	row := []jen.Code{jen.Id("v").Op(":=").Id("c").Index(lo, hi)}
	if withBias {
		row = append(row, jen.Id("b").Op(":=").Id("bias").Index(jen.Id("j0"), jen.Id("j1")), addBias("v", jen.Id("b").Index(jen.Id("e"))))
	}
	decls, ext := segmentSlices(p.Epi.Ops[from:], lo, hi)
	row = append(row, decls...)
	row = append(row, segmentOps(dtype, p.Epi.Ops[from:], "v", "v", ext)...)
	return jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(row...)
}

// ElementChain emits the ops one after another on locals v0, v1, ...: op i
// reads v<i> for the running value and extern(k) for operand X[k], and
// writes v<i+1>, declared as Float.
func ElementChain(tail []TailOp, v string, extern func(int) jen.Code) []jen.Code {
	var out []jen.Code
	for i, op := range tail {
		operands := make([]jen.Code, len(op.Args))
		for k, a := range op.Args {
			if a == ChainArg {
				operands[k] = jen.Id(fmt.Sprintf("%s%d", v, i))
			} else {
				operands[k] = extern(a)
			}
		}
		dst := fmt.Sprintf("%s%d", v, i+1)
		out = append(out,
			jen.Var().Id(dst).Id("Float"),
			emit.Formula(op.Node, jen.Id(dst), operands),
		)
	}
	return out
}
