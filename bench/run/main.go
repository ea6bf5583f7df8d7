// Command run is `make bench`: dlc's generated trainers against PyTorch on
// the MNIST models, side by side in one invocation. For each model and
// thread count it runs dlc's trainer (its bench subcommand) and
// bench/torch_bench.py in each PyTorch configuration, alternately, for a
// few rounds, and reports medians: training samples/s, peak RSS, inference
// samples/s at batch 128 and 1, and GEMM GFLOP/s of dlc's generated
// kernels against OpenBLAS at the MLP's shapes. The report is printed and,
// with -out, written into a markdown file between markers.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dlc-dev/dlc/internal/mnist"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// settings are the command's flags.
type settings struct {
	rounds  int
	models  []benchModel
	threads []int
	steps   int // 0: each model's own count
	gemm    bool
	data    string
	python  string
	out     string
	args    []string // as given, for the report
	// accuracy: train these models for accEpochs epochs on both sides and
	// compare test accuracy (no accuracy runs when accEpochs is 0).
	accModels []benchModel
	accEpochs int
	// qualitySteps: train the token models this many steps on both sides
	// and compare their validation curves (none when 0).
	qualitySteps int
	// busy: also train each model at 1 and 2 threads beside a busy loop.
	busy bool
}

func parseSettings(args []string, stderr io.Writer) (settings, error) {
	s := settings{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&s.rounds, "rounds", 3, "alternate dlc and PyTorch `N` times per model and thread count; report medians")
	modelNames := fs.String("models", "mlp,mlp_small,resmlp,lenet,vgg,resnet,gpt", "comma-separated `MODELS` to measure")
	threadList := fs.String("threads", "1,2", "comma-separated thread `COUNTS` (GOMAXPROCS; torch.set_num_threads)")
	fs.IntVar(&s.steps, "steps", 0, "timed training steps per run (`N`; default: each model's own count)")
	fs.BoolVar(&s.gemm, "gemm", true, "also measure GEMM kernels against OpenBLAS and the FMA peak")
	fs.StringVar(&s.data, "data", "", "the MNIST `DIR` (default: found in the Go module cache)")
	fs.StringVar(&s.python, "python", "/usr/bin/python3", "the Python with PyTorch (`PATH`)")
	fs.StringVar(&s.out, "out", "", "write the report into `FILE` between its bench markers")
	accList := fs.String("accuracy-models", "resmlp,lenet", "comma-separated `MODELS` whose test accuracy to compare")
	fs.IntVar(&s.accEpochs, "accuracy-epochs", 0, "train the -accuracy-models `N` epochs on both sides and compare test accuracy (0: skip)")
	fs.IntVar(&s.qualitySteps, "quality-steps", 0, "train the measured token models (gpt) `N` steps on both sides and compare validation losses (0: skip)")
	fs.BoolVar(&s.busy, "busy", false, "also train each model at 1 and 2 threads, both sides, beside a busy-looping process the bench starts")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q: every setting is a flag", fs.Arg(0))
	}
	if s.rounds < 1 || s.steps < 0 || s.accEpochs < 0 || s.qualitySteps < 0 {
		return s, errors.New("-rounds must be at least 1, -steps, -accuracy-epochs and -quality-steps not negative")
	}
	var err error
	if s.models, err = modelList(*modelNames, "-models"); err != nil {
		return s, err
	}
	if s.accModels, err = modelList(*accList, "-accuracy-models"); err != nil {
		return s, err
	}
	for _, t := range strings.Split(*threadList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			return s, fmt.Errorf("bad thread count %q in -threads", t)
		}
		s.threads = append(s.threads, n)
	}
	return s, nil
}

