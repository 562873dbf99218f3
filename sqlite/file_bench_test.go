package sqlite_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	seedgen "github.com/open311-to-go/open311/seed"
	"github.com/open311-to-go/open311/sqlite"
)

// BenchmarkFindOnFile runs the circle query of the load test on the store file that
// OPEN311_BENCH_DB names, such as one that open311 seed -n 1000000 and open311 cluster made,
// in the 90 days before the newest request of the store. Its 1,000 centres are drawn as the
// load test draws them, so that most rows of a page are read from SQLite as under the load
// test, without HTTP. It also times searches by words.
func BenchmarkFindOnFile(b *testing.B) {
	path := os.Getenv("OPEN311_BENCH_DB")
	if path == "" {
		b.Skip("set OPEN311_BENCH_DB to a store file, such as one that open311 seed made")
	}
	// Open would create a missing file as a new, empty store.
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("OPEN311_BENCH_DB: %v", err)
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()

	// A store seeded with an earlier -now has no requests in the 90 days before today.
	newest, err := store.FindRequests(ctx, &georeport.Query{Limit: 1, StandardFields: true})
	if err != nil {
		b.Fatal(err)
	}
	if len(newest.Requests) == 0 || newest.Requests[0].Requested.IsZero() {
		b.Fatalf("OPEN311_BENCH_DB %s has no request with a requested_datetime", path)
	}
	now := newest.Requests[0].Requested

	random := rand.New(rand.NewPCG(1, 2))
	centres := make([]georeport.Point, 1000)
	for i := range centres {
		centres[i] = seedgen.Point(random)
	}
	from := now.Add(-90 * 24 * time.Hour)
	for _, standard := range []bool{true, false} {
		name := "circle 1 km"
		if !standard {
			name += " with extensions"
		}
		b.Run(name, func(b *testing.B) {
			i, rows := 0, 0
			for b.Loop() {
				q := georeport.Query{
					Circle:         &georeport.Circle{Center: centres[i%len(centres)], Radius: 1000},
					Order:          georeport.NearestFirst,
					RequestedFrom:  from,
					RequestedTo:    now,
					Limit:          100,
					StandardFields: standard,
				}
				page, err := store.FindRequests(ctx, &q)
				if err != nil {
					b.Fatal(err)
				}
				i++
				rows += len(page.Requests)
			}
			if rows == 0 {
				b.Fatalf("no circle found a request in the 90 days before %s", now.Format(time.RFC3339))
			}
			b.ReportMetric(float64(rows)/float64(i), "rows/op")
		})
	}

	// Searches for words of the seeded descriptions, from common to rare, as a list without
	// extensions runs them: 100 a page, newest first, in the default window of 90 days.
	words := []string{"liikennemerkki", "jalankulkijat", "kadulla", "roskat", "katu", "puisto"}
	b.Run("words", func(b *testing.B) {
		i, total := 0, 0
		for b.Loop() {
			q := georeport.Query{Words: []string{words[i%len(words)]}, RequestedFrom: from, RequestedTo: now,
				Limit: 100, StandardFields: true}
			page, err := store.FindRequests(ctx, &q)
			if err != nil {
				b.Fatal(err)
			}
			i++
			total += page.Total
		}
		b.ReportMetric(float64(total)/float64(i), "matches/op")
	})
}
