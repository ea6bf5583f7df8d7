package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// tensorValues reads an ONNX tensor (an initializer or a Constant's value)
// as float64: float32, float64, int32 and int64 data, from the typed
// fields or from raw_data (little-endian, as ONNX stores it).
func tensorValues(t *onnxpb.TensorProto) (*ops.Tensor, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("data in an external file: dlc reads weights stored in the model file only")
	}
	shape := make(ir.Shape, len(t.GetDims()))
	for i, d := range t.GetDims() {
		if d < 0 {
			return nil, fmt.Errorf("dimension %d is %d", i, d)
		}
		shape[i] = int(d)
	}
	n := shape.Size()
	if n > 1<<31 {
		return nil, fmt.Errorf("%d elements: too many", n)
	}
	out := &ops.Tensor{Shape: shape, Data: make([]float64, n)}
	raw := t.GetRawData()
	typ := onnxpb.TensorProto_DataType(t.GetDataType())
	size := map[onnxpb.TensorProto_DataType]int{
		onnxpb.TensorProto_FLOAT: 4, onnxpb.TensorProto_DOUBLE: 8,
		onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_INT64: 8,
	}[typ]
	if size == 0 {
		return nil, fmt.Errorf("element type %s: dlc reads FLOAT, DOUBLE, INT32 and INT64 tensors", typ)
	}
	if raw != nil {
		if len(raw) != n*size {
			return nil, fmt.Errorf("raw_data holds %d bytes, its %s shape %s needs %d", len(raw), typ, shape, n*size)
		}
		for i := range out.Data {
			b := raw[i*size:]
			switch typ {
			case onnxpb.TensorProto_FLOAT:
				out.Data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
			case onnxpb.TensorProto_DOUBLE:
				out.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			case onnxpb.TensorProto_INT32:
				out.Data[i] = float64(int32(binary.LittleEndian.Uint32(b)))
			case onnxpb.TensorProto_INT64:
				out.Data[i] = float64(int64(binary.LittleEndian.Uint64(b)))
			}
		}
		return out, nil
	}
	var count int
	switch typ {
	case onnxpb.TensorProto_FLOAT:
		count = copyConv(out.Data, t.GetFloatData())
	case onnxpb.TensorProto_DOUBLE:
		count = copyConv(out.Data, t.GetDoubleData())
	case onnxpb.TensorProto_INT32:
		count = copyConv(out.Data, t.GetInt32Data())
	case onnxpb.TensorProto_INT64:
		count = copyConv(out.Data, t.GetInt64Data())
	}
	if count != n {
		return nil, fmt.Errorf("holds %d values, its shape %s needs %d", count, shape, n)
	}
	return out, nil
}

// copyConv converts src into dst when the lengths agree, and returns
// len(src).
func copyConv[T float32 | float64 | int32 | int64](dst []float64, src []T) int {
	if len(src) == len(dst) {
		for i, v := range src {
			dst[i] = float64(v)
		}
	}
	return len(src)
}
