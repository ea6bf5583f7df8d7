package dsl

import (
	"fmt"
	"slices"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// name, or "" when none is close enough to be a typo of it.
func didYouMean(name string, candidates []string) string {
	limit := 2 // edits allowed: none for very short names, whose neighbours are noise
	switch {
	case len(name) <= 2:
		return ""
	case len(name) <= 4:
		limit = 1
	}
	sorted := slices.Clone(candidates)
	slices.Sort(sorted)
	best, bestDist := "", limit+1
	for _, c := range sorted {
		if d := editDistance(name, c); d > 0 && d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (names are ASCII).
func editDistance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
