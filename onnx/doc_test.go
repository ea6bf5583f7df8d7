package onnx

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/onnx.md's operator tables from the importer's and the exporter's")

const docPath = "../docs/onnx.md"

// docTables are the tables docs/onnx.md shows between markers, each
// generated from its table in the code.
var docTables = []struct {
	marker string
	table  func() string
}{
	{"supported operators", SupportedTable},
	{"exported ops", ExportTable},
}

// TestDocsListTheSupportedOperators keeps docs/onnx.md's tables generated
// from opImporters and opExporters (go test ./onnx -update rewrites them).
func TestDocsListTheSupportedOperators(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	want := doc
	for _, d := range docTables {
		begin, end := "<!-- begin "+d.marker+" -->\n", "<!-- end "+d.marker+" -->"
		i, j := strings.Index(want, begin), strings.Index(want, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the markers %q and %q", docPath, begin, end)
		}
		want = want[:i+len(begin)] + d.table() + want[j:]
	}
	if *updateDocs {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s's operator tables are not the code's: run go test ./onnx -run TestDocs -update", docPath)
	}
}
