package rt

// DataFiles names the files of a CSV or NumPy data set, as the model file
// gave them. Relative paths are looked up in the data folder (the trainer's
// -data flag, by default the working folder).
type DataFiles struct {
	Format string // "csv" or "npy"; "" when Spec.Data names MNIST or an IDX folder

	// CSV: the training and optional test file. Label and Features are
	// column names separated by commas; no Features means every other
	// numeric column. Group names the column that groups samples.
	Train, Test     string
	Label, Features string
	Group           string

	// NPY: the sample and label arrays, an optional group array and an
	// optional test pair.
	X, Y, Groups string
	TestX, TestY string
}
