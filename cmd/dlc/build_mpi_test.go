package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestWorldSizes(t *testing.T) {
	for _, tc := range []struct {
		batch int
		asked []int
		want  []int
	}{
		{128, nil, []int{1, 2, 4, 8}},
		{30, nil, []int{1, 2, 3, 5, 6}},
		{7, nil, []int{1, 7}},
		{1, nil, []int{1}},
		{128, []int{16, 2, 2}, []int{1, 2, 16}},
	} {
		got, err := worldSizes(tc.batch, tc.asked)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("worldSizes(%d, %v) = %v, %v; want %v", tc.batch, tc.asked, got, err, tc.want)
		}
	}
	if _, err := worldSizes(16, []int{3}); err == nil || !strings.Contains(err.Error(), "-ranks 3: 3 ranks cannot share the batch of 16 samples") {
		t.Errorf("3 ranks of a batch of 16: %v", err)
	}
}

func TestMPIFlagMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "-ranks", "2", "testdata/tiny.dl"}, "-ranks chooses the world sizes of a data-parallel trainer: it needs -mpi"},
		{[]string{"build", "-mpi", "-f64", "testdata/tiny.dl"}, "-mpi trains in float32"},
		{[]string{"build", "-mpi", "-ranks", "0", "testdata/tiny.dl"}, `"0" is not a number of ranks`},
		{[]string{"build", "-mpi", "-ranks", "2,x", "testdata/tiny.dl"}, `"x" is not a number of ranks`},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
