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
