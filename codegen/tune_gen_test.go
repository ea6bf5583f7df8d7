package codegen_test

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/compiler"
)

// tunedModel's first layer is a 64x64x64 product, which the cost model runs
// on one goroutine.
const tunedModel = `model tuned
input x: [64]
label y: class(8)
h = dense(x, 64) |> relu
loss = cross_entropy(dense(h, 8), y)
train { data mnist  batch 64  epochs 1  optimizer sgd(lr = 0.1)  seed 1 }
`

func TestTunedChoiceReachesTheCode(t *testing.T) {
	train, infer, err := compiler.Graphs("tuned.dl", []byte(tunedModel), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	decisions, err := codegen.Decisions(train, codegen.Options{Infer: infer})
	if err != nil {
		t.Fatal(err)
	}
	var layer codegen.Decision
	for _, d := range decisions {
		if strings.HasPrefix(d.Key, "split/gemm/NN/true/64x64x64/") {
			layer = d
		}
	}
	if layer.Key == "" || layer.Model != "serial" || !strings.Contains(layer.Key, "cols:32") {
		t.Fatalf("no serial decision with a cols:32 candidate for the first layer in %+v", decisions)
	}
	kernelsOf := func(tuning codegen.Tuning) string {
		files, err := codegen.Generate(train, codegen.Options{Infer: infer, Tuning: tuning})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Name == "kernels.go" {
				return string(f.Data)
			}
		}
		t.Fatal("no kernels.go")
		return ""
	}
	split := "kernels.Run2(" + layer.Kernel + "_part"
	if untuned := kernelsOf(nil); strings.Contains(untuned, split) {
		t.Fatalf("the cost model's code already splits %s", layer.Kernel)
	}
	tuned := kernelsOf(codegen.Tuning{layer.Key: "cols:32"})
	i := strings.Index(tuned, split)
	if i < 0 {
		t.Fatalf("tuned cols:32, but %s does not call kernels.Run2", layer.Kernel)
	}
	call := strings.Join(strings.Fields(tuned[i:min(i+400, len(tuned))]), " ")
	if !strings.Contains(call, "ByCols: true") || !strings.Contains(call, "Chunk: 32,") {
		t.Errorf("tuned cols:32, but the call is %s", call)
	}
}
