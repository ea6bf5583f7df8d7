package runtime

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal, where a progress bar can
// redraw itself; anywhere else (a file, a pipe, a test) it would leave a
// trail of partial lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws one bar per epoch: samples trained, the running training
// loss, samples per second and the time left in the epoch. The bar clears
// itself when the epoch's last batch is done, so the epoch's summary line
// takes its place.
type progress struct {
	w        io.Writer
	t        *trainer
	throttle time.Duration // least time between redraws
	bar      *progressbar.ProgressBar
	epoch    int
	batches  int
	// skipped is the batches of this epoch trained before a resume: the
	// bar counts only the rest, so that its rate and time left are this
	// run's.
	skipped int
}

// step is a stepHook: it moves the bar to the position after a step.
func (p *progress) step(pos position) error {
	epoch := pos.epoch + 1
	if p.bar == nil || epoch != p.epoch {
		p.start(epoch, pos.batch-1)
	}
	// The bar's errors are about drawing; a training run does not stop
	// for them.
	_ = p.bar.Set((pos.batch - p.skipped) * p.t.spec.Batch)
	desc := fmt.Sprintf("epoch %d/%d  loss %.4f", epoch, p.t.opts.epochs, pos.lossSum/float64(pos.batch))
	if p.skipped > 0 {
		desc += fmt.Sprintf("  (resumed after batch %d)", p.skipped)
	}
	p.bar.Describe(desc)
	if pos.batch >= p.batches {
		_ = p.bar.Finish()
		p.bar = nil
	}
	return nil
}

// start draws a new bar for epoch, whose first skipped batches were
// trained before a resume.
func (p *progress) start(epoch, skipped int) {
	p.epoch, p.batches, p.skipped = epoch, p.t.trainB.Batches(), skipped
	p.bar = progressbar.NewOptions(max((p.batches-skipped)*p.t.spec.Batch, 1),
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("samples"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(p.throttle),
		progressbar.OptionClearOnFinish(),
	)
}

// stop clears a bar left unfinished when training ends early (a signal, a
// divergence), so that the message that follows starts on a clean line.
func (p *progress) stop() {
	if p.bar != nil {
		_ = p.bar.Clear()
		p.bar = nil
	}
}
