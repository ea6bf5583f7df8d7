package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// planReport is `dlc plan -json`: the memory plans of the training and
// inference builds, in bytes.
type planReport struct {
	Model string `json:"model"`
	DType string `json:"dtype"`
	Batch int    `json:"batch"`

	TrainNaive      int64  `json:"train_naive_bytes"`
	TrainPlanned    int64  `json:"train_planned_bytes"`
	TrainPersistent int64  `json:"train_persistent_bytes"`
	TrainPeak       int64  `json:"train_peak_live_bytes"`
	TrainPeakAt     string `json:"train_peak_at"`

	// InferBatch is the sub-batch the inference pass runs at, a divisor
	// of Batch; its plan is for that many rows.
	InferBatch   int    `json:"infer_batch"`
	InferNaive   int64  `json:"infer_naive_bytes"`
	InferPlanned int64  `json:"infer_planned_bytes"`
	InferPeak    int64  `json:"infer_peak_live_bytes"`
	InferPeakAt  string `json:"infer_peak_at"`

	// The transient part of each plan: activations, their gradients and
	// workspace, which the planner places and reuses. The rest is
	// persistent (parameters, their gradients, optimizer state, inputs)
	// and the same in every plan of the model.
	TrainActNaive   int64 `json:"train_activation_naive_bytes"`
	TrainActPlanned int64 `json:"train_activation_planned_bytes"`
	InferActPlanned int64 `json:"infer_activation_planned_bytes"`

	// ModelArena is what the generated model allocates: the training
	// graph's persistent buffers, then one transient region both passes
	// reuse (its ArenaFloats, in bytes).
	ModelArena int64 `json:"model_arena_bytes"`

	// Fused are the fusion pass's groups; FusedEmitted how many of them
	// the generated code computes as one kernel (all: the pass proposes
	// only groups the code generator emits).
	Fused        []string `json:"fused_kernels"`
	FusedEmitted int      `json:"fused_kernels_emitted"`

	// TrainRecompute is the share of a training step's FLOPs that
	// recomputation (remat) adds; 0 without it.
	TrainRecompute float64 `json:"train_recompute_fraction"`

	// PerRank is one rank's memory with -ranks N; the plans above are
	// then those of the model at the per-rank batch.
	PerRank *rankMemory `json:"per_rank,omitempty"`
}

