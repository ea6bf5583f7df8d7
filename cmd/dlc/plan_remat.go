package main

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
)

// rematSummary describes what the model file's remat setting costs: the
// share of a training step's floating-point operations spent recomputing
// forward values, or "" when it recomputes nothing.
func rematSummary(train *ir.Graph) (fraction float64, line string) {
	extra, step := passes.RematCost(train)
	if extra == 0 || step == 0 {
		return 0, ""
	}
	fraction = extra / step
	return fraction, fmt.Sprintf("recomputation (remat every(%d)): %.1f%% more floating-point operations per training step (%.3g of %.3g)",
		train.Train.Recipe.RematEvery, 100*fraction, extra, step)
}
