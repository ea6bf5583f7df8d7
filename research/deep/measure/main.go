// Command measure runs the deep examples on MNIST and prints the tables of
// docs/deep.md: each dense layer's gradient norm at the first step, and the
// loss over the first steps of training; it draws both into a PNG. Run it
// from the repository's root:
//
//	go run ./research/deep/measure -plot docs/deep.png
//
// Each example is compiled to the Go code dlc generates for it and run by a
// probe trainer (package probetrainer) on real MNIST. The first step's
// gradients are measured on a build without gradient clipping, so that they
// are the raw gradients; training runs the model file as written.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dlc-dev/dlc/compiler"
	"github.com/dlc-dev/dlc/internal/mnist"
	"github.com/dlc-dev/dlc/research/deep/probe"
	"github.com/dlc-dev/dlc/research/deep/probetrainer"
)

// variant is one example of the comparison.
type variant struct {
	name string // as the tables show it
	file string // in the examples folder
}

var variants = []variant{
	{"plain", "plain.dl"},
	{"plain + BN", "plain_bn.dl"},
	{"residual", "residual.dl"},
	{"residual + BN", "residual_bn.dl"},
}

// result is what was measured of one variant.
type result struct {
	Name  string        `json:"name"`
	File  string        `json:"file"`
	Dense []string      `json:"dense_layers"` // in order of depth
	Grads *probe.Report `json:"first_step"`   // one step of the build without clipping
	Train *probe.Report `json:"training"`     // the model file as written
}

type settings struct {
	examples, data, plot, json, from string
	steps, window, evalEvery         int
	unclipped                        bool
	init                             string
}

func main() {
	var s settings
	flag.StringVar(&s.examples, "examples", "examples/deep", "the `DIR` holding the deep examples")
	flag.StringVar(&s.data, "data", "", "the `DIR` holding MNIST (default: found in the Go module cache, as dlc train finds it)")
	flag.IntVar(&s.steps, "steps", 400, "optimizer `steps` of training per example")
	flag.IntVar(&s.window, "window", 25, "report the mean training loss over windows of `N` steps")
	flag.IntVar(&s.evalEvery, "eval-every", 100, "evaluate on the validation split every `N` steps")
	flag.StringVar(&s.plot, "plot", "", "draw the gradient norms and loss curves into the PNG `FILE`")
	flag.StringVar(&s.json, "json", "", "write every report to the JSON `FILE`")
	flag.StringVar(&s.from, "from", "", "measure nothing: print the tables (and draw the plot) of the JSON `FILE` an earlier -json wrote")
	flag.BoolVar(&s.unclipped, "unclipped", false, "train without gradient clipping too (the model files clip)")
	flag.StringVar(&s.init, "init", "", "initialise with the scheme `NAME` (he_normal, ...) instead of the model files' own")
	flag.Parse()
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

func run(s settings) error {
	if s.steps < s.window || s.window < 1 {
		return fmt.Errorf("-steps (%d) must be at least -window (%d), which must be at least 1", s.steps, s.window)
	}
	results, err := measureAll(s)
	if s.from != "" {
		results, err = readResults(s.from)
	}
	if err != nil {
		return err
	}
	printGradTable(os.Stdout, results)
	printLossTable(os.Stdout, results, s.window)
	if s.plot != "" {
		if err := writePlot(s.plot, results, s.window); err != nil {
			return err
		}
	}
	if s.json != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(s.json, append(data, '\n'), 0o644)
	}
	return nil
}

// measureAll measures every variant, unless the results are to be read
// from an earlier run.
func measureAll(s settings) ([]*result, error) {
	if s.from != "" {
		return nil, nil
	}
	if s.data == "" {
		dir, err := mnist.Dir()
		if err != nil {
			return nil, fmt.Errorf("%v (or pass -data DIR)", err)
		}
		s.data = dir
	}
	work, err := os.MkdirTemp("", "dlc-deep-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	var results []*result
	for _, v := range variants {
		fmt.Fprintf(os.Stderr, "measuring %s (%s)\n", v.name, v.file)
		r, err := measure(v, s, work)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// readResults reads the results an earlier run wrote with -json.
func readResults(path string) ([]*result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var results []*result
	if err := json.Unmarshal(data, &results); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("%s holds no results", path)
	}
	return results, nil
}

// measure builds and runs the two probe trainers of one variant.
func measure(v variant, s settings, work string) (*result, error) {
	path := filepath.Join(s.examples, v.file)
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if s.init != "" {
		if src, err = withInit(src, s.init); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	g, err := compiler.Graph(path, src, compiler.Options{})
	if err != nil {
		return nil, err
	}
	r := &result{Name: v.name, File: v.file, Dense: denseLayers(g)}
	unclipped, err := withoutClipping(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	bin := filepath.Join(work, "probe")
	if err := probetrainer.Build(path, unclipped, bin); err != nil {
		return nil, err
	}
	if r.Grads, err = probetrainer.Run(bin, "-data", s.data, "-steps", "1"); err != nil {
		return nil, err
	}
	if !s.unclipped {
		if err := probetrainer.Build(path, src, bin); err != nil {
			return nil, err
		}
	}
	r.Train, err = probetrainer.Run(bin, "-data", s.data, "-steps", fmt.Sprint(s.steps), "-eval-every", fmt.Sprint(s.evalEvery))
	return r, err
}
