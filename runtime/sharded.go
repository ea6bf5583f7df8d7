package runtime

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/dlc-dev/dlc/runtime/comm"
)

// sharded is the model of one rank seen as the whole run's: its Spec has
// the global batch; TrainStep trains this rank's rows of a global batch and
// averages gradients and loss over the ranks; EvalStep and Predict run
// every row, a rank's batch at a time.
type sharded struct {
	Model // this rank's, at batch B/N
	spec  Spec
	world comm.Comm
	rows  int // this model's batch: the global batch ÷ ranks
	view  Batch
	// flat holds every gradient and the loss for one allreduce.
	flat []float32
	// zero is this rank's slice of the updates with -zero; nil otherwise.
	zero *zeroShard
}

func newSharded(m Model, r Ranked, world comm.Comm) (*sharded, error) {
	spec := m.Spec()
	n := world.Size()
	if spec.Batch*n != r.Batch {
		return nil, fmt.Errorf("internal error: the model for %d ranks has batch %d, not %d/%d", n, spec.Batch, r.Batch, n)
	}
	if modelDType(m) != "F32" {
		return nil, errors.New("a float64 model trains in one process: data-parallel runs sum float32 gradients")
	}
	synced, ok := m.(GradientSynced)
	if !ok {
		return nil, errors.New("internal error: the generated model has no gradient hook (SetGradientSync)")
	}
	s := &sharded{Model: m, spec: spec, world: world, rows: spec.Batch}
	s.spec.Batch, s.spec.Hash = r.Batch, r.Hash
	synced.SetGradientSync(s.averageGradients)
	return s, nil
}

func (s *sharded) Spec() Spec { return s.spec }

// rowsOf points s.view at rows lo to lo+s.rows of the global batch b, of
// which n are real.
func (s *sharded) rowsOf(b *Batch, lo, n int) *Batch {
	in := len(b.X) / s.spec.Batch
	inputs := s.view.Inputs[:0] // the inputs after X, reusing the slice of slices
	for _, x := range b.Inputs {
		per := len(x) / s.spec.Batch
		inputs = append(inputs, x[lo*per:(lo+s.rows)*per])
	}
	s.view = Batch{X: b.X[lo*in : (lo+s.rows)*in], N: n, Inputs: inputs}
	if b.Class != nil {
		per := len(b.Class) / s.spec.Batch
		s.view.Class = b.Class[lo*per : (lo+s.rows)*per]
	}
	if b.Target != nil {
		per := len(b.Target) / s.spec.Batch
		s.view.Target = b.Target[lo*per : (lo+s.rows)*per]
	}
	return &s.view
}

// mine is this rank's share of a full global batch.
func (s *sharded) mine(b *Batch) (*Batch, error) {
	if len(b.X) != s.spec.Batch*s.spec.InputSize() || b.N != s.spec.Batch {
		return nil, fmt.Errorf("a data-parallel step takes a full batch of %d samples, got %d of %d rows", s.spec.Batch, b.N, len(b.X)/max(1, s.spec.InputSize()))
	}
	return s.rowsOf(b, s.world.Rank()*s.rows, s.rows), nil
}

func (s *sharded) TrainStep(b *Batch) (float64, error) {
	v, err := s.mine(b)
	if err != nil {
		return 0, err
	}
	loss, err := s.Model.TrainStep(v)
	if err == nil && s.zero != nil && s.zero.err != nil {
		err = s.zero.err
	}
	return loss, err
}

// shardUpdates makes s update only its slice of the parameters, ZeRO
// stage 1's way (zero.go).
func (s *sharded) shardUpdates() error {
	z, err := newZeroShard(s.Model, s.world)
	if err != nil {
		return err
	}
	s.zero = z
	return nil
}

// shardsUpdates reports whether m is a rank updating its slice alone.
func shardsUpdates(m Model) bool {
	s, ok := m.(*sharded)
	return ok && s.zero != nil
}

// gatherState brings every rank's current optimizer moments to every rank
// when the updates are sharded, before rank 0's state is saved or
// broadcast; every rank calls it at the same point.
func gatherState(m Model) error {
	if !shardsUpdates(m) {
		return nil
	}
	return m.(*sharded).zero.gatherMoments()
}

func (s *sharded) Trace(b *Batch, visit func(Tensor) bool) error {
	v, err := s.mine(b)
	if err != nil {
		return err
	}
	return s.Model.Trace(v, visit)
}

// averageGradients is the generated TrainStep's hook: every gradient and
// the loss, in one buffer, summed over the ranks and divided by their
// number. Each rank's loss and gradients are means over its B/N rows, so
// their mean is the mean over the global batch.
func (s *sharded) averageGradients(loss float64) (float64, error) {
	grads := s.Model.Grads()
	n := 1
	for _, g := range grads {
		n += len(g.F32)
	}
	if cap(s.flat) < n {
		s.flat = make([]float32, n)
	}
	flat := s.flat[:n]
	at := 0
	for _, g := range grads {
		at += copy(flat[at:], g.F32)
	}
	flat[at] = float32(loss)
	if err := s.world.AllreduceSum(flat); err != nil {
		return loss, fmt.Errorf("rank %d: averaging gradients: %v", s.world.Rank(), err)
	}
	scale := 1 / float32(s.world.Size())
	for i := range flat {
		flat[i] *= scale
	}
	at = 0
	for _, g := range grads {
		at += copy(g.F32, flat[at:])
	}
	return float64(flat[at]), nil
}

// EvalStep evaluates every real row of the global batch b, this rank's
// batch at a time: every rank computes the same sums.
func (s *sharded) EvalStep(b *Batch) (lossSum float64, correct int, err error) {
	for lo := 0; lo < b.N; lo += s.rows {
		l, c, err := s.Model.EvalStep(s.rowsOf(b, lo, min(s.rows, b.N-lo)))
		if err != nil {
			return 0, 0, err
		}
		lossSum += l
		correct += c
	}
	return lossSum, correct, nil
}

func (s *sharded) Predict(b *Batch, out []float32) error {
	per := s.spec.OutputSize
	for lo := 0; lo < b.N; lo += s.rows {
		n := min(s.rows, b.N-lo)
		if err := s.Model.Predict(s.rowsOf(b, lo, n), out[lo*per:]); err != nil {
			return err
		}
	}
	return nil
}

// unwrapped is the generated model behind m, for its optional interfaces
// (Scheduled, Preprocessed).
func unwrapped(m Model) Model {
	if s, ok := m.(*sharded); ok {
		return s.Model
	}
	return m
}

// broadcastTensors copies rank 0's tensors to every rank.
func broadcastTensors(world comm.Comm, tensors []Tensor) error {
	if world == nil || world.Size() == 1 {
		return nil
	}
	for _, t := range tensors {
		if len(t.F32) == 0 {
			continue
		}
		buf := float32Bytes(t.F32)
		if err := world.Broadcast(buf, 0); err != nil {
			return fmt.Errorf("rank %d: broadcasting %s from rank 0: %v", world.Rank(), t.Name, err)
		}
	}
	return nil
}

// float32Bytes views v's memory as bytes, for a broadcast: every rank runs
// the same binary on the same kind of machine, so the byte order agrees.
func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
}
