package gemm

// chunkTestSource is the second test of the generated GEMM package (see
// TestGeneratedGemms): the contract that lets kernels.Run2 run the chunks
// of a product on two goroutines. Every driver, given one chunk of the
// product's split, must compute exactly the serial result's elements of
// that chunk and touch nothing else: no other element of the output, no
// float of the guard bands around the output and around its workspace.
// Then all chunks run on two goroutines with no synchronisation between
// them but the final wait, so that under -race any element both touch is
// reported: a driver that read the output's last element to check its
// length did so while the chunk holding it was being written.
const chunkTestSource = `package gemmtest

import (
	"math"
	"sync"
	"testing"

	"github.com/dlc-dev/dlc/runtime/kernels"
)

// sentinelBits mark the floats no driver may write: a NaN that no product
// computes.
const sentinelBits = 0x7fa5a5a5

// guard is how many sentinels lie on each side of a guarded slice.
const guard = 64

// guarded returns n floats between two guard bands of sentinels, all of
// it sentinels, and the whole buffer.
func guarded(n int) (inner, buf []Float) {
	buf = make([]Float, guard+n+guard)
	for i := range buf {
		buf[i] = Float(math.Float32frombits(sentinelBits))
	}
	return buf[guard : guard+n], buf
}

// intact reports whether the guard bands of buf still hold sentinels.
func intact(buf []Float) bool {
	for _, v := range append(buf[:guard:guard], buf[len(buf)-guard:]...) {
		if math.Float32bits(float32(v)) != sentinelBits {
			return false
		}
	}
	return true
}

// chunkCase is one case's operands and serial result under one ISA.
type chunkCase struct {
	gemmCase
	isa  kernels.ISAKind
	x    kernels.Args[Float] // every operand but the output
	want []Float
}

func TestChunks(t *testing.T) {
	for _, gc := range cases {
		if testing.Short() && gc.m*gc.k*gc.n > 1<<23 {
			continue // seconds under -race, which runs with -short
		}
		a, b := values(gc.m*gc.k, 1), values(gc.k*gc.n, 2)
		bias, x0 := values(gc.n, 3), values(gc.m*gc.n, 4)
		for isa := kernels.Scalar; isa <= kernels.Best; isa++ {
			old, _ := kernels.SetISA(isa)
			// The serial result, which every chunk must reproduce bit for bit.
			want := make([]Float, gc.m*gc.n)
			kernels.SetThreads(1)
			gc.call(want, a, b, bias, x0, make([]Float, gc.ws))
			kernels.SetThreads(2)
			// Operands a product's epilogue does not use are not read.
			cc := chunkCase{gc, isa, kernels.Args[Float]{A: a, B: b, Bias: bias, X: [kernels.MaxExtra][]Float{x0}}, want}
			if !testing.Short() { // seconds under -race, and nothing new
				eachChunkAlone(t, cc)
			}
			twoGoroutines(t, cc)
			kernels.SetISA(old)
		}
	}
}

// eachChunkAlone runs the driver on each chunk of the split in turn, in an
// output of sentinels: the chunk's elements must be the serial result's,
// and no float outside them, nor outside the workspace, may change.
func eachChunkAlone(t *testing.T, cc chunkCase) {
	s := cc.split
	for c := range s.Chunks() {
		out, outBuf := guarded(cc.m * cc.n)
		ws, wsBuf := guarded(s.Scratch)
		i0, i1, j0, j1 := s.Bounds(c)
		x := cc.x
		x.C = out
		cc.part(x, ws, i0, i1, j0, j1)
		if !intact(outBuf) || !intact(wsBuf) {
			t.Fatalf("%s %v: chunk %d wrote past the output or its workspace", cc.name, cc.isa, c)
		}
		for idx, v := range out {
			i, j := idx/cc.n, idx%cc.n
			mine := i0 <= i && i < i1 && j0 <= j && j < j1
			if got := math.Float32bits(float32(v)); mine && got != math.Float32bits(float32(cc.want[idx])) {
				t.Fatalf("%s %v: chunk %d (rows [%d,%d), columns [%d,%d)) gives c[%d,%d] = %v, serially %v", cc.name, cc.isa, c, i0, i1, j0, j1, i, j, v, cc.want[idx])
			} else if !mine && got != sentinelBits {
				t.Fatalf("%s %v: chunk %d (rows [%d,%d), columns [%d,%d)) wrote c[%d,%d]", cc.name, cc.isa, c, i0, i1, j0, j1, i, j)
			}
		}
	}
}

// twoGoroutines runs the even chunks on one goroutine and the odd ones on
// another, each with its own workspace, synchronised only at the end: the
// result must be the serial one, and under -race no element may be
// touched by both.
func twoGoroutines(t *testing.T, cc chunkCase) {
	s := cc.split
	out, outBuf := guarded(cc.m * cc.n)
	x := cc.x
	x.C = out
	var wg sync.WaitGroup
	for g := range 2 {
		ws, _ := guarded(s.Scratch)
		wg.Go(func() {
			for c := g; c < s.Chunks(); c += 2 {
				i0, i1, j0, j1 := s.Bounds(c)
				cc.part(x, ws, i0, i1, j0, j1)
			}
		})
	}
	wg.Wait()
	if !intact(outBuf) {
		t.Fatalf("%s %v: two goroutines wrote past the output", cc.name, cc.isa)
	}
	for idx, v := range out {
		if math.Float32bits(float32(v)) != math.Float32bits(float32(cc.want[idx])) {
			t.Fatalf("%s %v: two goroutines give c[%d] = %v, one gives %v", cc.name, cc.isa, idx, v, cc.want[idx])
		}
	}
}
`
