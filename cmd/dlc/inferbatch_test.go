package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// dlc plan reports the inference sub-batch, chosen or given, and plans
// inference for that many rows.
func TestPlanInferBatch(t *testing.T) {
	plan := func(args ...string) planReport {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"plan", "-json"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("plan %v: exit %d: %s", args, code, stderr.String())
		}
		var r planReport
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	chosen := plan("../../examples/mnist/lenet.dl")
	whole := plan("-infer-batch", "128", "../../examples/mnist/lenet.dl")
	if chosen.InferBatch != 16 || whole.InferBatch != 128 || chosen.Batch != 128 {
		t.Errorf("inference batches %d and %d of %d, want 16 (chosen) and 128 (given) of 128", chosen.InferBatch, whole.InferBatch, chosen.Batch)
	}
	if 4*chosen.InferPlanned > chosen.TrainPlanned || chosen.InferPlanned >= whole.InferPlanned {
		t.Errorf("LeNet inference plan %d bytes at 16 rows, %d at 128, training %d: want under a quarter of training and below 128 rows'",
			chosen.InferPlanned, whole.InferPlanned, chosen.TrainPlanned)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "-infer-batch", "16", "../../examples/mnist/lenet.dl"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "\ninference (sub-batch 16 of 128) ") {
		t.Errorf("plan does not show the sub-batch:\n%s", stdout.String())
	}
}

func TestInferBatchFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-infer-batch", "0"}, `invalid value "0" for flag -infer-batch: want a whole number of rows, at least 1`},
		{[]string{"build", "-infer-batch", "-4"}, `invalid value "-4" for flag -infer-batch`},
		{[]string{"gen", "-pkg", "lenet", "-infer-batch", "many"}, `invalid value "many" for flag -infer-batch`},
		{[]string{"plan", "-infer-batch", "7"}, "inference batch 7 does not divide the batch 128: choose one of 1, 2, 4, 8, 16, 32, 64, 128"},
		{[]string{"gen", "-pkg", "lenet", "-o", "", "-infer-batch", "256"}, "inference batch 256 does not divide the batch 128"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append(tc.args, "../../examples/mnist/lenet.dl"), &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("dlc %v: exit %d, stderr %q; want a failure saying %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
