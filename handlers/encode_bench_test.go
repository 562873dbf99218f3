package handlers

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/seed"
)

// benchmarkRequests returns n generated requests, spread like Helsinki's feedback.
func benchmarkRequests(b *testing.B, n int) []*georeport.Request {
	b.Helper()
	rs := make([]georeport.Request, n)
	seed.New(seed.Options{Seed: 1, Now: testNow}).Fill(rs)
	out := make([]*georeport.Request, n)
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// BenchmarkEncodeRequests encodes pages of 50 and 1,000 requests in each format, in Finnish
// and in Helsinki's time zone, into a buffer of the size that writeRequests allocates.
func BenchmarkEncodeRequests(b *testing.B) {
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		b.Fatal(err)
	}
	catalog := georeport.DemoCatalog()
	formats := []struct {
		name       string
		extensions bool
		encode     func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte
	}{
		{"json", false, func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte {
			return e.appendJSONList(buf, rs, nil)
		}},
		{"json-extensions", true, func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte {
			return e.appendJSONList(buf, rs, nil)
		}},
		{"xml", false, func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte {
			return e.appendXMLList(buf, rs, nil)
		}},
		{"xml-extensions", true, func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte {
			return e.appendXMLList(buf, rs, nil)
		}},
		{"geojson", false, func(e *requestEncoder, buf []byte, rs []*georeport.Request) []byte {
			return e.appendGeoJSON(buf, rs, nil)
		}},
	}
	for _, n := range []int{50, 1000} {
		rs := benchmarkRequests(b, n)
		for _, f := range formats {
			b.Run(fmt.Sprintf("%s/%d", f.name, n), func(b *testing.B) {
				e := &requestEncoder{catalog: catalog, lang: "fi", loc: helsinki, extensions: f.extensions}
				var out []byte
				for b.Loop() {
					out = f.encode(e, make([]byte, 0, 1024*(len(rs)+1)), rs)
				}
				b.SetBytes(int64(len(out)))
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/request")
			})
		}
	}
}

// BenchmarkParseListParams parses the queries of the load test's list scenarios.
func BenchmarkParseListParams(b *testing.B) {
	queries := []struct {
		name  string
		query string
	}{
		{"default window", ""},
		{"service code and status", "service_code=171&status=open&page_size=100"},
		{"circle", "lat=60.190500&long=24.946600&radius=1000&page_size=100"},
		{"bbox and dates", "bbox=24.9286,60.1815,24.9646,60.1995&start_date=2026-02-03T08:15:30Z&end_date=2026-03-05T08:15:30Z&page_size=100"},
		{"search words", "q=kuoppa+pyörätien&status=open,closed&extensions=true"},
		{"ids", "service_request_id=a1,b2,c3,d4,e5"},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			values, err := url.ParseQuery(q.query)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := parseListParams(values, testRules); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(q.name+" with ParseQuery", func(b *testing.B) {
			for b.Loop() {
				values, _ := url.ParseQuery(q.query)
				if _, err := parseListParams(values, testRules); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
