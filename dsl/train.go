package dsl

import (
	"fmt"
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

// trainKey is one key of the train section: its name, and how its value
// sets the recipe, reporting problems at the part of the value at fault.
type trainKey struct {
	name  string
	lower func(t *ir.TrainConfig, v Expr, errs *errorList)
}

// trainKeys are the train section's keys, in the order docs/language.md
// (and the message for an unknown key) lists them.
var trainKeys = []trainKey{
	{"data", lowerData},
	{"split", simpleKey(lowerSplit)},
	{"by", simpleKey(lowerSplitBy)},
	{"batch", wholeKey("batch", 1, maxBatch, func(t *ir.TrainConfig, n int) { t.Batch = n })},
	{"epochs", wholeKey("epochs", 1, maxEpochs, func(t *ir.TrainConfig, n int) { t.Epochs = n })},
	{"seed", simpleKey(lowerSeed)},
	{"optimizer", lowerOptimizerKey},
	{"weight_decay", lowerWeightDecay},
	{"schedule", lowerSchedule},
	{"warmup", simpleKey(lowerWarmup)},
	{"clip_grad_norm", simpleKey(lowerClipNorm)},
	{"preprocess", lowerPreprocess},
	{"init", simpleKey(lowerDefaultInit)},
	{"remat", lowerRemat},
}

func trainKeyNames() []string {
	names := make([]string, len(trainKeys))
	for i, k := range trainKeys {
		names[i] = k.name
	}
	return names
}

// simpleKey adapts a key whose value is reported as a whole: set returns
// the problem with it, or "".
func simpleKey(set func(t *ir.TrainConfig, v Expr) string) func(*ir.TrainConfig, Expr, *errorList) {
	return func(t *ir.TrainConfig, v Expr, errs *errorList) {
		if msg := set(t, v); msg != "" {
			errs.add(ExprPos(v), "%s", msg)
		}
	}
}

func lowerSplit(t *ir.TrainConfig, v Expr) string {
	n, ok := v.(*NumberLit)
	if !ok || n.Value < 0 || n.Value >= 1 {
		return "split must be a number from 0 up to (not including) 1, got " + exprText(v)
	}
	t.Split = n.Value
	return ""
}

func lowerSeed(t *ir.TrainConfig, v Expr) string {
	n, ok := v.(*NumberLit)
	var err error
	if ok {
		t.Seed, err = strconv.ParseUint(n.Text, 10, 64)
	}
	if !ok || err != nil {
		return fmt.Sprintf("seed must be a whole number from 0 to %d, got %s", uint64(math.MaxUint64), exprText(v))
	}
	return ""
}

func wholeKey(key string, lo, hi int, set func(*ir.TrainConfig, int)) func(*ir.TrainConfig, Expr, *errorList) {
	return simpleKey(func(t *ir.TrainConfig, v Expr) string {
		n, ok := v.(*NumberLit)
		if !ok || !isWhole(n.Value, lo, hi) {
			return fmt.Sprintf("%s must be a whole number from %d to %d, got %s", key, lo, hi, exprText(v))
		}
		set(t, int(n.Value))
		return ""
	})
}

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
		i := slices.IndexFunc(trainKeys, func(k trainKey) bool { return k.name == key })
		if i < 0 {
			errs.add(e.Key.Pos, "unknown train key %s%s; the keys are %s", key,
				didYouMean(key, trainKeyNames()), strings.Join(trainKeyNames(), ", "))
			continue
		}
		trainKeys[i].lower(&t, e.Value, errs)
	}
	if _, ok := seen["data"]; !ok {
		t.DataDefault = ir.DataNoDataKey
	}
	checkDataKeys(s, t, errs)
	checkRecipeKeys(s, t, errs)
	return t
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
