package runtime

import (
	"io"
	"strings"
	"testing"
)

// -threads sets how many goroutines a matrix product may use: 1 or 2.
func TestThreadsFlag(t *testing.T) {
	spec := Spec{Name: "m", InputShape: []int{3}, Classes: 2, Batch: 4, Epochs: 1, Data: "somewhere"}
	for _, c := range []struct {
		args []string
		want int
		err  string
	}{
		{nil, 2, ""},
		{[]string{"-threads", "1"}, 1, ""},
		{[]string{"-threads", "3"}, 0, "-threads must be 1 or 2, got 3"},
		{[]string{"-threads", "0"}, 0, "-threads must be 1 or 2, got 0"},
	} {
		o, err := parseFlags(spec, c.args, io.Discard, io.Discard)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.err == "" && o.threads != c.want:
			t.Errorf("%v: threads %d, want %d", c.args, o.threads, c.want)
		}
	}
}
