package rt

import (
	"math"
	"strings"
	"testing"
)

func moments[F float32 | float64](v []F) (mean, std float64) {
	var sum, sumSq float64
	for _, x := range v {
		sum += float64(x)
		sumSq += float64(x) * float64(x)
	}
	n := float64(len(v))
	mean = sum / n
	return mean, math.Sqrt(sumSq/n - mean*mean)
}

// TestInitParamStd draws 100,000 values per scheme; the sample standard
// deviation is then within 1% of the true one (about four standard errors)
// and the mean within 0.02 standard deviations of zero.
func TestInitParamStd(t *testing.T) {
	const fanIn, fanOut = 200, 50
	cases := []struct {
		kind    string
		std     float64
		uniform bool
	}{
		{"he_normal", math.Sqrt(2.0 / fanIn), false},
		{"he_uniform", math.Sqrt(6.0/fanIn) / math.Sqrt(3), true},
		{"xavier_normal", math.Sqrt(2.0 / (fanIn + fanOut)), false},
		{"xavier_uniform", math.Sqrt(6.0/(fanIn+fanOut)) / math.Sqrt(3), true},
	}
	for _, c := range cases {
		w32 := make([]float32, 100000)
		if err := InitParam(w32, c.kind, fanIn, fanOut, NewRNG(1)); err != nil {
			t.Fatal(err)
		}
		w64 := make([]float64, 100000)
		if err := InitParam(w64, c.kind, fanIn, fanOut, NewRNG(2)); err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string][2]float64{"float32": pair(moments(w32)), "float64": pair(moments(w64))} {
			if math.Abs(m[1]/c.std-1) > 0.01 {
				t.Errorf("%s %s: std %v, want %v ± 1%%", c.kind, name, m[1], c.std)
			}
			if math.Abs(m[0]) > 0.02*c.std {
				t.Errorf("%s %s: mean %v, want 0", c.kind, name, m[0])
			}
		}
		if c.uniform {
			bound := c.std * math.Sqrt(3)
			for _, x := range w64 {
				if math.Abs(x) > bound {
					t.Fatalf("%s: %v beyond the bound %v", c.kind, x, bound)
				}
			}
		}
	}
}

func pair(a, b float64) [2]float64 { return [2]float64{a, b} }

func TestInitParamConstants(t *testing.T) {
	w := []float32{3, -1, 7}
	if err := InitParam(w, "zeros", 3, 1, NewRNG(1)); err != nil || w[0] != 0 || w[1] != 0 || w[2] != 0 {
		t.Errorf("zeros gave %v, %v", w, err)
	}
	if err := InitParam(w, "ones", 3, 1, NewRNG(1)); err != nil || w[0] != 1 || w[1] != 1 || w[2] != 1 {
		t.Errorf("ones gave %v, %v", w, err)
	}
}

func TestInitParamIsSeeded(t *testing.T) {
	a, b, c := make([]float64, 10), make([]float64, 10), make([]float64, 10)
	InitParam(a, "he_normal", 10, 10, NewRNG(1).Derive("w"))
	InitParam(b, "he_normal", 10, 10, NewRNG(1).Derive("w"))
	InitParam(c, "he_normal", 10, 10, NewRNG(1).Derive("v"))
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the same stream initialised differently")
		}
	}
	if a[0] == c[0] && a[1] == c[1] {
		t.Error("different streams initialised identically")
	}
}

func TestInitParamUnknownKind(t *testing.T) {
	w := []float32{5}
	err := InitParam(w, "lecun_normal", 1, 1, NewRNG(1))
	if err == nil || !strings.Contains(err.Error(), `unknown initialisation "lecun_normal"`) {
		t.Errorf("got %v", err)
	}
	if w[0] != 5 {
		t.Error("an unknown scheme changed the parameter")
	}
}
