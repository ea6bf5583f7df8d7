package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// The training recipe beyond the data, the batch and the optimizer:
// weight decay, the learning-rate schedule, gradient clipping, input
// preprocessing, the default initialisation (and in train_remat.go, remat).

// checkRecipeKeys reports combinations of keys that contradict each other.
// Keys may come in any order, so these checks run after all of them.
func checkRecipeKeys(s *TrainSection, t ir.TrainConfig, errs *errorList) {
	for _, e := range s.Entries {
		switch e.Key.Name {
		case "weight_decay":
			if t.Optimizer.Kind == "adamw" {
				errs.add(e.Key.Pos, "adamw takes its weight decay as arguments: optimizer adamw(lr = ..., weight_decay = 0.01, exclude = \"bias norm\")")
			}
		case "schedule":
			if s := t.Recipe.Schedule; s.Kind == ir.ScheduleCosine && s.MinLR >= t.Optimizer.LR {
				errs.add(ExprPos(e.Value), "cosine: min_lr %g is not below the optimizer's lr %g", s.MinLR, t.Optimizer.LR)
			}
		}
	}
}

// weightDecayRules are the forms of the weight_decay key's value besides a
// plain number (coupled L2 on every parameter).
var weightDecayRules = callTable{key: "weight_decay",
	usage: `a number, l2(amount, exclude = "...") or decoupled(amount, exclude = "...")`,
	forms: []*signature{
		{name: "l2", params: decayParams},
		{name: "decoupled", params: decayParams},
	}}

var decayParams = []param{
	{name: "amount", kind: numberArg, check: nonNegative("weight decay")},
	{name: "exclude", kind: stringArg, def: defString(""), check: checkExclude},
}

// lowerWeightDecay: weight_decay 1e-4 | l2(1e-4, exclude = "bias norm") |
// decoupled(1e-4, exclude = "bias").
func lowerWeightDecay(t *ir.TrainConfig, v Expr, errs *errorList) {
	if n, ok := v.(*NumberLit); ok {
		if n.Value < 0 {
			errs.add(n.Pos, "weight_decay must be a number ≥ 0, got %s", n.Text)
			return
		}
		t.Optimizer.WeightDecay, t.Optimizer.Decay = n.Value, ir.DecayRule{}
		return
	}
	vals, ok := literalCall(v, weightDecayRules, errs)
	if !ok {
		return
	}
	t.Optimizer.WeightDecay = vals.num("amount")
	t.Optimizer.Decay = decayRule(vals.name == "decoupled", vals.str("exclude"))
}

// excludeList splits an exclude argument ("bias norm", "bias, norm").
func excludeList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// decayRule is the rule for an exclude argument that checkExclude accepted.
func decayRule(decoupled bool, exclude string) ir.DecayRule {
	classes := excludeList(exclude)
	return ir.DecayRule{Decoupled: decoupled,
		ExcludeBias: slices.Contains(classes, "bias"), ExcludeNorm: slices.Contains(classes, "norm"),
		ExcludeEmbedding: slices.Contains(classes, "embedding")}
}

var decayClasses = []string{"bias", "norm", "embedding"}

func checkExclude(v value) string {
	for _, c := range excludeList(v.text) {
		if !slices.Contains(decayClasses, c) {
			return fmt.Sprintf("cannot exclude %q from weight decay%s: the classes are bias, norm and embedding", c, didYouMean(c, decayClasses))
		}
	}
	return ""
}

// schedules are the learning-rate schedules besides constant.
var schedules = callTable{key: "schedule",
	usage: "constant, step(epochs = N, gamma = 0.1), step(steps = N, gamma = 0.1) or cosine(min_lr = 0)",
	forms: []*signature{
		{name: "constant"},
		{name: "step", params: []param{
			{name: "epochs", kind: numberArg, def: defNumber("0"), check: wholeOrZero("epochs")},
			{name: "steps", kind: numberArg, def: defNumber("0"), check: wholeOrZero("steps")},
			{name: "gamma", kind: numberArg, def: defNumber("0.1"), check: positive("gamma")},
		}},
		{name: "cosine", params: []param{
			{name: "min_lr", kind: numberArg, def: defNumber("0"), check: nonNegative("min_lr")},
		}},
	}}

