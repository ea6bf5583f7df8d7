//go:build mpi

package comm

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

// Open MPI's handles are macros over addresses of its globals, which cgo
// cannot use directly.
static MPI_Comm world(void) { return MPI_COMM_WORLD; }
static MPI_Datatype f32(void) { return MPI_FLOAT; }
static MPI_Datatype bytes(void) { return MPI_BYTE; }
static int returnErrors(void) { return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"
)

// Enabled reports whether this build can run on more than one process.
const Enabled = true

// World initialises MPI (once) and returns its world communicator. MPI
// is asked for MPI_THREAD_SERIALIZED: Go may call from any OS thread, and
// mpiComm's mutex makes the calls one at a time.
func World() (Comm, error) {
	worldOnce.Do(func() {
		var provided C.int
		if rc := C.MPI_Init_thread(nil, nil, C.MPI_THREAD_SERIALIZED, &provided); rc != C.MPI_SUCCESS {
			worldErr = fmt.Errorf("MPI_Init_thread: %s", errorString(rc))
			return
		}
		if provided < C.MPI_THREAD_SERIALIZED {
			worldErr = fmt.Errorf("this MPI library offers thread level %d, and dlc needs MPI_THREAD_SERIALIZED (%d)", int(provided), int(C.MPI_THREAD_SERIALIZED))
			return
		}
		if rc := C.returnErrors(); rc != C.MPI_SUCCESS {
			worldErr = fmt.Errorf("MPI_Comm_set_errhandler: %s", errorString(rc))
			return
		}
		var rank, size C.int
		C.MPI_Comm_rank(C.world(), &rank)
		C.MPI_Comm_size(C.world(), &size)
		worldComm = &mpiComm{rank: int(rank), size: int(size)}
	})
	if worldErr != nil {
		return nil, worldErr
	}
	return worldComm, nil
}

var (
	worldOnce sync.Once
	worldComm *mpiComm
	worldErr  error
)

// mpiComm is MPI_COMM_WORLD.
type mpiComm struct {
	mu         sync.Mutex
	rank, size int
	// send and recv are AllreduceSum's scratch, kept between calls so
	// that a training step allocates nothing.
	send, recv, out []float32
	parts           [][]float32
	closed          bool
}

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

// AllreduceSum shares buf's elements among the ranks in equal chunks:
// MPI_Alltoall brings every rank's part of chunk r to rank r, rank r adds
// them in rank order, and MPI_Allgather hands every rank every sum. The
// data each rank sends is twice buf (as a ring allreduce sends); MPI only
// moves it, so the sums do not depend on how.
func (c *mpiComm) AllreduceSum(buf []float32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size == 1 || len(buf) == 0 {
		return nil
	}
	chunk := chunkSize(len(buf), c.size)
	if chunk > math.MaxInt32 {
		return fmt.Errorf("allreduce of %d floats: more than MPI's int count per rank", len(buf))
	}
	padded := chunk * c.size
	c.send = grow(c.send, padded)
	c.recv = grow(c.recv, padded)
	c.out = grow(c.out, chunk)
	copy(c.send, buf)
	clear(c.send[len(buf):])
	if rc := C.MPI_Alltoall(unsafe.Pointer(&c.send[0]), C.int(chunk), C.f32(), unsafe.Pointer(&c.recv[0]), C.int(chunk), C.f32(), C.world()); rc != C.MPI_SUCCESS {
		return fmt.Errorf("allreduce (MPI_Alltoall of %d floats): %s", padded, errorString(rc))
	}
	if len(c.parts) != c.size {
		c.parts = make([][]float32, c.size)
	}
	for r := range c.parts {
		c.parts[r] = c.recv[r*chunk : (r+1)*chunk]
	}
	reduceInRankOrder(c.out, c.parts)
	if rc := C.MPI_Allgather(unsafe.Pointer(&c.out[0]), C.int(chunk), C.f32(), unsafe.Pointer(&c.send[0]), C.int(chunk), C.f32(), C.world()); rc != C.MPI_SUCCESS {
		return fmt.Errorf("allreduce (MPI_Allgather of %d floats): %s", padded, errorString(rc))
	}
	copy(buf, c.send[:len(buf)])
	return nil
}

// Allgather is MPI_Allgather: MPI only moves the parts, so every rank
// holds the same bits.
func (c *mpiComm) Allgather(part, all []float32) error {
	if err := checkGather(part, all, c.size); err != nil {
		return err
	}
	if len(part) == 0 {
		return nil
	}
	if len(part) > math.MaxInt32 {
		return fmt.Errorf("allgather of %d floats a rank: more than MPI's int count", len(part))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := C.MPI_Allgather(unsafe.Pointer(&part[0]), C.int(len(part)), C.f32(), unsafe.Pointer(&all[0]), C.int(len(part)), C.f32(), C.world()); rc != C.MPI_SUCCESS {
		return fmt.Errorf("allgather of %d floats a rank: %s", len(part), errorString(rc))
	}
	return nil
}

// grow returns s with room for n elements, reusing its array when it can.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

func (c *mpiComm) Broadcast(buf []byte, root int) error {
	if err := checkRoot(root, c.size); err != nil {
		return err
	}
	if len(buf) == 0 {
		return nil
	}
	if len(buf) > math.MaxInt32 {
		return fmt.Errorf("broadcast of %d bytes: more than MPI's int count", len(buf))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := C.MPI_Bcast(unsafe.Pointer(&buf[0]), C.int(len(buf)), C.bytes(), C.int(root), C.world()); rc != C.MPI_SUCCESS {
		return fmt.Errorf("broadcast of %d bytes from rank %d: %s", len(buf), root, errorString(rc))
	}
	return nil
}

func (c *mpiComm) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := C.MPI_Barrier(C.world()); rc != C.MPI_SUCCESS {
		return fmt.Errorf("barrier: %s", errorString(rc))
	}
	return nil
}

func (c *mpiComm) Abort(code int, msg string) {
	fmt.Fprintf(os.Stderr, "rank %d of %d: %s\n", c.rank, c.size, msg)
	C.MPI_Abort(C.world(), C.int(code))
	os.Exit(code) // MPI_Abort does not return; this is for the compiler
}

func (c *mpiComm) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("MPI is already finalised")
	}
	c.closed = true
	if rc := C.MPI_Finalize(); rc != C.MPI_SUCCESS {
		return fmt.Errorf("MPI_Finalize: %s", errorString(rc))
	}
	return nil
}

// errorString is MPI's text for an error code.
func errorString(rc C.int) string {
	buf := make([]C.char, C.MPI_MAX_ERROR_STRING)
	var n C.int
	if C.MPI_Error_string(rc, &buf[0], &n) != C.MPI_SUCCESS {
		return fmt.Sprintf("MPI error %d", int(rc))
	}
	return C.GoStringN(&buf[0], n)
}
