package onnx

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// Model is an ONNX model lowered onto dlc's IR: an inference graph whose
// parameters are the ONNX initializers, with their values.
type Model struct {
	Graph *ir.Graph
	// Weights are the initializers the graph reads, by parameter name
	// (the ONNX name), as float32 in row-major order.
	Weights map[string][]float32
	// Output is the ONNX name of the graph's output.
	Output string
}

// Options fix what an ONNX file leaves open.
type Options struct {
	// Shapes fix the dimensions of inputs that the file leaves dynamic
	// (`-shape input_ids=1x128`), by input name.
	Shapes map[string][]int
	// File names the model in messages and in the IR's locations.
	File string
}

// MinOpset and MaxOpset are the default-domain operator sets dlc imports:
// those PyTorch 1.13 exports.
const (
	MinOpset = 13
	MaxOpset = 17
)

// Import lowers an ONNX model onto an IR graph. Every problem names the
// node (its index, name and op type) and the opset, and says what is
// supported.
func Import(m *onnxpb.ModelProto, opt Options) (*Model, error) {
	file := opt.File
	if file == "" {
		file = "model.onnx"
	}
	opset, err := defaultOpset(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	g := m.GetGraph()
	im := &importer{
		file:        file,
		opset:       opset,
		values:      map[string]*ir.Node{},
		consts:      map[string]*ops.Tensor{},
		weights:     map[string][]float32{},
		syms:        map[string]*sym{},
		ints:        map[string]bool{},
		rowsOf:      map[string]string{},
		initializer: map[string]bool{},
	}
	if err := im.initializers(g); err != nil {
		return nil, err
	}
	if err := im.inputs(g, opt.Shapes); err != nil {
		return nil, err
	}
	for i, n := range g.GetNode() {
		if err := im.node(i, n); err != nil {
			return nil, err
		}
	}
	outs := g.GetOutput()
	if len(outs) != 1 {
		return nil, fmt.Errorf("%s: the graph has %d outputs; dlc imports graphs with one", file, len(outs))
	}
	out, ok := im.values[outs[0].GetName()]
	if !ok {
		return nil, fmt.Errorf("%s: the graph's output %q is computed by no node dlc imported (a constant?)", file, outs[0].GetName())
	}
	im.g.Output = out
	if out.Name == "" {
		out.Name = outs[0].GetName()
	}
	// Keep only the weights the graph reads.
	for name := range im.weights {
		if im.g.Param(name) == nil {
			delete(im.weights, name)
		}
	}
	if err := ir.Verify(im.g); err != nil {
		return nil, fmt.Errorf("%s: the imported graph is malformed (a dlc bug): %w", file, err)
	}
	return &Model{Graph: im.g, Weights: im.weights, Output: outs[0].GetName()}, nil
}

// defaultOpset is the model's version of the default ("" or "ai.onnx")
// operator set, which must lie in [MinOpset, MaxOpset].
func defaultOpset(m *onnxpb.ModelProto) (int64, error) {
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			v := o.GetVersion()
			if v < MinOpset || v > MaxOpset {
				return 0, fmt.Errorf("opset %d: dlc imports opsets %d to %d (export with torch.onnx.export(..., opset_version=%d))", v, MinOpset, MaxOpset, MaxOpset)
			}
			return v, nil
		}
	}
	return 0, errors.New("the model imports no default-domain operator set")
}

// importer carries the state of one import: the graph being built and
// what every ONNX value name stands for, a graph node or a constant
// known at import time (an initializer, a Constant node, or the result
// of shape arithmetic folded as it is read).
type importer struct {
	file    string
	opset   int64
	g       *ir.Graph
	values  map[string]*ir.Node
	consts  map[string]*ops.Tensor
	weights map[string][]float32
	batch   int
	// syms are the values of chains being followed (pattern.go), ints
	// the constants that hold integers, rowsOf the constants that are an
	// initializer's first rows (by that initializer's name), initializer
	// the initializers' names.
	syms        map[string]*sym
	ints        map[string]bool
	rowsOf      map[string]string
	initializer map[string]bool
}

func (im *importer) initializers(g *onnxpb.GraphProto) error {
	for _, t := range g.GetInitializer() {
		v, err := tensorValues(t)
		if err != nil {
			return fmt.Errorf("%s: initializer %q: %w", im.file, t.GetName(), err)
		}
		im.consts[t.GetName()] = v
		im.ints[t.GetName()] = onnxIntTypes[onnxpb.TensorProto_DataType(t.GetDataType())]
		im.initializer[t.GetName()] = true
	}
	return nil
}

