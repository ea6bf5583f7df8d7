package dsl

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-dev/dlc/internal/testrepo"
)

// docTable returns the rows of the table in docs/language.md whose header
// row is header, each row as its cells.
func docTable(t *testing.T, header string) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testrepo.Root(t), "docs", "language.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(data), "\n"+header+"\n")
	if !found {
		t.Fatalf("docs/language.md has no table %q", header)
	}
	var rows [][]string
	for _, line := range strings.Split(after, "\n")[1:] { // past the |---| line
		if !strings.HasPrefix(line, "|") {
			break
		}
		rows = append(rows, strings.Split(strings.Trim(line, "|"), "|"))
	}
	return rows
}

// firstCode is the first `code` of a cell: the key or optimizer it names.
var firstCode = regexp.MustCompile("`([^`]*)`")

// The documentation lists the train keys in the table's order, every one
// of them and no other.
func TestDocsListTheTrainKeys(t *testing.T) {
	var documented []string
	for _, row := range docTable(t, "| key | value | default |") {
		documented = append(documented, firstCode.FindStringSubmatch(row[0])[1])
	}
	if !slices.Equal(documented, trainKeyNames()) {
		t.Errorf("docs/language.md lists the train keys\n %v\nthe table in dsl has\n %v", documented, trainKeyNames())
	}
}

// The documentation lists the optimizers in the table's order, each with
// every argument and its default (an optimizer documented "as `adam`,
// plus ..." has adam's too).
func TestDocsListTheOptimizers(t *testing.T) {
	rows := map[string]string{}
	var documented []string
	for _, row := range docTable(t, "| optimizer | arguments |") {
		name := firstCode.FindStringSubmatch(row[0])[1]
		documented = append(documented, name)
		rows[name] = row[1]
	}
	var names []string
	for _, o := range optimizers {
		names = append(names, o.sig.name)
	}
	if !slices.Equal(documented, names) {
		t.Fatalf("docs/language.md lists the optimizers\n %v\nthe table in dsl has\n %v", documented, names)
	}
	for _, o := range optimizers {
		text := rows[o.sig.name]
		if m := regexp.MustCompile("^ as `([a-z]+)`").FindStringSubmatch(text); m != nil {
			text += rows[m[1]]
		}
		for _, p := range o.sig.params {
			want := "`" + p.name + "`"
			if p.def != nil {
				want = "`" + p.name + " = " + literal(*p.def) + "`"
			}
			if !strings.Contains(text, want) {
				t.Errorf("docs/language.md's row of %s does not give %s", o.sig.name, want)
			}
		}
	}
	for _, row := range docTable(t, "| key | value | default |") {
		if firstCode.FindStringSubmatch(row[0])[1] == "optimizer" && !strings.Contains(row[1], orList(quoted(names))) {
			t.Errorf("docs/language.md's optimizer key says %q, want the optimizers %s", row[1], orList(quoted(names)))
		}
	}
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return out
}
