package compiler

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzCompileShapes compiles models built from fuzzed numbers: the sizes,
// kernel, stride, padding and pooling of a small convolutional network, its
// width and batch, and which optional layers and training settings it has.
// Every input is a model that parses, so the fuzzer's time goes to the
// shape rules, the passes and code generation rather than to syntax.
func FuzzCompileShapes(f *testing.F) {
	f.Add(uint8(1), uint8(28), uint8(28), uint8(6), uint8(5), uint8(1), uint8(2), uint8(2), uint16(120), uint16(128), uint16(0))
	f.Add(uint8(3), uint8(8), uint8(9), uint8(4), uint8(3), uint8(2), uint8(1), uint8(3), uint16(16), uint16(5), uint16(0xffff))
	f.Add(uint8(2), uint8(5), uint8(5), uint8(2), uint8(5), uint8(1), uint8(0), uint8(1), uint16(1), uint16(1), uint16(0x5555))
	f.Add(uint8(1), uint8(4), uint8(4), uint8(1), uint8(1), uint8(3), uint8(0), uint8(2), uint16(3), uint16(2), uint16(0xaaaa))
	f.Fuzz(func(t *testing.T, channels, height, width, filters, kernel, stride, padding, pool uint8, units, batch, layers uint16) {
		src := shapeModel(channels, height, width, filters, kernel, stride, padding, pool, units, batch, layers)
		res, err := Compile("fuzz.dl", []byte(src), Options{})
		if err != nil {
			checkRefusal(t, err)
			if !strings.HasPrefix(err.Error(), "fuzz.dl:") {
				t.Fatalf("a refusal without a position:\n%s\nfor:\n%s", err, src)
			}
			return
		}
		checkCompiled(t, res)
	})
}

// shapeModel writes the model FuzzCompileShapes compiles; each bit of
// layers switches one optional part on.
func shapeModel(channels, height, width, filters, kernel, stride, padding, pool uint8, units, batch, layers uint16) string {
	on := func(bit uint) bool { return layers&(1<<bit) != 0 }
	pick := func(bit uint, yes, no string) string {
		if on(bit) {
			return yes
		}
		return no
	}
	var b strings.Builder
	fmt.Fprintf(&b, "model fuzz\ninput image: [%d, %d, %d]\n", channels, height, width)
	regression := on(11)
	if regression {
		b.WriteString("label target: real(3)\n")
	} else {
		b.WriteString("label digit: class(10)\n")
	}
	act := pick(5, "gelu", pick(7, "leaky_relu(0.1)", "relu"))
	fmt.Fprintf(&b, "c = conv2d(image, %d, %d, stride = %d, padding = %d)%s |> %s\n",
		filters, kernel, stride, padding, pick(0, " |> batchnorm", ""), act)
	if on(2) { // a residual branch of the same shape, or one projected onto it
		fmt.Fprintf(&b, "c = c + (conv2d(c, %d, 3, padding = 1) |> %s)\n", int(filters)+int(layers>>14), act)
	}
	if on(8) {
		fmt.Fprintf(&b, "c = conv2d(c, %d, 1, stride = 2)\n", filters)
	}
	fmt.Fprintf(&b, "c = %s(c, %d)\n", pick(1, "maxpool2d", "avgpool2d"), pool)
	if on(6) {
		b.WriteString("h = global_avgpool(c)\n")
	} else {
		b.WriteString("h = flatten(c)\n")
	}
	fmt.Fprintf(&b, "h = dense(h, %d)%s |> %s\n", units, pick(4, " |> layernorm", ""), act)
	if on(3) {
		fmt.Fprintf(&b, "h = dropout(h, %g)\n", float64(layers%7)/7)
	}
	if on(9) {
		fmt.Fprintf(&b, "h = h + drop_path(dense(h, %d), 0.2)\n", units)
	}
	switch {
	case regression && on(12):
		b.WriteString("loss = bce_with_logits(dense(h, 3), target)\n")
	case regression:
		b.WriteString("loss = mse(dense(h, 3), target)\n")
	default:
		b.WriteString("loss = cross_entropy(dense(h, 10), digit)\n")
	}
	fmt.Fprintf(&b, "train {\n  batch %d\n  optimizer %s\n", batch, pick(10, "adam(lr = 1e-3)", "sgd(lr = 0.1, momentum = 0.9)"))
	if on(13) {
		b.WriteString("  preprocess standardize\n")
	}
	if on(14) {
		b.WriteString("  clip_grad_norm 1.0\n  schedule cosine\n  warmup 10\n")
	}
	if on(15) {
		b.WriteString("  weight_decay decoupled(1e-2, exclude = \"bias norm\")\n")
	}
	b.WriteString("}\n")
	return b.String()
}
