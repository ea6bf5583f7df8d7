package fdcheck

import (
	"errors"
	"math"
	"testing"
)

// f(x) = x0³ + sin(x1)·x2 has the gradient (3x0², cos(x1)·x2, sin(x1)).
func TestGradientOfAKnownFunction(t *testing.T) {
	x := []float64{1.5, -0.7, 40}
	f := func() (float64, error) { return x[0]*x[0]*x[0] + math.Sin(x[1])*x[2], nil }
	got, err := Gradient(f, x, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{3 * 1.5 * 1.5, math.Cos(-0.7) * 40, math.Sin(-0.7)}
	if e := MaxRelErr(want, got); e > 1e-9 {
		t.Errorf("gradient %v, want %v (relative error %.3g)", got, want, e)
	}
	if x[0] != 1.5 || x[1] != -0.7 || x[2] != 40 {
		t.Errorf("x not restored: %v", x)
	}
}

// The step grows with the element: at x = 1e8 an absolute step of 1e-6
// changes x² ≈ 1e16 (whose spacing is 2) by only about 400, and the
// estimate would be off by some 1%.
func TestCentralStepIsRelativeForLargeElements(t *testing.T) {
	x := []float64{1e8}
	f := func() (float64, error) { return x[0] * x[0], nil }
	got, err := Central(f, x, 0, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2e8; math.Abs(got-want) > 1e-6*want {
		t.Errorf("d(x²)/dx at 1e8 = %g, want %g", got, want)
	}
}

func TestErrorsStopTheEstimateAndRestoreX(t *testing.T) {
	x := []float64{1, 2}
	bad := errors.New("no loss")
	calls := 0
	f := func() (float64, error) {
		calls++
		if calls == 2 {
			return 0, bad
		}
		return x[0], nil
	}
	if _, err := Gradient(f, x, 1e-6); !errors.Is(err, bad) {
		t.Errorf("err = %v, want %v", err, bad)
	}
	if x[0] != 1 || x[1] != 2 {
		t.Errorf("x not restored: %v", x)
	}
}

func TestMaxRelErr(t *testing.T) {
	if e := MaxRelErr([]float64{1, 1e-12}, []float64{1, 2e-12}); e > 1e-11 {
		t.Errorf("a tiny element's own error counts against the tensor: %g", e)
	}
	if e := MaxRelErr([]float64{1, 2}, []float64{1, 3}); math.Abs(e-1.0/5) > 1e-15 {
		t.Errorf("MaxRelErr = %g, want 1/5", e)
	}
	if e := MaxRelErr([]float64{0, 0}, []float64{0, 0}); e != 0 {
		t.Errorf("all zero: %g", e)
	}
}
