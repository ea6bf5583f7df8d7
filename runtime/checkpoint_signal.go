package runtime

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// signalWatcher turns SIGINT and SIGTERM into a request to stop training
// after the current step. Only the first signal is caught: a second one
// ends the trainer at once, the default action (an interrupted checkpoint
// write leaves the previous checkpoint whole).
type signalWatcher struct {
	ch   chan os.Signal
	got  atomic.Value // the os.Signal received
	done chan struct{}
}

// signalsCaught counts the signals every watcher has caught, so that a
// test can wait for one to arrive instead of guessing how long it takes.
var signalsCaught atomic.Int64

func watchSignals() *signalWatcher {
	w := &signalWatcher{ch: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(w.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-w.ch:
			w.got.Store(sig)
			signalsCaught.Add(1)
			signal.Reset(os.Interrupt, syscall.SIGTERM)
		case <-w.done:
		}
	}()
	return w
}

// received returns the signal caught, or nil.
func (w *signalWatcher) received() os.Signal {
	sig, _ := w.got.Load().(os.Signal)
	return sig
}

// stop restores the default handling of the signals.
func (w *signalWatcher) stop() {
	signal.Stop(w.ch)
	close(w.done)
}

// interruptedError reports training stopped by a signal.
type interruptedError struct {
	sig     os.Signal
	epoch   int    // the epoch in progress (or just finished)
	step    int    // optimizer steps taken
	savedTo string // the checkpoint written, or "" when -checkpoint is off
	// runFolder: the checkpoint is in the run folder, which resuming
	// names with -checkpoint.
	runFolder bool
	// follower: a rank other than 0 of a data-parallel run, which saves
	// nothing itself.
	follower bool
	// kept: the checkpoint was not saved at the signal (ZeRO stage 1's
	// sharded moments): savedTo holds the last one saved.
	kept bool
}

func (e *interruptedError) Error() string {
	msg := fmt.Sprintf("interrupted by %s in epoch %d after step %d", signalName(e.sig), e.epoch, e.step)
	if e.follower {
		return msg + "; rank 0 saves the run's checkpoint"
	}
	if e.savedTo == "" {
		return msg + "; no checkpoint written (pass -checkpoint FILE to keep progress)"
	}
	if e.kept {
		return msg + "; with -zero a signal saves nothing, and " + e.savedTo + " keeps the last checkpoint saved: run again with -resume to continue from it"
	}
	if e.runFolder {
		return msg + "; checkpoint saved to " + e.savedTo + ": run again with -checkpoint " + e.savedTo + " -resume to continue"
	}
	return msg + "; checkpoint saved to " + e.savedTo + ": run again with -resume to continue"
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// exitStatus is the trainer's exit status for a failed run: 128 plus the
// signal number for a run stopped by a signal (130 for SIGINT, 143 for
// SIGTERM, as shells report a process killed by one), 1 for any other
// failure.
func exitStatus(err error) int {
	var ie *interruptedError
	if errors.As(err, &ie) {
		switch ie.sig {
		case os.Interrupt:
			return 130
		case syscall.SIGTERM:
			return 143
		}
	}
	return 1
}
