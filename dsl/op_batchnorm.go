package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// batchnorm(x, momentum, eps): batch normalisation over axis 1 of x, the
// features of [batch, features] and the channels of [batch, channels, H, W].
//
// In training it lowers to batchnorm (batch statistics) followed by
// batchnorm_running, which moves the running statistics towards the batch's
// as PyTorch's BatchNorm does; in inference to batchnorm_eval, which reads
// them. Both graphs hold the same parameters <layer>.gamma (ones) and
// <layer>.beta (zeros) and state <layer>.running_mean (zeros) and
// <layer>.running_var (ones).
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "batchnorm", params: []param{
			{name: "x", kind: tensorArg},
			{name: "momentum", kind: numberArg, def: defNumber("0.1"), check: closedUnitInterval("momentum")},
			{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: positive("eps")},
		}},
		summary: "batch normalisation over axis 1 (features or channels), with learned gamma and beta and running statistics for inference",
		layer:   true,
		lower:   lowerBatchNorm,
	})
}

func lowerBatchNorm(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	if len(x.Shape) < 2 {
		return nil, c.errorf("x", "batchnorm needs an input of shape [batch, features] or [batch, channels, height, width], got %s of shape %s",
			x.Label(), x.Shape)
	}
	C := x.Shape[1]
	fans := func(init string) ir.Attrs { return ir.Attrs{"init": init, "fan_in": C, "fan_out": C} }
	gamma := c.param("gamma", ir.Shape{C}, fans("ones"))
	beta := c.param("beta", ir.Shape{C}, fans("zeros"))
	mean := c.state("running_mean", ir.Shape{C}, "zeros")
	variance := c.state("running_var", ir.Shape{C}, "ones")
	eps := ir.Attrs{"eps": c.arg("eps").num}
	if c.inference {
		return c.b.Op("batchnorm_eval", eps, x, gamma, beta, mean, variance)
	}
	y, err := c.b.Op("batchnorm", eps, x, gamma, beta)
	if err != nil {
		return nil, err
	}
	if _, err := c.b.Op("batchnorm_running", ir.Attrs{"momentum": c.arg("momentum").num}, mean, variance, x); err != nil {
		return nil, err
	}
	return y, nil
}

// state creates a state tensor named "<layer>.<role>" that starts at init
// ("zeros" or "ones").
func (c *opCall) state(role string, shape ir.Shape, init string) *ir.Node {
	return c.b.Source("state", c.claim(c.layer+"."+role), shape, ir.Attrs{"init": init})
}

// closedUnitInterval accepts a number from 0 to 1, both included.
func closedUnitInterval(name string) func(value) string {
	return func(v value) string {
		if !(v.num >= 0 && v.num <= 1) {
			return fmt.Sprintf("%s must be a number from 0 to 1, got %s", name, v.text)
		}
		return ""
	}
}
