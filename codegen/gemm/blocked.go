package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// The scalar matmul is cache-blocked portable code: for each block of nb
// columns of c and kb rows of op(b), it walks c four rows at a time, keeps
// the four a values of one k in registers and streams one contiguous row of
// the b block through all four rows of c (i-k-j order). When b is
// transposed its rows are not contiguous, so each block is first packed,
// transposed, into a panel on the stack. Every c element still sums its k
// terms in increasing order, as the reference does.
//
// It is the whole of a float64 product and the fallback of a float32 one
// (see gemm.go), over any range of rows and columns so that a call
// can be split.

const (
	matmulRows  = 4    // rows of c updated together (a values held in registers)
	matmulNB    = 128  // columns of c per block
	matmulKB    = 256  // rows of b per block when b is read in place
	matmulPanel = 8192 // elements of the packed panel when b is transposed
)

// matmulDims returns M, K, N of c[M,N] = op(a)[M,K] · op(b)[K,N].
func matmulDims(n *ir.Node) (m, k, nn int) {
	rows, cols := ops.MatrixOf(n.Inputs[0].Shape)
	k = cols
	if n.Attrs.Bool("ta") {
		k = rows
	}
	m, nn = ops.MatrixOf(n.Shape)
	return m, k, nn
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

func newMatmulPlan(m, k, n int, ta, tb bool) matmulPlan {
	p := matmulPlan{m: m, k: k, n: n, ta: ta, tb: tb}
	p.nb = min(n, matmulNB)
	p.kb = min(k, matmulKB)
	if tb {
		p.kb = min(k, max(1, matmulPanel/p.nb))
	}
	return p
}

// consts declares the shape and the block sizes.
func (p matmulPlan) consts() []jen.Code {
	return []jen.Code{
		jen.Const().List(jen.Id("M"), jen.Id("K"), jen.Id("N")).Op("=").List(jen.Lit(p.m), jen.Lit(p.k), jen.Lit(p.n)),
		jen.Const().List(jen.Id("kb"), jen.Id("nb")).Op("=").List(jen.Lit(p.kb), jen.Lit(p.nb)).
			Comment("block of b: rows, columns"),
	}
}

// rangeBody computes rows [i0,i1) and columns [j0,j1) of c from a and b
// (slices of the whole operands), under the constants of consts; after
// each block of columns is complete, it runs the statements after(jb, je),
// if any.
func (p matmulPlan) rangeBody(after func(jb, je jen.Code) []jen.Code) []jen.Code {
	var body []jen.Code
	if p.tb {
		body = append(body, jen.Var().Id("panel").Index(emit.Expr("kb*nb")).Id("Float").
			Comment("the current block of b, transposed to rows of nb"))
	}
	block := []jen.Code{
		jen.Id("je").Op(":=").Min(emit.Expr("jb+nb"), jen.Id("j1")),
		jen.For(jen.Id("i").Op(":=").Id("i0"), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(
			jen.Clear(jen.Id("c").Index(emit.Expr("i*N+jb"), emit.Expr("i*N+je"))),
		),
		jen.For(jen.Id("k0").Op(":=").Lit(0), jen.Id("k0").Op("<").Id("K"), jen.Id("k0").Op("+=").Id("kb")).Block(
			p.blockBody()...,
		),
	}
	if after != nil {
		block = append(block, after(jen.Id("jb"), jen.Id("je"))...)
	}
	return append(body, jen.For(jen.Id("jb").Op(":=").Id("j0"), jen.Id("jb").Op("<").Id("j1"), jen.Id("jb").Op("+=").Id("nb")).Block(block...))
}

// blockBody is the work for one (jb, k0) block: pack it if b is transposed,
// then four rows of c at a time, then the leftover rows one by one.
func (p matmulPlan) blockBody() []jen.Code {
	body := []jen.Code{jen.Id("k1").Op(":=").Min(emit.Expr("k0+kb"), jen.Id("K"))}
	if p.tb {
		body = append(body, jen.For(jen.Id("j").Op(":=").Id("jb"), jen.Id("j").Op("<").Id("je"), jen.Id("j").Op("++")).Block(
			jen.Id("src").Op(":=").Id("b").Index(emit.Expr("j*K+k0"), emit.Expr("j*K+k1")),
			jen.For(jen.List(jen.Id("q"), jen.Id("v")).Op(":=").Range().Id("src")).Block(
				jen.Id("panel").Index(emit.Expr("q*nb+j-jb")).Op("=").Id("v"),
			),
		))
	}
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
		slice := jen.Id("c").Index(emit.Expr(row+"*N+jb"), emit.Expr(row+"*N+je"))
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
	body = append(body,
		jen.Id("i").Op(":=").Id("i0"),
		jen.For(jen.Empty(), emit.Expr("i+4 <= i1"), jen.Id("i").Op("+=").Lit(matmulRows)).Block(rows...),
		jen.Comment("The rows left over from the blocks of four."),
		jen.For(jen.Empty(), jen.Id("i").Op("<").Id("i1"), jen.Id("i").Op("++")).Block(
			jen.Id("ci").Op(":=").Id("c").Index(emit.Expr("i*N+jb"), emit.Expr("i*N+je")),
			jen.For(jen.Id("q").Op(":=").Id("k0"), jen.Id("q").Op("<").Id("k1"), jen.Id("q").Op("++")).Block(
				jen.Id("ai").Op(":=").Add(p.aAt("i")),
				jen.Id("bq").Op(":=").Add(p.bRow("ci")),
				jen.For(jen.List(jen.Id("j"), jen.Id("bv")).Op(":=").Range().Id("bq")).Block(
					jen.Id("ci").Index(jen.Id("j")).Op("+=").Id("ai").Op("*").Id("bv"),
				),
			),
		),
	)
	return body
}

// aAt is op(a)[row, q].
func (p matmulPlan) aAt(row string) jen.Code {
	if p.ta {
		return jen.Id("a").Index(emit.Expr("q*M+" + row))
	}
	return jen.Id("a").Index(emit.Expr(row + "*K+q"))
}

// bRow is row q of the current block of op(b), as long as the c row crow.
func (p matmulPlan) bRow(crow string) jen.Code {
	if p.tb {
		return jen.Id("panel").Index(emit.Expr("(q-k0)*nb"), emit.Expr("(q-k0)*nb+len("+crow+")"))
	}
	return jen.Id("b").Index(emit.Expr("q*N+jb"), emit.Expr("q*N+je")).Index(jen.Empty(), jen.Len(jen.Id(crow)))
}
