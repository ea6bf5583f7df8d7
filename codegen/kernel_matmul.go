package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlc-dev/dlc/codegen/gemm"
	"github.com/dlc-dev/dlc/ir"
)

// The matmul op's kernel is a product of the GEMM engine (codegen/gemm),
// registered in kernels.go under the name the kernel set gives it, with
// its SIMD parts in the SIMD files (simd_files.go). Fused matmul
// epilogues (fusion.go) and convolutions (kernel_conv_gemm.go) reach the
// engine through gemmEntry too. The products share one workspace, the
// Model's packed panels.

// gemmKernel is the opKernels builder of matmul nodes: the product alone.
func gemmKernel(c *gen, n *ir.Node) (kernel, []jen.Code) {
	p := gemm.Matmul(c.g.DType, n)
	return c.gemmEntry(p), c.workspaceArg(p)
}

// workspaceArg is the workspace argument of a call to p's kernel, if it
// takes one.
func (c *gen) workspaceArg(p gemm.Product) []jen.Code {
	if p.Workspace() == 0 {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(panelsField)}
}

// gemmEntry is the kernels.go entry point of p, with the split tuning
// chose; registering it notes the split as a decision of -tune and adds
// the product's SIMD parts, if any, to the SIMD files.
func (c *gen) gemmEntry(p gemm.Product) kernel {
	p = p.Tuned(c.opt.Tuning)
	return kernel{
		key:  p.Key(),
		base: p.BaseName(),
		decl: func(name string) jen.Code {
			c.noteGemm(p, name)
			c.simdCode().add(p.SIMD(name))
			return p.Decl(name)
		},
	}
}

// gemmWorkspace is the size of the model's workspace, Model.panels.
func (c *gen) gemmWorkspace() int { return c.tunedWorkspaceFloats(c.g, c.inf) }

// workspaceFloats is the workspace the products (matmuls and the
// convolutions computed on them) and the attention kernels of the given
// graphs need: the most any one call needs (they run one at a time). Computed from the
// graphs, it does not depend on the order in which kernels are emitted.
func workspaceFloats(graphs ...*ir.Graph) int {
	return workspaceFloatsWith(nil, graphs...)
}

// workspaceFloatsWith is workspaceFloats with the splits of tuning.
func workspaceFloatsWith(tuning Tuning, graphs ...*ir.Graph) int {
	size := 0
	for _, g := range graphs {
		if g == nil {
			continue
		}
		for _, n := range g.Nodes {
			if n.Op == "matmul" {
				size = max(size, gemm.Matmul(g.DType, n).Tuned(tuning).Workspace())
			}
			size = max(size, convWorkspace(g.DType, n), attnWorkspace(g.DType, n))
		}
	}
	return size
}

// panelsField is the Model field holding the workspace.
const panelsField = "panels"

// panelsFields declares the workspace field, if the model needs one.
func (c *gen) panelsFields() []jen.Code {
	if c.gemmWorkspace() == 0 {
		return nil
	}
	return []jen.Code{jen.Id(panelsField).Add(floats()).Comment("the matrix products' packed panels of b: one per goroutine")}
}

// panelsAlloc allocates the workspace, once, in New.
func (c *gen) panelsAlloc() []jen.Code {
	size := c.gemmWorkspace()
	if size == 0 {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(panelsField).Op("=").Make(floats(), jen.Lit(size))}
}
