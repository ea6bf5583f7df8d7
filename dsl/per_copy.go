package dsl

import (
	"fmt"
	"strconv"
)

// Per-copy numbers. An argument of a repeat written linear(max) gives each
// copy its own number, rising linearly with depth: copy i of N (counting
// from 0) gets max·(i+1)/N, so the last copy gets max. This is the linear
// rule of stochastic depth (Huang et al., 2016), for which it is meant:
//
//	block residual(x, width, p) {
//	  r = dense(x, width) |> relu
//	  return x + drop_path(dense(r, width), p)
//	}
//	h = repeat 4 residual(h, 256, linear(0.2))   # p = 0.05, 0.1, 0.15, 0.2
//
// linear is not an op: it may only be an argument of repeat, and not its
// first (which carries each copy's output to the next).

// perCopyName is the name that marks a per-copy argument.
const perCopyName = "linear"

var perCopySignature = signature{name: perCopyName, params: []param{{name: "max", kind: numberArg}}}

// perCopyCall returns e as a call of linear, if it is one.
func perCopyCall(e Expr) (*Call, bool) {
	c, ok := e.(*Call)
	return c, ok && c.Func.Name == perCopyName
}

// perCopyArg checks linear(max) written as an argument of a repeat.
func (c *checker) perCopyArg(call *Call, scope map[string]string, inBlock bool) {
	perCopySignature.bind(call, c.errs)
	for _, a := range call.Args {
		c.expr(a.Value, scope, false, inBlock)
	}
}

// misplacedPerCopy reports linear(...) written anywhere but as an argument
// of a repeat.
func (c *checker) misplacedPerCopy(call *Call) {
	c.errs.add(call.Func.Pos, "%s(...) gives each copy of a repeat its own number, so it can only be an argument of repeat, as in repeat 4 residual(h, 256, %s(0.2))",
		perCopyName, perCopyName)
}

// repeatArgs evaluates the arguments of a repeat's call: values for the
// ordinary ones, and for each linear(max) its max (the peak), by argument
// index.
func (l *lowerer) repeatArgs(sc *scope, st *stmtNames, call *Call) (vals []value, peaks map[int]float64, ok bool) {
	vals = make([]value, len(call.Args))
	peaks = map[int]float64{}
	ok = true
	for i, a := range call.Args {
		pc, isPerCopy := perCopyCall(a.Value)
		if !isPerCopy {
			vals[i] = l.expr(sc, st, a.Value)
			continue
		}
		argOf, bound := perCopySignature.bind(pc, l.errs)
		if !bound {
			ok = false
			continue
		}
		v := l.expr(sc, st, pc.Args[argOf[0]].Value)
		if v.kind == vPoison {
			ok = false
			continue
		}
		if msg := perCopySignature.params[0].checkKind(v); msg != "" {
			l.errs.add(ExprPos(pc.Args[argOf[0]].Value), "%s: %s", perCopyName, msg)
			ok = false
			continue
		}
		peaks[i] = v.num
	}
	return vals, peaks, ok
}

// perCopyValue is copy i's number of linear(peak) in a repeat of n copies.
func perCopyValue(peak float64, i, n int) value {
	v := peak * float64(i+1) / float64(n)
	return numberValue(v, strconv.FormatFloat(v, 'g', -1, 64))
}

// firstPerCopy is the error for linear(...) bound to a repeated block's
// first parameter.
func firstPerCopy(call *Call) *Error {
	return &Error{Pos: call.Func.Pos, Msg: fmt.Sprintf("%s(...) cannot be the first argument of repeat, which passes each copy's output to the next", perCopyName)}
}
