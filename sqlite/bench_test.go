package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/sqlite"
)

// seedSize is the number of requests in the benchmark store, 10,000 with -short.
const seedSize = 100_000

// seedNow is the time at which the seeded requests end. They start two years earlier.
var seedNow = time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)

// seeded is the benchmark store, seeded once for every benchmark in the run, because
// seeding takes longer than the benchmarks themselves. Only a benchmark calls
// seededStore, so a run without -bench never seeds.
var seeded struct {
	once  sync.Once
	dir   string
	store *sqlite.Store
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()

	if seeded.store != nil {
		seeded.store.Close()
	}
	if seeded.dir != "" {
		os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}

// seededStore returns the store with the generated requests, and the count of them.
func seededStore(b *testing.B) (*sqlite.Store, int) {
	b.Helper()

	n := seedSize
	if testing.Short() {
		n = seedSize / 10
	}
	seeded.once.Do(func() {
		seeded.dir, seeded.err = os.MkdirTemp("", "open311-bench-")
		if seeded.err != nil {
			return
		}
		start := time.Now()
		seeded.store, seeded.err = seed(filepath.Join(seeded.dir, "open311.db"), n)
		b.Logf("seeded %d requests in %v", n, time.Since(start).Round(time.Millisecond))
	})
	if seeded.err != nil {
		b.Fatalf("seed the benchmark store: %v", seeded.err)
	}
	return seeded.store, n
}

// seed opens a store at path and imports n generated requests in batches of 1,000.
func seed(path string, n int) (*sqlite.Store, error) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return nil, err
	}

	random := rand.New(rand.NewPCG(1, 2))
	const batchSize = 1000
	batch := make([]georeport.Request, 0, batchSize)
	for i := range n {
		batch = append(batch, generatedRequest(random, i, n))
		if len(batch) == batchSize || i == n-1 {
			if _, err := s.ImportRequests(ctx, batch); err != nil {
				s.Close()
				return nil, err
			}
			batch = batch[:0]
		}
	}
	return s, nil
}

// words is the vocabulary of the generated descriptions.
var words = []string{"katu", "kuoppa", "roskia", "valaisin", "penkki", "graffiti", "töhryjä", "puisto", "lumi", "jää", "vesi", "liikennemerkki"}

// generatedRequest returns request i of a seed of n. The n requests are filed at an even
// pace in the two years up to seedNow, in 10 services, a quarter of them open, in an area of
// about 28 by 20 km around Helsinki. With -short, n is a tenth of seedSize, so the queries'
// windows find a tenth of their matches.
func generatedRequest(random *rand.Rand, i, n int) georeport.Request {
	step := 2 * 365 * 24 * time.Hour / time.Duration(n)
	requested := seedNow.Add(-time.Duration(n-i) * step)
	status := georeport.StatusClosed
	if random.IntN(4) == 0 {
		status = georeport.StatusOpen
	}
	return georeport.Request{
		ID:                fmt.Sprintf("sr-%07d", i),
		Jurisdiction:      "hel.fi",
		ServiceCode:       fmt.Sprint(171 + random.IntN(10)),
		Status:            status,
		Description:       words[random.IntN(len(words))] + " " + words[random.IntN(len(words))],
		AgencyResponsible: "Kaupunkiympäristö",
		Requested:         requested,
		Updated:           requested.Add(time.Duration(random.IntN(30*24)) * time.Hour),
		Location: &georeport.Point{
			Lat:  60.10 + random.Float64()*0.18,
			Long: 24.75 + random.Float64()*0.50,
		},
		DetailedStatus: "PROCESSED",
	}
}

// BenchmarkCreateRequestConcurrent creates requests from 32 goroutines at once, as a busy
// server's POSTs do, so that group commit can share each disk sync.
func BenchmarkCreateRequestConcurrent(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "open311.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	var next atomic.Int64
	b.SetParallelism(16) // 16 goroutines per processor, 32 on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		random := rand.New(rand.NewPCG(uint64(next.Add(1)), 4))
		for pb.Next() {
			r := generatedRequest(random, int(next.Add(1)), seedSize)
			if err := s.CreateRequest(ctx, &r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCreateRequest(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "open311.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	random := rand.New(rand.NewPCG(3, 4))
	i := 0
	for b.Loop() {
		r := generatedRequest(random, i, seedSize)
		if err := s.CreateRequest(ctx, &r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkRequest(b *testing.B) {
	ctx := context.Background()
	s, n := seededStore(b)

	random := rand.New(rand.NewPCG(5, 6))
	for b.Loop() {
		id := fmt.Sprintf("sr-%07d", random.IntN(n))
		if _, err := s.Request(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindRequests runs common list queries, each for a page of 100 within the default
// window of 90 days or the window that the case names.
func BenchmarkFindRequests(b *testing.B) {
	window := func(q georeport.Query, days int) georeport.Query {
		q.RequestedFrom = seedNow.Add(-time.Duration(days) * 24 * time.Hour)
		q.RequestedTo = seedNow
		q.Limit = 100
		return q
	}
	centre := georeport.Point{Lat: 60.17, Long: 24.94}
	benchmarks := []struct {
		name string
		q    georeport.Query
	}{
		{name: "service code and status", q: window(georeport.Query{ServiceCodes: []string{"171"}, Statuses: []georeport.Status{georeport.StatusOpen}}, 90)},
		{name: "circle 1 km", q: window(georeport.Query{Circle: &georeport.Circle{Center: centre, Radius: 1000}, Order: georeport.NearestFirst}, 90)},
		{name: "bbox and 30 days", q: window(georeport.Query{BBox: &georeport.BBox{MinLong: 24.90, MinLat: 60.15, MaxLong: 24.98, MaxLat: 60.19}}, 30)},
		{name: "default window", q: window(georeport.Query{}, 90)},
		{name: "words", q: window(georeport.Query{Words: []string{"kuoppa", "katu"}}, 90)},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := seededStore(b)

			var page *georeport.Page
			for b.Loop() {
				q := bm.q
				var err error
				page, err = s.FindRequests(ctx, &q)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(page.Total), "matches")
		})
	}
}
