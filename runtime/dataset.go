package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// Dataset is a set of samples held in memory. Sample i is
// X[i*S : (i+1)*S] with S the product of SampleShape, or, for image data
// read from IDX files, Pixels[i*S : (i+1)*S]: exactly one of X and Pixels
// is set, and CopySample reads either. A classification dataset sets Class
// (N labels); a regression dataset sets Target (N × targets per sample).
// Groups, when the source has them, gives each sample's group id (0, 1, ...
// in order of first appearance), for splits that keep a group on one side.
type Dataset struct {
	Name string
	X    []float32
	// Pixels holds image samples as the bytes they were read as, a
	// quarter of X's memory; pixel p stands for float32(p)/255, the value
	// CopySample writes.
	Pixels      []byte
	SampleShape []int
	Class       []int32
	Target      []float32
	Groups      []int
	// Text holds a token model's text (see text.go): sample i is the
	// window at byte i, its labels the bytes after it.
	Text []byte
	N    int
	// Features names the feature columns of a CSV file, in the order the
	// model takes them; nil for other sources.
	Features []string
	// Inputs holds the samples of a model's inputs after the first (X),
	// in the order of Spec.MoreInputs; nil for a model of one input.
	Inputs []InputValues
}

// SampleSize is the number of floats in one sample.
func (d *Dataset) SampleSize() int { return product(d.SampleShape) }

// TargetsPerSample is the number of real-valued targets of one sample; 0
// for a classification dataset.
func (d *Dataset) TargetsPerSample() int {
	if d.N == 0 {
		return 0
	}
	return len(d.Target) / d.N
}

// Check verifies that the dataset fits a model: samples hold as many values
// as the model's input (the shapes themselves may differ, so [28,28] images
// fit an input of [784] or [1,28,28]) and the labels are of the model's kind
// and range.
func (d *Dataset) Check(spec Spec) error {
	if d.Text != nil {
		return d.checkText(spec)
	}
	if len(spec.Inputs) > 1 {
		if err := d.checkInputs(spec); err != nil {
			return err
		}
	} else if spec.Vocab > 0 {
		return fmt.Errorf("model %s takes token ids: its data is text (-data FILE or FOLDER), not dataset %s", spec.Name, d.Name)
	}
	if d.SampleSize() != spec.InputSize() {
		return fmt.Errorf("dataset %s has samples of shape %s (%d values) but model %s takes input of shape %s (%d values)",
			d.Name, formatShape(d.SampleShape), d.SampleSize(), spec.Name, formatShape(spec.InputShape), spec.InputSize())
	}
	if spec.Classes > 0 {
		return d.checkClasses(spec)
	}
	return d.checkTargets(spec)
}

func (d *Dataset) checkClasses(spec Spec) error {
	if d.Class == nil {
		return fmt.Errorf("dataset %s has real-valued targets but model %s is a classifier with %d classes",
			d.Name, spec.Name, spec.Classes)
	}
	per := spec.LabelsPerSample()
	if len(d.Class) != d.N*per {
		return fmt.Errorf("dataset %s has %d labels for %d samples but model %s takes %d per sample", d.Name, len(d.Class), d.N, spec.Name, per)
	}
	for i, c := range d.Class {
		if c < 0 || int(c) >= spec.Classes {
			return fmt.Errorf("dataset %s has label %d in record %d but model %s has %d classes (labels 0 to %d)",
				d.Name, c, i/per+1, spec.Name, spec.Classes, spec.Classes-1)
		}
	}
	return nil
}

func (d *Dataset) checkTargets(spec Spec) error {
	if d.Target == nil {
		return fmt.Errorf("dataset %s has class labels but model %s is a regression model with %d targets; regression data cannot be read from this source yet",
			d.Name, spec.Name, spec.Targets)
	}
	if got := d.TargetsPerSample(); got != spec.Targets {
		return fmt.Errorf("dataset %s has %d targets per sample but model %s predicts %d",
			d.Name, got, spec.Name, spec.Targets)
	}
	return nil
}

// formatShape writes a shape as dlc's messages do: [1,28,28].
func formatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
