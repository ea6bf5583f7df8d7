package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// The training recipe beyond the data and the batch: the adaptive
// optimizers, weight decay, the learning-rate schedule, gradient clipping,
// input preprocessing and the default initialisation.

// recipeKey lowers one train key whose value may be a call, reporting its
// problems at the arguments at fault.
type recipeKey func(t *ir.TrainConfig, v Expr, errs *errorList)

var recipeKeys = map[string]recipeKey{
	"weight_decay":   lowerWeightDecay,
	"schedule":       lowerSchedule,
	"warmup":         simpleKey(lowerWarmup),
	"clip_grad_norm": simpleKey(lowerClipNorm),
	"preprocess":     lowerPreprocess,
	"init":           simpleKey(lowerDefaultInit),
}

func init() {
	trainKeyNames = append(trainKeyNames, "schedule", "warmup", "clip_grad_norm", "preprocess", "init")
	optimizers["adamw"] = &signature{name: "adamw", params: []param{
		{name: "lr", kind: numberArg, check: positive("lr")},
		{name: "beta1", kind: numberArg, def: defNumber("0.9"), check: unitInterval("beta1")},
		{name: "beta2", kind: numberArg, def: defNumber("0.999"), check: unitInterval("beta2")},
		{name: "eps", kind: numberArg, def: defNumber("1e-8"), check: positive("eps")},
		{name: "weight_decay", kind: numberArg, def: defNumber("0.01"), check: nonNegative("weight_decay")},
		{name: "exclude", kind: stringArg, def: defString(""), check: checkExclude},
	}}
	optimizers["adagrad"] = &signature{name: "adagrad", params: []param{
		{name: "lr", kind: numberArg, check: positive("lr")},
		{name: "eps", kind: numberArg, def: defNumber("1e-10"), check: positive("eps")},
	}}
	optimizers["rmsprop"] = &signature{name: "rmsprop", params: []param{
		{name: "lr", kind: numberArg, check: positive("lr")},
		{name: "alpha", kind: numberArg, def: defNumber("0.99"), check: unitInterval("alpha")},
		{name: "eps", kind: numberArg, def: defNumber("1e-8"), check: positive("eps")},
		{name: "momentum", kind: numberArg, def: defNumber("0"), check: unitInterval("momentum")},
		{name: "centered", kind: boolArg, def: defBool(false)},
	}}
}

// optimizerUsage lists the optimizers for messages.
const optimizerUsage = "sgd(lr = ...), adam(lr = ...), adamw(lr = ...), adagrad(lr = ...) or rmsprop(lr = ...)"

// setOptimizerArgs fills in the hyperparameters of the optimizers this file
// adds, from their checked arguments.
func setOptimizerArgs(o *ir.Optimizer, vals map[string]value) {
	switch o.Kind {
	case "adamw":
		o.Beta1, o.Beta2, o.Eps = vals["beta1"].num, vals["beta2"].num, vals["eps"].num
		o.WeightDecay = vals["weight_decay"].num
		o.Decay = decayRule(true, vals["exclude"].text)
	case "adagrad":
		o.Eps = vals["eps"].num
	case "rmsprop":
		o.Alpha, o.Eps, o.Momentum, o.Centered = vals["alpha"].num, vals["eps"].num, vals["momentum"].num, vals["centered"].b
	}
}

// keepDecay carries the weight decay set by the weight_decay key over to
// the optimizer o, which the optimizer key set; adamw has its own.
func keepDecay(o *ir.Optimizer, prev ir.Optimizer) {
	if o.Kind != "adamw" {
		o.WeightDecay, o.Decay = prev.WeightDecay, prev.Decay
	}
}

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

// simpleKey adapts a key whose value is reported as a whole.
func simpleKey(set func(t *ir.TrainConfig, v Expr) string) recipeKey {
	return func(t *ir.TrainConfig, v Expr, errs *errorList) {
		if msg := set(t, v); msg != "" {
			errs.add(ExprPos(v), "%s", msg)
		}
	}
}

