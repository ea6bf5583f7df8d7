package dsl

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// fuzzSeeds are the examples and a spread of broken inputs.
func fuzzSeeds(f *testing.F) {
	f.Add(readExample(f, "../examples/mnist/mlp.dl"))
	f.Add(readExample(f, "testdata/resmlp.dl"))
	f.Add(readExample(f, "../examples/mnist/lenet.dl"))
	for _, s := range []string{
		"",
		header + "block r(x, w) {\n  y = dense(x, w) |> relu\n  return x + dense(y, w)\n}\nh = dense(image, 8)\nh = h |> repeat 3 r(8)\nloss = cross_entropy(dense(h, 10), digit)\n",
		"model reg\ninput x: [4]\nlabel y: real(2)\nloss = mse(dense(x, 2, bias = false, init = \"zeros\"), y)\ntrain { optimizer sgd(lr = 0.1, momentum = 0.9, nesterov = true) weight_decay 1e-4 }\n",
		header + "h = dense(image, 512x)\n",
		header + "block a(x) { return b(x) }\nblock b(x) { return a(x) }\n",
		header + "h = ((((image\n",
		"model m\ninput x: [0]\nlabel y: class(-1)\n",
		"\"unterminated\n|\xff é }{)(][",
		complete + "train { batch 0 split 1 epochs 2.5 seed -1 optimizer adam(lr = -1) foo 3 }\n",
	} {
		f.Add([]byte(s))
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := Parse("fuzz.dl", src)
		if err != nil {
			_ = FormatError(err, src)
		}
	})
}

func FuzzCompile(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		g, err := Compile("fuzz.dl", src, LowerOptions{})
		if err != nil {
			if FormatError(err, src) == "" {
				t.Fatal("an error rendered as nothing")
			}
			return
		}
		if err := ir.Verify(g); err != nil {
			t.Fatalf("compiled graph fails Verify: %v", err)
		}
		if g.Loss == nil || g.Output == nil {
			t.Fatal("compiled graph has no loss or output")
		}
	})
}
