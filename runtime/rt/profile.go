package rt

// Profiled is implemented by generated models: it lets a trainer time
// every kernel of a training step (the trainer's -profile).
type Profiled interface {
	// Kernels describes the step's kernel calls, in the order the step
	// makes them.
	Kernels() []KernelInfo
	// SetProfile sets the hook the step calls just before kernel k of
	// Kernels starts; nil (the default) turns it off again.
	SetProfile(mark func(k int))
}

// KernelInfo describes one kernel call of a training step, from the IR of
// the op (or fused group) it computes.
type KernelInfo struct {
	Layer string // the model-file layer it belongs to
	Kind  string // one of KernelKinds
	Op    string // the op, or the ops of a fused group joined by "+"
	Pos   string // file:line:col of the layer's op in the model file
	// FLOPs is the call's work when it multiplies matrices (products,
	// convolutions, attention); 0 when its work is not counted in FLOPs.
	FLOPs float64
}

// The kinds of time a profile reports: the kernels' kinds, then the time
// of a step outside kernels.
const (
	KindProduct       = "product"       // matrix products and convolutions
	KindElementwise   = "elementwise"   // elementwise ops, reductions, pooling, views
	KindNormalisation = "normalisation" // batch and layer norm
	KindAttention     = "attention"     // attention and its gradient
	KindLoss          = "loss"          // losses and their gradients
	KindOptimizer     = "optimizer"     // optimizer updates and gradient clipping
	KindData          = "data"          // batches: loading, copying in, the loop between steps
	KindWaiting       = "waiting"       // a kernel's caller waiting for the other core's share
)

// KernelKinds are the kinds in the order a profile lists them.
var KernelKinds = []string{KindProduct, KindElementwise, KindNormalisation, KindAttention, KindLoss, KindOptimizer, KindData, KindWaiting}
