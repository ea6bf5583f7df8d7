package passes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomNormModel writes a small random model file mixing what the
// placement, folding and remat passes look at: dense layers with and
// without bias, explicit batch norms before and after activations,
// dropout, residual blocks, norm statements switching on and off, and a
// remat setting of remat (a train value).
func randomNormModel(r *rand.Rand, remat string) string {
	var b strings.Builder
	b.WriteString("model r\ninput x: [5]\nlabel y: class(3)\n")
	b.WriteString("block res(h) {\n  r = dense(h, 6) |> relu\n  return h + dense(r, 6)\n}\n")
	tails := []string{"", " |> relu", " |> tanh", " |> batchnorm", " |> batchnorm |> relu", " |> relu |> batchnorm",
		" |> dropout(0.3)", " |> dropout(0.3) |> batchnorm", " |> relu |> dropout(0.2)"}
	b.WriteString("h = dense(x, 6) |> relu\n")
	for i := range 3 + r.IntN(4) {
		switch r.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "norm %s\n", []string{"batchnorm", "none", "batchnorm(momentum = 0.3, eps = 1e-3)"}[r.IntN(3)])
		case 1:
			b.WriteString("h = res(h)\n")
		}
		bias := ""
		if r.IntN(3) == 0 {
			bias = ", bias = false"
		}
		fmt.Fprintf(&b, "h%d = dense(h, 6%s)%s\nh = h%d\n", i, bias, tails[r.IntN(len(tails))], i)
	}
	fmt.Fprintf(&b, "loss = cross_entropy(dense(h, 3), y)\ntrain { batch 6  remat %s }\n", remat)
	return b.String()
}

// Random models: placement gives both graphs the same storage, folding
// leaves predictions unchanged, and remat leaves gradients unchanged.
func TestNormPassesOnRandomModels(t *testing.T) {
	var placed, folds, recomputed int
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 99))
		k := 1 + r.IntN(3)
		src := randomNormModel(rand.New(rand.NewPCG(seed, 7)), "none")
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("model:\n%s", src)
				}
			}()
			train := buildModel(t, src, false, Options{})
			folded := buildModel(t, src, true, Options{})
			unfolded := buildModel(t, src, true, Options{NoFoldBN: true})
			// The recipe's plain sgd keeps no optimizer state.
			if got, want := storageNames(unfolded), storageNames(train); !slices.Equal(got, want) {
				t.Fatalf("inference storage %v, training storage %v", got, want)
			}
			envU := randomStorage(unfolded, seed)
			want := predict(t, unfolded, envU)
			got := predict(t, folded, sameStorage(t, folded, envU, envU[unfolded.Inputs[0]]))
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
					t.Fatalf("folded prediction %d is %v, unfolded %v", i, got[i], want[i])
				}
			}
			_, g := checkRemat(t, func(remat string) string { return strings.Replace(src, "remat none", "remat "+remat, 1) }, k)
			for _, p := range train.Params {
				if strings.HasSuffix(p.Name, ".bn.gamma") {
					placed++
				}
			}
			folds += opsOf(folded)["bn_fold_weight"]
			if extra, _ := RematCost(g); extra > 0 {
				recomputed++
			}
		})
	}
	t.Logf("%d batch norms placed, %d folded, %d models recomputing", placed, folds, recomputed)
	if placed == 0 || folds == 0 || recomputed == 0 {
		t.Errorf("the random models exercise too little: %d placed, %d folded, %d recomputing", placed, folds, recomputed)
	}
}
