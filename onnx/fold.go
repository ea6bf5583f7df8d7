package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/onnx/onnxpb"
	"github.com/dlc-dev/dlc/ops"
)

// Constant folding: the shape arithmetic PyTorch exports around a
// transformer (Shape, Gather, Unsqueeze, Concat, Cast, Range, ...) computes
// values known at import once every input's shape is fixed, so the
// importer evaluates it there and the graph never sees it. Constants are
// float64 tensors; whether one holds integers (ONNX's int32 and int64,
// where Div truncates) is kept beside it (importer.ints).

// maxFolded bounds the constants folding makes (Range, ConstantOfShape),
// so that a malformed file cannot ask for unbounded memory.
const maxFolded = 1 << 24

// allConst reports whether every operand is a constant.
func allConst(in []operand) bool {
	return !slices.ContainsFunc(in, func(o operand) bool { return o.value == nil })
}

// foldConst binds the node's single output to v, an integer tensor when
// isInt.
func (c *nodeCtx) foldConst(v *ops.Tensor, isInt bool) error {
	if err := c.defineConst(v); err != nil {
		return err
	}
	c.im.ints[c.n.GetOutput()[0]] = isInt
	return nil
}

// isInt reports whether operand o is a constant of integers.
func (c *nodeCtx) isInt(o operand) bool { return c.im.ints[o.name] }

// binaryFolds are the elementwise operators folded over constants, with
// numpy broadcasting.
var binaryFolds = map[string]func(x, y float64) float64{
	"Add": func(x, y float64) float64 { return x + y },
	"Sub": func(x, y float64) float64 { return x - y },
	"Mul": func(x, y float64) float64 { return x * y },
	"Div": func(x, y float64) float64 { return x / y },
	"Pow": math.Pow,
	"Equal": func(x, y float64) float64 {
		if x == y {
			return 1
		}
		return 0
	},
}

// foldBinary folds an elementwise operator over two constants.
func foldBinary(c *nodeCtx, in []operand) error {
	op := c.n.GetOpType()
	f := binaryFolds[op]
	ints := c.isInt(in[0]) && c.isInt(in[1])
	if op == "Div" && ints {
		f = func(x, y float64) float64 {
			if y == 0 {
				return math.NaN()
			}
			return math.Trunc(x / y)
		}
	}
	out, err := broadcast(in[0].value, in[1].value, f)
	if err != nil {
		return err
	}
	if op == "Div" && ints && slices.ContainsFunc(out.Data, math.IsNaN) {
		return errors.New("integer division by zero in constant arithmetic")
	}
	return c.foldConst(out, ints || op == "Equal")
}

// broadcast applies f elementwise to a and b under numpy's broadcasting.
func broadcast(a, b *ops.Tensor, f func(x, y float64) float64) (*ops.Tensor, error) {
	rank := max(len(a.Shape), len(b.Shape))
	dim := func(s ir.Shape, i int) int {
		if j := i - (rank - len(s)); j >= 0 {
			return s[j]
		}
		return 1
	}
	shape := make(ir.Shape, rank)
	for i := range shape {
		da, db := dim(a.Shape, i), dim(b.Shape, i)
		switch {
		case da == db || db == 1:
			shape[i] = da
		case da == 1:
			shape[i] = db
		default:
			return nil, fmt.Errorf("shapes %s and %s do not broadcast", a.Shape, b.Shape)
		}
	}
	out := ops.NewTensor(shape)
	for i := range out.Data {
		out.Data[i] = f(a.Data[broadcastIndex(i, shape, a.Shape)], b.Data[broadcastIndex(i, shape, b.Shape)])
	}
	return out, nil
}

// broadcastIndex is the element of a tensor of shape s that element i of a
// tensor of shape out (s broadcast) reads.
func broadcastIndex(i int, out, s ir.Shape) int {
	idx, stride := 0, 1
	for d := len(out) - 1; d >= 0; d-- {
		coord := i % out[d]
		i /= out[d]
		if j := d - (len(out) - len(s)); j >= 0 {
			if s[j] != 1 {
				idx += coord * stride
			}
			stride *= s[j]
		}
	}
	return idx
}

