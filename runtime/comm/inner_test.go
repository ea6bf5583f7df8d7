//go:build mpi

package comm

import (
	"math"
	"testing"
)

// contribution is rank r's element i: values of very different sizes and
// signs, so that any other order of addition would round differently.
func contribution(r, i int) float32 {
	x := math.Sin(float64(r*7919+i*104729)) * math.Pow(10, float64((r+i)%9-4))
	return float32(x)
}

// TestInnerCollectives runs on every rank under mpirun.
func TestInnerCollectives(t *testing.T) {
	if !underMPIRun() {
		t.Skip("runs under mpirun (TestRanksAgree)")
	}
	c, err := World()
	if err != nil {
		t.Fatal(err)
	}
	const n = 1001
	buf := make([]float32, n)
	for i := range buf {
		buf[i] = contribution(c.Rank(), i)
	}
	for round := 0; round < 2; round++ { // the second reuses the scratch
		for i := range buf {
			buf[i] = contribution(c.Rank(), i)
		}
		if err := c.AllreduceSum(buf); err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			want := contribution(0, i)
			for r := 1; r < c.Size(); r++ {
				want += contribution(r, i)
			}
			if buf[i] != want {
				t.Fatalf("rank %d, element %d: %g, want %g (the rank-order sum, bit for bit)", c.Rank(), i, buf[i], want)
			}
		}
	}
	// Every rank's part, gathered in rank order; 333 floats a rank, odd
	// like the last slice of a padded vector.
	const part = 333
	mine := make([]float32, part)
	for i := range mine {
		mine[i] = contribution(c.Rank(), i)
	}
	all := make([]float32, part*c.Size())
	if err := c.Allgather(mine, all); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < c.Size(); r++ {
		for i := 0; i < part; i++ {
			if got, want := all[r*part+i], contribution(r, i); got != want {
				t.Fatalf("rank %d: gathered element %d of rank %d is %g, want %g", c.Rank(), i, r, got, want)
			}
		}
	}
	if err := c.Allgather(mine, all[1:]); err == nil {
		t.Fatal("an allgather into too short a buffer was accepted")
	}
	msg := []byte("from rank 0")
	if c.Rank() != 0 {
		msg = []byte("...........")
	}
	if err := c.Broadcast(msg, 0); err != nil || string(msg) != "from rank 0" {
		t.Fatalf("broadcast: %q, %v", msg, err)
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInnerAbort: rank 1 aborts while rank 0 waits for it in a barrier.
func TestInnerAbort(t *testing.T) {
	if !underMPIRun() {
		t.Skip("runs under mpirun (TestAbortEndsTheRun)")
	}
	c, err := World()
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() == 1 {
		c.Abort(3, "giving up on purpose")
	}
	c.Barrier()
	t.Fatal("the barrier completed although rank 1 aborted")
}
