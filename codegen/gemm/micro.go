package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
)

// Microkernels. Each computes one register tile of rows x cols (at most
// 4 x panel) over all K: the accumulators start at zero, and every k step
// loads the panel row of packed b, then per row of the tile broadcasts that
// row's a value and multiply-adds it into the row's accumulators. The code
// follows what the assembly showed to be fast (go build -gcflags=-S; the
// assembly test checks the loop has no stack traffic):
//
//   - one k step per iteration: unrolling lets Go's scheduler hoist the
//     next step's loads above this step's FMAs, which then spill;
//   - every load written inline, one per statement: a helper function
//     would keep its own source position and be scheduled first;
//   - a and bp advance as pointers with constant displacements, which
//     fold into the loads' addressing;
//   - the last step is peeled, so no pointer moves past its operand's end;
//   - the epilogue's zero vector is loaded after the loop, not a constant
//     shared with the accumulators' initial value.

// microName names the microkernel of a rows x cols tile.
func microName(kernel string, v isa, rows, cols int) string {
	return fmt.Sprintf("%s_%s_k%dx%d", kernel, v.name, rows, cols)
}

// microExterns reports whether the microkernels read the epilogue's extra
// operands (when a vector op uses one).
func (p Product) microExterns() bool {
	for _, op := range p.Epi.Ops[:p.Epi.vec()] {
		for _, a := range op.Args {
			if a != ChainArg {
				return true
			}
		}
	}
	return false
}

// microParams are a microkernel's parameters: a at the tile's first row,
// the packed panel, c at the tile's corner, and for the epilogue the bias
// at the tile's first column and each extra operand at the tile's corner.
func (p Product) microParams() []jen.Code {
	names := []jen.Code{jen.Id("a"), jen.Id("bp"), jen.Id("c")}
	if p.Epi.Bias {
		names = append(names, jen.Id("bias"))
	}
	if p.microExterns() {
		for i := range p.Epi.Extra {
			names = append(names, jen.Id(fmt.Sprintf("x%d", i)))
		}
	}
	return []jen.Code{jen.List(names...).Qual("unsafe", "Pointer")}
}

// microDecl declares the microkernel of a rows x cols tile over the
// packed panel.
func (p Product) microDecl(kernel string, v isa, rows, cols int) jen.Code {
	return p.microKernel(kernel, v, rows, cols, bWalk{step: v.panel() * 4, tail: 1},
		fmt.Sprintf("K=%d steps over the packed panel bp, a read in place", p.K))
}

// bWalk is how a microkernel walks op(b): bp advances step bytes per k
// step, and the last tail steps are peeled; when partial, those steps load
// the tile's last, partial vector through kernels.LoadPart (the loop's
// steps load it whole, lanes past the tile's edge included, which end in
// lanes that are never stored).
type bWalk struct {
	step, tail int
	partial    bool
}

// microKernel declares the microkernel of a rows x cols tile walking b as
// w says; about says where b comes from, for its comment.
func (p Product) microKernel(kernel string, v isa, rows, cols int, w bWalk, about string) jen.Code {
	ar, ak := p.aStrides()
	nvec := (cols + v.lanes - 1) / v.lanes
	acc := func(r, q int) string { return fmt.Sprintf("c%d_%d", r, q) }
	var body []jen.Code
	for r := range rows {
		names := make([]jen.Code, nvec)
		for q := range nvec {
			names[q] = jen.Id(acc(r, q))
		}
		body = append(body, jen.Var().List(names...).Add(simd(v.vec)))
	}
	loadB := func(q int, partial bool) jen.Code {
		var load jen.Code = v.load("bp", q*v.vecBytes())
		if width := min(v.lanes, cols-q*v.lanes); partial && width < v.lanes {
			load = v.loadPart("bp", q*v.vecBytes(), width)
		}
		return jen.Id(fmt.Sprintf("b%d", q)).Op(":=").Add(load)
	}
	broadcastA := func(r int) jen.Code {
		return jen.Id(fmt.Sprintf("a%d", r)).Op(":=").Add(simd("Broadcast" + v.vec)).Call(
			jen.Op("*").Parens(jen.Op("*").Float32()).Call(ptrAdd("a", jen.Lit(r*ar*4))))
	}
	fma := func(r, q int) jen.Code {
		return jen.Id(acc(r, q)).Op("=").Id(fmt.Sprintf("a%d", r)).Dot("MulAdd").Call(jen.Id(fmt.Sprintf("b%d", q)), jen.Id(acc(r, q)))
	}
	step := func(partial bool) []jen.Code {
		var s []jen.Code
		for q := range nvec {
			s = append(s, loadB(q, partial))
		}
		for r := range rows {
			s = append(s, broadcastA(r))
			for q := range nvec {
				s = append(s, fma(r, q))
			}
		}
		return s
	}
	advance := []jen.Code{
		jen.Id("a").Op("=").Add(ptrAdd("a", jen.Lit(ak*4))),
		jen.Id("bp").Op("=").Add(ptrAdd("bp", jen.Lit(w.step))),
	}
	tail := min(w.tail, p.K)
	if loops := p.K - tail; loops > 0 {
		body = append(body, jen.For(jen.Id("n").Op(":=").Lit(loops), jen.Id("n").Op(">").Lit(0), jen.Id("n").Op("--")).Block(append(step(false), advance...)...))
	}
	for t := range tail {
		block := step(w.partial)
		if t < tail-1 {
			block = append(block, advance...)
		}
		comment := "the last k step, peeled: a and bp stay within their operands"
		if tail > 1 {
			comment = fmt.Sprintf("k step %d of the last %d, peeled: partial loads stay within b", t+1, tail)
		}
		body = append(body, jen.Block(block...).Comment(comment))
	}
	body = append(body, p.microEpilogue(v, rows, cols, nvec, acc)...)
	return emit.Doc("%s computes the %dx%d tile at c of %s: %s.",
		microName(kernel, v, rows, cols), rows, cols, kernel, about).
		Func().Id(microName(kernel, v, rows, cols)).Params(p.microParams()...).Block(body...)
}

