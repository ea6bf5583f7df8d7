package onnx

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// ExportOpset is the default-domain operator set of exported models.
const ExportOpset = 17

// exportIRVersion is the ONNX IR version of exported models: the one that
// goes with opset 17 (ONNX 1.12).
const exportIRVersion = 8

// BatchDim is the symbolic name of the first (batch) dimension of an
// exported model's inputs and output: any batch runs.
const BatchDim = "batch"

// Export writes an inference graph as an ONNX model at opset 17 without
// the initializers' values: every parameter and state tensor the graph
// reads is an initializer of its model-file name and shape, and of no
// data, for the trainer to fill from a checkpoint.
// Batch norm stays a BatchNormalization node after its Gemm or Conv
// (dlc folds it into the weights before inference, and so do ONNX
// runtimes), so that the initializers are the checkpoint's own tensors.
// An op with no ONNX form is an error naming it and its layer.
func Export(g *ir.Graph) (*onnxpb.ModelProto, error) {
	ex := &exporter{g: g, names: map[*ir.Node]string{}, used: map[string]bool{}, readers: map[*ir.Node][]*ir.Node{}, done: map[*ir.Node]bool{}}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			ex.readers[in] = append(ex.readers[in], n)
		}
	}
	if g.Output == nil {
		return nil, fmt.Errorf("graph %s has no output", g.Name)
	}
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward || ex.done[n] {
			continue
		}
		if err := ex.node(n); err != nil {
			return nil, fmt.Errorf("%s: layer %q: op %s: %w", n.Loc, n.Layer, n.Op, err)
		}
	}
	ex.graph.Name = proto.String(g.Name)
	ex.graph.Output = []*onnxpb.ValueInfoProto{valueInfo(ex.name(g.Output), g.Output.Shape)}
	sort.Slice(ex.graph.Initializer, func(i, j int) bool { return ex.graph.Initializer[i].GetName() < ex.graph.Initializer[j].GetName() })
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(exportIRVersion),
		ProducerName: proto.String("dlc"),
		Graph:        &ex.graph,
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(ExportOpset)}},
	}, nil
}

// opExporter writes one IR op as ONNX nodes; doc says as what, for the
// table in docs/onnx.md (ExportTable).
type opExporter struct {
	doc   string
	write func(ex *exporter, n *ir.Node) error
}

// opExporters is the one table of IR ops with an ONNX form. Derived
// batch-norm folds are written by the matmul or conv2d that reads them.
var opExporters = map[string]opExporter{
	"input":          {"a graph input, its first dimension the symbolic `batch`", exportInput},
	"param":          {"an initializer of the model file's name", exportStorage},
	"state":          {"an initializer of the model file's name (running statistics, a fitted input transform)", exportStorage},
	"bn_fold_weight": {"nothing: its matmul or conv2d writes the batch norm as BatchNormalization after itself", skip},
	"bn_fold_bias":   {"nothing: as bn_fold_weight", skip},
	"matmul":         {"Gemm (`transB` for transposed weights), with the bias of the bias_add that alone reads it; a 2-D tensor times a parameter", exportLinear("Gemm")},
	"conv2d":         {"Conv, with the bias of the bias_add that alone reads it", exportLinear("Conv")},
	"bias_add":       {"Add, of a 2-D tensor (one after a matmul or conv2d is that op's bias)", exportBiasAdd},
	"add":            {"Add", simple("Add")},
	"relu":           {"Relu", simple("Relu")},
	"tanh":           {"Tanh", simple("Tanh")},
	"sigmoid":        {"Sigmoid", simple("Sigmoid")},
	"softmax":        {"Softmax along the last axis", exportSoftmax},
	"flatten":        {"Flatten, `axis` 1", exportFlatten},
	"maxpool2d":      {"MaxPool, unpadded", exportPool("MaxPool")},
	"avgpool2d":      {"AveragePool, unpadded", exportPool("AveragePool")},
	"batchnorm_eval": {"BatchNormalization", exportBatchNorm},
	"global_avgpool": {"GlobalAveragePool, then Flatten", exportGlobalAvgPool},
}

// ExportTable is the Markdown table of the IR ops dlc exports, for
// docs/onnx.md.
func ExportTable() string {
	s := "| dlc op | ONNX |\n|---|---|\n"
	for _, name := range exportedOps() {
		s += fmt.Sprintf("| %s | %s |\n", name, opExporters[name].doc)
	}
	return s
}

