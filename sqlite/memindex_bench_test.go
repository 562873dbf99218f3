package sqlite

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/seed"
)

// benchIndex is an index of 1,000,000 generated requests, 100,000 with -short, built once
// for the benchmarks of a run.
var benchIndex struct {
	once sync.Once
	m    *memIndex
	now  time.Time
}

func generatedIndex(b *testing.B) (*memIndex, time.Time) {
	b.Helper()
	benchIndex.once.Do(func() {
		n := 1_000_000
		if testing.Short() {
			n = 100_000
		}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		generator := seed.New(seed.Options{Seed: 1, Now: now})
		m := newMemIndex()
		m.reserve(n, n)
		entries := make([]indexEntry, 0, 10_000)
		for i := range n {
			r := generator.Request()
			entries = append(entries, entryOf(int64(i+1), &r))
			if len(entries) == cap(entries) || i == n-1 {
				m.load(entries)
				entries = entries[:0]
			}
		}
		m.finishLoad()
		benchIndex.m, benchIndex.now = m, now
	})
	return benchIndex.m, benchIndex.now
}

// BenchmarkIndexCircle finds the nearest 100 requests of the last 90 days within a radius of
// points drawn as the seed draws request locations: 1 km as in the load test's circle
// scenario, and smaller and larger ones.
func BenchmarkIndexCircle(b *testing.B) {
	m, now := generatedIndex(b)
	random := rand.New(rand.NewPCG(1, 2))
	centres := make([]georeport.Point, 1000)
	for i := range centres {
		centres[i] = seed.Point(random)
	}
	for _, radius := range []float64{200, 1000, 3000} {
		b.Run(fmt.Sprintf("%.0fm", radius), func(b *testing.B) {
			i, total := 0, 0
			for b.Loop() {
				q := georeport.Query{Circle: &georeport.Circle{Center: centres[i%len(centres)], Radius: radius},
					Order: georeport.NearestFirst, RequestedFrom: now.AddDate(0, 0, -90), RequestedTo: now, Limit: 100}
				total += m.find(&q).total
				i++
			}
			b.ReportMetric(float64(total)/float64(i), "matches/op")
		})
	}
}

// BenchmarkIndexBox counts and pages the newest 100 requests of 30 days in a box of about
// 2 by 2 km, as the load test's bbox scenario does.
func BenchmarkIndexBox(b *testing.B) {
	m, now := generatedIndex(b)
	c := seed.Clusters()[1]
	box := georeport.BBox{MinLong: c.Long - 0.018, MinLat: c.Lat - 0.009, MaxLong: c.Long + 0.018, MaxLat: c.Lat + 0.009}
	i, total := 0, 0
	for b.Loop() {
		q := georeport.Query{BBox: &box, RequestedFrom: now.AddDate(0, 0, -30), RequestedTo: now, Limit: 100}
		total += m.find(&q).total
		i++
	}
	b.ReportMetric(float64(total)/float64(i), "matches/op")
}
