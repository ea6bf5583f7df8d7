package kernels

// Optimizer updates on two goroutines. An update is elementwise, so however
// Run2 hands out its chunks, every element takes the operations of a serial
// call and the result is the serial call's bits.
// The step's constants travel in Args.Consts, by value, so that no call
// allocates.

// updateChunk is the elements per chunk of a split update, 16 KiB of each
// operand: enough chunks that neither goroutine waits long for the other.
const updateChunk = 4096

// AdamSplit is Adam on two goroutines when Threads allows.
func AdamSplit(p, g, m, v []float32, s AdamStep) {
	n := len(p)
	if Threads() == 1 || n <= updateChunk {
		Adam(p, g, m, v, s)
		return
	}
	x := Args[float32]{C: p, A: g[:n], B: m[:n], Bias: v[:n], Consts: s.consts()}
	Run2(adamPart, x, nil, Split{Rows: n, Cols: 1, Chunk: updateChunk})
}

// adamPart updates elements [i0, i1) of the parameter x.C.
func adamPart(x Args[float32], _ []float32, i0, i1, _, _ int) {
	Adam(x.C[i0:i1], x.A[i0:i1], x.B[i0:i1], x.Bias[i0:i1], adamStepOf(x.Consts))
}

// consts packs s into Args constants (the decay kind as a small whole
// number, which float32 holds exactly).
func (s AdamStep) consts() [MaxConsts]float32 {
	return [MaxConsts]float32{s.Beta1, s.Beta2, s.OneMinusBeta1, s.OneMinusBeta2, s.Eps,
		s.Rate, s.C1, s.C2, float32(s.Decay), s.WeightDecay, s.Shrink}
}

// adamStepOf unpacks what consts packed.
func adamStepOf(k [MaxConsts]float32) AdamStep {
	return AdamStep{Beta1: k[0], Beta2: k[1], OneMinusBeta1: k[2], OneMinusBeta2: k[3], Eps: k[4],
		Rate: k[5], C1: k[6], C2: k[7], Decay: Decay(k[8]), WeightDecay: k[9], Shrink: k[10]}
}
