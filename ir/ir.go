// Package ir is dlc's intermediate representation: a typed graph of tensor
// operations with static shapes, plus the training recipe that goes with it.
//
// The IR knows nothing of the surface syntax. A node remembers where it came
// from only as an opaque Loc (file, line, column) so that later passes can
// point error messages and generated-code comments at the model file.
package ir

import (
	"fmt"
	"slices"
	"strings"
)

// DType is the element type every float tensor in a graph is computed in.
type DType int

const (
	F32 DType = iota
	F64
)

func (d DType) String() string {
	if d == F64 {
		return "f64"
	}
	return "f32"
}

// Shape is a static tensor shape. A scalar has the empty shape.
type Shape []int

// Size is the number of elements.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether two shapes are identical.
func (s Shape) Equal(t Shape) bool { return slices.Equal(s, t) }

func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Loc is a position in a source file. The zero Loc means "no position".
type Loc struct {
	File      string
	Line, Col int
}

func (l Loc) String() string {
	if l.Line == 0 {
		return l.File
	}
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Col)
}

// Phase says when a node runs within one training step.
type Phase int

const (
	Forward  Phase = iota // runs in training and inference
	Backward              // runs only in training, after the loss is known
	Update                // optimizer updates; run after every gradient is complete
)

func (p Phase) String() string {
	switch p {
	case Backward:
		return "backward"
	case Update:
		return "update"
	}
	return "forward"
}

// Attrs are an op's static attributes. Values are int, float64, bool,
// string or []int; Dump prints them sorted by key so output is stable.
type Attrs map[string]any

// Int returns an int attribute, or def when absent.
func (a Attrs) Int(key string, def int) int {
	if v, ok := a[key].(int); ok {
		return v
	}
	return def
}

