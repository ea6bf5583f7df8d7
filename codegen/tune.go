package codegen

import (
	"fmt"

	"github.com/dlc-dev/dlc/codegen/gemm"
	"github.com/dlc-dev/dlc/ir"
)

// Choices measured by `dlc build -tune`. Each decision point of a model's
// kernels (a product's split, an Adam update's split) has a key naming the
// kernel's shape and the candidates; Options.Tuning maps keys to the
// measured choice, and a decision without one (or with a choice that is
// not among its candidates) is the cost model's (codegen/gemm's cost.go). The
// timing program that measures the candidates is tune_program.go's.

// Tuning maps decision keys to choices: a split plan ("serial", "cols:64",
// "rows:32") for a product, "serial" or "split" for an update.
type Tuning map[string]string

// Decision is one choice -tune may make.
type Decision struct {
	Key        string   // the kernel's shape and the candidates
	Kernel     string   // the generated function it shapes
	Candidates []string // the choices, "serial" first
	Model      string   // the cost model's choice
}

// tunable is a decision with what the timing program needs to time it.
type tunable struct {
	Decision
	gemm  *gemm.Product // a product, emitted as Kernel
	adamN int           // an Adam update of this many elements
}

// Choices of an update's split.
const (
	choiceSerial = "serial"
	choiceSplit  = "split"
)

// adamSplitKey is the decision key of an Adam update's split.
func adamSplitKey(size int) string {
	return fmt.Sprintf("split/adam/%d/%s,%s", size, choiceSerial, choiceSplit)
}

// tunedWorkspaceFloats is workspaceFloats with the generator's tuning.
func (c *gen) tunedWorkspaceFloats(graphs ...*ir.Graph) int {
	return workspaceFloatsWith(c.opt.Tuning, graphs...)
}

// noteGemm records the split of the product p, emitted as name, as a
// decision -tune may make.
func (c *gen) noteGemm(p gemm.Product, name string) {
	key, candidates, model, ok := p.Decision()
	if !ok {
		return
	}
	c.note(tunable{Decision: Decision{Key: key, Kernel: name, Candidates: candidates, Model: model}, gemm: &p})
}

// note adds t unless a decision of its key is already noted.
func (c *gen) note(t tunable) {
	if len(t.Candidates) < 2 {
		return
	}
	for _, have := range c.tunables {
		if have.Key == t.Key {
			return
		}
	}
	c.tunables = append(c.tunables, t)
}

// splitsUpdate reports whether a float32 Adam update of size elements runs
// on two goroutines: as tuned, else as the cost model estimates.
func (c *gen) splitsUpdate(size int) bool {
	model := gemm.AdamSplitPays(size)
	if size > gemm.AdamChunk {
		d := Decision{Key: adamSplitKey(size), Kernel: fmt.Sprintf("Adam update of %d elements", size),
			Candidates: []string{choiceSerial, choiceSplit}, Model: choiceSerial}
		if model {
			d.Model = choiceSplit
		}
		c.note(tunable{Decision: d, adamN: size})
	}
	switch c.opt.Tuning[adamSplitKey(size)] {
	case choiceSerial:
		return false
	case choiceSplit:
		return size > gemm.AdamChunk
	}
	return model
}

// Decisions lists the choices -tune may make for the model, in the order
// their kernels are emitted: Generate's output with opt.Tuning applied.
func Decisions(g *ir.Graph, opt Options) ([]Decision, error) {
	c, err := generated(g, opt)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, len(c.tunables))
	for i, t := range c.tunables {
		out[i] = t.Decision
	}
	return out, nil
}

// generated is a generator that has registered every kernel of the model.
func generated(g *ir.Graph, opt Options) (*gen, error) {
	opt.Source = displaySource(opt.Source)
	c, err := newGen(g, opt)
	if err != nil {
		return nil, err
	}
	c.stepsFile()
	c.modelFile()
	return c, nil
}
