package kernels

// Optimizer updates of float32 models. The generated update kernels pass
// their constants (converted from the model's hyperparameters exactly as
// their scalar loops would) and the step's learning rate; the vector forms
// compute, lane by lane, the same float32 operations in the same order as
// the scalar ones here and in generated float64-style loops, so every ISA
// gives the same bits.

// Decay is how an update applies weight decay.
type Decay int

const (
	NoDecay        Decay = iota
	CoupledDecay         // L2: the gradient becomes g + wd·p
	DecoupledDecay       // the parameter first shrinks, p *= Shrink
)

// AdamStep holds the constants of one Adam step:
//
//	m = Beta1·m + OneMinusBeta1·g; v = Beta2·v + OneMinusBeta2·g·g
//	p -= Rate·(m/C1) / (√(v/C2) + Eps)
//
// with C1, C2 the step's bias corrections 1-βᵗ.
type AdamStep struct {
	Beta1, Beta2, OneMinusBeta1, OneMinusBeta2, Eps float32
	Rate, C1, C2                                    float32
	Decay                                           Decay
	WeightDecay                                     float32 // CoupledDecay's wd
	Shrink                                          float32 // DecoupledDecay's 1 - lr·wd
}

// adamScalar is Adam for any ISA, and the vector forms' tail.
func adamScalar(p, g, m, v []float32, s AdamStep) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		switch s.Decay {
		case CoupledDecay:
			gi = g[i] + s.WeightDecay*p[i]
		case DecoupledDecay:
			p[i] *= s.Shrink
		}
		m[i] = s.Beta1*m[i] + s.OneMinusBeta1*gi
		v[i] = s.Beta2*v[i] + s.OneMinusBeta2*gi*gi
		p[i] -= s.Rate * (m[i] / s.C1) / (sqrt32(v[i]/s.C2) + s.Eps)
	}
}

// SGDStep holds the constants of one SGD step: with a velocity v,
//
//	v = Momentum·v + g; p -= Rate·(Nesterov ? g + Momentum·v : v)
//
// and without one p -= Rate·g.
type SGDStep struct {
	Rate, Momentum float32
	Nesterov       bool
	Decay          Decay
	WeightDecay    float32
	Shrink         float32
}

// sgdScalar is SGD for any ISA, and the vector forms' tail. v is nil
// without momentum.
func sgdScalar(p, g, v []float32, s SGDStep) {
	g = g[:len(p)]
	if v != nil {
		v = v[:len(p)]
	}
	for i := range p {
		gi := g[i]
		switch s.Decay {
		case CoupledDecay:
			gi = g[i] + s.WeightDecay*p[i]
		case DecoupledDecay:
			p[i] *= s.Shrink
		}
		if v != nil {
			v[i] = s.Momentum*v[i] + gi
			if s.Nesterov {
				gi += s.Momentum * v[i]
			} else {
				gi = v[i]
			}
		}
		p[i] -= s.Rate * gi
	}
}
