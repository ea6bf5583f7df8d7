package runtime

// prepareRecipe readies the parts of the training recipe that depend on the
// data, before the first step: it tells a scheduled model the run's length,
// and on a fresh run (not one resumed from a checkpoint, which restored the
// transform with the rest of the state) fits the model's input transform on
// the training split.
func (t *trainer) prepareRecipe() error {
	if s, ok := unwrapped(t.model).(Scheduled); ok {
		s.SetRunLength(RunLength{StepsPerEpoch: t.trainB.trainSteps(), Epochs: t.opts.epochs})
	}
	if p, ok := unwrapped(t.model).(Preprocessed); ok && !t.restored {
		return p.Preprocessing().Fit(t.trainB.sub)
	}
	return nil
}
