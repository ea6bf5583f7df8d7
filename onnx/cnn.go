package onnx

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// Convolutional layers: Conv, the pools and BatchNormalization, lowered
// onto dlc's window ops (ops/window.go), whose windows are square, with one
// stride and one padding on every side, over NCHW tensors.

// window is the square window a node's attributes describe: kernel_shape
// (or, for a Conv without it, the weights' last two dimensions), strides,
// pads and dilations. Pools take no padding.
func window(c *nodeCtx, kernel []int64, padded bool) (ir.Attrs, error) {
	a := attrs(c)
	if ks := a.ints("kernel_shape"); ks != nil {
		kernel = ks
	}
	if len(kernel) != 2 || kernel[0] != kernel[1] {
		return nil, fmt.Errorf("kernel_shape %v: dlc supports square 2-D kernels", kernel)
	}
	if p := a.str("auto_pad", "NOTSET"); p != "NOTSET" && p != "VALID" {
		return nil, fmt.Errorf("auto_pad %s: dlc supports explicit pads (NOTSET) or VALID", p)
	}
	same := func(name string, v []int64, def int64) (int64, error) {
		if v == nil {
			return def, nil
		}
		if slices.ContainsFunc(v, func(x int64) bool { return x != v[0] }) {
			return 0, fmt.Errorf("%s %v: dlc supports one value for every axis and side", name, v)
		}
		return v[0], nil
	}
	stride, err := same("strides", a.ints("strides"), 1)
	if err != nil {
		return nil, err
	}
	pad, err := same("pads", a.ints("pads"), 0)
	if err != nil {
		return nil, err
	}
	if dil, err := same("dilations", a.ints("dilations"), 1); err != nil || dil != 1 {
		return nil, fmt.Errorf("dilations %v: dlc supports dilation 1", a.ints("dilations"))
	}
	if pad != 0 && !padded {
		return nil, fmt.Errorf("pads %v: dlc's pools take no padding", a.ints("pads"))
	}
	if err := a.require("ceil_mode", 0); err != nil {
		return nil, err
	}
	return ir.Attrs{"kernel": int(kernel[0]), "stride": int(stride), "pad": int(pad)}, nil
}

// spatialInput is the node's one operand, a 4-D tensor computed by the
// graph.
func (c *nodeCtx) spatialInput() (*ir.Node, error) {
	in, err := c.inputs(1, 1)
	if err != nil {
		return nil, err
	}
	return spatial(in[0])
}

// spatial is o as a 4-D tensor computed by the graph.
func spatial(o operand) (*ir.Node, error) {
	if o.node == nil || len(o.node.Shape) != 4 {
		return nil, errors.New("X must be a 4-D tensor [batch, channels, height, width] computed by the graph")
	}
	return o.node, nil
}

// defineOp adds op over inputs and binds the node's output to it.
func (c *nodeCtx) defineOp(op string, a ir.Attrs, inputs ...*ir.Node) error {
	y, err := c.builder().Op(op, a, inputs...)
	if err != nil {
		return err
	}
	return c.define(y)
}

func lowerConv(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 3)
	if err != nil {
		return err
	}
	x, err := spatial(in[0])
	if err != nil {
		return err
	}
	if err := attrs(c).require("group", 1); err != nil {
		return err
	}
	if in[1].value == nil || len(in[1].value.Shape) != 4 {
		return errors.New("W must be a 4-D initializer [out channels, in channels, kh, kw]")
	}
	wShape := in[1].value.Shape
	win, err := window(c, []int64{int64(wShape[2]), int64(wShape[3])}, true)
	if err != nil {
		return err
	}
	w, err := c.param(in[1], wShape)
	if err != nil {
		return err
	}
	y, err := c.builder().Op("conv2d", win, x, w)
	if err != nil {
		return err
	}
	if len(in) == 3 {
		if in[2].value == nil || in[2].value.Shape.Size() != wShape[0] {
			return fmt.Errorf("B must be an initializer of the %d output channels", wShape[0])
		}
		b, err := c.param(in[2], ir.Shape{wShape[0]})
		if err != nil {
			return err
		}
		if y, err = c.builder().Op("bias_add", nil, y, b); err != nil {
			return err
		}
	}
	return c.define(y)
}

// pool lowers MaxPool or AveragePool onto op.
func pool(op string) func(*importer, *nodeCtx) error {
	return func(im *importer, c *nodeCtx) error {
		x, err := c.spatialInput()
		if err != nil {
			return err
		}
		a := attrs(c)
		if a.ints("kernel_shape") == nil {
			return errors.New("kernel_shape is required")
		}
		if err := a.require("storage_order", 0); err != nil {
			return err
		}
		win, err := window(c, nil, false)
		if err != nil {
			return err
		}
		return c.defineOp(op, win, x)
	}
}

// lowerGlobalAveragePool is global_avgpool ([N,C]) viewed as ONNX's
// [N,C,1,1], a reshape that costs nothing.
func lowerGlobalAveragePool(im *importer, c *nodeCtx) error {
	x, err := c.spatialInput()
	if err != nil {
		return err
	}
	y, err := c.builder().Op("global_avgpool", nil, x)
	if err != nil {
		return err
	}
	return c.defineOp("reshape", ir.Attrs{"shape": []int{x.Shape[0], x.Shape[1], 1, 1}}, y)
}

// lowerBatchNormalization is batchnorm_eval with the running statistics:
// the code generator's foldbn pass folds it into a Conv or Gemm before it
// (PyTorch's exporter folds most of those itself).
func lowerBatchNormalization(im *importer, c *nodeCtx) error {
	in, err := c.inputs(5, 5)
	if err != nil {
		return err
	}
	if in[0].node == nil || len(in[0].node.Shape) < 2 {
		return errors.New("X must be a tensor [batch, channels, ...] computed by the graph")
	}
	if err := attrs(c).require("training_mode", 0); err != nil {
		return err
	}
	x := in[0].node
	channels := ir.Shape{x.Shape[1]}
	operands := []*ir.Node{x}
	for i, role := range []string{"scale", "B", "input_mean", "input_var"} {
		p, err := c.param(in[i+1], channels)
		if err != nil {
			return fmt.Errorf("%s: %w", role, err)
		}
		operands = append(operands, p)
	}
	return c.defineOp("batchnorm_eval", ir.Attrs{"eps": attrs(c).float("epsilon", 1e-5)}, operands...)
}

// lowerPad passes its input through when every pad is zero, as PyTorch
// exports an AvgPool2d without padding (a Pad of zeros before it).
func lowerPad(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 3)
	if err != nil {
		return err
	}
	if in[0].node == nil {
		return errors.New("data must be a tensor computed by the graph")
	}
	if in[1].value == nil {
		return errors.New("pads must be a constant")
	}
	if slices.ContainsFunc(in[1].value.Data, func(p float64) bool { return p != 0 }) {
		return fmt.Errorf("pads %v: dlc imports Pad only when every pad is zero (a Conv pads by its own attribute)", in[1].value.Data)
	}
	return c.define(in[0].node)
}
