package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// remat every(k): the backward pass recomputes forward values instead of
// keeping them, except at every k-th layer boundary (passes/remat_layers.go);
// remat none (the default) keeps them all.
// maxRematEvery bounds k: more layer boundaries than a model can have
// would keep none of them.
const maxRematEvery = maxNodes

var rematForms = callTable{key: "remat",
	usage: "every(k), keeping every k-th layer boundary and recomputing the rest, or none",
	forms: []*signature{
		{name: "every", params: []param{
			{name: "layers", kind: numberArg, check: func(v value) string {
				if !isWhole(v.num, 1, maxRematEvery) {
					return fmt.Sprintf("layers must be a whole number from 1 to %d, got %s", maxRematEvery, v.text)
				}
				return ""
			}},
		}},
		{name: "none"},
	}}

func lowerRemat(t *ir.TrainConfig, v Expr, errs *errorList) {
	vals, ok := literalCall(v, rematForms, errs)
	if !ok {
		return
	}
	t.Recipe.RematEvery = 0
	if vals.name == "every" {
		t.Recipe.RematEvery = int(vals.num("layers"))
	}
}
