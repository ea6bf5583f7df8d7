package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// mnistClasses is the number of digit classes; MNIST labels are below it.
const mnistClasses = 10

// LoadMNIST reads the four MNIST files from dir, each plain or gzipped
// (train-images-idx3-ubyte or train-images-idx3-ubyte.gz, and so on). The
// pixels are held as bytes in Pixels; batches and CopySample scale them to
// [0,1].
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	if err := checkFolder(dir); err != nil {
		return nil, nil, err
	}
	train, err = loadMNISTPart(dir, "mnist-train", "train-images-idx3-ubyte", "train-labels-idx1-ubyte")
	if err != nil {
		return nil, nil, err
	}
	test, err = loadMNISTPart(dir, "mnist-test", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
	if err != nil {
		return nil, nil, err
	}
	if !slices.Equal(train.SampleShape, test.SampleShape) {
		return nil, nil, fmt.Errorf("MNIST in %s: training images are %s but test images are %s",
			dir, formatShape(train.SampleShape), formatShape(test.SampleShape))
	}
	return train, test, nil
}

// checkFolder reports a missing data folder by name, before any file in it.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("data folder %s does not exist", dir)
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("data folder %s is not a folder", dir)
	}
	return nil
}

// loadMNISTPart reads one images file and its labels file as a dataset.
func loadMNISTPart(dir, name, imagesName, labelsName string) (*Dataset, error) {
	imagesPath, err := findDataFile(dir, imagesName)
	if err != nil {
		return nil, err
	}
	labelsPath, err := findDataFile(dir, labelsName)
	if err != nil {
		return nil, err
	}
	images, err := readIDX(imagesPath, "pixels")
	if err != nil {
		return nil, err
	}
	if err := expectDims(imagesPath, images, 3); err != nil {
		return nil, err
	}
	labels, err := readIDX(labelsPath, "labels")
	if err != nil {
		return nil, err
	}
	if err := expectDims(labelsPath, labels, 1); err != nil {
		return nil, err
	}
	n := images.Dims[0]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("%s holds %d images but %s holds %d labels",
			imagesPath, n, labelsPath, labels.Dims[0])
	}
	// The pixels stay bytes, as read: batches convert them to [0,1] as
	// they are gathered, which keeps the data set a quarter of its float32
	// size.
	ds := &Dataset{
		Name:        name,
		Pixels:      images.Data,
		SampleShape: slices.Clone(images.Dims[1:]),
		Class:       make([]int32, n),
		N:           n,
	}
	for i, l := range labels.Data {
		if l >= mnistClasses {
			return nil, fmt.Errorf("%s: label %d in record %d of %d is not a digit (0 to 9)", labelsPath, l, i+1, n)
		}
		ds.Class[i] = int32(l)
	}
	return ds, nil
}

// findDataFile returns the path of name or name.gz in dir, preferring the
// uncompressed file.
func findDataFile(dir, name string) (string, error) {
	candidates := []string{name, name + ".gz"}
	for _, c := range candidates {
		p := filepath.Join(dir, c)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("MNIST file missing in %s: looked for %s and %s", dir, candidates[0], candidates[1])
}

// expectDims checks an IDX file has the dimension count of its role, which
// MNIST encodes in the magic number (0x00000803 for images, 0x00000801 for
// labels).
func expectDims(path string, idx *IDX, want int) error {
	if got := len(idx.Dims); got != want {
		return fmt.Errorf("%s: magic number is 0x%08x (%d dimensions), expected 0x%08x (%d dimensions)",
			path, 0x0800+got, got, 0x0800+want, want)
	}
	return nil
}
