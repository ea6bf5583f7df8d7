package passes

import (
	"math"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// checkFolding builds src's inference graph with and without folding,
// predicts with both from the same random parameters, running statistics
// and input, and returns the two graphs. The predictions must agree to
// 1e-10 relative to the largest.
func checkFolding(t *testing.T, src string) (folded, unfolded *ir.Graph) {
	t.Helper()
	folded = buildModel(t, src, true, Options{})
	unfolded = buildModel(t, src, true, Options{NoFoldBN: true})
	envU := randomStorage(unfolded, 21)
	x := envU[unfolded.Inputs[0]]
	envF := sameStorage(t, folded, envU, x)
	want := predict(t, unfolded, envU)
	got := predict(t, folded, envF)
	scale, worst := 0.0, 0.0
	for i := range want {
		scale = max(scale, math.Abs(want[i]))
		worst = max(worst, math.Abs(got[i]-want[i]))
	}
	if scale == 0 || worst > 1e-10*scale {
		t.Errorf("folded predictions differ from unfolded ones by %g (largest value %g)", worst, scale)
	}
	return folded, unfolded
}

func TestFoldBatchNormResMLP(t *testing.T) {
	src := resmlpSource(t)
	folded, unfolded := checkFolding(t, src)
	fo, uo := opsOf(folded), opsOf(unfolded)
	if fo["batchnorm_eval"] != 0 || uo["batchnorm_eval"] != 4 {
		t.Errorf("batchnorm_eval: %d folded, %d unfolded; want 0 and 4", fo["batchnorm_eval"], uo["batchnorm_eval"])
	}
	if fo["bn_fold_weight"] != 4 || fo["bn_fold_bias"] != 4 {
		t.Errorf("want a folded weight and bias per batch norm, got %v", fo)
	}
	for _, n := range folded.Nodes {
		if n.Op == "bn_fold_weight" || n.Op == "bn_fold_bias" {
			if !n.Attrs.Bool(ir.DerivedAttr) {
				t.Errorf("%s is not marked %s", ir.FormatNode(n), ir.DerivedAttr)
			}
			for _, in := range n.Inputs {
				if in.Op != "param" && in.Op != "state" {
					t.Errorf("%s reads %s: a derived node reads parameters and state only", n, in.Op)
				}
			}
		}
	}
	t.Logf("resmlp inference: %d nodes (%d computing) unfolded, %d (%d computing, %d of them derived) folded",
		len(unfolded.Nodes), computing(unfolded), len(folded.Nodes), computing(folded), fo["bn_fold_weight"]+fo["bn_fold_bias"])
	train := buildModel(t, src, false, Options{})
	if to := opsOf(train); to["batchnorm"] != 4 || to["bn_fold_weight"] != 0 {
		t.Errorf("training graph changed by folding: %v", to)
	}
}

// computing counts the nodes that compute something.
func computing(g *ir.Graph) int {
	n := 0
	for _, node := range g.Nodes {
		switch node.Op {
		case "input", "label", "param", "state":
		default:
			n++
		}
	}
	return n
}

func TestFoldBatchNormConvNet(t *testing.T) {
	folded, _ := checkFolding(t, `model convbn
input image: [1, 12, 12]
label y: class(5)
c1 = conv2d(image, 4, 3, padding = 1) |> batchnorm |> relu |> maxpool2d(2)
norm batchnorm
c2 = conv2d(c1, 6, 3, stride = 2) |> relu
c3 = conv2d(c2, 6, 1, bias = false) |> batchnorm
h = flatten(c3) |> dense(10) |> relu
loss = cross_entropy(dense(h, 5), y)
train { batch 4 }
`)
	if fo := opsOf(folded); fo["batchnorm_eval"] != 0 || fo["bn_fold_weight"] != 4 {
		t.Errorf("want all 4 batch norms folded, got %v:\n%s", fo, ir.Dump(folded))
	}
	// The convolution without a bias gets one: the folded shift.
	c3 := folded.Nodes[0]
	for _, n := range folded.Nodes {
		if n.Op == "conv2d" && n.Layer == "c3" {
			c3 = n
		}
	}
	for _, n := range folded.Nodes {
		if n.Op == "bias_add" && n.Inputs[0] == c3 && n.Inputs[1].Op != "bn_fold_bias" {
			t.Errorf("c3's bias is %s, want the folded one", n.Inputs[1].Op)
		}
	}
}

// Batch norms of an input, after an activation, or on a value something
// else reads too, stay as they are.
func TestFoldBatchNormLeavesOthers(t *testing.T) {
	folded, _ := checkFolding(t, `model m
input x: [6]
label y: class(3)
z = batchnorm(x)
a = dense(z, 8) |> relu |> batchnorm
b = dense(a, 8)
c = batchnorm(b) + b
loss = cross_entropy(dense(c, 3), y)
train { batch 8 }
`)
	if n := opsOf(folded)["batchnorm_eval"]; n != 3 {
		t.Errorf("%d batch norms left, want 3:\n%s", n, ir.Dump(folded))
	}
}

// Folding reads the running statistics when the prepare step runs: new
// statistics give new predictions, equal to the unfolded graph's.
func TestFoldBatchNormFollowsStatistics(t *testing.T) {
	src := resmlpSource(t)
	folded := buildModel(t, src, true, Options{})
	unfolded := buildModel(t, src, true, Options{NoFoldBN: true})
	envU := randomStorage(unfolded, 5)
	before := append([]float64(nil), predict(t, unfolded, envU)...)
	for _, s := range unfolded.State {
		for i := range envU[s].Data {
			envU[s].Data[i] *= 1.5
		}
	}
	want := predict(t, unfolded, envU)
	got := predict(t, folded, sameStorage(t, folded, envU, envU[unfolded.Inputs[0]]))
	moved := 0.0
	for i := range want {
		moved = max(moved, math.Abs(want[i]-before[i]))
		if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
			t.Fatalf("output %d: folded %v, unfolded %v", i, got[i], want[i])
		}
	}
	if moved == 0 {
		t.Fatal("changing the running statistics changed nothing: the test checks nothing")
	}
}
