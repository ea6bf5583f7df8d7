package main

import (
	"strings"
	"testing"
)

func TestWithLR(t *testing.T) {
	src := "train {\n  optimizer sgd(lr = 0.01, momentum = 0.9)\n  seed 1\n}\n"
	out, err := withLR([]byte(src), "3e-3")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "lr = 0.01", "lr = 3e-3", 1); string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := withLR([]byte(src), "fast"); err == nil {
		t.Error("a learning rate that is not a number was accepted")
	}
	if _, err := withLR([]byte("train { seed 1 }\n"), "0.1"); err == nil {
		t.Error("a model without an optimizer's lr was not reported")
	}
}
