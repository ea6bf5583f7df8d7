package dsl

import "github.com/dlc-dev/dlc/ir"

// Activations: one tensor in, one of the same shape out.
func init() {
	defineActivation("relu", "max(x, 0), elementwise")
	defineActivation("tanh", "hyperbolic tangent, elementwise")
	defineActivation("sigmoid", "1 / (1 + exp(-x)), elementwise")
	defineActivation("gelu", "x·Φ(x), Φ the standard normal distribution function (exact, erf-based), elementwise")
	defineActivation("softmax", "exp(x) normalised to sum to 1 along the last axis")
}

func defineActivation(name, summary string) {
	defineOp(&surfaceOp{
		signature: signature{name: name, params: []param{{name: "x", kind: tensorArg}}},
		summary:   summary,
		lower: func(c *opCall) (*ir.Node, error) {
			return c.b.Op(name, nil, c.tensor("x"))
		},
	})
}
