package ops

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// Window is the geometry of a square window sliding over the two spatial
// axes of an NCHW tensor: a convolution's kernel or a pool. Output position
// (oh, ow) sees input rows oh·Stride − Pad … + K − 1 and the same columns;
// positions outside the input read zero (convolution padding).
type Window struct {
	N, C, H, W     int // input: batch, channels, height, width
	O              int // output channels (C for pools)
	K, Stride, Pad int
	OH, OW         int // output height and width
}

// InSize and OutSize are the elements of one sample of the input and the
// output; Taps is the elements of one output channel's kernel (C·K·K).
func (w Window) InSize() int  { return w.C * w.H * w.W }
func (w Window) OutSize() int { return w.O * w.OH * w.OW }
func (w Window) Taps() int    { return w.C * w.K * w.K }

// Tiles reports whether the windows tile the plane: stride = kernel, no
// padding, no remainder, so that every input element belongs to exactly
// one window.
func (w Window) Tiles() bool {
	return w.K == w.Stride && w.Pad == 0 && w.OH*w.K == w.H && w.OW*w.K == w.W
}

// In and Out are the input and output shapes of the whole batch.
func (w Window) In() ir.Shape  { return ir.Shape{w.N, w.C, w.H, w.W} }
func (w Window) Out() ir.Shape { return ir.Shape{w.N, w.O, w.OH, w.OW} }

// windowAttrs reads kernel, stride and pad (pad 0 when absent) and checks
// that they make sense.
func windowAttrs(op string, a ir.Attrs) (k, stride, pad int, err error) {
	k, stride, pad = a.Int("kernel", 0), a.Int("stride", 0), a.Int("pad", 0)
	if k < 1 || stride < 1 || pad < 0 {
		return 0, 0, 0, shapeErr("%s: kernel %d and stride %d must be at least 1 and padding %d at least 0", op, k, stride, pad)
	}
	return k, stride, pad, nil
}

// newWindow places a window on an input of shape x ([N, C, H, W]) and
// checks that it fits.
func newWindow(op string, x ir.Shape, a ir.Attrs) (Window, error) {
	if len(x) != 4 {
		return Window{}, shapeErr("%s needs an input of shape [batch, channels, height, width], got %s", op, x)
	}
	k, stride, pad, err := windowAttrs(op, a)
	if err != nil {
		return Window{}, err
	}
	w := Window{N: x[0], C: x[1], H: x[2], W: x[3], O: x[1], K: k, Stride: stride, Pad: pad}
	ph, pw := w.H+2*pad, w.W+2*pad
	if k > ph || k > pw {
		padded := ""
		if pad > 0 {
			padded = fmt.Sprintf(" (%d×%d with padding %d)", ph, pw, pad)
		}
		return Window{}, shapeErr("%s: the %d×%d kernel is larger than the %d×%d input%s of shape %s",
			op, k, k, w.H, w.W, padded, x)
	}
	w.OH, w.OW = (ph-k)/stride+1, (pw-k)/stride+1
	return w, nil
}

// windowFromOutput rebuilds the window of a backward op from the output
// gradient's shape dy and the input's spatial size in attrs in_h, in_w,
// checking that they agree.
func windowFromOutput(op string, dy ir.Shape, channels int, a ir.Attrs) (Window, error) {
	if len(dy) != 4 {
		return Window{}, shapeErr("%s needs an output gradient of shape [batch, channels, height, width], got %s", op, dy)
	}
	in := ir.Shape{dy[0], channels, a.Int("in_h", 0), a.Int("in_w", 0)}
	w, err := newWindow(op, in, a)
	if err != nil {
		return Window{}, err
	}
	w.O = dy[1]
	if w.OH != dy[2] || w.OW != dy[3] {
		return Window{}, shapeErr("%s: an input of %d×%d gives outputs of %d×%d, but the output gradient has shape %s",
			op, w.H, w.W, w.OH, w.OW, dy)
	}
	return w, nil
}

// windowKeys copies the window attributes (kernel, stride, pad) of a
// forward op for its backward ops.
func windowKeys(fwd *ir.Node) ir.Attrs {
	a := ir.Attrs{}
	for _, key := range []string{"kernel", "stride", "pad"} {
		if v, ok := fwd.Attrs[key]; ok {
			a[key] = v
		}
	}
	return a
}

// spatialAttrs are the attributes a backward op needs to rebuild its
// forward op's window when the output gradient alone does not fix the
// input's size: the window's and the input's height and width.
func spatialAttrs(fwd *ir.Node) ir.Attrs {
	a := windowKeys(fwd)
	a["in_h"], a["in_w"] = fwd.Inputs[0].Shape[2], fwd.Inputs[0].Shape[3]
	return a
}

// WindowOf returns the window of a conv2d, pool or window-gradient node.
// The node must satisfy its shape rule (the interpreter turns a panic into
// an error; codegen checks every node's shape before emitting a kernel):
// like must, a failure here is a bug, not a mistake in the model.
func WindowOf(n *ir.Node) Window {
	var w Window
	var err error
	switch n.Op {
	case "conv2d":
		w, err = newWindow(n.Op, n.Inputs[0].Shape, n.Attrs)
		w.O = n.Inputs[1].Shape[0]
	case "conv2d_grad_input":
		w, err = windowFromOutput(n.Op, n.Inputs[0].Shape, n.Inputs[1].Shape[1], n.Attrs)
	case "conv2d_grad_weight":
		w, err = newWindow(n.Op, n.Inputs[0].Shape, n.Attrs)
		w.O = n.Inputs[1].Shape[1]
	case "maxpool2d", "avgpool2d", "maxpool2d_grad":
		w, err = newWindow(n.Op, n.Inputs[0].Shape, n.Attrs)
	case "avgpool2d_grad":
		w, err = windowFromOutput(n.Op, n.Inputs[0].Shape, n.Inputs[0].Shape[1], n.Attrs)
	default:
		err = fmt.Errorf("%s has no window", n.Op)
	}
	if err != nil {
		panic(fmt.Sprintf("ops: WindowOf an unchecked node: %v", err))
	}
	return w
}
