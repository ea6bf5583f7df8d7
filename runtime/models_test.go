package runtime

import (
	"math"
	"slices"
)

// softmaxModel is a test-only classifier: softmax regression trained by
// plain SGD, written by hand the way generated code would be.
type softmaxModel struct {
	spec   Spec
	lr     float64
	w      []float32 // inputs × classes
	b      []float32
	logits []float64
	gw, gb []float32 // gradients of the last step
	step   int
	rng    *RNG
	// what the loop fed the model, for assertions
	trainBatchSizes []int
	paddingDirty    bool
}

func newSoftmaxModel(spec Spec, lr float64) *softmaxModel {
	in, k := spec.InputSize(), spec.Classes
	return &softmaxModel{spec: spec, lr: lr, w: make([]float32, in*k), b: make([]float32, k), logits: make([]float64, k),
		gw: make([]float32, in*k), gb: make([]float32, k), rng: NewRNG(0)}
}

func (m *softmaxModel) Spec() Spec { return m.spec }

func (m *softmaxModel) Init(seed uint64) {
	r := NewRNG(seed)
	in, k := m.spec.InputSize(), m.spec.Classes
	if err := InitParam(m.w, "xavier_normal", in, k, r.Derive("fc.w")); err != nil {
		panic(err)
	}
	if err := InitParam(m.b, "zeros", in, k, r.Derive("fc.b")); err != nil {
		panic(err)
	}
}

// probs leaves the softmax of row i's logits in m.logits.
func (m *softmaxModel) probs(x []float32) {
	in, k := m.spec.InputSize(), m.spec.Classes
	for c := range k {
		z := float64(m.b[c])
		for j := range in {
			z += float64(x[j]) * float64(m.w[j*k+c])
		}
		m.logits[c] = z
	}
	top := slices.Max(m.logits)
	var sum float64
	for c := range m.logits {
		m.logits[c] = math.Exp(m.logits[c] - top)
		sum += m.logits[c]
	}
	for c := range m.logits {
		m.logits[c] /= sum
	}
}

func (m *softmaxModel) TrainStep(b *Batch) (float64, error) {
	m.trainBatchSizes = append(m.trainBatchSizes, b.N)
	in, k, rows := m.spec.InputSize(), m.spec.Classes, m.spec.Batch
	gw := make([]float64, in*k)
	gb := make([]float64, k)
	var loss float64
	for i := range rows {
		x := b.X[i*in : (i+1)*in]
		m.probs(x)
		y := int(b.Class[i])
		loss -= math.Log(m.logits[y])
		for c := range k {
			g := m.logits[c]
			if c == y {
				g--
			}
			g /= float64(rows)
			gb[c] += g
			for j := range in {
				gw[j*k+c] += float64(x[j]) * g
			}
		}
	}
	for i := range gw {
		m.gw[i] = float32(gw[i])
		m.w[i] -= float32(m.lr * gw[i])
	}
	for c := range gb {
		m.gb[c] = float32(gb[c])
		m.b[c] -= float32(m.lr * gb[c])
	}
	m.step++
	return loss / float64(rows), nil
}

func (m *softmaxModel) EvalStep(b *Batch) (float64, int, error) {
	in := m.spec.InputSize()
	for _, v := range b.X[b.N*in:] {
		if v != 0 {
			m.paddingDirty = true
		}
	}
	var loss float64
	correct := 0
	for i := range b.N {
		m.probs(b.X[i*in : (i+1)*in])
		y := int(b.Class[i])
		loss -= math.Log(m.logits[y])
		if argmax(m.logits) == y {
			correct++
		}
	}
	return loss, correct, nil
}

func (m *softmaxModel) Params() []Tensor {
	return []Tensor{
		{Name: "fc.w", Shape: []int{m.spec.InputSize(), m.spec.Classes}, F32: m.w},
		{Name: "fc.b", Shape: []int{m.spec.Classes}, F32: m.b},
	}
}

func (m *softmaxModel) Predict(b *Batch, out []float32) error {
	in, k := m.spec.InputSize(), m.spec.Classes
	for i := range b.N {
		m.probs(b.X[i*in : (i+1)*in])
		for c := range k {
			out[i*k+c] = float32(math.Log(m.logits[c]))
		}
	}
	return nil
}

func (m *softmaxModel) State() []Tensor { return nil }

func (m *softmaxModel) Grads() []Tensor {
	return []Tensor{
		{Name: "fc.w.grad", Shape: []int{m.spec.InputSize(), m.spec.Classes}, F32: m.gw},
		{Name: "fc.b.grad", Shape: []int{m.spec.Classes}, F32: m.gb},
	}
}

