package kernels

import (
	"runtime"
	"testing"
	"time"
)

// countingPart records, for every output element, how many times it was
// computed, and writes a value that depends on the element alone. Each
// call marks the workspace it was given.
func countingPart(count []int32, cols int) Part[float32] {
	return func(x Args[float32], ws []float32, i0, i1, j0, j1 int) {
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				count[i*cols+j]++
				x.C[i*cols+j] = float32(i*1000+j) + x.A[0]
			}
		}
		for k := range ws {
			ws[k]++
		}
	}
}

func TestRun2ComputesEveryElementOnce(t *testing.T) {
	for _, s := range []Split{
		{Rows: 6, Cols: 80, ByCols: true, Chunk: 32, Scratch: 5},
		{Rows: 10, Cols: 16, ByCols: false, Chunk: 4, Scratch: 3},
		{Rows: 6, Cols: 70, ByCols: true, Chunk: 32, Scratch: 5},
		{Rows: 4, Cols: 640, ByCols: true, Chunk: 64, Scratch: 2},
		// Rows that are not whole vectors, split like LeNet's 120-wide
		// layer (by columns) and a narrow product (by rows).
		{Rows: 128, Cols: 120, ByCols: true, Chunk: 64, Scratch: 4},
		{Rows: 100, Cols: 24, ByCols: false, Chunk: 32, Scratch: 4},
	} {
		for _, threads := range []int{1, 2} {
			old := SetThreads(threads)
			count := make([]int32, s.Rows*s.Cols)
			c := make([]float32, s.Rows*s.Cols)
			ws := make([]float32, 2*s.Scratch+1) // one canary after both halves
			Run2(countingPart(count, s.Cols), Args[float32]{C: c, A: []float32{0.5}}, ws, s)
			SetThreads(old)
			for idx, n := range count {
				if n != 1 {
					t.Fatalf("%+v, %d threads: element %d computed %d times", s, threads, idx, n)
				}
				if want := float32((idx/s.Cols)*1000+idx%s.Cols) + 0.5; c[idx] != want {
					t.Fatalf("%+v: c[%d] = %v, want %v", s, idx, c[idx], want)
				}
			}
			if ws[2*s.Scratch] != 0 {
				t.Errorf("%+v: a share wrote past the workspace", s)
			}
			// Every chunk ran with one half of the workspace, whole.
			for _, half := range [][]float32{ws[:s.Scratch], ws[s.Scratch : 2*s.Scratch]} {
				for _, v := range half[1:] {
					if v != half[0] {
						t.Fatalf("%+v: a share was given part of a half of the workspace: %v", s, ws)
					}
				}
			}
			if calls := ws[0] + ws[s.Scratch]; calls != float32(max(s.Chunks(), 1)) && !(threads == 1 || Threads() == 1) {
				t.Errorf("%+v: %v chunks computed, want %d", s, calls, s.Chunks())
			}
		}
	}
}

// The chunks of a split tile its output: in order, without gaps or
// overlaps, the last one cut at the edge.
func TestSplitBoundsTileTheOutput(t *testing.T) {
	for _, s := range []Split{
		{Rows: 128, Cols: 120, ByCols: true, Chunk: 64},
		{Rows: 400, Cols: 120, ByCols: true, Chunk: 64},
		{Rows: 2048, Cols: 24, ByCols: false, Chunk: 32},
		{Rows: 37, Cols: 7, ByCols: false, Chunk: 32},
		{Rows: 4, Cols: 640, ByCols: true, Chunk: 64},
	} {
		next := 0 // the first row (or column) no chunk has covered yet
		for c := range s.Chunks() {
			i0, i1, j0, j1 := s.Bounds(c)
			lo, hi, whole := j0, j1, i0 == 0 && i1 == s.Rows
			if !s.ByCols {
				lo, hi, whole = i0, i1, j0 == 0 && j1 == s.Cols
			}
			if !whole || lo != next || hi <= lo || (hi-lo != s.Chunk && c != s.Chunks()-1) {
				t.Fatalf("%+v: chunk %d is rows [%d,%d), columns [%d,%d)", s, c, i0, i1, j0, j1)
			}
			next = hi
		}
		end := s.Rows
		if s.ByCols {
			end = s.Cols
		}
		if next != end {
			t.Errorf("%+v: the chunks end at %d, not %d", s, next, end)
		}
	}
}

func TestRun2DoesNotAllocate(t *testing.T) {
	s := Split{Rows: 8, Cols: 64, ByCols: true, Chunk: 32, Scratch: 4}
	count := make([]int32, s.Rows*s.Cols)
	part := countingPart(count, s.Cols)
	x := Args[float32]{C: make([]float32, s.Rows*s.Cols), A: []float32{1}}
	ws := make([]float32, 2*s.Scratch)
	if allocs := testing.AllocsPerRun(50, func() { Run2(part, x, ws, s) }); allocs != 0 {
		t.Errorf("Run2 allocates %v times per call", allocs)
	}
}

// The helper goroutine is started once, and a call after it has gone to
// sleep wakes it.
func TestRun2KeepsOneHelper(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: calls never split")
	}
	s := Split{Rows: 4, Cols: 64, ByCols: true, Chunk: 32, Scratch: 1}
	count := make([]int32, s.Rows*s.Cols)
	part := countingPart(count, s.Cols)
	x := Args[float32]{C: make([]float32, s.Rows*s.Cols), A: []float32{0}}
	ws := make([]float32, 2)
	Run2(part, x, ws, s)
	before := runtime.NumGoroutine()
	for range 100 {
		Run2(part, x, ws, s)
	}
	time.Sleep(2 * helperSpin) // the helper parks
	Run2(part, x, ws, s)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after 101 calls, %d before", after, before)
	}
	for idx, n := range count {
		if n != 102 {
			t.Fatalf("element %d computed %d times in 102 calls", idx, n)
		}
	}
}

func TestSetThreads(t *testing.T) {
	old := SetThreads(1)
	defer SetThreads(old)
	if Threads() != 1 {
		t.Errorf("Threads() = %d after SetThreads(1)", Threads())
	}
	if prev := SetThreads(7); prev != 1 {
		t.Errorf("SetThreads returned %d, want the previous limit 1", prev)
	}
	want := min(2, runtime.GOMAXPROCS(0))
	if Threads() != want {
		t.Errorf("Threads() = %d after SetThreads(7), want %d", Threads(), want)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if Threads() != 1 {
		t.Errorf("Threads() = %d with GOMAXPROCS=1", Threads())
	}
}

func TestSetISA(t *testing.T) {
	if _, err := SetISA(Best + 1); err == nil {
		t.Errorf("SetISA(%v) accepted on a machine whose best is %v", Best+1, Best)
	}
	old, err := SetISA(Scalar)
	if err != nil || ISA != Scalar {
		t.Fatalf("SetISA(Scalar): %v, ISA %v", err, ISA)
	}
	if back, _ := SetISA(old); back != Scalar {
		t.Errorf("SetISA returned %v, want the previous Scalar", back)
	}
	for k, want := range map[ISAKind]string{Scalar: "scalar", AVX2: "avx2", AVX512: "avx512"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
		}
	}
}
