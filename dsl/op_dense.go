package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// dense(x, units): a fully connected layer, y = x·w + b, on [batch,
// features], or on the last axis of a sequence [batch, time, features]
// (one product over batch·time rows).
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "dense", params: []param{
			{name: "x", kind: tensorArg},
			{name: "units", kind: countArg},
			{name: "bias", kind: boolArg, def: defBool(true)},
			{name: "init", kind: stringArg, def: defString("he_normal"), check: checkInit},
		}},
		summary: "fully connected layer on [batch, features] or the last axis of [batch, time, features]: x·w + b, w of shape [features, units]",
		layer:   true,
		lower:   lowerDense,
	})
}

func lowerDense(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	if len(x.Shape) != 2 && len(x.Shape) != 3 {
		hint := ""
		if len(x.Shape) > 3 {
			hint = fmt.Sprintf("; flatten it first, as in flatten(x) |> dense(%d)", c.count("units"))
		}
		return nil, c.errorf("x", "dense needs an input of shape [batch, features] or [batch, time, features], got %s of shape %s%s",
			x.Label(), x.Shape, hint)
	}
	last := len(x.Shape) - 1
	in, units := x.Shape[last], c.count("units")
	w := c.param("w", ir.Shape{in, units}, ir.Attrs{"init": c.str("init"), "fan_in": in, "fan_out": units})
	y, err := c.b.Op("matmul", nil, x, w)
	c.markNorm(y)
	if err != nil || !c.flag("bias") {
		return y, err
	}
	b := c.param("b", ir.Shape{units}, ir.Attrs{"init": "zeros", "fan_in": in, "fan_out": units})
	var axis ir.Attrs
	if last > 1 {
		axis = ir.Attrs{"axis": last}
	}
	return c.b.Op("bias_add", axis, y, b)
}
