package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/dlc-dev/dlc/compiler"
)

// `dlc plan` reports the arena the generated trainer allocates: its
// ArenaFloats, which the codegen tests hold to what New allocates.
func TestPlanReportsTheGeneratedArena(t *testing.T) {
	arenaConst := regexp.MustCompile(`(?m)^const ArenaFloats = (\d+)$`)
	for _, model := range []string{"../../examples/mnist/mlp.dl", "../../examples/mnist/lenet.dl"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"plan", "-json", model}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, stderr.String())
		}
		var r planReport
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		res, err := compiler.CompileFile(model, compiler.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var floats int64 = -1
		for _, f := range res.Files {
			if m := arenaConst.FindSubmatch(f.Data); f.Name == "model.go" && m != nil {
				floats, _ = strconv.ParseInt(string(m[1]), 10, 64)
			}
		}
		if floats < 0 {
			t.Fatalf("%s: the generated model.go declares no ArenaFloats", model)
		}
		if r.ModelArena != floats*4 {
			t.Errorf("%s: dlc plan reports an arena of %d bytes, the generated code allocates %d floats (%d bytes)",
				model, r.ModelArena, floats, floats*4)
		}
		// Both passes share one transient region: the arena is the
		// training plan's, or the inference plan's on top of the training
		// graph's persistent buffers, whichever is larger.
		if r.ModelArena < r.TrainPlanned || r.ModelArena >= r.TrainPlanned+r.InferPlanned {
			t.Errorf("%s: model arena %d bytes, training plan %d, inference plan %d", model, r.ModelArena, r.TrainPlanned, r.InferPlanned)
		}
	}
}
