package ops

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
)

// Origin says where a node's value comes from, for shape errors that
// compare two operands: the reader sees both shapes and the model line
// behind each, not only the line of the op that failed.
func Origin(n *ir.Node) string {
	at := ""
	if n.Loc.Line > 0 {
		at = fmt.Sprintf(" at %d:%d", n.Loc.Line, n.Loc.Col)
	}
	switch {
	case n.Op == "input" || n.Op == "label":
		return fmt.Sprintf("%s %s declared%s", n.Op, n.Name, at)
	case n.Layer != "":
		return fmt.Sprintf("layer %s%s", n.Layer, at)
	}
	return n.Label() + at
}
