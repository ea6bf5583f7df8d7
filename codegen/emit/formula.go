package emit

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// Formula renders the Go formula of the elementwise node n (ops.Def.Go) as
// a statement assigning dst from the operand expressions x: y becomes dst,
// xk becomes x[k], an attribute name its value, and math's names qualified
// identifiers, so that the file imports math.
func Formula(n *ir.Node, dst jen.Code, x []jen.Code) jen.Code {
	r := formulaRenderer{n: n, dst: dst, x: x}
	return r.stmt(ops.Lookup(n.Op).Formula())
}

type formulaRenderer struct {
	n   *ir.Node
	dst jen.Code
	x   []jen.Code
}

// stmt and expr render the grammar the registry admits (ops/formula.go);
// anything else there would be a bug in the registry's check.
func (r formulaRenderer) stmt(s ast.Stmt) *jen.Statement {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return jen.Add(r.dst).Op("=").Add(r.expr(s.Rhs[0]))
	case *ast.IfStmt:
		return jen.If(r.expr(s.Cond)).Block(r.stmt(s.Body.List[0])).
			Else().Block(r.stmt(s.Else.(*ast.BlockStmt).List[0]))
	}
	panic(fmt.Sprintf("codegen: formula of %s: unexpected %T", r.n.Op, s))
}

func (r formulaRenderer) expr(e ast.Expr) *jen.Statement {
	switch e := e.(type) {
	case *ast.BinaryExpr:
		return r.expr(e.X).Op(e.Op.String()).Add(r.expr(e.Y))
	case *ast.ParenExpr:
		return jen.Parens(r.expr(e.X))
	case *ast.UnaryExpr:
		return jen.Op(e.Op.String()).Add(r.expr(e.X))
	case *ast.CallExpr:
		args := make([]jen.Code, len(e.Args))
		for i, a := range e.Args {
			args[i] = r.expr(a)
		}
		if id, ok := e.Fun.(*ast.Ident); ok {
			return jen.Id(id.Name).Call(args...)
		}
		return r.expr(e.Fun).Call(args...)
	case *ast.SelectorExpr:
		return jen.Qual("math", e.Sel.Name)
	case *ast.Ident:
		if k, ok := ops.OperandIndex(e.Name); ok {
			return jen.Add(r.x[k])
		}
		return jen.Lit(r.n.Attrs.Float(e.Name, 0))
	case *ast.BasicLit:
		if e.Kind == token.INT {
			v, _ := strconv.Atoi(e.Value)
			return jen.Lit(v)
		}
		v, _ := strconv.ParseFloat(e.Value, 64)
		return jen.Lit(v)
	}
	panic(fmt.Sprintf("codegen: formula of %s: unexpected %T", r.n.Op, e))
}
