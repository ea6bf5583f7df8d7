package emit

import "testing"

func TestIdent(t *testing.T) {
	for name, want := range map[string]string{
		"h1.w":         "h1W",
		"fc1.w.adam_m": "fc1WAdamM",
		"image":        "image",
		"Out.B":        "outB",
		"1st.layer":    "v1stLayer",
		"a--b..c":      "aBC",
		"naïve.w":      "naVeW",
		"...":          "",
		"":             "",
	} {
		if got := Ident(name); got != want {
			t.Errorf("Ident(%q) = %q, want %q", name, got, want)
		}
	}
}
