package onnx

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// opImporter lowers one ONNX operator; doc says what of it is supported,
// for the table in docs/onnx.md (SupportedTable).
type opImporter struct {
	doc   string
	lower func(im *importer, c *nodeCtx) error
}

// opImporters is the one table of supported ONNX operators.
var opImporters = map[string]opImporter{
	"Gemm":     {"`transA` 0, `alpha` and `beta` 1; B an initializer; C an initializer of the output's width (a bias) or a tensor of the output's shape", lowerGemm},
	"MatMul":   {"a tensor times a 2-D initializer (over the last axis); within self-attention, queries by keys and probabilities by values (lowered onto dlc's attention)", lowerMatMul},
	"Add":      {"two tensors of one shape, or a tensor and an initializer of its last dimension (a bias); constants; token plus position embeddings; a step of a layer norm or GELU; an additive mask to attention scores", lowerArith},
	"Relu":     {"any shape", unary("relu")},
	"Tanh":     {"any shape", unary("tanh")},
	"Sigmoid":  {"any shape", unary("sigmoid")},
	"Softmax":  {"along the last axis; attention scores (lowered onto dlc's attention)", lowerSoftmax},
	"Flatten":  {"`axis` 1", lowerFlatten},
	"Identity": {"any tensor", lowerIdentity},
	"Constant": {"`value` (a tensor), folded at import", lowerConstant},

	"Conv":               {"2-D, `group` 1, a square kernel (W an initializer), one stride and one padding for every axis and side, dilation 1; B an initializer", lowerConv},
	"MaxPool":            {"2-D, a square kernel, one stride, no padding, `ceil_mode` 0, one output", pool("maxpool2d")},
	"AveragePool":        {"2-D, a square kernel, one stride, no padding, `ceil_mode` 0", pool("avgpool2d")},
	"GlobalAveragePool":  {"over the spatial axes of an NCHW tensor", lowerGlobalAveragePool},
	"BatchNormalization": {"inference (`training_mode` 0), the running statistics initializers; folded into a Conv or Gemm that feeds it alone", lowerBatchNormalization},
	"Pad":                {"every pad zero (as PyTorch exports AvgPool2d), a no-op", lowerPad},

	"Shape":              {"any input (its static shape), folded at import; `start` and `end`", lowerShape},
	"Gather":             {"constants, folded; an initializer's rows (axis 0) by a graph input of token ids [batch, time]: an embedding, with the positions added to it", lowerGather},
	"Cast":               {"constants, folded; a no-op on tensors (dlc computes in one float type)", lowerCast},
	"Unsqueeze":          {"constants, folded; a view of a tensor; the padding mask on its way to the attention scores", lowerUnsqueeze},
	"Squeeze":            {"constants, folded; a view of a tensor", lowerSqueeze},
	"Concat":             {"constants, folded", lowerConcat},
	"Range":              {"scalar constants, folded", lowerRange},
	"ConstantOfShape":    {"a constant shape, folded", lowerConstantOfShape},
	"Reshape":            {"a constant shape (0 and -1 resolved), the batch kept first: a view; heads of queries, keys and values and back", lowerReshape},
	"Sub":                {"constants, folded; x − mean(x) of a layer norm; 1 − mask of an additive attention mask", lowerArith},
	"Mul":                {"constants, folded; a layer norm's gamma, GELU's products, attention scores by a scalar, (1 − mask) by a scalar ≤ -1e4", lowerArith},
	"Div":                {"constants, folded (integers truncate); a layer norm's division, GELU's x/√2, attention scores by a scalar", lowerArith},
	"Pow":                {"constants, folded; the square of a layer norm", lowerArith},
	"Equal":              {"constants, folded; the padding mask == 0", lowerArith},
	"Sqrt":               {"constants, folded; a layer norm's standard deviation", lowerUnaryPattern},
	"Erf":                {"constants, folded; GELU's erf(x/√2), lowered onto dlc's gelu with the Add and Muls around it", lowerUnaryPattern},
	"ReduceMean":         {"one axis: the last, within a layer norm's decomposition; axis 1 of [batch, time, width] (mean pooling, `seq_mean`)", lowerReduceMean},
	"LayerNormalization": {"over the last axis, Scale and B initializers, output Y only", lowerLayerNormalization},
	"Slice":              {"constants, folded; a third of the last axis of [batch, time, 3·width] (queries, keys or values); step 1", lowerSlice},
	"Split":              {"a tensor [batch, time, 3·width] into three equal parts along the last axis: queries, keys and values", lowerSplit},
	"Transpose":          {"the head moves of self-attention (perm [0,2,1,3] and [0,2,3,1] on heads, [0,1,3,2] on keys); no general transpose", lowerTranspose},
	"Where":              {"the masking of attention scores: Where(mask == 0, fill ≤ -1e4 or -inf, scores)", lowerWhere},
}

