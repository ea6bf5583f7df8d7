package runtime

import (
	"math"
	"slices"
	"strings"
)

// watcher looks at the model after every training step, and stops
// training at the first non-finite loss or gradient; after every epoch it
// reports each layer's gradient health.
type watcher struct {
	model  Model
	layers []layerTensors
	// norms are the last step's gradient norms, per layer.
	norms []float64
	steps int // steps watched this epoch
	// Tensor views, taken once: they alias the model's storage, which
	// never moves.
	grads, params []Tensor
	// sample batches the fixed training sample evaluated after each epoch.
	sample *Batcher
}

// layerTensors are the parameters of one layer and their gradients, as
// indices into the model's Params and Grads.
type layerTensors struct {
	name   string
	params []int
	grads  []int
}

func newWatcher(m Model) *watcher {
	w := &watcher{model: m, params: m.Params(), grads: m.Grads()}
	w.layers = groupLayers(w.params, w.grads)
	w.norms = make([]float64, len(w.layers))
	return w
}

// layerOf is the layer a parameter belongs to: its name without the last
// part ("h1.w" is in layer "h1", "h.0.r.b" in "h.0.r").
func layerOf(param string) string {
	if i := strings.LastIndexByte(param, '.'); i > 0 {
		return param[:i]
	}
	return param
}

// groupLayers groups parameters by layer, in the order the layers first
// appear, and pairs each with its gradient ("<param>.grad").
func groupLayers(params, grads []Tensor) []layerTensors {
	gradOf := map[string]int{}
	for i, g := range grads {
		gradOf[strings.TrimSuffix(g.Name, ".grad")] = i
	}
	var layers []layerTensors
	at := map[string]int{}
	for i, p := range params {
		name := layerOf(p.Name)
		li, ok := at[name]
		if !ok {
			li = len(layers)
			at[name] = li
			layers = append(layers, layerTensors{name: name})
		}
		layers[li].params = append(layers[li].params, i)
		if g, ok := gradOf[p.Name]; ok {
			layers[li].grads = append(layers[li].grads, g)
		}
	}
	return layers
}

// afterStep checks a step's loss and gradients, keeping each layer's
// gradient norm. It returns the divergence error, with its diagnosis,
// when anything is non-finite.
func (w *watcher) afterStep(loss float64, b *Batch, epoch, step int) error {
	finite := !math.IsNaN(loss) && !math.IsInf(loss, 0)
	for li, l := range w.layers {
		var sq float64
		for _, g := range l.grads {
			sq += sumSquares(w.grads[g])
		}
		w.norms[li] = math.Sqrt(sq)
		if math.IsNaN(sq) || math.IsInf(sq, 0) {
			finite = false
		}
	}
	if !finite {
		return diagnose(w.model, w.grads, w.params, loss, b, epoch, step)
	}
	w.steps++
	return nil
}

// sumSquares is the sum of the squares of a tensor's values, in float64
// (a float32 squared cannot overflow it); non-finite when any value is.
func sumSquares(t Tensor) float64 {
	var a, b, c, d float64
	if t.F32 != nil {
		v := t.F32
		i := 0
		for ; i+4 <= len(v); i += 4 {
			x0, x1, x2, x3 := float64(v[i]), float64(v[i+1]), float64(v[i+2]), float64(v[i+3])
			a += x0 * x0
			b += x1 * x1
			c += x2 * x2
			d += x3 * x3
		}
		for ; i < len(v); i++ {
			x := float64(v[i])
			a += x * x
		}
		return a + b + c + d
	}
	for _, x := range t.F64 {
		a += x * x
	}
	return a
}

// nonFinite counts a tensor's NaN and infinite values.
func nonFinite(t Tensor) int {
	n := 0
	for _, x := range t.F32 {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			n++
		}
	}
	for _, x := range t.F64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			n++
		}
	}
	return n
}

func tensorLen(t Tensor) int { return len(t.F32) + len(t.F64) }

// trainSampleSize bounds the training samples evaluated after each epoch
// for train_acc: enough for a steady figure, few enough to cost a small
// part of an epoch.
const trainSampleSize = 10000

// trainSample is a fixed random selection of up to trainSampleSize
// training samples, the same every epoch, in dataset order.
func trainSample(train Subset, seed uint64) Subset {
	if train.Len() <= trainSampleSize {
		return train
	}
	perm := make([]int, train.Len())
	NewRNG(seed).Derive("train-sample").Perm(perm)
	idx := make([]int, trainSampleSize)
	for i := range idx {
		idx[i] = train.Idx[perm[i]]
	}
	slices.Sort(idx)
	return Subset{DS: train.DS, Idx: idx}
}

// endEpoch adds to an epoch's metrics what the watcher measures: loss and
// accuracy on the training sample, and each layer's gradient health.
func (w *watcher) endEpoch(t *trainer, m *EpochMetrics) error {
	if w.sample == nil && t.trainB != nil {
		w.sample = NewBatcher(trainSample(t.trainB.sub, t.opts.seed), t.spec.Batch)
	}
	m.HasTrainEval = true
	var err error
	if m.TrainEvalLoss, m.TrainAcc, err = t.evaluate(w.sample); err != nil {
		return err
	}
	if err := checkFinite(m.TrainEvalLoss, "loss on the training sample", m.Epoch); err != nil {
		return err
	}
	m.Layers = w.epochHealth()
	return nil
}
