package dsl

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// defaultTrain is the recipe used for every key the train section leaves
// out (and for a file without one).
func defaultTrain() ir.TrainConfig {
	return ir.TrainConfig{
		Data: "mnist", Split: 0.1, Batch: 32, Epochs: 1, Seed: 0,
		Optimizer: ir.Optimizer{Kind: "sgd", LR: 0.01},
	}
}

// trainKey sets one key of the recipe from its value, or returns the
// problem with it.
type trainKey func(t *ir.TrainConfig, v Expr) string

var trainKeys = map[string]trainKey{
	"split": func(t *ir.TrainConfig, v Expr) string {
		n, ok := v.(*NumberLit)
		if !ok || n.Value < 0 || n.Value >= 1 {
			return "split must be a number from 0 up to (not including) 1, got " + exprText(v)
		}
		t.Split = n.Value
		return ""
	},
	"by":     lowerSplitBy,
	"batch":  wholeKey("batch", 1, maxBatch, func(t *ir.TrainConfig, n int) { t.Batch = n }),
	"epochs": wholeKey("epochs", 1, maxEpochs, func(t *ir.TrainConfig, n int) { t.Epochs = n }),
	"seed": func(t *ir.TrainConfig, v Expr) string {
		n, ok := v.(*NumberLit)
		var err error
		if ok {
			t.Seed, err = strconv.ParseUint(n.Text, 10, 64)
		}
		if !ok || err != nil {
			return fmt.Sprintf("seed must be a whole number from 0 to %d, got %s", uint64(math.MaxUint64), exprText(v))
		}
		return ""
	},
}

func wholeKey(key string, lo, hi int, set func(*ir.TrainConfig, int)) trainKey {
	return func(t *ir.TrainConfig, v Expr) string {
		n, ok := v.(*NumberLit)
		if !ok || !isWhole(n.Value, lo, hi) {
			return fmt.Sprintf("%s must be a whole number from %d to %d, got %s", key, lo, hi, exprText(v))
		}
		set(t, int(n.Value))
		return ""
	}
}

// trainKeyNames lists the keys in the order the documentation gives them.
var trainKeyNames = []string{"data", "split", "by", "batch", "epochs", "optimizer", "weight_decay", "seed"}

// lowerTrain validates the train section and returns the recipe.
func lowerTrain(s *TrainSection, errs *errorList) ir.TrainConfig {
	t := defaultTrain()
	if s == nil {
		t.DataDefault = ir.DataNoTrainBlock
		return t
	}
	seen := map[string]Pos{}
	for _, e := range s.Entries {
		key := e.Key.Name
		if prev, dup := seen[key]; dup {
			errs.add(e.Key.Pos, "duplicate train key %s: already set at %d:%d", key, prev.Line, prev.Col)
			continue
		}
		seen[key] = e.Key.Pos
		if key == "data" {
			lowerData(&t, e.Value, errs)
			continue
		}
		if key == "optimizer" {
			if o, ok := lowerOptimizer(e.Value, errs); ok {
				keepDecay(&o, t.Optimizer) // set by its own key, before or after
				t.Optimizer = o
			}
			continue
		}
		if set := recipeKeys[key]; set != nil {
			set(&t, e.Value, errs)
			continue
		}
		set := trainKeys[key]
		if set == nil {
			errs.add(e.Key.Pos, "unknown train key %s%s; the keys are %s", key,
				didYouMean(key, trainKeyNames), strings.Join(trainKeyNames, ", "))
			continue
		}
		if msg := set(&t, e.Value); msg != "" {
			errs.add(ExprPos(e.Value), "%s", msg)
		}
	}
	if _, ok := seen["data"]; !ok {
		t.DataDefault = ir.DataNoDataKey
	}
	checkDataKeys(s, t, errs)
	checkRecipeKeys(s, t, errs)
	return t
}

