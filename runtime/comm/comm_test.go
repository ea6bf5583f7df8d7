package comm

import (
	"math"
	"testing"
)

// TestReduceInRankOrder: float32 addition is not associative, so the
// order is part of the result: 1e8 + 1 rounds to 1e8, and so
// (1e8 + 1) + (−1e8) is 0 where (1e8 + (−1e8)) + 1 would be 1.
func TestReduceInRankOrder(t *testing.T) {
	parts := [][]float32{{1e8, 1}, {1, 2}, {-1e8, 3}}
	out := make([]float32, 2)
	reduceInRankOrder(out, parts)
	if out[0] != 0 || out[1] != 6 {
		t.Errorf("got %v, want [0 6] (rank 0 + rank 1 first, then rank 2)", out)
	}
}

func TestChunkSize(t *testing.T) {
	for _, tc := range []struct{ n, size, want int }{{10, 2, 5}, {11, 2, 6}, {1, 4, 1}, {7, 3, 3}} {
		if got := chunkSize(tc.n, tc.size); got != tc.want {
			t.Errorf("chunkSize(%d, %d) = %d, want %d", tc.n, tc.size, got, tc.want)
		}
	}
}

// TestWorldOfOne: without mpirun (or without MPI in the build) the world
// is this process alone, and every collective leaves its data as it is.
func TestWorldOfOne(t *testing.T) {
	if Enabled && underMPIRun() {
		t.Skip("running under mpirun")
	}
	c, err := World()
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("rank %d of %d, want 0 of 1", c.Rank(), c.Size())
	}
	buf := []float32{1, float32(math.Pi), -2}
	if err := c.AllreduceSum(buf); err != nil || buf[0] != 1 || buf[1] != float32(math.Pi) || buf[2] != -2 {
		t.Errorf("AllreduceSum: %v, %v", buf, err)
	}
	all := make([]float32, 2)
	if err := c.Allgather([]float32{5, -1}, all); err != nil || all[0] != 5 || all[1] != -1 {
		t.Errorf("Allgather: %v, %v", all, err)
	}
	if err := c.Allgather([]float32{5, -1}, make([]float32, 3)); err == nil {
		t.Error("an allgather of 2 floats into 3 was accepted")
	}
	if err := c.Broadcast([]byte("x"), 1); err == nil {
		t.Error("a broadcast from rank 1 of 1 was accepted")
	}
	if err := c.Broadcast([]byte("x"), 0); err != nil {
		t.Error(err)
	}
	if err := c.Barrier(); err != nil {
		t.Error(err)
	}
}
