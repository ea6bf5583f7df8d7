package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rawSafetensors assembles a file by hand: length, header text, data.
func rawSafetensors(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// leBytes is the little-endian encoding of each value, in order.
func leBytes(values ...any) []byte {
	var b bytes.Buffer
	for _, v := range values {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestWriteSafetensorsMatchesHandBuiltBytes(t *testing.T) {
	tensors := []Tensor{
		{Name: "fc.w", Shape: []int{2, 1}, F32: []float32{1.5, -2}},
		{Name: "loss", Shape: []int{}, F64: []float64{0.25}},
	}
	var got bytes.Buffer
	if err := WriteSafetensors(&got, tensors, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"epoch":"3"},` +
		`"fc.w":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},` +
		`"loss":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8) // data starts 8-byte aligned
	want := rawSafetensors(header, leBytes(float32(1.5), float32(-2), 0.25))
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("wrote\n%q\nwant\n%q", got.Bytes(), want)
	}
}

func TestReadSafetensorsHandBuilt(t *testing.T) {
	// Another writer's layout: spaces, the data in the opposite order to
	// the header, metadata last.
	header := `{ "b": {"shape": [3], "dtype": "F64", "data_offsets": [8, 32]},
	  "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
	  "__metadata__": {"note": "hi"} }`
	data := leBytes(float32(7), float32(math.Inf(-1)), 1.0, -0.5, 1e300)
	st, err := ReadSafetensors(rawSafetensors(header, data))
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{st.Tensors[0].Name, st.Tensors[1].Name}; !slices.Equal(names, []string{"b", "a"}) {
		t.Errorf("tensors in order %v, want the header's [b a]", names)
	}
	a, _ := st.Tensor("a")
	b, _ := st.Tensor("b")
	if !slices.Equal(a.F32, []float32{7, float32(math.Inf(-1))}) || a.F64 != nil || !slices.Equal(a.Shape, []int{2}) {
		t.Errorf("a = %+v", a)
	}
	if !slices.Equal(b.F64, []float64{1, -0.5, 1e300}) || b.F32 != nil {
		t.Errorf("b = %+v", b)
	}
	if st.Metadata["note"] != "hi" || len(st.Metadata) != 1 {
		t.Errorf("metadata %v", st.Metadata)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	r := NewRNG(3)
	in := []Tensor{
		{Name: "h1.w", Shape: []int{3, 4}, F32: make([]float32, 12)},
		{Name: "h1.w.adam_m", Shape: []int{3, 4}, F32: make([]float32, 12)},
		{Name: "empty", Shape: []int{0, 5}, F32: []float32{}},
		{Name: "out.b", Shape: []int{2}, F64: []float64{math.MaxFloat64, math.SmallestNonzeroFloat64}},
	}
	for i := range in[0].F32 {
		in[0].F32[i] = float32(r.NormFloat64())
		in[1].F32[i] = float32(r.NormFloat64())
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, in, nil); err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tensors) != len(in) {
		t.Fatalf("read %d tensors, wrote %d", len(st.Tensors), len(in))
	}
	for i, want := range in {
		got := st.Tensors[i]
		if got.Name != want.Name || !slices.Equal(got.Shape, want.Shape) || !slices.Equal(got.F32, want.F32) || !slices.Equal(got.F64, want.F64) {
			t.Errorf("tensor %d: got %+v, want %+v", i, got, want)
		}
	}
}

