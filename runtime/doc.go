// Package runtime is the trainer of a dlc model: its main function, flags,
// data loading and formats, batching, splits, metrics, plots, progress,
// checkpoints and the training loop. A trainer's main package imports it;
// a generated model package imports only the narrow runtime, package rt,
// whose types this package re-exports under the same names. It never
// imports the compiler.
package runtime
