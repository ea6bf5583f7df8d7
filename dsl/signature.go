package dsl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dlc-dev/dlc/ir"
)

// argKind is the kind of value a parameter accepts.
type argKind int

const (
	anyArg    argKind = iota // block parameters take whatever they are given
	tensorArg                // a tensor: a name bound to one, or an expression
	countArg                 // a whole number from 1 to maxDim
	numberArg                // any number
	stringArg
	boolArg
)

func (k argKind) String() string {
	switch k {
	case tensorArg:
		return "a tensor"
	case countArg:
		return fmt.Sprintf("a whole number from 1 to %d", maxDim)
	case numberArg:
		return "a number"
	case stringArg:
		return "a quoted string"
	case boolArg:
		return "true or false"
	}
	return "a value"
}

// param is one parameter of an op, a block or an optimizer.
type param struct {
	name string
	kind argKind
	def  *value // default when the argument is left out; nil when required
	// target marks a loss's label operand, the one place a label may go:
	// anywhere else it would feed the answers to the model.
	target bool
	// tokens marks the operand a token input may go to (embedding's).
	tokens bool
	// check validates a value of the right kind; it returns the problem,
	// or "" when the value is acceptable.
	check func(v value) string
}

// signature is what a call is checked against.
type signature struct {
	name   string // as called: "dense", "residual", "adam"
	params []param
}

func (s *signature) usage() string {
	parts := make([]string, len(s.params))
	for i, p := range s.params {
		parts[i] = p.name
		if p.def != nil {
			parts[i] += " = " + literal(*p.def)
		}
	}
	return s.name + "(" + strings.Join(parts, ", ") + ")"
}

func (s *signature) names() []string {
	names := make([]string, len(s.params))
	for i, p := range s.params {
		names[i] = p.name
	}
	return names
}

// literal renders a default value as it would be written in a model file.
func literal(v value) string {
	switch v.kind {
	case vString:
		return strconv.Quote(v.text)
	case vBool:
		return strconv.FormatBool(v.b)
	}
	return v.text
}

// bind matches a call's arguments to the signature's parameters. It
// returns, for each parameter, the index in c.Args of its argument, or -1
// when left out (the default applies). Problems go to errs; ok is false if
// there were any.
func (s *signature) bind(c *Call, errs *errorList) (argOf []int, ok bool) {
	ok = true
	fail := func(pos Pos, format string, args ...any) {
		errs.add(pos, format, args...)
		ok = false
	}
	argOf = make([]int, len(s.params))
	for i := range argOf {
		argOf[i] = -1
	}
	positional := 0
	for i, a := range c.Args {
		if a.Keyword == nil {
			if positional >= len(s.params) {
				piped := ""
				if c.Piped {
					piped = " counting the piped value"
				}
				fail(ExprPos(a.Value), "too many arguments to %s: got %d%s, but it takes %s",
					s.name, countPositional(c), piped, s.arity())
				return argOf, false
			}
			argOf[positional] = i
			positional++
			continue
		}
		k := a.Keyword
		idx := s.index(k.Name)
		switch {
		case idx < 0:
			fail(k.Pos, "%s has no argument %q%s; it takes %s", s.name, k.Name,
				didYouMean(k.Name, s.names()), s.usage())
		case argOf[idx] >= 0:
			fail(k.Pos, "argument %s of %s is given twice", k.Name, s.name)
		default:
			argOf[idx] = i
		}
	}
	for i, p := range s.params {
		if argOf[i] < 0 && p.def == nil {
			fail(c.Func.Pos, "%s needs argument %s: %s", s.name, p.name, s.usage())
		}
	}
	return argOf, ok
}

func (s *signature) index(name string) int {
	for i, p := range s.params {
		if p.name == name {
			return i
		}
	}
	return -1
}

// arity says how many arguments the signature takes, for messages.
func (s *signature) arity() string {
	n := len(s.params)
	switch {
	case n == 0:
		return "none"
	case s.params[n-1].def != nil:
		return fmt.Sprintf("at most %d: %s", n, s.usage())
	}
	return fmt.Sprintf("%d: %s", n, s.usage())
}

func countPositional(c *Call) int {
	n := 0
	for _, a := range c.Args {
		if a.Keyword == nil {
			n++
		}
	}
	return n
}

// checkKind returns why v cannot be passed to p, or "".
func (p param) checkKind(v value) string {
	ok := true
	switch p.kind {
	case tensorArg:
		ok = v.kind == vTensor
	case countArg:
		ok = v.kind == vNumber && isWhole(v.num, 1, maxDim)
	case numberArg:
		ok = v.kind == vNumber
	case stringArg:
		ok = v.kind == vString
	case boolArg:
		ok = v.kind == vBool
	}
	if !ok {
		return fmt.Sprintf("argument %s must be %s, got %s", p.name, p.kind, v.describe())
	}
	if p.kind == tensorArg && v.node.Op == "label" && !p.target {
		return labelMisuse(v.node)
	}
	if v.kind == vTensor && v.node.Attrs.Int("vocab", 0) > 0 && !p.tokens {
		return fmt.Sprintf("token input %s can only be the first argument of embedding, as in embedding(%s, 128)", v.node.Name, v.node.Name)
	}
	if p.check != nil {
		return p.check(v)
	}
	return ""
}

func labelMisuse(n *ir.Node) string {
	return fmt.Sprintf("label %s can only be the second argument of a loss, as in loss = cross_entropy(logits, %s)", n.Name, n.Name)
}

// Defaults, for signatures.
// defNumber takes the number as written, so usage messages show it so.
func defNumber(text string) *value {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		panic("dsl: bad default " + text) // a programming error, caught by any test
	}
	n := numberValue(v, text)
	return &n
}

func defString(s string) *value { return &value{kind: vString, text: s} }

func defBool(b bool) *value { return &value{kind: vBool, b: b} }
