package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// conv2d(x, channels, kernel): a 2-D convolution layer on [batch, channels,
// height, width], y = conv2d(x, w) + b, with w of shape [channels, in
// channels, kernel, kernel].
func init() {
	defineOp(&surfaceOp{
		signature: signature{name: "conv2d", params: []param{
			{name: "x", kind: tensorArg},
			{name: "channels", kind: countArg},
			{name: "kernel", kind: countArg},
			{name: "stride", kind: countArg, def: defNumber("1")},
			{name: "padding", kind: numberArg, def: defNumber("0"), check: checkPadding},
			{name: "bias", kind: boolArg, def: defBool(true)},
			{name: "init", kind: stringArg, def: defString("he_normal"), check: checkInit},
		}},
		summary: "2-D convolution layer on [batch, channels, height, width]: conv2d(x, w) + b, w of shape [channels, in channels, kernel, kernel]",
		layer:   true,
		lower:   lowerConv2D,
	})
}

func checkPadding(v value) string {
	if !isWhole(v.num, 0, maxDim) {
		return fmt.Sprintf("padding must be a whole number from 0 to %d, got %s", maxDim, v.text)
	}
	return ""
}

func lowerConv2D(c *opCall) (*ir.Node, error) {
	x := c.tensor("x")
	if len(x.Shape) != 4 {
		hint := ""
		if len(x.Shape) == 2 {
			hint = "; declare image inputs with their channels, as in input image: [1, 28, 28]"
		}
		return nil, c.errorf("x", "conv2d needs an input of shape [batch, channels, height, width], got %s of shape %s%s",
			x.Label(), x.Shape, hint)
	}
	out, k, stride, pad := c.count("channels"), c.count("kernel"), c.count("stride"), c.count("padding")
	if pad >= k {
		return nil, c.errorf("padding", "conv2d: padding %d must be less than the kernel size %d (wider padding only adds outputs that see nothing but zeros)", pad, k)
	}
	in := x.Shape[1]
	if msg := convTooLarge(x.Shape, out, k, stride, pad); msg != "" {
		return nil, c.errorf("channels", "conv2d: %s", msg)
	}
	fanIn, fanOut := in*k*k, out*k*k
	w := c.param("w", ir.Shape{out, in, k, k}, ir.Attrs{"init": c.str("init"), "fan_in": fanIn, "fan_out": fanOut})
	y, err := c.b.Op("conv2d", ir.Attrs{"kernel": k, "stride": stride, "pad": pad}, x, w)
	c.markNorm(y)
	if err != nil || !c.flag("bias") {
		return y, err
	}
	b := c.param("b", ir.Shape{out}, ir.Attrs{"init": "zeros", "fan_in": fanIn, "fan_out": fanOut})
	return c.b.Op("bias_add", nil, y, b)
}

// convTooLarge keeps a convolution's weights and its output per sample
// within the limit on one input sample, so that no size overflows; it
// returns the problem, or "". (The shape rule reports a kernel that does
// not fit.)
func convTooLarge(x ir.Shape, out, k, stride, pad int) string {
	weights := float64(out) * float64(x[1]) * float64(k) * float64(k)
	if weights > maxSampleSize {
		return fmt.Sprintf("%d×%d×%d×%d weights are too many (at most %d)", out, x[1], k, k, maxSampleSize)
	}
	oh, ow := (x[2]+2*pad-k)/stride+1, (x[3]+2*pad-k)/stride+1
	if oh > 0 && ow > 0 && float64(out)*float64(oh)*float64(ow) > maxSampleSize {
		return fmt.Sprintf("an output of %d×%d×%d values per sample is too large (at most %d)", out, oh, ow, maxSampleSize)
	}
	return ""
}
