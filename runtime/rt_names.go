package runtime

import "github.com/dlc-dev/dlc/runtime/rt"

// The trainer's names for the narrow runtime's types and functions, so that
// trainer code and its users can keep writing runtime.Batch and the like.
type (
	Spec           = rt.Spec
	Batch          = rt.Batch
	Model          = rt.Model
	Tensor         = rt.Tensor
	RNG            = rt.RNG
	Schedule       = rt.Schedule
	RunLength      = rt.RunLength
	Scheduled      = rt.Scheduled
	GradientSynced = rt.GradientSynced
	ParamUpdater   = rt.ParamUpdater
	UpdateRule     = rt.UpdateRule
	Transform      = rt.Transform
	Preprocessed   = rt.Preprocessed
	DataFiles      = rt.DataFiles
	Input          = rt.Input
)

// MaxWhitenFeatures bounds the features of PCA and ZCA whitening.
const MaxWhitenFeatures = rt.MaxWhitenFeatures

// NewRNG returns a generator seeded from seed (see rt.NewRNG).
func NewRNG(seed uint64) *RNG { return rt.NewRNG(seed) }

// InitParam fills dst by the initialisation scheme kind (see rt.InitParam).
func InitParam[F float32 | float64](dst []F, kind string, fanIn, fanOut int, r *RNG) error {
	return rt.InitParam(dst, kind, fanIn, fanOut, r)
}
