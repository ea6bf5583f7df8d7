package dsl

import (
	"strings"
	"testing"
)

// lossLine completes a model whose statement under test defines h.
const lossLine = "loss = cross_entropy(h, digit)\n"

// complete is a whole model in four lines, for tests of what may follow.
const complete = header + "loss = cross_entropy(dense(image, 10), digit)\n"

func TestErrors(t *testing.T) {
	cases := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		// Syntax.
		{"malformed number", header + "h = dense(image, 512x)\n" + lossLine, 4, 18, `malformed number "512x"`},
		{"missing comma", header + "h = dense(image 512)\n" + lossLine, 4, 17, `expected ")" or "," after argument, found "512"`},
		{"unclosed call", header + "h = dense(image, 10\n" + lossLine, 4, 20, `expected ")" or "," after argument, found end of line`},
		{"unclosed paren", header + "h = (dense(image, 10)\n" + lossLine, 4, 22, `expected ")" to close "(" at 4:5, found end of line`},
		{"no expression", header + "h = \n" + lossLine, 4, 5, "expected an expression, found end of line"},
		{"junk after statement", header + "h = dense(image, 10) x\n" + lossLine, 4, 22, `expected end of line or ";" after the statement, found "x"`},
		{"bad character", header + "h = dense(image, 10) $\n" + lossLine, 4, 22, `unexpected character "$"`},
		{"single bar", header + "h = image | relu\n" + lossLine, 4, 11, `the pipe operator is "|>"`},
		{"no model", "input image: [784]\n", 1, 1, `expected "model NAME" as the first statement, found "input"`},
		{"duplicate model", "model a\nmodel b\n", 2, 1, "duplicate model statement: the model is already named a on line 1"},
		{"keyword as name", "model m\ninput repeat: [3]\n", 2, 7, `keyword "repeat", which cannot be used as a name`},
		{"unassigned call", header + "dense(image, 10)\n", 4, 1, "the result of dense(...) must be given a name"},
		{"plus after pipe", header + "h = image |> relu + image\n" + lossLine, 4, 19, `"+" cannot follow a pipe`},
		{"positional after keyword", header + "h = dense(image, units = 3, 4)\n" + lossLine, 4, 29, "positional argument after a keyword argument"},
		{"return outside block", header + "return image\n", 4, 1, "return outside a block"},
		{"nested block", "model m\nblock a(x) {\n  block b(y) { return y }\n  return x\n}\n", 3, 3, "blocks cannot be nested"},
		{"input in block", "model m\nblock a(x) {\n  input y: [3]\n  return x\n}\n", 3, 3, "an input declaration belongs at the top level"},
		{"unclosed block", "model m\nblock a(x) {\n  return x\n", 4, 1, `expected "}" to close block a opened at 2:12, found end of file`},
		{"empty shape", "model m\ninput x: []\n", 2, 11, "input x needs at least one dimension"},
		{"bad label kind", "model m\nlabel y: int(3)\n", 2, 10, "expected the label kind: class(N) or real"},
		{"stray brace", header + "}\n", 4, 1, `unexpected "}"`},
		{"unclosed train", complete + "train { batch 3\n", 6, 1, `"}" to close the train section opened at 5:7`},

		// Names.
		{"undefined name", header + "h = dense(imag, 10)\n" + lossLine, 4, 11, `undefined name imag (did you mean "image"?)`},
		{"op used as a name", header + "h = relu\n" + lossLine, 4, 5, "relu is an op; call it, as in relu(x), or pipe into it"},
		{"uppercase name", header + "H = dense(image, 10)\nloss = cross_entropy(H, digit)\n", 4, 1, `tensor name "H" must be lowercase`},
		{"go keyword name", header + "func = dense(image, 10)\n", 4, 1, `tensor name "func" is a Go keyword`},
		{"go predeclared name", "model len\n", 1, 7, `model name "len" is predeclared in Go`},
		{"blank name", header + "_ = dense(image, 10)\n", 4, 1, `tensor name "_" is reserved`},
		{"duplicate input", header + "input image: [3]\n", 4, 7, "duplicate name image: already declared as an input on line 2"},
		{"duplicate label", header + "label digit: real\n", 4, 7, "duplicate name digit: already declared as a label on line 3"},
		{"assign to input", header + "image = dense(image, 10)\n", 4, 1, "cannot assign to image: it is declared as an input on line 2"},
		{"duplicate block", header + "block b(x) { return x }\nblock b(x) { return x }\n", 5, 7, "duplicate block b: already declared on line 4"},
		{"block named like op", header + "block relu(x) { return x }\n", 4, 7, "block relu has the name of a built-in op"},
		{"duplicate parameter", header + "block b(x, x) { return x }\n", 4, 12, "duplicate parameter x in block b"},
		{"block sees only its own names", header + "block b(x) { return x + image }\n", 4, 25, "a block sees only its parameters and its own names"},
		{"block recursion", header + "block a(x) { return b(x) }\nblock b(x) { return a(x) }\n", 5, 21, "block a calls itself (a → b → a)"},
		{"self recursion", header + "block a(x) { return repeat 2 a(x) }\n", 4, 30, "block a calls itself (a → a)"},
		{"statement after return", header + "block a(x) {\n  return x\n  y = x\n}\n", 6, 3, "statement after return in block a"},
		{"block without return", header + "block a(x) {\n  y = x\n}\n", 6, 1, "block a must end with a return statement"},
		{"loss in block", header + "block a(x) {\n  loss = x\n  return x\n}\n", 5, 3, "the loss statement belongs at the top level"},

		// Calls.
		{"unknown op", header + "h = dense(image, 10) |> transformer\n" + lossLine, 4, 25, `unknown op "transformer"; known ops: attention, avgpool2d, `},
		{"unknown op typo", header + "h = dens(image, 10)\n" + lossLine, 4, 5, `unknown op "dens" (did you mean "dense"?)`},
		{"op in capitals", header + "h = dense(image, 10) |> Relu\n" + lossLine, 4, 25, `unknown op "Relu" (did you mean "relu"?)`},
		{"op with swapped letters", header + "h = dense(image, 10) |> rleu\n" + lossLine, 4, 25, `unknown op "rleu" (did you mean "relu"?)`},
		{"name with swapped letters", "model m\ninput x: [3]\nlabel kind: class(2)\nloss = cross_entropy(dense(x, 2), knid)\n", 4, 35, `undefined name knid (did you mean "kind"?)`},
		{"name in capitals", header + "h = dense(Image, 10)\n" + lossLine, 4, 11, `undefined name Image (did you mean "image"?)`},
		{"op used bare, misspelt", header + "h = dense(image, 10)\ng = Relu\n" + lossLine, 5, 5, `undefined name Relu (did you mean "relu"?)`},
		{"misspelt statement", header + "inptu x: [3]\n" + complete[len(header):], 4, 1, `unknown statement inptu (did you mean "input"?)`},
		{"statement in capitals", header + "Label y: real\n" + complete[len(header):], 4, 1, `unknown statement Label (did you mean "label"?)`},
		{"too few arguments", header + "h = dense(image)\n" + lossLine, 4, 5, "dense needs argument units: dense(x, units, bias = true, init = \"he_normal\")"},
		{"too many arguments", header + "h = dense(image, 10) |> relu(3)\n" + lossLine, 4, 30, "too many arguments to relu: got 2 counting the piped value, but it takes 1: relu(x)"},
		{"unknown keyword", header + "h = dense(image, 10, unit = 3)\n" + lossLine, 4, 22, `dense has no argument "unit"`},
		{"keyword twice", header + "h = dense(image, 10, units = 3)\n" + lossLine, 4, 22, "argument units of dense is given twice"},
		{"number for tensor", header + "h = relu(3)\n" + lossLine, 4, 10, "relu: argument x must be a tensor, got number 3"},
		{"tensor for number", header + "h = dense(image, image)\n" + lossLine, 4, 18, "dense: argument units must be a whole number from 1 to 16777216, got tensor image of shape [32,784]"},
		{"fractional units", header + "h = dense(image, 2.5)\n" + lossLine, 4, 18, "got number 2.5"},
		{"bad init", header + "h = dense(image, 10, init = \"xavier\")\n" + lossLine, 4, 29, `unknown init "xavier"`},
		{"bias not bool", header + "h = dense(image, 10, bias = 0)\n" + lossLine, 4, 29, "argument bias must be true or false, got number 0"},
		{"add of number", header + "h = image + 1\n" + lossLine, 4, 13, `"+" adds two tensors, but its right operand is number 1`},
		{"repeat of op", header + "h = repeat 2 relu(image)\n" + lossLine, 4, 14, "repeat needs a block, and relu is an op"},
		{"repeat count", header + "block b(x) { return x }\nh = repeat 0 b(image)\n" + lossLine, 5, 12, "repeat count must be a whole number from 1 to 1000, got 0"},
		{"block arity", header + "block b(x, w) { return x }\nh = b(image)\n" + lossLine, 5, 5, "b needs argument w: b(x, w)"},
		{"block gets number", header + "block b(x) { return relu(x) }\nh = b(3)\n" + lossLine, 4, 26, "relu: argument x must be a tensor, got number 3"},

		// Shapes.
		{"class count mismatch", header + "h = dense(image, 10)\nloss = cross_entropy(dense(h, 7), digit)\n", 5, 8, "cross_entropy: label digit has 10 classes but the logits have 7 columns (shape [32,7])"},
		{"residual rank mismatch", "model m\ninput img: [1, 4, 4]\ninput v: [10]\nlabel digit: class(10)\nh = img + v\n" + lossLine, 5, 9, "cannot add img of shape [32,1,4,4] to a tensor of shape [32,10]"},
		{"dense on images", "model m\ninput img: [1, 28, 28]\nlabel digit: class(10)\nh = dense(img, 10)\n" + lossLine, 4, 11, "dense needs an input of shape [batch, features] or [batch, time, features], got img of shape [32,1,28,28]"},
		{"mse shape", "model m\ninput x: [4]\nlabel y: real(2)\nloss = mse(dense(x, 3), y)\n", 4, 8, "mse: prediction has shape [32,3] but target y has shape [32,2]"},

		// Labels and the loss statement.
		{"class label for mse", header + "loss = mse(dense(image, 10), digit)\n", 4, 30, "mse needs a real-valued label (label NAME: real(k))"},
		{"label as input", header + "h = dense(digit, 10)\n" + lossLine, 4, 11, "label digit can only be the second argument of a loss"},
		{"label in a sum", header + "h = dense(image, 1)\nh = h + digit\n" + lossLine, 5, 9, "label digit can only be the second argument of a loss"},
		{"input as label", header + "loss = cross_entropy(dense(image, 10), image)\n", 4, 40, "cross_entropy needs a class label"},
		{"no loss", header + "h = dense(image, 10)\n", 1, 7, "model m has no loss statement"},
		{"loss not a loss op", header + "loss = dense(image, 10)\n", 4, 8, "the loss statement must call a loss op (bce_with_logits or cross_entropy or mse)"},
		{"two losses", complete + lossLine, 5, 1, "duplicate loss statement: the loss is already defined on line 4"},
		{"loss op elsewhere", header + "h = cross_entropy(image, digit)\n" + lossLine, 4, 5, "cross_entropy is a loss: it can only be used in the loss statement"},
		{"one class", "model m\ninput x: [4]\nlabel y: class(1)\n", 3, 16, "number of classes must be a whole number from 2"},
		{"class without count", "model m\ninput x: [4]\nlabel y: class\n", 3, 10, "a class label needs its number of classes"},
		{"zero dimension", "model m\ninput x: [4, 0]\n", 2, 14, "input dimension must be a whole number from 1 to 16777216, got 0"},
		{"huge input", "model m\ninput x: [16777216, 16777216]\n", 2, 7, "input x is too large"},

		// Train section.
		{"batch zero", complete + "train { batch 0 }\n", 5, 15, "batch must be a whole number from 1 to 1048576, got 0"},
		{"split one", complete + "train { split 1 }\n", 5, 15, "split must be a number from 0 up to (not including) 1, got 1"},
		{"negative split", complete + "train { split -0.1 }\n", 5, 15, "got -0.1"},
		{"fractional epochs", complete + "train { epochs 2.5 }\n", 5, 16, "epochs must be a whole number"},
		{"negative seed", complete + "train { seed -1 }\n", 5, 14, "seed must be a whole number from 0 to 18446744073709551615, got -1"},
		{"negative lr", complete + "train { optimizer adam(lr = -1e-3) }\n", 5, 29, "adam: lr must be a number > 0, got -1e-3"},
		{"missing lr", complete + "train { optimizer adam }\n", 5, 19, "adam needs argument lr"},
		{"bad beta", complete + "train { optimizer adam(lr = 1, beta1 = 1) }\n", 5, 40, "beta1 must be a number from 0 up to (not including) 1, got 1"},
		{"lr not a number", complete + "train { optimizer sgd(lr = fast) }\n", 5, 28, "sgd: argument lr must be a number, got fast"},
		{"nesterov without momentum", complete + "train { optimizer sgd(lr = 0.1, nesterov = true) }\n", 5, 19, "sgd: nesterov needs a momentum above 0"},
		{"unknown optimizer", complete + "train { optimizer lion(lr = 1) }\n", 5, 19, "unknown optimizer lion; use sgd(lr = ...), adam(lr = ...), adamw(lr = ...), adagrad(lr = ...) or rmsprop(lr = ...)"},
		{"unknown key", complete + "train { batchs 3 }\n", 5, 9, `unknown train key batchs (did you mean "batch"?); the keys are data, split, by, batch, epochs, seed, optimizer, weight_decay, schedule, warmup, clip_grad_norm, preprocess, init, remat`},
		{"duplicate key", complete + "train {\n  batch 3\n  batch 4\n}\n", 7, 3, "duplicate train key batch: already set at 6:3"},
		{"negative weight decay", complete + "train { weight_decay -1 }\n", 5, 22, "weight_decay must be a number ≥ 0, got -1"},
		{"unknown data", complete + "train { data cifar }\n", 5, 14, "unknown data set cifar"},
		{"duplicate train", complete + "train { batch 3 }\ntrain { batch 4 }\n", 6, 1, "duplicate train section: the first is on line 5"},
		{"train in block", header + "block a(x) {\n  train { batch 3 }\n  return x\n}\n", 5, 3, "the train statement belongs at the top level"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile("t.dl", []byte(c.src), LowerOptions{})
			if err == nil {
				t.Fatalf("no error for:\n%s", c.src)
			}
			for _, e := range dslErrors(t, err) {
				if e.Pos.Line == c.line && e.Pos.Col == c.col && strings.Contains(e.Msg, c.msg) {
					if e.Pos.File != "t.dl" {
						t.Errorf("error file %q, want t.dl", e.Pos.File)
					}
					return
				}
			}
			t.Errorf("want %d:%d: ...%s...; got:\n%s", c.line, c.col, c.msg, FormatError(err, []byte(c.src)))
		})
	}
}

