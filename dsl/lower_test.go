package dsl

import (
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/ops"
	"github.com/dlc-dev/dlc/ir"
)

func mustCompile(t *testing.T, src string, opt LowerOptions) *ir.Graph {
	t.Helper()
	g, err := Compile("t.dl", []byte(src), opt)
	if err != nil {
		t.Fatalf("compile:\n%s", FormatError(err, []byte(src)))
	}
	return g
}

// checkGraph asserts what every lowered graph must satisfy.
func checkGraph(t *testing.T, g *ir.Graph) {
	t.Helper()
	if err := ir.Verify(g); err != nil {
		t.Errorf("verify: %v", err)
	}
	params := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Phase != ir.Forward || n.Loc.Line == 0 || n.Layer == "" {
			t.Errorf("node %s: phase %s, loc %v, layer %q", ir.FormatNode(n), n.Phase, n.Loc, n.Layer)
		}
		s, err := ops.InferShape(n)
		if err != nil || !s.Equal(n.Shape) {
			t.Errorf("node %s: shape rule gives %v, %v", ir.FormatNode(n), s, err)
		}
		if n.Op == "param" {
			if params[n.Name] {
				t.Errorf("duplicate parameter name %q", n.Name)
			}
			params[n.Name] = true
		}
	}
	if g.Loss == nil || g.Output == nil || g.Loss.Inputs[0] != g.Output {
		t.Errorf("loss %v, output %v", g.Loss, g.Output)
	}
}

func TestLowerMLP(t *testing.T) {
	src := readExample(t, "../examples/mnist/mlp.dl")
	g, err := Compile("mlp.dl", src, LowerOptions{})
	if err != nil {
		t.Fatal(FormatError(err, src))
	}
	checkGraph(t, g)
	dump := ir.Dump(g)
	for _, want := range []string{
		"model mlp dtype=f32 batch=128\n",
		`%0 = input : [128,784] name="image" layer="image" @4:7`,
		`%1 = label : [128] {classes=10} name="digit" layer="digit" @5:7`,
		`%2 = param : [784,512] {fan_in=784 fan_out=512 init="he_normal"} name="h1.w" layer="h1" @7:6`,
		`%3 = matmul %0, %2 : [128,512] layer="h1" @7:6`,
		`%4 = param : [512] {fan_in=784 fan_out=512 init="zeros"} name="h1.b" layer="h1" @7:6`,
		`%5 = bias_add %3, %4 : [128,512] layer="h1" @7:6`,
		`%6 = relu %5 : [128,512] name="h1" layer="h1" @7:27`,
		`%7 = param : [512,512] {fan_in=512 fan_out=512 init="he_normal"} name="h2.w" layer="h2" @8:6`,
		`%12 = param : [512,10] {fan_in=512 fan_out=10 init="he_normal"} name="logits.w" layer="logits" @9:10`,
		`%15 = bias_add %13, %14 : [128,10] name="logits" layer="logits" @9:10`,
		`%16 = softmax_xent %15, %1 : [] name="loss" layer="loss" @10:8`,
		"output %15\nloss %16\n",
		`train data="mnist" split=0.1 batch=128 epochs=5 seed=1`,
		"optimizer adam lr=0.001 momentum=0 nesterov=false beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if len(g.Nodes) != 17 {
		t.Errorf("got %d nodes, want 17:\n%s", len(g.Nodes), dump)
	}
	var names []string
	for _, p := range g.Params {
		names = append(names, p.Name)
	}
	if want := []string{"h1.w", "h1.b", "h2.w", "h2.b", "logits.w", "logits.b"}; !slices.Equal(names, want) {
		t.Errorf("params %v, want %v", names, want)
	}
	if g.Output.Name != "logits" || g.Loss.Op != "softmax_xent" || g.Loss.Loc.File != "mlp.dl" {
		t.Errorf("output %s, loss %s", ir.FormatNode(g.Output), ir.FormatNode(g.Loss))
	}
}

func TestLowerDTypeAndDefaults(t *testing.T) {
	g := mustCompile(t, header+"loss = cross_entropy(dense(image, 10), digit)\n", LowerOptions{DType: ir.F64})
	checkGraph(t, g)
	if g.DType != ir.F64 {
		t.Errorf("dtype %s, want f64", g.DType)
	}
	want := ir.TrainConfig{Data: "mnist", DataDefault: ir.DataNoTrainBlock, Split: 0.1, Batch: 32, Epochs: 1, Seed: 0,
		Optimizer: ir.Optimizer{Kind: "sgd", LR: 0.01}}
	if g.Train != want || g.Batch != 32 {
		t.Errorf("train %+v batch %d, want %+v batch 32", g.Train, g.Batch, want)
	}
}

