package runtime

import (
	"math"
	"slices"
	"testing"
)

// pixelPair returns the same random images twice: held as bytes, and held
// as float32 converted up front with float32(p)/255, as MNIST used to be
// stored.
func pixelPair(n, size int, seed uint64) (bytes, floats *Dataset) {
	r := NewRNG(seed)
	pixels := make([]byte, n*size)
	for i := range pixels {
		pixels[i] = byte(r.Intn(256))
	}
	// Every byte value occurs, so the whole conversion table is compared.
	for p := range 256 {
		pixels[p] = byte(p)
	}
	x := make([]float32, len(pixels))
	for i, p := range pixels {
		x[i] = float32(p) / 255
	}
	class := make([]int32, n)
	for i := range class {
		class[i] = int32(r.Intn(10))
	}
	shape := []int{size}
	bytes = &Dataset{Name: "bytes", Pixels: pixels, SampleShape: shape, Class: class, N: n}
	floats = &Dataset{Name: "floats", X: x, SampleShape: shape, Class: slices.Clone(class), N: n}
	return bytes, floats
}

// sameBits reports whether two float32 slices hold identical bit patterns.
func sameBits(a, b []float32) bool {
	return len(a) == len(b) && firstDifference(a, b) < 0
}

// firstDifference is the first index where two equally long slices differ
// in their bits, or -1.
func firstDifference(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestPixelBatchesMatchFloatStorage(t *testing.T) {
	const n, size, batch = 203, 49, 16
	bytes, floats := pixelPair(n, size, 7)
	trainB, _ := Split(bytes, 0.2, 3)
	trainF, _ := Split(floats, 0.2, 3)
	if !slices.Equal(trainB.Idx, trainF.Idx) {
		t.Fatal("the split depends on how the samples are stored")
	}
	x, y := make([]float32, size), make([]float32, size)
	for i := range n {
		bytes.CopySample(x, i)
		floats.CopySample(y, i)
		if j := firstDifference(x, y); j >= 0 {
			t.Fatalf("sample %d, value %d: byte storage gives %v, float storage %v", i, j, x[j], y[j])
		}
	}
	bb, bf := NewBatcher(trainB, batch), NewBatcher(trainF, batch)
	compare := func(pass string) {
		batches := 0
		for {
			x, okB := bb.Next()
			y, okF := bf.Next()
			if okB != okF {
				t.Fatalf("%s: one batcher ended before the other", pass)
			}
			if !okB {
				break
			}
			batches++
			if x.N != y.N || !sameBits(x.X, y.X) || !slices.Equal(x.Class, y.Class) {
				t.Fatalf("%s, batch %d: byte storage gives a different batch than float storage", pass, batches)
			}
		}
		if batches == 0 {
			t.Fatalf("%s: no batches", pass)
		}
	}
	for epoch := 1; epoch <= 2; epoch++ {
		bb.TrainOrder(5, epoch)
		bf.TrainOrder(5, epoch)
		compare("training pass")
	}
	bb.EvalOrder()
	bf.EvalOrder()
	compare("evaluation pass")
}

func TestCopySampleConvertsPixels(t *testing.T) {
	ds := &Dataset{Pixels: []byte{0, 1, 51, 128, 254, 255}, SampleShape: []int{3}, N: 2}
	got := make([]float32, 3)
	ds.CopySample(got, 1)
	want := []float32{128.0 / 255, 254.0 / 255, 1}
	if !sameBits(got, want) {
		t.Errorf("sample 1 is %v, want %v", got, want)
	}
	ds.CopySample(got, 0)
	if got[0] != 0 || got[2] != 0.2 {
		t.Errorf("sample 0 is %v, want 0, 1/255, 0.2", got)
	}
}

func TestPixelBatchesAllocateNothing(t *testing.T) {
	bytes, _ := pixelPair(500, 64, 1)
	b := NewBatcher(All(bytes), 32)
	orderOnly := testing.AllocsPerRun(5, func() { b.TrainOrder(1, 1) })
	trainPass := testing.AllocsPerRun(5, func() {
		b.TrainOrder(1, 1)
		for _, ok := b.Next(); ok; _, ok = b.Next() {
		}
	})
	if trainPass != orderOnly {
		t.Errorf("a training pass allocates %v times, its shuffle alone %v: batches allocate", trainPass, orderOnly)
	}
}

func TestTransformFitsPixelsAsFloats(t *testing.T) {
	bytes, floats := pixelPair(300, 12, 9)
	for _, kind := range []string{"standardize", "pca", "zca"} {
		fromBytes, fromFloats := newTransform(kind, 1e-3, 12, false), newTransform(kind, 1e-3, 12, false)
		if err := fromBytes.Fit(All(bytes)); err != nil {
			t.Fatal(err)
		}
		if err := fromFloats.Fit(All(floats)); err != nil {
			t.Fatal(err)
		}
		if !sameBits(fromBytes.Scale.F32, fromFloats.Scale.F32) || !sameBits(fromBytes.Shift.F32, fromFloats.Shift.F32) {
			t.Errorf("%s: fitting on byte storage gives another transform than on float storage", kind)
		}
	}
}

// BenchmarkBatcherNext gathers shuffled MNIST-sized batches (128 × 784)
// from each storage: bytes convert as they are copied, floats only copy.
func BenchmarkBatcherNext(b *testing.B) {
	bytes, floats := pixelPair(60000, 784, 1)
	for _, ds := range []*Dataset{bytes, floats} {
		b.Run(ds.Name, func(b *testing.B) {
			batcher := NewBatcher(All(ds), 128)
			batcher.TrainOrder(1, 1)
			b.SetBytes(128 * 784 * 4)
			for b.Loop() {
				if _, ok := batcher.Next(); !ok {
					batcher.TrainOrder(1, 1)
				}
			}
		})
	}
}
