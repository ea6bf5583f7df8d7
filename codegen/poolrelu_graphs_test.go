package codegen

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// A model whose backward pass has maxpool2d_grad → relu_grad groups
// (poolgrad), checked against the interpreter by TestGeneratedModels and
// against its unfused build by TestFusedMatchesUnfused.
func init() {
	modelCases = append(modelCases,
		modelCase{"poolrelu64", poolReluGraph, ir.F64, 1e-12},
		modelCase{"poolrelu32", poolReluGraph, ir.F32, 1e-4},
	)
}

// poolReluGraph is a small LeNet whose pools follow ReLUs and tile their
// planes: a 2×2 pool over rows of 36 (in float32, kernels.MaxPool2x2ReluGrad
// with one whole vector of windows and a partial one), and a 3×3 pool (the
// generated loop).
func poolReluGraph(t testing.TB, dtype ir.DType) graphs {
	nb := newNet(t, "poolrelu", dtype, 3)
	x := nb.input("image", 2, 12, 36)
	y := nb.classLabel("digit", 3)
	h := nb.relu("c1.act", nb.conv("c1", x, 3, 3, 1, 1))                  // [3,3,12,36]
	h = nb.then("p1", "maxpool2d", ir.Attrs{"kernel": 2, "stride": 2}, h) // [3,3,6,18]
	h = nb.relu("c2.act", nb.conv("c2", h, 4, 3, 1, 1))                   // [3,4,6,18]
	h = nb.then("p2", "maxpool2d", ir.Attrs{"kernel": 3, "stride": 3}, h) // [3,4,2,6]
	h = nb.then("flat", "flatten", nil, h)
	logits := nb.dense("out", h, 3)
	nb.layer("loss")
	loss := nb.named("loss", nb.op("softmax_xent", nil, logits, y))
	return nb.finish(logits, loss, adam)
}

// Both pools' gradients fuse with their ReLU's, and the memory plan writes
// each fused result over the ReLU output it reads, which dies there.
func TestPoolGradFusedInPlace(t *testing.T) {
	for _, dtype := range []ir.DType{ir.F32, ir.F64} {
		gs := poolReluGraph(t, dtype)
		if _, err := PlanMemory(gs.train, gs.infer); err != nil {
			t.Fatal(err)
		}
		var groups int
		for _, gr := range gs.train.Groups {
			if gr.Kind != ir.GroupPoolGrad {
				continue
			}
			groups++
			y, dx := gr.Nodes[0].Inputs[0], gr.Last()
			if gs.train.Mem.ByNode[gr.Nodes[0]] != nil {
				t.Errorf("%s: the pool gradient %s has a buffer inside its fused kernel", dtype, gr.Nodes[0])
			}
			if b := gs.train.Mem.ByNode[dx]; b == nil || b != gs.train.Mem.ByNode[y] {
				t.Errorf("%s: %s does not take the buffer of %s", dtype, dx, y)
			}
		}
		if groups != 2 {
			t.Errorf("%s: %d poolgrad groups emitted, want 2", dtype, groups)
		}
	}
}
