package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Model fragments for the error table: a header declaring an input and a
// label, and a loss reading h.
const (
	flatHeader  = "model m\ninput image: [784]\nlabel digit: class(10)\n"
	imageHeader = "model m\ninput image: [1, 28, 28]\nlabel digit: class(10)\n"
	lossOfH     = "loss = cross_entropy(h, digit)\n"
	wholeModel  = flatHeader + "loss = cross_entropy(dense(image, 10), digit)\n"
)

// userError is one mistake a user can make, with where dlc must point and
// what it must say.
type userError struct {
	name string
	src  string
	at   string // line:col of the error in t.dl
	msg  string // a part of the message
}

// userErrors lists every kind of mistake in a model file that dlc reports,
// through the whole compile (parse, both lowerings, the passes, the memory
// check and code generation), as a user sees it. Their sources are also the
// seeds of FuzzCompileAll.
//
// Cycles: a statement sees only the names bound before it (a name used
// before its definition is undefined, and rebinding makes a new value), so
// the tensor graph cannot express a cycle. The one way to write a loop is a
// block calling itself, directly or through others, and that is refused.
var userErrors = []userError{
	// Unknown ops and names.
	{"unknown op", flatHeader + "h = frobnicate(image)\n" + lossOfH, "4:5", `unknown op "frobnicate"; known ops: `},
	{"unknown op typo", flatHeader + "h = dens(image, 10)\n" + lossOfH, "4:5", `unknown op "dens" (did you mean "dense"?)`},
	{"unknown piped op", flatHeader + "h = dense(image, 10) |> transformer\n" + lossOfH, "4:25", `unknown op "transformer"`},
	{"undefined name", flatHeader + "h = dense(imag, 10)\n" + lossOfH, "4:11", `undefined name imag (did you mean "image"?)`},
	{"name used before its definition", flatHeader + "h = relu(g)\ng = dense(image, 10)\n" + lossOfH, "4:10", "undefined name g"},
	{"unknown init", flatHeader + "h = dense(image, 10, init = \"xavier\")\n" + lossOfH, "4:29", `unknown init "xavier"`},
	{"unknown keyword argument", flatHeader + "h = dense(image, 10, unit = 3)\n" + lossOfH, "4:22", `dense has no argument "unit"`},
	{"unknown optimizer", wholeModel + "train { optimizer lion(lr = 1) }\n", "5:19", "unknown optimizer lion"},
	{"unknown train key", wholeModel + "train { batchs 3 }\n", "5:9", `unknown train key batchs (did you mean "batch"?)`},
	{"unknown data set", wholeModel + "train { data cifar }\n", "5:14", "unknown data set cifar"},
	{"unknown label kind", "model m\ninput x: [4]\nlabel y: int(3)\n", "3:10", "expected the label kind: class(N) or real"},

	// Names that generated Go cannot use, or that try to be Go.
	{"go keyword as a name", flatHeader + "func = dense(image, 10)\n", "4:1", `tensor name "func" is a Go keyword`},
	{"predeclared name", "model len\n", "1:7", `model name "len" is predeclared in Go`},
	{"model named main", "model main\ninput x: [4]\nlabel y: class(2)\nloss = cross_entropy(dense(x, 2), y)\n", "1:7", `model name "main" would make the generated package a command`},
	{"model named init", "model init\ninput x: [4]\nlabel y: class(2)\nloss = cross_entropy(dense(x, 2), y)\n", "1:7", `model name "init" cannot name a Go package that is imported`},
	{"uppercase name", flatHeader + "H = dense(image, 10)\nloss = cross_entropy(H, digit)\n", "4:1", `tensor name "H" must be lowercase`},
	{"confusable letter", flatHeader + "һ = dense(image, 10)\n", "4:1", `unexpected character "һ"`},
	{"go code as a name", flatHeader + "a; os.Exit(1) = dense(image, 10)\n", "4:2", `expected "=" after a, found ";"`},

	// Wrong arity and argument types.
	{"too few arguments", flatHeader + "h = dense(image)\n" + lossOfH, "4:5", "dense needs argument units: dense(x, units, bias = true, init = \"he_normal\")"},
	{"too many arguments", flatHeader + "h = dense(image, 10) |> relu(3)\n" + lossOfH, "4:30", "too many arguments to relu: got 2 counting the piped value, but it takes 1: relu(x)"},
	{"argument given twice", flatHeader + "h = dense(image, 10, units = 3)\n" + lossOfH, "4:22", "argument units of dense is given twice"},
	{"positional after keyword", flatHeader + "h = dense(image, units = 3, 4)\n" + lossOfH, "4:29", "positional argument after a keyword argument"},
	{"block arity", flatHeader + "block b(x, w) { return x }\nh = b(image)\n" + lossOfH, "5:5", "b needs argument w: b(x, w)"},
	{"number for a tensor", flatHeader + "h = relu(3)\n" + lossOfH, "4:10", "relu: argument x must be a tensor, got number 3"},
	{"tensor for a number", flatHeader + "h = dense(image, image)\n" + lossOfH, "4:18", "dense: argument units must be a whole number from 1 to 16777216, got tensor image of shape [32,784]"},
	{"fractional width", flatHeader + "h = dense(image, 2.5)\n" + lossOfH, "4:18", "got number 2.5"},
	{"number for a bool", flatHeader + "h = dense(image, 10, bias = 0)\n" + lossOfH, "4:29", "argument bias must be true or false, got number 0"},
	{"string for a number", flatHeader + "h = dense(image, \"ten\")\n" + lossOfH, "4:18", `got string "ten"`},
	{"number added to a tensor", flatHeader + "h = image + 1\n" + lossOfH, "4:13", `"+" adds two tensors, but its right operand is number 1`},
	{"repeat of an op", flatHeader + "h = repeat 2 relu(image)\n" + lossOfH, "4:14", "repeat needs a block, and relu is an op"},
	{"label as a layer input", flatHeader + "h = dense(digit, 10)\n" + lossOfH, "4:11", "label digit can only be the second argument of a loss"},
	{"input as the label", flatHeader + "loss = cross_entropy(dense(image, 10), image)\n", "4:40", "cross_entropy needs a class label"},
	{"class label for mse", flatHeader + "loss = mse(dense(image, 10), digit)\n", "4:30", "mse needs a real-valued label"},
	{"loss is not a loss op", flatHeader + "loss = dense(image, 10)\n", "4:8", "the loss statement must call a loss op"},
	{"no loss", flatHeader + "h = dense(image, 10)\n", "1:7", "model m has no loss statement"},

	// Duplicate names.
	{"duplicate model", "model a\nmodel b\n", "2:1", "duplicate model statement: the model is already named a on line 1"},
	{"duplicate input", flatHeader + "input image: [3]\n", "4:7", "duplicate name image: already declared as an input on line 2"},
	{"duplicate label", flatHeader + "label digit: real\n", "4:7", "duplicate name digit: already declared as a label on line 3"},
	{"input reassigned", flatHeader + "image = dense(image, 10)\n", "4:1", "cannot assign to image: it is declared as an input on line 2"},
	{"duplicate block", flatHeader + "block b(x) { return x }\nblock b(x) { return x }\n", "5:7", "duplicate block b: already declared on line 4"},
	{"block named like an op", flatHeader + "block relu(x) { return x }\n", "4:7", "block relu has the name of a built-in op"},
	{"duplicate block parameter", flatHeader + "block b(x, x) { return x }\n", "4:12", "duplicate parameter x in block b"},
	{"duplicate loss", wholeModel + lossOfH, "5:1", "duplicate loss statement: the loss is already defined on line 4"},
	{"duplicate train key", wholeModel + "train {\n  batch 3\n  batch 4\n}\n", "7:3", "duplicate train key batch: already set at 6:3"},
	{"duplicate train section", wholeModel + "train { batch 3 }\ntrain { batch 4 }\n", "6:1", "duplicate train section: the first is on line 5"},

	// Cycles (see above: only blocks can express one).
	{"block cycle", flatHeader + "block a(x) { return b(x) }\nblock b(x) { return a(x) }\nh = a(image)\n" + lossOfH, "5:21", "block a calls itself (a → b → a)"},
	{"block calls itself", flatHeader + "block a(x) { return repeat 2 a(x) }\n", "4:30", "block a calls itself (a → a)"},

	// Shape mismatches: both shapes, and where each came from.
	{"classes against logits", flatHeader + "h = dense(image, 10)\nloss = cross_entropy(dense(h, 7), digit)\n", "5:8",
		"cross_entropy: label digit has 10 classes but the logits have 7 columns (shape [32,7]); the logits come from layer loss.dense at 5:22, the label is the label digit declared at 3:7"},
	{"mse shapes", "model m\ninput x: [4]\nlabel y: real(2)\nh = dense(x, 3)\nloss = mse(h, y)\n", "5:8",
		"mse: prediction has shape [32,3] but target y has shape [32,2] (the prediction comes from layer h at 4:5, the target is the label y declared at 3:7)"},
	{"bce shapes", "model m\ninput x: [4]\nlabel y: real(2)\nloss = bce_with_logits(dense(x, 3), y)\n", "4:8",
		"bce_with_logits: logits have shape [32,3] but target y has shape [32,2] (the logits come from layer loss.dense at 4:24, the target is the label y declared at 3:7)"},
	{"sum of unrelated shapes", "model m\ninput img: [1, 4, 4]\ninput v: [10]\nlabel digit: class(10)\nh = img + v\n" + lossOfH, "5:9",
		"cannot add img of shape [32,1,4,4] to a tensor of shape [32,10]: a sum of differing shapes projects its left operand, and only from [batch, features] to [batch, features] or from [batch, channels, height, width] to [batch, channels, height, width] (left operand: input img declared at 2:7; right operand: input v declared at 3:7)"},
	{"sum of unmatched images", imageHeader + "a = conv2d(image, 4, 3)\nb = conv2d(image, 4, 19)\nh = flatten(a + b) |> dense(10)\n" + lossOfH, "6:15",
		"no strided 1×1 convolution takes its 26×26 positions to 10×10 (left operand: layer a at 4:5; right operand: layer b at 5:5)"},
	{"dense on an image", imageHeader + "h = dense(image, 10)\n" + lossOfH, "4:11", "dense needs an input of shape [batch, features] or [batch, time, features], got image of shape [32,1,28,28]"},
	{"conv2d on a vector", flatHeader + "h = conv2d(image, 3, 3)\n" + lossOfH, "4:12", "conv2d needs an input of shape [batch, channels, height, width], got image of shape [32,784]"},
	{"kernel larger than the image", imageHeader + "h = conv2d(image, 4, 29) |> flatten |> dense(10)\n" + lossOfH, "4:5", "conv2d: the 29×29 kernel is larger than the 28×28 input of shape [32,1,28,28]"},
	{"pool larger than the image", imageHeader + "h = maxpool2d(image, 29) |> flatten |> dense(10)\n" + lossOfH, "4:5", "maxpool2d: the 29×29 kernel is larger than the 28×28 input of shape [32,1,28,28]"},

	// Unsupported hyperparameter values.
	{"negative learning rate", wholeModel + "train { optimizer adam(lr = -1e-3) }\n", "5:29", "adam: lr must be a number > 0, got -1e-3"},
	{"zero learning rate", wholeModel + "train { optimizer sgd(lr = 0) }\n", "5:28", "sgd: lr must be a number > 0, got 0"},
	{"missing learning rate", wholeModel + "train { optimizer adam }\n", "5:19", "adam needs argument lr"},
	{"momentum of 1", wholeModel + "train { optimizer sgd(lr = 0.1, momentum = 1) }\n", "5:44", "momentum must be a number from 0 up to (not including) 1, got 1"},
	{"beta of 1", wholeModel + "train { optimizer adam(lr = 1, beta1 = 1) }\n", "5:40", "beta1 must be a number from 0 up to (not including) 1, got 1"},
	{"dropout of 1", flatHeader + "h = dense(image, 10) |> dropout(1)\n" + lossOfH, "4:33", "p must be a number from 0 up to (not including) 1, got 1"},
	{"negative dropout", flatHeader + "h = dense(image, 10) |> dropout(-0.5)\n" + lossOfH, "4:33", "got -0.5"},
	{"batch of 0", wholeModel + "train { batch 0 }\n", "5:15", "batch must be a whole number from 1 to 1048576, got 0"},
	{"fractional batch", wholeModel + "train { batch 1.5 }\n", "5:15", "batch must be a whole number from 1 to 1048576, got 1.5"},
	{"epochs of 0", wholeModel + "train { epochs 0 }\n", "5:16", "epochs must be a whole number"},
	{"split of 1", wholeModel + "train { split 1 }\n", "5:15", "split must be a number from 0 up to (not including) 1, got 1"},
	{"negative seed", wholeModel + "train { seed -1 }\n", "5:14", "seed must be a whole number from 0 to 18446744073709551615, got -1"},
	{"negative weight decay", wholeModel + "train { weight_decay -1 }\n", "5:22", "weight_decay must be a number ≥ 0, got -1"},
	{"zero gradient clip", wholeModel + "train { clip_grad_norm 0 }\n", "5:24", "clip_grad_norm must be a number > 0"},
	{"zero eps", wholeModel + "train { optimizer adam(lr = 1e-3, eps = 0) }\n", "5:41", "adam: eps must be a number > 0, got 0"},
	{"batch norm momentum above 1", flatHeader + "h = dense(image, 10) |> batchnorm(momentum = 2)\n" + lossOfH, "4:46", "batchnorm: momentum must be a number from 0 to 1, got 2"},
	{"zero input dimension", "model m\ninput x: [4, 0]\n", "2:14", "input dimension must be a whole number from 1 to 16777216, got 0"},
	{"one class", "model m\ninput x: [4]\nlabel y: class(1)\n", "3:16", "number of classes must be a whole number from 2"},

	// Too large: for the graph, and for memory.
	{"too many layers", flatHeader + "block a(x) { return relu(x) }\nblock b(x) { return repeat 1000 a(x) }\nblock c(x) { return repeat 1000 b(x) }\nh = dense(image, 10)\nh = repeat 1000 c(h)\n" + lossOfH, "5:33", "model too large: more than 100000 nodes"},
	{"layer too large for memory", flatHeader + "h1 = dense(image, 4000000) |> relu\nh = dense(h1, 10)\n" + lossOfH, "4:6", "(-max-memory); layer h1 holds"},
	{"batch too large for memory", imageHeader + "c = conv2d(image, 64, 3, padding = 1) |> relu\nh = global_avgpool(c) |> dense(10)\n" + lossOfH + "train { batch 65536 }\n", "4:5", "over the limit of 8 GiB (-max-memory); layer c holds"},
}

