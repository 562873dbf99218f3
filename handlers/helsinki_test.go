package handlers

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/importer"
)

// importHelsinki loads the 1,380 real Helsinki requests of testdata/helsinki/requests.json
// into the test server's store.
func importHelsinki(t *testing.T, ts *testServer) {
	t.Helper()
	path := filepath.Join("..", "testdata", "helsinki", "requests.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reader, err := importer.Open(f, path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var batch []georeport.Request
	for {
		record, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, *record.Request)
	}
	if len(batch) != 1380 {
		t.Fatalf("read %d Helsinki requests, want 1380", len(batch))
	}
	if _, err := ts.store.ImportRequests(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenHelsinki records real Helsinki requests: one with its tasks and media in every
// format, and queries over the whole imported set whose counts the goldens pin down.
func TestGoldenHelsinki(t *testing.T) {
	ts := newTestServer(t, "")
	importHelsinki(t, ts)
	for _, format := range []string{"json", "xml", "geojson"} {
		t.Run("request/"+format, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, "requests/1ar09ts10t4qdko74nmj."+format+"?extensions=true")))
		})
	}
	queries := map[string]string{
		// Central Helsinki in the summer of 2015.
		"bbox and dates": "requests.json?bbox=24.90,60.15,24.98,60.20&start_date=2015-06-01&end_date=2015-08-30&page_size=3",
		"circle and dates in Swedish": "requests.xml?lat=60.1699&long=24.9384&radius=500&start_date=2015-06-01" +
			"&end_date=2015-08-30&page_size=2&locale=sv",
		"text search": "requests.json?q=LIIKENNEJ%C3%84RJESTELYT&start_date=2015-01-01&end_date=2015-03-31&page_size=2",
		"closed potholes by agency": "requests.json?service_code=171&status=closed&agency_responsible=rakennusvirasto" +
			"&start_date=2015-04-01&end_date=2015-06-29&page=2&page_size=2",
		"detailed status": "requests.json?detailed_status=PUBLIC_WORKS_COMPLETED&start_date=2015-10-01" +
			"&end_date=2015-12-29&page_size=1&extensions=true",
	}
	for name, target := range queries {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, exchangeDump(t, ts.get(t, target)))
		})
	}
}

// TestHelsinkiCounts checks query counts over the imported Helsinki requests against numbers
// computed from the JSON file by a separate script, independently of any store.
func TestHelsinkiCounts(t *testing.T) {
	ts := newTestServer(t, "")
	importHelsinki(t, ts)
	tests := []struct {
		target string
		want   string
	}{
		{"requests.json?bbox=24.90,60.15,24.98,60.20&start_date=2015-06-01&end_date=2015-08-30", "168"},
		{"requests.json?lat=60.1699&long=24.9384&radius=500&start_date=2015-06-01&end_date=2015-08-30", "13"},
		{"requests.json?service_code=171&status=closed&agency_responsible=RAKENNUSVIRASTO&start_date=2015-04-01&end_date=2015-06-29", "84"},
		{"requests.json?detailed_status=PUBLIC_WORKS_COMPLETED&start_date=2015-10-01&end_date=2015-12-29", "56"},
		{"requests.json?q=liikennejarjestelyt&start_date=2015-01-01&end_date=2015-03-31", "3"},
		{"requests.json?status=open&start_date=2015-12-01&end_date=2016-02-28", "3"},
	}
	for _, tt := range tests {
		resp := ts.get(t, tt.target)
		got := resp.Header.Get("X-Result-Count")
		if resp.StatusCode != 200 || got != tt.want {
			t.Errorf("GET %s = %d with X-Result-Count %q, want 200 with %q", tt.target, resp.StatusCode, got, tt.want)
		}
	}
}
