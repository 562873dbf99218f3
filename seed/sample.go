package seed

import (
	"math"
	"math/rand/v2"
	"sort"
)

// picker draws values with probabilities proportional to their weights.
type picker[T any] struct {
	values     []T
	cumulative []int // cumulative[i] is the sum of the weights of values[0..i]
}

func newPicker[T any](table []weighted[T]) *picker[T] {
	p := &picker[T]{}
	total := 0
	for _, w := range table {
		total += w.weight
		p.values = append(p.values, w.value)
		p.cumulative = append(p.cumulative, total)
	}
	return p
}

func (p *picker[T]) pick(random *rand.Rand) T {
	n := random.IntN(p.cumulative[len(p.cumulative)-1])
	i := sort.Search(len(p.cumulative), func(i int) bool { return p.cumulative[i] > n })
	return p.values[i]
}

func newClusterPicker(table []Cluster) *picker[Cluster] {
	weights := make([]weighted[Cluster], len(table))
	for i, c := range table {
		weights[i] = weighted[Cluster]{c, c.Weight}
	}
	return newPicker(weights)
}

// sampleQuantile draws a value from the distribution whose values at quantileLevels are
// quantiles, interpolating linearly between them.
func sampleQuantile(random *rand.Rand, quantiles []float64) float64 {
	i, fraction := quantileSegment(random.Float64())
	return quantiles[i] + fraction*(quantiles[i+1]-quantiles[i])
}

// sampleLogQuantile is sampleQuantile for a positive quantity with a long tail: it
// interpolates between the logarithms of the quantiles, so that a draw between the 99th
// percentile and the maximum is not pulled up to their middle.
func sampleLogQuantile(random *rand.Rand, quantiles []float64) float64 {
	i, fraction := quantileSegment(random.Float64())
	low, high := math.Log(quantiles[i]), math.Log(quantiles[i+1])
	return math.Exp(low + fraction*(high-low))
}

// quantileSegment returns the index i of the levels around u, a number in [0, 1), and how
// far u lies from level i towards level i+1, from 0 to 1.
func quantileSegment(u float64) (int, float64) {
	i := sort.SearchFloat64s(quantileLevels, u)
	if i > 0 && (i == len(quantileLevels) || quantileLevels[i] > u) {
		i--
	}
	i = min(i, len(quantileLevels)-2)
	return i, (u - quantileLevels[i]) / (quantileLevels[i+1] - quantileLevels[i])
}
