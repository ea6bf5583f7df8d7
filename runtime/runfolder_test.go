package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestRunWithoutOutputPathsKeepsAFolderOfItsOwn(t *testing.T) {
	data := mnistFolder(t)
	t.Chdir(t.TempDir())
	stdout, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "3", "-patience", "5")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("runs", "digits", "1")
	if want := "run folder " + dir + ": the metrics, plot and weights go here"; !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	var files []string
	for _, name := range []string{"metrics.jsonl", "plot.png", "plot.confusion.png", "final.safetensors", "best.safetensors"} {
		files = append(files, filepath.Join(dir, name))
	}
	if want := "  files: " + strings.Join(files, ", ") + "\n"; !strings.Contains(stdout, want) {
		t.Errorf("the summary lacks %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, "no weights were kept") {
		t.Errorf("the summary says no weights were kept:\n%s", stdout)
	}
	if ck, _ := finalTensors(t, files[3]); ck.Epoch != 3 {
		t.Errorf("final.safetensors holds %d epochs, want 3", ck.Epoch)
	}
	if len(readMetrics(t, files[0])) != 3 {
		t.Errorf("metrics.jsonl does not hold 3 epochs")
	}
	decodePNG(t, files[1])
	decodePNG(t, files[2])
	first := readBytes(t, files[3])

	// The weights serve predict.
	if out, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "predict", "-checkpoint", files[3], "-data", data); err != nil ||
		!strings.HasPrefix(out, "index,class,") {
		t.Errorf("predict from the run folder: %v\n%.80s", err, out)
	}

	// A second run takes the next folder and leaves the first alone.
	stdout, _, err = run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-seed", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "run folder "+filepath.Join("runs", "digits", "2")+":") {
		t.Errorf("the second run did not take folder 2:\n%s", stdout)
	}
	if !bytes.Equal(readBytes(t, files[3]), first) {
		t.Error("the second run changed the first run's weights")
	}

	// Explicit paths, or -runs "", make no folder.
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-metrics", metrics); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(newSoftmaxModel(digitsSpec(), 0.5), "-data", data, "-epochs", "1", "-runs", ""); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join("runs", "digits"))
	if len(entries) != 2 {
		t.Errorf("runs/digits holds %d folders, want 2", len(entries))
	}
}

func TestRunFoldersAreNeverShared(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "m")
	if err := os.MkdirAll(filepath.Join(parent, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			dir, err := newRunFolder(parent)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, filepath.Base(dir))
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(got)
	if want := []string{"10", "11", "12", "13", "14", "15", "8", "9"}; !slices.Equal(got, want) {
		t.Errorf("folders %v, want %v (each once, after the highest taken)", got, want)
	}
}
