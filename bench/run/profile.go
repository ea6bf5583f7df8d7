package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/runtime/rt"
)

// stepProfile is what the report keeps of one model's -profile file: the
// step's time and each kind's share of it.
type stepProfile struct {
	MsPerStep float64 `json:"ms_per_step"`
	Kinds     []kindShare
}

// kindShare is one row of a profile's kinds table.
type kindShare struct {
	Kind   string
	Share  float64
	GFLOPs float64 `json:"gflop_per_s"`
}

// profileThreads is the thread count the profiles are taken at: the one
// the targets are about.
const profileThreads = 2

// measureProfiles takes one profiled bench run per model after the timed
// rounds (profiling costs a clock read per kernel, so it is kept out of
// them), so that the report says where each model's step goes.
func (r *report) measureProfiles(trainers map[string]map[int]string, work string) error {
	s := r.settings
	r.profiles = map[string]stepProfile{}
	for _, m := range s.models {
		steps := m.steps
		if s.steps > 0 {
			steps = s.steps
		}
		data := s.data
		if m.text != nil {
			data = r.corpus
		}
		path := filepath.Join(work, m.name+"-profile.json")
		r.observeLoad()
		c := command{
			env:  withEnv(os.Environ(), []string{"GOMAXPROCS=" + strconv.Itoa(profileThreads)}),
			name: trainers[m.name][m.batch],
			args: []string{"bench", "-data", data, "-warmup", strconv.Itoa(m.warmup), "-steps", strconv.Itoa(steps), "-profile", path},
		}
		if _, err := c.run(); err != nil {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var p stepProfile
		if err := json.Unmarshal(content, &p); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		r.profiles[m.name] = p
	}
	return nil
}

// writeProfiles renders the profiles: per model, each kind's share of the
// step and the products' rate.
func (r *report) writeProfiles(b *strings.Builder) {
	fmt.Fprintf(b, "### Where the step goes (`-profile`, %d threads, one run after the rounds)\n\n", profileThreads)
	b.WriteString("Each kind's share of a training step (see \"Where a step's time goes\" below); GFLOP/s is the products'.\n\n")
	b.WriteString("| model | ms/step | " + strings.Join(rt.KernelKinds, " | ") + " | product GFLOP/s |\n")
	b.WriteString("|---|---:|" + strings.Repeat("---:|", len(rt.KernelKinds)+1) + "\n")
	names := make([]string, 0, len(r.profiles))
	for _, m := range r.settings.models {
		if _, ok := r.profiles[m.name]; ok {
			names = append(names, m.name)
		}
	}
	for _, name := range names {
		p := r.profiles[name]
		cells := []string{name, fmt.Sprintf("%.2f", p.MsPerStep)}
		rate := "–"
		for _, kind := range rt.KernelKinds {
			i := slices.IndexFunc(p.Kinds, func(k kindShare) bool { return k.Kind == kind })
			if i < 0 {
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, fmt.Sprintf("%.1f%%", 100*p.Kinds[i].Share))
			if kind == rt.KindProduct && p.Kinds[i].GFLOPs > 0 {
				rate = fmt.Sprintf("%.0f", p.Kinds[i].GFLOPs)
			}
		}
		b.WriteString("| " + strings.Join(append(cells, rate), " | ") + " |\n")
	}
	b.WriteString("\n")
}
