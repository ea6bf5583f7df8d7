package rt

// GradientSynced is implemented by generated models. TrainStep calls the
// hook, when one is set, once every gradient of the step is complete and
// before any update reads one, with the step's mean loss. The hook may
// change the gradients in place (Grads aliases them) and returns the loss
// the step reports and checks for finiteness: a data-parallel trainer
// averages both over its ranks there. A hook's error ends the step before
// the update.
type GradientSynced interface {
	SetGradientSync(hook func(loss float64) (float64, error))
}

// ParamUpdater is implemented by generated models: it lets a data-parallel
// trainer take over the parameter updates (ZeRO stage 1, where each rank
// updates its own slice of the parameters and the ranks then gather them).
type ParamUpdater interface {
	// UpdateRules describes each parameter's update, in Params order.
	UpdateRules() []UpdateRule
	// SetParamUpdate sets the hook the step's update calls, once gradients
	// are clipped (when the recipe clips them), with the 1-based optimizer
	// step and its learning rate, in place of the generated updates of
	// every parameter; nil restores them.
	SetParamUpdate(hook func(step int, lr float64))
}

// UpdateRule is one parameter's optimizer update: its op (adam_update,
// sgd_update, …) and, for Adam, the hyperparameters of the generated
// kernel. WeightDecay is the parameter's own: 0 where the recipe excludes
// it.
type UpdateRule struct {
	Param                          string
	Op                             string
	Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                      bool
}