// axisOf resolves a possibly negative axis of a rank-r tensor.
func axisOf(axis int64, r int) (int, error) {
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	return int(axis), nil
}

// shapeOf is the ONNX shape of an operand.
func shapeOf(o operand) ir.Shape {
	switch {
	case o.node != nil:
		return o.node.Shape
	case o.value != nil:
		return o.value.Shape
	}
	return o.sym.shape
}

func lowerShape(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	s := shapeOf(in[0])
	a := attrs(c)
	start, err := clampAxis(a.int("start", 0), len(s))
	if err != nil {
		return err
	}
	end, err := clampAxis(a.int("end", int64(len(s))), len(s))
	if err != nil {
		return err
	}
	out := ops.NewTensor(ir.Shape{max(end-start, 0)})
	for i := range out.Data {
		out.Data[i] = float64(s[start+i])
	}
	return c.foldConst(out, true)
}

// clampAxis resolves Shape's and Slice's start and end: negative counts
// from the end, and both clamp to [0, r].
func clampAxis(v int64, r int) (int, error) {
	if v < 0 {
		v += int64(r)
	}
	return int(min(max(v, 0), int64(r))), nil
}

// gatherConst is Gather over constants: the slices of data along axis
// that indices pick.
func gatherConst(data, indices *ops.Tensor, axis int) (*ops.Tensor, error) {
	outer, n, inner := data.Shape[:axis].Size(), data.Shape[axis], data.Shape[axis+1:].Size()
	shape := append(append(data.Shape[:axis].Clone(), indices.Shape...), data.Shape[axis+1:]...)
	out := ops.NewTensor(shape)
	k := len(indices.Data)
	for o := range outer {
		for j, v := range indices.Data {
			idx := int(v)
			if idx < 0 {
				idx += n
			}
			if idx < 0 || idx >= n {
				return nil, fmt.Errorf("index %g out of range [%d, %d)", v, -n, n)
			}
			copy(out.Data[(o*k+j)*inner:(o*k+j+1)*inner], data.Data[(o*n+idx)*inner:(o*n+idx+1)*inner])
		}
	}
	return out, nil
}

// onnxIntTypes are the ONNX element types that hold integers (and bool).
var onnxIntTypes = map[onnxpb.TensorProto_DataType]bool{
	onnxpb.TensorProto_INT8: true, onnxpb.TensorProto_INT16: true, onnxpb.TensorProto_INT32: true, onnxpb.TensorProto_INT64: true,
	onnxpb.TensorProto_UINT8: true, onnxpb.TensorProto_UINT16: true, onnxpb.TensorProto_UINT32: true, onnxpb.TensorProto_UINT64: true,
	onnxpb.TensorProto_BOOL: true,
}

// lowerCast folds a Cast of a constant (integer types truncate, bool is
// "not zero"), and passes a tensor through: dlc computes in one float type
// and reads token ids and masks as floats.
func lowerCast(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	to := onnxpb.TensorProto_DataType(attrs(c).int("to", 0))
	if in[0].value == nil {
		return c.pass(in[0])
	}
	out := &ops.Tensor{Shape: in[0].value.Shape.Clone(), Data: slices.Clone(in[0].value.Data)}
	for i, v := range out.Data {
		switch {
		case to == onnxpb.TensorProto_BOOL:
			out.Data[i] = b2f(v != 0)
		case onnxIntTypes[to]:
			out.Data[i] = math.Trunc(v)
		}
	}
	return c.foldConst(out, onnxIntTypes[to])
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// lowerUnsqueeze inserts axes of size 1: folded on a constant, a view of a
// tensor, or the padding mask on its way to the attention scores.
func lowerUnsqueeze(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 2)
	if err != nil {
		return err
	}
	if in[1].value == nil {
		return errors.New("axes must be a constant")
	}
	s := shapeOf(in[0])
	if x := in[0].node; x != nil && x.Op == "input" && len(s) == 2 { // the padding mask, perhaps
		in[0] = operand{name: in[0].name, sym: &sym{kind: symMask, x: x, shape: s}}
	}
	rank := len(s) + len(in[1].value.Data)
	ones := make([]bool, rank)
	for _, a := range in[1].value.Data {
		ax, err := axisOf(int64(a), rank)
		if err != nil {
			return err
		}
		if ones[ax] {
			return fmt.Errorf("axes %v name axis %d twice", in[1].value.Data, ax)
		}
		ones[ax] = true
	}
	shape, rest := make(ir.Shape, 0, rank), s
	for _, one := range ones {
		if one {
			shape = append(shape, 1)
		} else {
			shape, rest = append(shape, rest[0]), rest[1:]
		}
	}
	return c.reshaped(in[0], shape)
}

