package dsl

// Limits on sizes written in a model file. They keep every shape, element
// count and graph within what the compiler and the trainer can represent,
// whatever the input; real models stay far below them.
const (
	maxDim        = 1 << 24 // one dimension, a layer width, a number of classes
	maxSampleSize = 1 << 28 // elements of one input sample
	maxBatch      = 1 << 20
	maxEpochs     = 1 << 30
	maxRepeat     = 1000
	maxNodes      = 100_000 // nodes in the forward graph, after expanding blocks
	maxCopies     = 20_000  // block copies expanded, including those that add no nodes
	maxExprDepth  = 200     // nesting of one expression: operators, calls, parentheses
)
