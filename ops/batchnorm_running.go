package ops

import "github.com/dlc-dev/dlc/ir"

// batchnorm_running(running_mean, running_var, x) {momentum}: updates a
// batch norm layer's running statistics in place from the batch x, as
// PyTorch does:
//
//	running_mean = (1 − momentum)·running_mean + momentum·mean
//	running_var  = (1 − momentum)·running_var  + momentum·var·m/(m − 1)
//
// where var is the biased batch variance of each channel's m values, so
// that the running variance tracks the unbiased estimate. It is an updater
// in the forward phase: it runs where the training forward pass meets the
// batch, reads nothing that is read back in that pass, and dead-code
// elimination keeps it as a root. The inference graph reads the two state
// tensors through batchnorm_eval.
func init() {
	Register(&Def{
		Name:  "batchnorm_running",
		Kind:  Updater,
		Arity: 3,
		Shape: func(n *ir.Node) (ir.Shape, error) {
			for _, s := range n.Inputs[:2] {
				if s.Op != "state" {
					return nil, shapeErr("batchnorm_running must update state tensors, got %s %s", s.Op, s.Label())
				}
			}
			if err := checkChannels(n.Op, n.Inputs[2].Shape, n.Inputs[0], n.Inputs[1]); err != nil {
				return nil, err
			}
			return n.Inputs[0].Shape.Clone(), nil
		},
		Eval: func(_ *EvalCtx, n *ir.Node, args []*Tensor) *Tensor {
			mean, variance, x := args[0].Data, args[1].Data, args[2]
			mom := n.Attrs.Float("momentum", 0)
			st := channelStats(x, 0)
			unbias := float64(st.count) / float64(st.count-1)
			for c := range mean {
				mean[c] = (1-mom)*mean[c] + mom*st.mean[c]
				variance[c] = (1-mom)*variance[c] + mom*st.variance[c]*unbias
			}
			return nil
		},
	})
}
