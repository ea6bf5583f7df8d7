package dsl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// imageHeader declares a model with a one-channel 8×6 image input and a
// 10-class label.
const imageHeader = "model m\ninput img: [1, 8, 6]\nlabel digit: class(10)\n"

func TestLowerLeNet(t *testing.T) {
	src := readExample(t, "../examples/mnist/lenet.dl")
	g := mustCompile(t, string(src), LowerOptions{})
	checkGraph(t, g)
	params := map[string]string{}
	for _, p := range g.Params {
		params[p.Name] = p.Shape.String() + " " + p.Attrs.Str("init")
		if p.Name == "c2.w" && (p.Attrs.Int("fan_in", 0) != 6*5*5 || p.Attrs.Int("fan_out", 0) != 16*5*5) {
			t.Errorf("c2.w fans: %v", p.Attrs)
		}
	}
	for name, want := range map[string]string{
		"c1.w": "[6,1,5,5] he_normal", "c1.b": "[6] zeros",
		"c2.w": "[16,6,5,5] he_normal", "c2.b": "[16] zeros",
		"h1.w": "[400,120] he_normal", "h2.w": "[120,84] he_normal", "logits.w": "[84,10] he_normal",
	} {
		if params[name] != want {
			t.Errorf("parameter %s is %q, want %q", name, params[name], want)
		}
	}
	shapes := map[string]string{}
	for _, n := range g.Nodes {
		shapes[n.Op+"@"+n.Layer] = n.Shape.String()
	}
	for key, want := range map[string]string{
		"conv2d@c1": "[128,6,28,28]", "maxpool2d@c1": "[128,6,14,14]",
		"conv2d@c2": "[128,16,10,10]", "maxpool2d@c2": "[128,16,5,5]",
		"flatten@h1": "[128,400]", "softmax_xent@loss": "[]",
	} {
		if shapes[key] != want {
			t.Errorf("%s has shape %s, want %s", key, shapes[key], want)
		}
	}
}

// lowerOne compiles a model and returns its nodes of op.
func lowerOne(t *testing.T, src, op string) []*ir.Node {
	t.Helper()
	var found []*ir.Node
	for _, n := range mustCompile(t, src, LowerOptions{}).Nodes {
		if n.Op == op {
			found = append(found, n)
		}
	}
	return found
}

func TestLowerConvArguments(t *testing.T) {
	loss := "loss = cross_entropy(dense(flatten(h), 10), digit)\n"
	for _, c := range []struct {
		call  string
		attrs string
		shape string
	}{
		{"conv2d(img, 4, 3)", "map[kernel:3 pad:0 stride:1]", "[32,4,6,4]"},
		{"conv2d(img, 4, kernel = 3, stride = 2, padding = 1)", "map[kernel:3 pad:1 stride:2]", "[32,4,4,3]"},
		{"img |> conv2d(2, 5, padding = 2)", "map[kernel:5 pad:2 stride:1]", "[32,2,8,6]"},
	} {
		convs := lowerOne(t, imageHeader+"h = "+c.call+"\n"+loss, "conv2d")
		if len(convs) != 1 || convs[0].Shape.String() != c.shape || formatMap(convs[0].Attrs) != c.attrs {
			t.Errorf("%s: got %v", c.call, convs)
		}
	}
	// Without a bias there is no bias_add and no parameter b.
	g := mustCompile(t, imageHeader+"h = conv2d(img, 4, 3, bias = false)\n"+loss, LowerOptions{})
	if g.Param("h.b") != nil || g.Param("h.w") == nil {
		t.Errorf("bias = false:\n%s", ir.Dump(g))
	}
}

// formatMap renders attributes with sorted keys: "map[kernel:3 pad:0]".
func formatMap(a ir.Attrs) string { return fmt.Sprint(map[string]any(a)) }

func TestLowerPoolsAndActivations(t *testing.T) {
	loss := "loss = cross_entropy(dense(flatten(h), 10), digit)\n"
	pools := lowerOne(t, imageHeader+"h = img |> maxpool2d |> avgpool2d(3, stride = 1)\n"+loss, "maxpool2d")
	if len(pools) != 1 || pools[0].Attrs.Int("stride", 0) != 2 || pools[0].Attrs.Int("kernel", 0) != 2 || !pools[0].Shape.Equal(ir.Shape{32, 1, 4, 3}) {
		t.Errorf("maxpool2d defaults: %v", pools)
	}
	avg := lowerOne(t, imageHeader+"h = img |> avgpool2d(3, stride = 1)\n"+loss, "avgpool2d")
	if len(avg) != 1 || !avg[0].Shape.Equal(ir.Shape{32, 1, 6, 4}) {
		t.Errorf("avgpool2d(3, stride = 1): %v", avg)
	}
	gap := lowerOne(t, imageHeader+"h = global_avgpool(img)\nloss = cross_entropy(dense(h, 10), digit)\n", "global_avgpool")
	if len(gap) != 1 || !gap[0].Shape.Equal(ir.Shape{32, 1}) {
		t.Errorf("global_avgpool: %v", gap)
	}
	for _, op := range []string{"tanh", "sigmoid", "gelu", "softmax", "leaky_relu"} {
		nodes := lowerOne(t, header+"h = dense(image, 10) |> "+op+"\n"+lossLine, op)
		if len(nodes) != 1 || !nodes[0].Shape.Equal(ir.Shape{32, 10}) {
			t.Errorf("%s: %v", op, nodes)
		}
	}
	slopes := lowerOne(t, header+"h = dense(image, 10) |> leaky_relu |> leaky_relu(slope = 0.2)\n"+lossLine, "leaky_relu")
	if len(slopes) != 2 || slopes[0].Attrs.Float("slope", 0) != 0.01 || slopes[1].Attrs.Float("slope", 0) != 0.2 {
		t.Errorf("leaky_relu slopes: %v", slopes)
	}
}

