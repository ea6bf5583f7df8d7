package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/dlc-dev/dlc/onnx/onnxpb"
)

const exportSynopsis = "-checkpoint FILE -o FILE.onnx [-overwrite]"

const exportAbout = `Writes the model's inference graph with a checkpoint's weights as an ONNX
model (opset 17), which any ONNX runtime can serve: dropout is gone, batch
norm reads its running statistics (a BatchNormalization after its layer,
which runtimes fold), the batch is the symbolic dimension "batch", and each
weight is named as in the model file.`

// onnxModel is a generated model that carries its inference graph as ONNX.
type onnxModel interface {
	ONNX() ([]byte, error)
}

// runExport is the trainer's export subcommand.
func runExport(m Model, args []string, stdout, stderr io.Writer) error {
	fs := subcommandFlags(m, "export")
	ckptPath := fs.String("checkpoint", "", "the checkpoint `FILE` whose weights to export")
	outPath := fs.String("o", "", "write the ONNX model to `FILE`")
	overwrite := fs.Bool("overwrite", false, "replace the -o file if it exists")
	if err := parseSubcommand(fs, exportSynopsis, exportAbout, args, stdout, stderr); err != nil {
		return err
	}
	if err := required(fs, "checkpoint", "o"); err != nil {
		return err
	}
	om, ok := m.(onnxModel)
	if !ok {
		return fmt.Errorf("%s: this trainer was built without its ONNX graph: rebuild it with this dlc", fs.Name())
	}
	graph, err := om.ONNX()
	if err != nil {
		return fmt.Errorf("%s: the model has no ONNX form: %v", fs.Name(), err)
	}
	if err := checkWritable("-o", *outPath); err != nil {
		return err
	}
	if _, err := os.Stat(*outPath); err == nil && !*overwrite {
		return fmt.Errorf("%s: -o %s exists: pass -overwrite to replace it", fs.Name(), *outPath)
	}
	if _, err := ReadCheckpoint(*outPath); err == nil {
		return fmt.Errorf("-o %s is a checkpoint; the export would replace it: name another file", *outPath)
	}
	if _, err := loadCheckpointInto(m, *ckptPath); err != nil {
		return err
	}
	data, err := fillONNX(graph, append(m.Params(), m.State()...))
	if err != nil {
		return fmt.Errorf("%s: %v", fs.Name(), err)
	}
	if err := writeAtomically(*outPath, data); err != nil {
		return fmt.Errorf("writing %s: %v", *outPath, err)
	}
	fmt.Fprintf(stdout, "wrote %s (ONNX opset 17, %d bytes)\n", *outPath, len(data))
	return nil
}

// fillONNX gives every initializer of the serialised ONNX model the data
// of the tensor of its name, as little-endian float32.
func fillONNX(graph []byte, tensors []Tensor) ([]byte, error) {
	var model onnxpb.ModelProto
	if err := proto.Unmarshal(graph, &model); err != nil {
		return nil, fmt.Errorf("the embedded ONNX graph: %v", err)
	}
	byName := map[string]Tensor{}
	for _, t := range tensors {
		byName[t.Name] = t
	}
	for _, init := range model.GetGraph().GetInitializer() {
		t, ok := byName[init.GetName()]
		if !ok {
			return nil, fmt.Errorf("the ONNX graph reads %q, which the model does not hold", init.GetName())
		}
		size := int64(1)
		for _, d := range init.GetDims() {
			size *= d
		}
		raw := make([]byte, 0, 4*size)
		switch {
		case t.F32 != nil && int64(len(t.F32)) == size:
			for _, v := range t.F32 {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
		case t.F64 != nil && int64(len(t.F64)) == size:
			for _, v := range t.F64 {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
			}
		default:
			return nil, errors.New("tensor " + init.GetName() + " does not have the ONNX graph's size")
		}
		init.RawData = raw
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&model)
}