// One mistake gives one message: later uses of a failed name are silent.
func TestErrorsDoNotCascade(t *testing.T) {
	src := header + "h = dense(image, 0)\nh2 = dense(h, 10) |> relu\nloss = cross_entropy(h2, digit)\n"
	_, err := Compile("t.dl", []byte(src), LowerOptions{})
	if errs := dslErrors(t, err); len(errs) != 1 || errs[0].Pos.Line != 4 {
		t.Errorf("got:\n%s", FormatError(err, []byte(src)))
	}
}

// Independent mistakes are all reported, in source order.
func TestErrorsSeveralInSourceOrder(t *testing.T) {
	src := complete + "train { batch 0 }\nh = dense(image, 10) |> transformer\nh = relu(x)\n"
	_, err := Compile("t.dl", []byte(src), LowerOptions{})
	errs := dslErrors(t, err)
	want := [][2]int{{5, 15}, {6, 25}, {7, 10}}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(want), FormatError(err, []byte(src)))
	}
	for i, w := range want {
		if errs[i].Pos.Line != w[0] || errs[i].Pos.Col != w[1] {
			t.Errorf("error %d at %d:%d, want %d:%d: %v", i, errs[i].Pos.Line, errs[i].Pos.Col, w[0], w[1], errs[i])
		}
	}
}

