package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// The matmul kernel is cache-blocked scalar code: for each block of nb
// columns of c and kb rows of op(b), it walks c four rows at a time, keeps
// the four a values of one k in registers and streams one contiguous row of
// the b block through all four rows of c (i-k-j order). When b is
// transposed its rows are not contiguous, so each block is first packed,
// transposed, into a panel on the stack. Every c element still sums its k
// terms in increasing order, as the reference does.
//
// This file is the only one that knows how a matmul is computed: a faster
// kernel for some shapes replaces matmulKernel alone.

const (
	matmulRows  = 4    // rows of c updated together (a values held in registers)
	matmulNB    = 128  // columns of c per block
	matmulKB    = 256  // rows of b per block when b is read in place
	matmulPanel = 8192 // elements of the packed panel when b is transposed
)

// matmulDims returns M, K, N of c[M,N] = op(a)[M,K] · op(b)[K,N].
func matmulDims(n *ir.Node) (m, k, nn int) {
	a := n.Inputs[0].Shape
	k = a[1]
	if n.Attrs.Bool("ta") {
		k = a[0]
	}
	return n.Shape[0], k, n.Shape[1]
}

// matmulKernel builds the kernel for one matmul node.
func matmulKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	ta, tb := n.Attrs.Bool("ta"), n.Attrs.Bool("tb")
	m, k, nn := matmulDims(n)
	variant := transposeTag(ta) + transposeTag(tb)
	mm := matmulPlan{m: m, k: k, n: nn, ta: ta, tb: tb}
	mm.nb = min(nn, matmulNB)
	mm.kb = min(k, matmulKB)
	if tb {
		mm.kb = min(k, max(1, matmulPanel/mm.nb))
	}
	return kernel{
		key:  fmt.Sprintf("matmul/%s/%s/%dx%dx%d", variant, c.g.DType, m, k, nn),
		base: fmt.Sprintf("matmul%s_%dx%dx%d", variant, m, k, nn),
		decl: mm.decl,
	}, nil
}

func transposeTag(t bool) string {
	if t {
		return "T"
	}
	return "N"
}

// matmulPlan is one matmul's shape, transposes and block sizes.
type matmulPlan struct {
	m, k, n int
	ta, tb  bool
	kb, nb  int
}

func (p matmulPlan) decl(name string) jen.Code {
	aShape, bShape := ir.Shape{p.m, p.k}, ir.Shape{p.k, p.n}
	opA, opB := "a", "b"
	if p.ta {
		aShape, opA = ir.Shape{p.k, p.m}, "aᵀ"
	}
	if p.tb {
		bShape, opB = ir.Shape{p.n, p.k}, "bᵀ"
	}
	body := []jen.Code{
		jen.Const().List(jen.Id("M"), jen.Id("K"), jen.Id("N")).Op("=").List(jen.Lit(p.m), jen.Lit(p.k), jen.Lit(p.n)),
		jen.Const().List(jen.Id("kb"), jen.Id("nb")).Op("=").List(jen.Lit(p.kb), jen.Lit(p.nb)).
			Comment("block of b: rows, columns"),
		reslice("c", expr("M*N")),
		reslice("a", expr("M*K")),
		reslice("b", expr("K*N")),
	}
	if p.tb {
		body = append(body, jen.Var().Id("panel").Index(expr("kb*nb")).Id("Float").
			Comment("the current block of b, transposed to rows of nb"))
	}
	body = append(body,
		jen.Clear(jen.Id("c")),
		jen.For(jen.Id("j0").Op(":=").Lit(0), jen.Id("j0").Op("<").Id("N"), jen.Id("j0").Op("+=").Id("nb")).Block(
			jen.Id("j1").Op(":=").Min(expr("j0+nb"), jen.Id("N")),
			jen.For(jen.Id("k0").Op(":=").Lit(0), jen.Id("k0").Op("<").Id("K"), jen.Id("k0").Op("+=").Id("kb")).Block(
				p.blockBody()...,
			),
		),
	)
	return doc("%s computes c[%d,%d] = %s%s · %s%s.", name, p.m, p.n, opA, aShape, opB, bShape).
		Func().Id(name).Params(jen.List(jen.Id("c"), jen.Id("a"), jen.Id("b")).Add(floats())).Block(body...)
}