// optimizers are the update rules, with their hyperparameters in the order
// they may be given positionally. lr has no default: it matters too much.
var optimizers = map[string]*signature{
	"sgd": {name: "sgd", params: []param{
		{name: "lr", kind: numberArg, check: positive("lr")},
		{name: "momentum", kind: numberArg, def: defNumber("0"), check: unitInterval("momentum")},
		{name: "nesterov", kind: boolArg, def: defBool(false)},
	}},
	"adam": {name: "adam", params: []param{
		{name: "lr", kind: numberArg, check: positive("lr")},
		{name: "beta1", kind: numberArg, def: defNumber("0.9"), check: unitInterval("beta1")},
		{name: "beta2", kind: numberArg, def: defNumber("0.999"), check: unitInterval("beta2")},
		{name: "eps", kind: numberArg, def: defNumber("1e-8"), check: positive("eps")},
	}},
}

func lowerOptimizer(v Expr, errs *errorList) (ir.Optimizer, bool) {
	var call *Call
	switch v := v.(type) {
	case *Call:
		call = v
	case *Ident:
		call = &Call{Func: v.Name}
	default:
		errs.add(ExprPos(v), "optimizer must be %s, got %s", optimizerUsage, exprText(v))
		return ir.Optimizer{}, false
	}
	sig := optimizers[call.Func.Name]
	if sig == nil {
		errs.add(call.Func.Pos, "unknown optimizer %s%s; use %s", call.Func.Name,
			didYouMean(call.Func.Name, slices.Collect(maps.Keys(optimizers))), optimizerUsage)
		return ir.Optimizer{}, false
	}
	argOf, ok := sig.bind(call, errs)
	if !ok {
		return ir.Optimizer{}, false
	}
	vals := make(map[string]value, len(sig.params))
	for i, p := range sig.params {
		val, pos := *p.def0(), call.Func.Pos
		if argOf[i] >= 0 {
			e := call.Args[argOf[i]].Value
			val, pos = literalValue(e), ExprPos(e)
			if val.kind == vPoison {
				errs.add(pos, "%s: argument %s must be %s, got %s", sig.name, p.name, p.kind, exprText(e))
				ok = false
				continue
			}
		}
		if msg := p.checkKind(val); msg != "" {
			errs.add(pos, "%s: %s", sig.name, msg)
			ok = false
		}
		vals[p.name] = val
	}
	o := ir.Optimizer{Kind: sig.name, LR: vals["lr"].num}
	switch sig.name {
	case "sgd":
		o.Momentum, o.Nesterov = vals["momentum"].num, vals["nesterov"].b
		if o.Nesterov && o.Momentum == 0 {
			errs.add(call.Func.Pos, "sgd: nesterov needs a momentum above 0")
			ok = false
		}
	case "adam":
		o.Beta1, o.Beta2, o.Eps = vals["beta1"].num, vals["beta2"].num, vals["eps"].num
	default:
		setOptimizerArgs(&o, vals)
	}
	return o, ok
}

// def0 returns the parameter's default, or poison for a required one
// (bind has already reported it missing).
func (p param) def0() *value {
	if p.def == nil {
		return &value{}
	}
	return p.def
}

// literalValue evaluates a literal written in the train section; anything
// else is poison, which checkKind reports as the wrong kind.
func literalValue(e Expr) value {
	switch e := e.(type) {
	case *NumberLit:
		return numberValue(e.Value, e.Text)
	case *StringLit:
		return value{kind: vString, text: e.Value}
	case *BoolLit:
		return value{kind: vBool, b: e.Value}
	}
	return value{}
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

// exprText renders a train value for a message.
func exprText(e Expr) string {
	switch e := e.(type) {
	case *NumberLit:
		return e.Text
	case *StringLit:
		return strconv.Quote(e.Value)
	case *BoolLit:
		return strconv.FormatBool(e.Value)
	case *Ident:
		return e.Name.Name
	case *Call:
		return e.Func.Name + "(...)"
	}
	return "an expression"
}
