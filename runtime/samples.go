package runtime

// pixelValues maps a pixel byte to the float32 it stands for,
// float32(p)/255: looking the value up gives the same bits as dividing
// and costs less per pixel.
var pixelValues = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(p) / 255
	}
	return t
}()

// CopySample writes sample i into dst as float32, converting pixel bytes
// when the dataset holds them; dst must hold SampleSize values.
func (d *Dataset) CopySample(dst []float32, i int) {
	size := len(dst)
	if d.Pixels == nil {
		copy(dst, d.X[i*size:(i+1)*size])
		return
	}
	convertPixels(dst, d.Pixels[i*size:(i+1)*size])
}

// convertPixelsScalar writes the value of every pixel of src into dst,
// eight at a time: unrolled, the loop's bookkeeping costs less than the
// lookups. convertPixels is this, or a vector loop where the CPU has one.
func convertPixelsScalar(dst []float32, src []byte) {
	dst = dst[:len(src)]
	j := 0
	for ; j+8 <= len(src); j += 8 {
		s, d := src[j:j+8:j+8], dst[j:j+8:j+8]
		d[0], d[1], d[2], d[3] = pixelValues[s[0]], pixelValues[s[1]], pixelValues[s[2]], pixelValues[s[3]]
		d[4], d[5], d[6], d[7] = pixelValues[s[4]], pixelValues[s[5]], pixelValues[s[6]], pixelValues[s[7]]
	}
	for ; j < len(src); j++ {
		dst[j] = pixelValues[src[j]]
	}
}
