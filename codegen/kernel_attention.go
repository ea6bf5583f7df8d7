package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Attention and embedding kernels call the runtime's row-at-a-time
// implementations (runtime/kernels/attention.go, embedding.go) with the
// shapes as constants and their scratch on the stack: a row's T
// probabilities, never the batch × heads × T × T matrix.

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
