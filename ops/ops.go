// Package ops is dlc's op registry. Each op lives in one file of this
// package and says everything the compiler needs to know about it except how
// to emit fast code: its shape rule, its gradient (as IR built from other
// ops) and a float64 reference evaluation that the interpreter, the
// finite-difference checks and the codegen tests treat as the truth.
//
// Adding an op is one file here plus its gradient test; codegen gives it a
// kernel (elementwise ops get one for free from their Go formula).
package ops

import (
	"fmt"
	"go/ast"
	"slices"
	"sort"

	"github.com/dlc-dev/dlc/ir"
)

// Kind classifies ops for the passes and the code generator.
type Kind int

const (
	Source      Kind = iota // input, label, param, state: storage, no computation
	Elementwise             // out[i] = f(in0[i], in1[i], ...): all operands have the output's shape
	Compute                 // everything else that produces a new tensor
	Updater                 // optimizer updates: mutate their operands in place, produce nothing new
)

// Def describes one op.
type Def struct {
	Name string
	Kind Kind
	// Arity is the number of operands; -1 allows any number.
	Arity int
	// Shape infers the output shape from the operands' shapes and the
	// attributes. Its error message is for the user: it names the op and
	// both shapes, and the caller adds the position.
	Shape func(n *ir.Node) (ir.Shape, error)
	// Grad returns, for each operand, the gradient of the loss with respect
	// to it, given dy, the gradient with respect to n. A nil entry means no
	// gradient flows to that operand. Nil Grad means the op is not
	// differentiable (autodiff fails if a gradient must pass through it).
	Grad func(b *Builder, n *ir.Node, dy *ir.Node) ([]*ir.Node, error)
	// Eval computes the op in float64. Updater ops mutate args in place
	// and return nil.
	Eval func(ctx *EvalCtx, n *ir.Node, args []*Tensor) *Tensor
	// Scalar, for Elementwise ops, is the per-element formula over float64
	// operands, used by Eval.
	Scalar func(n *ir.Node, x []float64) float64
	// Go, for Elementwise ops, is the same formula as Go source, one
	// statement assigning y from the operands x0, x1, … (formula.go says
	// what it may use): data that the code generator renders into its
	// loops and fused kernels.
	Go string
	// View marks an op whose result is its operand's elements, in order,
	// under another shape: it computes nothing and needs no memory of its
	// own (the memory plan gives it its operand's buffer).
	View bool
	// Kernel, for some Elementwise ops, names the runtime/kernels function
	// a float32 model computes the op with instead of Go: Kernel(y, x...)
	// over slices, whose vector forms give the bits of its scalar form
	// Kernel+"32"(x...). These approximate Scalar to a few float32 ulps
	// (docs/kernels.md), where Go computes in float64 and rounds.
	Kernel string

	formula ast.Stmt // Go, parsed
}

var registry = map[string]*Def{}

// Register adds an op definition. It panics on a duplicate name: that is a
// programming error caught by any test.
func Register(d *Def) {
	if _, dup := registry[d.Name]; dup {
		panic("ops: duplicate op " + d.Name)
	}
	registry[d.Name] = d
}

// Lookup returns the op definition for name, or nil.
func Lookup(name string) *Def { return registry[name] }

// IsView reports whether n is a view of its operand (Def.View).
func IsView(n *ir.Node) bool {
	d := Lookup(n.Op)
	return d != nil && d.View
}

// Names returns every registered op name, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// InferShape applies n's shape rule, checking the arity first. Errors are
// *ir.Error at n's position.
func InferShape(n *ir.Node) (ir.Shape, error) {
	d := Lookup(n.Op)
	if d == nil {
		return nil, ir.Errorf(n.Loc, "unknown op %q", n.Op)
	}
	if d.Arity >= 0 && len(n.Inputs) != d.Arity {
		return nil, ir.Errorf(n.Loc, "%s takes %d operands, got %d", n.Op, d.Arity, len(n.Inputs))
	}
	if d.Shape == nil {
		return n.Shape, nil
	}
	s, err := d.Shape(n)
	if err != nil {
		return nil, ir.Errorf(n.Loc, "%v", err)
	}
	return s, nil
}

// Builder appends nodes to a graph, inferring each node's shape as it is
// created, so that a shape error is reported at the model line that caused
// it. Phase, Loc and Layer are stamped on every node it creates.
type Builder struct {
	G     *ir.Graph
	Phase ir.Phase
	Loc   ir.Loc
	Layer string
}

