package kernels

import (
	"sync/atomic"
	"time"
)

// The time callers of split kernels spend waiting for the other goroutine's
// last chunks, summed while a profile asks for it (the trainer's -profile).
// Off, a split call pays one atomic load.
var waits struct {
	measured atomic.Bool
	total    atomic.Int64 // nanoseconds
}

// MeasureWaits turns the measurement of Waited on or off.
func MeasureWaits(on bool) { waits.measured.Store(on) }

// Waited is the time split calls have waited for the other goroutine
// while MeasureWaits was on.
func Waited() time.Duration { return time.Duration(waits.total.Load()) }

// awaitMeasured is await, timed when MeasureWaits is on.
func (h *helper[F]) awaitMeasured(n int) {
	if !waits.measured.Load() {
		h.await(n)
		return
	}
	start := time.Now()
	h.await(n)
	waits.total.Add(int64(time.Since(start)))
}
