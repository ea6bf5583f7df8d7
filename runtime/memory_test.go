package runtime

import (
	"errors"
	"runtime/debug"
	"testing"
)

func TestWithTightGCRestoresTheSetting(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	inside := 0
	failed := errors.New("failed")
	err := withTightGC(func() error {
		inside = debug.SetGCPercent(tightGCPercent)
		return failed
	})
	if inside != tightGCPercent {
		t.Errorf("GOGC while loading is %d, want %d", inside, tightGCPercent)
	}
	if err != failed {
		t.Errorf("error %v, want the function's own", err)
	}
	if after := debug.SetGCPercent(77); after != 77 {
		t.Errorf("GOGC after loading is %d, want the 77 set before", after)
	}
}
