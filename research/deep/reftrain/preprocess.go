package reftrain

import (
	"fmt"

	"github.com/dlc-dev/dlc/runtime"
)

// FitPreprocessing fits the model's input transform, if it has one, on the
// samples of sub (the training split) with the trainer's own fitting code,
// and stores it in the transform's state tensors.
func (t *Trainer) FitPreprocessing(sub runtime.Subset) error {
	pre := t.g.Train.Recipe.Preprocess
	if pre.Kind == "" {
		return nil
	}
	tr := &runtime.Transform{Kind: pre.Kind, Eps: pre.Eps}
	for _, s := range t.g.State {
		v := runtime.Tensor{Name: s.Name, Shape: s.Shape, F64: t.env[s].Data}
		switch s.Attrs.Str("preprocess") {
		case "scale", "whiten":
			tr.Scale = v
		case "shift":
			tr.Shift = v
		}
	}
	if tr.Scale.F64 == nil || tr.Shift.F64 == nil {
		return fmt.Errorf("reftrain: model %s asks for %s but its graph has no transform state", t.g.Name, pre.Kind)
	}
	return tr.Fit(sub)
}
