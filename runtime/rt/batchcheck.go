package rt

import (
	"errors"
	"fmt"
	"strings"
)

// BatchShape is what a model's batches must hold. Generated steps check
// every batch against it before they touch their buffers, so that a batch
// of the wrong size, a label out of range or a short output slice is an
// error rather than a panic or a silently wrong result. A check allocates
// only when it fails.
type BatchShape struct {
	Model      string // the model's name, which errors start with
	Batch      int    // the static batch size
	InputSize  int    // floats per sample
	Classes    int    // classes of a class label; 0 for regression
	Positions  int    // class labels per sample (class(N, T)); 0 for one
	Targets    int    // real targets per sample, for regression
	OutputSize int    // floats Predict writes per row
	// Inputs describes every input of a model with several, or the one
	// input of a token model (Inputs[0] is X's), whose values are checked
	// too: token ids below their vocabulary, masks of zeros and ones. Nil
	// for a model of one real-valued input.
	Inputs []Input
}

// ErrUnfitted is the error of a step on a model whose input transform is
// not fitted: its scale is all zeros, as Init leaves it, and every input
// would be mapped to zero.
var ErrUnfitted = errors.New("the input transform is not fitted: call Preprocessing().Fit on the training samples after New or Init (or restore a checkpoint)")

// CheckTrain checks b for method (TrainStep, Trace), which runs the whole
// batch: N is the static batch size and every label is in range.
func (s *BatchShape) CheckTrain(method string, b *Batch) error {
	if err := s.checkInput(method, b); err != nil {
		return err
	}
	if b.N != s.Batch {
		return s.errorf(method, "needs a full batch: N is %d, want %d", b.N, s.Batch)
	}
	return s.checkLabels(method, b)
}

// CheckEval checks b for EvalStep, which scores its first N rows.
func (s *BatchShape) CheckEval(method string, b *Batch) error {
	if err := s.checkInput(method, b); err != nil {
		return err
	}
	return s.checkLabels(method, b)
}

// CheckPredict checks b and out for Predict, which reads no labels and
// writes OutputSize floats for each of the first N rows into out.
func (s *BatchShape) CheckPredict(method string, b *Batch, out []float32) error {
	if err := s.checkInput(method, b); err != nil {
		return err
	}
	if want := b.N * s.OutputSize; len(out) < want {
		return s.errorf(method, "out holds %d floats; want at least %d (N %d × output size %d)", len(out), want, b.N, s.OutputSize)
	}
	return nil
}

// checkInput checks what every step reads: the batch, its row count and
// its samples.
func (s *BatchShape) checkInput(method string, b *Batch) error {
	switch {
	case b == nil:
		return s.errorf(method, "the batch is nil")
	case b.N < 0 || b.N > s.Batch:
		return s.errorf(method, "batch N is %d; want 0 to %d rows", b.N, s.Batch)
	case len(b.X) != s.Batch*s.InputSize:
		return s.errorf(method, "batch X holds %d floats; want %d (batch size %d × input size %d)", len(b.X), s.Batch*s.InputSize, s.Batch, s.InputSize)
	}
	return s.checkInputs(method, b)
}

// checkInputs checks the inputs of a model with several: one slice in
// b.Inputs for each input after X, of the static batch's size, and the
// values of the first N rows of each token or mask input.
func (s *BatchShape) checkInputs(method string, b *Batch) error {
	if len(s.Inputs) == 0 {
		return nil
	}
	if want := len(s.Inputs) - 1; len(b.Inputs) != want {
		return s.errorf(method, "batch Inputs holds %d slices; want %d (the inputs after X: %s)", len(b.Inputs), want, inputNames(s.Inputs[1:]))
	}
	for i, in := range s.Inputs {
		data := b.X // X's length is checked already
		if i > 0 {
			data = b.Inputs[i-1]
		}
		size := in.Size()
		if want := s.Batch * size; len(data) != want {
			return s.errorf(method, "batch Inputs[%d] (input %s) holds %d floats; want %d (batch size %d × input size %d)", i-1, in.Name, len(data), want, s.Batch, size)
		}
		for j, v := range data[:b.N*size] {
			if msg := in.BadValue(v); msg != "" {
				return s.errorf(method, "input %s has %v in row %d at position %d; it takes %s", in.Name, v, j/size, j%size, msg)
			}
		}
	}
	return nil
}

// BadValue says what the input takes when v is not among it, or "": a
// token input takes whole numbers below its vocabulary, a mask zeros and
// ones.
func (in Input) BadValue(v float32) string {
	switch {
	case in.Vocab > 0 && (v != float32(int(v)) || v < 0 || int(v) >= in.Vocab):
		return fmt.Sprintf("whole-number token ids 0 to %d", in.Vocab-1)
	case in.Mask && v != 0 && v != 1:
		return "1 for a real position and 0 for padding, as a mask"
	}
	return ""
}

func inputNames(ins []Input) string {
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = in.Name
	}
	return strings.Join(names, ", ")
}

// checkLabels checks the labels of a batch's first N rows, and that the
// label slice has the static batch's size.
func (s *BatchShape) checkLabels(method string, b *Batch) error {
	if s.Classes == 0 {
		if want := s.Batch * s.Targets; len(b.Target) != want {
			return s.errorf(method, "batch Target holds %d floats; want %d (batch size %d × %d targets)", len(b.Target), want, s.Batch, s.Targets)
		}
		return nil
	}
	per := max(1, s.Positions)
	if want := s.Batch * per; len(b.Class) != want {
		if per == 1 {
			return s.errorf(method, "batch Class holds %d labels; want %d (the batch size)", len(b.Class), want)
		}
		return s.errorf(method, "batch Class holds %d labels; want %d (batch size %d × %d positions)", len(b.Class), want, s.Batch, per)
	}
	for i, c := range b.Class[:b.N*per] {
		if c < 0 || int(c) >= s.Classes {
			if per == 1 {
				return s.errorf(method, "batch has label %d in row %d, but the model has %d classes (labels 0 to %d)", c, i, s.Classes, s.Classes-1)
			}
			return s.errorf(method, "batch has label %d in row %d at position %d, but the model has %d classes (labels 0 to %d)", c, i/per, i%per, s.Classes, s.Classes-1)
		}
	}
	return nil
}

func (s *BatchShape) errorf(method, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", s.Model, method, fmt.Sprintf(format, args...))
}

// Fitted reports whether an input transform's scale holds fitted values:
// Init zeroes it, and a fit never leaves it all zero. It stops at the first
// non-zero value, so on a fitted model it costs next to nothing.
func Fitted[F float32 | float64](scale []F) bool {
	for _, v := range scale {
		if v != 0 {
			return true
		}
	}
	return false
}

// Unfitted is ErrUnfitted, said of the model's method.
func (s *BatchShape) Unfitted(method string) error {
	return fmt.Errorf("%s: %s: %w", s.Model, method, ErrUnfitted)
}
