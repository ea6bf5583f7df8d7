package ops_test

import "github.com/dlc-dev/dlc/ir"

// Gradient checks of the normalisation ops and of mul, through which
// dropout and drop_path apply their masks. Batch norm's gradient flows
// through the batch mean and variance, so every element of x moves every
// output of its channel: the check covers that coupling.
func init() {
	eps := ir.Attrs{"eps": 1e-5}
	gradCases = append(gradCases,
		gradCase{"elementwise", "mul", nil, []operand{values(7, 13), values(7, 13)}},
		gradCase{"features", "batchnorm", eps, []operand{values(13, 7), values(7), values(7)}},
		gradCase{"channels", "batchnorm", eps, []operand{values(3, 7, 2, 5), values(7), values(7)}},
		gradCase{"large_eps", "batchnorm", ir.Attrs{"eps": 0.5}, []operand{values(5, 3), values(3), values(3)}},
		gradCase{"features", "layernorm", eps, []operand{values(7, 13), values(13), values(13)}},
		gradCase{"channels", "layernorm", eps, []operand{values(3, 2, 5, 3), values(2, 5, 3), values(2, 5, 3)}},
	)
}
