package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/gemm"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// Fusion. The fuse pass decides the groups (g.Groups), within the limits
// of the kernels below (FuseLimits), and the memory plan gives their
// interior members no buffer; the code generator emits every group as one
// kernel, and refuses a graph whose groups it cannot (checkGroups). The
// kinds:
//
//   - a matmul epilogue, matmul → [bias_add] → elementwise ops, is one GEMM
//     whose microkernels add the bias and apply the tail to each finished
//     tile (codegen/gemm's epilogue.go);
//   - a convolution epilogue, conv2d → [bias_add] → elementwise ops, is
//     the convolution kernel applying the bias and the tail to each
//     sample's output in place (kernel_conv_gemm.go);
//   - an elementwise chain is one loop computing every member per element;
//   - a poolgrad group, maxpool2d_grad → relu_grad over one ReLU output,
//     is one pass over the pooling windows, in place (fusion_poolgrad.go).
//
// Either way each element goes through the same operations in the same
// order as unfused, so fused and unfused builds agree.

// maxExtra is the most operands an epilogue's tail may read besides the
// running value: kernels.Args carries that many.
const maxExtra = kernels.MaxExtra

// FuseLimits are the limits of the fused kernels, for the fuse pass
// (passes.Options.Fuse): the groups it proposes within them are the groups
// the generator emits.
func FuseLimits() ir.FuseLimits { return ir.FuseLimits{EpilogueOperands: maxExtra} }

// checkGroups refuses a graph with a group the generator has no kernel
// for: one the fuse pass, given FuseLimits, does not propose.
func checkGroups(g *ir.Graph) error {
	for _, gr := range g.Groups {
		if !emittable(gr) {
			ops := make([]string, len(gr.Nodes))
			for i, n := range gr.Nodes {
				ops[i] = n.Op
			}
			return ir.Errorf(gr.Last().Loc, "codegen: no kernel computes the fused %s group %s (%s): run the fuse pass with codegen.FuseLimits",
				gr.Kind, strings.Join(ops, " → "), gr.Last().Label())
		}
	}
	return nil
}

// emittable reports whether one of the fused kernels computes gr.
func emittable(gr *ir.Group) bool {
	if len(gr.Nodes) < 2 || slices.ContainsFunc(gr.Nodes, isDerived) {
		return false
	}
	switch gr.Kind {
	case ir.GroupEpilogue:
		if gr.Nodes[0].Op == "conv2d" {
			_, _, ok := convEpilogueOf(gr)
			return ok
		}
		_, _, ok := epilogueOf(gr)
		return ok
	case ir.GroupElementwise:
		tail, _ := chainOps(gr.Nodes, nil)
		return tail != nil
	case ir.GroupPoolGrad:
		_, ok := poolGradOf(gr)
		return ok
	}
	return false
}

// epilogueOf describes a matmul epilogue group: the product's epilogue and
// the nodes its tail reads besides the running value (kernels.Args.X). ok
// is false for any other group, or one whose tail reads too many.
func epilogueOf(gr *ir.Group) (epi gemm.Epilogue, extern []*ir.Node, ok bool) {
	anchor := gr.Nodes[0]
	if anchor.Op != "matmul" || len(gr.Nodes) < 2 {
		return gemm.Epilogue{}, nil, false
	}
	tail := gr.Nodes[1:]
	if tail[0].Op == "bias_add" {
		// A bias along the last axis is one per column of the product.
		if b := tail[0]; len(b.Shape) < 2 || ops.BiasAxis(b) != len(b.Shape)-1 || b.Inputs[0] != anchor {
			return gemm.Epilogue{}, nil, false
		}
		epi.Bias = true
		tail = tail[1:]
	}
	prev := gr.Nodes[len(gr.Nodes)-len(tail)-1]
	epi.Ops, extern = chainOps(tail, prev)
	if epi.Ops == nil || len(extern) > maxExtra {
		return gemm.Epilogue{}, nil, false
	}
	epi.Extra = len(extern)
	return epi, extern, true
}

// chainOps turns consecutive elementwise nodes into tail ops: an operand
// that is the node before (prev for the first) is the running value, any
// other is an external operand, numbered in order of first use. It returns
// nil ops if a node has no Go formula.
func chainOps(chain []*ir.Node, prev *ir.Node) ([]gemm.TailOp, []*ir.Node) {
	var extern []*ir.Node
	index := map[*ir.Node]int{}
	tail := make([]gemm.TailOp, 0, len(chain))
	for _, n := range chain {
		if !hasFormula(n) {
			return nil, nil
		}
		op := gemm.TailOp{Node: n, Args: make([]int, len(n.Inputs))}
		for k, in := range n.Inputs {
			if in == prev && prev != nil {
				op.Args[k] = gemm.ChainArg
				continue
			}
			i, seen := index[in]
			if !seen {
				i = len(extern)
				index[in] = i
				extern = append(extern, in)
			}
			op.Args[k] = i
		}
		tail = append(tail, op)
		prev = n
	}
	return tail, extern
}

