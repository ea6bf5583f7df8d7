// Package testdriver holds source text shared by the driver programs that
// dlc's tests build around generated models.
package testdriver

// Steps are the drivers' step helpers, for a driver importing the runtime:
// the tests' batches all fit their models, so a step's error stops the
// driver.
const Steps = `// check stops the driver at a step's error.
func check(err error) {
	if err != nil {
		panic(err)
	}
}

func trainStep(m runtime.Model, b *runtime.Batch) float64 {
	loss, err := m.TrainStep(b)
	check(err)
	return loss
}

func evalStep(m runtime.Model, b *runtime.Batch) (float64, int) {
	loss, correct, err := m.EvalStep(b)
	check(err)
	return loss, correct
}

`
