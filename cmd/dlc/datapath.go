package main

import (
	"path/filepath"

	"github.com/dlc-dev/dlc/ir"
)

// withModelDataFolder makes the data paths of a model file relative to
// the model file's folder, as a reader of the file expects, by passing the
// trainer -data (a trainer on its own reads them relative to its working
// folder). An explicit -data wins.
func withModelDataFolder(t ir.TrainConfig, model string, trainerArgs []string) []string {
	if hasFlag(trainerArgs, "data") || hasFlag(trainerArgs, "h") || hasFlag(trainerArgs, "help") {
		return trainerArgs
	}
	dir := filepath.Dir(model)
	switch {
	case t.Files.Format != "":
		return append([]string{"-data", dir}, trainerArgs...)
	case t.Data != "" && t.Data != "mnist" && !filepath.IsAbs(t.Data):
		return append([]string{"-data", filepath.Join(dir, t.Data)}, trainerArgs...)
	}
	return trainerArgs
}