// lowerSqueeze removes the given axes of size 1 (or every one).
func lowerSqueeze(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 2)
	if err != nil {
		return err
	}
	s := shapeOf(in[0])
	drop := make([]bool, len(s))
	if len(in) == 2 {
		if in[1].value == nil {
			return errors.New("axes must be a constant")
		}
		for _, a := range in[1].value.Data {
			ax, err := axisOf(int64(a), len(s))
			if err != nil {
				return err
			}
			if s[ax] != 1 {
				return fmt.Errorf("axis %d has size %d, not 1", ax, s[ax])
			}
			drop[ax] = true
		}
	} else {
		for i, d := range s {
			drop[i] = d == 1
		}
	}
	var shape ir.Shape
	for i, d := range s {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return c.reshaped(in[0], shape)
}

// reshaped binds the node's output to o under another shape of as many
// elements: a constant's copy, a reshape view of a tensor, or a pattern's
// next step (pattern.go).
func (c *nodeCtx) reshaped(o operand, shape ir.Shape) error {
	switch {
	case o.value != nil:
		if shape.Size() != o.value.Shape.Size() {
			return fmt.Errorf("cannot give the %d elements of %s the shape %s", o.value.Shape.Size(), o.value.Shape, shape)
		}
		return c.foldConst(&ops.Tensor{Shape: shape, Data: o.value.Data}, c.isInt(o))
	case o.sym != nil:
		return reshapeSym(c, o, shape)
	}
	return c.reshapeNode(o.node, shape)
}

// reshapeNode views x under shape: a reshape op, whose result shares x's
// buffer, or x itself when the shape is the same.
func (c *nodeCtx) reshapeNode(x *ir.Node, shape ir.Shape) error {
	if x.Shape.Equal(shape) {
		return c.define(x)
	}
	if len(shape) == 0 || shape[0] != x.Shape[0] {
		return fmt.Errorf("reshaping %s to %s: dlc keeps the batch as the first dimension", x.Shape, shape)
	}
	return c.defineOp("reshape", ir.Attrs{"shape": []int(shape.Clone())}, x)
}

// lowerReshape resolves the target shape (0 keeps a dimension, -1 takes
// the rest) and reshapes.
func lowerReshape(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 2)
	if err != nil {
		return err
	}
	if in[1].value == nil {
		return errors.New("the shape must be a constant (once -shape fixes the inputs, dlc folds the arithmetic that computes it)")
	}
	if attrs(c).int("allowzero", 0) != 0 {
		return errors.New("allowzero 1: dlc supports allowzero 0")
	}
	s := shapeOf(in[0])
	shape := make(ir.Shape, len(in[1].value.Data))
	rest := -1
	for i, v := range in[1].value.Data {
		switch {
		case v == 0 && i < len(s):
			shape[i] = s[i]
		case v == -1 && rest < 0:
			rest = i
		case v >= 1:
			shape[i] = int(v)
		default:
			return fmt.Errorf("shape %v: dimension %d is %g", in[1].value.Data, i, v)
		}
	}
	if rest >= 0 {
		shape[rest] = 1
		if known := shape.Size(); known == 0 || s.Size()%known != 0 {
			return fmt.Errorf("shape %v does not fit the %d elements of %s", in[1].value.Data, s.Size(), s)
		} else {
			shape[rest] = s.Size() / known
		}
	}
	if shape.Size() != s.Size() {
		return fmt.Errorf("shape %v does not fit the %d elements of %s", in[1].value.Data, s.Size(), s)
	}
	return c.reshaped(in[0], shape)
}

