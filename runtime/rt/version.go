package rt

// Generated code and the runtime it imports must agree on the API between
// them. As in protobuf-go, each generated model package states the version
// of that API it was generated for, in constant expressions that fail to
// compile, naming EnforceVersion, when this runtime cannot serve it:
//
//	const (
//		_ = rt.EnforceVersion(N - rt.MinVersion) // the generated code is new enough
//		_ = rt.EnforceVersion(rt.MaxVersion - N) // this runtime is new enough
//	)
//
// A mismatch then shows at `go build`, not as a wrong result at run time;
// the fix is to run `go generate` again with the dlc of the runtime's
// module version, or to require the dlc the package was generated with.
const (
	// MaxVersion is the newest generated-code version this runtime serves:
	// the one the dlc of this module generates.
	MaxVersion = 3
	// MinVersion is the oldest generated-code version it still serves.
	MinVersion = 1
)

// EnforceVersion is a compile-time check: converting a negative constant to
// it fails to compile.
type EnforceVersion uint
