package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// torchConfig is one way of running PyTorch.
type torchConfig struct {
	key, label string
	set, unset []string // environment changes
}

// torchConfigs: PyTorch as Debian ships it, and with OpenBLAS's AVX-512
// kernels forced and OpenMP's threads told not to spin against OpenBLAS's.
// The shipped run clears OpenBLAS settings the environment may carry.
var torchConfigs = []torchConfig{
	{key: "shipped", label: "torch as shipped", unset: []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}},
	{key: "tuned", label: "torch SkylakeX+PASSIVE", set: []string{"OPENBLAS_CORETYPE=SkylakeX", "OMP_WAIT_POLICY=PASSIVE"}, unset: []string{"OPENBLAS_L2_SIZE"}},
}

// torchResult is what bench/torch_bench.py prints.
type torchResult struct {
	Model       string  `json:"model"`
	Batch       int     `json:"batch"`
	Threads     int     `json:"threads"`
	Steps       int     `json:"steps"`
	TrainSecs   float64 `json:"train_seconds"`
	TrainPerSec float64 `json:"train_samples_per_sec"`
	LastLoss    float64 `json:"last_loss"`
	Torch       string  `json:"torch"`
	Infer       map[string]struct {
		Samples int     `json:"samples"`
		Seconds float64 `json:"seconds"`
		PerSec  float64 `json:"samples_per_sec"`
	} `json:"infer"`
}

// torchRun is one run of the PyTorch script.
type torchRun struct {
	torchResult
	rssKiB int64
}

// torchEnv is the environment of a run in configuration cfg.
func torchEnv(cfg torchConfig) []string {
	return withEnv(os.Environ(), cfg.set, cfg.unset...)
}

// runTorch runs model m's PyTorch script: bench/torch_bench.py, or a
// token model's own.
func runTorch(python, script, data string, cfg torchConfig, m benchModel, threads, warmup, steps int) (torchRun, error) {
	var infer []string
	for _, ib := range inferBatches {
		infer = append(infer, fmt.Sprintf("%d:%d", ib.batch, ib.samples))
	}
	// torch.set_num_threads bounds PyTorch's own (OpenMP) threads, not
	// OpenBLAS's: without these, a "1-thread" run's matrix products use
	// every core (measured: 1.9 CPUs busy during inference).
	n := strconv.Itoa(threads)
	args := []string{script, "--data", data, "--threads", n, "--warmup", strconv.Itoa(warmup), "--steps", strconv.Itoa(steps)}
	if m.text == nil { // bench/torch_bench.py: the MNIST models by name
		args = append(args, "--model", m.name, "--infer", strings.Join(infer, ","))
	}
	c := command{
		env:  withEnv(torchEnv(cfg), []string{"OPENBLAS_NUM_THREADS=" + n, "OMP_NUM_THREADS=" + n}),
		name: python,
		args: args,
	}
	p, err := c.run()
	if err != nil {
		return torchRun{}, err
	}
	r := torchRun{rssKiB: p.rssKiB}
	if err := json.Unmarshal(p.stdout, &r.torchResult); err != nil {
		return torchRun{}, fmt.Errorf("%s: unreadable result %q: %v", c, p.stdout, err)
	}
	return r, nil
}

// checkTorch fails early, with the reason, when python cannot import torch.
func checkTorch(python string) (version string, err error) {
	p, err := command{name: python, args: []string{"-c", "import torch; print(torch.__version__)"}}.run()
	if err != nil {
		return "", fmt.Errorf("PyTorch is needed for the comparison: %v", err)
	}
	return strings.TrimSpace(string(p.stdout)), nil
}

// openBLASCore asks OpenBLAS which kernels it picks in configuration cfg.
func openBLASCore(python string, cfg torchConfig) string {
	c := command{env: withEnv(torchEnv(cfg), []string{"OPENBLAS_VERBOSE=2"}), name: python,
		args: []string{"-c", "import torch; torch.ones(64, 64) @ torch.ones(64, 64)"}}
	p, err := c.run()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(p.stdout)+"\n"+string(p.stderr), "\n") {
		if core, ok := strings.CutPrefix(strings.TrimSpace(line), "Core:"); ok {
			return strings.TrimSpace(core)
		}
	}
	return "unknown"
}
