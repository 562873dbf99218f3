package mongo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// The benchmarks run on the MongoDB deployment of OPEN311_TEST_MONGODB_URI when it is set,
// and on FerretDB otherwise. FerretDB translates each command into SQL on SQLite, so its
// numbers show the cost of this package's commands there, not what MongoDB would take,
// and it cannot run the circle and box benchmarks.

// seedSize is the number of requests in the benchmark store on MongoDB, 10,000 with
// -short, as on SQLite.
const seedSize = 100_000

// ferretDBSeedSize is the number of requests in the benchmark store on FerretDB, 200 with
// -short. FerretDB 1.24 reads a whole collection for most filters, even one on _id, so
// 10,000 requests took 14 minutes to seed and 50 ms to read one by id (2 cores).
const ferretDBSeedSize = 2_000

// seedNow is the time at which the seeded requests end. They start two years earlier.
var seedNow = time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)

// seeded is the benchmark store, seeded once for every benchmark in the run, because
// seeding takes longer than the benchmarks themselves. Only a benchmark calls
// seededStore, so a run without -bench never seeds.
var seeded struct {
	once    sync.Once
	store   *Store
	n       int
	onMongo bool
	err     error
}

// benchmarkDeployment returns the URI and settings of the deployment that the benchmarks
// use, and whether it is MongoDB.
func benchmarkDeployment(b *testing.B) (string, settings, bool) {
	b.Helper()

	if uri := os.Getenv(mongoURIVariable); uri != "" {
		return uri, settings{}, true
	}
	return ferretDBURI(b), ferretDBSettings, false
}

// seededStore returns the store with the generated requests, the count of them, and
// whether it runs on MongoDB.
func seededStore(b *testing.B) (*Store, int, bool) {
	b.Helper()

	seeded.once.Do(func() {
		uri, cfg, onMongo := benchmarkDeployment(b)
		seeded.onMongo = onMongo
		seeded.n = ferretDBSeedSize
		if onMongo {
			seeded.n = seedSize
		}
		if testing.Short() {
			seeded.n /= 10
		}
		n := seeded.n
		start := time.Now()
		seeded.store, seeded.err = seed(uri, cfg, n)
		b.Logf("seeded %d requests in %v", n, time.Since(start).Round(time.Millisecond))
	})
	if seeded.err != nil {
		b.Fatalf("seed the benchmark store: %v", seeded.err)
	}
	return seeded.store, seeded.n, seeded.onMongo
}

// seed opens a store on a new database and imports n generated requests in batches of
// 1,000.
func seed(uri string, cfg settings, n int) (*Store, error) {
	ctx := context.Background()
	name := fmt.Sprintf("open311_bench_%d", os.Getpid())
	s, err := open(ctx, clientOptions(uri), name, nil, cfg)
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

// closeBenchmarkStore drops the database of the benchmark store, if a benchmark seeded
// one, and closes the store.
func closeBenchmarkStore() {
	if seeded.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := seeded.store.client.Database(seeded.store.database).Drop(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "drop the benchmark database %s: %v\n", seeded.store.database, err)
	}
	seeded.store.Close()
}

// words is the vocabulary of the generated descriptions.
var words = []string{"katu", "kuoppa", "roskia", "valaisin", "penkki", "graffiti", "töhryjä", "puisto", "lumi", "jää", "vesi", "liikennemerkki"}

// generatedRequest returns request i of a seed of n. The n requests are filed at an even
// pace in the two years before seedNow, in 10 services, a quarter of them open, in an area
// of about 28 by 20 km around Helsinki. With n of 100,000, they are the requests of the
// SQLite store's benchmarks.
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

func BenchmarkCreateRequest(b *testing.B) {
	ctx := context.Background()
	uri, cfg, _ := benchmarkDeployment(b)
	s := openTestStore(b, uri, cfg)

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
	s, n, _ := seededStore(b)

	random := rand.New(rand.NewPCG(5, 6))
	for b.Loop() {
		id := fmt.Sprintf("sr-%07d", random.IntN(n))
		if _, err := s.Request(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindRequests runs common list queries, each for a page of 100 within the default
// window of 90 days or the window that the case names. They are the SQLite store's cases.
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
		geo  bool // needs a geospatial query, which FerretDB lacks
	}{
		{name: "service code and status", q: window(georeport.Query{ServiceCodes: []string{"171"}, Statuses: []georeport.Status{georeport.StatusOpen}}, 90)},
		{name: "circle 1 km", q: window(georeport.Query{Circle: &georeport.Circle{Center: centre, Radius: 1000}, Order: georeport.NearestFirst}, 90), geo: true},
		{name: "bbox and 30 days", q: window(georeport.Query{BBox: &georeport.BBox{MinLong: 24.90, MinLat: 60.15, MaxLong: 24.98, MaxLat: 60.19}}, 30), geo: true},
		{name: "default window", q: window(georeport.Query{}, 90)},
		{name: "words", q: window(georeport.Query{Words: []string{"kuoppa", "katu"}}, 90)},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			ctx := context.Background()
			s, _, onMongo := seededStore(b)
			if bm.geo && !onMongo {
				b.Skip("FerretDB 1.24 has no geospatial queries")
			}

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
