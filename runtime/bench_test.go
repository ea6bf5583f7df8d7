package runtime

import (
	"encoding/json"
	"strings"
	"testing"
)

// countingModel counts the predictions asked of it.
type countingModel struct {
	*softmaxModel
	predicted int
}

func (m *countingModel) Predict(b *Batch, out []float32) error {
	m.predicted += b.N
	return m.softmaxModel.Predict(b, out)
}

func TestBenchTrainsAcrossEpochsAndTimesPredictions(t *testing.T) {
	dir := mnistFolder(t)
	m := &countingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5)}
	// 360 training samples make 22 batches of 16 per epoch: 32 steps run
	// into a second epoch.
	stdout, _, err := run(m, "bench", "-data", dir, "-warmup", "2", "-steps", "30", "-infer", "40")
	if err != nil {
		t.Fatal(err)
	}
	var res BenchResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("bench output %q: %v", stdout, err)
	}
	if res.Model != "digits" || res.Batch != 16 || res.Steps != 30 || res.Warmup != 2 || res.GOMAXPROCS < 1 {
		t.Errorf("result describes the wrong run: %+v", res)
	}
	if m.step != 32 || len(m.trainBatchSizes) != 32 {
		t.Errorf("took %d steps (%d batches), want 32", m.step, len(m.trainBatchSizes))
	}
	for i, n := range m.trainBatchSizes {
		if n != 16 {
			t.Fatalf("step %d trained on a batch of %d samples, want only full batches of 16", i, n)
		}
	}
	if res.TrainSecs <= 0 || res.TrainPerSec <= 0 {
		t.Errorf("training not timed: %+v", res)
	}
	// A separable problem: 32 steps of SGD leave the loss well below ln 4.
	if res.LastLoss <= 0 || res.LastLoss > 1.0 {
		t.Errorf("last loss %v: the timed steps did not train the model", res.LastLoss)
	}
	// 40 samples take three full batches; one more batch is the warm-up;
	// then 40 predictions of one sample each.
	if res.InferN != 48 || m.predicted != 64+40 {
		t.Errorf("timed %d predictions (%d in all), want 48 timed of 104", res.InferN, m.predicted)
	}
	if res.InferSecs <= 0 || res.InferPerSec <= 0 || res.PredictOneSecs <= 0 {
		t.Errorf("inference not timed: %+v", res)
	}
}

func TestBenchWrapsAroundTheTestSet(t *testing.T) {
	dir := mnistFolder(t)
	m := &countingModel{softmaxModel: newSoftmaxModel(digitsSpec(), 0.5)}
	// 100 test samples hold 6 full batches of 16; 200 samples go round twice.
	stdout, _, err := run(m, "bench", "-data", dir, "-warmup", "0", "-steps", "1", "-infer", "200")
	if err != nil {
		t.Fatal(err)
	}
	var res BenchResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.InferN != 208 {
		t.Errorf("timed %d predictions, want 208 (13 full batches)", res.InferN)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	dir := mnistFolder(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "-data", dir, "-steps", "-1"}, "-steps must not be negative"},
		{[]string{"bench", "-data", dir, "-infer", "-3"}, "-infer must not be negative"},
		{[]string{"bench"}, "-data is required"},
		{[]string{"bench", "-data", dir, "extra"}, `unexpected argument "extra"`},
	} {
		_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
