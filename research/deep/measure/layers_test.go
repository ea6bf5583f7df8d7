package main

import (
	"strings"
	"testing"
)

const recipe = `train {
  batch 128
  optimizer sgd(lr = 0.01, momentum = 0.9)   # a comment
  clip_grad_norm 1                            # another
  init xavier_normal                          # and another
  seed 1
}
`

func TestWithoutClipping(t *testing.T) {
	out, err := withoutClipping([]byte(recipe))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(recipe, "  clip_grad_norm 1                            # another\n", "", 1)
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := withoutClipping([]byte("train { batch 4  clip_grad_norm 1 }\n")); err == nil {
		t.Error("clipping on a shared line was not reported")
	}
}

func TestWithInit(t *testing.T) {
	out, err := withInit([]byte(recipe), "he_normal")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(recipe, "init xavier_normal", "init he_normal", 1); string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := withInit([]byte("train { batch 4 }\n"), "he_normal"); err == nil {
		t.Error("a missing init entry was not reported")
	}
	if _, err := withInit([]byte(recipe), "he normal; seed 2"); err == nil {
		t.Error("a malformed scheme was accepted")
	}
}
