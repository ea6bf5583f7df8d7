package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dlc-dev/dlc/internal/interp"
	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/ops"
	"github.com/dlc-dev/dlc/runtime"
)

// gradCheck compares a float64 training graph's gradients, as autodiff
// built them and the interpreter computes them, with central finite
// differences of the loss.
//
// The differences are taken with every kink frozen (ops.FrozenEval): relu,
// leaky_relu and maxpool keep the branch they took at the unperturbed
// point. That function equals the loss near the point and has the same
// gradient there, but no step can flip a relu, which in a deep chain of
// batch norms the steps did at every size.
//
// Such a chain also bends so sharply that only steps near 1e-10 resolve
// its slope, so an element that no quick step matches gets a careful
// estimate (derivative) with an uncertainty: it fails only when autodiff
// misses that estimate by much more than the uncertainty, and is
// inconclusive, not wrong, when finite differences cannot settle it.
//
// A forward-mode (dual number) reference would need a tangent rule in
// every op; this needs a frozen rule for the three piecewise ops only, and
// the interpreter stays the one reference evaluation.
type gradCheck struct {
	seed    uint64
	samples int // elements checked per tensor; smaller tensors are checked whole
}

// tensorCheck is the result for one parameter tensor.
type tensorCheck struct {
	name    string
	shape   ir.Shape
	checked int     // elements compared
	largest float64 // the largest gradient magnitude among them
	worst   float64 // the largest |autodiff − numeric| among the conclusive ones, relative to largest (or the floor)
	at      int     // the element with the worst error
	// unsure counts the inconclusive elements; spread is the largest
	// uncertainty of their numeric estimates, relative as worst.
	unsure int
	spread float64
}

// checkThreshold is the largest relative error a correct gradient shows.
const checkThreshold = 1e-6

// epsilon is the float64 machine epsilon, 2⁻⁵².
const epsilon = 0x1p-52

// run fills the graph's storage with random values, computes every
// gradient and compares each parameter tensor with finite differences.
//
// An element's error is |autodiff − numeric| divided by the largest
// gradient magnitude among the tensor's checked elements, or by the floor
// when that is smaller: the smallest gradient that finite differences
// resolve to the threshold, ε·max(1, |loss|)/(h·threshold), since the
// difference of two losses is only known to about ε·|loss|. A gradient that
// is zero in exact arithmetic (a bias before batchnorm) shows as rounding
// noise on both sides and passes.
func (c gradCheck) run(g *ir.Graph) (results []tensorCheck, floor float64, err error) {
	env := interp.Random(g, c.seed)
	identityPreprocessing(g, env)
	ev, err := newEvaluator(g, env, c.seed)
	if err != nil {
		return nil, 0, err
	}
	floor = epsilon * max(1, math.Abs(env[g.Loss].Data[0])) / (steps[0] * checkThreshold)
	pick := rand.New(rand.NewPCG(c.seed, 0x6772616463686b)) // "gradchk"
	for _, p := range g.Params {
		analytic := slices.Clone(env[g.Grads[p]].Data)
		idx := sampleIndices(len(analytic), c.samples, pick)
		tc := tensorCheck{name: p.Name, shape: p.Shape, checked: len(idx)}
		for _, i := range idx {
			tc.largest = max(tc.largest, math.Abs(analytic[i]))
		}
		scale := max(tc.largest, floor)
		loss := ev.lossOf(p)
		x := env[p].Data
		for _, i := range idx {
			est, unc, err := derivative(loss, x, i, analytic[i], checkThreshold*scale)
			if err != nil {
				return nil, 0, err
			}
			e := math.Abs(analytic[i]-est) / scale
			switch {
			case e > checkThreshold && e <= settled*unc/scale:
				// The numeric derivative is too unsettled to judge by.
				tc.unsure++
				tc.spread = max(tc.spread, unc/scale)
			case e > tc.worst || math.IsNaN(e):
				tc.worst, tc.at = e, i
			}
		}
		ev.restore(p)
		results = append(results, tc)
	}
	return results, floor, nil
}

// evaluator recomputes the loss after a parameter changes, evaluating only
// the forward nodes that depend on it. Ops that draw random numbers
// (dropout) get exactly the numbers they drew in the first evaluation: the
// draws are recorded node by node and replayed from each node's place.
type evaluator struct {
	g       *ir.Graph
	env     interp.Env
	ctx     *ops.EvalCtx
	forward []*ir.Node // computing forward nodes, in order
	single  map[*ir.Node]*ir.Graph
	drawn   map[*ir.Node]int // the draw log's length when each node began
	draws   *drawLog
	base    map[*ir.Node]*ops.Tensor // the values at the unperturbed point
}

