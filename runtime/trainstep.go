package runtime

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

const stepSynopsis = "-init W.safetensors -inputs X.npy -labels Y.npy -dump OUT.safetensors"

const stepAbout = `Runs one training step (forward, backward, optimizer update) from the given
weights on one batch and writes the loss ("loss"), every parameter's gradient
("<param>.grad"), the updated parameters and the updated optimizer state to
a safetensors file: for comparing dlc with another framework.

The weights file holds every parameter, named as in the model file; it may
be a checkpoint, or any safetensors file of F32 (F64 for a float64 model)
tensors. Optimizer state it lacks starts at zero; its metadata "step", when
present, is the optimizer steps already taken. The inputs hold exactly one
batch of samples; the labels one class index (or target row) per sample.
A model with several inputs takes -inputs once for each, as NAME=FILE.npy
with NAME the input's name in the model file.`

// runStep is the trainer's step subcommand.
func runStep(m Model, args []string, stdout, stderr io.Writer) error {
	fs := subcommandFlags(m, "step")
	initPath := fs.String("init", "", "the weights `FILE` (safetensors)")
	var inputs inputFlag
	fs.Var(&inputs, "inputs", "one batch of samples, a .npy `FILE` (NAME=FILE for each input of a model with several)")
	labelsPath := fs.String("labels", "", "their labels, a .npy `FILE`")
	dumpPath := fs.String("dump", "", "write the loss, gradients and updated tensors to `FILE` (safetensors)")
	if err := parseSubcommand(fs, stepSynopsis, stepAbout, args, stdout, stderr); err != nil {
		return err
	}
	if err := required(fs, "init", "inputs", "labels", "dump"); err != nil {
		return err
	}
	if err := loadWeights(m, *initPath); err != nil {
		return err
	}
	inputsPath, more, err := inputs.files(m.Spec())
	if err != nil {
		return err
	}
	batch, err := readStepBatch(m.Spec(), inputsPath, *labelsPath)
	if err != nil {
		return err
	}
	batch.Inputs, err = readStepInputs(m.Spec(), more)
	if err != nil {
		return err
	}
	loss, err := m.TrainStep(batch)
	if err != nil {
		return err
	}
	tensors := []Tensor{{Name: "loss", Shape: []int{}, F64: []float64{loss}}}
	tensors = append(tensors, m.Grads()...)
	tensors = append(tensors, tensorsOf(m)...)
	spec := m.Spec()
	meta := map[string]string{metaModel: spec.Name, metaHash: spec.Hash, metaDType: modelDType(m), metaStep: strconv.Itoa(m.Step())}
	enc, err := encodeTensors(tensors)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*dumpPath, func(w *bufio.Writer) error { return enc.write(w, meta) }); err != nil {
		return fmt.Errorf("step: %v", err)
	}
	fmt.Fprintf(stdout, "loss %.6g; gradients and updated weights written to %s\n", loss, *dumpPath)
	return nil
}

// loadWeights sets m's tensors from a weights file: a dlc checkpoint is
// restored whole; another safetensors file must hold every parameter and
// may hold optimizer state (the rest starts at zero).
func loadWeights(m Model, path string) error {
	content, err := readFileNamed(path, "weights")
	if err != nil {
		return err
	}
	st, err := ReadSafetensors(content)
	if err != nil {
		return fmt.Errorf("weights %s: %v", path, err)
	}
	if st.Metadata[metaFormat] == checkpointFormat {
		_, err := loadCheckpointInto(m, path)
		return err
	}
	if h := st.Metadata[metaHash]; h != "" && h != m.Spec().Hash {
		return fmt.Errorf("weights %s are of model %s (architecture %s), but this trainer is for model %s (architecture %s)",
			path, st.Metadata[metaModel], h, m.Spec().Name, orNone(m.Spec().Hash))
	}
	m.Init(m.Spec().Seed) // zero optimizer state
	params := m.Params()
	for _, p := range params {
		if _, ok := st.Tensor(p.Name); !ok {
			return fmt.Errorf("weights %s: missing parameter %s", path, p.Name)
		}
	}
	if err := copyTensorsInto(tensorsOf(m), st.Tensors, false); err != nil {
		return fmt.Errorf("weights %s: %v", path, err)
	}
	if v, ok := st.Metadata[metaStep]; ok {
		step, err := strconv.Atoi(v)
		if err != nil || step < 0 {
			return fmt.Errorf("weights %s: metadata step is %q, not a count of steps", path, v)
		}
		m.SetStep(step)
	}
	return nil
}

