package runtime

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMainReportsErrors runs Main in a child process, since it exits.
func TestMainReportsErrors(t *testing.T) {
	if os.Getenv("DLC_RUNTIME_MAIN_CHILD") == "1" {
		os.Args = []string{"/some/where/digits-trainer", "-epochs", "2"}
		Main(newSoftmaxModel(digitsSpec(), 0.5))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainReportsErrors$")
	cmd.Env = append(os.Environ(), "DLC_RUNTIME_MAIN_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child ended with %v, want exit status 1", err)
	}
	want := "digits-trainer: no data folder: pass -data DIR (dlc train finds MNIST by itself)\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
