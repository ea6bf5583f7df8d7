# dlc: the two commands that matter are `make mnist` (compile the MNIST
# example and train it) and `make test` (the test suite CI runs).

GO ?= go

.PHONY: mnist vgg resnet gpt gotokens test golden vet fmt-check bench

# Compile examples/mnist/mlp.dl into a trainer and train it on MNIST (found
# in the Go module cache; fetched through the module proxy if absent).
mnist:
	$(GO) run ./cmd/dlc train examples/mnist/mlp.dl -metrics mlp-metrics.jsonl

# Train the example CNNs on MNIST: a VGG-style stack (3×3 convolutions,
# batch norm, pooling) and a ResNet-style one (stride-2 convolutions, 1×1
# projections, global pooling).
vgg:
	$(GO) run ./cmd/dlc train examples/cnn/vgg.dl -metrics vgg-metrics.jsonl

resnet:
	$(GO) run ./cmd/dlc train examples/cnn/resnet.dl -metrics resnet-metrics.jsonl

# Compile examples/text/gpt.dl and train it briefly on Go source: with no
# -data, a byte-level trainer reads the first MiB of the Go standard
# library's non-test sources (found with `go env GOROOT`; docs/data.md says
# which files). GPT_STEPS sets the length of the run; the loss falls from
# ln 256 ≈ 5.5 nats per byte. Like make mnist, every run trains afresh: it
# replaces gpt.safetensors.
GPT_STEPS ?= 500
gpt:
	$(GO) run ./cmd/dlc build examples/text/gpt.dl -o gpt
	./gpt -steps $(GPT_STEPS) -eval-every 100 -metrics gpt-metrics.jsonl -checkpoint gpt.safetensors -overwrite

# Make the data of examples/text/gotokens.dl, an encoder with a padding
# mask (lines of Go from the standard library padded to 64 bytes, each byte
# tagged with its token class: go run ./examples/text/gotokens -h), into
# gotokens-data/, and train it. GOTOKENS_STEPS sets the length of the run.
GOTOKENS_STEPS ?= 400
gotokens:
	$(GO) run ./examples/text/gotokens -o gotokens-data
	$(GO) run ./cmd/dlc build examples/text/gotokens.dl -o gotokens
	./gotokens -data gotokens-data -steps $(GOTOKENS_STEPS) -metrics gotokens-metrics.jsonl

# The test suite: unit, golden, gradient-check and end-to-end tests. The
# timeout is per package: the code generator's and the command's tests
# build many trainers, which takes minutes on a loaded two-core machine.
test: fmt-check vet
	$(GO) test -timeout 30m ./...

# Rewrite the golden files (IR dumps and generated Go) of every example.
golden:
	$(GO) test ./compiler -run 'TestGolden|TestPassGoldens' -update
	$(GO) test ./onnx -run TestDocsListTheSupportedOperators -update

# Vet twice (three times with Open MPI installed, for the MPI build of the
# runtime and runtime/comm): the SIMD kernels (runtime/kernels) build only with
# GOEXPERIMENT=simd, their portable twins only without it.
vet:
	$(GO) vet ./...
	GOEXPERIMENT=simd $(GO) vet ./...
	@if pkg-config --exists ompi-c 2>/dev/null; then echo "$(GO) vet -tags mpi ./runtime/..."; CGO_ENABLED=1 $(GO) vet -tags mpi ./runtime/...; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# dlc against PyTorch on the MNIST models and the GPT, alternating, medians
# of three rounds: training and inference throughput, peak memory, GEMM
# kernels against OpenBLAS, test accuracy after 3 epochs, the GPT's
# validation loss over 1000 steps. Slow (10 to 40 minutes, by the
# machine's load); needs PyTorch, a C compiler and libopenblas-dev.
# Writes docs/benchmarks.md.
bench:
	$(GO) run ./bench/run -out docs/benchmarks.md -accuracy-epochs 3 -quality-steps 1000 -busy

# A data-parallel trainer (2 ranks under mpirun) against one process on
# the MNIST MLP: needs Open MPI (docs/distributed.md).
.PHONY: bench-mpi
bench-mpi:
	$(GO) run ./bench/mpi

# One round of the MLP alone, printed, not written (under two minutes).
.PHONY: bench-quick
bench-quick:
	$(GO) run ./bench/run -rounds 1 -models mlp -gemm=false -steps 20

# Fuzz each target for FUZZTIME (default 3m, e.g. `make fuzz FUZZTIME=30s`):
# the parser, the front end, the whole compile, and the whole compile of
# generated shapes. A crashing input is saved under the package's
# testdata/fuzz/ and from then on runs with the normal tests.
FUZZTIME ?= 3m
.PHONY: fuzz
fuzz:
	$(GO) test ./dsl -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./dsl -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./compiler -run '^$$' -fuzz '^FuzzCompileAll$$' -fuzztime $(FUZZTIME)
	$(GO) test ./compiler -run '^$$' -fuzz '^FuzzCompileShapes$$' -fuzztime $(FUZZTIME)

# Train thousands of steps of each load-test model, checking that a step
# allocates nothing and that memory stays flat (minutes; DLC_SOAK_STEPS and
# DLC_SOAK_MODELS override the defaults). See docs/reliability.md.
.PHONY: soak
soak:
	DLC_SOAK=1 $(GO) test ./cmd/dlc -run '^TestSoak$$' -v -timeout 60m
