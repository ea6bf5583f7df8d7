package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// Pools over the two spatial axes of [batch, channels, height, width]:
// windows of kernel × kernel, stride apart (by default side by side),
// without padding.
func init() {
	definePool("maxpool2d", "maximum of each kernel × kernel window, windows stride apart (default: kernel)")
	definePool("avgpool2d", "mean of each kernel × kernel window, windows stride apart (default: kernel)")
}

// strideIsKernel is the default stride of a pool: written "stride = kernel"
// in usage messages, it stands for the kernel argument's value. No number
// written in a model file has this text.
var strideIsKernel = &value{kind: vNumber, text: "kernel"}

func definePool(name, summary string) {
	defineOp(&surfaceOp{
		signature: signature{name: name, params: []param{
			{name: "x", kind: tensorArg},
			{name: "kernel", kind: countArg, def: defNumber("2")},
			{name: "stride", kind: numberArg, def: strideIsKernel, check: checkPoolStride},
		}},
		summary: summary,
		lower: func(c *opCall) (*ir.Node, error) {
			x, k := c.tensor("x"), c.count("kernel")
			stride := k
			if c.arg("stride") != *strideIsKernel {
				stride = c.count("stride")
			}
			if len(x.Shape) == 2 {
				return nil, c.errorf("x", "%s needs an input of shape [batch, channels, height, width], got %s of shape %s; declare image inputs with their channels, as in input image: [1, 28, 28]",
					name, x.Label(), x.Shape)
			}
			return c.b.Op(name, ir.Attrs{"kernel": k, "stride": stride}, x)
		},
	})
}

func checkPoolStride(v value) string {
	if v == *strideIsKernel || isWhole(v.num, 1, maxDim) {
		return ""
	}
	return fmt.Sprintf("stride must be a whole number from 1 to %d, got %s", maxDim, v.text)
}
