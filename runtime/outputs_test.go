package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExistingCheckpointIsNeverReplacedUnasked(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ck.safetensors")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "2", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	before := readBytes(t, ckpt)

	// The same model, and another one, without -resume or -overwrite.
	other := digitsSpec()
	other.Name = "letters"
	for _, c := range []struct {
		spec  Spec
		whose string
	}{{digitsSpec(), "this model digits"}, {other, "model digits"}} {
		stdout, _, err := run(newSoftmaxModel(c.spec, 0.5), "-data", data, "-epochs", "1", "-checkpoint", ckpt)
		want := "-checkpoint " + ckpt + " already exists (a checkpoint of " + c.whose + ", 2 epochs trained): pass -resume to continue training it, or -overwrite to replace it"
		if err == nil || err.Error() != want {
			t.Errorf("model %s: got %v\nwant %s", c.spec.Name, err, want)
		}
		if strings.Contains(stdout, "epoch 1/") {
			t.Errorf("model %s trained before refusing:\n%s", c.spec.Name, stdout)
		}
		if !bytes.Equal(readBytes(t, ckpt), before) {
			t.Fatalf("model %s: the checkpoint was changed", c.spec.Name)
		}
	}

	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-checkpoint", ckpt, "-resume", "-overwrite"); err == nil ||
		!strings.Contains(err.Error(), "pass one of them") {
		t.Errorf("-resume with -overwrite: %v", err)
	}

	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-checkpoint", ckpt, "-overwrite")
	if err != nil {
		t.Fatal(err)
	}
	if want := "-overwrite: checkpoint " + ckpt + " will be replaced by this run's"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	if ck, _ := finalTensors(t, ckpt); ck.Epoch != 1 {
		t.Errorf("after -overwrite the checkpoint holds %d epochs, want 1", ck.Epoch)
	}
}

func TestExistingBestCheckpointIsNeverReplacedUnasked(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ck.safetensors")
	best := bestPath(ckpt)
	if err := os.WriteFile(best, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-patience", "2", "-checkpoint", ckpt)
	want := "the best checkpoint " + best + " already exists (not a checkpoint this trainer can read): pass -resume"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant %s...", err, want)
	}
	if _, err := os.Stat(ckpt); err == nil {
		t.Error("the run wrote a checkpoint before refusing")
	}
	if string(readBytes(t, best)) != "my notes" {
		t.Error("the file was replaced")
	}
}

func TestOutputPathsAreCheckedBeforeTraining(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-folder")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flag, path, want string
	}{
		{"-checkpoint", filepath.Join(missing, "ck.safetensors"), "folder " + missing + " does not exist"},
		{"-metrics", filepath.Join(missing, "m.jsonl"), "folder " + missing + " does not exist"},
		{"-plot", filepath.Join(missing, "p.png"), "folder " + missing + " does not exist"},
		{"-plot", dir, "that is a folder; name a file"},
		{"-checkpoint", dir, "that is a folder; name a file"},
		{"-metrics", filepath.Join(file, "m.jsonl"), file + " is not a folder"},
	} {
		stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "2", c.flag, c.path)
		want := c.flag + " " + c.path + ": " + c.want
		if err == nil || err.Error() != want {
			t.Errorf("%s %s: got %v\nwant %s", c.flag, c.path, err, want)
		}
		if stdout != "" {
			t.Errorf("%s %s: the run started before the check:\n%s", c.flag, c.path, stdout)
		}
	}
}

func TestPredictChecksItsOutputFirst(t *testing.T) {
	data := mnistFolder(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ck.safetensors")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-quiet", "-epochs", "1", "-checkpoint", ckpt); err != nil {
		t.Fatal(err)
	}
	before := readBytes(t, ckpt)
	bad := filepath.Join(dir, "missing", "p.csv")
	_, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-checkpoint", ckpt, "-data", data, "-o", bad)
	if want := "-o " + bad + ": folder " + filepath.Dir(bad) + " does not exist"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, _, err = run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-checkpoint", ckpt, "-data", data, "-o", ckpt)
	if want := "-o " + ckpt + " is a checkpoint; predictions would replace it: name another file"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if !bytes.Equal(readBytes(t, ckpt), before) {
		t.Error("predict replaced the checkpoint")
	}
}

func TestPlotErrorNamesThePlotNotATemporaryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone", "p.png")
	err := WritePlot(path, "m", []map[string]float64{{"epoch": 1, "train_loss": 1}}, PlotOptions{})
	if err == nil || err.Error() != "plot "+path+": no such file or directory" {
		t.Errorf("got %v", err)
	}
}
