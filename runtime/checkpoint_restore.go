package runtime

import (
	"fmt"
	"slices"
	"strings"
)

// captureCheckpoint describes m as it is now. The tensors alias m's
// storage, so the checkpoint must be written before m trains further.
func captureCheckpoint(m Model) *Checkpoint {
	spec := m.Spec()
	c := &Checkpoint{
		Model:   spec.Name,
		Hash:    spec.Hash,
		DType:   modelDType(m),
		Step:    m.Step(),
		Tensors: tensorsOf(m),
	}
	if r := m.RNG(); r != nil {
		s := r.State()
		c.ModelRNG = &s
	}
	return c
}

// checkModel refuses a checkpoint of another model, naming both.
func (c *Checkpoint) checkModel(m Model) error {
	spec := m.Spec()
	switch {
	case c.Model != spec.Name:
		return fmt.Errorf("it is a checkpoint of model %s (architecture %s), but this trainer is for model %s (architecture %s)",
			c.Model, orNone(c.Hash), spec.Name, orNone(spec.Hash))
	case c.DType != modelDType(m):
		return fmt.Errorf("it holds %s tensors but this trainer of model %s computes in %s", c.DType, spec.Name, modelDType(m))
	case c.Hash != spec.Hash:
		return fmt.Errorf("it is a checkpoint of another version of model %s: its architecture is %s but this trainer's is %s (layers, shapes or optimizer differ)",
			c.Model, orNone(c.Hash), orNone(spec.Hash))
	}
	return nil
}

func orNone(hash string) string {
	if hash == "" {
		return "unrecorded"
	}
	return hash
}

// Restore checks that c is a checkpoint of m's model, holding every
// parameter and state tensor with the right shape, and copies the tensors,
// the step count and the model's RNG state into m.
func (c *Checkpoint) Restore(m Model) error {
	if err := c.checkModel(m); err != nil {
		return err
	}
	if err := copyTensorsInto(tensorsOf(m), c.Tensors, true); err != nil {
		return err
	}
	m.SetStep(c.Step)
	if r := m.RNG(); r != nil && c.ModelRNG != nil {
		r.SetState(*c.ModelRNG)
	}
	return nil
}

// copyTensorsInto copies src's tensors over the same-named dst tensors,
// after checking that each is present (every one of dst when all is set)
// with dst's shape and dtype, and that src holds nothing else; nothing is
// copied unless all checks pass.
func copyTensorsInto(dst, src []Tensor, all bool) error {
	byName := make(map[string]Tensor, len(src))
	for _, t := range src {
		byName[t.Name] = t
	}
	var missing []string
	pairs := make([][2]Tensor, 0, len(dst))
	for _, d := range dst {
		s, ok := byName[d.Name]
		if !ok {
			missing = append(missing, d.Name)
			continue
		}
		delete(byName, d.Name)
		if !slices.Equal(s.Shape, d.Shape) {
			return fmt.Errorf("tensor %s has shape %s, but the model's is %s", d.Name, formatShape(s.Shape), formatShape(d.Shape))
		}
		if (s.F32 == nil) != (d.F32 == nil) {
			return fmt.Errorf("tensor %s is %s, but the model computes in %s", d.Name, dtypeName(s), dtypeName(d))
		}
		pairs = append(pairs, [2]Tensor{d, s})
	}
	if all && len(missing) > 0 {
		return fmt.Errorf("missing tensors: %s", strings.Join(missing, ", "))
	}
	var unknown []string
	for _, t := range src {
		if _, left := byName[t.Name]; left {
			unknown = append(unknown, t.Name)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("tensors the model does not have: %s", strings.Join(unknown, ", "))
	}
	for _, p := range pairs {
		copy(p[0].F32, p[1].F32)
		copy(p[0].F64, p[1].F64)
	}
	return nil
}

func dtypeName(t Tensor) string {
	if t.F64 != nil {
		return "float64"
	}
	return "float32"
}
