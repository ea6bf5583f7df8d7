package main

import (
	"fmt"
	"io"
	"os"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/ir"
)

// runCheck is `dlc check MODEL.dl`: a gradient check of the whole model.
// The model is compiled in float64 at a small batch, its parameters and
// inputs drawn at random, and every parameter's gradient compared with
// central finite differences of the loss, both through the interpreter,
// with relus and max pools held on the branch they took (see gradCheck).
func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	seed := fs.Uint64("seed", 1, "`S` draws the parameters, the data and the elements checked")
	samples := fs.Int("samples", 50, "check up to `N` random elements of each parameter (all of smaller ones)")
	batch := fs.Int("batch", 4, "check on a batch of at most `B` random samples (the model's batch when smaller)")
	model, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *samples < 1 || *batch < 1 {
		return usageError{"-samples and -batch must be at least 1"}
	}
	src, err := os.ReadFile(model)
	if err != nil {
		return err
	}
	g, err := checkGraph(model, src, *batch)
	if err != nil {
		return err
	}
	results, floor, err := gradCheck{seed: *seed, samples: *samples}.run(g)
	if err != nil {
		return fmt.Errorf("dlc check: %w", err)
	}
	fmt.Fprintf(stdout, "dlc check %s: float64 gradients against central finite differences\n", model)
	fmt.Fprintf(stdout, "  (relu, leaky_relu and maxpool keep the branch they took at the point, so no step crosses a kink)\n")
	fmt.Fprintf(stdout, "  at random parameters (N(0, 1/fan_in)), on a batch of %d random samples,\n", g.Batch)
	fmt.Fprintf(stdout, "  for up to %d random elements of each parameter (all of smaller ones).\n", *samples)
	fmt.Fprintf(stdout, "  error = |autodiff − numeric| / the tensor's largest gradient among them\n")
	fmt.Fprintf(stdout, "  (at least %.1e: finite differences cannot resolve smaller ones);\n", floor)
	fmt.Fprintf(stdout, "  a parameter fails above %g. Where steps of %g and %g both miss, steps from %g\n", checkThreshold, steps[0], steps[1], sweep[0])
	fmt.Fprintf(stdout, "  to %g are extrapolated; an element fails only if autodiff misses that estimate by more than %d\n", sweep[len(sweep)-1], settled)
	fmt.Fprintf(stdout, "  times its uncertainty, and is inconclusive (??) when it does not.\n")
	failed, unsure := 0, 0
	for _, r := range results {
		fmt.Fprintln(stdout, r.describe())
		switch {
		case !r.ok():
			failed++
		case r.unsure > 0:
			unsure++
		}
	}
	if unsure > 0 {
		fmt.Fprintf(stdout, "%d of %d parameters inconclusive: float64 finite differences cannot settle their gradient at this point\n", unsure, len(results))
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d parameters FAIL the gradient check\n", failed, len(results))
		return exitError{1}
	}
	fmt.Fprintf(stdout, "all %d parameters pass\n", len(results)-unsure)
	return nil
}

// checkGraph compiles the training graph of a model file in float64, with
// its batch lowered to at most batch samples: the check's cost grows with
// the batch and its meaning does not.
func checkGraph(filename string, src []byte, batch int) (*ir.Graph, error) {
	full, err := compiler.ModelBatch(filename, src)
	if err != nil {
		return nil, err
	}
	return compiler.Graph(filename, src, compiler.Options{DType: ir.F64, Batch: min(batch, full)})
}
