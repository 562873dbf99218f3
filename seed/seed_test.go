package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/importer"
	"github.com/open311-to-go/open311/sqlite"
)

var testNow = time.Date(2026, 3, 5, 8, 15, 30, 0, time.UTC)

// generate returns n requests of a Generator for the seed.
func generate(t *testing.T, seed uint64, n int) []georeport.Request {
	t.Helper()
	g := New(Options{Seed: seed, Now: testNow, Jurisdiction: "hel.fi"})
	rs := make([]georeport.Request, n)
	g.Fill(rs)
	return rs
}

func TestGeneratorDeterministic(t *testing.T) {
	tests := []struct {
		name      string
		seedA     uint64
		seedB     uint64
		wantEqual bool
	}{
		{name: "same seed", seedA: 1, seedB: 1, wantEqual: true},
		{name: "other seed", seedA: 1, seedB: 2, wantEqual: false},
		{name: "seed zero", seedA: 0, seedB: 0, wantEqual: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := generate(t, tt.seedA, 200), generate(t, tt.seedB, 200)
			diff := cmp.Diff(a, b)
			if tt.wantEqual && diff != "" {
				t.Errorf("seeds %d and %d gave different requests (-%d +%d):\n%s", tt.seedA, tt.seedB, tt.seedA, tt.seedB, diff)
			}
			if !tt.wantEqual && diff == "" {
				t.Errorf("seeds %d and %d gave the same requests", tt.seedA, tt.seedB)
			}
		})
	}
}

// TestGeneratorShares checks that the shares of a large sample are those of the Helsinki
// tables, within a tolerance of about four standard deviations of the sample's share.
func TestGeneratorShares(t *testing.T) {
	const n = 50_000
	rs := generate(t, 7, n)

	count := func(match func(r *georeport.Request) bool) int {
		c := 0
		for i := range rs {
			if match(&rs[i]) {
				c++
			}
		}
		return c
	}
	recentFrom := testNow.AddDate(0, 0, -RecentDays-1)
	tests := []struct {
		name  string
		match func(r *georeport.Request) bool
		want  float64
	}{
		{"open", func(r *georeport.Request) bool { return r.Status == georeport.StatusOpen }, float64(helsinkiOpen) / helsinkiRequests},
		{"without location", func(r *georeport.Request) bool { return r.Location == nil }, float64(helsinkiWithoutLocation) / helsinkiRequests},
		{"with media_url", func(r *georeport.Request) bool { return r.MediaURL != "" }, float64(helsinkiWithMedia) / helsinkiRequests},
		{"with address", func(r *georeport.Request) bool { return r.Address != "" }, float64(helsinkiWithAddress) / helsinkiRequests},
		{"with status_notes", func(r *georeport.Request) bool { return r.StatusNotes != "" }, float64(helsinkiWithNotes) / helsinkiRequests},
		{"service 171", func(r *georeport.Request) bool { return r.ServiceCode == "171" }, 290.0 / helsinkiRequests},
		{"service 180 with other codes", func(r *georeport.Request) bool { return r.ServiceCode == "180" }, 495.0 / helsinkiRequests},
		{"agency Rakennusvirasto", func(r *georeport.Request) bool { return r.AgencyResponsible == "Rakennusvirasto" }, 1148.0 / helsinkiRequests},
		{"filed in the recent days", func(r *georeport.Request) bool { return r.Requested.After(recentFrom) }, RecentShare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := float64(count(tt.match)) / n
			tolerance := 4 * math.Sqrt(tt.want*(1-tt.want)/n)
			if math.Abs(got-tt.want) > tolerance {
				t.Errorf("share = %.4f, want %.4f ± %.4f", got, tt.want, tolerance)
			}
		})
	}
}

