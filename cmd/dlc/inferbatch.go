package main

import (
	"flag"
	"fmt"
	"strconv"
)

// inferBatch is the -infer-batch flag: the sub-batch the inference pass
// runs at, or 0 (unset) to let the compiler choose. That it divides the
// model's batch is checked once the model is read.
type inferBatch int

// inferBatchFlag adds -infer-batch to a command's flags. Its value is what
// compiler.Options.InferBatch expects.
func inferBatchFlag(fs *flag.FlagSet) *inferBatch {
	var b inferBatch
	fs.Var(&b, "infer-batch", "run inference (evaluation and prediction) `N` rows at a time; N must divide the batch (default: chosen to keep activations in cache)")
	return &b
}

func (b *inferBatch) String() string {
	if b == nil || *b == 0 {
		return ""
	}
	return strconv.Itoa(int(*b))
}

func (b *inferBatch) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return fmt.Errorf("want a whole number of rows, at least 1, got %q", s)
	}
	*b = inferBatch(v)
	return nil
}
