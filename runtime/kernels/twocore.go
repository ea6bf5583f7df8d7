package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// MaxExtra is the most operands, besides the bias, that a fused epilogue
// may read: the code generator fuses no group that needs more.
const MaxExtra = 4

// Args are the operands of one generated kernel call: the output C, the
// matrix operands A and B, and for a fused epilogue the bias and the other
// operands of its elementwise tail, each shaped like C.
type Args[F Float] struct {
	C, A, B, Bias []F
	X             [MaxExtra][]F
	// Consts are a call's scalar constants (an optimizer step's rates and
	// corrections), carried by value like the rest.
	Consts [MaxConsts]F
}

// MaxConsts is how many scalar constants a call's Args carry.
const MaxConsts = 12

// Part computes rows [i0,i1) and columns [j0,j1) of a call's output, using
// ws as its private scratch (packed panels). It reads and writes no other
// element of the output (not even to check its length), since Run2 runs
// other shares at the same time. Generated drivers have this type; Args
// travel by value, so that no call allocates.
type Part[F Float] func(x Args[F], ws []F, i0, i1, j0, j1 int)

// Split says how Run2 divides a call's output between two goroutines: in
// chunks of whole columns (or rows), which each goroutine claims one at a
// time, so that neither waits long for the other when one is slow (when
// another process has its CPU).
type Split struct {
	Rows, Cols int  // the output's shape
	ByCols     bool // chunks of columns (else of rows)
	Chunk      int  // columns (or rows) per chunk: a multiple of the kernels' tiles
	Scratch    int  // floats of ws each goroutine needs
}

// Chunks is the number of chunks of s.
func (s Split) Chunks() int {
	n := s.Rows
	if s.ByCols {
		n = s.Cols
	}
	return (n + s.Chunk - 1) / s.Chunk
}

// Bounds is chunk c's share of the output: rows [i0,i1), columns [j0,j1).
// A Part given it writes no element outside it (nor reads one that another
// chunk writes), so the chunks may run on different goroutines.
func (s Split) Bounds(c int) (i0, i1, j0, j1 int) {
	lo := c * s.Chunk
	if s.ByCols {
		return 0, s.Rows, lo, min(lo+s.Chunk, s.Cols)
	}
	return lo, min(lo+s.Chunk, s.Rows), 0, s.Cols
}

// maxThreads is 1 or 2: how many goroutines one call may use.
var maxThreads atomic.Int32

func init() { maxThreads.Store(2) }

// SetThreads limits kernel calls to n goroutines (1 or 2; other values are
// clamped) and returns the previous limit. One thread or GOMAXPROCS=1 runs
// every call on its caller. Results do not depend on it: a split call
// computes every output element on one goroutine, in the same order.
func SetThreads(n int) int {
	return int(maxThreads.Swap(int32(min(max(n, 1), 2))))
}

// Threads reports how many goroutines a kernel call may use now.
func Threads() int {
	if maxThreads.Load() == 1 || runtime.GOMAXPROCS(0) == 1 {
		return 1
	}
	return 2
}

// Run2 computes the whole output of part, on two goroutines when Threads
// allows: the caller, with ws[:s.Scratch], and the helper goroutine, with
// ws[s.Scratch:2*s.Scratch], take chunks in turn until none is left.
// Each output element is computed by one goroutine, in the same order as
// a serial call, so the result is bitwise the serial one, whoever computes
// which chunk. ws must hold 2*s.Scratch floats.
func Run2[F Float](part Part[F], x Args[F], ws []F, s Split) {
	mine := ws[:s.Scratch]
	if Threads() == 1 {
		part(x, mine, 0, s.Rows, 0, s.Cols)
		return
	}
	h := helperFor[F]()
	if !h.mu.TryLock() {
		// Another model's call has the helper: this one runs alone.
		part(x, mine, 0, s.Rows, 0, s.Cols)
		return
	}
	gen := h.posted.Load() + 1
	t := task[F]{gen: gen & tagMask, part: part, x: x, ws: ws[s.Scratch : 2*s.Scratch], split: s, chunks: s.Chunks()}
	h.tmu.Lock()
	h.t = t
	h.tmu.Unlock()
	h.finished.Store(0)
	h.claim.Store(t.gen << 32) // chunks of this call can be claimed from here on
	h.posted.Store(gen)
	if h.helperAsleep.Load() {
		select {
		case h.wakeHelper <- struct{}{}:
		default:
		}
	}
	h.work(t, mine)
	h.awaitMeasured(t.chunks)
	h.tmu.Lock()
	h.t = task[F]{} // keep no model's buffers alive
	h.tmu.Unlock()
	h.mu.Unlock()
}