// modelList looks up a comma-separated list of model names.
func modelList(list, flagName string) ([]benchModel, error) {
	var ms []benchModel
	for _, name := range strings.Split(list, ",") {
		m, ok := modelNamed(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown model %q in %s", name, flagName)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	s, err := parseSettings(args, stderr)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if s.data == "" && slices.ContainsFunc(modelsToBuild(s), func(m benchModel) bool { return m.text == nil }) {
		if s.data, err = mnist.Dir(); err != nil {
			return err
		}
	}
	torchVersion, err := checkTorch(s.python)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "dlc-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	removeOnSignal(work)

	rep := &report{settings: s, started: time.Now(), machine: describeMachine(), torchVersion: torchVersion, source: sourceVersion(root)}
	if slices.ContainsFunc(s.models, func(m benchModel) bool { return m.text != nil }) {
		if rep.corpus, rep.corpusAbout, err = writeCorpus(work); err != nil {
			return err
		}
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	if err := rep.measureAll(root, work, progress); err != nil {
		return err
	}
	text := rep.markdown()
	fmt.Fprint(stdout, text)
	if s.out != "" {
		return writeReport(s.out, text)
	}
	return nil
}

// measureAll builds what it measures, then runs every measurement.
func (r *report) measureAll(root, work string, progress func(string, ...any)) error {
	s := r.settings
	r.observeLoad()
	progress("building dlc and the trainers...")
	dlcBin, err := buildDLC(root, work)
	if err != nil {
		return err
	}
	r.dlcVersion = strings.TrimSpace(string(outputOrNothing(command{name: dlcBin, args: []string{"version"}})))
	trainers, err := buildTrainers(root, work, dlcBin, modelsToBuild(s), r)
	if err != nil {
		return err
	}
	for _, cfg := range torchConfigs {
		r.openBLASCore = append(r.openBLASCore, openBLASCore(s.python, cfg))
	}
	if s.gemm {
		progress("measuring GEMM kernels and the FMA peak...")
		if err := r.measureGEMM(root, work, dlcBin); err != nil {
			return err
		}
	}
	script := filepath.Join(root, "bench", "torch_bench.py")
	for round := 1; round <= s.rounds; round++ {
		for _, m := range s.models {
			for _, threads := range s.threads {
				progress("round %d/%d: %s, %d thread(s)", round, s.rounds, m.name, threads)
				if err := r.measure(trainers[m.name], m.torchScript(root), m, threads); err != nil {
					return err
				}
			}
		}
	}
	if s.busy {
		if err := r.measureUnderLoad(trainers, root, progress); err != nil {
			return err
		}
	}
	progress("profiles: one profiled run per model")
	if err := r.measureProfiles(trainers, work); err != nil {
		return err
	}
	if s.qualitySteps > 0 {
		for _, m := range r.measuredModels(true) {
			progress("quality: %s, %d steps each side", m.name, s.qualitySteps)
			if err := r.compareQuality(trainers[m.name][m.batch], m.torchScript(root), work, m); err != nil {
				return err
			}
		}
	}
	if s.accEpochs > 0 {
		for _, m := range s.accModels {
			progress("accuracy: %s, %d epochs each side", m.name, s.accEpochs)
			if err := r.compareAccuracy(trainers[m.name][m.batch], script, work, m); err != nil {
				return err
			}
		}
	}
	r.finished = time.Now()
	return nil
}

// removeOnSignal removes the work folder and stops the competing load
// when the run is interrupted (the programs it runs get the terminal's
// signal too, but not a signal sent to the benchmark alone).
func removeOnSignal(work string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		stopBusyLoops()
		os.RemoveAll(work)
		fmt.Fprintf(os.Stderr, "bench: stopped by %v\n", s)
		os.Exit(130)
	}()
}

// sourceVersion names the checkout measured: its commit, and whether the
// working tree differs from it (read-only git plumbing; empty outside git).
func sourceVersion(root string) string {
	commit := strings.TrimSpace(string(outputOrNothing(command{dir: root, name: "git", args: []string{"rev-parse", "--short", "HEAD"}})))
	if commit == "" {
		return ""
	}
	if _, err := (command{dir: root, name: "git", args: []string{"diff-index", "--quiet", "HEAD", "--"}}).run(); err != nil {
		return "commit " + commit + " with uncommitted changes"
	}
	return "commit " + commit
}

// buildTrainers builds, for each model, a trainer per inference batch size
// (see buildFor; the one of the model's own batch is the one that trains).
// A model dlc refuses to compile for another inference batch is noted in
// the report and not measured there.
func buildTrainers(root, work, dlcBin string, ms []benchModel, rep *report) (map[string]map[int]string, error) {
	bins := map[string]map[int]string{}
	for _, m := range ms {
		bins[m.name] = map[int]string{}
		batches := []int{m.batch}
		for _, ib := range inferBatches {
			if ib.batch != m.batch && m.text == nil {
				batches = append(batches, ib.batch)
			}
		}
		for _, b := range batches {
			bin, err := buildTrainer(root, work, dlcBin, m, buildFor(m, b))
			var refused compileRefusal
			switch {
			case errors.As(err, &refused) && b != m.batch:
				rep.notes = append(rep.notes, fmt.Sprintf("dlc does not compile %s for inference at batch %d: %s", m.name, b, refused.reason))
				continue
			case err != nil:
				return nil, err
			}
			bins[m.name][b] = bin
		}
	}
	return bins, nil
}

// modelsToBuild are the models measured and those whose accuracy is
// compared, each once.
func modelsToBuild(s settings) []benchModel {
	ms := slices.Clone(s.models)
	if s.accEpochs > 0 {
		for _, m := range s.accModels {
			if !slices.ContainsFunc(ms, func(o benchModel) bool { return o.name == m.name }) {
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// repoRoot is the folder above the working directory holding dlc's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/dlc-dev/dlc\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run me inside the dlc repository (no dlc go.mod above the working folder)")
		}
		dir = parent
	}
}

// outputOrNothing is c's standard output, or nothing if it fails: for
// descriptions that are not worth stopping the benchmark for.
func outputOrNothing(c command) []byte {
	p, err := c.run()
	if err != nil {
		return nil
	}
	return p.stdout
}
