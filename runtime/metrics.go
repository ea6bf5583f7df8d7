package runtime

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// EpochMetrics is the record of one epoch. Losses are means per sample;
// accuracies are fractions in [0,1]. Seconds and SamplesPerSec cover the
// epoch's training steps only, not evaluation.
type EpochMetrics struct {
	Epoch         int
	Step          int // optimizer steps since the start of training
	TrainLoss     float64
	ValLoss       float64
	ValAcc        float64
	TestLoss      float64
	TestAcc       float64
	SamplesPerSec float64
	// TokensPerSec is SamplesPerSec times the tokens of a sample, for a
	// model with a token input; 0 otherwise.
	TokensPerSec float64
	Seconds      float64
	// TrainEvalLoss and TrainAcc are measured like the validation figures
	// (inference mode, after the epoch) on a fixed sample of the training
	// set, so that train − val is a fair gap.
	TrainEvalLoss float64
	TrainAcc      float64
	Layers        []LayerHealth // gradient health per layer
	// Val is the validation set's confusion matrix and per-class accuracy
	// (classifiers) or MAE and R² (regression), when HasValQuality.
	Val           Quality
	HasValQuality bool

	HasVal       bool // a validation set was evaluated
	HasTest      bool // a test set was evaluated
	HasAcc       bool // the model is a classifier, so accuracies mean something
	HasTrainEval bool // the training sample was evaluated
}

// MarshalJSON writes the record with the fields epoch, step, train_loss,
// train_eval_loss, train_acc, val_loss, val_acc, loss_gap (train_eval_loss
// − val_loss), acc_gap (train_acc − val_acc), test_loss, test_acc,
// samples_per_sec, seconds, layers (gradient health), val_class_acc and
// val_confusion (classifiers: per-class accuracy, null for a class with no
// validation samples, and the confusion matrix, rows the true class) or
// val_mae and val_r2 (regression), leaving out those
// that do not apply (accuracies of a regression model, validation figures
// when nothing was held out).
func (m EpochMetrics) MarshalJSON() ([]byte, error) {
	type record struct {
		Epoch         int           `json:"epoch"`
		Step          int           `json:"step"`
		TrainLoss     float64       `json:"train_loss"`
		TrainEvalLoss *float64      `json:"train_eval_loss,omitempty"`
		TrainAcc      *float64      `json:"train_acc,omitempty"`
		ValLoss       *float64      `json:"val_loss,omitempty"`
		ValAcc        *float64      `json:"val_acc,omitempty"`
		LossGap       *float64      `json:"loss_gap,omitempty"`
		AccGap        *float64      `json:"acc_gap,omitempty"`
		TestLoss      *float64      `json:"test_loss,omitempty"`
		TestAcc       *float64      `json:"test_acc,omitempty"`
		SamplesPerSec float64       `json:"samples_per_sec"`
		TokensPerSec  float64       `json:"tokens_per_sec,omitempty"`
		Seconds       float64       `json:"seconds"`
		Layers        []LayerHealth `json:"layers,omitempty"`
		ValClassAcc   []*float64    `json:"val_class_acc,omitempty"`
		ValConfusion  [][]int       `json:"val_confusion,omitempty"`
		ValMAE        *float64      `json:"val_mae,omitempty"`
		ValR2         *float64      `json:"val_r2,omitempty"`
	}
	r := record{
		Epoch:         m.Epoch,
		Step:          m.Step,
		TrainLoss:     m.TrainLoss,
		SamplesPerSec: m.SamplesPerSec,
		TokensPerSec:  m.TokensPerSec,
		Seconds:       m.Seconds,
		Layers:        m.Layers,
	}
	if m.HasTrainEval {
		r.TrainEvalLoss = &m.TrainEvalLoss
		if m.HasAcc {
			r.TrainAcc = &m.TrainAcc
		}
	}
	if m.HasTrainEval && m.HasVal {
		lossGap := m.TrainEvalLoss - m.ValLoss
		r.LossGap = &lossGap
		if m.HasAcc {
			accGap := m.TrainAcc - m.ValAcc
			r.AccGap = &accGap
		}
	}
	if m.HasVal {
		r.ValLoss = &m.ValLoss
		if m.HasAcc {
			r.ValAcc = &m.ValAcc
		}
	}
	if m.HasValQuality {
		r.ValClassAcc, r.ValConfusion = m.Val.ClassAcc, m.Val.Confusion
		if m.Val.HasReg {
			r.ValMAE, r.ValR2 = &m.Val.MAE, &m.Val.R2
		}
	}
	if m.HasTest {
		r.TestLoss = &m.TestLoss
		if m.HasAcc {
			r.TestAcc = &m.TestAcc
		}
	}
	return json.Marshal(r)
}

// MetricsWriter writes one JSON object per epoch, one per line, flushing
// each so that the file can be followed while training runs.
type MetricsWriter struct {
	w      *bufio.Writer
	closer io.Closer
	name   string
}

// CreateMetricsFile creates (or truncates) the file at path.
func CreateMetricsFile(path string) (*MetricsWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("metrics file: %v", err)
	}
	mw := NewMetricsWriter(f)
	mw.closer, mw.name = f, path
	return mw, nil
}

// NewMetricsWriter writes to w; Close does not close w.
func NewMetricsWriter(w io.Writer) *MetricsWriter {
	return &MetricsWriter{w: bufio.NewWriter(w), name: "metrics"}
}

// Write appends one epoch's record and flushes it.
func (mw *MetricsWriter) Write(m EpochMetrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%s: epoch %d: %v", mw.name, m.Epoch, err)
	}
	mw.w.Write(line)
	mw.w.WriteByte('\n')
	if err := mw.w.Flush(); err != nil {
		return fmt.Errorf("%s: %v", mw.name, err)
	}
	return nil
}

// Close flushes and closes the file created by CreateMetricsFile.
func (mw *MetricsWriter) Close() error {
	err := mw.w.Flush()
	if mw.closer != nil {
		if cerr := mw.closer.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %v", mw.name, err)
	}
	return nil
}
