package ops

import (
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

// The memory plan and the code generator give a view its operand's
// buffer: only ops that keep their operand's elements in order are views.
func TestViews(t *testing.T) {
	for op, want := range map[string]bool{
		"flatten": true, "reshape": true, "relu": false, "matmul": false, "transpose": false, "no_such_op": false,
	} {
		if got := IsView(&ir.Node{Op: op}); got != want {
			t.Errorf("IsView(%s) = %t, want %t", op, got, want)
		}
	}
}