// SupportedOps lists the ONNX operators dlc imports, sorted.
func SupportedOps() []string {
	names := make([]string, 0, len(opImporters))
	for name := range opImporters {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// SupportedTable is the Markdown table of supported operators that
// docs/onnx.md shows, generated from opImporters.
func SupportedTable() string {
	s := "| operator | supported |\n|---|---|\n"
	for _, name := range SupportedOps() {
		s += fmt.Sprintf("| %s | %s |\n", name, opImporters[name].doc)
	}
	return s
}

// nodeCtx is one node being lowered.
type nodeCtx struct {
	im    *importer
	n     *onnxpb.NodeProto
	index int
}

// operand is one input of a node: a graph value or a constant.
type operand struct {
	name  string
	node  *ir.Node    // a value computed by the graph (or an input)
	value *ops.Tensor // a constant known at import
	sym   *sym        // a value of a chain being followed (pattern.go)
}

func (c *nodeCtx) inputs(min, max int) ([]operand, error) {
	names := c.n.GetInput()
	for len(names) > 0 && names[len(names)-1] == "" { // trailing optional inputs left out
		names = names[:len(names)-1]
	}
	if len(names) < min || len(names) > max {
		return nil, fmt.Errorf("%d inputs, want %d to %d", len(names), min, max)
	}
	operands := make([]operand, len(names))
	for i, name := range names {
		switch {
		case name == "":
			return nil, fmt.Errorf("input %d is left out, which dlc does not support here", i)
		case c.im.values[name] != nil:
			operands[i] = operand{name: name, node: c.im.values[name]}
		case c.im.consts[name] != nil:
			operands[i] = operand{name: name, value: c.im.consts[name]}
		case c.im.syms[name] != nil:
			operands[i] = operand{name: name, sym: c.im.syms[name]}
		default:
			return nil, fmt.Errorf("input %q is defined by no earlier node, initializer or graph input", name)
		}
	}
	return operands, nil
}

// tensorInput is the node's one operand, which the graph computes.
func (c *nodeCtx) tensorInput() (*ir.Node, error) {
	in, err := c.inputs(1, 1)
	if err != nil {
		return nil, err
	}
	return c.tensor(in[0])
}

// define binds the node's single output to a graph node.
func (c *nodeCtx) define(n *ir.Node) error {
	outs := c.n.GetOutput()
	if len(outs) != 1 {
		return fmt.Errorf("%d outputs; dlc imports this operator with one", len(outs))
	}
	c.im.values[outs[0]] = n
	return nil
}

// defineConst binds the node's single output to a constant.
func (c *nodeCtx) defineConst(v *ops.Tensor) error {
	outs := c.n.GetOutput()
	if len(outs) != 1 {
		return fmt.Errorf("%d outputs; dlc imports this operator with one", len(outs))
	}
	c.im.consts[outs[0]] = v
	return nil
}

// builder stamps the node's name as the layer of what it adds.
func (c *nodeCtx) builder() *ops.Builder {
	layer := c.n.GetName()
	if layer == "" {
		layer = fmt.Sprintf("node%d", c.index)
	}
	return &ops.Builder{G: c.im.g, Layer: layer, Loc: ir.Loc{File: c.im.file, Line: c.index + 1}}
}

// param is the parameter holding initializer o, reshaped to shape,
// created on first use.
func (c *nodeCtx) param(o operand, shape ir.Shape) (*ir.Node, error) {
	if o.value == nil {
		return nil, fmt.Errorf("input %q must be an initializer (a constant weight)", o.name)
	}
	if o.value.Shape.Size() != shape.Size() {
		return nil, fmt.Errorf("initializer %q has shape %s, want %s", o.name, o.value.Shape, shape)
	}
	if p := c.im.g.Param(o.name); p != nil {
		if !p.Shape.Equal(shape) {
			return nil, fmt.Errorf("initializer %q is used with shapes %s and %s", o.name, p.Shape, shape)
		}
		return p, nil
	}
	p := c.im.g.Add(&ir.Node{Op: "param", Name: o.name, Shape: slices.Clone(shape), Layer: o.name, Loc: ir.Loc{File: c.im.file}})
	w := make([]float32, len(o.value.Data))
	for i, v := range o.value.Data {
		w[i] = float32(v)
	}
	c.im.weights[o.name] = w
	return p, nil
}

func unary(op string) func(*importer, *nodeCtx) error {
	return func(im *importer, c *nodeCtx) error {
		x, err := c.tensorInput()
		if err != nil {
			return err
		}
		y, err := c.builder().Op(op, nil, x)
		if err != nil {
			return err
		}
		return c.define(y)
	}
}

func lowerGemm(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 3)
	if err != nil {
		return err
	}
	a := attrs(c)
	if err := a.require("transA", 0); err != nil {
		return err
	}
	for _, k := range []string{"alpha", "beta"} {
		if v := a.float(k, 1); v != 1 {
			return fmt.Errorf("attribute %s = %g: dlc supports %s = 1", k, v, k)
		}
	}
	if in[0].node, err = c.tensor(in[0]); err != nil {
		return err
	}
	if len(in[0].node.Shape) != 2 {
		return errors.New("A must be a 2-D tensor")
	}
	transB := a.int("transB", 0) != 0
	if in[1].value == nil || len(in[1].value.Shape) != 2 {
		return errors.New("B must be a 2-D initializer")
	}
	w, err := c.param(in[1], in[1].value.Shape)
	if err != nil {
		return err
	}
	b := c.builder()
	y, err := b.Op("matmul", ir.Attrs{"ta": false, "tb": transB}, in[0].node, w)
	if err != nil {
		return err
	}
	if len(in) == 3 {
		if y, err = addTo(c, y, in[2]); err != nil {
			return fmt.Errorf("C: %w", err)
		}
	}
	return c.define(y)
}

// addTo adds o to x: a bias (an initializer of x's last dimension, as
// [n] or [1, n]) or a tensor of x's shape.
func addTo(c *nodeCtx, x *ir.Node, o operand) (*ir.Node, error) {
	b := c.builder()
	if o.node != nil {
		if !o.node.Shape.Equal(x.Shape) {
			return nil, fmt.Errorf("adding shapes %s and %s: dlc supports no broadcasting between computed tensors", x.Shape, o.node.Shape)
		}
		return b.Op("add", nil, x, o.node)
	}
	width := x.Shape[len(x.Shape)-1]
	if o.value.Shape.Size() != width {
		return nil, fmt.Errorf("adding a constant of shape %s to a tensor of shape %s: dlc supports a bias of the last dimension (%d)", o.value.Shape, x.Shape, width)
	}
	bias, err := c.param(o, ir.Shape{width})
	if err != nil {
		return nil, err
	}
	var axis ir.Attrs
	if len(x.Shape) > 2 { // the width of [batch, time, width]; 2-D keeps the plain form
		axis = ir.Attrs{"axis": len(x.Shape) - 1}
	}
	return b.Op("bias_add", axis, x, bias)
}

func lowerFlatten(im *importer, c *nodeCtx) error {
	x, err := c.tensorInput()
	if err != nil {
		return err
	}
	if axis := attrs(c).int("axis", 1); axis != 1 {
		return fmt.Errorf("axis %d: dlc flattens everything after the batch (axis 1)", axis)
	}
	if len(x.Shape) == 2 {
		return c.define(x)
	}
	y, err := c.builder().Op("flatten", nil, x)
	if err != nil {
		return err
	}
	return c.define(y)
}

func lowerIdentity(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	if in[0].value != nil {
		return c.foldConst(in[0].value, c.isInt(in[0]))
	}
	return c.pass(in[0])
}

func lowerConstant(im *importer, c *nodeCtx) error {
	if _, err := c.inputs(0, 0); err != nil {
		return err
	}
	t := attrs(c).tensor("value")
	if t == nil {
		return errors.New("dlc folds Constant nodes given by `value` (a tensor) only")
	}
	v, err := tensorValues(t)
	if err != nil {
		return err
	}
	return c.defineConst(v)
}
