package compiler

import (
	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/codegen"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx"
)

// exportONNX is the inference graph as ONNX for the trainer's export
// subcommand. A graph with no ONNX form still builds: the trainer's
// export says why instead.
func exportONNX(infer *ir.Graph) codegen.ONNXGraph {
	m, err := onnx.Export(infer)
	if err != nil {
		return codegen.ONNXGraph{Err: err}
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return codegen.ONNXGraph{Err: err}
	}
	return codegen.ONNXGraph{Model: data}
}
