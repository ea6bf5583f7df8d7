package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/runtime"
)

// buildDLC builds the dlc command from the repository into work, so that
// trainers carry this checkout's runtime.
func buildDLC(root, work string) (string, error) {
	bin := filepath.Join(work, "dlc")
	_, err := command{dir: root, name: "go", args: []string{"build", "-o", bin, "./cmd/dlc"}}.run()
	return bin, err
}

// trainerBuild is how one trainer of a model is compiled: for a batch
// size, with inference in sub-batches of inferBatch rows (0: dlc's
// choice).
type trainerBuild struct{ batch, inferBatch int }

// buildFor is the trainer that measures m's inference at batch b: the
// model as written for its own batch; for batch 1, the model as written
// with -infer-batch 1, whose Predict runs a single row through the
// inference graph (every model compiles so, also one whose training needs
// more than one row, as batch norm does); for other sizes, the model
// recompiled for batch b.
func buildFor(m benchModel, b int) trainerBuild {
	switch b {
	case m.batch:
		return trainerBuild{batch: m.batch}
	case 1:
		return trainerBuild{batch: m.batch, inferBatch: 1}
	}
	return trainerBuild{batch: b}
}

// inferRate is the predictions per second a trainer's bench run measured
// at inference batch b: for batch 1 the rate of Predict calls on one row,
// as a single prediction makes them, else the rate over full batches.
func inferRate(r dlcRun, b int) float64 {
	if b == 1 {
		if r.PredictOneSecs <= 0 {
			return 0
		}
		return 1 / r.PredictOneSecs
	}
	return r.InferPerSec
}

// buildTrainer builds the trainer of m compiled as tb says and returns
// its path.
func buildTrainer(root, work, dlcBin string, m benchModel, tb trainerBuild) (string, error) {
	file := filepath.Join(root, m.file)
	name := fmt.Sprintf("%s_b%d", m.name, tb.batch)
	args := []string{"build", file}
	if tb.batch != m.batch {
		args = append(args, "-batch", strconv.Itoa(tb.batch))
	}
	if tb.inferBatch > 0 {
		name += fmt.Sprintf("_infer%d", tb.inferBatch)
		args = append(args, "-infer-batch", strconv.Itoa(tb.inferBatch))
	}
	bin := filepath.Join(work, name)
	c := command{dir: work, name: dlcBin, args: append(args, "-o", bin)}
	p, err := c.run()
	if err != nil && p.exitCode == 1 && strings.Contains(firstLineOf(p.stderr), ".dl:") {
		// A message at a model file position: the compiler refuses the model.
		return "", compileRefusal{reason: positionless(firstLineOf(p.stderr)), err: err}
	}
	return bin, err
}

// compileRefusal is dlc refusing to compile a model file, with its reason.
type compileRefusal struct {
	reason string
	err    error
}

func (e compileRefusal) Error() string { return e.err.Error() }

func firstLineOf(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// positionless is a dlc error line without its position prefix
// ("FILE.dl:LINE:COL: ").
func positionless(s string) string {
	if i := strings.Index(s, ".dl:"); i >= 0 {
		rest := s[i+len(".dl:"):]
		for range 2 { // line and column
			if _, after, ok := strings.Cut(rest, ":"); ok {
				rest = after
			}
		}
		s = rest
	}
	return strings.TrimSpace(s)
}

// dlcRun is one run of a trainer's bench subcommand.
type dlcRun struct {
	runtime.BenchResult
	rssKiB int64
}

// runDLC runs the trainer bin's bench subcommand with GOMAXPROCS threads.
func runDLC(bin, data string, threads, warmup, steps, infer int) (dlcRun, error) {
	c := command{
		env:  withEnv(os.Environ(), []string{"GOMAXPROCS=" + strconv.Itoa(threads)}),
		name: bin,
		args: []string{"bench", "-data", data, "-warmup", strconv.Itoa(warmup), "-steps", strconv.Itoa(steps), "-infer", strconv.Itoa(infer)},
	}
	p, err := c.run()
	if err != nil {
		return dlcRun{}, err
	}
	r := dlcRun{rssKiB: p.rssKiB}
	if err := json.Unmarshal(p.stdout, &r.BenchResult); err != nil {
		return dlcRun{}, fmt.Errorf("%s: unreadable result %q: %v", c, p.stdout, err)
	}
	return r, nil
}
