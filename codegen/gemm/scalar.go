package gemm

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
)

// scalarDriver declares the portable driver of a product: the cache-blocked
// scalar matmul (blocked.go) over a share of the output, each element
// summing its K terms in order (no FMA), and the epilogue over each block
// of columns once it is complete. It is the kernel of float64 models and of
// builds without SIMD, and needs no workspace.
func (p Product) scalarDriver(name string) jen.Code {
	mm := newMatmulPlan(p.M, p.K, p.N, p.TA, p.TB)
	a, b, cc := p.operandSizes()
	body := append(mm.consts(),
		jen.Id("_").Op("=").Id("ws"),
		jen.List(jen.Id("c"), jen.Id("a"), jen.Id("b")).Op(":=").List(
			jen.Id("x").Dot("C").Index(jen.Empty(), jen.Lit(cc)), jen.Id("x").Dot("A").Index(jen.Empty(), jen.Lit(a)), jen.Id("x").Dot("B").Index(jen.Empty(), jen.Lit(b))),
	)
	var after func(jb, je jen.Code) []jen.Code
	if p.Epi.NeedsTail() {
		after = func(jb, je jen.Code) []jen.Code {
			return []jen.Code{jen.Id(tailName(name, false)).Call(jen.Id("x"), jen.Id("i0"), jen.Id("i1"), jb, je)}
		}
	}
	body = append(body, mm.rangeBody(after)...)
	return emit.Doc("%s_scalar computes rows [i0,i1) and columns [j0,j1) of %s in portable Go; ws is unused.", name, name).
		Func().Id(name + "_scalar").Params(partParams()...).Block(body...)
}
