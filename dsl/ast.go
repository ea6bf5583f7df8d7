package dsl

// File is a parsed model file.
type File struct {
	Filename string
	Model    *ModelDecl
	Stmts    []Stmt        // top-level statements other than model and train, in source order
	Train    *TrainSection // nil when the file has none
}

// Stmt is a statement: *InputDecl, *LabelDecl, *AssignStmt, *BlockDecl or
// *ReturnStmt (in a block body).
type Stmt interface{ stmtPos() Pos }

// Name is an identifier with its position.
type Name struct {
	Pos  Pos
	Name string
}

// ModelDecl is "model NAME".
type ModelDecl struct {
	Pos  Pos // of the keyword
	Name Name
}

// InputDecl is "input NAME: [d1, d2, ...]", the shape of one sample, or
// "input NAME: tokens(T, V)", a sequence of T token ids below V.
type InputDecl struct {
	Pos   Pos
	Name  Name
	Dims  []*NumberLit
	Vocab *NumberLit // V of tokens(T, V); nil for real-valued inputs
}

// LabelDecl is "label NAME: class(N)", "label NAME: class(N, T)" (a
// class at each of T positions), "label NAME: real" or "label NAME:
// real(k)".
type LabelDecl struct {
	Pos       Pos
	Name      Name
	Kind      Name       // "class" or "real"
	Size      *NumberLit // N or k; nil when not written
	Positions *NumberLit // T of class(N, T); nil when not written
}

// AssignStmt is "NAME = expr".
type AssignStmt struct {
	Target Name
	Value  Expr
}

// BlockDecl is "block NAME(params) { statements; return expr }".
type BlockDecl struct {
	Pos    Pos
	Name   Name
	Params []Name
	Body   []Stmt
	End    Pos // of the closing brace
}

// ReturnStmt is "return expr", the last statement of a block.
type ReturnStmt struct {
	Pos   Pos
	Value Expr
}

// TrainSection is "train { key value ... }".
type TrainSection struct {
	Pos     Pos
	Entries []TrainEntry
}

// TrainEntry is one "key value" pair; Value is a literal, a name or a call
// (optimizer adam(lr = 1e-3)).
type TrainEntry struct {
	Key   Name
	Value Expr
}

func (s *InputDecl) stmtPos() Pos  { return s.Pos }
func (s *LabelDecl) stmtPos() Pos  { return s.Pos }
func (s *AssignStmt) stmtPos() Pos { return s.Target.Pos }
func (s *BlockDecl) stmtPos() Pos  { return s.Pos }
func (s *ReturnStmt) stmtPos() Pos { return s.Pos }

// Expr is an expression: *Ident, *NumberLit, *StringLit, *BoolLit, *Call,
// *Repeat or *Binary.
type Expr interface{ exprPos() Pos }

// Ident is a use of a name.
type Ident struct{ Name }

// NumberLit is a number, possibly negative ("-1").
type NumberLit struct {
	Pos   Pos
	Text  string
	Value float64
}

// StringLit is a quoted string; Value is unquoted.
type StringLit struct {
	Pos   Pos
	Value string
}

// BoolLit is true or false.
type BoolLit struct {
	Pos   Pos
	Value bool
}

// Call is "f(args)". A pipe "x |> f(args)" is parsed as a Call with x
// prepended to Args and Piped set, so messages can mention it.
type Call struct {
	Func  Name
	Args  []Arg
	Piped bool
}

// Arg is a positional argument (Keyword nil) or "keyword = value".
type Arg struct {
	Keyword *Name
	Value   Expr
}

// Repeat is "repeat N block(args)": N copies of the block, the output of
// each being the first argument of the next.
type Repeat struct {
	Pos   Pos
	Count *NumberLit
	Call  *Call
}

// Binary is "X + Y", elementwise addition of two tensors.
type Binary struct {
	OpPos Pos
	Op    string
	X, Y  Expr
}

func (e *Ident) exprPos() Pos     { return e.Pos }
func (e *NumberLit) exprPos() Pos { return e.Pos }
func (e *StringLit) exprPos() Pos { return e.Pos }
func (e *BoolLit) exprPos() Pos   { return e.Pos }
func (e *Call) exprPos() Pos      { return e.Func.Pos }
func (e *Repeat) exprPos() Pos    { return e.Pos }
func (e *Binary) exprPos() Pos    { return e.OpPos }

// ExprPos returns the position that errors about e point at: the callee of
// a call, the operator of a binary expression, the start of anything else.
func ExprPos(e Expr) Pos { return e.exprPos() }
