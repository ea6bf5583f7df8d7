package runtime

import "runtime/debug"

// tightGCPercent is the collector's GOGC while data is loaded and input
// transforms are fitted.
const tightGCPercent = 25

// withTightGC runs f with the collector keeping garbage to a quarter of the
// live heap. Loading and fitting make short-lived buffers (a CSV's growing
// columns, a whitening fit's d×d matrices); at the default setting they
// pile up to as much again as the data set before the first collection
// and set the trainer's peak memory. Training steps allocate nothing, so
// the setting is restored before them and costs them nothing.
func withTightGC(f func() error) error {
	defer debug.SetGCPercent(debug.SetGCPercent(tightGCPercent))
	return f()
}
