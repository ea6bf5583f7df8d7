package ops_test

import "github.com/dlc-dev/dlc/ir"

// Gradient checks of the convolutional ops, activations and the binary
// loss. Spatial sizes are odd and unequal so that a swapped height and
// width, or a stride that drops the last row, shows.
func init() {
	conv := func(k, stride, pad int) ir.Attrs { return ir.Attrs{"kernel": k, "stride": stride, "pad": pad} }
	pool := func(k, stride int) ir.Attrs { return ir.Attrs{"kernel": k, "stride": stride} }
	gradCases = append(gradCases,
		gradCase{"3x3", "conv2d", conv(3, 1, 0), []operand{values(2, 3, 7, 9), values(5, 3, 3, 3)}},
		gradCase{"stride2_pad1", "conv2d", conv(3, 2, 1), []operand{values(2, 3, 7, 13), values(4, 3, 3, 3)}},
		gradCase{"5x5_pad2_one_channel", "conv2d", conv(5, 1, 2), []operand{values(3, 1, 7, 5), values(2, 1, 5, 5)}},
		gradCase{"stride3_drops_edge", "conv2d", conv(2, 3, 0), []operand{values(2, 2, 7, 8), values(3, 2, 2, 2)}},
		gradCase{"2x2", "maxpool2d", pool(2, 2), []operand{values(2, 3, 7, 9)}},
		gradCase{"overlapping", "maxpool2d", pool(3, 2), []operand{values(2, 3, 7, 13)}},
		gradCase{"2x2", "avgpool2d", pool(2, 2), []operand{values(2, 3, 7, 9)}},
		gradCase{"overlapping", "avgpool2d", pool(3, 1), []operand{values(2, 3, 7, 5)}},
		gradCase{"4d", "global_avgpool", nil, []operand{values(3, 7, 5, 3)}},
		gradCase{"3d", "global_avgpool", nil, []operand{values(3, 7, 13)}},
		gradCase{"sequences", "seq_mean", nil, []operand{values(3, 7, 5)}},
		gradCase{"4d", "flatten", nil, []operand{values(3, 7, 5, 2)}},
		gradCase{"to_4d", "reshape", ir.Attrs{"shape": []int{3, 5, 1, 7}}, []operand{values(3, 35)}},
		gradCase{"slope", "leaky_relu", ir.Attrs{"slope": 0.1}, []operand{{shape: ir.Shape{7, 37}, awayFromZero: true}}},
		gradCase{"negative_slope", "leaky_relu", ir.Attrs{"slope": -0.3}, []operand{{shape: ir.Shape{7, 13}, awayFromZero: true}}},
		gradCase{"elementwise", "tanh", nil, []operand{values(7, 37)}},
		gradCase{"elementwise", "sigmoid", nil, []operand{values(7, 37)}},
		gradCase{"elementwise", "gelu", nil, []operand{values(7, 37)}},
		gradCase{"rows", "softmax", nil, []operand{values(7, 13)}},
		gradCase{"last_axis", "softmax", nil, []operand{values(3, 5, 7)}},
		gradCase{"elements", "bce_with_logits", nil, []operand{values(7, 13), {shape: ir.Shape{7, 13}, target: true}}},
	)
}
