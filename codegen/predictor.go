package codegen

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Inference-only packages. An imported ONNX model has no loss, no labels
// and no training graph: its package is one inference graph, its
// parameters read from a safetensors file embedded beside the code, and a
// Go API that takes and returns tensors by the graph's own names. The
// generator is the training generator's (gen) with both of its graphs set
// to the one inference graph, so that every kernel emitter serves it
// unchanged; only the files' outer shape (predictor_model.go) differs.

// WeightsFile is the name of the embedded weights in an inference-only
// package.
const WeightsFile = "weights.safetensors"

// PredictorOptions control the generation of an inference-only package.
type PredictorOptions struct {
	// Package is the Go package name (default: the graph's name).
	Package string
	// Source is the model file as the user named it, for headers and
	// comments.
	Source string
	// Weights is a safetensors file holding every parameter of the graph,
	// under its name, as F32 in row-major order. It becomes the package's
	// weights.safetensors, and New reads the parameters from it.
	Weights []byte
	// Output names the graph's output in the API (the ONNX name); default
	// the output node's name.
	Output string
	// Tuning holds choices measured by `dlc build -tune` (see Options).
	Tuning Tuning
}

// GeneratePredictor returns the files of an inference-only package for g,
// an inference graph after the pass pipeline (passes.Options{Inference:
// true}), sorted by name: model.go, steps.go, kernels.go, the SIMD files
// when the kernels have vector parts, and weights.safetensors. g's memory
// plan (g.Mem) is the memplan pass's.
func GeneratePredictor(g *ir.Graph, opt PredictorOptions) ([]File, error) {
	c, w, err := newPredictorGen(g, opt)
	if err != nil {
		return nil, err
	}
	steps := c.predictorStepsFile()
	model := c.predictorModelFile(w)
	files, err := c.renderPackage(steps, model)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Name: WeightsFile, Data: opt.Weights})
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Name, b.Name) })
	return files, nil
}

// newPredictorGen checks g and sets up its generator: the memory plan of
// g alone, fields for its storage and computed nodes, and where each
// parameter lies in the weights file.
func newPredictorGen(g *ir.Graph, opt PredictorOptions) (*gen, *weightsLayout, error) {
	if g == nil {
		return nil, nil, fmt.Errorf("codegen: no graph")
	}
	if opt.Package == "" {
		opt.Package = g.Name
	}
	if err := packageName(opt.Package); err != nil {
		return nil, nil, fmt.Errorf("codegen: %w", err)
	}
	if err := checkPredictorGraph(g); err != nil {
		return nil, nil, err
	}
	w, err := readWeightsLayout(opt.Weights, g.Params)
	if err != nil {
		return nil, nil, err
	}
	if g.Mem == nil {
		return nil, nil, fmt.Errorf("codegen: the graph has no memory plan: the pass pipeline must run to its end (memplan)")
	}
	mem := &Memory{Infer: g.Mem, Floats: g.Mem.Arena, Persist: g.Mem.Persist, offset: map[*ir.Node]int{}}
	for n, b := range g.Mem.ByNode {
		mem.offset[n] = b.Offset
	}
	c := &gen{
		g: g, inf: g, pkg: opt.Package, input: g.Inputs[0], mem: mem, kernels: newKernelSet(),
		opt: Options{Package: opt.Package, Source: displaySource(opt.Source), Tuning: opt.Tuning},
	}
	c.layout = layoutArena(mem, nil)
	c.bufs = slices.DeleteFunc(bufferOrder(g), func(n *ir.Node) bool { return !c.layout.hasFloats(n) })
	c.names = fieldNames(g, c.bufs)
	if opt.Output == "" {
		opt.Output = g.Output.Name
	}
	w.output = opt.Output
	return c, w, nil
}

// checkPredictorGraph rejects graphs an inference-only package cannot
// run: anything but forward nodes with kernels, labels or a loss, inputs
// that are not batch-major.
func checkPredictorGraph(g *ir.Graph) error {
	if err := ir.Verify(g); err != nil {
		return fmt.Errorf("codegen: the graph is malformed:\n%w", err)
	}
	switch {
	case g.Batch <= 0:
		return fmt.Errorf("codegen: batch size is %d, want a positive size", g.Batch)
	case len(g.Inputs) == 0:
		return fmt.Errorf("codegen: the graph has no input")
	case g.Output == nil:
		return fmt.Errorf("codegen: the graph has no output")
	case g.Loss != nil || len(g.Labels) > 0:
		return fmt.Errorf("codegen: an inference-only package has no loss and no labels: run the passes with Inference set")
	case g.DType != ir.F32:
		return fmt.Errorf("codegen: inference-only packages compute in float32, not %s", g.DType)
	}
	readers := g.Users()
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward {
			return ir.Errorf(n.Loc, "codegen: %s is a %s node; an inference-only graph is forward only", n.Label(), n.Phase)
		}
		d := ops.Lookup(n.Op)
		if d == nil {
			return ir.Errorf(n.Loc, "codegen: %s: unknown op %q", n.Label(), n.Op)
		}
		if d.Kind == ops.Updater {
			return ir.Errorf(n.Loc, "codegen: %s: an inference-only graph changes nothing, but %s updates its operands", n.Label(), n.Op)
		}
		if d.Kind == ops.Source {
			continue // parameters come from the weights file, not from an initialiser
		}
		if err := checkNode(g, n, readers[n]); err != nil {
			return err
		}
	}
	return checkGroups(g)
}

// weightsLayout is where each parameter lies in the weights file: the
// header New checks the file against, and each parameter's byte range in
// the data section after it.
type weightsLayout struct {
	header string // the file's first bytes: header length and JSON header
	size   int    // the whole file's length
	ranges map[*ir.Node][2]int64
	output string // the output's name in the API
}

// readWeightsLayout reads a safetensors file's header and finds every
// parameter in it, as F32 of the parameter's shape.
func readWeightsLayout(file []byte, params []*ir.Node) (*weightsLayout, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("codegen: the weights file: "+format, args...)
	}
	if len(file) < 8 {
		return nil, bad("%d bytes, too short for a safetensors file", len(file))
	}
	n := binary.LittleEndian.Uint64(file)
	if n > uint64(len(file)-8) {
		return nil, bad("its header of %d bytes does not fit in the file", n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+n], &header); err != nil {
		return nil, bad("%v", err)
	}
	data := int64(len(file)) - 8 - int64(n)
	w := &weightsLayout{header: string(file[:8+n]), size: len(file), ranges: map[*ir.Node][2]int64{}}
	for _, p := range params {
		var e struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets [2]int64 `json:"data_offsets"`
		}
		raw, ok := header[p.Name]
		if !ok {
			return nil, bad("no tensor %q", p.Name)
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, bad("tensor %q: %v", p.Name, err)
		}
		r := e.DataOffsets
		if e.DType != "F32" || !ir.Shape(e.Shape).Equal(p.Shape) || r[0] < 0 || r[1] > data || r[1]-r[0] != int64(4*p.Shape.Size()) {
			return nil, bad("tensor %q is %s%v at bytes %v; the graph needs F32%s", p.Name, e.DType, e.Shape, r, p.Shape)
		}
		w.ranges[p] = r
	}
	return w, nil
}
