package dsl

import "github.com/dlc-dev/dlc/ir"

// global_avgpool(x): the mean of each channel of [batch, channels, height,
// width] over its height and width, giving [batch, channels].
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "global_avgpool", params: []param{{name: "x", kind: tensorArg}}},
		summary:   "mean of each channel over height and width: [batch, channels, height, width] to [batch, channels]",
		lower: func(c *opCall) (*ir.Node, error) {
			return c.b.Op("global_avgpool", nil, c.tensor("x"))
		},
	})
}
