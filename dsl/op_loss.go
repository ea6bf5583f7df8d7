package dsl

import "github.com/dlc-dev/dlc/ir"

// Losses. The first operand is the model's prediction (Graph.Output); the
// second must be a label of the matching kind.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "cross_entropy", params: []param{
			{name: "logits", kind: tensorArg},
			{name: "label", kind: tensorArg, target: true},
		}},
		summary: "softmax cross-entropy of [batch, classes] logits against a class label, averaged over the batch",
		loss:    true,
		lower: func(c *opCall) (*ir.Node, error) {
			label := c.tensor("label")
			if label.Op != "label" || label.Attrs.Int("classes", 0) == 0 {
				return nil, c.errorf("label", "cross_entropy needs a class label (label NAME: class(N)) as its second argument, got %s",
					c.arg("label").describe())
			}
			return c.b.Op("softmax_xent", nil, c.tensor("logits"), label)
		},
	})
	defineOp(&surfaceOp{
		signature: signature{name: "mse", params: []param{
			{name: "pred", kind: tensorArg},
			{name: "target", kind: tensorArg, target: true},
		}},
		summary: "mean squared error of a prediction against a real-valued label of the same shape",
		loss:    true,
		lower: func(c *opCall) (*ir.Node, error) {
			target := c.tensor("target")
			if target.Op != "label" || target.Attrs.Int("classes", 0) != 0 {
				return nil, c.errorf("target", "mse needs a real-valued label (label NAME: real(k)) as its second argument, got %s",
					c.arg("target").describe())
			}
			return c.b.Op("mse", nil, c.tensor("pred"), target)
		},
	})
}
