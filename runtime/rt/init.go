package rt

import (
	"fmt"
	"math"
)

// InitParam fills dst by the named scheme, drawing from r:
//
//	he_normal       N(0, 2/fanIn)
//	he_uniform      U(±sqrt(6/fanIn))
//	xavier_normal   N(0, 2/(fanIn+fanOut))
//	xavier_uniform  U(±sqrt(6/(fanIn+fanOut)))
//	gpt_normal      N(0, 0.02²), GPT-2's weights and embeddings
//	zeros, ones     constants
//
// The schemes are those of He et al. (2015) and Glorot and Bengio (2010).
func InitParam[F float32 | float64](dst []F, kind string, fanIn, fanOut int, r *RNG) error {
	normal := func(std float64) {
		for i := range dst {
			dst[i] = F(std * r.NormFloat64())
		}
	}
	uniform := func(bound float64) {
		for i := range dst {
			dst[i] = F(bound * (2*r.Float64() - 1))
		}
	}
	switch kind {
	case "he_normal":
		normal(math.Sqrt(2 / float64(fanIn)))
	case "he_uniform":
		uniform(math.Sqrt(6 / float64(fanIn)))
	case "xavier_normal":
		normal(math.Sqrt(2 / float64(fanIn+fanOut)))
	case "xavier_uniform":
		uniform(math.Sqrt(6 / float64(fanIn+fanOut)))
	case "gpt_normal":
		normal(0.02)
	case "zeros":
		clear(dst)
	case "ones":
		for i := range dst {
			dst[i] = 1
		}
	default:
		return fmt.Errorf("unknown initialisation %q", kind)
	}
	return nil
}
