package dsl

import "github.com/dlc-dev/dlc/ir"

// dropout(x, p) and drop_path(x, p): training-only regularisers. In
// training, x is multiplied by a mask drawn from the model's random stream
// (dropout_mask): dropout zeroes each element with probability p,
// drop_path each whole sample, and the kept values are scaled by 1/(1−p)
// so that the expectation is unchanged. In inference, and whenever p is 0,
// they are the identity and lower to nothing.
//
// drop_path is stochastic depth (Huang et al., 2016): in a residual block,
// return x + drop_path(f(x), p) drops the branch of a sample and keeps its
// skip connection.
func init() {
	defineDropout("dropout", false, "inverted dropout: zeroes each element with probability p in training, scaling the rest by 1/(1-p); the identity in inference")
	defineDropout("drop_path", true, "stochastic depth: zeroes a whole sample with probability p in training, scaling kept samples by 1/(1-p); the identity in inference")
}

func defineDropout(name string, perSample bool, summary string) {
	defineOp(&surfaceOp{
		signature: signature{name: name, params: []param{
			{name: "x", kind: tensorArg},
			{name: "p", kind: numberArg, check: unitInterval("p")},
		}},
		summary: summary,
		lower: func(c *opCall) (*ir.Node, error) {
			x, p := c.tensor("x"), c.arg("p").num
			if len(x.Shape) < 2 {
				return nil, c.errorf("x", "%s needs an input of shape [batch, ...], got %s of shape %s", name, x.Label(), x.Shape)
			}
			if c.inference || p == 0 {
				return x, nil
			}
			mask, err := c.b.Op("dropout_mask", ir.Attrs{"shape": []int(x.Shape.Clone()), "p": p, "per_sample": perSample})
			if err != nil {
				return nil, err
			}
			return c.b.Op("mul", nil, x, mask)
		},
	})
}
