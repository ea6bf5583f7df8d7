package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		model string
		want  []string
	}{
		{"testdata/tiny.dl", []string{
			"model tiny (f32, batch 16)\n",
			// 64·16 + 16 parameters; 2 FLOPs per multiply-add, 1 per
			// element for the bias and relu; relu's output is kept for
			// backward: 16 rows of 16 float32s.
			"hidden  matmul+bias_add+relu  [16]     1,040  2,081      1.0 KiB\n",
			"loss    softmax_xent          scalar       0      4            -\n",
			"total                                  1,091  2,184      5.2 KiB\n",
		}},
		// LeNet-5's 61,706 parameters, as Keras counts them.
		{"../../examples/mnist/lenet.dl", []string{
			"c1      conv2d+bias_add+relu+maxpool2d  [6,14,14]     156  249,312     2.87 MiB\n",
			"total                                              61,706  852,783     4.33 MiB\n",
		}},
		{"../../examples/deep/plain_bn.dl", []string{
			"h.0.out.batchnorm   batchnorm+batchnorm_running  [64]        128      130            -\n",
			"and 6,272 running statistics not trained",
		}},
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"summary", tc.model}, &stdout, &stderr); code != 0 {
			t.Fatalf("dlc summary %s: exit %d\n%s", tc.model, code, stderr.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.model, w, stdout.String())
			}
		}
	}
}

func TestSummaryErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"summary"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "missing model file") {
		t.Errorf("no model: exit %d, %q", code, stderr.String())
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
