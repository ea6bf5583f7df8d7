package dsl

import (
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/ir"
)

// leaky_relu(x, slope): x where x ≥ 0, slope·x below, elementwise.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "leaky_relu", params: []param{
			{name: "x", kind: tensorArg},
			{name: "slope", kind: numberArg, def: defNumber("0.01"), check: checkSlope},
		}},
		summary: "x where x ≥ 0, slope·x below, elementwise",
		lower: func(c *opCall) (*ir.Node, error) {
			return c.b.Op("leaky_relu", ir.Attrs{"slope": c.arg("slope").num}, c.tensor("x"))
		},
	})
}

func checkSlope(v value) string {
	if math.Abs(v.num) > 1e6 || math.IsNaN(v.num) {
		return fmt.Sprintf("slope must be a number from -1e6 to 1e6, got %s", v.text)
	}
	return ""
}
