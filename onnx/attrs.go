package onnx

import (
	"fmt"

	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

// nodeAttrs reads a node's attributes by name.
type nodeAttrs map[string]*onnxpb.AttributeProto

func attrs(c *nodeCtx) nodeAttrs {
	a := nodeAttrs{}
	for _, at := range c.n.GetAttribute() {
		a[at.GetName()] = at
	}
	return a
}

func (a nodeAttrs) int(name string, def int64) int64 {
	if at, ok := a[name]; ok {
		return at.GetI()
	}
	return def
}

func (a nodeAttrs) float(name string, def float64) float64 {
	if at, ok := a[name]; ok {
		return float64(at.GetF())
	}
	return def
}

func (a nodeAttrs) tensor(name string) *onnxpb.TensorProto {
	if at, ok := a[name]; ok {
		return at.GetT()
	}
	return nil
}

// require refuses an integer attribute other than want.
func (a nodeAttrs) require(name string, want int64) error {
	if v := a.int(name, want); v != want {
		return fmt.Errorf("attribute %s = %d: dlc supports %s = %d", name, v, name, want)
	}
	return nil
}

func (a nodeAttrs) ints(name string) []int64 {
	if at, ok := a[name]; ok {
		return at.GetInts()
	}
	return nil
}

func (a nodeAttrs) str(name, def string) string {
	if at, ok := a[name]; ok {
		return string(at.GetS())
	}
	return def
}
