package kernels

// Batch-norm helpers of float32 models for planes laid out [rows,
// channels, inner], inner > 1 (a convolution's output): statistics and
// sums are float64, as in the generated scalar kernels, but each channel's
// sums are kept in planeLanes partial sums, element i of a plane adding
// into lane i mod planeLanes (the planes of the channel's rows in order),
// the elements past a plane's last whole group into a last partial sum;
// the partial sums are then added in a fixed tree. The vector forms keep
// the lanes in a register, so every ISA gives the same bits. The
// elementwise helpers take each element through the scalar kernel's
// operations in its order.

// planeLanes is the number of a channel's partial sums (an AVX-512 vector
// of float64).
const planeLanes = 8

// laneSums are a channel's partial sums: the lanes, then the tail.
type laneSums [planeLanes + 1]float64

// total adds the partial sums in a fixed order.
func (s *laneSums) total() float64 {
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + s[8]
}

// planeOf is plane (r, c) of x, inner floats.
func planeOf(x []float32, r, c, ch, inner int) []float32 {
	return x[(r*ch+c)*inner:][:inner]
}

// eachPlane calls f for every plane of channel c, rows in order.
func eachPlane(x []float32, c, ch, inner int, f func(p []float32, at int)) {
	for r := range len(x) / (ch * inner) {
		f(planeOf(x, r, c, ch, inner), (r*ch+c)*inner)
	}
}

// laneSum adds term(i) for i in [i0, len) to s in the lane order: whole
// groups into the lanes, the rest into the tail.
func laneSum(s *laneSums, i0, n int, term func(i int) float64) {
	whole := n / planeLanes * planeLanes
	for i := i0; i < whole; i += planeLanes {
		for l := range planeLanes {
			s[l] += term(i + l)
		}
	}
	for i := whole; i < n; i++ {
		s[planeLanes] += term(i)
	}
}

// PlaneMeanVar sets mean and variance to each channel's mean and biased
// variance (the variance from the centred values) over x[rows, channels,
// inner].
func PlaneMeanVar(x []float32, mean, variance []float64, inner int) {
	ch := len(mean)
	count := float64(len(x) / ch)
	for c := range ch {
		var s laneSums
		eachPlane(x, c, ch, inner, func(p []float32, _ int) {
			laneSum(&s, sumPlaneVec(&s, p), len(p), func(i int) float64 { return float64(p[i]) })
		})
		mean[c] = s.total() / count
	}
	for c := range ch {
		var s laneSums
		m := mean[c]
		eachPlane(x, c, ch, inner, func(p []float32, _ int) {
			laneSum(&s, sqDevPlaneVec(&s, p, m), len(p), func(i int) float64 {
				d := float64(p[i]) - m
				return d * d
			})
		})
		variance[c] = s.total() / count
	}
}

// NormalizePlanes sets y = gamma·(x − mean)·invStd + beta, in float64,
// rounded to float32.
func NormalizePlanes(y, x, gamma, beta []float32, mean, invStd []float64, inner int) {
	ch := len(mean)
	for c := range ch {
		g, b, m, s := float64(gamma[c]), float64(beta[c]), mean[c], invStd[c]
		eachPlane(x, c, ch, inner, func(p []float32, at int) {
			q := y[at:][:len(p)]
			for i := normalizePlaneVec(q, p, g, b, m, s); i < len(p); i++ {
				q[i] = float32(g*(float64(p[i])-m)*s + b)
			}
		})
	}
}

// PlaneGradSums sets sumDy to each channel's Σdy and sumDyXhat to its
// Σdy·x̂, with x̂ = (x − mean)·invStd.
func PlaneGradSums(x, dy []float32, mean, invStd, sumDy, sumDyXhat []float64, inner int) {
	ch := len(mean)
	for c := range ch {
		var s, t laneSums
		m, is := mean[c], invStd[c]
		eachPlane(x, c, ch, inner, func(p []float32, at int) {
			d := dy[at:][:len(p)]
			i0 := gradSumsPlaneVec(&s, &t, p, d, m, is)
			laneSum(&s, i0, len(p), func(i int) float64 { return float64(d[i]) })
			laneSum(&t, i0, len(p), func(i int) float64 { return float64(d[i]) * (float64(p[i]) - m) * is })
		})
		sumDy[c], sumDyXhat[c] = s.total(), t.total()
	}
}

// NormalizePlanesGrad sets dx, batch norm's gradient with respect to x.
func NormalizePlanesGrad(dx, x, dy []float32, g NormGrad, inner int) {
	ch := len(g.Mean)
	for c := range ch {
		k := planeGrad{g.Mean[c], g.InvStd[c], g.Scale[c], g.SumDy[c], g.SumDyXhat[c], g.M}
		eachPlane(x, c, ch, inner, func(p []float32, at int) {
			d, q := dy[at:][:len(p)], dx[at:][:len(p)]
			for i := normalizePlaneGradVec(q, p, d, k); i < len(p); i++ {
				xhat := (float64(p[i]) - k.mean) * k.invStd
				q[i] = float32(k.scale * (k.m*float64(d[i]) - k.sumDy - xhat*k.sumDyXhat))
			}
		})
	}
}

// planeGrad is one channel's values of NormGrad.
type planeGrad struct{ mean, invStd, scale, sumDy, sumDyXhat, m float64 }
