package runtime

import "fmt"

// classWarnings names each class that no training sample has: the model
// is asked to predict it but can never learn to. Not an error: a rare
// class may be missing from a small file on purpose.
func classWarnings(spec Spec, s splits) []string {
	if spec.Classes == 0 || spec.Vocab > 0 || s.train.DS == nil || len(s.train.DS.Class) == 0 {
		return nil // regression, or a token model whose labels are its text
	}
	count := func(sub Subset) []int {
		n := make([]int, spec.Classes)
		per := spec.LabelsPerSample()
		for _, i := range sub.Idx {
			for _, c := range sub.DS.Class[i*per : (i+1)*per] {
				n[c]++
			}
		}
		return n
	}
	train := count(s.train)
	var val []int
	if s.val.DS != nil {
		val = count(s.val)
	}
	var out []string
	for k, n := range train {
		if n > 0 {
			continue
		}
		where := fmt.Sprintf("%s has no rows of it", s.train.DS.Name)
		if val != nil && val[k] > 0 {
			where = fmt.Sprintf("all %d of its rows in %s are held out for validation", val[k], s.train.DS.Name)
		}
		out = append(out, fmt.Sprintf("warning: class %d of %d has no training rows (%s): the model cannot learn to predict it", k, spec.Classes, where))
	}
	return out
}
