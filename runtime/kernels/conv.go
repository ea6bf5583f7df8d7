package kernels

// Convolution epilogues of float32 models: the bias of each output channel
// added to one sample's output y[channels, positions] (and relu applied)
// right after the product computed it, while it is in the cache. Each
// element takes the generated scalar chain's operations, v + b and then
// Go's max(v, 0) (a NaN stays, −0 becomes +0), so every ISA gives its bits.

// BiasChannels adds bias[c] to channel c of y, len(y)/len(bias) elements
// per channel.
func BiasChannels(y, bias []float32) {
	positions := len(y) / len(bias)
	for c, b := range bias {
		row := y[c*positions : (c+1)*positions]
		for i := biasRowVec(row, b, false); i < len(row); i++ {
			row[i] += b
		}
	}
}

// BiasReluChannels sets y = max(y + bias[c], 0) on channel c of y.
func BiasReluChannels(y, bias []float32) {
	positions := len(y) / len(bias)
	for c, b := range bias {
		row := y[c*positions : (c+1)*positions]
		for i := biasRowVec(row, b, true); i < len(row); i++ {
			row[i] = max(row[i]+b, 0)
		}
	}
}
