package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// Attention and embedding kernels call the runtime's implementations
// (runtime/kernels/attention*.go, embedding.go) with the shapes as
// constants. A float32 model's attention runs the blocked vector kernels
// on (sample, head) pairs, shared between two goroutines by kernels.Run2,
// with their scratch (linear in T) in the model's workspace; a float64
// model's runs the row-at-a-time reference order with a row's T
// probabilities on the stack. Neither keeps the batch × heads × T × T
// matrix.

// attnShape is the runtime's description of attention node n, whose
// operand 0 is qkv [B, T, 3C].
func attnShape(n *ir.Node) jen.Code {
	s := n.Inputs[0].Shape
	heads := n.Attrs.Int("heads", 1)
	return jen.Qual(kernelsPath, "AttnShape").Values(jen.Dict{
		jen.Id("B"):      jen.Lit(s[0]),
		jen.Id("T"):      jen.Lit(s[1]),
		jen.Id("H"):      jen.Lit(heads),
		jen.Id("D"):      jen.Lit(s[2] / 3 / heads),
		jen.Id("Causal"): jen.Lit(n.Attrs.Bool("causal")),
	})
}

// maskParam is the mask parameter of an attention kernel with a mask
// operand at index i, and the argument the runtime call gets for it.
func maskParam(n *ir.Node, i int) ([]jen.Code, jen.Code) {
	if len(n.Inputs) > i {
		return []jen.Code{jen.Id("mask")}, jen.Id("mask")
	}
	return nil, jen.Nil()
}

func attentionKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	if c.g.DType == ir.F32 {
		return attentionPairsKernel(c, n)
	}
	s := n.Inputs[0].Shape
	heads := n.Attrs.Int("heads", 1)
	mask, maskArg := maskParam(n, 1)
	return kernel{
		key:  c.kernelKey(n),
		base: "attention_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s is %d-head attention (causal: %v) of qkv%s, one query row at a time.", name, heads, n.Attrs.Bool("causal"), s).
				Func().Id(name).Params(jen.List(append([]jen.Code{jen.Id("y"), jen.Id("qkv")}, mask...)...).Add(floats())).Block(
				jen.Var().Id("p").Index(jen.Lit(s[1])).Float64().Comment("one row's probabilities"),
				jen.Var().Id("acc").Index(jen.Lit(s[2]/3/heads)).Float64(),
				jen.Qual(kernelsPath, "Attention").Call(attnShape(n), jen.Id("y"), jen.Id("qkv"), maskArg, jen.Id("p").Index(jen.Empty(), jen.Empty()), jen.Id("acc").Index(jen.Empty(), jen.Empty())),
			)
		},
	}, nil
}

func attentionGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	if c.g.DType == ir.F32 {
		return attentionPairsKernel(c, n)
	}
	s := n.Inputs[0].Shape
	mask, maskArg := maskParam(n, 2)
	return kernel{
		key:  c.kernelKey(n),
		base: "attentionGrad_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s is the gradient of attention with respect to qkv%s, recomputing each row's probabilities.", name, s).
				Func().Id(name).Params(jen.List(append([]jen.Code{jen.Id("dqkv"), jen.Id("qkv"), jen.Id("dy")}, mask...)...).Add(floats())).Block(
				jen.Var().List(jen.Id("p"), jen.Id("dp")).Index(jen.Lit(s[1])).Float64().Comment("one row's probabilities and their gradients"),
				jen.Qual(kernelsPath, "AttentionGrad").Call(attnShape(n), jen.Id("dqkv"), jen.Id("qkv"), jen.Id("dy"), maskArg, jen.Id("p").Index(jen.Empty(), jen.Empty()), jen.Id("dp").Index(jen.Empty(), jen.Empty())),
			)
		},
	}, nil
}

// attnPairs is how a float32 attention op's kernel calls the runtime: the
// function, the kernel's buffer parameters (output first) and where each
// goes in kernels.Args.
var attnPairs = map[string]struct {
	call   string
	params []string
	args   []string
}{
	"attention":      {"Attention32", []string{"y", "qkv", "mask"}, []string{"C", "A", "B"}},
	"attention_grad": {"AttentionGrad32", []string{"dqkv", "qkv", "dy", "mask"}, []string{"C", "A", "B", "X[0]"}},
}

// attnWorkspace is the workspace float32 attention node n needs: the
// scratch of each of two goroutines.
func attnWorkspace(dtype ir.DType, n *ir.Node) int {
	if _, ok := attnPairs[n.Op]; !ok || dtype != ir.F32 {
		return 0
	}
	return 2 * kernels.AttnScratch(attnShapeOf(n))
}

func attnShapeOf(n *ir.Node) kernels.AttnShape {
	s := n.Inputs[0].Shape
	heads := n.Attrs.Int("heads", 1)
	return kernels.AttnShape{B: s[0], T: s[1], H: heads, D: s[2] / 3 / heads, Causal: n.Attrs.Bool("causal")}
}