func skip(*exporter, *ir.Node) error { return nil }

// exporter carries the state of one export.
type exporter struct {
	g       *ir.Graph
	graph   onnxpb.GraphProto
	names   map[*ir.Node]string
	used    map[string]bool
	readers map[*ir.Node][]*ir.Node
	done    map[*ir.Node]bool // nodes already written by a reader's pattern
}

func (ex *exporter) node(n *ir.Node) error {
	op, ok := opExporters[n.Op]
	if !ok {
		return fmt.Errorf("no ONNX form (dlc exports %s)", strings.Join(exportedOps(), ", "))
	}
	return op.write(ex, n)
}

// exportedOps lists the IR ops with an ONNX form, sorted.
func exportedOps() []string { return slices.Sorted(maps.Keys(opExporters)) }

// name is the ONNX value name of n: its model-file name when it has one
// not taken, else one made of its layer, op and ID.
func (ex *exporter) name(n *ir.Node) string {
	if s, ok := ex.names[n]; ok {
		return s
	}
	s := n.Name
	if s == "" || ex.used[s] {
		s = fmt.Sprintf("%s/%s_%d", n.Layer, n.Op, n.ID)
	}
	ex.names[n] = s
	ex.used[s] = true
	return s
}

// add appends an ONNX node computing out from ins, commented with the IR
// node's layer and place in the model file.
func (ex *exporter) add(from *ir.Node, opType string, ins []string, out string, attrs ...*onnxpb.AttributeProto) {
	ex.graph.Node = append(ex.graph.Node, &onnxpb.NodeProto{
		Name:      proto.String(fmt.Sprintf("%s/%s_%d", from.Layer, opType, len(ex.graph.Node))),
		OpType:    proto.String(opType),
		Input:     ins,
		Output:    []string{out},
		Attribute: attrs,
		DocString: proto.String(fmt.Sprintf("layer %s at %s", from.Layer, from.Loc)),
	})
}

func exportInput(ex *exporter, n *ir.Node) error {
	ex.graph.Input = append(ex.graph.Input, valueInfo(ex.name(n), n.Shape))
	return nil
}

// exportStorage declares a parameter or state tensor as an initializer
// without data.
func exportStorage(ex *exporter, n *ir.Node) error {
	dims := make([]int64, len(n.Shape))
	for i, d := range n.Shape {
		dims[i] = int64(d)
	}
	ex.graph.Initializer = append(ex.graph.Initializer, &onnxpb.TensorProto{
		Name:     proto.String(ex.name(n)),
		Dims:     dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
	})
	return nil
}

func simple(opType string) func(*exporter, *ir.Node) error {
	return func(ex *exporter, n *ir.Node) error {
		ins := make([]string, len(n.Inputs))
		for i, in := range n.Inputs {
			ins[i] = ex.name(in)
		}
		ex.add(n, opType, ins, ex.name(n))
		return nil
	}
}

