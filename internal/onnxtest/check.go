// Package onnxtest checks ONNX files with the onnx package's checker, for
// tests.
package onnxtest

import (
	"os/exec"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// Check runs onnx.checker, with full shape inference, on the ONNX file at
// path; where python3-onnx is missing it only says so.
func Check(t testing.TB, path string) {
	t.Helper()
	if err := exec.Command(python, "-c", "import onnx").Run(); err != nil {
		t.Log("python3-onnx is not installed (Debian's python3-onnx): skipping onnx.checker")
		return
	}
	script := "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)"
	if out, err := exec.Command(python, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("onnx.checker on %s: %v\n%s", path, err, strings.TrimSpace(string(out)))
	}
}
