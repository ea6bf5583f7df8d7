package runtime

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// summary is the few lines that end a run: the best epoch, the last
// epoch's figures and the files the run leaves behind.
type summary struct {
	opts    options
	ckpt    *checkpointer
	epochs  int // trained by this run
	seconds float64
	last    EpochMetrics
	best    EpochMetrics // the lowest validation loss of this run
}

// record is an epochHook.
func (s *summary) record(m EpochMetrics) error {
	if m.HasVal && (s.best.Epoch == 0 || m.ValLoss < s.best.ValLoss) {
		s.best = m
	}
	s.last = m
	s.epochs++
	s.seconds += m.Seconds
	return nil
}

// print writes the summary, when this run trained an epoch.
func (s *summary) print(w io.Writer) {
	if s.epochs == 0 {
		return
	}
	unit := "epochs"
	if s.epochs == 1 {
		unit = "epoch"
	}
	fmt.Fprintf(w, "summary: %d %s trained in %.1fs\n", s.epochs, unit, s.seconds)
	if line := s.bestLine(); line != "" {
		fmt.Fprintf(w, "  best:  %s\n", line)
	}
	fmt.Fprintf(w, "  final: epoch %d  %s\n", s.last.Epoch, formatFigures(s.last))
	files := s.files()
	if len(files) == 0 {
		files = []string{"none"}
	}
	fmt.Fprintf(w, "  files: %s\n", strings.Join(files, ", "))
	if s.opts.ckpt.path == "" {
		fmt.Fprintln(w, "  no weights were kept: pass -checkpoint FILE to keep them")
	}
}

// bestLine describes the epoch of lowest validation loss. With -patience
// the early-stopping record counts the epochs of a resumed run's earlier
// part too.
func (s *summary) bestLine() string {
	early := s.ckpt.early
	if s.opts.ckpt.patience > 0 && early.BestEpoch > 0 && early.BestEpoch != s.best.Epoch {
		return fmt.Sprintf("epoch %d  val_loss %.4f", early.BestEpoch, early.BestLoss)
	}
	if s.best.Epoch == 0 {
		return ""
	}
	line := fmt.Sprintf("epoch %d  val_loss %.4f", s.best.Epoch, s.best.ValLoss)
	if s.best.HasAcc {
		line += fmt.Sprintf("  val_acc %.2f%%", 100*s.best.ValAcc)
	}
	return line
}

// files lists the outputs that exist at the end of the run.
func (s *summary) files() []string {
	paths := []string{s.opts.metricsPath, s.opts.plotPath(), "", s.opts.ckpt.path}
	if plot := s.opts.plotPath(); plot != "" {
		paths[2] = confusionPlotPath(plot)
	}
	if s.opts.ckpt.patience > 0 && s.opts.ckpt.path != "" {
		paths = append(paths, s.opts.ckpt.best())
	}
	var out []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
