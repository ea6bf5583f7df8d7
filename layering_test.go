package dlc

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dlc-dev/dlc"

// layers says which dlc packages each layer's packages may import (not
// counting tests): the pipeline reads downwards, from the command through
// the driver to the front end, passes and code generator, down to the
// op registry and the IR; generated code sees only the runtime.
var layers = []struct {
	pkg   string // a package, or a prefix ending in "/" for a folder of them
	may   []string
	never string // why, for the message
}{
	{"ir", nil, "the IR is the bottom layer"},
	{"ops", []string{"ir"}, "the op registry sits on the IR alone"},
	{"internal/interp", []string{"ir", "ops"}, "the reference interpreter evaluates ops over the IR"},
	{"internal/fdcheck", nil, "finite differences know nothing of graphs, so every layer's tests can use them"},
	{"internal/onnxtest", []string{"internal/interp", "ir", "ops", "onnx", "onnx/onnxpb"}, "tests check ONNX files through the importer and the interpreter"},
	{"internal/npytest", nil, "the runtime's tests use it, and the runtime imports no compiler"},
	{"dsl", []string{"ir", "ops"}, "the front end lowers onto the IR through the registry"},
	{"passes", []string{"ir", "ops"}, "passes see IR and ops only"},
	{"onnx", []string{"ir", "ops", "onnx/onnxpb"}, "the ONNX front end lowers onto the IR through the registry, as dsl does"},
	{"onnx/onnxpb", nil, "the compiled ONNX schema is generated code"},
	{"codegen", []string{"ir", "ops", "codegen/emit", "codegen/gemm"}, "the code generator sees IR and ops only (and its own parts)"},
	{"codegen/gemm", []string{"ir", "ops", "codegen/emit"}, "the GEMM engine knows nothing of the generator: it sees IR, ops and the emit helpers"},
	{"codegen/emit", []string{"ir", "ops"}, "the emit helpers sit on the IR and the op registry"},
	{"runtime", []string{"runtime/rt", "runtime/kernels", "runtime/comm", "onnx/onnxpb"}, "the runtime never imports the compiler (its export writes the ONNX schema's types)"},
	{"runtime/", []string{"runtime/rt", "runtime/kernels"}, "the runtime never imports the compiler"},
	{"golden/", []string{"runtime/rt", "runtime/kernels"}, "generated model code imports the narrow runtime alone"},
}

// knownExceptions are imports that break the rules above today, each to
// be removed by moving what it reaches for to the layer where it belongs.
// The list may only shrink.
var knownExceptions = map[string][]string{
	// The schedule and parameter initialisation are runtime types, and
	// the fused kernels' operand limit and the convolution's unrolling are
	// the hand-written kernels'.
	"codegen": {"runtime/rt", "runtime/kernels"},
}

func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module+"/")
		if !ok {
			continue
		}
		for _, l := range layers {
			if pkg != l.pkg && !(strings.HasSuffix(l.pkg, "/") && strings.HasPrefix(pkg, l.pkg)) {
				continue
			}
			checked++
			for _, imp := range fields[1:] {
				dep, ok := strings.CutPrefix(imp, module+"/")
				if imp == module {
					dep, ok = ".", true
				}
				if !ok || slices.Contains(l.may, dep) || slices.Contains(knownExceptions[pkg], dep) {
					continue
				}
				t.Errorf("%s imports %s: %s (it may import %v)", pkg, dep, l.never, l.may)
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d packages matched the layer rules: is the module layout what this test expects?", checked)
	}
}

// TestKnownExceptionsStillExist keeps knownExceptions honest: an exception
// that the code no longer needs must leave the list.
func TestKnownExceptionsStillExist(t *testing.T) {
	for pkg, deps := range knownExceptions {
		out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list ./%s: %v", pkg, err)
		}
		imports := strings.Fields(string(out))
		for _, dep := range deps {
			if !slices.Contains(imports, module+"/"+dep) {
				t.Errorf("%s no longer imports %s: remove it from knownExceptions", pkg, dep)
			}
		}
	}
}