func lowerConcat(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, math.MaxInt)
	if err != nil {
		return err
	}
	if !allConst(in) {
		return errors.New("dlc concatenates constants only (shape arithmetic, folded at import)")
	}
	first := in[0].value.Shape
	axis, err := axisOf(attrs(c).int("axis", 0), len(first))
	if err != nil {
		return err
	}
	shape := first.Clone()
	shape[axis] = 0
	for _, o := range in {
		s := o.value.Shape
		if len(s) != len(first) || !s[:axis].Equal(first[:axis]) || !s[axis+1:].Equal(first[axis+1:]) {
			return fmt.Errorf("concatenating shapes %s and %s along axis %d", first, s, axis)
		}
		shape[axis] += s[axis]
	}
	out := ops.NewTensor(shape)
	outer, inner := first[:axis].Size(), first[axis+1:].Size()
	at := 0
	for o := range outer {
		for _, op := range in {
			n := op.value.Shape[axis] * inner
			copy(out.Data[at:at+n], op.value.Data[o*n:(o+1)*n])
			at += n
		}
	}
	return c.foldConst(out, slices.ContainsFunc(in, c.isInt))
}

func lowerRange(im *importer, c *nodeCtx) error {
	in, err := c.inputs(3, 3)
	if err != nil {
		return err
	}
	if !allConst(in) || slices.ContainsFunc(in, func(o operand) bool { return o.value.Shape.Size() != 1 }) {
		return errors.New("start, limit and delta must be scalar constants")
	}
	start, limit, delta := in[0].value.Data[0], in[1].value.Data[0], in[2].value.Data[0]
	if delta == 0 {
		return errors.New("delta 0")
	}
	steps := math.Ceil((limit - start) / delta)
	if steps > maxFolded {
		return fmt.Errorf("a range of %g elements: dlc folds at most %d", steps, maxFolded)
	}
	n := max(int(steps), 0)
	out := ops.NewTensor(ir.Shape{n})
	for i := range out.Data {
		out.Data[i] = start + float64(i)*delta
	}
	return c.foldConst(out, c.isInt(in[0]))
}

// lowerConstantOfShape is a tensor of the shape its input gives, filled
// with value's one element (0 by default).
func lowerConstantOfShape(im *importer, c *nodeCtx) error {
	in, err := c.inputs(1, 1)
	if err != nil {
		return err
	}
	if in[0].value == nil {
		return errors.New("the shape must be a constant")
	}
	shape := make(ir.Shape, len(in[0].value.Data))
	for i, v := range in[0].value.Data {
		if v < 0 || v > maxFolded {
			return fmt.Errorf("shape %v: dlc folds constants of at most %d elements", in[0].value.Data, maxFolded)
		}
		shape[i] = int(v)
	}
	if shape.Size() > maxFolded {
		return fmt.Errorf("shape %v: dlc folds constants of at most %d elements", in[0].value.Data, maxFolded)
	}
	out, fill, isInt := ops.NewTensor(shape), 0.0, false
	if t := attrs(c).tensor("value"); t != nil {
		v, err := tensorValues(t)
		if err != nil {
			return err
		}
		if len(v.Data) != 1 {
			return errors.New("value must hold one element")
		}
		fill, isInt = v.Data[0], onnxIntTypes[onnxpb.TensorProto_DataType(t.GetDataType())]
	}
	for i := range out.Data {
		out.Data[i] = fill
	}
	return c.foldConst(out, isInt)
}

// lowerGather folds Gather over constants; Gather of an initializer
// by token ids is an embedding (pattern.go).
func lowerGather(im *importer, c *nodeCtx) error {
	in, err := c.inputs(2, 2)
	if err != nil {
		return err
	}
	data, idx := in[0], in[1]
	if data.value == nil {
		return errors.New("data must be an initializer or a constant")
	}
	axis, err := axisOf(attrs(c).int("axis", 0), len(data.value.Shape))
	if err != nil {
		return err
	}
	if idx.value == nil {
		return lookup(c, data, idx, axis)
	}
	out, err := gatherConst(data.value, idx.value, axis)
	if err != nil {
		return err
	}
	if err := c.foldConst(out, c.isInt(data)); err != nil {
		return err
	}
	// Rows 0, 1, ... of an initializer (positions through a Range) are
	// that initializer's first rows: an embedding reads the table itself.
	if axis == 0 && len(idx.value.Shape) == 1 && isPrefix(idx.value.Data) && c.im.initializer[data.name] {
		c.im.rowsOf[c.n.GetOutput()[0]] = data.name
	}
	return nil
}