// exportLinear writes a matmul as Gemm or a conv2d as Conv, with the bias
// of the bias_add that alone reads it, and the BatchNormalization whose
// fold the weights are.
func exportLinear(opType string) func(*exporter, *ir.Node) error {
	return func(ex *exporter, n *ir.Node) error {
		x, w := n.Inputs[0], n.Inputs[1]
		var attrs []*onnxpb.AttributeProto
		switch opType {
		case "Gemm":
			if n.Attrs.Bool("ta") || len(x.Shape) != 2 {
				return fmt.Errorf("dlc exports a matmul of a 2-D tensor, untransposed, by its weights")
			}
			if n.Attrs.Bool("tb") {
				attrs = append(attrs, intAttr("transB", 1))
			}
		case "Conv":
			k, s, p := int64(n.Attrs.Int("kernel", 0)), int64(n.Attrs.Int("stride", 1)), int64(n.Attrs.Int("pad", 0))
			attrs = append(attrs, intsAttr("kernel_shape", k, k), intsAttr("strides", s, s), intsAttr("pads", p, p, p, p))
		}
		var fold *ir.Node // the bn_fold_weight the layer reads, if any
		if w.Op == "bn_fold_weight" {
			fold, w = w, w.Inputs[0]
		}
		if !isStorage(w) {
			return fmt.Errorf("the weights %s are computed, not a parameter", w.Label())
		}
		ins := []string{ex.name(x), ex.name(w)}
		out := n
		var bias *ir.Node // the bias_add reading the layer alone, if any
		if r := ex.readers[n]; len(r) == 1 && r[0].Op == "bias_add" && r[0].Inputs[0] == n {
			bias, out = r[0], r[0]
		}
		if fold == nil {
			if bias != nil && isStorage(bias.Inputs[1]) {
				ins = append(ins, ex.name(bias.Inputs[1]))
				ex.done[bias] = true
			} else {
				out = n
			}
			ex.add(n, opType, ins, ex.name(out), attrs...)
			return nil
		}
		// Batch norm folded: the layer's own bias (if any) is the fold's
		// fifth operand; the layer's output goes through BatchNormalization.
		if bias == nil || bias.Inputs[1].Op != "bn_fold_bias" {
			return fmt.Errorf("folded weights without their folded bias")
		}
		fb := bias.Inputs[1]
		if len(fb.Inputs) == 5 {
			ins = append(ins, ex.name(fb.Inputs[4]))
		}
		gamma, variance := fold.Inputs[1], fold.Inputs[2]
		beta, mean := fb.Inputs[1], fb.Inputs[2]
		if fb.Inputs[0] != gamma || fb.Inputs[3] != variance {
			return fmt.Errorf("the folded weights and bias come from different batch norms")
		}
		linear := fmt.Sprintf("%s/%s_%d", n.Layer, opType, n.ID)
		ex.add(n, opType, ins, linear, attrs...)
		ex.add(bias, "BatchNormalization", []string{linear, ex.name(gamma), ex.name(beta), ex.name(mean), ex.name(variance)}, ex.name(bias),
			floatAttr("epsilon", fold.Attrs.Float("eps", 1e-5)))
		ex.done[bias] = true
		return nil
	}
}

// exportBiasAdd writes a bias_add that no Gemm or Conv took: an Add of a
// bias along the last axis.
func exportBiasAdd(ex *exporter, n *ir.Node) error {
	if len(n.Inputs[0].Shape) != 2 {
		return fmt.Errorf("dlc exports a bias of the last axis of a 2-D tensor, or one after a Gemm or Conv")
	}
	return simple("Add")(ex, n)
}

func exportSoftmax(ex *exporter, n *ir.Node) error {
	ex.add(n, "Softmax", []string{ex.name(n.Inputs[0])}, ex.name(n), intAttr("axis", -1))
	return nil
}

func exportFlatten(ex *exporter, n *ir.Node) error {
	ex.add(n, "Flatten", []string{ex.name(n.Inputs[0])}, ex.name(n), intAttr("axis", 1))
	return nil
}

func exportPool(opType string) func(*exporter, *ir.Node) error {
	return func(ex *exporter, n *ir.Node) error {
		k, s, p := int64(n.Attrs.Int("kernel", 0)), int64(n.Attrs.Int("stride", 1)), int64(n.Attrs.Int("pad", 0))
		if p != 0 {
			return fmt.Errorf("padded pooling has no ONNX form that dlc exports")
		}
		ex.add(n, opType, []string{ex.name(n.Inputs[0])}, ex.name(n), intsAttr("kernel_shape", k, k), intsAttr("strides", s, s))
		return nil
	}
}

// exportGlobalAvgPool writes GlobalAveragePool, whose [N, C, 1, 1] a
// Flatten turns into dlc's [N, C].
func exportGlobalAvgPool(ex *exporter, n *ir.Node) error {
	pooled := fmt.Sprintf("%s/GlobalAveragePool_%d", n.Layer, n.ID)
	ex.add(n, "GlobalAveragePool", []string{ex.name(n.Inputs[0])}, pooled)
	ex.add(n, "Flatten", []string{pooled}, ex.name(n), intAttr("axis", 1))
	return nil
}

// exportBatchNorm writes a batch norm left unfolded: x, gamma, beta,
// running mean, running variance.
func exportBatchNorm(ex *exporter, n *ir.Node) error {
	ins := make([]string, len(n.Inputs))
	for i, in := range n.Inputs {
		ins[i] = ex.name(in)
	}
	ex.add(n, "BatchNormalization", ins, ex.name(n), floatAttr("epsilon", n.Attrs.Float("eps", 1e-5)))
	return nil
}

func isStorage(n *ir.Node) bool { return n.Op == "param" || n.Op == "state" }

// valueInfo is a float tensor's type with the symbolic batch first.
func valueInfo(name string, shape ir.Shape) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}}}
	for _, d := range shape[1:] {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func intsAttr(name string, vs ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: vs}
}

func floatAttr(name string, v float64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(float32(v))}
}
