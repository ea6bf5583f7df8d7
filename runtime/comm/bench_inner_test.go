//go:build mpi

package comm

import (
	"fmt"
	"testing"
)

// BenchmarkInnerAllreduce times AllreduceSum at several sizes, up to the
// MNIST MLP's 669,706 gradients. It runs on every rank under mpirun, and
// every rank must run the same iterations, so it needs a fixed count:
//
//	go test -c -tags mpi -o comm.test ./runtime/comm
//	DLC_COMM_UNDER_MPIRUN=1 mpirun -np 2 ./comm.test -test.run '^$' -test.bench InnerAllreduce -test.benchtime 100x
func BenchmarkInnerAllreduce(b *testing.B) {
	if !underMPIRun() {
		b.Skip("runs under mpirun with -test.benchtime Nx (see the comment)")
	}
	c, err := World()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1 << 10, 1 << 14, 1 << 17, 669706} {
		buf := make([]float32, n)
		b.Run(fmt.Sprintf("floats=%d", n), func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				if err := c.AllreduceSum(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if err := c.Close(); err != nil { // MPI wants every rank finalised
		b.Fatal(err)
	}
}
