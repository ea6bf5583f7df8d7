package kernels

import "fmt"

// Embedding sets y[r] = tok[ids[r]] + pos[r mod T] for every position r of
// a [B, T] batch of token ids (held as floats), rows of width C. It panics
// on an id outside the table: the trainer checks its data before any step.
func Embedding[F Float](y, ids, tok, pos []F, T, C int) {
	vocab := len(tok) / C
	for r, v := range ids {
		id := tokenRow(v, vocab)
		row, t := y[r*C:][:C], tok[id*C:][:C]
		ps := pos[(r%T)*C:][:C]
		for c := range row {
			row[c] = t[c] + ps[c]
		}
	}
}

// EmbeddingGrad sets dtok to the scatter-add of dy's rows into the rows of
// their tokens, in order of position, so that the sums are the same on
// every run.
func EmbeddingGrad[F Float](dtok, ids, dy []F, C int) {
	clear(dtok)
	vocab := len(dtok) / C
	for r, v := range ids {
		row, d := dtok[tokenRow(v, vocab)*C:][:C], dy[r*C:][:C]
		for c := range row {
			row[c] += d[c]
		}
	}
}

// PositionGrad sets dpos to the sum over the batch of dy [B, T, C], rows
// beyond T zero.
func PositionGrad[F Float](dpos, dy []F, T, C int) {
	clear(dpos)
	tc := T * C
	for i, v := range dy {
		dpos[i%tc] += v
	}
}

func tokenRow[F Float](v F, vocab int) int {
	id := int(v)
	if F(id) != v || id < 0 || id >= vocab {
		panic(fmt.Sprintf("kernels: token id %v outside the vocabulary [0, %d)", v, vocab))
	}
	return id
}
