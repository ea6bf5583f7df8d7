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
	return fmt.Sprintf("training %s: train %s  val %s%s  test %s  batch %d  epochs %d  seed %d",
		spec.Name, formatCount(data.train.Len()), formatCount(data.val.Len()), describeSplit(spec, data.val),
		formatCount(data.test.Len()), spec.Batch, opts.epochs, opts.seed)
}

// formatEpoch is the readable one-line summary of an epoch.
func formatEpoch(m EpochMetrics, epochs int) string {
	return fmt.Sprintf("epoch %d/%d  %s  %s samples/s  %.1fs", m.Epoch, epochs, formatFigures(m),
		formatCount(int(math.Round(m.SamplesPerSec))), m.Seconds)
}

// formatFigures is an epoch's losses and accuracies.
func formatFigures(m EpochMetrics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "train_loss %.4f", m.TrainLoss)
	if m.HasTrainEval && m.HasAcc {
		fmt.Fprintf(&b, "  train_acc %.2f%%", 100*m.TrainAcc)
	}
	if m.HasVal {
		fmt.Fprintf(&b, "  val_loss %.4f", m.ValLoss)
		if m.HasAcc {
			fmt.Fprintf(&b, "  val_acc %.2f%%", 100*m.ValAcc)
		}
		if m.HasTrainEval && m.HasAcc {
			fmt.Fprintf(&b, " (gap %+.2f)", 100*(m.TrainAcc-m.ValAcc))
		}
	}
	if m.HasTest {
		if m.HasAcc {
			fmt.Fprintf(&b, "  test_acc %.2f%%", 100*m.TestAcc)
		} else {
			fmt.Fprintf(&b, "  test_loss %.4f", m.TestLoss)
		}
	}
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

// describeSplit says how validation was held out, when not at random.
func describeSplit(spec Spec, val Subset) string {
	switch spec.SplitBy {
	case SplitClass:
		return " (stratified by class)"
	case SplitGroup:
		groups := map[int]bool{}
		for _, i := range val.Idx {
			groups[val.DS.Groups[i]] = true
		}
		return fmt.Sprintf(" (%s whole groups)", formatCount(len(groups)))
	}
	return ""
}
