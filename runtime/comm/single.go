//go:build !mpi

package comm

import (
	"fmt"
	"os"
)

// World returns the run's communicator: in a build without the mpi tag,
// one process alone.
func World() (Comm, error) { return single{}, nil }

// Enabled reports whether this build can run on more than one process.
const Enabled = false

// single is a run of one process: every collective is already complete.
type single struct{}

func (single) Rank() int                        { return 0 }
func (single) Size() int                        { return 1 }
func (single) AllreduceSum(buf []float32) error { return nil }
func (single) Barrier() error                   { return nil }
func (single) Close() error                     { return nil }

func (single) Allgather(part, all []float32) error {
	if err := checkGather(part, all, 1); err != nil {
		return err
	}
	copy(all, part)
	return nil
}

func (single) Broadcast(buf []byte, root int) error { return checkRoot(root, 1) }

func (single) Abort(code int, msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}
