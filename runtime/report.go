package runtime

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// describeRun is the line printed before training starts.
func describeRun(spec Spec, opts options, data splits) string {
	return fmt.Sprintf("training %s: train %s  val %s  test %s  batch %d  epochs %d  seed %d",
		spec.Name, formatCount(data.train.Len()), formatCount(data.val.Len()), formatCount(data.test.Len()),
		spec.Batch, opts.epochs, opts.seed)
}

// formatEpoch is the readable one-line summary of an epoch.
func formatEpoch(m EpochMetrics, epochs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d  train_loss %.4f", m.Epoch, epochs, m.TrainLoss)
	if m.HasVal {
		fmt.Fprintf(&b, "  val_loss %.4f", m.ValLoss)
		if m.HasAcc {
			fmt.Fprintf(&b, "  val_acc %.2f%%", 100*m.ValAcc)
		}
	}
	if m.HasTest {
		if m.HasAcc {
			fmt.Fprintf(&b, "  test_acc %.2f%%", 100*m.TestAcc)
		} else {
			fmt.Fprintf(&b, "  test_loss %.4f", m.TestLoss)
		}
	}
	fmt.Fprintf(&b, "  %s samples/s  %.1fs", formatCount(int(math.Round(m.SamplesPerSec))), m.Seconds)
	return b.String()
}

// consoleHook prints each epoch's summary to w.
func consoleHook(w io.Writer, epochs int) epochHook {
	return func(m EpochMetrics) error {
		_, err := fmt.Fprintln(w, formatEpoch(m, epochs))
		return err
	}
}

// formatCount writes n with thousands separators: 12,345.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}
