package dsl

import "github.com/dlc-dev/dlc/ir"

// flatten(x): [batch, d1, d2, ...] to [batch, d1·d2·…], the elements in the
// same order, so that dense layers can follow convolutions. It copies
// nothing in the generated code.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "flatten", params: []param{{name: "x", kind: tensorArg}}},
		summary:   "[batch, d1, d2, ...] to [batch, d1·d2·…], the same elements in the same order",
		lower: func(c *opCall) (*ir.Node, error) {
			return c.b.Op("flatten", nil, c.tensor("x"))
		},
	})
}
