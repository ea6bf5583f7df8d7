package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

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
	metrics := filepath.Join(work, filepath.Base(bin)+"-metrics.jsonl")
	c := command{
		env:  withEnv(os.Environ(), []string{"GOMAXPROCS=" + strconv.Itoa(accuracyThreads)}),
		name: bin,
		args: []string{"-data", data, "-epochs", strconv.Itoa(epochs), "-metrics", metrics, "-quiet"},
	}
	if _, err := c.run(); err != nil {
		return nil, err
	}
	content, err := os.ReadFile(metrics)
	if err != nil {
		return nil, err
	}
	return testAccuracies(content)
}

// testAccuracies reads test_acc from each line of a metrics file.
func testAccuracies(jsonl []byte) ([]float64, error) {
	var acc []float64
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var epoch struct {
			TestAcc *float64 `json:"test_acc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &epoch); err != nil {
			return nil, fmt.Errorf("metrics line %q: %v", sc.Bytes(), err)
		}
		if epoch.TestAcc == nil {
			return nil, fmt.Errorf("metrics line %q has no test_acc", sc.Bytes())
		}
		acc = append(acc, *epoch.TestAcc)
	}
	return acc, sc.Err()
}

// torchAccuracy trains the PyTorch model for the given epochs (as shipped,
// one thread: its fastest setting here) and returns its test accuracies.
func torchAccuracy(python, script, data string, m benchModel, epochs int) ([]float64, error) {
	c := command{
		env:  torchEnv(torchConfigs[0]),
		name: python,
		args: []string{script, "--model", m.name, "--data", data, "--threads", "1", "--epochs", strconv.Itoa(epochs)},
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
