package runtime

import (
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/runtime/comm"
)

// syncedModel stands in for a generated model with the gradient hook: its
// "gradients" are made from the first input of the rows it trains on.
type syncedModel struct {
	*softmaxModel
	hook    func(float64) (float64, error)
	trained []float32   // the inputs of the last TrainStep
	more    [][]float32 // and its inputs after the first
}

func (m *syncedModel) SetGradientSync(hook func(float64) (float64, error)) { m.hook = hook }

func (m *syncedModel) TrainStep(b *Batch) (float64, error) {
	m.trained = slices.Clone(b.X)
	m.more = nil
	for _, x := range b.Inputs {
		m.more = append(m.more, slices.Clone(x))
	}
	for i := range m.gw {
		m.gw[i] = float32(i+1) * b.X[0]
	}
	for i := range m.gb {
		m.gb[i] = b.X[0]
	}
	return m.hook(float64(b.X[0]))
}

// otherRank is rank 1 of 2 whose partner contributes 10 to every sum.
type otherRank struct{ comm.Comm }

func (otherRank) Rank() int { return 1 }
func (otherRank) Size() int { return 2 }
func (otherRank) AllreduceSum(buf []float32) error {
	for i := range buf {
		buf[i] = 10 + buf[i] // rank 0's part first
	}
	return nil
}

func rankedTestModels() (Ranked, Spec) {
	spec := Spec{Name: "t", InputShape: []int{2}, Classes: 2, OutputSize: 2, Batch: 2, Hash: "at2"}
	r := Ranked{Batch: 4, Hash: "at4", New: map[int]func() Model{
		1: func() Model { s := spec; s.Batch = 4; return newSoftmaxModel(s, 0.1) },
		2: func() Model { return &syncedModel{softmaxModel: newSoftmaxModel(spec, 0.1)} },
	}}
	return r, spec
}

// Rank 1 of 2 trains on rows 2 and 3 of a global batch of 4, and its
// gradients and loss become the mean of its own and rank 0's.
func TestShardedTrainStep(t *testing.T) {
	r, _ := rankedTestModels()
	m, err := r.model(otherRank{})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Spec(); s.Batch != 4 || s.Hash != "at4" {
		t.Errorf("the run's spec has batch %d and hash %q, want the global 4 and at4", s.Batch, s.Hash)
	}
	b := &Batch{X: []float32{0, 1, 2, 3, 4, 5, 6, 7}, Class: []int32{0, 1, 0, 1}, N: 4, Inputs: [][]float32{{10, 11, 12, 13}}}
	loss, err := m.TrainStep(b)
	if err != nil {
		t.Fatal(err)
	}
	inner := unwrapped(m).(*syncedModel)
	if !slices.Equal(inner.trained, []float32{4, 5, 6, 7}) {
		t.Errorf("rank 1 trained on %v, want rows 2 and 3: [4 5 6 7]", inner.trained)
	}
	if len(inner.more) != 1 || !slices.Equal(inner.more[0], []float32{12, 13}) {
		t.Errorf("rank 1's second input is %v, want rows 2 and 3: [12 13]", inner.more)
	}
	if loss != 7 {
		t.Errorf("loss %v, want (10 + 4) / 2", loss)
	}
	for i, g := range inner.gw {
		if want := (10 + float32(i+1)*4) / 2; g != want {
			t.Errorf("gradient %d is %v, want %v", i, g, want)
		}
	}
	if _, err := m.TrainStep(&Batch{X: b.X, Class: b.Class, N: 3}); err == nil {
		t.Error("a partial global batch was trained on")
	}
}

// Every rank evaluates every row, a rank's batch at a time, and gets what
// one model at the global batch gets.
func TestShardedEvalStep(t *testing.T) {
	r, _ := rankedTestModels()
	m, err := r.model(otherRank{})
	if err != nil {
		t.Fatal(err)
	}
	whole := r.New[1]().(*softmaxModel)
	m.Init(3)
	whole.Init(3)
	b := &Batch{X: []float32{0.5, 1, -2, 3, 4, -5, 0, 0}, Class: []int32{0, 1, 1, 0}, N: 3}
	loss, correct, err := m.EvalStep(b)
	wantLoss, wantCorrect, _ := whole.EvalStep(b)
	if err != nil || loss != wantLoss || correct != wantCorrect {
		t.Errorf("sharded evaluation %v, %d, %v; one model %v, %d", loss, correct, err, wantLoss, wantCorrect)
	}
	out, want := make([]float32, 6), make([]float32, 6)
	if err := m.Predict(b, out); err != nil {
		t.Fatal(err)
	}
	whole.Predict(b, want)
	if !slices.Equal(out, want) {
		t.Errorf("sharded predictions %v, one model's %v", out, want)
	}
}

func TestRankedRefusesUnbuiltWorlds(t *testing.T) {
	r, _ := rankedTestModels()
	for _, tc := range []struct {
		size int
		want string
	}{
		{3, "3 ranks do not divide the batch of 4 samples; this trainer runs on 1 2 ranks"},
		{4, "this trainer was built for 1 2 ranks (batch 4), not 4: rebuild with dlc build -mpi -ranks 4"},
	} {
		_, err := r.model(worldOf{tc.size})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d ranks: %v, want %q", tc.size, err, tc.want)
		}
	}
}

type worldOf struct{ size int }

func (w worldOf) Rank() int                    { return 0 }
func (w worldOf) Size() int                    { return w.size }
func (worldOf) AllreduceSum([]float32) error   { return nil }
func (worldOf) Allgather(_, _ []float32) error { return nil }
func (worldOf) Broadcast([]byte, int) error    { return nil }
func (worldOf) Barrier() error                 { return nil }
func (worldOf) Abort(int, string)              {}
func (worldOf) Close() error                   { return nil }
