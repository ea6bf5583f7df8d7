package runtime

import "math"

// Quality is what the validation set says beyond loss and accuracy: for a
// classifier the confusion matrix (rows the true class, columns the
// predicted one) and each class's accuracy; for a regression model the
// mean absolute error and R², pooled over every target.
type Quality struct {
	Confusion [][]int
	ClassAcc  []*float64 // nil for a class with no validation samples
	MAE, R2   float64
	HasReg    bool // MAE and R2 were measured
}

// qualityMeter measures Quality by running Predict over a subset; its
// buffers are allocated once per run.
type qualityMeter struct {
	spec Spec
	out  []float32
}

func newQualityMeter(spec Spec) *qualityMeter {
	return &qualityMeter{spec: spec, out: make([]float32, spec.Batch*outputSize(spec))}
}

// applies reports whether the meter has something to say for the model:
// one class label or real targets per sample (a token model's per-position
// labels are left to its loss).
func (q *qualityMeter) applies() bool {
	return q.spec.Positions == 0 && q.spec.Vocab == 0 && outputSize(q.spec) > 0
}

// measure predicts every sample of b's subset and tallies the result.
func (q *qualityMeter) measure(m Model, b *Batcher) (Quality, error) {
	var res Quality
	k := q.spec.Classes
	if k > 0 {
		res.Confusion = make([][]int, k)
		for i := range res.Confusion {
			res.Confusion[i] = make([]int, k)
		}
	}
	var absSum, sum, sumSq, resSq float64
	count := 0
	b.EvalOrder()
	width := outputSize(q.spec)
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		if err := m.Predict(batch, q.out); err != nil {
			return res, err
		}
		for i := range batch.N {
			row := q.out[i*width : (i+1)*width]
			if k > 0 {
				res.Confusion[batch.Class[i]][argmax(row)]++
				continue
			}
			for j, y := range row {
				t := float64(batch.Target[i*width+j])
				d := float64(y) - t
				absSum += math.Abs(d)
				resSq += d * d
				sum += t
				sumSq += t * t
				count++
			}
		}
	}
	if k > 0 {
		res.ClassAcc = make([]*float64, k)
		for c, row := range res.Confusion {
			n := 0
			for _, v := range row {
				n += v
			}
			if n > 0 {
				acc := float64(row[c]) / float64(n)
				res.ClassAcc[c] = &acc
			}
		}
		return res, nil
	}
	if count > 0 {
		res.HasReg = true
		res.MAE = absSum / float64(count)
		mean := sum / float64(count)
		if total := sumSq - float64(count)*mean*mean; total > 0 {
			res.R2 = 1 - resSq/total
		}
	}
	return res, nil
}

// argmax is the index of the largest value (the first of equals).
func argmax[F float32 | float64](row []F) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}