// TestUserErrors compiles every case of the table and checks that the
// message a user reads names the right place, says the right thing, puts
// the caret under the right column, and shows nothing of Go's internals.
func TestUserErrors(t *testing.T) {
	for _, c := range userErrors {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile("t.dl", []byte(c.src), Options{})
			if err == nil {
				t.Fatalf("no error for:\n%s", c.src)
			}
			msg := err.Error()
			if leak := crashText(msg); leak != "" {
				t.Errorf("the message shows %q:\n%s", leak, msg)
			}
			lines := strings.Split(msg, "\n")
			want := "t.dl:" + c.at + ": "
			for i, line := range lines {
				rest, ok := strings.CutPrefix(line, want)
				if !ok || !strings.Contains(rest, c.msg) {
					continue
				}
				var col int
				fmt.Sscanf(c.at[strings.Index(c.at, ":")+1:], "%d", &col)
				if i+2 >= len(lines) || strings.Index(lines[i+2], "^")-len("    ")+1 != col {
					t.Errorf("the caret is not under column %d:\n%s", col, msg)
				}
				return
			}
			t.Errorf("want %s...%s...; got:\n%s", want, c.msg, msg)
		})
	}
}

// crashText returns the first sign of a Go crash or of compiler internals
// in a message meant for a user, or "".
func crashText(msg string) string {
	for _, s := range []string{"panic", "goroutine ", "runtime error", "internal compiler error", "before pass", "after pass", ".go:", "[recovered]"} {
		if strings.Contains(msg, s) {
			return s
		}
	}
	return ""
}