func (m *softmaxModel) Trace(*Batch, func(Tensor) bool) error { return nil }
func (m *softmaxModel) Step() int                             { return m.step }
func (m *softmaxModel) SetStep(step int)                      { m.step = step }
func (m *softmaxModel) RNG() *RNG                             { return m.rng }

// divergingModel trains normally until step failAt, then reports loss.
type divergingModel struct {
	*softmaxModel
	failAt int
	loss   float64
	steps  int
}

func (m *divergingModel) TrainStep(b *Batch) (float64, error) {
	m.steps++
	l, err := m.softmaxModel.TrainStep(b)
	if m.steps >= m.failAt {
		return m.loss, err
	}
	return l, err
}

// panickingModel fails the way a generated model with an indexing bug would.
type panickingModel struct{ *softmaxModel }

func (m panickingModel) TrainStep(b *Batch) (float64, error) {
	var empty []float32
	i := len(b.X)
	return float64(empty[i]), nil
}

// linearModel is a test-only regression model: one linear layer trained on
// mean squared error by SGD.
type linearModel struct {
	spec Spec
	lr   float64
	w    []float64 // inputs × targets
	b    []float64
}

func newLinearModel(spec Spec, lr float64) *linearModel {
	return &linearModel{spec: spec, lr: lr, w: make([]float64, spec.InputSize()*spec.Targets), b: make([]float64, spec.Targets)}
}

func (m *linearModel) Spec() Spec { return m.spec }

func (m *linearModel) Init(seed uint64) {
	if err := InitParam(m.w, "he_uniform", m.spec.InputSize(), m.spec.Targets, NewRNG(seed).Derive("out.w")); err != nil {
		panic(err)
	}
	clear(m.b)
}

// sqErr returns row i's squared error and adds its gradient, scaled by
// scale, to gw and gb when they are not nil.
func (m *linearModel) sqErr(b *Batch, i int, scale float64, gw, gb []float64) float64 {
	in, k := m.spec.InputSize(), m.spec.Targets
	x := b.X[i*in : (i+1)*in]
	var se float64
	for t := range k {
		pred := m.b[t]
		for j := range in {
			pred += float64(x[j]) * m.w[j*k+t]
		}
		d := pred - float64(b.Target[i*k+t])
		se += d * d
		if gw != nil {
			gb[t] += 2 * d * scale
			for j := range in {
				gw[j*k+t] += 2 * d * scale * float64(x[j])
			}
		}
	}
	return se / float64(k)
}

func (m *linearModel) TrainStep(b *Batch) (float64, error) {
	rows := m.spec.Batch
	gw := make([]float64, len(m.w))
	gb := make([]float64, len(m.b))
	var loss float64
	scale := 1 / float64(rows*m.spec.Targets)
	for i := range rows {
		loss += m.sqErr(b, i, scale, gw, gb)
	}
	for i := range gw {
		m.w[i] -= m.lr * gw[i]
	}
	for i := range gb {
		m.b[i] -= m.lr * gb[i]
	}
	return loss / float64(rows), nil
}

func (m *linearModel) EvalStep(b *Batch) (float64, int, error) {
	var loss float64
	for i := range b.N {
		loss += m.sqErr(b, i, 0, nil, nil)
	}
	return loss, 0, nil
}

func (m *linearModel) Params() []Tensor {
	return []Tensor{
		{Name: "out.w", Shape: []int{m.spec.InputSize(), m.spec.Targets}, F64: m.w},
		{Name: "out.b", Shape: []int{m.spec.Targets}, F64: m.b},
	}
}

func (m *linearModel) Predict(b *Batch, out []float32) error {
	in, k := m.spec.InputSize(), m.spec.Targets
	for i := range b.N {
		for t := range k {
			y := m.b[t]
			for j, x := range b.X[i*in : (i+1)*in] {
				y += float64(x) * m.w[j*k+t]
			}
			out[i*k+t] = float32(y)
		}
	}
	return nil
}

// The introspection methods the trainer does not use with this model.
func (m *linearModel) State() []Tensor                       { return nil }
func (m *linearModel) Grads() []Tensor                       { return nil }
func (m *linearModel) Trace(*Batch, func(Tensor) bool) error { return nil }
func (m *linearModel) Step() int                             { return 0 }
func (m *linearModel) SetStep(int)                           {}
func (m *linearModel) RNG() *RNG                             { return nil }
