// Package codegen turns a model's two final dlc graphs into a standalone Go
// package implementing runtime.Model: the training graph (forward, backward
// and update nodes, after the pass pipeline) and the inference graph (the
// forward pass in evaluation mode). The two share parameter, state and
// input buffers by name; their activations reuse one region of the arena
// (see PlanMemory). Code is built with jennifer and comes out
// gofmt-formatted; the same graphs always yield the same bytes.
//
// The generated package has three files: model.go (the Model type, its
// buffers and the runtime.Model methods), steps.go (forward, infer,
// backward and update, one commented kernel call per node, or per fused
// group, and the training step's table of kernels for the trainer's
// -profile: profile.go) and kernels.go (the shape-specialised kernels those calls use).
// A float32 model has two more, the vector half of its matrix products:
// kernels_simd.go, built with GOEXPERIMENT=simd on amd64, and
// kernels_generic.go, its portable stand-in (see codegen/gemm). A model
// with a decode graph (Options.Decode) has decode.go, its Decoder, and the
// vector halves of the products kernels_simd.go lacks in decode_simd.go and
// decode_generic.go (see decode.go).
//
// # Where a new op's kernel goes
//
// Every op the generator computes has one entry in opKernels (kernels.go),
// the one table of op kernels: the builder that returns the op's kernel (a
// key naming everything its code depends on, a readable base name and the
// declaration under the name the kernel set gives it) with any call
// arguments after the buffers, and which operand holds class labels. An
// elementwise op with a Go formula in the registry (ops.Def.Go) needs no
// entry: elementwiseKernel loops over it, and fused chains and epilogues
// take it up. The builder lives in kernel_<op>.go, named after the op
// (kernel_batchnorm.go, kernel_bias.go); ops that share their helpers
// share a file named after their family (kernel_pool.go, kernel_optim.go,
// kernel_loss.go). It computes the op in one of three ways:
//
//   - a matrix product: describe it as a gemm.Product and register it with
//     gemmEntry (kernel_matmul.go), as matmul, fused matmul epilogues
//     (fusion.go) and convolutions (kernel_conv_gemm.go) do. The GEMM
//     engine emits the drivers, microkernels and their scalar twins, and
//     decides the split; codegen names and registers what it returns, and
//     sizes the shared workspace (workspaceFloats) from the graphs;
//   - a loop that wants vector code or care beyond a constant-shape loop:
//     write it once in runtime/kernels, with its portable twin and tests,
//     and emit a call to it (jen.Qual(kernelsPath, ...)), as batch norm,
//     softmax and attention do; a float32 elementwise op with such a form
//     names it in ops.Def.Kernel;
//   - otherwise a loop specialised to the op's constant shapes, built with
//     the helpers of codegen/emit (doc, reslice, loop, expr).
//
// Then the op's kernel is checked against the float64 interpreter by the
// generated-model tests, and its generated code by the goldens.
package codegen
