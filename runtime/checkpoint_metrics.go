package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openMetricsFile opens the metrics file of a run that starts after
// doneEpochs epochs: a fresh run (0) starts the file anew; a resumed run
// keeps the records of the epochs its checkpoint holds and drops any later
// ones, written by the interrupted run after its last checkpoint, so that
// the file reads as one uninterrupted run.
func openMetricsFile(path string, doneEpochs int) (*MetricsWriter, error) {
	if doneEpochs == 0 {
		return CreateMetricsFile(path)
	}
	kept, err := metricsUpTo(path, doneEpochs)
	if err != nil {
		return nil, fmt.Errorf("metrics file: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("metrics file: %v", err)
	}
	if _, err := f.Write(kept); err != nil {
		f.Close()
		return nil, fmt.Errorf("metrics file: %v", err)
	}
	mw := NewMetricsWriter(f)
	mw.closer, mw.name = f, path
	return mw, nil
}

// metricsUpTo returns the lines of the metrics file at path whose epoch is
// at most epoch; a missing file has none.
func metricsUpTo(path string, epoch int) ([]byte, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kept bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Epoch int `json:"epoch"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Epoch > epoch {
			continue // a torn last line, or an epoch to be trained again
		}
		kept.Write(sc.Bytes())
		kept.WriteByte('\n')
	}
	return kept.Bytes(), sc.Err()
}
