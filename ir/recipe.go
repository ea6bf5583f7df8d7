package ir

// Recipe is the part of the training recipe beyond the optimizer's update
// rule: how the learning rate moves, how gradients are clipped, how inputs
// are preconditioned and how weights start.
type Recipe struct {
	Schedule   Schedule
	ClipNorm   float64    // clip gradients to this global L2 norm; 0 leaves them alone
	Preprocess Preprocess // input standardisation or whitening; Kind "" for none
	// Init is the model-wide default initialisation of weights: every
	// layer's init argument, when left out, takes it ("" keeps each
	// layer's own default).
	Init string
	// RematEvery, above 0, has the backward pass recompute forward values
	// rather than keep them, keeping only every RematEvery-th layer
	// boundary (passes/remat_layers.go); 0 keeps every value backward reads.
	RematEvery int
}

// Schedule is a learning-rate schedule. The learning rate of a step is
// computed at run time, once per step, because the number of steps is only
// known when the data is loaded.
type Schedule struct {
	Kind string // ScheduleConstant, ScheduleStep or ScheduleCosine

	// Step: multiply the rate by Gamma every Every steps, or every Every
	// epochs when InEpochs.
	Every    int
	InEpochs bool
	Gamma    float64

	// Cosine: anneal from the optimizer's rate to MinLR over the run.
	MinLR float64

	// Warmup is the number of steps of linear warm-up before the schedule
	// proper starts; 0 for none.
	Warmup int
}

// Schedule kinds.
const (
	ScheduleConstant = "constant"
	ScheduleStep     = "step"
	ScheduleCosine   = "cosine"
)

// Preprocess is a transform of the inputs fitted on the training split:
// its values are state of the graph, filled by the trainer before training.
type Preprocess struct {
	Kind string  // PreprocessStandardize, PreprocessPCA or PreprocessZCA; "" for none
	Eps  float64 // added to each variance (eigenvalue) before its square root
}

// Preprocess kinds.
const (
	PreprocessStandardize = "standardize"
	PreprocessPCA         = "pca"
	PreprocessZCA         = "zca"
)

// MaxWhitenFeatures bounds the features of PCA and ZCA whitening, whose
// matrix is features² in size (runtime.MaxWhitenFeatures is the same).
const MaxWhitenFeatures = 4096

// DecayRule says how an optimizer's weight decay applies.
type DecayRule struct {
	// Decoupled decay shrinks the parameter directly, p -= lr·wd·p, as
	// AdamW does; otherwise decay is coupled L2, wd·p added to the
	// gradient.
	Decoupled bool
	// The parameter classes spared from decay. A parameter is a bias when
	// its role (the last part of its name) is b or beta; it is a norm
	// parameter when it belongs to a normalisation layer (role gamma or
	// beta, or read by an op whose name ends in "norm"); an embedding
	// when an embedding op reads it as a table.
	ExcludeBias, ExcludeNorm, ExcludeEmbedding bool
}
