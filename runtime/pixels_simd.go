//go:build goexperiment.simd && amd64

package runtime

import "simd/archsimd"

// pixelsVector is whether convertPixels may use AVX-512.
var pixelsVector = archsimd.X86.AVX512()

// convertPixels writes the value of every pixel of src into dst, sixteen
// at a time with AVX-512. Widening, converting and dividing by 255 with
// vector instructions rounds exactly as the scalar division does, so the
// values are the same bits as pixelValues holds.
func convertPixels(dst []float32, src []byte) {
	dst = dst[:len(src)]
	j := 0
	if pixelsVector && len(src) >= 16 {
		div := archsimd.BroadcastFloat32x16(255)
		for ; j+16 <= len(src); j += 16 {
			p := archsimd.LoadUint8x16Slice(src[j : j+16])
			p.ExtendToUint32().ConvertToFloat32().Div(div).StoreSlice(dst[j : j+16])
		}
		// Dirty upper register halves slow later SSE code; Go does not
		// clear them itself.
		archsimd.ClearAVXUpperBits()
	}
	convertPixelsScalar(dst[j:], src[j:])
}
