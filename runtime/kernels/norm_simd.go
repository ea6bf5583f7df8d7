//go:build goexperiment.simd && amd64

package kernels

import (
	"simd/archsimd"
	"unsafe"
)

// The vector forms of the batch-norm helpers (norm.go), in float64 vectors
// of 8 channels on AVX-512, 4 on AVX2; each returns how many channels,
// from the first, it did. The sums keep a block of channels' running sums
// in registers down the rows, several vectors at once so that the adds
// overlap (sums kept in memory row by row stall on loads that alias the
// stores 4 KiB away); the elementwise forms go row by row. Each reslices its operands to the lengths it reads before walking them
// with pointers. With no whole vector of channels they do nothing, not
// even clear the upper halves of the vector registers, which a CPU
// without AVX lacks.

func columnSums64Vec(x []float32, sum []float64) int {
	ch, n := len(sum), vectorChannels(len(sum))
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, sp := rowsOf(x, rows, ch), unsafe.Pointer(&sum[0])
	c := 0
	if ISA == AVX512 {
		for ; c+32 <= n; c += 32 {
			s0, s1, s2, s3 := ld64x8(sp, c), ld64x8(sp, c+8), ld64x8(sp, c+16), ld64x8(sp, c+24)
			for r := range rows {
				row := unsafe.Add(xp, 4*r*ch)
				s0, s1 = s0.Add(ld32x8(row, c)), s1.Add(ld32x8(row, c+8))
				s2, s3 = s2.Add(ld32x8(row, c+16)), s3.Add(ld32x8(row, c+24))
			}
			s0.Store(at64x8(sp, c))
			s1.Store(at64x8(sp, c+8))
			s2.Store(at64x8(sp, c+16))
			s3.Store(at64x8(sp, c+24))
		}
		for ; c < n; c += 8 {
			s0 := ld64x8(sp, c)
			for r := range rows {
				s0 = s0.Add(ld32x8(unsafe.Add(xp, 4*r*ch), c))
			}
			s0.Store(at64x8(sp, c))
		}
	} else {
		for ; c+16 <= n; c += 16 {
			s0, s1, s2, s3 := ld64x4(sp, c), ld64x4(sp, c+4), ld64x4(sp, c+8), ld64x4(sp, c+12)
			for r := range rows {
				row := unsafe.Add(xp, 4*r*ch)
				s0, s1 = s0.Add(ld32x4(row, c)), s1.Add(ld32x4(row, c+4))
				s2, s3 = s2.Add(ld32x4(row, c+8)), s3.Add(ld32x4(row, c+12))
			}
			s0.Store(at64x4(sp, c))
			s1.Store(at64x4(sp, c+4))
			s2.Store(at64x4(sp, c+8))
			s3.Store(at64x4(sp, c+12))
		}
		for ; c < n; c += 4 {
			s0 := ld64x4(sp, c)
			for r := range rows {
				s0 = s0.Add(ld32x4(unsafe.Add(xp, 4*r*ch), c))
			}
			s0.Store(at64x4(sp, c))
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func columnSqDevVec(x []float32, mean, sum []float64) int {
	ch, n := len(sum), vectorChannels(len(sum))
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, mp, sp := rowsOf(x, rows, ch), channelsOf(mean, ch), unsafe.Pointer(&sum[0])
	c := 0
	if ISA == AVX512 {
		sq := func(row unsafe.Pointer, c int) archsimd.Float64x8 {
			d := ld32x8(row, c).Sub(ld64x8(mp, c))
			return d.Mul(d)
		}
		for ; c+32 <= n; c += 32 {
			s0, s1, s2, s3 := ld64x8(sp, c), ld64x8(sp, c+8), ld64x8(sp, c+16), ld64x8(sp, c+24)
			for r := range rows {
				row := unsafe.Add(xp, 4*r*ch)
				s0, s1 = s0.Add(sq(row, c)), s1.Add(sq(row, c+8))
				s2, s3 = s2.Add(sq(row, c+16)), s3.Add(sq(row, c+24))
			}
			s0.Store(at64x8(sp, c))
			s1.Store(at64x8(sp, c+8))
			s2.Store(at64x8(sp, c+16))
			s3.Store(at64x8(sp, c+24))
		}
		for ; c < n; c += 8 {
			s0 := ld64x8(sp, c)
			for r := range rows {
				s0 = s0.Add(sq(unsafe.Add(xp, 4*r*ch), c))
			}
			s0.Store(at64x8(sp, c))
		}
	} else {
		sq := func(row unsafe.Pointer, c int) archsimd.Float64x4 {
			d := ld32x4(row, c).Sub(ld64x4(mp, c))
			return d.Mul(d)
		}
		for ; c+16 <= n; c += 16 {
			s0, s1, s2, s3 := ld64x4(sp, c), ld64x4(sp, c+4), ld64x4(sp, c+8), ld64x4(sp, c+12)
			for r := range rows {
				row := unsafe.Add(xp, 4*r*ch)
				s0, s1 = s0.Add(sq(row, c)), s1.Add(sq(row, c+4))
				s2, s3 = s2.Add(sq(row, c+8)), s3.Add(sq(row, c+12))
			}
			s0.Store(at64x4(sp, c))
			s1.Store(at64x4(sp, c+4))
			s2.Store(at64x4(sp, c+8))
			s3.Store(at64x4(sp, c+12))
		}
		for ; c < n; c += 4 {
			s0 := ld64x4(sp, c)
			for r := range rows {
				s0 = s0.Add(sq(unsafe.Add(xp, 4*r*ch), c))
			}
			s0.Store(at64x4(sp, c))
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func normalizeColumnsVec(y, x, gamma, beta []float32, mean, invStd []float64) int {
	ch, n := len(mean), vectorChannels(len(mean))
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, yp := rowsOf(x, rows, ch), rowsOf(y, rows, ch)
	gp, bp := unsafe.Pointer(&gamma[:ch][0]), unsafe.Pointer(&beta[:ch][0])
	mp, ip := unsafe.Pointer(&mean[0]), channelsOf(invStd, ch)
	for r := range rows {
		xr, yr := unsafe.Add(xp, 4*r*ch), unsafe.Add(yp, 4*r*ch)
		if ISA == AVX512 {
			for c := 0; c < n; c += 8 {
				v := ld32x8(gp, c).Mul(ld32x8(xr, c).Sub(ld64x8(mp, c))).Mul(ld64x8(ip, c)).Add(ld32x8(bp, c))
				v.ConvertToFloat32().Store(at32x8(yr, c))
			}
		} else {
			for c := 0; c < n; c += 4 {
				v := ld32x4(gp, c).Mul(ld32x4(xr, c).Sub(ld64x4(mp, c))).Mul(ld64x4(ip, c)).Add(ld32x4(bp, c))
				v.ConvertToFloat32().Store(at32x4(yr, c))
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func columnGradSumsVec(x, dy []float32, mean, invStd, sumDy, sumDyXhat []float64) int {
	ch, n := len(mean), vectorChannels(len(mean))
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, dp := rowsOf(x, rows, ch), rowsOf(dy, rows, ch)
	mp, ip := unsafe.Pointer(&mean[0]), channelsOf(invStd, ch)
	sp, tp := channelsOf(sumDy, ch), channelsOf(sumDyXhat, ch)
	c := 0
	if ISA == AVX512 {
		// g·(x − mean)·invStd of the 8 channels from c.
		term := func(xr unsafe.Pointer, g archsimd.Float64x8, c int) archsimd.Float64x8 {
			return g.Mul(ld32x8(xr, c).Sub(ld64x8(mp, c))).Mul(ld64x8(ip, c))
		}
		for ; c+16 <= n; c += 16 {
			s0, s1, t0, t1 := ld64x8(sp, c), ld64x8(sp, c+8), ld64x8(tp, c), ld64x8(tp, c+8)
			for r := range rows {
				xr, dr := unsafe.Add(xp, 4*r*ch), unsafe.Add(dp, 4*r*ch)
				g0, g1 := ld32x8(dr, c), ld32x8(dr, c+8)
				s0, s1 = s0.Add(g0), s1.Add(g1)
				t0, t1 = t0.Add(term(xr, g0, c)), t1.Add(term(xr, g1, c+8))
			}
			s0.Store(at64x8(sp, c))
			s1.Store(at64x8(sp, c+8))
			t0.Store(at64x8(tp, c))
			t1.Store(at64x8(tp, c+8))
		}
		for ; c < n; c += 8 {
			s0, t0 := ld64x8(sp, c), ld64x8(tp, c)
			for r := range rows {
				g0 := ld32x8(unsafe.Add(dp, 4*r*ch), c)
				s0, t0 = s0.Add(g0), t0.Add(term(unsafe.Add(xp, 4*r*ch), g0, c))
			}
			s0.Store(at64x8(sp, c))
			t0.Store(at64x8(tp, c))
		}
	} else {
		term := func(xr unsafe.Pointer, g archsimd.Float64x4, c int) archsimd.Float64x4 {
			return g.Mul(ld32x4(xr, c).Sub(ld64x4(mp, c))).Mul(ld64x4(ip, c))
		}
		for ; c+8 <= n; c += 8 {
			s0, s1, t0, t1 := ld64x4(sp, c), ld64x4(sp, c+4), ld64x4(tp, c), ld64x4(tp, c+4)
			for r := range rows {
				xr, dr := unsafe.Add(xp, 4*r*ch), unsafe.Add(dp, 4*r*ch)
				g0, g1 := ld32x4(dr, c), ld32x4(dr, c+4)
				s0, s1 = s0.Add(g0), s1.Add(g1)
				t0, t1 = t0.Add(term(xr, g0, c)), t1.Add(term(xr, g1, c+4))
			}
			s0.Store(at64x4(sp, c))
			s1.Store(at64x4(sp, c+4))
			t0.Store(at64x4(tp, c))
			t1.Store(at64x4(tp, c+4))
		}
		for ; c < n; c += 4 {
			s0, t0 := ld64x4(sp, c), ld64x4(tp, c)
			for r := range rows {
				g0 := ld32x4(unsafe.Add(dp, 4*r*ch), c)
				s0, t0 = s0.Add(g0), t0.Add(term(unsafe.Add(xp, 4*r*ch), g0, c))
			}
			s0.Store(at64x4(sp, c))
			t0.Store(at64x4(tp, c))
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func normalizeColumnsGradVec(dx, x, dy []float32, g NormGrad) int {
	ch, n := len(g.Mean), vectorChannels(len(g.Mean))
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, dp, op := rowsOf(x, rows, ch), rowsOf(dy, rows, ch), rowsOf(dx, rows, ch)
	mp, ip, kp := unsafe.Pointer(&g.Mean[0]), channelsOf(g.InvStd, ch), channelsOf(g.Scale, ch)
	sp, tp := channelsOf(g.SumDy, ch), channelsOf(g.SumDyXhat, ch)
	for r := range rows {
		xr, dr, out := unsafe.Add(xp, 4*r*ch), unsafe.Add(dp, 4*r*ch), unsafe.Add(op, 4*r*ch)
		if ISA == AVX512 {
			m := archsimd.BroadcastFloat64x8(g.M)
			for c := 0; c < n; c += 8 {
				xhat := ld32x8(xr, c).Sub(ld64x8(mp, c)).Mul(ld64x8(ip, c))
				v := m.Mul(ld32x8(dr, c)).Sub(ld64x8(sp, c)).Sub(xhat.Mul(ld64x8(tp, c)))
				ld64x8(kp, c).Mul(v).ConvertToFloat32().Store(at32x8(out, c))
			}
		} else {
			m := archsimd.BroadcastFloat64x4(g.M)
			for c := 0; c < n; c += 4 {
				xhat := ld32x4(xr, c).Sub(ld64x4(mp, c)).Mul(ld64x4(ip, c))
				v := m.Mul(ld32x4(dr, c)).Sub(ld64x4(sp, c)).Sub(xhat.Mul(ld64x4(tp, c)))
				ld64x4(kp, c).Mul(v).ConvertToFloat32().Store(at32x4(out, c))
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

func columnSums32Vec(sum, x []float32) int {
	ch := len(sum)
	var n int
	switch ISA {
	case AVX512:
		n = ch / 16 * 16
	case AVX2:
		n = ch / 8 * 8
	}
	if n == 0 {
		return 0
	}
	rows := len(x) / ch
	xp, sp := rowsOf(x, rows, ch), unsafe.Pointer(&sum[0])
	for r := range rows {
		row := unsafe.Add(xp, 4*r*ch)
		if ISA == AVX512 {
			for c := 0; c < n; c += 16 {
				s := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(sp, 4*c)))
				s.Add(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(row, 4*c)))).Store((*[16]float32)(unsafe.Add(sp, 4*c)))
			}
		} else {
			for c := 0; c < n; c += 8 {
				s := archsimd.LoadFloat32x8(at32x8(sp, c))
				s.Add(archsimd.LoadFloat32x8(at32x8(row, c))).Store(at32x8(sp, c))
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// vectorChannels is how many of ch channels the float64 vectors of ISA
// cover: a multiple of 8 on AVX-512, of 4 on AVX2, none on Scalar.
func vectorChannels(ch int) int {
	switch ISA {
	case AVX512:
		return ch / 8 * 8
	case AVX2:
		return ch / 4 * 4
	}
	return 0
}

// rowsOf returns the start of rows×ch floats, panicking (as a slice
// expression does) if s is shorter.
func rowsOf(s []float32, rows, ch int) unsafe.Pointer { return unsafe.Pointer(&s[:rows*ch][0]) }

// channelsOf returns the start of ch float64s, panicking if s is shorter.
func channelsOf(s []float64, ch int) unsafe.Pointer { return unsafe.Pointer(&s[:ch][0]) }

// Vectors at element i of the floats (float32) or float64s at p.

func ld32x8(p unsafe.Pointer, i int) archsimd.Float64x8 {
	return archsimd.LoadFloat32x8(at32x8(p, i)).ConvertToFloat64()
}

func ld32x4(p unsafe.Pointer, i int) archsimd.Float64x4 {
	return archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(p, 4*i))).ConvertToFloat64()
}

func ld64x8(p unsafe.Pointer, i int) archsimd.Float64x8 { return archsimd.LoadFloat64x8(at64x8(p, i)) }
func ld64x4(p unsafe.Pointer, i int) archsimd.Float64x4 { return archsimd.LoadFloat64x4(at64x4(p, i)) }

func at32x8(p unsafe.Pointer, i int) *[8]float32 { return (*[8]float32)(unsafe.Add(p, 4*i)) }
func at32x4(p unsafe.Pointer, i int) *[4]float32 { return (*[4]float32)(unsafe.Add(p, 4*i)) }
func at64x8(p unsafe.Pointer, i int) *[8]float64 { return (*[8]float64)(unsafe.Add(p, 8*i)) }
func at64x4(p unsafe.Pointer, i int) *[4]float64 { return (*[4]float64)(unsafe.Add(p, 8*i)) }