// newEvaluator runs the forward and backward passes once, at the point in
// env, recording every draw.
func newEvaluator(g *ir.Graph, env interp.Env, seed uint64) (*evaluator, error) {
	ev := &evaluator{g: g, env: env, single: map[*ir.Node]*ir.Graph{}, drawn: map[*ir.Node]int{},
		draws: &drawLog{src: runtime.NewRNG(seed).Derive("model")}, base: map[*ir.Node]*ops.Tensor{}}
	ev.ctx = &ops.EvalCtx{Step: 1, Training: true, RNG: ev.draws}
	var backward []*ir.Node
	for _, n := range g.Nodes {
		switch {
		case ops.Lookup(n.Op).Kind == ops.Source:
		case n.Phase == ir.Forward:
			for _, in := range n.Inputs {
				if ev.base[in] == nil {
					// A source's tensor is perturbed in place: keep its point.
					ev.base[in] = &ops.Tensor{Shape: env[in].Shape, Data: slices.Clone(env[in].Data)}
				}
			}
			ev.forward = append(ev.forward, n)
			ev.single[n] = &ir.Graph{Nodes: []*ir.Node{n}}
			ev.drawn[n] = len(ev.draws.log)
			if err := interp.RunUpTo(ev.single[n], env, ev.ctx, ir.Forward); err != nil {
				return nil, err
			}
			ev.base[n] = env[n]
		case n.Phase == ir.Backward:
			backward = append(backward, n)
		}
	}
	ev.draws.replaying = true
	return ev, interp.RunUpTo(&ir.Graph{Nodes: backward}, env, ev.ctx, ir.Backward)
}

// lossOf returns a function computing the loss at the current value of p,
// with the branches of piecewise ops frozen as at the unperturbed point.
func (ev *evaluator) lossOf(p *ir.Node) func() (float64, error) {
	nodes := ev.downstream(p)
	return func() (float64, error) {
		for _, n := range nodes {
			if out, ok := ev.frozen(n); ok {
				ev.env[n] = out
				continue
			}
			ev.draws.at = ev.drawn[n]
			if err := interp.RunUpTo(ev.single[n], ev.env, ev.ctx, ir.Forward); err != nil {
				return 0, err
			}
		}
		return ev.env[ev.g.Loss].Data[0], nil
	}
}

// frozen evaluates a piecewise op with the branches it took at the
// unperturbed point; ok is false for any other op.
func (ev *evaluator) frozen(n *ir.Node) (*ops.Tensor, bool) {
	at := make([]*ops.Tensor, len(n.Inputs))
	args := make([]*ops.Tensor, len(n.Inputs))
	for i, in := range n.Inputs {
		at[i], args[i] = ev.base[in], ev.env[in]
	}
	return ops.FrozenEval(n, at, args)
}

// downstream lists the forward nodes that read p, directly or not.
func (ev *evaluator) downstream(p *ir.Node) []*ir.Node {
	dirty := map[*ir.Node]bool{p: true}
	var out []*ir.Node
	for _, n := range ev.forward {
		if slices.ContainsFunc(n.Inputs, func(in *ir.Node) bool { return dirty[in] }) {
			dirty[n] = true
			out = append(out, n)
		}
	}
	return out
}

// restore puts back the unperturbed values of the nodes that depend on p.
func (ev *evaluator) restore(p *ir.Node) {
	for _, n := range ev.downstream(p) {
		ev.env[n] = ev.base[n]
	}
}

// drawLog records the random numbers of the first evaluation and then
// replays them from a chosen place.
type drawLog struct {
	src       *runtime.RNG
	log       []float64
	replaying bool
	at        int
}

func (d *drawLog) Float64() float64 {
	if !d.replaying {
		v := d.src.Float64()
		d.log = append(d.log, v)
		return v
	}
	v := d.log[d.at]
	d.at++
	return v
}

// sampleIndices returns every index of a tensor of n elements when n is at
// most k, otherwise k distinct random ones, in increasing order.
func sampleIndices(n, k int, r *rand.Rand) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := r.Perm(n)[:k]
	slices.Sort(idx)
	return idx
}

// identityPreprocessing sets an input transform's state to the identity, so
// that the check sees the inputs as drawn (zero state would erase them).
func identityPreprocessing(g *ir.Graph, env interp.Env) {
	for _, s := range g.State {
		t := env[s]
		switch s.Attrs.Str("preprocess") {
		case "scale":
			for i := range t.Data {
				t.Data[i] = 1
			}
		case "whiten":
			d := s.Shape[0]
			for i := range d {
				t.Data[i*d+i] = 1
			}
		}
	}
}

// describe is a tensor's line of the report.
func (tc tensorCheck) describe() string {
	line := fmt.Sprintf("%-24s %-12s %4d of %-7d max rel err %.2e  (largest |grad| %.2e)",
		tc.name, tc.shape, tc.checked, tc.shape.Size(), tc.worst, tc.largest)
	unsure := ""
	if tc.unsure > 0 {
		unsure = fmt.Sprintf(", %d inconclusive (numeric uncertainty up to %.1e)", tc.unsure, tc.spread)
	}
	switch {
	case !tc.ok():
		return "FAIL " + line + fmt.Sprintf(", worst at element %d", tc.at) + unsure
	case tc.unsure > 0:
		return "??   " + line + unsure
	}
	return "ok   " + line
}

// ok reports whether the tensor's gradient passed.
func (tc tensorCheck) ok() bool { return tc.worst <= checkThreshold }