// attentionPairsKernel is float32 attention or its gradient: an entry that
// hands the (sample, head) pairs to kernels.Run2, a sample's heads a
// chunk, and the part that computes a range of pairs.
func attentionPairsKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	how := attnPairs[n.Op]
	s, shape := n.Inputs[0].Shape, attnShapeOf(n)
	params := how.params[:len(n.Inputs)+1]
	fields := jen.Dict{}
	var xs []jen.Code
	for i, p := range params {
		if how.args[i] == "X[0]" {
			xs = append(xs, jen.Id(p))
			continue
		}
		fields[jen.Id(how.args[i])] = jen.Id(p)
	}
	if xs != nil {
		fields[jen.Id("X")] = jen.Index(jen.Qual(kernelsPath, "MaxExtra")).Index().Id("Float").Values(xs...)
	}
	partArgs := []jen.Code{attnShape(n)}
	for _, a := range how.args {
		partArgs = append(partArgs, jen.Id("x").Dot(a))
	}
	if len(params) < len(how.params) {
		partArgs[len(partArgs)-1] = jen.Nil() // no mask
	}
	partArgs = append(partArgs, jen.Id("ws"), jen.Id("i0"), jen.Id("i1"))
	scratch := kernels.AttnScratch(shape)
	what := fmt.Sprintf("%d-head attention (causal: %v) of qkv%s", shape.H, shape.Causal, s)
	if n.Op == "attention_grad" {
		what = fmt.Sprintf("the gradient of %s, recomputing each block of rows' probabilities", what)
	}
	return kernel{
		key:  c.kernelKey(n),
		base: camel(n.Op) + "_" + dims(s),
		decl: func(name string) jen.Code {
			part := name + "_pairs"
			return doc("%s is %s. Unless kernels.Threads() is 1 it runs on two goroutines, which take the %d heads of a sample in turn; the result is the same either way. ws holds each goroutine's scratch, %d floats.", name, what, shape.H, scratch).
				Func().Id(name).Params(jen.List(append(idents(params), jen.Id("ws"))...).Add(floats())).Block(
				jen.Qual(kernelsPath, "Run2").Call(jen.Id(part), jen.Qual(kernelsPath, "Args").Index(jen.Id("Float")).Values(fields), jen.Id("ws"),
					jen.Qual(kernelsPath, "Split").Values(jen.Dict{
						jen.Id("Rows"): jen.Lit(shape.B * shape.H), jen.Id("Cols"): jen.Lit(1), jen.Id("Chunk"): jen.Lit(shape.H), jen.Id("Scratch"): jen.Lit(scratch),
					})),
			).Line().Line().
				Add(doc("%s computes the (sample, head) pairs [i0, i1) of %s, pair b·%d + h.", part, name, shape.H)).
				Func().Id(part).Params(jen.Id("x").Qual(kernelsPath, "Args").Index(jen.Id("Float")), jen.Id("ws").Add(floats()), jen.List(jen.Id("i0"), jen.Id("i1"), jen.Id("_"), jen.Id("_")).Int()).Block(
				jen.Qual(kernelsPath, how.call).Call(partArgs...),
			)
		},
	}, []jen.Code{jen.Id("m").Dot(panelsField)}
}

func idents(names []string) []jen.Code {
	ids := make([]jen.Code, len(names))
	for i, s := range names {
		ids[i] = jen.Id(s)
	}
	return ids
}

func embeddingKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "embedding_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s adds each token's row of tok to its position's row of pos, giving %s.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("ids"), jen.Id("tok"), jen.Id("pos")).Add(floats())).Block(
				jen.Qual(kernelsPath, "Embedding").Call(jen.Id("y"), jen.Id("ids").Index(jen.Empty(), jen.Lit(s[0]*s[1])), jen.Id("tok"), jen.Id("pos"), jen.Lit(s[1]), jen.Lit(s[2])),
			)
		},
	}, nil
}

func embeddingGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	ids := n.Inputs[0].Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "embeddingGrad_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s scatter-adds the rows of dy into the rows of their tokens, %s, in order of position.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("dtok"), jen.Id("ids"), jen.Id("dy")).Add(floats())).Block(
				jen.Qual(kernelsPath, "EmbeddingGrad").Call(jen.Id("dtok").Index(jen.Empty(), jen.Lit(s.Size())), jen.Id("ids").Index(jen.Empty(), jen.Lit(ids.Size())), jen.Id("dy"), jen.Lit(s[1])),
			)
		},
	}, nil
}

func positionGradKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s, dy := n.Shape, n.Inputs[0].Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "positionGrad_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s sums dy%s over the batch into the position table's gradient %s.", name, dy, s).
				Func().Id(name).Params(jen.List(jen.Id("dpos"), jen.Id("dy")).Add(floats())).Block(
				jen.Qual(kernelsPath, "PositionGrad").Call(jen.Id("dpos").Index(jen.Empty(), jen.Lit(s.Size())), jen.Id("dy").Index(jen.Empty(), jen.Lit(dy.Size())), jen.Lit(dy[1]), jen.Lit(dy[2])),
			)
		},
	}, nil
}
