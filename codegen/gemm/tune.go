package gemm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A product's split as a decision of `dlc build -tune`: the key naming it,
// its candidates, the choice of the cost model, the choice applied, and
// the case of the timing program that measures the candidates.

// splitKey is the decision key of p's split: its form and shape (not its
// epilogue, which costs the same either way, so that a product fused or
// not, and the workspace sized from the unfused graph, agree) and the
// candidates.
func (p Product) splitKey() string {
	return fmt.Sprintf("split/gemm/%s/%v/%dx%dx%d/%s", p.form(), p.F32, p.M, p.K, p.N, strings.Join(p.candidateNames(), ","))
}

// candidateNames are p's split candidates as tuning choices.
func (p Product) candidateNames() []string {
	var out []string
	for _, s := range p.splitCandidates() {
		out = append(out, s.String())
	}
	return out
}

// Tuned is p with the split tuning (decision keys to choices) chose for
// it, when p is a matmul node's product and the choice is one of its
// candidates; else p as it is.
func (p Product) Tuned(tuning map[string]string) Product {
	if !p.node || p.tuned != nil {
		return p
	}
	choice, ok := tuning[p.splitKey()]
	if !ok {
		return p
	}
	s, err := parseSplitPlan(choice)
	if err != nil || !slices.Contains(p.splitCandidates(), s) {
		return p
	}
	p.tuned = &s
	return p
}

// Decision is the split of p as a decision -tune may make: its key, the
// candidates ("serial" first) and the cost model's choice. ok is false for
// a product whose split is not tuned (a convolution's).
func (p Product) Decision() (key string, candidates []string, model string, ok bool) {
	if !p.node {
		return "", nil, "", false
	}
	return p.splitKey(), p.candidateNames(), p.modelPlan().String(), true
}

// TimingCase writes the timing program's case measuring p's split
// candidates under the decision key: the driver of the kernel named kernel
// over the whole output, or kernels.Run2 with the candidate's chunks.
func (p Product) TimingCase(w *strings.Builder, key, kernel string) {
	part := kernel + "_part"
	if !p.F32 {
		part = kernel + "_scalar"
	}
	a, b, cc := p.operandSizes()
	fmt.Fprintf(w, "\tif want(%s) {\n\t\tx := kernels.Args[Float]{C: dlcTuneFloats(%d), A: dlcTuneFloats(%d), B: dlcTuneFloats(%d)}\n", strconv.Quote(key), cc, a, b)
	if p.Epi.Bias {
		fmt.Fprintf(w, "\t\tx.Bias = dlcTuneFloats(%d)\n", p.N)
	}
	for i := range p.Epi.Extra {
		fmt.Fprintf(w, "\t\tx.X[%d] = dlcTuneFloats(%d)\n", i, cc)
	}
	fmt.Fprintf(w, "\t\tws := dlcTuneFloats(%d)\n", 2*p.scratch())
	fmt.Fprintf(w, "\t\tadd(%s, []func(){\n", strconv.Quote(key))
	for _, cand := range p.splitCandidates() {
		if !cand.parallel() {
			fmt.Fprintf(w, "\t\t\tfunc() { %s(x, ws, 0, %d, 0, %d) },\n", part, p.M, p.N)
			continue
		}
		fmt.Fprintf(w, "\t\t\tfunc() { kernels.Run2(%s, x, ws, kernels.Split{Rows: %d, Cols: %d, ByCols: %v, Chunk: %d, Scratch: %d}) },\n",
			part, p.M, p.N, cand.byCols, cand.chunk, p.scratch())
	}
	w.WriteString("\t\t})\n\t}\n")
}
