package runtime

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A checkpoint's metadata keys. Safetensors metadata is a map of strings,
// so numbers are written in decimal (floats with the fewest digits that
// read back bit-identical) and RNG states as four hexadecimal words.
const (
	metaFormat       = "format"
	metaVersion      = "format_version"
	metaModel        = "model"
	metaHash         = "model_hash"
	metaDType        = "dtype"
	metaEpoch        = "epoch"
	metaEpochBatches = "epoch_batches"
	metaEpochLossSum = "epoch_loss_sum"
	metaStep         = "step"
	metaRunEpochs    = "run_epochs"
	metaSeed         = "seed"
	metaSplitSeed    = "split_seed"
	metaModelRNG     = "rng_model"
	metaBestLoss     = "best_val_loss"
	metaBestEpoch    = "best_epoch"
	metaBadEpochs    = "epochs_without_improvement"
	metaTrainSamples = "train_samples"
	metaValSamples   = "val_samples"
	metaDataSHA256   = "data_sha256"
	metaFeatures     = "features" // a JSON array of column names
)

// checkpointFormat marks a dlc checkpoint; checkpointVersion changes when
// the layout changes in a way older trainers cannot read.
const (
	checkpointFormat  = "dlc-checkpoint"
	checkpointVersion = "1"
)

// metadata encodes c's fields, with the data section's checksum.
func (c *Checkpoint) metadata(dataSHA256 string) map[string]string {
	itoa := strconv.Itoa
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	utoa := func(u uint64) string { return strconv.FormatUint(u, 10) }
	meta := map[string]string{
		metaFormat:       checkpointFormat,
		metaVersion:      checkpointVersion,
		metaModel:        c.Model,
		metaHash:         c.Hash,
		metaDType:        c.DType,
		metaEpoch:        itoa(c.Epoch),
		metaEpochBatches: itoa(c.EpochBatches),
		metaEpochLossSum: ftoa(c.EpochLossSum),
		metaStep:         itoa(c.Step),
		metaRunEpochs:    itoa(c.RunEpochs),
		metaSeed:         utoa(c.Seed),
		metaSplitSeed:    utoa(c.SplitSeed),
		metaBestLoss:     ftoa(c.Early.BestLoss),
		metaBestEpoch:    itoa(c.Early.BestEpoch),
		metaBadEpochs:    itoa(c.Early.Bad),
		metaTrainSamples: itoa(c.Data.Train),
		metaValSamples:   itoa(c.Data.Val),
		metaDataSHA256:   dataSHA256,
	}
	if c.ModelRNG != nil {
		meta[metaModelRNG] = formatRNGState(*c.ModelRNG)
	}
	if c.Features != nil {
		names, _ := json.Marshal(c.Features) // strings always encode
		meta[metaFeatures] = string(names)
	}
	return meta
}

// metaReader parses metadata fields, keeping the first error.
type metaReader struct {
	meta map[string]string
	err  error
}

func (r *metaReader) fail(key, value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("corrupted metadata: %s is %q, not %s", key, value, want)
	}
}

func (r *metaReader) int(key string) int {
	v := r.meta[key]
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(key, v, "a count")
	}
	return n
}

func (r *metaReader) uint64(key string) uint64 {
	v := r.meta[key]
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		r.fail(key, v, "an unsigned integer")
	}
	return n
}

func (r *metaReader) float(key string) float64 {
	v := r.meta[key]
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.fail(key, v, "a number")
	}
	return f
}

// parseCheckpointMeta reads a checkpoint's fields from its metadata.
func parseCheckpointMeta(meta map[string]string) (*Checkpoint, error) {
	if v := meta[metaVersion]; v != checkpointVersion {
		return nil, fmt.Errorf("checkpoint format version %q; this trainer reads version %s", v, checkpointVersion)
	}
	r := &metaReader{meta: meta}
	c := &Checkpoint{
		Model:        meta[metaModel],
		Hash:         meta[metaHash],
		DType:        meta[metaDType],
		Epoch:        r.int(metaEpoch),
		EpochBatches: r.int(metaEpochBatches),
		EpochLossSum: r.float(metaEpochLossSum),
		Step:         r.int(metaStep),
		Seed:         r.uint64(metaSeed),
		SplitSeed:    r.uint64(metaSplitSeed),
		Early:        earlyStop{BestLoss: r.float(metaBestLoss), BestEpoch: r.int(metaBestEpoch), Bad: r.int(metaBadEpochs)},
		Data:         dataSummary{Train: r.int(metaTrainSamples), Val: r.int(metaValSamples)},
	}
	if v, ok := meta[metaFeatures]; ok {
		if json.Unmarshal([]byte(v), &c.Features) != nil {
			r.fail(metaFeatures, v, "a JSON array of column names")
		}
	}
	if _, ok := meta[metaRunEpochs]; ok { // older checkpoints lack it
		c.RunEpochs = r.int(metaRunEpochs)
	}
	if v, ok := meta[metaModelRNG]; ok {
		s, err := parseRNGState(v)
		if err != nil {
			r.fail(metaModelRNG, v, "four hexadecimal words")
		}
		c.ModelRNG = &s
	}
	if c.DType != "F32" && c.DType != "F64" {
		r.fail(metaDType, c.DType, "F32 or F64")
	}
	return c, r.err
}

// formatRNGState writes a generator state as four comma-separated
// hexadecimal words.
func formatRNGState(s [4]uint64) string {
	parts := make([]string, len(s))
	for i, w := range s {
		parts[i] = strconv.FormatUint(w, 16)
	}
	return strings.Join(parts, ",")
}

func parseRNGState(v string) ([4]uint64, error) {
	var s [4]uint64
	parts := strings.Split(v, ",")
	if len(parts) != len(s) {
		return s, fmt.Errorf("%d words", len(parts))
	}
	for i, p := range parts {
		w, err := strconv.ParseUint(p, 16, 64)
		if err != nil {
			return s, err
		}
		s[i] = w
	}
	return s, nil
}
