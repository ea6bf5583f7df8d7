package ops

import (
	"math"

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
		Go:     "y = Float(0.5 * float64(x0) * (1 + math.Erf(float64(x0)/math.Sqrt2)))",
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
		// cdf + x·pdf, with cdf = 0.5·(1 + erf(x/√2)) and
		// pdf = e^(−x²/2)/√(2π).
		Go: "y = Float(float64(x1) * (0.5*(1+math.Erf(float64(x0)/math.Sqrt2)) + " +
			"float64(x0)*math.Exp(-0.5*float64(x0)*float64(x0))/math.Sqrt(2*math.Pi)))",
	})
}
