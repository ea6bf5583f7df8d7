package dsl

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/runtime"
)

func TestRecipeKeys(t *testing.T) {
	for _, tc := range []struct {
		train string
		opt   ir.Optimizer
		rec   ir.Recipe
	}{
		{"optimizer adagrad(lr = 0.1)", ir.Optimizer{Kind: "adagrad", LR: 0.1, Eps: 1e-10}, ir.Recipe{}},
		{"optimizer rmsprop(0.01, momentum = 0.9, centered = true)",
			ir.Optimizer{Kind: "rmsprop", LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, Centered: true}, ir.Recipe{}},
		{"optimizer adamw(lr = 1e-3)",
			ir.Optimizer{Kind: "adamw", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decay: ir.DecayRule{Decoupled: true}}, ir.Recipe{}},
		{`optimizer adamw(lr = 1e-3, weight_decay = 0.05, exclude = "bias, norm")`,
			ir.Optimizer{Kind: "adamw", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05,
				Decay: ir.DecayRule{Decoupled: true, ExcludeBias: true, ExcludeNorm: true}}, ir.Recipe{}},
		// The weight_decay key works before or after the optimizer.
		{`weight_decay l2(1e-4, exclude = "bias")  optimizer adam(lr = 1e-3)`,
			ir.Optimizer{Kind: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4, Decay: ir.DecayRule{ExcludeBias: true}}, ir.Recipe{}},
		{`optimizer sgd(lr = 0.1)  weight_decay decoupled(0.02)`,
			ir.Optimizer{Kind: "sgd", LR: 0.1, WeightDecay: 0.02, Decay: ir.DecayRule{Decoupled: true}}, ir.Recipe{}},
		{"schedule step(epochs = 3, gamma = 0.5)  warmup 100", ir.Optimizer{Kind: "sgd", LR: 0.01},
			ir.Recipe{Schedule: ir.Schedule{Kind: "step", Every: 3, InEpochs: true, Gamma: 0.5, Warmup: 100}}},
		{"schedule step(steps = 1000)", ir.Optimizer{Kind: "sgd", LR: 0.01},
			ir.Recipe{Schedule: ir.Schedule{Kind: "step", Every: 1000, Gamma: 0.1}}},
		{"schedule cosine(min_lr = 1e-4)  clip_grad_norm 1.0", ir.Optimizer{Kind: "sgd", LR: 0.01},
			ir.Recipe{Schedule: ir.Schedule{Kind: "cosine", MinLR: 1e-4}, ClipNorm: 1}},
		{"schedule constant  preprocess zca(eps = 0.1)  init xavier_uniform", ir.Optimizer{Kind: "sgd", LR: 0.01},
			ir.Recipe{Schedule: ir.Schedule{Kind: "constant"}, Preprocess: ir.Preprocess{Kind: "zca", Eps: 0.1}, Init: "xavier_uniform"}},
		{`preprocess standardize  init "he_uniform"`, ir.Optimizer{Kind: "sgd", LR: 0.01},
			ir.Recipe{Preprocess: ir.Preprocess{Kind: "standardize", Eps: 1e-5}, Init: "he_uniform"}},
	} {
		g := mustCompile(t, complete+"train { "+tc.train+" }\n", LowerOptions{})
		if g.Train.Optimizer != tc.opt || g.Train.Recipe != tc.rec {
			t.Errorf("train { %s }:\n got %+v %+v\nwant %+v %+v", tc.train, g.Train.Optimizer, g.Train.Recipe, tc.opt, tc.rec)
		}
	}
}

func TestRecipeErrors(t *testing.T) {
	for _, tc := range []struct {
		train string
		at    string // where in train the error points
		msg   string
	}{
		{"optimizer adamw(lr = 1e-3)  weight_decay 0.1", "weight_decay", "adamw takes its weight decay as arguments"},
		{`weight_decay l2(1e-4, exclude = "biases")`, `"biases"`, `cannot exclude "biases" from weight decay (did you mean "bias"?)`},
		{"weight_decay l1(1e-4)", "l1", `unknown weight_decay l1; use a number, l2(amount, exclude = "...") or decoupled(amount, exclude = "...")`},
		{`weight_decay "1e-4"`, `"1e-4"`, `weight_decay must be a number, l2(amount, exclude = "...") or decoupled(amount, exclude = "..."), got "1e-4"`},
		{"weight_decay l2(small)", "small", "l2: argument amount must be a number, got small"},
		{"weight_decay decoupled(-1)", "-1", "weight decay must be a number ≥ 0, got -1"},
		{"schedule step(gamma = 0.5)", "step", "step needs exactly one of epochs = N"},
		{"schedule step(epochs = 2, steps = 10)", "step", "step needs exactly one of epochs = N"},
		{"schedule linear", "linear", "unknown schedule linear; use constant, step(epochs = N, gamma = 0.1)"},
		{"schedule cosine(min_lr = lr)", "lr)", "cosine: argument min_lr must be a number, got lr"},
		{"schedule step(epochs = 2, gamma = g(1))", "g(1)", "step: argument gamma must be a number, got g(...)"},
		{"schedule cosine(min_lr = 0.5)  optimizer sgd(lr = 0.1)", "cosine", "cosine: min_lr 0.5 is not below the optimizer's lr 0.1"},
		{"warmup 2.5", "2.5", "warmup must be a whole number of steps"},
		{"clip_grad_norm 0", "0", "clip_grad_norm must be a number > 0"},
		{"preprocess whiten", "whiten", "unknown preprocess whiten; use standardize, pca or zca"},
		{"preprocess zca(eps = tiny)", "tiny", "zca: argument eps must be a number, got tiny"},
		{"optimizer 0.1", "0.1", "optimizer must be sgd(lr = ...), adam(lr = ...), adamw(lr = ...), adagrad(lr = ...) or rmsprop(lr = ...), got 0.1"},
		{"optimizer rmsprop(lr = 0.1, centered = yes)", "yes", "rmsprop: argument centered must be true or false, got yes"},
		{"preprocess zca(eps = -1)", "-1", "zca: eps must be a number ≥ 0, got -1"},
		{"init glorot", "glorot", `unknown init "glorot"`},
		{"optimizer rmsprop(lr = 0.1, alpha = 1)", "1)", "rmsprop: alpha must be a number from 0 up to (not including) 1, got 1"},
		{"optimizer adagrad()", "adagrad", "adagrad needs argument lr"},
	} {
		_, err := Compile("t.dl", []byte(complete+"train { "+tc.train+" }\n"), LowerOptions{})
		if err == nil {
			t.Errorf("train { %s }: no error", tc.train)
			continue
		}
		errs := dslErrors(t, err)
		col := len("train { ") + strings.Index(tc.train, tc.at) + 1
		if errs[0].Pos.Line != 5 || errs[0].Pos.Col != col || !strings.Contains(errs[0].Msg, tc.msg) {
			t.Errorf("train { %s }: error %d:%d %q, want 5:%d containing %q", tc.train, errs[0].Pos.Line, errs[0].Pos.Col, errs[0].Msg, col, tc.msg)
		}
	}
}

