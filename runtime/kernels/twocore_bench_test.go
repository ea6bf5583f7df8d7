package kernels

import (
	"testing"
	"time"
)

// The cost of handing half of a call to the helper goroutine, which the
// code generator's split decision (codegen/gemm/cost.go) weighs against
// the time the call saves. Each call has two chunks that spin for
// chunkWork each: on one goroutine a call takes 2·chunkWork, split it
// takes chunkWork plus the round trip.

const chunkWork = 20 * time.Microsecond

// spinPart busies its goroutine for chunkWork per chunk.
func spinPart(Args[float32], []float32, int, int, int, int) {
	for start := time.Now(); time.Since(start) < chunkWork; {
	}
}

func benchmarkRun2(b *testing.B, threads int, gap time.Duration) {
	defer SetThreads(SetThreads(threads))
	s := Split{Rows: 2, Cols: 1, Chunk: 1}
	var busy time.Duration
	for b.Loop() {
		if gap > 0 {
			b.StopTimer()
			time.Sleep(gap)
			b.StartTimer()
		}
		start := time.Now()
		Run2(spinPart, Args[float32]{}, nil, s)
		busy += time.Since(start)
	}
	b.ReportMetric(float64(busy.Nanoseconds())/float64(b.N)-float64(chunkWork.Nanoseconds()), "ns-over-one-chunk/op")
}

// BenchmarkRun2Serial is the baseline: both chunks on the caller.
func BenchmarkRun2Serial(b *testing.B) { benchmarkRun2(b, 1, 0) }

// BenchmarkRun2Awake calls back to back: the helper is spinning.
func BenchmarkRun2Awake(b *testing.B) { benchmarkRun2(b, 2, 0) }

// BenchmarkRun2Parked leaves the helper idle long enough to park.
func BenchmarkRun2Parked(b *testing.B) { benchmarkRun2(b, 2, 2*helperSpin) }
