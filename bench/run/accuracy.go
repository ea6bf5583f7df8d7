package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// trainingTimeout bounds a training run of the accuracy and quality
// comparisons: whole runs with evaluations, far longer than a timed one
// on a loaded machine.
const trainingTimeout = 2 * time.Hour

// accuracyThreads is the thread count of the accuracy runs, which are
// about what training reaches, not how fast.
const accuracyThreads = 2

// accuracy is the test accuracy after each epoch, by side.
type accuracy struct {
	dlc, torch []float64
}

// dlcAccuracy trains with the trainer bin for the given epochs, as a user
// would, and reads the test accuracy of each epoch from its metrics file.
func dlcAccuracy(bin, data, work string, epochs int) ([]float64, error) {
	content, err := trainForMetrics(bin, filepath.Join(work, filepath.Base(bin)+"-metrics.jsonl"), "-data", data, "-epochs", strconv.Itoa(epochs))
	if err != nil {
		return nil, err
	}
	return testAccuracies(content)
}

// trainForMetrics trains with the trainer bin and the given flags, quietly,
// on accuracyThreads, and returns the metrics file it wrote at path.
func trainForMetrics(bin, path string, flags ...string) ([]byte, error) {
	c := command{
		env:     withEnv(os.Environ(), []string{"GOMAXPROCS=" + strconv.Itoa(accuracyThreads)}),
		name:    bin,
		args:    append(flags, "-metrics", path, "-quiet"),
		timeout: trainingTimeout,
	}
	if _, err := c.run(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// testAccuracies reads test_acc from each line of a metrics file.
func testAccuracies(jsonl []byte) ([]float64, error) {
	var acc []float64
	err := metricsLines(jsonl, func(line []byte) error {
		var epoch struct {
			TestAcc *float64 `json:"test_acc"`
		}
		if err := json.Unmarshal(line, &epoch); err != nil || epoch.TestAcc == nil {
			return fmt.Errorf("metrics line %q has no test_acc (%v)", line, err)
		}
		acc = append(acc, *epoch.TestAcc)
		return nil
	})
	return acc, err
}

// metricsLines calls each for every line of a metrics file.
func metricsLines(jsonl []byte, each func(line []byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if err := each(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// torchAccuracy trains the PyTorch model for the given epochs (as shipped,
// one thread: its fastest setting here) and returns its test accuracies.
func torchAccuracy(python, script, data string, m benchModel, epochs int) ([]float64, error) {
	c := command{
		env:     torchEnv(torchConfigs[0]),
		name:    python,
		args:    []string{script, "--model", m.name, "--data", data, "--threads", "1", "--epochs", strconv.Itoa(epochs)},
		timeout: trainingTimeout,
	}
	p, err := c.run()
	if err != nil {
		return nil, err
	}
	var res struct {
		TestAcc []float64 `json:"test_acc"`
	}
	if err := json.Unmarshal(p.stdout, &res); err != nil {
		return nil, fmt.Errorf("%s: unreadable result %q: %v", c, p.stdout, err)
	}
	return res.TestAcc, nil
}
