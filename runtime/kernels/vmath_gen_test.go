package kernels

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var updateAVX2 = flag.Bool("update-avx2", false, "rewrite vmath_avx2.go from vmath_avx512.go")

// avx2Source is vmath_avx512.go for 8 lanes: every name or number ending
// in 16 ends in 8 instead.
func avx2Source(avx512 string) string {
	s := regexp.MustCompile(`(\w*)16\b`).ReplaceAllString(avx512, "${1}8")
	s = strings.ReplaceAll(s, "AVX-512", "AVX2")
	s = strings.Replace(s, "vmath_avx2.go is this file for 8 lanes (TestVMathAVX2Generated).",
		"Generated from vmath_avx512.go (go test -run TestVMathAVX2Generated -update-avx2).", 1)
	return "// Code generated from vmath_avx512.go by TestVMathAVX2Generated; DO NOT EDIT.\n\n" + s
}

// The AVX2 forms are the AVX-512 ones, generated: the two cannot drift.
func TestVMathAVX2Generated(t *testing.T) {
	src, err := os.ReadFile("vmath_avx512.go")
	if err != nil {
		t.Fatal(err)
	}
	want := avx2Source(string(src))
	if *updateAVX2 {
		if err := os.WriteFile("vmath_avx2.go", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("vmath_avx2.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("vmath_avx2.go is not vmath_avx512.go for 8 lanes: run go test -run TestVMathAVX2Generated -update-avx2")
	}
}
