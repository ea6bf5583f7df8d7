package main

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// rematSummary describes what recomputation costs (the model file's remat
// setting, and the elementwise values every training build recomputes):
// the share of a training step's floating-point operations spent
// recomputing forward values, or "" when it recomputes nothing.
func rematSummary(train *ir.Graph) (fraction float64, line string) {
	extra, step := passes.RematCost(train)
	if extra == 0 || step == 0 {
		return 0, ""
	}
	fraction = extra / step
	what := "elementwise values whose operands are kept anyway"
	if k := train.Train.Recipe.RematEvery; k > 0 {
		what = fmt.Sprintf("remat every(%d), and %s", k, what)
	}
	return fraction, fmt.Sprintf("recomputation (%s): %.1f%% more floating-point operations per training step (%.3g of %.3g)",
		what, 100*fraction, extra, step)
}
