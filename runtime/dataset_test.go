package runtime

import (
	"strings"
	"testing"
)

func imageSet(n int, labels ...int32) *Dataset {
	return &Dataset{Name: "digits", X: make([]float32, n*28*28), SampleShape: []int{28, 28}, Class: labels, N: n}
}

func TestCheckAcceptsAnyShapeOfTheSameSize(t *testing.T) {
	ds := imageSet(3, 0, 9, 4)
	for _, shape := range [][]int{{784}, {1, 28, 28}, {28, 28}} {
		spec := Spec{Name: "m", InputShape: shape, Classes: 10}
		if err := ds.Check(spec); err != nil {
			t.Errorf("input %v: %v", shape, err)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	regression := &Dataset{Name: "houses", X: make([]float32, 8), SampleShape: []int{4}, Target: make([]float32, 6), N: 2}
	cases := []struct {
		name string
		ds   *Dataset
		spec Spec
		want string
	}{
		{"size", imageSet(1, 0), Spec{Name: "m", InputShape: []int{1, 32, 32}, Classes: 10},
			"dataset digits has samples of shape [28,28] (784 values) but model m takes input of shape [1,32,32] (1024 values)"},
		{"label range", imageSet(3, 0, 5, 2), Spec{Name: "m", InputShape: []int{784}, Classes: 5},
			"dataset digits has label 5 in record 2 but model m has 5 classes (labels 0 to 4)"},
		{"regression model on class labels", imageSet(1, 0), Spec{Name: "m", InputShape: []int{784}, Targets: 1},
			"dataset digits has class labels but model m is a regression model with 1 targets"},
		{"classifier on targets", regression, Spec{Name: "m", InputShape: []int{4}, Classes: 2},
			"dataset houses has real-valued targets but model m is a classifier"},
		{"target count", regression, Spec{Name: "m", InputShape: []int{4}, Targets: 2},
			"dataset houses has 3 targets per sample but model m predicts 2"},
	}
	for _, c := range cases {
		err := c.ds.Check(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if err := regression.Check(Spec{Name: "m", InputShape: []int{2, 2}, Targets: 3}); err != nil {
		t.Errorf("matching regression data: %v", err)
	}
}