// groupOf returns the fused group n belongs to in either graph, or nil.
func (c *gen) groupOf(n *ir.Node) *ir.Group {
	if gr := c.g.GroupOf[n]; gr != nil || c.inf == nil {
		return gr
	}
	return c.inf.GroupOf[n]
}

// fusedCall returns the statement for a member of a fused group: nothing
// but a note for an interior member, and the group's kernel call for the
// last one, which runs where the last member stands.
func (c *gen) fusedCall(n *ir.Node) (jen.Code, bool) {
	gr := c.groupOf(n)
	if gr == nil {
		return nil, false
	}
	if gr.Last() != n {
		return jen.Comment(fmt.Sprintf("(computed in the fused kernel of %s below)", c.tensorLabel(gr.Last()))), true
	}
	if gr.Kind == ir.GroupEpilogue && gr.Nodes[0].Op == "conv2d" {
		return c.convEpilogueCall(gr), true
	}
	if gr.Kind == ir.GroupEpilogue {
		return c.epilogueCall(gr), true
	}
	if gr.Kind == ir.GroupPoolGrad {
		return c.poolGradCall(gr), true
	}
	return c.chainCall(gr), true
}

// epilogueCall is the call of a fused matmul epilogue's kernel.
func (c *gen) epilogueCall(gr *ir.Group) jen.Code {
	anchor := gr.Nodes[0]
	epi, extern, _ := epilogueOf(gr)
	p := gemm.Matmul(c.g.DType, anchor)
	p.Epi = epi
	args := []jen.Code{c.field(gr.Last()), c.field(anchor.Inputs[0]), c.field(anchor.Inputs[1])}
	if p.Epi.Bias {
		args = append(args, c.field(gr.Nodes[1].Inputs[1]))
	}
	for _, x := range extern {
		args = append(args, c.field(x))
	}
	args = append(args, c.workspaceArg(p)...)
	return jen.Id(c.kernels.use(c.gemmEntry(p))).Call(args...)
}

// chainCall is the call of a fused elementwise chain's kernel.
func (c *gen) chainCall(gr *ir.Group) jen.Code {
	tail, extern := chainOps(gr.Nodes, nil)
	args := []jen.Code{c.field(gr.Last())}
	for _, x := range extern {
		args = append(args, c.field(x))
	}
	return jen.Id(c.kernels.use(c.chainKernel(gr.Last().Shape, tail, len(extern)))).Call(args...)
}

// chainKernel is one loop over the elements computing every op of the
// chain in registers: y[i] = f_n(...f_1(x...)...).
func (c *gen) chainKernel(shape ir.Shape, tail []gemm.TailOp, extra int) kernel {
	size := shape.Size()
	var key, names, what strings.Builder
	fmt.Fprintf(&key, "chain/%s/%s", c.g.DType, shape)
	for i, op := range tail {
		fmt.Fprintf(&key, "/%s", op.Key())
		if i > 0 {
			names.WriteString("_")
			what.WriteString(", then ")
		}
		names.WriteString(camel(op.Node.Op))
		what.WriteString(op.Node.Op)
	}
	return kernel{
		key:  key.String(),
		base: names.String() + "_" + dims(shape),
		decl: func(name string) jen.Code {
			params := []jen.Code{jen.Id("y")}
			body := []jen.Code{jen.Const().Id("n").Op("=").Lit(size), reslice("y", jen.Id("n"))}
			for i := range extra {
				x := fmt.Sprintf("x%d", i)
				params = append(params, jen.Id(x))
				body = append(body, reslice(x, jen.Id("n")))
			}
			if gemm.Segmented(c.g.DType, tail) {
				body = append(body, gemm.SegmentedChainLoop(c.g.DType, tail)...)
			} else {
				loop := gemm.ElementChain(tail, "v", func(k int) jen.Code { return jen.Id(fmt.Sprintf("x%d", k)).Index(jen.Id("i")) })
				loop = append(loop, jen.Id("y").Index(jen.Id("i")).Op("=").Id(fmt.Sprintf("v%d", len(tail))))
				body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("y")).Block(loop...))
			}
			return doc("%s computes %s over %d elements in one loop (a fused elementwise chain).", name, what.String(), size).
				Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body...)
		},
	}
}
