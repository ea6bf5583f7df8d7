package runtime

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Checkpoint is what a trainer saves to resume training exactly where it
// stopped: the model's parameters and optimizer state, where in training it
// was, and every random stream's state. It is stored as a safetensors file
// whose tensors are named as in the model file ("h1.w", "h1.w.adam_m") and
// whose metadata holds the rest (see checkpoint_meta.go).
type Checkpoint struct {
	Model string // the model's name
	Hash  string // the model's architecture fingerprint, Spec.Hash
	DType string // "F32" or "F64": what the model computes in

	// Where training was: Epoch epochs complete, then EpochBatches batches
	// of the next epoch trained, whose training losses sum to EpochLossSum.
	Epoch        int
	EpochBatches int
	EpochLossSum float64
	Step         int // optimizer steps taken (the model's Step)
	// RunEpochs is the -epochs of the run that saved it: the length a
	// schedule over the run was spread over. 0 when not recorded.
	RunEpochs int

	Seed      uint64      // the run's seed: initialisation and shuffling
	SplitSeed uint64      // the seed that chose the validation split
	ModelRNG  *[4]uint64  // the model's own random stream; nil if it has none
	Early     earlyStop   // early-stopping record, for -patience on resume
	Data      dataSummary // what was trained on, to refuse other data on resume
	// Features names the CSV feature columns trained on, in the model's
	// input order, so that predict finds them by name in a new file; nil
	// for other data.
	Features []string

	// Tensors are the model's parameters, then its state (optimizer
	// moments, running statistics, the fitted input transform).
	Tensors []Tensor
}

// earlyStop is the early-stopping record: the best validation loss so far,
// the epoch that reached it, and the epochs since then without improvement.
type earlyStop struct {
	BestLoss  float64
	BestEpoch int // 0 until an epoch has been evaluated
	Bad       int
}

// dataSummary records the sizes of the training and validation sets.
type dataSummary struct {
	Train, Val int
}

// SaveCheckpoint writes c to path atomically: a trainer killed at any moment
// leaves either the previous file or the new one, whole.
func SaveCheckpoint(path string, c *Checkpoint) error {
	enc, err := encodeTensors(c.Tensors)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %v", path, err)
	}
	sum := sha256.Sum256(enc.data)
	meta := c.metadata(hex.EncodeToString(sum[:]))
	err = writeFileAtomic(path, func(w *bufio.Writer) error { return enc.write(w, meta) })
	if err != nil {
		return fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return nil
}

// ReadCheckpoint reads and checks the checkpoint at path: its structure, its
// metadata and the checksum of its tensor data. Whether it fits a model is
// checked by Restore.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	content, err := readFileNamed(path, "checkpoint")
	if err != nil {
		return nil, err
	}
	c, err := decodeCheckpoint(content)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return c, nil
}

// readFileNamed reads a file, saying what it is for in errors.
func readFileNamed(path, what string) ([]byte, error) {
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s does not exist", what, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return content, nil
}

// decodeCheckpoint parses a checkpoint file's content.
func decodeCheckpoint(content []byte) (*Checkpoint, error) {
	st, err := ReadSafetensors(content)
	if err != nil {
		return nil, err
	}
	if st.Metadata[metaFormat] != checkpointFormat {
		return nil, fmt.Errorf("not a dlc checkpoint (its metadata has no %s=%s)", metaFormat, checkpointFormat)
	}
	sum := sha256.Sum256(st.Data)
	if got, want := hex.EncodeToString(sum[:]), st.Metadata[metaDataSHA256]; got != want {
		return nil, fmt.Errorf("tensor data is corrupted: its SHA-256 is %s but the checkpoint recorded %s", got, want)
	}
	c, err := parseCheckpointMeta(st.Metadata)
	if err != nil {
		return nil, err
	}
	c.Tensors = st.Tensors
	return c, nil
}

// tensorsOf lists the tensors a checkpoint of m holds, its parameters and
// state, aliasing the model's storage.
func tensorsOf(m Model) []Tensor {
	return append(m.Params(), m.State()...)
}

// modelDType is "F64" for a model computing in float64, else "F32".
func modelDType(m Model) string {
	for _, t := range m.Params() {
		if t.F64 != nil {
			return "F64"
		}
	}
	return "F32"
}