// lowerSchedule: schedule constant | step(epochs = N | steps = N, gamma = 0.1)
// | cosine(min_lr = 0).
func lowerSchedule(t *ir.TrainConfig, v Expr, errs *errorList) {
	vals, ok := literalCall(v, schedules, errs)
	if !ok {
		return
	}
	s := &t.Recipe.Schedule
	s.Kind = vals.name
	switch vals.name {
	case "step":
		epochs, steps := int(vals.num("epochs")), int(vals.num("steps"))
		if (epochs > 0) == (steps > 0) {
			errs.add(vals.pos, "step needs exactly one of epochs = N (decay every N epochs) or steps = N (every N steps)")
			return
		}
		s.Every, s.InEpochs, s.Gamma = max(epochs, steps), epochs > 0, vals.num("gamma")
	case "cosine":
		s.MinLR = vals.num("min_lr")
	}
}

func lowerWarmup(t *ir.TrainConfig, v Expr) string {
	n, ok := v.(*NumberLit)
	if !ok || !isWhole(n.Value, 0, maxEpochs) {
		return fmt.Sprintf("warmup must be a whole number of steps from 0 to %d, got %s", maxEpochs, exprText(v))
	}
	t.Recipe.Schedule.Warmup = int(n.Value)
	return ""
}

func lowerClipNorm(t *ir.TrainConfig, v Expr) string {
	n, ok := v.(*NumberLit)
	if msg := positive("clip_grad_norm")(literalValue(v)); !ok || msg != "" {
		return "clip_grad_norm must be a number > 0 (the largest global gradient norm), got " + exprText(v)
	}
	t.Recipe.ClipNorm = n.Value
	return ""
}

// preprocessings are the input transforms, each with its eps.
var preprocessings = callTable{key: "preprocess",
	usage: "standardize, pca or zca, as in preprocess zca(eps = 1e-5)",
	forms: []*signature{
		{name: ir.PreprocessStandardize, params: preprocessParams},
		{name: ir.PreprocessPCA, params: preprocessParams},
		{name: ir.PreprocessZCA, params: preprocessParams},
	}}

var preprocessParams = []param{
	{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: nonNegative("eps")},
}

// lowerPreprocess: preprocess standardize | pca(eps = 1e-5) | zca(eps = 1e-5).
func lowerPreprocess(t *ir.TrainConfig, v Expr, errs *errorList) {
	vals, ok := literalCall(v, preprocessings, errs)
	if ok {
		t.Recipe.Preprocess = ir.Preprocess{Kind: vals.name, Eps: vals.num("eps")}
	}
}

func lowerDefaultInit(t *ir.TrainConfig, v Expr) string {
	var scheme string
	switch v := v.(type) {
	case *Ident:
		scheme = v.Name.Name
	case *StringLit:
		scheme = v.Value
	default:
		return "init must name an initialisation, as in init xavier_uniform; got " + exprText(v)
	}
	if msg := checkInit(value{kind: vString, text: scheme}); msg != "" {
		return msg
	}
	t.Recipe.Init = scheme
	return ""
}

func nonNegative(name string) func(value) string {
	return func(v value) string {
		if v.num >= 0 && v.num <= maxFinite {
			return ""
		}
		return fmt.Sprintf("%s must be a number ≥ 0, got %s", name, v.text)
	}
}

// wholeOrZero accepts 0 (left out) or a whole number of epochs or steps.
func wholeOrZero(name string) func(value) string {
	return func(v value) string {
		if isWhole(v.num, 0, maxEpochs) {
			return ""
		}
		return fmt.Sprintf("%s must be a whole number from 1 to %d, got %s", name, maxEpochs, v.text)
	}
}

// maxFinite is the largest float64; a literal beyond it reads as +Inf.
const maxFinite = 1.7976931348623157e308
