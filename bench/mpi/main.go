// Command mpi is `make bench-mpi`: a data-parallel trainer against one
// process on the same global batch, side by side. It builds the model
// with `dlc build -mpi -ranks 2`, then alternates, for a few rounds,
// 1 process × 1 thread, 2 ranks × 1 thread under mpirun, and 1 process ×
// 2 threads, each training the same steps on MNIST, then PyTorch's
// DistributedDataParallel (gloo, 2 processes × 1 thread, bench/torch_ddp.py)
// on the same model and global batch, and prints every round's training
// samples per second (dlc's from the metrics file), the ratio of 2 ranks
// to 1 process × 1 thread and the load average. Run it from the
// repository's root.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/internal/mnist"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-mpi: %v\n", err)
		os.Exit(1)
	}
}

// setup is one way of running the trainer.
type setup struct {
	name    string
	ranks   int // 1: the binary alone
	threads int
}

var setups = []setup{{"1 process × 1 thread", 1, 1}, {"2 ranks × 1 thread", 2, 1}, {"1 process × 2 threads", 1, 2}}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench-mpi", flag.ContinueOnError)
	model := fs.String("model", "examples/mnist/mlp.dl", "the model `FILE`")
	rounds := fs.Int("rounds", 3, "alternate the setups `N` times")
	steps := fs.Int("steps", 200, "training steps per run (`N`)")
	python := fs.String("python", "/usr/bin/python3", "the Python with PyTorch, for the DDP column (\"\": none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := mnist.Dir()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "dlc-bench-mpi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "trainer")
	if out, err := exec.Command("go", "run", "./cmd/dlc", "build", "-mpi", "-ranks", "2", "-o", bin, *model).CombinedOutput(); err != nil {
		return fmt.Errorf("dlc build -mpi: %v\n%s", err, out)
	}
	fmt.Fprintf(stdout, "%s, %d steps a run, samples/s of training\n", *model, *steps)
	fmt.Fprintf(stdout, "round | load | %s | PyTorch DDP, 2 × 1 thread | 2 ranks ÷ 1 process | 2 ranks ÷ DDP\n", strings.Join(names(), " | "))
	for r := 1; r <= *rounds; r++ {
		load := loadAverage()
		rates := make([]float64, len(setups))
		for i, s := range setups {
			if rates[i], err = measure(bin, data, work, s, *steps); err != nil {
				return fmt.Errorf("%s: %v", s.name, err)
			}
		}
		ddp, err := measureDDP(*python, *model, data, *steps)
		if err != nil {
			fmt.Fprintf(stdout, "(PyTorch DDP: %v)\n", err)
		}
		fmt.Fprintf(stdout, "%d | %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f\n", r, load, rates[0], rates[1], rates[2], ddp, rates[1]/rates[0], rates[1]/ddp)
	}
	return nil
}

func names() []string {
	n := make([]string, len(setups))
	for i, s := range setups {
		n[i] = s.name
	}
	return n
}

// measure trains steps steps in setup s and returns the training samples
// per second its metrics file reports.
func measure(bin, data, work string, s setup, steps int) (float64, error) {
	metrics := filepath.Join(work, "m.jsonl")
	os.Remove(metrics)
	args := []string{"-data", data, "-steps", strconv.Itoa(steps), "-threads", strconv.Itoa(s.threads), "-quiet", "-metrics", metrics, "-plot", filepath.Join(work, "m.png")}
	cmd := exec.Command(bin, args...)
	if s.ranks > 1 {
		cmd = exec.Command("mpirun", append([]string{"--oversubscribe", "-np", strconv.Itoa(s.ranks), bin}, args...)...)
		cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%v\n%s", err, out)
	}
	content, err := os.ReadFile(metrics)
	if err != nil {
		return 0, err
	}
	var line struct {
		Rate float64 `json:"samples_per_sec"`
	}
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &line); err != nil || line.Rate <= 0 {
		return 0, errors.Join(errors.New("no training rate in the metrics file"), err)
	}
	return line.Rate, nil
}

// measureDDP runs bench/torch_ddp.py on the model file's model and returns
// the global training samples per second it reports.
func measureDDP(python, model, data string, steps int) (float64, error) {
	if python == "" {
		return 0, errors.New("no -python")
	}
	name := strings.TrimSuffix(filepath.Base(model), ".dl")
	out, err := exec.Command(python, "bench/torch_ddp.py", "--model", name, "--data", data, "--steps", strconv.Itoa(steps)).Output()
	if err != nil {
		return 0, err
	}
	var r struct {
		Rate float64 `json:"samples_per_sec"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Rate <= 0 {
		return 0, fmt.Errorf("no rate in %q", out)
	}
	return r.Rate, nil
}

// loadAverage is the one-minute load average, for the report.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}
