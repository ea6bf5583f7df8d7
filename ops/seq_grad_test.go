package ops_test

import "github.com/dlc-dev/dlc/ir"

// Gradient checks of the sequence ops: embeddings, attention with and
// without its masks, per-position cross-entropy, and the ops a dense layer
// and a layer norm become over the last axis of [batch, time, width].
func init() {
	tokens := operand{shape: ir.Shape{3, 5}, tokens: 7}
	qkv := values(2, 5, 12)
	mask := operand{shape: ir.Shape{2, 5}, mask: true}
	gradCases = append(gradCases,
		gradCase{"sequence", "embedding", nil, []operand{tokens, values(7, 4), values(5, 4)}},
		gradCase{"longer_table", "embedding", nil, []operand{tokens, values(7, 4), values(9, 4)}},
		gradCase{"causal", "attention", ir.Attrs{"heads": 2, "causal": true}, []operand{qkv}},
		gradCase{"full", "attention", ir.Attrs{"heads": 2}, []operand{qkv}},
		gradCase{"one_head", "attention", ir.Attrs{"heads": 1, "causal": true}, []operand{values(2, 3, 9)}},
		gradCase{"padding", "attention", ir.Attrs{"heads": 2}, []operand{qkv, mask}},
		gradCase{"causal_padding", "attention", ir.Attrs{"heads": 4, "causal": true}, []operand{qkv, mask}},
		gradCase{"rows", "matmul", nil, []operand{values(3, 5, 7), values(7, 4)}},
		gradCase{"rows_tb", "matmul", ir.Attrs{"tb": true}, []operand{values(3, 5, 7), values(4, 7)}},
		gradCase{"last_axis", "bias_add", ir.Attrs{"axis": 2}, []operand{values(3, 5, 7), values(7)}},
		gradCase{"last_axis", "layernorm", ir.Attrs{"eps": 1e-5, "last": true}, []operand{values(3, 5, 7), values(7), values(7)}},
		gradCase{"positions", "softmax_xent", nil, []operand{values(3, 5, 7), {shape: ir.Shape{3, 5}, classes: 7}}},
	)
}
