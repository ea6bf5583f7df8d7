package build

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// MPIAvailable says why a data-parallel trainer cannot be built here, or
// nil: it links Open MPI through cgo, so it needs a C compiler and Open
// MPI's development files, found by pkg-config as ompi-c.
func MPIAvailable() error {
	const install = "install Open MPI's development files (Debian and Ubuntu: apt-get install libopenmpi-dev openmpi-bin)"
	cc := "gcc"
	if fields := strings.Fields(os.Getenv("CC")); len(fields) > 0 {
		cc = fields[0]
	}
	if _, err := exec.LookPath(cc); err != nil {
		return fmt.Errorf("dlc build -mpi links Open MPI through cgo and needs a C compiler, but %s is not found: install one (apt-get install gcc) or set CC", cc)
	}
	if _, err := exec.LookPath("pkg-config"); err != nil {
		return errors.New("dlc build -mpi finds Open MPI with pkg-config, which is not installed: " + install + " and pkg-config")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		return errors.New("dlc build -mpi needs Open MPI, but pkg-config finds no ompi-c: " + install)
	}
	return nil
}