// The train section's init is every layer's default init; an explicit
// argument wins, and biases and norm parameters keep their fixed starts.
func TestDefaultInit(t *testing.T) {
	src := "model m\ninput img: [1, 6, 6]\nlabel digit: class(10)\n" +
		"c = conv2d(img, 2, 3) |> batchnorm |> flatten\nh = dense(c, 32)\nh2 = dense(h, 16, init = \"he_uniform\")\n" +
		"loss = cross_entropy(dense(h2, 10), digit)\ntrain { init xavier_normal }\n"
	g := mustCompile(t, src, LowerOptions{})
	want := map[string]string{"c.conv2d.w": "xavier_normal", "c.conv2d.b": "zeros", "c.batchnorm.gamma": "ones", "c.batchnorm.beta": "zeros",
		"h.w": "xavier_normal", "h.b": "zeros", "h2.w": "he_uniform", "h2.b": "zeros",
		"loss.dense.w": "xavier_normal", "loss.dense.b": "zeros"}
	if len(g.Params) != len(want) {
		t.Errorf("%d parameters, want %d", len(g.Params), len(want))
	}
	for _, p := range g.Params {
		if got := p.Attrs.Str("init"); got != want[p.Name] {
			t.Errorf("%s: init %q, want %q", p.Name, got, want[p.Name])
		}
	}
}

func TestPreprocessLowering(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		ops   []string // of the nodes between the input and the first dense
		state map[string]ir.Shape
	}{
		{"standardize", []string{"feature_affine"}, map[string]ir.Shape{"image.scale": {784}, "image.shift": {784}}},
		{"zca", []string{"matmul", "bias_add"}, map[string]ir.Shape{"image.whiten": {784, 784}, "image.shift": {784}}},
	} {
		g := mustCompile(t, complete+"train { preprocess "+tc.kind+" }\n", LowerOptions{})
		x := g.Inputs[0]
		n := g.Nodes[x.ID+1]
		var ops []string
		for ; n.Op != "param"; n = g.Nodes[n.ID+1] {
			if n.Op != "state" && n.Op != "label" {
				ops = append(ops, n.Op)
			}
		}
		if strings.Join(ops, " ") != strings.Join(tc.ops, " ") {
			t.Errorf("%s: ops %v after the input, want %v", tc.kind, ops, tc.ops)
		}
		if len(g.State) != len(tc.state) {
			t.Errorf("%s: %d state nodes, want %d", tc.kind, len(g.State), len(tc.state))
		}
		for _, s := range g.State {
			if !s.Shape.Equal(tc.state[s.Name]) || s.Attrs.Str("preprocess") == "" {
				t.Errorf("%s: state %s%s %v, want shape %s and a preprocess part", tc.kind, s.Name, s.Shape, s.Attrs, tc.state[s.Name])
			}
		}
		matmul := g.Loss.Inputs[0].Inputs[0] // bias_add(matmul(preprocessed, w), b)
		if matmul.Inputs[0].Name != "image.preprocessed" {
			t.Errorf("%s: the first layer reads %s, want image.preprocessed", tc.kind, matmul.Inputs[0].Label())
		}
	}
}

func TestPreprocessErrors(t *testing.T) {
	src := "model m\ninput img: [1, 4, 4]\nlabel digit: class(10)\nh = dense(img, 10)\nloss = cross_entropy(h, digit)\ntrain { preprocess pca }\n"
	_, err := Compile("t.dl", []byte(src), LowerOptions{})
	if err == nil || !strings.Contains(err.Error(), "pca whitening needs a flat input [features]; img has shape [32,1,4,4]") {
		t.Errorf("pca on an image: %v", err)
	}
	src = "model m\ninput x: [5000]\nlabel digit: class(10)\nloss = cross_entropy(dense(x, 10), digit)\ntrain { preprocess zca }\n"
	if _, err := Compile("t.dl", []byte(src), LowerOptions{}); err == nil || !strings.Contains(err.Error(), "at most 4096 features; x has 5000") {
		t.Errorf("zca on 5000 features: %v", err)
	}
	if ir.MaxWhitenFeatures != runtime.MaxWhitenFeatures {
		t.Errorf("the compiler allows %d whitened features, the runtime %d", ir.MaxWhitenFeatures, runtime.MaxWhitenFeatures)
	}
}