// blockBody is the work for one (j0, k0) block: pack it if b is transposed,
// then four rows of c at a time, then the leftover rows one by one.
func (p matmulPlan) blockBody() []jen.Code {
	body := []jen.Code{jen.Id("k1").Op(":=").Min(expr("k0+kb"), jen.Id("K"))}
	if p.tb {
		body = append(body, jen.For(jen.Id("j").Op(":=").Id("j0"), jen.Id("j").Op("<").Id("j1"), jen.Id("j").Op("++")).Block(
			jen.Id("src").Op(":=").Id("b").Index(expr("j*K+k0"), expr("j*K+k1")),
			jen.For(jen.List(jen.Id("q"), jen.Id("v")).Op(":=").Range().Id("src")).Block(
				jen.Id("panel").Index(expr("q*nb+j-j0")).Op("=").Id("v"),
			),
		))
	}
	whole := p.m / matmulRows * matmulRows
	if whole > 0 {
		rows := make([]jen.Code, 0, 2*matmulRows+2)
		loads := make([]jen.Code, matmulRows)
		names := make([]jen.Code, matmulRows)
		updates := make([]jen.Code, matmulRows)
		for r := range matmulRows {
			ci := fmt.Sprintf("c%d", r)
			row := "i"
			if r > 0 {
				row = fmt.Sprintf("(i+%d)", r)
			}
			slice := jen.Id("c").Index(expr(row+"*N+j0"), expr(row+"*N+j1"))
			if r > 0 {
				// Same length as c0, so that the compiler drops bounds checks.
				slice = slice.Index(jen.Empty(), jen.Len(jen.Id("c0")))
			}
			rows = append(rows, jen.Id(ci).Op(":=").Add(slice))
			names[r] = jen.Id(fmt.Sprintf("a%d", r))
			loads[r] = p.aAt(row)
			updates[r] = jen.Id(ci).Index(jen.Id("j")).Op("+=").Id(fmt.Sprintf("a%d", r)).Op("*").Id("bv")
		}
		rows = append(rows, jen.For(jen.Id("q").Op(":=").Id("k0"), jen.Id("q").Op("<").Id("k1"), jen.Id("q").Op("++")).Block(
			jen.List(names...).Op(":=").List(loads...),
			jen.Id("bq").Op(":=").Add(p.bRow("c0")),
			jen.For(jen.List(jen.Id("j"), jen.Id("bv")).Op(":=").Range().Id("bq")).Block(updates...),
		))
		body = append(body, jen.For(jen.Id("i").Op(":=").Lit(0), jen.Id("i").Op("<").Lit(whole), jen.Id("i").Op("+=").Lit(matmulRows)).Block(rows...))
	}
	if whole < p.m {
		body = append(body, jen.Comment("The rows left over from the blocks of four."),
			jen.For(jen.Id("i").Op(":=").Lit(whole), jen.Id("i").Op("<").Id("M"), jen.Id("i").Op("++")).Block(
				jen.Id("ci").Op(":=").Id("c").Index(expr("i*N+j0"), expr("i*N+j1")),
				jen.For(jen.Id("q").Op(":=").Id("k0"), jen.Id("q").Op("<").Id("k1"), jen.Id("q").Op("++")).Block(
					jen.Id("ai").Op(":=").Add(p.aAt("i")),
					jen.Id("bq").Op(":=").Add(p.bRow("ci")),
					jen.For(jen.List(jen.Id("j"), jen.Id("bv")).Op(":=").Range().Id("bq")).Block(
						jen.Id("ci").Index(jen.Id("j")).Op("+=").Id("ai").Op("*").Id("bv"),
					),
				),
			))
	}
	return body
}

// aAt is op(a)[row, q].
func (p matmulPlan) aAt(row string) jen.Code {
	if p.ta {
		return jen.Id("a").Index(expr("q*M+" + row))
	}
	return jen.Id("a").Index(expr(row + "*K+q"))
}

// bRow is row q of the current block of op(b), as long as the c row crow.
func (p matmulPlan) bRow(crow string) jen.Code {
	if p.tb {
		return jen.Id("panel").Index(expr("(q-k0)*nb"), expr("(q-k0)*nb+len("+crow+")"))
	}
	return jen.Id("b").Index(expr("q*N+j0"), expr("q*N+j1")).Index(jen.Empty(), jen.Len(jen.Id(crow)))
}