// TestGeneratorValues checks what every generated request must satisfy.
func TestGeneratorValues(t *testing.T) {
	codes := map[string]bool{}
	for _, s := range georeport.DemoCatalog().Services {
		codes[s.Code] = true
	}
	ids := map[string]bool{}
	oldest := testNow
	for _, r := range generate(t, 3, 20_000) {
		if ids[r.ID] {
			t.Errorf("id %q generated twice", r.ID)
		}
		ids[r.ID] = true
		if len(r.ID) != IDLength {
			t.Errorf("id %q has %d characters, want %d", r.ID, len(r.ID), IDLength)
		}
		if !codes[r.ServiceCode] {
			t.Errorf("request %s: service_code %q is not in the demo catalog", r.ID, r.ServiceCode)
		}
		if r.ServiceName == "" {
			t.Errorf("request %s: service_name is empty", r.ID)
		}
		if got := georeport.StatusOf(r.DetailedStatus, ""); got != r.Status {
			t.Errorf("request %s: detailed status %q gives status %q, but status is %q", r.ID, r.DetailedStatus, got, r.Status)
		}
		if r.Location != nil && !Bounds.Contains(*r.Location) {
			t.Errorf("request %s: location %v is outside %v", r.ID, *r.Location, Bounds)
		}
		if r.Requested.After(testNow) || r.Requested.Before(testNow.AddDate(0, 0, -MaxAgeDays-1)) {
			t.Errorf("request %s: requested_datetime %v is not within %d days before %v", r.ID, r.Requested, MaxAgeDays, testNow)
		}
		if r.Updated.Before(r.Requested) || r.Updated.After(testNow) {
			t.Errorf("request %s: updated_datetime %v is not between requested_datetime %v and %v", r.ID, r.Updated, r.Requested, testNow)
		}
		if !r.Expected.After(r.Requested) {
			t.Errorf("request %s: expected_datetime %v is not after requested_datetime %v", r.ID, r.Expected, r.Requested)
		}
		if len(r.Tasks) < 2 {
			t.Errorf("request %s has %d tasks, want at least 2", r.ID, len(r.Tasks))
		}
		for _, task := range r.Tasks {
			if task.Created.Before(r.Requested.Truncate(time.Second)) || task.Modified.Before(task.Created) {
				t.Errorf("request %s: task created %v, modified %v, filed %v", r.ID, task.Created, task.Modified, r.Requested)
			}
		}
		if r.Description == "" || r.Title == "" {
			t.Errorf("request %s: description %q or title %q is empty", r.ID, r.Description, r.Title)
		}
		if r.Requested.Before(oldest) {
			oldest = r.Requested
		}
	}
	if age := testNow.Sub(oldest); age < 3*365*24*time.Hour {
		t.Errorf("oldest request is %v old, want a tail of several years", age)
	}
}

// TestWriteJSONImports checks that open311 import's reader reads the written file back into
// the same requests, and that a store takes them.
func TestWriteJSONImports(t *testing.T) {
	const n = 300
	var buf bytes.Buffer
	if err := WriteJSON(&buf, New(Options{Seed: 5, Now: testNow}), n); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("WriteJSON wrote invalid JSON:\n%.500s", buf.String())
	}

	reader, err := importer.Open(&buf, "seed.json", importer.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var got []georeport.Request
	for {
		record, err := reader.Next()
		if err != nil {
			break
		}
		if record.Request == nil {
			t.Fatalf("record %d is not a request", len(got)+1)
		}
		got = append(got, *record.Request)
	}
	want := make([]georeport.Request, n)
	New(Options{Seed: 5, Now: testNow}).Fill(want)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("imported requests differ from the generated ones (-got +want):\n%s", diff)
	}

	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seed.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.ImportRequests(ctx, got); err != nil {
		t.Fatalf("ImportRequests: %v", err)
	}
	page, err := store.FindRequests(ctx, &georeport.Query{ServiceCodes: []string{"171"}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total == 0 {
		t.Error("FindRequests(service_code 171) found no request in the seeded store")
	}
}

func BenchmarkGenerator(b *testing.B) {
	g := New(Options{Seed: 1, Now: testNow})
	batch := make([]georeport.Request, 1000)
	for b.Loop() {
		g.Fill(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/request")
}

func BenchmarkWriteJSON(b *testing.B) {
	g := New(Options{Seed: 1, Now: testNow})
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteJSON(&buf, g, 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
