package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// minDeviation is the smallest standard deviation of a fitted cluster, in degrees (about
// 100 m of latitude), so that a few requests at one address do not make a cluster of zero
// width.
const minDeviation = 0.001

// fitMixture fits k Gaussian clusters with diagonal covariance to points of latitude and
// longitude: k-means++ picks the starting centres, and 300 rounds of expectation
// maximization refine them. Each cluster's weight is its share of the points, rounded to
// whole points.
func fitMixture(points [][2]float64, k int, random *rand.Rand) []Cluster {
	means := startingCentres(points, k, random)
	variances := make([][2]float64, k)
	shares := make([]float64, k)
	for j := range k {
		variances[j] = [2]float64{0.01 * 0.01, 0.02 * 0.02}
		shares[j] = 1 / float64(k)
	}

	responsibility := make([][]float64, len(points))
	for i := range responsibility {
		responsibility[i] = make([]float64, k)
	}
	for range 300 {
		// Expectation: each point's probability of belonging to each cluster.
		for i, p := range points {
			total := 0.0
			for j := range k {
				density := shares[j]
				for d := range 2 {
					diff := p[d] - means[j][d]
					density *= math.Exp(-diff*diff/(2*variances[j][d])) / math.Sqrt(2*math.Pi*variances[j][d])
				}
				responsibility[i][j] = density
				total += density
			}
			for j := range k {
				if total > 0 {
					responsibility[i][j] /= total
				} else {
					responsibility[i][j] = 1 / float64(k)
				}
			}
		}

		// Maximization: weighted means and variances.
		for j := range k {
			var sum float64
			var mean [2]float64
			for i, p := range points {
				sum += responsibility[i][j]
				mean[0] += responsibility[i][j] * p[0]
				mean[1] += responsibility[i][j] * p[1]
			}
			if sum == 0 {
				continue
			}
			mean[0] /= sum
			mean[1] /= sum
			var variance [2]float64
			for i, p := range points {
				for d := range 2 {
					diff := p[d] - mean[d]
					variance[d] += responsibility[i][j] * diff * diff
				}
			}
			for d := range 2 {
				variances[j][d] = math.Max(variance[d]/sum, minDeviation*minDeviation)
			}
			means[j] = mean
			shares[j] = sum / float64(len(points))
		}
	}

	clusters := make([]Cluster, k)
	for j := range k {
		clusters[j] = Cluster{
			Weight: int(math.Round(shares[j] * float64(len(points)))),
			Lat:    means[j][0], Long: means[j][1],
			LatDeviation: math.Sqrt(variances[j][0]), LongDeviation: math.Sqrt(variances[j][1]),
		}
	}
	return clusters
}

// startingCentres picks k of the points by k-means++: each next centre is drawn with a
// probability that grows with the squared distance to the nearest centre so far.
func startingCentres(points [][2]float64, k int, random *rand.Rand) [][2]float64 {
	centres := [][2]float64{points[random.IntN(len(points))]}
	nearest := make([]float64, len(points))
	for len(centres) < k {
		total := 0.0
		for i, p := range points {
			nearest[i] = math.Inf(1)
			for _, c := range centres {
				dLat, dLong := p[0]-c[0], (p[1]-c[1])*0.5
				nearest[i] = math.Min(nearest[i], dLat*dLat+dLong*dLong)
			}
			total += nearest[i]
		}
		target := random.Float64() * total
		for i := range points {
			target -= nearest[i]
			if target <= 0 {
				centres = append(centres, points[i])
				break
			}
		}
	}
	return centres
}

// formatCluster returns c as a line of the clusters table.
func formatCluster(c Cluster) string {
	return fmt.Sprintf("\t{Weight: %d, Lat: %.4f, Long: %.4f, LatDeviation: %.4f, LongDeviation: %.4f},\n",
		c.Weight, c.Lat, c.Long, c.LatDeviation, c.LongDeviation)
}
