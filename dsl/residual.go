package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Residual sums of differing shapes. In a + b with a and b of different
// shapes, the left operand (the skip path of x + f(x)) is mapped onto the
// right operand's shape by a learned projection, the parameter
// "<layer>.proj" of the statement's layer:
//
//   - [batch, n] onto [batch, m]: x·proj with proj of shape [n, m], a dense
//     layer without bias;
//   - [batch, c, h, w] onto [batch, c', h', w']: a 1×1 convolution with
//     weights of shape [c', c, 1, 1] and the stride that takes h×w to
//     h'×w' (ResNet's projection shortcut).
//
// Both are initialised he_normal, as dense and conv2d are by default. Any
// other pair of shapes is an error.

// project returns the projection of x onto the shape of y, built at pos.
func (l *lowerer) project(st *stmtNames, pos Pos, x, y *ir.Node) (*ir.Node, error) {
	from, to := x.Shape, y.Shape
	// Name where both operands come from: the + is rarely where a shape went wrong.
	origins := fmt.Sprintf(" (left operand: %s; right operand: %s)", ops.Origin(x), ops.Origin(y))
	b := l.builder(pos, st.home)
	param := func(shape ir.Shape, fanIn, fanOut int) *ir.Node {
		attrs := ir.Attrs{"init": "he_normal", "fan_in": fanIn, "fan_out": fanOut}
		return b.Source("param", l.names.claim(st.home+".proj"), shape, attrs)
	}
	switch {
	case len(from) == 2 && len(to) == 2:
		return b.Op("matmul", nil, x, param(ir.Shape{from[1], to[1]}, from[1], to[1]))
	case len(from) == 4 && len(to) == 4:
		stride := projectionStride(from[2:], to[2:])
		if stride == 0 {
			return nil, &Error{Pos: pos, Msg: fmt.Sprintf("cannot add %s of shape %s to a tensor of shape %s: no strided 1×1 convolution takes its %d×%d positions to %d×%d%s",
				x.Label(), from, to, from[2], from[3], to[2], to[3], origins)}
		}
		w := param(ir.Shape{to[1], from[1], 1, 1}, from[1], to[1])
		return b.Op("conv2d", ir.Attrs{"kernel": 1, "stride": stride, "pad": 0}, x, w)
	}
	return nil, &Error{Pos: pos, Msg: fmt.Sprintf("cannot add %s of shape %s to a tensor of shape %s: a sum of differing shapes projects its left operand, "+
		"and only from [batch, features] to [batch, features] or from [batch, channels, height, width] to [batch, channels, height, width]%s",
		x.Label(), from, to, origins)}
}

// projectionStride returns the stride s with which a 1×1 convolution takes
// spatial size from to to, or 0 when there is none.
func projectionStride(from, to ir.Shape) int {
	for s := 1; s <= max(from[0], from[1]); s++ {
		if (from[0]-1)/s+1 == to[0] && (from[1]-1)/s+1 == to[1] {
			return s
		}
	}
	return 0
}