func TestLowerBCEWithLogits(t *testing.T) {
	g := mustCompile(t, "model m\ninput x: [4]\nlabel y: real(3)\nloss = bce_with_logits(dense(x, 3), y)\n", LowerOptions{})
	checkGraph(t, g)
	if g.Loss.Op != "bce_with_logits" || !g.Output.Shape.Equal(ir.Shape{32, 3}) {
		t.Errorf("loss %s, output %s", ir.FormatNode(g.Loss), ir.FormatNode(g.Output))
	}
}

func TestCNNErrors(t *testing.T) {
	tail := "\nloss = cross_entropy(dense(flatten(h), 10), digit)\n"
	cases := []errCase{
		{"kernel larger than input", imageHeader + "h = conv2d(img, 3, 7)" + tail, 4, 5, "conv2d: the 7×7 kernel is larger than the 8×6 input of shape [32,1,8,6]"},
		{"kernel larger than padded input", imageHeader + "h = conv2d(img, 3, 9, padding = 1)" + tail, 4, 5, "(10×8 with padding 1)"},
		{"conv on flat input", header + "h = conv2d(image, 3, 3)" + tail, 4, 12, "conv2d needs an input of shape [batch, channels, height, width], got image of shape [32,784]; declare image inputs with their channels, as in input image: [1, 28, 28]"},
		{"padding as wide as the kernel", imageHeader + "h = conv2d(img, 3, 3, padding = 3)" + tail, 4, 33, "conv2d: padding 3 must be less than the kernel size 3"},
		{"negative padding", imageHeader + "h = conv2d(img, 3, 3, padding = -1)" + tail, 4, 33, "padding must be a whole number from 0"},
		{"zero stride", imageHeader + "h = conv2d(img, 3, 3, stride = 0)" + tail, 4, 32, "argument stride must be a whole number from 1"},
		{"missing kernel", imageHeader + "h = conv2d(img, 3)" + tail, 4, 5, "conv2d needs argument kernel: conv2d(x, channels, kernel, stride = 1, padding = 0"},
		{"huge output", imageHeader + "h = conv2d(img, 16777216, 1)" + tail, 4, 17, "values per sample is too large"},
		{"dense on images", imageHeader + "h = dense(img, 10)" + tail, 4, 11, "got img of shape [32,1,8,6]; flatten it first, as in flatten(x) |> dense(10)"},
		{"pool larger than input", imageHeader + "h = maxpool2d(img, 7)" + tail, 4, 5, "maxpool2d: the 7×7 kernel is larger than the 8×6 input"},
		{"pool on flat input", header + "h = avgpool2d(image)" + tail, 4, 15, "avgpool2d needs an input of shape [batch, channels, height, width], got image of shape [32,784]"},
		{"pool stride", imageHeader + "h = maxpool2d(img, 2, stride = 1.5)" + tail, 4, 32, "stride must be a whole number from 1 to 16777216, got 1.5"},
		{"pool usage", imageHeader + "h = maxpool2d(img, 2, 2, 2)" + tail, 4, 26, "it takes at most 3: maxpool2d(x, kernel = 2, stride = kernel)"},
		{"global pool on flat input", header + "h = global_avgpool(image)" + tail, 4, 5, "global_avgpool needs an input of shape [batch, channels, height, width], got [32,784]"},
		{"flatten of a flat tensor is fine, of a label is not", header + "h = flatten(digit)" + tail, 4, 13, "label digit can only be the second argument of a loss"},
		{"slope too large", header + "h = dense(image, 10) |> leaky_relu(1e9)" + tail, 4, 36, "slope must be a number from -1e6 to 1e6, got 1e9"},
		{"bce against classes", header + "loss = bce_with_logits(dense(image, 10), digit)\n", 4, 42, "bce_with_logits needs a real-valued label (label NAME: real(k))"},
		{"bce shape", "model m\ninput x: [4]\nlabel y: real(2)\nloss = bce_with_logits(dense(x, 3), y)\n", 4, 8, "bce_with_logits: logits have shape [32,3] but target y has shape [32,2]"},
		{"bce outside the loss", "model m\ninput x: [4]\nlabel y: real(2)\nh = bce_with_logits(x, y)\nloss = mse(dense(x, 2), y)\n", 4, 5, "bce_with_logits is a loss"},
	}
	checkErrCases(t, cases)
}

// The unknown-op message lists the new ops.
func TestKnownOpsListCNNOps(t *testing.T) {
	_, err := Compile("t.dl", []byte(header+"h = dense(image, 10) |> transformer\n"+lossLine), LowerOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, op := range []string{"avgpool2d", "bce_with_logits", "conv2d", "flatten", "gelu", "global_avgpool", "leaky_relu", "maxpool2d", "sigmoid", "softmax", "tanh"} {
		if !strings.Contains(err.Error(), op) {
			t.Errorf("%s missing from %v", op, err)
		}
	}
}