// inputs declares the graph's inputs that are not initializers. The
// first dimension of the first input is the batch.
func (im *importer) inputs(g *onnxpb.GraphProto, shapes map[string][]int) error {
	var real []*onnxpb.ValueInfoProto
	for _, in := range g.GetInput() {
		if _, isConst := im.consts[in.GetName()]; !isConst {
			real = append(real, in)
		}
	}
	if len(real) == 0 {
		return fmt.Errorf("%s: the graph has no inputs", im.file)
	}
	for name := range shapes {
		if !slices.ContainsFunc(real, func(v *onnxpb.ValueInfoProto) bool { return v.GetName() == name }) {
			return fmt.Errorf("%s: -shape names %q, which is not an input (inputs: %s)", im.file, name, inputNames(real))
		}
	}
	for i, in := range real {
		shape, err := staticShape(in, shapes[in.GetName()])
		if err != nil {
			return fmt.Errorf("%s: input %q: %w", im.file, in.GetName(), err)
		}
		if i == 0 {
			im.batch = shape[0]
			im.g = ir.NewGraph(graphName(g), ir.F32, im.batch)
		} else if shape[0] != im.batch {
			return fmt.Errorf("%s: input %q has %d rows, the first input %d: inputs share their first dimension, the batch", im.file, in.GetName(), shape[0], im.batch)
		}
		n := im.g.Add(&ir.Node{Op: "input", Name: in.GetName(), Shape: shape, Layer: in.GetName(), Loc: ir.Loc{File: im.file}})
		im.values[in.GetName()] = n
	}
	return nil
}

func inputNames(vs []*onnxpb.ValueInfoProto) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.GetName()
	}
	return strings.Join(names, ", ")
}

// graphName is a Go-friendly name for the graph.
func graphName(g *onnxpb.GraphProto) string {
	name := g.GetName()
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		return "model"
	}
	return name
}

// staticShape is an input's shape with the dimensions -shape fixes; every
// dimension must end up known.
func staticShape(v *onnxpb.ValueInfoProto, fixed []int) (ir.Shape, error) {
	tt := v.GetType().GetTensorType()
	if tt == nil {
		return nil, errors.New("not a tensor")
	}
	dims := tt.GetShape().GetDim()
	if fixed != nil {
		if len(fixed) != len(dims) {
			return nil, fmt.Errorf("-shape gives %d dimensions, the input has %d", len(fixed), len(dims))
		}
		return ir.Shape(slices.Clone(fixed)), nil
	}
	shape := make(ir.Shape, len(dims))
	for i, d := range dims {
		if d.GetDimValue() <= 0 {
			sym := d.GetDimParam()
			if sym == "" {
				sym = "?"
			}
			return nil, fmt.Errorf("dimension %d (%s) is dynamic: fix it with -shape %s=%s", i, sym, v.GetName(), shapeHint(dims))
		}
		shape[i] = int(d.GetDimValue())
	}
	if len(shape) == 0 {
		return nil, errors.New("a scalar input: dlc needs a batch dimension first")
	}
	return shape, nil
}

// shapeHint writes dims as -shape wants them, with 1 for dynamic ones.
func shapeHint(dims []*onnxpb.TensorShapeProto_Dimension) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		v := d.GetDimValue()
		if v <= 0 {
			v = 1
		}
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "x")
}

// node lowers one ONNX node.
func (im *importer) node(i int, n *onnxpb.NodeProto) error {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return im.nodeErr(i, n, fmt.Errorf("operator domain %q: dlc imports the default domain only", d))
	}
	op, ok := opImporters[n.GetOpType()]
	if !ok {
		return im.nodeErr(i, n, fmt.Errorf("operator %s is not supported (supported: %s)", n.GetOpType(), strings.Join(SupportedOps(), ", ")))
	}
	if err := op.lower(im, &nodeCtx{im: im, n: n, index: i}); err != nil {
		return im.nodeErr(i, n, err)
	}
	return nil
}

func (im *importer) nodeErr(i int, n *onnxpb.NodeProto, err error) error {
	name := n.GetName()
	if name == "" {
		name = "unnamed"
	}
	return fmt.Errorf("%s: node %d (%s, op %s, opset %d): %w", im.file, i, name, n.GetOpType(), im.opset, err)
}
