// Package comm is how the processes of one data-parallel training run talk
// to each other: a rank and a size, a deterministic sum of gradients over
// every rank, a gather of every rank's part, a broadcast, a barrier and an
// abort.
//
// The default build has one process and no communication (World returns
// a Comm of size 1). Built with the tag mpi, World is MPI's world
// communicator through cgo and Open MPI (Debian's libopenmpi-dev): the
// binary then runs under mpirun, srun or a Kubernetes MPIJob, and alone
// as a world of one.
//
// Sums do not depend on MPI's internal order: AllreduceSum moves data
// with MPI but adds it in Go, every element in rank order (see
// reduceInRankOrder), so a run at N ranks is bit-identical to another
// run at N ranks, whatever algorithm MPI picks for the network it has.
package comm

import "fmt"

// Comm is the group of processes of one training run.
type Comm interface {
	// Rank is this process's number, 0 to Size()-1; rank 0 alone prints,
	// writes metrics and saves checkpoints.
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllreduceSum replaces buf, on every rank, with the elementwise sum
	// of every rank's buf, added in rank order. Every rank passes a buf
	// of the same length.
	AllreduceSum(buf []float32) error
	// Allgather sets all, on every rank, to every rank's part in rank
	// order: rank r's part is all[r·len(part) : (r+1)·len(part)]. Every
	// rank passes a part of the same length, and all holds Size() of them.
	// A rank that updates its own slice of a vector gathers the whole
	// vector so (ZeRO stage 1's parameters).
	Allgather(part, all []float32) error
	// Broadcast copies root's buf into every other rank's.
	Broadcast(buf []byte, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
	// Abort ends every process of the run with the exit code, after
	// printing msg on this one; it does not return.
	Abort(code int, msg string)
	// Close ends this process's part in the run; it must be the last call.
	Close() error
}

// reduceInRankOrder adds parts, the contributions of ranks 0, 1, … to one
// chunk, into out: out[i] = ((parts[0][i] + parts[1][i]) + parts[2][i]) + …,
// the order that makes the sum the same at every rank and in every run.
func reduceInRankOrder(out []float32, parts [][]float32) {
	copy(out, parts[0])
	for _, p := range parts[1:] {
		for i, v := range p[:len(out)] {
			out[i] += v
		}
	}
}

// chunkSize is the elements each rank reduces when n elements are shared
// among size ranks: the n elements, padded to a multiple of size, in size
// equal chunks.
func chunkSize(n, size int) int { return (n + size - 1) / size }

// checkGather refuses an Allgather whose all does not hold size parts.
func checkGather(part, all []float32, size int) error {
	if len(all) != len(part)*size {
		return fmt.Errorf("allgather of %d floats from each of %d ranks into %d floats", len(part), size, len(all))
	}
	return nil
}

// checkRoot refuses a root outside the ranks.
func checkRoot(root, size int) error {
	if root < 0 || root >= size {
		return fmt.Errorf("broadcast from rank %d of a run of %d ranks", root, size)
	}
	return nil
}
