package ops

import (
	"math"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
)

// gelu(x): x·Φ(x), Φ the standard normal distribution function, in its
// exact erf form (PyTorch's default, not the tanh approximation):
// 0.5·x·(1 + erf(x/√2)), computed in float64; float32 models call
// kernels.Gelu and kernels.GeluGrad (Kernel), within a few float32 ulps.
//
// gelu_grad(x, dy): dy·(Φ(x) + x·φ(x)), φ the standard normal density
// e^(−x²/2)/√(2π).
func init() {
	registerElementwise(&Def{
		Name:   "gelu",
		Kernel: "Gelu",
		Arity:  1,
		Scalar: func(_ *ir.Node, x []float64) float64 { return 0.5 * x[0] * (1 + math.Erf(x[0]/math.Sqrt2)) },
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			v := jen.Float64().Call(x[0])
			return jen.Add(dst).Op("=").Id("Float").Call(
				jen.Lit(0.5).Op("*").Add(v).Op("*").Parens(jen.Lit(1).Op("+").Qual("math", "Erf").Call(
					jen.Float64().Call(x[0]).Op("/").Qual("math", "Sqrt2"))))
		},
		Grad: func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error) {
			return []*ir.Node{must(b.Op("gelu_grad", nil, n.Inputs[0], dy))}, nil
		},
	})
	registerElementwise(&Def{
		Name:   "gelu_grad",
		Kernel: "GeluGrad",
		Arity:  2,
		Scalar: func(_ *ir.Node, x []float64) float64 {
			cdf := 0.5 * (1 + math.Erf(x[0]/math.Sqrt2))
			pdf := math.Exp(-0.5*x[0]*x[0]) / math.Sqrt(2*math.Pi)
			return x[1] * (cdf + x[0]*pdf)
		},
		Emit: func(_ *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
			v := func() *jen.Statement { return jen.Float64().Call(x[0]) }
			cdf := jen.Lit(0.5).Op("*").Parens(jen.Lit(1).Op("+").Qual("math", "Erf").Call(v().Op("/").Qual("math", "Sqrt2")))
			pdf := jen.Qual("math", "Exp").Call(jen.Lit(-0.5).Op("*").Add(v()).Op("*").Add(v())).
				Op("/").Qual("math", "Sqrt").Call(jen.Lit(2).Op("*").Qual("math", "Pi"))
			return jen.Add(dst).Op("=").Id("Float").Call(
				jen.Float64().Call(x[1]).Op("*").Parens(jen.Add(cdf).Op("+").Add(v()).Op("*").Add(pdf)))
		},
	})
}
