package dsl

import (
	"fmt"
	"math"
	"slices"

	"github.com/dlc-dev/dlc/ir"
)

// optimizer is one update rule of the optimizer key: its hyperparameters,
// in the order they may be given positionally, and how their checked
// values fill in the recipe's ir.Optimizer.
type optimizer struct {
	sig *signature
	// set fills in o's hyperparameters and returns a problem of the
	// arguments together, or "".
	set func(o *ir.Optimizer, a callValues) string
}

// lr has no default: it matters too much.
var lrParam = param{name: "lr", kind: numberArg, check: positive("lr")}

// adamParams are Adam's hyperparameters, which AdamW shares.
var adamParams = []param{
	lrParam,
	{name: "beta1", kind: numberArg, def: defNumber("0.9"), check: unitInterval("beta1")},
	{name: "beta2", kind: numberArg, def: defNumber("0.999"), check: unitInterval("beta2")},
	{name: "eps", kind: numberArg, def: defNumber("1e-8"), check: positive("eps")},
}

func setAdam(o *ir.Optimizer, a callValues) string {
	o.Beta1, o.Beta2, o.Eps = a.num("beta1"), a.num("beta2"), a.num("eps")
	return ""
}

// optimizers are the update rules, in the order docs/language.md lists
// them.
var optimizers = []optimizer{
	{&signature{name: "sgd", params: []param{
		lrParam,
		{name: "momentum", kind: numberArg, def: defNumber("0"), check: unitInterval("momentum")},
		{name: "nesterov", kind: boolArg, def: defBool(false)},
	}}, func(o *ir.Optimizer, a callValues) string {
		o.Momentum, o.Nesterov = a.num("momentum"), a.flag("nesterov")
		if o.Nesterov && o.Momentum == 0 {
			return "nesterov needs a momentum above 0"
		}
		return ""
	}},
	{&signature{name: "adam", params: adamParams}, setAdam},
	{&signature{name: "adamw", params: slices.Concat(adamParams, []param{
		{name: "weight_decay", kind: numberArg, def: defNumber("0.01"), check: nonNegative("weight_decay")},
		{name: "exclude", kind: stringArg, def: defString(""), check: checkExclude},
	})}, func(o *ir.Optimizer, a callValues) string {
		o.WeightDecay, o.Decay = a.num("weight_decay"), decayRule(true, a.str("exclude"))
		return setAdam(o, a)
	}},
	{&signature{name: "adagrad", params: []param{
		lrParam,
		{name: "eps", kind: numberArg, def: defNumber("1e-10"), check: positive("eps")},
	}}, func(o *ir.Optimizer, a callValues) string {
		o.Eps = a.num("eps")
		return ""
	}},
	{&signature{name: "rmsprop", params: []param{
		lrParam,
		{name: "alpha", kind: numberArg, def: defNumber("0.99"), check: unitInterval("alpha")},
		{name: "eps", kind: numberArg, def: defNumber("1e-8"), check: positive("eps")},
		{name: "momentum", kind: numberArg, def: defNumber("0"), check: unitInterval("momentum")},
		{name: "centered", kind: boolArg, def: defBool(false)},
	}}, func(o *ir.Optimizer, a callValues) string {
		o.Alpha, o.Eps, o.Momentum, o.Centered = a.num("alpha"), a.num("eps"), a.num("momentum"), a.flag("centered")
		return ""
	}},
}

// optimizerCalls is the optimizers as the optimizer key's value calls
// them; its usage reads "sgd(lr = ...), adam(lr = ...), ...".
var optimizerCalls = func() callTable {
	table := callTable{key: "optimizer"}
	var usage []string
	for _, o := range optimizers {
		table.forms = append(table.forms, o.sig)
		usage = append(usage, o.sig.name+"(lr = ...)")
	}
	table.usage = orList(usage)
	return table
}()

// lowerOptimizerKey sets the optimizer, keeping the weight decay the
// weight_decay key sets (before or after it) unless the optimizer has its
// own.
func lowerOptimizerKey(t *ir.TrainConfig, v Expr, errs *errorList) {
	o, ok := lowerOptimizer(v, errs)
	if !ok {
		return
	}
	if o.Kind != "adamw" {
		o.WeightDecay, o.Decay = t.Optimizer.WeightDecay, t.Optimizer.Decay
	}
	t.Optimizer = o
}

func lowerOptimizer(v Expr, errs *errorList) (ir.Optimizer, bool) {
	vals, ok := literalCall(v, optimizerCalls, errs)
	if !ok {
		return ir.Optimizer{}, false
	}
	o := ir.Optimizer{Kind: vals.name, LR: vals.num("lr")}
	i := slices.IndexFunc(optimizers, func(r optimizer) bool { return r.sig.name == vals.name })
	if msg := optimizers[i].set(&o, vals); msg != "" {
		errs.add(vals.pos, "%s: %s", vals.name, msg)
		return ir.Optimizer{}, false
	}
	return o, true
}

func positive(name string) func(value) string {
	return func(v value) string {
		if v.num > 0 && !math.IsInf(v.num, 0) {
			return ""
		}
		return fmt.Sprintf("%s must be a number > 0, got %s", name, v.text)
	}
}

func unitInterval(name string) func(value) string {
	return func(v value) string {
		if v.num >= 0 && v.num < 1 {
			return ""
		}
		return fmt.Sprintf("%s must be a number from 0 up to (not including) 1, got %s", name, v.text)
	}
}
