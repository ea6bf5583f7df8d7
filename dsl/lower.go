package dsl

import (
	"fmt"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
)

// LowerOptions configure lowering.
type LowerOptions struct {
	// DType is the element type of the graph: ir.F32 (the zero value) for
	// training, ir.F64 for gradient checks.
	DType ir.DType
	// Inference lowers the graph that predicts rather than the one that
	// trains: the same parameters and state, with the same names and
	// shapes, but ops that behave differently in training take their
	// evaluation form (batchnorm reads its running statistics; dropout and
	// drop_path pass their input through).
	Inference bool
	// Batch, when positive, is the graph's batch size in place of the
	// train block's (which the graph's Train still records): the
	// inference graph runs a batch in sub-batches of this many rows.
	Batch int
	// Decode lowers the graph that generates a token model's sequence one
	// position at a time (see decode.go): batch 1 and time 1, the
	// embedding read at the step's position, each causal attention over a
	// cache of the keys and values of the positions before. It implies
	// Inference.
	Decode bool
}

// Compile parses and lowers one model file.
func Compile(filename string, src []byte, opt LowerOptions) (*ir.Graph, error) {
	f, err := Parse(filename, src)
	if err != nil {
		return nil, err
	}
	return Lower(f, opt)
}

// Lower checks a parsed file and turns it into a forward-only graph, built
// through ops.Builder so that every shape is checked at the model line that
// caused it. Errors are *Error (or several joined, in source order).
func Lower(f *File, opt LowerOptions) (*ir.Graph, error) {
	if f == nil {
		return nil, &Error{Msg: "no model file to lower"}
	}
	var errs errorList
	if opt.DType != ir.F32 && opt.DType != ir.F64 {
		errs.add(Pos{File: f.Filename}, "unknown dtype %d: use ir.F32 or ir.F64", int(opt.DType))
		return nil, errs.err()
	}
	if opt.Batch < 0 {
		errs.add(Pos{File: f.Filename}, "batch override %d: it must be positive (or 0 for the train block's batch)", opt.Batch)
		return nil, errs.err()
	}
	check(f, &errs)
	train := lowerTrain(f.Train, &errs)
	if !errs.empty() {
		return nil, errs.err()
	}
	batch := train.Batch
	if opt.Batch > 0 {
		batch = opt.Batch
	}
	if opt.Decode {
		batch, opt.Inference = 1, true
	}
	l := &lowerer{
		g:         ir.NewGraph(f.Model.Name.Name, opt.DType, batch),
		errs:      &errs,
		blocks:    map[string]*BlockDecl{},
		inference: opt.Inference,
		decode:    opt.Decode,
	}
	l.g.Train = train
	for _, s := range f.Stmts {
		if b, ok := s.(*BlockDecl); ok {
			l.blocks[b.Name.Name] = b
		}
	}
	top := &scope{vars: map[string]value{}}
	for _, s := range f.Stmts {
		if errs.full() {
			break
		}
		l.topStmt(top, s)
	}
	if !errs.empty() {
		return nil, errs.err()
	}
	if err := ir.Verify(l.g); err != nil {
		// The checks above should make this unreachable; say so rather
		// than hand on a broken graph.
		return nil, &Error{Pos: f.Model.Pos, Msg: fmt.Sprintf("internal error: lowered graph is invalid: %v", err)}
	}
	return l.g, nil
}

type lowerer struct {
	g      *ir.Graph
	errs   *errorList
	blocks map[string]*BlockDecl
	names  namer
	depth  int // block copies being expanded, one inside another
	copies int // block copies expanded so far
	// inference selects the evaluation form of ops that differ between
	// training and inference.
	inference bool
	// decode lowers one position of a token sequence (LowerOptions.Decode).
	decode bool
	// norm is the batch norm the last norm statement in scope asks for
	// after each dense and conv2d layer; nil for none.
	norm *normSetting
}

// scope holds the values of names: the file's, or one block copy's.
type scope struct {
	prefix string // path of the block copy, "" at top level
	vars   map[string]value
}

// builder returns a builder that stamps pos and layer on the nodes it makes.
func (l *lowerer) builder(pos Pos, layer string) *ops.Builder {
	return &ops.Builder{G: l.g, Phase: ir.Forward, Loc: pos.Loc(), Layer: layer}
}

func (l *lowerer) topStmt(sc *scope, s Stmt) {
	switch s := s.(type) {
	case *InputDecl:
		shape := ir.Shape{l.g.Batch}
		for _, d := range s.Dims {
			shape = append(shape, int(d.Value))
		}
		if s.Vocab != nil {
			l.declare(sc, s.Name, "input", l.decodeShape(shape), l.tokenAttrs(shape, int(s.Vocab.Value)))
			l.g.Train.DataDefault = "" // a token model reads the text -data names, never MNIST
			return
		}
		l.declare(sc, s.Name, "input", shape, nil)
		l.preprocessInput(sc, s.Name)
	case *LabelDecl:
		if s.Kind.Name == "class" {
			shape := ir.Shape{l.g.Batch}
			if s.Positions != nil {
				shape = append(shape, int(s.Positions.Value))
			}
			l.declare(sc, s.Name, "label", l.decodeShape(shape), ir.Attrs{"classes": int(s.Size.Value)})
			return
		}
		k := 1
		if s.Size != nil {
			k = int(s.Size.Value)
		}
		l.declare(sc, s.Name, "label", ir.Shape{l.g.Batch, k}, nil)
	case *AssignStmt:
		v := l.assign(sc, s)
		if s.Target.Name == "loss" && v.kind == vTensor {
			l.g.Loss = v.node
			l.g.Output = v.node.Inputs[0]
		}
	case *NormStmt:
		l.setNorm(s)
	}
}

func (l *lowerer) declare(sc *scope, n Name, op string, shape ir.Shape, attrs ir.Attrs) {
	name := l.names.claim(n.Name)
	node := l.builder(n.Pos, name).Source(op, name, shape, attrs)
	sc.vars[n.Name] = tensorValue(node)
}

// assign lowers "target = value" in sc and names the node it creates.
func (l *lowerer) assign(sc *scope, s *AssignStmt) value {
	st := l.newStmt(sc.prefix, s.Target.Name, s.Value)
	v := l.stmtValue(sc, st, s.Value)
	sc.vars[s.Target.Name] = v
	return v
}

// stmtValue evaluates a statement's expression and gives the resulting
// node the statement's path as its name, if the statement created it (a
// plain "y = x" does not rename x).
func (l *lowerer) stmtValue(sc *scope, st *stmtNames, e Expr) value {
	first := len(l.g.Nodes)
	v := l.expr(sc, st, e)
	if v.kind == vTensor && len(l.g.Nodes) > first && v.node.ID >= l.g.Nodes[first].ID && v.node.Op != "param" {
		v.node.Name = st.path
	}
	if len(l.g.Nodes) > maxNodes {
		l.errs.add(ExprPos(e), "model too large: more than %d nodes in the forward graph", maxNodes)
		return poison
	}
	return v
}
