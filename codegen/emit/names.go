package emit

import "strings"

// Ident turns a model-file name such as "fc1.w.adam_m" into a lower
// camel-case Go identifier ("fc1WAdamM"), and an op name such as
// "softmax_xent_grad" into "softmaxXentGrad". Any character other than an
// ASCII letter or digit separates words. It returns "" when nothing usable
// is left.
func Ident(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return !isASCIIAlnum(r) })
	var b strings.Builder
	for i, w := range words {
		if i == 0 {
			b.WriteString(strings.ToLower(w[:1]) + w[1:])
		} else {
			b.WriteString(UpperFirst(w))
		}
	}
	id := b.String()
	if id != "" && id[0] >= '0' && id[0] <= '9' {
		id = "v" + id
	}
	return id
}

// UpperFirst is s with its first letter in upper case.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
