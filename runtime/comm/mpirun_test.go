package comm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// innerEnv marks a test binary that mpirun started: the tests of
// inner_test.go run only then.
const innerEnv = "DLC_COMM_UNDER_MPIRUN"

func underMPIRun() bool { return os.Getenv(innerEnv) != "" }

// mpiTestBinary builds this package's tests with the mpi tag, or skips
// when Open MPI is not installed.
func mpiTestBinary(t *testing.T) string {
	t.Helper()
	if underMPIRun() {
		t.Skip("already under mpirun")
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not found: install openmpi-bin and libopenmpi-dev to test the MPI build")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		t.Skip("pkg-config finds no ompi-c: install libopenmpi-dev to test the MPI build")
	}
	bin := filepath.Join(t.TempDir(), "comm.test")
	build := exec.Command("go", "test", "-c", "-tags", "mpi", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the MPI tests: %v\n%s", err, out)
	}
	return bin
}

// mpirun runs the test binary's tests matching run on np ranks of this
// machine. Root may run them only when asked (as CI runs), and more
// ranks than cores only with --oversubscribe.
func mpirun(t *testing.T, bin string, np int, run string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mpirun", "--oversubscribe", "-np", strconv.Itoa(np), bin, "-test.run", run, "-test.v")
	cmd.Env = append(os.Environ(), innerEnv+"=1", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_rmaps_base_oversubscribe=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("mpirun -np %d did not finish in 2 minutes:\n%s", np, out)
	}
	return string(out), err
}

// TestRanksAgree runs the collectives on 2 and 3 ranks (3 does not divide
// the buffer, so chunks are padded).
func TestRanksAgree(t *testing.T) {
	bin := mpiTestBinary(t)
	for _, np := range []int{2, 3} {
		out, err := mpirun(t, bin, np, "^TestInnerCollectives$")
		if err != nil || strings.Count(out, "--- PASS: TestInnerCollectives") != np {
			t.Errorf("mpirun -np %d: %v\n%s", np, err, out)
		}
	}
}

// TestAbortEndsTheRun: one rank aborting ends every rank, with its
// message and a failing exit status, within seconds, even though the
// other rank waits in a barrier that would never complete.
func TestAbortEndsTheRun(t *testing.T) {
	bin := mpiTestBinary(t)
	start := time.Now()
	out, err := mpirun(t, bin, 2, "^TestInnerAbort$")
	if err == nil {
		t.Fatalf("mpirun succeeded after a rank aborted:\n%s", out)
	}
	if !strings.Contains(out, "rank 1 of 2: giving up on purpose") {
		t.Errorf("the aborting rank's message is missing:\n%s", out)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the run took %s to end after an abort", d)
	}
}
