package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/ir"
)

// rankMemory is `dlc plan -ranks N`: the memory of one rank of a
// data-parallel run (docs/distributed.md), whose model is compiled at the
// per-rank batch B/N, in bytes. Every rank holds the parameters and their
// gradients whole; with ZeRO stage 1 (optimizer-state sharding) it keeps the
// optimizer state of its slice of the flattened parameters alone, at most
// ⌈P/N⌉ elements of each of the optimizer's moments.
type rankMemory struct {
	Ranks       int `json:"ranks"`
	GlobalBatch int `json:"global_batch"`
	RankBatch   int `json:"rank_batch"`

	Parameters          int64 `json:"parameter_bytes"`
	Gradients           int64 `json:"gradient_bytes"`
	OptimizerState      int64 `json:"optimizer_state_bytes"`
	OptimizerStateZeRO1 int64 `json:"optimizer_state_zero1_bytes"`
	// OtherPersistent is the rest of the persistent region: the input
	// and targets at B/N rows, running statistics, fitted transforms and
	// what the inference pass derives from the parameters.
	OtherPersistent int64 `json:"other_persistent_bytes"`
	// Activations is the transient region both passes reuse, at B/N rows.
	Activations int64 `json:"activation_bytes"`

	Total      int64 `json:"total_bytes"`
	TotalZeRO1 int64 `json:"total_zero1_bytes"`
}

// rankBatch is the batch each of n ranks trains on, or an error naming the
// batch and n when they cannot share it.
func rankBatch(global, n int) (int, error) {
	if n < 1 {
		return 0, fmt.Errorf("-ranks %d: a run has 1 rank or more", n)
	}
	if global%n != 0 {
		return 0, fmt.Errorf("-ranks %d: %d ranks cannot share the batch of %d samples equally; choose a divisor of %d", n, n, global, global)
	}
	return global / n, nil
}

// perRankMemory splits mem, the generated model's arena at batch B/N, into
// what one rank of n holds, with and without ZeRO stage 1.
func perRankMemory(train *ir.Graph, mem *codegen.Memory, n, global int, elem int64) (*rankMemory, error) {
	var params, grads, optState int64
	for _, p := range train.Params {
		params += int64(p.Shape.Size())
		if g := train.Grads[p]; g != nil {
			grads += int64(g.Shape.Size())
		}
	}
	moments := optimizerState(train)
	for _, s := range moments {
		optState += int64(s.Shape.Size())
	}
	persist := int64(mem.Persist)
	other := persist - params - grads - optState
	if other < 0 || params == 0 {
		return nil, fmt.Errorf("internal error: the persistent region (%d floats) is smaller than parameters, gradients and optimizer state (%d, %d, %d)", persist, params, grads, optState)
	}
	// Every parameter has the same optimizer, so the same number of moments
	// per element; the rank holding the most keeps ⌈P/N⌉ of each.
	perElement := optState / params
	sharded := perElement * ((params + int64(n) - 1) / int64(n))
	r := &rankMemory{
		Ranks: n, GlobalBatch: global, RankBatch: train.Batch,
		Parameters: params * elem, Gradients: grads * elem,
		OptimizerState: optState * elem, OptimizerStateZeRO1: sharded * elem,
		OtherPersistent: other * elem,
		Activations:     int64(mem.Floats-mem.Persist) * elem,
		Total:           int64(mem.Floats) * elem,
	}
	r.TotalZeRO1 = r.Total - r.OptimizerState + r.OptimizerStateZeRO1
	return r, nil
}

// optimizerState is the optimizer's state nodes: the operands of the update
// nodes after the parameter and its gradient.
func optimizerState(g *ir.Graph) []*ir.Node {
	var state []*ir.Node
	for _, n := range g.Nodes {
		if n.Phase != ir.Update || len(n.Inputs) < 3 || n.Inputs[0].Op != "param" {
			continue
		}
		for _, s := range n.Inputs[2:] {
			if s.Op == "state" {
				state = append(state, s)
			}
		}
	}
	return state
}

// print writes the per-rank table of the text report.
func (r *rankMemory) print(w io.Writer) {
	fmt.Fprintf(w, "\nmemory of one rank of %d (batch %d of the global %d):\n", r.Ranks, r.RankBatch, r.GlobalBatch)
	fmt.Fprintf(w, "  %-22s %12s %12s\n", "", "replicated", "ZeRO-1")
	for _, row := range []struct {
		name       string
		whole, zer int64
	}{
		{"parameters", r.Parameters, r.Parameters},
		{"gradients", r.Gradients, r.Gradients},
		{"optimizer state", r.OptimizerState, r.OptimizerStateZeRO1},
		{"inputs and other state", r.OtherPersistent, r.OtherPersistent},
		{"activations", r.Activations, r.Activations},
		{"total", r.Total, r.TotalZeRO1},
	} {
		fmt.Fprintf(w, "  %-22s %12s %12s\n", row.name, mib(row.whole), mib(row.zer))
	}
	fmt.Fprintf(w, "ZeRO-1: each rank keeps the optimizer state of its 1/%d of the flattened parameters alone.\n", r.Ranks)
}

// rankFlagSet reports whether -ranks was given, so that -ranks 0 is
// refused rather than taken for its absence.
func rankFlagSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "ranks" })
	return set
}
