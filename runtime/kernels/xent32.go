package kernels

import "math"

// Cross-entropy over a float32 model's classes, a row of logits at a
// time: the exponentials run through Exp (vectors, within 1.5 ulps), the
// sums and the loss in float64, in order.

// shiftedExp sets dst to exp(row − max(row)) and returns the sum of dst
// in float64 and the max.
func shiftedExp(dst, row []float32) (sum float64, top float32) {
	dst = dst[:len(row)]
	top = float32(math.Inf(-1))
	for _, v := range row {
		top = max(top, v)
	}
	for j, v := range row {
		dst[j] = v - top
	}
	Exp(dst, dst)
	for _, e := range dst {
		sum += float64(e)
	}
	return sum, top
}

// XentRow32 is −log softmax(row)[label] = log Σ exp(row) − row[label],
// with tmp (as long as row) as scratch.
func XentRow32(row, tmp []float32, label int) float64 {
	sum, top := shiftedExp(tmp, row)
	return float64(top) + math.Log(sum) - float64(row[label])
}

// XentGradRow32 sets out to (softmax(row) − onehot(label))·scale.
func XentGradRow32(out, row []float32, label int, scale float64) {
	sum, _ := shiftedExp(out, row)
	f := float32(scale / sum)
	for j := range out {
		out[j] *= f
	}
	out[label] -= float32(scale)
}
