package compiler

import (
	"strings"
	"testing"
)

// The sub-batch rule: the whole batch if its activations fit the budget,
// else the largest power of two of at least 8 rows that fits, else the
// largest divisor of at least 8 that fits, else the smallest of at least 8.
func TestChooseSubBatch(t *testing.T) {
	const kib = 1 << 10
	for _, tc := range []struct {
		batch    int
		rowBytes float64
		want     int
	}{
		{128, 4 * kib, 128},  // an MLP: 512 KiB for the batch, just fits
		{128, 4*kib + 1, 64}, // a byte more per row: half the batch
		{128, 37 * kib, 8},   // LeNet: 13 rows would fit, 8 is the power of two
		{96, 21 * kib, 16},   // 24 would fit but 16 is a power of two
		{100, 21 * kib, 20},  // no power of two of 8 or more divides 100
		{100, 100 * kib, 10}, // nothing of 8 rows or more fits: the smallest
		{7, 1 << 20, 7},      // a batch under 8 rows stays whole
		{1, 1 << 30, 1},
	} {
		if got := chooseSubBatch(tc.batch, tc.rowBytes, InferCacheBudget); got != tc.want {
			t.Errorf("batch %d, %.0f bytes a row: sub-batch %d, want %d", tc.batch, tc.rowBytes, got, tc.want)
		}
	}
}

func TestCheckInferBatch(t *testing.T) {
	for _, b := range []int{1, 16, 128} {
		if err := CheckInferBatch(b, 128); err != nil {
			t.Errorf("%d of 128: %v", b, err)
		}
	}
	for _, tc := range []struct {
		b, batch int
		want     string
	}{
		{7, 128, "inference batch 7 does not divide the batch 128: choose one of 1, 2, 4, 8, 16, 32, 64, 128"},
		{256, 128, "does not divide the batch 128"},
		{0, 128, "inference batch 0"},
		{7, 720, "choose one of 1, 2, 3, 4, 5, 6, …, 120, 144, 180, 240, 360, 720"},
	} {
		err := CheckInferBatch(tc.b, tc.batch)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d of %d: error %v, want one with %q", tc.b, tc.batch, err, tc.want)
		}
	}
}