// tagMask keeps the low 32 bits of a call's number: its tag in claim.
const tagMask = 1<<32 - 1

// How long each side busy-waits before blocking. The helper spins between
// calls so that the back-to-back products of a training step find it
// awake (waking a parked goroutine on an idle CPU costs tens of µs); the
// caller spins only briefly for the helper's last chunk, since spinning
// is wasted if the other CPU is busy with another process.
const (
	helperSpin = 200 * time.Microsecond
	callerSpin = 50 * time.Microsecond
)

// task is one split call, as the helper sees it.
type task[F Float] struct {
	gen    uint64 // the call's number, tagMask bits of it
	part   Part[F]
	x      Args[F]
	ws     []F // the helper's half of the workspace
	split  Split
	chunks int
}

// helper is the one persistent goroutine (per element type) that shares
// the chunks of every split call. Calls are serialised by mu.
type helper[F Float] struct {
	start sync.Once
	mu    sync.Mutex
	tmu   sync.Mutex // guards t, which a late helper may read as the next call writes it
	t     task[F]

	posted atomic.Uint64 // number of the last call posted
	// claim is the call's number (high 32 bits) and its next unclaimed
	// chunk: a goroutine claims a chunk by incrementing it, only while the
	// number is its call's, so a helper that wakes late claims nothing of
	// a call that is over.
	claim    atomic.Uint64
	finished atomic.Int64 // chunks of the current call computed

	// A side about to block announces it first, and the other side sends
	// a token after its own store (each checks the other's flag after
	// writing its own), so no wake-up is lost. A token left over only
	// makes one wait loop go round once more.
	helperAsleep, callerAsleep atomic.Bool
	wakeHelper, wakeCaller     chan struct{}
}

var helpers struct {
	f32 helper[float32]
	f64 helper[float64]
}

// helperFor returns the helper of element type F, starting it on first use.
func helperFor[F Float]() *helper[F] {
	var h *helper[F]
	var zero F
	if _, ok := any(zero).(float32); ok {
		h = any(&helpers.f32).(*helper[F])
	} else {
		h = any(&helpers.f64).(*helper[F])
	}
	h.start.Do(func() {
		h.wakeHelper = make(chan struct{}, 1)
		h.wakeCaller = make(chan struct{}, 1)
		go h.loop()
	})
	return h
}

// work claims and computes chunks of call t with the workspace ws until
// none is left.
func (h *helper[F]) work(t task[F], ws []F) {
	for {
		v := h.claim.Load()
		c := int(v & tagMask)
		if v>>32 != t.gen || c >= t.chunks {
			return
		}
		if !h.claim.CompareAndSwap(v, v+1) {
			continue
		}
		i0, i1, j0, j1 := t.split.Bounds(c)
		t.part(t.x, ws, i0, i1, j0, j1)
		if h.finished.Add(1) == int64(t.chunks) && h.callerAsleep.Load() {
			select {
			case h.wakeCaller <- struct{}{}:
			default:
			}
		}
	}
}

// await returns once all n chunks of the current call are computed.
func (h *helper[F]) await(n int) {
	var deadline time.Time
	for spins := 1; h.finished.Load() != int64(n); spins++ {
		if spins%64 != 0 {
			continue
		}
		runtime.Gosched()
		switch {
		case deadline.IsZero():
			deadline = time.Now().Add(callerSpin)
		case time.Now().After(deadline):
			h.callerAsleep.Store(true)
			if h.finished.Load() != int64(n) {
				<-h.wakeCaller
			}
			h.callerAsleep.Store(false)
		}
	}
}

// loop is the helper goroutine: wait for a call, take its chunks.
func (h *helper[F]) loop() {
	var seen uint64
	for {
		seen = h.awaitCall(seen)
		h.tmu.Lock()
		t := h.t // a later call's, or none, if this one is over
		h.tmu.Unlock()
		h.work(t, t.ws)
	}
}

// awaitCall returns the number of the last call posted once it is not
// seen, spinning for helperSpin and then blocking.
func (h *helper[F]) awaitCall(seen uint64) uint64 {
	deadline := time.Now().Add(helperSpin)
	for spins := 1; h.posted.Load() == seen; spins++ {
		if spins%64 != 0 {
			continue
		}
		runtime.Gosched()
		if time.Now().Before(deadline) {
			continue
		}
		h.helperAsleep.Store(true)
		if h.posted.Load() == seen {
			<-h.wakeHelper
		}
		h.helperAsleep.Store(false)
		deadline = time.Now().Add(helperSpin)
	}
	return h.posted.Load()
}
