package runtime

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlc-dev/dlc/runtime/comm"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// ZeRO stage 1 (-zero on a data-parallel trainer): every rank still
// averages the whole gradient, but updates only its own contiguous slice
// of the flattened parameters, ⌈P/N⌉ elements (the last rank's fewer),
// keeping Adam's moments current for that slice alone; then the ranks
// gather the updated slices (comm.Allgather), so every rank holds every
// parameter. Each element's update reads that element's parameter,
// gradient and moments only, and the step's constants are the generated
// kernel's (kernels.Adam gives its bits), so the weights are bit-identical
// to a run whose every rank updates everything.
//
// The moments stay in the generated model's buffers, at their own
// positions: a rank's moments outside its slice go stale, and
// gatherMoments brings every rank's current slice to every rank before a
// checkpoint is saved or rank 0's state is broadcast, so checkpoints keep
// the whole moments in the format of any other run.

// zeroShard is one rank's part of a ZeRO-1 run.
type zeroShard struct {
	world  comm.Comm
	rules  []UpdateRule
	params []Tensor
	grads  []Tensor
	// moments are each parameter's two Adam moments (m, then v).
	moments [][2]Tensor
	// lo and hi bound this rank's slice of the flattened parameters;
	// chunk is every rank's slice length (the vector padded to N·chunk).
	lo, hi, chunk int
	// part and all are the gathers' buffers.
	part, all []float32
	err       error // the last gather's failure, reported after the step
}

// newZeroShard checks that m's optimizer is Adam and sets up rank's slice.
func newZeroShard(m Model, world comm.Comm) (*zeroShard, error) {
	updater, ok := m.(ParamUpdater)
	if !ok {
		return nil, fmt.Errorf("-zero: this model has no update hook (rebuild it with this dlc)")
	}
	z := &zeroShard{world: world, rules: updater.UpdateRules(), params: m.Params(), grads: m.Grads()}
	if len(z.rules) != len(z.params) || len(z.grads) != len(z.params) {
		return nil, fmt.Errorf("internal error: %d update rules and %d gradients for %d parameters", len(z.rules), len(z.grads), len(z.params))
	}
	state := map[string]Tensor{}
	for _, t := range m.State() {
		state[t.Name] = t
	}
	total := 0
	for i, r := range z.rules {
		if r.Op != "adam_update" {
			return nil, fmt.Errorf("-zero shards Adam's moments, and parameter %s is updated by %s", r.Param, strings.TrimSuffix(r.Op, "_update"))
		}
		mt, okM := state[r.Param+".adam_m"]
		vt, okV := state[r.Param+".adam_v"]
		if !okM || !okV || r.Param != z.params[i].Name {
			return nil, fmt.Errorf("internal error: parameter %s has no Adam moments in the model's state", r.Param)
		}
		z.moments = append(z.moments, [2]Tensor{mt, vt})
		total += len(z.params[i].F32)
	}
	n, rank := world.Size(), world.Rank()
	z.chunk = (total + n - 1) / n
	z.lo, z.hi = min(rank*z.chunk, total), min((rank+1)*z.chunk, total)
	z.part, z.all = make([]float32, z.chunk), make([]float32, z.chunk*n)
	updater.SetParamUpdate(z.update)
	return z, nil
}

// update is the generated update's hook: Adam on this rank's slice, then
// the parameters gathered.
func (z *zeroShard) update(step int, lr float64) {
	off := 0
	for i, p := range z.params {
		a, b := max(z.lo, off), min(z.hi, off+len(p.F32))
		if a < b {
			r, mv := z.rules[i], z.moments[i]
			lo, hi := a-off, b-off
			kernels.Adam(p.F32[lo:hi], z.grads[i].F32[lo:hi], mv[0].F32[lo:hi], mv[1].F32[lo:hi], adamStep(r, step, lr))
		}
		off += len(p.F32)
	}
	if err := z.gather(z.params); err != nil {
		z.err = fmt.Errorf("rank %d: gathering the updated parameters: %v", z.world.Rank(), err)
	}
}

// adamStep is the constants of the generated Adam kernel for rule at step
// with rate lr, computed as it computes them: 1-β in float64 before
// narrowing, the bias corrections 1-β^t in float64, the decoupled shrink
// 1-lr·wd in float64.
func adamStep(r UpdateRule, step int, lr float64) kernels.AdamStep {
	s := kernels.AdamStep{
		Beta1: float32(r.Beta1), Beta2: float32(r.Beta2), Eps: float32(r.Eps),
		OneMinusBeta1: float32(1 - r.Beta1), OneMinusBeta2: float32(1 - r.Beta2),
		Rate: float32(lr),
		C1:   float32(1 - math.Pow(r.Beta1, float64(step))),
		C2:   float32(1 - math.Pow(r.Beta2, float64(step))),
	}
	switch {
	case r.WeightDecay == 0:
		s.Decay = kernels.NoDecay
	case r.Decoupled:
		s.Decay, s.Shrink = kernels.DecoupledDecay, float32(1-lr*r.WeightDecay)
	default:
		s.Decay, s.WeightDecay = kernels.CoupledDecay, float32(r.WeightDecay)
	}
	return s
}

// gatherMoments gives every rank every rank's current slice of the moments.
func (z *zeroShard) gatherMoments() error {
	for k := range 2 {
		tensors := make([]Tensor, len(z.moments))
		for i, mv := range z.moments {
			tensors[i] = mv[k]
		}
		if err := z.gather(tensors); err != nil {
			return fmt.Errorf("rank %d: gathering the optimizer moments: %v", z.world.Rank(), err)
		}
	}
	return nil
}

// gather replaces tensors, flattened in order, with every rank's slice of
// them: rank r's elements r·chunk to (r+1)·chunk.
func (z *zeroShard) gather(tensors []Tensor) error {
	clear(z.part)
	off := 0
	for _, t := range tensors {
		a, b := max(z.lo, off), min(z.hi, off+len(t.F32))
		if a < b {
			copy(z.part[a-z.lo:], t.F32[a-off:b-off])
		}
		off += len(t.F32)
	}
	if err := z.world.Allgather(z.part, z.all); err != nil {
		return err
	}
	off = 0
	for _, t := range tensors {
		off += copy(t.F32, z.all[off:])
	}
	return nil
}