// isPrefix reports whether v is 0, 1, ..., len(v)−1.
func isPrefix(v []float64) bool {
	for i, x := range v {
		if x != float64(i) {
			return false
		}
	}
	return true
}

// lowerSlice folds a Slice of a constant, or cuts queries, keys or values
// (a third of the last axis) out of a projection [batch, time, 3·width].
// Steps must be 1.
func lowerSlice(im *importer, c *nodeCtx) error {
	in, err := c.inputs(3, 5)
	if err != nil {
		return err
	}
	for _, o := range in[1:] {
		if o.value == nil {
			return errors.New("starts, ends, axes and steps must be constants")
		}
	}
	s := shapeOf(in[0])
	starts, ends := in[1].value.Data, in[2].value.Data
	if len(ends) != len(starts) {
		return fmt.Errorf("%d starts and %d ends", len(starts), len(ends))
	}
	lo, hi := make([]int, len(s)), slices.Clone([]int(s))
	for i := range starts {
		axis := int64(i)
		if len(in) > 3 {
			if len(in[3].value.Data) != len(starts) {
				return fmt.Errorf("%d axes for %d starts", len(in[3].value.Data), len(starts))
			}
			axis = int64(in[3].value.Data[i])
		}
		if len(in) > 4 && (len(in[4].value.Data) != len(starts) || in[4].value.Data[i] != 1) {
			return fmt.Errorf("steps %v: dlc slices with step 1", in[4].value.Data)
		}
		ax, err := axisOf(axis, len(s))
		if err != nil {
			return err
		}
		lo[ax], _ = clampAxis(int64(max(min(starts[i], 1<<62), -(1<<62))), s[ax])
		hi[ax], _ = clampAxis(int64(max(min(ends[i], 1<<62), -(1<<62))), s[ax])
		hi[ax] = max(hi[ax], lo[ax])
	}
	if x := in[0].node; x != nil || in[0].sym != nil {
		if x == nil {
			if x, err = c.tensor(in[0]); err != nil {
				return err
			}
		}
		return slicePart(c, x, lo, hi)
	}
	return c.foldConst(sliceConst(in[0].value, lo, hi), c.isInt(in[0]))
}

// slicePart is queries (part 0), keys (1) or values (2) when [lo, hi)
// covers the whole of x = [batch, time, 3·width] but one third of its last
// axis.
func slicePart(c *nodeCtx, x *ir.Node, lo, hi []int) error {
	s := x.Shape
	if len(s) == 3 && s[2]%3 == 0 && lo[0] == 0 && hi[0] == s[0] && lo[1] == 0 && hi[1] == s[1] {
		C := s[2] / 3
		if part := lo[2] / C; lo[2] == part*C && hi[2] == lo[2]+C {
			return c.defineSym(&sym{kind: symPart, x: x, part: part, shape: ir.Shape{s[0], s[1], C}})
		}
	}
	return fmt.Errorf("slicing %s from %v to %v: dlc slices a tensor [batch, time, 3·width] into thirds of its last axis (queries, keys, values)", s, lo, hi)
}

// sliceConst is t[lo:hi] along every axis.
func sliceConst(t *ops.Tensor, lo, hi []int) *ops.Tensor {
	shape := make(ir.Shape, len(lo))
	for i := range shape {
		shape[i] = hi[i] - lo[i]
	}
	out := ops.NewTensor(shape)
	for i := range out.Data {
		src, stride, rest := 0, 1, i
		for d := len(shape) - 1; d >= 0; d-- {
			src += (rest%shape[d] + lo[d]) * stride
			rest /= shape[d]
			stride *= t.Shape[d]
		}
		out.Data[i] = t.Data[src]
	}
	return out
}