// Op appends a computing node and returns it.
func (b *Builder) Op(op string, attrs ir.Attrs, inputs ...*ir.Node) (*ir.Node, error) {
	n := &ir.Node{Op: op, Inputs: inputs, Attrs: attrs, Layer: b.Layer, Loc: b.Loc, Phase: b.Phase}
	s, err := InferShape(n)
	if err != nil {
		return nil, err
	}
	n.Shape = s
	return b.G.Add(n), nil
}

// Named is Op with a tensor name.
func (b *Builder) Named(name, op string, attrs ir.Attrs, inputs ...*ir.Node) (*ir.Node, error) {
	n, err := b.Op(op, attrs, inputs...)
	if n != nil {
		n.Name = name
	}
	return n, err
}

// Source appends a storage node (input, label, param, state) of the given
// shape.
func (b *Builder) Source(op, name string, shape ir.Shape, attrs ir.Attrs) *ir.Node {
	return b.G.Add(&ir.Node{Op: op, Name: name, Shape: slices.Clone(shape), Attrs: attrs,
		Layer: b.Layer, Loc: b.Loc, Phase: b.Phase})
}

// At returns a copy of the builder that stamps n's position and layer.
func (b *Builder) At(n *ir.Node) *Builder {
	c := *b
	c.Loc, c.Layer = n.Loc, n.Layer
	return &c
}

// must is for gradient rules, whose operands were already shape-checked in
// the forward pass: a failure there is a bug in the rule, not in the model.
func must(n *ir.Node, err error) *ir.Node {
	if err != nil {
		panic(fmt.Sprintf("ops: gradient rule built an ill-shaped node: %v", err))
	}
	return n
}

// Tensor is a float64 tensor for reference evaluation.
type Tensor struct {
	Shape ir.Shape
	Data  []float64
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(s ir.Shape) *Tensor {
	return &Tensor{Shape: slices.Clone(s), Data: make([]float64, s.Size())}
}

// EvalCtx carries what reference evaluation needs beyond the operands.
type EvalCtx struct {
	Step     int  // 1-based optimizer step, for bias correction
	Training bool // training mode (dropout, batch statistics)
	// LR is this step's learning rate from the schedule; 0 means the
	// update's own lr attribute (the schedule's base rate).
	LR float64
	// RNG is the model's own random stream, which ops that draw (dropout
	// masks) read in graph order; a *runtime.RNG seeded as the generated
	// model's gives the generated model's draws.
	RNG Rand
	// Position is the decode step's position in the sequence, which
	// embedding_at and attention_cached read: like the learning rate, it
	// belongs to the step, not to the graph.
	Position int
}

// Rand is a source of uniform numbers in [0, 1).
type Rand interface{ Float64() float64 }

// shapeErr builds a shape-rule error message.
func shapeErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// sameShape is the shape rule of elementwise ops: every operand has the
// first operand's shape.
func sameShape(n *ir.Node) (ir.Shape, error) {
	s := n.Inputs[0].Shape
	for i, in := range n.Inputs[1:] {
		if !in.Shape.Equal(s) {
			return nil, shapeErr("%s: operand %d has shape %s but operand 0 has shape %s", n.Op, i+1, in.Shape, s)
		}
	}
	return slices.Clone(s), nil
}

// evalElementwise evaluates an Elementwise op from its Scalar rule.
func evalElementwise(d *Def) func(*EvalCtx, *ir.Node, []*Tensor) *Tensor {
	return func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
		out := NewTensor(n.Shape)
		x := make([]float64, len(args))
		for i := range out.Data {
			for j, a := range args {
				x[j] = a.Data[i]
			}
			out.Data[i] = d.Scalar(n, x)
		}
		return out
	}
}

// registerElementwise registers an elementwise op whose Eval follows from
// its Scalar rule. Its Go formula must say the same in Go.
func registerElementwise(d *Def) {
	if d.Scalar == nil || d.Go == "" {
		panic("ops: elementwise op " + d.Name + " needs Scalar and Go")
	}
	f, err := parseFormula(d.Go, d.Arity)
	if err != nil {
		panic(fmt.Sprintf("ops: the Go formula of %s, %q: %v", d.Name, d.Go, err))
	}
	d.formula = f
	d.Kind = Elementwise
	if d.Shape == nil {
		d.Shape = sameShape
	}
	d.Eval = evalElementwise(d)
	Register(d)
}
