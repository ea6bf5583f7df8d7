package ir

// DataFiles names the files of a CSV or NumPy data set as the model file
// gives them (paths relative to the data folder). It is empty when the data
// is MNIST or a folder of IDX files, which TrainConfig.Data names.
type DataFiles struct {
	Format string // "csv" or "npy"; "" for MNIST or an IDX folder

	// CSV: training and optional test file, with a header row naming the
	// columns. Label and Features are column names separated by commas
	// (several labels for a real(k) label); no Features means every other
	// numeric column.
	Train, Test     string
	Label, Features string
	Group           string

	// NPY: the sample array, the label array, an optional group array and
	// an optional test pair.
	X, Y, Groups string
	TestX, TestY string
}

// Split strategies for TrainConfig.SplitBy.
const (
	SplitRandom = ""      // samples drawn at random
	SplitClass  = "class" // stratified: each class in the same proportion
	SplitGroup  = "group" // whole groups held out, never on both sides
)
