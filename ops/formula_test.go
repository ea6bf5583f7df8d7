package ops

import (
	"strings"
	"testing"
)

// Every elementwise op's Go formula parsed at registration.
func TestEveryElementwiseOpHasAFormula(t *testing.T) {
	count := 0
	for _, name := range Names() {
		if d := Lookup(name); d.Kind == Elementwise {
			count++
			if d.Formula() == nil {
				t.Errorf("%s has no parsed Go formula", name)
			}
		}
	}
	if count < 10 {
		t.Errorf("only %d elementwise ops", count)
	}
}

// The registry admits the grammar the code generator renders and refuses
// the rest, naming what is wrong.
func TestFormulaGrammar(t *testing.T) {
	for _, src := range []string{
		"y = x0 + x1",
		"y = Float(math.Tanh(float64(x0)))",
		"if x0 > 0 { y = x1 } else { y = slope * x1 }",
		"y = max(x0, 0)",
		"y = -0.5 * x0",
	} {
		if _, err := parseFormula(src, 2); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	for src, want := range map[string]string{
		"y = x2":                             "operand x2 of an op with 2 operands",
		"z = x0":                             "y = expression",
		"y := x0":                            "y = expression",
		"if x0 > 0 { y = x1 }":               "two branches",
		"if x0 > 0 { y = x1 } else { }":      "two branches",
		"y = x0; y = x1":                     "2 statements",
		"y = strings.ToUpper(x0)":            "math's functions",
		"y = panic(x0)":                      "calls Float, float64, max, min",
		"y = x0[0]":                          "unexpected *ast.IndexExpr",
		`y = "a"`:                            "unexpected literal",
		"y = !x0":                            "unexpected unary !",
		"y = x0 +":                           "expected operand",
		"for { y = x0 }":                     "unexpected *ast.ForStmt",
		"if x0 > 0 { y = 0 } else { z = 1 }": "y = expression",
	} {
		_, err := parseFormula(src, 2)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", src, err, want)
		}
	}
}
