package passes

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// LeNet's backward pass fuses each pool's gradient with its ReLU's, and
// the plan writes each fused result over the ReLU output, which dies
// there; the brute-force checker accepts the plan.
func TestFusePoolGradLeNet(t *testing.T) {
	g := compileExample(t, "../examples/mnist/lenet.dl", Options{})
	var got []string
	for _, gr := range g.Groups {
		if gr.Kind == ir.GroupPoolGrad {
			got = append(got, groupText(gr))
		}
	}
	want := []string{"poolgrad: maxpool2d_grad relu_grad (c2)", "poolgrad: maxpool2d_grad relu_grad (c1)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("poolgrad groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	plan := PlanMemory(g, g.Groups)
	checkPlan(t, g, g.Groups, plan)
	unfused := PlanMemory(g, nil)
	for _, gr := range g.Groups {
		if gr.Kind != ir.GroupPoolGrad {
			continue
		}
		y, dx := gr.Nodes[0].Inputs[0], gr.Last()
		if plan.ByNode[dx] != plan.ByNode[y] {
			t.Errorf("%s: the fused gradient %s does not take the buffer of %s", gr.Nodes[0].Layer, dx, y)
		}
	}
	if plan.Peak >= unfused.Peak {
		t.Errorf("peak with the fused pool gradients %d, without fusion %d: want lower", plan.Peak, unfused.Peak)
	}
}
