# dlc: the two commands that matter are `make mnist` (compile the MNIST
# example and train it) and `make test` (the test suite CI runs).

GO ?= go

.PHONY: mnist test golden vet fmt-check bench

# Compile examples/mnist/mlp.dl into a trainer and train it on MNIST (found
# in the Go module cache; fetched through the module proxy if absent).
mnist:
	$(GO) run ./cmd/dlc train examples/mnist/mlp.dl -metrics mlp-metrics.jsonl

# The test suite: unit, golden, gradient-check and end-to-end tests.
test: fmt-check vet
	$(GO) test ./...

# Rewrite the golden files (IR dumps and generated Go) of every example.
golden:
	$(GO) test ./internal/compiler -run TestGolden -update

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
