package ops

// Storage ops. Their shapes are declared when they are created, and they
// compute nothing: the trainer fills inputs and labels from data, params are
// initialised from a seed (attrs "init", "fan_in", "fan_out") and state
// (optimizer moments, running statistics) starts at zero.
func init() {
	for _, name := range []string{"input", "label", "param", "state"} {
		Register(&Def{Name: name, Kind: Source, Arity: 0})
	}
}
