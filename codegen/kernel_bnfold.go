package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// Kernels of batch norm folded into the linear op before it (the foldbn
// pass). They run in the prepare step, not per batch. The scale
// gamma/√(var + eps) is computed in float64 whatever the element type, as
// the reference in ops computes it.

// foldScale is the Go text of channel c's scale.
func (c *gen) foldScale() jen.Code {
	inv := jen.Lit(1).Op("/").Qual("math", "Sqrt").Call(c.wide(jen.Id("variance").Index(jen.Id("c"))).Op("+").Id("eps"))
	return c.wide(jen.Id("gamma").Index(jen.Id("c"))).Op("*").Parens(inv)
}

// bnFoldWeightKernel: w' = w·s[c], c the index along the weights' output
// axis.
func bnFoldWeightKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	s := n.Shape
	axis := n.Attrs.Int("axis", 0)
	outer, ch, inner := s[:axis].Size(), s[axis], s[axis+1:].Size()
	eps := n.Attrs.Float("eps", 0)
	return kernel{
		key:  c.kernelKey(n),
		base: "bnFoldWeight_" + dims(s),
		decl: func(name string) jen.Code {
			return doc("%s scales the weights w%s along axis %d by gamma/√(variance + %g), folding a batch norm into the layer.", name, s, axis, eps).
				Func().Id(name).Params(jen.List(jen.Id("wf"), jen.Id("w"), jen.Id("gamma"), jen.Id("variance")).Add(floats())).Block(
				jen.Const().Id("outer").Op(",").Id("channels").Op(",").Id("inner").Op("=").List(jen.Lit(outer), jen.Lit(ch), jen.Lit(inner)),
				jen.Const().Id("eps").Op("=").Lit(eps),
				reslice("wf", expr("outer*channels*inner")),
				reslice("w", expr("outer*channels*inner")),
				reslice("gamma", jen.Id("channels")),
				reslice("variance", jen.Id("channels")),
				jen.For(jen.Id("o").Op(":=").Range().Id("outer")).Block(
					jen.For(jen.Id("c").Op(":=").Range().Id("channels")).Block(
						jen.Id("s").Op(":=").Add(c.foldScale()),
						jen.Id("off").Op(":=").Add(expr("(o*channels + c) * inner")),
						jen.For(jen.Id("i").Op(":=").Id("off"), jen.Id("i").Op("<").Id("off").Op("+").Id("inner"), jen.Id("i").Op("++")).Block(
							jen.Id("wf").Index(jen.Id("i")).Op("=").Add(expr(c.narrowText(c.wideText("w[i]")+" * s"))),
						),
					),
				),
			)
		},
	}, nil
}

// bnFoldBiasKernel: b' = (b − mean)·s + beta, with b zero when the layer
// has none.
func bnFoldBiasKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	ch := n.Shape[0]
	eps := n.Attrs.Float("eps", 0)
	hasBias := len(n.Inputs) == 5
	params := []jen.Code{jen.Id("bf"), jen.Id("gamma"), jen.Id("beta"), jen.Id("mean"), jen.Id("variance")}
	bias := jen.Id("b").Op(":=").Lit(0.0)
	if hasBias {
		params = append(params, jen.Id("b"))
		bias = jen.Id("b").Op(":=").Add(c.wide(jen.Id("b").Index(jen.Id("c"))))
	}
	body := []jen.Code{
		jen.Const().Id("channels").Op("=").Lit(ch),
		jen.Const().Id("eps").Op("=").Lit(eps),
	}
	for _, p := range []string{"bf", "gamma", "beta", "mean", "variance"} {
		body = append(body, reslice(p, jen.Id("channels")))
	}
	if hasBias {
		body = append(body, reslice("b", jen.Id("channels")))
	}
	body = append(body, jen.For(jen.Id("c").Op(":=").Range().Id("channels")).Block(
		jen.Id("s").Op(":=").Add(c.foldScale()),
		bias,
		jen.Id("bf").Index(jen.Id("c")).Op("=").Add(expr(c.narrowText("(b-"+c.wideText("mean[c]")+")*s + "+c.wideText("beta[c]")))),
	))
	return kernel{
		key:  c.kernelKey(n),
		base: "bnFoldBias_" + dims(n.Shape),
		decl: func(name string) jen.Code {
			return doc("%s folds a batch norm (eps %g) into the bias of the layer before it: (b − mean)·gamma/√(variance + eps) + beta per channel.", name, eps).
				Func().Id(name).Params(jen.List(params...).Add(floats())).Block(body...)
		},
	}, nil
}
