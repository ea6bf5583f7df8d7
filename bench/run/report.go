package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// markdown renders the report: the setting, then one table per measure.
func (r *report) markdown() string {
	var b strings.Builder
	r.writeSetting(&b)
	r.writeTraining(&b)
	if len(r.profiles) > 0 {
		r.writeProfiles(&b)
	}
	r.writeInference(&b)
	r.writeText(&b)
	if r.gemm != nil {
		r.writeGEMM(&b)
	}
	if len(r.accuracy) > 0 {
		r.writeAccuracy(&b)
	}
	if r.underLoad != nil {
		r.writeUnderLoad(&b)
	}
	return b.String()
}

func (r *report) writeSetting(b *strings.Builder) {
	s := r.settings
	m := r.machine
	fmt.Fprintf(b, "Measured %s with `go run ./bench/run %s`: %s, dlc and PyTorch alternating; every figure is the median over the rounds.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), strings.Join(s.args, " "), plural(s.rounds, "round"))
	fmt.Fprintf(b, "- Machine: %s (%s family %s model %s), %s CPUs", orDash(m.model), orDash(m.vendor), orDash(m.family), orDash(m.cpuModel), orDash(m.cpus))
	if m.hypervisor != "" {
		fmt.Fprintf(b, " under %s", m.hypervisor)
	}
	fmt.Fprintf(b, ", %s; L1d %s, L2 %s, L3 %s; clock reported %.0f MHz.\n", orDash(m.memory), orDash(m.l1d), orDash(m.l2), orDash(m.l3), m.mhz)
	fmt.Fprintf(b, "- Vector flags: %s.\n", strings.Join(m.simdFlags, " "))
	fmt.Fprintf(b, "- Load (1-minute average, read before each run; other work shares the machine): %s.\n", r.loadSummary())
	fmt.Fprintf(b, "- Software: %s", orDash(r.dlcVersion))
	if r.source != "" {
		fmt.Fprintf(b, " built from %s", r.source)
	}
	fmt.Fprintf(b, ", %s; PyTorch %s; OpenBLAS kernels chosen:", runtime.Version(), r.torchVersion)
	for i, cfg := range torchConfigs {
		if i < len(r.openBLASCore) {
			fmt.Fprintf(b, " %s → %s;", cfg.label, r.openBLASCore[i])
		}
	}
	b.WriteString("\n")
	if r.gemm != nil {
		kind := "scalar Go (no SIMD)"
		if r.gemm.dlc.simd {
			kind = "Go with SIMD (simd/archsimd)"
		}
		fmt.Fprintf(b, "- dlc's generated kernels: %s.\n", kind)
	}
	fmt.Fprintf(b, "- Runs took %s in all.\n\n", r.finished.Sub(r.started).Round(1e9))
}

func (r *report) loadSummary() string {
	if len(r.loads) == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f at the start, ", r.loads[0]) + loadRange(r.loads)
}

func (r *report) writeTraining(b *strings.Builder) {
	b.WriteString("### Training\n\n")
	b.WriteString("Samples per second over the timed steps (warm-up excluded). The ratio is dlc ÷ PyTorch: above 1, dlc is faster. Threads are the cores each side may use: dlc's `-threads`, PyTorch's `set_num_threads` with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to match. Peak RSS is the whole process's (MiB), MNIST included (dlc holds its images as bytes, PyTorch as float32 tensors).\n\n")
	b.WriteString("| model | threads | dlc | " + torchHeads("") + " | " + torchHeads("dlc ÷ ") + " | peak RSS dlc | " + torchHeads("peak RSS ") + " |\n")
	b.WriteString("|---|---|---:|" + strings.Repeat("---:|", 3*len(torchConfigs)+1) + "\n")
	for _, m := range r.measuredModels(false) {
		r.writeTrainingRows(b, m, 1, nil)
	}
	b.WriteString("\nModels: ")
	var recipes []string
	for _, m := range r.measuredModels(false) {
		recipes = append(recipes, fmt.Sprintf("%s = %s (%s)", m.name, m.recipe, m.file))
	}
	b.WriteString(strings.Join(recipes, "; ") + ".\n\n")
}

// writeTrainingRows writes model m's training rows, one per thread count
// and, with more than one, the best of each side: rates are samples/s
// times perSample, and extra (when not nil) gives the columns that follow
// the ratios for a rate of dlc's in samples/s.
func (r *report) writeTrainingRows(b *strings.Builder, m benchModel, perSample float64, extra func(samplesPerSec float64) string) {
	withExtra := func(row []string, d float64) []string {
		if extra != nil {
			row = append(row, extra(d))
		}
		return row
	}
	bestDLC, bestTorch := 0.0, map[string]float64{}
	for _, t := range r.settings.threads {
		c := r.cells[cellKey{m.name, t}]
		if c == nil {
			continue
		}
		d := median(c.dlcTrain)
		bestDLC = max(bestDLC, d)
		row := []string{m.name, strconv.Itoa(t), rate(d * perSample)}
		var ratios, rss []string
		for _, cfg := range torchConfigs {
			tr := median(c.torchTrain[cfg.key])
			bestTorch[cfg.key] = max(bestTorch[cfg.key], tr)
			row = append(row, rate(tr*perSample))
			ratios = append(ratios, times(ratio(d, tr)))
			rss = append(rss, whole(median(c.torchRSS[cfg.key])))
		}
		row = append(append(withExtra(append(row, ratios...), d), whole(median(c.dlcRSS))), rss...)
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	if len(r.settings.threads) > 1 {
		row := []string{m.name, "best of each", rate(bestDLC * perSample)}
		var ratios []string
		for _, cfg := range torchConfigs {
			row = append(row, rate(bestTorch[cfg.key]*perSample))
			ratios = append(ratios, "**"+times(ratio(bestDLC, bestTorch[cfg.key]))+"**")
		}
		row = withExtra(append(row, ratios...), bestDLC)
		for range 1 + len(torchConfigs) { // no memory figure for this row
			row = append(row, "")
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
}

func (r *report) writeInference(b *strings.Builder) {
	b.WriteString("### Inference\n\n")
	b.WriteString("Predictions per second on the test set in evaluation form (dlc: the inference graph, compiled for that batch size; at batch 1, the model's own build with `-infer-batch 1`, timed over Predict calls on one row; PyTorch: `eval()` under `inference_mode`, a call per batch).\n\n")
	b.WriteString("| model | batch | threads | dlc | " + torchHeads("") + " | " + torchHeads("dlc ÷ ") + " |\n")
	b.WriteString("|---|---:|---|---:|" + strings.Repeat("---:|", 2*len(torchConfigs)) + "\n")
	for _, m := range r.measuredModels(false) {
		for _, ib := range inferBatches {
			for _, t := range r.settings.threads {
				c := r.cells[cellKey{m.name, t}]
				if c == nil {
					continue
				}
				d := median(c.dlcInfer[ib.batch])
				row := []string{m.name, strconv.Itoa(ib.batch), strconv.Itoa(t), rate(d)}
				var ratios []string
				for _, cfg := range torchConfigs {
					tr := median(c.torchInfer[cfg.key][ib.batch])
					row = append(row, rate(tr))
					ratios = append(ratios, times(ratio(d, tr)))
				}
				b.WriteString("| " + strings.Join(append(row, ratios...), " | ") + " |\n")
			}
		}
	}
	b.WriteString("\n")
	for _, n := range r.notes {
		b.WriteString("- " + n + "\n")
	}
	if len(r.notes) > 0 {
		b.WriteString("\n")
	}
}

func (r *report) writeGEMM(b *strings.Builder) {
	g := r.gemm
	b.WriteString("### GEMM kernels\n\n")
	b.WriteString("GFLOP/s at the MLP's shapes (M×K×N of c[M,N] = op(a)·op(b), row-major; 2·M·K·N flops per call): dlc's generated kernels, with whatever epilogue the compiler fused into them, from a Go benchmark (GOMAXPROCS 1 and 2), OpenBLAS `cblas_sgemm` from bench/c/sgemm.c (OPENBLAS_NUM_THREADS 1 and 2) in each PyTorch configuration's setting.\n\n")
	head := "| product | M×K×N | what | dlc kernel | dlc 1 thread | dlc 2 threads |"
	sep := "|---|---|---|---|---:|---:|"
	for _, cfg := range torchConfigs {
		label := strings.TrimPrefix(cfg.label, "torch ")
		head += fmt.Sprintf(" OpenBLAS %s, 1 thread | 2 threads |", label)
		sep += "---:|---:|"
	}
	b.WriteString(head + "\n" + sep + "\n")
	for _, s := range gemmShapes {
		kernel := "–"
		if k, ok := g.dlc.kernels[s.name]; ok {
			kernel = "`" + k + "`"
		}
		row := []string{s.name, s.dims(), s.what, kernel, gflops(g.dlc.rates[s.name][1]), gflops(g.dlc.rates[s.name][2])}
		for _, cfg := range torchConfigs {
			rates := g.openBLAS[cfg.key][s.name]
			row = append(row, gflops(rates[1]), gflops(rates[2]))
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	if len(g.dlc.missing) > 0 {
		fmt.Fprintf(b, "\nNot measured: the generated code has no callable kernel %s.\n", strings.Join(g.dlc.missing, ", "))
	}
	b.WriteString("\nFMA ceiling (float32): ")
	if nominal, assumption := r.machine.nominalFMA(); nominal > 0 {
		fmt.Fprintf(b, "nominal %.0f GFLOP/s per core at the reported clock (%s); ", nominal, assumption)
	}
	var measured []string
	for _, width := range []int{256, 512} {
		var byThreads []string
		for _, t := range sortedThreads(g.peak[width]) {
			byThreads = append(byThreads, fmt.Sprintf("%s (%s)", gflops(g.peak[width][t]), plural(t, "thread")))
		}
		if len(byThreads) > 0 {
			measured = append(measured, fmt.Sprintf("%d-bit %s", width, strings.Join(byThreads, ", ")))
		}
	}
	if len(measured) == 0 {
		measured = []string{"unknown"}
	}
	fmt.Fprintf(b, "measured with independent FMA chains in C (bench/c/fmapeak.c), GFLOP/s in all: %s.\n\n", strings.Join(measured, "; "))
}

func (r *report) writeAccuracy(b *strings.Builder) {
	s := r.settings
	b.WriteString("### Accuracy\n\n")
	fmt.Fprintf(b, "MNIST test accuracy after each of %s, one run each with the model file's seed (dlc: `TRAINER -epochs %d`, GOMAXPROCS %d; PyTorch as shipped, 1 thread, the same recipe). Runs of different seeds differ by a few tenths of a percent.\n\n",
		plural(s.accEpochs, "epoch"), s.accEpochs, accuracyThreads)
	b.WriteString("| model | side |")
	sep := "|---|---|"
	for e := 1; e <= s.accEpochs; e++ {
		fmt.Fprintf(b, " epoch %d |", e)
		sep += "---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, m := range s.accModels {
		acc, ok := r.accuracy[m.name]
		if !ok {
			continue
		}
		for _, side := range []struct {
			name string
			acc  []float64
		}{{"dlc", acc.dlc}, {"PyTorch", acc.torch}} {
			row := []string{m.name, side.name}
			for e := range s.accEpochs {
				cell := "–"
				if e < len(side.acc) {
					cell = fmt.Sprintf("%.2f%%", 100*side.acc[e])
				}
				row = append(row, cell)
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	b.WriteString("\n")
}

// measuredModels are the measured models that train on text (the token
// models, which have a section of their own) or, with text false, on MNIST.
func (r *report) measuredModels(text bool) []benchModel {
	var ms []benchModel
	for _, m := range r.settings.models {
		if (m.text != nil) == text {
			ms = append(ms, m)
		}
	}
	return ms
}

// torchHeads is one column heading per PyTorch configuration.
func torchHeads(prefix string) string {
	var h []string
	for _, cfg := range torchConfigs {
		h = append(h, prefix+cfg.label)
	}
	return strings.Join(h, " | ")
}

// rate formats samples/s with thousands separators; a dash when unknown.
func rate(v float64) string {
	if v <= 0 {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func times(v float64) string {
	if v <= 0 {
		return "–"
	}
	if v < 0.1 {
		return fmt.Sprintf("%.3f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

func gflops(v float64) string {
	if v <= 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func whole(v float64) string {
	if v <= 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
