package runtime

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
)

const predictSynopsis = "-checkpoint FILE -data PATH [-o FILE]"

const predictAbout = `Loads a checkpoint and writes the model's predictions for the test set of
the data as CSV: the sample's index, then for a classifier the predicted
class and one probability per class (the softmax of the logits), for a
regression model the predicted values.`

// runPredict is the trainer's predict subcommand.
func runPredict(m Model, args []string, stdout, stderr io.Writer) error {
	fs := subcommandFlags(m, "predict")
	ckptPath := fs.String("checkpoint", "", "the checkpoint `FILE` to load")
	dataPath := fs.String("data", defaultDataDir(m.Spec()), "the data set whose test samples to predict (`PATH`, as for training)")
	outPath := fs.String("o", "", "write the CSV to `FILE` (default: standard output)")
	if err := parseSubcommand(fs, predictSynopsis, predictAbout, args, stdout, stderr); err != nil {
		return err
	}
	if err := required(fs, "checkpoint", "data"); err != nil {
		return err
	}
	if err := checkPredictionsFile(*outPath); err != nil {
		return err
	}
	// The fitted input transform, if any, is model state: the checkpoint
	// restores it and the model's forward pass applies it.
	if err := loadCheckpointInto(m, *ckptPath); err != nil {
		return err
	}
	test, err := loadTestSet(m.Spec(), *dataPath)
	if err != nil {
		return err
	}
	if *outPath == "" {
		return writePredictions(stdout, m, test)
	}
	return writeFileAtomic(*outPath, func(w *bufio.Writer) error { return writePredictions(w, m, test) })
}

// checkPredictionsFile checks the -o path before anything is loaded. A
// predictions file is replaced, but a checkpoint never is.
func checkPredictionsFile(path string) error {
	if err := checkWritable("-o", path); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	if _, err := ReadCheckpoint(path); err == nil {
		return fmt.Errorf("-o %s is a checkpoint; predictions would replace it: name another file", path)
	}
	return nil
}

// loadCheckpointInto reads the checkpoint at path into m.
func loadCheckpointInto(m Model, path string) error {
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return err
	}
	if err := ck.Restore(m); err != nil {
		return fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return nil
}

// loadTestSet reads the data set as training does and returns its test
// part, checked against the model.
func loadTestSet(spec Spec, path string) (*Dataset, error) {
	_, test, err := loadData(spec, path)
	if err != nil {
		return nil, err
	}
	if test == nil {
		return nil, fmt.Errorf("data %s has no test set to predict", path)
	}
	if err := test.Check(spec); err != nil {
		return nil, err
	}
	return test, nil
}

// writePredictions writes a header line, then one line per test sample.
func writePredictions(w io.Writer, m Model, test *Dataset) error {
	spec := m.Spec()
	k := outputSize(spec)
	bw := bufio.NewWriter(w)
	bw.WriteString(predictionHeader(spec, k))
	b := NewBatcher(All(test), spec.Batch)
	out := make([]float32, spec.Batch*k)
	probs := make([]float64, k)
	var line []byte
	index := 0
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		if err := m.Predict(batch, out); err != nil {
			return err
		}
		for row := range batch.N {
			y := out[row*k : (row+1)*k]
			line = strconv.AppendInt(line[:0], int64(index), 10)
			if spec.Classes > 0 {
				line = append(line, ',')
				line = strconv.AppendInt(line, int64(softmax(probs, y)), 10)
				for _, p := range probs {
					line = append(line, ',')
					line = strconv.AppendFloat(line, p, 'g', 7, 64)
				}
			} else {
				for _, v := range y {
					line = append(line, ',')
					line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
				}
			}
			line = append(line, '\n')
			bw.Write(line)
			index++
		}
	}
	return bw.Flush()
}

// predictionHeader names the CSV columns: index, class, p0, p1, ... for a
// classifier; index, y0, y1, ... for regression.
func predictionHeader(spec Spec, k int) string {
	h := "index"
	if spec.Classes > 0 {
		h += ",class"
		for c := range k {
			h += ",p" + strconv.Itoa(c)
		}
	} else {
		for t := range k {
			h += ",y" + strconv.Itoa(t)
		}
	}
	return h + "\n"
}

// softmax writes the probabilities of logits into probs (computed in
// float64, shifted by the largest logit so that nothing overflows) and
// returns the index of the largest logit, the first among equals.
func softmax(probs []float64, logits []float32) int {
	top := 0
	for i, z := range logits {
		if z > logits[top] {
			top = i
		}
	}
	var sum float64
	for i, z := range logits {
		probs[i] = math.Exp(float64(z) - float64(logits[top]))
		sum += probs[i]
	}
	for i := range probs {
		probs[i] /= sum
	}
	return top
}

// outputSize is the floats per sample of the model's output: Spec's
// OutputSize, or for a description without one, a value per class or
// target.
func outputSize(spec Spec) int {
	if spec.OutputSize > 0 {
		return spec.OutputSize
	}
	return spec.Classes + spec.Targets
}
