package probe

import "embed"

// Source holds this package's Go files, for laying it out in a trainer
// module beside a generated model (tests are skipped when writing it out).
//
//go:embed *.go
var Source embed.FS
