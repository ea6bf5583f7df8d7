package dsl

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// The train section's data keys: where the samples come from and how the
// validation set is held out.
//
//	data mnist
//	data "digits/"
//	data csv("train.csv", y = "species", group = "family", test = "test.csv")
//	data npy(x = "x.npy", y = "y.npy")
//	split 0.1 by group

// dataFormats are the file formats a data call may name.
var dataFormats = map[string]*signature{
	"csv": {name: "csv", params: []param{
		{name: "file", kind: stringArg, check: pathArg("file")},
		// y, not label: label is a reserved word of the language.
		{name: "y", kind: stringArg, check: columnList("y")},
		{name: "features", kind: stringArg, def: defString(""), check: optionalColumnList("features")},
		{name: "group", kind: stringArg, def: defString(""), check: optionalColumn("group")},
		{name: "test", kind: stringArg, def: defString(""), check: optionalPath("test")},
	}},
	"npy": {name: "npy", params: []param{
		{name: "x", kind: stringArg, check: pathArg("x")},
		{name: "y", kind: stringArg, check: pathArg("y")},
		{name: "group", kind: stringArg, def: defString(""), check: optionalPath("group")},
		{name: "test_x", kind: stringArg, def: defString(""), check: optionalPath("test_x")},
		{name: "test_y", kind: stringArg, def: defString(""), check: optionalPath("test_y")},
	}},
}

const dataUsage = `mnist, a quoted IDX folder path, csv("train.csv", y = "label") or npy(x = "x.npy", y = "y.npy")`

// lowerData sets the data source from the value of the data key.
func lowerData(t *ir.TrainConfig, v Expr, errs *errorList) {
	switch v := v.(type) {
	case *Ident:
		if v.Name.Name == "mnist" {
			t.Data, t.Files = "mnist", ir.DataFiles{}
			return
		}
		if dataFormats[v.Name.Name] != nil {
			errs.add(v.Pos, "data %s needs its files, as in %s", v.Name.Name, dataFormats[v.Name.Name].usage())
			return
		}
		errs.add(v.Pos, "unknown data set %s: use %s", v.Name.Name, dataUsage)
	case *StringLit:
		if v.Value == "" {
			errs.add(v.Pos, "data path is empty")
			return
		}
		t.Data, t.Files = v.Value, ir.DataFiles{}
	case *Call:
		lowerDataCall(t, v, errs)
	default:
		errs.add(ExprPos(v), "data must be %s, got %s", dataUsage, exprText(v))
	}
}

func lowerDataCall(t *ir.TrainConfig, call *Call, errs *errorList) {
	sig := dataFormats[call.Func.Name]
	if sig == nil {
		errs.add(call.Func.Pos, "unknown data format %s%s; the formats are csv and npy", call.Func.Name,
			didYouMean(call.Func.Name, slices.Sorted(maps.Keys(dataFormats))))
		return
	}
	vals, ok := bindLiterals(sig, call, errs)
	if !ok {
		return
	}
	str := vals.str
	files := ir.DataFiles{Format: sig.name}
	switch sig.name {
	case "csv":
		files.Train, files.Test = str("file"), str("test")
		files.Label, files.Group = str("y"), str("group")
		files.Features = strings.Join(splitColumns(str("features")), ",")
		if msg := overlappingColumns(files); msg != "" {
			errs.add(call.Func.Pos, "csv: %s", msg)
			return
		}
	case "npy":
		files.X, files.Y, files.Groups = str("x"), str("y"), str("group")
		files.TestX, files.TestY = str("test_x"), str("test_y")
		if (files.TestX == "") != (files.TestY == "") {
			errs.add(call.Func.Pos, "npy: test_x and test_y go together: give both or neither")
			return
		}
	}
	t.Data, t.Files = "", files
}

func pathArg(name string) func(value) string {
	return func(v value) string {
		if strings.TrimSpace(v.text) == "" {
			return name + " must name a file, got an empty string"
		}
		if strings.ContainsRune(v.text, 0) {
			return name + " must not contain a NUL character"
		}
		return ""
	}
}

func optionalPath(name string) func(value) string {
	return func(v value) string {
		if v.text == "" {
			return ""
		}
		return pathArg(name)(v)
	}
}

// columnList checks a comma-separated list of column names.
func columnList(name string) func(value) string {
	return func(v value) string {
		cols := splitColumns(v.text)
		if len(cols) == 0 {
			return name + " must name a column, got an empty string"
		}
		seen := map[string]bool{}
		for _, c := range cols {
			if c == "" {
				return fmt.Sprintf("%s has an empty column name in %q", name, v.text)
			}
			if seen[c] {
				return fmt.Sprintf("%s names column %q twice", name, c)
			}
			seen[c] = true
		}
		return ""
	}
}

func optionalColumnList(name string) func(value) string {
	return func(v value) string {
		if v.text == "" {
			return ""
		}
		return columnList(name)(v)
	}
}

func optionalColumn(name string) func(value) string {
	return func(v value) string {
		if v.text == "" {
			return ""
		}
		if strings.Contains(v.text, ",") {
			return fmt.Sprintf("%s must name one column, got %q", name, v.text)
		}
		return columnList(name)(v)
	}
}

// splitColumns splits "a, b,c" into its trimmed names; "" gives none.
func splitColumns(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// overlappingColumns reports a column used in two roles.
func overlappingColumns(f ir.DataFiles) string {
	role := map[string]string{}
	for _, c := range splitColumns(f.Label) {
		role[c] = "the label (y)"
	}
	if f.Group != "" {
		if r, dup := role[f.Group]; dup {
			return fmt.Sprintf("column %q cannot be both %s and the group", f.Group, r)
		}
		role[f.Group] = "the group"
	}
	for _, c := range splitColumns(f.Features) {
		if r, dup := role[c]; dup {
			return fmt.Sprintf("column %q cannot be both %s and a feature", c, r)
		}
	}
	return ""
}

// splitStrategies are the values of the by key.
var splitStrategies = map[string]string{
	"random": ir.SplitRandom,
	"class":  ir.SplitClass,
	"group":  ir.SplitGroup,
}

// lowerSplitBy sets the split strategy from "by class" or "by group".
func lowerSplitBy(t *ir.TrainConfig, v Expr) string {
	id, ok := v.(*Ident)
	if ok {
		if s, known := splitStrategies[id.Name.Name]; known {
			t.SplitBy = s
			return ""
		}
	}
	return "split by must be random, class (stratified) or group, got " + exprText(v)
}

// checkDataKeys checks what the data keys say together: by follows split
// on the same line ("split 0.1 by group"), and a group split has groups.
func checkDataKeys(s *TrainSection, t ir.TrainConfig, errs *errorList) {
	for i, e := range s.Entries {
		if e.Key.Name != "by" {
			continue
		}
		if i == 0 || s.Entries[i-1].Key.Name != "split" || s.Entries[i-1].Key.Pos.Line != e.Key.Pos.Line {
			errs.add(e.Key.Pos, "by must follow split on its line, as in split 0.1 by group")
			continue
		}
		if t.SplitBy == ir.SplitGroup && !hasGroups(t) {
			errs.add(ExprPos(e.Value), "split by group needs groups: name a column with data csv(..., group = \"family\") or an array with data npy(..., group = \"groups.npy\")")
		}
	}
}

func hasGroups(t ir.TrainConfig) bool {
	return t.Files.Group != "" || t.Files.Groups != ""
}
