package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// epilogue is what a fused GEMM does to each finished element before
// storing it: add the bias of its column, then apply the elementwise tail.
type epilogue struct {
	bias  bool
	ops   []tailOp
	extra int // operands of the tail besides the running value (kernels.Args.X)
	// vec is how many of the leading ops the SIMD microkernels apply in
	// registers; the rest run over the stored tile, from their Emit rules.
	vec int
}

// tailOp is one elementwise op of an epilogue.
type tailOp struct {
	node *ir.Node
	// args say, per operand, where it comes from: chainArg for the value
	// the previous op produced, else an index into kernels.Args.X.
	args []int
}

const chainArg = -1

// key identifies the epilogue's code: ops, their attributes and operands.
func (e epilogue) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bias=%v", e.bias)
	for _, op := range e.ops {
		fmt.Fprintf(&b, "/%s%v", opKey(op.node), op.args)
	}
	return b.String()
}

// opKey is an op's name and attributes, everything its Emit rule reads.
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

// nameSuffix names the fused ops in a kernel name: "_biasAdd_relu".
func (e epilogue) nameSuffix() string {
	var s string
	if e.bias {
		s += "_biasAdd"
	}
	for _, op := range e.ops {
		s += "_" + camel(op.node.Op)
	}
	return s
}

// needsTail reports whether there is an epilogue at all.
func (e epilogue) needsTail() bool { return e.bias || len(e.ops) > 0 }

// describe wraps the expression s in the op: "relu_grad(x0, s)".
func (op tailOp) describe(s string) string {
	parts := make([]string, len(op.args))
	for i, a := range op.args {
		parts[i] = s
		if a != chainArg {
			parts[i] = fmt.Sprintf("x%d", a)
		}
	}
	return fmt.Sprintf("%s(%s)", op.node.Op, strings.Join(parts, ", "))
}

// vectorOps are the tail ops the SIMD microkernels apply in registers.
// Their vector forms compute exactly what their Emit rules do (relu keeps
// a NaN, as Go's max does).
var vectorOps = map[string]bool{"relu": true, "relu_grad": true, "add": true, "mul": true}

// countVectorOps is the length of the leading run of ops with vector forms.
func countVectorOps(tail []tailOp) int {
	for i, op := range tail {
		if !vectorOps[op.node.Op] {
			return i
		}
	}
	return len(tail)
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
// [j0,j1) of x.C in place: element by element with each op's Emit rule,
// or, for a float32 tail with a vector kernel, a row at a time.
func (p gemm) tailDecl(kernel string, simd bool) jen.Code {
	name := tailName(kernel, simd)
	from, withBias := 0, p.epi.bias
	if simd {
		from, withBias = p.epi.vec, false
	}
	cc := p.m * p.n
	body := []jen.Code{
		jen.Const().Id("N").Op("=").Lit(p.n),
		jen.Id("c").Op(":=").Id("x").Dot("C").Index(jen.Empty(), jen.Lit(cc)),
	}
	if withBias {
		body = append(body, jen.Id("bias").Op(":=").Id("x").Dot("Bias").Index(jen.Empty(), jen.Id("N")))
	}
	used := map[int]bool{}
	for _, op := range p.epi.ops[from:] {
		for _, a := range op.args {
			if a != chainArg {
				used[a] = true
			}
		}
	}
	for i := range p.epi.extra {
		if used[i] {
			body = append(body, jen.Id(fmt.Sprintf("x%d", i)).Op(":=").Id("x").Dot("X").Index(jen.Lit(i)).Index(jen.Empty(), jen.Lit(cc)))
		}
	}
	if dtype := p.dtype(); segmented(dtype, p.epi.ops[from:]) {
		body = append(body, p.segmentedTail(dtype, from, withBias))
	} else {
		body = append(body, p.elementTail(from, withBias))
	}
	what := "the bias and the elementwise tail"
	if !withBias {
		what = "the elementwise ops the vector registers did not"
	}
	return doc("%s applies %s of %s to rows [i0,i1) and columns [j0,j1) of the stored product, in place.", name, what, kernel).
		Func().Id(name).Params(jen.Id("x").Add(argsType()), jen.List(jen.Id("i0"), jen.Id("i1"), jen.Id("j0"), jen.Id("j1")).Int()).Block(body...)
}

// dtype is the element type of the product.
func (p gemm) dtype() ir.DType {
	if p.f32 {
		return ir.F32
	}
	return ir.F64
}

// elementTail is the tail's loop over the tile's elements, each taking
// the bias (withBias) and the ops from the from-th on.
func (p gemm) elementTail(from int, withBias bool) jen.Code {
	first := jen.Id("c").Index(jen.Id("idx"))
	if withBias {
		first = first.Op("+").Id("bias").Index(jen.Id("j"))
	}
	inner := []jen.Code{
		jen.Id("idx").Op(":=").Add(expr("i*N + j")),
		jen.Id("v0").Op(":=").Add(first),
	}
	inner = append(inner, elementChain(p.epi.ops[from:], "v", func(i int) jen.Code {
		return jen.Id(fmt.Sprintf("x%d", i)).Index(jen.Id("idx"))
	})...)
	inner = append(inner, jen.Id("c").Index(jen.Id("idx")).Op("=").Id(fmt.Sprintf("v%d", len(p.epi.ops)-from)))
	return jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(
		jen.For(jen.Id("j").Op(":=").Id("j0"), jen.Id("j").Op("<").Id("j1"), jen.Id("j").Op("++")).Block(inner...),
	)
}

// segmentedTail is the tail applied a row of the tile at a time, in place
// (kernel_vmath.go).
func (p gemm) segmentedTail(dtype ir.DType, from int, withBias bool) jen.Code {
	lo, hi := expr("i*N + j0"), expr("i*N + j1")
	row := []jen.Code{jen.Id("v").Op(":=").Id("c").Index(lo, hi)}
	if withBias {
		row = append(row, jen.Id("b").Op(":=").Id("bias").Index(jen.Id("j0"), jen.Id("j1")), addBias("v", jen.Id("b").Index(jen.Id("e"))))
	}
	decls, ext := segmentSlices(p.epi.ops[from:], lo, hi)
	row = append(row, decls...)
	row = append(row, segmentOps(dtype, p.epi.ops[from:], "v", "v", ext)...)
	return jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(row...)
}

// elementChain emits the ops one after another on locals v0, v1, ...: op i
// reads v<i> for the running value and extern(k) for operand X[k], and
// writes v<i+1>, declared as Float.
func elementChain(tail []tailOp, v string, extern func(int) jen.Code) []jen.Code {
	var out []jen.Code
	for i, op := range tail {
		operands := make([]jen.Code, len(op.args))
		for k, a := range op.args {
			if a == chainArg {
				operands[k] = jen.Id(fmt.Sprintf("%s%d", v, i))
			} else {
				operands[k] = extern(a)
			}
		}
		dst := fmt.Sprintf("%s%d", v, i+1)
		out = append(out,
			jen.Var().Id(dst).Id("Float"),
			formula(op.node, jen.Id(dst), operands),
		)
	}
	return out
}
