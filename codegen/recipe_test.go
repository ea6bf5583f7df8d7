package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/dsl"
	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/passes"
	"github.com/dlc-dev/dlc/runtime"
)

// Training-recipe models for TestGeneratedModels: every optimizer, both
// kinds of weight decay with exclusions, clipping, a schedule with warm-up,
// and the input transforms, each a small model file compiled as the
// compiler does and checked step by step against the interpreter.

// recipeModel is a small classifier whose train section is given.
func recipeModel(train string) string {
	return "model recipe\ninput x: [5]\nlabel y: class(3)\nh = dense(x, 6) |> relu\n" +
		"loss = cross_entropy(dense(h, 3), y)\ntrain { batch 8  " + train + " }\n"
}

func init() {
	cases := []struct {
		pkg, train string
	}{
		{"adagrad", "optimizer adagrad(lr = 0.1)  weight_decay 0.01"},
		{"rmsprop", "optimizer rmsprop(lr = 0.01)"},
		{"rmspropcm", `optimizer rmsprop(lr = 0.01, momentum = 0.9, centered = true)  weight_decay l2(0.01, exclude = "bias")`},
		{"adamw", `optimizer adamw(lr = 0.01, weight_decay = 0.1, exclude = "bias")  clip_grad_norm 0.5`},
		{"sched", "optimizer sgd(lr = 0.1, momentum = 0.9)  weight_decay decoupled(0.01)  schedule step(steps = 2, gamma = 0.5)  warmup 2  clip_grad_norm 0.05"},
		{"standardize", "optimizer sgd(lr = 0.1)  preprocess standardize"},
		{"zca", "optimizer adam(lr = 0.01)  preprocess zca(eps = 1e-3)"},
	}
	for _, c := range cases {
		build := compiledGraphs(recipeModel(c.train))
		modelCases = append(modelCases,
			modelCase{c.pkg + "64", build, ir.F64, 1e-12},
			modelCase{c.pkg + "32", build, ir.F32, 1e-4})
	}
}

// compiledGraphs compiles a model file's training and inference graphs, as
// compiler does.
func compiledGraphs(src string) func(testing.TB, ir.DType) graphs {
	return func(t testing.TB, dtype ir.DType) graphs {
		t.Helper()
		f, err := dsl.Parse("recipe.dl", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		lower := func(inference bool) *ir.Graph {
			g, err := dsl.Lower(f, dsl.LowerOptions{DType: dtype, Inference: inference})
			if err != nil {
				t.Fatal(err)
			}
			if err := passes.Run(g, passes.Options{Inference: inference, Verify: true, Fuse: FuseLimits()}); err != nil {
				t.Fatal(err)
			}
			return g
		}
		return graphs{train: lower(false), infer: lower(true)}
	}
}

// scheduledLR is the learning rate of a step as the generated model
// computes it without a run length (the driver does not set one).
func scheduledLR(g *ir.Graph, step int) float64 {
	return runtimeSchedule(g).LR(step, runtime.RunLength{})
}

// fitPreprocessing fits the graph's input transform, if it has one, on the
// environment's input batch, as the trainer fits it on the training split,
// and passes the fitted state to the driver with the parameters.
func fitPreprocessing(t *testing.T, g *ir.Graph, env interp.Env, values map[string][]float64) {
	t.Helper()
	pre := g.Train.Recipe.Preprocess
	if pre.Kind == "" {
		return
	}
	x := g.Inputs[0]
	ds := &runtime.Dataset{Name: "batch", SampleShape: x.Shape[1:], N: g.Batch, Class: make([]int32, g.Batch)}
	for _, v := range env[x].Data {
		ds.X = append(ds.X, float32(v))
	}
	tr := &runtime.Transform{Kind: pre.Kind, Eps: pre.Eps}
	for _, s := range g.State {
		part := s.Attrs.Str("preprocess")
		tensor := runtime.Tensor{Name: s.Name, Shape: s.Shape, F64: env[s].Data}
		switch part {
		case "scale", "whiten":
			tr.Scale = tensor
		case "shift":
			tr.Shift = tensor
		default:
			continue
		}
		values[s.Name] = env[s].Data // aliased: filled by Fit below
	}
	if err := tr.Fit(runtime.All(ds)); err != nil {
		t.Fatal(err)
	}
}

// The generated code of a recipe: the schedule, SetRunLength, the clip and
// Preprocessing, as a reader finds them.
func TestGeneratedRecipeReadsWell(t *testing.T) {
	gs := compiledGraphs(recipeModel("optimizer adamw(lr = 0.01)  schedule cosine(min_lr = 1e-4)  warmup 10  clip_grad_norm 1  preprocess zca"))(t, ir.F32)
	files, err := generateGraphs(gs, Options{Package: "recipe", Source: "recipe.dl"})
	if err != nil {
		t.Fatal(err)
	}
	text := map[string]string{}
	for _, f := range files {
		text[f.Name] = string(f.Data)
	}
	// The trainer is told that the schedule spans the run (for resume),
	// and that the model names no data (recipeModel's train block has no
	// data key).
	for _, re := range []string{`LRSchedule: +"cosine",`, `DataDefault: +"no data key in its train block",`} {
		if !regexp.MustCompile(re).MatchString(text["model.go"]) {
			t.Errorf("the Spec lacks %s", re)
		}
	}
	for file, want := range map[string][]string{
		"model.go": {
			"var lrSchedule = rt.Schedule{",
			`Kind:   "cosine",`,
			"func (m *Model) SetRunLength(r rt.RunLength) {",
			"func (m *Model) Preprocessing() *rt.Transform {",
			`Kind:  "zca",`,
			`Scale: rt.Tensor{Name: "x.whiten", Shape: []int{5, 5}, F32: m.xWhiten},`,
			// an unfitted whitening matrix is an error, in every step
			"\tif !rt.Fitted(m.xWhiten) {\n\t\treturn 0, batchShape.Unfitted(\"TrainStep\")\n\t}",
			"\tif !rt.Fitted(m.xWhiten) {\n\t\treturn 0, 0, batchShape.Unfitted(\"EvalStep\")\n\t}",
			"\tif !rt.Fitted(m.xWhiten) {\n\t\treturn batchShape.Unfitted(\"Predict\")\n\t}",
		},
		"steps.go": {
			"lr := lrSchedule.LR(m.step, m.runLength) // this step's learning rate",
			"clipGradNorm_4(m.dHW, m.dHB, m.dLossDenseW, m.dLossDenseB)",
		},
		"kernels.go": {
			// float32 Adam runs in kernels.Adam, with decoupled decay
			"Decay:         kernels.DecoupledDecay,",
			"Shrink:        Float(1 - lr*weightDecay),",
			"const maxNorm = 1",
		},
	} {
		for _, w := range want {
			if !strings.Contains(text[file], w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}
