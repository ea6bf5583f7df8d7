package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/dlc-dev/dlc/ir"
	"github.com/dlc-dev/dlc/research/deep/probe"
)

// denseLayers lists the layers with a weight matrix (dense layers) in the
// order the forward pass reaches them: depth 1 reads the image.
func denseLayers(g *ir.Graph) []string {
	var layers []string
	for _, p := range g.Params {
		if len(p.Shape) == 2 && strings.HasSuffix(p.Name, ".w") {
			layers = append(layers, p.Layer)
		}
	}
	return layers
}

// clipLine is a train-section line that sets gradient clipping, alone on
// its line as the examples write it.
var clipLine = regexp.MustCompile(`(?m)^[ \t]*clip_grad_norm[ \t]+[^ \t\n#]+[ \t]*(#.*)?\n`)

// withoutClipping returns the model source without its clip_grad_norm
// entry, so that a step reports raw gradients.
func withoutClipping(src []byte) ([]byte, error) {
	out := clipLine.ReplaceAll(src, nil)
	if bytes.Contains(out, []byte("clip_grad_norm")) {
		return nil, errors.New("clip_grad_norm must stand alone on its line to be removed for the gradient measurement")
	}
	return out, nil
}

// initLine is the train section's default initialisation, alone on its
// line as the examples write it.
var initLine = regexp.MustCompile(`(?m)^([ \t]*init[ \t]+)[a-z_]+`)

// withInit returns the model source with its default initialisation
// replaced by scheme.
func withInit(src []byte, scheme string) ([]byte, error) {
	if !regexp.MustCompile(`^[a-z_]+$`).MatchString(scheme) {
		return nil, fmt.Errorf("-init %q is not a scheme name", scheme)
	}
	if !initLine.Match(src) {
		return nil, errors.New("no init entry in the train section to replace")
	}
	return initLine.ReplaceAll(src, []byte("${1}"+scheme)), nil
}

// gradNorms maps each layer to its gradient norm in a report's first step.
func gradNorms(r *probe.Report) map[string]float64 {
	out := map[string]float64{}
	for _, l := range r.FirstStep {
		out[l.Layer] = l.GradNorm
	}
	return out
}
