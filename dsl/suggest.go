package dsl

import (
	"fmt"
	"slices"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// name, or "" when none is close enough to be a typo of it. Case is
// ignored (Relu is relu), and swapping two neighbouring letters is one
// edit (rleu is relu).
func didYouMean(name string, candidates []string) string {
	limit := 2 // edits allowed: none for very short names, whose neighbours are noise
	switch {
	case len(name) <= 2:
		limit = 0
	case len(name) <= 4:
		limit = 1
	}
	sorted := slices.Clone(candidates)
	slices.Sort(sorted)
	lower := strings.ToLower(name)
	best, bestDist := "", limit+1
	for _, c := range sorted {
		if c == name {
			continue
		}
		if d := editDistance(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes (names are ASCII): insertions, deletions, substitutions and
// swaps of two adjacent letters, each one edit.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
