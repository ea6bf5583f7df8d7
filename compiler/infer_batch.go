package compiler

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// InferCacheBudget is the most bytes of activations one inference chunk may
// keep live, when ChooseInferBatch picks the chunk size: half of a 1 MiB L2
// cache, leaving the other half to the weights streaming through it.
const InferCacheBudget = 512 << 10

// ChooseInferBatch picks the sub-batch the inference graph runs at, given
// that graph lowered at the full training batch and planned (infer.Mem).
// Inference activations grow linearly with the rows, so the plan's
// activation peak per row says how many rows fit InferCacheBudget; the
// choice is the largest divisor of the batch that fits, with these
// preferences, in order:
//
//   - the whole batch, if it fits (a small MLP keeps one chunk);
//   - the largest power of two of at least 8 rows that fits, since matrix
//     products slow down on fewer rows;
//   - the largest divisor of at least 8 rows that fits;
//   - when not even that fits, the smallest divisor of at least 8 rows
//     (the batch itself if it has none).
func ChooseInferBatch(infer *ir.Graph) int {
	if infer == nil || infer.Mem == nil || infer.Batch <= 0 {
		return 1
	}
	elem := 4
	if infer.DType == ir.F64 {
		elem = 8
	}
	activations := float64(infer.Mem.Arena-infer.Mem.Persist) * float64(elem)
	return chooseSubBatch(infer.Batch, activations/float64(infer.Batch), InferCacheBudget)
}

// chooseSubBatch is ChooseInferBatch's rule for a batch whose rows take
// rowBytes each, within budget bytes.
func chooseSubBatch(batch int, rowBytes float64, budget float64) int {
	const minRows = 8
	fits := func(b int) bool { return float64(b)*rowBytes <= budget }
	if fits(batch) {
		return batch
	}
	var pow2, fitting, smallest int
	for b := minRows; b < batch; b++ {
		if batch%b != 0 {
			continue
		}
		if smallest == 0 {
			smallest = b
		}
		if fits(b) {
			fitting = b
			if b&(b-1) == 0 {
				pow2 = b
			}
		}
	}
	switch {
	case pow2 > 0:
		return pow2
	case fitting > 0:
		return fitting
	case smallest > 0:
		return smallest
	}
	return batch
}

// CheckInferBatch reports whether b can be the inference sub-batch of a
// model trained at batch: a whole number of rows dividing it.
func CheckInferBatch(b, batch int) error {
	if b < 1 || b > batch || batch%b != 0 {
		return fmt.Errorf("inference batch %d does not divide the batch %d: choose one of %s", b, batch, divisorList(batch))
	}
	return nil
}

// divisorList lists the divisors of n for a message: "1, 2, 4, 8" or, for
// a number with many, the first and last few.
func divisorList(n int) string {
	var ds []int
	for d := 1; d*d <= n; d++ {
		if n%d == 0 {
			ds = append(ds, d)
		}
	}
	for i := len(ds) - 1; i >= 0; i-- {
		if d := n / ds[i]; d != ds[i] {
			ds = append(ds, d)
		}
	}
	s := ""
	for i, d := range ds {
		switch {
		case len(ds) > 12 && i == 6:
			s += ", …"
		case len(ds) > 12 && i > 6 && i < len(ds)-6:
		case i == 0:
			s = fmt.Sprint(d)
		default:
			s += fmt.Sprintf(", %d", d)
		}
	}
	return s
}