func runPlan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	f64 := fs.Bool("f64", false, "compute in float64")
	inferRows := inferBatchFlag(fs)
	ranks := fs.Int("ranks", 0, "plan one rank of a data-parallel run of `N` ranks (batch B/N each), with and without ZeRO stage 1")
	model, src, err := readModelArg(fs, args)
	if err != nil {
		return err
	}
	opt := compiler.Options{DType: dtype(*f64), InferBatch: int(*inferRows)}
	var global int
	if rankFlagSet(fs) {
		if global, err = compiler.ModelBatch(model, src); err != nil {
			return err
		}
		if opt.Batch, err = rankBatch(global, *ranks); err != nil {
			return err
		}
	}
	train, infer, err := compiler.Graphs(model, src, opt)
	if err != nil {
		return err
	}
	// The plan of the code the generator emits (also in train.Mem and
	// infer.Mem).
	mem, err := codegen.PlanMemory(train, infer)
	if err != nil {
		return err
	}
	elem := int64(4)
	if train.DType == ir.F64 {
		elem = 8
	}
	tm, im := train.Mem, infer.Mem
	// Naive is the program as written: every op's result in an allocation
	// of its own, no fused kernels, nothing reused; so fusion's savings
	// count in the ratio rather than against it.
	tn, in := passes.PlanMemory(train, nil), passes.PlanMemory(infer, nil)
	r := planReport{
		Model: train.Name, DType: train.DType.String(), Batch: train.Batch,
		TrainNaive: int64(tn.Naive) * elem, TrainPlanned: int64(tm.Arena) * elem,
		TrainPersistent: int64(tm.Persist) * elem, TrainPeak: int64(tm.Peak) * elem,
		TrainPeakAt: stepName(train, tm.PeakAt),
		InferBatch:  infer.Batch, InferNaive: int64(in.Naive) * elem, InferPlanned: int64(im.Arena) * elem,
		InferPeak: int64(im.Peak) * elem, InferPeakAt: stepName(infer, im.PeakAt),
		ModelArena: int64(mem.Floats) * elem, FusedEmitted: len(train.Groups),
		TrainActNaive:   int64(tn.Naive-tn.Persist) * elem,
		TrainActPlanned: int64(tm.Arena-tm.Persist) * elem,
		InferActPlanned: int64(im.Arena-im.Persist) * elem,
	}
	for _, gr := range train.Groups {
		r.Fused = append(r.Fused, groupLine(gr))
	}
	var rematLine string
	r.TrainRecompute, rematLine = rematSummary(train)
	if opt.Batch > 0 {
		if r.PerRank, err = perRankMemory(train, mem, *ranks, global, elem); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "model %s (%s, batch %d)\n\nfused kernels of the training step (%d of %d emitted as one kernel):\n",
		r.Model, r.DType, r.Batch, r.FusedEmitted, len(r.Fused))
	for _, line := range r.Fused {
		fmt.Fprintf(stdout, "  %s\n", line)
	}
	if len(r.Fused) == 0 {
		fmt.Fprintf(stdout, "  (none)\n")
	}
	fmt.Fprintf(stdout, "\nmemory of one step:\n")
	inferLabel := fmt.Sprintf("inference (sub-batch %d of %d)", r.InferBatch, r.Batch)
	w := len(inferLabel)
	fmt.Fprintf(stdout, "%-*s %12s %12s %12s   %s\n", w, "build", "naive", "planned", "persistent", "largest live set")
	fmt.Fprintf(stdout, "%-*s %12s %12s %12s   %s at %s\n", w, "training", mib(r.TrainNaive), mib(r.TrainPlanned),
		mib(r.TrainPersistent), mib(r.TrainPeak), r.TrainPeakAt)
	fmt.Fprintf(stdout, "%-*s %12s %12s %12s   %s at %s\n", w, inferLabel, mib(r.InferNaive), mib(r.InferPlanned),
		mib(int64(im.Persist)*elem), mib(r.InferPeak), r.InferPeakAt)
	fmt.Fprintf(stdout, "%-*s %12s %12s %12s   both builds in one arena, reusing one region\n", w, "model", "",
		mib(r.ModelArena), mib(int64(mem.Persist)*elem))
	fmt.Fprintf(stdout, "\nnaive: every op's result its own allocation, unfused; planned: one arena, buffers reused once dead;\n")
	fmt.Fprintf(stdout, "persistent: parameters, optimizer state, gradients and inputs, which live throughout;\n")
	fmt.Fprintf(stdout, "model: what the generated trainer allocates (its ArenaFloats), for both passes;\n")
	fmt.Fprintf(stdout, "inference runs over a batch a sub-batch of rows at a time (-infer-batch).\n")
	fmt.Fprintf(stdout, "\nactivation memory (planned minus persistent: activations, their gradients, workspace):\n")
	fmt.Fprintf(stdout, "  training   %s naive → %s planned (%s)\n", mib(r.TrainActNaive), mib(r.TrainActPlanned),
		percent(r.TrainActPlanned, r.TrainActNaive, "of naive"))
	fmt.Fprintf(stdout, "  inference  %s planned (%s)\n", mib(r.InferActPlanned),
		percent(r.InferActPlanned, r.TrainActPlanned, "of training's"))
	if rematLine != "" {
		fmt.Fprintf(stdout, "\n%s\n", rematLine)
	}
	if r.PerRank != nil {
		r.PerRank.print(stdout)
	}
	return nil
}

// stepName describes the node at a step for the plan report.
func stepName(g *ir.Graph, step int) string {
	n := g.Nodes[step]
	s := fmt.Sprintf("step %d (%s %s", step, n, n.Op)
	if n.Layer != "" {
		s += ", layer " + n.Layer
	}
	return s + ")"
}

// groupLine describes a fused group: its ops, nodes and layers.
func groupLine(gr *ir.Group) string {
	parts := make([]string, len(gr.Nodes))
	for i, n := range gr.Nodes {
		parts[i] = fmt.Sprintf("%s %s", n, n.Op)
	}
	layer := gr.Nodes[0].Layer
	if last := gr.Last().Layer; last != layer {
		layer += " → " + last
	}
	return fmt.Sprintf("%-11s %s   (%s, %s)", gr.Kind, strings.Join(parts, " → "), layer, gr.Last().Phase)
}

// percent is part/whole as a percentage, or "-" when whole is 0.
func percent(part, whole int64, of string) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%% %s", 100*float64(part)/float64(whole), of)
}

func mib(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
