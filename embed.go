// Package dlc carries, inside the dlc command, the sources a generated
// trainer needs to build: the runtime package and the module files that pin
// its dependencies. Embedding them lets `dlc build` work offline and after
// `go install`, with no checkout at hand.
package dlc

import "embed"

// Source holds go.mod, go.sum and the runtime package's Go files.
//
//go:embed go.mod go.sum runtime/*.go
var Source embed.FS
