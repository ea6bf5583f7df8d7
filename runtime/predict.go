package runtime

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const predictSynopsis = "-checkpoint FILE (-data PATH | -input FILE [-id COLUMN]) [-o FILE]"

const predictAbout = `Loads a checkpoint and writes the model's predictions as CSV, for the test
set of the data or for the samples of a file of new data: a CSV file (its
label columns optional), an NPY array or an IDX file (images). Each line
holds the sample's index (or the -id column's value), then for a classifier
the predicted class and one probability per class (the softmax of the
logits), for a regression model the predicted values (named after the label
columns), then the true label when the data holds it.`

// runPredict is the trainer's predict subcommand.
func runPredict(m Model, args []string, stdout, stderr io.Writer) error {
	fs := subcommandFlags(m, "predict")
	ckptPath := fs.String("checkpoint", "", "the checkpoint `FILE` to load")
	dataPath := fs.String("data", defaultDataDir(m.Spec()), "the data set whose test samples to predict (`PATH`, as for training)")
	input := fs.String("input", "", "predict the samples of `FILE` instead: .csv, .npy, or IDX images")
	idCol := fs.String("id", "", "with a CSV -input, pass its `COLUMN` through as each line's first field")
	outPath := fs.String("o", "", "write the CSV to `FILE` (default: standard output)")
	if err := parseSubcommand(fs, predictSynopsis, predictAbout, args, stdout, stderr); err != nil {
		return err
	}
	need := []string{"checkpoint", "data"}
	if *input != "" {
		need = need[:1]
	}
	if err := required(fs, need...); err != nil {
		return err
	}
	if *idCol != "" && *input == "" {
		return fmt.Errorf("%s: -id names a column of the -input file", fs.Name())
	}
	if err := checkPredictionsFile(*outPath); err != nil {
		return err
	}
	// The fitted input transform, if any, is model state: the checkpoint
	// restores it and the model's forward pass applies it.
	ck, err := loadCheckpointInto(m, *ckptPath)
	if err != nil {
		return err
	}
	var set *predictSet
	if *input != "" {
		set, err = readPredictInput(m.Spec(), *input, *idCol, ck.Features)
	} else {
		var test *Dataset
		test, err = loadTestSet(m.Spec(), *dataPath)
		set = &predictSet{ds: test, labeled: true}
	}
	if err != nil {
		return err
	}
	if *outPath == "" {
		return writePredictions(stdout, m, set)
	}
	return writeFileAtomic(*outPath, func(w *bufio.Writer) error { return writePredictions(w, m, set) })
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

// loadCheckpointInto reads the checkpoint at path into m and returns it.
func loadCheckpointInto(m Model, path string) (*Checkpoint, error) {
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if err := ck.Restore(m); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return ck, nil
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

// writePredictions writes a header line, then one line per sample.
func writePredictions(w io.Writer, m Model, set *predictSet) error {
	spec := m.Spec()
	k := outputSize(spec)
	bw := bufio.NewWriter(w)
	bw.WriteString(predictionHeader(spec, k, set))
	b := NewBatcher(All(set.ds), spec.Batch)
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
			if set.ids != nil {
				line = appendCSVField(line[:0], set.ids[index])
			} else {
				line = strconv.AppendInt(line[:0], int64(index), 10)
			}
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
					if spec.Sigmoid {
						line = strconv.AppendFloat(line, 1/(1+math.Exp(-float64(v))), 'g', 7, 64)
					} else {
						line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
					}
				}
			}
			if set.labeled {
				line = appendTruth(line, set.ds, index)
			}
			line = append(line, '\n')
			bw.Write(line)
			index++
		}
	}
	return bw.Flush()
}

// predictionHeader names the CSV columns: index (or the id column),
// class, p0, p1, ... for a classifier; index and a column per target,
// named as the label columns (y0, y1, ... when the model names none), for
// regression; then label, or true_ and each target's name, for the truth.
func predictionHeader(spec Spec, k int, set *predictSet) string {
	h := "index"
	if set.ids != nil {
		h = string(appendCSVField(nil, set.idName))
	}
	if spec.Classes > 0 {
		h += ",class"
		for c := range k {
			h += ",p" + strconv.Itoa(c)
		}
		if set.labeled {
			h += ",label"
		}
		return h + "\n"
	}
	names := targetNames(spec, k)
	for _, n := range names {
		if spec.Sigmoid {
			n = "p_" + n // a probability, not the target itself
		}
		h += "," + string(appendCSVField(nil, n))
	}
	if set.labeled {
		for _, n := range names {
			h += "," + string(appendCSVField(nil, "true_"+n))
		}
	}
	return h + "\n"
}

// targetNames names a regression model's outputs after its label columns,
// or y0, y1, ... when its data has none to match.
func targetNames(spec Spec, k int) []string {
	if spec.Files.Label != "" {
		if cols := columns(spec.Files.Label); len(cols) == k {
			return cols
		}
	}
	names := make([]string, k)
	for t := range names {
		names[t] = "y" + strconv.Itoa(t)
	}
	return names
}

// appendTruth appends sample i's true label: its class, or its targets.
func appendTruth(line []byte, ds *Dataset, i int) []byte {
	if ds.Class != nil {
		line = append(line, ',')
		return strconv.AppendInt(line, int64(ds.Class[i]), 10)
	}
	per := ds.TargetsPerSample()
	for _, v := range ds.Target[i*per : (i+1)*per] {
		line = append(line, ',')
		line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
	}
	return line
}

// appendCSVField appends s as one CSV field, quoted when it must be.
func appendCSVField(line []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(line, s...)
	}
	return append(append(line, '"'), strings.ReplaceAll(s, `"`, `""`)+`"`...)
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
