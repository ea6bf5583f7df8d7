package main

import (
	"flag"
	"fmt"
	"strconv"
)

// batchSize is the value of -batch and -infer-batch: a number of rows, or 0
// (unset) to keep the model's batch or let the compiler choose the
// sub-batch. That a sub-batch divides the batch is checked once the model
// is read.
type batchSize int

// inferBatchFlag adds -infer-batch to a command's flags. Its value is what
// compiler.Options.InferBatch expects.
func inferBatchFlag(fs *flag.FlagSet) *batchSize {
	var b batchSize
	fs.Var(&b, "infer-batch", "run inference (evaluation and prediction) `N` rows at a time; N must divide the batch (default: chosen to keep activations in cache)")
	return &b
}

func (b *batchSize) String() string {
	if b == nil || *b == 0 {
		return ""
	}
	return strconv.Itoa(int(*b))
}

func (b *batchSize) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return fmt.Errorf("want a whole number of rows, at least 1, got %q", s)
	}
	*b = batchSize(v)
	return nil
}

// batchFlag adds -batch to a command's flags: the batch to compile the
// model at in place of its train section's (compiler.Options.Batch).
func batchFlag(fs *flag.FlagSet) *batchSize {
	var b batchSize
	fs.Var(&b, "batch", "compile for batches of `N` samples instead of the train section's batch")
	return &b
}
