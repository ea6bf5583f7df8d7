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

// textModel is what the benchmark knows of a GPT-shaped token model: its
// PyTorch script (in bench/) and the shape its FLOPs are counted from.
type textModel struct {
	script                                string
	layers, width, hidden, context, vocab int
}

// matmulParams are the parameters that take part in matrix products:
// all but the token and position tables, which are looked up.
func (t textModel) matmulParams() int {
	c, h := t.width, t.hidden
	block := 2*2*c + // two layer norms
		c*3*c + 3*c + // qkv
		c*c + c + // attention output projection
		c*h + h + h*c + c // the MLP
	return t.layers*block + 2*c + c*t.vocab + t.vocab
}

// flopsPerToken is a training step's floating-point work per token
// counted as in PaLM's appendix B (Chowdhery et al., 2022): 6 per
// parameter of the matrix products (forward, and the two products of the
// backward pass) plus 12·layers·width·context for attention's two
// products, forward and backward; the causal mask's unneeded half is
// counted, as there.
func (t textModel) flopsPerToken() float64 {
	return 6*float64(t.matmulParams()) + 12*float64(t.layers*t.width*t.context)
}

// writeCorpus writes the text the token models train on: the trainer's
// own default (runtime.GoSourceText), so that both sides read the same
// bytes from one file.
func writeCorpus(work string) (path, about string, err error) {
	text, about, err := runtime.GoSourceText()
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(work, "gpt-corpus.txt")
	return path, about, os.WriteFile(path, text, 0o644)
}

// curvePoint is a validation loss (mean nats per token) after some steps.
type curvePoint struct {
	Step    int
	ValLoss float64
}

// quality is the validation curve of each side on the same corpus.
type quality struct {
	steps      int
	dlc, torch []curvePoint
}

// qualityEvery is how often (in steps) a quality run evaluates.
func qualityEvery(steps int) int { return max(1, steps/10) }

// dlcCurve trains with the trainer bin for steps steps, as a user would,
// and reads its validation curve from the metrics file.
func dlcCurve(bin, corpus, work string, steps int) ([]curvePoint, error) {
	content, err := trainForMetrics(bin, filepath.Join(work, filepath.Base(bin)+"-curve.jsonl"),
		"-data", corpus, "-steps", strconv.Itoa(steps), "-eval-every", strconv.Itoa(qualityEvery(steps)), "-runs", "")
	if err != nil {
		return nil, err
	}
	return valCurve(content)
}

// valCurve reads step and val_loss from each line of a metrics file.
func valCurve(jsonl []byte) ([]curvePoint, error) {
	var curve []curvePoint
	err := metricsLines(jsonl, func(line []byte) error {
		var m struct {
			Step    int      `json:"step"`
			ValLoss *float64 `json:"val_loss"`
		}
		if err := json.Unmarshal(line, &m); err != nil || m.ValLoss == nil {
			return fmt.Errorf("metrics line %q has no val_loss (%v)", line, err)
		}
		curve = append(curve, curvePoint{m.Step, *m.ValLoss})
		return nil
	})
	return curve, err
}

// torchCurve trains the PyTorch model (as shipped, one thread, as the
// accuracy runs) for steps steps and returns its validation curve.
func torchCurve(python, script, corpus string, steps int) ([]curvePoint, error) {
	c := command{
		env:  withEnv(torchEnv(torchConfigs[0]), []string{"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1"}),
		name: python,
		args: []string{script, "--data", corpus, "--threads", "1", "--warmup", "0", "--steps", strconv.Itoa(steps),
			"--eval-every", strconv.Itoa(qualityEvery(steps))},
		timeout: trainingTimeout,
	}
	p, err := c.run()
	if err != nil {
		return nil, err
	}
	var res struct {
		Curve [][2]float64 `json:"val_curve"`
	}
	if err := json.Unmarshal(p.stdout, &res); err != nil {
		return nil, fmt.Errorf("%s: unreadable result %q: %v", c, p.stdout, err)
	}
	var curve []curvePoint
	for _, pt := range res.Curve {
		curve = append(curve, curvePoint{int(pt[0]), pt[1]})
	}
	return curve, nil
}

// qualityTolerance is the largest difference between the two sides' final
// validation losses (nats per token) that counts as the same training.
const qualityTolerance = 0.05

// fmaCeiling is the two-core float32 FMA ceiling the GPT's throughput is
// measured against: the measured one when the GEMM runs measured it (the
// wider of 256- and 512-bit at 2 threads), else twice the nominal per-core
// peak; with how it was found.
func (r *report) fmaCeiling() (gflops float64, how string) {
	if r.gemm != nil {
		for _, width := range []int{256, 512} {
			gflops = max(gflops, r.gemm.peak[width][2])
		}
		if gflops > 0 {
			return gflops, "measured, 2 threads"
		}
	}
	if nominal, _ := r.machine.nominalFMA(); nominal > 0 {
		return 2 * nominal, "nominal, 2 cores"
	}
	return 0, "unknown"
}

