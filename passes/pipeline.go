// Package passes is dlc's compiler pipeline: a list of named passes that
// turn a forward graph into a complete training (or prediction) graph. Each
// pass lives in its own file.
package passes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// Pass is one step of the pipeline.
type Pass struct {
	Name string
	Run  func(g *ir.Graph, opt *Options) error
	// Training passes run only in training builds.
	Training bool
}

// Options select what the pipeline builds.
type Options struct {
	// Inference builds for prediction only: no autodiff, no optimizer.
	Inference bool
	// Verify runs ir.Verify on the input and after every pass.
	Verify bool
	// NoFuse turns fusion off (every op its own kernel), to compare fused
	// and unfused builds.
	NoFuse bool
	// Fuse is what the code generator's fused kernels can compute
	// (codegen.FuseLimits), so that the fuse pass proposes only groups it
	// emits. The zero value lets an epilogue read nothing but the running
	// value and the bias.
	Fuse ir.FuseLimits
	// NoFoldBN keeps an inference build's batch norms as they are instead
	// of folding them into the linear ops before them, to compare folded
	// and unfolded builds.
	NoFoldBN bool
	// NoRecompute keeps every forward value the backward pass reads
	// instead of recomputing cheap elementwise ones (recompute_elementwise.go), to
	// compare the two.
	NoRecompute bool
	// StopAfter, when not empty, ends the pipeline after the pass of that
	// name (`dlc ir -after PASS`), to read the graph as that pass left it.
	StopAfter string
}

// Pipeline is the list of passes, in the order they run.
var Pipeline = []Pass{
	{Name: "shapes", Run: checkShapes},
	{Name: "placebn", Run: placeBatchNorm},
	{Name: "autodiff", Run: autodiff, Training: true},
	{Name: "optimizer", Run: addOptimizer, Training: true},
	{Name: "foldbn", Run: foldBatchNorm}, // inference builds only
	{Name: "dce", Run: eliminateDeadCode},
	{Name: "remat", Run: rematerialise, Training: true},
	{Name: "recompute", Run: recomputeElementwise, Training: true},
	{Name: "fuse", Run: fuse},
	{Name: "memplan", Run: planMemory},
}

// passOrder lists the orderings the pipeline relies on, each with its
// reason; checkOrder holds Pipeline to them when the package starts, so a
// reordering that breaks one fails every build and test at once.
var passOrder = []struct{ before, after, why string }{
	{"shapes", "placebn", "every pass reads checked shapes"},
	{"placebn", "autodiff", "the backward pass is derived from the final forward graph"},
	{"autodiff", "optimizer", "updates read the gradients"},
	{"optimizer", "dce", "dead-code elimination keeps the updates, and through them the gradients"},
	{"foldbn", "dce", "folding leaves the batch norms it folded dead"},
	{"dce", "remat", "rematerialisation decides on live values only"},
	{"remat", "recompute", "recompute relies on the operands the backward pass keeps, which remat's clones change"},
	{"recompute", "fuse", "fused groups are formed over the final node list"},
	{"fuse", "memplan", "the plan gives a fused group's interior members no buffer and follows the final node list"},
}

func init() {
	if err := checkOrder(Pipeline); err != nil {
		panic(err) // a reordered Pipeline is a bug in this package
	}
}

// checkOrder reports the first ordering of passOrder that pipeline breaks,
// or a pass that passOrder names and the pipeline lacks.
func checkOrder(pipeline []Pass) error {
	at := map[string]int{}
	for i, p := range pipeline {
		at[p.Name] = i
	}
	for _, o := range passOrder {
		b, okB := at[o.before]
		a, okA := at[o.after]
		switch {
		case !okB || !okA:
			return fmt.Errorf("pass order: %s before %s, but the pipeline lacks one of them", o.before, o.after)
		case b > a:
			return fmt.Errorf("pass order: %s must run before %s: %s", o.before, o.after, o.why)
		}
	}
	return nil
}

// PassNames are the pipeline's pass names in order.
func PassNames() []string {
	names := make([]string, len(Pipeline))
	for i, p := range Pipeline {
		names[i] = p.Name
	}
	return names
}

// Run runs the pipeline over g, in place. Problems in the model are returned
// as *ir.Error; a graph that fails verification after a pass is a compiler
// bug and is reported as "after pass <name>: ...".
func Run(g *ir.Graph, opt Options) error {
	if opt.StopAfter != "" && !slices.Contains(PassNames(), opt.StopAfter) {
		return fmt.Errorf("no pass %q: the passes are %s", opt.StopAfter, strings.Join(PassNames(), ", "))
	}
	if opt.Verify {
		if err := ir.Verify(g); err != nil {
			return fmt.Errorf("before pass %s: %w", Pipeline[0].Name, err)
		}
	}
	for _, p := range Pipeline {
		if p.Training && opt.Inference {
			continue
		}
		if err := runPass(p, g, &opt); err != nil {
			return err
		}
		if opt.Verify {
			if err := ir.Verify(g); err != nil {
				return fmt.Errorf("after pass %s: %w", p.Name, err)
			}
		}
		if p.Name == opt.StopAfter {
			break
		}
	}
	return nil
}

// runPass runs one pass, turning a panic (an op rule's broken invariant)
// into an error so that no stack trace reaches the user.
func runPass(p Pass, g *ir.Graph, opt *Options) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal compiler error in pass %s: %v", p.Name, r)
		}
	}()
	return p.Run(g, opt)
}

// describe names a node's op and layer for error messages:
// `op "matmul" (layer fc1)`.
func describe(n *ir.Node) string {
	if n.Layer == "" {
		return fmt.Sprintf("op %q", n.Op)
	}
	return fmt.Sprintf("op %q (layer %s)", n.Op, n.Layer)
}
