package dsl

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dlc-dev/dlc/ir"
)

// valueKind is what an expression evaluates to during lowering.
type valueKind int

const (
	vPoison valueKind = iota // the expression failed; its error is already reported
	vTensor
	vNumber
	vString
	vBool
)

// value is the result of evaluating an expression: a graph node, or a
// literal passed on to an op or a block.
type value struct {
	kind valueKind
	node *ir.Node
	num  float64
	text string // source text of a number, or a string's value
	b    bool
}

var poison = value{}

func tensorValue(n *ir.Node) value { return value{kind: vTensor, node: n} }

func numberValue(v float64, text string) value { return value{kind: vNumber, num: v, text: text} }

// describe names the value for an error message.
func (v value) describe() string {
	switch v.kind {
	case vTensor:
		return fmt.Sprintf("tensor %s of shape %s", v.node.Label(), v.node.Shape)
	case vNumber:
		return "number " + v.text
	case vString:
		return "string " + strconv.Quote(v.text)
	case vBool:
		return strconv.FormatBool(v.b)
	}
	return "an invalid value"
}

// isWhole reports whether v is a whole number in [lo, hi].
func isWhole(v float64, lo, hi int) bool {
	return v == math.Trunc(v) && v >= float64(lo) && v <= float64(hi)
}
