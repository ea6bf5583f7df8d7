package dsl

import "github.com/dlc-dev/dlc/ir"

// defaultArg is the value of a parameter left out of a call: its default,
// except that every layer's init argument takes the train section's init
// when it sets one. Biases and normalisation parameters have no init
// argument and keep their fixed start (zeros, ones).
func (l *lowerer) defaultArg(p param) value {
	if p.name == "init" && p.kind == stringArg && l.g.Train.Recipe.Init != "" {
		return value{kind: vString, text: l.g.Train.Recipe.Init}
	}
	return *p.def
}

// preprocessInput puts the train section's input transform between the
// input just declared and everything that reads it. The transform's values
// are state, named after the input, which the trainer fits on the training
// split before the first step:
//
//	standardize: feature_affine(x, <input>.scale, <input>.shift)
//	pca, zca:    bias_add(matmul(x, <input>.whiten), <input>.shift)
//
// The state nodes carry the attribute preprocess (their part: scale, shift,
// whiten) so that code generation can hand them to the runtime's Transform.
func (l *lowerer) preprocessInput(sc *scope, name Name) {
	pre := l.g.Train.Recipe.Preprocess
	x := sc.vars[name.Name].node
	if pre.Kind == "" || x == nil {
		return
	}
	b := l.builder(name.Pos, x.Layer)
	features := x.Shape[1:].Size()
	state := func(part string, shape ir.Shape) *ir.Node {
		return b.Source("state", name.Name+"."+part, shape, ir.Attrs{"preprocess": part})
	}
	var y *ir.Node
	var err error
	switch pre.Kind {
	case ir.PreprocessStandardize:
		y, err = b.Op("feature_affine", nil, x, state("scale", ir.Shape{features}), state("shift", ir.Shape{features}))
	default:
		if len(x.Shape) != 2 {
			l.errs.add(name.Pos, "%s whitening needs a flat input [features]; %s has shape %s (use standardize, which works per element)",
				pre.Kind, name.Name, x.Shape)
			return
		}
		if features > ir.MaxWhitenFeatures {
			l.errs.add(name.Pos, "%s whitening works on at most %d features; %s has %d (use standardize)",
				pre.Kind, ir.MaxWhitenFeatures, name.Name, features)
			return
		}
		var mixed *ir.Node
		if mixed, err = b.Op("matmul", nil, x, state("whiten", ir.Shape{features, features})); err == nil {
			y, err = b.Op("bias_add", nil, mixed, state("shift", ir.Shape{features}))
		}
	}
	if err != nil {
		l.errs.addAny(name.Pos, err)
		return
	}
	y.Name = name.Name + ".preprocessed"
	sc.vars[name.Name] = tensorValue(y)
}
