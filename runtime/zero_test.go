package runtime

import (
	"math"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/runtime/comm"
	"github.com/dlc-dev/dlc/runtime/kernels"
)

// adamModel stands in for a generated model with Adam: two parameters of 5
// and 4 elements, their gradients and moments.
type adamModel struct {
	Model
	params, grads, state []Tensor
	hook                 func(int, float64)
}

func newAdamModel() *adamModel {
	m := &adamModel{}
	for i, n := range []int{5, 4} {
		name := []string{"a", "b"}[i]
		p, g := make([]float32, n), make([]float32, n)
		for j := range n {
			p[j] = float32(math.Sin(float64(7*i + j)))
			g[j] = float32(math.Cos(float64(3*i+j))) / 10
		}
		m.params = append(m.params, Tensor{Name: name, F32: p})
		m.grads = append(m.grads, Tensor{Name: name + ".grad", F32: g})
		m.state = append(m.state, Tensor{Name: name + ".adam_m", F32: make([]float32, n)}, Tensor{Name: name + ".adam_v", F32: make([]float32, n)})
	}
	return m
}

func (m *adamModel) Params() []Tensor                       { return m.params }
func (m *adamModel) Grads() []Tensor                        { return m.grads }
func (m *adamModel) State() []Tensor                        { return m.state }
func (m *adamModel) SetParamUpdate(hook func(int, float64)) { m.hook = hook }
func (m *adamModel) UpdateRules() []UpdateRule {
	return []UpdateRule{
		{Param: "a", Op: "adam_update", Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true},
		{Param: "b", Op: "adam_update", Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
	}
}

// hub joins the ranks of an in-process world: each Allgather waits for
// every rank's part, then for every rank to have copied the result.
type hub struct {
	mu    sync.Mutex
	cond  *sync.Cond
	parts [][]float32
	in    int
	round int
}

// localRank is one rank of a world of goroutines.
type localRank struct {
	comm.Comm
	rank, size int
	h          *hub
}

func (r localRank) Rank() int { return r.rank }
func (r localRank) Size() int { return r.size }

func (r localRank) Allgather(part, all []float32) error {
	h := r.h
	h.mu.Lock()
	defer h.mu.Unlock()
	round := h.round
	h.parts[r.rank] = part
	if h.in++; h.in == r.size {
		h.in, h.round = 0, h.round+1
		h.cond.Broadcast()
	}
	for h.round == round {
		h.cond.Wait()
	}
	for i, p := range h.parts {
		copy(all[i*len(part):], p)
	}
	// Wait for every rank to have copied before any part is replaced.
	if h.in++; h.in == r.size {
		h.in, h.round = 0, h.round+1
		h.cond.Broadcast()
	}
	for h.round == round+1 {
		h.cond.Wait()
	}
	return nil
}

// TestZeroShardMatchesWholeUpdate: at 2, 3 and 4 ranks (slices ending at a
// parameter's end, inside both parameters, and one rank with no elements),
// three Adam steps on each rank's slice, gathered, give every rank the
// parameters and, once gathered, the moments of the whole update.
func TestZeroShardMatchesWholeUpdate(t *testing.T) {
	ref := newAdamModel()
	rules := ref.UpdateRules()
	const steps, lr = 3, 0.01
	for step := 1; step <= steps; step++ {
		for i, p := range ref.params {
			kernels.Adam(p.F32, ref.grads[i].F32, ref.state[2*i].F32, ref.state[2*i+1].F32, adamStep(rules[i], step, lr))
		}
	}
	for _, n := range []int{2, 3, 4} {
		h := &hub{parts: make([][]float32, n)}
		h.cond = sync.NewCond(&h.mu)
		models := make([]*adamModel, n)
		var wg sync.WaitGroup
		for r := range n {
			models[r] = newAdamModel()
			z, err := newZeroShard(models[r], localRank{rank: r, size: n, h: h})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for step := 1; step <= steps; step++ {
					models[r].hook(step, lr)
				}
				if err := z.gatherMoments(); err != nil {
					t.Error(err)
				}
				if z.err != nil {
					t.Error(z.err)
				}
			}()
		}
		wg.Wait()
		for r, m := range models {
			for i, want := range append(slices.Clone(ref.params), ref.state...) {
				got := append(slices.Clone(m.params), m.state...)[i]
				if !slices.Equal(got.F32, want.F32) {
					t.Errorf("%d ranks, rank %d: %s is %v, want %v", n, r, want.Name, got.F32, want.F32)
				}
			}
		}
	}
}

// TestZeroShardNeedsAdam: another optimizer is refused by name.
func TestZeroShardNeedsAdam(t *testing.T) {
	m := &sgdModel{newAdamModel()}
	_, err := newZeroShard(m, localRank{rank: 0, size: 2})
	if err == nil || err.Error() != "-zero shards Adam's moments, and parameter a is updated by sgd" {
		t.Errorf("got %v", err)
	}
}

type sgdModel struct{ *adamModel }

func (sgdModel) UpdateRules() []UpdateRule {
	return []UpdateRule{{Param: "a", Op: "sgd_update"}, {Param: "b", Op: "sgd_update"}}
}

// TestZeroSignalMessage: with -zero a signal between two saves says that
// it saved nothing and which checkpoint stays.
func TestZeroSignalMessage(t *testing.T) {
	e := &interruptedError{sig: os.Interrupt, epoch: 2, step: 40, savedTo: "m.safetensors", kept: true}
	want := "interrupted by SIGINT in epoch 2 after step 40; with -zero a signal saves nothing, and m.safetensors keeps the last checkpoint saved: run again with -resume to continue from it"
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
}