// writeText reports the token models: training tokens/s against PyTorch,
// the fraction of the FMA ceiling, peak memory, and the validation curves.
func (r *report) writeText(b *strings.Builder) {
	ms := r.measuredModels(true)
	if len(ms) == 0 {
		return
	}
	b.WriteString("### GPT\n\n")
	ceiling, how := r.fmaCeiling()
	fmt.Fprintf(b, "Training tokens per second over the timed steps (warm-up excluded) on %s, threads as in the training table. FLOPs per token are counted as in PaLM's appendix B: 6 × the parameters of the matrix products + 12 × layers × width × context for attention; the ceiling is the two cores' float32 FMA rate (%s GFLOP/s, %s). Peak RSS in MiB.\n\n",
		orDash(r.corpusAbout), gflops(ceiling), how)
	b.WriteString("| model | threads | dlc | " + torchHeads("") + " | " + torchHeads("dlc ÷ ") + " | dlc % of ceiling | peak RSS dlc | " + torchHeads("peak RSS ") + " |\n")
	b.WriteString("|---|---|---:|" + strings.Repeat("---:|", 3*len(torchConfigs)+2) + "\n")
	for _, m := range ms {
		perSample := float64(m.text.context)
		ofCeiling := func(samplesPerSec float64) string {
			if ceiling <= 0 || samplesPerSec <= 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f%%", 100*samplesPerSec*perSample*m.text.flopsPerToken()/(ceiling*1e9))
		}
		r.writeTrainingRows(b, m, perSample, ofCeiling)
		fmt.Fprintf(b, "\n%s = %s (%s): %.2f MFLOP per token (%s matrix-product parameters).\n\n",
			m.name, m.recipe, m.file, m.text.flopsPerToken()/1e6, rate(float64(m.text.matmulParams())))
		if q, ok := r.quality[m.name]; ok {
			q.write(b, m)
		}
	}
	// The generation row (the trainer's `bench -sample` with its key/value
	// cache against bench/torch_generate.py recomputing the whole context
	// for every token, batch 1) goes here once bench/run runs both sides.
	b.WriteString("Generation speed (`bench -sample` with the key/value cache against PyTorch recomputing the context for every token, batch 1): not run by `make bench` yet; see \"Generation\" below this report.\n\n")
}

// write reports the validation curves of both sides of model m and
// whether their final losses agree.
func (q quality) write(b *strings.Builder, m benchModel) {
	fmt.Fprintf(b, "%s's validation loss (mean nats per token over the same held-out windows: the corpus's last 10%%, whole windows of %d bytes) during %d steps on each side from its own initialisation, with the same recipe and corpus (dlc: `TRAINER -steps %d -eval-every %d`, GOMAXPROCS %d; PyTorch as shipped, 1 thread; each side draws its own training windows):\n\n",
		m.name, m.text.context, q.steps, q.steps, qualityEvery(q.steps), accuracyThreads)
	b.WriteString("| step | dlc | PyTorch | dlc − PyTorch |\n|---:|---:|---:|---:|\n")
	torchAt := map[int]float64{}
	for _, p := range q.torch {
		torchAt[p.Step] = p.ValLoss
	}
	for _, p := range q.dlc {
		t, ok := torchAt[p.Step]
		if !ok {
			fmt.Fprintf(b, "| %d | %.4f | – | – |\n", p.Step, p.ValLoss)
			continue
		}
		fmt.Fprintf(b, "| %d | %.4f | %.4f | %+.4f |\n", p.Step, p.ValLoss, t, p.ValLoss-t)
	}
	if verdict, ok := q.verdict(); ok {
		fmt.Fprintf(b, "\n%s\n", verdict)
	}
	b.WriteString("\n")
}

// verdict compares the final validation losses with qualityTolerance.
func (q quality) verdict() (string, bool) {
	if len(q.dlc) == 0 || len(q.torch) == 0 {
		return "", false
	}
	d, t := q.dlc[len(q.dlc)-1], q.torch[len(q.torch)-1]
	if d.Step != t.Step {
		return fmt.Sprintf("The curves end at different steps (dlc %d, PyTorch %d).", d.Step, t.Step), true
	}
	diff := d.ValLoss - t.ValLoss
	within := "within"
	if diff > qualityTolerance || diff < -qualityTolerance {
		within = "not within"
	}
	return fmt.Sprintf("After %d steps: dlc %.4f, PyTorch %.4f nats per token, a difference of %+.4f, %s %.2f.", d.Step, d.ValLoss, t.ValLoss, diff, within, qualityTolerance), true
}
