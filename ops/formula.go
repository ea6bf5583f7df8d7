package ops

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
)

// An elementwise op's Go formula (Def.Go) is one Go statement computing an
// element: it assigns y from the operands x0, x1, …, all of the generated
// code's element type Float, directly or in both branches of an if. It may
// convert with Float and float64, call max and min and use package math;
// any other bare name is the node's float attribute of that name (0 when
// absent), rendered as a literal. The code generator renders it into its
// loops with the expressions it reads the operands from.
//
// The formula is data, not code: the registry parses it once, here, and
// refuses anything outside this small grammar, so that the renderer
// handles every formula it is given.

// operandName matches the operand names x0, x1, ….
var operandName = regexp.MustCompile(`^x([0-9]+)$`)

// formulaFuncs are the functions a formula may call by bare name.
var formulaFuncs = map[string]bool{"Float": true, "float64": true, "max": true, "min": true}

// Formula returns the parsed Go formula of an elementwise op, or nil.
func (d *Def) Formula() ast.Stmt { return d.formula }

// OperandIndex returns k for an operand name xk of a formula.
func OperandIndex(name string) (int, bool) {
	m := operandName.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	k, err := strconv.Atoi(m[1])
	return k, err == nil
}

// parseFormula parses src as one statement of the formula grammar over
// arity operands.
func parseFormula(src string, arity int) (ast.Stmt, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc f() {\n"+src+"\n}", 0)
	if err != nil {
		return nil, err
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) != 1 {
		return nil, fmt.Errorf("%d statements, want one", len(body))
	}
	c := formulaCheck{arity: arity}
	c.stmt(body[0])
	if c.err != nil {
		return nil, c.err
	}
	return body[0], nil
}

// formulaCheck walks a formula, noting the first construct outside the
// grammar.
type formulaCheck struct {
	arity int
	err   error
}

func (c *formulaCheck) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// stmt checks s, which must assign y on every path.
func (c *formulaCheck) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		if id, ok := s.Lhs[0].(*ast.Ident); len(s.Lhs) != 1 || len(s.Rhs) != 1 || s.Tok != token.ASSIGN || !ok || id.Name != "y" {
			c.fail("an assignment must be y = expression")
			return
		}
		c.expr(s.Rhs[0])
	case *ast.IfStmt:
		els, ok := s.Else.(*ast.BlockStmt)
		if s.Init != nil || !ok || len(s.Body.List) != 1 || len(els.List) != 1 {
			c.fail("an if needs one statement in each of its two branches")
			return
		}
		c.expr(s.Cond)
		c.stmt(s.Body.List[0])
		c.stmt(els.List[0])
	default:
		c.fail("unexpected %T", s)
	}
}

func (c *formulaCheck) expr(e ast.Expr) {
	switch e := e.(type) {
	case *ast.BinaryExpr:
		c.expr(e.X)
		c.expr(e.Y)
	case *ast.ParenExpr:
		c.expr(e.X)
	case *ast.UnaryExpr:
		if e.Op != token.SUB {
			c.fail("unexpected unary %s", e.Op)
		}
		c.expr(e.X)
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); !ok || !formulaFuncs[id.Name] {
			if !isMath(e.Fun) {
				c.fail("a formula calls Float, float64, max, min or math's functions")
			}
		}
		for _, a := range e.Args {
			c.expr(a)
		}
	case *ast.SelectorExpr:
		if !isMath(e) {
			c.fail("a formula uses no package but math")
		}
	case *ast.Ident:
		if k, ok := OperandIndex(e.Name); ok && k >= c.arity {
			c.fail("operand %s of an op with %d operands", e.Name, c.arity)
		}
		if e.Name == "y" || formulaFuncs[e.Name] {
			c.fail("%s is not a value", e.Name)
		}
	case *ast.BasicLit:
		if e.Kind != token.INT && e.Kind != token.FLOAT {
			c.fail("unexpected literal %s", e.Value)
		}
	default:
		c.fail("unexpected %T", e)
	}
}

// isMath reports whether e names something of package math.
func isMath(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := s.X.(*ast.Ident)
	return ok && pkg.Name == "math"
}
