package gemm

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/emit"
	"github.com/dlc-dev/dlc/ir"
)

// Float32 ops with a runtime/kernels form (ops.Def.Kernel: gelu, tanh,
// sigmoid and their gradients) run over slices, so that the kernels'
// vector forms do the work. A fused chain or epilogue holding one applies
// its ops one after another to a segment of elements (a block of a
// chain, a row of a product's tile, a channel of a convolution's sample),
// each op through its kernel or a loop of its Go formula, instead of all
// ops element by element. Every op's result is a float32 either way, so
// the bits are those of the element-by-element loop with the same forms,
// and a fused kernel gives the unfused kernels' bits.

// chainBlock is how many elements a fused chain's segment holds: its
// running values stay in a stack array of this size, in L1.
const chainBlock = 256

// Segmented reports whether a tail runs segment by segment: a float32
// tail with an op that has a kernel.
func Segmented(dtype ir.DType, tail []TailOp) bool {
	for _, op := range tail {
		if emit.KernelOp(dtype, op.Node.Op) != "" {
			return true
		}
	}
	return false
}

// segmentOps applies tail to a segment: the running value is the slice
// named run (read by an op's chain operand, written by every op but the
// last, which writes the slice named last), external operand k the slice
// named ext(k). All are the segment's length.
func segmentOps(dtype ir.DType, tail []TailOp, run, last string, ext func(k int) string) []jen.Code {
	var out []jen.Code
	for i, op := range tail {
		dst := run
		if i == len(tail)-1 {
			dst = last
		}
		names := make([]string, len(op.Args))
		for k, a := range op.Args {
			names[k] = run
			if a != ChainArg {
				names[k] = ext(a)
			}
		}
		if fn := emit.KernelOp(dtype, op.Node.Op); fn != "" {
			out = append(out, jen.Qual(emit.KernelsPath, fn).Call(emit.Ids(append([]string{dst}, names...))...))
			continue
		}
		operands := make([]jen.Code, len(names))
		for k, name := range names {
			operands[k] = jen.Id(name).Index(jen.Id("e"))
		}
		out = append(out, jen.For(jen.Id("e").Op(":=").Range().Id(dst)).Block(
			emit.Formula(op.Node, jen.Id(dst).Index(jen.Id("e")), operands)))
	}
	return out
}

// segmentSlices declares s<k> := x<k>[lo:hi] for each external operand
// the ops read, and returns the names' function for segmentOps.
func segmentSlices(tail []TailOp, lo, hi jen.Code) ([]jen.Code, func(k int) string) {
	seen := map[int]bool{}
	var decls []jen.Code
	for _, op := range tail {
		for _, a := range op.Args {
			if a != ChainArg && !seen[a] {
				seen[a] = true
				decls = append(decls, jen.Id(fmt.Sprintf("s%d", a)).Op(":=").Id(fmt.Sprintf("x%d", a)).Index(lo, hi))
			}
		}
	}
	return decls, func(k int) string { return fmt.Sprintf("s%d", k) }
}

// addBias is `for e := range v { v[e] = v[e] + b }`, b an expression of e:
// the bias as the element-by-element epilogues add it.
func addBias(v string, b jen.Code) jen.Code {
	return jen.For(jen.Id("e").Op(":=").Range().Id(v)).Block(
		jen.Id(v).Index(jen.Id("e")).Op("=").Id(v).Index(jen.Id("e")).Op("+").Add(b))
}

// SegmentedChainLoop is a fused chain's loop over blocks of chainBlock
// elements of y: the ops but the last write a stack block, the last y's
// block, so y may share its buffer with an operand.
func SegmentedChainLoop(dtype ir.DType, tail []TailOp) []jen.Code {
	lo, hi := jen.Id("lo"), jen.Id("hi")
	decls, ext := segmentSlices(tail, lo, hi)
	block := append([]jen.Code{
		jen.Id("hi").Op(":=").Min(emit.Expr("lo+block"), jen.Id("n")),
		jen.Id("v").Op(",").Id("yb").Op(":=").List(jen.Id("t").Index(jen.Empty(), emit.Expr("hi-lo")), jen.Id("y").Index(lo, hi)),
	}, decls...)
	block = append(block, segmentOps(dtype, tail, "v", "yb", ext)...)
	return []jen.Code{
		jen.Const().Id("block").Op("=").Lit(chainBlock),
		jen.Var().Id("t").Index(jen.Id("block")).Id("Float").Comment("the running values of a block"),
		jen.For(jen.Id("lo").Op(":=").Lit(0), jen.Id("lo").Op("<").Id("n"), jen.Id("lo").Op("+=").Id("block")).Block(block...),
	}
}
