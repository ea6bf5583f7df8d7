package runtime

import "strconv"

// Batcher cuts a subset into batches of the model's static size, filling
// one reusable Batch so that a pass over the data allocates nothing.
//
// Each pass starts with TrainOrder or EvalOrder:
//
//   - TrainOrder shuffles the samples, the order fixed by the seed and the
//     epoch number, and yields only full batches: the last Len mod size
//     samples are skipped that epoch. The order changes every epoch, so
//     every sample is still trained on, and no step sees a padded batch
//     whose mean loss would weigh its samples differently.
//   - EvalOrder visits the samples in subset order and yields every one;
//     the final batch is zero-padded and its N is below the batch size.
type Batcher struct {
	sub        Subset
	size       int
	sampleSize int
	targets    int
	order      []int // positions in sub.Idx, in visiting order
	next       int   // index in order of the next sample to deliver
	fullOnly   bool
	batch      Batch
	labels     int // class labels per sample
	// draws, when above 0, makes a training pass that many batches of
	// samples drawn at random (windows of a text) instead of a shuffle.
	draws int
}

// NewBatcher returns a batcher of size samples per batch over sub, ready for
// an EvalOrder pass.
func NewBatcher(sub Subset, size int) *Batcher {
	ds := sub.DS
	b := &Batcher{
		sub:        sub,
		size:       size,
		sampleSize: ds.SampleSize(),
		targets:    ds.TargetsPerSample(),
		order:      make([]int, sub.Len()),
		labels:     1,
	}
	if ds.Text != nil {
		b.labels = ds.SampleSize()
	} else if ds.Class != nil && ds.N > 0 {
		b.labels = len(ds.Class) / ds.N // a label per position: class(N, T)
	}
	b.batch.X = make([]float32, size*b.sampleSize)
	for _, in := range ds.Inputs {
		b.batch.Inputs = append(b.batch.Inputs, make([]float32, size*product(in.SampleShape)))
	}
	if ds.Class != nil || ds.Text != nil {
		b.batch.Class = make([]int32, size*b.labels)
	} else {
		b.batch.Target = make([]float32, size*b.targets)
	}
	b.EvalOrder()
	return b
}

// TrainOrder starts a shuffled pass of full batches for the given epoch.
func (b *Batcher) TrainOrder(seed uint64, epoch int) {
	if b.draws > 0 {
		b.drawOrder(seed, epoch)
		return
	}
	b.order = b.order[:b.sub.Len()]
	NewRNG(seed).Derive("shuffle/" + strconv.Itoa(epoch)).Perm(b.order)
	b.next = 0
	b.fullOnly = true
}

// EvalOrder starts a sequential pass over every sample.
func (b *Batcher) EvalOrder() {
	b.order = b.order[:b.sub.Len()]
	for i := range b.order {
		b.order[i] = i
	}
	b.next = 0
	b.fullOnly = false
}

// Batches is the number of batches the current pass yields.
func (b *Batcher) Batches() int {
	if b.fullOnly {
		return len(b.order) / b.size
	}
	return (len(b.order) + b.size - 1) / b.size
}

// Next fills the batch with the next samples of the pass and returns it,
// or returns false when the pass is over. The batch is overwritten by the
// following call.
func (b *Batcher) Next() (*Batch, bool) {
	n := min(b.size, len(b.order)-b.next)
	if n <= 0 || (b.fullOnly && n < b.size) {
		return nil, false
	}
	ds := b.sub.DS
	for row := range n {
		i := b.sub.Idx[b.order[b.next+row]]
		if ds.Text != nil {
			ds.copyWindow(b.batch.X[row*b.sampleSize:(row+1)*b.sampleSize], b.batch.Class[row*b.labels:(row+1)*b.labels], i)
			continue
		}
		ds.CopySample(b.batch.X[row*b.sampleSize:(row+1)*b.sampleSize], i)
		for k, in := range ds.Inputs {
			size := len(b.batch.Inputs[k]) / b.size
			copy(b.batch.Inputs[k][row*size:(row+1)*size], in.X[i*size:(i+1)*size])
		}
		if b.batch.Class != nil {
			copy(b.batch.Class[row*b.labels:(row+1)*b.labels], ds.Class[i*b.labels:(i+1)*b.labels])
		} else {
			copy(b.batch.Target[row*b.targets:(row+1)*b.targets], ds.Target[i*b.targets:(i+1)*b.targets])
		}
	}
	b.padFrom(n)
	b.next += n
	b.batch.N = n
	return &b.batch, true
}

// padFrom zeroes the rows from n on, so that padding never carries a
// previous batch's samples into the model.
func (b *Batcher) padFrom(n int) {
	clear(b.batch.X[n*b.sampleSize:])
	for _, x := range b.batch.Inputs {
		clear(x[n*len(x)/b.size:])
	}
	if b.batch.Class != nil {
		clear(b.batch.Class[n*b.labels:])
	} else {
		clear(b.batch.Target[n*b.targets:])
	}
}

// DrawWindows makes every training pass draws batches of samples drawn
// uniformly at random, with replacement, from the model's random stream
// (fixed by the seed and the pass): the windows of a text, where a pass
// over every position is no natural epoch.
func (b *Batcher) DrawWindows(draws int) {
	b.draws = draws
	if n := draws * b.size; cap(b.order) < n {
		b.order = make([]int, 0, max(n, len(b.order)))
	}
}

// drawOrder starts a pass of b.draws batches of random samples.
func (b *Batcher) drawOrder(seed uint64, epoch int) {
	rng := NewRNG(seed).Derive("windows/" + strconv.Itoa(epoch))
	b.order = b.order[:b.draws*b.size]
	for k := range b.order {
		b.order[k] = rng.Intn(b.sub.Len())
	}
	b.next = 0
	b.fullOnly = true
}

// trainSteps is the number of batches of a training pass: the full ones
// (TrainOrder skips the rest), or the drawn ones of a text.
func (b *Batcher) trainSteps() int {
	if b.draws > 0 {
		return b.draws
	}
	return b.sub.Len() / b.size
}
