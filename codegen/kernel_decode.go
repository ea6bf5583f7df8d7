package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// The decode graph's own kernels call the runtime's
// (runtime/kernels/decode.go) with the decode step's position, the
// decoder's pos, as their last argument.

func decodePosition() jen.Code { return jen.Id("m").Dot("pos") }

func embeddingAtKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	return kernel{
		key:  c.kernelKey(n),
		base: "embeddingAt_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s sets y to the token's row of tok plus position t's row of pos, %s.", name, s).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("ids"), jen.Id("tok"), jen.Id("pos")).Add(floats()), jen.Id("t").Int()).Block(
				jen.Qual(kernelsPath, "EmbeddingAt").Call(jen.Id("y"), jen.Id("ids").Index(jen.Lit(0)), jen.Id("tok"), jen.Id("pos"), jen.Id("t")),
			)
		},
	}, []jen.Code{decodePosition()}
}

func attentionCachedKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Inputs[1].Shape // the cache: [context, width]
	heads := n.Attrs.Int("heads", 1)
	D := s[1] / heads
	return kernel{
		key:  c.kernelKey(n),
		base: "attentionCached_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s is %d-head causal attention of position t over the positions before it, whose keys and values are in the caches %s; it adds t's first.", name, heads, s).
				Func().Id(name).Params(jen.List(jen.Id("y"), jen.Id("qkv"), jen.Id("k"), jen.Id("v")).Add(floats()), jen.Id("t").Int()).Block(
				jen.Var().Id("p").Index(jen.Lit(s[0])).Float64().Comment("the probabilities over the positions"),
				jen.Var().Id("acc").Index(jen.Lit(D)).Float64(),
				jen.Qual(kernelsPath, "AttentionCached").Call(jen.Lit(heads), jen.Id("t"), jen.Id("y"), jen.Id("qkv"), jen.Id("k"), jen.Id("v"),
					jen.Id("p").Index(jen.Empty(), jen.Empty()), jen.Id("acc").Index(jen.Empty(), jen.Empty())),
			)
		},
	}, []jen.Code{decodePosition()}
}