// TestMemoryLimit: the limit is the caller's to set, and the error points
// at the layer to shrink.
func TestMemoryLimit(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "examples/mnist/mlp.dl"))
	if err != nil {
		t.Fatal(err)
	}
	// mlp's largest layer is h1 (784×512 weights with their gradient and
	// two Adam moments: 6.1 MiB), at 7:6.
	_, err = Compile("mlp.dl", src, Options{MaxMemory: 4 << 20})
	if err == nil || !strings.Contains(err.Error(), "mlp.dl:7:6: model too large for memory") ||
		!strings.Contains(err.Error(), "over the limit of 4 MiB") || !strings.Contains(err.Error(), "layer h1 holds 6.") {
		t.Errorf("4 MiB limit: got %v", err)
	}
	if _, err := Compile("mlp.dl", src, Options{MaxMemory: 64 << 20}); err != nil {
		t.Errorf("64 MiB limit: %v", err)
	}
	huge := flatHeader + "h1 = dense(image, 4000000) |> relu\nh = dense(h1, 10)\n" + lossOfH
	if _, err := Compile("t.dl", []byte(huge), Options{MaxMemory: -1}); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[float64]string{0: "0 bytes", 1000: "1000 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 8 << 30: "8 GiB", 6.1 * (1 << 20): "6.1 MiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%v) = %q, want %q", n, got, want)
		}
	}
}
