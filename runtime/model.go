// Package runtime is the small library that dlc's generated code imports:
// data loading, batching, seeded randomness, metrics and the training loop
// of the trainer binary. It never imports the compiler.
package runtime

// Spec describes a generated model to the trainer: everything the training
// loop needs to know that the model file fixed at compile time.
type Spec struct {
	Name       string
	InputShape []int // shape of one sample, such as [784] or [1 28 28]
	Classes    int   // number of classes for a class label; 0 for regression
	Targets    int   // real-valued targets per sample for regression; 0 for classification
	Batch      int   // static batch size
	Epochs     int   // default number of epochs
	Seed       uint64
	Split      float64 // fraction of the training set held out for validation
	Data       string  // default data source ("mnist" or a folder)
	OutputSize int     // floats per sample of the model's output (logits or regression values)
	// Hash identifies the model's architecture (ops, shapes, parameter
	// names), so that a checkpoint of another model is refused.
	Hash string
	// Files names the data set's CSV or NPY files when Data is "".
	Files DataFiles
	// SplitBy is how validation is held out: SplitRandom, SplitClass or
	// SplitGroup.
	SplitBy string
	// Vocab is the vocabulary of a token input (tokens(T, V)): its
	// samples are T token ids below Vocab, read from text as bytes; 0 for
	// real-valued inputs.
	Vocab int
	// Positions is the number of class labels per sample: T for a
	// per-position label class(N, T), 0 for one label per sample.
	Positions int
}

// LabelsPerSample is the number of class labels each sample has.
func (s Spec) LabelsPerSample() int { return max(1, s.Positions) }

// InputSize is the number of floats in one sample.
func (s Spec) InputSize() int {
	n := 1
	for _, d := range s.InputShape {
		n *= d
	}
	return n
}

// Batch is one batch of samples, padded to the model's static batch size.
// Only the first N rows are real; the rest are zero and must not count in
// any metric.
type Batch struct {
	X      []float32 // Batch × InputSize, row-major
	Class  []int32   // class labels, Batch long (classification)
	Target []float32 // Batch × Targets (regression)
	N      int
}

// Model is what the generated code implements and the trainer drives.
type Model interface {
	Spec() Spec
	// Init sets every parameter from seed (each parameter's stream derived
	// from the seed and its name) and clears optimizer state.
	Init(seed uint64)
	// TrainStep runs forward, backward and the optimizer update on a full
	// batch and returns the mean loss over it. A step whose loss is not
	// finite makes no update, so that Trace can re-run its forward pass.
	TrainStep(b *Batch) float64
	// EvalStep runs the inference forward pass and returns the summed loss
	// and the number of correct predictions over the first b.N rows
	// (correct is 0 for regression).
	EvalStep(b *Batch) (lossSum float64, correct int)
	// Predict runs the inference forward pass and writes the model's
	// output (logits, or regression values) for the first b.N rows into
	// out, OutputSize floats per row.
	Predict(b *Batch, out []float32)
	// Params returns every parameter, named as in the model file. The
	// slices alias the model's storage.
	Params() []Tensor
	// State returns the optimizer state and running statistics, named
	// "<param>.<role>"; the slices alias the model's storage.
	State() []Tensor
	// Grads returns each parameter's gradient from the last TrainStep, in
	// Params order, named "<param>.grad".
	Grads() []Tensor
	// Trace runs the training forward pass again on b, with the current
	// parameters and the random draws of the last TrainStep, and calls
	// visit with each op's output (named by layer) as soon as it is
	// computed; it stops when visit returns false. Activations share
	// memory, so a tensor is valid only during its visit. Parameters,
	// state, gradients and the random stream are left as they were. It
	// serves to find where a non-finite value first appeared.
	Trace(b *Batch, visit func(Tensor) bool)
	// Step is the number of optimizer steps taken; SetStep restores it
	// from a checkpoint.
	Step() int
	SetStep(step int)
	// RNG is the generator behind the model's own randomness (dropout);
	// checkpoints save and restore its state.
	RNG() *RNG
}

// Tensor is a named view of a model tensor. Exactly one of F32 and F64 is set,
// by the dtype the model was compiled for.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	F64   []float64
}
