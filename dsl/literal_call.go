package dsl

import "strings"

// The train section's values and the norm statement call functions whose
// arguments are literals (numbers, strings, true and false) rather than
// tensors: optimizer adam(lr = 1e-3), schedule cosine(min_lr = 0),
// data csv("train.csv", y = "label"). One binder checks them all.

// callTable is what a train key's value (or a norm statement) may call:
// its forms, in the order messages and the documentation list them.
type callTable struct {
	key   string // the key or statement, for messages: "schedule"
	usage string // every form the value may take, for messages
	forms []*signature
}

func (c callTable) lookup(name string) *signature {
	for _, sig := range c.forms {
		if sig.name == name {
			return sig
		}
	}
	return nil
}

func (c callTable) names() []string {
	names := make([]string, len(c.forms))
	for i, sig := range c.forms {
		names[i] = sig.name
	}
	return names
}

// callValues are the checked literal arguments of a call, defaults filled
// in.
type callValues struct {
	name string // the function called
	pos  Pos    // where it was called
	args map[string]value
}

func (c callValues) num(name string) float64 { return c.args[name].num }
func (c callValues) str(name string) string  { return c.args[name].text }
func (c callValues) flag(name string) bool   { return c.args[name].b }

// literalCall checks a value that calls one of table's forms (a bare name
// calls it without arguments) and returns its arguments. Problems are
// reported at the part of the value at fault.
func literalCall(v Expr, table callTable, errs *errorList) (callValues, bool) {
	var call *Call
	switch v := v.(type) {
	case *Call:
		call = v
	case *Ident:
		call = &Call{Func: v.Name}
	default:
		errs.add(ExprPos(v), "%s must be %s, got %s", table.key, table.usage, exprText(v))
		return callValues{}, false
	}
	sig := table.lookup(call.Func.Name)
	if sig == nil {
		errs.add(call.Func.Pos, "unknown %s %s%s; use %s", table.key, call.Func.Name,
			didYouMean(call.Func.Name, table.names()), table.usage)
		return callValues{}, false
	}
	return bindLiterals(sig, call, errs)
}

// bindLiterals binds a call's literal arguments to sig and checks each,
// reporting at the argument at fault (at the call for a default), and
// returns every parameter's value, defaults included. An argument that is
// not a literal (a name, an expression) is reported as written.
func bindLiterals(sig *signature, call *Call, errs *errorList) (callValues, bool) {
	argOf, ok := sig.bind(call, errs)
	if !ok {
		return callValues{}, false
	}
	out := callValues{name: sig.name, pos: call.Func.Pos, args: make(map[string]value, len(sig.params))}
	for i, p := range sig.params {
		val, pos := *p.def0(), call.Func.Pos
		if argOf[i] >= 0 {
			e := call.Args[argOf[i]].Value
			val, pos = literalValue(e), ExprPos(e)
			if val.kind == vPoison {
				errs.add(pos, "%s: argument %s must be %s, got %s", sig.name, p.name, p.kind, exprText(e))
				ok = false
				continue
			}
		}
		if msg := p.checkKind(val); msg != "" {
			errs.add(pos, "%s: %s", sig.name, msg)
			ok = false
		}
		out.args[p.name] = val
	}
	return out, ok
}

// def0 returns the parameter's default, or poison for a required one
// (bind has already reported it missing).
func (p param) def0() *value {
	if p.def == nil {
		return &value{}
	}
	return p.def
}

// literalValue evaluates a literal, written as a train value's argument or
// anywhere else; any other expression is poison.
func literalValue(e Expr) value {
	switch e := e.(type) {
	case *NumberLit:
		return numberValue(e.Value, e.Text)
	case *StringLit:
		return value{kind: vString, text: e.Value}
	case *BoolLit:
		return value{kind: vBool, b: e.Value}
	}
	return value{}
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
