package kernels

// Batch-norm helpers of float32 models for features laid out [rows,
// channels], a dense layer's output: statistics and sums are float64,
// each channel summing its rows in order, and every element takes the
// operations of the generated scalar kernel in the same order, so every
// ISA gives the scalar kernel's bits. The vector forms stream through x
// row by row, a vector of channels at a time, which keeps each channel's
// order of summation; the channels past the last whole vector take the
// scalar loops below. Every slice of channels has len(mean) elements and
// x (y, dy, dx) holds a whole number of rows of them.

// ColumnMeanVar sets mean and variance to each channel's mean and biased
// variance (the variance from the centred values), as the generated
// channelStats kernel computes them.
func ColumnMeanVar(x []float32, mean, variance []float64) {
	rows := float64(len(x) / len(mean))
	clear(mean)
	clear(variance)
	columnSums64(x, mean, columnSums64Vec(x, mean))
	for c := range mean {
		mean[c] /= rows
	}
	columnSqDev(x, mean, variance, columnSqDevVec(x, mean, variance))
	for c := range variance {
		variance[c] /= rows
	}
}

// NormalizeColumns sets y = gamma·(x − mean)·invStd + beta, in float64,
// rounded to float32.
func NormalizeColumns(y, x, gamma, beta []float32, mean, invStd []float64) {
	normalizeColumns(y, x, gamma, beta, mean, invStd, normalizeColumnsVec(y, x, gamma, beta, mean, invStd))
}

// ColumnGradSums sets sumDy to each channel's Σdy and sumDyXhat to its
// Σdy·x̂, with x̂ = (x − mean)·invStd.
func ColumnGradSums(x, dy []float32, mean, invStd, sumDy, sumDyXhat []float64) {
	clear(sumDy)
	clear(sumDyXhat)
	columnGradSums(x, dy, mean, invStd, sumDy, sumDyXhat, columnGradSumsVec(x, dy, mean, invStd, sumDy, sumDyXhat))
}

// NormGrad holds the per-channel values of batch norm's input gradient
// dx = scale·(m·dy − Σdy − x̂·Σdy·x̂), scale = gamma·invStd/m, m the number
// of rows.
type NormGrad struct {
	Mean, InvStd, Scale, SumDy, SumDyXhat []float64
	M                                     float64
}

// NormalizeColumnsGrad sets dx, batch norm's gradient with respect to x.
func NormalizeColumnsGrad(dx, x, dy []float32, g NormGrad) {
	normalizeColumnsGrad(dx, x, dy, g, normalizeColumnsGradVec(dx, x, dy, g))
}

// ColumnSums sets sum to each channel's Σx in float32, rows in order, as
// the generated bias_grad kernel sums them.
func ColumnSums(sum, x []float32) {
	clear(sum)
	columnSums32(sum, x, columnSums32Vec(sum, x))
}

// The scalar loops, over the channels from c0 on.

func columnSums64(x []float32, sum []float64, c0 int) {
	ch := len(sum)
	for r := range len(x) / ch {
		xr := x[r*ch : (r+1)*ch]
		for c := c0; c < ch; c++ {
			sum[c] += float64(xr[c])
		}
	}
}

func columnSqDev(x []float32, mean, sum []float64, c0 int) {
	ch := len(sum)
	mean = mean[:ch]
	for r := range len(x) / ch {
		xr := x[r*ch : (r+1)*ch]
		for c := c0; c < ch; c++ {
			d := float64(xr[c]) - mean[c]
			sum[c] += d * d
		}
	}
}

func normalizeColumns(y, x, gamma, beta []float32, mean, invStd []float64, c0 int) {
	ch := len(mean)
	gamma, beta, invStd = gamma[:ch], beta[:ch], invStd[:ch]
	for r := range len(x) / ch {
		xr, yr := x[r*ch:(r+1)*ch], y[r*ch:(r+1)*ch]
		for c := c0; c < ch; c++ {
			yr[c] = float32(float64(gamma[c])*(float64(xr[c])-mean[c])*invStd[c] + float64(beta[c]))
		}
	}
}

func columnGradSums(x, dy []float32, mean, invStd, sumDy, sumDyXhat []float64, c0 int) {
	ch := len(mean)
	invStd, sumDy, sumDyXhat = invStd[:ch], sumDy[:ch], sumDyXhat[:ch]
	for r := range len(x) / ch {
		xr, dr := x[r*ch:(r+1)*ch], dy[r*ch:(r+1)*ch]
		for c := c0; c < ch; c++ {
			g := float64(dr[c])
			sumDy[c] += g
			sumDyXhat[c] += g * (float64(xr[c]) - mean[c]) * invStd[c]
		}
	}
}

func normalizeColumnsGrad(dx, x, dy []float32, g NormGrad, c0 int) {
	ch := len(g.Mean)
	mean, invStd, scale, sumDy, sumDyXhat := g.Mean, g.InvStd[:ch], g.Scale[:ch], g.SumDy[:ch], g.SumDyXhat[:ch]
	for r := range len(x) / ch {
		xr, dr, out := x[r*ch:(r+1)*ch], dy[r*ch:(r+1)*ch], dx[r*ch:(r+1)*ch]
		for c := c0; c < ch; c++ {
			xhat := (float64(xr[c]) - mean[c]) * invStd[c]
			out[c] = float32(scale[c] * (g.M*float64(dr[c]) - sumDy[c] - xhat*sumDyXhat[c]))
		}
	}
}

func columnSums32(sum, x []float32, c0 int) {
	ch := len(sum)
	for r := range len(x) / ch {
		xr := x[r*ch : (r+1)*ch]
		for c := c0; c < ch; c++ {
			sum[c] += xr[c]
		}
	}
}