func TestLowerTrainSection(t *testing.T) {
	src := header + "loss = cross_entropy(dense(image, 10), digit)\n" +
		"train {\n  weight_decay 5e-4; optimizer sgd(lr = 0.1, momentum = 0.9, nesterov = true)\n" +
		"  data \"digits/\"  split 0  batch 64  epochs 3  seed 18446744073709551615\n}\n"
	g := mustCompile(t, src, LowerOptions{})
	want := ir.TrainConfig{Data: "digits/", Split: 0, Batch: 64, Epochs: 3, Seed: 18446744073709551615,
		Optimizer: ir.Optimizer{Kind: "sgd", LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}}
	if g.Train != want {
		t.Errorf("train %+v, want %+v", g.Train, want)
	}
	if g.Batch != 64 || g.Inputs[0].Shape[0] != 64 {
		t.Errorf("batch not applied to the graph: %d, input %s", g.Batch, g.Inputs[0].Shape)
	}
	g = mustCompile(t, header+"loss = cross_entropy(dense(image, 10), digit)\ntrain { optimizer adam(0.002, beta2 = 0.99) }\n", LowerOptions{})
	wantOpt := ir.Optimizer{Kind: "adam", LR: 0.002, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8}
	if g.Train.Optimizer != wantOpt {
		t.Errorf("optimizer %+v, want %+v", g.Train.Optimizer, wantOpt)
	}
}

func TestLowerDenseOptions(t *testing.T) {
	g := mustCompile(t, header+"h = dense(image, 32, bias = false, init = \"xavier_uniform\")\nloss = cross_entropy(dense(h, 10), digit)\n", LowerOptions{})
	checkGraph(t, g)
	w := g.Param("h.w")
	if w == nil || w.Attrs.Str("init") != "xavier_uniform" || g.Param("h.b") != nil {
		t.Fatalf("params: %s", ir.Dump(g))
	}
	if h := g.Nodes[3]; h.Op != "matmul" || h.Name != "h" {
		t.Errorf("without bias the layer ends at its matmul, got %s", ir.FormatNode(h))
	}
}

func TestLowerRegression(t *testing.T) {
	src := "model reg\ninput x: [8]\nlabel y: real(3)\nlabel z: real\nloss = mse(dense(x, 3), y)\n"
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	if y := g.Labels[0]; !y.Shape.Equal(ir.Shape{32, 3}) || y.Attrs["classes"] != nil {
		t.Errorf("real label: %s", ir.FormatNode(y))
	}
	if z := g.Labels[1]; !z.Shape.Equal(ir.Shape{32, 1}) {
		t.Errorf("real label without size: %s", ir.FormatNode(z))
	}
	if g.Loss.Op != "mse" || g.Output.Op != "bias_add" {
		t.Errorf("loss %s output %s", ir.FormatNode(g.Loss), ir.FormatNode(g.Output))
	}
	if g.Param("loss.dense.w") == nil {
		t.Errorf("a layer in the loss statement is named loss.dense: %s", ir.Dump(g))
	}
}

func TestLowerInputShape(t *testing.T) {
	g := mustCompile(t, "model m\ninput img: [1, 28, 28]\ninput v: [4]\nlabel c: class(2)\nloss = cross_entropy(dense(v, 2), c)\n", LowerOptions{})
	if !g.Inputs[0].Shape.Equal(ir.Shape{32, 1, 28, 28}) || g.Inputs[1].Name != "v" {
		t.Errorf("inputs: %s; %s", ir.FormatNode(g.Inputs[0]), ir.FormatNode(g.Inputs[1]))
	}
}

// paramNames compiles src and returns its parameter names in order.
func paramNames(t *testing.T, src string) []string {
	t.Helper()
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	var names []string
	for _, p := range g.Params {
		names = append(names, p.Name+"@"+p.Layer)
	}
	return names
}