// readStepBatch reads exactly one batch of samples of the first input,
// and labels.
func readStepBatch(spec Spec, inputsPath, labelsPath string) (*Batch, error) {
	images := len(spec.Inputs) == 0 || spec.Inputs[0].Vocab == 0 && !spec.Inputs[0].Mask
	x, n, sampleShape, err := readNPYSamples(inputsPath, images)
	if err != nil {
		return nil, err
	}
	if n != spec.Batch || product(sampleShape) != spec.InputSize() {
		return nil, fmt.Errorf("%s holds %d samples of shape %s; model %s takes one batch of %d samples of shape %s",
			inputsPath, n, formatShape(sampleShape), spec.Name, spec.Batch, formatShape(spec.InputShape))
	}
	y, yShape, err := readNPYValues(labelsPath)
	if err != nil {
		return nil, err
	}
	if yShape[0] != n {
		return nil, fmt.Errorf("%s holds %d samples but %s holds %d labels", inputsPath, n, labelsPath, yShape[0])
	}
	if err := checkTokenIDs(spec, inputsPath, x); err != nil {
		return nil, err
	}
	b := &Batch{X: x, N: n}
	if spec.Positions > 0 && !slices.Equal(yShape, []int{n, spec.Positions}) {
		return nil, fmt.Errorf("%s: labels have shape %s; model %s takes %d per sample, shape [%d,%d]",
			labelsPath, formatShape(yShape), spec.Name, spec.Positions, n, spec.Positions)
	}
	if spec.Classes > 0 {
		b.Class, err = npyClasses(labelsPath, y, yShape, spec)
		return b, err
	}
	if per := product(yShape[1:]); per != spec.Targets {
		return nil, fmt.Errorf("%s has %d targets per sample (shape %s) but model %s predicts %d",
			labelsPath, per, formatShape(yShape), spec.Name, spec.Targets)
	}
	b.Target = make([]float32, len(y))
	for i, v := range y {
		b.Target[i] = float32(v)
	}
	return b, nil
}

// inputFlag collects -inputs: one FILE, or NAME=FILE once for each input
// of a model with several.
type inputFlag []string

func (f *inputFlag) String() string { return strings.Join(*f, " ") }

func (f *inputFlag) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// files returns the first input's file and the files of the inputs after
// it, in the model's order, checking that every input is named once.
func (f inputFlag) files(spec Spec) (first string, more []string, err error) {
	if len(spec.Inputs) < 2 {
		if len(f) != 1 {
			return "", nil, fmt.Errorf("step: model %s has one input: give -inputs FILE.npy once", spec.Name)
		}
		return f[0], nil, nil
	}
	byName := map[string]string{}
	for _, v := range f {
		name, path, ok := strings.Cut(v, "=")
		switch {
		case !ok:
			return "", nil, fmt.Errorf("step: -inputs %s: model %s has inputs %s: give -inputs NAME=FILE.npy for each", v, spec.Name, strings.Join(inputNames(spec), ", "))
		case !slices.Contains(inputNames(spec), name):
			return "", nil, fmt.Errorf("step: -inputs %s: model %s has no input %s (its inputs: %s)", v, spec.Name, name, strings.Join(inputNames(spec), ", "))
		case byName[name] != "":
			return "", nil, fmt.Errorf("step: -inputs names input %s twice", name)
		}
		byName[name] = path
	}
	for _, in := range spec.Inputs {
		if byName[in.Name] == "" {
			return "", nil, fmt.Errorf("step: no file for input %s: give -inputs %s=FILE.npy", in.Name, in.Name)
		}
		more = append(more, byName[in.Name])
	}
	return more[0], more[1:], nil
}

// readStepInputs reads one batch of each input after the first from its
// file; TrainStep checks their values.
func readStepInputs(spec Spec, paths []string) ([][]float32, error) {
	var inputs [][]float32
	for i, in := range spec.MoreInputs() {
		x, n, shape, err := readNPYSamples(paths[i], images(in))
		if err != nil {
			return nil, err
		}
		if n != spec.Batch || product(shape) != in.Size() {
			return nil, fmt.Errorf("%s holds %d samples of shape %s; model %s's input %s takes one batch of %d samples of shape %s",
				paths[i], n, formatShape(shape), spec.Name, in.Name, spec.Batch, formatShape(in.Shape))
		}
		inputs = append(inputs, x)
	}
	return inputs, nil
}
