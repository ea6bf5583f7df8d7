package dsl

import (
	"strings"
	"testing"
)

// normMarks lowers src and returns, for each matmul and conv2d, its
// layer and the norm attributes lowering put on it ("" when none).
func normMarks(t *testing.T, src string) map[string]string {
	t.Helper()
	g, err := Compile("m.dl", []byte(src), LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	marks := map[string]string{}
	for _, n := range g.Nodes {
		if n.Op != "matmul" && n.Op != "conv2d" {
			continue
		}
		marks[n.Layer] = ""
		if kind := n.Attrs.Str("norm"); kind != "" {
			marks[n.Layer] = kind
			if n.Attrs.Float("norm_momentum", -1) != 0.1 || n.Attrs.Float("norm_eps", -1) != 1e-5 {
				marks[n.Layer] += "(custom)"
			}
		}
	}
	return marks
}

func TestNormStatementMarksLinearLayers(t *testing.T) {
	got := normMarks(t, header+`block plain(x) {
  return dense(x, 8) |> relu
}
block normed(x) {
  norm batchnorm(momentum = 0.2, eps = 1e-3)
  return dense(x, 8) |> relu
}
a = dense(image, 16) |> relu
norm batchnorm
b = plain(a)
c = normed(b)
d = plain(c)
norm none
e = dense(d, 8)
norm = e |> relu
loss = cross_entropy(dense(norm, 10), digit)
`)
	want := map[string]string{"a": "", "b.out": "batchnorm", "c.out": "batchnorm(custom)", "d.out": "batchnorm", "e": "", "loss.dense": ""}
	for layer, mark := range want {
		if got[layer] != mark {
			t.Errorf("layer %s: marked %q, want %q (all: %v)", layer, got[layer], mark, got)
		}
	}
}

func TestNormStatementErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"norm batchnrom\n", `4:6: unknown norm batchnrom (did you mean "batchnorm"?); use batchnorm, batchnorm(momentum = 0.1, eps = 1e-5) or none`},
		{"norm batchnorm(momentum = 2)\n", "4:27: batchnorm: momentum must be a number from 0 to 1, got 2"},
		{"norm batchnorm(eps = 0)\n", "4:22: batchnorm: eps must be a number > 0, got 0"},
		{"norm batchnorm(scale = 2)\n", `4:16: batchnorm has no argument "scale"`},
		{"norm batchnorm(momentum = m)\n", "4:27: batchnorm: argument momentum must be a number, got m"},
		{"norm none(1)\n", "4:11: too many arguments to none"},
		{"norm 3\n", "4:6: expected batchnorm or none after norm"},
		{"block b(x) {\n  norm layernorm\n  return x\n}\n", "5:8: unknown norm layernorm"},
	} {
		_, err := Compile("m.dl", []byte(header+tc.src+"loss = cross_entropy(dense(image, 10), digit)\n"), LowerOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestRematKey(t *testing.T) {
	for _, tc := range []struct {
		value string
		every int
		err   string
	}{
		{"every(3)", 3, ""},
		{"every(layers = 1)", 1, ""},
		{"none", 0, ""},
		{"every(0)", 0, "every: layers must be a whole number from 1 to 100000, got 0"},
		{"every(2.5)", 0, "got 2.5"},
		{"sometimes", 0, "5:15: unknown remat sometimes; use every(k)"},
		{"every(k)", 0, "5:21: every: argument layers must be a number, got k"},
		{"2", 0, "5:15: remat must be every(k), keeping every k-th layer boundary and recomputing the rest, or none, got 2"},
	} {
		g, err := Compile("m.dl", []byte(header+"loss = cross_entropy(dense(image, 10), digit)\ntrain { remat "+tc.value+" }\n"), LowerOptions{})
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("remat %s: got %v, want %q", tc.value, err, tc.err)
			}
		case err != nil:
			t.Errorf("remat %s: %v", tc.value, err)
		case g.Train.Recipe.RematEvery != tc.every:
			t.Errorf("remat %s: every %d, want %d", tc.value, g.Train.Recipe.RematEvery, tc.every)
		}
	}
}
