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
}

// step is a stepHook: it moves the bar to the position after a step.
func (p *progress) step(pos position) error {
	epoch := pos.epoch + 1
	if p.bar == nil || epoch != p.epoch {
		p.start(epoch)
	}
	// The bar's errors are about drawing; a training run does not stop
	// for them.
	_ = p.bar.Set(pos.batch * p.t.spec.Batch)
	p.bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f", epoch, p.t.opts.epochs, pos.lossSum/float64(pos.batch)))
	if pos.batch >= p.batches {
		_ = p.bar.Finish()
		p.bar = nil
	}
	return nil
}

func (p *progress) start(epoch int) {
	p.epoch, p.batches = epoch, p.t.trainB.Batches()
	p.bar = progressbar.NewOptions(max(p.batches*p.t.spec.Batch, 1),
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