func TestNamingSeveralLayersInAStatement(t *testing.T) {
	got := paramNames(t, header+"h = dense(image, 64) |> relu |> dense(32) |> dense(10, bias = false)\nloss = cross_entropy(h, digit)\n")
	want := []string{"h.dense.w@h.dense", "h.dense.b@h.dense", "h.dense2.w@h.dense2", "h.dense2.b@h.dense2", "h.dense3.w@h.dense3"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNamingRebinding(t *testing.T) {
	got := paramNames(t, header+"h = dense(image, 64)\nh = dense(h, 64)\nh_2 = dense(h, 10)\nloss = cross_entropy(h_2, digit)\n")
	want := []string{"h.w@h", "h.b@h", "h_2.w@h_2", "h_2.b@h_2", "h_2_2.w@h_2_2", "h_2_2.b@h_2_2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNamingRepeatAndBlocks(t *testing.T) {
	src := header + `
block residual(x, width) {
  r = dense(x, width) |> relu
  return x + dense(r, width)
}
h = dense(image, 16) |> relu
h = repeat 2 residual(h, 16)
y = residual(h, 16)
z = residual(h, 16) + residual(y, 16)
loss = cross_entropy(dense(z, 10), digit)
`
	g := mustCompile(t, src, LowerOptions{})
	checkGraph(t, g)
	var got []string
	for _, p := range g.Params {
		if strings.HasSuffix(p.Name, ".w") {
			got = append(got, p.Name)
		}
	}
	want := []string{"h.w", "h.0.r.w", "h.0.out.w", "h.1.r.w", "h.1.out.w", "y.r.w", "y.out.w",
		"z.residual.r.w", "z.residual.out.w", "z.residual2.r.w", "z.residual2.out.w", "loss.dense.w"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// The repeat threads its first argument: copy 1 reads copy 0's output.
	copy1 := g.Param("h.1.r.w")
	var mm *ir.Node
	for _, n := range g.Nodes {
		if n.Op == "matmul" && n.Inputs[1] == copy1 {
			mm = n
		}
	}
	if mm == nil || mm.Inputs[0].Layer != "h.0.out" || mm.Inputs[0].Op != "add" {
		t.Errorf("copy 1 reads %v, want copy 0's output", mm)
	}
	// Nodes inside a copy point at the block's source lines.
	if copy1.Loc.Line != 6 || copy1.Loc.Col != 7 {
		t.Errorf("h.1.r.w at %v, want line 6 col 7", copy1.Loc)
	}
	if out := g.Nodes[len(g.Nodes)-1].Inputs[0]; out.Layer != "loss.dense" {
		t.Errorf("output layer %q", out.Layer)
	}
}

// The residual MLP lowers in both modes to graphs with the same
// parameters and state; only the training graph draws dropout masks and
// updates running statistics.
func TestLowerResMLP(t *testing.T) {
	src := readExample(t, "testdata/resmlp.dl")
	train := mustCompile(t, string(src), LowerOptions{})
	infer := mustCompile(t, string(src), LowerOptions{Inference: true})
	for _, g := range []*ir.Graph{train, infer} {
		checkGraph(t, g)
	}
	if train.Param("h.3.out.w") == nil || train.Param("h.4.r.w") != nil || train.Param("h.2.r.batchnorm.gamma") == nil {
		t.Errorf("repeat 4 made the wrong copies:\n%s", ir.Dump(train))
	}
	storage := func(g *ir.Graph) (names []string) {
		for _, n := range append(slices.Clone(g.Params), g.State...) {
			names = append(names, n.Name+n.Shape.String())
		}
		return names
	}
	if a, b := storage(train), storage(infer); !slices.Equal(a, b) {
		t.Errorf("training storage %v\ninference storage %v", a, b)
	}
	count := func(g *ir.Graph) map[string]int {
		ops := map[string]int{}
		for _, n := range g.Nodes {
			ops[n.Op]++
		}
		return ops
	}
	tc, ic := count(train), count(infer)
	for op, want := range map[string][2]int{
		"batchnorm": {4, 0}, "batchnorm_running": {4, 0}, "dropout_mask": {4, 0}, "mul": {4, 0}, "batchnorm_eval": {0, 4}, "matmul": {10, 10},
	} {
		if tc[op] != want[0] || ic[op] != want[1] {
			t.Errorf("%s: %d in training and %d in inference, want %d and %d", op, tc[op], ic[op], want[0], want[1])
		}
	}
}

func TestLowerRejectsBadInput(t *testing.T) {
	if _, err := Lower(nil, LowerOptions{}); err == nil {
		t.Error("Lower(nil) succeeded")
	}
	f := mustParse(t, complete)
	if _, err := Lower(f, LowerOptions{DType: ir.DType(7)}); err == nil || !strings.Contains(err.Error(), "unknown dtype") {
		t.Errorf("bad dtype: %v", err)
	}
	f.Model = nil
	if _, err := Lower(f, LowerOptions{}); err == nil || !strings.Contains(err.Error(), `no "model NAME" statement`) {
		t.Errorf("no model: %v", err)
	}
}
