package dsl

import (
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/ir"
)

func TestLowerDataSources(t *testing.T) {
	cases := []struct {
		train string
		data  string
		files ir.DataFiles
		by    string
	}{
		{`data mnist`, "mnist", ir.DataFiles{}, ir.SplitRandom},
		{`data "digits/"  split 0.2 by class`, "digits/", ir.DataFiles{}, ir.SplitClass},
		{`data csv("train.csv", y = "y", group = "family", test = "test.csv")
		  split 0.1 by group`, "",
			ir.DataFiles{Format: "csv", Train: "train.csv", Test: "test.csv", Label: "y", Group: "family"}, ir.SplitGroup},
		{`data csv("t.csv", "y", features = " a, b ,c")  split 0.1 by random`, "",
			ir.DataFiles{Format: "csv", Train: "t.csv", Label: "y", Features: "a,b,c"}, ir.SplitRandom},
		{`data npy(x = "x.npy", y = "y.npy")`, "", ir.DataFiles{Format: "npy", X: "x.npy", Y: "y.npy"}, ir.SplitRandom},
		{`data npy("x.npy", "y.npy", group = "g.npy", test_x = "tx.npy", test_y = "ty.npy"); split 0.3 by group`, "",
			ir.DataFiles{Format: "npy", X: "x.npy", Y: "y.npy", Groups: "g.npy", TestX: "tx.npy", TestY: "ty.npy"}, ir.SplitGroup},
	}
	for _, c := range cases {
		g := mustCompile(t, complete+"train {\n  "+c.train+"\n}\n", LowerOptions{})
		if g.Train.Data != c.data || g.Train.Files != c.files || g.Train.SplitBy != c.by {
			t.Errorf("%s:\ngot data %q files %+v by %q\nwant data %q files %+v by %q",
				c.train, g.Train.Data, g.Train.Files, g.Train.SplitBy, c.data, c.files, c.by)
		}
	}
}

func TestDataErrors(t *testing.T) {
	cases := []struct {
		name  string
		train string
		col   int
		msg   string
	}{
		{"unknown set", `data cifar`, 14, "unknown data set cifar: use mnist, a quoted IDX folder path, csv("},
		{"format without files", `data csv`, 14, `data csv needs its files, as in csv(file, y, features = "", group = "", test = "")`},
		{"unknown format", `data parquet("x")`, 14, "unknown data format parquet; the formats are csv and npy"},
		{"near format", `data nppy("x")`, 14, `unknown data format nppy (did you mean "npy"?)`},
		{"csv without label", `data csv("t.csv")`, 14, "csv needs argument y"},
		{"empty file", `data csv("", y = "y")`, 18, "csv: file must name a file, got an empty string"},
		{"number as file", `data csv(3, y = "y")`, 18, "csv: argument file must be a quoted string, got number 3"},
		{"name as file", `data csv(train_csv, y = "y")`, 18, "csv: argument file must be a quoted string, got train_csv"},
		{"call as path", `data npy(x = path("x.npy"), y = "y.npy")`, 22, "npy: argument x must be a quoted string, got path(...)"},
		{"label twice", `data csv("t.csv", y = "y,y")`, 31, `csv: y names column "y" twice`},
		{"empty feature name", `data csv("t.csv", y = "y", features = "a,,b")`, 47, `csv: features has an empty column name in "a,,b"`},
		{"two groups", `data csv("t.csv", y = "y", group = "a,b")`, 44, `csv: group must name one column, got "a,b"`},
		{"label is feature", `data csv("t.csv", y = "y", features = "a,y")`, 14, `csv: column "y" cannot be both the label (y) and a feature`},
		{"label is group", `data csv("t.csv", y = "y", group = "y")`, 14, `csv: column "y" cannot be both the label (y) and the group`},
		{"unknown argument", `data csv("t.csv", y = "y", target = "z")`, 36, `csv has no argument "target"`},
		{"half a test pair", `data npy(x = "x.npy", y = "y.npy", test_x = "t.npy")`, 14, "npy: test_x and test_y go together"},
		{"npy without y", `data npy(x = "x.npy")`, 14, "npy needs argument y"},
		{"empty path", `data ""`, 14, "data path is empty"},
		{"number", `data 3`, 14, "data must be mnist, a quoted IDX folder path"},
		{"by alone", `by class`, 9, "by must follow split on its line, as in split 0.1 by group"},
		{"by on the next line", "split 0.1\n  by class", 3, "by must follow split on its line"},
		{"by what", `split 0.1 by family`, 22, "split by must be random, class (stratified) or group, got family"},
		{"group split without groups", `data csv("t.csv", y = "y")  split 0.1 by group`, 50, "split by group needs groups"},
		{"group split of mnist", `split 0.1 by group`, 22, "split by group needs groups"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := complete + "train {\n        " + c.train + "\n}\n"
			_, err := Compile("t.dl", []byte(src), LowerOptions{})
			if err == nil {
				t.Fatalf("no error for:\n%s", src)
			}
			for _, e := range dslErrors(t, err) {
				if e.Pos.Col == c.col && strings.Contains(e.Msg, c.msg) {
					return
				}
			}
			t.Errorf("want :%d: ...%s...; got:\n%s", c.col, c.msg, FormatError(err, []byte(src)))
		})
	}
}

// A model file that names no data trains on MNIST, and the graph says why,
// so that the trainer can tell the user.
func TestDataDefaultSaysWhy(t *testing.T) {
	for _, c := range []struct{ train, data, why string }{
		{"", "mnist", ir.DataNoTrainBlock},
		{"train {\n  epochs 2\n}\n", "mnist", ir.DataNoDataKey},
		{"train {\n  data mnist\n}\n", "mnist", ""},
		{"train {\n  data \"digits/\"\n}\n", "digits/", ""},
	} {
		g := mustCompile(t, complete+c.train, LowerOptions{})
		if g.Train.Data != c.data || g.Train.DataDefault != c.why {
			t.Errorf("%q: data %q (default: %q), want %q (%q)", c.train, g.Train.Data, g.Train.DataDefault, c.data, c.why)
		}
	}
}