func TestErrorsModelTooLarge(t *testing.T) {
	identity := header + `
block a(x) { return x }
block b(x) { return repeat 1000 a(x) }
block c(x) { return repeat 1000 b(x) }
h = repeat 1000 c(image)
` + lossLine
	if _, err := Compile("t.dl", []byte(identity), LowerOptions{}); err == nil || !strings.Contains(err.Error(), "model too large") {
		t.Fatalf("copies that add no nodes: err = %v", err)
	}
	src := header + `
block a(x) { return relu(x) }
block b(x) { return repeat 1000 a(x) }
block c(x) { return repeat 1000 b(x) }
h = dense(image, 10)
h = repeat 1000 c(h)
` + lossLine
	_, err := Compile("t.dl", []byte(src), LowerOptions{})
	if err == nil || !strings.Contains(err.Error(), "model too large") {
		t.Fatalf("err = %v", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"relu", "relu", 0},
		{"rleu", "relu", 1}, // a swap is one edit
		{"knid", "kind", 1},
		{"relu", "gelu", 1},
		{"dens", "dense", 1},
		{"ab", "ba", 1},
		{"abc", "ca", 3}, // optimal string alignment: no edits of a swapped pair
		{"", "abc", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	// Ties go to the first in sorted order; an exact match is no typo.
	if got := didYouMean("Relu", []string{"relu", "gelu"}); got != ` (did you mean "relu"?)` {
		t.Errorf("Relu: %q", got)
	}
	if got := didYouMean("relu", []string{"relu"}); got != "" {
		t.Errorf("relu among relu: %q", got)
	}
	if got := didYouMean("xy", []string{"xz"}); got != "" {
		t.Errorf("xy suggests %q; two letters are too short for a typo", got)
	}
}
