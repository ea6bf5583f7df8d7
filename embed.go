// Package dlc carries, inside the dlc command, the sources a generated
// trainer needs to build: the runtime package and the module files that pin
// its dependencies. Embedding them lets `dlc build` work offline and after
// `go install`, with no checkout at hand.
package dlc

import "embed"

// Source holds go.mod, go.sum and the Go files of the runtime package (the
// trainer), of runtime/rt (the narrow runtime generated model code imports),
// of runtime/kernels, the hand-written half of the generated matrix
// products, and of runtime/comm, how the ranks of a data-parallel trainer
// talk (its MPI half builds only with `dlc build -mpi`), and of onnx/onnxpb,
// the ONNX schema the trainer's export writes.
//
//go:embed go.mod go.sum runtime/*.go runtime/rt/*.go runtime/kernels/*.go runtime/comm/*.go onnx/onnxpb/*.go
var Source embed.FS
