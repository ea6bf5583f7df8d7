package onnx

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/onnx.md's operator table from the importer")

const (
	docPath    = "../docs/onnx.md"
	tableBegin = "<!-- begin supported operators -->\n"
	tableEnd   = "<!-- end supported operators -->"
)

// TestDocsListTheSupportedOperators keeps docs/onnx.md's table generated
// from opImporters (go test ./onnx -update rewrites it).
func TestDocsListTheSupportedOperators(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", docPath, tableBegin, tableEnd)
	}
	want := doc[:i+len(tableBegin)] + SupportedTable() + doc[j:]
	if *updateDocs {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s's operator table is not the importer's: run go test ./onnx -run TestDocs -update", docPath)
	}
}
