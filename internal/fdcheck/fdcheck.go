// Package fdcheck estimates derivatives by central finite differences, in
// float64: the reference that every gradient rule, the autodiff pass and
// `dlc check` are held to.
package fdcheck

import "math"

// Central estimates df/dx[i] as (f(x+h) − f(x−h)) / 2h, the step h being
// rel·max(1, |x[i]|) (relative for large elements, absolute for small
// ones). f reads x; x[i] is put back before Central returns.
func Central(f func() (float64, error), x []float64, i int, rel float64) (float64, error) {
	x0 := x[i]
	defer func() { x[i] = x0 }()
	h := rel * max(1, math.Abs(x0))
	x[i] = x0 + h
	up, err := f()
	if err != nil {
		return 0, err
	}
	x[i] = x0 - h
	down, err := f()
	return (up - down) / (2 * h), err
}

// Gradient estimates df/dx for every element of x with Central.
func Gradient(f func() (float64, error), x []float64, rel float64) ([]float64, error) {
	grad := make([]float64, len(x))
	for i := range x {
		var err error
		if grad[i], err = Central(f, x, i, rel); err != nil {
			return nil, err
		}
	}
	return grad, nil
}

// MaxRelErr is the normwise relative error ‖a−n‖∞ / max(1e-8, ‖a‖∞+‖n‖∞)
// between an analytic gradient a and a numeric one n. Measuring the whole
// tensor at once keeps tiny elements, whose own relative error is
// dominated by rounding, from failing a correct gradient; the floor keeps
// an all-zero gradient from dividing by zero.
func MaxRelErr(a, n []float64) float64 {
	var diff, na, nn float64
	for i := range a {
		diff = max(diff, math.Abs(a[i]-n[i]))
		na = max(na, math.Abs(a[i]))
		nn = max(nn, math.Abs(n[i]))
	}
	return diff / max(1e-8, na+nn)
}