func TestWriteSafetensorsRefusesBadTensors(t *testing.T) {
	for _, c := range []struct {
		tensors []Tensor
		want    string
	}{
		{[]Tensor{{Name: "a", Shape: []int{3}, F32: []float32{1, 2}}}, "tensor a has 2 values but shape [3] needs 3"},
		{[]Tensor{{Name: "a", Shape: []int{1}}}, "tensor a must hold exactly one of"},
		{[]Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}}, {Name: "a", Shape: []int{1}, F32: []float32{1}}}, `"a" is empty, reserved or repeated`},
		{[]Tensor{{Name: "__metadata__", Shape: []int{1}, F32: []float32{1}}}, "reserved"},
	} {
		err := WriteSafetensors(&bytes.Buffer{}, c.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestReadSafetensorsRejectsDamage(t *testing.T) {
	one := leBytes(float32(1))
	cases := []struct {
		name, header string
		data         []byte
		want         string
	}{
		{"not JSON", `{"a": {`, one, "corrupted safetensors header"},
		{"array", `[1]`, one, "not a JSON object"},
		{"trailing text", `{} {}`, nil, "text after the JSON object"},
		{"dtype", `{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 0}, `dtype "BF16"`},
		{"short range", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, one, "has byte range [0, 4)"},
		{"negative dim", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, one, "has shape [-1]"},
		{"huge dims", `{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, one, "has shape"},
		{"past the end", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, one, "needs bytes [0, 8) of the data section but it has 4: truncated"},
		{"gap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, leBytes(float32(1), float32(2)), "starts at byte 4, expected 0"},
		{"overlap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, one, "starts at byte 0, expected 4"},
		{"trailing bytes", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, leBytes(float32(1), float32(2)), "trailing bytes"},
		{"duplicate", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, one, `"a" appears twice`},
		{"metadata numbers", `{"__metadata__":{"epoch":3}}`, nil, "metadata is not a map of strings"},
	}
	for _, c := range cases {
		_, err := ReadSafetensors(rawSafetensors(c.header, c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	for _, content := range [][]byte{nil, {1, 2, 3}, leBytes(uint64(1) << 60), leBytes(uint64(100))} {
		if _, err := ReadSafetensors(content); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%v: got %v, want a truncation error", content, err)
		}
	}
}

// TestReadSafetensorsNeverPanics feeds every truncation and many byte
// flips of a valid file to the reader: each must read or fail cleanly.
func TestReadSafetensorsNeverPanics(t *testing.T) {
	var buf bytes.Buffer
	tensors := []Tensor{{Name: "w", Shape: []int{2, 2}, F32: []float32{1, 2, 3, 4}}, {Name: "b", Shape: []int{2}, F64: []float64{5, 6}}}
	if err := WriteSafetensors(&buf, tensors, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for n := range len(good) {
		if _, err := ReadSafetensors(good[:n]); err == nil {
			t.Errorf("a file cut to %d of %d bytes was read without error", n, len(good))
		}
	}
	r := NewRNG(9)
	for range 2000 {
		bad := slices.Clone(good)
		bad[r.Intn(len(bad))] ^= byte(1 + r.Intn(255))
		ReadSafetensors(bad) // must not panic; some flips (in the data) are valid files
	}
}

// torchReader is a safetensors reader using only json, struct and
// torch.frombuffer: torch 1.13 has no safetensors support of its own. It
// prints each tensor's dtype, shape and values, and the metadata, as JSON.
const torchReader = `
import json, struct, sys, torch
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = bytearray(raw[8 + n:])
out = {"__metadata__": header.pop("__metadata__", {})}
dtypes = {"F32": torch.float32, "F64": torch.float64}
for name, e in header.items():
    b, end = e["data_offsets"]
    t = torch.frombuffer(data, dtype=dtypes[e["dtype"]], count=(end - b) // (4 if e["dtype"] == "F32" else 8), offset=b)
    t = t.reshape(e["shape"])
    out[name] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.flatten().tolist()}
print(json.dumps(out))
`

// havePythonTorch reports whether /usr/bin/python3 can import torch,
// skipping the test with a message otherwise.
func havePythonTorch(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import torch").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import torch (%v: %s): skipping the PyTorch check", python, err, strings.TrimSpace(string(out)))
	}
	return python
}

func TestSafetensorsReadByTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python and PyTorch")
	}
	python := havePythonTorch(t)
	dir := t.TempDir()
	tensors := []Tensor{
		{Name: "h1.w", Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-30, -7}},
		{Name: "h1.b", Shape: []int{3}, F64: []float64{0.1, 0.2, math.Pi}},
		{Name: "loss", Shape: []int{}, F32: []float32{0.75}},
	}
	path := filepath.Join(dir, "t.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSafetensors(f, tensors, map[string]string{"model": "mlp"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	script := filepath.Join(dir, "read.py")
	os.WriteFile(script, []byte(torchReader), 0o644)
	out, err := exec.Command(python, script, path).Output()
	if err != nil {
		t.Fatalf("python reader: %v", err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	if string(got["__metadata__"]) != `{"model": "mlp"}` {
		t.Errorf("torch read metadata %s", got["__metadata__"])
	}
	for _, want := range tensors {
		var g struct {
			DType  string    `json:"dtype"`
			Shape  []int     `json:"shape"`
			Values []float64 `json:"values"`
		}
		if err := json.Unmarshal(got[want.Name], &g); err != nil {
			t.Fatalf("%s: %v in %s", want.Name, err, out)
		}
		values, dtype := want.F64, "torch.float64"
		if want.F32 != nil {
			values, dtype = nil, "torch.float32"
			for _, v := range want.F32 {
				values = append(values, float64(v))
			}
		}
		if g.DType != dtype || !slices.Equal(g.Shape, want.Shape) || !slices.Equal(g.Values, values) {
			t.Errorf("torch read %s as %+v, want %s %v %v", want.Name, g, dtype, want.Shape, values)
		}
	}
}
