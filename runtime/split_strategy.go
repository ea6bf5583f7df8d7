package runtime

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Split strategies, as Spec.SplitBy names them.
const (
	SplitRandom = ""      // samples drawn at random
	SplitClass  = "class" // stratified: every class held out in the same proportion
	SplitGroup  = "group" // whole groups held out, so no group is on both sides
)

// SplitBy holds out frac of ds for validation by the named strategy. A
// stratified split needs class labels and a group split needs groups.
func SplitBy(ds *Dataset, strategy string, frac float64, seed uint64) (train, val Subset, err error) {
	switch strategy {
	case SplitRandom, "random":
		train, val = Split(ds, frac, seed)
		return train, val, nil
	case SplitClass:
		if ds.Class == nil {
			return Subset{}, Subset{}, fmt.Errorf("dataset %s: split by class needs class labels, but the model predicts real values", ds.Name)
		}
		train, val = StratifiedSplit(ds, frac, seed)
		return train, val, nil
	case SplitGroup:
		return GroupSplit(ds, frac, seed)
	}
	return Subset{}, Subset{}, fmt.Errorf("unknown split strategy %q: expected random, class or group", strategy)
}

// StratifiedSplit holds out round(frac×N) samples so that every class keeps
// its share: each class gives its exact quota rounded down, and the samples
// still missing come from the classes with the largest remainders. No class
// is off its exact share by a whole sample or more. ds must have class
// labels.
func StratifiedSplit(ds *Dataset, frac float64, seed uint64) (train, val Subset) {
	nVal := heldOut(frac, ds.N)
	byClass := map[int32][]int{}
	for i, c := range ds.Class {
		byClass[c] = append(byClass[c], i)
	}
	classes := slices.Sorted(maps.Keys(byClass))
	type quota struct {
		class int32
		take  int
		rest  float64
	}
	quotas := make([]quota, len(classes))
	taken := 0
	for i, c := range classes {
		exact := float64(nVal) * float64(len(byClass[c])) / float64(ds.N)
		whole := math.Floor(exact)
		quotas[i] = quota{class: c, take: int(whole), rest: exact - whole}
		taken += int(whole)
	}
	// Largest remainders first; ties go to the smaller class index, so
	// the split depends only on the data and the seed.
	byRest := slices.Clone(quotas)
	slices.SortStableFunc(byRest, func(a, b quota) int { return cmp.Compare(b.rest, a.rest) })
	extra := map[int32]int{}
	for i := 0; i < nVal-taken; i++ {
		extra[byRest[i].class]++
	}
	rng := NewRNG(seed).Derive("split/class")
	valIdx := make([]int, 0, nVal)
	var trainIdx []int
	for _, q := range quotas {
		members := byClass[q.class]
		perm := make([]int, len(members))
		rng.Perm(perm)
		k := q.take + extra[q.class]
		for j, p := range perm {
			if j < k {
				valIdx = append(valIdx, members[p])
			} else {
				trainIdx = append(trainIdx, members[p])
			}
		}
	}
	return partition(ds, append(valIdx, trainIdx...), len(valIdx))
}

// GroupSplit holds out whole groups, drawn in random order, aiming at
// round(frac×N) samples: a group is held out when that brings the
// validation size closer to the aim, so the split is as near the fraction
// as the group sizes allow. No group has samples on both sides, so a model
// that memorises a group's samples gains nothing on validation. When the
// aim is a sample or more, at least one group is held out, and at least
// one is always kept. ds must have groups.
func GroupSplit(ds *Dataset, frac float64, seed uint64) (train, val Subset, err error) {
	if ds.Groups == nil {
		return Subset{}, Subset{}, fmt.Errorf("dataset %s: split by group needs a group for every sample", ds.Name)
	}
	members := map[int][]int{}
	for i, g := range ds.Groups {
		members[g] = append(members[g], i)
	}
	ids := slices.Sorted(maps.Keys(members))
	target := heldOut(frac, ds.N)
	if target == 0 {
		return Subset{DS: ds, Idx: seq(ds.N)}, Subset{DS: ds, Idx: []int{}}, nil
	}
	if len(ids) < 2 {
		return Subset{}, Subset{}, errors.New("dataset " + ds.Name + ": split by group needs at least two groups, but every sample is in one")
	}
	perm := make([]int, len(ids))
	NewRNG(seed).Derive("split/group").Perm(perm)
	held := map[int]bool{}
	size := 0
	for _, p := range perm {
		g := ids[p]
		n := len(members[g])
		if size+n < ds.N && abs(size+n-target) < abs(size-target) {
			held[g] = true
			size += n
		}
	}
	if size == 0 {
		// Every group is far bigger than the aim: hold out the smallest.
		smallest := slices.MinFunc(ids, func(a, b int) int { return cmp.Compare(len(members[a]), len(members[b])) })
		held[smallest] = true
		size = len(members[smallest])
	}
	order := make([]int, 0, ds.N)
	var rest []int
	for _, g := range ids {
		if held[g] {
			order = append(order, members[g]...)
		} else {
			rest = append(rest, members[g]...)
		}
	}
	train, val = partition(ds, append(order, rest...), size)
	return train, val, nil
}

// seq is 0, 1, ..., n-1.
func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
