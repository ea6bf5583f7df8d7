package dsl

import "github.com/dlc-dev/dlc/ir"

// bce_with_logits(logits, target): the binary cross-entropy of
// sigmoid(logits) against real targets in [0, 1], averaged over every
// element.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "bce_with_logits", params: []param{
			{name: "logits", kind: tensorArg},
			{name: "target", kind: tensorArg, target: true},
		}},
		summary: "binary cross-entropy of sigmoid(logits) against a real-valued label in [0, 1] of the same shape, averaged over every element",
		loss:    true,
		lower: func(c *opCall) (*ir.Node, error) {
			target := c.tensor("target")
			if target.Op != "label" || target.Attrs.Int("classes", 0) != 0 {
				return nil, c.errorf("target", "bce_with_logits needs a real-valued label (label NAME: real(k)) as its second argument, got %s",
					c.arg("target").describe())
			}
			return c.b.Op("bce_with_logits", nil, c.tensor("logits"), target)
		},
	})
}
