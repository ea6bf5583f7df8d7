package ir

import "testing"

// Dumps, plans and graphs print a group's kind by name; the names are
// what they printed when kinds were strings.
func TestGroupKindNames(t *testing.T) {
	for kind, want := range map[GroupKind]string{
		GroupEpilogue: "epilogue", GroupElementwise: "elementwise", GroupPoolGrad: "poolgrad", 0: "GroupKind(0)",
	} {
		if got := kind.String(); got != want {
			t.Errorf("GroupKind %d prints %q, want %q", uint8(kind), got, want)
		}
	}
}
