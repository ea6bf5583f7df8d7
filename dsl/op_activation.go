package dsl

import "github.com/dlc-dev/dlc/ir"

// Elementwise activations: one tensor in, one of the same shape out.
func init() {
	defineActivation("relu", "max(x, 0), elementwise")
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