// weightDecayRules are the forms of the weight_decay key's value besides a
// plain number (coupled L2 on every parameter).
var weightDecayRules = map[string]*signature{
	"l2": {name: "l2", params: []param{
		{name: "amount", kind: numberArg, check: nonNegative("weight decay")},
		{name: "exclude", kind: stringArg, def: defString(""), check: checkExclude},
	}},
	"decoupled": {name: "decoupled", params: []param{
		{name: "amount", kind: numberArg, check: nonNegative("weight decay")},
		{name: "exclude", kind: stringArg, def: defString(""), check: checkExclude},
	}},
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
	vals, ok := literalCall(v, weightDecayRules, "weight_decay must be a number, l2(amount, exclude = \"...\") or decoupled(amount, exclude = \"...\")", errs)
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
var schedules = map[string]*signature{
	"constant": {name: "constant"},
	"step": {name: "step", params: []param{
		{name: "epochs", kind: numberArg, def: defNumber("0"), check: wholeOrZero("epochs")},
		{name: "steps", kind: numberArg, def: defNumber("0"), check: wholeOrZero("steps")},
		{name: "gamma", kind: numberArg, def: defNumber("0.1"), check: positive("gamma")},
	}},
	"cosine": {name: "cosine", params: []param{
		{name: "min_lr", kind: numberArg, def: defNumber("0"), check: nonNegative("min_lr")},
	}},
}

// lowerSchedule: schedule constant | step(epochs = N | steps = N, gamma = 0.1)
// | cosine(min_lr = 0).
func lowerSchedule(t *ir.TrainConfig, v Expr, errs *errorList) {
	vals, ok := literalCall(v, schedules, "schedule must be constant, step(epochs = N, gamma = 0.1), step(steps = N, gamma = 0.1) or cosine(min_lr = 0)", errs)
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
var preprocessings = map[string]*signature{
	ir.PreprocessStandardize: {name: ir.PreprocessStandardize, params: []param{
		{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: nonNegative("eps")},
	}},
	ir.PreprocessPCA: {name: ir.PreprocessPCA, params: []param{
		{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: nonNegative("eps")},
	}},
	ir.PreprocessZCA: {name: ir.PreprocessZCA, params: []param{
		{name: "eps", kind: numberArg, def: defNumber("1e-5"), check: nonNegative("eps")},
	}},
}

// lowerPreprocess: preprocess standardize | pca(eps = 1e-5) | zca(eps = 1e-5).
func lowerPreprocess(t *ir.TrainConfig, v Expr, errs *errorList) {
	vals, ok := literalCall(v, preprocessings, "preprocess must be standardize, pca or zca, as in preprocess zca(eps = 1e-5)", errs)
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

// callValues are the checked literal arguments of a call in the train
// section, defaults filled in.
type callValues struct {
	name string // the function called
	pos  Pos    // where it was called
	args map[string]value
}

func (c callValues) num(name string) float64 { return c.args[name].num }
func (c callValues) str(name string) string  { return c.args[name].text }

// literalCall checks a train value that calls one of forms (a bare name
// calls it without arguments) and returns its arguments. Problems are
// reported at the arguments at fault; want describes the value expected.
func literalCall(v Expr, forms map[string]*signature, want string, errs *errorList) (callValues, bool) {
	var call *Call
	switch v := v.(type) {
	case *Call:
		call = v
	case *Ident:
		call = &Call{Func: v.Name}
	default:
		errs.add(ExprPos(v), "%s; got %s", want, exprText(v))
		return callValues{}, false
	}
	sig := forms[call.Func.Name]
	if sig == nil {
		names := make([]string, 0, len(forms))
		for n := range forms {
			names = append(names, n)
		}
		slices.Sort(names)
		errs.add(call.Func.Pos, "unknown %s%s; %s", call.Func.Name, didYouMean(call.Func.Name, names), want)
		return callValues{}, false
	}
	argOf, ok := sig.bind(call, errs)
	if !ok {
		return callValues{}, false
	}
	out := callValues{name: sig.name, pos: call.Func.Pos, args: make(map[string]value, len(sig.params))}
	for i, p := range sig.params {
		val, pos := *p.def0(), call.Func.Pos
		if argOf[i] >= 0 {
			e := call.Args[argOf[i]].Value
			val, pos = literalValue(e), ExprPos(e)
		}
		if msg := p.checkKind(val); msg != "" {
			errs.add(pos, "%s: %s", sig.name, msg)
			ok = false
		}
		out.args[p.name] = val
	}
	return out, ok
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