// Float returns a float attribute (ints are widened), or def when absent.
func (a Attrs) Float(key string, def float64) float64 {
	switch v := a[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return def
}

// Bool returns a bool attribute, or false when absent.
func (a Attrs) Bool(key string) bool {
	v, _ := a[key].(bool)
	return v
}

// Str returns a string attribute, or "" when absent.
func (a Attrs) Str(key string) string {
	v, _ := a[key].(string)
	return v
}

// Ints returns a []int attribute, or nil when absent.
func (a Attrs) Ints(key string) []int {
	v, _ := a[key].([]int)
	return v
}

// Node is one operation producing one tensor.
type Node struct {
	ID     int
	Op     string // name of a registered op, such as "matmul"
	Inputs []*Node
	Shape  Shape
	Attrs  Attrs
	// Name is the tensor's name where the model file gives one: parameter
	// names ("fc1.w") become checkpoint keys, activation names label
	// generated code and reports. Empty for anonymous intermediates.
	Name string
	// Layer is the model-file layer this node belongs to (for comments,
	// gradient-health reports and error messages).
	Layer string
	Loc   Loc
	Phase Phase
}

func (n *Node) String() string { return fmt.Sprintf("%%%d", n.ID) }

// Label returns the most readable name for the node: its Name, its Layer,
// or its op and ID.
func (n *Node) Label() string {
	switch {
	case n.Name != "":
		return n.Name
	case n.Layer != "":
		return fmt.Sprintf("%s.%s%d", n.Layer, n.Op, n.ID)
	}
	return fmt.Sprintf("%s%d", n.Op, n.ID)
}

// Graph is a whole model: forward, and after autodiff, backward and update
// nodes, in one topologically ordered list.
type Graph struct {
	Name  string
	DType DType
	Batch int // static batch size: every activation's first dimension

	Nodes []*Node // topological order: inputs before users

	Inputs []*Node // op "input", in declaration order
	Labels []*Node // op "label", in declaration order
	Params []*Node // op "param": trainable tensors, in creation order
	State  []*Node // op "state": optimizer state and running statistics
	Output *Node   // the prediction (logits, or the regression output)
	Loss   *Node   // scalar training loss

	// Grads maps each parameter to the node holding dLoss/dParam. Filled by
	// the autodiff pass.
	Grads map[*Node]*Node

	Train TrainConfig

	// Groups are the fused kernels chosen by the fusion pass; GroupOf maps
	// each member to its group.
	Groups  []*Group
	GroupOf map[*Node]*Group

	// Mem is the arena plan, filled by the last pass (memplan) for the
	// fused groups above, each of which the code generator emits as one
	// kernel.
	Mem *MemPlan

	nextID int
}

// NewGraph returns an empty graph.
func NewGraph(name string, dtype DType, batch int) *Graph {
	return &Graph{Name: name, DType: dtype, Batch: batch, Grads: map[*Node]*Node{}}
}

// Add appends n to the graph, giving it the next ID, and registers it in
// Inputs, Labels, Params or State by op. The caller sets Shape.
func (g *Graph) Add(n *Node) *Node {
	n.ID = g.nextID
	g.nextID++
	if n.Attrs == nil {
		n.Attrs = Attrs{}
	}
	g.Nodes = append(g.Nodes, n)
	switch n.Op {
	case "input":
		g.Inputs = append(g.Inputs, n)
	case "label":
		g.Labels = append(g.Labels, n)
	case "param":
		g.Params = append(g.Params, n)
	case "state":
		g.State = append(g.State, n)
	}
	return n
}

// Param returns the parameter with the given name, or nil.
func (g *Graph) Param(name string) *Node {
	for _, p := range g.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Users returns, for every node, the nodes that read it, in graph order.
func (g *Graph) Users() map[*Node][]*Node {
	users := make(map[*Node][]*Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if len(users[in]) == 0 || users[in][len(users[in])-1] != n {
				users[in] = append(users[in], n)
			}
		}
	}
	return users
}

// Retain keeps only the nodes for which keep returns true, preserving
// order, and drops removed nodes from the Inputs/Labels/Params/State lists.
func (g *Graph) Retain(keep func(*Node) bool) {
	filter := func(ns []*Node) []*Node {
		return slices.DeleteFunc(ns, func(n *Node) bool { return !keep(n) })
	}
	g.Nodes = filter(g.Nodes)
	g.Inputs = filter(g.Inputs)
	g.Labels = filter(g.Labels)
	g.Params = filter(g.Params)
	g.State = filter(g.State)
}

// TrainConfig is the training recipe from the model file.
type TrainConfig struct {
	Data  string    // data source: "mnist" or a folder of IDX files; "" when Files names them
	Files DataFiles // CSV or NPY files
	// DataDefault says why Data is the default, "mnist", when the model
	// file names no data: DataNoTrainBlock or DataNoDataKey; "" when it
	// names its data.
	DataDefault string
	Split       float64 // fraction of the training set held out for validation
	SplitBy     string  // SplitRandom, SplitClass or SplitGroup
	Batch       int
	Epochs      int
	Seed        uint64
	Optimizer   Optimizer
	Recipe      Recipe // schedule, clipping, preprocessing, default init (ir/recipe.go)
}

// Why a model trains on the default data (TrainConfig.DataDefault).
const (
	DataNoTrainBlock = "no train block"
	DataNoDataKey    = "no data key in its train block"
)

// Optimizer names an update rule and its hyperparameters.
type Optimizer struct {
	Kind        string // "sgd", "adam", "adamw", "adagrad" or "rmsprop"
	LR          float64
	Momentum    float64 // sgd, rmsprop
	Nesterov    bool    // sgd
	Beta1       float64 // adam, adamw
	Beta2       float64 // adam, adamw
	Eps         float64 // adam, adamw, adagrad, rmsprop
	Alpha       float64 // rmsprop
	Centered    bool    // rmsprop
	WeightDecay float64
	Decay       DecayRule // how WeightDecay applies (ir/recipe.go)
}

// Error is a compile error attached to a source position: the shape pass,
// the op rules and the other passes report problems in the model through it.
type Error struct {
	Loc Loc
	Msg string
}

func (e *Error) Error() string {
	if e.Loc.File == "" && e.Loc.Line == 0 {
		return e.Msg
	}
	return e.Loc.String() + ": " + e.Msg
}

// Errorf returns an *Error at loc.
func Errorf(loc Loc, format string, args ...any) *Error {
	return &Error{Loc: loc, Msg: fmt.Sprintf(format, args...)}
}

// Clone returns a copy of s that shares no memory with it.
func (s Shape) Clone() Shape { return append(Shape{}, s...) }
