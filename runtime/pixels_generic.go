//go:build !(goexperiment.simd && amd64)

package runtime

// convertPixels writes the value of every pixel of src into dst.
func convertPixels(dst []float32, src []byte) { convertPixelsScalar(dst, src) }
