package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// updateData returns n values of each operand, varied in sign and size.
func updateData(n, seed int) (p, g, m, v []float32) {
	p, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		x := float64(i*7919+seed) * 0.618
		p[i] = float32(math.Sin(x))
		g[i] = float32(math.Cos(3*x) * 0.1)
		m[i] = float32(math.Sin(5*x) * 0.01)
		v[i] = float32(math.Abs(math.Cos(7*x)) * 0.001)
	}
	return p, g, m, v
}

// eachISA runs f under every kernel family the machine supports.
func eachISA(t *testing.T, f func(t *testing.T)) {
	for k := Scalar; k <= Best; k++ {
		t.Run(k.String(), func(t *testing.T) {
			old, err := SetISA(k)
			if err != nil {
				t.Fatal(err)
			}
			defer SetISA(old)
			f(t)
		})
	}
}

// Every ISA's Adam gives the bits of the scalar loop, vector body and tail
// alike, with each kind of weight decay; and the loop is Adam.
func TestAdamMatchesScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, decay := range []Decay{NoDecay, CoupledDecay, DecoupledDecay} {
			for _, n := range []int{1013, 16, 7} {
				s := AdamStep{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: 0.1, OneMinusBeta2: 0.001, Eps: 1e-8,
					Rate: 1e-3, C1: 0.19, C2: 0.002, Decay: decay, WeightDecay: 0.01, Shrink: 0.99999}
				p, g, m, v := updateData(n, int(decay))
				wp, wg, wm, wv := slices.Clone(p), slices.Clone(g), slices.Clone(m), slices.Clone(v)
				Adam(p, g, m, v, s)
				adamScalar(wp, wg, wm, wv, s)
				for i := range n {
					if p[i] != wp[i] || m[i] != wm[i] || v[i] != wv[i] {
						t.Fatalf("decay %d, n %d, element %d: (p,m,v) = (%v,%v,%v), scalar (%v,%v,%v)", decay, n, i, p[i], m[i], v[i], wp[i], wm[i], wv[i])
					}
				}
			}
		}
	})
	// The scalar loop against the formula in float64.
	p, g, m, v := updateData(100, 3)
	p0, m0, v0 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
	adamScalar(p, g, m, v, AdamStep{Beta1: 0.9, Beta2: 0.99, OneMinusBeta1: 0.1, OneMinusBeta2: 0.01, Eps: 1e-6, Rate: 0.01, C1: 0.5, C2: 0.1})
	for i := range p {
		mi := 0.9*float64(m0[i]) + 0.1*float64(g[i])
		vi := 0.99*float64(v0[i]) + 0.01*float64(g[i])*float64(g[i])
		want := float64(p0[i]) - 0.01*(mi/0.5)/(math.Sqrt(vi/0.1)+1e-6)
		if math.Abs(float64(p[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("adam p[%d] = %v, want %v", i, p[i], want)
		}
	}
}

func TestSGDMatchesScalar(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range []struct {
			velocity, nesterov bool
			decay              Decay
		}{{false, false, NoDecay}, {true, false, CoupledDecay}, {true, true, DecoupledDecay}, {false, false, DecoupledDecay}} {
			name := fmt.Sprintf("%+v", c)
			s := SGDStep{Rate: 0.05, Momentum: 0.9, Nesterov: c.nesterov, Decay: c.decay, WeightDecay: 0.001, Shrink: 0.9995}
			p, g, v, _ := updateData(1013, 5)
			wp, wv := slices.Clone(p), slices.Clone(v)
			vel, wvel := v, wv
			if !c.velocity {
				vel, wvel = nil, nil
			}
			SGD(p, g, vel, s)
			sgdScalar(wp, g, wvel, s)
			if !slices.Equal(p, wp) || !slices.Equal(v, wv) {
				t.Fatalf("%s: SGD differs from the scalar loop", name)
			}
		}
	})
	p, g, v, _ := updateData(50, 9)
	p0, v0 := slices.Clone(p), slices.Clone(v)
	sgdScalar(p, g, v, SGDStep{Rate: 0.1, Momentum: 0.5, Nesterov: true})
	for i := range p {
		vi := 0.5*float64(v0[i]) + float64(g[i])
		want := float64(p0[i]) - 0.1*(float64(g[i])+0.5*vi)
		if math.Abs(float64(p[i])-want) > 1e-6 {
			t.Fatalf("nesterov p[%d] = %v, want %v", i, p[i], want)
		}
	}
}

// Split across two goroutines, Adam gives the bits of one call, with each
// kind of decay and a length that ends in a partial chunk and a scalar tail.
func TestAdamSplitMatchesAdam(t *testing.T) {
	defer SetThreads(SetThreads(2))
	for _, decay := range []Decay{NoDecay, CoupledDecay, DecoupledDecay} {
		const n = 5*updateChunk + 13
		s := AdamStep{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: 0.1, OneMinusBeta2: 0.001, Eps: 1e-8,
			Rate: 1e-3, C1: 0.19, C2: 0.002, Decay: decay, WeightDecay: 0.01, Shrink: 0.99999}
		p, g, m, v := updateData(n, int(decay))
		wp, wm, wv := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		for range 3 { // later steps start from the split's own results
			AdamSplit(p, g, m, v, s)
			Adam(wp, g, wm, wv, s)
		}
		if !slices.Equal(p, wp) || !slices.Equal(m, wm) || !slices.Equal(v, wv) {
			t.Fatalf("decay %d: the split update differs from one call", decay)
		}
		if got := adamStepOf(s.consts()); got != s {
			t.Fatalf("decay %d: the constants carry %+v, want %+v", decay, got, s)
		}
	}
}
