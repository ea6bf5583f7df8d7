package codegen

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestSpecNamesDataFiles(t *testing.T) {
	gs := mlpGraph(t, ir.F32)
	files, err := generateGraphs(gs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain := string(dataSpecFile(t, files, "model.go"))
	if strings.Contains(plain, "Files:") || strings.Contains(plain, "SplitBy:") {
		t.Errorf("an MNIST model's Spec names data files or a split strategy:\n%s", plain)
	}

	gs.train.Train.Data = ""
	gs.train.Train.Files = ir.DataFiles{Format: "csv", Train: "train.csv", Label: "y", Group: "family"}
	gs.train.Train.SplitBy = ir.SplitGroup
	files, err = generateGraphs(gs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	model := string(dataSpecFile(t, files, "model.go"))
	want := `Files: rt.DataFiles{
			Format: "csv",
			Group:  "family",
			Label:  "y",
			Train:  "train.csv",
		},
		SplitBy: "group",`
	if !strings.Contains(model, want) {
		t.Errorf("model.go lacks\n%s\nin\n%s", want, model)
	}
}

func dataSpecFile(t *testing.T, files []File, name string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("no %s generated", name)
	return nil
}
