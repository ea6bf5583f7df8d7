package dsl

import "github.com/dlc-dev/dlc/ir"

// layernorm(x, eps): layer normalisation of each sample over all its axes
// but the batch, with parameters <layer>.gamma (ones) and <layer>.beta
// (zeros) of one sample's shape; on a sequence [batch, time, width], of
// each position over its width, gamma and beta of shape [width] (as
// PyTorch's LayerNorm(width)). It is the same in training and inference.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "layernorm", params: []param{
			{name: "x", kind: tensorArg},
			{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: positive("eps")},
		}},
		summary: "layer normalisation of each sample over all non-batch axes (of each position over the width of [batch, time, width]), with learned gamma and beta",
		layer:   true,
		lower:   lowerLayerNorm,
	})
}

func lowerLayerNorm(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	if len(x.Shape) < 2 {
		return nil, c.errorf("x", "layernorm needs an input of shape [batch, ...], got %s of shape %s", x.Label(), x.Shape)
	}
	sample := x.Shape[1:]
	attrs := ir.Attrs{"eps": c.arg("eps").num}
	if len(x.Shape) == 3 {
		sample = x.Shape[2:]
		attrs["last"] = true
	}
	size := sample.Size()
	gamma := c.param("gamma", sample, ir.Attrs{"init": "ones", "fan_in": size, "fan_out": size})
	beta := c.param("beta", sample, ir.Attrs{"init": "zeros", "fan_in": size, "fan_out": size})
	return c.b.Op("layernorm", attrs, x, gamma, beta)
}
