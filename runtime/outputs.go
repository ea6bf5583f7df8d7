package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutputs checks every file a training run will write before any data
// is loaded or any epoch trained, so that a mistyped folder fails at once
// rather than after the first epoch or the whole run. A checkpoint (or best
// checkpoint) that already exists is refused unless -resume continues it or
// -overwrite replaces it; metrics, plot and profile files are replaced.
func checkOutputs(spec Spec, o options) error {
	c := o.ckpt
	if c.path != "" {
		if err := checkWeightsFile("-checkpoint", c.path, c, spec); err != nil {
			return err
		}
		if c.patience > 0 {
			if err := checkWeightsFile("the best checkpoint", c.best(), c, spec); err != nil {
				return err
			}
		}
	}
	if err := checkWritable("-metrics", o.metricsPath); err != nil {
		return err
	}
	if err := checkWritable("-profile", o.profilePath); err != nil {
		return err
	}
	return checkWritable("-plot", o.plotPath())
}

// checkWeightsFile checks a checkpoint path: writable, and not a file this
// run would replace without being asked to.
func checkWeightsFile(what, path string, c checkpointOptions, spec Spec) error {
	if err := checkWritable(what, path); err != nil {
		return err
	}
	if c.resume || c.overwrite {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil // checkWritable has seen that nothing is in the way
	}
	return fmt.Errorf("%s %s already exists%s: pass -resume to continue training it, or -overwrite to replace it",
		what, path, describeCheckpointFile(path, spec))
}

// describeCheckpointFile says whose checkpoint the file at path is and how
// far it was trained, so that the user sees what would have been lost.
func describeCheckpointFile(path string, spec Spec) string {
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return " (not a checkpoint this trainer can read)"
	}
	whose := "this model " + spec.Name
	if ck.Model != spec.Name || ck.Hash != spec.Hash {
		whose = "model " + ck.Model
		if ck.Model == spec.Name {
			whose = "another version of model " + ck.Model
		}
	}
	return fmt.Sprintf(" (a checkpoint of %s, %d epochs trained)", whose, ck.Epoch)
}

// checkWritable checks that a file can be created at path, which flag
// names: its folder exists and takes new files, and path is not a folder.
// An empty path is not written and passes.
func checkWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s: that is a folder; name a file", flag, path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: folder %s does not exist", flag, path, dir)
	case err != nil:
		return fmt.Errorf("%s %s: %v", flag, path, pathErr(err))
	case !fi.IsDir():
		return fmt.Errorf("%s %s: %s is not a folder", flag, path, dir)
	}
	// Only creating a file shows that the folder takes one (permissions,
	// a read-only file system, ACLs).
	probe, err := os.CreateTemp(dir, ".dlc-write-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot create files in folder %s: %v", flag, path, dir, pathErr(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// pathErr is an error without the path it is about, for messages that
// name the path the user gave rather than a temporary one.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