// microEpilogue adds the bias, applies the vector ops and stores each
// accumulator; a last vector narrower than the lanes goes through a
// partial store.
func (p Product) microEpilogue(v isa, rows, cols, nvec int, acc func(r, q int) string) []jen.Code {
	var out []jen.Code
	width := func(q int) int { return min(v.lanes, cols-q*v.lanes) }
	needZero := false
	for _, op := range p.Epi.Ops[:p.Epi.vec()] {
		needZero = needZero || op.Node.Op == "relu" || op.Node.Op == "relu_grad"
	}
	if needZero {
		out = append(out, jen.Id("zero").Op(":=").Add(v.zero()))
	}
	if p.Epi.Bias {
		for q := range nvec {
			out = append(out, jen.Id(fmt.Sprintf("bias%d", q)).Op(":=").Add(v.loadVec("bias", q*v.vecBytes(), width(q))))
		}
	}
	ldc := p.N * 4
	for r := range rows {
		for q := range nvec {
			off := r*ldc + q*v.vecBytes()
			val := acc(r, q)
			if p.Epi.Bias {
				out = append(out, jen.Id(val).Op("=").Id(val).Dot("Add").Call(jen.Id(fmt.Sprintf("bias%d", q))))
			}
			for i, op := range p.Epi.Ops[:p.Epi.vec()] {
				out = append(out, vectorOp(v, op, fmt.Sprintf("%s_%d", val, i), val, off, width(q))...)
			}
			out = append(out, v.storeVec(jen.Id(val), "c", off, width(q)))
		}
	}
	return out
}

// vectorOp applies one tail op to the accumulator val in registers, loading
// extra operands at offset off of their tile into locals named after tmp;
// the results equal the op's Go formula lane by lane.
func vectorOp(v isa, op TailOp, tmp, val string, off, w int) []jen.Code {
	var out []jen.Code
	operands := make([]jen.Code, len(op.Args))
	for k, a := range op.Args {
		if a == ChainArg {
			operands[k] = jen.Id(val)
			continue
		}
		x := fmt.Sprintf("%s_x%d", tmp, k)
		out = append(out, jen.Id(x).Op(":=").Add(v.loadVec(fmt.Sprintf("x%d", a), off, w)))
		operands[k] = jen.Id(x)
	}
	var value jen.Code
	switch op.Node.Op {
	case "relu": // x < 0 ? 0 : x, which keeps a NaN
		value = jen.Id("zero").Dot("Merge").Call(operands[0], jen.Add(operands[0]).Dot("Less").Call(jen.Id("zero")))
	case "relu_grad": // x0 > 0 ? x1 : 0
		value = jen.Add(operands[1]).Dot("Masked").Call(jen.Add(operands[0]).Dot("Greater").Call(jen.Id("zero")))
	case "add":
		value = jen.Add(operands[0]).Dot("Add").Call(operands[1])
	case "mul":
		value = jen.Add(operands[0]).Dot("Mul").Call(operands[1])
	}
	return append(out, jen.Id(val).Op("=").Add(value))
}
