package dsl

import (
	"github.com/dlc-dev/dlc/ir"
)

// attention(x, heads, causal, mask): multi-head self-attention over a
// sequence x [batch, time, width], with its projections: one dense layer to
// queries, keys and values (<layer>.qkv.w [width, 3·width], <layer>.qkv.b),
// the attention op over `heads` heads, and an output dense layer
// (<layer>.proj.w [width, width], <layer>.proj.b). `causal` lets each
// position see only itself and earlier ones; `mask`, a tensor [batch,
// time] of 1 (a real position) and 0 (padding), hides padded keys.
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "attention", params: []param{
			{name: "x", kind: tensorArg},
			{name: "heads", kind: countArg},
			{name: "causal", kind: boolArg, def: defBool(true)},
			{name: "mask", kind: anyArg, def: defBool(false), check: checkMask},
			{name: "init", kind: stringArg, def: defString("gpt_normal"), check: checkInit},
		}},
		summary: "multi-head self-attention on [batch, time, width], with its query/key/value and output projections",
		layer:   true,
		lower:   lowerAttention,
	})
}

func checkMask(v value) string {
	if v.kind == vTensor || v.kind == vBool && !v.b {
		return ""
	}
	return "argument mask must be a tensor of shape [batch, time] (1 keeps a position, 0 is padding) or false, got " + v.describe()
}

func lowerAttention(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	if len(x.Shape) != 3 {
		return nil, c.errorf("x", "attention needs a sequence of shape [batch, time, width], got %s of shape %s", x.Label(), x.Shape)
	}
	width, heads := x.Shape[2], c.count("heads")
	if width%heads != 0 {
		return nil, c.errorf("heads", "attention: %d heads do not divide the width %d (of the input, shape %s)", heads, width, x.Shape)
	}
	var mask *ir.Node
	if m := c.arg("mask"); m.kind == vTensor {
		mask = m.node
		if !mask.Shape.Equal(x.Shape[:2]) {
			return nil, c.errorf("mask", "attention: the mask %s has shape %s, but the sequence %s needs [batch, time] = %s",
				mask.Label(), mask.Shape, x.Label(), x.Shape[:2])
		}
		if mask.Op == "input" {
			// Tells test data and checks to draw it as 0s and 1s.
			if mask.Attrs == nil {
				mask.Attrs = ir.Attrs{}
			}
			mask.Attrs["mask"] = true
		}
	}
	qkv, err := c.linear(x, "qkv", width, 3*width)
	if err != nil {
		return nil, err
	}
	if c.decode {
		return c.cachedAttention(x, qkv, mask)
	}
	in := []*ir.Node{qkv}
	if mask != nil {
		in = append(in, mask)
	}
	y, err := c.b.Op("attention", ir.Attrs{"heads": heads, "causal": c.flag("causal")}, in...)
	if err != nil {
		return nil, err
	}
	return c.linear(y, "proj", width, width)
}

// linear is a dense layer over the last axis of x, with parameters
// <layer>.<role>.w and <layer>.<role>.b.
func (c *opCall) linear(x *ir.Node, role string, in, out int) (*ir.Node, error) {
	w := c.param(role+".w", ir.Shape{in, out}, ir.Attrs{"init": c.str("init"), "fan_in": in, "fan_out": out})
	b := c.param(role+".b", ir.Shape{out}, ir.Attrs{"init": "zeros", "fan_in": in, "fan_out": out})
	y, err := c.b.Op("matmul", nil, x, w)
	if err != nil {
		return nil, err
	}
	return c.b.Op("bias_add", ir.Attrs{"axis": len(x.Shape) - 1}, y, b)
}
